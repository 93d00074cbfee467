/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent-log.h"
#include "bundle-url.h"
#include "fetch-job.h"
#include "hint-fetch.h"
#include "hint-wire.h"
#include "hint.h"

/* More lines than this in one second is not a subscriber at work (it sends
 * at most a few: jit-fetch/subscribe.c) but a broken one: it is ended and
 * started again after the backoff, so the agent's CPU stays bounded. */
#define HINT_LINES_PER_SEC_MAX 20
#define RESTART_FIRST_USEC (10ULL * USEC_PER_SEC)
#define RESTART_CAP_USEC (300ULL * USEC_PER_SEC)

struct hint {
        struct agent *a;
        sd_event_source *io, *child, *restart;
        pid_t pid;
        char line[HINT_WIRE_LINE_MAX];
        size_t len;
        unsigned failures; /* helper ends in a row without an answer from the server */
        uint64_t window;   /* CLOCK_MONOTONIC second of the lines counted */
        unsigned lines;
        int said; /* -1 nothing, 0 down, 1 up: each change is logged once */
};

static void process_end(struct hint *h) {
        /* An owned child source kills and reaps the helper if it still runs. */
        h->io = sd_event_source_disable_unref(h->io);
        h->child = sd_event_source_disable_unref(h->child);
        h->pid = 0;
        h->len = 0;
}

void agent_hint_stop(struct agent *a) {
        struct hint *h = a->hint;

        if (!h)
                return;
        process_end(h);
        (void) sd_event_source_disable_unref(h->restart);
        free(h);
        a->hint = NULL;
}

static void say_down(struct hint *h, const char *what) {
        if (h->said == 0)
                return;
        h->said = 0;
        agent_log(LOG_WARNING, AGENT_MID_HINT_DOWN,
                  "notify_url subscription down: %s; retried with backoff, polling continues",
                  what);
}

/* The helper ended or broke its protocol: start it again later, at a
 * random point of a window that doubles with each failure in a row. */
static void restart_later(struct hint *h, const char *what) {
        uint64_t window = RESTART_FIRST_USEC << (h->failures < 5 ? h->failures : 5), r = 0;

        process_end(h);
        say_down(h, what);
        h->failures++;
        if (window > RESTART_CAP_USEC)
                window = RESTART_CAP_USEC;
        if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
                r = (uint64_t) getpid() * 2654435761u;
        (void) sd_event_source_set_time_relative(h->restart, USEC_PER_SEC + r % window);
        (void) sd_event_source_set_enabled(h->restart, SD_EVENT_ONESHOT);
}

static bool line_event(struct hint *h, const char *line, size_t len) {
        char message[HINT_WIRE_LINE_MAX];
        enum hint_event e;

        if (hint_wire_parse(line, len, &e, message, sizeof(message)) < 0)
                return false;
        switch (e) {
        case HINT_EVENT_HINT:
                agent_hint_fetch(h->a);
                break;
        case HINT_EVENT_UP:
                h->failures = 0;
                if (h->said != 1)
                        agent_log(LOG_INFO, AGENT_MID_HINT_UP, "notify_url subscription up");
                h->said = 1;
                break;
        case HINT_EVENT_DOWN:
                say_down(h, message);
                break;
        }
        return true;
}

static int on_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        struct hint *h = userdata;
        char buf[4096];
        uint64_t now = 0;
        ssize_t n;

        n = read(fd, buf, sizeof(buf));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return 0;
        if (n <= 0) {
                /* EOF: the helper is ending; its exit restarts it. */
                h->io = sd_event_source_disable_unref(h->io);
                return 0;
        }
        (void) sd_event_now(h->a->event, CLOCK_MONOTONIC, &now);
        for (ssize_t i = 0; i < n; i++) {
                if (buf[i] != '\n') {
                        if (h->len >= sizeof(h->line) - 1) {
                                restart_later(h, "jit-fetch sent a line too long");
                                return 0;
                        }
                        h->line[h->len++] = buf[i];
                        continue;
                }
                if (now / USEC_PER_SEC != h->window) {
                        h->window = now / USEC_PER_SEC;
                        h->lines = 0;
                }
                if (++h->lines > HINT_LINES_PER_SEC_MAX) {
                        restart_later(h, "jit-fetch sent too many events");
                        return 0;
                }
                if (!line_event(h, h->line, h->len)) {
                        restart_later(h, "jit-fetch broke the hint protocol");
                        return 0;
                }
                h->len = 0;
        }
        return 0;
}

