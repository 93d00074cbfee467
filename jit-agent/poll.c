/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Polling the store: a timer with jitter (so a fleet does not fetch in step)
 * and exponential backoff on failure. Only the head is polled (with its
 * ETag); a new head is checked, the shards of this host's bins it names and
 * the host does not hold yet are fetched in one jit-fetch run (up to
 * JIT_FETCH_OBJECTS_MAX a run, on one connection; each cut at its listed
 * size, checked against its digest and saved as it arrives), then everything is applied at once
 * (common/host/store-apply.h) and reconciled. A new head's revocations act
 * before its shards are fetched (revoke-ahead.h), so they act as soon as the
 * head carrying them arrives; any other failure drops the whole update.
 *
 * With several bundle_url mirrors (store-mirrors.h) a poll is a round: the
 * shards of a head come from the mirror that served it (objects/<sha256>
 * next to that mirror's head), and a failed shard fetch is a failed fetch
 * of that mirror, like a refused head: the round goes on to the next
 * mirror, which serves its own head and shards (the shards already saved
 * are content-addressed and kept, so only the missing ones are fetched). */

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
#include "bundle-url.h"
#include "enforce.h"
#include "hint-fetch.h"
#include "host-state.h"
#include "poll.h"
#include "revoke-ahead.h"
#include "shard.h"
#include "status.h"
#include "store-apply.h"

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

/* The next mirror at once in a round, else the next poll. */
static void poll_schedule_next(struct agent *a) {
        poll_schedule(a, a->mirrors.tried > 0 ? 0 : poll_delay_usec(a));
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

static unsigned n_mirrors(const struct agent *a) {
        return a->ctx.config->bundle_urls ? (unsigned) strv_length(a->ctx.config->bundle_urls) : 1;
}

/* bundle_url's m-th URL (a template: bundle-url.h). */
static const char *mirror_template(const struct agent *a, unsigned m) {
        const struct jit_config *c = a->ctx.config;

        return c->bundle_urls && m < n_mirrors(a) ? c->bundle_urls[m] : c->bundle_url;
}

static uint64_t mono_now(const struct agent *a) {
        uint64_t now = 0;

        (void) sd_event_now(a->event, CLOCK_MONOTONIC, &now);
        return now;
}

/* The store answered with what the host holds or accepts now. A mirror
 * whose newest is a head past its exp (one that stopped following the
 * store) leaves the round going on to the next mirror, which may have a
 * fresh one; the last mirror's answer stands, and the host goes stale by
 * the usual rule (stale_after). */
static void fetch_answered(struct agent *a, int64_t now) {
        struct jit_error err = {};
        struct host_state st;
        unsigned stale = a->mirrors.current;

        if (a->mirrors.tried + 1 < n_mirrors(a) && host_state_load(a->ctx.config, &st, &err) >= 0 &&
            now - a->ctx.config->clock_skew >= st.bundle_exp &&
            store_mirrors_failed(&a->mirrors, n_mirrors(a))) {
                agent_log(LOG_WARNING, AGENT_MID_MIRROR_FAILED,
                          "mirror %u has nothing newer than head serial %llu, which expired %lld "
                          "s ago; trying mirror %u",
                          stale + 1, (unsigned long long) st.serial,
                          (long long) (now - st.bundle_exp), a->mirrors.current + 1);
                return;
        }
        a->failures = 0;
        store_mirrors_answered(&a->mirrors, mono_now(a));
}

/* One event per failed poll, with the count the backoff goes by; a helper
 * that failed (rather than reported a failed fetch) is an event of its own
 * kind, for it is this host's problem, not the store's. With mirrors, a
 * failure moves on to the next (poll_schedule_next() fetches at once) and
 * only a round where all failed is a failed poll. */
static void fetch_failed(struct agent *a, bool helper_fault, int error, const char *what) {
        unsigned failed = a->mirrors.current;

        if (store_mirrors_failed(&a->mirrors, n_mirrors(a))) {
                agent_log_fields(LOG_WARNING, AGENT_MID_MIRROR_FAILED,
                                 (&(struct agent_log_fields){.error = error}),
                                 "store fetch from mirror %u failed: %s; trying mirror %u",
                                 failed + 1, what, a->mirrors.current + 1);
                return;
        }
        a->failures++;
        /* The message's words before its first ':' say what is wrong. */
        size_t n = strcspn(what, ":");
        if (n >= sizeof(a->fetch_problem))
                n = sizeof(a->fetch_problem) - 1;
        memcpy(a->fetch_problem, what, n);
        a->fetch_problem[n] = '\0';
        (void) snprintf(a->fetch_error, sizeof(a->fetch_error), "%s", what);
        agent_log_fields(LOG_WARNING,
                         helper_fault ? AGENT_MID_HELPER_FAILED : AGENT_MID_FETCH_FAILED,
                         (&(struct agent_log_fields){.error = error}),
                         "store fetch failed (%u in a row): %s; expiry is still enforced",
                         a->failures, what);
        agent_status(a); /* "unreachable" */
}

/* The store still serves the head the host holds: only the time of the
 * fetch is new. */
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

static void store_rejected(struct agent *a, int r, const struct jit_error *err) {
        /* A head that passed its checks had its revocations applied ahead
         * of its shards (revoke-ahead.c): the message must not deny it. */
        bool ahead = a->pending_head && a->pending_head->n_revoked > 0;

        agent_audit(AUDIT_BUNDLE_REJECTED, LOG_ERR,
                    &(struct audit_fields){.host = a->ctx.host,
                                           .reason = err->message,
                                           .result = jit_reason_to_string(err->reason)},
                    "store update rejected: %s (%s); %s", err->message,
                    jit_reason_to_string(err->reason),
                    ahead ? "only its revocations applied" : "nothing applied");
        /* Counted as a failed poll too: the backoff applies. */
        fetch_failed(a, false, r, "the fetched store update was rejected");
}

/* After any end of a poll: status, the next poll, and the heap back. */
static void poll_over(struct agent *a) {
        /* STATUS= says "unreachable" after a failed poll, and the store's
         * freshness is looked at (and its change logged) at every poll, not
         * only at the next reconcile. */
        agent_status(a);
        poll_schedule_next(a);
        agent_hint_fetch_done(a);
        /* The bodies and the apply's buffers are freed once this returns:
         * give the pages back then, rather than idle on them. */
        (void) sd_event_source_set_enabled(a->trim_soon, SD_EVENT_ONESHOT);
}

static void pending_apply(struct agent *a) {
        struct apply_result result = {};
        struct jit_error err = {};
        int64_t now = (int64_t) time(NULL);
        int r;

        r = hoststate_apply_head(a->ctx.config, a->ctx.trust, &a->ctx.facts, a->pending_head,
                                 a->pending_token, a->pending_len, now, &result, &err);
        if (r < 0) {
                store_rejected(a, r, &err);
                agent_pending_drop(a);
                return;
        }
        a->facts_changed = false;
        free(a->etag);
        a->etag = TAKE_PTR(a->pending_etag);
        a->etag_mirror = a->mirrors.current;
        fetch_answered(a, now);
        if (sha256_hex(a->pending_token, a->pending_len, a->applied_sha256) < 0)
                a->applied_sha256[0] = '\0';
        agent_pending_drop(a);
        agent_audit(AUDIT_BUNDLE_ACCEPTED, LOG_INFO,
                    &(struct audit_fields){.host = a->ctx.host, .result = "accepted"},
                    "head serial %llu accepted: %zu shard%s of this host's bins, %zu grant%s for "
                    "%zu user%s, %zu revoked, %zu invalid, %zu for other hosts",
                    (unsigned long long) result.serial, result.n_shards, PLURAL_S(result.n_shards),
                    result.n_grants, PLURAL_S(result.n_grants), result.n_users,
                    PLURAL_S(result.n_users), result.n_revoked, result.n_invalid, result.n_other);
        a->keys_dirty = true;
        (void) agent_reconcile(a);
}

/* The store's fetch options from jit.conf, the same for the head and its
 * shards; url and the per-fetch fields are the caller's. */
static struct fetch_options store_fetch_options(const struct agent *a, const char *url) {
        const struct jit_config *c = a->ctx.config;
        uint64_t timeout = (uint64_t) c->fetch_timeout * USEC_PER_SEC;

        return (struct fetch_options){
                .url = url,
                .connect_timeout_usec = timeout,
                .total_timeout_usec = timeout,
                .ca_file = c->ca_file,
                .client_cert = c->client_cert,
                .client_key = c->client_key,
                .pinned_pubkey = c->pinned_pubkey,
                .allow_http = c->allow_http,
                .store_auth = c->store_auth,
                .store_endpoint = c->store_endpoint,
                .store_region = c->store_region,
                .store_client_id = c->store_client_id,
                /* Test-only, as for the cloud facts (jit-agent(8)). */
                .metadata_endpoint = getenv("JIT_TEST_METADATA_URL"),
                .resident = c->notify_url != NULL,
        };
}

static int fetch_start_failed(struct agent *a, int r) {
        char what[4200];

        (void) snprintf(what, sizeof(what), "cannot start the fetch helper %s: %s",
                        fetch_helper_path(), strerror_r(-r, (char[128]){}, 128));
        fetch_failed(a, true, r, what);
        return r;
}

static int fetch_start(struct agent *a, const char *url, uint64_t max_size, const char *etag,
                       fetch_job_done_t done) {
        struct fetch_options o = store_fetch_options(a, url);
        int r;

        o.max_size = max_size;
        o.etag = etag;
        r = fetch_job_start(a->event, &o, done, a, &a->fetch);
        return r < 0 ? fetch_start_failed(a, r) : r;
}

static void on_shards_done(int error, bool helper_fault, const char *message,
                           const struct fetch_result *res, void *userdata);
static int on_shard(size_t index, const struct fetch_result *res, char *msg, size_t msg_size,
                    void *userdata);

/* One helper run for the next shards the pending head needs (base: the
 * store the head came from; shards are objects/<sha256> under it). */
static int shards_fetch_start(struct agent *a, const char *base) {
        struct fetch_options o = store_fetch_options(a, base);
        struct fetch_object objects[JIT_FETCH_OBJECTS_MAX] = {};
        int r;

        for (size_t i = 0; i < a->n_pending_run; i++) {
                const struct head_shard *s =
                        &a->pending_head->shards[a->pending_need[a->pending_run[i]]];
                (void) snprintf(objects[i].sha256, sizeof(objects[i].sha256), "%s", s->digest);
                objects[i].size = s->size;
        }
        r = fetch_job_start_objects(a->event, &o, objects, a->n_pending_run,
                                    o.total_timeout_usec * JIT_FETCH_RUN_TIMEOUTS, on_shard,
                                    on_shards_done, a, &a->fetch);
        return r < 0 ? fetch_start_failed(a, r) : r;
}

/* Fetch the next shards the pending head needs and the host lacks; apply
 * when there is none left. Returns false when the poll is over. */
static bool pending_continue(struct agent *a) {
        a->n_pending_run = a->pending_run_saved = 0;
        for (size_t i = a->pending_next;
             i < a->n_pending_need && a->n_pending_run < JIT_FETCH_OBJECTS_MAX; i++)
                if (!hoststate_shard_present(a->ctx.config,
                                             a->pending_head->shards[a->pending_need[i]].digest))
                        a->pending_run[a->n_pending_run++] = i;
        if (a->n_pending_run == 0) {
                pending_apply(a);
                return false;
        }
        if (shards_fetch_start(a, a->pending_base) < 0) {
                agent_pending_drop(a);
                return false;
        }
        return true;
}

/* A shard of the run, verified by the helper (its size and digest): saved
 * at once, where it changes nothing until the head is applied. */
static int on_shard(size_t index, const struct fetch_result *res, char *msg, size_t msg_size,
                    void *userdata) {
        struct agent *a = userdata;
        struct jit_error err = {};
        const struct head_shard *s;
        int r;

        if (!a->pending_head || index >= a->n_pending_run)
                return -EINVAL; /* cannot happen: a reload cancels the job first */
        s = &a->pending_head->shards[a->pending_need[a->pending_run[index]]];
        r = hoststate_shard_save(a->ctx.config, s, res->body, res->body_len, &err);
        if (r < 0) {
                (void) snprintf(msg, msg_size, "%s", err.message);
                return r;
        }
        a->pending_run_saved = index + 1;
        return 0;
}

/* The store refused this host's credentials or request (no instance role,
 * no read access, expired token, clock skew, wrong region, credentials
 * refused: jit-fetch's store-error.c and credentials.c): a failed fetch
 * whose message names what to fix, not a store update that is wrong. */
static bool store_refused(int error) {
        return error == -ENOKEY || error == -EACCES || error == -EKEYEXPIRED ||
               error == -EKEYREJECTED || error == -ERANGE || error == -EXDEV;
}

static void on_shards_done(int error, bool helper_fault, const char *message,
                           const struct fetch_result *res, void *userdata) {
        struct agent *a = userdata;
        struct jit_error err = {};

        a->fetch = NULL;        /* the job frees itself once this returns */
        if (!a->pending_head) { /* cannot happen: a reload cancels the job first */
                poll_over(a);
                return;
        }
        if (error < 0) {
                size_t k = a->pending_run_saved < a->n_pending_run ? a->pending_run_saved
                                                                   : a->n_pending_run - 1;
                const struct head_shard *s =
                        &a->pending_head->shards[a->pending_need[a->pending_run[k]]];
                char what[FETCH_WIRE_MESSAGE_MAX + 200];

                (void) snprintf(what, sizeof(what), "shard %s of head serial %llu: %s", s->digest,
                                (unsigned long long) a->pending_head->serial, message);
                if (helper_fault)
                        fetch_failed(a, true, error, what);
                else if (store_refused(error)) {
                        /* The cause first: it is what STATUS= shows. */
                        (void) snprintf(what, sizeof(what), "%s; a shard of head serial %llu%s",
                                        message, (unsigned long long) a->pending_head->serial,
                                        a->pending_head->n_revoked > 0
                                                ? " (its revocations applied ahead)"
                                                : "");
                        fetch_failed(a, false, error, what);
                } else {
                        (void) jit_error_set(&err, -error,
                                             error == -EBADMSG ? JIT_REASON_DIGEST
                                                               : JIT_REASON_SYSTEM,
                                             "%s", what);
                        store_rejected(a, error, &err);
                }
                agent_pending_drop(a);
                poll_over(a);
                return;
        }
        a->pending_next = a->pending_run[a->n_pending_run - 1] + 1;
        if (!pending_continue(a))
                poll_over(a);
}

/* The head's URL up to and including its last '/': shards are
 * objects/<sha256> next to it. */
static char *store_base(const char *url) {
        const char *q = strpbrk(url, "?#"), *end = q ? q : url + strlen(url), *slash = end;

        while (slash > url && slash[-1] != '/')
                slash--;
        return strndup(url, (size_t) (slash - url));
}

/* A checked head that is new (or must be applied again for new facts):
 * list what this host needs and start fetching it. */
static bool pending_start(struct agent *a, struct head *h, const char *body, size_t body_len,
                          const char *etag) {
        struct jit_error err = {};
        _cleanup_free_ char *url = NULL;
        int r;

        /* Its revocations act now, whatever becomes of its shards. */
        agent_revoke_ahead(a, h);
        agent_pending_drop(a);
        a->pending_head = h;
        a->pending_token = strndup(body, body_len);
        a->pending_len = body_len;
        a->pending_etag = etag ? strdup(etag) : NULL;
        /* The shards come from the mirror that served the head: another may
         * not have them yet, or have other ones. */
        if (bundle_url_expand(mirror_template(a, a->mirrors.current), a->ctx.host, &url) < 0)
                url = NULL;
        a->pending_base = url ? store_base(url) : NULL;
        if (!a->pending_token || (etag && !a->pending_etag) || !a->pending_base) {
                fetch_failed(a, true, -ENOMEM, "out of memory");
                agent_pending_drop(a);
                return false;
        }
        r = hoststate_head_needs(h, &a->ctx.facts, &a->pending_need, &a->n_pending_need, &err);
        if (r < 0) {
                store_rejected(a, r, &err);
                agent_pending_drop(a);
                return false;
        }
        return pending_continue(a);
}

static void on_fetch_done(int error, bool helper_fault, const char *message,
                          const struct fetch_result *res, void *userdata) {
        struct agent *a = userdata;
        struct jit_error err = {};
        struct head *h = NULL;
        int64_t now = (int64_t) time(NULL);
        bool unchanged = false;
        char sha[65];
        const char *body;
        size_t body_len;
        int r;

        a->fetch = NULL; /* the job frees itself once this returns */
        if (error < 0) {
                fetch_failed(a, helper_fault, error, message);
                goto over;
        }
        report_skew(a, res, now);

        if (res->status == 304) {
                /* Not modified: the head we hold is still the store's. */
                record_fetch_time(a, now);
                fetch_answered(a, now);
                goto over;
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
         * very trust store and these facts, and the state says so; only the
         * time of the fetch is new. */
        if (sha256_hex(body, body_len, sha) < 0)
                sha[0] = '\0'; /* then it is checked in full, as any new head */
        if (!a->facts_changed && already_applied(a, sha)) {
                fetch_answered(a, now);
                record_fetch_time(a, now);
                goto over;
        }
        r = hoststate_head_check(a->ctx.config, a->ctx.trust, body, body_len, now, &h, &unchanged,
                                 &err);
        if (r < 0) {
                store_rejected(a, r, &err);
                goto over;
        }
        if (unchanged && !a->facts_changed) {
                head_free(h);
                free(a->etag);
                a->etag = res->etag ? strdup(res->etag) : NULL;
                a->etag_mirror = a->mirrors.current;
                memcpy(a->applied_sha256, sha, sizeof(sha));
                fetch_answered(a, now);
                record_fetch_time(a, now);
                goto over;
        }
        if (pending_start(a, h, body, body_len, res->etag))
                return; /* a shard run runs; it ends the poll */
over:
        poll_over(a);
}

static int on_trim_soon(sd_event_source *s, void *userdata) {
        (void) malloc_trim(0);
        return 0;
}

static int on_poll_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct agent *a = userdata;
        const struct jit_config *c = a->ctx.config;
        _cleanup_free_ char *url = NULL;
        const char *template;
        unsigned m;
        int r;

        if (!c->bundle_url)
                return 0; /* no store configured: grants come only by other means */
        if (a->fetch)
                return 0;
        m = store_mirrors_next(&a->mirrors, n_mirrors(a), mono_now(a));
        template = mirror_template(a, m);
        r = bundle_url_expand(template, a->ctx.host, &url);
        if (r < 0) {
                agent_log(LOG_ERR, AGENT_MID_BUNDLE_URL_INVALID, "bundle_url %s cannot be expanded",
                          template);
                return 0;
        }
        /* New facts need the head's bytes again, whatever its ETag; an ETag
         * names a version on the server that sent it. */
        if (fetch_start(a, url, c->max_bundle_size,
                        a->facts_changed || a->etag_mirror != m ? NULL : a->etag,
                        on_fetch_done) < 0)
                poll_schedule_next(a);
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
        agent_pending_drop(a);
        a->failures = 0;
        a->mirrors = (struct store_mirrors){}; /* the list may have changed */
        poll_schedule(a, 0);
        return 0;
}
