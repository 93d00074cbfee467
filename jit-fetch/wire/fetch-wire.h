/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What jit-fetch (the unprivileged fetch helper) tells jit-agent on its
 * stdout: a header of "key=value" lines, an empty line, then exactly
 * `length` bytes of body. The helper runs the network-facing code (libcurl,
 * TLS, HTTP), so to the agent this stream is untrusted input: the parser
 * takes each key at most once, printable ASCII values only, and numbers in
 * range, and the body is trusted no more than any bundle from the store.
 *
 *   status=200          200 with a body, 304 not modified (or error=…)
 *   etag="abc"          optional
 *   date=1764000000     optional: the server's Date, seconds since the epoch
 *   length=6225476      with status 200 only
 *
 *   error=-110          a failed fetch: a negative errno …
 *   message=timed out after 30 s   … and what failed
 *
 *   object=<sha256>     optional, in either kind: which shard this answers
 *
 * A run that fetches several shards (jit-fetch --object=SHA:SIZE …) writes
 * one such frame per shard, in the order asked, each with its object key,
 * and stops after the first error frame: the reader knows each body's end
 * from its length, and the next header starts right after it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store_auth; /* jit-fetch/store-auth.h */

/* What one fetch is asked (the agent passes it to jit-fetch as --name=value
 * arguments, jit-agent/fetch-job.c) and what it answers. */
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
        const char *etag;   /* If-None-Match: the ETag of the head we hold, or NULL */
        const char *sha256; /* a shard's name: its body must hash to it (lowercase hex), or NULL */
        /* Object stores (jit.conf store_*): s3://, gs://, Azure Blob URLs and
         * the instance identity's credentials (jit-fetch/store-url.h). */
        const char *store_auth;        /* auto, aws, gcp, azure, none; NULL: auto */
        const char *store_endpoint;    /* NULL: the cloud's own */
        const char *store_region;      /* AWS; NULL: the instance's */
        const char *store_client_id;   /* Azure user-assigned identity; NULL: system */
        const char *metadata_endpoint; /* NULL: 169.254.169.254; another for tests only */
        /* Inside the helper only, never on its command line: the resolved
         * URL and credentials to attach (NULL: fetch url as it is). */
        const struct store_auth *auth;
        bool keep_alive; /* a run of several shards: keep the connection for the next */
        /* The agent only, never sent: fetch through the long-lived helper
         * even when the store takes no credentials, because the host answers
         * push hints and a fetch then must not wait for a process to start
         * and a TLS session to be set up (jit-agent/fetch-job.c). */
        bool resident;
        /* The hint subscription (jit-fetch/subscribe.c) only: If-Modified-Since,
         * the Last-Modified of the last message (nchan's message id is both
         * headers); and 408, a long-poll that ended without a message, is an
         * answer, not an error. */
        const char *if_modified_since;
        bool long_poll;
};

struct fetch_result {
        long status; /* 200 (or 0 for file://) with a body; 304 not modified */
        char *body;  /* NUL-terminated, NULL on 304 */
        size_t body_len;
        char *etag;          /* the response's ETag, or NULL */
        int64_t server_date; /* the Date header, seconds since the epoch; 0 if none */
        char *last_modified; /* the Last-Modified header as sent, or NULL (subscribe.c) */
};

#define FETCH_WIRE_HEADER_MAX 4096
#define FETCH_WIRE_MESSAGE_MAX 512

struct fetch_wire {
        char object[65]; /* the object= key (lowercase hex), or "" */
        int error;       /* 0, or the fetch's negative errno */
        char message[FETCH_WIRE_MESSAGE_MAX];
        long status;
        char *etag;
        int64_t server_date;
        uint64_t length;
};

void fetch_wire_done(struct fetch_wire *w);

/* Write the outcome of one fetch to fd, body included; 0 or a negative errno.
 * Control characters in message become '?'. */
int fetch_wire_write(int fd, int error, const char *message, const struct fetch_result *res);
/* The same, naming the object (a shard's sha256, 64 lowercase hex) it answers. */
int fetch_wire_write_object(int fd, const char *object, int error, const char *message,
                            const struct fetch_result *res);

/* Parse the header at the start of buf. 0: complete, *ret_header_len bytes
 * long (the empty line included), w filled; -EAGAIN: no empty line yet, read
 * more; -EBADMSG: not a valid header (message in w->message). A body longer
 * than max_size is -EFBIG. */
int fetch_wire_parse_header(const char *buf, size_t len, uint64_t max_size, struct fetch_wire *w,
                            size_t *ret_header_len);
