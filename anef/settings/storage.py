"""The S3 storage entry of settings.STORAGES (ADR 0012), in one place for the settings and the tests
that point the portal at a test bucket."""

from __future__ import annotations


def s3_storage_config(*, bucket: str, location: str = "", endpoint_url: str = "", region: str = "",
                      access_key: str = "", secret_key: str = "", addressing_style: str = "") -> dict:
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "location": location,
            # Empty: AWS's own endpoint for the region; MinIO, Scaleway, OVH… name theirs.
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            # Empty: boto3's own chain (its AWS_* variables, an instance or pod role…).
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            # "path" for MinIO and most self-hosted stores; "virtual" or empty for AWS.
            "addressing_style": addressing_style or None,
            "signature_version": "s3v4",
            # No ACL is sent: objects stay as private as the bucket, which grants nothing to anyone.
            "default_acl": None,
            # A name taken is never overwritten (the portal names files; a taken one gets a suffix).
            "file_overwrite": False,
            # The portal streams files and makes no URL; were one made, it would be signed and short-lived.
            "querystring_auth": True,
            "querystring_expire": 60,
            "object_parameters": {"CacheControl": "private, no-store"},
        },
    }
