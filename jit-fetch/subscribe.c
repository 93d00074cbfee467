/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The hint subscription: nchan's long-poll protocol (its README: each
 * request carries the last answer's Last-Modified and Etag as
 * If-Modified-Since and If-None-Match, and is answered with the next message,
 * or 408 when the server's hold ends), without trusting the server in
 * anything:
 *   - a message's body is read to at most SUBSCRIBE_BODY_MAX bytes and
 *     thrown away; larger is a failure;
 *   - requests follow one another at least SUBSCRIBE_GAP_USEC apart, so a
 *     server that answers at once, forever, costs a few requests a second;
 *   - a failure (refused, reset, garbage, a status other than 200, 304, 408)
 *     is retried after a random delay in a window that doubles with each
 *     failure in a row (RETRY_FIRST_USEC up to RETRY_CAP_USEC): when a hint
 *     server restarts, its 100 000 subscribers come back spread over the
 *     first window, not in the same second. */

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "fetch.h"
#include "hint-wire.h"
#include "macro.h"
#include "subscribe.h"

#define USEC 1000000ULL
#define SUBSCRIBE_BODY_MAX (64u * 1024u)
#define SUBSCRIBE_GAP_USEC (250ULL * 1000)    /* after a message */
#define SUBSCRIBE_IDLE_GAP_USEC (1ULL * USEC) /* after an answer without one (304, 408) */
#define RETRY_FIRST_USEC (10ULL * USEC)
#define RETRY_CAP_USEC (300ULL * USEC)
/* A request that ran this long before it failed was a held subscription
 * that was cut (a restart, a proxy's idle limit), not a server that fails. */
#define HELD_USEC (30ULL * USEC)
#define ID_MAX 256 /* Etag and Last-Modified kept from a message */
/* How often a request the server holds is looked at, to say "up" once it
 * is connected (a long-poll has no answer to tell it by). */
#define CONFIRM_USEC (1ULL * USEC)

struct subscriber {
        sd_event *event;
        struct fetcher *fetcher;
        sd_event_source *timer, *out_watch, *confirm;
        struct fetch_options o;
        int out_fd;
        char *etag, *last_modified;
        unsigned failures;
        int said; /* -1 nothing yet, 0 down, 1 up */
        uint64_t started;
};

static uint64_t now_usec(void) {
        struct timespec ts;

        (void) clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * USEC + (uint64_t) ts.tv_nsec / 1000;
}

static uint64_t random_below(uint64_t n) {
        uint64_t r = 0;

        if (n == 0)
                return 0;
        /* Any value spreads a fleet; no randomness is no harm to this host. */
        if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
                r = now_usec() * 6364136223846793005ULL;
        return r % n;
}

static void say(struct subscriber *s, enum hint_event e, const char *message) {
        char line[HINT_WIRE_LINE_MAX];
        size_t n = hint_wire_format(e, message, line, sizeof(line)), done = 0;

        while (done < n) {
                ssize_t w = write(s->out_fd, line + done, n - done);

                if (w < 0 && errno == EINTR)
                        continue;
                if (w <= 0) {
                        /* The agent is gone: nobody to hint. */
                        (void) sd_event_exit(s->event, 0);
                        return;
                }
                done += (size_t) w;
        }
}

/* A message id is sent back as a header: printable ASCII only. */
static char *id_copy(const char *v) {
        if (!v || strlen(v) > ID_MAX)
                return NULL;
        for (const char *p = v; *p; p++)
                if (*p < 0x20 || *p >= 0x7f)
                        return NULL;
        return strdup(v);
}

static void start_request(struct subscriber *s);

static void say_up(struct subscriber *s) {
        if (s->said != 1) {
                say(s, HINT_EVENT_UP, NULL);
                s->said = 1;
        }
}

static int on_confirm(sd_event_source *source, uint64_t usec, void *userdata) {
        struct subscriber *s = userdata;

        if (!fetcher_busy(s->fetcher))
                return 0;
        if (fetcher_request_sent(s->fetcher))
                say_up(s); /* held by the server: subscribed */
        else
                (void) sd_event_source_set_enabled(source, SD_EVENT_ONESHOT); /* still connecting */
        (void) sd_event_source_set_time_relative(source, CONFIRM_USEC);
        return 0;
}

static int on_timer(sd_event_source *source, uint64_t usec, void *userdata) {
        start_request(userdata);
        return 0;
}

static void arm(struct subscriber *s, uint64_t delay_usec) {
        (void) sd_event_source_set_time_relative(s->timer, delay_usec);
        (void) sd_event_source_set_enabled(s->timer, SD_EVENT_ONESHOT);
}

