import re

import pytest

from s3video_sidecar.settings import SettingsError, parse_settings

BASE = {
    "sqlalchemy.url": "sqlite://",
    "s3video.hmac_keys": "dev:0123456789abcdef0123",
    "s3video.storage": "embedded",
    "s3video.bucket": "s3video-dev",
    "s3video.s3_endpoint_url": "http://127.0.0.1:6544",
    "s3video.cdn": "local",
    "s3video.cloudfront.key_id": "LOCAL",
    "s3video.cloudfront.private_key_file": "/tmp/key.pem",
}


def test_defaults_and_types():
    settings = parse_settings(BASE)
    assert settings.max_upload_bytes == 5 * 1024**3
    assert settings.multipart_threshold_bytes == 5 * 1024**3
    assert settings.upload_expiry_seconds == 3600
    assert "video/mp4" in settings.allowed_mime_types
    assert settings.hmac_keys == {"dev": "0123456789abcdef0123"}
    assert "0123456789abcdef0123" not in repr(settings)  # secrets stay out of logs
    assert settings.pool_options == {}  # SQLAlchemy's own pool defaults


def test_pool_settings_reach_the_engine():
    from s3video_sidecar.models import get_engine

    settings = parse_settings(
        dict(
            BASE,
            **{
                "sqlalchemy.url": "sqlite:////tmp/s3v-pool.sqlite",
                "sqlalchemy.pool_size": "16",
                "sqlalchemy.max_overflow": "4",
            },
        )
    )
    engine = get_engine(settings.sqlalchemy_url, **settings.pool_options)
    assert (engine.pool.size(), engine.pool._max_overflow) == (16, 4)


@pytest.mark.parametrize(
    "name, value",
    [
        ("s3video.storage", "s3"),
        ("s3video.bucket", "A"),
        ("s3video.max_upload_bytes", "lots"),
        ("s3video.upload_expiry_seconds", "5"),
        ("s3video.cdn", "akamai"),
        ("s3video.hmac_keys", "nocolon"),
        ("s3video.allowed_mime_types", "mp4"),
        ("s3video.allowed_mime_types", "video/mp4 video/x-msvideo"),  # no container check for AVI: refused
        ("s3video.multipart_threshold_bytes", str(5 * 1024**3 + 1)),  # over one CopyObject's 5 GiB
        ("s3video.cloudfront.hash_algorithm", "md5"),
        ("sqlalchemy.pool_size", "0"),
        ("s3video.playback_url_window_seconds", "7200"),
        ("sqlalchemy.max_overflow", "many"),
    ],
)
def test_a_bad_setting_is_named(name, value):
    with pytest.raises(SettingsError, match=name.replace(".", r"\.")):
        parse_settings(dict(BASE, **{name: value}))


@pytest.mark.parametrize(
    "name",
    [
        "s3video.storage",
        "s3video.bucket",
        "s3video.cdn",
        "s3video.hmac_keys",
        "sqlalchemy.url",
        "s3video.cloudfront.key_id",
    ],
)
def test_a_missing_setting_is_named(name):
    settings = dict(BASE)
    del settings[name]
    with pytest.raises(SettingsError, match=name.replace(".", r"\.")):
        parse_settings(settings)


def test_cloudfront_needs_a_domain():
    with pytest.raises(SettingsError, match=r"cloudfront\.domain"):
        parse_settings(dict(BASE, **{"s3video.cdn": "cloudfront"}))


def test_secrets_from_environment_and_files(monkeypatch, tmp_path):
    monkeypatch.setenv("KEYS", "prod:from-the-environment-123")
    secret_file = tmp_path / "db"
    secret_file.write_text("sqlite:///from-file.sqlite\n")
    settings = parse_settings(dict(BASE, **{"s3video.hmac_keys": "env:KEYS", "sqlalchemy.url": f"file:{secret_file}"}))
    assert settings.hmac_keys == {"prod": "from-the-environment-123"}
    assert settings.sqlalchemy_url == "sqlite:///from-file.sqlite"


def test_missing_secret_sources_are_named(monkeypatch):
    monkeypatch.delenv("NOPE", raising=False)
    with pytest.raises(SettingsError, match="NOPE"):
        parse_settings(dict(BASE, **{"s3video.hmac_keys": "env:NOPE"}))
    with pytest.raises(SettingsError, match="cannot read"):
        parse_settings(dict(BASE, **{"sqlalchemy.url": "file:/nonexistent/secret"}))


def test_shipped_ini_files_parse(monkeypatch):
    from pyramid.paster import get_appsettings

    monkeypatch.setenv("S3VIDEO_DATABASE_URL", "postgresql+psycopg://s3video@db/s3video")
    monkeypatch.setenv("S3VIDEO_HMAC_KEYS", "moodle:0123456789abcdef0123")
    monkeypatch.setenv("S3VIDEO_REDIS_URL", "redis://cache:6379/0")
    monkeypatch.setenv("S3VIDEO_HUEY_URL", "redis://cache:6379/1")
    for ini in ("development.ini", "production.ini"):
        settings = parse_settings(dict(get_appsettings(ini)))
        assert settings.bucket


@pytest.mark.parametrize(
    "typo, closest",
    [
        ("s3video.delete_grace_second", "s3video.delete_grace_seconds"),
        ("s3video.max_upload_byte", "s3video.max_upload_bytes"),
        ("huey.worker", "huey.workers"),
        ("sqlalchemy.pool_sise", "sqlalchemy.pool_size"),
        ("s3video.cost.s3_storage_usd_per_gb_mont", "s3video.cost.s3_storage_usd_per_gb_month"),
    ],
)
def test_an_unknown_setting_is_refused_naming_the_closest(typo, closest):
    message = rf"{re.escape(typo)}: unknown setting; did you mean {re.escape(closest)}\?"
    with pytest.raises(SettingsError, match=message):
        parse_settings(dict(BASE, **{typo: "604800"}))


