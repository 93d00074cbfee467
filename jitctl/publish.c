/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "bundle.h"
#include "fileio.h"
#include "jit-limits.h"
#include "jitctl.h"
#include "json.h"
#include "jws-sign.h"
#include "jws.h"

#define BUNDLE_TTL_DEFAULT (15 * 60)
#define BUNDLE_TTL_MAX (30 * 86400)

static void help(void) {
        printf("Usage: jitctl publish --store DIR --key FILE --iss ISS --trust JWKS [OPTIONS…]\n\n"
               "Build the bundle hosts fetch from a store folder, sign it, and check it as a\n"
               "host would before and after writing it.\n\n"
               "The store folder:\n"
               "  DIR/grants/*.jwt   one grant token per file; other names are ignored\n"
               "  DIR/revoked        \"JTI UNTIL_EPOCH\" per line, '#' comments (jitctl revoke)\n"
               "  DIR/bundle.jwt     the signed bundle (written atomically, mode 0644)\n\n"
               "Each grant is verified against --trust. Grants are accepted from the issuers\n"
               "of --config (if given) and from ISS itself. Expired grants are dropped (with\n"
               "--prune their files are deleted); invalid ones are skipped with a warning, so\n"
               "a bad grant never blocks publishing revocations. A revoked grant stays in the\n"
               "bundle, its id in the revoked list, so hosts can tell its user it was revoked.\n"
               "The serial is one more than the previous bundle.jwt's; if that file exists\n"
               "but cannot be read, publish refuses rather than start again at 1 (hosts would\n"
               "take a lower serial for a rollback).\n\n"
               "Options:\n"
               "  --store DIR           the store folder\n"
               "  --key FILE            signing key (PEM, from jitctl keygen)\n"
               "  --kid KID             key id in the header (default: the key's thumbprint)\n"
               "  --iss ISS             the bundle's issuer\n"
               "  --trust JWKS          keys grants and the bundle must verify against (the\n"
               "                        hosts' trust store; default: the config's trust_store)\n"
               "  --config FILE         take issuers, trust_store, max_grant_ttl, clock_skew\n"
               "  --bundle-ttl DURATION how long hosts treat the bundle as fresh (default 15m)\n"
               "  --max-ttl DURATION    longest grant accepted (default: the config's)\n"
               "  --now EPOCH           publish as if at this time (for tests)\n"
               "  --prune               delete the files of expired grants\n"
               "  -h, --help            show this help\n\n" EXIT_CODES_HELP);
}

/* The serial of the bundle already in the store: 0 when there is none. */
static int previous_serial(const char *store, uint64_t *ret) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        _cleanup_json_ struct json_object *payload = NULL;
        struct jit_error err = {};
        int64_t serial;
        size_t len;
        char *t;
        int r;

        path = path_join(store, STORE_BUNDLE_FILE);
        if (!path)
                return -ENOMEM;
        if (access(path, F_OK) < 0 && errno == ENOENT) {
                *ret = 0;
                return 0;
        }
        r = read_file_capped(path, JIT_BUNDLE_TOKEN_MAX, &text, &len);
        if (r < 0)
                goto refuse;
        t = text;
        len = strip_whitespace(&t, len);
        /* Not verified: a bundle signed by a retired key still fixes the
         * serial hosts have seen. */
        r = jws_peek_payload(t, len, &payload, &err);
        if (r >= 0)
                r = json_get_int64(payload, "serial", true, 1, (int64_t) JIT_SERIAL_MAX, &serial,
                                   &err);
        if (r < 0) {
                ctl_error("%s: cannot read the previous serial: %s", path, err.message);
                goto refuse;
        }
        if ((uint64_t) serial >= JIT_SERIAL_MAX) {
                ctl_error("%s: serial %" PRId64 " is already the largest allowed", path, serial);
                r = -ERANGE;
                goto refuse;
        }
        *ret = (uint64_t) serial;
        return 0;
refuse:
        ctl_error("refusing to publish: hosts would take a restarted serial for a rollback; "
                  "fix or remove %s deliberately",
                  path);
        return r;
}

