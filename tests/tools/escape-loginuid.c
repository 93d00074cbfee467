/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* escape-loginuid [--ignore-term] [--daemon] PIDFILE (as root, e.g. through
 * sudo): writes its own uid to /proc/self/loginuid, which gives it a new
 * audit session id (the kernel's loginuid-immutable setting is off by
 * default), then sleeps for ever. --daemon first forks and lets the parent
 * exit, in a new session: no session process is its parent any more.
 * PIDFILE gets "PID OLD_SESSIONID NEW_SESSIONID". */

#include "escape-common.h"

static unsigned long read_ul(const char *path) {
        char buf[32] = "";
        FILE *f = fopen(path, "re");

        if (!f || !fgets(buf, sizeof(buf), f)) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                exit(1);
        }
        fclose(f);
        return strtoul(buf, NULL, 10);
}

int main(int argc, char *argv[]) {
        unsigned long before, after;
        char buf[96];
        int i = 1;
        int daemon_mode = 0;

        for (; i < argc - 1; i++) {
                if (strcmp(argv[i], "--ignore-term") == 0)
                        ignore_term();
                else if (strcmp(argv[i], "--daemon") == 0)
                        daemon_mode = 1;
                else
                        break;
        }
        if (i != argc - 1) {
                fprintf(stderr, "usage: escape-loginuid [--ignore-term] [--daemon] PIDFILE\n");
                return 2;
        }
        detach_stdio();
        if (daemon_mode) {
                pid_t pid = fork();

                if (pid < 0)
                        return 1;
                if (pid > 0)
                        _exit(0);
                (void) setsid();
        }
        before = read_ul("/proc/self/sessionid");
        (void) snprintf(buf, sizeof(buf), "%u", (unsigned) getuid());
        write_text("/proc/self/loginuid", buf);
        after = read_ul("/proc/self/sessionid");
        (void) snprintf(buf, sizeof(buf), "%d %lu %lu\n", (int) getpid(), before, after);
        write_text(argv[i], buf);
        for (;;)
                (void) pause();
}