static void failed(struct subscriber *s, const char *message) {
        uint64_t window;
        unsigned shift;

        if (now_usec() - s->started >= HELD_USEC)
                s->failures = 0; /* it was up until now: start at the first window */
        s->failures++;
        shift = s->failures - 1 < 5 ? s->failures - 1 : 5;
        window = RETRY_FIRST_USEC << shift;
        if (window > RETRY_CAP_USEC)
                window = RETRY_CAP_USEC;
        if (s->said != 0) {
                say(s, HINT_EVENT_DOWN, message);
                s->said = 0;
        }
        arm(s, SUBSCRIBE_GAP_USEC + random_below(window));
}

static void on_done(struct fetcher *f, int error, const char *message,
                    const struct fetch_result *result, void *userdata) {
        struct subscriber *s = userdata;

        if (error == -ETIMEDOUT && now_usec() - s->started >= SUBSCRIBE_HOLD_USEC) {
                /* Our own hold ended without a message: ask again. */
                arm(s, SUBSCRIBE_IDLE_GAP_USEC);
                return;
        }
        if (error < 0) {
                failed(s, message);
                return;
        }
        say_up(s);
        s->failures = 0;
        if (result->status != 200) {
                /* 304, 408: no message in this hold. */
                arm(s, SUBSCRIBE_IDLE_GAP_USEC);
                return;
        }
        /* The next request asks for the message after this one; a server
         * without ids gets plain requests (and may repeat itself: each
         * repetition is one more hint, which the agent rate-limits). */
        free(s->etag);
        free(s->last_modified);
        s->etag = id_copy(result->etag);
        s->last_modified = id_copy(result->last_modified);
        say(s, HINT_EVENT_HINT, NULL);
        arm(s, SUBSCRIBE_GAP_USEC);
}

static void start_request(struct subscriber *s) {
        struct fetch_options o = s->o;
        int r;

        o.etag = s->etag;
        o.if_modified_since = s->last_modified;
        s->started = now_usec();
        r = fetcher_start(s->fetcher, &o, on_done, s);
        if (r < 0) {
                failed(s, "cannot start the request");
                return;
        }
        if (s->said != 1) {
                (void) sd_event_source_set_time_relative(s->confirm, CONFIRM_USEC);
                (void) sd_event_source_set_enabled(s->confirm, SD_EVENT_ONESHOT);
        }
}

/* The agent closed its end of the pipe (it exited or stopped us). */
static int on_out_error(sd_event_source *source, int fd, uint32_t revents, void *userdata) {
        struct subscriber *s = userdata;

        (void) sd_event_exit(s->event, 0);
        return 0;
}

struct subscriber *subscriber_free(struct subscriber *s) {
        if (!s)
                return NULL;
        (void) sd_event_source_disable_unref(s->timer);
        (void) sd_event_source_disable_unref(s->out_watch);
        (void) sd_event_source_disable_unref(s->confirm);
        fetcher_free(s->fetcher);
        free(s->etag);
        free(s->last_modified);
        free(s);
        return NULL;
}

int subscribe_start(sd_event *event, const struct fetch_options *o, int out_fd,
                    struct subscriber **ret) {
        struct subscriber *s;
        int r;

        if (!event || !o || !o->url || !ret)
                return -EINVAL;
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->event = event;
        s->out_fd = out_fd;
        s->said = -1;
        s->o = *o;
        s->o.max_size = SUBSCRIBE_BODY_MAX;
        s->o.total_timeout_usec = SUBSCRIBE_HOLD_USEC;
        s->o.long_poll = true;
        s->o.etag = NULL;
        r = fetcher_new(event, &s->fetcher);
        if (r >= 0)
                r = sd_event_add_time_relative(event, &s->timer, CLOCK_MONOTONIC, 0, 0, on_timer,
                                               s);
        if (r >= 0)
                r = sd_event_add_time_relative(event, &s->confirm, CLOCK_MONOTONIC, CONFIRM_USEC, 0,
                                               on_confirm, s);
        if (r >= 0)
                r = sd_event_source_set_enabled(s->confirm, SD_EVENT_OFF);
        /* No events asked: EPOLLERR and EPOLLHUP come anyway. (A regular
         * file cannot be watched, nor closed by a reader: run by hand.) */
        if (r >= 0) {
                r = sd_event_add_io(event, &s->out_watch, out_fd, 0, on_out_error, s);
                if (r == -EPERM)
                        r = 0;
        }
        if (r < 0) {
                subscriber_free(s);
                return r;
        }
        *ret = s;
        return 0;
}
