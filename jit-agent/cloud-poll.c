/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Cloud facts on a timer: detect, ask jit-fetch's metadata job, keep the
 * last good answer (run_dir/cloud-facts), rewrite run_dir/facts when the
 * facts change, and then have the store fetched again. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "agent-log.h"
#include "cloud-detect.h"
#include "cloud-poll.h"
#include "enforce.h"
#include "facts-file.h"
#include "host-facts.h"
#include "jit-limits.h"
#include "poll.h"

/* Test-only overrides (jit-agent(8), ENVIRONMENT): where the DMI files
 * are, and which metadata service to ask instead of 169.254.169.254. */
#define ENV_DMI_ROOT "JIT_TEST_DMI_ROOT"
#define ENV_METADATA_URL "JIT_TEST_METADATA_URL"

static const char *env_or_null(const char *name) {
        const char *v = getenv(name);
        return v && *v ? v : NULL;
}

static void cloud_schedule(struct agent *a, uint64_t delay_usec) {
        (void) sd_event_source_set_time_relative(a->cloud.timer, delay_usec);
        (void) sd_event_source_set_enabled(a->cloud.timer, SD_EVENT_ONESHOT);
}

/* The facts changed: pam_jit sees them in run_dir/facts already. What the
 * host needs from the store may change with them (grants select hosts by
 * facts), so the store is fetched again now; the key files and the
 * sessions are checked against the new facts at once.
 * HOOK for the store's fetch: agent_poll_now() is "fetch what this host
 * needs now"; a fetch that depends on the facts reads a->ctx.facts. */
static void facts_changed(struct agent *a) {
        a->keys_dirty = true;
        /* Other facts, other bins: the held head is applied again for the
         * shards the new facts need, even when the store's head is unchanged. */
        a->facts_changed = true;
        (void) agent_reconcile(a);
        (void) agent_poll_now(a);
}

/* Rewrite run_dir/facts from the config and a->cloud.last; the context's
 * facts follow. */
static void facts_update(struct agent *a) {
        struct jit_error err = {};
        struct host_facts f = {};
        bool changed = false;
        int r;

        r = agent_host_facts_write(a->ctx.config, &a->cloud.last.facts, &f, &changed, &err);
        if (r < 0) {
                agent_log_fields(LOG_ERR, AGENT_MID_HOST_FACTS_FAILED,
                                 (&(struct agent_log_fields){.error = r}),
                                 "cannot update the host facts: %s", err.message);
                return;
        }
        host_facts_restrict(a->ctx.config, &f);
        host_facts_done(&a->ctx.facts);
        a->ctx.facts = f;
        a->ctx.host = host_facts_get(&a->ctx.facts, "host");
        if (changed)
                facts_changed(a);
}

static void drop_last(struct agent *a, const char *why) {
        if (a->cloud.last.cloud == CLOUD_AUTO)
                return;
        agent_log(LOG_WARNING, AGENT_MID_CLOUD_FACTS_DROPPED, "%s cloud facts dropped: %s",
                  cloud_to_string(a->cloud.last.cloud), why);
        cloud_facts_record_done(&a->cloud.last);
        (void) cloud_facts_record_remove(a->ctx.config);
        facts_update(a);
}

/* The helper's answer, untrusted: "# " lines, then facts under the cloud's
 * prefix, at most JIT_CLOUD_FACTS_MAX of them. */
static int answer_parse(struct agent *a, const char *body, size_t len, struct host_facts *ret,
                        unsigned *left_out, struct jit_error *err) {
        const char *prefix = cloud_fact_prefix(a->cloud.cloud);
        struct host_facts f = {};
        int r;

        if (len > 12 && memcmp(body, "# left-out ", 11) == 0)
                *left_out = (unsigned) strtoul(body + 11, NULL, 10);
        r = host_facts_parse(&f, body, len, err);
        if (r < 0)
                return r;
        if (f.n_facts > JIT_CLOUD_FACTS_MAX) {
                host_facts_done(&f);
                return jit_error_set(err, E2BIG, JIT_REASON_TOO_LARGE, "more than %u facts",
                                     JIT_CLOUD_FACTS_MAX);
        }
        for (size_t i = 0; i < f.n_facts; i++)
                if (strncmp(f.facts[i], prefix, strlen(prefix)) != 0) {
                        r = jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                          "fact '%.64s' is not under %s", f.facts[i], prefix);
                        host_facts_done(&f);
                        return r;
                }
        *ret = f;
        return 0;
}

static bool facts_equal(const struct host_facts *x, const struct host_facts *y) {
        if (x->n_facts != y->n_facts)
                return false;
        for (size_t i = 0; i < x->n_facts; i++)
                if (!streq(x->facts[i], y->facts[i]))
                        return false;
        return true;
}

