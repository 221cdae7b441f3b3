"""``s3video-admin stats INI``: videos by status, storage, uploads and views per day, errors, cost."""

from __future__ import annotations

from .ops import add_command, admin_service, human_bytes, print_json, table


def add_parser(subparsers):
    parser = add_command(
        subparsers, "stats", "videos, storage, uploads and views per day, errors, the month's cost", run
    )
    parser.add_argument("--days", type=int, default=14, help="days of history (default 14)")


def run(args) -> int:
    if not 1 <= args.days <= 366:
        print("s3video-admin stats: --days must be between 1 and 366")
        return 2
    with admin_service(args.ini) as service:
        stats = service.stats(days=args.days)
    if args.json:
        print_json(stats)
        return 0
    by_status = stats["videos"]["by_status"]
    print(
        f"Videos: {stats['videos']['total']}    Storage: {human_bytes(stats['storage']['bytes'])}"
        f" ({stats['storage']['gb']} GB billed)"
    )
    print(table(list(by_status), [list(by_status.values())]))
    print(f"\nPer day (UTC), last {stats['days']} days")
    print(
        table(
            ["date", "uploads", "views", "viewed", "storage"],
            [
                [d["date"], d["uploads"], d["views"], human_bytes(d["bytes_viewed"]), human_bytes(d["storage_bytes"])]
                for d in stats["per_day"]
            ],
        )
    )
    print(f"\nErrors by code, last {stats['days']} days (today)")
    today = stats["today"]["errors_by_code"]
    errors = sorted(stats["errors_by_code"].items(), key=lambda item: -item[1])
    print(
        table(["code", "count", "today"], [[code, n, today.get(code, 0)] for code, n in errors])
        if errors
        else "no errors"
    )
    if stats["cost"] is not None:
        print()
        from .cost import print_cost

        print_cost(stats["cost"])
    return 0
