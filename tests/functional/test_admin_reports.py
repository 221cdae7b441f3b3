"""``s3video-admin stats|videos|events|cost``: readable tables (and JSON) from the ini's database.

The CLI opens the ini's database itself: the activity it reports is made through ``committed_api``.
"""

import json

import pytest

from s3video_sidecar.scripts import admin, events
from tests.functional.test_api import request_upload, student, sub_path, upload_and_confirm

pytestmark = pytest.mark.committed


def write_ini(path, settings):
    lines = ["[app:main]", "use = egg:s3video-sidecar"]
    lines += [f"{name} = {str(value).replace('%', '%%')}" for name, value in settings.items()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.fixture
def ini(app_settings, tmp_path):
    return write_ini(tmp_path / "sidecar.ini", app_settings)


@pytest.fixture
def activity(committed_api, ids):
    """A confirmed video, a view and a refused upload for fresh ids."""
    upload = upload_and_confirm(committed_api, ids)
    committed_api.get(sub_path(ids, suffix="/playback-url"), as_actor=student(ids))
    assert request_upload(committed_api, ids, size=10**9).status_int == 413
    return upload


def run(capsys, *argv):
    code = admin.main(list(argv))
    return code, capsys.readouterr().out


def test_stats_prints_the_figures(ini, activity, capsys):
    code, out = run(capsys, "stats", ini, "--days", "3")
    assert code == 0
    assert out.startswith("Videos: ") and "Storage: " in out
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("date"))
    assert header.split() == ["date", "uploads", "views", "viewed", "storage"]
    assert "too_large" in out and "Projected bill for the whole of" in out and "total" in out

    code, out = run(capsys, "stats", ini, "--json")
    stats = json.loads(out)
    assert code == 0 and stats["days"] == 14 and stats["today"]["uploads"] >= 1 and stats["cost"]["total_usd"]
    assert run(capsys, "stats", ini, "--days", "0")[0] == 2


def test_videos_lists_and_filters(ini, activity, ids, capsys):
    code, out = run(capsys, "videos", ini, "--course", str(ids.course), "--status", "ready", "--from", "2000-01-01")
    assert code == 0
    rows = [line for line in out.splitlines() if line.split()[:1] and line.split()[0].isdigit()]
    assert len(rows) == 1 and "ready*" in rows[0] and f" {ids.student} " in rows[0] and "talk.mp4" in rows[0]
    assert "page 1 of 1, 1 videos" in out

    code, out = run(capsys, "videos", ini, "--user", str(ids.student), "--json")
    assert [v["s3_key"] for v in json.loads(out)["videos"]] == [activity["s3_key"]]
    assert "page 1 of 1, 0 videos" in run(capsys, "videos", ini, "--course", str(ids.course), "--max-size", "10")[1]
    assert run(capsys, "videos", ini, "--status", "lost")[0] == 2


def test_videos_refuses_a_bad_date(ini, capsys):
    with pytest.raises(SystemExit) as exit_:
        admin.main(["videos", ini, "--from", "last week"])
    assert exit_.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_events_tails_filters_and_follows(ini, activity, ids, committed_api, capsys, monkeypatch):
    code, out = run(capsys, "events", ini, "--user", str(ids.student))
    assert code == 0
    kinds = [line.split()[3] for line in out.splitlines()[2:]]  # id, date, time, type
    assert kinds == ["upload_requested", "upload_confirmed", "playback_url_issued", "request_refused"]  # oldest first
    assert "too_large" in out

    code, out = run(capsys, "events", ini, "--user", str(ids.student), "--errors-only", "--json")
    assert [e["error_code"] for e in json.loads(out)] == ["too_large"]
    code, out = run(capsys, "events", ini, "--user", str(ids.student), "-n", "1")
    assert len(out.splitlines()) == 3 and "request_refused" in out

    # --follow prints what arrives after the tail.
    monkeypatch.setattr(
        events.time, "sleep", lambda _: committed_api.get(sub_path(ids, suffix="/playback-url"), as_actor=student(ids))
    )
    args = admin.build_parser().parse_args(["events", ini, "--user", str(ids.student), "-n", "1", "--follow"])
    assert events.run(args, polls=1) == 0
    followed = capsys.readouterr().out.splitlines()
    assert "request_refused" in followed[2] and "playback_url_issued" in followed[3] and len(followed) == 4


