/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A line to the terminals of a session. sshd's PAM_TTY is just "ssh", so the
 * terminals are found through the session's processes: whatever pseudo
 * terminal their standard streams are. */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "agent.h"

#define TTYS_MAX 16
#define UNIX98_PTY_MAJOR_FIRST 136
#define UNIX98_PTY_MAJOR_LAST 143

struct ttys {
        dev_t dev[TTYS_MAX];
        size_t n;
};

static bool path_is_pts(const char *p) {
        const char *d = p + strlen("/dev/pts/");

        if (strncmp(p, "/dev/pts/", strlen("/dev/pts/")) != 0 || !*d)
                return false;
        for (; *d; d++)
                if (*d < '0' || *d > '9')
                        return false;
        return true;
}

static int collect_tty(pid_t pid, void *userdata) {
        struct ttys *t = userdata;

        for (int fd = 0; fd <= 2; fd++) {
                char link[64], target[64];
                struct stat st;
                ssize_t n;
                bool seen = false;

                (void) snprintf(link, sizeof(link), "/proc/%d/fd/%d", (int) pid, fd);
                n = readlink(link, target, sizeof(target) - 1);
                if (n <= 0)
                        continue;
                target[n] = '\0';
                if (!path_is_pts(target) || stat(target, &st) < 0 || !S_ISCHR(st.st_mode))
                        continue;
                for (size_t i = 0; i < t->n; i++)
                        seen = seen || t->dev[i] == st.st_rdev;
                if (!seen && t->n < TTYS_MAX)
                        t->dev[t->n++] = st.st_rdev;
        }
        return 0;
}

void session_warn(uint32_t audit_session, const char *fmt, ...) {
        struct ttys t = {};
        char msg[512];
        va_list ap;
        int len;

        va_start(ap, fmt);
        len = vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (len < 0)
                return;
        if (session_foreach_process(audit_session, collect_tty, &t) < 0)
                return;

        for (size_t i = 0; i < t.n; i++) {
                char path[32];
                _cleanup_close_ int fd = -1;
                struct stat st;

                (void) snprintf(path, sizeof(path), "/dev/pts/%u",
                                minor(t.dev[i]) +
                                        (major(t.dev[i]) - UNIX98_PTY_MAJOR_FIRST) * 256u);
                /* Opened without following links and checked again: only a
                 * pseudo terminal ever receives the line. */
                fd = open(path, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
                if (fd < 0 || fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode) ||
                    st.st_rdev != t.dev[i] || major(st.st_rdev) < UNIX98_PTY_MAJOR_FIRST ||
                    major(st.st_rdev) > UNIX98_PTY_MAJOR_LAST)
                        continue;
                (void) dprintf(fd, "\r\n*** jit: %s ***\r\n", msg);
        }
        log_info("audit session %u: told %zu terminal%s: %s", audit_session, t.n,
                 t.n == 1 ? "" : "s", msg);
}
