"""``s3video-admin events``: its formatting (the command itself: tests/functional/test_admin_reports.py)."""

from s3video_sidecar.scripts import events


def test_long_messages_end_with_an_ellipsis():
    assert events.shorten("x" * 100) == "x" * 59 + "…" and events.shorten("short") == "short"
    assert events.shorten("two\nlines") == "two lines"
