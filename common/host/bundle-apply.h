/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The files jit-agent keeps on each host and pam_jit reads (DESIGN.md, "On
 * each host"). pam_jit never reads the whole bundle: at 10 000 grants that
 * is megabytes to hash and parse on every login and sudo. When a bundle is
 * accepted, the agent also writes one small file per user holding that
 * user's grant tokens; pam_jit verifies each token's own signature again, so
 * the per-user file adds no trust, only speed.
 *
 *   state_dir/bundle.jwt      the last accepted bundle            root 0600
 *   state_dir/state           serial, hashes, fetch times          root 0600
 *   state_dir/users/<user>    the user's grants and revocations    root 0600
 *   state_dir/revoked         every revoked grant id, sorted       root 0600
 *   run_dir/facts             this host's facts                    root 0644
 */

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "bundle.h"
#include "config.h"
#include "error.h"
#include "facts.h"
#include "jwk.h"

#define JIT_USER_GRANTS_MAX 1024u              /* grants of one user in one bundle */
#define JIT_USER_FILE_MAX (4u * 1024u * 1024u) /* state_dir/users/<user> */
#define JIT_STATE_FILE_MAX 4096u
#define JIT_REVOKED_FILE_MAX (16u * 1024u * 1024u)

/* state_dir/users/<user>: lines "serial N", "bundle-exp T", then any number
 * of "grant TOKEN" and "revoked JTI". */
struct user_grants {
        uint64_t serial;    /* of the bundle this came from */
        int64_t bundle_exp; /* that bundle's freshness deadline */
        char **grants;      /* tokens whose sub is the user, NULL-terminated */
        size_t n_grants;
        char **revoked; /* ids of the user's grants that are revoked, sorted */
        size_t n_revoked;
};

void user_grants_free(struct user_grants *u);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct user_grants *, user_grants_free);
int user_grants_parse(const char *text, size_t len, struct user_grants **ret,
                      struct jit_error *err);
int user_grants_format(const struct user_grants *u, char **ret);
/* Read state_dir/users/<user> (owned by root, safe path). -ENOENT when the
 * user has no grants in the current bundle. */
int user_grants_load(const struct jit_config *c, const char *user, struct user_grants **ret,
                     struct jit_error *err);
bool user_grants_is_revoked(const struct user_grants *u, const char *jti);

/* state_dir/state: "key value" lines. */
struct host_state {
        uint64_t serial;        /* highest accepted serial; 0 = none yet */
        char bundle_sha256[65]; /* hex digest of the accepted bundle's bytes */
        int64_t bundle_iat;     /* of the accepted bundle */
        int64_t bundle_exp;     /* of the accepted bundle */
        int64_t accepted;       /* when it was accepted */
        int64_t last_fetch;     /* last successful fetch (200 or 304) */
};

int host_state_parse(const char *text, size_t len, struct host_state *ret, struct jit_error *err);
int host_state_format(const struct host_state *s, char **ret);
/* -ENOENT with *ret zeroed when there is no state yet. */
int host_state_load(const struct jit_config *c, struct host_state *ret, struct jit_error *err);
int host_state_save(const struct jit_config *c, const struct host_state *s, struct jit_error *err);
/* The SHA-256 of a bundle's bytes, in hex: how the state names a bundle. */
int bundle_sha256_hex(const void *data, size_t len, char ret[65], struct jit_error *err);

/* Is the whole revoked list (state_dir/revoked) naming jti? Only a token
 * typed at the prompt needs this: it may not be in the bundle at all. */
int host_revoked_contains(const struct jit_config *c, const char *jti, bool *ret,
                          struct jit_error *err);

/* This host's facts: run_dir/facts when the agent wrote it, otherwise
 * host=<host_id or hostname> and the config's labels. */
int host_facts_load(const struct jit_config *c, struct host_facts *ret, struct jit_error *err);

/* host=<host_id or hostname> and the labels: what the agent starts from
 * (cloud metadata facts are added to these) and writes to run_dir/facts. */
int host_facts_from_config(const struct jit_config *c, struct host_facts *ret,
                           struct jit_error *err);

/* Is stale_policy = deny in force? True when now is past the bundle's
 * freshness deadline plus stale_after (and clock_skew). */
bool host_store_is_stale(const struct jit_config *c, int64_t bundle_exp, int64_t now);

struct apply_result {
        uint64_t serial;
        size_t n_grants;  /* grants written to user files */
        size_t n_invalid; /* grants in the bundle that failed verification */
        size_t n_users;
        size_t n_revoked;
        bool unchanged; /* the same bytes as the accepted bundle */
};

/* Verify a bundle and make it this host's: refuse a lower serial, or the
 * same serial with other bytes (JIT_REASON_ROLLBACK); write bundle.jwt,
 * users/<user> for every user with grants (removing the files of users who
 * have none now), revoked, then state, each atomically. Grants that fail
 * verification are left out and counted, never fatal. jit-agent calls this
 * for every fetched bundle; tests call it to stage a host. */
int hoststate_apply_bundle(const struct jit_config *c, const struct trust_store *ts,
                           const char *token, size_t len, int64_t now, struct apply_result *ret,
                           struct jit_error *err);
