"""The stand-in's disk store: what a write cut short leaves is removed at start, nothing answered is lost."""

import os

import pytest

from s3video_sidecar.sdk.embedded_store import S3Error, Store


@pytest.fixture
def store(tmp_path):
    store = Store(str(tmp_path)).open()
    store.create_bucket("b")
    yield store
    store.close()


def reopen(store: Store) -> Store:
    store.close()
    return Store(store.root).open()


def put(store, key, data=b"data"):
    return store.put("b", key, store.receive([data]), "video/mp4", {})


def test_objects_and_open_uploads_survive_a_reopen(store):
    put(store, "videos/a.mp4", b"kept")
    upload = store.create_upload("b", "videos/big.mp4", "video/mp4", "SHA256", {})
    store.put_part("b", "videos/big.mp4", upload.upload_id, 1, store.receive([b"part"], ["SHA256"]))
    again = reopen(store)
    meta, handle = again.open_object("b", "videos/a.mp4")
    with handle:
        assert handle.read() == b"kept" and meta["content_type"] == "video/mp4"
    assert list(again.upload("b", "videos/big.mp4", upload.upload_id).parts) == [1]
    again.close()


def test_what_a_write_cut_short_left_is_removed_at_start(store):
    put(store, "videos/a.mp4")
    blobs = os.path.join(store.root, "buckets", "b", "blobs")
    open(os.path.join(blobs, "orphan"), "wb").close()  # renamed into place, metadata never written
    open(os.path.join(store.root, "tmp", "half"), "wb").close()  # a body being received
    upload = store.create_upload("b", "videos/big.mp4", "video/mp4", None, {})
    directory = os.path.join(store.root, "buckets", "b", "uploads", upload.upload_id)
    open(os.path.join(directory, "2-unreferenced.part"), "wb").close()  # a part whose JSON never came
    aborted = os.path.join(store.root, "buckets", "b", "uploads", "aborted-half-way")
    os.makedirs(aborted)  # an abort that removed upload.json, then stopped
    open(os.path.join(aborted, "1-x.part"), "wb").close()
    again = reopen(store)
    assert os.listdir(blobs) == [again.head("b", "videos/a.mp4")["blob"]]
    assert os.listdir(os.path.join(store.root, "tmp")) == []
    assert sorted(os.listdir(directory)) == ["upload.json"]
    assert not os.path.exists(aborted)
    again.close()


def test_a_complete_cut_short_after_its_commit_leaves_no_open_upload(store):
    upload = store.create_upload("b", "videos/big.mp4", "video/mp4", None, {})
    store.put_part("b", "videos/big.mp4", upload.upload_id, 1, store.receive([b"only part"]))
    directory = os.path.join(store.root, "buckets", "b", "uploads", upload.upload_id)
    # the state a kill leaves between the object's commit and the removal of its upload
    store.put("b", "videos/big.mp4", store.receive([b"only part"]), "video/mp4", {}, upload_id=upload.upload_id)
    assert os.path.exists(directory)
    again = reopen(store)
    assert not os.path.exists(directory)
    with pytest.raises(S3Error) as gone:
        again.upload("b", "videos/big.mp4", upload.upload_id)
    assert gone.value.code == "NoSuchUpload"
    assert again.head("b", "videos/big.mp4")["size"] == len(b"only part")
    again.close()


def test_one_process_per_data_directory(store):
    with pytest.raises(RuntimeError, match="another embedded S3 stand-in"):
        Store(store.root).open()
