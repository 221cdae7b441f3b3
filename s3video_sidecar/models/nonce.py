"""Nonces already seen (S3V1 replay protection, database store)."""

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from .meta import Base


class UsedNonce(Base):
    __tablename__ = "used_nonces"

    nonce: Mapped[str] = mapped_column(String(64), primary_key=True)
    expires_timestamp: Mapped[int] = mapped_column(BigInteger, index=True)
