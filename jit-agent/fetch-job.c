/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Over 600 lines on purpose: one job's life is one state machine (the
 * header, the body, a run's frames, the deadline), read the same way from a
 * helper of its own and from the long-lived server (fetch-server.c), so
 * that both get exactly the same parser and limits; split, the two would
 * share the machine's state across files. Spawning and argv are in
 * fetch-helper.c. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fetch-helper.h"
#include "fetch-job.h"
#include "fetch-server.h"
#include "fetch-wire.h"
#include "jit-limits.h"
#include "macro.h"

/* The helper has the transfer's own limits; this is only the backstop for a
 * helper that hangs outside them. */
#define HELPER_GRACE_USEC (5ULL * 1000000)

static inline void *mfree(void *p) {
        free(p);
        return NULL;
}

static void *memdup(const void *p, size_t n) {
        void *q = malloc(n);
        return q ? memcpy(q, p, n) : NULL;
}

struct fetch_job {
        sd_event_source *io, *child, *timer;
        pid_t pid;
        /* The request went to the long-lived server (fetch-server.h), which
         * owns the process and the pipe: fd is its output while the request
         * runs. */
        bool served;
        int fd;
        char name[64 + 4096]; /* the helper, for messages: its path, "… --serve" */
        fetch_job_done_t done;
        void *userdata;
        uint64_t max_size;

        /* A run of several shards: one frame each, in this order. */
        struct fetch_object *objects;
        size_t n_objects, next_object;
        fetch_object_t object;

        /* The header is read first into head; the body then goes straight
         * into a buffer of exactly the announced length. */
        char head[FETCH_WIRE_HEADER_MAX];
        size_t head_len;
        bool have_header, eof, exited;
        bool error_frame; /* a run's answer ended with an error frame */
        struct fetch_wire wire;
        char *body;
        size_t body_len;
        int exit_code;   /* when the helper exited */
        int term_signal; /* when a signal ended it */
        int error;
        bool helper_fault; /* the helper misbehaved, rather than reported a failed fetch */
        char message[FETCH_WIRE_MESSAGE_MAX + 64];
};

static bool frame_complete(const struct fetch_job *j);

/* Has the helper said all it will say for this request? */
static bool answer_complete(const struct fetch_job *j) {
        if (j->objects)
                return j->next_object >= j->n_objects || j->error_frame;
        return frame_complete(j);
}

/* A served request ends: the server is idle again after a whole answer;
 * killed when it misbehaved, or when its answer is given up half read (it
 * must not reach the next request). Nothing when it is gone already. */
static void served_over(struct fetch_job *j, bool cancelled) {
        if (!j->served || j->exited)
                return;
        j->served = false;
        if (j->error < 0 && j->helper_fault)
                fetch_server_kill(true, j->message);
        else if (cancelled || !answer_complete(j))
                fetch_server_kill(false, cancelled ? "its request was cancelled"
                                                   : "its answer was given up half read");
        else
                fetch_server_release();
}

static void job_free(struct fetch_job *j) {
        if (!j)
                return;
        (void) sd_event_source_disable_unref(j->io);
        /* An owned child source kills and reaps the helper if it still runs. */
        (void) sd_event_source_disable_unref(j->child);
        (void) sd_event_source_disable_unref(j->timer);
        fetch_wire_done(&j->wire);
        free(j->body);
        free(j->objects);
        free(j);
}

struct fetch_job *fetch_job_cancel(struct fetch_job *j) {
        if (j)
                served_over(j, true);
        job_free(j);
        return NULL;
}

static void fail_va(struct fetch_job *j, bool helper_fault, int error, const char *fmt,
                    va_list ap) {
        if (j->error == 0) {
                j->error = error < 0 ? error : -EIO;
                j->helper_fault = helper_fault;
                (void) vsnprintf(j->message, sizeof(j->message), fmt, ap);
        }
        /* Stop listening; the helper is killed, and the job ends once it is
         * reaped. A served request ends at once (maybe_finish): the server
         * is killed then if it must be (served_over). */
        (void) sd_event_source_set_enabled(j->io, SD_EVENT_OFF);
        j->eof = true;
        if (!j->served)
                (void) sd_event_source_send_child_signal(j->child, SIGKILL, NULL, 0);
}

/* The helper misbehaved: it could not start, crashed, hung, or broke the
 * wire protocol. */
