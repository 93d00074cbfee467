/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "agent-log.h"
#include "agent.h"
#include "facts-file.h"
#include "fetch-server.h"
#include "host-facts.h"

int agent_load_context(struct agent *a, struct jit_error *err) {
        struct jit_context ctx = {};
        struct host_facts facts = {};
        int r;

        r = config_trust_load(a->config_path, NULL, 0, &ctx.config, &ctx.trust, err);
        if (r < 0) {
                context_done(&ctx);
                return r;
        }
        if (mkdir(ctx.config->run_dir, 0755) < 0 && errno != EEXIST) {
                int e = errno;

                r = jit_error_set(err, e, JIT_REASON_SYSTEM, "cannot create %s: %s",
                                  ctx.config->run_dir, strerror_r(e, (char[128]){}, 128));
                context_done(&ctx);
                return r;
        }
        /* The last good cloud facts a previous agent kept, if still young:
         * a restart does not drop them until the service answers. */
        if (a->cloud.last.cloud == CLOUD_AUTO &&
            cloud_facts_record_load(ctx.config, &a->cloud.last, NULL) >= 0 &&
            (int64_t) time(NULL) - a->cloud.last.fetched > AGENT_CLOUD_FACTS_KEEP_SEC)
                cloud_facts_record_done(&a->cloud.last);
        r = agent_host_facts_write(ctx.config, &a->cloud.last.facts, &facts, NULL, err);
        if (r < 0) {
                context_done(&ctx);
                return r;
        }
        /* Decisions see only the facts a selector may name. */
        host_facts_restrict(ctx.config, &facts);
        ctx.facts = facts;
        ctx.host = host_facts_get(&ctx.facts, "host");
        config_grant_policy(ctx.config, &ctx.policy);

        token_digest_set_done(&a->verified); /* verified under the old trust store */
        /* Other facts, other bins: the shards to hold may differ. */
        if (!a->ctx.config || !strv_equal(a->ctx.facts.facts, ctx.facts.facts))
                a->facts_changed = true;
        context_done(&a->ctx);
        a->ctx = ctx;
        a->config_loaded_at = (int64_t) time(NULL);
        a->reload_failed_at = 0;
        agent_audit_set_run_dir(a->ctx.config->run_dir);
        return 0;
}

void agent_pending_drop(struct agent *a) {
        head_free(a->pending_head);
        a->pending_head = NULL;
        free(a->pending_token);
        a->pending_token = NULL;
        a->pending_len = 0;
        free(a->pending_etag);
        a->pending_etag = NULL;
        free(a->pending_need);
        a->pending_need = NULL;
        a->n_pending_need = a->pending_next = 0;
        a->n_pending_run = a->pending_run_saved = 0;
        free(a->pending_base);
        a->pending_base = NULL;
}

void agent_done(struct agent *a) {
        sd_event_source_unref(a->poll_timer);
        sd_event_source_unref(a->deadline_timer);
        sd_event_source_unref(a->grace_timer);
        sd_event_source_unref(a->sessions_watch);
        sd_event_source_unref(a->reconcile_soon);
        sd_event_source_unref(a->trim_soon);
        sd_event_source_unref(a->store_timer);
        a->fetch = fetch_job_cancel(a->fetch);
        fetch_server_stop(); /* before the event loop it runs on */
        a->cloud.job = fetch_job_cancel(a->cloud.job);
        sd_event_source_unref(a->cloud.timer);
        cloud_facts_record_done(&a->cloud.last);
        sd_bus_flush_close_unref(a->bus);
        sd_event_unref(a->event);
        token_digest_set_done(&a->verified);
        free(a->keys.v);
        context_done(&a->ctx);
        free(a->etag);
        agent_pending_drop(a);
        free(a->kills);
        free(a->warned);
        strv_free(a->unsafe_ended);
        strv_free(a->accounts_refused);
}
