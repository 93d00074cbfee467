/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* How long does pam_jit's account check take, on a host whose bundle holds
 * 1, 100 or 10 000 grants? This program stages the hosts; bench-pam-runner
 * (next to it) runs the real PAM transactions (pam_start_confdir() →
 * pam_acct_mgmt() → pam_end()) on the built module, timed one by one with
 * CLOCK_MONOTONIC, interleaved with the same transaction on pam_permit.so
 * (the baseline: what PAM itself costs) in the same process and run. It
 * runs twice: "cold" (only libpam resident, as in sudo) and "warm"
 * (libcrypto and libsystemd resident, as in Debian's sshd).
 *
 * Each case is a host of its own in a temp folder (jit.conf, trust store,
 * state_dir, run_dir), staged with hoststate_apply_bundle() as jit-agent
 * does. The measured user, alice, holds exactly one valid ssh grant in every
 * bundle; the other grants are spread over other users (two per user), so
 * the 10 000-grant host has 5 001 users with grants. A denied user (no
 * grant) on the largest host is measured too.
 *
 *   bench-pam-account [--iterations N] [--warmup N] [--sizes 1,100,10000]
 *                     [--check] [--keep] [MODULE]
 *
 * MODULE defaults to $JIT_PAM_MODULE (set by meson). Runs as root: the
 * module refuses a config or trust store not owned by root. --check exits 1
 * when p99 at the largest size is 1 ms or more (the target) in either run. */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test-store.h"
#include "test-util.h"

#include "facts-file.h"
#include "jit-conf.h"
#include "jwk.h"
#include "store-apply.h"

#define SIZES_MAX 8
#define MEASURED_USER "alice"
#define DENIED_USER "mallory"

static void die(const char *fmt, ...) _printf_(1, 2);
static void die(const char *fmt, ...) {
        va_list ap;

        fputs("bench-pam-account: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(EXIT_FAILURE);
}

static void write_text(const char *path, const char *text, mode_t mode) {
        FILE *f = fopen(path, "we");

        if (!f)
                die("%s: %m", path);
        if (fputs(text, f) < 0 || fclose(f) != 0)
                die("%s: write failed", path);
        if (chmod(path, mode) < 0)
                die("%s: %m", path);
}

static void make_dir(const char *path, mode_t mode) {
        if (mkdir(path, mode) < 0)
                die("%s: %m", path);
        if (chmod(path, mode) < 0) /* whatever the umask */
                die("%s: %m", path);
}

static int64_t now_s(void) {
        return (int64_t) time(NULL);
}

static double elapsed_ns(const struct timespec *a, const struct timespec *b) {
        return (double) (b->tv_sec - a->tv_sec) * 1e9 + (double) (b->tv_nsec - a->tv_nsec);
}

/* The bundle's "grants" array as JSON text: alice's one ssh grant, then
 * n_grants - 1 grants of other users, two each (uNNNNN). */
static char *grants_array(const struct test_key *k, int64_t now, size_t n_grants,
                          size_t *ret_users) {
        char *buf = NULL;
        size_t size = 0, users = 1;
        FILE *f = open_memstream(&buf, &size);

        if (!f)
                die("open_memstream: %m");
        for (size_t i = 0; i < n_grants; i++) {
                _cleanup_free_ char *jti = NULL, *sub = NULL, *tok = NULL;

                if (i == 0) {
                        jti = test_strdupf("\"alice-ssh\"");
                        sub = test_strdupf("\"" MEASURED_USER "\"");
                } else {
                        size_t u = (i - 1) / 2;

                        if ((i - 1) % 2 == 0)
                                users++;
                        jti = test_strdupf("\"g-%zu\"", i);
                        sub = test_strdupf("\"u%05zu\"", u);
                }
                tok = test_grant_token(
                        k, now,
                        (const struct test_member[]){
                                {"jti", jti},
                                {"sub", sub},
                                {"aud", "[\"env=prod,role=db\"]"},
                                /* long enough for any run */
                                {"exp", "@7200"},
                                {"scope", i == 0 ? "[\"ssh\"]" : "[\"ssh\",\"sudo\"]"},
                                {},
                        });
                fprintf(f, "%s\"%s\"", i == 0 ? "[" : ",", tok);
        }
        fputs(n_grants == 0 ? "[]" : "]", f);
        if (fclose(f) != 0)
                die("open_memstream: write failed");
        *ret_users = users;
        return buf;
}

/* root/host-N: jit.conf, trust.jwks, state/, run/, staged with a bundle of
 * n_grants grants. Returns the config path. */
static char *stage_host(const char *root, const struct test_key *k, size_t n_grants,
                        size_t *ret_users) {
        _cleanup_free_ char *dir = test_strdupf("%s/host-%zu", root, n_grants);
        _cleanup_free_ char *trust = test_strdupf("%s/trust.jwks", dir);
        _cleanup_free_ char *state = test_strdupf("%s/state", dir);
        _cleanup_free_ char *run = test_strdupf("%s/run", dir);
        _cleanup_free_ char *conf_text = NULL, *jwks = NULL, *grants = NULL, *bundle = NULL;
        _cleanup_(config_freep) struct jit_config *c = NULL;
        _cleanup_(trust_store_freep) struct trust_store *ts = NULL;
        const struct test_key *keys[] = {k};
        struct apply_result res = {};
        struct jit_error err = {};
        char *conf = test_strdupf("%s/jit.conf", dir);
        int64_t now = now_s();
        struct timespec t0, t1;
        int r;

        make_dir(dir, 0755);
        make_dir(state, 0755);
        make_dir(run, 0755);
        jwks = test_jwks_text(keys, 1);
        write_text(trust, jwks, 0644);
        conf_text = test_strdupf("# written by bench-pam-account\n"
                                 "issuers = " TEST_ISSUER "\n"
                                 "trust_store = %s\n"
                                 "state_dir = %s\n"
                                 "run_dir = %s\n"
                                 "host_id = pay-db-1\n"
                                 "labels = env=prod, role=db\n",
                                 trust, state, run);
        write_text(conf, conf_text, 0644);

        grants = grants_array(k, now, n_grants, ret_users);

        r = config_load(conf, 0, &c, &err);
        if (r < 0)
                die("%s: %s", conf, err.message);
        r = trust_store_load(trust, 0, &ts, &err);
        if (r < 0)
                die("%s: %s", trust, err.message);
        clock_gettime(CLOCK_MONOTONIC, &t0);
        {
                size_t n_tokens = 0;
                char **tokens = test_json_strv(grants, &n_tokens);
                struct host_facts facts = {};

                if (host_facts_load(c, &facts, &err) < 0)
                        die("facts: %s", err.message);
                r = test_store_apply(k, c, ts, &facts, tokens, n_tokens, NULL,
                                     (const struct test_member[]){
                                             {"serial", "1"},
                                             {"exp", "@7200"},
                                             {"bins", "64"},
                                             {},
                                     },
                                     now, &res, &bundle, &err);
                host_facts_done(&facts);
                strv_free(tokens);
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (r < 0)
                die("staging %zu grants: %s", n_grants, err.message);
        if (res.n_grants != n_grants || res.n_invalid != 0)
                die("staging %zu grants: %zu written, %zu invalid", n_grants, res.n_grants,
                    res.n_invalid);
        printf("# host-%zu: head %zu bytes, %zu grants for %zu users staged in %.1f ms\n", n_grants,
               strlen(bundle), res.n_grants, res.n_users, elapsed_ns(&t0, &t1) / 1e6);
        return conf;
}

static size_t parse_count(const char *s, const char *what) {
        char *end;
        unsigned long long v;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || end == s || *end || v == 0 || v > 100000000ULL)
                die("bad %s: '%s'", what, s);
        return (size_t) v;
}

/* Other load on the machine shows in p99 first: say how much there was. */
static void print_loadavg(const char *when) {
        char buf[128] = "";
        FILE *f = fopen("/proc/loadavg", "re");

        if (f) {
                if (!fgets(buf, sizeof(buf), f))
                        buf[0] = '\0';
                fclose(f);
        }
        buf[strcspn(buf, "\n")] = '\0';
        printf("# load average %s: %s\n", when, buf[0] ? buf : "?");
}

/* Run bench-pam-runner (next to this program) on the staged cases. */
static int run_runner(const char *runner, char **args) {
        pid_t pid;
        int status;

        fflush(stdout);
        pid = fork();
        if (pid < 0)
                die("fork: %m");
        if (pid == 0) {
                execv(runner, args);
                fprintf(stderr, "bench-pam-account: %s: %m\n", runner);
                _exit(127);
        }
        if (waitpid(pid, &status, 0) < 0)
                die("waitpid: %m");
        if (!WIFEXITED(status) || (WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 2))
                die("%s failed", runner);
        return WEXITSTATUS(status);
}

static char *runner_path(void) {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
        char *slash;

        if (n <= 0)
                die("/proc/self/exe: %m");
        self[n] = '\0';
        slash = strrchr(self, '/');
        if (!slash)
                die("odd /proc/self/exe: %s", self);
        *slash = '\0';
        return test_strdupf("%s/bench-pam-runner", self);
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                {"iterations", required_argument, NULL, 'n'},
                {"warmup", required_argument, NULL, 'w'},
                {"sizes", required_argument, NULL, 's'},
                {"check", no_argument, NULL, 'c'},
                {"keep", no_argument, NULL, 'k'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        static const struct {
                const char *title, *preload;
        } profiles[] = {
                {"cold: nothing but libpam resident (like sudo, a fresh process per call)", NULL},
                {"warm: libcrypto and libsystemd resident (like Debian's sshd, which links both)",
                 "libcrypto.so.3,libsystemd.so.0"},
        };
        size_t iterations = 2000, warmup = 200, sizes[SIZES_MAX] = {1, 100, 10000}, n_sizes = 3;
        size_t n_cases = 0, largest = 0, users_largest = 0;
        char *cases[SIZES_MAX + 2] = {};
        bool check = false, keep = false, missed = false;
        char root[] = "/tmp/jit-bench.XXXXXX";
        _cleanup_free_ char *confdir = NULL, *runner = NULL, *n_iter = NULL, *n_warm = NULL,
                            *target = NULL;
        struct test_key key;
        const char *module;
        int opt;

        while ((opt = getopt_long(argc, argv, "n:w:s:ckh", options, NULL)) >= 0)
                switch (opt) {
                case 'n':
                        iterations = parse_count(optarg, "--iterations");
                        break;
                case 'w':
                        warmup = parse_count(optarg, "--warmup");
                        break;
                case 's': {
                        _cleanup_free_ char *copy = strdup(optarg);
                        char *save = NULL;

                        if (!copy)
                                die("out of memory");
                        n_sizes = 0;
                        for (char *t = strtok_r(copy, ",", &save); t;
                             t = strtok_r(NULL, ",", &save)) {
                                if (n_sizes == SIZES_MAX)
                                        die("at most %d sizes", SIZES_MAX);
                                sizes[n_sizes++] = parse_count(t, "--sizes");
                        }
                        if (n_sizes == 0)
                                die("--sizes is empty");
                        break;
                }
                case 'c':
                        check = true;
                        break;
                case 'k':
                        keep = true;
                        break;
                case 'h':
                        printf("usage: %s [--iterations N] [--warmup N] [--sizes 1,100,10000] "
                               "[--check] [--keep] [MODULE]\n",
                               argv[0]);
                        return EXIT_SUCCESS;
                default:
                        return EXIT_FAILURE;
                }
        module = optind < argc ? argv[optind] : getenv("JIT_PAM_MODULE");
        if (!module || module[0] != '/')
                die("give the absolute path of pam_jit.so (argument or $JIT_PAM_MODULE)");
        if (access(module, R_OK) < 0)
                die("%s: %m", module);
        if (geteuid() != 0)
                die("run as root: pam_jit refuses a config or trust store not owned by root");
        runner = runner_path();
        if (access(runner, X_OK) < 0)
                die("%s: %m", runner);

        /* The module checks every ancestor of its files: /tmp is root-owned
         * and sticky, the temp folder root-owned 0755. */
        umask(022);
        if (!mkdtemp(root))
                die("mkdtemp: %m");
        if (chmod(root, 0755) < 0)
                die("%s: %m", root);
        confdir = test_strdupf("%s/pam.d", root);
        make_dir(confdir, 0755);
        test_key_init(&key, JWS_ALG_EDDSA, "k1");
        printf("# bench-pam-account: module %s\n# temp folder %s\n", module, root);
        print_loadavg("before");

        /* The baseline first: the same transaction on pam_permit.so. */
        {
                _cleanup_free_ char *path = test_strdupf("%s/bench-permit", confdir);

                write_text(path, "account required pam_permit.so\n", 0644);
                cases[n_cases++] = test_strdupf("bench-permit:" MEASURED_USER
                                                ":allow:-:-:pam_permit.so (baseline)");
        }
        for (size_t i = 0; i < n_sizes; i++) {
                _cleanup_free_ char *conf = NULL, *path = NULL, *line = NULL;
                size_t users = 0;

                conf = stage_host(root, &key, sizes[i], &users);
                path = test_strdupf("%s/bench-jit-%zu", confdir, sizes[i]);
                line = test_strdupf("account required %s config=%s\n", module, conf);
                write_text(path, line, 0644);
                if (sizes[i] >= sizes[largest]) {
                        largest = i;
                        users_largest = users;
                }
                cases[n_cases++] = test_strdupf("bench-jit-%zu:" MEASURED_USER
                                                ":allow:%zu:%zu:pam_jit.so, alice allowed",
                                                sizes[i], sizes[i], users);
        }
        /* A user without a grant on the largest host: the denial path. */
        cases[n_cases++] = test_strdupf("bench-jit-%zu:" DENIED_USER
                                        ":deny:%zu:%zu:pam_jit.so, mallory denied",
                                        sizes[largest], sizes[largest], users_largest);

        n_iter = test_strdupf("%zu", iterations);
        n_warm = test_strdupf("%zu", warmup);
        target = test_strdupf("%zu", largest + 1); /* case 0 is the baseline */
        for (size_t p = 0; p < ELEMENTSOF(profiles); p++) {
                char *args[16 + SIZES_MAX + 2];
                size_t n = 0;

                args[n++] = runner;
                args[n++] = (char *) "--iterations";
                args[n++] = n_iter;
                args[n++] = (char *) "--warmup";
                args[n++] = n_warm;
                args[n++] = (char *) "--target-case";
                args[n++] = target;
                args[n++] = (char *) "--title";
                args[n++] = (char *) profiles[p].title;
                if (profiles[p].preload) {
                        args[n++] = (char *) "--preload";
                        args[n++] = (char *) profiles[p].preload;
                }
                args[n++] = confdir;
                for (size_t c = 0; c < n_cases; c++)
                        args[n++] = cases[c];
                args[n] = NULL;
                if (run_runner(runner, args) == 2)
                        missed = true;
        }

        print_loadavg("after");
        for (size_t c = 0; c < n_cases; c++)
                free(cases[c]);
        test_key_done(&key);
        if (keep)
                printf("# kept %s\n", root);
        else {
                _cleanup_free_ char *cmd = test_strdupf("rm -rf -- '%s'", root);

                if (system(cmd) != 0)
                        fprintf(stderr, "bench-pam-account: could not remove %s\n", root);
        }
        return check && missed ? EXIT_FAILURE : EXIT_SUCCESS;
}
