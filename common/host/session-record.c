/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileio.h"
#include "grant.h"
#include "jit-limits.h"
#include "parse.h"
#include "session-record.h"

#define SERVICE_MAX 64u
#define TTY_MAX 256u /* also rhost */
#define LOGIND_ID_MAX 32u

void session_record_free(struct session_record *r) {
        if (!r)
                return;
        free(r->grant);
        free(r->user);
        free(r->service);
        free(r->tty);
        free(r->rhost);
        free(r->logind_session);
        strv_free(r->elevated);
        free(r);
}

/* ---- value syntaxes ---- */

static bool is_alnum_n(const char *s, size_t len, size_t max) {
        if (len == 0 || len > max)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                      (s[i] >= '0' && s[i] <= '9')))
                        return false;
        return true;
}

static bool service_is_valid(const char *s, size_t len) {
        if (len == 0 || len > SERVICE_MAX)
                return false;
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
                      (s[i] >= '0' && s[i] <= '9') || s[i] == '_' || s[i] == '.' || s[i] == '-'))
                        return false;
        return true;
}

/* PAM_TTY and PAM_RHOST come from the client side: printable ASCII only,
 * so a record can never carry a line break or an escape sequence. */
static bool printable_is_valid(const char *s, size_t len) {
        if (len == 0 || len > TTY_MAX)
                return false;
        for (size_t i = 0; i < len; i++)
                if ((unsigned char) s[i] < 0x20 || (unsigned char) s[i] > 0x7e)
                        return false;
        return true;
}

/* "TARGET JTI" */
static bool elevation_is_valid(const char *s, size_t len) {
        const char *sp = memchr(s, ' ', len);

        if (!sp)
                return false;
        return user_name_is_valid(s, (size_t) (sp - s)) &&
               grant_id_is_valid(sp + 1, len - (size_t) (sp - s) - 1);
}

bool session_id_is_valid(const char *id) {
        uint64_t v;
        size_t len;

        if (!id)
                return false;
        len = strlen(id);
        if (len > 7 && memcmp(id, "logind-", 7) == 0)
                return is_alnum_n(id + 7, len - 7, LOGIND_ID_MAX);
        return len <= 10 && parse_uint_strict(id, len, AUDIT_SESSION_UNSET - 1, &v);
}

/* ---- text form ---- */

enum key {
        KEY_GRANT,
        KEY_USER,
        KEY_SERVICE,
        KEY_TTY,
        KEY_RHOST,
        KEY_LEADER,
        KEY_UID,
        KEY_AUDIT_SESSION,
        KEY_LOGIND_SESSION,
        KEY_EXP,
        KEY_BOUND,
        KEY_ELEVATED,
        _KEY_MAX,
};

static const char *const key_names[_KEY_MAX] = {
        [KEY_GRANT] = "grant",
        [KEY_USER] = "user",
        [KEY_SERVICE] = "service",
        [KEY_TTY] = "tty",
        [KEY_RHOST] = "rhost",
        [KEY_LEADER] = "leader",
        [KEY_UID] = "uid",
        [KEY_AUDIT_SESSION] = "audit-session",
        [KEY_LOGIND_SESSION] = "logind-session",
        [KEY_EXP] = "exp",
        [KEY_BOUND] = "bound",
        [KEY_ELEVATED] = "elevated",
};

static int line_error(struct jit_error *err, unsigned line, const char *what, const char *key) {
        if (key)
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "line %u: %s '%s'", line,
                                     what, key);
        return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "line %u: %s", line, what);
}

