/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jitctl.h"
#include "macro.h"
#include "sudoers.h"

static unsigned file_warn(const char *path, const char *host_path) {
        _cleanup_(lines_done) struct lines l = {};
        _cleanup_free_ char *error = NULL;
        unsigned n = 0;

        if (file_read_quiet(path, &l, NULL, &error) < 0)
                return 0; /* unreadable or missing: sudo's business */
        for (size_t i = 0; i < l.n; i++) {
                const char *t = l.v[i].text + strspn(l.v[i].text, " \t");

                if (*t == '#' || !strstr(t, "NOPASSWD"))
                        continue;
                ctl_warning("%s:%zu: '%s' needs no password: with pam_jit out of sudo's stack it "
                            "makes its users root without a grant; remove it unless they are "
                            "break-glass users (or wire sudo again)",
                            host_path, i + 1, t);
                n++;
        }
        return n;
}

unsigned sudoers_warn_nopasswd(const struct wiring *w) {
        _cleanup_free_ char *main_path = root_path(w, "/etc/sudoers");
        _cleanup_free_ char *dir_path = root_path(w, "/etc/sudoers.d");
        DIR *d;
        unsigned n = 0;

        if (!main_path || !dir_path)
                return 0;
        n += file_warn(main_path, "/etc/sudoers");
        d = opendir(dir_path);
        if (!d)
                return n;
        for (struct dirent *e; (e = readdir(d));) {
                _cleanup_free_ char *path = NULL, *host = NULL;
                size_t len = strlen(e->d_name);

                if (strchr(e->d_name, '.') || (len > 0 && e->d_name[len - 1] == '~'))
                        continue;
                if (asprintf(&path, "%s/%s", dir_path, e->d_name) < 0 ||
                    asprintf(&host, "/etc/sudoers.d/%s", e->d_name) < 0)
                        break;
                n += file_warn(path, host);
        }
        closedir(d);
        return n;
}
