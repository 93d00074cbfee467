/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "jit-limits.h"
#include "jitctl.h"
#include "json.h"

#define REVOKE_DEFAULT_KEEP (30 * 86400)
/* Hosts allow clock_skew of leeway on exp; keep revocations well past it. */
#define REVOKE_MARGIN 3600

static void help(void) {
        printf("Usage: jitctl revoke --store DIR [--until EPOCH] [--now EPOCH] JTI\n\n"
               "Revoke the grant with id JTI: adds \"JTI UNTIL\" to DIR/revoked (one line per\n"
               "id; revoking again updates it). Hosts learn of it from the next bundle, so\n"
               "run jitctl publish afterwards.\n\n"
               "UNTIL is how long the revocation is listed. By default it is the exp of the\n"
               "grant in DIR/grants/ with that id plus an hour (hosts allow clock skew on exp),\n"
               "or 30 days from now if there is no such grant. The grant files are read only\n"
               "for this date and are not verified here.\n\n"
               "Options:\n"
               "  --store DIR     the store folder (see jitctl publish --help)\n"
               "  --until EPOCH   list the revocation until this time\n"
               "  --now EPOCH     act as if at this time (for tests)\n"
               "  -h, --help      show this help\n\n" EXIT_CODES_HELP);
}

/* The latest exp of the store's grants with this jti; 0 if none. */
static int64_t grant_exp_in_store(const char *store, const char *jti) {
        _cleanup_strv_free_ char **files = NULL;
        _cleanup_free_ char *dir = NULL;
        int64_t best = 0;

        dir = path_join(store, STORE_GRANTS_DIR);
        if (!dir || store_list_grant_files(store, &files) < 0)
                return 0;
        for (char **f = files; f && *f; f++) {
                _cleanup_free_ char *path = NULL, *text = NULL;
                _cleanup_json_ struct json_object *payload = NULL;
                const char *gjti;
                int64_t exp;
                size_t len;
                char *t;

                path = path_join(dir, *f);
                if (!path || read_file_capped(path, JIT_GRANT_TOKEN_MAX + 2, &text, &len) < 0)
                        continue;
                t = text;
                len = strip_whitespace(&t, len);
                if (jws_peek_payload(t, len, &payload, NULL) < 0 ||
                    json_get_string(payload, "jti", true, JIT_JTI_MAX, &gjti, NULL) < 0 ||
                    !streq(gjti, jti) ||
                    json_get_int64(payload, "exp", true, 0, JIT_TIME_MAX, &exp, NULL) < 0)
                        continue;
                if (exp > best)
                        best = exp;
        }
        return best;
}

int verb_revoke(int argc, char *argv[]) {
        enum { ARG_STORE = 0x100, ARG_UNTIL, ARG_NOW };
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"store", required_argument, NULL, ARG_STORE},
                {"until", required_argument, NULL, ARG_UNTIL},
                {"now", required_argument, NULL, ARG_NOW},
                {},
        };
        struct revoked_list rl = {};
        const char *store = NULL, *jti;
        int64_t now = (int64_t) time(NULL), until = -1, exp;
        char when[64];
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                case ARG_STORE:
                        store = optarg;
                        break;
                case ARG_UNTIL:
                        if (parse_epoch_arg("--until", optarg, &until) < 0)
                                return EXIT_USAGE;
                        break;
                case ARG_NOW:
                        if (parse_epoch_arg("--now", optarg, &now) < 0)
                                return EXIT_USAGE;
                        break;
                default:
                        return EXIT_USAGE;
                }
        if (!store) {
                ctl_error("revoke: --store DIR is required");
                return EXIT_USAGE;
        }
        if (optind + 1 != argc) {
                ctl_error("revoke: give exactly one grant id");
                return EXIT_USAGE;
        }
        jti = argv[optind];
        if (!jti_is_valid(jti)) {
                ctl_error("revoke: '%s' is not a grant id (1..%u of A-Z a-z 0-9 . _ : -)", jti,
                          JIT_JTI_MAX);
                return EXIT_USAGE;
        }

        if (until >= 0) {
                if (until <= now) {
                        ctl_error("--until: the time is not in the future; the revocation "
                                  "would never be published");
                        return EXIT_USAGE;
                }
        } else {
                exp = grant_exp_in_store(store, jti);
                if (exp > 0)
                        until = (exp > now ? exp : now) + REVOKE_MARGIN;
                else {
                        until = now + REVOKE_DEFAULT_KEEP;
                        fprintf(stderr,
                                "jitctl: no grant %s in %s/%s; keeping the revocation 30 days\n",
                                jti, store, STORE_GRANTS_DIR);
                }
                if (until > JIT_TIME_MAX)
                        until = JIT_TIME_MAX;
        }

        r = store_read_revoked(store, &rl);
        if (r < 0)
                return EXIT_SYSTEM;
        r = store_write_revoked(store, &rl, jti, until);
        revoked_list_done(&rl);
        if (r < 0)
                return EXIT_SYSTEM;

        format_utc(until, false, when, sizeof(when));
        printf("%s revoked (listed until %s); it takes effect in the next bundle "
               "(run: jitctl publish --store %s …)\n",
               jti, when, store);
        return EXIT_OK;
}
