/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* escape-zombie-leader [--ignore-term] PIDFILE: the main thread exits with
 * pthread_exit() and leaves a worker thread running, so the thread-group
 * leader reads state Z in /proc/PID/stat while the process lives on. Writes
 * its pid to PIDFILE first. */

#include <pthread.h>

#include "escape-common.h"

static void *worker(void *arg) {
        for (;;)
                (void) pause();
        return arg;
}

int main(int argc, char *argv[]) {
        pthread_t t;
        char buf[32];
        int i = 1;

        if (argc > 1 && strcmp(argv[1], "--ignore-term") == 0) {
                ignore_term();
                i++;
        }
        if (i != argc - 1) {
                fprintf(stderr, "usage: escape-zombie-leader [--ignore-term] PIDFILE\n");
                return 2;
        }
        detach_stdio();
        if (pthread_create(&t, NULL, worker, NULL) != 0)
                return 1;
        (void) snprintf(buf, sizeof(buf), "%d\n", (int) getpid());
        write_text(argv[i], buf);
        pthread_exit(NULL);
}
