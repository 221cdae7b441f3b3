"""S3 object keys and the filename sanitiser: the one place keys are built.

Key scheme (ARCHITECTURE.md): ``videos/{userid}/{timestamp}_{random}/{sanitised filename}``.
Keys are never reused: the timestamp and 64 random bits make each upload's key unique,
which is what lets signed URLs go without CloudFront invalidations.

A POST upload lands first at its *staging* key, ``uploads/`` + the same rest
(:func:`staging_key`); confirm copies it to the final ``videos/`` key, which no
presigned POST ever names, so nothing a student holds can write under ``videos/``.
:func:`staging_key` and :func:`final_key` are the one mapping between the two.

The sanitiser keeps what a teacher would recognise (letters and digits of any script,
``.``, ``-``, ``_``) and defeats the tricks a filename can play:

- path tricks: only the last component of ``/`` or ``\\`` separated names survives, and
  leading dots go (no ``..``, no hidden files);
- control and format characters (C0/C1 controls, RTL/LTR overrides and isolates,
  zero-width characters) are removed, so ``evil\\u202Egpj.mp4`` cannot pose as ``.jpg``;
- the extension (up to 10 ASCII letters or digits, lower-cased) is kept whatever the stem,
  and a stem left empty becomes ``video`` (``😀.mp4`` -> ``video.mp4``);
- overlong names are cut to :data:`MAX_FILENAME_BYTES` bytes of UTF-8, keeping the
  extension;
- anything else (spaces, punctuation, shell and URL metacharacters) becomes ``_``.
"""

from __future__ import annotations

import re
import secrets
import time
import unicodedata

PREFIX = "videos/"
STAGING_PREFIX = "uploads/"
POSTER_PREFIX = "posters/"  # a poster frame per video, beside it under its own prefix
MAX_FILENAME_BYTES = 120
DEFAULT_STEM = "video"
_EXTENSION = re.compile(r"^[a-z0-9]{1,10}$")
KEY_PATTERN = re.compile(r"^videos/(?P<user>[0-9]+)/(?P<stamp>[0-9]+)_(?P<random>[0-9a-f]{16})/(?P<name>[^/]+)$")


def _clean_char(char: str) -> str:
    category = unicodedata.category(char)
    if category in ("Cc", "Cf", "Cs", "Co", "Cn"):
        return ""  # controls, bidi overrides, zero-width, surrogates, private, unassigned
    if category[0] in ("L", "N") or char in "-_.":
        return char
    return "_"


def _clean(text: str) -> str:
    return "".join(_clean_char(char) for char in text)


def _cut_utf8(text: str, limit: int) -> str:
    encoded = text.encode("utf-8")[:limit]
    return encoded.decode("utf-8", errors="ignore")


def sanitise_filename(filename: str) -> str:
    """A safe, recognisable filename for the last segment of an S3 key; sanitising it again changes
    nothing. One pass can leave an extension-like end in a stem ("0.A." becomes "0.A", no extension
    taken); the second takes it ("0.a"), and a third would change nothing."""
    return _sanitise_once(_sanitise_once(filename))


def _sanitise_once(filename: str) -> str:
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[\\/]", name)[-1]
    # The extension is split off before anything is cleaned or trimmed, so a stem of characters
    # that are all replaced or removed ("😀.mp4") keeps it, and gets the default stem.
    stem, dot, extension = name.rpartition(".")
    extension = _clean(extension).lower()
    if not dot or not stem.lstrip(".") or not _EXTENSION.match(extension):
        stem, extension = name, ""  # no extension (".hidden" has none), or not one: it stays in the stem
    stem = re.sub(r"_{2,}", "_", _clean(stem)).strip("._-") or DEFAULT_STEM
    suffix = f".{extension}" if extension else ""
    stem = _cut_utf8(stem, MAX_FILENAME_BYTES - len(suffix)).rstrip("._-") or DEFAULT_STEM
    return stem + suffix


def build_s3_key(user_id: int, filename: str, now: float | None = None, token: str | None = None) -> str:
    """``videos/{userid}/{timestamp}_{random}/{sanitised filename}`` for a new upload."""
    if not isinstance(user_id, int) or user_id <= 0:
        raise ValueError("user_id must be a positive integer")
    stamp = int(time.time() if now is None else now)
    token = token or secrets.token_hex(8)
    return f"{PREFIX}{user_id}/{stamp}_{token}/{sanitise_filename(filename)}"


def key_owner(s3_key: str) -> int | None:
    """The user id a well-formed key was issued to, or None for anything else."""
    match = KEY_PATTERN.match(s3_key or "")
    return int(match.group("user")) if match else None


def staging_key(s3_key: str) -> str:
    """The staging key a POST upload of the video ``s3_key`` lands at: ``uploads/`` + the same rest."""
    if not s3_key.startswith(PREFIX):
        raise ValueError(f"not a video key: {s3_key!r}")
    return STAGING_PREFIX + s3_key[len(PREFIX) :]


def final_key(staging: str) -> str:
    """The video key a staging key is confirmed to (the inverse of :func:`staging_key`)."""
    if not staging.startswith(STAGING_PREFIX):
        raise ValueError(f"not a staging key: {staging!r}")
    return PREFIX + staging[len(STAGING_PREFIX) :]


def poster_key(video_key: str) -> str:
    """``posters/...<name>.jpg`` for the video at ``videos/...<name>``: one poster per video key."""
    if not video_key.startswith(PREFIX):
        raise ValueError("not a video key")
    return f"{POSTER_PREFIX}{video_key[len(PREFIX) :]}.jpg"
