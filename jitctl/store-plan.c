/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jitctl store plan: which objects of a store each host of a list would
 * fetch, by the rules jit-agent follows (common/token/store-layout.h), for
 * sizing a store and for the fleet simulation (bench/). No host inventory
 * exists anywhere else: this reads one given for the purpose. */

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "head.h"
#include "jit-limits.h"
#include "jitctl.h"
#include "json.h"
#include "selector.h"
#include "store-layout.h"

static void help(void) {
        printf("Usage: jitctl store plan --store DIR --facts-file FILE [--totals]\n\n"
               "For each host of FILE (one a line: its facts as key=value,key=value,…; blank\n"
               "lines and '#' comments skipped), print what it fetches from the store DIR at\n"
               "its head: \"LINE head.jwt:BYTES SHA256:BYTES …\", the head first, then the\n"
               "shards of the bins of its facts, in the head's order. With --totals, print\n"
               "\"LINE OBJECTS BYTES\" instead (the head counted). The head is read, not\n"
               "verified: this is planning, not trust.\n\n" EXIT_CODES_HELP);
}

/* "k=v,k=v" into f. */
static int facts_from_line(char *line, struct host_facts *f, struct jit_error *err) {
        for (char *part; (part = strsep(&line, ","));) {
                char *eq = strchr(part, '=');
                int r;

                if (!eq)
                        return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                             "'%s' is not key=value", part);
                *eq = '\0';
                if (!fact_key_is_valid(part, strlen(part)) ||
                    !fact_value_is_valid(eq + 1, strlen(eq + 1)))
                        return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                             "'%s=%s' is not a valid fact", part, eq + 1);
                r = host_facts_add(f, part, eq + 1, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int plan(const char *store, const char *facts_file, bool totals) {
        _cleanup_free_ char *head_path = NULL, *text = NULL;
        _cleanup_json_ struct json_object *payload = NULL;
        _cleanup_(head_freep) struct head *h = NULL;
        _cleanup_free_ uint32_t *bins = NULL;
        _cleanup_free_ size_t *first = NULL;
        struct jit_error err = {};
        char *line = NULL, *t;
        size_t len = 0, cap = 0, head_size;
        unsigned long lineno = 0;
        ssize_t k;
        FILE *in;
        int r;

        head_path = path_join(store, STORE_HEAD_FILE);
        if (!head_path)
                return -ENOMEM;
        r = read_file_capped(head_path, JIT_HEAD_TOKEN_MAX + 2, &text, &len);
        if (r < 0)
                return r;
        head_size = len;
        t = text;
        len = strip_whitespace(&t, len);
        r = jws_peek_payload(t, len, &payload, &err);
        if (r >= 0)
                r = head_from_claims(payload, &h, &err);
        if (r < 0) {
                ctl_error("%s: %s", head_path, err.message);
                return r;
        }
        bins = calloc(JIT_FACTS_MAX, sizeof(uint32_t));
        /* first[b] .. first[b + 1]: the shards of bin b (the head's shards
         * are sorted by bin), so a host costs its bins, not the head. */
        first = calloc((size_t) h->bins + 1, sizeof(size_t));
        if (!bins || !first)
                return -ENOMEM;
        for (size_t i = 0; i < h->n_shards; i++)
                first[h->shards[i].bin + 1]++;
        for (uint32_t b = 0; b < h->bins; b++)
                first[b + 1] += first[b];
        in = streq(facts_file, "-") ? stdin : fopen(facts_file, "re");
        if (!in) {
                r = -errno;
                ctl_error("%s: %s", facts_file, strerror(-r));
                return r;
        }
        r = 0;
        while ((k = getline(&line, &cap, in)) >= 0) {
                struct host_facts f = {};
                size_t n_bins, n = 1;
                uint64_t bytes = head_size;
                char *l = line;

                lineno++;
                while (k > 0 && (l[k - 1] == '\n' || l[k - 1] == '\r'))
                        l[--k] = '\0';
                if (*l == '\0' || *l == '#')
                        continue;
                if (facts_from_line(l, &f, &err) < 0) {
                        ctl_error("%s:%lu: %s", facts_file, lineno, err.message);
                        host_facts_done(&f);
                        r = -EINVAL;
                        break;
                }
                if (f.n_facts > JIT_FACTS_MAX) {
                        ctl_error("%s:%lu: more than %u facts", facts_file, lineno, JIT_FACTS_MAX);
                        host_facts_done(&f);
                        r = -E2BIG;
                        break;
                }
                n_bins = store_host_bins(&f, h->bins, bins);
                host_facts_done(&f);
                if (!totals)
                        printf("%lu %s:%zu", lineno, STORE_HEAD_FILE, head_size);
                for (size_t j = 0; j < n_bins; j++)
                        for (size_t i = first[bins[j]]; i < first[bins[j] + 1]; i++) {
                                n++;
                                bytes += h->shards[i].size;
                                if (!totals)
                                        printf(" %s:%" PRIu32, h->shards[i].digest,
                                               h->shards[i].size);
                        }
                if (totals)
                        printf("%lu %zu %" PRIu64 "\n", lineno, n, bytes);
                else
                        putchar('\n');
        }
        free(line);
        if (in != stdin)
                (void) fclose(in);
        if (fflush(stdout) != 0)
                return -EIO;
        return r;
}

int verb_store(int argc, char *argv[]) {
        enum {
                ARG_STORE = 0x100,
                ARG_FACTS_FILE,
                ARG_TOTALS,
        };
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"store", required_argument, NULL, ARG_STORE},
                {"facts-file", required_argument, NULL, ARG_FACTS_FILE},
                {"totals", no_argument, NULL, ARG_TOTALS},
                {},
        };
        const char *store = NULL, *facts_file = NULL;
        bool totals = false;
        int c, r;

        if (argc < 2 || !streq(argv[1], "plan")) {
                if (argc >= 2 && (streq(argv[1], "--help") || streq(argv[1], "-h"))) {
                        help();
                        return EXIT_OK;
                }
                ctl_error("store: expected 'plan'; run 'jitctl store plan --help'");
                return EXIT_USAGE;
        }
        argc--;
        argv++;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                case ARG_STORE:
                        store = optarg;
                        break;
                case ARG_FACTS_FILE:
                        facts_file = optarg;
                        break;
                case ARG_TOTALS:
                        totals = true;
                        break;
                default:
                        return EXIT_USAGE;
                }
        if (optind < argc || !store || !facts_file) {
                ctl_error("store plan: --store DIR and --facts-file FILE are required");
                return EXIT_USAGE;
        }
        r = plan(store, facts_file, totals);
        return r < 0 ? EXIT_SYSTEM : EXIT_OK;
}
