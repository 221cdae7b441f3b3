"""Rate-limit counters (database store): one row per user, action and time window.

Rows are written by :class:`~s3video_sidecar.ratelimit.DatabaseRateLimitStore` in
transactions of their own and forgotten once their window has passed.
"""

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base


class RateLimitCounter(Base):
    __tablename__ = "rate_limit_counters"

    bucket: Mapped[str] = mapped_column(String(100), primary_key=True)  # "{action}:{user}:{window}"
    hits: Mapped[int] = mapped_column(Integer)
    expires_timestamp: Mapped[int] = mapped_column(BigInteger, index=True)
