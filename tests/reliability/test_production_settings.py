"""``production.ini`` itself builds a working app (the benchmarks run it; so do admins).

Its settings, with only AWS and the secrets stood in for (``bench.processes``): CloudFront
signing, Redis for nonces, rate limits and jobs, the ``aws`` storage code path. The app
once failed to start with ``s3video.cdn = cloudfront`` (the local edge's view was
registered without its route); this keeps that from coming back.
"""

from __future__ import annotations

import webtest

from bench import processes
from s3video_sidecar.sdk import cdn
from tests.reliability import flows
from tests.support.signed_app import SignedApp


def test_production_ini_serves_the_whole_flow(
    reliable_app, reliability_database_url, embedded_s3_url, redis_server, tmp_path, ids, monkeypatch
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
        **{"s3video.bucket": "s3video-reliability"},
    )
    app = webtest.TestApp(main({}, **settings))
    assert app.get("/health").json["storage"] == "ok"
    api = SignedApp(app, key_id=processes.KEY_ID, secret=processes.SECRET)
    upload = flows.confirmed(api, ids)
    playback = api.get(flows.sub_path(ids, "/playback-url"), as_actor=flows.student(ids)).json
    assert playback["url"].startswith(f"https://{settings['s3video.cloudfront.domain']}/{upload['s3_key']}?")
    assert "Hash-Algorithm=SHA256" in playback["url"]
    assert app.get("/edge/x", expect_errors=True).status_int == 404  # no local edge in production
