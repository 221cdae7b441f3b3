import hypothesis
import pytest
from hypothesis import strategies as st

from s3video_sidecar.sdk.keys import KEY_PATTERN, MAX_FILENAME_BYTES, build_s3_key, key_owner, sanitise_filename


@pytest.mark.parametrize(
    "name, expected",
    [
        ("talk.mp4", "talk.mp4"),
        ("My Talk (final).MP4", "My_Talk_final.mp4"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\video.mov", "video.mov"),
        ("evil\u202egpj.mp4", "evilgpj.mp4"),  # RTL override cannot disguise the extension
        ("zero\u200bwidth.webm", "zerowidth.webm"),
        ("tab\tnew\nline\x00.mp4", "tabnewline.mp4"),
        ("..", "video"),
        ("", "video"),
        (".hidden.mp4", "hidden.mp4"),
        ("0.A.", "0.a"),  # the first pass leaves "0.A" (no extension taken); sanitising is idempotent
        ("Präsentation é.mp4", "Präsentation_é.mp4"),
        ("a;rm -rf $HOME.mp4", "a_rm_-rf_HOME.mp4"),
        ("no_extension", "no_extension"),
        ("weird.ext!!", "weird.ext"),
    ],
)
def test_sanitise_filename(name, expected):
    assert sanitise_filename(name) == expected


def test_overlong_names_are_cut_keeping_the_extension():
    name = sanitise_filename("é" * 500 + ".mp4")
    assert name.endswith(".mp4")
    assert len(name.encode("utf-8")) <= MAX_FILENAME_BYTES
    assert name[:-4] == "é" * ((MAX_FILENAME_BYTES - 4) // 2)


def test_key_scheme():
    key = build_s3_key(123, "my video.mp4", now=1698345600, token="a7b3c0d1e2f30415")
    assert key == "videos/123/1698345600_a7b3c0d1e2f30415/my_video.mp4"
    assert key_owner(key) == 123


def test_keys_are_unique():
    keys = {build_s3_key(5, "x.mp4", now=1) for _ in range(1000)}
    assert len(keys) == 1000
    assert all(KEY_PATTERN.match(k) for k in keys)


@pytest.mark.parametrize("user", [0, -1, "5", None])
def test_key_needs_a_positive_user_id(user):
    with pytest.raises(ValueError):
        build_s3_key(user, "x.mp4")


def test_key_owner_refuses_foreign_keys():
    assert key_owner("videos/1/../2/x.mp4") is None
    assert key_owner("other/1/1_0123456789abcdef/x.mp4") is None


@pytest.mark.parametrize(
    "name, expected",
    [
        ("😀.mp4", "video.mp4"),  # was "mp4": the replaced stem took the dot with it
        ("😀😀 .WEBM", "video.webm"),
        ("___.mov", "video.mov"),
        ("ü😀.mp4", "ü.mp4"),
    ],
)
def test_the_extension_survives_a_stem_of_replaced_characters(name, expected):
    assert sanitise_filename(name) == expected


@hypothesis.given(
    stem=st.text(st.characters(blacklist_characters="/\\.", blacklist_categories=("Cs",)), min_size=1, max_size=300),
    extension=st.from_regex(r"\A[A-Za-z0-9]{1,10}\Z"),
)
def test_the_extension_is_kept_whatever_the_stem(stem, extension):
    name = sanitise_filename(f"{stem}.{extension}")
    assert name.endswith(f".{extension.lower()}")
    kept_stem = name[: -len(extension) - 1]
    assert kept_stem and not kept_stem.startswith(".") and not kept_stem.endswith((".", "_", "-"))
    assert "/" not in name and "\\" not in name
    assert len(name.encode("utf-8")) <= MAX_FILENAME_BYTES
    assert all(char.isalnum() or char in "._-" for char in name)


def test_staging_and_final_keys_map_one_to_the_other():
    from s3video_sidecar.sdk.keys import build_s3_key, final_key, staging_key

    key = build_s3_key(7, "talk.mp4", 1700000000, token="0123456789abcdef")
    assert staging_key(key) == "uploads/7/1700000000_0123456789abcdef/talk.mp4"
    assert final_key(staging_key(key)) == key
    with pytest.raises(ValueError):
        staging_key("uploads/7/1_0123456789abcdef/a.mp4")
    with pytest.raises(ValueError):
        final_key(key)
