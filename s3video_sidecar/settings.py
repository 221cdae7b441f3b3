"""The sidecar's settings: parsed once at start-up, validated, typed.

Rules of this module:

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

import dataclasses
import difflib
import os
import pathlib
import re
from dataclasses import dataclass, field
from typing import NamedTuple

import colander

from .sdk import containers, signing
from .sdk.cdn import HASH_ALGORITHMS

GIB = 1024**3
MIB = 1024**2
# One S3 POST/PUT carries at most 5 GB, and so does the one CopyObject confirm makes of a POST
# upload: the multipart threshold (the largest POST upload) can never exceed it.
SINGLE_PUT_LIMIT_BYTES = 5 * GIB


class SettingsError(ValueError):
    """A setting is missing or invalid; the message names it."""


def resolve_secret(value: str | None, name: str) -> str | None:
    """Resolve ``env:NAME`` and ``file:/path`` references; plain values pass through."""
    if value is None:
        return None
    value = value.strip()
    if value.startswith("env:"):
        variable = value[4:]
        if variable not in os.environ:
            raise SettingsError(f"{name}: environment variable {variable} is not set")
        return os.environ[variable]
    if value.startswith("file:"):
        path = pathlib.Path(value[5:])
        try:
            return path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise SettingsError(f"{name}: cannot read {path}: {exc.strerror}") from None
    return value


def _words(text: str) -> list[str]:
    return [word for word in (text or "").replace(",", " ").split() if word]


class RateLimit(NamedTuple):
    """At most ``limit`` calls per user in each window of ``window_seconds``."""

    limit: int
    window_seconds: int


# Actions that are rate-limited per user, and their defaults ("calls/seconds", or "off").
RATE_LIMITED_ACTIONS = {"upload_url": "10/60", "confirm": "20/60", "playback_url": "120/60"}


def _rate_limit_validator(node, value):
    if value.strip().lower() != "off" and not re.fullmatch(r"\s*[1-9][0-9]{0,6}\s*/\s*[1-9][0-9]{0,6}\s*", value):
        raise colander.Invalid(node, 'give "calls/seconds", e.g. 10/60, or "off"')


def _parse_rate_limit(value: str) -> RateLimit | None:
    if value.strip().lower() == "off":
        return None
    limit, window = value.split("/")
    return RateLimit(int(limit), int(window))


class _Bool(colander.Boolean):
    def __init__(self):
        super().__init__(false_choices=("false", "0", "no", "off", ""))


class _SettingsSchema(colander.MappingSchema):
    """Every setting with its type, default and bounds (colander does the parsing).

    This declaration is also the list of known names: a key under a prefix the sidecar owns
    (:data:`OWNED_PREFIXES`) that no node here declares is refused (:func:`check_known_names`).
    """

    # secrets (env:NAME / file:/path allowed); parsed further in parse_settings
    sqlalchemy_url = colander.SchemaNode(colander.String(), missing=None)
    hmac_keys = colander.SchemaNode(colander.String(), missing=None)

    storage = colander.SchemaNode(colander.String(), validator=colander.OneOf(["embedded", "aws"]))
    bucket = colander.SchemaNode(
        colander.String(),
        validator=colander.Regex(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", "not a valid S3 bucket name"),
    )
    region = colander.SchemaNode(colander.String(), missing="us-east-1")
    s3_endpoint_url = colander.SchemaNode(
        colander.String(), missing=None, validator=colander.url
    )
    # where the embedded stand-in keeps its objects (none: a temporary directory, gone at exit)
    embedded_data_dir = colander.SchemaNode(colander.String(), missing=None)
    max_upload_bytes = colander.SchemaNode(
        colander.Int(), missing=5 * GIB, validator=colander.Range(1, 5 * 1024**4)
    )
    multipart_threshold_bytes = colander.SchemaNode(
        colander.Int(), missing=None, validator=colander.Range(5 * MIB, SINGLE_PUT_LIMIT_BYTES)
    )
    multipart_part_size_bytes = colander.SchemaNode(
        colander.Int(), missing=16 * MIB, validator=colander.Range(5 * MIB, SINGLE_PUT_LIMIT_BYTES)
    )
    multipart_expiry_seconds = colander.SchemaNode(
        colander.Int(), missing=2 * 24 * 3600, validator=colander.Range(3600, 30 * 24 * 3600)
    )
    allowed_mime_types = colander.SchemaNode(
        colander.String(),
        missing="video/mp4 video/webm video/quicktime video/x-matroska video/ogg",
    )
    upload_expiry_seconds = colander.SchemaNode(
        colander.Int(), missing=3600, validator=colander.Range(60, 7 * 24 * 3600)
    )
    playback_expiry_seconds = colander.SchemaNode(
        colander.Int(), missing=6 * 3600, validator=colander.Range(60, 7 * 24 * 3600)
    )
    # playback URLs' expiry is rounded up to this window, so the URLs of one window are signed once
    playback_url_window_seconds = colander.SchemaNode(
        colander.Int(), missing=60, validator=colander.Range(0, 3600)
    )
    delete_grace_seconds = colander.SchemaNode(
        colander.Int(), missing=0, validator=colander.Range(0, 365 * 24 * 3600)
    )
    # a draft (confirmed, never made current) older than this goes with the next cleanup
    draft_expiry_seconds = colander.SchemaNode(
        colander.Int(), missing=7 * 24 * 3600, validator=colander.Range(60, 366 * 24 * 3600)
    )
    cdn = colander.SchemaNode(colander.String(), validator=colander.OneOf(["local", "cloudfront"]))
    cloudfront_domain = colander.SchemaNode(colander.String(), missing=None)
    cloudfront_key_id = colander.SchemaNode(
        colander.String(), validator=colander.Regex(r"^[A-Za-z0-9_-]{1,128}$", "not a key id")
    )
    cloudfront_private_key_file = colander.SchemaNode(colander.String())
    cloudfront_hash_algorithm = colander.SchemaNode(
        colander.String(), missing="sha1", validator=colander.OneOf(sorted(HASH_ALGORITHMS))
    )
    cloudfront_generate_key = colander.SchemaNode(_Bool(), missing=False)
    local_edge_base_url = colander.SchemaNode(
        colander.String(), missing="http://localhost:6543/edge", validator=colander.url
    )
    moodle_origin = colander.SchemaNode(colander.String(), missing="")
    nonce_store = colander.SchemaNode(
        colander.String(), missing="database", validator=colander.OneOf(["database", "redis"])
    )
    redis_url = colander.SchemaNode(colander.String(), missing=None)
    rate_limit_store = colander.SchemaNode(
        colander.String(), missing="database", validator=colander.OneOf(["database", "redis"])
    )
    rate_limit_upload_url = colander.SchemaNode(
        colander.String(), missing=RATE_LIMITED_ACTIONS["upload_url"], validator=_rate_limit_validator
    )
    rate_limit_confirm = colander.SchemaNode(
        colander.String(), missing=RATE_LIMITED_ACTIONS["confirm"], validator=_rate_limit_validator
    )
    rate_limit_playback_url = colander.SchemaNode(
        colander.String(), missing=RATE_LIMITED_ACTIONS["playback_url"], validator=_rate_limit_validator
    )
    privacy_link_expiry_seconds = colander.SchemaNode(
        colander.Int(), missing=900, validator=colander.Range(60, 24 * 3600)
    )
    demo = colander.SchemaNode(_Bool(), missing=False)
    # background jobs (tasks/, sdk/maintenance.py); huey.url is a secret (it may carry a password)
    huey_url = colander.SchemaNode(colander.String(), missing=None)
    huey_name = colander.SchemaNode(
        colander.String(), missing="s3video", validator=colander.Regex(r"^[A-Za-z0-9_.-]{1,64}$", "not a queue name")
    )
    huey_immediate = colander.SchemaNode(_Bool(), missing=False)
    huey_workers = colander.SchemaNode(colander.Int(), missing=1, validator=colander.Range(1, 32))
    cloudfront_invalidate = colander.SchemaNode(_Bool(), missing=False)
    cloudfront_distribution_id = colander.SchemaNode(
        colander.String(), missing=None, validator=colander.Regex(r"^[A-Z0-9]{1,32}$", "not a distribution id")
    )
    cloudfront_invalidation_batch_size = colander.SchemaNode(
        colander.Int(), missing=1000, validator=colander.Range(1, 3000)  # CloudFront: 3,000 paths in progress
    )
    jobs_cleanup_interval_minutes = colander.SchemaNode(colander.Int(), missing=5, validator=colander.Range(1, 1440))
    jobs_reconcile_interval_minutes = colander.SchemaNode(
        colander.Int(), missing=60, validator=colander.Range(1, 1440)
    )
    jobs_multipart_abort_after_seconds = colander.SchemaNode(
        colander.Int(), missing=None, validator=colander.Range(3600, 365 * 24 * 3600)
    )
    jobs_delete_orphans = colander.SchemaNode(_Bool(), missing=False)
    retention_days = colander.SchemaNode(colander.Int(), missing=0, validator=colander.Range(0, 36500))
    retention_dry_run = colander.SchemaNode(_Bool(), missing=False)
    # the web process's connection pool (SQLAlchemy's own defaults, 5 + 10, when not given)
    sqlalchemy_pool_size = colander.SchemaNode(colander.Int(), missing=None, validator=colander.Range(1, 1000))
    sqlalchemy_max_overflow = colander.SchemaNode(colander.Int(), missing=None, validator=colander.Range(0, 1000))


# ini name -> schema field (most are "s3video." + field; the dotted ones map here)
_INI_NAMES = {
    "sqlalchemy_url": "sqlalchemy.url",
    "cloudfront_domain": "s3video.cloudfront.domain",
    "cloudfront_key_id": "s3video.cloudfront.key_id",
    "cloudfront_private_key_file": "s3video.cloudfront.private_key_file",
    "cloudfront_hash_algorithm": "s3video.cloudfront.hash_algorithm",
    "cloudfront_generate_key": "s3video.cloudfront.generate_key",
    "local_edge_base_url": "s3video.local_edge.base_url",
    "embedded_data_dir": "s3video.embedded.data_dir",
    "demo": "s3video.development.demo",
    "rate_limit_store": "s3video.rate_limit.store",
    **{f"rate_limit_{action}": f"s3video.rate_limit.{action}" for action in RATE_LIMITED_ACTIONS},
    "privacy_link_expiry_seconds": "s3video.privacy.link_expiry_seconds",
    **{name: "huey." + name[5:] for name in ("huey_url", "huey_name", "huey_immediate", "huey_workers")},
    "cloudfront_invalidate": "s3video.cloudfront.invalidate",
    "cloudfront_distribution_id": "s3video.cloudfront.distribution_id",
    "cloudfront_invalidation_batch_size": "s3video.cloudfront.invalidation_batch_size",
    **{f"jobs_{name}": f"s3video.jobs.{name}" for name in (
        "cleanup_interval_minutes", "reconcile_interval_minutes", "multipart_abort_after_seconds", "delete_orphans")},
    "retention_days": "s3video.retention.days",
    "retention_dry_run": "s3video.retention.dry_run",
    "sqlalchemy_pool_size": "sqlalchemy.pool_size",
    "sqlalchemy_max_overflow": "sqlalchemy.max_overflow",
}
_SECRET_FIELDS = {"redis_url", "huey_url", "sqlalchemy_url", "hmac_keys"}
# Prefixes of the [app:main] keys the sidecar owns: an undeclared key under one is a typo.
OWNED_PREFIXES = ("s3video.", "huey.", "sqlalchemy.")
HUEY_URL_SCHEMES = ("redis", "rediss", "unix", "sqlite")


def ini_name(field_name: str) -> str:
    return _INI_NAMES.get(field_name, f"s3video.{field_name}")


@dataclass(frozen=True)
class Settings:
    hmac_keys: dict[str, str] = field(repr=False)
    storage: str
    bucket: str
    region: str
    s3_endpoint_url: str | None
    max_upload_bytes: int
    multipart_threshold_bytes: int
    multipart_part_size_bytes: int
    multipart_expiry_seconds: int
    allowed_mime_types: tuple[str, ...]
    upload_expiry_seconds: int
    playback_expiry_seconds: int
    playback_url_window_seconds: int
    delete_grace_seconds: int
    cdn: str
    cloudfront_domain: str | None
    cloudfront_key_id: str
    cloudfront_private_key_file: str
    cloudfront_hash_algorithm: str
    cloudfront_generate_key: bool
    local_edge_base_url: str
    moodle_origins: tuple[str, ...]
    nonce_store: str
    redis_url: str | None = field(repr=False)
    demo: bool
    sqlalchemy_url: str = field(repr=False)
    # per action (``RATE_LIMITED_ACTIONS``): the limit, or None when switched off
    rate_limits: dict[str, RateLimit | None] = field(default_factory=dict)
    rate_limit_store: str = "database"
    privacy_link_expiry_seconds: int = 900
    # background jobs: the queue (None: a SQLite file beside a SQLite database; see tasks/queue.py)
    huey_url: str | None = field(default=None, repr=False)
    huey_name: str = "s3video"
    huey_immediate: bool = False  # run tasks in the web process as they are queued (tests, debugging)
    huey_workers: int = 1
    cloudfront_invalidate: bool = False
    cloudfront_distribution_id: str | None = None
    cloudfront_invalidation_batch_size: int = 1000
    jobs_cleanup_interval_minutes: int = 5
    jobs_reconcile_interval_minutes: int = 60
    jobs_multipart_abort_after_seconds: int = 7 * 24 * 3600
    jobs_delete_orphans: bool = False
    retention_days: int = 0  # 0: retention is off
    retention_dry_run: bool = False
    draft_expiry_seconds: int = 7 * 24 * 3600
    sqlalchemy_pool_size: int | None = None
    sqlalchemy_max_overflow: int | None = None
    embedded_data_dir: str | None = None
    cost: object = None  # the cost model (sdk/cost.py) of the ini's s3video.cost.* prices

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


def known_names() -> frozenset[str]:
    """Every ini key the sidecar reads: the schema's nodes and the cost model's fields."""
    from .sdk.cost import SETTING_NAMES as COST_SETTING_NAMES

    return frozenset(ini_name(node.name) for node in _SettingsSchema().children) | frozenset(COST_SETTING_NAMES)


def check_known_names(raw: dict) -> None:
    """Refuse a key under an owned prefix that nothing declares, naming the closest known one.

    A misspelt ``s3video.delete_grace_second`` would otherwise leave the default (0: deleted
    videos purged at once) in force without a word.
    """
    known = known_names()
    problems = []
    for name in sorted(raw):
        if name.startswith(OWNED_PREFIXES) and name not in known:
            # compared past the shared prefix, so "s3video." alone does not make two names close
            prefix = next(p for p in OWNED_PREFIXES if name.startswith(p))
            rests = {known_name[len(prefix):]: known_name for known_name in known if known_name.startswith(prefix)}
            close = difflib.get_close_matches(name[len(prefix):], sorted(rests), n=1, cutoff=0.6)
            hint = f"did you mean {rests[close[0]]}?" if close else "see the settings in README.md"
            problems.append(f"{name}: unknown setting; {hint}")
    if problems:
        raise SettingsError("; ".join(problems))


def parse_settings(raw: dict) -> Settings:
    """Validate the ini's ``[app:main]`` settings; raise :class:`SettingsError` naming the bad one."""
    check_known_names(raw)
    values = {}
    for node in _SettingsSchema().children:
        name = ini_name(node.name)
        value = raw.get(name)
        if node.name in _SECRET_FIELDS:
            value = resolve_secret(value, name)
        values[node.name] = colander.null if value in (None, "") else value
    try:
        parsed = _SettingsSchema().deserialize(values)
    except colander.Invalid as exc:
        problems = "; ".join(f"{ini_name(key)}: {message}" for key, message in exc.asdict().items())
        raise SettingsError(problems) from None

    try:
        hmac_keys = signing.parse_keys(parsed["hmac_keys"] or "")
    except ValueError as exc:
        raise SettingsError(f"s3video.hmac_keys: {exc}") from None
    sqlalchemy_url = parsed["sqlalchemy_url"]
    if not sqlalchemy_url:
        raise SettingsError("sqlalchemy.url: required")

    mime_types = tuple(_words(parsed["allowed_mime_types"]))
    if not mime_types or not all("/" in m for m in mime_types):
        raise SettingsError("s3video.allowed_mime_types: give MIME types such as video/mp4")
    uncheckable = [m for m in mime_types if m not in containers.FAMILIES]
    if uncheckable:  # confirm checks every upload's container signature: a type it cannot check is refused
        raise SettingsError(f"s3video.allowed_mime_types: no container check for {', '.join(uncheckable)};"
                            f" choose among {', '.join(containers.FAMILIES)}")
    if parsed["cdn"] == "cloudfront" and not parsed["cloudfront_domain"]:
        raise SettingsError("s3video.cloudfront.domain: required when s3video.cdn = cloudfront")
    if parsed["storage"] == "embedded" and not parsed["s3_endpoint_url"]:
        parsed["s3_endpoint_url"] = _stand_in_address(parsed["local_edge_base_url"])
    for store in ("nonce_store", "rate_limit_store"):
        if parsed[store] == "redis" and not parsed["redis_url"]:
            raise SettingsError(f"s3video.redis_url: required when {ini_name(store)} = redis")
    multipart_abort_after_seconds = _check_job_settings(parsed)
    threshold = parsed["multipart_threshold_bytes"] or min(parsed["max_upload_bytes"], SINGLE_PUT_LIMIT_BYTES)
    derived = {  # values computed from the ini; every other field is the parsed value of its name
        "hmac_keys": hmac_keys,
        "sqlalchemy_url": sqlalchemy_url,
        "multipart_threshold_bytes": threshold,
        "allowed_mime_types": mime_types,
        "moodle_origins": tuple(_words(parsed["moodle_origin"])),
        "rate_limits": {action: _parse_rate_limit(parsed[f"rate_limit_{action}"]) for action in RATE_LIMITED_ACTIONS},
        "jobs_multipart_abort_after_seconds": multipart_abort_after_seconds,
    }
    from .sdk.cost import CostModel

    try:
        derived["cost"] = CostModel.from_settings(raw)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    passed_through = {f.name: parsed[f.name] for f in dataclasses.fields(Settings) if f.name not in derived}
    return Settings(**passed_through, **derived)


