"""Where photos, label sheets and exports are kept: one small port, two adapters.

    Storage          put / get / exists / delete by key, all async
      LocalStorage   a directory (default `<var_dir>/media`): atomic writes, file I/O in a thread
      S3Storage      an S3-compatible store (MinIO, Ceph, a cloud's object storage) through boto3

A key is a relative path such as `repairs/2026/11/3f2a.jpg`; both adapters refuse anything else
(InvalidKey), so a key can never climb out of the media directory or the bucket prefix. Keys are
made by the services, never taken from a client. `get` of a missing key raises ObjectNotFound;
`delete` of a missing key does nothing, so a retried clean-up is harmless.

`storage_from_settings` picks the adapter from MEDIA_STORAGE_URL (see the README).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import os
import re
import secrets
from abc import ABC, abstractmethod
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from backend.core.config import Settings
from backend.core.errors import CommonError

log = logging.getLogger(__name__)
# A full disk or an exhausted quota: the file is not kept, and the person is told so (not a
# "system busy" with a request number), while the log tells the administrators.
_NO_SPACE = (errno.ENOSPC, errno.EDQUOT)

MAX_KEY_LENGTH = 512
# Segments may not start with a dot: that refuses "." and "..", and keeps LocalStorage's
# temporary files (".name.xxxx.tmp") from ever being read as objects.
_KEY = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")


class StorageError(Exception):
    """Base of the storage adapters' own refusals."""


class InvalidKey(StorageError, ValueError):
    def __init__(self, key: object):
        super().__init__(f"invalid storage key {key!r}: use a relative path of letters, digits, '.', '_', '-'")
        self.key = key


class ObjectNotFound(StorageError, KeyError):
    def __init__(self, key: str):
        super().__init__(key)
        self.key = key

    def __str__(self) -> str:
        return f"no stored object under {self.key!r}"


def check_key(key: object) -> str:
    """The key itself if it is a safe relative path, else InvalidKey."""
    if not isinstance(key, str) or len(key) > MAX_KEY_LENGTH or not _KEY.fullmatch(key):
        raise InvalidKey(key)
    return key


class Storage(ABC):
    """Keeps blobs by key. Writes replace whatever was under the key, whole or not at all."""

    @abstractmethod
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    @abstractmethod
    async def get(self, key: str) -> bytes:
        """The stored bytes; ObjectNotFound when nothing is stored under the key."""

    @abstractmethod
    async def exists(self, key: str) -> bool: ...

    @abstractmethod
    async def delete(self, key: str) -> None:
        """Removes the object; a key with nothing under it is not an error."""

    async def close(self) -> None:  # noqa: B027 (most adapters hold nothing to release)
        """Releases connections; the adapter is not used afterwards."""


class LocalStorage(Storage):
    """Objects as files below `root`. The content type is not kept: keys carry their extension."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            await asyncio.to_thread(_write_atomically, self._path(key), data)
        except OSError as problem:
            if problem.errno not in _NO_SPACE:
                raise
            log.error("media storage %s is full: %s not written (%d bytes)", self.root, key, len(data))
            raise CommonError.STORAGE_FULL.error() from None

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise ObjectNotFound(key) from None

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._path(key).unlink, missing_ok=True)


def _write_atomically(path: Path, data: bytes) -> None:
    """Readers see the old file or the new one, never half of one, even after a power cut."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        with open(temporary, "xb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    # The rename itself lives in the directory; without this it can be lost on a crash.
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class S3Storage(Storage):
    """Objects in an S3-compatible bucket, under an optional prefix.

    boto3 is synchronous, so every call runs in a thread (as wechatpy does here); its clients
    are thread-safe and keep a connection pool, so one adapter serves a whole process.
    Credentials left empty fall back to boto3's own chain (AWS_* variables, instance roles).
    """

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        region: str = "us-east-1",
        access_key_id: str = "",
        secret_access_key: str = "",
        prefix: str = "",
    ):
        self.bucket = bucket
        self.prefix = check_key(prefix) + "/" if prefix else ""
        self._client = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url or None,
            region_name=region,
            aws_access_key_id=access_key_id or None,
            aws_secret_access_key=secret_access_key or None,
            config=Config(
                signature_version="s3v4",
                # Path-style addressing works with every S3-compatible server (MinIO, Ceph),
                # which often have no per-bucket DNS names on an intranet.
                s3={"addressing_style": "path"},
                retries={"mode": "standard", "max_attempts": 3},
                connect_timeout=5,
                read_timeout=30,
                # boto3's default CRC checksums on every request are refused by several
                # S3-compatible servers; send them only where the API requires one.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def _object_key(self, key: str) -> str:
        return self.prefix + check_key(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self._client.put_object, Bucket=self.bucket, Key=self._object_key(key), Body=data, ContentType=content_type
        )

    async def get(self, key: str) -> bytes:
        object_key = self._object_key(key)

        def read() -> bytes:
            try:
                response = self._client.get_object(Bucket=self.bucket, Key=object_key)
            except ClientError as error:
                # Only a missing key: a missing bucket (NoSuchBucket) is a misconfiguration.
                if error.response.get("Error", {}).get("Code") == "NoSuchKey":
                    raise ObjectNotFound(key) from None
                raise
            with response["Body"] as body:
                return body.read()

        return await asyncio.to_thread(read)

    async def exists(self, key: str) -> bool:
        object_key = self._object_key(key)

        def head() -> bool:
            try:
                self._client.head_object(Bucket=self.bucket, Key=object_key)
            except ClientError as error:
                # HEAD answers have no body, so only the status tells a missing object.
                if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404:
                    return False
                raise
            return True

        return await asyncio.to_thread(head)

    async def delete(self, key: str) -> None:
        await asyncio.to_thread(self._client.delete_object, Bucket=self.bucket, Key=self._object_key(key))

    async def close(self) -> None:
        await asyncio.to_thread(self._client.close)


S3_URL_OPTIONS = {"endpoint", "region"}


def storage_from_settings(settings: Settings) -> Storage:
    """The adapter MEDIA_STORAGE_URL names: empty for `<var_dir>/media`, a directory path,
    or `s3://bucket/prefix?endpoint=https://...&region=...` with S3_ACCESS_KEY_ID and
    S3_SECRET_ACCESS_KEY. A malformed URL raises ValueError before anything is stored."""
    url = settings.media_storage_url
    if not url:
        return LocalStorage(settings.var_dir / "media")
    parts = urlsplit(url)
    if parts.scheme == "":
        return LocalStorage(Path(url).resolve())
    if parts.scheme != "s3":
        raise ValueError(f"MEDIA_STORAGE_URL must be a directory or s3://bucket/prefix, got {url!r}")
    options = {name: values[-1] for name, values in parse_qs(parts.query).items()}
    if not parts.netloc or set(options) - S3_URL_OPTIONS:
        raise ValueError(f"MEDIA_STORAGE_URL must look like s3://bucket/prefix?endpoint=...&region=..., got {url!r}")
    try:
        return S3Storage(
            parts.netloc,
            endpoint_url=options.get("endpoint"),
            region=options.get("region", "us-east-1"),
            access_key_id=settings.s3_access_key_id,
            secret_access_key=settings.s3_secret_access_key,
            prefix=parts.path.strip("/"),
        )
    except InvalidKey:
        raise ValueError(f"MEDIA_STORAGE_URL has an invalid prefix: {url!r}") from None
