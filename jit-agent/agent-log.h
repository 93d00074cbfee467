/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The agent's log: every operational event is one journald entry with a
 * MESSAGE_ID of its kind, its priority (LOG_ERR … LOG_DEBUG) and, where they
 * apply, JIT_USER, JIT_SESSION, JIT_GRANT_ID and ERRNO. The events that are
 * also audit records (a session ended, keys written, a bundle accepted …)
 * carry the audit MESSAGE_ID of common/audit.c instead and are sent once,
 * through agent_audit(). docs/jit-agent.8.scd lists every id; the ids are
 * fixed forever, admins filter on them (journalctl MESSAGE_ID=…).
 *
 * Where stderr is not the journal (a terminal, a test reading the agent's
 * output) each event is one line "<N>message" on stderr instead: the same
 * wording, the priority as the prefix journald would read. Audit events go
 * to journald in any case, where it runs: the audit trail does not depend on
 * how the agent was started. */

#include <syslog.h>

#include "audit.h"
#include "macro.h"

/* The agent's own event kinds (not audit records). */
#define AGENT_MID_STARTED "b56e00d9f83543ba8b96273508524f93"
#define AGENT_MID_STARTUP_FAILED "d4ea9c3d7bdc4f37854efd9192374214"
#define AGENT_MID_STOPPING "57c1fd26d3a94e93861c6a8c5df29d04"
#define AGENT_MID_RELOADED "2eb1195d6ecd45fc84f63b01f66e62c9"
#define AGENT_MID_RELOAD_FAILED "d2ac848ba19a480dacefd76d0a3e0661"
#define AGENT_MID_NO_BUS "d78d1e4d471f4d8aa0c916c1afd3b07f"
#define AGENT_MID_FETCH_FAILED "fab3b079be7c460395dbcc23d84980c5"
#define AGENT_MID_HELPER_FAILED "beeb8dff165f4c8d9245575c1ff10507"
#define AGENT_MID_BUNDLE_URL_INVALID "51e9e4379a344aee8787c0189e0f361e"
#define AGENT_MID_CLOCK_SKEW "094b81252f4b4cf79e88588fd8ecba8d"
#define AGENT_MID_STORE_STALE "4e5feec5b63c4699ad86dfd4d651de34"
#define AGENT_MID_STORE_FRESH "b5bf681bb26d4d8698d41061759a0d58"
#define AGENT_MID_STORE_UNREACHABLE "a41ef99568d44704900a6661903de33d"
#define AGENT_MID_STORE_REFUSING "2dfa36e4fde448779836c42052d476b0"
#define AGENT_MID_SUDO_REBOUND "4317ae961817400a89a32ff0de7db1b6"
#define AGENT_MID_SESSION_OVER "af95a77bd7ac4d6eb3567beeef69adaf"
#define AGENT_MID_SESSION_RECORD_ERROR "118d18955c814b309771a8f6dc58c6c0"
#define AGENT_MID_GRANT_CHECK_FAILED "520df8247fa1413ea242f49dd2ffa45d"
#define AGENT_MID_KEY_FILES_FAILED "06fca4420ca141c091b5f5ffb43dfdd0"
#define AGENT_MID_HOST_FACTS_FAILED "0936a276b7dd4b0ebd9e2d16f973b376"
#define AGENT_MID_SIGTERM_SENT "adce5eaa98564b64a141f2772949e43a"
#define AGENT_MID_SIGKILL_SENT "25637fb60f314a67b4a55af0f02e5558"
#define AGENT_MID_LOGIND_TERMINATED "cd21581462934bfc976b4cdad88fab5b"
#define AGENT_MID_LOGIND_FAILED "38307fe3ee844554ac8d1557a36c4060"
#define AGENT_MID_SUDO_TIMESTAMPS_REMOVED "4c299e6551b940799c0dd1f49cf77c7b"
#define AGENT_MID_WARNING_SENT "6972550c6fc349c5bbc51c2495cfd21e"
#define AGENT_MID_SESSION_RECORD_UNSAFE "0b247d3ed6eb48c4a78f14d3825b646c"
#define AGENT_MID_ENDING_RESUMED "8bb0c9507b4a43edb69be51357b03d7a"
#define AGENT_MID_STATUS_WRITE_FAILED "f56c2fd69d5a4d44bdaec56d24ffa352"
#define AGENT_MID_CLOUD_DETECTED "bc2fce3ea26848b58a6ecc30fd2bf947"
#define AGENT_MID_CLOUD_FACTS_CHANGED "84ac1e3cbc8d4fd4b5ebe209ab9744de"
#define AGENT_MID_CLOUD_FACTS_FAILED "7db290f8d27f460aa317e50f4b379a02"
#define AGENT_MID_CLOUD_FACTS_DROPPED "593dfe0685df4824980fbb8db675f1b0"
#define AGENT_MID_ACCOUNT_REFUSED "3f9a1c7e5b2d4f80a6c4e2b0d8f6a1c3"
#define AGENT_MID_ACCOUNT_FAILED "e5b7d9f1a3c54e2b8d0f6a4c2e9b7d15"
#define AGENT_MID_HINT_UP "e263801ba3624d85abbfb1fcd62200a1"
#define AGENT_MID_HINT_DOWN "c31702ca40374591b04d99e1cd51f047"
#define AGENT_MID_HINT_FETCH "f96af4348adc41548fa5de5e5f8afb66"
#define AGENT_MID_MIRROR_FAILED "9bfa1f1ce7e9467f808f9fe218212760"
#define AGENT_MID_FETCH_SERVER_STARTED "0ee19086ecd74ad7a42ae1ba33d702fd"
#define AGENT_MID_FETCH_SERVER_ENDED "9dc438670a674d25aa386e50217bf70b"
#define AGENT_MID_REVOKED_AHEAD "e12f331eea4a4ae6a608e34342dc4544"
#define AGENT_MID_REVOKE_AHEAD_FAILED "ed26ea80457f46d290a5cc45e84b7472"

/* Fields of an event besides its message; NULL (0) ones are left out. */
struct agent_log_fields {
        const char *user;     /* JIT_USER */
        const char *session;  /* JIT_SESSION: the session record's id */
        const char *grant_id; /* JIT_GRANT_ID */
        int error;            /* ERRNO, as a positive number */
};

void agent_log_internal(int priority, const char *message_id, const struct agent_log_fields *f,
                        const char *file, int line, const char *func, const char *fmt, ...)
        _printf_(7, 8);

/* agent_log(LOG_ERR, AGENT_MID_…, "format", …): one event. */
#define agent_log(priority, message_id, ...)                                                       \
        agent_log_internal((priority), (message_id), NULL, __FILE__, __LINE__, __func__,           \
                           __VA_ARGS__)

/* The same with fields: agent_log_fields(LOG_ERR, AGENT_MID_…,
 * (&(struct agent_log_fields){.user = …}), "format", …). */
#define agent_log_fields(priority, message_id, fields, ...)                                        \
        agent_log_internal((priority), (message_id), (fields), __FILE__, __LINE__, __func__,       \
                           __VA_ARGS__)

/* An event that is an audit record: its one entry (audit_emit()), with
 * SYSLOG_IDENTIFIER=jit-agent; and its line on stderr where stderr is not
 * the journal. */
void agent_audit(enum audit_event ev, int priority, const struct audit_fields *f, const char *fmt,
                 ...) _printf_(4, 5);

/* Number the agent's audit entries in run_dir's audit sequence from now on
 * (agent_load_context() calls it). */
void agent_audit_set_run_dir(const char *run_dir);
