/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* run_dir/ending: one "key=value" file per session (or elevation target)
 * being ended: the audit and logind session, the uid whose processes end
 * (none: all), the pid spared, the SIGKILL deadline on CLOCK_BOOTTIME (it
 * counts across the agent's restarts within a boot, and run_dir is on a
 * tmpfs that a reboot empties). */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ending.h"
#include "fileio.h"
#include "jit-limits.h"
#include "parse.h"
#include "session-record.h"

#define ENDING_FILE_MAX 1024

static int ending_dir(const char *run_dir, char **ret) {
        *ret = path_join3(run_dir, "ending", NULL);
        return *ret ? 0 : -ENOMEM;
}

static void ending_name(const struct pending_kill *k, char *buf, size_t size) {
        if (k->only_uid == (uid_t) -1)
                (void) snprintf(buf, size, "%s", k->session);
        else
                (void) snprintf(buf, size, "%s.%" PRIu32, k->session, (uint32_t) k->only_uid);
}

int ending_save(const char *run_dir, const struct pending_kill *k, struct jit_error *err) {
        _cleanup_free_ char *dir = NULL, *path = NULL, *text = NULL;
        char name[JIT_SESSION_ID_MAX + 16];
        int n;

        if (ending_dir(run_dir, &dir) < 0)
                return jit_error_oom(err);
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: cannot create: %m", dir);
        ending_name(k, name, sizeof(name));
        path = path_join3(dir, name, NULL);
        n = asprintf(&text,
                     "audit_session=%" PRIu32 "\nlogind_session=%s\nuid=%" PRIi64 "\nspare=%" PRIi32
                     "\ndeadline=%" PRIu64 "\n",
                     k->audit_session, k->logind_session,
                     k->only_uid == (uid_t) -1 ? (int64_t) -1 : (int64_t) k->only_uid,
                     (int32_t) k->spare, k->deadline);
        if (!path || n < 0)
                return jit_error_oom(err);
        return write_file_atomic(path, text, (size_t) n, 0600, err);
}

int ending_remove(const char *run_dir, const struct pending_kill *k) {
        _cleanup_free_ char *dir = NULL, *path = NULL;
        char name[JIT_SESSION_ID_MAX + 16];

        if (ending_dir(run_dir, &dir) < 0)
                return -ENOMEM;
        ending_name(k, name, sizeof(name));
        path = path_join3(dir, name, NULL);
        if (!path)
                return -ENOMEM;
        if (unlink(path) < 0 && errno != ENOENT)
                return -errno;
        return 0;
}

/* "<session>" or "<session>.<uid>" into k's session and only_uid. */
static bool ending_name_parse(const char *name, struct pending_kill *k) {
        const char *dot = strrchr(name, '.');
        uint64_t v;

        *k = (struct pending_kill){.audit_session = AUDIT_SESSION_UNSET, .only_uid = (uid_t) -1};
        if (dot) {
                if (!parse_uint_strict(dot + 1, strlen(dot + 1), UINT32_MAX - 1, &v))
                        return false;
                k->only_uid = (uid_t) v;
        }
        if ((size_t) (dot ? dot - name : (ptrdiff_t) strlen(name)) > JIT_SESSION_ID_MAX)
                return false;
        (void) snprintf(k->session, sizeof(k->session), "%.*s",
                        (int) (dot ? dot - name : (ptrdiff_t) strlen(name)), name);
        if (!session_id_is_valid(k->session))
                return false;
        /* The name alone tells which session: its audit session id, or its
         * logind session ("logind-<id>"); where logind runs the two ids are
         * one (pam_systemd takes the audit session id). */
        if (parse_uint_strict(k->session, strlen(k->session), AUDIT_SESSION_UNSET - 1, &v)) {
                k->audit_session = (uint32_t) v;
                /* at most 10 digits: it fits */
                (void) snprintf(k->logind_session, sizeof(k->logind_session), "%.10s", k->session);
        } else if (strncmp(k->session, "logind-", 7) == 0) {
                if (strlen(k->session + 7) >= sizeof(k->logind_session))
                        return false;
                memcpy(k->logind_session, k->session + 7, strlen(k->session + 7) + 1);
        }
        return true;
}

