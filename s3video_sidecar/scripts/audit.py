"""``s3video-admin audit INI``: compare the database's rows with the objects the bucket holds.

Read-only. It lists rows without their object (``lost``: a ready or restorable video whose
bytes are gone; ``dangling``: a due deletion whose object is already gone) and objects
without their row (``orphans``), deleted rows whose object is still there
(``resurrected``) and refused uploads whose bytes were left (``leaked``). Exit code 1 when
anything disagrees. ``s3video-admin reconcile`` repairs what can be repaired (see docs/jobs.md).
"""

from __future__ import annotations

from ..models.maintenance import SqlMaintenanceRepository
from ..sdk.maintenance import audit
from . import bootstrap
from .ops import print_json

MEANING = {
    "lost": "rows (ready or still restorable) whose object is missing: those videos cannot be played",
    "dangling": "due deletions whose object is already gone (the next cleanup marks them deleted)",
    "resurrected": "deleted rows whose object is still in the bucket (reconcile deletes it)",
    "leaked": "refused or abandoned uploads whose bytes are still in the bucket (reconcile schedules them)",
    "orphans": "objects no row names (reconcile reports them; deletes them with s3video.jobs.delete_orphans)",
}


def add_parser(subparsers) -> None:
    description = "compare the rows with the bucket: rows without objects, objects without rows (read-only)"
    parser = subparsers.add_parser("audit", help=description, description=description)
    parser.add_argument("ini", help="the sidecar's ini file, e.g. development.ini")
    parser.add_argument("--json", action="store_true", help="print JSON instead of lines")
    parser.set_defaults(func=run)


def run(args) -> int:
    parts = bootstrap(args.ini, logging=False)
    session = parts.session_factory()
    try:
        result = audit(SqlMaintenanceRepository(session), parts.storage)
    finally:
        session.close()
        parts.engine.dispose()
    counts = result.counts()
    if args.json:
        print_json({"ok": result.ok, "counts": counts, **{name: getattr(result, name) for name in MEANING}})
        return 0 if result.ok else 1
    for name, meaning in MEANING.items():
        keys = getattr(result, name)
        if keys:
            print(f"{name}: {len(keys)} {meaning}")
            for key in keys[:20]:
                print(f"  {key}")
            if len(keys) > 20:
                print(f"  ... and {len(keys) - 20} more (--json lists them all)")
    print(
        "audit: rows and bucket agree"
        if result.ok
        else "audit: " + ", ".join(f"{name} {count}" for name, count in counts.items() if count)
    )
    return 0 if result.ok else 1
