/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* escape-setresuid UID FILE PIDFILE (as root, e.g. through sudo): drops to
 * setresuid(UID, UID, 0) — real and effective UID, root kept as the saved
 * uid — then every 100 ms takes root back with seteuid(0), appends a line to
 * the root-only FILE and drops again. It leaves sudo first (fork, the parent
 * exits, setsid), so no signal sudo relays reaches it. Writes its pid to
 * PIDFILE. */

#include <sys/stat.h>
#include <time.h>

#include "escape-common.h"

int main(int argc, char *argv[]) {
        char buf[64];
        uid_t uid;

        if (argc != 4) {
                fprintf(stderr, "usage: escape-setresuid UID FILE PIDFILE\n");
                return 2;
        }
        uid = (uid_t) strtoul(argv[1], NULL, 10);
        if (geteuid() != 0) {
                fprintf(stderr, "escape-setresuid: run me as root\n");
                return 1;
        }
        detach_stdio();
        {
                pid_t pid = fork();

                if (pid < 0)
                        return 1;
                if (pid > 0)
                        _exit(0);
                (void) setsid();
        }
        (void) snprintf(buf, sizeof(buf), "%d\n", (int) getpid());
        write_text(argv[3], buf);
        if (setresuid(uid, uid, 0) < 0)
                return 1;
        for (;;) {
                struct timespec ts;
                int fd;

                if (seteuid(0) < 0)
                        return 1;
                fd = open(argv[2], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
                if (fd >= 0) {
                        (void) clock_gettime(CLOCK_REALTIME, &ts);
                        (void) dprintf(fd, "%lld.%03ld as root\n", (long long) ts.tv_sec,
                                       ts.tv_nsec / 1000000);
                        (void) close(fd);
                }
                if (seteuid(uid) < 0)
                        return 1;
                (void) usleep(100 * 1000);
        }
}
