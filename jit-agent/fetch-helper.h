/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The fetch helper jit-fetch as the agent starts it: its path, the
 * --name=value options of a store fetch (the helper's command line, or a
 * request to jit-fetch --serve: the same strings), spawning it, and
 * whether a store takes the instance's credentials (then its fetches go to
 * the long-lived server, fetch-server.h). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fetch-wire.h" /* struct fetch_options */

/* The most options a store fetch's argv holds besides its objects. */
#define FETCH_HELPER_ARGS_MAX 24

/* The helper's path: $JIT_FETCH_HELPER (for running from a build tree), else
 * the installed one. */
const char *fetch_helper_path(void);

/* Building a helper's argv (argv[0] is the helper's path, not freed):
 * --name=value appended at argv[*n], nothing for a NULL value; every
 * argument after argv[0] freed. */
int fetch_helper_arg(char **argv, size_t *n, const char *name, const char *value);
int fetch_helper_arg_u64(char **argv, size_t *n, const char *name, uint64_t value);
void fetch_helper_argv_free(char **argv);

/* The options of a fetch of o (url, limits, TLS, ETag, digest, store and
 * credentials options) from argv[1] on; argv has FETCH_HELPER_ARGS_MAX + 1
 * slots at least, the rest NULL. */
int fetch_helper_store_argv(const struct fetch_options *o, char **argv);

/* Start the helper with argv (freed here, but argv[0]), stdin /dev/null,
 * stdout stdout_fd, no signal blocked and every one at its default (the
 * agent blocks those it handles through signalfd). */
int fetch_helper_spawn(char **argv, int stdout_fd, pid_t *ret);
/* The same with stdin stdin_fd. */
int fetch_helper_spawn_io(char **argv, int stdin_fd, int stdout_fd, pid_t *ret);

/* Does a fetch of o carry the instance's credentials (store_auth, or auto
 * from the URL: common/host/store-cloud.h, the rule jit-fetch follows)? */
bool fetch_helper_takes_credentials(const struct fetch_options *o);

/* The options of o that a long-lived helper is started for: whose
 * credentials, from which metadata service, to which endpoint, with which
 * TLS options. Two fetches with the same key may share a server.
 * *ret is the caller's to free. */
int fetch_helper_server_key(const struct fetch_options *o, char **ret);
