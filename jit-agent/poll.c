/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Polling the store: a timer with jitter (so a fleet does not fetch in step)
 * and exponential backoff on failure; each fetched bundle is verified and,
 * when accepted, made the host's, then reconciled at once so revocations act
 * as soon as the bundle carrying them arrives. */

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "agent-log.h"
#include "agent.h"
#include "audit.h"
#include "bundle-apply.h"
#include "bundle-url.h"
#include "enforce.h"
#include "host-state.h"
#include "poll.h"
#include "status.h"

#define BACKOFF_SHIFT_MAX 6  /* at most poll_interval * 64 … */
#define BACKOFF_CAP_SEC 3600 /* … and never more than an hour */
#define JITTER_PERCENT 10

static uint64_t poll_delay_usec(const struct agent *a) {
        uint64_t base = (uint64_t) a->ctx.config->poll_interval * USEC_PER_SEC, span, r = 0;
        unsigned shift = a->failures < BACKOFF_SHIFT_MAX ? a->failures : BACKOFF_SHIFT_MAX;

        base <<= shift;
        if (base > BACKOFF_CAP_SEC * USEC_PER_SEC)
                base = BACKOFF_CAP_SEC * USEC_PER_SEC;
        /* ± JITTER_PERCENT */
        span = base * JITTER_PERCENT / 100;
        if (span == 0)
                return base;
        /* Any value will do for a jitter; no randomness is no harm. */
        if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != sizeof(r))
                r = (uint64_t) time(NULL);
        return base - span + r % (2 * span + 1);
}

static void poll_schedule(struct agent *a, uint64_t delay_usec) {
        (void) sd_event_source_set_time_relative(a->poll_timer, delay_usec);
        (void) sd_event_source_set_enabled(a->poll_timer, SD_EVENT_ONESHOT);
}

static void report_skew(struct agent *a, const struct fetch_result *res, int64_t now) {
        int64_t skew;

        if (res->server_date <= 0)
                return;
        skew = res->server_date - now;
        a->store_skew = skew;
        if (llabs(skew) > a->ctx.config->clock_skew)
                agent_log(LOG_WARNING, AGENT_MID_CLOCK_SKEW,
                          "this host's clock differs from the store's by %lld s (clock_skew is "
                          "%lld s): grants may start or end early or late",
                          (long long) skew, (long long) a->ctx.config->clock_skew);
}

/* One event per failed poll, with the count the backoff goes by; a helper
 * that failed (rather than reported a failed fetch) is an event of its own
 * kind, for it is this host's problem, not the store's. */
static void fetch_failed(struct agent *a, bool helper_fault, int error, const char *what) {
        a->failures++;
        agent_log_fields(LOG_WARNING,
                         helper_fault ? AGENT_MID_HELPER_FAILED : AGENT_MID_FETCH_FAILED,
                         (&(struct agent_log_fields){.error = error}),
                         "bundle fetch failed (%u in a row): %s; expiry is still enforced",
                         a->failures, what);
}

/* The store still serves the bundle the host holds: only the time of the
 * fetch is new (it keeps the bundle "fresh" for stale_after). */
static void record_fetch_time(struct agent *a, int64_t now) {
        struct jit_error err = {};
        struct host_state st;

        if (host_state_load(a->ctx.config, &st, &err) >= 0) {
                st.last_fetch = now;
                (void) host_state_save(a->ctx.config, &st, &err);
        }
}

/* These bytes were verified and applied by this process under the trust
 * store it holds now, and the state file still names them as the host's. */
static bool already_applied(const struct agent *a, const char *sha) {
        struct jit_error err = {};
        struct host_state st;

        if (sha[0] == '\0' || !streq(sha, a->applied_sha256))
                return false;
        return host_state_load(a->ctx.config, &st, &err) >= 0 && streq(st.bundle_sha256, sha);
}

