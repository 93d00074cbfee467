/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Stage a host as jit-agent would after a fetch: check a store's head, copy
 * the shards of this host's bins from the store folder into state_dir
 * (hoststate_shard_save(), digest checked) and apply them
 * (hoststate_apply_head()). For PAM and system tests and the demo; not
 * installed.
 *
 *   jit-host-apply --config JIT.CONF [--now EPOCH] STORE   (a folder, or its head.jwt)
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "facts-file.h"
#include "fileio.h"
#include "host-context.h"
#include "jit-conf.h"
#include "jit-limits.h"
#include "jwk.h"
#include "store-apply.h"

static int usage(void) {
        fputs("usage: jit-host-apply --config JIT.CONF [--now EPOCH] STORE|STORE/head.jwt\n",
              stderr);
        return 2;
}

static int fail(const struct jit_error *err) {
        fprintf(stderr, "jit-host-apply: %s (%s)\n", err->message,
                jit_reason_to_string(err->reason));
        return 1;
}

/* A file of at most max bytes, a trailing newline cut. */
static int read_all(const char *path, size_t max, char **ret, size_t *ret_len,
                    struct jit_error *err) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        FILE *f;

        f = fopen(path, "re");
        if (!f)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: cannot open: %m", path);
        buf = malloc(max + 2);
        if (!buf) {
                fclose(f);
                return jit_error_oom(err);
        }
        len = fread(buf, 1, max + 2, f);
        if (ferror(f)) {
                fclose(f);
                return jit_error_set(err, EIO, JIT_REASON_SYSTEM, "%s: read failed", path);
        }
        fclose(f);
        if (len > max + 1)
                return jit_error_set(err, EFBIG, JIT_REASON_TOO_LARGE, "%s: larger than %zu bytes",
                                     path, max);
        buf[len] = '\0';
        *ret = TAKE_PTR(buf);
        *ret_len = len;
        return 0;
}

int main(int argc, char **argv) {
        static const struct option options[] = {
                {"config", required_argument, NULL, 'c'},
                {"now", required_argument, NULL, 'n'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(config_freep) struct jit_config *c = NULL;
        _cleanup_(trust_store_freep) struct trust_store *ts = NULL;
        _cleanup_(head_freep) struct head *h = NULL;
        _cleanup_free_ char *token = NULL, *store = NULL, *head_path = NULL;
        _cleanup_free_ size_t *need = NULL;
        struct host_facts facts = {};
        const char *config_path = NULL;
        struct jit_error err = {};
        struct apply_result res = {};
        struct stat st;
        int64_t now = (int64_t) time(NULL);
        size_t len = 0, n_need = 0;
        bool unchanged = false;
        int opt, ret = 1;

        while ((opt = getopt_long(argc, argv, "c:n:h", options, NULL)) >= 0)
                switch (opt) {
                case 'c':
                        config_path = optarg;
                        break;
                case 'n': {
                        char *end = NULL;
                        long long v;

                        errno = 0;
                        v = strtoll(optarg, &end, 10);
                        if (errno != 0 || !end || *end != '\0' || end == optarg || v < 0 ||
                            v > JIT_TIME_MAX)
                                return usage();
                        now = (int64_t) v;
                        break;
                }
                default:
                        return usage();
                }
        if (!config_path || optind + 1 != argc)
                return usage();

        /* STORE or STORE/head.jwt: the objects are STORE/objects/. */
        if (stat(argv[optind], &st) == 0 && S_ISDIR(st.st_mode)) {
                store = strdup(argv[optind]);
        } else {
                const char *slash = strrchr(argv[optind], '/');

                store = slash ? strndup(argv[optind], (size_t) (slash - argv[optind]))
                              : strdup(".");
        }
        if (!store)
                return 1;
        head_path =
                S_ISDIR(st.st_mode) ? path_join3(store, "head.jwt", NULL) : strdup(argv[optind]);
        if (!head_path)
                return 1;

        if (config_trust_load(config_path, NULL, 0, &c, &ts, &err) < 0)
                return fail(&err);
        if (host_facts_load(c, &facts, &err) < 0)
                return fail(&err);
        if (read_all(head_path, JIT_HEAD_TOKEN_MAX, &token, &len, &err) < 0)
                goto out;
        while (len > 0 && (token[len - 1] == '\n' || token[len - 1] == '\r'))
                token[--len] = '\0';
        if (hoststate_head_check(c, ts, token, len, now, &h, &unchanged, &err) < 0)
                goto out;
        if (hoststate_head_needs(h, &facts, &need, &n_need, &err) < 0)
                goto out;
        for (size_t i = 0; i < n_need; i++) {
                const struct head_shard *s = &h->shards[need[i]];
                _cleanup_free_ char *path = path_join3(store, "objects/", s->digest), *data = NULL;
                size_t dlen = 0;

                if (!path || read_all(path, JIT_SHARD_MAX, &data, &dlen, &err) < 0 ||
                    hoststate_shard_save(c, s, data, dlen, &err) < 0)
                        goto out;
        }
        if (hoststate_apply_head(c, ts, &facts, h, token, len, now, &res, &err) < 0)
                goto out;
        if (unchanged)
                printf("applied serial %" PRIu64 " again\n", res.serial);
        else
                printf("applied serial %" PRIu64 ": %zu shards, %zu grants for %zu users, %zu "
                       "invalid, %zu for other hosts, %zu revoked\n",
                       res.serial, res.n_shards, res.n_grants, res.n_users, res.n_invalid,
                       res.n_other, res.n_revoked);
        ret = 0;
out:
        host_facts_done(&facts);
        if (ret != 0)
                return fail(&err);
        return 0;
}
