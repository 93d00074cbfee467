/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the escape programs share (tests/system/test-agent-escapes.sh,
 * tests/logind/test-logind.sh run them in sessions the agent ends). */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static inline void ignore_term(void) {
        /* What a process does that means to outlive its session. */
        (void) signal(SIGTERM, SIG_IGN);
        (void) signal(SIGHUP, SIG_IGN);
        (void) signal(SIGINT, SIG_IGN);
        (void) signal(SIGPIPE, SIG_IGN);
}

/* Write text to path (replacing it), or die. */
static inline void write_text(const char *path, const char *text) {
        FILE *f = fopen(path, "we");

        if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
                fprintf(stderr, "%s: %s\n", path, strerror(errno));
                exit(1);
        }
}

/* Detach from the terminal the session gave: a write to a closed pty must
 * not be what ends us. */
static inline void detach_stdio(void) {
        int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

        if (fd >= 0) {
                (void) dup2(fd, 0);
                (void) dup2(fd, 1);
                (void) dup2(fd, 2);
        }
}
