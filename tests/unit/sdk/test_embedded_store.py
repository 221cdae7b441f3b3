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


def test_a_complete_cut_short_after_its_commit_leaves_no_open_upload(store, monkeypatch):
    upload = store.create_upload("b", "videos/big.mp4", "video/mp4", None, {})
    store.put_part("b", "videos/big.mp4", upload.upload_id, 1, store.receive([b"only part"]))
    directory = os.path.join(store.root, "buckets", "b", "uploads", upload.upload_id)
    # the state a kill leaves between the object's commit and the removal of its upload
    monkeypatch.setattr(store, "_forget_upload", lambda bucket, upload_id: None)
    store.complete("b", "videos/big.mp4", upload.upload_id, [{"number": 1}])
    assert os.path.exists(directory)
    again = reopen(store)
    assert not os.path.exists(directory)
    with pytest.raises(S3Error) as gone:
        again.upload("b", "videos/big.mp4", upload.upload_id)
    assert gone.value.code == "NoSuchUpload"
    meta, handle = again.open_object("b", "videos/big.mp4")
    with handle:
        assert meta["size"] == len(b"only part") and handle.read() == b"only part"
    again.close()


def test_a_complete_cut_short_before_its_commit_leaves_the_upload_as_it_was(store):
    upload = store.create_upload("b", "videos/big.mp4", "video/mp4", None, {})
    part = store.put_part("b", "videos/big.mp4", upload.upload_id, 1, store.receive([b"only part"]))
    directory = os.path.join(store.root, "buckets", "b", "uploads", upload.upload_id)
    blobs = os.path.join(store.root, "buckets", "b", "blobs")
    os.link(os.path.join(directory, part["file"]), os.path.join(blobs, "linked"))  # linked, never committed
    again = reopen(store)
    assert os.listdir(blobs) == []
    again.complete("b", "videos/big.mp4", upload.upload_id, [{"number": 1}])
    _meta, handle = again.open_object("b", "videos/big.mp4")
    with handle:
        assert handle.read() == b"only part"
    again.close()


def multipart(store, key, parts, algorithm="SHA256"):
    upload = store.create_upload("b", key, "video/mp4", algorithm, {"x-amz-meta-a": "1"})
    for number, data in enumerate(parts, 1):
        store.put_part("b", key, upload.upload_id, number, store.receive([data], [algorithm] if algorithm else []))
    return store.complete("b", key, upload.upload_id, [{"number": n} for n in range(1, len(parts) + 1)])


def test_a_completed_object_is_its_parts_in_order_read_whole_or_in_ranges(store):
    import base64
    import hashlib

    parts = [os.urandom(7000), os.urandom(5), os.urandom(3000)]
    meta = multipart(store, "videos/big.mp4", parts)
    whole = b"".join(parts)
    assert meta["size"] == len(whole)
    # S3's multipart ETag and composite checksum: the digest of the parts' digests, "-" the count
    assert meta["etag"] == hashlib.md5(b"".join(hashlib.md5(p).digest() for p in parts)).hexdigest() + "-3"
    composite = hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in parts)).digest()
    assert meta["checksum"] == {
        "algorithm": "SHA256",
        "value": base64.b64encode(composite).decode() + "-3",
        "type": "COMPOSITE",
    }
    assert meta["metadata"] == {"x-amz-meta-a": "1"}
    again = reopen(store)
    _, handle = again.open_object("b", "videos/big.mp4")
    with handle:
        assert handle.read() == whole
        for start, stop in ((0, 1), (6990, 7010), (7000, 7005), (7004, 10005), (9000, 10005), (10005, 10005)):
            handle.seek(start)
            assert handle.read(stop - start) == whole[start:stop], (start, stop)
        handle.seek(6999)
        assert handle.read() == whole[6999:]
    again.close()


def test_a_completed_object_stays_readable_while_it_is_replaced_and_its_parts_go_with_it(store):
    blobs = os.path.join(store.root, "buckets", "b", "blobs")
    first = [os.urandom(100), os.urandom(50)]
    multipart(store, "videos/big.mp4", first, algorithm=None)
    _, reading = store.open_object("b", "videos/big.mp4")
    assert len(os.listdir(blobs)) == 2
    multipart(store, "videos/big.mp4", [b"second"], algorithm=None)  # replaces it
    assert len(os.listdir(blobs)) == 1
    with reading:
        assert reading.read() == b"".join(first)
    store.delete("b", "videos/big.mp4")
    assert os.listdir(blobs) == []
    assert os.listdir(os.path.join(store.root, "buckets", "b", "uploads")) == []


def test_one_process_per_data_directory(store):
    with pytest.raises(RuntimeError, match="another embedded S3 stand-in"):
        Store(store.root).open()
