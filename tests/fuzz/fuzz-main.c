/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Corpus replay: run the harness over every file named on the command line
 * or found in a folder named there. */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "macro.h"

#define REPLAY_FILE_MAX (64u * 1024u * 1024u)

static int replay_file(const char *path) {
        _cleanup_close_ int fd = -1;
        _cleanup_free_ uint8_t *buf = NULL;
        struct stat st;
        size_t len = 0;

        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) < 0) {
                fprintf(stderr, "%s: %m\n", path);
                return -errno;
        }
        if ((size_t) st.st_size > REPLAY_FILE_MAX) {
                fprintf(stderr, "%s: too large\n", path);
                return -EFBIG;
        }
        /* An exact-size heap copy, so ASan catches any read past the end. */
        buf = malloc((size_t) st.st_size + 1);
        if (!buf)
                return -ENOMEM;
        while (len < (size_t) st.st_size) {
                ssize_t n = read(fd, buf + len, (size_t) st.st_size - len);
                if (n <= 0) {
                        fprintf(stderr, "%s: short read\n", path);
                        return -EIO;
                }
                len += (size_t) n;
        }
        (void) LLVMFuzzerTestOneInput(buf, len);
        return 0;
}

static int replay_path(const char *path, unsigned *count) {
        struct stat st;
        DIR *d;
        struct dirent *de;
        int r = 0;

        if (stat(path, &st) < 0) {
                fprintf(stderr, "%s: %m\n", path);
                return -errno;
        }
        if (!S_ISDIR(st.st_mode)) {
                (*count)++;
                return replay_file(path);
        }
        d = opendir(path);
        if (!d)
                return -errno;
        while ((de = readdir(d))) {
                _cleanup_free_ char *p = NULL;

                if (de->d_name[0] == '.')
                        continue;
                if (asprintf(&p, "%s/%s", path, de->d_name) < 0) {
                        p = NULL;
                        r = -ENOMEM;
                        break;
                }
                r = replay_path(p, count);
                if (r < 0)
                        break;
        }
        closedir(d);
        return r;
}

int main(int argc, char *argv[]) {
        unsigned count = 0;

        for (int i = 1; i < argc; i++)
                if (replay_path(argv[i], &count) < 0)
                        return EXIT_FAILURE;
        if (count == 0) {
                fprintf(stderr,
                        "no corpus input found: a replay that runs nothing proves nothing\n");
                return EXIT_FAILURE;
        }
        printf("replayed %u inputs\n", count);
        return EXIT_SUCCESS;
}
