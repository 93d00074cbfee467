/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetch-helper.h"
#include "macro.h"
#include "store-cloud.h"

extern char **environ;

const char *fetch_helper_path(void) {
        const char *p = getenv("JIT_FETCH_HELPER");
        return p && *p ? p : JIT_FETCH_HELPER;
}

/* --name=value, or nothing for a NULL value. */
int fetch_helper_arg(char **argv, size_t *n, const char *name, const char *value) {
        if (!value)
                return 0;
        if (asprintf(&argv[*n], "--%s=%s", name, value) < 0)
                return -ENOMEM;
        (*n)++;
        return 0;
}

int fetch_helper_arg_u64(char **argv, size_t *n, const char *name, uint64_t v) {
        char buf[24];

        (void) snprintf(buf, sizeof(buf), "%" PRIu64, v);
        return fetch_helper_arg(argv, n, name, buf);
}

void fetch_helper_argv_free(char **argv) {
        for (size_t i = 1; argv[i]; i++) {
                free(argv[i]);
                argv[i] = NULL;
        }
}

int fetch_helper_store_argv(const struct fetch_options *o, char **argv) {
        size_t n = 1;
        int r;

        if ((r = fetch_helper_arg(argv, &n, "url", o->url)) < 0 ||
            (r = fetch_helper_arg_u64(argv, &n, "connect-timeout-usec", o->connect_timeout_usec)) <
                    0 ||
            (r = fetch_helper_arg_u64(argv, &n, "timeout-usec", o->total_timeout_usec)) < 0 ||
            (o->max_size > 0 &&
             (r = fetch_helper_arg_u64(argv, &n, "max-size", o->max_size)) < 0) ||
            (r = fetch_helper_arg(argv, &n, "ca-file", o->ca_file)) < 0 ||
            (r = fetch_helper_arg(argv, &n, "client-cert", o->client_cert)) < 0 ||
            (r = fetch_helper_arg(argv, &n, "client-key", o->client_key)) < 0 ||
            (r = fetch_helper_arg(argv, &n, "pinned-pubkey", o->pinned_pubkey)) < 0 ||
            (r = fetch_helper_arg(argv, &n, "etag", o->etag)) < 0 ||
            (r = fetch_helper_arg(argv, &n, "store-auth", o->store_auth)) < 0 ||
            (r = fetch_helper_arg(argv, &n, "store-endpoint", o->store_endpoint)) < 0 ||
            (r = fetch_helper_arg(argv, &n, "store-region", o->store_region)) < 0 ||
            (r = fetch_helper_arg(argv, &n, "store-client-id", o->store_client_id)) < 0 ||
            (r = fetch_helper_arg(argv, &n, "endpoint", o->metadata_endpoint)) < 0 ||
            (r = fetch_helper_arg(argv, &n, "sha256", o->sha256)) < 0 ||
            (o->allow_http && !(argv[n++] = strdup("--allow-http")))) {
                fetch_helper_argv_free(argv);
                return r < 0 ? r : -ENOMEM;
        }
        return 0;
}

int fetch_helper_spawn(char **argv, int stdout_fd, pid_t *ret) {
        return fetch_helper_spawn_io(argv, -1, stdout_fd, ret);
}

int fetch_helper_spawn_io(char **argv, int stdin_fd, int stdout_fd, pid_t *ret) {
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        sigset_t none, defaults;
        int r;

        /* The agent blocks the signals it handles through signalfd; the
         * helper starts with none blocked and every one at its default. */
        sigemptyset(&none);
        sigfillset(&defaults);
        posix_spawnattr_init(&attr);
        posix_spawnattr_setsigmask(&attr, &none);
        posix_spawnattr_setsigdefault(&attr, &defaults);
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
        posix_spawn_file_actions_init(&fa);
        if (stdin_fd >= 0)
                posix_spawn_file_actions_adddup2(&fa, stdin_fd, STDIN_FILENO);
        else
                posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_adddup2(&fa, stdout_fd, STDOUT_FILENO);

        r = -posix_spawn(ret, argv[0], &fa, &attr, argv, environ);

        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        fetch_helper_argv_free(argv);
        return r;
}

bool fetch_helper_takes_credentials(const struct fetch_options *o) {
        enum cloud cloud = CLOUD_NONE;
        char msg[160];

        /* A setting that does not fit the URL is the one-shot helper's to
         * answer, in its words. */
        if (!o->url || store_url_cloud_setting(o->url, o->store_auth, &cloud, msg, sizeof(msg)) < 0)
                return false;
        return cloud == CLOUD_AWS || cloud == CLOUD_GCP || cloud == CLOUD_AZURE;
}

int fetch_helper_server_key(const struct fetch_options *o, char **ret) {
        /* Unit separators between the fields: none of them holds a control byte. */
        return asprintf(ret, "%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%d",
                        strempty(o->store_auth), strempty(o->store_endpoint),
                        strempty(o->store_region), strempty(o->store_client_id),
                        strempty(o->metadata_endpoint), strempty(o->ca_file),
                        strempty(o->client_cert), strempty(o->client_key),
                        strempty(o->pinned_pubkey), o->allow_http ? 1 : 0) < 0
                       ? -ENOMEM
                       : 0;
}
