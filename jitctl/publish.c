/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "fileio.h"
#include "head.h"
#include "jit-limits.h"
#include "jitctl.h"
#include "json.h"
#include "jws-sign.h"
#include "jws.h"
#include "parse.h"
#include "store-build.h"
#include "store-layout.h"

#define HEAD_TTL_DEFAULT (15 * 60)
#define HEAD_TTL_MAX (30 * 86400)
#define GRACE_DEFAULT (60 * 60)

static void help(void) {
        printf("Usage: jitctl publish --store DIR --key FILE --iss ISS --trust JWKS [OPTIONS…]\n\n"
               "Build the store hosts fetch from a store folder: shards of grant tokens, named\n"
               "by their SHA-256, then the signed head that lists them; check it as a host\n"
               "would before and after writing it.\n\n"
               "The store folder:\n"
               "  DIR/grants/*.jwt     one grant token per file; other names are ignored\n"
               "  DIR/revoked          \"JTI UNTIL_EPOCH\" per line, '#' comments (jitctl revoke)\n"
               "  DIR/objects/SHA256   the shards (immutable; written first)\n"
               "  DIR/head.jwt         the signed head, the one file hosts poll (written last)\n"
               "  DIR/retired          \"SHA256 SINCE_EPOCH\": objects no head names any more\n\n"
               "Each grant is verified against --trust. Grants are accepted from the issuers\n"
               "of --config (if given) and from ISS itself. Expired grants are dropped (with\n"
               "--prune their files are deleted); invalid ones are skipped with a warning, so\n"
               "a bad grant never blocks publishing revocations. A revoked grant stays in its\n"
               "shard, its id in the head's revoked list, so hosts can tell its user why.\n"
               "Each grant goes into the shard of one fact of each of its aud selectors\n"
               "(docs/bundle-format.md). The serial is one more than the previous head.jwt's;\n"
               "if that file exists but cannot be read, publish refuses rather than start\n"
               "again at 1 (hosts would take a lower serial for a rollback). Objects the new\n"
               "head no longer names are kept for --grace (hosts may still be fetching them);\n"
               "with --prune, those retired longer ago are deleted.\n\n"
               "Options:\n"
               "  --store DIR           the store folder\n"
               "  --key FILE            signing key (PEM, from jitctl keygen)\n"
               "  --kid KID             key id in the header (default: the key's thumbprint)\n"
               "  --iss ISS             the head's issuer\n"
               "  --trust JWKS          keys grants and the head must verify against (the\n"
               "                        hosts' trust store; default: the config's trust_store)\n"
               "  --config FILE         take issuers, trust_store, max_grant_ttl, clock_skew\n"
               "  --head-ttl DURATION   how long hosts treat the head as fresh (default 15m)\n"
               "  --bins N              bins the facts are hashed into (default %u)\n"
               "  --chunk-size BYTES    split a bin into shards of about this size (default %u)\n"
               "  --grace DURATION      keep retired objects this long (default 1h)\n"
               "  --max-ttl DURATION    longest grant accepted (default: the config's)\n"
               "  --now EPOCH           publish as if at this time (for tests)\n"
               "  --prune               delete expired grants' files and objects retired\n"
               "                        longer than --grace ago\n"
               "  -h, --help            show this help\n\n" EXIT_CODES_HELP,
               STORE_BINS_DEFAULT, STORE_CHUNK_TARGET_DEFAULT);
}

/* The serial of the head already in the store: 0 when there is none. */
/* Web servers that serve a folder (nginx, Apache) make a file's ETag of its
 * mtime in whole seconds and its size. Two heads of the same size written in
 * the same second would have the same ETag, and every host would get "304
 * Not Modified" for the newer one until the next publish. So a new head's
 * mtime is always past the previous head's, by a second if need be
 * (docs/bundle-format.md, "Serving the store"). */
static int head_mtime_advance(const char *path, const struct timespec *prev) {
        struct stat st;
        struct timespec times[2];

        if (prev->tv_sec == 0)
                return 0; /* no previous head */
        if (lstat(path, &st) < 0)
                return -errno;
        if (st.st_mtim.tv_sec > prev->tv_sec)
                return 0;
        times[0] = (struct timespec){.tv_nsec = UTIME_OMIT};
        times[1] = (struct timespec){.tv_sec = prev->tv_sec + 1};
        if (utimensat(AT_FDCWD, path, times, AT_SYMLINK_NOFOLLOW) < 0)
                return -errno;
        return 0;
}

