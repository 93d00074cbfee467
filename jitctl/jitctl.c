/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <getopt.h>
#include <stdio.h>

#include "jitctl.h"
#include "pam/cli.h"

static const struct verb {
        const char *name;
        int (*run)(int argc, char *argv[]);
        const char *summary;
} verbs[] = {
        {"keygen", verb_keygen, "create a signing key and its public JWKS"},
        {"issue", verb_issue, "sign a grant for a user, hosts, scope and time"},
        {"publish", verb_publish, "write a store folder's shards and its signed head"},
        {"store", verb_store, "plan: which objects of a store each host of a list fetches"},
        {"revoke", verb_revoke, "revoke a grant by its id (takes effect at the next publish)"},
        {"audit", verb_audit,
         "the journal's audit entries: who got in, what was denied, what ended"},
        {"status", verb_status, "this host's enforcement: agent, store, grants, sessions, expiry"},
        {"verify", verb_verify, "check a grant or a store head and explain the result"},
        {"facts", verb_facts, "show this host's facts, their sources and the cloud facts' age"},
        {"pam", verb_pam, "wire pam_jit.so into the sshd and sudo PAM stacks, or take it out"},
};

static void help(void) {
        printf("Usage: jitctl [--help] [--version] COMMAND [OPTIONS…]\n\n"
               "Issue, publish, revoke and verify just-in-time access grants.\n\n"
               "Commands:\n");
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                printf("  %-8s %s\n", verbs[i].name, verbs[i].summary);
        printf("\nRun 'jitctl COMMAND --help' for the options of a command.\n\n" EXIT_CODES_HELP);
}

int main(int argc, char *argv[]) {
        static const struct option options[] = {
                {"help", no_argument, NULL, 'h'},
                {"version", no_argument, NULL, 'V'},
                {},
        };
        int c;

        /* Stop at the first non-option: the rest belongs to the command. */
        while ((c = getopt_long(argc, argv, "+hV", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return EXIT_OK;
                case 'V':
                        printf("jitctl %s\n", PACKAGE_VERSION);
                        return EXIT_OK;
                default:
                        ctl_error("run 'jitctl --help' for usage");
                        return EXIT_USAGE;
                }

        if (optind >= argc) {
                ctl_error("no command given; run 'jitctl --help' for usage");
                return EXIT_USAGE;
        }

        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (streq(argv[optind], verbs[i].name)) {
                        int verb_argc = argc - optind;
                        char **verb_argv = argv + optind;

                        optind = 0; /* reset getopt for the command's own options */
                        return verbs[i].run(verb_argc, verb_argv);
                }

        ctl_error("unknown command '%s'; run 'jitctl --help' for usage", argv[optind]);
        return EXIT_USAGE;
}
