#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Upload a store folder (what `jitctl publish` wrote) to BUCKET/PREFIX as
`aws s3 sync` would, signed with the admin credentials s3-setup.py printed,
with the cache headers docs/admin-guide.md gives: none cached for the
mutable files (the bundle, the head), long-lived for content-addressed ones.

  s3-sync.py CREDS_JSON BUCKET PREFIX DIR
"""
import json
import os
import sys

import boto3
from botocore.config import Config

creds, bucket, prefix, folder = sys.argv[1:5]
admin = json.load(open(creds))["admin"]
s3 = boto3.client("s3", **admin, config=Config(signature_version="s3v4",
                                               s3={"addressing_style": "path"}))
for root, _, files in os.walk(folder):
    for name in sorted(files):
        path = os.path.join(root, name)
        key = prefix + "/" + os.path.relpath(path, folder)
        immutable = "/shards/" in key or "/objects/" in key
        with open(path, "rb") as f:
            s3.put_object(Bucket=bucket, Key=key, Body=f.read(),
                          CacheControl="public, max-age=31536000, immutable" if immutable
                          else "no-cache")