static int on_child(sd_event_source *s, const siginfo_t *si, void *userdata) {
        struct hint *h = userdata;
        char what[64];

        if (si->si_code == CLD_EXITED)
                (void) snprintf(what, sizeof(what), "jit-fetch exited with status %d",
                                si->si_status);
        else
                (void) snprintf(what, sizeof(what), "jit-fetch was killed by signal %d",
                                si->si_status);
        restart_later(h, what);
        return 0;
}

/* The store's TLS options, for the same trust in the hint server. */
static int spawn_subscriber(const struct jit_config *c, const char *url, int stdout_fd,
                            pid_t *ret) {
        char *argv[16] = {(char *) fetch_helper_path()}, timeout[24];
        size_t n = 1;
        int r;

        (void) snprintf(timeout, sizeof(timeout), "%" PRIu64,
                        (uint64_t) ((uint64_t) c->fetch_timeout * USEC_PER_SEC));
        if ((r = fetch_helper_arg(argv, &n, "url", url)) < 0 ||
            (r = fetch_helper_arg(argv, &n, "connect-timeout-usec", timeout)) < 0 ||
            (r = fetch_helper_arg(argv, &n, "ca-file", c->ca_file)) < 0 ||
            (r = fetch_helper_arg(argv, &n, "client-cert", c->client_cert)) < 0 ||
            (r = fetch_helper_arg(argv, &n, "client-key", c->client_key)) < 0 ||
            (r = fetch_helper_arg(argv, &n, "pinned-pubkey", c->pinned_pubkey)) < 0 ||
            !(argv[n++] = strdup("--subscribe")) ||
            (c->allow_http && !(argv[n++] = strdup("--allow-http")))) {
                fetch_helper_argv_free(argv);
                return r < 0 ? r : -ENOMEM;
        }
        return fetch_helper_spawn(argv, stdout_fd, ret);
}

static int process_start(struct hint *h) {
        const struct jit_config *c = h->a->ctx.config;
        _cleanup_free_ char *url = NULL;
        int fds[2], r;

        r = bundle_url_expand(c->notify_url, h->a->ctx.host, &url);
        if (r < 0)
                return r;
        if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) < 0)
                return -errno;
        r = spawn_subscriber(c, url, fds[1], &h->pid);
        close(fds[1]);
        if (r < 0) {
                close(fds[0]);
                return r;
        }
        r = sd_event_add_io(h->a->event, &h->io, fds[0], EPOLLIN, on_io, h);
        if (r < 0) {
                close(fds[0]);
                (void) kill(h->pid, SIGKILL);
                (void) waitpid(h->pid, NULL, 0);
                return r;
        }
        (void) sd_event_source_set_io_fd_own(h->io, true);
        r = sd_event_add_child(h->a->event, &h->child, h->pid, WEXITED, on_child, h);
        if (r < 0) {
                (void) kill(h->pid, SIGKILL);
                (void) waitpid(h->pid, NULL, 0);
                h->io = sd_event_source_disable_unref(h->io);
                return r;
        }
        (void) sd_event_source_set_child_process_own(h->child, true);
        return 0;
}

static int on_restart(sd_event_source *s, uint64_t usec, void *userdata) {
        struct hint *h = userdata;
        char what[160];
        int r;

        r = process_start(h);
        if (r < 0) {
                (void) snprintf(what, sizeof(what), "cannot start %s --subscribe: %s",
                                fetch_helper_path(), strerror_r(-r, (char[128]){}, 128));
                restart_later(h, what);
        }
        return 0;
}

int agent_hint_start(struct agent *a) {
        struct hint *h;
        int r;

        agent_hint_stop(a);
        if (!a->ctx.config || !a->ctx.config->notify_url)
                return 0;
        h = calloc(1, sizeof(*h));
        if (!h)
                return -ENOMEM;
        h->a = a;
        h->said = -1;
        r = sd_event_add_time_relative(a->event, &h->restart, CLOCK_MONOTONIC, 0, 0, on_restart, h);
        if (r < 0) {
                free(h);
                return r;
        }
        a->hint = h;
        return 0;
}
