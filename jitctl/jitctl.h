/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared pieces of jitctl: the helpers more than one command needs (policy
 * loading, token input, time formatting, the store folder layout). Helpers return negative errno
 * after printing why; each command maps that to one of the exit codes of output.h. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "error.h"
#include "grant.h"
#include "jit-conf.h"
#include "jwk.h"
#include "macro.h"
#include "output.h"

/* The commands: each returns an exit code. */
int verb_keygen(int argc, char *argv[]);
int verb_issue(int argc, char *argv[]);
int verb_publish(int argc, char *argv[]);
int verb_revoke(int argc, char *argv[]);
int verb_verify(int argc, char *argv[]);
int verb_audit(int argc, char *argv[]);
int verb_status(int argc, char *argv[]);
int verb_facts(int argc, char *argv[]);
int verb_store(int argc, char *argv[]);

/* Option values. Each prints "jitctl: …" naming opt on failure. */
int parse_epoch_arg(const char *opt, const char *s, int64_t *ret);
int parse_duration_arg(const char *opt, const char *s, int64_t max, int64_t *ret);

/* Trust and grant policy: config (given, or defaults), trust store, issuers.
 * Flags override the config. */
struct ctl_policy {
        struct jit_config *config;
        struct trust_store *trust;
        char **issuers;
        struct grant_policy grant; /* borrows issuers */
};

struct ctl_policy_args {
        const char *config_path; /* NULL: defaults (or the host's, see below) */
        bool config_default;     /* no --config and no --trust: load JIT_CONFIG_PATH */
        const char *trust_path;  /* NULL: the config's trust_store */
        char **issuers;          /* replace the config's issuers when non-empty */
        char **add_issuers;      /* added to whatever issuers result */
        int64_t max_ttl;         /* < 0: from the config */
        int64_t clock_skew;      /* < 0: from the config */
};

int ctl_policy_load(const struct ctl_policy_args *a, struct ctl_policy *ret);
void ctl_policy_done(struct ctl_policy *p);

/* Read a whole file (or stdin for "-") of at most max bytes, refusing
 * symlinks and non-regular files (stdin excepted). */
int read_file_capped(const char *path, size_t max, char **ret, size_t *ret_len);
/* Strip leading and trailing white space in place; returns the new length. */
size_t strip_whitespace(char **s, size_t len);

/* Decode a compact JWS payload WITHOUT verifying it: for bookkeeping that a
 * signature cannot protect anyway (the previous serial, a revocation's
 * retention), never for deciding. */
int jws_peek_payload(const char *token, size_t len, struct json_object **ret,
                     struct jit_error *err);

/* A random UUID v4 string (36 chars + NUL). */
int uuid4_string(char ret[static 37]);

/* "2026-11-24 14:00:00 UTC"; time_only gives "14:00:00 UTC". */
void format_utc(int64_t t, bool time_only, char *buf, size_t size);
/* "30 min", "2 h 5 min", "45 s", "3 d 4 h". */
void format_span(int64_t seconds, char *buf, size_t size);

/* The store folder: STORE/grants/ *.jwt and STORE/revoked (the input),
 * STORE/objects/<sha256> and STORE/head.jwt (what hosts fetch),
 * STORE/retired (objects waiting out the grace). */
#define STORE_GRANTS_DIR "grants"
#define STORE_REVOKED_FILE "revoked"
#define STORE_HEAD_FILE "head.jwt"
#define STORE_OBJECTS_DIR "objects"
#define STORE_RETIRED_FILE "retired"

struct revoked_entry {
        char *jti;
        int64_t until;
};

struct revoked_list {
        struct revoked_entry *entries;
        size_t n_entries;
        char **lines; /* the file's lines as read, for rewriting in place */
};

/* Sorted list of STORE/grants/ *.jwt file names (not paths). */
int store_list_grant_files(const char *store, char ***ret);
/* Missing file: empty list. A malformed line is an error naming it. */
int store_read_revoked(const char *store, struct revoked_list *ret);
/* Add or update JTI's line (one line per JTI), write atomically. */
int store_write_revoked(const char *store, struct revoked_list *l, const char *jti, int64_t until);
void revoked_list_done(struct revoked_list *l);

struct store_build;
/* Write each shard of b as STORE/objects/<sha256> (0644, atomically),
 * unless an object of that name and size is there already. */
int store_write_objects(const char *store, const struct store_build *b, size_t *ret_written,
                        size_t *ret_kept);
/* Note in STORE/retired when each object b does not name was first seen
 * unnamed; with prune, delete those retired more than grace ago. An object
 * named again leaves the list. */
int store_retire_objects(const char *store, const struct store_build *b, int64_t now, int64_t grace,
                         bool prune, size_t *ret_retired, size_t *ret_pruned);
bool jti_is_valid(const char *s);
char *path_join(const char *a, const char *b);
/* p, made absolute against the working folder without resolving symlinks. */
char *path_absolute(const char *p);

/* The signing key of issue and publish, and its kid: *kid as given (--kid,
 * 1..JIT_KID_MAX characters) or, when NULL, the key's RFC 7638 thumbprint,
 * kept in *ret_thumb for the caller to free. Returns EXIT_OK, EXIT_USAGE or
 * EXIT_SYSTEM, having said why. */
int ctl_signing_key_load(const char *path, const char **kid, EVP_PKEY **ret, enum jws_alg *ret_alg,
                         char **ret_thumb);
