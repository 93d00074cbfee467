/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* escape-hopper INTERVAL_MS BEATFILE TAG: ignores SIGTERM and SIGHUP, then
 * forever forks and lets the parent exit every INTERVAL_MS milliseconds, so
 * its pid changes all the time. Every 20th generation writes its number to
 * BEATFILE: while the file changes, a hopper lives (no scan of /proc can
 * tell, the pid it would look for is gone by then). TAG is only for the test
 * to find it in /proc/PID/cmdline. */

#include "escape-common.h"

int main(int argc, char *argv[]) {
        long ms;

        if (argc != 4 || (ms = strtol(argv[1], NULL, 10)) <= 0) {
                fprintf(stderr, "usage: escape-hopper INTERVAL_MS READYFILE TAG\n");
                return 2;
        }
        ignore_term();
        detach_stdio();
        for (unsigned long gen = 0;; gen++) {
                pid_t pid;

                if (gen % 20 == 0) {
                        char buf[32];

                        (void) snprintf(buf, sizeof(buf), "%lu\n", gen);
                        write_text(argv[2], buf);
                }
                (void) usleep((useconds_t) ms * 1000);
                pid = fork();
                if (pid > 0)
                        _exit(0);
                /* fork failed (EAGAIN): stay and try again */
        }
}
