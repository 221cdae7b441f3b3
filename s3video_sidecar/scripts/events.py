"""``s3video-admin events INI [filters] [--follow]``: the newest events, oldest first, like ``tail``."""

from __future__ import annotations

import dataclasses
import json
import sys
import time

from ..sdk.admin import EVENT_TYPES, EventFilter
from .ops import add_command, admin_service, moment, moment_end, print_json, table, when, words

HEADERS = ["id", "time (UTC)", "type", "user", "role", "assignment", "submission", "video", "code", "message"]


def add_parser(subparsers):
    parser = add_command(subparsers, "events", "the event log: the newest events, filtered; --follow for new ones", run)
    for name in ("user", "assignment", "submission", "video"):
        parser.add_argument(f"--{name}", type=int, help=f"only this {name} (id)")
    parser.add_argument("--type", type=words, default=(), help="event types, comma-separated")
    parser.add_argument("--error-code", type=words, default=(), help="error codes, comma-separated")
    parser.add_argument("--errors-only", action="store_true", help="only events with an error code")
    parser.add_argument("--since", type=moment, help="from this date (YYYY-MM-DD) or Unix time")
    parser.add_argument("--until", type=moment_end, help="up to this date (included)")
    parser.add_argument("-n", "--limit", type=int, default=50, help="how many (default 50)")
    parser.add_argument("-f", "--follow", action="store_true", help="keep printing new events (Ctrl-C stops)")
    parser.add_argument("--interval", type=float, default=2.0, help="seconds between polls with --follow")


MESSAGE_WIDTH = 60


def shorten(text: str | None, width: int = MESSAGE_WIDTH) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis when longer."""
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _row(event: dict) -> list:
    message = shorten(event["error_message"])
    return [
        event["id"],
        when(event["timestamp"]),
        event["event_type"],
        event["user_id"],
        event["user_role"],
        event["assignment_id"],
        event["submission_id"],
        event["video_id"],
        event["error_code"],
        message,
    ]


def run(args, polls: int | None = None) -> int:
    """``polls`` bounds --follow (tests); by default it runs until interrupted."""
    if not 1 <= args.limit <= 10_000:
        print("s3video-admin events: --limit must be between 1 and 10000")
        return 2
    with admin_service(args.ini) as service:
        valid = sorted(set(EVENT_TYPES) | set(service.repo.event_types_logged()))
    unknown = sorted(set(args.type) - set(valid))
    if unknown:
        print(
            f"s3video-admin events: unknown --type {', '.join(unknown)}; valid types: {', '.join(valid)}",
            file=sys.stderr,
        )
        return 2
    filters = EventFilter(
        user=args.user,
        assignment=args.assignment,
        submission=args.submission,
        video=args.video,
        event_types=args.type,
        error_codes=args.error_code,
        errors_only=args.errors_only,
        since=args.since,
        until=args.until,
    )
    with admin_service(args.ini) as service:
        events = list(reversed(service.search_events(filters, 1, args.limit)["events"]))
        if args.json:
            print_json(events)
        else:
            print(table(HEADERS, [_row(e) for e in events]), flush=True)
        last_id = events[-1]["id"] if events else 0
        try:
            while args.follow and (polls is None or polls > 0):
                polls = None if polls is None else polls - 1
                time.sleep(args.interval)
                service.repo.dbsession.rollback()  # a fresh snapshot of the log
                newer = service.search_events(dataclasses.replace(filters, after_id=last_id), 1, 1000)["events"]
                for event in reversed(newer):
                    line = "  ".join("-" if v is None else str(v) for v in _row(event))
                    print(json.dumps(event, sort_keys=True) if args.json else line, flush=True)
                    last_id = event["id"]
        except KeyboardInterrupt:
            pass
    return 0
