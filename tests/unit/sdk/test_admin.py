"""The admin service's reports, on a stand-in repository."""

import datetime as dt

from s3video_sidecar.sdk.admin import AdminService


def test_a_past_month_bills_the_storage_it_held():
    """Storage in a complete month is the average of what was held at each day's end; nothing projected."""

    class Repo:
        def stored_bytes_at(self, moments):
            self.moments = moments
            return [1000 if i < 15 else 0 for i in range(len(moments))]  # held for 15 of 30 days

        def event_totals(self, kinds, start, end):
            return (4, 400)

        def stored_bytes(self):
            raise AssertionError("a past month does not use what is held now")

    repo = Repo()
    now = dt.datetime(2026, 12, 2, tzinfo=dt.UTC).timestamp()
    usage = AdminService(repo, None, clock=lambda: now).month_usage("2026-11")
    assert usage.complete and usage.days_elapsed == 30 and usage.storage_bytes == 500
    assert len(repo.moments) == 30 and repo.moments[-1] == int(dt.datetime(2026, 12, 1, tzinfo=dt.UTC).timestamp()) - 1
    assert (usage.views, usage.projected_views, usage.projected_transfer_bytes) == (4, 4, 400)