def test_an_unknown_setting_far_from_any_is_refused_too():
    with pytest.raises(SettingsError, match=r"s3video\.zzz: unknown setting; see the settings in README\.md"):
        parse_settings(dict(BASE, **{"s3video.zzz": "1"}))


def test_keys_the_sidecar_does_not_own_pass():
    settings = parse_settings(
        dict(BASE, **{"pyramid.reload_templates": "false", "retry.attempts": "3", "tm.annotate_user": "false"})
    )
    assert settings.storage == "embedded"


def test_known_names_follow_the_declarations():
    import dataclasses

    from s3video_sidecar.sdk.cost import SETTING_NAMES, CostModel
    from s3video_sidecar.settings import Settings, ini_name, known_names

    # every declared field is known by its ini name, the cost model's included, and nothing else
    declared = {ini_name(f.name) for f in dataclasses.fields(Settings) if f.name != "cost"}
    assert known_names() == declared | set(SETTING_NAMES)
    assert len(SETTING_NAMES) == len(dataclasses.fields(CostModel))
    assert {
        "s3video.delete_grace_seconds",
        "s3video.hmac_keys",
        "sqlalchemy.url",
        "huey.url",
        "s3video.moodle_origin",
        "s3video.rate_limit.confirm",
    } <= known_names()


@pytest.mark.parametrize(
    "name", ["huey.immediate", "s3video.development.demo", "s3video.cost.free_tier", "s3video.cost.s3_free_tier"]
)
def test_one_boolean_rule_for_every_setting(name):
    def parsed(value):
        settings = parse_settings(dict(BASE, **{name: value}))
        return (
            settings.cost.free_tier
            if name == "s3video.cost.free_tier"
            else (
                settings.cost.s3_free_tier
                if name == "s3video.cost.s3_free_tier"
                else {"huey.immediate": settings.huey_immediate, "s3video.development.demo": settings.demo}[name]
            )
        )

    assert [parsed(word) for word in ("true", "1", "yes", "on", "ON")] == [True] * 5
    assert [parsed(word) for word in ("false", "0", "no", "off", "Off")] == [False] * 5
    with pytest.raises(SettingsError, match=rf"{re.escape(name)}: .*maybe"):
        parse_settings(dict(BASE, **{name: "maybe"}))


def test_the_cost_settings_are_parsed_with_the_others():
    settings = parse_settings(dict(BASE, **{"s3video.cost.cloudfront_transfer_usd_per_gb": "0.110"}))
    assert str(settings.cost.cloudfront_transfer_usd_per_gb) == "0.110"
    with pytest.raises(SettingsError, match=r"s3video\.cost\.requests_per_view: "):
        parse_settings(dict(BASE, **{"s3video.cost.requests_per_view": "-1"}))


def test_the_settings_reference_is_generated_from_the_declarations():
    import pathlib

    from s3video_sidecar.settings import known_names, settings_reference

    reference = settings_reference()
    assert (pathlib.Path(__file__).parents[2] / "docs" / "settings.md").read_text() == reference, (
        "docs/settings.md is stale: python -m s3video_sidecar.settings > docs/settings.md"
    )
    assert all(f"| `{name}` |" in reference for name in known_names())


@pytest.mark.parametrize("ini", ["development.ini", "production.ini"])
def test_the_shipped_ini_files_use_only_known_names(ini):
    import configparser
    import pathlib

    from s3video_sidecar.settings import OWNED_PREFIXES, known_names

    parser = configparser.ConfigParser(interpolation=None)
    parser.read(pathlib.Path(__file__).parents[2] / ini)
    owned = [name for name in parser["app:main"] if name.startswith(OWNED_PREFIXES)]
    assert owned and set(owned) <= known_names()


def test_the_stand_in_address_derives_from_the_apps_port():
    settings = dict(BASE)
    del settings["s3video.s3_endpoint_url"]
    assert parse_settings(settings).s3_endpoint_url == "http://127.0.0.1:6544"  # the edge's default port + 1
    settings["s3video.local_edge.base_url"] = "http://localhost:7000/edge"
    assert parse_settings(settings).s3_endpoint_url == "http://127.0.0.1:7001"
    settings["s3video.s3_endpoint_url"] = "http://127.0.0.1:9999"  # given: used as given
    assert parse_settings(settings).s3_endpoint_url == "http://127.0.0.1:9999"


@pytest.mark.parametrize("port", [None, "7000"])
def test_development_ini_moves_every_port_with_one_setting(port, tmp_path):
    import pathlib

    from pyramid.paster import get_appsettings

    text = (pathlib.Path(__file__).parents[2] / "development.ini").read_text()
    if port:
        assert text.count("http_port = 6543\n") == 1
        text = text.replace("http_port = 6543\n", f"http_port = {port}\n")
    ini = tmp_path / "development.ini"
    ini.write_text(text)
    settings = parse_settings(dict(get_appsettings(str(ini))))
    app_port = int(port or 6543)
    assert settings.local_edge_base_url == f"http://localhost:{app_port}/edge"
    assert settings.s3_endpoint_url == f"http://127.0.0.1:{app_port + 1}"
    assert settings.moodle_origins == (f"http://localhost:{app_port}", f"http://127.0.0.1:{app_port}")