static int previous_serial(const char *store, uint64_t *ret) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        _cleanup_json_ struct json_object *payload = NULL;
        struct jit_error err = {};
        int64_t serial;
        size_t len;
        char *t;
        int r;

        path = path_join(store, STORE_HEAD_FILE);
        if (!path)
                return -ENOMEM;
        if (access(path, F_OK) < 0 && errno == ENOENT) {
                *ret = 0;
                return 0;
        }
        r = read_file_capped(path, JIT_HEAD_TOKEN_MAX, &text, &len);
        if (r < 0)
                goto refuse;
        t = text;
        len = strip_whitespace(&t, len);
        /* Not verified: a head signed by a retired key still fixes the
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

struct publish_counts {
        size_t grants, revoked, expired, invalid, revoked_kept, written, kept, retired, pruned;
};

/* The grants to publish: their tokens and parsed claims, in file order. */
struct grant_set {
        char **tokens;
        struct grant **grants;
        size_t n;
};

static void grant_set_done(struct grant_set *s) {
        strv_free(s->tokens);
        for (size_t i = 0; i < s->n; i++)
                grant_free(s->grants[i]);
        free(s->grants);
        *s = (struct grant_set){};
}

static bool grant_set_has_jti(const struct grant_set *s, const char *jti) {
        for (size_t i = 0; i < s->n; i++)
                if (streq(s->grants[i]->jti, jti))
                        return true;
        return false;
}

static int collect_grants(const char *store, const struct ctl_policy *p,
                          const struct store_revoked *revoked, size_t n_revoked, int64_t now,
                          bool prune, struct grant_set *ret, struct publish_counts *n) {
        _cleanup_strv_free_ char **files = NULL;
        _cleanup_free_ char *dir = NULL;
        struct grant_set set = {};
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
                struct grant **ng;
                size_t len;
                char *t;

                path = path_join(dir, *f);
                if (!path)
                        goto oom;
                r = read_file_capped(path, JIT_GRANT_TOKEN_MAX + 2, &text, &len);
                if (r == -ENOMEM)
                        goto oom;
                if (r < 0) {
                        ctl_warning("skipping %s/%s: unreadable", STORE_GRANTS_DIR, *f);
                        n->invalid++;
                        continue;
                }
                t = text;
                len = strip_whitespace(&t, len);

                r = grant_from_token(t, len, p->trust, &p->grant, &g, &err);
                if (r == -ENOMEM)
                        goto oom;
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
                for (size_t i = 0; i < n_revoked; i++)
                        if (streq(revoked[i].jti, g->jti))
                                n->revoked_kept++;
                if (grant_set_has_jti(&set, g->jti)) {
                        /* Revocation and audit name a grant by its jti. */
                        ctl_warning("skipping %s/%s: another grant file has the same jti %s",
                                    STORE_GRANTS_DIR, *f, g->jti);
                        n->invalid++;
                        continue;
                }
                if (set.n >= JIT_STORE_GRANTS_MAX) {
                        ctl_error("more than %u grants: a store cannot hold them",
                                  JIT_STORE_GRANTS_MAX);
                        grant_set_done(&set);
                        return -E2BIG;
                }
                ng = reallocarray(set.grants, set.n + 1, sizeof(struct grant *));
                if (!ng)
                        goto oom;
                set.grants = ng;
                if (strv_extend(&set.tokens, t) < 0)
                        goto oom;
                set.grants[set.n++] = TAKE_PTR(g);
                n->grants++;
        }
        *ret = set;
        return 0;
oom:
        grant_set_done(&set);
        return -ENOMEM;
}

/* Check a head token exactly as a host would. */
static int head_self_check(const char *what, const char *token, size_t len,
                           const struct ctl_policy *p, int64_t now, uint64_t serial) {
        _cleanup_(head_freep) struct head *h = NULL;
        struct jit_error err = {};
        int r;

        r = head_from_token(token, len, p->trust, &p->grant, now, &h, &err);
        if (r < 0) {
                ctl_error("%s does not verify as hosts would check it: %s (%s)", what, err.message,
                          jit_reason_to_string(err.reason));
                if (err.reason == JIT_REASON_KID_UNKNOWN)
                        ctl_error("is the signing key's public half in --trust?");
                return r;
        }
        if (h->serial != serial) {
                ctl_error("%s has serial %" PRIu64 ", expected %" PRIu64, what, h->serial, serial);
                return -EIO;
        }
        return 0;
}

