"""The browser's pre-upload check (amd/src/media_check.js) agrees with the sidecar's probe:
the same codecs read from the same files, and the same table of which browser plays what."""

import json
import pathlib
import shutil
import subprocess

import pytest

from s3video_sidecar.sdk import probe

MODULE = pathlib.Path(__file__).resolve().parents[2] / "moodle_plugin" / "amd" / "src" / "media_check.js"


def node(script: str) -> object:
    if shutil.which("node") is None:
        pytest.fail("node is required (make test installs it)")
    answer = subprocess.run(["node", "--input-type=module", "-e", script], check=True, capture_output=True, text=True)
    return json.loads(answer.stdout)


def inspect_in_node(path) -> dict | None:
    return node(f"""
        import {{inspectVideo}} from {json.dumps(MODULE.as_uri())};
        import {{readFileSync}} from 'node:fs';
        const file = new Blob([readFileSync({json.dumps(str(path))})]);
        console.log(JSON.stringify(await inspectVideo(file)));
    """)


def test_the_tables_are_the_sidecars():
    tables = node(f"""
        import {{VIDEO_SUPPORT, AUDIO_SUPPORT, EXPORT_ADVICE}} from {json.dumps(MODULE.as_uri())};
        console.log(JSON.stringify({{video: VIDEO_SUPPORT, audio: AUDIO_SUPPORT, advice: EXPORT_ADVICE}}));
    """)
    assert tables["video"] == {codec: list(browsers) for codec, browsers in probe._VIDEO_SUPPORT.items()}
    assert tables["audio"] == {codec: list(browsers) for codec, browsers in probe._AUDIO_SUPPORT.items()}
    assert tables["advice"] == probe.EXPORT_ADVICE


@pytest.mark.parametrize("name", ["h264_fast.mp4", "h264_slow.mp4", "hevc.mov", "vp9.webm"])
def test_the_same_codecs_as_the_probe(clips, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(clips[name])
    seen = inspect_in_node(path)
    result, _reader = probe.probe(lambda a, b: clips[name][a : b + 1], len(clips[name]))
    assert (seen["videoCodec"], seen["audioCodec"]) == (result.video_codec, result.audio_codec)
    assert seen["everywhere"] is result.plays_everywhere
    assert seen["browsers"] == result.browsers


def test_a_non_video_says_nothing(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_bytes(b"just some text pretending to be a video" * 100)
    assert inspect_in_node(path) is None


def test_moov_beyond_the_first_mib_is_read_from_the_end(clips, tmp_path):
    """A phone's .mov keeps its moov at the end: the last MiB is read, as the fingerprint does."""
    data = clips["h264_slow.mp4"]
    mdat_padding = b"\0" * (3 * 1024 * 1024)
    # ftyp, then a big free box, then the file's own boxes after ftyp: the moov is past the first MiB.
    ftyp_size = int.from_bytes(data[:4], "big")
    padded = data[:ftyp_size] + (len(mdat_padding) + 8).to_bytes(4, "big") + b"free" + mdat_padding + data[ftyp_size:]
    path = tmp_path / "late_moov.mp4"
    path.write_bytes(padded)
    assert inspect_in_node(path)["videoCodec"] == "h264"
