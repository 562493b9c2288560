"""The storage port: the same contract from the local directory and from an S3 server over HTTP
(moto's server mode on a free local port, spoken to by the real boto3 client)."""

from __future__ import annotations

import base64
import errno
import os
import secrets
import socket
import uuid
from dataclasses import replace
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from backend.core.config import Settings
from backend.core.errors import AppError
from backend.core.storage import (
    InvalidKey,
    LocalStorage,
    ObjectNotFound,
    S3Storage,
    storage_from_settings,
)

ACCESS_KEY, SECRET_KEY, REGION = "test-access", "test-secret", "cn-north-1"


@pytest.fixture(scope="module")
def s3_endpoint():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def raw_s3(endpoint: str):
    return boto3.client(
        "s3", endpoint_url=endpoint, region_name=REGION, aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY
    )


@pytest.fixture
def bucket(s3_endpoint) -> str:
    name = f"media-{uuid.uuid4().hex[:12]}"
    raw_s3(s3_endpoint).create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


def s3_storage(endpoint: str, bucket: str, prefix: str = "") -> S3Storage:
    return S3Storage(
        bucket,
        endpoint_url=endpoint,
        region=REGION,
        access_key_id=ACCESS_KEY,
        secret_access_key=SECRET_KEY,
        prefix=prefix,
    )


@pytest.fixture(params=["local", "s3"])
async def storage(request, tmp_path):
    if request.param == "local":
        adapter = LocalStorage(tmp_path / "media")
    else:
        adapter = s3_storage(request.getfixturevalue("s3_endpoint"), request.getfixturevalue("bucket"))
    yield adapter
    await adapter.close()


async def test_stored_bytes_come_back_unchanged(storage):
    data = secrets.token_bytes(300_000)
    await storage.put("repairs/2026/11/photo.jpg", data, "image/jpeg")
    assert await storage.get("repairs/2026/11/photo.jpg") == data
    assert await storage.exists("repairs/2026/11/photo.jpg")


async def test_put_replaces_what_was_under_the_key(storage):
    await storage.put("exports/report.xlsx", b"first", "application/octet-stream")
    await storage.put("exports/report.xlsx", b"second", "application/octet-stream")
    assert await storage.get("exports/report.xlsx") == b"second"


async def test_missing_key_is_a_clear_not_found(storage):
    with pytest.raises(ObjectNotFound) as refused:
        await storage.get("repairs/none.jpg")
    assert refused.value.key == "repairs/none.jpg"
    assert "repairs/none.jpg" in str(refused.value)
    assert not await storage.exists("repairs/none.jpg")


async def test_a_folder_is_not_an_object(storage):
    await storage.put("repairs/a/b.jpg", b"x", "image/jpeg")
    assert not await storage.exists("repairs/a")
    with pytest.raises(ObjectNotFound):
        await storage.get("repairs/a")


async def test_delete_removes_and_is_harmless_when_repeated(storage):
    await storage.put("labels/sheet.pdf", b"%PDF", "application/pdf")
    await storage.delete("labels/sheet.pdf")
    await storage.delete("labels/sheet.pdf")
    assert not await storage.exists("labels/sheet.pdf")


BAD_KEYS = [
    "../etc/passwd",
    "repairs/../../secret",
    "/etc/passwd",
    "repairs\\x.jpg",
    "repairs/x\x00.jpg",
    "",
    "repairs//x.jpg",
    "repairs/./x.jpg",
    "repairs/",
    ".hidden",
    "a" * 600,
    None,
]


@pytest.mark.parametrize("key", BAD_KEYS, ids=repr)
async def test_keys_that_could_escape_are_refused_before_any_io(storage, key):
    for call in (storage.put(key, b"x", "text/plain"), storage.get(key), storage.exists(key), storage.delete(key)):
        with pytest.raises(InvalidKey):
            await call


