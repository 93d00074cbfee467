/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "fetch-run.h"
#include "fetch.h"
#include "macro.h"
#include "store-auth.h"

struct fetch_runner {
        sd_event *event;
        struct fetcher *f;
        bool keep_alive;
};

int fetch_runner_new(bool keep_alive, struct fetch_runner **ret) {
        struct fetch_runner *r = calloc(1, sizeof(*r));
        int k;

        if (!r)
                return -ENOMEM;
        r->keep_alive = keep_alive;
        k = sd_event_new(&r->event);
        if (k >= 0)
                k = fetcher_new(r->event, &r->f);
        if (k < 0) {
                fetch_runner_free(r);
                return k;
        }
        *ret = r;
        return 0;
}

struct fetch_runner *fetch_runner_free(struct fetch_runner *r) {
        if (!r)
                return NULL;
        fetcher_free(r->f);
        sd_event_unref(r->event);
        free(r);
        return NULL;
}

/* One request in progress. */
struct run {
        struct fetch_runner *runner;
        int fd;
        struct fetch_options o; /* for a run: o.url is the store's base, up to its last '/' */
        const struct fetch_run_object *objects;
        size_t n_objects, next;
        uint64_t deadline; /* CLOCK_MONOTONIC, µs */
        uint64_t per_object_usec;
        struct store_auth auth;
        char *url;
        char *region; /* the region asked once, for the next objects */
        bool over;    /* the answer is complete */
        int error;    /* the answer could not be written */
};

static void write_failed(struct run *run, int r) {
        fprintf(stderr, "<%d>jit-fetch: cannot write to jit-agent: %s\n", LOG_ERR,
                strerror_r(-r, (char[128]){}, 128));
        run->error = r;
        run->over = true;
}

/* A refusal of the store that says the credentials are no longer good
 * drops them: the next request asks the metadata service anew. */
static void answer(struct run *run, int error, const char *message,
                   const struct fetch_result *result) {
        int r;

        if (error < 0)
                credentials_refused(error);
        if (run->n_objects > 0)
                r = fetch_wire_write_object(run->fd, run->objects[run->next].sha256, error, message,
                                            result);
        else
                r = fetch_wire_write(run->fd, error, message, result);
        if (r < 0)
                write_failed(run, r);
}

static void on_done(struct fetcher *f, int error, const char *message,
                    const struct fetch_result *result, void *userdata) {
        struct run *run = userdata;

        answer(run, error, message, result);
        run->over = true;
}

static void run_next(struct run *run);

static void on_object_done(struct fetcher *f, int error, const char *message,
                           const struct fetch_result *result, void *userdata) {
        struct run *run = userdata;

        if (error == 0 && result->status != 200 && result->status != 0) {
                error = -EIO;
                message = "not modified, for an object asked without an ETag";
        }
        answer(run, error, message, error < 0 ? NULL : result);
        if (error < 0 || run->over) {
                run->over = true;
                return;
        }
        run->next++;
        /* The fetcher is idle here: fetch.c lets done() start the next transfer. */
        run_next(run);
}

/* The credentials (and the URL they go to) for o; on failure the answer
 * says why and the request is over. */
static bool prepare(struct run *run, struct fetch_options *o) {
        char why[FETCH_WIRE_MESSAGE_MAX] = "";
        int r;

        store_auth_done(&run->auth);
        /* After the first request, from credentials.c's cache. */
        r = store_auth_prepare(o, (int64_t) time(NULL), &run->auth, why, sizeof(why));
        if (r < 0) {
                answer(run, r, why[0] ? why : "cannot reach the store", NULL);
                run->over = true;
                return false;
        }
        o->auth = &run->auth;
        return true;
}

static void run_next(struct run *run) {
        char why[FETCH_WIRE_MESSAGE_MAX] = "";
        uint64_t now = 0;
        int r;

        if (run->next >= run->n_objects) {
                run->over = true;
                return;
        }
        const struct fetch_run_object *obj = &run->objects[run->next];
        (void) sd_event_now(run->runner->event, CLOCK_MONOTONIC, &now);
        if (now >= run->deadline) {
                (void) snprintf(why, sizeof(why),
                                "the run's time limit ran out after %zu of %zu objects", run->next,
                                run->n_objects);
                answer(run, -ETIMEDOUT, why, NULL);
                run->over = true;
                return;
        }
        free(run->url);
        if (asprintf(&run->url, "%sobjects/%s", run->o.url, obj->sha256) < 0) {
                run->url = NULL;
                answer(run, -ENOMEM, "out of memory", NULL);
                run->over = true;
                return;
        }
        struct fetch_options o = run->o;
        o.url = run->url;
        o.sha256 = obj->sha256;
        o.max_size = obj->size > 0 ? obj->size : 1;
        o.total_timeout_usec = run->per_object_usec < run->deadline - now ? run->per_object_usec
                                                                          : run->deadline - now;
        o.keep_alive = true;
        if (!prepare(run, &o))
                return;
        /* The region, once known, is not asked again for the next objects. */
        if (run->auth.region && !run->o.store_region) {
                run->region = strdup(run->auth.region);
                if (!run->region) {
                        answer(run, -ENOMEM, "out of memory", NULL);
                        run->over = true;
                        return;
                }
                run->o.store_region = run->region;
        }
        r = fetcher_start(run->runner->f, &o, on_object_done, run);
        if (r < 0) {
                answer(run, r, "cannot start the transfer", NULL);
                run->over = true;
        }
}

static void run_one(struct run *run) {
        struct fetch_options o = run->o;
        int r;

        o.keep_alive = run->runner->keep_alive;
        if (!prepare(run, &o))
                return;
        r = fetcher_start(run->runner->f, &o, on_done, run);
        if (r < 0) {
                /* Still an answer the agent can log: what could not start. */
                answer(run, r, "cannot start the transfer", NULL);
                run->over = true;
        }
}

int fetch_runner_run(struct fetch_runner *runner, const struct fetch_options *o,
                     const struct fetch_run_object *objects, size_t n_objects,
                     uint64_t run_timeout_usec, int fd) {
        struct run run = {
                .runner = runner,
                .fd = fd,
                .o = *o,
                .objects = objects,
                .n_objects = n_objects,
                .per_object_usec = o->total_timeout_usec,
        };
        uint64_t now = 0;
        int r = 0;

        run.o.auth = NULL;
        if (n_objects > 0) {
                (void) sd_event_now(runner->event, CLOCK_MONOTONIC, &now);
                run.deadline = now + run_timeout_usec;
                run_next(&run);
        } else
                run_one(&run);
        /* The loop runs until the answer is written; it is not ended
         * (sd_event_exit), so that the next request runs on it too. */
        while (!run.over) {
                r = sd_event_run(runner->event, UINT64_MAX);
                if (r < 0)
                        break;
        }
        if (fetcher_busy(runner->f))
                fetcher_cancel(runner->f);
        store_auth_done(&run.auth);
        free(run.url);
        free(run.region);
        if (r < 0)
                return r;
        return run.error;
}

int fetch_run_answer_error(int fd, const struct fetch_run_object *objects, size_t n_objects,
                           int error, const char *message) {
        if (n_objects > 0)
                return fetch_wire_write_object(fd, objects[0].sha256, error, message, NULL);
        return fetch_wire_write(fd, error, message, NULL);
}
