#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Set up a private S3 store in moto_server (started with
INITIAL_NO_AUTH_ACTION_COUNT=3, so that from the fourth request on every
request must carry a valid SigV4 signature of a known key, and IAM policies
are enforced):

  1-3  unauthenticated: an admin IAM user, its access key, its policy
  then, signed as admin: a role the hosts assume, whose policy allows
       s3:GetObject on BUCKET/PREFIX/* and nothing else; the bucket; the
       objects given (KEY=FILE, with Cache-Control); STS session
       credentials for the role (AssumeRole), printed as JSON for the
       metadata fixture.

  s3-setup.py ENDPOINT BUCKET PREFIX REGION ROLE [KEY=FILE...]
"""
import json
import sys

import boto3
from botocore.config import Config

endpoint, bucket, prefix, region, role = sys.argv[1:6]
objects = [a.split("=", 1) for a in sys.argv[6:]]
cfg = Config(signature_version="s3v4", s3={"addressing_style": "path"},
             retries={"max_attempts": 1})

anon = dict(endpoint_url=endpoint, region_name=region,
            aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x" * 40)
iam = boto3.client("iam", **anon, config=cfg)
admin_arn = iam.create_user(UserName="admin")["User"]["Arn"]
key = iam.create_access_key(UserName="admin")["AccessKey"]
iam.put_user_policy(UserName="admin", PolicyName="all", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))

admin = dict(endpoint_url=endpoint, region_name=region,
             aws_access_key_id=key["AccessKeyId"],
             aws_secret_access_key=key["SecretAccessKey"])
iam = boto3.client("iam", **admin, config=cfg)
arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps({
    "Version": "2012-10-17",
    # EC2 assumes it for the instance profile; here the admin does (moto
    # checks the trust policy against the caller's exact ARN).
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com",
                                 "AWS": [admin_arn]},
                   "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]
iam.put_role_policy(RoleName=role, PolicyName="read-store", PolicyDocument=json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                   "Resource": f"arn:aws:s3:::{bucket}/{prefix}/*"}]}))

s3 = boto3.client("s3", **admin, config=cfg)
if region == "us-east-1":
    s3.create_bucket(Bucket=bucket)
else:
    s3.create_bucket(Bucket=bucket,
                     CreateBucketConfiguration={"LocationConstraint": region})
for k, path in objects:
    with open(path, "rb") as f:
        s3.put_object(Bucket=bucket, Key=k, Body=f.read(),
                      CacheControl="no-cache" if k.endswith("head") or k.endswith(".jwt")
                      else "public, max-age=31536000, immutable")

sts = boto3.client("sts", **admin, config=cfg)
c = sts.assume_role(RoleArn=arn, RoleSessionName="host")["Credentials"]
print(json.dumps({"role": role, "AccessKeyId": c["AccessKeyId"],
                  "SecretAccessKey": c["SecretAccessKey"], "Token": c["SessionToken"],
                  "Expiration": c["Expiration"].strftime("%Y-%m-%dT%H:%M:%SZ"),
                  "admin": admin}))
