"""``s3video-admin stats|videos|events|cost``: readable tables (and JSON) from the ini's database."""

import json

import pytest

from s3video_sidecar.scripts import admin, events
from tests.functional.test_api import MP4, request_upload, student, sub_path, upload_and_confirm


def write_ini(path, settings):
    lines = ["[app:main]", "use = egg:s3video-sidecar"]
    lines += [f"{name} = {str(value).replace('%', '%%')}" for name, value in settings.items()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.fixture
def ini(app_settings, tmp_path):
    return write_ini(tmp_path / "sidecar.ini", app_settings)


@pytest.fixture
def activity(api, ids):
    """A confirmed video, a view and a refused upload for fresh ids."""
    upload = upload_and_confirm(api, ids)
    api.get(sub_path(ids, suffix="/playback-url"), as_actor=student(ids))
    assert request_upload(api, ids, size=10**9).status_int == 413
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
    assert "too_large" in out and "Estimated bill for" in out and "total" in out

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


def test_events_tails_filters_and_follows(ini, activity, ids, api, capsys, monkeypatch):
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
    monkeypatch.setattr(events.time, "sleep", lambda _: api.get(sub_path(ids, suffix="/playback-url"),
                                                                  as_actor=student(ids)))
    args = admin.build_parser().parse_args(["events", ini, "--user", str(ids.student), "-n", "1", "--follow"])
    assert events.run(args, polls=1) == 0
    followed = capsys.readouterr().out.splitlines()
    assert "request_refused" in followed[2] and "playback_url_issued" in followed[3] and len(followed) == 4


def test_cost_prints_the_months_bill(ini, activity, capsys):
    code, out = run(capsys, "cost", ini)
    assert code == 0
    assert out.startswith("Month ") and "transfer out" in out and "CloudFront transfer out" in out
    assert out.splitlines()[-1].split()[0] == "total"
    code, out = run(capsys, "cost", ini, "--month", "2000-02", "--json")
    cost = json.loads(out)
    assert cost["usage"]["month"] == "2000-02" and cost["usage"]["views"] == 0 and cost["usage"]["days_in_month"] == 29
    assert run(capsys, "cost", ini, "--month", "2000-13")[0] == 2


def test_a_bad_cost_setting_is_named(app_settings, tmp_path, capsys):
    ini = write_ini(tmp_path / "bad.ini", dict(app_settings, **{"s3video.cost.s3_storage_usd_per_gb_month": "cheap"}))
    assert admin.main(["cost", ini]) == 2
    assert "s3video.cost.s3_storage_usd_per_gb_month" in capsys.readouterr().err