static int set_string(char **field, const char *v, size_t len) {
        char *s = strndup(v, len);

        if (!s)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

static int parse_value(struct session_record *r, enum key k, const char *v, size_t len,
                       unsigned line, struct jit_error *err) {
        uint64_t n = 0;
        bool ok;

        switch (k) {
        case KEY_GRANT:
                ok = grant_id_is_valid(v, len) && set_string(&r->grant, v, len) >= 0;
                break;
        case KEY_USER:
                ok = user_name_is_valid(v, len) && set_string(&r->user, v, len) >= 0;
                break;
        case KEY_SERVICE:
                ok = service_is_valid(v, len) && set_string(&r->service, v, len) >= 0;
                break;
        case KEY_TTY:
                ok = printable_is_valid(v, len) && set_string(&r->tty, v, len) >= 0;
                break;
        case KEY_RHOST:
                ok = printable_is_valid(v, len) && set_string(&r->rhost, v, len) >= 0;
                break;
        case KEY_LEADER:
                ok = parse_uint_strict(v, len, INT32_MAX, &n) && n > 0;
                r->leader = (pid_t) n;
                break;
        case KEY_UID:
                /* (uid_t) -1 means "no uid" to the kernel: never a user. */
                ok = parse_uint_strict(v, len, UINT32_MAX - 1, &n);
                r->uid = (uid_t) n;
                break;
        case KEY_AUDIT_SESSION:
                ok = parse_uint_strict(v, len, AUDIT_SESSION_UNSET - 1, &n);
                r->audit_session = (uint32_t) n;
                break;
        case KEY_LOGIND_SESSION:
                ok = is_alnum_n(v, len, LOGIND_ID_MAX) &&
                     set_string(&r->logind_session, v, len) >= 0;
                break;
        case KEY_EXP:
                ok = parse_uint_strict(v, len, (uint64_t) JIT_TIME_MAX, &n);
                r->exp = (int64_t) n;
                break;
        case KEY_BOUND:
                ok = (len == 3 && memcmp(v, "yes", 3) == 0) ||
                     (len == 2 && memcmp(v, "no", 2) == 0);
                r->bound = len == 3;
                break;
        case KEY_ELEVATED: {
                _cleanup_free_ char *e = NULL;

                if (!elevation_is_valid(v, len))
                        return line_error(err, line, "invalid value for", key_names[k]);
                if (strv_length(r->elevated) >= JIT_SESSION_ELEVATED_MAX)
                        return jit_error_set(err, E2BIG, JIT_REASON_TOO_LARGE,
                                             "line %u: more than %u elevations", line,
                                             JIT_SESSION_ELEVATED_MAX);
                e = strndup(v, len);
                if (!e)
                        return jit_error_oom(err);
                if (strv_contains(r->elevated, e))
                        return line_error(err, line, "elevation listed twice:", e);
                if (strv_extend(&r->elevated, e) < 0)
                        return jit_error_oom(err);
                return 0;
        }
        default:
                return line_error(err, line, "unknown key", NULL);
        }
        if (!ok)
                return line_error(err, line, "invalid value for", key_names[k]);
        return 0;
}

int session_record_parse(const char *id, const char *text, size_t len, struct session_record **ret,
                         struct jit_error *err) {
        static const enum key required[] = {KEY_GRANT,  KEY_USER, KEY_SERVICE,
                                            KEY_LEADER, KEY_UID,  KEY_EXP};
        _cleanup_(session_record_freep) struct session_record *r = NULL;
        const char *p, *end;
        unsigned line = 0, seen = 0;
        int q;

        if (!ret || (!text && len > 0))
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        if (!session_id_is_valid(id))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "invalid session id");
        if (len > JIT_SESSION_FILE_MAX)
                return jit_error_set(err, EFBIG, JIT_REASON_TOO_LARGE,
                                     "session record larger than %u bytes", JIT_SESSION_FILE_MAX);
        /* NULL text with len 0 is an empty file; p and end stay off NULL,
         * where even NULL + 0 is undefined in C. */
        p = text ? text : "";
        end = p + len;
        r = calloc(1, sizeof(*r));
        if (!r)
                return jit_error_oom(err);
        (void) snprintf(r->id, sizeof(r->id), "%s", id);
        r->audit_session = AUDIT_SESSION_UNSET;

        while (p < end) {
                const char *nl = memchr(p, '\n', (size_t) (end - p)), *eq;
                size_t n, kl;
                enum key k;

                line++;
                if (!nl)
                        return line_error(err, line, "no newline at the end", NULL);
                n = (size_t) (nl - p);
                for (size_t i = 0; i < n; i++)
                        if ((unsigned char) p[i] < 0x20 || (unsigned char) p[i] == 0x7f)
                                return line_error(err, line, "control character", NULL);
                eq = memchr(p, '=', n);
                if (!eq)
                        return line_error(err, line, "not 'key=value'", NULL);
                kl = (size_t) (eq - p);
                for (k = 0; k < _KEY_MAX; k++)
                        if (strlen(key_names[k]) == kl && memcmp(key_names[k], p, kl) == 0)
                                break;
                if (k == _KEY_MAX)
                        return line_error(err, line, "unknown key", NULL);
                if (k != KEY_ELEVATED && (seen & (1u << k)))
                        return line_error(err, line, "repeated key", key_names[k]);
                seen |= 1u << k;
                q = parse_value(r, k, eq + 1, n - kl - 1, line, err);
                if (q < 0)
                        return q;
                p = nl + 1;
        }
        for (size_t i = 0; i < ELEMENTSOF(required); i++)
                if (!(seen & (1u << required[i])))
                        return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "missing key '%s'",
                                             key_names[required[i]]);
        if (!r->elevated && !(r->elevated = calloc(1, sizeof(char *))))
                return jit_error_oom(err);
        *ret = TAKE_PTR(r);
        return 0;
}

