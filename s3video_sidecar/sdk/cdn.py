"""CloudFront signed URLs: signing (for playback) and verification (for the local edge).

Rules of this module:

- Signing goes through botocore's :class:`~botocore.signers.CloudFrontSigner`; we only
  supply the signing function, so RSA-2048 with SHA-1 (CloudFront's classic form),
  RSA with SHA-256 and ECDSA P-256 with SHA-256 all fit behind it.
- Signed URLs use a canned policy on the exact URL: one object, one expiry.
- When the hash is SHA-256 the URL carries ``Hash-Algorithm=SHA256`` after the
  signature, as CloudFront expects; SHA-1 URLs carry no such parameter.
- :func:`verify_signed_url` is what the development edge runs before it streams a
  byte: it rebuilds the canned policy from the URL itself and checks the signature
  with the public half of the key, so the whole flow is exercised offline.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import os
import pathlib
import time
from collections.abc import Callable
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from botocore.signers import CloudFrontSigner
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

# The two key kinds CloudFront accepts (RSA-2048, ECDSA P-256) and its two hashes.
PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey
PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey
HashAlgorithm = type[hashes.SHA1] | type[hashes.SHA256]
HASH_ALGORITHMS: dict[str, HashAlgorithm] = {"sha1": hashes.SHA1, "sha256": hashes.SHA256}
SIGNING_PARAMETERS = ("Expires", "Signature", "Key-Pair-Id", "Hash-Algorithm")


class InvalidSignedUrl(Exception):
    """A playback URL is not signed, is signed with another key, or has expired."""


def _unb64_cloudfront(text: str) -> bytes:
    return base64.b64decode(text.replace("-", "+").replace("_", "=").replace("~", "/"), validate=True)


def canned_policy(resource_url: str, expires_epoch: int) -> bytes:
    # The same compact JSON, key order included, that CloudFront rebuilds for a canned policy.
    return json.dumps(
        {"Statement": [{"Resource": resource_url, "Condition": {"DateLessThan": {"AWS:EpochTime": expires_epoch}}}]},
        separators=(",", ":"),
    ).encode("utf-8")


def load_private_key(path: str | os.PathLike[str]) -> PrivateKey:
    data = pathlib.Path(path).read_bytes()
    key = serialization.load_pem_private_key(data, password=None)
    if isinstance(key, rsa.RSAPrivateKey):
        if key.key_size < 2048:
            raise ValueError("CloudFront needs an RSA key of at least 2048 bits")
    elif isinstance(key, ec.EllipticCurvePrivateKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise ValueError("CloudFront accepts ECDSA keys on the P-256 curve only")
    else:
        raise ValueError("the CloudFront key must be RSA-2048 or ECDSA P-256")
    return key


def generate_private_key(path: str | os.PathLike[str], kind: str = "rsa") -> PrivateKey:
    """Write a new key pair's private half (PEM, mode 0600) and return the key."""
    key: PrivateKey = (
        rsa.generate_private_key(65537, 2048) if kind == "rsa" else ec.generate_private_key(ec.SECP256R1())
    )
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return key


def public_key_pem(private_key: PrivateKey) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode("ascii")
    )


def _signing_function(private_key: PrivateKey, algorithm: HashAlgorithm) -> Callable[[bytes], bytes]:
    """``message -> signature`` for botocore's signer, its padding and hash objects made once, not per URL."""
    if isinstance(private_key, ec.EllipticCurvePrivateKey):
        scheme = ec.ECDSA(algorithm())
        return functools.partial(private_key.sign, signature_algorithm=scheme)
    pkcs1, hash_object = padding.PKCS1v15(), algorithm()
    return lambda message: private_key.sign(message, pkcs1, hash_object)


def _verify(public_key: PublicKey, algorithm: HashAlgorithm, signature: bytes, message: bytes) -> None:
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        public_key.verify(signature, message, ec.ECDSA(algorithm()))
    else:
        public_key.verify(signature, message, padding.PKCS1v15(), algorithm())


def resource_url(base_url: str, s3_key: str) -> str:
    """The exact URL of an object behind the CDN (each key segment percent-encoded)."""
    return f"{base_url.rstrip('/')}/{quote(s3_key, safe='/-_.~')}"


class UrlSigner:
    """Signs playback URLs for one CloudFront key (or the local edge's stand-in for it)."""

    def __init__(
        self, key_id: str, private_key: PrivateKey, hash_algorithm: str = "sha1", cache_size: int = 4096
    ) -> None:
        if isinstance(private_key, ec.EllipticCurvePrivateKey) and hash_algorithm != "sha256":
            raise ValueError("ECDSA keys sign with SHA-256: set s3video.cloudfront.hash_algorithm = sha256")
        self.key_id = key_id
        self.hash_algorithm = hash_algorithm
        self._signer = CloudFrontSigner(key_id, _signing_function(private_key, HASH_ALGORITHMS[hash_algorithm]))
        # The same URL and expiry sign to an equally good URL: callers that round their expiry to a
        # window (playback) sign each video once a window. Bounded; safe across threads.
        self.sign_cached = functools.lru_cache(maxsize=cache_size)(self.sign)

    def sign(self, url: str, expires_at: int) -> str:
        """A canned-policy signed URL valid until ``expires_at`` (Unix seconds)."""
        signed = self._signer.generate_presigned_url(
            url, date_less_than=dt.datetime.fromtimestamp(expires_at, tz=dt.UTC)
        )
        if self.hash_algorithm == "sha256":
            signed += "&Hash-Algorithm=SHA256"
        return signed


def verify_signed_url(url: str, public_key: PublicKey, key_id: str, now: float | None = None) -> str:
    """Check a canned-policy signed URL; return the resource URL it grants.

    Raises :class:`InvalidSignedUrl` with a reason an edge may show.
    """
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    params = {name: value for name, value in query if name in SIGNING_PARAMETERS}
    others = [(name, value) for name, value in query if name not in SIGNING_PARAMETERS]
    missing = [name for name in ("Expires", "Signature", "Key-Pair-Id") if name not in params]
    if missing:
        raise InvalidSignedUrl(f"the URL is not signed (missing {', '.join(missing)})")
    if params["Key-Pair-Id"] != key_id:
        raise InvalidSignedUrl("the URL is signed with another key")
    if not params["Expires"].isdigit():
        raise InvalidSignedUrl("the URL's expiry is not a number")
    expires = int(params["Expires"])
    if expires <= (time.time() if now is None else now):
        raise InvalidSignedUrl("the URL has expired")
    algorithm_name = params.get("Hash-Algorithm", "SHA1").lower()
    if algorithm_name not in HASH_ALGORITHMS:
        raise InvalidSignedUrl("unknown Hash-Algorithm")
    # The resource is the URL without the signing parameters, other parameters kept in order.
    resource = urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(f"{n}={v}" for n, v in others), ""))
    try:
        signature = _unb64_cloudfront(params["Signature"])
        _verify(public_key, HASH_ALGORITHMS[algorithm_name], signature, canned_policy(resource, expires))
    except (InvalidSignature, ValueError):
        raise InvalidSignedUrl("the signature does not match") from None
    return resource
