"""A player renewing the URL of a video it already shows (``?renew=true``) is not a new view:
the dashboard's views count first plays only, whatever a player's recoveries cost."""

import pytest

from tests.functional.test_api import actor, events, sub_path, upload_and_confirm


def teacher(ids):
    return actor(ids.teacher, "grader", course=ids.course)


def test_a_renewal_is_logged_but_not_counted_as_a_view(api, registry, ids):
    upload_and_confirm(api, ids)
    admin = actor(ids.admin, "admin", course=ids.course)
    views_before = api.get("/admin/stats", as_actor=admin).json["today"]["views"]

    first = api.get(sub_path(ids, suffix="/playback-url"), as_actor=teacher(ids)).json
    renewed = api.get(sub_path(ids, suffix="/playback-url"), query="renew=true", as_actor=teacher(ids)).json
    plain = api.get(sub_path(ids, suffix="/playback-url"), query="renew=false", as_actor=teacher(ids)).json
    assert first["url"] and renewed["url"] and plain["url"]

    assert len(events(registry, event_type="playback_url_issued", assignment_id=ids.assignment)) == 2
    assert len(events(registry, event_type="playback_url_renewed", assignment_id=ids.assignment)) == 1
    assert api.get("/admin/stats", as_actor=admin).json["today"]["views"] == views_before + 2


@pytest.mark.parametrize(
    "query, field",
    [("renew=yes", "renew"), ("renew=", "renew"), ("renew=true&renew=true", "renew"), ("other=1", "query")],
)
def test_a_bad_renew_parameter_is_refused(api, registry, ids, query, field):
    upload_and_confirm(api, ids)
    answer = api.get(sub_path(ids, suffix="/playback-url"), query=query, as_actor=teacher(ids), status=400)
    assert field in answer.json["fields"]
    assert events(registry, event_type="playback_url_issued", assignment_id=ids.assignment) == []