int session_record_format(const struct session_record *r, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0, n_elevated;
        bool ok;
        FILE *f;

        if (!r || !ret)
                return -EINVAL;
        /* Write only what parse takes back. */
        if (!session_id_is_valid(r->id) || !r->grant ||
            !grant_id_is_valid(r->grant, strlen(r->grant)) || !r->user ||
            !user_name_is_valid(r->user, strlen(r->user)) || !r->service ||
            !service_is_valid(r->service, strlen(r->service)) ||
            (r->tty && !printable_is_valid(r->tty, strlen(r->tty))) ||
            (r->rhost && !printable_is_valid(r->rhost, strlen(r->rhost))) ||
            (r->logind_session &&
             !is_alnum_n(r->logind_session, strlen(r->logind_session), LOGIND_ID_MAX)) ||
            r->leader <= 0 || r->uid == (uid_t) -1 || r->exp < 0 || r->exp > JIT_TIME_MAX)
                return -EINVAL;
        n_elevated = strv_length(r->elevated);
        if (n_elevated > JIT_SESSION_ELEVATED_MAX)
                return -E2BIG;
        for (size_t i = 0; i < n_elevated; i++) {
                if (!elevation_is_valid(r->elevated[i], strlen(r->elevated[i])))
                        return -EINVAL;
                for (size_t j = 0; j < i; j++)
                        if (streq(r->elevated[i], r->elevated[j]))
                                return -EINVAL;
        }

        f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        ok = fprintf(f, "grant=%s\nuser=%s\nservice=%s\n", r->grant, r->user, r->service) > 0;
        if (ok && r->tty)
                ok = fprintf(f, "tty=%s\n", r->tty) > 0;
        if (ok && r->rhost)
                ok = fprintf(f, "rhost=%s\n", r->rhost) > 0;
        if (ok)
                ok = fprintf(f, "leader=%" PRIu32 "\nuid=%" PRIu32 "\n", (uint32_t) r->leader,
                             (uint32_t) r->uid) > 0;
        if (ok && r->audit_session != AUDIT_SESSION_UNSET)
                ok = fprintf(f, "audit-session=%" PRIu32 "\n", r->audit_session) > 0;
        if (ok && r->logind_session)
                ok = fprintf(f, "logind-session=%s\n", r->logind_session) > 0;
        if (ok)
                ok = fprintf(f, "exp=%" PRId64 "\nbound=%s\n", r->exp, r->bound ? "yes" : "no") > 0;
        for (size_t i = 0; ok && i < n_elevated; i++)
                ok = fprintf(f, "elevated=%s\n", r->elevated[i]) > 0;
        if (fclose(f) != 0 || !ok)
                return -ENOMEM;
        if (size > JIT_SESSION_FILE_MAX)
                return -E2BIG;
        *ret = TAKE_PTR(buf);
        return 0;
}

/* ---- the process side ---- */

/* Read a small /proc file into buf (NUL-terminated). */
static int read_proc(const char *path, char *buf, size_t size) {
        _cleanup_close_ int fd = -1;
        size_t n = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0)
                return -errno;
        while (n < size - 1) {
                ssize_t k = read(fd, buf + n, size - 1 - n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (k == 0)
                        break;
                n += (size_t) k;
        }
        buf[n] = '\0';
        return (int) n;
}

