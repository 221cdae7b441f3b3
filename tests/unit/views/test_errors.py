"""The error views' helpers."""

from s3video_sidecar.views.errors import ids_in_path


def test_ids_in_path():
    assert ids_in_path("/assignments/7/submissions/9/playback-url") == (7, 9)
    assert ids_in_path("/assignments/7") == (7, None)
    assert ids_in_path("/assignments/7x/submissions/9") == (None, None)
    assert ids_in_path("/assignments/" + "9" * 30) == (None, None)  # never more than a BIGINT
    assert ids_in_path("/admin/videos/3") == (None, None)