static void cloud_failed(struct agent *a, int error, const char *what) {
        int64_t now = (int64_t) time(NULL);
        uint64_t retry = (uint64_t) AGENT_CLOUD_RETRY_SEC
                         << (a->cloud.failures < 5 ? a->cloud.failures : 5);

        a->cloud.failures++;
        if (retry > (uint64_t) a->ctx.config->cloud_refresh)
                retry = (uint64_t) a->ctx.config->cloud_refresh;
        if (a->cloud.last.cloud != CLOUD_AUTO)
                agent_log_fields(
                        LOG_WARNING, AGENT_MID_CLOUD_FACTS_FAILED,
                        (&(struct agent_log_fields){.error = error}),
                        "%s metadata failed (%u in a row): %s; keeping the facts of %" PRId64
                        " s ago",
                        cloud_to_string(a->cloud.cloud), a->cloud.failures, what,
                        now - a->cloud.last.fetched);
        else
                agent_log_fields(LOG_WARNING, AGENT_MID_CLOUD_FACTS_FAILED,
                                 (&(struct agent_log_fields){.error = error}),
                                 "%s metadata failed (%u in a row): %s; no cloud facts yet",
                                 cloud_to_string(a->cloud.cloud), a->cloud.failures, what);
        if (a->cloud.last.cloud != CLOUD_AUTO &&
            now - a->cloud.last.fetched > AGENT_CLOUD_FACTS_KEEP_SEC)
                drop_last(a, "older than a day");
        cloud_schedule(a, retry * USEC_PER_SEC);
}

static void on_cloud_done(int error, bool helper_fault, const char *message,
                          const struct fetch_result *res, void *userdata) {
        struct agent *a = userdata;
        struct jit_error err = {};
        struct host_facts f = {};
        unsigned left_out = 0;
        bool same;
        int r;

        a->cloud.job = NULL; /* the job frees itself once this returns */
        if (error < 0) {
                cloud_failed(a, error, message);
                return;
        }
        r = answer_parse(a, res->body ? res->body : "", res->body_len, &f, &left_out, &err);
        if (r < 0) {
                char what[sizeof(err.message) + 64];

                (void) snprintf(what, sizeof(what), "invalid answer from the helper: %s",
                                err.message);
                cloud_failed(a, r, what);
                return;
        }
        a->cloud.failures = 0;
        same = a->cloud.last.cloud == a->cloud.cloud && facts_equal(&f, &a->cloud.last.facts);
        cloud_facts_record_done(&a->cloud.last);
        a->cloud.last = (struct cloud_facts_record){
                .cloud = a->cloud.cloud, .fetched = (int64_t) time(NULL), .facts = f};
        (void) cloud_facts_record_save(a->ctx.config, &a->cloud.last, &err);
        if (!same) {
                agent_log(LOG_INFO, AGENT_MID_CLOUD_FACTS_CHANGED,
                          "%s cloud facts: %zu (%u tags or attributes left out by the rules)",
                          cloud_to_string(a->cloud.cloud), f.n_facts, left_out);
                facts_update(a);
        }
        cloud_schedule(a, (uint64_t) a->ctx.config->cloud_refresh * USEC_PER_SEC);
}

static int on_cloud_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        struct agent *a = userdata;
        int r;

        if (a->cloud.job || a->cloud.cloud == CLOUD_NONE)
                return 0;
        r = fetch_job_start_metadata(a->event, cloud_to_string(a->cloud.cloud),
                                     env_or_null(ENV_METADATA_URL),
                                     AGENT_CLOUD_TIMEOUT_SEC * USEC_PER_SEC,
                                     JIT_CLOUD_FACTS_FILE_MAX, on_cloud_done, a, &a->cloud.job);
        if (r < 0)
                cloud_failed(a, r, "cannot start the fetch helper");
        return 0;
}

void agent_cloud_reload(struct agent *a) {
        enum cloud want = a->ctx.config->cloud, was = a->cloud.cloud;
        bool detected = want == CLOUD_AUTO;

        if (detected)
                want = cloud_detect_dmi(env_or_null(ENV_DMI_ROOT));
        a->cloud.cloud = want;
        if (want != was || a->cloud.failures > 0)
                agent_log(LOG_INFO, AGENT_MID_CLOUD_DETECTED, "cloud: %s (%s)%s",
                          cloud_to_string(want), detected ? "from DMI" : "from jit.conf",
                          want == CLOUD_NONE ? "; no metadata service is asked" : "");
        a->cloud.job = fetch_job_cancel(a->cloud.job);
        a->cloud.failures = 0;
        if (a->cloud.last.cloud != CLOUD_AUTO && a->cloud.last.cloud != want)
                drop_last(a, "this host's cloud is another one now");
        if (want == CLOUD_NONE) {
                (void) sd_event_source_set_enabled(a->cloud.timer, SD_EVENT_OFF);
                return;
        }
        cloud_schedule(a, 0);
}

int agent_cloud_setup(struct agent *a) {
        int r;

        r = sd_event_add_time_relative(a->event, &a->cloud.timer, CLOCK_MONOTONIC, 0, 0,
                                       on_cloud_timer, a);
        if (r < 0)
                return r;
        (void) sd_event_source_set_enabled(a->cloud.timer, SD_EVENT_OFF);
        a->cloud.cloud = CLOUD_AUTO; /* "was" nothing: the first reload logs */
        agent_cloud_reload(a);
        return 0;
}