/* The audit session id in /proc/PID/sessionid; AUDIT_SESSION_UNSET when
 * unset or unreadable. */
static uint32_t audit_session_of_pid(pid_t pid) {
        char path[64], buf[32] = ""; /* read_proc() fills it only on success */
        uint64_t v;
        int n;

        if (pid == 0)
                (void) snprintf(path, sizeof(path), "/proc/self/sessionid");
        else
                (void) snprintf(path, sizeof(path), "/proc/%" PRIi32 "/sessionid", (int32_t) pid);
        n = read_proc(path, buf, sizeof(buf));
        if (n <= 0)
                return AUDIT_SESSION_UNSET;
        if (buf[n - 1] == '\n')
                buf[--n] = '\0';
        if (!parse_uint_strict(buf, (size_t) n, AUDIT_SESSION_UNSET, &v))
                return AUDIT_SESSION_UNSET;
        return (uint32_t) v;
}

int logind_session_of_pid(pid_t pid, char *ret, size_t size) {
        char path[64], buf[4096];
        const char *p, *end;
        _cleanup_close_ int fd = -1;
        ssize_t n;

        /* What sd_pid_get_session() reads, without loading libsystemd into
         * sshd and sudo: logind puts a session's processes in the cgroup
         * …/session-<id>.scope (cgroup v2 "0::" line, or v1 "name=systemd"). */
        if (pid == 0)
                (void) snprintf(path, sizeof(path), "/proc/self/cgroup");
        else
                (void) snprintf(path, sizeof(path), "/proc/%" PRIi32 "/cgroup", (int32_t) pid);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
                return -ENXIO;
        buf[n] = '\0';
        for (const char *line = buf; *line; line = end + (*end == '\n')) {
                const char *colon1, *colon2;

                end = strchrnul(line, '\n');
                colon1 = memchr(line, ':', (size_t) (end - line));
                colon2 = colon1 ? memchr(colon1 + 1, ':', (size_t) (end - colon1 - 1)) : NULL;
                if (!colon2)
                        continue;
                /* the unified hierarchy, or systemd's named v1 hierarchy */
                if (!((colon1 - line == 1 && line[0] == '0' && colon2 == colon1 + 1) ||
                      ((size_t) (colon2 - colon1 - 1) == strlen("name=systemd") &&
                       memcmp(colon1 + 1, "name=systemd", strlen("name=systemd")) == 0)))
                        continue;
                for (p = colon2 + 1; p < end; p++) {
                        const char *id, *dot;

                        if (strncmp(p, "/session-", strlen("/session-")) != 0)
                                continue;
                        id = p + strlen("/session-");
                        dot = memchr(id, '.', (size_t) (end - id));
                        if (!dot || (size_t) (end - dot) < strlen(".scope") ||
                            strncmp(dot, ".scope", strlen(".scope")) != 0 ||
                            !is_alnum_n(id, (size_t) (dot - id), LOGIND_ID_MAX))
                                continue;
                        if ((size_t) (dot - id) + 1 > size)
                                return -ENOBUFS;
                        memcpy(ret, id, (size_t) (dot - id));
                        ret[dot - id] = '\0';
                        return 0;
                }
        }
        return -ENXIO;
}

int session_id_of_pid(pid_t pid, char *ret, size_t size) {
        char logind[LOGIND_ID_MAX + 1];
        uint32_t audit;
        int n;

        if (!ret || size == 0 || pid < 0)
                return -EINVAL;
        audit = audit_session_of_pid(pid);
        if (audit != AUDIT_SESSION_UNSET)
                n = snprintf(ret, size, "%" PRIu32, audit);
        else {
                /* No logind, or not in a session. */
                if (logind_session_of_pid(pid, logind, sizeof(logind)) < 0)
                        return -ENXIO;
                n = snprintf(ret, size, "logind-%s", logind);
        }
        if (n < 0 || (size_t) n >= size)
                return -ENOBUFS;
        return 0;
}

/* ---- run_dir/sessions ---- */

/* Open run_dir/sessions, creating it 0700 when asked; refuse a folder that
 * anyone but root could change (pam_jit trusts what is in it). */
