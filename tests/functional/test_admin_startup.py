"""The commands start cleanly or say in one line why not: a missing ini, a database not at head,
a database that refuses connections; ``check --deploy`` refuses development settings."""

import json
import pathlib
import subprocess
import sys

import pytest

from s3video_sidecar.models.schema import head_revisions
from s3video_sidecar.scripts import admin
from tests.support.apps import free_port, make_settings
from tests.support.databases import migrate

ADMIN = str(pathlib.Path(sys.executable).with_name("s3video-admin"))
ROOT = pathlib.Path(__file__).parents[2]


def write_ini(path, settings: dict) -> str:
    lines = ["[app:main]", "use = egg:s3video-sidecar"]
    lines += [f"{name} = {str(value).replace('%', '%%')}" for name, value in settings.items()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@pytest.fixture
def settings(embedded_s3_url, signing_key_file, tmp_path):
    return make_settings(f"sqlite:///{tmp_path}/empty.sqlite", embedded_s3_url, signing_key_file)


@pytest.mark.parametrize("command", ["stats", "videos", "events", "cost", "cleanup", "reconcile", "check"])
def test_a_missing_ini_file_is_one_line(command, tmp_path, capsys):
    assert admin.main([command, str(tmp_path / "nope.ini")]) == 2
    err = capsys.readouterr().err
    assert (
        err == f"s3video-admin: {tmp_path / 'nope.ini'}: no such file (give the sidecar's ini file, e.g."
        " development.ini)\n"
    )


@pytest.mark.parametrize("revision", [None, "0001"])
def test_an_unmigrated_database_says_run_s3video_migrate(settings, tmp_path, revision):
    if revision:
        migrate(settings["sqlalchemy.url"], revision)
    ini = write_ini(tmp_path / "admin.ini", settings)
    done = subprocess.run([ADMIN, "stats", ini], capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("s3video-admin: schema not at head: run s3video-migrate")
    assert (revision or "none") in done.stderr and head_revisions()[0] in done.stderr


def test_a_refused_database_connection_names_host_port_and_cause(settings, tmp_path, capsys):
    port = free_port()
    settings["sqlalchemy.url"] = f"postgresql+psycopg://s3video:secret-pw@127.0.0.1:{port}/s3video"
    assert admin.main(["videos", write_ini(tmp_path / "admin.ini", settings)]) == 2
    err = capsys.readouterr().err
    assert err == f"s3video-admin: database (postgresql 127.0.0.1:{port}/s3video): connection refused\n"


def test_the_worker_says_the_same(settings, tmp_path):
    worker = str(pathlib.Path(sys.executable).with_name("s3video-worker"))
    done = subprocess.run(
        [worker, write_ini(tmp_path / "w.ini", settings)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 2 and "schema not at head: run s3video-migrate" in done.stderr
    assert "Traceback" not in done.stderr


def test_migrate_with_a_missing_ini_is_one_line(tmp_path):
    migrate_cli = str(pathlib.Path(sys.executable).with_name("s3video-migrate"))
    done = subprocess.run([migrate_cli, str(tmp_path / "nope.ini")], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "no such file" in done.stderr


# -- check --deploy ---------------------------------------------------------------------


def test_check_deploy_refuses_the_development_ini(capsys, monkeypatch):
    code = admin.main(["check", str(ROOT / "development.ini"), "--deploy", "--json"])
    problems = json.loads(capsys.readouterr().out)["problems"]
    errors = {p["setting"] for p in problems if p["level"] == "error"}
    assert code == 1
    assert {
        "s3video.development.demo",
        "s3video.storage",
        "s3video.s3_endpoint_url",
        "s3video.cdn",
        "s3video.hmac_keys",
        "sqlalchemy.url",
        "s3video.cloudfront.generate_key",
        "huey.url",
    } <= errors


def production_like(tmp_path, monkeypatch, **changes) -> str:
    key = tmp_path / "cloudfront.pem"
    from s3video_sidecar.sdk import cdn

    cdn.generate_private_key(key, "rsa")
    key.chmod(0o600)
    text = (ROOT / "production.ini").read_text().replace("/etc/s3video/cloudfront-private-key.pem", str(key))
    for old, new in changes.items():
        assert old in text
        text = text.replace(old, new)
    monkeypatch.setenv("S3VIDEO_DATABASE_URL", "postgresql+psycopg://s3video@db.example.edu/s3video")
    monkeypatch.setenv("S3VIDEO_HMAC_KEYS", "moodle1:" + "k" * 43)
    monkeypatch.setenv("S3VIDEO_REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("S3VIDEO_HUEY_URL", "redis://127.0.0.1:6379/1")
    path = tmp_path / "production.ini"
    path.write_text(text)
    return str(path)


def test_check_deploy_passes_the_production_ini(tmp_path, monkeypatch, capsys):
    ini = production_like(tmp_path, monkeypatch)
    assert admin.main(["check", ini, "--deploy"]) == 0, capsys.readouterr().out
    out = capsys.readouterr().out
    assert "0 error(s)" in out or "no problems" in out


@pytest.mark.parametrize(
    "change, setting",
    [
        (
            {"s3video.storage = aws": "s3video.storage = aws\ns3video.development.demo = true"},
            "s3video.development.demo",
        ),
        ({"s3video.cdn = cloudfront": "s3video.cdn = local"}, "s3video.cdn"),
        ({"s3video.moodle_origin = https://": "s3video.moodle_origin = http://"}, "s3video.moodle_origin"),
    ],
)
def test_check_deploy_refuses_one_development_setting(tmp_path, monkeypatch, capsys, change, setting):
    ini = production_like(tmp_path, monkeypatch, **change)
    assert admin.main(["check", ini, "--deploy", "--json"]) == 1
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert [p["setting"] for p in problems if p["level"] == "error"] == [setting]


def test_check_deploy_refuses_the_development_key_and_sqlite(tmp_path, monkeypatch, capsys):
    ini = production_like(tmp_path, monkeypatch)
    monkeypatch.setenv("S3VIDEO_HMAC_KEYS", "dev:development-secret-change-me")
    monkeypatch.setenv("S3VIDEO_DATABASE_URL", f"sqlite:///{tmp_path}/x.sqlite")
    assert admin.main(["check", ini, "--deploy"]) == 1
    out = capsys.readouterr().out
    assert "ERROR   s3video.hmac_keys: key dev is the development key" in out
    assert "ERROR   sqlalchemy.url: SQLite" in out


def test_check_deploy_refuses_a_key_file_others_can_read(tmp_path, monkeypatch, capsys):
    ini = production_like(tmp_path, monkeypatch)
    (tmp_path / "cloudfront.pem").chmod(0o644)
    assert admin.main(["check", ini, "--deploy"]) == 1
    assert "chmod 600" in capsys.readouterr().out
