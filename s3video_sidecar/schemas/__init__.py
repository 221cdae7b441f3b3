"""colander schemas for every request body, and the one function that applies them.

A body that is not a JSON object, or that fails its schema, becomes
:class:`~s3video_sidecar.sdk.errors.InvalidInput` with a message per field (400).
Limits that depend on settings (size, MIME type) are the service's to check, so they
get their own status codes (413, 415).
"""

from __future__ import annotations

import json
import re

import colander

from ..sdk import strictjson
from ..sdk.errors import InvalidInput, TooLarge

MIME_PATTERN = r"^[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}$"
NO_NUL_PATTERN = r"^[^\u0000]*$"  # published in openapi.py: strings never carry NUL
MAX_SIZE_BYTES = 2**53  # the largest integer a JSON number carries exactly
CHECKSUM_PATTERN = r"^[A-Za-z0-9+/]{43}=$"  # base64 of a SHA-256 digest
MAX_PARTS = 10_000  # S3's limit on a multipart upload's parts
MAX_ETAG_CHARS = 128
ETAG_PATTERN = r"^[ -~]{1,128}$"  # printable ASCII, as S3's ETags ("<hex>" or "<hex>-<parts>")


class StrictMapping(colander.Mapping):
    def __init__(self):
        super().__init__(unknown="raise")


def _matches(pattern: str, message: str):
    """Like colander.Regex, but the whole text must match: Python's ``$`` also matches before a
    final newline, JSON Schema's (openapi.py publishes these patterns) does not."""
    compiled = re.compile(pattern)

    def validator(node, value):
        if not compiled.fullmatch(value):
            raise colander.Invalid(node, message)

    return validator


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class _StrictString(colander.String):
    """A string field that refuses numbers, lists and objects rather than coercing them."""

    def deserialize(self, node, cstruct):
        if cstruct is not colander.null and not isinstance(cstruct, str):
            raise colander.Invalid(node, "must be a string")
        if isinstance(cstruct, str) and not _encodable(cstruct):
            # JSON may escape a lone surrogate ("\ud800"): no database or S3 key can hold it.
            raise colander.Invalid(node, "must be valid Unicode text")
        if isinstance(cstruct, str) and "\x00" in cstruct:
            raise colander.Invalid(node, "must not contain NUL characters")  # PostgreSQL text cannot hold them
        return super().deserialize(node, cstruct)


class _StrictInt(colander.Int):
    def deserialize(self, node, cstruct):
        if isinstance(cstruct, float) and cstruct.is_integer():
            cstruct = int(cstruct)  # JSON Schema's integer: 3.0 is the integer 3
        if cstruct is not colander.null and (isinstance(cstruct, bool) or not isinstance(cstruct, int)):
            raise colander.Invalid(node, "must be an integer")
        return super().deserialize(node, cstruct)


def _filename_validator(node, value):
    if not value.strip():
        raise colander.Invalid(node, "must name the file")


class UploadRequest(colander.MappingSchema):
    schema_type = StrictMapping
    filename = colander.SchemaNode(
        _StrictString(), validator=colander.All(colander.Length(1, 1024), _filename_validator)
    )
    size = colander.SchemaNode(
        _StrictInt(), validator=colander.Range(min=1, max=MAX_SIZE_BYTES, min_err="must be at least 1 byte")
    )
    mime_type = colander.SchemaNode(
        _StrictString(), validator=_matches(MIME_PATTERN, "must be a MIME type such as video/mp4")
    )


class MultipartRequest(UploadRequest):
    fingerprint = colander.SchemaNode(
        _StrictString(), missing=None, validator=_matches(r"^[A-Za-z0-9_.:-]{8,128}$", "8-128 of [A-Za-z0-9_.:-]")
    )


class _StrictBool(colander.Boolean):
    """true or false as JSON says them: not "yes", 1 or "true"."""

    def deserialize(self, node, cstruct):
        if cstruct is not colander.null and not isinstance(cstruct, bool):
            raise colander.Invalid(node, "must be true or false")
        return cstruct


ID_RANGE = colander.Range(1, 2**63 - 1, min_err="must be a positive id", max_err="must be at most 2**63 - 1")


class ConfirmRequest(colander.MappingSchema):
    schema_type = StrictMapping
    s3_key = colander.SchemaNode(_StrictString(), validator=colander.Length(1, 500))
    draft = colander.SchemaNode(_StrictBool(), missing=False)  # Moodle's form: current only once saved


class MakeCurrentRequest(colander.MappingSchema):
    schema_type = StrictMapping
    video_id = colander.SchemaNode(_StrictInt(), validator=ID_RANGE)