static int sessions_dir_open(const char *run_dir, bool create, int *ret, struct jit_error *err) {
        _cleanup_close_ int dfd = -1, fd = -1;
        struct stat st;

        if (!run_dir || run_dir[0] != '/')
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "run_dir is not absolute");
        dfd = open(run_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s: cannot open: %m", run_dir);
        if (create && mkdirat(dfd, "sessions", 0700) < 0 && errno != EEXIST)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM,
                                     "%s/sessions: cannot create: %m", run_dir);
        fd = openat(dfd, "sessions", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
                if (errno == ELOOP || errno == ENOTDIR)
                        return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE,
                                             "%s/sessions: not a folder (or a symlink)", run_dir);
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s/sessions: cannot open: %m",
                                     run_dir);
        }
        if (fstat(fd, &st) < 0)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s/sessions: cannot stat: %m",
                                     run_dir);
        if (st.st_uid != 0 || (st.st_mode & 022) != 0)
                return jit_error_set(err, EPERM, JIT_REASON_FILE_UNSAFE,
                                     "%s/sessions: owned by uid %u, mode %04o: must be root, not "
                                     "writable by group or others",
                                     run_dir, (unsigned) st.st_uid,
                                     (unsigned) (st.st_mode & 07777));
        *ret = TAKE_FD(fd);
        return 0;
}

static char *session_path(const char *run_dir, const char *id) {
        char *p = NULL;

        if (asprintf(&p, "%s/sessions/%s", run_dir, id) < 0)
                return NULL;
        return p;
}

int session_record_load(const char *run_dir, const char *id, struct session_record **ret,
                        struct jit_error *err) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        size_t len = 0;
        int r;

        if (!run_dir || !ret)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        if (!session_id_is_valid(id))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "invalid session id");
        path = session_path(run_dir, id);
        if (!path)
                return jit_error_oom(err);
        r = read_file_secure(path, 0, JIT_SESSION_FILE_MAX, &text, &len, err);
        if (r < 0)
                return r;
        r = session_record_parse(id, text, len, ret, err);
        if (r < 0)
                jit_error_prefix(err, "%s", path);
        return r;
}

int session_record_save(const char *run_dir, const struct session_record *r,
                        struct jit_error *err) {
        _cleanup_free_ char *path = NULL, *text = NULL;
        _cleanup_close_ int fd = -1;
        int q;

        if (!run_dir || !r)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        if (!session_id_is_valid(r->id))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "invalid session id");
        q = session_record_format(r, &text);
        if (q == -ENOMEM)
                return jit_error_oom(err);
        if (q < 0)
                return jit_error_set(err, q, JIT_REASON_MALFORMED,
                                     "session %s: record has invalid fields", r->id);
        q = sessions_dir_open(run_dir, true, &fd, err);
        if (q < 0)
                return q;
        path = session_path(run_dir, r->id);
        if (!path)
                return jit_error_oom(err);
        return write_file_atomic(path, text, strlen(text), 0600, err);
}

/* flock() on sessions/.lock: serialises read-modify-write of records. The
 * lock goes with the descriptor. */
static int sessions_lock(int dfd, const char *run_dir, int *ret, struct jit_error *err) {
        _cleanup_close_ int fd = -1;

        fd = openat(dfd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
        if (fd < 0)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM,
                                     "%s/sessions/.lock: cannot open: %m", run_dir);
        while (flock(fd, LOCK_EX) < 0)
                if (errno != EINTR)
                        return jit_error_set(err, errno, JIT_REASON_SYSTEM,
                                             "%s/sessions/.lock: cannot lock: %m", run_dir);
        *ret = TAKE_FD(fd);
        return 0;
}

int session_record_remove(const char *run_dir, const char *id, struct jit_error *err) {
        _cleanup_close_ int dfd = -1, lock = -1;
        int r;

        if (!run_dir)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        if (!session_id_is_valid(id))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "invalid session id");
        r = sessions_dir_open(run_dir, false, &dfd, err);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        /* Under the lock: an elevation being added now must not write the
         * record back after it is gone. */
        r = sessions_lock(dfd, run_dir, &lock, err);
        if (r < 0)
                return r;
        if (unlinkat(dfd, id, 0) < 0 && errno != ENOENT)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM,
                                     "%s/sessions/%s: cannot remove: %m", run_dir, id);
        return 0;
}

