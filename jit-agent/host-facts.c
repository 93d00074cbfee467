/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* This host's facts, written to run_dir/facts for pam_jit's selector
 * matching: host and the config's labels, then whatever each provider adds.
 * Cloud metadata providers (aws.*, gcp.*, azure.*) plug in here; they must
 * answer from a link-local metadata service within a short timeout and may
 * only add facts under their own prefix. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent-log.h"
#include "facts-file.h"
#include "fileio.h"
#include "host-facts.h"

typedef int (*facts_provider_t)(struct host_facts *f, struct jit_error *err);

struct facts_provider {
        const char *name;
        const char *prefix; /* every fact it adds starts with this */
        facts_provider_t collect;
};

/* None yet: each cloud provider is added here. */
static const struct facts_provider providers[] = {
        {NULL, NULL, NULL},
};

int agent_host_facts_write(const struct jit_config *c, struct host_facts *ret,
                           struct jit_error *err) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        struct host_facts f = {};
        int r;

        r = host_facts_from_config(c, &f, err);
        if (r < 0) {
                jit_error_prefix(err, "host facts");
                return r;
        }
        for (size_t i = 0; providers[i].collect; i++) {
                struct jit_error perr = {};

                /* A provider that fails leaves its facts out; the host's own stand. */
                r = providers[i].collect(&f, &perr);
                if (r < 0)
                        agent_log_fields(LOG_WARNING, AGENT_MID_HOST_FACTS_FAILED,
                                         (&(struct agent_log_fields){.error = r}),
                                         "host facts from %s: %s (left out)", providers[i].name,
                                         perr.message);
        }
        if (host_facts_format(&f, &text) < 0 || asprintf(&path, "%s/facts", c->run_dir) < 0) {
                host_facts_done(&f);
                return jit_error_oom(err);
        }
        r = write_file_atomic(path, text, strlen(text), 0644, err);
        if (r < 0) {
                jit_error_prefix(err, "cannot write %s", path);
                host_facts_done(&f);
                return r;
        }
        *ret = f;
        return 0;
}
