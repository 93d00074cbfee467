/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* bench-agent-bundle DIR N: a signing key, its trust store and a store of
 * N grants (DIR/head.jwt, DIR/objects/) for the jit-agent benchmarks
 * (bench-agent-resources.sh).
 * jitctl issue + publish take minutes for 10 000 grants; this signs them in
 * one process with libjit's signer (test-util), like bench-pam-account.
 *
 * Writes DIR/trust.jwks (0644), the shards DIR/objects/<sha256> and the head
 * DIR/head.jwt: serial 1, exp in 2 h, grants g-1 … g-N, two per user
 * (u00000, u00001, …), each for aud env=prod,role=db, scope ssh+sudo, exp
 * in 2 h. Prints the head's size and the number of users on stdout
 * ("bytes=… users=…").
 *
 * bench-agent-bundle DIR N K EXP0: K more grants x-1 … x-K, one per user
 * (e0001, e0002, …), ssh only, ending at EXP0, EXP0 + 1, … (epoch seconds):
 * the grants whose expiry bench-agent-churn.sh times.
 *
 * Environment (for the fleet-scale memory figures, docs/fleet-scale.md):
 * BENCH_MATCHING=M gives only grants g-1 … g-M the host's aud, the others
 * aud env=dev,role=web (a host of the benchmarks is env=prod, role=db). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "test-store.h"
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
        _cleanup_free_ char *trust = NULL, *bundle_path = NULL, *jwks = NULL, *grants = NULL;
        struct test_key key = {};
        const struct test_key *keys[] = {&key};
        int64_t now = (int64_t) time(NULL);
        size_t size = 0, n, k = 0, matching;
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

        matching = getenv("BENCH_MATCHING") ? (size_t) strtoull(getenv("BENCH_MATCHING"), NULL, 10)
                                            : n;
        test_key_init(&key, JWS_ALG_EDDSA, "bench");
        trust = test_strdupf("%s/trust.jwks", argv[1]);
        bundle_path = test_strdupf("%s/head.jwt", argv[1]);
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

        {
                size_t n_tokens = 0;
                char **tokens = test_json_strv(grants, &n_tokens);
                struct host_facts facts = {};
                struct stat st;

                if (host_facts_add(&facts, "host", "bench", NULL) < 0)
                        die("out of memory");
                test_store_write(argv[1], &key, &facts, tokens, n_tokens,
                                 (const struct test_member[]){
                                         {"serial", "1"},
                                         {"exp", "@7200"},
                                         {"bins", "64"},
                                         {},
                                 },
                                 now);
                host_facts_done(&facts);
                strv_free(tokens);
                if (stat(bundle_path, &st) < 0)
                        die("%s: %m", bundle_path);
                printf("bytes=%lld users=%zu\n", (long long) st.st_size,
                       ((matching < n ? matching : n) + 1) / 2);
        }
        test_key_done(&key);
        return 0;
}
