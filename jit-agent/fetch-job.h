/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* One fetch of the bundle, run by the helper jit-fetch in a process of its
 * own (jit-fetch/main.c says why), watched from the agent's event loop: its
 * stdout pipe, its exit, and a deadline after which it is killed. A fetch
 * from a store that takes the instance's credentials goes to the
 * long-lived jit-fetch --serve instead (fetch-server.h), under the same
 * deadline, its answer read by the same parser; the helper's metadata job
 * always runs on its own. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "fetch-helper.h" /* the helper's path and argv, which hint.c and poll.c use too */
#include "fetch-wire.h"

struct fetch_job;

/* Called once, when the job is over: error 0 and the result, or a negative
 * errno and what failed; helper_fault says whether the helper itself failed
 * (did not start, crashed, hung, broke the wire protocol) rather than
 * reported a failed fetch. The job frees itself after done() returns;
 * done() must not free it. */
typedef void (*fetch_job_done_t)(int error, bool helper_fault, const char *message,
                                 const struct fetch_result *result, void *userdata);

int fetch_job_start(sd_event *event, const struct fetch_options *o, fetch_job_done_t done,
                    void *userdata, struct fetch_job **ret);

/* A run of several shards of the store in one helper (jit-fetch --object=…):
 * o->url is the store's base (shards are objects/<sha256> under it), each
 * object is capped at its size and must hash to its name. object() is
 * called for each verified shard as it arrives, in order (index into
 * objects); a negative errno from it (with msg filled) stops the run.
 * done() then says how the run ended: 0 when every object was handed to
 * object(), else the error of the object that failed (the first not handed
 * on). At most JIT_FETCH_OBJECTS_MAX objects; the run (helper and all) is
 * killed after run_timeout_usec and a grace. */
struct fetch_object {
        char sha256[65];
        uint64_t size;
};
typedef int (*fetch_object_t)(size_t index, const struct fetch_result *result, char *msg,
                              size_t msg_size, void *userdata);
int fetch_job_start_objects(sd_event *event, const struct fetch_options *o,
                            const struct fetch_object *objects, size_t n_objects,
                            uint64_t run_timeout_usec, fetch_object_t object, fetch_job_done_t done,
                            void *userdata, struct fetch_job **ret);

/* The same helper's metadata facts job (jit-fetch --metadata=CLOUD; its
 * answer is the facts as lines, jit-fetch/metadata-facts.h). endpoint:
 * NULL, or a test's metadata service. max_size caps the answer's body. */
int fetch_job_start_metadata(sd_event *event, const char *cloud, const char *endpoint,
                             uint64_t timeout_usec, uint64_t max_size, fetch_job_done_t done,
                             void *userdata, struct fetch_job **ret);

/* Kill the helper (if it still runs) without calling done(). */
struct fetch_job *fetch_job_cancel(struct fetch_job *j);
