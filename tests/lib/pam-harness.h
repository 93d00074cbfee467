/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Real PAM transactions on the built pam_jit.so without touching /etc
 * (docs/testing.md): pam_start_confdir() against service
 * files in a temporary folder that name the module by absolute path, a
 * jit.conf, trust store, state_dir and run_dir in that folder, grants minted
 * for the real clock (the module reads time(NULL)) and staged with
 * hoststate_apply_store() as jit-agent applies a head, or written straight
 * into state_dir/users/<user> where a case must bypass the agent's own
 * checks to prove the module verifies every token again.
 *
 * Helpers that assert (cmocka) are for the test process only. A forked
 * child (sudo and session cases need their own audit session and real uid)
 * uses only the helpers marked "child-safe" and reports through shared
 * memory (struct child_report). */

#include <security/pam_appl.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "test-util.h"

#include "session-store.h"
#include "store-apply.h"
#include "user-grants.h"

#define TEST_HOST "pay-db-1"
#define CONV_MESSAGES_MAX 16u
#define CONV_TEXT_MAX 512u
#define CONV_ANSWERS_MAX 4u

/* What the conversation function does with a prompt. */
enum conv_mode {
        CONV_ANSWER,     /* answer from answers[], in order */
        CONV_FAIL,       /* return PAM_CONV_ERR */
        CONV_NULL_REPLY, /* return PAM_SUCCESS with *resp = NULL */
};

struct conv_message {
        int style;
        char text[CONV_TEXT_MAX];
};

/* Fixed size, no pointers to the heap it owns: it may live in shared memory
 * written by a forked child. */
struct conv_log {
        enum conv_mode mode;
        const char *answers[CONV_ANSWERS_MAX];
        size_t n_answered;
        struct conv_message msg[CONV_MESSAGES_MAX];
        size_t n_msg;
        bool overflow; /* more messages than msg[] holds */
};

/* The keys of a test process: the trusted signer, a key whose kid is not in
 * the trust store, and an impostor that reuses the trusted kid. */
struct harness_keys {
        struct test_key trusted;  /* kid "k1", in trust.jwks */
        struct test_key unknown;  /* kid "k9", not in trust.jwks */
        struct test_key impostor; /* kid "k1" again, a different key */
};

/* Another login session on this host: a child process in its own audit
 * session, alive until live_session_stop() (or fixture_done()). */
struct live_session {
        pid_t pid; /* 0: none */
        int fd;    /* write end of the pipe the child waits on */
        char id[32];
};

struct fixture {
        char root[64]; /* mkdtemp under /tmp, root 0755 */
        char *conf;    /* root/jit.conf */
        char *trust;   /* root/trust.jwks */
        char *state;   /* root/state */
        char *run;     /* root/run */
        char *pamd;    /* root/pam.d: the confdir */
        const char *module;
        int64_t now; /* the instant every token of the case is minted at */
        const struct harness_keys *keys;
        const void *row; /* the table row of a table-driven case */
        struct live_session live;
        void **owned; /* freed by fixture_done(), see fixture_own() */
        size_t n_owned;
};

/* Generate the keys (Ed25519: quick also under valgrind). */
void harness_keys_init(struct harness_keys *k);
void harness_keys_done(struct harness_keys *k);

/* The module under test ($JIT_PAM_MODULE, set by meson). Fails the test
 * when unset. */
const char *harness_module(void);

/* 0 when the harness can run here (root), else 77 after saying why: meson
 * counts 77 as skipped. CI runs as root. */
int harness_require_root(void);

/* mkdtemp a root folder with state/, run/, pam.d/ and an "other" service
 * that denies; write the trust store (the trusted key) and a jit.conf of
 * issuers, trust_store, state_dir, run_dir, host_id, labels followed by
 * extra_conf lines (may be NULL). now = time(NULL). */
void fixture_init(struct fixture *f, const struct harness_keys *keys, const char *extra_conf);
/* Hand p (heap, may be NULL) to the fixture, which frees it in
 * fixture_done(); returns p. A failed cmocka assertion longjmps past
 * _cleanup_ handlers: what a test body allocates is owned by the fixture
 * instead, so a failing case leaks nothing into the next cases' forked
 * children (which valgrind checks for leaks too). */
void *fixture_own(struct fixture *f, void *p);
/* Remove the folder and free. NULL-safe. */
void fixture_done(struct fixture *f);

/* Rewrite jit.conf (base lines + extra). */
void fixture_write_config(struct fixture *f, const char *extra_conf);

/* A service file named service in pam.d: auth, account, session and
 * password lines for the module with "config=<conf> args"; when
 * loginuid_first, "session required pam_loginuid.so" comes before it. */