static int cmp_strings(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

struct publish_counts {
        size_t grants, revoked, expired, invalid, revoked_kept;
};

static int collect_grants(const char *store, const struct ctl_policy *p, char *const *revoked,
                          int64_t now, bool prune, char ***ret_tokens, char ***ret_jtis,
                          struct publish_counts *n) {
        _cleanup_strv_free_ char **files = NULL, **tokens = NULL, **jtis = NULL;
        _cleanup_free_ char *dir = NULL;
        int r;

        dir = path_join(store, STORE_GRANTS_DIR);
        if (!dir)
                return -ENOMEM;
        r = store_list_grant_files(store, &files);
        if (r < 0)
                return r;

        for (char **f = files; f && *f; f++) {
                _cleanup_free_ char *path = NULL, *text = NULL;
                _cleanup_(grant_freep) struct grant *g = NULL;
                struct jit_error err = {};
                size_t len;
                char *t;

                path = path_join(dir, *f);
                if (!path)
                        return -ENOMEM;
                r = read_file_capped(path, JIT_GRANT_TOKEN_MAX + 2, &text, &len);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        ctl_warning("skipping %s/%s: unreadable", STORE_GRANTS_DIR, *f);
                        n->invalid++;
                        continue;
                }
                t = text;
                len = strip_whitespace(&t, len);

                r = grant_from_token(t, len, p->trust, &p->grant, &g, &err);
                if (r == -ENOMEM)
                        return r;
                if (r < 0) {
                        ctl_warning("skipping %s/%s: %s (%s)", STORE_GRANTS_DIR, *f, err.message,
                                    jit_reason_to_string(err.reason));
                        n->invalid++;
                        continue;
                }
                r = grant_check_time(g, &p->grant, now, &err);
                if (r < 0 && err.reason == JIT_REASON_EXPIRED) {
                        char when[64];

                        format_utc(g->exp, false, when, sizeof(when));
                        fprintf(stderr, "jitctl: dropped expired grant %s (%s, expired at %s)\n",
                                g->jti, g->sub, when);
                        n->expired++;
                        if (prune) {
                                if (unlink(path) < 0)
                                        ctl_warning("cannot delete %s: %s", path, strerror(errno));
                                else
                                        fprintf(stderr, "jitctl: deleted %s\n", path);
                        }
                        continue;
                }
                /* Not yet valid (or issued by a clock a little ahead) is
                 * published: hosts check the time themselves. */

                /* A revoked grant is kept, its id in the revoked list: hosts
                 * refuse it by that list, and can tell its user why. */
                if (strv_contains(revoked, g->jti))
                        n->revoked_kept++;
                if (strv_contains(jtis, g->jti)) {
                        /* Revocation and audit name a grant by its jti. */
                        ctl_warning("skipping %s/%s: another grant file has the same jti %s",
                                    STORE_GRANTS_DIR, *f, g->jti);
                        n->invalid++;
                        continue;
                }
                if (strv_length(tokens) >= JIT_BUNDLE_GRANTS_MAX) {
                        ctl_error("more than %u grants: a bundle cannot hold them",
                                  JIT_BUNDLE_GRANTS_MAX);
                        return -E2BIG;
                }
                if (strv_extend(&tokens, t) < 0 || strv_extend(&jtis, g->jti) < 0)
                        return -ENOMEM;
                n->grants++;
        }
        *ret_tokens = TAKE_PTR(tokens);
        *ret_jtis = TAKE_PTR(jtis);
        return 0;
}

static struct json_object *json_strv(char *const *l) {
        struct json_object *a = json_object_new_array();

        for (char *const *i = l; a && i && *i; i++) {
                struct json_object *s = json_object_new_string(*i);

                if (!s || json_object_array_add(a, s) < 0) {
                        json_object_put(s);
                        json_object_put(a);
                        return NULL;
                }
        }
        return a;
}

