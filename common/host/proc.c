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

/* One process as a pass over /proc saw it. */
struct proc_entry {
        pid_t pid, ppid, pgrp;
        bool member; /* in the session (its own ids, or a member's descendant) */
        bool alive;  /* some thread of it runs: not a zombie, not gone */
        bool dying;  /* listed, then a zombie or gone before it could be read */
        bool known;  /* read: member says whether it is in the session */
};

static int proc_entry_cmp(const void *a, const void *b) {
        const struct proc_entry *x = a, *y = b;

        return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static struct proc_entry *proc_entry_find(struct proc_entry *v, size_t n, pid_t pid) {
        struct proc_entry key = {.pid = pid};

        return v && n > 0 ? bsearch(&key, v, n, sizeof(*v), proc_entry_cmp) : NULL;
}

/* State letter, parent pid and process group from "pid (comm) S ppid pgrp
 * …": comm may hold spaces and parentheses, so the fields start after the
 * last ')'. */
static int stat_fields(const char *stat, char *ret_state, pid_t *ret_ppid, pid_t *ret_pgrp) {
        const char *p = strrchr(stat, ')');
        long ppid, pgrp;

        /* NOLINTNEXTLINE(cert-err34-c): the kernel writes these numbers, in range. */
        if (!p || sscanf(p + 1, " %c %ld %ld", ret_state, &ppid, &pgrp) != 3)
                return -EIO;
        *ret_ppid = (pid_t) ppid;
        if (ret_pgrp)
                *ret_pgrp = (pid_t) pgrp;
        return 0;
}

static bool state_is_dead(char s) {
        return s == 'Z' || s == 'X' || s == 'x';
}

/* A thread-group leader that called pthread_exit() reads 'Z' while its
 * other threads run on: the process is alive while any task is. */
static bool any_task_alive_at(int pid_dir) {
        struct dirent *de;
        bool alive = false;
        DIR *d;
        int tfd;

        tfd = openat(pid_dir, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (tfd < 0)
                return false;
        d = fdopendir(tfd); /* owns tfd from here on */
        if (!d) {
                (void) close(tfd);
                return false;
        }
        while (!alive && (de = readdir(d))) {
                char path[300], stat[512], state;
                pid_t ppid;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                (void) snprintf(path, sizeof(path), "%s/stat", de->d_name);
                if (proc_read_at(dirfd(d), path, stat, sizeof(stat)) <= 0)
                        continue;
                alive = stat_fields(stat, &state, &ppid, NULL) >= 0 && !state_is_dead(state);
        }
        closedir(d);
        return alive;
}

/* Read one /proc/PID: its ids, its parent, whether it is alive. false when
 * it went away between the listing and the reading. */
static bool proc_entry_read(int proc_fd, const char *name, const struct session_match *m,
                            struct proc_entry *e) {
        _cleanup_close_ int dfd = -1;
        char buf[512], state, *end;
        unsigned long sid;

        dfd = openat(proc_fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
        if (dfd < 0)
                return false;
        if (proc_read_at(dfd, "stat", buf, sizeof(buf)) <= 0 ||
            stat_fields(buf, &state, &e->ppid, &e->pgrp) < 0)
                return false;
        e->alive = !state_is_dead(state) || any_task_alive_at(dfd);
        if (m->audit_session != AUDIT_SESSION_UNSET &&
            proc_read_at(dfd, "sessionid", buf, sizeof(buf)) > 0) {
                errno = 0;
                sid = strtoul(buf, &end, 10);
                if (errno == 0 && sid == m->audit_session)
                        e->member = true;
        }
        if (!e->member && m->logind_session) {
                char logind[JIT_LOGIND_SESSION_ID_MAX + 1];

                if (logind_session_of_pid(e->pid, logind, sizeof(logind)) >= 0 &&
                    streq(logind, m->logind_session))
                        e->member = true;
        }
        return true;
}

void session_scan_done(struct session_scan *s) {
        if (!s)
                return;
        free(s->prev);
        *s = (struct session_scan){};
}

static int pgrp_cmp(const void *a, const void *b) {
        const struct proc_entry *x = *(const struct proc_entry *const *) a,
                                *y = *(const struct proc_entry *const *) b;

        return x->pgrp < y->pgrp ? -1 : x->pgrp > y->pgrp;
}

/* on_group for each process group all of whose listed processes are live
 * members: signalling a group reaches every process in it atomically, also
 * a child being forked (fork starts again when a signal arrives). A group
 * with any other process in it (the sshd listener's, which session
 * monitors inherit) is never one. */
static int groups_foreach(struct proc_entry *v, size_t n, pid_t exclude_pgrp,
                          int (*on_group)(pid_t pgrp, void *userdata), void *userdata) {
        _cleanup_free_ struct proc_entry **g = NULL;
        int r = 0;

        g = reallocarray(NULL, n ? n : 1, sizeof(struct proc_entry *));
        if (!g)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                g[i] = &v[i];
        qsort(g, n, sizeof(struct proc_entry *), pgrp_cmp);
        for (size_t i = 0; i < n && r >= 0;) {
                size_t k = i;
                bool all = true;

                for (; k < n && g[k]->pgrp == g[i]->pgrp; k++)
                        if (!g[k]->member && !(g[k]->dying && !g[k]->known))
                                all = false;
                if (all && g[i]->pgrp > 1 && g[i]->pgrp != exclude_pgrp)
                        r = on_group(g[i]->pgrp, userdata);
                i = k;
        }
        return r;
}

int session_scan_pass(struct session_scan *s, const struct session_match *m,
                      const struct session_scan_ops *ops, void *userdata) {
        int (*on_read)(pid_t pid, void *userdata) = ops ? ops->on_read : NULL;
        int (*fn)(pid_t pid, void *userdata) = ops ? ops->fn : NULL;
        struct proc_entry *v = NULL;
        size_t n = 0, cap = 0;
        struct dirent *de;
        bool changed;
        DIR *d;
        int r = 0;

        if (!s || !m || (m->audit_session == AUDIT_SESSION_UNSET && !m->logind_session))
                return -EINVAL;
        d = opendir("/proc");
        if (!d)
                return -errno;
        /* The listing first, as fast as it goes; then the reading. */
        while ((de = readdir(d))) {
                char *end;
                long pid;

                if (de->d_name[0] < '1' || de->d_name[0] > '9')
                        continue;
                errno = 0;
                pid = strtol(de->d_name, &end, 10);
                if (errno || *end || pid <= 0 || (pid_t) pid == m->exclude)
                        continue;
                if (n == cap) {
                        struct proc_entry *nv;

                        /* realloc(), not reallocarray(): gcc 12's analyser
                         * models only the former. cap stays far below any
                         * overflow: one entry per process. */
                        cap = cap ? cap * 2 : 512;
                        nv = realloc(v, cap * sizeof(*v));
                        if (!nv) {
                                closedir(d);
                                free(v);
                                return -ENOMEM;
                        }
                        v = nv;
                }
                v[n++] = (struct proc_entry){.pid = (pid_t) pid};
        }
        if (v && n > 1)
                qsort(v, n, sizeof(*v), proc_entry_cmp);
        /* Newest first: a process that forks and exits every millisecond is
         * the highest pid (until pids wrap), read right after the listing
         * rather than at its end. */
        for (size_t k = n; k-- > 0 && r >= 0;) {
                struct proc_entry *e = &v[k];
                char name[16];

                (void) snprintf(name, sizeof(name), "%" PRIi32, (int32_t) e->pid);
                if (!proc_entry_read(dirfd(d), name, m, e)) {
                        *e = (struct proc_entry){.pid = e->pid, .dying = true};
                        continue;
                }
                e->known = true;
                e->dying = !e->alive;
                /* A member is handed to on_read as soon as it is read (to
                 * stop it: a signal a whole walk later would find a fast
                 * forker gone, its child unlisted). */
                if (e->member && e->alive && on_read)
                        r = on_read(e->pid, userdata);
        }
        closedir(d);

        /* Descendants of members are members: a root process that wrote
         * /proc/self/loginuid got a new audit session id, but stays in its
         * parent's tree (and, where logind runs, in the session's scope). */
        do {
                changed = false;
                for (size_t i = 0; i < n; i++) {
                        struct proc_entry *p;

                        if (v[i].member || v[i].ppid <= 0)
                                continue;
                        p = proc_entry_find(v, n, v[i].ppid);
                        if (p && p->member) {
                                v[i].member = true;
                                changed = true;
                        }
                }
        } while (changed);

        if (ops && ops->on_group && r >= 0)
                r = groups_foreach(v, n, getpgrp(), ops->on_group, userdata);

        s->alive = s->unsure = 0;
        for (size_t i = 0; i < n; i++) {
                struct proc_entry *was;

                if (v[i].dying) {
                        /* Listed, then dead before it was read: it may have
                         * forked a member after the listing (a process that
                         * forks and exits every millisecond). Not a worry
                         * when the last pass knew it as no member, or as
                         * dying already (its children were listed since). */
                        was = proc_entry_find(s->prev, s->n_prev, v[i].pid);
                        if (was && was->dying)
                                continue;
                        if (v[i].known ? v[i].member : !was || was->member)
                                s->unsure++;
                        continue;
                }
                if (!v[i].member || !v[i].alive)
                        continue;
                s->alive++;
                if (fn && r == 0)
                        r = fn(v[i].pid, userdata);
        }
        free(s->prev);
        s->prev = v;
        s->n_prev = n;
        s->passes++;
        return r < 0 ? r : 0;
}

int session_foreach_process(uint32_t audit_session, pid_t exclude,
                            int (*fn)(pid_t pid, void *userdata), void *userdata) {
        _cleanup_(session_scan_done) struct session_scan s = {};

        if (audit_session == AUDIT_SESSION_UNSET)
                return -EINVAL;
        return session_scan_pass(
                &s, &(struct session_match){.audit_session = audit_session, .exclude = exclude},
                &(struct session_scan_ops){.fn = fn}, userdata);
}

int session_count_settled(const struct session_match *m, unsigned max_passes, size_t *ret) {
        _cleanup_(session_scan_done) struct session_scan s = {};
        unsigned clean = 0;
        int r;

        *ret = 0;
        for (unsigned i = 0; i < max_passes; i++) {
                r = session_scan_pass(&s, m, NULL, NULL);
                if (r < 0)
                        return r;
                if (s.alive > 0) {
                        *ret = s.alive;
                        return 0;
                }
                clean = s.unsure == 0 ? clean + 1 : 0;
                if (clean >= SESSION_SCAN_SETTLED)
                        return 0;
        }
        return -EAGAIN;
}

int session_process_count(uint32_t audit_session, pid_t exclude, size_t *ret) {
        return session_count_settled(
                &(struct session_match){.audit_session = audit_session, .exclude = exclude},
                SESSION_SCAN_MAX_PASSES, ret);
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

int proc_has_uid(pid_t pid, uid_t uid) {
        char path[64], status[4096], *p;
        unsigned long ids[4];
        int n;

        if (pid <= 0)
                return -EINVAL;
        (void) snprintf(path, sizeof(path), "/proc/%" PRIi32 "/status", (int32_t) pid);
        n = read_proc(path, status, sizeof(status));
        if (n < 0)
                return -ESRCH;
        p = strstr(status, "\nUid:");
        /* NOLINTNEXTLINE(cert-err34-c): the kernel writes these numbers, in range. */
        if (!p || sscanf(p + 5, "%lu %lu %lu %lu", &ids[0], &ids[1], &ids[2], &ids[3]) != 4)
                return -EIO;
        /* Real, effective, saved and file-system uid: a process that kept
         * the uid in its saved set (setresuid(N, N, 0)) gets it back with
         * one seteuid() call. */
        for (size_t i = 0; i < 4; i++)
                if ((uid_t) ids[i] == uid)
                        return 1;
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
