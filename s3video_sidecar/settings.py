"""The sidecar's settings: parsed once at start-up, validated, typed.

Rules of this module:

- Each setting is declared once, as a field of :class:`Settings` (``sdk/ini.py``'s
  :func:`~s3video_sidecar.sdk.ini.setting`: its ini name, type, bounds, default and help);
  the schema, the parsing, the unknown-setting check, ``s3video-admin check`` and
  ``docs/settings.md`` all derive from those declarations, the cost model's prices
  (``sdk/cost.py``) included, with the same rules.
- Names are those of ARCHITECTURE.md ("Settings admins rely on"); every other name
  lives under ``s3video.``. A missing or bad value raises :class:`SettingsError`
  naming the setting, so start-up stops with a clear message instead of a
  ``KeyError`` at the first request.
- Secrets never sit in the ini text in production: any value may be written as
  ``env:NAME`` (read from the environment) or ``file:/path`` (read from a file,
  trailing newline stripped). :func:`resolve_secret` is the one place that reads them.
- The web app, the worker, the admin CLI and the notebooks all build their
  :class:`Settings` with :func:`parse_settings`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

import colander

from .sdk import containers, signing
from .sdk import ini as _ini
from .sdk.cdn import HASH_ALGORITHMS
from .sdk.cost import CostModel
from .sdk.ini import Bool, SettingsError, resolve_secret, setting, settings_of

__all__ = ["RateLimit", "Settings", "SettingsError", "ini_name", "known_names", "parse_settings", "resolve_secret"]

GIB = 1024**3
MIB = 1024**2
# One S3 POST/PUT carries at most 5 GB, and so does the one CopyObject confirm makes of a POST
# upload: the multipart threshold (the largest POST upload) can never exceed it.
SINGLE_PUT_LIMIT_BYTES = 5 * GIB
DAY = 24 * 3600


def _words(text: str) -> tuple[str, ...]:
    return tuple(word for word in (text or "").replace(",", " ").split() if word)


class RateLimit(NamedTuple):
    """At most ``limit`` calls per user in each window of ``window_seconds``."""

    limit: int
    window_seconds: int


# Actions that are rate-limited per user, and their defaults ("calls/seconds", or "off").
RATE_LIMITED_ACTIONS = {"upload_url": "10/60", "confirm": "20/60", "playback_url": "120/60", "posters": "60/60"}


def _rate_limit_validator(node, value):
    if value.strip().lower() != "off" and not re.fullmatch(r"\s*[1-9][0-9]{0,6}\s*/\s*[1-9][0-9]{0,6}\s*", value):
        raise colander.Invalid(node, 'give "calls/seconds", e.g. 10/60, or "off"')


def _parse_rate_limit(value: str) -> RateLimit | None:
    if value.strip().lower() == "off":
        return None
    limit, window = value.split("/")
    return RateLimit(int(limit), int(window))


def _rate_limit(action: str, help: str):
    return setting(
        f"s3video.rate_limit.{action}",
        default=RATE_LIMITED_ACTIONS[action],
        validator=_rate_limit_validator,
        convert=_parse_rate_limit,
        help=help,
    )


def _mime_types(text: str) -> tuple[str, ...]:
    mime_types = _words(text)
    if not mime_types or not all("/" in m for m in mime_types):
        raise ValueError("give MIME types such as video/mp4")
    uncheckable = [m for m in mime_types if m not in containers.FAMILIES]
    if uncheckable:  # confirm checks every upload's container signature: a type it cannot check is refused
        raise ValueError(
            f"no container check for {', '.join(uncheckable)}; choose among {', '.join(containers.FAMILIES)}"
        )
    return mime_types


def _int(low: int, high: int, default=None, **options):
    return setting(type=colander.Int, default=default, validator=colander.Range(low, high), **options)


def _regex(pattern: str, message: str):
    return colander.Regex(pattern, message)


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Every setting of the ``[app:main]`` section (``s3video.<field>`` unless named otherwise)."""

    INI_PREFIX: ClassVar[str] = "s3video."

    sqlalchemy_url: str = setting(
        "sqlalchemy.url",
        default=None,
        secret=True,
        shown_default="—",
        help="the database: SQLite, PostgreSQL (`postgresql+psycopg://`), MariaDB/MySQL (`mysql+pymysql://`)",
    )
    hmac_keys: dict[str, str] = setting(
        default="",
        secret=True,
        convert=lambda text: signing.parse_keys(text),
        shown_default="—",
        help="whitespace-separated `id:secret` pairs (secrets of 16+ characters)",
    )
    storage: str = setting(
        validator=colander.OneOf(["embedded", "aws"]),
        help="`embedded` (loopback stand-in started with the app) or `aws`",
    )
    bucket: str = setting(
        validator=_regex(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", "not a valid S3 bucket name"),
        help="the bucket where videos live",
    )
    region: str = setting(default="us-east-1", help="the bucket's region")
    s3_endpoint_url: str | None = setting(
        default=None,
        validator=colander.url,
        shown_default="none (with `embedded`: 127.0.0.1, the local edge's port + 1)",
        help="S3-compatible endpoint; with `embedded`, where the stand-in listens",
    )
    embedded_data_dir: str | None = setting(
        "s3video.embedded.data_dir",
        default=None,
        shown_default="a temporary directory",
        help="with `embedded`: where the stand-in keeps its objects",
    )
    max_upload_bytes: int = _int(
        1, 5 * 1024**4, 5 * GIB, shown_default="5 GiB", help="largest video; may exceed 5 GB (multipart)"
    )
    multipart_threshold_bytes: int = _int(
        5 * MIB,
        SINGLE_PUT_LIMIT_BYTES,
        shown_default="min(max, 5 GiB)",
        help="above this size clients use multipart; at most 5 GiB (one CopyObject)",
    )
    multipart_part_size_bytes: int = _int(
        5 * MIB,
        SINGLE_PUT_LIMIT_BYTES,
        16 * MIB,
        shown_default="16 MiB",
        help="preferred part size (raised so the maximum fits in 10,000 parts)",
    )
    multipart_expiry_seconds: int = _int(3600, 30 * DAY, 2 * DAY, help="how long a multipart upload may stay open")
    allowed_mime_types: tuple[str, ...] = setting(
        default="video/mp4 video/webm video/quicktime video/x-matroska video/ogg",
        convert=_mime_types,
        help="checked by the API, the POST policy and confirm (with the container signature)",
    )
    upload_expiry_seconds: int = _int(60, 7 * DAY, 3600, help="presigned POST / part URL lifetime")
    playback_expiry_seconds: int = _int(60, 7 * DAY, 6 * 3600, help="signed playback URL lifetime")
    playback_url_window_seconds: int = _int(
        0,
        3600,
        60,
        help="playback URLs' expiry is rounded up to this window, so the URLs of one window are signed once (0: exact)",
    )
    delete_grace_seconds: int = _int(0, 365 * DAY, 0, help="how long a deleted video stays restorable")
    draft_expiry_seconds: int = _int(
        60,
        366 * DAY,
        7 * DAY,
        help="a draft (confirmed, never made current) older than this goes with the next cleanup",
    )
    cdn: str = setting(
        validator=colander.OneOf(["local", "cloudfront"]), help="`local` (built-in edge) or `cloudfront`"
    )
    cloudfront_domain: str | None = setting(
        "s3video.cloudfront.domain", default=None, help="the distribution's domain (required with `cloudfront`)"
    )
    cloudfront_key_id: str = setting(
        "s3video.cloudfront.key_id",
        validator=_regex(r"^[A-Za-z0-9_-]{1,128}$", "not a key id"),
        help="the CloudFront public key's id (in a trusted key group)",
    )
    cloudfront_private_key_file: str = setting(
        "s3video.cloudfront.private_key_file", help="PEM private key: RSA-2048 or ECDSA P-256"
    )
    cloudfront_hash_algorithm: str = setting(
        "s3video.cloudfront.hash_algorithm",
        default="sha1",
        validator=colander.OneOf(sorted(HASH_ALGORITHMS)),
        help="`sha1` (RSA) or `sha256` (RSA or ECDSA)",
    )
    cloudfront_generate_key: bool = setting(
        "s3video.cloudfront.generate_key", Bool, False, help="development: create the key pair if the file is missing"
    )
    local_edge_base_url: str = setting(
        "s3video.local_edge.base_url",
        default="http://localhost:6543/edge",
        validator=colander.url,
        help="where the local edge is reached",
    )
    moodle_origins: tuple[str, ...] = setting(
        "s3video.moodle_origin", default="", convert=_words, help="the Moodle site's origin(s), for CORS"
    )
    nonce_store: str = setting(
        default="database",
        validator=colander.OneOf(["database", "redis"]),
        help="where used request nonces are kept (replay protection)",
    )
    redis_url: str | None = setting(default=None, secret=True, help="Redis, for the stores set to `redis`")
    rate_limit_store: str = setting(
        "s3video.rate_limit.store",
        default="database",
        validator=colander.OneOf(["database", "redis"]),
        help="where the rate limits' counters are kept",
    )
    rate_limit_upload_url: RateLimit | None = _rate_limit(
        "upload_url", "upload URLs (and multipart starts) per user: `calls/seconds` or `off`"
    )
    rate_limit_confirm: RateLimit | None = _rate_limit("confirm", "confirms and multipart completes per user")
    rate_limit_playback_url: RateLimit | None = _rate_limit("playback_url", "playback URLs per user")
    rate_limit_posters: RateLimit | None = _rate_limit(
        "posters", "poster calls (a grading table page's thumbnails, one call a page) per grader"
    )
    privacy_link_expiry_seconds: int = _int(
        60,
        24 * 3600,
        900,
        ini="s3video.privacy.link_expiry_seconds",
        help="lifetime of the download links of a privacy export",
    )
    demo: bool = setting("s3video.development.demo", Bool, False, help="the `/demo` page (development only)")
    # background jobs (tasks/, sdk/maintenance.py); huey.url is a secret (it may carry a password)
    huey_url: str | None = setting(
        "huey.url",
        default=None,
        secret=True,
        shown_default="a SQLite file beside a SQLite database",
        help="the job queue: `redis://host:6379/0` (or `rediss://`, `unix://`), or"
        " `sqlite:///path/huey.sqlite` on one machine",
    )
    huey_name: str = setting(
        "huey.name",
        default="s3video",
        validator=_regex(r"^[A-Za-z0-9_.-]{1,64}$", "not a queue name"),
        help="the queue's name (several sidecars may share a Redis)",
    )
    huey_immediate: bool = setting(
        "huey.immediate", Bool, False, help="run each task in the process that queues it (tests, debugging)"
    )
    huey_workers: int = _int(1, 32, 1, ini="huey.workers", help="worker threads of `s3video-worker`")
    cloudfront_invalidate: bool = setting(
        "s3video.cloudfront.invalidate",
        Bool,
        False,
        help="invalidate deleted videos' paths (needs `s3video.cdn = cloudfront`)",
    )
    cloudfront_distribution_id: str | None = setting(
        "s3video.cloudfront.distribution_id",
        default=None,
        validator=_regex(r"^[A-Z0-9]{1,32}$", "not a distribution id"),
        help="the distribution to invalidate (required when `invalidate` is on)",
    )
    cloudfront_invalidation_batch_size: int = _int(  # CloudFront: 3,000 paths in progress
        1, 3000, 1000, ini="s3video.cloudfront.invalidation_batch_size", help="paths per invalidation request"
    )
    jobs_cleanup_interval_minutes: int = _int(
        1, 1440, 5, ini="s3video.jobs.cleanup_interval_minutes", help="period of `cleanup` (and `probe`)"
    )
    jobs_reconcile_interval_minutes: int = _int(
        1, 1440, 60, ini="s3video.jobs.reconcile_interval_minutes", help="period of `reconcile`"
    )
    jobs_multipart_abort_after_seconds: int = _int(
        3600,
        365 * DAY,
        ini="s3video.jobs.multipart_abort_after_seconds",
        shown_default="7 days",
        help="age at which an ownerless multipart upload is aborted",
    )
    jobs_delete_orphans: bool = setting(
        "s3video.jobs.delete_orphans", Bool, False, help="delete (not only report) objects no row names"
    )
    retention_days: int = _int(
        0, 36500, 0, ini="s3video.retention.days", help="schedule videos older than this for deletion (0: off)"
    )
    retention_dry_run: bool = setting("s3video.retention.dry_run", Bool, False, help="retention only lists")
    # the web process's connection pool (SQLAlchemy's own defaults, 5 + 10, when not given)
    sqlalchemy_pool_size: int | None = _int(
        1,
        1000,
        ini="sqlalchemy.pool_size",
        shown_default="5",
        help="connections the web process keeps; give at least waitress' `threads`",
    )
    sqlalchemy_max_overflow: int | None = _int(
        0,
        1000,
        ini="sqlalchemy.max_overflow",
        shown_default="10",
        help="connections the web process may open past the pool",
    )
    cost: CostModel = settings_of(CostModel, "the cost model's prices and free tiers (sdk/cost.py)")

    @property
    def rate_limits(self) -> dict[str, RateLimit | None]:
        """Per action (``RATE_LIMITED_ACTIONS``): the limit, or None when switched off."""
        return {action: getattr(self, f"rate_limit_{action}") for action in RATE_LIMITED_ACTIONS}

    @property
    def pool_options(self) -> dict[str, int]:
        """The ini's pool settings, as ``create_engine`` takes them (only those given)."""
        options = {"pool_size": self.sqlalchemy_pool_size, "max_overflow": self.sqlalchemy_max_overflow}
        return {name: value for name, value in options.items() if value is not None}

    @property
    def playback_base_url(self) -> str:
        """Where signed playback URLs point: CloudFront, or the built-in edge."""
        if self.cdn == "cloudfront":
            return f"https://{self.cloudfront_domain}"
        return self.local_edge_base_url.rstrip("/")


# Prefixes of the [app:main] keys the sidecar owns: an undeclared key under one is a typo.
OWNED_PREFIXES = ("s3video.", "huey.", "sqlalchemy.")
HUEY_URL_SCHEMES = ("redis", "rediss", "unix", "sqlite")


def ini_name(field_name: str) -> str:
    """The ini name of a field of :class:`Settings`."""
    return _ini.ini_name(Settings, field_name)


def known_names() -> frozenset[str]:
    """Every ini key the sidecar reads: the declared fields of :class:`Settings` and of the cost model."""
    return frozenset(_ini.ini_names(Settings))


def check_known_names(raw: dict) -> None:
    """Refuse a key under an owned prefix that nothing declares, naming the closest known one.

    A misspelt ``s3video.delete_grace_second`` would otherwise leave the default (0: deleted
    videos purged at once) in force without a word.
    """
    _ini.check_known(raw, known_names(), OWNED_PREFIXES)


def parse_settings(raw: dict) -> Settings:
    """Validate the ini's ``[app:main]`` settings; raise :class:`SettingsError` naming the bad one."""
    check_known_names(raw)
    parsed = _ini.parse_fields(Settings, raw)
    if not parsed["sqlalchemy_url"]:
        raise SettingsError("sqlalchemy.url: required")
    if parsed["cdn"] == "cloudfront" and not parsed["cloudfront_domain"]:
        raise SettingsError("s3video.cloudfront.domain: required when s3video.cdn = cloudfront")
    if parsed["storage"] == "embedded" and not parsed["s3_endpoint_url"]:
        parsed["s3_endpoint_url"] = _stand_in_address(parsed["local_edge_base_url"])
    for store in ("nonce_store", "rate_limit_store"):
        if parsed[store] == "redis" and not parsed["redis_url"]:
            raise SettingsError(f"s3video.redis_url: required when {ini_name(store)} = redis")
    # defaults computed from other settings
    parsed["jobs_multipart_abort_after_seconds"] = _check_job_settings(parsed)
    parsed["multipart_threshold_bytes"] = parsed["multipart_threshold_bytes"] or min(
        parsed["max_upload_bytes"], SINGLE_PUT_LIMIT_BYTES
    )
    return Settings(**parsed)


def settings_reference() -> str:
    """``docs/settings.md``: every setting with its default and meaning, from the declarations."""
    lines = [
        "# Settings",
        "",
        "Every setting of the `[app:main]` section, generated from their declarations",
        "(`s3video_sidecar/settings.py`, the cost model's in `s3video_sidecar/sdk/cost.py`):",
        "`python -m s3video_sidecar.settings > docs/settings.md` writes this file again.",
        "A key under `s3video.`, `huey.` or `sqlalchemy.` that is not here is refused at start-up.",
        "",
        "| setting | default | meaning |",
        "|---|---|---|",
    ]
    lines += [f"| `{name}` | {default} | {meaning} |" for name, default, meaning in _ini.reference(Settings)]
    return "\n".join(lines) + "\n"


def _stand_in_address(edge_base_url: str) -> str:
    """The embedded stand-in's address when none is set: loopback, the app's port + 1 (the app's
    port is the local edge's), so development.ini moves every port with one setting."""
    from urllib.parse import urlsplit

    try:
        port = urlsplit(edge_base_url).port or 80
    except ValueError:
        port = None
    if not port or port >= 65535:
        raise SettingsError(
            "s3video.s3_endpoint_url: required with s3video.storage = embedded when"
            " s3video.local_edge.base_url names no port (e.g. http://127.0.0.1:6544)"
        )
    return f"http://127.0.0.1:{port + 1}"


def _check_job_settings(parsed: dict) -> int:
    """Cross-field checks of the job settings; return the age at which a multipart upload is aborted."""
    url = parsed["huey_url"]
    if url and url.split(":", 1)[0] not in HUEY_URL_SCHEMES:
        raise SettingsError("huey.url: give redis://host:6379/0 (or rediss://, unix://) or sqlite:///path/huey.sqlite")
    if parsed["cloudfront_invalidate"]:
        if parsed["cdn"] != "cloudfront":
            raise SettingsError(
                "s3video.cloudfront.invalidate: only with s3video.cdn = cloudfront (the local edge caches nothing)"
            )
        if not parsed["cloudfront_distribution_id"]:
            raise SettingsError("s3video.cloudfront.distribution_id: required when s3video.cloudfront.invalidate is on")
    # Never abort an upload a client may still be sending: its window plus one part URL's lifetime.
    longest = parsed["multipart_expiry_seconds"] + parsed["upload_expiry_seconds"]
    abort_after = parsed["jobs_multipart_abort_after_seconds"]
    if abort_after is None:
        return max(7 * 24 * 3600, longest)
    if abort_after < longest:
        raise SettingsError(
            f"s3video.jobs.multipart_abort_after_seconds: at least {longest} (the multipart window"
            " plus one part URL's lifetime), so no upload still in progress is aborted"
        )
    return abort_after


if __name__ == "__main__":
    print(settings_reference(), end="")
