"""The traversal tree: Root -> assignments -> Assignment -> submissions -> Submission.

Rules:

- Resources are thin: ``__name__``, ``__parent__``, ``__acl__`` and ``__getitem__``
  that asks the repository for the row. No SQL here, no HTTP.
- The consistency rules live in the ACLs, which ask the domain's one rule
  (``sdk.domain.permissions``): an assignment's course and a submission's owner (and, for a
  team submission, its group), once fixed by the first upload, decide who may act; a caller
  who contradicts them (another course, another student, another group) is granted nothing -> 403.
- An id that is not a positive integer is not in the tree (404).
- A GET (or HEAD) changes no assignment, submission or video row (its calls write only their event):
  its traversal reads frozen read models (``models/reads.py``) with one Core statement; every other
  method's reads the ORM entities its call may change.
"""

from __future__ import annotations

from pyramid.authorization import ALL_PERMISSIONS, DENY_ALL, Allow, Authenticated
from pyramid.decorator import reify

from ..models.repository import SqlVideoRepository
from ..sdk.domain import permissions
from ..security import Permission

ADMIN_ACE = (Allow, "role:admin", ALL_PERMISSIONS)
READ_ONLY_METHODS = frozenset({"GET", "HEAD"})


def _parse_id(name: str) -> int:
    if not (name.isascii() and name.isdigit()) or len(name) > 18 or int(name) <= 0:  # "³".isdigit() too
        raise KeyError(name)
    return int(name)


class Resource:
    __name__ = ""
    __parent__: Resource | None = None  # None: the root

    def __init__(self, parent=None, name=""):
        self.__parent__ = parent
        self.__name__ = name

    @property
    def request(self):
        return self.__parent__.request


class Root(Resource):
    __acl__ = (ADMIN_ACE, (Allow, Authenticated, Permission.IDENTIFY))  # /whoami; children set their own

    def __init__(self, request):
        super().__init__()
        self._request = request

    @property
    def request(self):
        return self._request

    @reify
    def repository(self):
        # made on first use: a call that reads no row (``/whoami``) makes no session
        return SqlVideoRepository(self._request.dbsession)

    def __getitem__(self, name):
        children = {"assignments": Assignments, "admin": AdminResource, "privacy": PrivacyResource}
        return children[name](self, name)


class Assignments(Resource):
    def __getitem__(self, name):
        return Assignment(self, name, _parse_id(name))


_UNREAD = object()


class Assignment(Resource):
    """An assignment; ``record`` is None until a student's first upload creates it.

    The row is read when first asked for: a submission below reads it together with its own
    row (one query for the traversal), a view on the assignment itself reads it alone.
    """

    def __init__(self, parent, name, assignment_id: int):
        super().__init__(parent, name)
        self.id = assignment_id
        self._record = _UNREAD
        self.repository = parent.__parent__.repository

    @property
    def record(self):
        if self._record is _UNREAD:
            self._record = self.repository.get_assignment(self.id)
        return self._record

    @record.setter
    def record(self, value):
        self._record = value

    @property
    def course_id(self) -> int | None:
        return self.record.course_id if self.record else None

    @property
    def __acl__(self):
        # The course's graders may VIEW (POST .../posters, the grading table's thumbnails); for an
        # assignment the sidecar has not seen, any grader (the call then answers 404: nothing held).
        grader = f"grader:course:{self.course_id}" if self.course_id is not None else "role:grader"
        return [ADMIN_ACE, (Allow, grader, Permission.VIEW), DENY_ALL]

    def __getitem__(self, name):
        if name != "submissions":
            raise KeyError(name)
        return Submissions(self, name)


class Submissions(Resource):
    def __getitem__(self, name):
        submission_id = _parse_id(name)
        assignment = self.__parent__
        assignment.record, record = assignment.repository.get_assignment_and_submission(
            assignment.id, submission_id, read_only=self.request.method in READ_ONLY_METHODS
        )
        if record is not None and record.assignment_id != assignment.id:
            raise KeyError(name)  # that submission belongs to another assignment
        return Submission(self, name, submission_id, record)


class Submission(Resource):
    """A student's submission; ``record`` is None until their first upload."""

    def __init__(self, parent, name, submission_id: int, record):
        super().__init__(parent, name)
        self.id = submission_id
        self.record = record
        self.assignment = parent.__parent__

    @property
    def __acl__(self):
        """The domain's one rule (``sdk.domain.permissions``), granted to the calling user."""
        identity = self.request.identity
        acl = [ADMIN_ACE]
        if identity is not None:
            granted = permissions(identity.actor, self.assignment.course_id, self.record)
            if granted:
                acl.append((Allow, f"user:{identity.actor.user}", tuple(sorted(granted))))
        acl.append(DENY_ALL)
        return acl

    def __getitem__(self, name):
        if name != "multipart":
            raise KeyError(name)
        return MultipartUploads(self, name)


class MultipartUploads(Resource):
    """``.../multipart``: POST here starts an upload; its children are uploads by id."""

    __parent__: Submission

    @property
    def submission(self) -> Submission:
        return self.__parent__

    def __getitem__(self, name):
        if not name or len(name) > 255 or "\x00" in name:  # no upload id holds NUL (nor can PostgreSQL)
            raise KeyError(name)
        return MultipartUpload(self, name)


class MultipartUpload(Resource):
    """One multipart upload (``upload_id``); permissions are the submission's."""

    __parent__: MultipartUploads

    @property
    def upload_id(self) -> str:
        return self.__name__

    @property
    def submission(self) -> Submission:
        return self.__parent__.submission

    @property
    def video(self):
        """The upload's video row (None if unknown; the service refuses such an upload)."""
        return self.submission.assignment.repository.get_video_by_upload_id(self.upload_id)


class AdminResource(Resource):
    """``/admin``: statistics, video search, the event log. Admins only (children inherit the ACL)."""

    __acl__ = (ADMIN_ACE, DENY_ALL)

    @property
    def repository(self):
        return self.__parent__.repository

    def __getitem__(self, name):
        if name != "videos":
            raise KeyError(name)
        return AdminVideos(self, name)


class AdminVideos(Resource):
    """``/admin/videos``: the search; its children are videos by id (``restore`` is a view on one)."""

    def __getitem__(self, name):
        record = self.__parent__.repository.get_video(_parse_id(name))
        if record is None:
            raise KeyError(name)
        return AdminVideo(self, name, record)


class AdminVideo(Resource):
    def __init__(self, parent, name, record):
        super().__init__(parent, name)
        self.record = record


class PrivacyResource(Resource):
    """``/privacy``: export and erase a user's data. Admins only (children inherit the ACL)."""

    __acl__ = (ADMIN_ACE, DENY_ALL)

    @property
    def repository(self):
        return self.__parent__.repository

    def __getitem__(self, name):
        children = {"users": PrivacySubjects, "assignments": PrivacySubjects}
        return children[name](self, name)


class PrivacySubjects(Resource):
    """``/privacy/users`` and ``/privacy/assignments``: their children are ids (no row needed:
    an export of a user the sidecar never saw is empty, not an error)."""

    def __getitem__(self, name):
        kind = PrivacyUser if self.__name__ == "users" else PrivacyAssignment
        return kind(self, name, _parse_id(name))


class PrivacyUser(Resource):
    def __init__(self, parent, name, user_id: int):
        super().__init__(parent, name)
        self.user_id = user_id


class PrivacyAssignment(Resource):
    def __init__(self, parent, name, assignment_id: int):
        super().__init__(parent, name)
        self.assignment_id = assignment_id
