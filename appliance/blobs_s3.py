"""Message blobs in an S3-compatible object store (blob_backend = "s3").

Each blob is one object named `s3_prefix + key`. A PUT that S3 acknowledged is durable,
so the rule of the file backend still holds: the blob exists before the row that
references it commits. boto3 is synchronous, so every call runs in a worker thread.

Tested against moto's S3 server, an emulator of Amazon S3's API; it is not a real object
store, so behaviour under load, consistency and error cases of a given provider (MinIO,
Ceph, a cloud service) has not been tested here.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from appliance.config import Settings

MISSING_CODES = {"NoSuchKey", "404", "NotFound"}


class S3BlobStore:
    """Blobs as objects in one bucket, under one key prefix."""

    def __init__(self, client: Any, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    @classmethod
    def from_settings(cls, settings: Settings) -> S3BlobStore:
        if not settings.s3_bucket:
            raise ValueError("blob_backend = s3 needs s3_bucket (and usually s3_endpoint)")
        client = boto3.client(
            "s3",
            endpoint_url=settings.s3_endpoint or None,
            region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key or None,
            aws_secret_access_key=settings.s3_secret_key or None,
            config=Config(retries={"max_attempts": 5, "mode": "standard"}),
        )
        return cls(client, settings.s3_bucket, settings.s3_prefix)

    def _name(self, key: str) -> str:
        if len(key) != 32 or not all(c in "0123456789abcdef" for c in key):
            raise ValueError(f"invalid blob key {key!r}")
        return self.prefix + key

    async def put(self, data: bytes) -> str:
        """Store `data` and return its new key once S3 acknowledged it."""
        key = secrets.token_hex(16)
        await self.put_key(key, data)
        return key

    async def put_key(self, key: str, data: bytes) -> None:
        name = self._name(key)
        await asyncio.to_thread(self.client.put_object, Bucket=self.bucket, Key=name, Body=data)

    async def get(self, key: str) -> bytes:
        """Return the blob's bytes; raise FileNotFoundError if it does not exist."""
        name = self._name(key)
        try:
            response = await asyncio.to_thread(self.client.get_object, Bucket=self.bucket, Key=name)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in MISSING_CODES:
                raise FileNotFoundError(f"s3://{self.bucket}/{name}") from None
            raise
        body: bytes = await asyncio.to_thread(response["Body"].read)
        return body

    async def delete(self, key: str) -> None:
        name = self._name(key)
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=name)

    def iter_keys(self) -> Iterator[str]:
        for key, _modified in self.list_blobs():
            yield key

    def list_blobs(self) -> Iterator[tuple[str, float]]:
        """Yield (key, last modified as epoch seconds); blocks on the network."""
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                key = item["Key"].removeprefix(self.prefix)
                if len(key) == 32:
                    yield key, item["LastModified"].timestamp()

    async def check(self) -> None:
        await asyncio.to_thread(self.client.head_bucket, Bucket=self.bucket)

    def clear_temporary(self, min_age: float = 0.0) -> int:
        """Return 0: an S3 PUT is atomic, so no half-written object is ever left behind."""
        return 0
