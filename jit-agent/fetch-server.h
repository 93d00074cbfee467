/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The long-lived fetch helper (jit-fetch --serve) of a store reached with
 * the instance's credentials, owned here: started at the first fetch that
 * needs it, one request at a time (the agent's store fetches are
 * sequential: poll.c), replaced when a fetch comes with other store
 * options (a reload that changed them), started again after it died, not
 * sooner than a backoff that doubles with each abnormal end in a row, and
 * killed with SIGKILL when a request overruns (fetch-job.c decides). One
 * per agent process: the agent has one event loop.
 *
 * Its output is as untrusted as a one-shot helper's: the fetch job reads
 * the answer with the same parser and limits (fetch-job.c); between
 * requests the server must be silent, and a byte from it then ends it. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

/* The request's answer can be read from the fd fetch_server_request()
 * gave (non-blocking). */
typedef void (*fetch_server_readable_t)(void *userdata);
/* The server ended during the request (exit_code, or term_signal when a
 * signal ended it); what it wrote before is still in the fd, to its end. */
typedef void (*fetch_server_ended_t)(int exit_code, int term_signal, void *userdata);

/* Send a request (args[0..n_args): the options of a one-shot run,
 * wire/fetch-request.h) to the server for key (fetch_helper_server_key()),
 * starting one if none runs, replacing one started for another key.
 * On success *ret_fd is the server's output, valid until the request is
 * released or the server killed. -EBUSY: a request is in flight; -EAGAIN:
 * no server now (its restart backoff, or it did not take the request);
 * -E2BIG: too large a request; other errors: it could not be started. The
 * caller then runs a one-shot helper. */
int fetch_server_request(sd_event *event, const char *key, char *const *args, size_t n_args,
                         fetch_server_readable_t readable, fetch_server_ended_t ended,
                         void *userdata, int *ret_fd);

/* The request's answer is complete: the server is idle again. */
void fetch_server_release(void);

/* End the server now (SIGKILL) during its request, saying why: fault when
 * it misbehaved (hung, broke the protocol: it counts for the backoff, and
 * is logged as a warning), else the agent gave the request up (a reload, a
 * refused shard) and the answer still coming must not reach the next. */
void fetch_server_kill(bool fault, const char *why);

/* End the server if one runs (the agent exits, or no store needs it). */
void fetch_server_stop(void);

/* The server's pid, 0 if none runs. */
pid_t fetch_server_pid(void);
