/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* run_dir/facts: this host's facts as the agent wrote them, or, without
 * that file, the ones jit.conf gives (host_id or the hostname, labels). */

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "facts-file.h"
#include "fileio.h"
#include "jit-limits.h"
#include "macro.h"

int host_facts_read(const struct jit_config *c, struct host_facts *ret, struct jit_error *err) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t len = 0;
        int r;

        if (!ret)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        *ret = (struct host_facts){};
        if (!c || !c->run_dir)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        path = path_join3(c->run_dir, "facts", NULL);
        if (!path)
                return jit_error_oom(err);

        r = read_file_secure(path, 0, JIT_FACTS_FILE_MAX, &text, &len, err);
        if (r >= 0) {
                r = host_facts_parse(ret, text, len, err);
                if (r < 0) {
                        jit_error_prefix(err, "%s", path);
                        goto fail;
                }
                /* Without host= a grant for this very host would not match,
                 * and the agent always writes it: the file is not ours. */
                if (!host_facts_get(ret, "host")) {
                        r = jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "%s: no 'host' fact",
                                          path);
                        goto fail;
                }
                return 0;
        }
        if (r != -ENOENT)
                return r; /* unreadable or unsafe: fail closed */
        return host_facts_from_config(c, ret, err);

fail:
        host_facts_done(ret);
        return r;
}

int host_facts_from_config(const struct jit_config *c, struct host_facts *ret,
                           struct jit_error *err) {
        int r;

        *ret = (struct host_facts){};
        if (c->host_id)
                r = host_facts_add(ret, "host", c->host_id, err);
        else {
                char name[HOST_NAME_MAX + 1] = "";

                if (gethostname(name, sizeof(name) - 1) < 0)
                        return jit_error_set(err, errno, JIT_REASON_SYSTEM, "gethostname failed");
                if (!fact_value_is_valid(name, strlen(name)))
                        return jit_error_set(err, EINVAL, JIT_REASON_CONFIG,
                                             "the hostname is not a valid fact value; set host_id");
                r = host_facts_add(ret, "host", name, err);
        }
        if (r < 0)
                goto fail;
        for (char **l = c->labels; l && *l; l++) {
                _cleanup_free_ char *key = NULL;
                const char *eq = strchr(*l, '=');

                if (!eq) {
                        r = jit_error_set(err, EINVAL, JIT_REASON_CONFIG, "label without '='");
                        goto fail;
                }
                key = strndup(*l, (size_t) (eq - *l));
                if (!key) {
                        r = jit_error_oom(err);
                        goto fail;
                }
                r = host_facts_add(ret, key, eq + 1, err);
                if (r < 0)
                        goto fail;
        }
        return 0;

fail:
        host_facts_done(ret);
        return r;
}

/* Tenant-editable facts: whoever may edit an instance's tags or custom
 * metadata could move it into a selector naming them (docs/security.md). */
static const char *const default_unselectable[] = {"aws.tag.", "gcp.attr.", "azure.tag."};

bool host_fact_selectable(const struct jit_config *c, const char *key) {
        size_t kl = strcspn(key, "=");

        /* The host's own name is no one's to steer but jit.conf's, and the
         * programs name the host by it. */
        if (kl == 4 && strncmp(key, "host", 4) == 0)
                return true;
        if (!c->selector_facts) {
                for (size_t i = 0; i < ELEMENTSOF(default_unselectable); i++)
                        if (strncmp(key, default_unselectable[i],
                                    strlen(default_unselectable[i])) == 0)
                                return false;
                return true;
        }
        for (char **p = c->selector_facts; *p; p++) {
                size_t pl = strlen(*p);

                /* "aws." is a family; "aws.account" one key. */
                if ((*p)[pl - 1] == '.' ? kl > pl && strncmp(key, *p, pl) == 0
                                        : kl == pl && strncmp(key, *p, pl) == 0)
                        return true;
        }
        return false;
}

void host_facts_restrict(const struct jit_config *c, struct host_facts *f) {
        size_t n = 0;

        for (size_t i = 0; i < f->n_facts; i++) {
                if (host_fact_selectable(c, f->facts[i]))
                        f->facts[n++] = f->facts[i];
                else
                        free(f->facts[i]);
        }
        f->n_facts = n;
        if (f->facts)
                f->facts[n] = NULL;
}

int host_facts_load(const struct jit_config *c, struct host_facts *ret, struct jit_error *err) {
        int r;

        r = host_facts_read(c, ret, err);
        if (r < 0)
                return r;
        host_facts_restrict(c, ret);
        return 0;
}
