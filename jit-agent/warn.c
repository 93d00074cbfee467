/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A line to the terminals of a session. sshd's PAM_TTY is just "ssh", so the
 * terminals are found through the session's processes: the pseudo terminals
 * they have as controlling terminal. */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "agent-log.h"
#include "proc.h"
#include "session-record.h"
#include "warn.h"

#define TTYS_MAX 16
#define UNIX98_PTY_MAJOR_FIRST 136
#define UNIX98_PTY_MAJOR_LAST 143

struct ttys {
        dev_t dev[TTYS_MAX];
        size_t n;
};

/* The controlling terminal (proc_tty_nr(): /proc/PID/stat, which anyone
 * may read, so no ptrace access to other users' processes is needed). */
static int collect_tty(pid_t pid, void *userdata) {
        struct ttys *t = userdata;
        unsigned long tty_nr;
        unsigned maj, min;
        dev_t dev;

        if (proc_tty_nr(pid, &tty_nr) < 0 || tty_nr == 0)
                return 0;
        maj = (unsigned) ((tty_nr >> 8) & 0xfff);
        min = (unsigned) ((tty_nr & 0xff) | ((tty_nr >> 12) & 0xfff00));
        if (maj < UNIX98_PTY_MAJOR_FIRST || maj > UNIX98_PTY_MAJOR_LAST)
                return 0;
        dev = makedev(maj, min);
        for (size_t i = 0; i < t->n; i++)
                if (t->dev[i] == dev)
                        return 0;
        if (t->n < TTYS_MAX)
                t->dev[t->n++] = dev;
        return 0;
}

void session_warn(uint32_t audit_session, const char *fmt, ...) {
        struct ttys t = {};
        size_t told = 0;
        char msg[512];
        va_list ap;
        int len;

        va_start(ap, fmt);
        len = vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        if (len < 0)
                return;
        if (session_foreach_process(audit_session, getpid(), collect_tty, &t) < 0)
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
                if (dprintf(fd, "\r\n*** jit: %s ***\r\n", msg) > 0)
                        told++;
        }
        agent_log(LOG_INFO, AGENT_MID_WARNING_SENT,
                  "audit session %u: told %zu of %zu terminal%s: %s", audit_session, told, t.n,
                  t.n == 1 ? "" : "s", msg);
}
