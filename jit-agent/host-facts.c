/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* This host's facts, written to run_dir/facts for pam_jit's selector
 * matching: host and the config's labels, then the facts of this host's
 * cloud (aws.*, gcp.*, azure.*), which jit-fetch's metadata job gathers and
 * cloud-poll.c keeps. pam_jit reads this one small file and nothing of the
 * cloud code. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent-log.h"
#include "facts-file.h"
#include "fileio.h"
#include "host-facts.h"
#include "jit-limits.h"

/* Does path hold exactly text? */
static bool file_holds(const char *path, const char *text) {
        _cleanup_free_ char *old = NULL;
        size_t len = 0;

        if (read_file_secure(path, 0, JIT_FACTS_FILE_MAX, &old, &len, NULL) < 0)
                return false;
        return len == strlen(text) && memcmp(old, text, len) == 0;
}

int agent_host_facts_write(const struct jit_config *c, const struct host_facts *cloud,
                           struct host_facts *ret, bool *ret_changed, struct jit_error *err) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        struct host_facts f = {};
        int r;

        r = host_facts_from_config(c, &f, err);
        if (r < 0) {
                jit_error_prefix(err, "host facts");
                return r;
        }
        for (size_t i = 0; cloud && i < cloud->n_facts; i++) {
                const char *fact = cloud->facts[i], *eq = strchr(fact, '=');
                _cleanup_free_ char *key = eq ? strndup(fact, (size_t) (eq - fact)) : NULL;
                struct jit_error ferr = {};

                if (!key) {
                        host_facts_done(&f);
                        return jit_error_oom(err);
                }
                /* A label of the same name (or the fact cap) wins: the
                 * config is the administrator's word. */
                r = host_facts_add(&f, key, eq + 1, &ferr);
                if (r == -ENOMEM) {
                        host_facts_done(&f);
                        return jit_error_oom(err);
                }
                if (r < 0)
                        agent_log_fields(LOG_WARNING, AGENT_MID_HOST_FACTS_FAILED,
                                         (&(struct agent_log_fields){.error = r}),
                                         "cloud fact %s left out: %s", key, ferr.message);
        }
        if (host_facts_format(&f, &text) < 0 || !(path = path_join3(c->run_dir, "facts", NULL))) {
                host_facts_done(&f);
                return jit_error_oom(err);
        }
        /* Rewritten only when it changes: pam_jit reads it at every login,
         * and a change is what makes the agent fetch again. */
        if (ret_changed)
                *ret_changed = false;
        if (!file_holds(path, text)) {
                r = write_file_atomic(path, text, strlen(text), 0644, err);
                if (r < 0) {
                        jit_error_prefix(err, "cannot write %s", path);
                        host_facts_done(&f);
                        return r;
                }
                if (ret_changed)
                        *ret_changed = true;
        }
        *ret = f;
        return 0;
}