static void fail(struct fetch_job *j, int error, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void fail(struct fetch_job *j, int error, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        fail_va(j, true, error, fmt, ap);
        va_end(ap);
}

/* The helper did its work and reports a failed fetch (the store's fault, or
 * the network's). */
static void fail_fetch(struct fetch_job *j, int error, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void fail_fetch(struct fetch_job *j, int error, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        fail_va(j, false, error, fmt, ap);
        va_end(ap);
}

static void job_finish(struct fetch_job *j) {
        struct fetch_result res = {};

        /* A served answer that is whole stands, however the server ended after it. */
        bool whole = j->served && answer_complete(j);

        if (j->error == 0) {
                if (!whole && j->served && !j->exited)
                        fail(j, -EIO, "%s closed its output before its answer was complete",
                             j->name);
                else if (!whole && j->term_signal != 0)
                        fail(j, -EIO, "%s was killed by signal %d", j->name, j->term_signal);
                else if (!whole && j->exit_code != 0)
                        fail(j, -EIO, "%s failed with exit status %d", j->name, j->exit_code);
                else if (j->objects) {
                        if (j->next_object < j->n_objects)
                                fail(j, -EIO, "%s ended after %zu of %zu objects", j->name,
                                     j->next_object, j->n_objects);
                } else if (!j->have_header)
                        fail(j, -EIO, "%s ended without an answer", j->name);
                else if (j->wire.error < 0)
                        fail_fetch(j, j->wire.error, "%s", j->wire.message);
                else if (j->body_len != j->wire.length)
                        fail(j, -EIO, "%s ended %zu bytes into a %" PRIu64 " byte body", j->name,
                             j->body_len, j->wire.length);
        }

        served_over(j, false);
        fetch_job_done_t done = j->done;
        void *userdata = j->userdata;
        if (j->error < 0)
                done(j->error, j->helper_fault, j->message, NULL, userdata);
        else if (j->objects) {
                res.status = 200; /* every object was handed to object() */
                done(0, false, NULL, &res, userdata);
        } else {
                res.status = j->wire.status;
                res.body = j->body;
                res.body_len = j->body_len;
                res.etag = j->wire.etag;
                res.server_date = j->wire.server_date;
                done(0, false, NULL, &res, userdata);
        }
        job_free(j);
}

static void maybe_finish(struct fetch_job *j) {
        /* A one-shot helper's job ends when its pipe and its process have;
         * a served one when the answer is whole, or failed, or the server
         * stopped answering (its output ended, it exited). */
        if (j->served ? j->error < 0 || j->eof || j->exited || answer_complete(j)
                      : j->eof && j->exited)
                job_finish(j);
}

/* Drop the first n bytes of head. */
static void head_consume(struct fetch_job *j, size_t n) {
        memmove(j->head, j->head + n, j->head_len - n);
        j->head_len -= n;
}

static bool frame_complete(const struct fetch_job *j) {
        return j->have_header &&
               (j->wire.error < 0 || j->wire.status == 304 || j->body_len == j->wire.length);
}

/* In a run of objects, a whole frame is here: hand it on and expect the next. */
static void object_frame(struct fetch_job *j) {
        const struct fetch_object *want = &j->objects[j->next_object];
        char msg[FETCH_WIRE_MESSAGE_MAX] = "";
        int r;

        if (!streq(j->wire.object, want->sha256)) {
                fail(j, -EBADMSG, "%s answered for object '%s' where %s was next", j->name,
                     j->wire.object, want->sha256);
                return;
        }
        if (j->wire.error < 0) {
                j->error_frame = true; /* the last the helper writes */
                fail_fetch(j, j->wire.error, "%s", j->wire.message);
                return;
        }
        if (j->wire.status == 304) {
                fail(j, -EBADMSG, "%s answered 304 for an object", j->name);
                return;
        }
        r = j->object(j->next_object,
                      &(struct fetch_result){
                              .status = j->wire.status, .body = j->body, .body_len = j->body_len},
                      msg, sizeof(msg), j->userdata);
        if (r < 0) {
                fail_fetch(j, r, "%s", msg[0] ? msg : "refused");
                return;
        }
        j->next_object++;
        j->have_header = false;
        fetch_wire_done(&j->wire);
        j->wire = (struct fetch_wire){};
        j->body = mfree(j->body);
        j->body_len = 0;
}

/* Parse what head holds: headers, and the bodies' first bytes that came
 * with them. A failure here ends the job like any other (fail: eof). */
static void on_head(struct fetch_job *j) {
        while (!j->eof) {
                if (!j->have_header) {
                        uint64_t max = j->objects && j->next_object < j->n_objects
                                               ? j->objects[j->next_object].size
                                               : j->max_size;
                        size_t header_len = 0;
                        int r;

                        if (j->objects && j->next_object >= j->n_objects) {
                                if (j->head_len > 0)
                                        fail(j, -EBADMSG, "%s sent more than it announced",
                                             j->name);
                                return;
                        }
                        r = fetch_wire_parse_header(j->head, j->head_len, max, &j->wire,
                                                    &header_len);
                        if (r == -EAGAIN)
                                return;
                        if (r == -EFBIG) {
                                fail_fetch(j, -EFBIG, "%s", j->wire.message);
                                return;
                        }
                        if (r < 0) {
                                fail(j, -EBADMSG, "%s sent an invalid answer: %s", j->name,
                                     r == -EBADMSG ? j->wire.message
                                                   : strerror_r(-r, (char[128]){}, 128));
                                return;
                        }
                        j->have_header = true;
                        head_consume(j, header_len);
                        if (j->wire.error >= 0 && j->wire.status != 304) {
                                /* Exactly the announced length, never grown by doubling. */
                                j->body = malloc(j->wire.length + 1);
                                if (!j->body) {
                                        fail(j, -ENOMEM,
                                             "out of memory for a %" PRIu64 " byte body",
                                             j->wire.length);
                                        return;
                                }
                                j->body_len = 0;
                                j->body[0] = '\0';
                        }
                }
                if (j->body && j->body_len < j->wire.length && j->head_len > 0) {
                        size_t take = j->wire.length - j->body_len;
                        if (take > j->head_len)
                                take = j->head_len;
                        memcpy(j->body + j->body_len, j->head, take);
                        j->body_len += take;
                        j->body[j->body_len] = '\0';
                        head_consume(j, take);
                }
                if (!frame_complete(j))
                        return;
                if (!j->objects) {
                        if (j->head_len > 0)
                                fail(j, -EBADMSG, "%s sent %s", j->name,
                                     j->body ? "more than the announced body"
                                             : "bytes after its answer");
                        return;
                }
                object_frame(j);
                if (j->head_len == 0)
                        return;
        }
}

/* Read all the helper has written so far. At EOF, or on a failure, reading
 * stops (eof). It never ends the job: its callers do, once both the pipe and
 * the process are done (maybe_finish), so the job is freed in one place. */
static void drain(struct fetch_job *j) {
        int fd = j->fd;

        while (!j->eof) {
                char *dst, spare;
                size_t room;
                ssize_t n;

                if (!j->have_header && !(j->objects && j->next_object >= j->n_objects)) {
                        dst = j->head + j->head_len;
                        room = sizeof(j->head) - j->head_len;
                } else if (j->have_header && j->body && j->body_len < j->wire.length) {
                        dst = j->body + j->body_len;
                        room = j->wire.length - j->body_len;
                } else {
                        /* Everything announced is here: only EOF may follow. */
                        dst = &spare;
                        room = 1;
                }
                n = read(fd, dst, room);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return;
                        fail(j, -errno, "reading from %s: %s", j->name,
                             strerror_r(errno, (char[128]){}, 128));
                        return;
                }
                if (n == 0) {
                        j->eof = true;
                        if (j->io)
                                (void) sd_event_source_set_enabled(j->io, SD_EVENT_OFF);
                        return;
                }
                if (dst == &spare) {
                        fail(j, -EBADMSG, "%s sent more than it announced", j->name);
                        return;
                }
                if (dst == j->head + j->head_len) {
                        j->head_len += (size_t) n;
                        on_head(j);
                } else {
                        j->body_len += (size_t) n;
                        j->body[j->body_len] = '\0';
                        if (j->objects && frame_complete(j))
                                object_frame(j);
                }
        }
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct fetch_job *j = userdata;

        drain(j);
        maybe_finish(j);
        return 0;
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata) {
        struct fetch_job *j = userdata;

        j->exited = true;
        if (si->si_code == CLD_EXITED)
                j->exit_code = si->si_status;
        else
                j->term_signal = si->si_status;
        /* The pipe may still hold what the helper wrote before it exited;
         * its EOF comes after all of it (unless a process the helper left
         * behind holds the pipe open: then the deadline ends the job). */
        drain(j);
        maybe_finish(j);
        return 0;
}

/* The server's side of a served request (fetch-server.h). */
static void on_server_readable(void *userdata) {
        struct fetch_job *j = userdata;

        drain(j);
        maybe_finish(j);
}

static void on_server_ended(int exit_code, int term_signal, void *userdata) {
        struct fetch_job *j = userdata;

        j->exited = true;
        j->exit_code = exit_code;
        j->term_signal = term_signal;
        drain(j); /* what it wrote before it ended */
        job_finish(j);
}

static int on_timeout(sd_event_source *s, uint64_t usec, void *userdata) {
        struct fetch_job *j = userdata;

        if (j->exited && !j->served)
                /* Its answer may be complete, but not its pipe's end. */
                fail(j, -ETIMEDOUT, "%s exited, but a process it left holds its output open",
                     j->name);
        else
                fail(j, -ETIMEDOUT, "%s did not finish in time: killed", j->name);
        maybe_finish(j);
        return 0;
}

/* The job of argv: sent to the long-lived server when serve_key is set
 * (a store that takes the instance's credentials) and it takes the
 * request, else one helper run of its own. argv is freed. */
static int job_start_objects(sd_event *event, char **argv, const char *serve_key, uint64_t max_size,
                             uint64_t timeout_usec, const struct fetch_object *objects,
                             size_t n_objects, fetch_object_t object, fetch_job_done_t done,
                             void *userdata, struct fetch_job **ret) {
        struct fetch_job *j;
        int fds[2], r;

        j = calloc(1, sizeof(*j));
        if (!j) {
                fetch_helper_argv_free(argv);
                return -ENOMEM;
        }
        if (n_objects > 0) {
                j->objects = memdup(objects, n_objects * sizeof(*objects));
                if (!j->objects) {
                        fetch_helper_argv_free(argv);
                        free(j);
                        return -ENOMEM;
                }
                j->n_objects = n_objects;
                j->object = object;
        }
        j->done = done;
        j->userdata = userdata;
        j->max_size = max_size;
        j->fd = -1;

        if (serve_key) {
                size_t n = 0;

                while (argv[n + 1])
                        n++;
                r = fetch_server_request(event, serve_key, argv + 1, n, on_server_readable,
                                         on_server_ended, j, &j->fd);
                if (r >= 0) {
                        j->served = true;
                        (void) snprintf(j->name, sizeof(j->name), "%s --serve",
                                        fetch_helper_path());
                        fetch_helper_argv_free(argv);
                        goto timer;
                }
                /* No server now (its restart backoff, a request it did not
                 * take): one helper run for this fetch, as for any store. */
        }
        (void) snprintf(j->name, sizeof(j->name), "%s", fetch_helper_path());
        if (pipe2(fds, O_CLOEXEC) < 0) {
                fetch_helper_argv_free(argv);
                free(j->objects);
                free(j);
                return -errno;
        }
        r = fetch_helper_spawn(argv, fds[1], &j->pid);
        close(fds[1]);
        if (r < 0) {
                close(fds[0]);
                free(j->objects);
                free(j);
                return r;
        }
        if (fcntl(fds[0], F_SETFL, O_NONBLOCK) < 0)
                r = -errno;
        if (r >= 0)
                r = sd_event_add_io(event, &j->io, fds[0], EPOLLIN, on_io, j);
        if (r < 0) {
                close(fds[0]);
                (void) kill(j->pid, SIGKILL);
                (void) waitpid(j->pid, NULL, 0);
                free(j->objects);
                free(j);
                return r;
        }
        (void) sd_event_source_set_io_fd_own(j->io, true);
        j->fd = fds[0];
        r = sd_event_add_child(event, &j->child, j->pid, WEXITED, on_child, j);
        if (r < 0) {
                (void) kill(j->pid, SIGKILL);
                (void) waitpid(j->pid, NULL, 0);
                job_free(j);
                return r;
        }
        (void) sd_event_source_set_child_process_own(j->child, true);
timer:
        r = sd_event_add_time_relative(event, &j->timer, CLOCK_MONOTONIC,
                                       timeout_usec + HELPER_GRACE_USEC, 0, on_timeout, j);
        if (r < 0) {
                served_over(j, true);
                job_free(j);
                return r;
        }
        *ret = j;
        return 0;
}

static int job_start(sd_event *event, char **argv, const char *serve_key, uint64_t max_size,
                     uint64_t timeout_usec, fetch_job_done_t done, void *userdata,
                     struct fetch_job **ret) {
        return job_start_objects(event, argv, serve_key, max_size, timeout_usec, NULL, 0, NULL,
                                 done, userdata, ret);
}

/* The server's key when a fetch of o goes to the long-lived server (its
 * store takes the instance's credentials, or the host answers push hints:
 * docs/decisions.md), else NULL. */
static int serve_key(const struct fetch_options *o, char **ret) {
        *ret = NULL;
        if (!o->resident && !fetch_helper_takes_credentials(o))
                return 0;
        return fetch_helper_server_key(o, ret);
}

int fetch_job_start(sd_event *event, const struct fetch_options *o, fetch_job_done_t done,
                    void *userdata, struct fetch_job **ret) {
        char *argv[FETCH_HELPER_ARGS_MAX + 1] = {(char *) fetch_helper_path()};
        int r;

        if (!event || !o || !o->url || !done || !ret)
                return -EINVAL;
        _cleanup_free_ char *key = NULL;
        r = serve_key(o, &key);
        if (r < 0)
                return r;
        r = fetch_helper_store_argv(o, argv);
        if (r < 0)
                return r;
        return job_start(event, argv, key, o->max_size, o->total_timeout_usec, done, userdata, ret);
}

int fetch_job_start_objects(sd_event *event, const struct fetch_options *o,
                            const struct fetch_object *objects, size_t n_objects,
                            uint64_t run_timeout_usec, fetch_object_t object, fetch_job_done_t done,
                            void *userdata, struct fetch_job **ret) {
        char *argv[FETCH_HELPER_ARGS_MAX + JIT_FETCH_OBJECTS_MAX + 2] = {
                (char *) fetch_helper_path()};
        size_t n;
        int r;

        if (!event || !o || !o->url || !objects || n_objects == 0 ||
            n_objects > JIT_FETCH_OBJECTS_MAX || !object || !done || !ret || o->sha256 || o->etag)
                return -EINVAL;
        r = fetch_helper_store_argv(
                &(struct fetch_options){.url = o->url,
                                        .connect_timeout_usec = o->connect_timeout_usec,
                                        .total_timeout_usec = o->total_timeout_usec,
                                        .ca_file = o->ca_file,
                                        .client_cert = o->client_cert,
                                        .client_key = o->client_key,
                                        .pinned_pubkey = o->pinned_pubkey,
                                        .allow_http = o->allow_http,
                                        .store_auth = o->store_auth,
                                        .store_endpoint = o->store_endpoint,
                                        .store_region = o->store_region,
                                        .store_client_id = o->store_client_id,
                                        .metadata_endpoint = o->metadata_endpoint},
                argv);
        if (r < 0)
                return r;
        for (n = 1; argv[n]; n++)
                ;
        for (size_t i = 0; i < n_objects; i++)
                if (asprintf(&argv[n++], "--object=%s:%" PRIu64, objects[i].sha256,
                             objects[i].size) < 0) {
                        argv[--n] = NULL;
                        fetch_helper_argv_free(argv);
                        return -ENOMEM;
                }
        if ((r = fetch_helper_arg_u64(argv, &n, "run-timeout-usec", run_timeout_usec)) < 0) {
                fetch_helper_argv_free(argv);
                return r;
        }
        _cleanup_free_ char *key = NULL;
        r = serve_key(o, &key);
        if (r < 0) {
                fetch_helper_argv_free(argv);
                return r;
        }
        return job_start_objects(event, argv, key, 0, run_timeout_usec, objects, n_objects, object,
                                 done, userdata, ret);
}

int fetch_job_start_metadata(sd_event *event, const char *cloud, const char *endpoint,
                             uint64_t timeout_usec, uint64_t max_size, fetch_job_done_t done,
                             void *userdata, struct fetch_job **ret) {
        char *argv[8] = {(char *) fetch_helper_path()};
        size_t n = 1;
        int r;

        if (!event || !cloud || !done || !ret)
                return -EINVAL;
        if ((r = fetch_helper_arg(argv, &n, "metadata", cloud)) < 0 ||
            (r = fetch_helper_arg(argv, &n, "endpoint", endpoint)) < 0 ||
            (r = fetch_helper_arg_u64(argv, &n, "timeout-usec", timeout_usec)) < 0) {
                fetch_helper_argv_free(argv);
                return r;
        }
        return job_start(event, argv, NULL, max_size, timeout_usec, done, userdata, ret);
}
