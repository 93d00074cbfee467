/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Fetching the bundle without ever blocking the event loop: libcurl's multi
 * interface driven by sd-event (sockets and timer), as systemd's curl-util
 * does. A store that stalls is timed out; enforcement at the exact second of
 * an expiry never waits for the network. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

struct fetcher;

struct fetch_options {
        const char *url; /* https://…, file:///…, http://… (only with allow_http) */
        uint64_t connect_timeout_usec;
        uint64_t total_timeout_usec;
        uint64_t max_size;       /* body cap, bytes: larger is an error, not a truncation */
        const char *ca_file;     /* NULL: the system's CA store */
        const char *client_cert; /* PEM, with client_key */
        const char *client_key;
        const char *pinned_pubkey; /* curl syntax: a path or "sha256//…" */
        bool allow_http;
        const char *etag; /* If-None-Match: the ETag of the bundle we hold, or NULL */
};

struct fetch_result {
        long status; /* 200 (or 0 for file://) with a body; 304 not modified */
        char *body;  /* NUL-terminated, NULL on 304 */
        size_t body_len;
        char *etag;          /* the response's ETag, or NULL */
        int64_t server_date; /* the Date header, seconds since the epoch; 0 if none */
};

/* error: 0 on success (result set), else a negative errno; message says
 * what failed ("timed out after 30 s", "body larger than 16777216 bytes",
 * "HTTP 503", "protocol http not allowed"). The result is freed after the
 * callback returns. */
typedef void (*fetch_done_t)(struct fetcher *f, int error, const char *message,
                             const struct fetch_result *result, void *userdata);

int fetcher_new(sd_event *event, struct fetcher **ret);
struct fetcher *fetcher_free(struct fetcher *f);

/* Start one transfer; at most one runs at a time (-EBUSY otherwise). Proxy
 * settings come from the usual environment variables (https_proxy,
 * no_proxy), as libcurl reads them. */
int fetcher_start(struct fetcher *f, const struct fetch_options *o, fetch_done_t done,
                  void *userdata);
bool fetcher_busy(const struct fetcher *f);
void fetcher_cancel(struct fetcher *f);

/* Expand the bundle_url template: "%h" becomes the host id (percent-encoded
 * where a URL needs it), "%%" a '%'. */
int bundle_url_expand(const char *template, const char *host_id, char **ret);
