"""The domain's one rule of who may do what on a submission (``sdk.domain.permissions``).

The rule replaced an ACL of principals (``student:{u}:course:{c}``, ``student:group:{g}:course:{c}``,
``grader:course:{c}``...); ``test_the_rule_grants_what_the_principals_acl_granted`` checks, over every
combination of actor and submission below, that it grants exactly what that ACL granted.
"""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import pytest
from pyramid.authorization import ALL_PERMISSIONS, DENY_ALL, ACLHelper, Allow

from s3video_sidecar.sdk import errors, signing
from s3video_sidecar.sdk.domain import (
    ERASED_USER_ID,
    LIVE_STATUSES,
    STATUSES,
    Actor,
    Forbidden,
    Permission,
    VideoStatus,
    may_act,
    permissions,
)
from s3video_sidecar.security import principals_for

COURSE, OTHER_COURSE = 5, 6
OWNER, TEAMMATE, STRANGER = 100, 101, 102
GROUP = 7


def submission(user_id=OWNER, group_id=None):
    return SimpleNamespace(user_id=user_id, group_id=group_id)


def test_statuses_are_the_stored_strings():
    assert [str(s) for s in VideoStatus] == ["pending", "uploading", "ready", "deleting", "deleted", "error"]
    assert tuple(str(s) for s in VideoStatus) == STATUSES
    assert VideoStatus.READY == "ready" and set(LIVE_STATUSES) == {"pending", "uploading", "ready"}
    assert ERASED_USER_ID == 0


def test_one_definition_of_each_word():
    assert signing.Actor is Actor
    assert Forbidden is errors.Forbidden
    from s3video_sidecar.models import VideoStatus as ModelStatus
    from s3video_sidecar.security import Permission as ViewPermission

    assert ModelStatus is VideoStatus and ViewPermission is Permission


def test_may_act_owner_and_team_members_only():
    student = Actor(OWNER, frozenset({"student"}), COURSE)
    assert may_act(student, submission())
    assert not may_act(Actor(STRANGER, frozenset({"student"}), COURSE), submission())
    teammate = Actor(TEAMMATE, frozenset({"student"}), COURSE, group=GROUP)
    assert may_act(teammate, submission(group_id=GROUP))
    assert not may_act(teammate, submission(group_id=GROUP + 1))
    assert not may_act(Actor(TEAMMATE, frozenset({"student"}), COURSE), submission(group_id=GROUP))


@pytest.mark.parametrize(
    ("actor", "course", "record", "granted"),
    [
        (Actor(OWNER, frozenset({"student"}), COURSE), COURSE, submission(), {"view", "upload", "delete"}),
        (Actor(OWNER, frozenset({"student"}), OTHER_COURSE), COURSE, submission(), set()),
        (Actor(STRANGER, frozenset({"student"}), COURSE), COURSE, None, {"view", "upload"}),
        (Actor(STRANGER, frozenset({"student"}), COURSE), None, None, {"view", "upload"}),
        (Actor(STRANGER, frozenset({"student"}), COURSE), COURSE, submission(), set()),
        (
            Actor(TEAMMATE, frozenset({"student"}), COURSE, GROUP),
            COURSE,
            submission(group_id=GROUP),
            {"view", "upload", "delete"},
        ),
        (Actor(STRANGER, frozenset({"grader"}), COURSE), COURSE, submission(), {"view"}),
        (Actor(STRANGER, frozenset({"grader"}), COURSE), None, None, set()),
        (Actor(STRANGER, frozenset({"grader"}), OTHER_COURSE), COURSE, submission(), set()),
        (Actor(1, frozenset({"admin"}), OTHER_COURSE), COURSE, submission(), {str(p) for p in Permission}),
    ],
)
def test_permissions(actor, course, record, granted):
    assert {str(p) for p in permissions(actor, course, record)} == granted


def _old_acl(course, record):
    """The ACL ``resources.Submission.__acl__`` built before the rule moved to the domain."""
    acl = [(Allow, "role:admin", ALL_PERMISSIONS)]
    both = (Permission.VIEW, Permission.UPLOAD, Permission.DELETE)
    if record is None:
        students = f"student:course:{course}" if course is not None else "role:student"
        acl.append((Allow, students, (Permission.VIEW, Permission.UPLOAD)))
    else:
        acl.append((Allow, f"student:{record.user_id}:course:{course}", both))
        if record.group_id is not None:
            acl.append((Allow, f"student:group:{record.group_id}:course:{course}", both))
    if course is not None:
        acl.append((Allow, f"grader:course:{course}", Permission.VIEW))
    acl.append(DENY_ALL)
    return acl


def test_the_rule_grants_what_the_principals_acl_granted():
    helper = ACLHelper()
    role_sets = [frozenset(r) for n in range(4) for r in itertools.combinations(("student", "grader", "admin"), n)]
    actors = [
        Actor(user, roles, course, group)
        for user, roles, course, group in itertools.product(
            (OWNER, TEAMMATE), role_sets, (COURSE, OTHER_COURSE), (None, 0, GROUP)
        )
    ]
    records = [None, submission(), submission(group_id=GROUP), submission(group_id=0)]
    for actor, course, record in itertools.product(actors, (None, COURSE), records):
        context = SimpleNamespace(__acl__=_old_acl(course, record))
        for permission in Permission:
            before = bool(helper.permits(context, principals_for(actor), permission))
            assert (permission in permissions(actor, course, record)) == before, (actor, course, record, permission)
