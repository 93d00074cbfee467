/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* jit-fetch: one fetch from the store (a head or a run of shards), for
 * jit-agent, in a process of its own; or, for a store reached with the
 * instance's credentials, a long-lived process that runs the agent's
 * requests one after another (--serve, serve.c), so the credentials live in
 * its memory until near their end rather than one process per fetch.
 * Its lines on stderr (the agent's stderr, so the journal under systemd) are
 * the rare failures of the helper itself; what it fetched, or why it could
 * not, goes to the agent over the wire, and the agent logs it.
 *
 * The code that talks to the network (libcurl, TLS, HTTP, and the libraries
 * Debian's libcurl pulls in: krb5, ldap, ssh2, rtmp, gnutls, …) runs here,
 * not in the agent that holds CAP_KILL and writes the key files: the helper
 * gives up every capability, sets no_new_privs and confines itself with
 * Landlock to reading files before it parses a byte from the network. It
 * writes the outcome to stdout (wire/fetch-wire.h) and exits; the agent verifies
 * the body as it verifies anything from the store. Keeping libcurl out of the agent is also
 * what keeps the long-running agent small (docs/benchmarks.md). */

#include <errno.h>
#include <linux/capability.h>
#include <linux/landlock.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#include "credentials.h"
#include "fetch-args.h"
#include "fetch-run.h"
#include "macro.h"
#include "metadata-facts.h"
#include "serve.h"
#include "subscribe.h"

#ifndef LANDLOCK_ACCESS_FS_REFER
#define LANDLOCK_ACCESS_FS_REFER (1ULL << 13)
#endif
#ifndef LANDLOCK_ACCESS_FS_TRUNCATE
#define LANDLOCK_ACCESS_FS_TRUNCATE (1ULL << 14)
#endif

/* Every right that changes the file system, by Landlock ABI version. */
static uint64_t landlock_write_rights(int abi) {
        uint64_t rights = LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_REMOVE_DIR |
                          LANDLOCK_ACCESS_FS_REMOVE_FILE | LANDLOCK_ACCESS_FS_MAKE_CHAR |
                          LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                          LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO |
                          LANDLOCK_ACCESS_FS_MAKE_BLOCK | LANDLOCK_ACCESS_FS_MAKE_SYM;
        if (abi >= 2)
                rights |= LANDLOCK_ACCESS_FS_REFER;
        if (abi >= 3)
                rights |= LANDLOCK_ACCESS_FS_TRUNCATE;
        return rights;
}

/* No file may be written, created, removed or renamed from here on: a
 * ruleset that handles every write right and grants none. A kernel without
 * Landlock (before 5.13, or not enabled) leaves the other two fences. */
static int confine_to_reading(void) {
        struct landlock_ruleset_attr attr = {};
        int abi, fd;

        abi = (int) syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
        if (abi < 1)
                /* ENOSYS, EOPNOTSUPP: no Landlock here; EPERM: a seccomp
                 * filter without it (jit-agent.service allows it). */
                return errno == ENOSYS || errno == EOPNOTSUPP || errno == EPERM ? 0 : -errno;
        attr.handled_access_fs = landlock_write_rights(abi);
        fd = (int) syscall(SYS_landlock_create_ruleset, &attr, sizeof(attr), 0);
        if (fd < 0)
                return -errno;
        int r = (int) syscall(SYS_landlock_restrict_self, fd, 0);
        int e = errno;
        close(fd);
        return r < 0 ? -e : 1;
}

/* Under jit-agent.service the helper starts with no capability at all
 * (SecureBits=noroot, and the agent clears its ambient set); started by a
 * root agent elsewhere it has root's, and drops them. It never runs the
 * network code with a capability: if they cannot be dropped, it stops. */
static int drop_capabilities(void) {
        struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3};
        struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
        bool any = false;

        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return -errno;
        if (syscall(SYS_capget, &header, data) < 0)
                return -errno;
        /* The inheritable set alone grants nothing: with the ambient set
         * empty, no_new_privs and no exec, it never reaches permitted. (systemd
         * leaves CAP_KILL in it, for the agent's ambient capability, and
         * its seccomp filter refuses capset().) */
        for (size_t i = 0; i < _LINUX_CAPABILITY_U32S_3; i++)
                any = any || data[i].effective || data[i].permitted;
        if (!any)
                return 0;
        memset(data, 0, sizeof(data));
        if (syscall(SYS_capset, &header, data) < 0)
                return -errno;
        return 0;
}

static int drop_privileges(void) {
        int r;

        r = drop_capabilities();
        if (r < 0)
                return r;
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                return -errno;
        return confine_to_reading();
}

static void help(void) {
        printf("jit-fetch --url=URL [OPTIONS]\n\n"
               "Fetch one object of the store (its head or a shard) for jit-agent and write the "
               "outcome to stdout.\n"
               "Started by jit-agent; not meant to be run by hand.\n\n"
               "  --url=URL                  https://, file:// (http:// with --allow-http)\n"
               "  --connect-timeout-usec=N\n"
               "  --timeout-usec=N\n"
               "  --max-size=BYTES\n"
               "  --ca-file=PATH  --client-cert=PATH  --client-key=PATH\n"
               "  --pinned-pubkey=PIN        a path or sha256//…\n"
               "  --allow-http\n"
               "  --etag=ETAG                If-None-Match\n"
               "  --sha256=HEX               the body must hash to this (a shard's name)\n"
               "  --object=HEX:SIZE          a shard under --url's objects/ (repeatable, at most "
               "%u):\n"
               "                             one answer each, in order, on one connection\n"
               "  --run-timeout-usec=N       the whole run of --object shards\n"
               "  --store-auth=auto|aws|gcp|azure|none   credentials of this instance's identity\n"
               "  --store-endpoint=URL  --store-region=REGION  --store-client-id=ID\n"
               "  --endpoint=URL             the metadata service for credentials: tests only\n\n"
               "  --subscribe                hold the notify_url subscription at --url and\n"
               "                             write one line per event (wire/hint-wire.h)\n\n"
               "jit-fetch --serve\n\n"
               "Run request after request, each the options above as NUL-ended strings on stdin\n"
               "(wire/fetch-request.h), each answered on stdout as a one-shot run would; the\n"
               "instance's credentials stay in memory between them.\n\n"
               "jit-fetch --metadata=CLOUD [--timeout-usec=N] [--max-size=BYTES]\n\n"
               "Ask this host's cloud metadata service (aws, gcp, azure) for its facts.\n"
               "  --endpoint=URL             another metadata service: for tests only\n",
               JIT_FETCH_OBJECTS_MAX);
}

int main(int argc, char *argv[]) {
        _cleanup_(sd_event_unrefp) sd_event *event = NULL;
        static struct fetch_args a;
        struct fetch_runner *runner = NULL;
        struct subscriber *sub = NULL;
        char msg[256];
        int r;

        /* Before anything else: nothing below needs a privilege. */
        r = drop_privileges();
        if (r < 0) {
                fprintf(stderr, "<%d>jit-fetch: cannot drop privileges: %s\n", LOG_ERR,
                        strerror_r(-r, (char[128]){}, 128));
                return EXIT_FAILURE;
        }

        r = fetch_args_parse(argc, argv, &a, msg, sizeof(msg));
        if (r < 0) {
                fprintf(stderr, "jit-fetch: %s\n", msg);
                return 2;
        }
        if (a.help) {
                help();
                return EXIT_SUCCESS;
        }
        if (a.m.cloud != CLOUD_NONE)
                return metadata_facts_job(&a.m, STDOUT_FILENO) < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        if (a.serve)
                return fetch_serve(STDIN_FILENO, STDOUT_FILENO);

        if (a.subscribe) {
                /* The hint server is no store: no credentials are asked for it. */
                r = sd_event_new(&event);
                if (r < 0)
                        return EXIT_FAILURE;
                /* Held for as long as the agent runs, never longer (an agent
                 * gone before this line closed the pipe: its watch ends us). */
                if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0)
                        return EXIT_FAILURE;
                (void) signal(SIGPIPE, SIG_IGN); /* a write to a gone agent fails instead */
                r = subscribe_start(event, &a.o, STDOUT_FILENO, &sub);
                if (r >= 0)
                        r = sd_event_loop(event);
                subscriber_free(sub);
                return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
        }

        /* One request: the head, or the shards of --object=SHA:SIZE … one
         * after another on one connection (fetch-run.h). What is wrong with
         * the store or the credentials (no role, no identity) is the
         * request's answer, in words that say what to fix. */
        r = fetch_runner_new(false, &runner);
        if (r < 0)
                /* Still an answer the agent can log: what could not start. */
                return fetch_run_answer_error(STDOUT_FILENO, a.objects, a.n_objects, r,
                                              "cannot start the transfer") < 0
                               ? EXIT_FAILURE
                               : EXIT_SUCCESS;
        r = fetch_runner_run(runner, &a.o, a.objects, a.n_objects, a.run_timeout_usec,
                             STDOUT_FILENO);
        fetch_runner_free(runner);
        credentials_forget(); /* wiped, not left to the exit */
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
