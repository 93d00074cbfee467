/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-agent-bundle DIR N: a signing key, its trust store and a signed
 * bundle of N grants for the jit-agent benchmarks (bench-agent-resources.sh).
 * jitctl issue + publish take minutes for 10 000 grants; this signs them in
 * one process with libjit's signer (test-util), like bench-pam-account.
 *
 * Writes DIR/trust.jwks (0644) and DIR/bundle.jwt (0644): serial 1, exp in
 * 2 h, grants g-1 … g-N, two per user (u00000, u00001, …), each for
 * aud env=prod,role=db, scope ssh+sudo, exp in 2 h. Prints the bundle size
 * and the number of users on stdout ("bytes=… users=…").
 *
 * bench-agent-bundle DIR N K EXP0: K more grants x-1 … x-K, one per user
 * (e0001, e0002, …), ssh only, ending at EXP0, EXP0 + 1, … (epoch seconds):
 * the grants whose expiry bench-agent-churn.sh times.
 *
 * Environment (for the fleet-scale memory figures, docs/fleet-scale.md):
 * BENCH_MATCHING=M gives only grants g-1 … g-M the host's aud, the others
 * aud env=dev,role=web (a host of the benchmarks is env=prod, role=db);
 * BENCH_GRANTS_DIR=DIR2 also writes each grant to DIR2/g-<i>.jwt and the
 * signing key to DIR/signing.key (PEM, kid "bench"), so that the real
 * `jitctl publish --kid bench` can lay out the same grants. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openssl/pem.h>

#include "test-util.h"

static void die(const char *fmt, ...) _printf_(1, 2);
static void die(const char *fmt, ...) {
        va_list ap;

        fputs("bench-agent-bundle: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(EXIT_FAILURE);
}

static void write_text(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        if (!f)
                die("%s: %m", path);
        if (fputs(text, f) < 0 || fclose(f) != 0)
                die("%s: write failed", path);
        if (chmod(path, 0644) < 0)
                die("%s: %m", path);
}

int main(int argc, char *argv[]) {
        _cleanup_free_ char *trust = NULL, *bundle_path = NULL, *jwks = NULL, *grants = NULL,
                            *bundle = NULL;
        struct test_key key = {};
        const struct test_key *keys[] = {&key};
        int64_t now = (int64_t) time(NULL);
        size_t size = 0, n, k = 0, matching;
        const char *grants_dir = getenv("BENCH_GRANTS_DIR");
        long long exp0 = 0;
        char *end;
        FILE *f;

        if (argc != 3 && argc != 5)
                die("usage: bench-agent-bundle DIR N_GRANTS [N_EXPIRING FIRST_EXP]");
        errno = 0;
        n = (size_t) strtoull(argv[2], &end, 10);
        if (errno != 0 || end == argv[2] || *end || n > 100000)
                die("bad grant count '%s'", argv[2]);
        if (argc == 5) {
                k = (size_t) strtoull(argv[3], &end, 10);
                if (errno != 0 || end == argv[3] || *end || k > 1000)
                        die("bad count '%s'", argv[3]);
                exp0 = strtoll(argv[4], &end, 10);
                if (errno != 0 || end == argv[4] || *end || exp0 <= now || exp0 > now + 36000)
                        die("bad first expiry '%s'", argv[4]);
        }

        matching = getenv("BENCH_MATCHING") ? (size_t) strtoull(getenv("BENCH_MATCHING"), NULL, 10) : n;
        test_key_init(&key, JWS_ALG_EDDSA, "bench");
        if (grants_dir) {
                _cleanup_free_ char *kp = test_strdupf("%s/signing.key", argv[1]);
                FILE *kf = fopen(kp, "we");

                if (!kf || PEM_write_PrivateKey(kf, key.pkey, NULL, NULL, 0, NULL, NULL) != 1 ||
                    fclose(kf) != 0)
                        die("%s: cannot write the key", kp);
                if (chmod(kp, 0600) < 0)
                        die("%s: %m", kp);
        }
        trust = test_strdupf("%s/trust.jwks", argv[1]);
        bundle_path = test_strdupf("%s/bundle.jwt", argv[1]);
        jwks = test_jwks_text(keys, 1);
        write_text(trust, jwks);

        f = open_memstream(&grants, &size);
        if (!f)
                die("open_memstream: %m");
        fputc('[', f);
        for (size_t i = 1; i <= n; i++) {
                _cleanup_free_ char *jti = test_strdupf("\"g-%zu\"", i);
                _cleanup_free_ char *sub = test_strdupf("\"u%05zu\"", (i - 1) / 2);
                _cleanup_free_ char *tok =
                        test_grant_token(&key, now,
                                         (const struct test_member[]){
                                                 {"jti", jti},
                                                 {"sub", sub},
                                                 {"aud", i <= matching ? "[\"env=prod,role=db\"]"
                                                                       : "[\"env=dev,role=web\"]"},
                                                 {"exp", "@7200"},
                                                 {},
                                         });

                fprintf(f, "%s\"%s\"", i == 1 ? "" : ",", tok);
                if (grants_dir) {
                        _cleanup_free_ char *gp = test_strdupf("%s/g-%zu.jwt", grants_dir, i);
                        write_text(gp, tok);
                }
        }
        for (size_t i = 1; i <= k; i++) {
                _cleanup_free_ char *jti = test_strdupf("\"x-%zu\"", i);
                _cleanup_free_ char *sub = test_strdupf("\"e%04zu\"", i);
                _cleanup_free_ char *exp =
                        test_strdupf("@%lld", exp0 + (long long) (i - 1) - (long long) now);
                _cleanup_free_ char *tok =
                        test_grant_token(&key, now,
                                         (const struct test_member[]){
                                                 {"jti", jti},
                                                 {"sub", sub},
                                                 {"aud", "[\"env=prod,role=db\"]"},
                                                 {"scope", "[\"ssh\"]"},
                                                 {"exp", exp},
                                                 {},
                                         });

                fprintf(f, "%s\"%s\"", n == 0 && i == 1 ? "" : ",", tok);
        }
        fputc(']', f);
        if (fclose(f) != 0)
                die("open_memstream: write failed");

        bundle = test_bundle_token(&key, now,
                                   (const struct test_member[]){
                                           {"serial", "1"},
                                           {"exp", "@7200"},
                                           {"grants", grants},
                                           {},
                                   });
        write_text(bundle_path, bundle);
        printf("bytes=%zu users=%zu\n", strlen(bundle), ((matching < n ? matching : n) + 1) / 2);
        test_key_done(&key);
        return 0;
}