static int cmp_revoked(const void *a, const void *b) {
        return strcmp(((const struct store_revoked *) a)->jti,
                      ((const struct store_revoked *) b)->jti);
}

int verb_publish(int argc, char *argv[]) {
        enum {
                ARG_STORE = 0x100,
                ARG_KEY,
                ARG_KID,
                ARG_ISS,
                ARG_TRUST,
                ARG_CONFIG,
                ARG_HEAD_TTL,
                ARG_BINS,
                ARG_CHUNK,
                ARG_GRACE,
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
                {"head-ttl", required_argument, NULL, ARG_HEAD_TTL},
                {"bins", required_argument, NULL, ARG_BINS},
                {"chunk-size", required_argument, NULL, ARG_CHUNK},
                {"grace", required_argument, NULL, ARG_GRACE},
                {"max-ttl", required_argument, NULL, ARG_MAX_TTL},
                {"now", required_argument, NULL, ARG_NOW},
                {"prune", no_argument, NULL, ARG_PRUNE},
                {},
        };
        struct ctl_policy_args pa = {.max_ttl = -1, .clock_skew = -1};
        _cleanup_strv_free_ char **add_issuers = NULL;
        _cleanup_free_ char *thumb = NULL, *token = NULL, *head_path = NULL, *out = NULL,
                            *readback = NULL;
        _cleanup_free_ struct store_revoked *revoked = NULL;
        _cleanup_free_ struct store_grant *sg = NULL;
        _cleanup_json_ struct json_object *claims = NULL;
        _cleanup_pkey_ EVP_PKEY *pkey = NULL;
        struct store_build build = {};
        struct grant_set set = {};
        struct revoked_list rl = {};
        struct ctl_policy policy = {};
        struct publish_counts n = {};
        struct jit_error err = {};
        const char *store = NULL, *key_path = NULL, *kid = NULL, *iss = NULL;
        int64_t now = (int64_t) time(NULL), head_ttl = HEAD_TTL_DEFAULT, grace = GRACE_DEFAULT;
        uint64_t serial, bins = STORE_BINS_DEFAULT, chunk = STORE_CHUNK_TARGET_DEFAULT;
        size_t n_revoked = 0, head_bytes = 0;
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
                case ARG_HEAD_TTL:
                        if (parse_duration_arg("--head-ttl", optarg, HEAD_TTL_MAX, &head_ttl) < 0)
                                return EXIT_USAGE;
                        if (head_ttl == 0) {
                                ctl_error("--head-ttl: must be longer than 0 s");
                                return EXIT_USAGE;
                        }
                        break;
                case ARG_BINS:
                        if (!parse_uint_strict(optarg, strlen(optarg), JIT_STORE_BINS_MAX, &bins) ||
                            bins < 1) {
                                ctl_error("--bins: '%s' is not a number in 1..%u", optarg,
                                          JIT_STORE_BINS_MAX);
                                return EXIT_USAGE;
                        }
                        break;
                case ARG_CHUNK:
                        if (!parse_uint_strict(optarg, strlen(optarg), JIT_SHARD_MAX, &chunk) ||
                            chunk < 1) {
                                ctl_error("--chunk-size: '%s' is not a size in 1..%u bytes", optarg,
                                          JIT_SHARD_MAX);
                                return EXIT_USAGE;
                        }
                        break;
                case ARG_GRACE:
                        if (parse_duration_arg("--grace", optarg, HEAD_TTL_MAX, &grace) < 0)
                                return EXIT_USAGE;
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
        if (now > JIT_TIME_MAX - head_ttl) {
                ctl_error("--now: too late for a head");
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

        /* The revocations in force, each listed until its time: after it
         * the grant has expired anyway, so the list stays bounded. */
        r = store_read_revoked(store, &rl);
        if (r < 0)
                goto finish;
        revoked = calloc(rl.n_entries ? rl.n_entries : 1, sizeof(*revoked));
        if (!revoked)
                goto oom;
        for (size_t i = 0; i < rl.n_entries; i++) {
                bool seen = false;

                if (rl.entries[i].until <= now)
                        continue;
                for (size_t k = 0; k < n_revoked && !seen; k++)
                        seen = streq(revoked[k].jti, rl.entries[i].jti);
                if (!seen)
                        revoked[n_revoked++] =
                                (struct store_revoked){rl.entries[i].jti, rl.entries[i].until};
        }
        if (n_revoked > JIT_HEAD_REVOKED_MAX) {
                ctl_error("more than %u revocations in effect: a head cannot hold them",
                          JIT_HEAD_REVOKED_MAX);
                goto finish;
        }
        qsort(revoked, n_revoked, sizeof(*revoked), cmp_revoked);
        n.revoked = n_revoked;

        r = collect_grants(store, &policy, revoked, n_revoked, now, prune, &set, &n);
        if (r == -ENOMEM)
                goto oom;
        if (r < 0)
                goto finish;

        /* Shards first … */
        sg = calloc(set.n ? set.n : 1, sizeof(*sg));
        if (!sg)
                goto oom;
        for (size_t i = 0; i < set.n; i++)
                sg[i] = (struct store_grant){set.tokens[i], set.grants[i]->jti, set.grants[i]->aud};
        r = store_build(sg, set.n, (uint32_t) bins, (size_t) chunk, &build, &err);
        if (r < 0) {
                ctl_error("cannot build the shards: %s", err.message);
                goto finish;
        }
        r = store_write_objects(store, &build, &n.written, &n.kept);
        if (r < 0)
                goto finish;

        /* … then the head that names them. */
        r = store_head_claims(iss, now, now + head_ttl, serial, &build, revoked, n_revoked,
                              &claims);
        if (r < 0)
                goto oom;
        r = jws_sign(pkey, alg, kid, JWS_TYP_HEAD, claims, &token, &err);
        if (r < 0) {
                ctl_error("cannot sign the head: %s", err.message);
                goto finish;
        }
        head_bytes = strlen(token);
        if (head_bytes > JIT_HEAD_TOKEN_MAX) {
                ctl_error("the head would be %zu bytes, over the hosts' limit of %u (fewer --bins, "
                          "a larger --chunk-size?)",
                          head_bytes, JIT_HEAD_TOKEN_MAX);
                goto finish;
        }
        /* Never publish what hosts would reject … */
        if (head_self_check("the new head", token, head_bytes, &policy, now, serial) < 0)
                goto finish;

        head_path = path_join(store, STORE_HEAD_FILE);
        if (!head_path || asprintf(&out, "%s\n", token) < 0)
                goto oom;
        struct stat prev_st;
        struct timespec prev_mtime = {};
        if (lstat(head_path, &prev_st) == 0)
                prev_mtime = prev_st.st_mtim;
        r = write_file_atomic(head_path, out, strlen(out), 0644, &err);
        if (r < 0) {
                ctl_file_error(head_path, &err);
                goto finish;
        }
        r = head_mtime_advance(head_path, &prev_mtime);
        if (r < 0) {
                ctl_error("%s: cannot set its modification time past the previous head's: %s",
                          head_path, strerror(-r));
                goto finish;
        }
        /* … and check what actually landed on disk. */
        if (read_file_capped(head_path, JIT_HEAD_TOKEN_MAX + 1, &readback, &rb_len) < 0)
                goto finish;
        char *rb = readback;
        rb_len = strip_whitespace(&rb, rb_len);
        if (head_self_check(head_path, rb, rb_len, &policy, now, serial) < 0)
                goto finish;

        /* Objects the head no longer names wait out the grace. */
        r = store_retire_objects(store, &build, now, grace, prune, &n.retired, &n.pruned);
        if (r < 0)
                goto finish;

        format_utc(now + head_ttl, (now + head_ttl) / 86400 == now / 86400, until, sizeof(until));
        printf("head serial %" PRIu64 ": %zu grant%s in %zu shard%s (%zu new), %zu bytes, %zu "
               "revoked, %zu expired dropped, %zu invalid skipped, fresh until %s\n",
               serial, n.grants, PLURAL_S(n.grants), build.n_shards, PLURAL_S(build.n_shards),
               n.written, head_bytes, n.revoked, n.expired, n.invalid, until);
        if (n.revoked_kept > 0)
                printf("(%zu revoked grant%s kept, so hosts can say it was revoked)\n",
                       n.revoked_kept, n.revoked_kept == 1 ? "" : "s");
        if (n.retired > 0 || n.pruned > 0)
                printf("%zu retired object%s kept for the grace, %zu pruned\n", n.retired,
                       n.retired == 1 ? "" : "s", n.pruned);
        ret = EXIT_OK;
        goto finish;
oom:
        ctl_error("out of memory");
        ret = EXIT_SYSTEM;
finish:
        store_build_done(&build);
        grant_set_done(&set);
        revoked_list_done(&rl);
        ctl_policy_done(&policy);
        return ret;
}
