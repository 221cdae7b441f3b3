"""The SQL of the background jobs (``sdk/maintenance.py``): claiming rows, looking keys up.

:class:`SqlMaintenanceRepository` extends the operations repository (which extends the
video repository), so the jobs drive the video service and the privacy service's
``forget_erased`` over one session.

Rows a job changes are *claimed*: ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL
and MariaDB/MySQL, so two workers (or a worker and ``s3video-admin``) never take the
same row; SQLite has no row locks and serialises writers instead. Every claim pages by
id (``after_id``), so a row a run leaves as it was is not claimed again in that run.
"""

from __future__ import annotations

from sqlalchemy import func, or_, select

from .operations import SqlOperationsRepository
from .video import LIVE_STATUSES, Submission, Video, VideoStatus

KEY_CHUNK = 500  # keys per IN (...) lookup
# Which row of a shared key speaks for its object: one that needs it over one that does not.
_KEY_RANK = {**{str(s): 3 for s in LIVE_STATUSES}, str(VideoStatus.DELETING): 2, str(VideoStatus.ERROR): 1,
             str(VideoStatus.DELETED): 0}


class SqlMaintenanceRepository(SqlOperationsRepository):
    def _claim(self, query, limit: int, after_id: int, lock: bool) -> list[Video]:
        query = query.where(Video.id > after_id).order_by(Video.id).limit(limit)
        if lock:
            query = query.with_for_update(skip_locked=True)
        return list(self.dbsession.scalars(query))

    def count(self, query) -> int:
        """How many rows a claim's query matches now (a progress bar's total)."""
        return int(self.dbsession.scalar(select(func.count()).select_from(query.subquery())))

    @staticmethod
    def due_for_purge(now: int):
        return select(Video).where(Video.upload_status == str(VideoStatus.DELETING), Video.purge_after_timestamp <= now)

    @staticmethod
    def expired(cutoff: int):
        return select(Video).where(Video.upload_status.in_([str(VideoStatus.PENDING), str(VideoStatus.UPLOADING)]),
                                   Video.upload_expires_timestamp <= cutoff)

    @staticmethod
    def ready_before(cutoff: int):
        return select(Video).where(Video.upload_status == str(VideoStatus.READY), Video.upload_timestamp < cutoff)

    def videos_due_for_purge_after(self, now: int, limit: int, after_id: int = 0, video_ids=None,
                                   lock: bool = True) -> list[Video]:
        """``deleting`` rows whose grace period is over (only ``video_ids``, if given), by id."""
        query = self.due_for_purge(now)
        if video_ids is not None:
            query = query.where(Video.id.in_(list(video_ids)))
        return self._claim(query, limit, after_id, lock)

    def expired_uploads(self, cutoff: int, limit: int, after_id: int = 0, lock: bool = True) -> list[Video]:
        """``pending``/``uploading`` rows whose upload window closed at or before ``cutoff``."""
        query = self.expired(cutoff)
        return self._claim(query, limit, after_id, lock)

    def ready_videos_uploaded_before(self, cutoff: int, limit: int, after_id: int = 0,
                                     lock: bool = True) -> list[Video]:
        query = self.ready_before(cutoff)
        return self._claim(query, limit, after_id, lock)

    def drafts_confirmed_before(self, cutoff: int, limit: int, after_id: int = 0, lock: bool = True) -> list[Video]:
        """Drafts (``ready``, not their submission's current video) confirmed at or before ``cutoff``."""
        is_current = select(Submission.id).where(Submission.current_video_id == Video.id).exists()
        query = select(Video).where(Video.upload_status == str(VideoStatus.READY),
                                    Video.confirmed_timestamp <= cutoff, ~is_current)
        return self._claim(query, limit, after_id, lock)

    def keys_still_needed(self, keys, now: int, excluding_ids) -> set[str]:
        """Which of ``keys`` a row other than ``excluding_ids`` still needs: a live row, or one
        ``deleting`` whose purge time has not come (copies share their source's object)."""
        keys, excluding, needed = list(keys), list(excluding_ids), set()
        for start in range(0, len(keys), KEY_CHUNK):
            query = select(Video.s3_key).where(
                Video.s3_key.in_(keys[start:start + KEY_CHUNK]), Video.id.not_in(excluding),
                or_(Video.upload_status.in_([str(s) for s in LIVE_STATUSES]),
                    (Video.upload_status == str(VideoStatus.DELETING)) & (Video.purge_after_timestamp > now)))
            # a locking read: the rows as committed now (MySQL's repeatable read would show the snapshot)
            needed.update(self.dbsession.scalars(query.with_for_update(read=True)))
        return needed

    def unprobed_ready_videos(self, limit: int, after_id: int = 0, video_ids=None,
                              lock: bool = True) -> list[Video]:
        """``ready`` rows the media probe has not seen yet (only ``video_ids``, if given), by id."""
        query = select(Video).where(Video.upload_status == str(VideoStatus.READY),
                                    Video.probed_timestamp.is_(None))
        if video_ids is not None:
            query = query.where(Video.id.in_(list(video_ids)))
        return self._claim(query, limit, after_id, lock)

    def videos_by_keys(self, keys) -> dict[str, Video]:
        """Key -> the row that speaks for its object: of rows sharing a key, one that still needs it."""
        keys, found = list(keys), {}
        for start in range(0, len(keys), KEY_CHUNK):
            for video in self.dbsession.scalars(select(Video).where(Video.s3_key.in_(keys[start:start + KEY_CHUNK]))):
                held = found.get(video.s3_key)
                if held is None or _KEY_RANK[str(video.upload_status)] > _KEY_RANK[str(held.upload_status)]:
                    found[video.s3_key] = video
        return found

    def videos_by_upload_ids(self, upload_ids) -> dict[str, Video]:
        return self._videos_by(Video.upload_id, upload_ids)

    def _videos_by(self, column, values) -> dict:
        values, found = list(values), {}
        for start in range(0, len(values), KEY_CHUNK):
            query = select(Video).where(column.in_(values[start:start + KEY_CHUNK]))
            found.update((getattr(video, column.key), video) for video in self.dbsession.scalars(query))
        return found

    def key_states(self, prefix: str) -> list[tuple[str, str, int | None]]:
        """(key, status, purge after) of every row whose key starts with ``prefix``."""
        query = select(Video.s3_key, Video.upload_status, Video.purge_after_timestamp).where(
            Video.s3_key.startswith(prefix, autoescape=True))
        return [(key, str(status), purge_after) for key, status, purge_after in self.dbsession.execute(query)]