void fixture_write_service(struct fixture *f, const char *service, const char *args,
                           bool loginuid_first);

/* A grant signed by k at f->now with claim overrides (test_grant_claims). */
char *fixture_grant(const struct fixture *f, const struct test_key *k,
                    const struct test_member *overrides);

/* Stage the host from the n tokens and the revoked ids (a JSON array of
 * strings; NULL: none) as jit-agent would: shards, a head signed by the
 * trusted key with head claim overrides, hoststate_apply_store() for the
 * host's facts at f->now (test-store.h). Asserts success. */
void fixture_apply(struct fixture *f, char *const *tokens, size_t n, const char *revoked_json,
                   const struct test_member *head_overrides);

/* Write state_dir/users/<user> directly (user_grants_format(), root
 * 0600): serial 7, bundle-exp now + bundle_exp_offset, the tokens and the
 * revoked ids as given, with no verification at all. */
void fixture_write_user_file(struct fixture *f, const char *user, char *const *tokens, size_t n,
                             char *const *revoked, int64_t bundle_exp_offset);

/* Write a file below the fixture root (relative path) with mode. */
void fixture_write_file(struct fixture *f, const char *rel, const char *text, mode_t mode);
/* root/rel as a heap string. */
char *fixture_path(const struct fixture *f, const char *rel);

/* "HH:MM:SS" (UTC) of t into buf (at least 9 bytes). Child-safe. */
const char *hms(int64_t t, char *buf, size_t size);

/* Conversation: records every message, answers prompts per log->mode.
 * appdata_ptr is a struct conv_log. Child-safe. */
int conv_record(int n, const struct pam_message **msg, struct pam_response **resp,
                void *appdata_ptr);

/* pam_start_confdir(service, user) with conv_record on log. Child-safe:
 * returns the PAM code. */
int harness_pam_start(const struct fixture *f, const char *service, const char *user,
                      struct conv_log *log, pam_handle_t **ret);

/* Messages of a style (0: any) in log; the first containing needle. */
size_t conv_count(const struct conv_log *log, int style);
const struct conv_message *conv_find(const struct conv_log *log, int style, const char *needle);
/* Print the log (for failure reports). */
void conv_dump(const char *name, const struct conv_log *log);

/* "PAM_SUCCESS", "PAM_PERM_DENIED", … */
const char *pam_code_name(int code);

/* A forked child's result, in MAP_SHARED memory. */
struct child_report {
        int rc[8];            /* per step, as the case defines */
        struct conv_log log;  /* the conversation of the case */
        struct conv_log log2; /* of a second handle (another session), if any */
        char env[4][256];     /* JIT_GRANT_ID, _EXPIRES, _REASON, _EXPIRES_EPOCH */
        char session_id[32];  /* the child's /proc/self/sessionid */
        char failure[1024];   /* first check that failed in the child, "" if none */
        bool ran;             /* the case function returned */
};

/* Child-side failure: record the first message, keep going. Child-safe. */
void child_fail(struct child_report *rep, const char *fmt, ...) _printf_(2, 3);

/* Options for run_in_child(). */
struct child_opts {
        bool audit_session; /* write "0" to /proc/self/loginuid first (new audit session) */
        bool no_session;    /* make sure there is no audit session (loginuid -1) */
        uid_t ruid;         /* setresuid(ruid, 0, 0) when ruid != 0 (sudo's invoker) */
};

/* Fork; in the child set up the process as opts says, run fn(f, rep, data)
 * and _exit(0). The parent waits and asserts a clean exit (also valgrind's:
 * a child with memory errors exits 1). Returns the shared report, unmap
 * with child_report_free(). */
struct child_report *
run_in_child(const struct fixture *f, const struct child_opts *opts,
             void (*fn)(const struct fixture *f, struct child_report *rep, void *data), void *data);
void child_report_free(struct child_report *rep);

/* The uid of a system user with a name (for sudo invokers). */
uid_t harness_uid_of(const char *user);

/* A pid that is certainly not running (a reaped child of ours). */
pid_t harness_dead_pid(void);

/* Start f->live: fork a child that starts a new audit session (loginuid)
 * and waits; f->live.id is its session id. */
void live_session_start(struct fixture *f);
void live_session_stop(struct live_session *s);

/* Save a session record (session_record_save) and assert: id, leader and
 * audit session as given (AUDIT_SESSION_UNSET for none). */
void fixture_save_record(const struct fixture *f, const char *id, const char *grant,
                         const char *user, pid_t leader, uint32_t audit_session, bool bound);