int session_record_update(const char *run_dir, const char *id, session_record_edit_t edit,
                          void *userdata, struct jit_error *err) {
        _cleanup_(session_record_freep) struct session_record *r = NULL;
        _cleanup_close_ int dfd = -1, lock = -1;
        int q;

        if (!run_dir || !edit)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        if (!session_id_is_valid(id))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED, "invalid session id");

        /* The record exists already (session open made it): no create. */
        q = sessions_dir_open(run_dir, false, &dfd, err);
        if (q < 0)
                return q;
        q = sessions_lock(dfd, run_dir, &lock, err);
        if (q < 0)
                return q;
        q = session_record_load(run_dir, id, &r, err);
        if (q < 0)
                return q;
        q = edit(r, userdata, err);
        if (q <= 0)
                return q; /* an error, or nothing to change */
        return session_record_save(run_dir, r, err);
}

struct elevation {
        const char *entry;
        const char *id;
};

static int elevation_add(struct session_record *r, void *userdata, struct jit_error *err) {
        const struct elevation *e = userdata;

        /* r is from session_record_load(), set whenever it returns >= 0;
         * clang's analyser loses that five calls deep (its inlining limit). */
        /* NOLINTNEXTLINE(clang-analyzer-core.NullDereference) */
        if (strv_contains(r->elevated, e->entry))
                return 0;
        if (strv_length(r->elevated) >= JIT_SESSION_ELEVATED_MAX)
                return jit_error_set(err, E2BIG, JIT_REASON_TOO_LARGE,
                                     "session %s: more than %u elevations", e->id,
                                     JIT_SESSION_ELEVATED_MAX);
        if (strv_extend(&r->elevated, e->entry) < 0)
                return jit_error_oom(err);
        return 1;
}

int session_record_add_elevation(const char *run_dir, const char *id, const char *target,
                                 const char *jti, struct jit_error *err) {
        _cleanup_free_ char *entry = NULL;

        if (!target || !jti)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        if (!user_name_is_valid(target, strlen(target)) || !grant_id_is_valid(jti, strlen(jti)))
                return jit_error_set(err, EINVAL, JIT_REASON_MALFORMED,
                                     "invalid target user or grant id");
        if (asprintf(&entry, "%s %s", target, jti) < 0)
                return jit_error_oom(err);
        return session_record_update(run_dir, id, elevation_add,
                                     &(struct elevation){.entry = entry, .id = id}, err);
}

