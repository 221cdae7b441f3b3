"""``s3video-admin check INI --deploy``: refuse an ini that is not fit for production.

Like Django's ``check --deploy``: it reads the ini only (no network) and lists each
development setting left in, with the fix. Settings are named by their declarations
(``settings.ini_name``), never by a second copy of their ini names. Exit code 1 when any is an error, 0 otherwise
(warnings are printed, they do not fail). docs/deployment.md runs it before every start.
"""

from __future__ import annotations

import os
import stat
from dataclasses import asdict, dataclass

from sqlalchemy.engine import make_url

from ..settings import Settings, ini_name, parse_settings
from . import read_ini
from .ops import print_json

ERROR, WARNING = "error", "warning"
# The development.ini's shared key, which anyone can read in the repository.
DEVELOPMENT_SECRETS = {"development-secret-change-me"}
MIN_SECRET_LENGTH = 32
_LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")


@dataclass(frozen=True)
class Problem:
    level: str
    setting: str
    detail: str
    fix: str


def _host(url: str) -> str:
    return (url.split("://", 1)[-1].split("/", 1)[0].rsplit(":", 1)[0]).lower()


def deploy_problems(settings: Settings, raw: dict) -> list[Problem]:
    """What in these settings is for development only (errors) or unwise in production (warnings)."""
    problems = []

    def add(level, setting, detail, fix):
        problems.append(Problem(level, setting, detail, fix))

    if settings.demo:
        add(
            ERROR,
            ini_name("demo"),
            "the demo page is on: anyone reaching the sidecar can sign requests as any user",
            "remove the line (or set it to false)",
        )
    if settings.storage == "embedded":
        add(
            ERROR,
            ini_name("storage"),
            "the embedded S3 stand-in keeps videos on this machine, not in S3",
            "set s3video.storage = aws and the bucket (notebooks/aws_setup.ipynb)",
        )
    if settings.s3_endpoint_url and _host(settings.s3_endpoint_url) in _LOOPBACK:
        add(
            ERROR,
            ini_name("s3_endpoint_url"),
            f"{settings.s3_endpoint_url} is the development stand-in's address",
            "remove it: AWS's own endpoint is used",
        )
    if settings.cdn == "local":
        add(
            ERROR,
            ini_name("cdn"),
            "playback goes through the local edge of this process, not CloudFront",
            "set s3video.cdn = cloudfront and s3video.cloudfront.domain",
        )
    if settings.cloudfront_generate_key:
        add(
            ERROR,
            ini_name("cloudfront_generate_key"),
            "a missing CloudFront key would be generated here, and CloudFront would refuse every URL it signs",
            "remove it; install the key aws_setup created",
        )
    for key_id, secret in settings.hmac_keys.items():
        if secret in DEVELOPMENT_SECRETS:
            add(
                ERROR,
                ini_name("hmac_keys"),
                f"key {key_id} is the development key published in the repository",
                "make a new key: python3 -c 'import secrets; print(secrets.token_urlsafe(32))'",
            )
        elif len(secret) < MIN_SECRET_LENGTH:
            add(
                ERROR,
                ini_name("hmac_keys"),
                f"key {key_id}'s secret has {len(secret)} characters",
                f"use at least {MIN_SECRET_LENGTH} random characters (secrets.token_urlsafe(32))",
            )
    if not str(raw.get(ini_name("hmac_keys"), "")).strip().startswith(("env:", "file:")):
        add(
            WARNING,
            ini_name("hmac_keys"),
            "the shared keys are written in the ini file",
            "read them from the environment (env:S3VIDEO_HMAC_KEYS) or a file (file:/etc/s3video/hmac-keys)",
        )
    database = make_url(settings.sqlalchemy_url)
    if database.get_backend_name() == "sqlite":
        add(
            ERROR,
            ini_name("sqlalchemy_url"),
            "SQLite serves one machine, and is the development database",
            "use PostgreSQL (docs/deployment.md: 'The database')",
        )
    if settings.huey_url is None or settings.huey_url.startswith("sqlite"):
        add(
            ERROR,
            ini_name("huey_url"),
            "the job queue is a SQLite file only this machine's processes share",
            "set huey.url = env:S3VIDEO_HUEY_URL (redis://...)",
        )
    for store in ("nonce_store", "rate_limit_store"):
        if getattr(settings, store) == "database":
            add(
                WARNING,
                ini_name(store),
                "counted in the database: fine on one host, slower than Redis",
                "set it to redis on busy sites",
            )
    insecure = [origin for origin in settings.moodle_origins if origin.startswith("http://")]
    if not settings.moodle_origins:
        add(
            ERROR,
            ini_name("moodle_origins"),
            "not set: browsers cannot upload to the bucket",
            "set it to Moodle's https:// address",
        )
    elif insecure:
        add(ERROR, ini_name("moodle_origins"), f"{' '.join(insecure)} is not https", "give Moodle's https:// address")
    if settings.delete_grace_seconds == 0:
        add(
            WARNING,
            ini_name("delete_grace_seconds"),
            "0: a deleted video is purged at once, with no restore",
            "keep deletions restorable for a while, e.g. 604800 (a week)",
        )
    if settings.cdn == "cloudfront":
        problems += _key_file_problems(settings.cloudfront_private_key_file)
    return problems


def _key_file_problems(path: str) -> list[Problem]:
    setting = ini_name("cloudfront_private_key_file")
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        return [Problem(ERROR, setting, f"{path}: {exc.strerror}", "install the key aws_setup created there")]
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return [
            Problem(
                ERROR,
                setting,
                f"{path} is readable by others (mode {stat.S_IMODE(mode):o})",
                f"chmod 600 {path} (owned by the sidecar's user)",
            )
        ]
    return []


def add_parser(subparsers) -> None:
    description = "check an ini file; with --deploy, refuse development settings in a production ini"
    parser = subparsers.add_parser("check", help=description, description=description)
    parser.add_argument("ini", help="the sidecar's ini file, e.g. /etc/s3video/production.ini")
    parser.add_argument("--deploy", action="store_true", help="also refuse what is for development only")
    parser.add_argument("--json", action="store_true", help="print JSON instead of lines")
    parser.set_defaults(func=run)


def run(args) -> int:
    raw = read_ini(args.ini)
    settings = parse_settings(raw)  # a bad setting is refused here (exit code 2)
    problems = deploy_problems(settings, raw) if args.deploy else []
    errors = [p for p in problems if p.level == ERROR]
    if args.json:
        print_json({"ok": not errors, "problems": [asdict(p) for p in problems]})
    else:
        for problem in problems:
            print(f"{problem.level.upper():7} {problem.setting}: {problem.detail}\n        fix: {problem.fix}")
        verdict = f"{len(errors)} error(s), {len(problems) - len(errors)} warning(s)" if problems else "no problems"
        print(f"{args.ini}: settings valid; {verdict}" + ("" if args.deploy else " (give --deploy for production)"))
    return 1 if errors else 0
