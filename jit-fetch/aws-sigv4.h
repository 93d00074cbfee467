/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A GET to S3 (or an S3-compatible store) signed with AWS Signature
 * Version 4 by libcurl (CURLOPT_AWS_SIGV4, since 7.75). */

#include <curl/curl.h>

#include "credentials.h"

/* SHA-256 of the empty payload of a GET. */
#define AWS_EMPTY_PAYLOAD_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* Set the signing options on e and append the headers it needs to *headers
 * (the caller sets CURLOPT_HTTPHEADER once the list is complete, and wipes
 * and frees it). libcurl 7.88 signs every header it is given but adds
 * neither x-amz-content-sha256 (which S3 requires) nor the session token:
 * both are given here, so both are signed. */
int aws_sigv4_apply(CURL *e, const char *region, const struct credentials *c,
                    struct curl_slist **headers);
