/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A host's enforcement status in one place: the agent's sd_notify STATUS=
 * line and `jitctl status` both come from here (docs/jitctl.1.scd, STATUS).
 * The agent fills a struct host_status after each reconcile and poll, sends
 * host_status_line() as STATUS= and saves the struct as run_dir/agent-status
 * (root 0644, replaced atomically); jitctl status reads that file for what
 * only the agent knows (failed polls, the store's clock, its counts) and
 * classifies the store with the same store_freshness_of(). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "host-state.h"
#include "jit-conf.h"

#define AGENT_STATUS_FILE "agent-status"

enum store_freshness {
        STORE_NO_BUNDLE,       /* nothing accepted yet: every login without a grant */
        STORE_FRESH,           /* the bundle held is within its freshness */
        STORE_UNREACHABLE,     /* fresh, but the last polls failed */
        STORE_STALE_ADMITTING, /* past the bundle's exp; grants still admit */
        STORE_STALE_REFUSING,  /* stale_policy = deny in force: logins are refused */
        _STORE_FRESHNESS_MAX,
};

/* "no-bundle", "fresh", "unreachable", "stale-but-admitting",
 * "stale-and-refusing". */
const char *store_freshness_name(enum store_freshness f);
int store_freshness_from_name(const char *s);

/* The store's state from the state file (st NULL or serial 0: none yet),
 * the agent's consecutive failed polls, and now. */
enum store_freshness store_freshness_of(const struct jit_config *c, const struct host_state *st,
                                        unsigned failures, int64_t now);

struct host_status {
        pid_t pid;       /* the agent's */
        int64_t updated; /* when the agent last wrote it */
        enum store_freshness store;
        uint64_t serial;     /* of the accepted bundle; 0 none */
        int64_t bundle_exp;  /* its freshness deadline */
        int64_t last_fetch;  /* last successful fetch */
        unsigned failures;   /* consecutive failed polls */
        int64_t store_skew;  /* the store's clock minus ours, at the last fetch */
        size_t n_grants;     /* usable grants on this host */
        size_t n_sessions;   /* live sessions on a grant */
        int64_t next_expiry; /* 0: none */
        char problem[96];    /* after failed polls, what failed ("no instance role"); "" */
        char error[512];     /* ... and the whole message, with what to fix; "" */
};

/* "3 grants, 1 session, next expiry 14:05:00 UTC, store fresh", and
 * " (problem)" when there is one. */
void host_status_line(const struct host_status *s, char *buf, size_t size);

/* run_dir/agent-status: "keyword value" lines of s. */
int host_status_save(const char *run_dir, const struct host_status *s, struct jit_error *err);
/* -ENOENT when the agent never wrote it. */
int host_status_load(const char *run_dir, struct host_status *ret, struct jit_error *err);
