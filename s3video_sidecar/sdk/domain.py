"""The domain's words, defined once: a video's statuses, who is calling, who may do what, the errors.

Everything else speaks these: the services (``sdk/service.py``, ``sdk/admin.py``, ``sdk/privacy.py``,
``sdk/maintenance.py``), the models (``models/video.py`` stores :class:`VideoStatus`), the traversal's
ACLs (``resources``) and the HTTP layer (``views/errors.py`` answers the errors). This module imports
nothing of the app: no SQLAlchemy, no Pyramid.

Rules:

- A submission belongs to the student who created it and, for a team submission, to every member of
  its Moodle group (:func:`may_act`); its assignment belongs to one course.
- :func:`permissions` is the one rule of who may do what on a submission: its owners (a student of its
  course) view, upload and delete; before it exists, any student of the assignment's course (of any
  course while the assignment is new too) may create it by uploading, and look; the course's graders
  view; an admin does everything. The ACL (``resources.Submission.__acl__``) and the service
  (:meth:`VideoService.ensure_submission`, for rows a racing request created) both ask it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from .errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    RangeNotSatisfiable,
    RateLimited,
    S3VideoError,
    TooLarge,
    Unavailable,
    UnsupportedType,
)

__all__ = [
    "ERASED_USER_ID",
    "LIVE_STATUSES",
    "STATUSES",
    "SUBMISSION_PERMISSIONS",
    "Actor",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "Permission",
    "RangeNotSatisfiable",
    "RateLimited",
    "S3VideoError",
    "TooLarge",
    "Unavailable",
    "UnsupportedType",
    "VideoStatus",
    "may_act",
    "permissions",
]


@dataclass(frozen=True)
class Actor:
    """Who Moodle says is calling: a user, their roles, the course of the call and, for a team
    submission, the Moodle group it belongs to (0: Moodle's default team of students in no group)."""

    user: int
    roles: frozenset[str]
    course: int
    group: int | None = None


class VideoStatus(str, enum.Enum):
    """A video row's status, as stored (``videos.upload_status``)."""

    PENDING = "pending"  # upload URL issued, nothing seen yet
    UPLOADING = "uploading"  # multipart upload under way
    READY = "ready"  # confirmed: the object exists and passed the checks
    DELETING = "deleting"  # durable marker: the object is to be deleted (after the grace period)
    DELETED = "deleted"  # the object is gone
    ERROR = "error"  # refused or abandoned; ``error_message`` says why

    def __str__(self) -> str:
        return self.value


# A live video: a submission's current one, a draft, or an upload under way.
LIVE_STATUSES = (VideoStatus.PENDING, VideoStatus.UPLOADING, VideoStatus.READY)
STATUSES = tuple(str(status) for status in VideoStatus)  # every status, as the API and the CLI name them

ERASED_USER_ID = 0  # an erased user's rows belong to this placeholder (Moodle user ids start at 1)


class Permission(str, enum.Enum):
    """What a caller may be allowed on a resource (Pyramid's view permissions)."""

    VIEW = "view"
    UPLOAD = "upload"
    DELETE = "delete"
    ADMIN = "admin"
    IDENTIFY = "identify"  # GET /whoami: any validly signed request

    def __str__(self) -> str:
        return self.value


SUBMISSION_PERMISSIONS = frozenset({Permission.VIEW, Permission.UPLOAD, Permission.DELETE})


class OwnedSubmission(Protocol):
    """What the rules read of a submission (the model's row, or a test's fake)."""

    @property
    def user_id(self) -> int: ...

    @property
    def group_id(self) -> int | None: ...


def may_act(actor: Actor, submission: OwnedSubmission) -> bool:
    """Whether ``actor`` is one of the submission's owners: the student who created it or, for a team
    submission, a member of its group. (The course is :func:`permissions`' business.)"""
    return submission.user_id == actor.user or (submission.group_id is not None and actor.group == submission.group_id)


def permissions(actor: Actor, course_id: int | None, submission: OwnedSubmission | None) -> frozenset[Permission]:
    """What ``actor`` may do on ``submission`` (None: not created yet) of an assignment of ``course_id``
    (None: the assignment is not created yet). An admin may do anything, ``Permission.ADMIN`` included."""
    if "admin" in actor.roles:
        return frozenset(Permission)
    granted: set[Permission] = set()
    if "student" in actor.roles:
        if submission is None:
            if course_id is None or course_id == actor.course:
                granted |= {Permission.VIEW, Permission.UPLOAD}
        elif course_id == actor.course and may_act(actor, submission):
            granted |= SUBMISSION_PERMISSIONS
    if "grader" in actor.roles and course_id is not None and course_id == actor.course:
        granted.add(Permission.VIEW)
    return frozenset(granted)
