/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Fetching the bundle without ever blocking the event loop: libcurl's multi
 * interface driven by sd-event (sockets and timer), as systemd's curl-util
 * does. A store that stalls is timed out; enforcement at the exact second of
 * an expiry never waits for the network. */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "fetch-wire.h" /* struct fetch_options, struct fetch_result */

struct fetcher;

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
/* The transfer in flight has sent its request: the server holds it (a
 * long-poll waiting for a message). */
bool fetcher_request_sent(const struct fetcher *f);
void fetcher_cancel(struct fetcher *f);
