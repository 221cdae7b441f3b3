"""Container signatures: is the start of an object the video container its MIME type says?

Confirm reads the first :data:`SIGNATURE_BYTES` bytes of the confirmed copy (a ranged
GET) and refuses what does not start as a video of the declared family (415,
``not_a_video``): a PDF or a text file declared ``video/mp4`` never becomes "ready".

The signatures are the containers' own fixed magic numbers, nothing heuristic:

- ISO base media (MP4, M4V, 3GP, QuickTime): the first box is ``ftyp`` (bytes 4-7;
  ISO/IEC 14496-12 4.3). QuickTime files written before ``ftyp`` existed start with
  another top-level atom instead: ``wide``, ``free``, ``mdat`` or ``moov``; those are
  accepted for ``video/quicktime`` only.
- Matroska and WebM: the EBML header ID ``1A 45 DF A3`` (RFC 8794).
- Ogg: the capture pattern ``OggS`` (RFC 3533).

A MIME type with no signature here cannot be allowed (``settings.py`` refuses it at
start-up), so every allowed type is checked.
"""

from __future__ import annotations

SIGNATURE_BYTES = 12

ISO_BMFF, QUICKTIME_ATOMS, MATROSKA, OGG = "iso-bmff", "quicktime-atom", "matroska", "ogg"
_QUICKTIME_LEADING_ATOMS = (b"wide", b"free", b"mdat", b"moov")

# MIME type -> the container signatures it may start with.
FAMILIES: dict[str, frozenset[str]] = {
    "video/mp4": frozenset({ISO_BMFF}),
    "video/x-m4v": frozenset({ISO_BMFF}),
    "video/3gpp": frozenset({ISO_BMFF}),
    "video/3gpp2": frozenset({ISO_BMFF}),
    "video/quicktime": frozenset({ISO_BMFF, QUICKTIME_ATOMS}),
    "video/webm": frozenset({MATROSKA}),
    "video/x-matroska": frozenset({MATROSKA}),
    "video/ogg": frozenset({OGG}),
}


def signature_of(head: bytes) -> str | None:
    """The container signature ``head`` (an object's first bytes) starts with, or None."""
    if head[4:8] == b"ftyp":
        return ISO_BMFF
    if head[4:8] in _QUICKTIME_LEADING_ATOMS:
        return QUICKTIME_ATOMS
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return MATROSKA
    if head[:4] == b"OggS":
        return OGG
    return None


def matches(mime_type: str, head: bytes) -> bool:
    """Whether ``head`` starts a container of the family ``mime_type`` names."""
    return signature_of(head) in FAMILIES.get(mime_type, frozenset())
