"""``s3video-admin videos INI [filters]``: find videos by course, assignment, user, status, date, size."""

from __future__ import annotations

import sys

from ..sdk.admin import STATUSES, VideoFilter
from .ops import add_command, admin_service, human_bytes, moment, moment_end, print_json, table, when, words


def add_parser(subparsers):
    parser = add_command(subparsers, "videos", "list videos, newest first, with filters and paging", run)
    for name in ("course", "assignment", "submission", "user"):
        parser.add_argument(f"--{name}", type=int, help=f"only this {name} (id)")
    parser.add_argument("--status", type=words, default=(), help=f"comma-separated: {', '.join(STATUSES)}")
    parser.add_argument("--from", dest="uploaded_from", type=moment, help="uploaded on or after (YYYY-MM-DD)")
    parser.add_argument("--to", dest="uploaded_to", type=moment_end, help="uploaded on or before (YYYY-MM-DD)")
    parser.add_argument("--min-size", type=int, help="bytes")
    parser.add_argument("--max-size", type=int, help="bytes")
    parser.add_argument("--page", type=int, default=1)
    parser.add_argument("--per-page", type=int, default=50)


def run(args) -> int:
    unknown = [s for s in args.status if s not in STATUSES]
    if unknown or args.page < 1 or not 1 <= args.per_page <= 1000:
        print(
            f"s3video-admin videos: unknown --status {', '.join(unknown)}; valid: {', '.join(STATUSES)}"
            if unknown
            else "s3video-admin videos: --page from 1, --per-page 1 to 1000",
            file=sys.stderr,
        )
        return 2
    filters = VideoFilter(
        course=args.course,
        assignment=args.assignment,
        submission=args.submission,
        user=args.user,
        statuses=args.status,
        uploaded_from=args.uploaded_from,
        uploaded_to=args.uploaded_to,
        min_size=args.min_size,
        max_size=args.max_size,
    )
    with admin_service(args.ini) as service:
        found = service.search_videos(filters, args.page, args.per_page)
    if args.page > max(found["pages"], 1):
        print(
            f"s3video-admin videos: --page {args.page} is past the end: {found['total']} videos make"
            f" {max(found['pages'], 1)} page(s) of {args.per_page}",
            file=sys.stderr,
        )
        return 2
    if args.json:
        print_json(found)
        return 0
    print(
        table(
            ["id", "status", "course", "assignment", "submission", "user", "size", "uploaded", "filename"],
            [
                [
                    v["video_id"],
                    v["status"] + ("*" if v["current"] else ""),
                    v["course_id"],
                    v["assignment_id"],
                    v["submission_id"],
                    v["user_id"],
                    human_bytes(v["file_size"] or v["declared_size"]),
                    when(v["uploaded_at"]),
                    v["filename"],
                ]
                for v in found["videos"]
            ],
        )
    )
    print(f"\npage {found['page']} of {max(found['pages'], 1)}, {found['total']} videos (* = current video)")
    return 0