async def test_local_write_leaves_no_temporary_file_and_keeps_old_content_on_failure(tmp_path, monkeypatch):
    storage = LocalStorage(tmp_path)
    await storage.put("exports/a.csv", b"old", "text/csv")

    def power_cut(fd):
        raise OSError("disk gone")

    monkeypatch.setattr(os, "fsync", power_cut)
    with pytest.raises(OSError, match="disk gone"):
        await storage.put("exports/a.csv", b"new", "text/csv")
    monkeypatch.undo()
    assert await storage.get("exports/a.csv") == b"old"
    assert sorted(p.name for p in (tmp_path / "exports").iterdir()) == ["a.csv"]


async def test_s3_objects_live_under_the_prefix_with_their_content_type(s3_endpoint, bucket):
    storage = s3_storage(s3_endpoint, bucket, prefix="houqin/media")
    await storage.put("repairs/p.jpg", b"\xff\xd8jpeg", "image/jpeg")
    head = raw_s3(s3_endpoint).head_object(Bucket=bucket, Key="houqin/media/repairs/p.jpg")
    assert head["ContentType"] == "image/jpeg"
    assert await storage.get("repairs/p.jpg") == b"\xff\xd8jpeg"
    await storage.close()


async def test_missing_bucket_is_not_mistaken_for_a_missing_object(s3_endpoint):
    storage = s3_storage(s3_endpoint, "no-such-bucket")
    with pytest.raises(ClientError, match="NoSuchBucket"):
        await storage.get("repairs/p.jpg")


def settings_with(tmp_path: Path, **env: str) -> Settings:
    return Settings.from_env(
        {"HOUQIN_VAR_DIR": str(tmp_path), "HOUQIN_DATA_KEY": base64.b64encode(secrets.token_bytes(32)).decode(), **env}
    )


def test_default_storage_is_the_media_folder_under_var(tmp_path):
    storage = storage_from_settings(settings_with(tmp_path))
    assert isinstance(storage, LocalStorage) and storage.root == tmp_path.resolve() / "media"


def test_storage_url_may_name_a_directory(tmp_path):
    storage = storage_from_settings(settings_with(tmp_path, MEDIA_STORAGE_URL=str(tmp_path / "photos")))
    assert isinstance(storage, LocalStorage) and storage.root == tmp_path / "photos"


async def test_s3_storage_url_reaches_the_bucket(tmp_path, s3_endpoint, bucket):
    settings = settings_with(
        tmp_path,
        MEDIA_STORAGE_URL=f"s3://{bucket}/houqin?endpoint={s3_endpoint}&region={REGION}",
        S3_ACCESS_KEY_ID=ACCESS_KEY,
        S3_SECRET_ACCESS_KEY=SECRET_KEY,
    )
    assert SECRET_KEY not in repr(settings)
    storage = storage_from_settings(settings)
    await storage.put("exports/x.txt", b"hello", "text/plain")
    assert raw_s3(s3_endpoint).get_object(Bucket=bucket, Key="houqin/exports/x.txt")["Body"].read() == b"hello"
    await storage.close()


@pytest.mark.parametrize(
    "url", ["ftp://host/media", "s3:///no-bucket", "s3://bucket?endpont=http://typo", "s3://bucket/../up?region=x"]
)
def test_malformed_storage_url_is_refused_up_front(tmp_path, url):
    settings = replace(settings_with(tmp_path), media_storage_url=url)
    with pytest.raises(ValueError, match="MEDIA_STORAGE_URL"):
        storage_from_settings(settings)


async def test_a_full_disk_is_a_clear_storage_full_error_and_leaves_no_partial_file(tmp_path, monkeypatch):
    storage = LocalStorage(tmp_path / "media")
    await storage.put("repairs/kept.jpg", b"before", "image/jpeg")

    def no_space(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(AppError) as full:
        await storage.put("repairs/new.jpg", b"x" * 1000, "image/jpeg")

    assert (full.value.code, full.value.status) == ("common.storage_full", 507)
    assert sorted(p.name for p in (tmp_path / "media" / "repairs").iterdir()) == ["kept.jpg"]


async def test_other_write_failures_are_not_called_a_full_disk(tmp_path, monkeypatch):
    def broken(fd: int) -> None:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken)
    with pytest.raises(OSError) as failed:
        await LocalStorage(tmp_path / "media").put("repairs/new.jpg", b"x", "image/jpeg")
    assert failed.value.errno == errno.EIO
