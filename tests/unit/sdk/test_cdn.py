import base64
import json
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding

from s3video_sidecar.sdk import cdn

URL = "https://d111111abcdef8.cloudfront.net/videos/1/1_0123456789abcdef/talk.mp4"


@pytest.fixture(scope="module")
def rsa_key(tmp_path_factory):
    return cdn.generate_private_key(tmp_path_factory.mktemp("k") / "rsa.pem", "rsa")


@pytest.fixture(scope="module")
def ec_key(tmp_path_factory):
    return cdn.generate_private_key(tmp_path_factory.mktemp("k") / "ec.pem", "ec")


def _unb64(text):
    return base64.b64decode(text.replace("-", "+").replace("_", "=").replace("~", "/"))


def test_rsa_sha1_canned_policy_verifies_independently(rsa_key):
    expires = int(time.time()) + 600
    signed = cdn.UrlSigner("KEYID", rsa_key, "sha1").sign(URL, expires)
    params = parse_qs(urlsplit(signed).query)
    assert params["Expires"] == [str(expires)] and params["Key-Pair-Id"] == ["KEYID"]
    assert "Hash-Algorithm" not in params
    policy = json.dumps(
        {"Statement": [{"Resource": URL, "Condition": {"DateLessThan": {"AWS:EpochTime": expires}}}]},
        separators=(",", ":"),
    ).encode()
    # Independent check with the public key: raises if the signature is wrong.
    rsa_key.public_key().verify(_unb64(params["Signature"][0]), policy, padding.PKCS1v15(), hashes.SHA1())


def test_rsa_sha256_adds_the_hash_algorithm(rsa_key):
    signed = cdn.UrlSigner("KEYID", rsa_key, "sha256").sign(URL, int(time.time()) + 60)
    assert signed.endswith("&Hash-Algorithm=SHA256")
    assert cdn.verify_signed_url(signed, rsa_key.public_key(), "KEYID") == URL


def test_ecdsa_p256_signs_with_sha256(ec_key):
    expires = int(time.time()) + 60
    signed = cdn.UrlSigner("EC", ec_key, "sha256").sign(URL, expires)
    signature = _unb64(parse_qs(urlsplit(signed).query)["Signature"][0])
    ec_key.public_key().verify(signature, cdn.canned_policy(URL, expires), ec.ECDSA(hashes.SHA256()))
    assert cdn.verify_signed_url(signed, ec_key.public_key(), "EC") == URL


def test_ecdsa_refuses_sha1(ec_key):
    with pytest.raises(ValueError):
        cdn.UrlSigner("EC", ec_key, "sha1")


@pytest.mark.parametrize(
    "tamper, reason",
    [
        (lambda u: u.replace("talk.mp4", "other.mp4"), "signature"),
        (lambda u: u.replace("Key-Pair-Id=KEYID", "Key-Pair-Id=OTHER"), "another key"),
        (lambda u: u.split("&Signature")[0], "not signed"),
    ],
)
def test_verify_refuses_tampered_urls(rsa_key, tamper, reason):
    signed = cdn.UrlSigner("KEYID", rsa_key).sign(URL, int(time.time()) + 60)
    with pytest.raises(cdn.InvalidSignedUrl, match=reason):
        cdn.verify_signed_url(tamper(signed), rsa_key.public_key(), "KEYID")


def test_verify_refuses_expired_urls(rsa_key):
    signed = cdn.UrlSigner("KEYID", rsa_key).sign(URL, int(time.time()) - 1)
    with pytest.raises(cdn.InvalidSignedUrl, match="expired"):
        cdn.verify_signed_url(signed, rsa_key.public_key(), "KEYID")


def test_changed_expiry_breaks_the_signature(rsa_key):
    expires = int(time.time()) + 60
    signed = cdn.UrlSigner("KEYID", rsa_key).sign(URL, expires)
    with pytest.raises(cdn.InvalidSignedUrl, match="signature"):
        cdn.verify_signed_url(signed.replace(str(expires), str(expires + 3600)), rsa_key.public_key(), "KEYID")


def test_resource_url_percent_encodes_the_key():
    assert (
        cdn.resource_url("https://cdn.example/", "videos/1/1_ab/Präsentation é.mp4")
        == "https://cdn.example/videos/1/1_ab/Pr%C3%A4sentation%20%C3%A9.mp4"
    )


def test_small_rsa_keys_are_refused(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(65537, 1024)
    path = tmp_path / "small.pem"
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    with pytest.raises(ValueError, match="2048"):
        cdn.load_private_key(path)
