/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One request of the agent, carried out and answered: the fetch of one
 * object of the store (its head), or a run of shards (--object=SHA:SIZE …)
 * one after another on one connection, with one set of credentials, within
 * a run deadline; the answer is the frames of wire/fetch-wire.h on fd, one
 * for a fetch, one per object for a run, which stops at the first failure.
 * A one-shot jit-fetch (main.c) runs one request; jit-fetch --serve
 * (serve.c) runs request after request on the same runner, whose event
 * loop, fetcher and connection (with keep_alive) stay, as do the
 * credentials (credentials.c). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fetch-wire.h" /* struct fetch_options */
#include "jit-limits.h"

struct fetch_run_object {
        char sha256[65];
        uint64_t size;
};

struct fetch_runner;

/* keep_alive: the connection stays open after a transfer, for the next
 * one (a run's next shard, the server's next request). */
int fetch_runner_new(bool keep_alive, struct fetch_runner **ret);
struct fetch_runner *fetch_runner_free(struct fetch_runner *r);

/* Carry out one request (n_objects 0: fetch o->url; else the objects under
 * o->url, the store's base, within run_timeout_usec) and write its answer
 * to fd. 0 once the answer is written, whatever it says; a negative errno
 * when it could not be (the agent is gone) or the event loop failed. Store
 * refusals that mean the credentials are no longer good drop them
 * (credentials_refused()). */
int fetch_runner_run(struct fetch_runner *r, const struct fetch_options *o,
                     const struct fetch_run_object *objects, size_t n_objects,
                     uint64_t run_timeout_usec, int fd);

/* The answer of a request that could not be started at all (error, what
 * failed): one error frame, naming the first object of a run. */
int fetch_run_answer_error(int fd, const struct fetch_run_object *objects, size_t n_objects,
                           int error, const char *message);