class CopyFromRequest(colander.MappingSchema):
    """The source (assignment, submission) and the target submission's owner and optional team group."""

    schema_type = StrictMapping
    assignment_id = colander.SchemaNode(_StrictInt(), validator=ID_RANGE)
    submission_id = colander.SchemaNode(_StrictInt(), validator=ID_RANGE)
    user_id = colander.SchemaNode(_StrictInt(), validator=ID_RANGE)
    group_id = colander.SchemaNode(
        _StrictInt(),
        missing=None,
        validator=colander.Range(
            0, 2**63 - 1, min_err="must be 0 (no group) or a group id", max_err="must be at most 2**63 - 1"
        ),
    )


class PartNumbers(colander.SequenceSchema):
    part_number = colander.SchemaNode(_StrictInt(), validator=colander.Range(1, 10_000))


class _Checksums(colander.Mapping):
    """Optional ``{"1": "<base64 SHA-256>", ...}``: each is signed into its part's URL."""

    def __init__(self):
        super().__init__(unknown="preserve")

    def deserialize(self, node, cstruct):
        value = super().deserialize(node, cstruct)
        if value is colander.null:
            return value
        checksums = {}
        for name, digest in value.items():
            if (
                not re.fullmatch(r"[0-9]{1,5}", str(name))
                or not isinstance(digest, str)
                or not re.fullmatch(CHECKSUM_PATTERN, digest)
            ):
                raise colander.Invalid(node, "map part numbers to base64 SHA-256 digests")
            checksums[int(name)] = digest
        return checksums


class SignPartsRequest(colander.MappingSchema):
    schema_type = StrictMapping
    part_numbers = PartNumbers(validator=colander.Length(1, 100))
    checksums = colander.SchemaNode(_Checksums(), missing=None)


class CompletedPart(colander.MappingSchema):
    schema_type = StrictMapping
    part_number = colander.SchemaNode(_StrictInt(), validator=colander.Range(1, 10_000))
    etag = colander.SchemaNode(_StrictString(), validator=_matches(ETAG_PATTERN, "1-128 printable ASCII characters"))


class CompletedParts(colander.SequenceSchema):
    part = CompletedPart()


class CompleteRequest(colander.MappingSchema):
    schema_type = StrictMapping
    parts = CompletedParts(validator=colander.Length(1, MAX_PARTS))
    draft = colander.SchemaNode(_StrictBool(), missing=False)


def largest_complete_body() -> bytes:
    """The largest valid request of the API: a complete call with the most parts, each field at its
    maximum, every ETag character one JSON escapes (``\\"``), spaced as ``json.dumps`` spaces it."""
    part = {"part_number": MAX_PARTS, "etag": '"' * MAX_ETAG_CHARS}
    return json.dumps({"parts": [part] * MAX_PARTS, "draft": False}).encode("ascii")


# The cap on every request body (the server refuses more, 413, before reading it; waitress'
# max_request_body_size in both ini files says the same): the largest valid request rounded up
# to a whole MiB. tests/functional/test_hardening.py holds the schema, the cap and the ini to it.
MAX_BODY_BYTES = -(-len(largest_complete_body()) // 2**20) * 2**20


def validate_body(request, schema: colander.SchemaNode) -> dict:
    """Parse the JSON body and apply ``schema``; raise InvalidInput (400) or TooLarge (413)."""
    if request.content_length and request.content_length > MAX_BODY_BYTES:
        raise TooLarge(f"the request body is over {MAX_BODY_BYTES} bytes")
    try:
        body = strictjson.loads(request.body)
    except (strictjson.DuplicateKey, strictjson.TooDeep) as error:
        raise InvalidInput("the body must be a JSON object", {"body": str(error)}) from None
    except ValueError:  # UnicodeDecodeError included
        raise InvalidInput("the body must be a JSON object", {"body": "not valid JSON"}) from None
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object", {"body": "expected an object"})
    try:
        return schema.deserialize(body)
    except colander.Invalid as error:
        fields = {name or "body": message for name, message in error.asdict().items()}
        raise InvalidInput("some fields are invalid", fields) from None


MAX_POSTER_IDS = 500  # a grading table's page (Moodle shows at most 100 a page, "All" comes in chunks)


def _unique(node, value):
    if len(set(value)) != len(value):
        raise colander.Invalid(node, "name each submission once")


class _SubmissionIds(colander.SequenceSchema):
    submission_id = colander.SchemaNode(_StrictInt(), validator=ID_RANGE)


class PostersRequest(colander.MappingSchema):
    """``{"submission_ids": [..]}``: 1 to :data:`MAX_POSTER_IDS` distinct positive ids."""

    schema_type = StrictMapping
    submission_ids = _SubmissionIds(
        validator=colander.All(
            colander.Length(
                1,
                MAX_POSTER_IDS,
                min_err="name at least one submission",
                max_err=f"at most {MAX_POSTER_IDS} submissions a call",
            ),
            _unique,
        )
    )