static void on_fetch_done(int error, bool helper_fault, const char *message,
                          const struct fetch_result *res, void *userdata) {
        struct agent *a = userdata;
        struct apply_result result = {};
        struct jit_error err = {};
        int64_t now = (int64_t) time(NULL);
        char sha[65];
        const char *body;
        size_t body_len;
        int r;

        a->fetch = NULL; /* the job frees itself once this returns */
        if (error < 0) {
                fetch_failed(a, helper_fault, error, message);
                goto schedule;
        }
        report_skew(a, res, now);

        if (res->status == 304) {
                /* Not modified: the bundle we hold is still the store's. */
                record_fetch_time(a, now);
                a->failures = 0;
                goto schedule;
        }

        /* Files and uploads often end in a newline; a token never holds white
         * space, so what surrounds it is no part of it. */
        body = res->body;
        body_len = res->body_len;
        while (body_len > 0 && strchr(" \t\r\n", body[body_len - 1]))
                body_len--;
        while (body_len > 0 && strchr(" \t\r\n", body[0])) {
                body++;
                body_len--;
        }
        /* A store without ETags (file://, some servers) serves the same bytes
         * at every poll: those were verified and applied already, under this
         * very trust store, and the state says so; only the time of the
         * fetch is new. (At 10 000 grants a full pass is ~60 ms of CPU.) */
        if (bundle_sha256_hex(body, body_len, sha, &err) < 0)
                sha[0] = '\0'; /* then it is verified in full, as any new bundle */
        if (already_applied(a, sha)) {
                a->failures = 0;
                record_fetch_time(a, now);
                goto schedule;
        }
        r = hoststate_apply_bundle(a->ctx.config, a->ctx.trust, body, body_len, now, &result, &err);
        if (r < 0) {
                agent_audit(AUDIT_BUNDLE_REJECTED, LOG_ERR,
                            &(struct audit_fields){.host = a->ctx.host,
                                                   .reason = err.message,
                                                   .result = jit_reason_to_string(err.reason)},
                            "bundle rejected: %s (%s)", err.message,
                            jit_reason_to_string(err.reason));
                /* Counted as a failed poll too: the backoff applies. */
                fetch_failed(a, false, r, "the fetched bundle was rejected");
                goto schedule;
        }
        a->failures = 0;
        free(a->etag);
        a->etag = res->etag ? strdup(res->etag) : NULL;
        memcpy(a->applied_sha256, sha, sizeof(sha));
        if (result.unchanged) {
                record_fetch_time(a, now);
                goto schedule;
        }
        agent_audit(AUDIT_BUNDLE_ACCEPTED, LOG_INFO,
                    &(struct audit_fields){.host = a->ctx.host, .result = "accepted"},
                    "bundle serial %llu accepted: %zu grant%s for %zu user%s, %zu revoked, %zu "
                    "invalid",
                    (unsigned long long) result.serial, result.n_grants, PLURAL_S(result.n_grants),
                    result.n_users, PLURAL_S(result.n_users), result.n_revoked, result.n_invalid);
        a->keys_dirty = true;
        (void) agent_reconcile(a);
schedule:
        /* STATUS= says "unreachable" after a failed poll, and the store's
         * freshness is looked at (and its change logged) at every poll, not
         * only at the next reconcile. */
        agent_status(a);
        poll_schedule(a, poll_delay_usec(a));
        /* The body (megabytes for a big fleet, also when unchanged: a
         * file:// store has no ETag) and the apply's JSON tree are freed once
         * this returns: give the pages back then, rather than idle on them. */
        (void) sd_event_source_set_enabled(a->trim_soon, SD_EVENT_ONESHOT);
}

static int on_trim_soon(sd_event_source *s, void *userdata) {
        (void) malloc_trim(0);
        return 0;
}

static int on_poll_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct agent *a = userdata;
        const struct jit_config *c = a->ctx.config;
        _cleanup_free_ char *url = NULL;
        int r;

        if (!c->bundle_url)
                return 0; /* no store configured: grants come only by other means */
        if (a->fetch)
                return 0;
        r = bundle_url_expand(c->bundle_url, a->ctx.host, &url);
        if (r < 0) {
                agent_log(LOG_ERR, AGENT_MID_BUNDLE_URL_INVALID, "bundle_url %s cannot be expanded",
                          c->bundle_url);
                return 0;
        }
        r = fetch_job_start(
                a->event,
                &(struct fetch_options){
                        .url = url,
                        .connect_timeout_usec = (uint64_t) c->fetch_timeout * USEC_PER_SEC,
                        .total_timeout_usec = (uint64_t) c->fetch_timeout * USEC_PER_SEC,
                        .max_size = c->max_bundle_size,
                        .ca_file = c->ca_file,
                        .client_cert = c->client_cert,
                        .client_key = c->client_key,
                        .pinned_pubkey = c->pinned_pubkey,
                        .allow_http = c->allow_http,
                        .etag = a->etag,
                },
                on_fetch_done, a, &a->fetch);
        if (r < 0) {
                char what[4200];

                (void) snprintf(what, sizeof(what), "cannot start the fetch helper %s: %s",
                                fetch_helper_path(), strerror_r(-r, (char[128]){}, 128));
                fetch_failed(a, true, r, what);
                poll_schedule(a, poll_delay_usec(a));
        }
        return 0;
}

int agent_poll_setup(struct agent *a) {
        int r;

        r = sd_event_add_defer(a->event, &a->trim_soon, on_trim_soon, a);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(a->trim_soon, SD_EVENT_OFF);

        r = sd_event_add_time_relative(a->event, &a->poll_timer, CLOCK_MONOTONIC, 0, 0,
                                       on_poll_timer, a);
        if (r < 0)
                return r;
        return sd_event_source_set_enabled(a->poll_timer, SD_EVENT_ONESHOT);
}

int agent_poll_now(struct agent *a) {
        /* A fetch in flight runs with what was configured when it started:
         * end it, so the poll now uses the configuration just loaded. */
        a->fetch = fetch_job_cancel(a->fetch);
        a->failures = 0;
        poll_schedule(a, 0);
        return 0;
}
