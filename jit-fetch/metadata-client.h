/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One request to the instance metadata service of this machine's cloud
 * (AWS IMDSv2, GCP's metadata server, Azure IMDS): plain http to a
 * link-local address, never through a proxy, never redirected, small
 * answers only. Used by the fetch helper alone, before it talks to the
 * store (jit-fetch/credentials.c). */

#include <stddef.h>
#include <stdint.h>

/* The service's base URL: $JIT_METADATA_URL when set (tests point it at a
 * fixture on 127.0.0.1), else http://169.254.169.254. */
const char *metadata_base_url(void);

#define METADATA_BODY_MAX (64u * 1024u)

/* method "GET" or "PUT"; headers NULL-terminated "Name: value" lines.
 * 0 with *ret_status (any HTTP status) and *ret_body (NUL-terminated, may be
 * empty; the caller frees it, wiping it when it holds a secret), or a
 * negative errno with a message in msg (which never holds the body). */
int metadata_request(const char *method, const char *path, const char *const *headers,
                     uint64_t timeout_usec, long *ret_status, char **ret_body, char *msg,
                     size_t msg_size);
