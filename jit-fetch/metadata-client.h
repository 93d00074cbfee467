/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A client of one cloud's instance metadata service, as each documents it:
 *
 * - AWS IMDSv2: PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds,
 *   then every GET with X-aws-ec2-metadata-token; a 401 fetches a new token
 *   and tries once more; a 403 on the PUT means the service is disabled.
 * - GCP: Metadata-Flavor: Google on every request, and required on every
 *   answer (a server that does not echo it is not the metadata server).
 * - Azure IMDS: Metadata: true and a fixed api-version on every request;
 *   404, 410, 429 and 500 are retried with backoff.
 *
 * Plain http to a link-local address, never through a proxy (the proxy
 * variables are ignored), no redirect followed, short timeouts, every answer
 * capped. Blocking (libcurl's easy interface): it runs in jit-fetch, a
 * one-shot process without privileges. The facts job (metadata-facts.c)
 * uses it; so can later credential jobs (AWS role credentials, a GCP service
 * account token, an Azure managed identity token), which are more GETs with
 * the same session. */

#include <stddef.h>
#include <stdint.h>

#include "cloud.h"

#define IMDS_DEFAULT_ENDPOINT "http://169.254.169.254"
#define IMDS_AZURE_API_VERSION "2021-02-01"
#define IMDS_AWS_TOKEN_TTL 300 /* seconds: the token outlives one job */
#define IMDS_MESSAGE_MAX 256

struct imds_options {
        enum cloud cloud;
        const char *endpoint;  /* NULL: IMDS_DEFAULT_ENDPOINT; another only for tests */
        uint64_t timeout_usec; /* for the whole session, every request and retry */
        uint64_t max_answer;   /* bytes, per answer: more is an error */
};

struct imds_client;

int imds_client_new(const struct imds_options *o, struct imds_client **ret);
void imds_client_free(struct imds_client *c);

/* GET path ("/latest/dynamic/instance-identity/document"; for Azure the
 * api-version is added). 0 with the body (NUL-terminated, the caller
 * frees) for a 200; -ENOENT for a 404 (after Azure's retries); any other
 * failure a negative errno and what failed in message. */
int imds_get(struct imds_client *c, const char *path, char **ret_body, size_t *ret_len,
             char message[IMDS_MESSAGE_MAX]);
