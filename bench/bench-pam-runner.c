/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The timing half of bench-pam-account: runs real PAM account transactions
 * (pam_start_confdir() → pam_acct_mgmt() → pam_end()) on services of a
 * confdir, every case once per round so drift falls on all alike, and
 * prints p50/p99/max/mean per case.
 *
 * It is a program of its own, linked with libpam only, so that what is
 * already loaded in the process is chosen, not inherited from the harness
 * (which links OpenSSL and json-c to mint grants): pam_jit.so brings
 * libcrypto, json-c and libsystemd, and dlopen()ing them on every
 * transaction is part of the cost in a process that does not have them
 * (sudo), but not in one that does (Debian's sshd links libcrypto and
 * libsystemd). --preload LIB,… dlopen()s libraries first and keeps them.
 *
 *   bench-pam-runner [--iterations N] [--warmup N] [--preload LIB,…]
 *                    [--title TEXT] [--target-case N] CONFDIR
 *                    SERVICE:USER:WANT:GRANTS:USERS:LABEL …
 *
 * WANT is "allow" (PAM_SUCCESS) or "deny" (PAM_PERM_DENIED); the first case
 * is the baseline. Exit 0, or 2 when p99 of --target-case is 1 ms or more,
 * 1 on any error (a transaction with another result is an error). */

#include <dlfcn.h>
#include <errno.h>
#include <getopt.h>
#include <security/pam_appl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CASES_MAX 16
#define TARGET_P99_NS 1000000.0

struct bench_case {
        const char *service, *user, *label;
        const char *grants, *users; /* as given: "-" for the baseline */
        int want;
        double *ns;
};

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...) {
        va_list ap;

        fputs("bench-pam-runner: ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
        exit(EXIT_FAILURE);
}

/* Answers nothing, accepts every message: the module only informs. */
static int null_conv(int n, const struct pam_message **msg, struct pam_response **resp,
                     void *data) {
        struct pam_response *r = calloc((size_t) n, sizeof(*r));

        if (!r)
                return PAM_BUF_ERR;
        *resp = r;
        return PAM_SUCCESS;
}

static double elapsed_ns(const struct timespec *a, const struct timespec *b) {
        return (double) (b->tv_sec - a->tv_sec) * 1e9 + (double) (b->tv_nsec - a->tv_nsec);
}

static int transaction(const char *confdir, const struct bench_case *c, double *ret_ns) {
        const struct pam_conv conv = {null_conv, NULL};
        pam_handle_t *pamh = NULL;
        struct timespec t0, t1;
        int r;

        clock_gettime(CLOCK_MONOTONIC, &t0);
        r = pam_start_confdir(c->service, c->user, &conv, confdir, &pamh);
        if (r != PAM_SUCCESS)
                return r;
        r = pam_acct_mgmt(pamh, 0);
        (void) pam_end(pamh, r);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        *ret_ns = elapsed_ns(&t0, &t1);
        return r;
}

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;

        return (x > y) - (x < y);
}

/* Nearest-rank percentile of the sorted v[0..n). */
static double percentile(const double *v, size_t n, unsigned p) {
        size_t rank = (n * p + 99) / 100;

        if (rank < 1)
                rank = 1;
        return v[(rank > n ? n : rank) - 1];
}

static size_t parse_count(const char *s, const char *what) {
        unsigned long long v;
        char *end;

        errno = 0;
        v = strtoull(s, &end, 10);
        if (errno != 0 || end == s || *end || v == 0 || v > 100000000ULL)
                die("bad %s: '%s'", what, s);
        return (size_t) v;
}

