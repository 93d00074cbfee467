/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>

#include "fileio.h"
#include "jit-limits.h"
#include "jitctl.h"
#include "json.h"
#include "jwk.h"
#include "private-key.h"

static void help(void) {
        printf("Usage: jitctl keygen [--alg EdDSA|ES256] [--kid KID] [--force] --out PREFIX\n\n"
               "Create a signing key. Writes PREFIX.key (PKCS#8 PEM, mode 0600) and\n"
               "PREFIX.jwks ({\"keys\":[…]} with the public key, its kid and alg, mode 0644)\n"
               "for the hosts' trust store, and prints the kid.\n\n"
               "Options:\n"
               "  --alg ALG      EdDSA (Ed25519, the default) or ES256 (P-256)\n"
               "  --kid KID      key id (default: the RFC 7638 thumbprint)\n"
               "  --force        overwrite existing PREFIX.key and PREFIX.jwks\n"
               "  --out PREFIX   where to write the two files\n"
               "  -h, --help     show this help\n\n" EXIT_CODES_HELP);
}

int verb_keygen(int argc, char *argv[]) {
        enum { ARG_ALG = 0x100, ARG_KID, ARG_FORCE, ARG_OUT };
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"alg", required_argument, NULL, ARG_ALG},
                {"kid", required_argument, NULL, ARG_KID},
                {"force", no_argument, NULL, ARG_FORCE},
                {"out", required_argument, NULL, ARG_OUT},
                {},
        };
        _cleanup_free_ char *key_path = NULL, *jwks_path = NULL, *thumb = NULL;
        _cleanup_json_ struct json_object *jwk = NULL, *jwks = NULL;
        _cleanup_pkey_ EVP_PKEY *pkey = NULL;
        struct jit_error err = {};
        enum jws_alg alg = JWS_ALG_EDDSA;
        const char *kid = NULL, *prefix = NULL, *text;
        bool force = false;
        int c, r;

        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                case ARG_ALG:
                        if (streq(optarg, "EdDSA") || streq(optarg, "Ed25519"))
                                alg = JWS_ALG_EDDSA;
                        else if (streq(optarg, "ES256"))
                                alg = JWS_ALG_ES256;
                        else {
                                ctl_error("--alg: '%s' is not EdDSA or ES256", optarg);
                                return EXIT_USAGE;
                        }
                        break;
                case ARG_KID:
                        kid = optarg;
                        break;
                case ARG_FORCE:
                        force = true;
                        break;
                case ARG_OUT:
                        prefix = optarg;
                        break;
                default:
                        return EXIT_USAGE;
                }
        if (optind < argc) {
                ctl_error("keygen: unexpected argument '%s'", argv[optind]);
                return EXIT_USAGE;
        }
        if (!prefix || *prefix == '\0') {
                ctl_error("keygen: --out PREFIX is required");
                return EXIT_USAGE;
        }
        if (kid && (strlen(kid) < 1 || strlen(kid) > JIT_KID_MAX)) {
                ctl_error("--kid: must be 1..%u characters", JIT_KID_MAX);
                return EXIT_USAGE;
        }

        if (asprintf(&key_path, "%s.key", prefix) < 0 ||
            asprintf(&jwks_path, "%s.jwks", prefix) < 0) {
                ctl_error("out of memory");
                return EXIT_SYSTEM;
        }
        if (!force)
                for (const char *const *p = (const char *const[]){key_path, jwks_path, NULL}; *p;
                     p++)
                        if (access(*p, F_OK) == 0 || errno != ENOENT) {
                                ctl_error("%s already exists; use --force to replace it", *p);
                                return EXIT_USAGE;
                        }

        r = key_generate(alg, &pkey, &err);
        if (r < 0) {
                ctl_error("cannot generate a key: %s", err.message);
                return EXIT_SYSTEM;
        }
        if (!kid) {
                r = key_thumbprint(pkey, &thumb, &err);
                if (r < 0) {
                        ctl_error("cannot compute the key thumbprint: %s", err.message);
                        return EXIT_SYSTEM;
                }
                kid = thumb;
        }
        r = key_to_public_jwk(pkey, alg, kid, &jwk, &err);
        if (r < 0) {
                ctl_error("cannot export the public key: %s", err.message);
                return EXIT_SYSTEM;
        }

        jwks = json_object_new_object();
        struct json_object *keys = json_object_new_array();
        if (!jwks || !keys || json_object_object_add(jwks, "keys", keys) < 0) {
                json_object_put(keys);
                ctl_error("out of memory");
                return EXIT_SYSTEM;
        }
        if (json_object_array_add(keys, json_object_get(jwk)) < 0) {
                ctl_error("out of memory");
                return EXIT_SYSTEM;
        }

        /* The private key first: a JWKS whose private half was never saved
         * would only be a trust entry nobody can sign with. */
        r = key_save_private(key_path, pkey, &err);
        if (r < 0) {
                ctl_file_error(key_path, &err);
                return EXIT_SYSTEM;
        }
        text = json_object_to_json_string_ext(jwks, JSON_C_TO_STRING_PRETTY |
                                                            JSON_C_TO_STRING_SPACED |
                                                            JSON_C_TO_STRING_NOSLASHESCAPE);
        _cleanup_free_ char *out = NULL;
        if (asprintf(&out, "%s\n", text) < 0) {
                ctl_error("out of memory");
                return EXIT_SYSTEM;
        }
        r = write_file_atomic(jwks_path, out, strlen(out), 0644, &err);
        if (r < 0) {
                ctl_file_error(jwks_path, &err);
                return EXIT_SYSTEM;
        }

        printf("%s\n", kid);
        return EXIT_OK;
}
