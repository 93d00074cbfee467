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

int host_facts_load(const struct jit_config *c, struct host_facts *ret, struct jit_error *err) {
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
