/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "output.h"

static void vsay(const char *prefix, const char *fmt, va_list ap) {
        fputs(prefix, stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
}

void ctl_error(const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsay("jitctl: ", fmt, ap);
        va_end(ap);
}

void ctl_warning(const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsay("jitctl: warning: ", fmt, ap);
        va_end(ap);
}

void ctl_file_error(const char *path, const struct jit_error *err) {
        size_t n = strlen(path);

        /* Most library messages already name the file. */
        if (strncmp(err->message, path, n) == 0 && err->message[n] == ':')
                ctl_error("%s", err->message);
        else
                ctl_error("%s: %s", path, err->message);
}
