/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <time.h>

#include "fileio.h"
#include "grant.h"
#include "jit-limits.h"
#include "jitctl.h"
#include "json.h"
#include "jws-sign.h"
#include "jws.h"
#include "parse.h"

static void help(void) {
        printf("Usage: jitctl issue --key FILE --iss ISS --sub USER --aud SELECTOR --scope SCOPE\n"
               "                    --ttl DURATION --ticket T --approver A [OPTIONS…]\n\n"
               "Sign a grant and print it. The claims are checked with the same rules hosts\n"
               "apply before anything is signed, so a grant hosts would reject is never made.\n"
               "--ticket and --approver are required: the audit trail is the point of a grant.\n\n"
               "Options:\n"
               "  --key FILE            private key (PEM, from jitctl keygen)\n"
               "  --kid KID             key id in the header (default: the key's thumbprint)\n"
               "  --iss ISS             issuer, as in the hosts' issuers setting\n"
               "  --sub USER            the Unix login the grant is for\n"
               "  --aud SELECTOR        hosts: key=value[,key=value…] (repeatable, OR-ed)\n"
               "  --scope ssh|sudo      what the grant allows (repeatable or comma list)\n"
               "  --runas USER          sudo target (repeatable; hosts default to root)\n"
               "  --ssh-key 'LINE'      OpenSSH public key the grant admits (repeatable)\n"
               "  --ssh-key-file FILE   the same, read from a .pub file (repeatable)\n"
               "  --ttl DURATION        how long the grant lasts from nbf (e.g. 30m, 1h30m)\n"
               "  --max-ttl DURATION    refuse a --ttl over this (default: jit.conf's default\n"
               "                        max_grant_ttl, what hosts enforce out of the box)\n"
               "  --not-before EPOCH|+DURATION  start of validity (default: now)\n"
               "  --ticket T            change or incident ticket (required)\n"
               "  --approver A          who approved the access (required)\n"
               "  --reason R            free text carried into every audit event\n"
               "  --bind session        the first login session using the grant owns it\n"
               "  --jti ID              grant id (default: a random UUID)\n"
               "  --now EPOCH           issue as if at this time (for tests)\n"
               "  --out FILE            write the token to FILE (mode 0644) instead of stdout\n"
               "  -h, --help            show this help\n\n" EXIT_CODES_HELP);
}

static int add_string(struct json_object *obj, const char *name, const char *value) {
        struct json_object *s = json_object_new_string(value);

        if (!s || json_object_object_add(obj, name, s) < 0) {
                json_object_put(s);
                return -ENOMEM;
        }
        return 0;
}

static int add_int(struct json_object *obj, const char *name, int64_t value) {
        struct json_object *i = json_object_new_int64(value);

        if (!i || json_object_object_add(obj, name, i) < 0) {
                json_object_put(i);
                return -ENOMEM;
        }
        return 0;
}

static int add_strv(struct json_object *obj, const char *name, char *const *l) {
        struct json_object *a = json_object_new_array();

        if (!a)
                return -ENOMEM;
        for (char *const *i = l; i && *i; i++) {
                struct json_object *s = json_object_new_string(*i);

                if (!s || json_object_array_add(a, s) < 0) {
                        json_object_put(s);
                        json_object_put(a);
                        return -ENOMEM;
                }
        }
        if (json_object_object_add(obj, name, a) < 0) {
                json_object_put(a);
                return -ENOMEM;
        }
        return 0;
}

static int scope_add(char ***scope, const char *arg) {
        _cleanup_free_ char *copy = strdup(arg);
        char *p, *s;

        if (!copy)
                return -ENOMEM;
        for (p = copy; (s = strsep(&p, ","));)
                if (!strv_contains(*scope, s) && strv_extend(scope, s) < 0)
                        return -ENOMEM;
        return 0;
}

static int ssh_key_file_add(char ***keys, const char *path) {
        _cleanup_free_ char *text = NULL;
        size_t len;
        int r;

        r = read_file_capped(path, JIT_SSH_KEY_MAX + 2, &text, &len);
        if (r < 0)
                return r;
        /* Only the newline that ends a .pub file goes; anything else,
         * including a second line, is left for the claim rules to refuse. */
        if (len > 0 && text[len - 1] == '\n')
                text[--len] = '\0';
        if (memchr(text, '\0', len)) {
                ctl_error("%s: contains a NUL byte", path);
                return -EINVAL;
        }
        return strv_extend(keys, text);
}

