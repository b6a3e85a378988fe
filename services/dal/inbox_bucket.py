"""The inbox bucket: incoming files, staged chunks (claim checks), manifests and quarantined files."""

from __future__ import annotations

from typing import IO, Any

import boto3

from services.domain import json_codec


class InboxBucket:
    def __init__(self, bucket: str, client: Any = None) -> None:
        self.bucket = bucket
        self._client = client or boto3.client("s3")

    def open(self, key: str) -> tuple[IO[bytes], int]:
        response = self._client.get_object(Bucket=self.bucket, Key=key)
        return response["Body"], int(response["ContentLength"])

    def put_json(self, key: str, value: Any) -> None:
        body = json_codec.dumps(value).encode("utf-8")
        self._client.put_object(Bucket=self.bucket, Key=key, Body=body, ContentType="application/json")

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

    def get_json(self, key: str) -> Any:
        return json_codec.loads(self._client.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def copy(self, source_key: str, target_key: str) -> None:
        self._client.copy_object(
            Bucket=self.bucket, Key=target_key, CopySource={"Bucket": self.bucket, "Key": source_key}
        )

    def delete_prefix(self, prefix: str) -> None:
        for page in self._client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                self._client.delete_objects(Bucket=self.bucket, Delete={"Objects": keys, "Quiet": True})
