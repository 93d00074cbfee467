/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Revocations ahead of the shards: a withheld or lost shard delays a head's
 * new grants, never its revocations (docs/bundle-format.md). */

#include "revoke-ahead.h"
#include "agent-log.h"
#include "enforce.h"
#include "revoke-early.h"

void agent_revoke_ahead(struct agent *a, const struct head *h) {
        struct revoke_early_result res = {};
        struct jit_error err = {};
        int r;

        r = hoststate_revoke_early(a->ctx.config, a->ctx.trust, h, &res, &err);
        if (r < 0) {
                agent_log_fields(LOG_ERR, AGENT_MID_REVOKE_AHEAD_FAILED,
                                 (&(struct agent_log_fields){.error = -r}),
                                 "head serial %llu: cannot apply its revocations ahead of its "
                                 "shards: %s; they wait for the full apply",
                                 (unsigned long long) h->serial, err.message);
                return;
        }
        if (res.n_new == 0)
                return; /* in force already (this head seen before, or a restart) */
        agent_log(LOG_NOTICE, AGENT_MID_REVOKED_AHEAD,
                  "head serial %llu: %zu revocation%s applied ahead of its shards (%zu grant%s of "
                  "%zu user%s here); nothing new admitted until the head is applied in full",
                  (unsigned long long) h->serial, res.n_new, PLURAL_S(res.n_new), res.n_grants,
                  PLURAL_S(res.n_grants), res.n_users, PLURAL_S(res.n_users));
        /* Every key file and every session against the files just written:
         * the same reconcile a full apply runs. */
        a->keys_dirty = true;
        (void) agent_reconcile(a);
}
