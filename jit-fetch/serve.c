/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <syslog.h>
#include <unistd.h>

#include "credentials.h"
#include "fetch-args.h"
#include "fetch-request.h"
#include "fetch-run.h"
#include "serve.h"

static int malformed(const char *what) {
        fprintf(stderr, "<%d>jit-fetch --serve: malformed request: %s; ending\n", LOG_ERR, what);
        return -EBADMSG;
}

/* Read until buf holds a whole request: its options in args[1..*ret_n], the
 * request *ret_len bytes long. 0 at the end of input between requests. */
static int read_request(int fd, char *buf, size_t *len, char **args, size_t *ret_n,
                        size_t *ret_len) {
        char msg[128];
        int r;

        for (;;) {
                r = fetch_request_parse(buf, *len, args + 1, FETCH_REQUEST_ARGS_MAX, ret_n, ret_len,
                                        msg, sizeof(msg));
                if (r >= 0)
                        return 1;
                if (r != -EAGAIN)
                        return malformed(msg);
                ssize_t k = read(fd, buf + *len, FETCH_REQUEST_MAX - *len);
                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        fprintf(stderr, "<%d>jit-fetch --serve: cannot read a request: %s\n",
                                LOG_ERR, strerror_r(-r, (char[128]){}, 128));
                        return r;
                }
                if (k == 0)
                        return *len == 0 ? 0 : malformed("cut short by the end of input");
                *len += (size_t) k;
        }
}

int fetch_serve(int in_fd, int out_fd) {
        static char buf[FETCH_REQUEST_MAX];
        static struct fetch_args a;
        char *args[FETCH_REQUEST_ARGS_MAX + 2];
        struct fetch_runner *runner = NULL;
        size_t len = 0;
        int r;

        /* Held for as long as the agent runs, never longer: its end ends
         * us (and closes our input, in case it ended before this line). */
        if (prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0) < 0)
                return EXIT_FAILURE;
        (void) signal(SIGPIPE, SIG_IGN); /* a write to a gone agent fails instead */

        r = fetch_runner_new(true, &runner);
        if (r < 0) {
                fprintf(stderr, "<%d>jit-fetch --serve: cannot start: %s\n", LOG_ERR,
                        strerror_r(-r, (char[128]){}, 128));
                return EXIT_FAILURE;
        }
        for (;;) {
                size_t n = 0, req_len = 0;
                char msg[256];

                r = read_request(in_fd, buf, &len, args, &n, &req_len);
                if (r <= 0)
                        break;
                args[0] = (char *) "jit-fetch --serve";
                r = fetch_args_parse((int) n + 1, args, &a, msg, sizeof(msg));
                if (r < 0) {
                        r = malformed(msg);
                        break;
                }
                if (a.help || a.serve || a.subscribe || a.m.cloud != CLOUD_NONE) {
                        r = malformed("only a fetch from the store is served");
                        break;
                }
                r = fetch_runner_run(runner, &a.o, a.objects, a.n_objects, a.run_timeout_usec,
                                     out_fd);
                if (r < 0)
                        break; /* the agent is gone (said by fetch-run.c) */
                memmove(buf, buf + req_len, len - req_len);
                len -= req_len;
        }
        fetch_runner_free(runner);
        credentials_forget(); /* wiped, not left to the exit */
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
