#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Upload a store folder (what `jitctl publish` wrote) to BUCKET/PREFIX as
`aws s3 sync` then `aws s3 cp` of the head would (docs/admin-guide.md,
section 17), signed with the admin credentials s3-setup.py printed, with
its cache headers: no-cache for the head, immutable for the objects.

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
# The objects first, the head last: a host never sees a head before the
# shards it names. The issuer's working files (grants/, revoked) stay home.
paths = []
for root, _, files in os.walk(folder):
    for name in files:
        rel = os.path.relpath(os.path.join(root, name), folder)
        if rel.startswith("grants/") or rel == "revoked":
            continue
        paths.append(rel)
paths.sort(key=lambda rel: (not rel.startswith("objects/"), rel))
for rel in paths:
    immutable = rel.startswith("objects/")
    with open(os.path.join(folder, rel), "rb") as f:
        s3.put_object(Bucket=bucket, Key=prefix + "/" + rel, Body=f.read(),
                      CacheControl="public, max-age=31536000, immutable" if immutable
                      else "no-cache")