static int json_add(struct json_object *o, const char *name, struct json_object *v) {
        if (!v || json_object_object_add(o, name, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

/* Check a bundle token exactly as a host would. */
static int bundle_self_check(const char *what, const char *token, size_t len,
                             const struct ctl_policy *p, int64_t now, uint64_t serial) {
        _cleanup_(bundle_freep) struct bundle *b = NULL;
        struct jit_error err = {};
        int r;

        r = bundle_from_token(token, len, p->trust, &p->grant, now, &b, &err);
        if (r < 0) {
                ctl_error("%s does not verify as hosts would check it: %s (%s)", what, err.message,
                          jit_reason_to_string(err.reason));
                if (err.reason == JIT_REASON_KID_UNKNOWN)
                        ctl_error("is the signing key's public half in --trust?");
                return r;
        }
        if (b->serial != serial) {
                ctl_error("%s has serial %" PRIu64 ", expected %" PRIu64, what, b->serial, serial);
                return -EIO;
        }
        return 0;
}

int verb_publish(int argc, char *argv[]) {
        enum {
                ARG_STORE = 0x100,
                ARG_KEY,
                ARG_KID,
                ARG_ISS,
                ARG_TRUST,
                ARG_CONFIG,
                ARG_BUNDLE_TTL,
                ARG_MAX_TTL,
                ARG_NOW,
                ARG_PRUNE,
        };
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"store", required_argument, NULL, ARG_STORE},
                {"key", required_argument, NULL, ARG_KEY},
                {"kid", required_argument, NULL, ARG_KID},
                {"iss", required_argument, NULL, ARG_ISS},
                {"trust", required_argument, NULL, ARG_TRUST},
                {"config", required_argument, NULL, ARG_CONFIG},
                {"bundle-ttl", required_argument, NULL, ARG_BUNDLE_TTL},
                {"max-ttl", required_argument, NULL, ARG_MAX_TTL},
                {"now", required_argument, NULL, ARG_NOW},
                {"prune", no_argument, NULL, ARG_PRUNE},
                {},
        };
        struct ctl_policy_args pa = {.max_ttl = -1, .clock_skew = -1};
        _cleanup_strv_free_ char **add_issuers = NULL, **revoked = NULL, **tokens = NULL,
                                 **jtis = NULL;
        _cleanup_free_ char *thumb = NULL, *token = NULL, *bundle_path = NULL, *out = NULL,
                            *readback = NULL;
        _cleanup_json_ struct json_object *claims = NULL;
        _cleanup_pkey_ EVP_PKEY *pkey = NULL;
        struct revoked_list rl = {};
        struct ctl_policy policy = {};
        struct publish_counts n = {};
        struct jit_error err = {};
        const char *store = NULL, *key_path = NULL, *kid = NULL, *iss = NULL;
        int64_t now = (int64_t) time(NULL), bundle_ttl = BUNDLE_TTL_DEFAULT;
        uint64_t serial;
        enum jws_alg alg;
        bool prune = false;
        char until[64];
        size_t rb_len;
        int c, r, ret = EXIT_SYSTEM;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                case ARG_STORE:
                        store = optarg;
                        break;
                case ARG_KEY:
                        key_path = optarg;
                        break;
                case ARG_KID:
                        kid = optarg;
                        break;
                case ARG_ISS:
                        iss = optarg;
                        break;
                case ARG_TRUST:
                        pa.trust_path = optarg;
                        break;
                case ARG_CONFIG:
                        pa.config_path = optarg;
                        break;
                case ARG_BUNDLE_TTL:
                        if (parse_duration_arg("--bundle-ttl", optarg, BUNDLE_TTL_MAX,
                                               &bundle_ttl) < 0)
                                return EXIT_USAGE;
                        if (bundle_ttl == 0) {
                                ctl_error("--bundle-ttl: must be longer than 0 s");
                                return EXIT_USAGE;
                        }
                        break;
                case ARG_MAX_TTL:
                        if (parse_duration_arg("--max-ttl", optarg, JIT_TIME_MAX, &pa.max_ttl) < 0)
                                return EXIT_USAGE;
                        break;
                case ARG_NOW:
                        if (parse_epoch_arg("--now", optarg, &now) < 0)
                                return EXIT_USAGE;
                        break;
                case ARG_PRUNE:
                        prune = true;
                        break;
                default:
                        return EXIT_USAGE;
                }
        if (optind < argc) {
                ctl_error("publish: unexpected argument '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        if (!store || !key_path || !iss) {
                ctl_error("publish: --store DIR, --key FILE and --iss ISS are required");
                return EXIT_USAGE;
        }
        if (!pa.trust_path && !pa.config_path) {
                /* Never fall back to this machine's trust store silently. */
                ctl_error("publish: --trust JWKS (or --config with trust_store) is required");
                return EXIT_USAGE;
        }
        if (strlen(iss) < 1 || strlen(iss) > JIT_CLAIM_STRING_MAX) {
                ctl_error("--iss: must be 1..%u characters", JIT_CLAIM_STRING_MAX);
                return EXIT_USAGE;
        }
        if (now > JIT_TIME_MAX - bundle_ttl) {
                ctl_error("--now: too late for a bundle");
                return EXIT_USAGE;
        }

        if (strv_extend(&add_issuers, iss) < 0)
                goto oom;
        pa.add_issuers = add_issuers;
        if (ctl_policy_load(&pa, &policy) < 0)
                goto finish;

        ret = ctl_signing_key_load(key_path, &kid, &pkey, &alg, &thumb);
        if (ret != EXIT_OK)
                goto finish;
        ret = EXIT_SYSTEM;

        r = previous_serial(store, &serial);
        if (r < 0)
                goto finish;
        serial++;

        r = store_read_revoked(store, &rl);
        if (r < 0)
                goto finish;
        for (size_t i = 0; i < rl.n_entries; i++)
                if (rl.entries[i].until > now && !strv_contains(revoked, rl.entries[i].jti) &&
                    strv_extend(&revoked, rl.entries[i].jti) < 0)
                        goto oom;
        if (strv_length(revoked) > JIT_BUNDLE_REVOKED_MAX) {
                ctl_error("more than %u revocations in effect: a bundle cannot hold them",
                          JIT_BUNDLE_REVOKED_MAX);
                goto finish;
        }
        if (revoked)
                qsort(revoked, strv_length(revoked), sizeof(char *), cmp_strings);
        n.revoked = strv_length(revoked);

        r = collect_grants(store, &policy, revoked, now, prune, &tokens, &jtis, &n);
        if (r == -ENOMEM)
                goto oom;
        if (r < 0)
                goto finish;

        claims = json_object_new_object();
        if (!claims || json_add(claims, "iss", json_object_new_string(iss)) < 0 ||
            json_add(claims, "iat", json_object_new_int64(now)) < 0 ||
            json_add(claims, "exp", json_object_new_int64(now + bundle_ttl)) < 0 ||
            json_add(claims, "serial", json_object_new_int64((int64_t) serial)) < 0 ||
            json_add(claims, "grants", json_strv(tokens)) < 0 ||
            json_add(claims, "revoked", json_strv(revoked)) < 0)
                goto oom;

        r = jws_sign(pkey, alg, kid, JWS_TYP_BUNDLE, claims, &token, &err);
        if (r < 0) {
                ctl_error("cannot sign the bundle: %s", err.message);
                goto finish;
        }
        if (strlen(token) > JIT_BUNDLE_TOKEN_MAX) {
                ctl_error("the bundle would be %zu bytes, over the hosts' limit of %u",
                          strlen(token), JIT_BUNDLE_TOKEN_MAX);
                goto finish;
        }
        /* Never publish what hosts would reject … */
        if (bundle_self_check("the new bundle", token, strlen(token), &policy, now, serial) < 0)
                goto finish;

        bundle_path = path_join(store, STORE_BUNDLE_FILE);
        if (!bundle_path || asprintf(&out, "%s\n", token) < 0)
                goto oom;
        r = write_file_atomic(bundle_path, out, strlen(out), 0644, &err);
        if (r < 0) {
                ctl_file_error(bundle_path, &err);
                goto finish;
        }
        /* … and check what actually landed on disk. */
        if (read_file_capped(bundle_path, JIT_BUNDLE_TOKEN_MAX + 1, &readback, &rb_len) < 0)
                goto finish;
        char *rb = readback;
        rb_len = strip_whitespace(&rb, rb_len);
        if (bundle_self_check(bundle_path, rb, rb_len, &policy, now, serial) < 0)
                goto finish;

        format_utc(now + bundle_ttl, (now + bundle_ttl) / 86400 == now / 86400, until,
                   sizeof(until));
        printf("bundle serial %" PRIu64 ": %zu grant%s, %zu revoked, %zu expired dropped, %zu "
               "invalid skipped, fresh until %s\n",
               serial, n.grants, PLURAL_S(n.grants), n.revoked, n.expired, n.invalid, until);
        if (n.revoked_kept > 0)
                printf("(%zu revoked grant%s kept, so hosts can say it was revoked)\n",
                       n.revoked_kept, n.revoked_kept == 1 ? "" : "s");
        ret = EXIT_OK;
        goto finish;
oom:
        ctl_error("out of memory");
        ret = EXIT_SYSTEM;
finish:
        revoked_list_done(&rl);
        ctl_policy_done(&policy);
        return ret;
}
