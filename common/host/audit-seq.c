/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit-seq.h"
#include "macro.h"

#define LINE_LEN (AUDIT_SEQ_ID_LEN + 1 + 20 + 1)
#define LOCK_TRIES 100 /* × 1 ms: a login never waits longer on numbering */

static bool line_parse(const char *s, size_t len, struct audit_seq *ret) {
        uint64_t n = 0;

        if (len != LINE_LEN || s[AUDIT_SEQ_ID_LEN] != ' ' || s[LINE_LEN - 1] != '\n')
                return false;
        for (size_t i = 0; i < AUDIT_SEQ_ID_LEN; i++)
                if (!strchr("0123456789abcdef", s[i]) || s[i] == '\0')
                        return false;
        for (size_t i = AUDIT_SEQ_ID_LEN + 1; i < LINE_LEN - 1; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return false;
                if (__builtin_mul_overflow(n, 10, &n) || __builtin_add_overflow(n, s[i] - '0', &n))
                        return false;
        }
        memcpy(ret->id, s, AUDIT_SEQ_ID_LEN);
        ret->id[AUDIT_SEQ_ID_LEN] = '\0';
        ret->n = n;
        return true;
}

static int new_id(char id[static AUDIT_SEQ_ID_LEN + 1]) {
        unsigned char b[AUDIT_SEQ_ID_LEN / 2];

        if (getrandom(b, sizeof(b), GRND_NONBLOCK) != (ssize_t) sizeof(b))
                return errno > 0 ? -errno : -EIO;
        for (size_t i = 0; i < sizeof(b); i++)
                (void) snprintf(id + 2 * i, 3, "%02x", b[i]);
        return 0;
}

static int lock_briefly(int fd) {
        for (int i = 0; i < LOCK_TRIES; i++) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        return 0;
                if (errno != EWOULDBLOCK && errno != EINTR)
                        return -errno;
                (void) nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
        }
        return -ETIMEDOUT;
}

int audit_seq_next(const char *run_dir, struct audit_seq *ret) {
        _cleanup_close_ int dfd = -EBADF, fd = -EBADF;
        char buf[LINE_LEN + 1];
        struct audit_seq s = {};
        struct stat st;
        ssize_t k;
        int r;

        if (!run_dir || !ret)
                return -EINVAL;
        /* The folder is the agent's (or pam_jit's, for session records):
         * numbering never creates it, and trusts it only when root's. */
        dfd = open(run_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        if (fstat(dfd, &st) < 0)
                return -errno;
        if (st.st_uid != geteuid() || (st.st_mode & 0022))
                return -EPERM;
        fd = openat(dfd, AUDIT_SEQ_FILE, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                    0600);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 0077))
                return -EPERM;
        r = lock_briefly(fd);
        if (r < 0)
                return r;

        k = pread(fd, buf, sizeof(buf), 0);
        if (k < 0)
                return -errno;
        if (!line_parse(buf, (size_t) k, &s) || s.n == UINT64_MAX) {
                r = new_id(s.id);
                if (r < 0)
                        return r;
                s.n = 0;
        }
        s.n++;
        (void) snprintf(buf, sizeof(buf), "%s %020" PRIu64 "\n", s.id, s.n);
        /* One pwrite of a fixed-size line under the lock: no reader sees a
         * half-written number, and no fsync (a login must stay fast; after
         * a crash /run is gone and the sequence starts again anyway). */
        k = pwrite(fd, buf, LINE_LEN, 0);
        if (k != LINE_LEN)
                return k < 0 ? -errno : -EIO;
        *ret = s;
        return 0; /* the lock goes with the descriptor */
}