static int strcmp_ptr(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

int session_records_list(const char *run_dir, char ***ret, struct jit_error *err) {
        _cleanup_strv_free_ char **l = NULL;
        _cleanup_close_ int dfd = -1;
        size_t n = 0;
        DIR *d;
        int r;

        if (!run_dir || !ret)
                return jit_error_set(err, EINVAL, JIT_REASON_SYSTEM, "missing argument");
        l = calloc(1, sizeof(char *));
        if (!l)
                return jit_error_oom(err);
        r = sessions_dir_open(run_dir, false, &dfd, err);
        if (r == -ENOENT) {
                *ret = TAKE_PTR(l);
                return 0;
        }
        if (r < 0)
                return r;
        d = fdopendir(dfd);
        if (!d)
                return jit_error_set(err, errno, JIT_REASON_SYSTEM, "%s/sessions: cannot list: %m",
                                     run_dir);
        dfd = -1; /* owned by d now */
        for (r = 0;;) {
                struct dirent *de;
                struct stat st;

                errno = 0;
                de = readdir(d);
                if (!de) {
                        if (errno != 0)
                                r = jit_error_set(err, errno, JIT_REASON_SYSTEM,
                                                  "%s/sessions: cannot list: %m", run_dir);
                        break;
                }
                /* Skips ".", "..", ".lock" and write_file_atomic's ".#…". */
                if (!session_id_is_valid(de->d_name))
                        continue;
                if (de->d_type != DT_REG &&
                    (de->d_type != DT_UNKNOWN ||
                     fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
                     !S_ISREG(st.st_mode)))
                        continue;
                if (n >= JIT_SESSIONS_MAX) {
                        r = jit_error_set(err, E2BIG, JIT_REASON_TOO_LARGE,
                                          "%s/sessions: more than %u records", run_dir,
                                          JIT_SESSIONS_MAX);
                        break;
                }
                if (strv_extend(&l, de->d_name) < 0) {
                        r = jit_error_oom(err);
                        break;
                }
                n++;
        }
        (void) closedir(d);
        if (r < 0)
                return r;
        qsort(l, n, sizeof(char *), strcmp_ptr);
        *ret = TAKE_PTR(l);
        return 0;
}

int session_record_liveness(const struct session_record *r) {
        char path[64], buf[512];
        const char *paren;
        uint64_t v;
        int n;

        if (!r || r->leader <= 0)
                return 0;
        (void) snprintf(path, sizeof(path), "/proc/%" PRIi32 "/stat", (int32_t) r->leader);
        n = read_proc(path, buf, sizeof(buf));
        if (n == -ENOENT || n == -ESRCH)
                return 0;
        if (n <= 0) /* EMFILE, ENOMEM, EIO: not a sign the leader is gone */
                return n < 0 ? n : -EIO;
        /* "pid (comm) S …": comm may hold spaces and parentheses, so the
         * state is after the last ')'. Zombies keep their /proc entry. */
        paren = strrchr(buf, ')');
        if (!paren || paren[1] != ' ' || paren[2] == '\0')
                return 0;
        if (paren[2] == 'Z' || paren[2] == 'X' || paren[2] == 'x')
                return 0;
        /* A reused pid is another process: when the record knows its audit
         * session, the leader must still be in it. */
        if (r->audit_session != AUDIT_SESSION_UNSET) {
                (void) snprintf(path, sizeof(path), "/proc/%" PRIi32 "/sessionid",
                                (int32_t) r->leader);
                n = read_proc(path, buf, sizeof(buf));
                if (n == -ENOENT || n == -ESRCH)
                        return 0;
                if (n <= 0)
                        return n < 0 ? n : -EIO;
                if (buf[n - 1] == '\n')
                        buf[--n] = '\0';
                if (!parse_uint_strict(buf, (size_t) n, AUDIT_SESSION_UNSET, &v) ||
                    (uint32_t) v != r->audit_session)
                        return 0;
        }
        return 1;
}

bool session_record_is_live(const struct session_record *r) {
        return session_record_liveness(r) > 0;
}

static int proc_read_at(int dirfd, const char *name, char *buf, size_t size) {
        _cleanup_close_ int fd = -1;
        ssize_t n;

        fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        n = read(fd, buf, size - 1);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        return (int) n;
}

/* A zombie keeps its sessionid; it is already dead and must not count. */
static bool proc_is_zombie_at(int pid_dir) {
        char stat[512], *p;

        if (proc_read_at(pid_dir, "stat", stat, sizeof(stat)) < 0)
                return true; /* gone */
        p = strrchr(stat, ')');
        return !p || p[1] != ' ' || p[2] == 'Z' || p[2] == 'X' || p[2] == 'x';
}

int session_foreach_process(uint32_t audit_session, pid_t exclude,
                            int (*fn)(pid_t pid, void *userdata), void *userdata) {
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (audit_session == AUDIT_SESSION_UNSET)
                return -EINVAL;
        d = opendir("/proc");
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                _cleanup_close_ int dfd = -1;
                char buf[32], *end;
                unsigned long sid;
                long pid;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                errno = 0;
                pid = strtol(de->d_name, &end, 10);
                if (errno || *end || pid <= 0 || (pid_t) pid == exclude)
                        continue;
                dfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                if (dfd < 0)
                        continue; /* exited meanwhile */
                if (proc_read_at(dfd, "sessionid", buf, sizeof(buf)) <= 0)
                        continue;
                errno = 0;
                sid = strtoul(buf, &end, 10);
                if (errno || sid != audit_session || proc_is_zombie_at(dfd))
                        continue;
                r = fn((pid_t) pid, userdata);
                if (r != 0)
                        break;
        }
        closedir(d);
        return r < 0 ? r : 0;
}

static int count_one(pid_t pid, void *userdata) {
        (*(size_t *) userdata)++;
        return 0;
}

int session_process_count(uint32_t audit_session, pid_t exclude, size_t *ret) {
        *ret = 0;
        return session_foreach_process(audit_session, exclude, count_one, ret);
}
