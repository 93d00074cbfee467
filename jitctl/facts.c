/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jitctl facts: the facts this host has (run_dir/facts, as the agent wrote
 * it, or what jit.conf gives without it), where each came from, the age of
 * the cloud's, and which a grant's selector may name (selector_facts). */

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cloud-facts-file.h"
#include "facts-file.h"
#include "jitctl.h"

static void help(void) {
        printf("jitctl facts [--config FILE]\n\n"
               "Show this host's facts, where each came from, the age of the cloud facts,\n"
               "and which ones a grant's selector may name (selector_facts in jit.conf).\n\n"
               "  --config FILE   jit.conf to read (default " JIT_CONFIG_PATH
               ")\n\n" EXIT_CODES_HELP);
}

static bool is_label(const struct jit_config *c, const char *fact) {
        size_t kl = strcspn(fact, "=");

        for (char **l = c->labels; l && *l; l++)
                if (strncmp(*l, fact, kl) == 0 && (*l)[kl] == '=')
                        return true;
        return false;
}

static bool has_prefix(const char *s, const char *p) {
        return strncmp(s, p, strlen(p)) == 0;
}

/* Where a fact comes from, in the words of docs/admin-guide.md's table. */
static const char *fact_source(const struct jit_config *c, const char *fact) {
        static const struct {
                const char *prefix, *source;
        } clouds[] = {
                {"aws.tag.", "AWS IMDSv2 meta-data/tags/instance"},
                {"aws.", "AWS IMDSv2 instance identity document"},
                {"gcp.attr.", "GCP metadata instance/attributes"},
                {"gcp.", "GCP metadata server"},
                {"azure.tag.", "Azure IMDS compute tagsList"},
                {"azure.", "Azure IMDS compute"},
        };

        if (has_prefix(fact, "host="))
                return c->host_id ? "jit.conf host_id" : "the hostname";
        if (is_label(c, fact))
                return "jit.conf labels";
        for (size_t i = 0; i < ELEMENTSOF(clouds); i++)
                if (has_prefix(fact, clouds[i].prefix))
                        return clouds[i].source;
        return "unknown (not in this jit.conf)";
}

int verb_facts(int argc, char *argv[]) {
        static const struct option options[] = {
                {"config", required_argument, NULL, 'c'},
                {"help", no_argument, NULL, 'h'},
                {},
        };
        _cleanup_(config_freep) struct jit_config *c = NULL;
        struct cloud_facts_record rec = {};
        struct host_facts f = {};
        struct jit_error err = {};
        const char *path = JIT_CONFIG_PATH;
        _cleanup_free_ char *facts_path = NULL;
        char age[64] = "-";
        bool from_file;
        int opt, r;

        optind = 0;
        while ((opt = getopt_long(argc, argv, "c:h", options, NULL)) >= 0)
                switch (opt) {
                case 'c':
                        path = optarg;
                        break;
                case 'h':
                        help();
                        return EXIT_OK;
                default:
                        return EXIT_USAGE;
                }
        if (optind < argc) {
                ctl_error("facts: unexpected argument %s", argv[optind]);
                return EXIT_USAGE;
        }
        r = config_load(path, 0, &c, &err);
        if (r < 0) {
                ctl_file_error(path, &err);
                return EXIT_SYSTEM;
        }
        facts_path = path_join(c->run_dir, "facts");
        from_file = facts_path && access(facts_path, F_OK) == 0;
        r = host_facts_read(c, &f, &err);
        if (r < 0) {
                ctl_file_error(facts_path ? facts_path : c->run_dir, &err);
                return EXIT_SYSTEM;
        }
        printf("# facts: %s\n",
               from_file ? facts_path
                         : "from jit.conf (run_dir/facts not written: is jit-agent running?)");
        printf("# cloud: %s in jit.conf", cloud_to_string(c->cloud));
        if (cloud_facts_record_load(c, &rec, NULL) >= 0) {
                int64_t now = (int64_t) time(NULL);
                char when[64];

                format_utc(rec.fetched, false, when, sizeof(when));
                format_span(now > rec.fetched ? now - rec.fetched : 0, age, sizeof(age));
                printf("; %s metadata last answered %s (%s ago)\n", cloud_to_string(rec.cloud),
                       when, age);
        } else
                printf("; no cloud facts\n");
        printf("%-44s %-40s %-10s %s\n", "FACT", "SOURCE", "AGE", "SELECTABLE");
        for (size_t i = 0; i < f.n_facts; i++) {
                const char *fact = f.facts[i];
                bool cloud = rec.cloud != CLOUD_AUTO && cloud_fact_prefix(rec.cloud) &&
                             has_prefix(fact, cloud_fact_prefix(rec.cloud));

                printf("%-44s %-40s %-10s %s\n", fact, fact_source(c, fact), cloud ? age : "-",
                       host_fact_selectable(c, fact) ? "yes" : "no (selector_facts)");
        }
        host_facts_done(&f);
        cloud_facts_record_done(&rec);
        return EXIT_OK;
}
