"""The inbox bucket: incoming files, staged chunks (claim checks), manifests and quarantined files."""

from __future__ import annotations

from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast

import boto3

from services.domain import json_codec

if TYPE_CHECKING:  # the stubs are a dev dependency: the Lambda layer has none
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CopySourceTypeDef, ObjectIdentifierTypeDef


class InboxBucket:
    def __init__(self, bucket: str, client: S3Client | None = None) -> None:
        self.bucket = bucket
        self._client = client or boto3.client("s3")

    def open(self, key: str, version_id: str | None = None) -> tuple[IO[bytes], int]:
        """The object's body as a stream, and its size; `version_id` reads that version, not the latest."""
        if version_id:
            response = self._client.get_object(Bucket=self.bucket, Key=key, VersionId=version_id)
        else:
            response = self._client.get_object(Bucket=self.bucket, Key=key)
        # botocore's StreamingBody is a readable binary stream, though not declared an IO
        return cast("IO[bytes]", response["Body"]), int(response["ContentLength"])

    def upload(self, path: Path, key: str) -> str | None:
        """A local file to `key`, streamed (an upload to incoming/ starts the workflow); its version id (None
        when the bucket keeps no versions)."""
        with path.open("rb") as body:
            version = self._client.put_object(Bucket=self.bucket, Key=key, Body=body).get("VersionId")
        return str(version) if version not in (None, "null") else None

    def put_json(self, key: str, value: Any) -> None:
        body = json_codec.dumps(value).encode("utf-8")
        self._client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/json")

    def create_json(self, key: str, value: Any) -> bool:
        """Put `value` at `key` unless an object is there already (S3's conditional write, If-None-Match): the
        first writer wins. False when one was there."""
        return self.create(key, json_codec.dumps(value).encode("utf-8"), "application/json")

    def create(self, key: str, body: bytes, content_type: str) -> bool:
        """Put `body` at `key` unless an object is there already (create_json); False when one was there."""
        try:
            self._client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType=content_type, IfNoneMatch="*")
        except self._client.exceptions.ClientError as error:
            if error.response.get("Error", {}).get("Code") in ("PreconditionFailed", "ConditionalRequestConflict"):
                return False
            raise
        return True

    def put_text(self, key: str, text: str) -> int:
        body = text.encode("utf-8")
        self._client.put_object(Bucket=self.bucket, Key=key, Body=body)
        return len(body)

    def exists(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self.bucket, Key=key)
        except self._client.exceptions.ClientError:
            return False
        return True

    def size(self, key: str) -> int | None:
        """The object's size in bytes, None when there is no such object."""
        try:
            return int(self._client.head_object(Bucket=self.bucket, Key=key)["ContentLength"])
        except self._client.exceptions.ClientError:
            return None

    def get_bytes(self, key: str) -> bytes | None:
        """The object's bytes; None when there is no such object (a reader granted s3:ListBucket is told so;
        without it S3 answers AccessDenied, which is raised)."""
        try:
            return self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except self._client.exceptions.NoSuchKey:
            return None

    def get_json(self, key: str) -> Any:
        return json_codec.loads(self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def copy(self, source_key: str, target_key: str, version_id: str | None = None) -> None:
        source: CopySourceTypeDef = {"Bucket": self.bucket, "Key": source_key}
        if version_id:
            source["VersionId"] = version_id
        self._client.copy_object(Bucket=self.bucket, Key=target_key, CopySource=source)

    def delete_prefix(self, prefix: str) -> None:
        for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys: list[ObjectIdentifierTypeDef] = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                self._client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
