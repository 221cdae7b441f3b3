"""Several web processes share what a signed call needs (docs/deployment.md, "Several web processes").

Two apps built from ``production.ini``'s settings are two processes' worth of state (each its own
registry, engine and store clients): a nonce claimed through one is refused by the other, and a
student's rate limit is one count across both, with the Redis stores production uses and with
the database stores.
"""

from __future__ import annotations

import pytest
import webtest

from bench import processes
from s3video_sidecar.sdk import cdn
from tests.reliability import flows
from tests.support.signed_app import SignedApp


@pytest.fixture(params=["redis", "database"])
def two_processes(
    request, reliable_app, reliability_database_url, embedded_s3_url, redis_server, tmp_path, monkeypatch
):
    from s3video_sidecar.app import main

    for name, value in processes.STANDIN_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    key_file = tmp_path / "cloudfront.pem"
    cdn.generate_private_key(key_file, "rsa")
    settings = processes.production_settings(
        database_url=reliability_database_url,
        redis_url=redis_server.url,
        s3_url=embedded_s3_url,
        key_file=str(key_file),
        **{
            "s3video.bucket": "s3video-reliability",
            "s3video.nonce_store": request.param,
            "s3video.rate_limit.store": request.param,
            "s3video.rate_limit.upload_url": "2/600",
        },
    )
    return [
        SignedApp(webtest.TestApp(main({}, **settings)), key_id=processes.KEY_ID, secret=processes.SECRET)
        for _ in range(2)
    ]


def test_a_nonce_claimed_in_one_process_is_refused_by_the_other(two_processes, ids):
    first, second = two_processes
    nonce = f"scale-out-{ids.submission}"
    assert first.get(flows.sub_path(ids), as_actor=flows.student(ids), nonce=nonce).status_int == 404
    again = second.get(flows.sub_path(ids), as_actor=flows.student(ids), nonce=nonce)
    assert again.status_int == 401 and again.json["code"] == "replayed_nonce"


def test_a_students_rate_limit_is_one_count_across_processes(two_processes, ids):
    first, second = two_processes
    body = {"filename": "talk.mp4", "size": len(flows.MP4), "mime_type": "video/mp4"}
    path = flows.sub_path(ids, "/upload-url")
    assert first.post(path, body, as_actor=flows.student(ids)).status_int == 201
    assert second.post(path, body, as_actor=flows.student(ids)).status_int == 201
    refused = first.post(path, body, as_actor=flows.student(ids))
    assert refused.status_int == 429 and refused.json["code"] == "rate_limited"
    assert second.post(path, body, as_actor=flows.student(ids)).status_int == 429


def test_each_web_process_listens_on_the_port_its_unit_gives(monkeypatch):
    """deploy/systemd/s3video-web@.service runs ``pserve production.ini http_port=%i``."""
    import plaster
    import waitress

    listened = []
    monkeypatch.setattr(waitress, "serve_paste", lambda app, global_config, **settings: listened.append(settings))
    loader = plaster.get_loader(str(processes.PRODUCTION_INI), protocols=["wsgi"])
    for port in ("6543", "6544"):
        loader.get_wsgi_server("main", defaults={"http_port": port})(None)
    assert [settings["listen"] for settings in listened] == ["127.0.0.1:6543", "127.0.0.1:6544"]
    unit = (processes.REPO / "deploy" / "systemd" / "s3video-web@.service").read_text()
    assert "pserve /etc/s3video/production.ini http_port=%i" in unit
