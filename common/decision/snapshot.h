/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What an access decision rests on, read from the host in one place, so that
 * decide() (access.h) reads nothing: the grants (verified and parsed), the
 * revocations, the store's freshness, the exemptions, a token typed at the
 * prompt, and which live sessions hold which bind=session grant.
 *
 * pam_jit loads one snapshot per hook call for one user, reading no more than
 * a decision needs (the user's file; the state file and the revoked list only
 * for a typed token; /proc only for the holders of a bind=session grant).
 * jit-agent keeps the verified grants of the applied bundle (struct
 * host_grants) between reconciles and builds one snapshot around them per
 * reconcile. */

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "grant.h"
#include "host-context.h"

/* One user's grants, from state_dir/users/<user> (user-grants.h). */
struct user_view {
        char *user;
        int64_t bundle_exp;    /* freshness deadline of the bundle the file came from */
        struct grant **grants; /* the tokens that verified, in file order; packed */
        size_t n_grants;
        size_t n_invalid; /* tokens that failed verification: as if absent */
        char *invalid;    /* why the first of them failed, for the log; NULL if none */
        char **revoked;   /* ids of the user's revoked grants, sorted */
        size_t n_revoked;
};

/* The verified grants of the accepted bundle: of one user (pam_jit) or of
 * every user (jit-agent, which keeps it until the bundle or the trust store
 * changes). */
struct host_grants {
        struct user_view *users; /* sorted by user */
        size_t n_users;
        char **unreadable; /* users whose file could not be read: decide() cannot tell */
        char **bind_jtis;  /* ids of every bind=session grant here, sorted */
        size_t n_bind_jtis;
        bool have_state;        /* the state file was read: the fields below are set */
        int64_t bundle_exp;     /* of the accepted bundle; 0 when none */
        char bundle_sha256[65]; /* which bundle these came from; "" when none */
};

void host_grants_free(struct host_grants *g);
/* A copy of g in one allocation, freed with free(): the agent keeps every
 * grant of the bundle between reconciles, and a dozen small allocations each
 * would double the memory they take (docs/benchmarks.md). */
struct grant *grant_pack(const struct grant *g);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct host_grants *, host_grants_free);
/* state_dir/users/<user> only. A user without a file gets an empty set. */
int host_grants_load_user(const struct jit_context *ctx, const char *user, struct host_grants **ret,
                          struct jit_error *err);
/* The state file, then every state_dir/users/<user>: each token verified
 * once. An unreadable user file is named in ->unreadable (decisions about
 * that user fail, as reading it at decision time would) and counted in
 * *ret_unreadable, err saying why the first one failed. */
int host_grants_load_all(const struct jit_context *ctx, struct host_grants **ret,
                         size_t *ret_unreadable, struct jit_error *err);
const struct user_view *host_grants_user(const struct host_grants *g, const char *user);
/* The digest of the accepted bundle as the state file names it ("" when
 * there is none): how the agent knows its kept grants are still current. */
int host_grants_current_sha256(const struct jit_context *ctx, char ret[65], struct jit_error *err);

/* A live session holding a bind=session grant (as its login grant or an
 * elevation's). */
struct session_hold {
        char *session;
        char *jti; /* NULL: the record was unreadable, it may hold any */
        int live;  /* 1: its leader runs; negative errno: cannot tell */
};

struct host_snapshot {
        /* borrowed from the host context */
        const struct jit_config *config;
        const struct grant_policy *policy;
        const struct host_facts *facts;

        const struct host_grants *grants; /* owned by grants_owned, or by the caller */
        struct host_grants *grants_owned;

        /* Freshness for stale_policy = deny when no user file says it. */
        bool bundle_exp_known;
        int64_t bundle_exp;

        /* Exempt users and group (break-glass, automation): the users found
         * exempt at load time. */
        char **exempt;

        /* A token typed at the prompt: verified at load time. */
        bool typed_given;
        struct grant *typed; /* NULL when it failed verification */
        struct jit_error typed_error;
        bool typed_revoked; /* in the global revoked list or the user's file */

        /* The session view bind=session needs (empty when no grant binds). */
        struct session_hold *holds;
        size_t n_holds;
};

struct snapshot_load {
        const char *user;                 /* read this user's file */
        const struct host_grants *grants; /* or use these (the agent's kept grants) */
        const char *typed_token;          /* verify this token too */
        const char *own_session;          /* this session: left out of the session view */
        bool check_exempt;                /* look the user up in the exemptions first */
};

/* 0 with *ret filled, or a negative errno (unsafe or corrupt files, out of
 * memory): the caller denies. The context must outlive the snapshot. */
int snapshot_load(const struct jit_context *ctx, const struct snapshot_load *what,
                  struct host_snapshot *ret, struct jit_error *err);
void snapshot_done(struct host_snapshot *s);
/* Did the load find user exempt? decide() answers VERDICT_EXEMPT then. */
bool snapshot_user_exempt(const struct host_snapshot *s, const char *user);

/* Is user named by exempt_users, or a member of exempt_group (primary or
 * supplementary)? */
int user_is_exempt(const struct jit_config *c, const char *user, bool *ret);