/* SERVICE:USER:WANT:GRANTS:USERS:LABEL, split in place. */
static void parse_case(char *s, struct bench_case *ret) {
        char *f[6];

        for (size_t i = 0; i < 6; i++) {
                f[i] = s;
                if (i < 5) {
                        s = strchr(s, ':');
                        if (!s)
                                die("bad case '%s': want SERVICE:USER:WANT:GRANTS:USERS:LABEL",
                                    f[0]);
                        *s++ = '\0';
                }
        }
        *ret = (struct bench_case){
                .service = f[0],
                .user = f[1],
                .grants = f[3],
                .users = f[4],
                .label = f[5],
        };
        if (strcmp(f[2], "allow") == 0)
                ret->want = PAM_SUCCESS;
        else if (strcmp(f[2], "deny") == 0)
                ret->want = PAM_PERM_DENIED;
        else
                die("bad WANT '%s': allow or deny", f[2]);
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                {"iterations", required_argument, NULL, 'n'},
                {"warmup", required_argument, NULL, 'w'},
                {"preload", required_argument, NULL, 'p'},
                {"title", required_argument, NULL, 't'},
                {"target-case", required_argument, NULL, 'T'},
                {},
        };
        size_t iterations = 2000, warmup = 200, n_cases = 0, target = 0;
        struct bench_case cases[CASES_MAX];
        const char *title = NULL, *confdir;
        char *preload = NULL, *preload_shown = NULL;
        double base_p50 = 0, target_p99 = 0;
        int opt;

        while ((opt = getopt_long(argc, argv, "n:w:p:t:T:", options, NULL)) >= 0)
                switch (opt) {
                case 'n':
                        iterations = parse_count(optarg, "--iterations");
                        break;
                case 'w':
                        warmup = parse_count(optarg, "--warmup");
                        break;
                case 'p':
                        preload = optarg;
                        break;
                case 't':
                        title = optarg;
                        break;
                case 'T':
                        target = parse_count(optarg, "--target-case");
                        break;
                default:
                        return EXIT_FAILURE;
                }
        if (argc - optind < 2)
                die("usage: bench-pam-runner [options] CONFDIR "
                    "SERVICE:USER:WANT:GRANTS:USERS:LABEL …");
        confdir = argv[optind++];
        for (; optind < argc; optind++) {
                if (n_cases == CASES_MAX)
                        die("at most %d cases", CASES_MAX);
                parse_case(argv[optind], &cases[n_cases]);
                cases[n_cases].ns = calloc(iterations, sizeof(double));
                if (!cases[n_cases].ns)
                        die("out of memory");
                n_cases++;
        }
        if (target >= n_cases)
                die("--target-case %zu: there are %zu cases", target, n_cases);

        /* Kept open to the end, as in a process that links them. */
        preload_shown = preload ? strdup(preload) : NULL;
        if (preload && !preload_shown)
                die("out of memory");
        for (char *save = NULL, *lib = preload ? strtok_r(preload, ",", &save) : NULL; lib;
             lib = strtok_r(NULL, ",", &save))
                if (!dlopen(lib, RTLD_NOW | RTLD_GLOBAL))
                        die("dlopen %s: %s", lib, dlerror());

        for (size_t i = 0; i < warmup + iterations; i++)
                for (size_t c = 0; c < n_cases; c++) {
                        double ns = 0;
                        int r = transaction(confdir, &cases[c], &ns);

                        if (r != cases[c].want)
                                die("%s (service %s, user %s): pam_acct_mgmt gave '%s', expected "
                                    "'%s'",
                                    cases[c].label, cases[c].service, cases[c].user,
                                    pam_strerror(NULL, r), pam_strerror(NULL, cases[c].want));
                        if (i >= warmup)
                                cases[c].ns[i - warmup] = ns;
                }

        printf("\n## %s\n", title ? title : "PAM account transactions");
        printf("# resident before the first transaction: %s\n",
               preload_shown ? preload_shown
                             : "libpam only (pam_jit.so's libraries are loaded and "
                               "unloaded with it on every transaction)");
        printf("# %zu transactions per case after %zu warm-up rounds, cases interleaved; "
               "microseconds for pam_start_confdir + pam_acct_mgmt + pam_end\n",
               iterations, warmup);
        printf("%-30s %7s %6s %9s %9s %9s %9s %9s\n", "case", "grants", "users", "p50", "p99",
               "max", "mean", "p50-base");
        for (size_t c = 0; c < n_cases; c++) {
                struct bench_case *bc = &cases[c];
                double sum = 0, p50, p99;

                qsort(bc->ns, iterations, sizeof(double), cmp_double);
                for (size_t i = 0; i < iterations; i++)
                        sum += bc->ns[i];
                p50 = percentile(bc->ns, iterations, 50);
                p99 = percentile(bc->ns, iterations, 99);
                if (c == 0)
                        base_p50 = p50;
                if (c == target)
                        target_p99 = p99;
                printf("%-30s %7s %6s %9.1f %9.1f %9.1f %9.1f %9.1f\n", bc->label, bc->grants,
                       bc->users, p50 / 1e3, p99 / 1e3, bc->ns[iterations - 1] / 1e3,
                       sum / (double) iterations / 1e3, (p50 - base_p50) / 1e3);
                free(bc->ns);
        }
        free(preload_shown);
        printf("# target p99 < %.0f us (%s, %s grants): %s, p99 = %.1f us\n", TARGET_P99_NS / 1e3,
               cases[target].label, cases[target].grants,
               target_p99 < TARGET_P99_NS ? "met" : "MISSED", target_p99 / 1e3);
        return target_p99 < TARGET_P99_NS ? EXIT_SUCCESS : 2;
}
