/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Everything this project reads from /proc, in one room: the audit session
 * of a process, its logind session, whether a session's leader lives, the
 * processes of an audit session, a process's uids and controlling terminal.
 * procfs is not host state: paths here are not checked like read_file_secure()
 * checks them (tests/faults/check-open-flags.py lists these exceptions). */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jit-limits.h"
#include "parse.h"
#include "proc.h"

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
                            !logind_session_id_is_valid(id, (size_t) (dot - id)))
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
        char logind[JIT_LOGIND_SESSION_ID_MAX + 1];
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

int proc_uids(pid_t pid, uid_t *ret_ruid, uid_t *ret_euid) {
        char path[64], status[4096], *p;
        unsigned long r, e;
        int n;

        if (pid <= 0 || !ret_ruid || !ret_euid)
                return -EINVAL;
        (void) snprintf(path, sizeof(path), "/proc/%" PRIi32 "/status", (int32_t) pid);
        n = read_proc(path, status, sizeof(status));
        if (n < 0)
                return -ESRCH;
        p = strstr(status, "\nUid:");
        /* NOLINTNEXTLINE(cert-err34-c): the kernel writes these numbers, in range. */
        if (!p || sscanf(p + 5, "%lu %lu", &r, &e) != 2)
                return -EIO;
        *ret_ruid = (uid_t) r;
        *ret_euid = (uid_t) e;
        return 0;
}

int proc_tty_nr(pid_t pid, unsigned long *ret) {
        char path[64], stat[1024], *p;
        unsigned long tty_nr;
        int n;

        if (pid <= 0 || !ret)
                return -EINVAL;
        /* /proc/PID/stat, which anyone may read: no ptrace access to other
         * users' processes is needed. */
        (void) snprintf(path, sizeof(path), "/proc/%" PRIi32 "/stat", (int32_t) pid);
        n = read_proc(path, stat, sizeof(stat));
        if (n <= 0)
                return n < 0 ? n : -EIO;
        /* comm may hold spaces and parentheses: parse after the last ')'. */
        p = strrchr(stat, ')');
        /* NOLINTNEXTLINE(cert-err34-c): the kernel writes these numbers, in range. */
        if (!p || sscanf(p + 1, " %*c %*d %*d %*d %lu", &tty_nr) != 1)
                return -EIO;
        *ret = tty_nr;
        return 0;
}

int proc_login_uid(pid_t pid, uid_t *ret) {
        char path[64], buf[32], *end;
        unsigned long v;
        int n;

        if (pid < 0 || !ret)
                return -EINVAL;
        if (pid == 0)
                pid = getpid();
        (void) snprintf(path, sizeof(path), "/proc/%" PRIi32 "/loginuid", (int32_t) pid);
        n = read_proc(path, buf, sizeof(buf));
        if (n < 0)
                return -ESRCH;
        errno = 0;
        v = strtoul(buf, &end, 10);
        if (errno != 0 || end == buf || (*end != '\0' && *end != '\n'))
                return -EIO;
        if (v == (unsigned long) (uid_t) -1)
                return -ENXIO; /* the kernel's "unset" */
        *ret = (uid_t) v;
        return 0;
}
