/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent-log.h"
#include "fetch-helper.h"
#include "fetch-request.h"
#include "fetch-server.h"

#define RESTART_FIRST_USEC (1ULL * 1000000)
#define RESTART_CAP_USEC (300ULL * 1000000)

struct fetch_server {
        sd_event *event;
        pid_t pid;
        int in_fd;              /* its stdin: requests */
        sd_event_source *io;    /* its stdout: answers (the fd is owned) */
        sd_event_source *child; /* owned: freeing it kills and reaps the server */
        char *key;              /* the store options it was started for */
        bool busy;              /* a request is in flight */
        bool eof;               /* its output ended between requests */
        fetch_server_readable_t readable;
        fetch_server_ended_t ended;
        void *userdata;
};

/* The agent's one server, and its restart backoff. */
static struct fetch_server *server;
static unsigned failures;   /* abnormal ends in a row, since the last answer */
static uint64_t not_before; /* CLOCK_MONOTONIC usec: no new server before */

static uint64_t mono_now(sd_event *e) {
        uint64_t now = 0;

        (void) sd_event_now(e, CLOCK_MONOTONIC, &now);
        return now;
}

static void server_free(struct fetch_server *s) {
        if (!s)
                return;
        if (s->in_fd >= 0)
                (void) close(s->in_fd);
        (void) sd_event_source_disable_unref(s->io);
        /* An owned child source kills (SIGKILL) and reaps the server if it still runs. */
        (void) sd_event_source_disable_unref(s->child);
        free(s->key);
        free(s);
}

/* Another abnormal end: the next server not before a backoff. */
static void failed(sd_event *e) {
        uint64_t wait = RESTART_FIRST_USEC << (failures < 9 ? failures : 9);

        failures++;
        not_before = mono_now(e) + (wait < RESTART_CAP_USEC ? wait : RESTART_CAP_USEC);
}

/* The server went (or goes now) without being asked to: say so once. */
static void ended_badly(struct fetch_server *s, const char *what) {
        failed(s->event);
        agent_log(LOG_WARNING, AGENT_MID_FETCH_SERVER_ENDED,
                  "fetch server (pid %d) %s; a new one starts at a later fetch (after %u "
                  "failure%s in a row, not within %llu s)",
                  (int) s->pid, what, failures, PLURAL_S(failures),
                  (unsigned long long) ((not_before - mono_now(s->event)) / 1000000));
}

void fetch_server_stop(void) {
        server_free(server);
        server = NULL;
}

pid_t fetch_server_pid(void) {
        return server ? server->pid : 0;
}

void fetch_server_kill(bool fault, const char *why) {
        struct fetch_server *s = server;

        if (!s)
                return;
        server = NULL;
        if (fault)
                ended_badly(s, why);
        else
                agent_log(LOG_INFO, AGENT_MID_FETCH_SERVER_ENDED,
                          "fetch server (pid %d) stopped: %s", (int) s->pid, why);
        server_free(s);
}

void fetch_server_release(void) {
        if (!server)
                return;
        server->busy = false;
        server->readable = NULL;
        server->ended = NULL;
        server->userdata = NULL;
        failures = 0;
}

static int on_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        struct fetch_server *s = userdata;
        char c;
        ssize_t k;

        if (s->busy) {
                s->readable(s->userdata);
                return 0;
        }
        /* Between requests it has nothing to say: a byte, or the end of
         * its output, is a server that does not follow the protocol. */
        k = read(fd, &c, 1);
        if (k < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (k == 0) {
                /* Its end, most likely: on_child() says how it ended. */
                s->eof = true;
                (void) sd_event_source_set_enabled(src, SD_EVENT_OFF);
                return 0;
        }
        if (server == s)
                server = NULL;
        ended_badly(s, k > 0 ? "wrote while no request was in flight: killed"
                             : "could not be read between requests: killed");
        server_free(s);
        return 0;
}

static int on_child(sd_event_source *src, const siginfo_t *si, void *userdata) {
        struct fetch_server *s = userdata;
        int code = 0, sig = 0;
        char what[64];

        if (si->si_code == CLD_EXITED)
                code = si->si_status;
        else
                sig = si->si_status;
        /* Gone from here before anyone hears of it: a fetch started from
         * the callbacks below gets a new server. */
        if (server == s)
                server = NULL;
        if (sig)
                (void) snprintf(what, sizeof(what), "was killed by signal %d", sig);
        else
                (void) snprintf(what, sizeof(what), "exited with status %d", code);
        if (s->busy) {
                /* The job reads what it wrote, and fails (its own log line). */
                failed(s->event);
                s->ended(code, sig, s->userdata);
        } else
                ended_badly(s, what);
        server_free(s);
        return 0;
}