def test_cost_prints_the_months_bill(ini, activity, capsys):
    code, out = run(capsys, "cost", ini)
    assert code == 0
    assert out.startswith("Month ") and "transfer out" in out and "CloudFront transfer out" in out
    assert [line for line in out.splitlines() if line.startswith("total")]
    assert "so far and projected to the month's end" in out.splitlines()[0]
    assert "Projected bill for the whole of" in out
    code, out = run(capsys, "cost", ini, "--month", "2000-02", "--json")
    cost = json.loads(out)
    assert cost["usage"]["month"] == "2000-02" and cost["usage"]["views"] == 0 and cost["usage"]["days_in_month"] == 29
    assert run(capsys, "cost", ini, "--month", "2000-13")[0] == 2


def test_a_month_before_any_upload_bills_nothing(ini, activity, capsys):
    code, out = run(capsys, "cost", ini, "--month", "2000-02", "--json")
    cost = json.loads(out)
    assert code == 0 and cost["usage"]["complete"] is True and cost["usage"]["days_elapsed"] == 29
    assert cost["usage"]["storage_bytes"] == 0 and cost["usage"]["projected_views"] == 0
    assert cost["total_usd"] == "0.00" and all(item["quantity"] == 0 for item in cost["items"])
    code, out = run(capsys, "cost", ini, "--month", "2000-02")
    assert out.startswith("Month 2000-02 (complete, 29 days, UTC): measured")
    assert "Bill for 2000-02 (from the measured usage" in out and "projected" not in out.lower()


def test_a_month_that_has_not_begun_is_refused(ini, capsys):
    assert admin.main(["cost", ini, "--month", "2999-01"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("s3video-admin cost: 2999-01 has not begun")


def test_units_are_plural_when_they_should_be(ini, activity, capsys):
    from s3video_sidecar.sdk.cost import units

    assert (units("request", 1), units("request", 1320), units("path", 0), units("GB", 3)) == (
        "request",
        "requests",
        "paths",
        "GB",
    )
    _code, out = run(capsys, "cost", ini)
    assert " request\n" not in out and " requests" in out


def test_refusals_are_found_by_assignment_and_submission(ini, committed_api, ids, capsys):
    """403, 404 and 429 refusals carry the ids their path names."""
    from tests.support.signed_app import actor

    stranger = actor(ids.other_student, "student", course=ids.other_course)
    upload_and_confirm(committed_api, ids)
    assert committed_api.get(sub_path(ids), as_actor=stranger).status_int in (403, 404)
    assert (
        committed_api.get(
            f"/assignments/{ids.assignment}/submissions/{ids.other_submission}/playback-url", as_actor=student(ids)
        ).status_int
        == 404
    )
    code, out = run(capsys, "events", ini, "--assignment", str(ids.assignment), "--errors-only", "--json")
    refusals = json.loads(out)
    assert code == 0 and len(refusals) == 2
    assert {e["submission_id"] for e in refusals} == {ids.submission, ids.other_submission}
    assert all(e["assignment_id"] == ids.assignment for e in refusals)


def test_an_unknown_event_type_is_refused_listing_the_valid_ones(ini, capsys):
    assert admin.main(["events", ini, "--type", "nonsense"]) == 2
    err = capsys.readouterr().err
    assert "unknown --type nonsense; valid types: " in err and "upload_confirmed" in err
    assert admin.main(["events", ini, "--type", "upload_confirmed,job_cleanup"]) == 0
