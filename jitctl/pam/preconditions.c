/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "exempt.h"
#include "fileio.h"
#include "host-state.h"
#include "jit-conf.h"
#include "jit-limits.h"
#include "jitctl.h"
#include "preconditions.h"

/* state_dir/state, as host_state_load() reads it, but owned by root or by
 * us: a tree under --root may belong to whoever runs the tests. */
static int state_read(const struct jit_config *c, struct host_state *ret, struct jit_error *err) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t len = 0;
        int r;

        *ret = (struct host_state){};
        *err = (struct jit_error){};
        path = path_join(c->state_dir, "state");
        if (!path)
                return -ENOMEM;
        r = read_file_secure(path, geteuid(), JIT_STATE_FILE_MAX, &text, &len, err);
        if (r < 0)
                return r;
        r = host_state_parse(text, len, ret, err);
        if (r < 0)
                jit_error_prefix(err, "%s", path);
        return r;
}

int enable_preconditions(struct wiring *w, const char *config, bool force, int64_t now,
                         struct jit_config **ret_config) {
        _cleanup_(config_freep) struct jit_config *c = NULL;
        _cleanup_(trust_store_freep) struct trust_store *ts = NULL;
        _cleanup_free_ char *conf = NULL, *trust = NULL, *state_dir = NULL;
        struct jit_error err = {};
        struct host_state st = {};
        char when[64], span[64];
        int r;

        conf = root_path(w, config ?: JIT_CONFIG_PATH);
        if (!conf)
                return -ENOMEM;
        r = config_load(conf, geteuid(), &c, &err);
        if (r < 0) {
                ctl_error("pam enable: refused: cannot load the configuration: %s", err.message);
                return -EPERM;
        }

        trust = root_path(w, c->trust_store);
        if (!trust)
                return -ENOMEM;
        err = (struct jit_error){};
        r = trust_store_load(trust, geteuid(), &ts, &err);
        if (r < 0) {
                ctl_error("pam enable: refused: no valid trust store (%s): pam_jit.so would deny "
                          "every grant",
                          err.message);
                w->refused = true;
        }
        if (strv_length(c->issuers) == 0) {
                ctl_error("pam enable: refused: no issuers in %s: pam_jit.so would deny every "
                          "grant",
                          conf);
                w->refused = true;
        }
        r = exempt_check(w, c);
        if (r < 0)
                return r;

        /* Paths in the config are host paths: read the state under the root. */
        state_dir = root_path(w, c->state_dir);
        if (!state_dir)
                return -ENOMEM;
        free(c->state_dir);
        c->state_dir = TAKE_PTR(state_dir);
        r = state_read(c, &st, &err);
        if (r >= 0 && st.serial == 0)
                r = -ENOENT;
        if (r < 0) {
                if (r == -ENOENT)
                        (void) snprintf(err.message, sizeof(err.message), "%s/state does not exist",
                                        c->state_dir);
                if (force)
                        ctl_warning("no bundle accepted yet (%s); enabling anyway (--force)",
                                    err.message);
                else {
                        ctl_error("pam enable: refused: no bundle accepted yet (%s): jit-agent "
                                  "has no grants, so enabling now would lock everyone out; start "
                                  "jit-agent first (--force skips this check)",
                                  err.message);
                        w->refused = true;
                }
        } else if (host_store_is_stale(c, st.bundle_exp, now)) {
                format_utc(st.bundle_exp, false, when, sizeof(when));
                format_span(c->stale_after, span, sizeof(span));
                if (force)
                        ctl_warning("the accepted bundle is stale (fresh until %s, stale_after "
                                    "%s); enabling anyway (--force)",
                                    when, span);
                else {
                        ctl_error("pam enable: refused: the accepted bundle is stale (fresh "
                                  "until %s, stale_after %s): is jit-agent fetching? "
                                  "(--force skips this check)",
                                  when, span);
                        w->refused = true;
                }
        }
        *ret_config = TAKE_PTR(c);
        return 0;
}