static int server_start(sd_event *event, const char *key, struct fetch_server **ret) {
        char *argv[3] = {(char *) fetch_helper_path(), NULL, NULL};
        struct fetch_server *s;
        int in[2], out[2], r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->event = event;
        s->in_fd = -1;
        s->key = strdup(key);
        argv[1] = strdup("--serve");
        if (!s->key || !argv[1]) {
                free(argv[1]);
                server_free(s);
                return -ENOMEM;
        }
        if (pipe2(in, O_CLOEXEC) < 0) {
                r = -errno;
                free(argv[1]);
                server_free(s);
                return r;
        }
        if (pipe2(out, O_CLOEXEC) < 0) {
                r = -errno;
                free(argv[1]);
                (void) close(in[0]);
                (void) close(in[1]);
                server_free(s);
                return r;
        }
        r = fetch_helper_spawn_io(argv, in[0], out[1], &s->pid);
        (void) close(in[0]);
        (void) close(out[1]);
        s->in_fd = in[1];
        if (r < 0) {
                (void) close(out[0]);
                server_free(s);
                return r;
        }
        if (fcntl(out[0], F_SETFL, O_NONBLOCK) < 0 || fcntl(s->in_fd, F_SETFL, O_NONBLOCK) < 0)
                r = -errno;
        if (r >= 0)
                r = sd_event_add_io(event, &s->io, out[0], EPOLLIN, on_io, s);
        if (r < 0) {
                (void) close(out[0]);
                (void) kill(s->pid, SIGKILL);
                (void) waitpid(s->pid, NULL, 0);
                server_free(s);
                return r;
        }
        (void) sd_event_source_set_io_fd_own(s->io, true);
        r = sd_event_add_child(event, &s->child, s->pid, WEXITED, on_child, s);
        if (r < 0) {
                (void) kill(s->pid, SIGKILL);
                (void) waitpid(s->pid, NULL, 0);
                server_free(s);
                return r;
        }
        (void) sd_event_source_set_child_process_own(s->child, true);
        agent_log(LOG_INFO, AGENT_MID_FETCH_SERVER_STARTED,
                  "fetch server started (pid %d): %s --serve, which keeps its connection to "
                  "the store and any credentials in memory between fetches",
                  (int) s->pid, fetch_helper_path());
        *ret = s;
        return 0;
}

int fetch_server_request(sd_event *event, const char *key, char *const *args, size_t n_args,
                         fetch_server_readable_t readable, fetch_server_ended_t ended,
                         void *userdata, int *ret_fd) {
        char buf[FETCH_REQUEST_MAX];
        size_t len = 0;
        ssize_t k;
        int r;

        r = fetch_request_encode(args, n_args, buf, sizeof(buf), &len);
        if (r < 0)
                return r;
        if (server && server->busy)
                return -EBUSY;
        if (server && server->eof)
                fetch_server_kill(true, "closed its output between requests: killed");
        if (server && !streq(server->key, key))
                fetch_server_kill(false, "the store's options changed; a new one starts");
        struct fetch_server *s = server;
        if (!s) {
                if (failures > 0 && mono_now(event) < not_before)
                        return -EAGAIN;
                r = server_start(event, key, &s);
                if (r < 0 || !s) {
                        failed(event);
                        return r < 0 ? r : -EIO;
                }
                server = s;
        }
        /* The pipe is empty (the server read every request it answered) and
         * holds more than a request: one write, or a server that does not
         * read. */
        k = write(s->in_fd, buf, len);
        if (k < 0 || (size_t) k != len) {
                char why[160];

                (void) snprintf(why, sizeof(why), "did not take a request (%s): killed",
                                k < 0 ? strerror_r(errno, (char[128]){}, 128) : "pipe full");
                fetch_server_kill(true, why);
                return -EAGAIN;
        }
        s->busy = true;
        s->readable = readable;
        s->ended = ended;
        s->userdata = userdata;
        *ret_fd = sd_event_source_get_io_fd(s->io);
        return 0;
}
