/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The instance's own identity, as credentials for its cloud's object store:
 * AWS role credentials from IMDSv2 (iam/security-credentials/<role>), a GCP
 * service-account access token (service-accounts/default/token), an Azure
 * managed-identity token for https://storage.azure.com/ (identity/oauth2/
 * token, optionally for a user-assigned identity's client_id).
 *
 * Asked through the metadata client (metadata-client.h; endpoint NULL is
 * the real service). They are secrets: held in this process's memory only, reused until
 * CREDENTIALS_REFRESH_SEC before they expire, wiped when dropped, never
 * written to a file or to a message. */

#include <stdbool.h>
#include <stdint.h>

#include "store-url.h" /* enum cloud */

#define CREDENTIALS_REFRESH_SEC 300

struct credentials {
        enum cloud cloud;
        /* AWS */
        char *role;
        char *access_key_id, *secret_access_key, *session_token;
        /* GCP, Azure */
        char *bearer;
        int64_t expires; /* seconds since the epoch; 0: not said */
};

void credentials_wipe(struct credentials *c);

/* Credentials for cloud, from the cache when they are of the same identity
 * (cloud, azure_client_id, endpoint) and good for more than
 * CREDENTIALS_REFRESH_SEC after now, else from the metadata service. The
 * result is borrowed from the cache (valid until the next call). A failure
 * says what to fix in msg: no role, no identity, no service account, a
 * metadata service that does not answer. */
int credentials_get(enum cloud cloud, const char *azure_client_id, const char *endpoint,
                    uint64_t timeout_usec, int64_t now, const struct credentials **ret, char *msg,
                    size_t msg_size);

/* Drop the cached credentials (wiped), and the cached region. */
void credentials_forget(void);

/* The store refused a request that carried the cached credentials with
 * error (store-error.h): when that means they are no longer good (expired,
 * or not taken: a revoked session, a rotated key), they are dropped, so the
 * next credentials_get() asks the metadata service anew. Nothing is retried
 * here. */
bool credentials_refusal_is_stale(int error);
void credentials_refused(int error);

/* The AWS region this instance runs in (placement/region), for a store
 * without store_region; asked once per metadata service and kept (until
 * credentials_forget()). *ret is the caller's to free. */
int credentials_aws_region(const char *endpoint, uint64_t timeout_usec, char **ret, char *msg,
                           size_t msg_size);

/* For tests: parse an RFC 3339 UTC time ("2026-12-05T01:02:03Z"). */
int credentials_parse_time(const char *s, int64_t *ret);