static int ending_parse(const char *text, struct pending_kill *k) {
        const char *p = text;

        while (*p) {
                const char *eol = strchr(p, '\n'), *eq;
                size_t klen, vlen;
                uint64_t v;

                if (!eol)
                        return -EINVAL;
                eq = memchr(p, '=', (size_t) (eol - p));
                if (!eq)
                        return -EINVAL;
                klen = (size_t) (eq - p);
                vlen = (size_t) (eol - eq - 1);
#define KEY(s) (klen == strlen(s) && memcmp(p, s, klen) == 0)
                if (KEY("audit_session")) {
                        if (!parse_uint_strict(eq + 1, vlen, AUDIT_SESSION_UNSET, &v))
                                return -EINVAL;
                        k->audit_session = (uint32_t) v;
                } else if (KEY("logind_session")) {
                        if (vlen > 0 && !logind_session_id_is_valid(eq + 1, vlen))
                                return -EINVAL;
                        (void) snprintf(k->logind_session, sizeof(k->logind_session), "%.*s",
                                        (int) vlen, eq + 1);
                } else if (KEY("uid")) {
                        if (!(vlen == 2 && memcmp(eq + 1, "-1", 2) == 0) &&
                            (!parse_uint_strict(eq + 1, vlen, UINT32_MAX - 1, &v) ||
                             (uid_t) v != k->only_uid))
                                return -EINVAL;
                } else if (KEY("spare")) {
                        if (!parse_uint_strict(eq + 1, vlen, INT32_MAX, &v))
                                return -EINVAL;
                        k->spare = (pid_t) v;
                } else if (KEY("deadline")) {
                        if (!parse_uint_strict(eq + 1, vlen, UINT64_MAX - 1, &v))
                                return -EINVAL;
                        k->deadline = v;
                } else
                        return -EINVAL;
#undef KEY
                p = eol + 1;
        }
        return 0;
}

int ending_load_all(const char *run_dir, uint64_t now, uint64_t max_wait, struct pending_kill **ret,
                    size_t *ret_n, char ***ret_bad, struct jit_error *err) {
        _cleanup_free_ char *dir = NULL;
        _cleanup_strv_free_ char **bad = NULL;
        struct pending_kill *v = NULL;
        struct dirent *de;
        size_t n = 0;
        DIR *d;

        *ret = NULL;
        *ret_n = 0;
        *ret_bad = NULL;
        if (ending_dir(run_dir, &dir) < 0)
                return jit_error_oom(err);
        d = opendir(dir);
        if (!d) {
                if (errno == ENOENT)
                        return 0;
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: cannot list: %m", dir);
        }
        while ((de = readdir(d))) {
                _cleanup_free_ char *path = NULL, *text = NULL;
                struct pending_kill k, *nv;
                size_t len;

                if (de->d_name[0] == '.' || !ending_name_parse(de->d_name, &k))
                        continue; /* ".", "..", write_file_atomic's ".#…" */
                path = path_join3(dir, de->d_name, NULL);
                if (!path)
                        break;
                if (read_file_secure(path, 0, ENDING_FILE_MAX, &text, &len, NULL) < 0 ||
                    ending_parse(text, &k) < 0) {
                        /* Fail closed: the kill the name asks for, now. */
                        if (strv_extend(&bad, de->d_name) < 0)
                                break;
                        k.deadline = now;
                        k.spare = 0;
                }
                if (k.deadline > now + max_wait)
                        k.deadline = now + max_wait;
                nv = reallocarray(v, n + 1, sizeof(*v));
                if (!nv)
                        break;
                v = nv;
                v[n++] = k;
        }
        closedir(d);
        *ret = v;
        *ret_n = n;
        *ret_bad = TAKE_PTR(bad);
        return 0;
}
