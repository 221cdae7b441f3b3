"""``s3video-admin cleanup|reconcile|retention <ini> [--dry-run]``, run as an operator runs them."""

import json
import os
import pathlib
import subprocess
import sys
import time

import pytest

from s3video_sidecar.services import parts_of
from tests.support.jobs import open_world, write_ini

ADMIN = str(pathlib.Path(sys.executable).with_name("s3video-admin"))


@pytest.fixture(scope="module")
def cli_world(backend, embedded_s3_url, signing_key_file, tmp_path_factory):
    with open_world(
        backend, "sqlite", embedded_s3_url, signing_key_file, tmp_path_factory.mktemp(f"cli-{backend}")
    ) as world:
        yield world


@pytest.fixture
def ini(cli_world, tmp_path):
    cli_world.reset()
    return write_ini(cli_world, tmp_path / "admin.ini")


def admin(*args):
    return subprocess.run([ADMIN, *args], capture_output=True, text=True, timeout=120)


def test_cleanup_dry_run_lists_and_changes_nothing_then_cleanup_purges(cli_world, ini):
    keys = cli_world.add_videos(3)

    dry = admin("cleanup", ini, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert all(key in dry.stdout for key in keys)
    assert "cleanup (dry run): would_delete 3" in dry.stdout
    assert cli_world.statuses() == {"deleting": 3} and cli_world.object_keys() == set(keys)

    done = admin("cleanup", ini)
    assert done.returncode == 0, done.stderr
    assert "cleanup: deleted 3" in done.stdout
    assert cli_world.statuses() == {"deleted": 3} and cli_world.object_keys() == set()
    assert [event.error_context.count('"dry_run": true') for event in cli_world.events("job_cleanup")] == [1, 0]


def test_reconcile_reports_unreferenced_objects(cli_world, ini):
    stray = "videos/4242/1700000000_0123456789abcdef/stray.mp4"
    cli_world.put_objects([stray])
    done = admin("reconcile", ini)
    assert done.returncode == 0, done.stderr
    assert stray in done.stdout and "unreferenced 1" in done.stdout
    assert stray in cli_world.object_keys()


def test_retention_is_off_unless_asked_and_lists_in_a_dry_run(cli_world, ini):
    off = admin("retention", ini)
    assert off.returncode == 0 and "retention is off" in off.stdout

    (key,) = cli_world.add_videos(1, status="ready", upload_timestamp=int(time.time()) - 40 * 86400)
    dry = admin("retention", ini, "--days", "30", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert key in dry.stdout and "would_schedule 1" in dry.stdout
    assert cli_world.statuses() == {"ready": 1}


def test_a_bad_setting_is_named(cli_world, tmp_path):
    bad = write_ini(cli_world, tmp_path / "bad.ini", **{"s3video.retention.days": "forever"})
    done = admin("retention", bad)
    assert done.returncode == 2 and "s3video.retention.days" in done.stderr


# -- the CLI's rough edges (issue 18.12) --------------------------------------------------


def test_cleanup_json_and_the_progress_total(cli_world, ini):
    from s3video_sidecar.scripts.jobs import expected_rows

    keys = cli_world.add_videos(4)
    settings = parts_of(cli_world.app.registry).settings
    assert expected_rows("cleanup", parts_of(cli_world.app.registry).session_factory, settings, int(time.time())) == 4
    done = admin("cleanup", ini, "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["counts"] == {"would_delete": 4} and {item["s3_key"] for item in report["items"]} == set(keys)


def test_cleanup_piped_into_head_ends_cleanly(cli_world, ini):
    cli_world.add_videos(1)
    done = subprocess.run(
        f"'{ADMIN}' cleanup '{ini}' --dry-run | head -c 1", shell=True, capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


def test_broken_pipe_is_a_quiet_exit():
    script = (
        "import sys\nfrom s3video_sidecar.scripts import run_command\n"
        "def chatty():\n    for _ in range(200000): print('x' * 80)\n"
        "sys.exit(run_command('s3video-admin', chatty))\n"
    )
    done = subprocess.run(
        f"'{sys.executable}' -c \"$SCRIPT\" | head -1",
        shell=True,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SCRIPT": script},
    )
    assert done.stdout == "x" * 80 + "\n" and done.stderr == ""


def test_audit_names_rows_without_objects_and_objects_without_rows(cli_world, ini):
    (key,) = cli_world.add_videos(1, status="ready", with_objects=False)
    stray = "videos/4243/1700000000_0123456789abcdef/stray.mp4"
    cli_world.put_objects([stray])
    done = admin("audit", ini)
    assert done.returncode == 1, done.stderr
    assert "lost: 1 rows" in done.stdout and key in done.stdout
    assert "orphans: 1 objects no row names" in done.stdout and stray in done.stdout
    report = json.loads(admin("audit", ini, "--json").stdout)
    assert report["lost"] == [key] and report["orphans"] == [stray] and report["ok"] is False


def test_videos_status_and_page_mistakes_are_explained(cli_world, ini):
    bad = admin("videos", ini, "--status", "readyy")
    assert bad.returncode == 2 and "unknown --status readyy; valid: " in bad.stderr and "ready" in bad.stderr
    past = admin("videos", ini, "--page", "99")
    assert past.returncode == 2 and "--page 99 is past the end" in past.stderr


def test_help_shows_no_raw_markup():
    for argv in (["--help"], ["cleanup", "--help"], ["doctor", "--help"], ["audit", "--help"]):
        done = admin(*argv)
        assert done.returncode == 0 and "``" not in done.stdout, argv