int verb_issue(int argc, char *argv[]) {
        enum {
                ARG_KEY = 0x100,
                ARG_KID,
                ARG_ISS,
                ARG_SUB,
                ARG_AUD,
                ARG_SCOPE,
                ARG_RUNAS,
                ARG_SSH_KEY,
                ARG_SSH_KEY_FILE,
                ARG_TTL,
                ARG_MAX_TTL,
                ARG_NOT_BEFORE,
                ARG_TICKET,
                ARG_APPROVER,
                ARG_REASON,
                ARG_BIND,
                ARG_JTI,
                ARG_NOW,
                ARG_OUT,
        };
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"key", required_argument, NULL, ARG_KEY},
                {"kid", required_argument, NULL, ARG_KID},
                {"iss", required_argument, NULL, ARG_ISS},
                {"sub", required_argument, NULL, ARG_SUB},
                {"aud", required_argument, NULL, ARG_AUD},
                {"scope", required_argument, NULL, ARG_SCOPE},
                {"runas", required_argument, NULL, ARG_RUNAS},
                {"ssh-key", required_argument, NULL, ARG_SSH_KEY},
                {"ssh-key-file", required_argument, NULL, ARG_SSH_KEY_FILE},
                {"ttl", required_argument, NULL, ARG_TTL},
                {"max-ttl", required_argument, NULL, ARG_MAX_TTL},
                {"not-before", required_argument, NULL, ARG_NOT_BEFORE},
                {"ticket", required_argument, NULL, ARG_TICKET},
                {"approver", required_argument, NULL, ARG_APPROVER},
                {"reason", required_argument, NULL, ARG_REASON},
                {"bind", required_argument, NULL, ARG_BIND},
                {"jti", required_argument, NULL, ARG_JTI},
                {"now", required_argument, NULL, ARG_NOW},
                {"out", required_argument, NULL, ARG_OUT},
                {},
        };
        _cleanup_strv_free_ char **aud = NULL, **scope = NULL, **runas = NULL, **keys = NULL;
        _cleanup_free_ char *thumb = NULL, *token = NULL, *out_text = NULL;
        _cleanup_json_ struct json_object *claims = NULL;
        _cleanup_(grant_freep) struct grant *g = NULL;
        _cleanup_pkey_ EVP_PKEY *pkey = NULL;
        struct jit_error err = {};
        const char *key_path = NULL, *kid = NULL, *iss = NULL, *sub = NULL, *ttl_arg = NULL,
                   *max_ttl_arg = NULL, *nbf_arg = NULL, *ticket = NULL, *approver = NULL,
                   *reason = NULL, *bind = NULL, *jti = NULL, *now_arg = NULL, *out = NULL;
        int64_t now, nbf, ttl, max_ttl;
        enum jws_alg alg;
        char uuid[37];
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                case ARG_KEY:
                        key_path = optarg;
                        break;
                case ARG_KID:
                        kid = optarg;
                        break;
                case ARG_ISS:
                        iss = optarg;
                        break;
                case ARG_SUB:
                        sub = optarg;
                        break;
                case ARG_AUD:
                        if (strv_extend(&aud, optarg) < 0)
                                goto oom;
                        break;
                case ARG_SCOPE:
                        if (scope_add(&scope, optarg) < 0)
                                goto oom;
                        break;
                case ARG_RUNAS:
                        if (strv_extend(&runas, optarg) < 0)
                                goto oom;
                        break;
                case ARG_SSH_KEY:
                        if (strv_extend(&keys, optarg) < 0)
                                goto oom;
                        break;
                case ARG_SSH_KEY_FILE:
                        r = ssh_key_file_add(&keys, optarg);
                        if (r == -ENOMEM)
                                goto oom;
                        if (r < 0)
                                return r == -EINVAL ? EXIT_USAGE : EXIT_SYSTEM;
                        break;
                case ARG_TTL:
                        ttl_arg = optarg;
                        break;
                case ARG_MAX_TTL:
                        max_ttl_arg = optarg;
                        break;
                case ARG_NOT_BEFORE:
                        nbf_arg = optarg;
                        break;
                case ARG_TICKET:
                        ticket = optarg;
                        break;
                case ARG_APPROVER:
                        approver = optarg;
                        break;
                case ARG_REASON:
                        reason = optarg;
                        break;
                case ARG_BIND:
                        bind = optarg;
                        break;
                case ARG_JTI:
                        jti = optarg;
                        break;
                case ARG_NOW:
                        now_arg = optarg;
                        break;
                case ARG_OUT:
                        out = optarg;
                        break;
                default:
                        return EXIT_USAGE;
                }
        if (optind < argc) {
                ctl_error("issue: unexpected argument '%s'", argv[optind]);
                return EXIT_USAGE;
        }

        const struct {
                const char *option, *value;
        } required[] = {
                {"--key FILE", key_path},    {"--iss ISS", iss},     {"--sub USER", sub},
                {"--ttl DURATION", ttl_arg}, {"--ticket T", ticket}, {"--approver A", approver},
        };
        for (size_t i = 0; i < ELEMENTSOF(required); i++)
                if (!required[i].value) {
                        ctl_error("issue: %s is required", required[i].option);
                        return EXIT_USAGE;
                }
        if (!aud) {
                ctl_error("issue: --aud SELECTOR is required (there is no wildcard host)");
                return EXIT_USAGE;
        }
        if (!scope) {
                ctl_error("issue: --scope ssh|sudo is required");
                return EXIT_USAGE;
        }

        if (now_arg) {
                if (parse_epoch_arg("--now", now_arg, &now) < 0)
                        return EXIT_USAGE;
        } else
                now = (int64_t) time(NULL);

        if (max_ttl_arg) {
                if (parse_duration_arg("--max-ttl", max_ttl_arg, JIT_TIME_MAX, &max_ttl) < 0)
                        return EXIT_USAGE;
        } else {
                _cleanup_(config_freep) struct jit_config *defaults = NULL;

                if (config_new(&defaults) < 0)
                        goto oom;
                max_ttl = defaults->max_grant_ttl;
        }
        if (parse_duration_arg("--ttl", ttl_arg, max_ttl, &ttl) < 0)
                return EXIT_USAGE;
        if (ttl == 0) {
                ctl_error("--ttl: must be longer than 0 s");
                return EXIT_USAGE;
        }

        nbf = now;
        if (nbf_arg) {
                int64_t d;

                if (nbf_arg[0] == '+') {
                        if (parse_duration_arg("--not-before", nbf_arg + 1, JIT_TIME_MAX - now,
                                               &d) < 0)
                                return EXIT_USAGE;
                        nbf = now + d;
                } else if (parse_epoch_arg("--not-before", nbf_arg, &nbf) < 0)
                        return EXIT_USAGE;
        }
        if (nbf > JIT_TIME_MAX - ttl) {
                ctl_error("--ttl: the grant would end after the year 9999");
                return EXIT_USAGE;
        }

        if (!jti) {
                r = uuid4_string(uuid);
                if (r < 0) {
                        ctl_error("cannot get random bytes: %s", strerror(-r));
                        return EXIT_SYSTEM;
                }
                jti = uuid;
        }

        claims = json_object_new_object();
        if (!claims || add_string(claims, "iss", iss) < 0 || add_string(claims, "jti", jti) < 0 ||
            add_string(claims, "sub", sub) < 0 || add_strv(claims, "aud", aud) < 0 ||
            add_int(claims, "iat", now) < 0 || add_int(claims, "nbf", nbf) < 0 ||
            add_int(claims, "exp", nbf + ttl) < 0 || add_strv(claims, "scope", scope) < 0 ||
            (runas && add_strv(claims, "runas", runas) < 0) ||
            (keys && add_strv(claims, "keys", keys) < 0) ||
            (bind && add_string(claims, "bind", bind) < 0) ||
            (reason && add_string(claims, "reason", reason) < 0) ||
            add_string(claims, "ticket", ticket) < 0 ||
            add_string(claims, "approver", approver) < 0)
                goto oom;

        /* The hosts' own claim rules, before anything is signed. */
        r = grant_from_claims(claims, &g, &err);
        if (r == -ENOMEM)
                goto oom;
        if (r < 0) {
                ctl_error("refusing to issue: %s", err.message);
                return EXIT_USAGE;
        }

        r = ctl_signing_key_load(key_path, &kid, &pkey, &alg, &thumb);
        if (r != EXIT_OK)
                return r;

        r = jws_sign(pkey, alg, kid, JWS_TYP_GRANT, claims, &token, &err);
        if (r < 0) {
                ctl_error("cannot sign the grant: %s", err.message);
                return EXIT_SYSTEM;
        }

        if (out) {
                if (asprintf(&out_text, "%s\n", token) < 0)
                        goto oom;
                r = write_file_atomic(out, out_text, strlen(out_text), 0644, &err);
                if (r < 0) {
                        ctl_file_error(out, &err);
                        return EXIT_SYSTEM;
                }
                /* The token works as a password (pam_jit's prompt): with --out
                 * it goes to the file only, never to a terminal or a log. */
                printf("%s: grant %s written\n", out, jti);
                return EXIT_OK;
        }
        printf("%s\n", token);
        return EXIT_OK;
oom:
        ctl_error("out of memory");
        return EXIT_SYSTEM;
}
