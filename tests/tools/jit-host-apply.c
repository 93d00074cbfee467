/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Stage a host as jit-agent would after a fetch: verify a bundle file and
 * apply it to state_dir (hoststate_apply_bundle()). For PAM and system
 * tests; not installed.
 *
 *   jit-host-apply --config JIT.CONF [--now EPOCH] BUNDLE_FILE
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bundle-apply.h"
#include "fileio.h"
#include "host-context.h"
#include "jit-conf.h"
#include "jit-limits.h"
#include "jwk.h"

static int usage(void) {
        fputs("usage: jit-host-apply --config JIT.CONF [--now EPOCH] BUNDLE_FILE\n", stderr);
        return 2;
}

static int fail(const struct jit_error *err) {
        fprintf(stderr, "jit-host-apply: %s (%s)\n", err->message,
                jit_reason_to_string(err->reason));
        return 1;
}

/* The bundle as jitctl publish writes it (maybe with a trailing newline). */
static int read_bundle(const char *path, char **ret, size_t *ret_len, struct jit_error *err) {
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        FILE *f;

        f = fopen(path, "re");
        if (!f)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: cannot open: %m", path);
        buf = malloc(JIT_BUNDLE_TOKEN_MAX + 2);
        if (!buf) {
                fclose(f);
                return jit_error_oom(err);
        }
        len = fread(buf, 1, JIT_BUNDLE_TOKEN_MAX + 2, f);
        if (ferror(f)) {
                fclose(f);
                return jit_error_set(err, EIO, JIT_REASON_SYSTEM, "%s: read failed", path);
        }
        fclose(f);
        if (len > 0 && buf[len - 1] == '\n')
                len--;
        if (len > JIT_BUNDLE_TOKEN_MAX)
                return jit_error_set(err, EFBIG, JIT_REASON_TOO_LARGE, "%s: larger than %u bytes",
                                     path, JIT_BUNDLE_TOKEN_MAX);
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
        _cleanup_free_ char *token = NULL;
        const char *config_path = NULL;
        struct jit_error err = {};
        struct apply_result res;
        int64_t now = (int64_t) time(NULL);
        size_t len = 0;
        int opt;

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

        if (config_trust_load(config_path, NULL, 0, &c, &ts, &err) < 0)
                return fail(&err);
        if (read_bundle(argv[optind], &token, &len, &err) < 0)
                return fail(&err);
        if (hoststate_apply_bundle(c, ts, token, len, now, &res, &err) < 0)
                return fail(&err);

        if (res.unchanged)
                printf("unchanged serial %" PRIu64 "\n", res.serial);
        else
                printf("applied serial %" PRIu64 ": %zu grants for %zu users, %zu invalid, %zu "
                       "revoked\n",
                       res.serial, res.n_grants, res.n_users, res.n_invalid, res.n_revoked);
        return 0;
}