def _stand_in_address(edge_base_url: str) -> str:
    """The embedded stand-in's address when none is set: loopback, the app's port + 1 (the app's
    port is the local edge's), so development.ini moves every port with one setting."""
    from urllib.parse import urlsplit

    try:
        port = urlsplit(edge_base_url).port or 80
    except ValueError:
        port = None
    if not port or port >= 65535:
        raise SettingsError("s3video.s3_endpoint_url: required with s3video.storage = embedded when"
                            " s3video.local_edge.base_url names no port (e.g. http://127.0.0.1:6544)")
    return f"http://127.0.0.1:{port + 1}"


def _check_job_settings(parsed: dict) -> int:
    """Cross-field checks of the job settings; return the age at which a multipart upload is aborted."""
    url = parsed["huey_url"]
    if url and url.split(":", 1)[0] not in HUEY_URL_SCHEMES:
        raise SettingsError("huey.url: give redis://host:6379/0 (or rediss://, unix://) or sqlite:///path/huey.sqlite")
    if parsed["cloudfront_invalidate"]:
        if parsed["cdn"] != "cloudfront":
            raise SettingsError("s3video.cloudfront.invalidate: only with s3video.cdn = cloudfront"
                                " (the local edge caches nothing)")
        if not parsed["cloudfront_distribution_id"]:
            raise SettingsError("s3video.cloudfront.distribution_id: required when s3video.cloudfront.invalidate is on")
    # Never abort an upload a client may still be sending: its window plus one part URL's lifetime.
    longest = parsed["multipart_expiry_seconds"] + parsed["upload_expiry_seconds"]
    abort_after = parsed["jobs_multipart_abort_after_seconds"]
    if abort_after is None:
        return max(7 * 24 * 3600, longest)
    if abort_after < longest:
        raise SettingsError(f"s3video.jobs.multipart_abort_after_seconds: at least {longest} (the multipart window"
                            " plus one part URL's lifetime), so no upload still in progress is aborted")
    return abort_after

