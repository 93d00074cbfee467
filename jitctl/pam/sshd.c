/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "jitctl.h"
#include "plan.h"
#include "sshd.h"

struct token {
        const char *s;
        size_t len;
};

static bool next_token(const char **p, struct token *ret) {
        const char *s = *p + strspn(*p, " \t"), *e;

        if (*s == '\0')
                return false;
        e = s + strcspn(s, " \t");
        *ret = (struct token){s, (size_t) (e - s)};
        *p = e;
        return true;
}

static bool token_is(const struct token *t, const char *word) {
        return t->len == strlen(word) && strncasecmp(t->s, word, t->len) == 0;
}

/* "Keyword value" or "Keyword=value": the keyword, case as written. */
static bool sshd_keyword(const char *line, struct token *ret_kw, const char **ret_rest) {
        const char *p = line + strspn(line, " \t"), *e;

        if (*p == '\0' || *p == '#')
                return false;
        e = p + strcspn(p, " \t=");
        *ret_kw = (struct token){p, (size_t) (e - p)};
        e += strspn(e, " \t");
        if (*e == '=')
                e++;
        *ret_rest = e + strspn(e, " \t");
        return true;
}

/* Would sshd use a drop-in's AuthorizedKeysFile? It keeps the first value
 * it sees, so sshd_config must Include sshd_config.d/ *.conf (outside any
 * Match) before any AuthorizedKeysFile of its own, and no drop-in read
 * before ours may set one. */
int sshd_config_check(const struct wiring *w) {
        _cleanup_(lines_done) struct lines l = {};
        _cleanup_free_ char *path = NULL, *dir = NULL;
        _cleanup_free_ struct dirent **names = NULL;
        bool included = false;
        int r, n;

        path = root_path(w, SSHD_CONFIG);
        if (!path)
                return -ENOMEM;
        r = file_read(path, true, &l, NULL);
        if (r == -ENOENT) {
                ctl_error("pam enable: refused: %s does not exist: is openssh-server installed?",
                          path);
                return -EPERM;
        }
        if (r < 0)
                return r;
        for (size_t i = 0; i < l.n && !included; i++) {
                struct token kw, arg;
                const char *rest;

                if (!sshd_keyword(l.v[i].text, &kw, &rest))
                        continue;
                if (token_is(&kw, "Match"))
                        break;
                if (token_is(&kw, "AuthorizedKeysFile")) {
                        ctl_error("pam enable: refused: %s:%zu sets AuthorizedKeysFile before it "
                                  "includes " SSHD_DROPIN_DIR "/*.conf; sshd keeps the first "
                                  "value, so the drop-in would be ignored. Remove that line, or "
                                  "add the keys folder to it yourself",
                                  path, i + 1);
                        return -EPERM;
                }
                if (!token_is(&kw, "Include"))
                        continue;
                while (next_token(&rest, &arg))
                        if (token_is(&arg, SSHD_DROPIN_DIR "/*.conf") ||
                            token_is(&arg, "sshd_config.d/*.conf"))
                                included = true;
        }
        if (!included) {
                ctl_error("pam enable: refused: %s does not include " SSHD_DROPIN_DIR
                          "/*.conf before any Match block (Debian's default), so a drop-in "
                          "cannot set AuthorizedKeysFile; jitctl does not edit sshd_config: add "
                          "'Include " SSHD_DROPIN_DIR "/*.conf' at its top",
                          path);
                return -EPERM;
        }

        dir = root_path(w, SSHD_DROPIN_DIR);
        if (!dir)
                return -ENOMEM;
        n = scandir(dir, &names, NULL, alphasort);
        if (n < 0)
                return errno == ENOENT ? 0 : -errno;
        r = 0;
        for (int i = 0; i < n; i++) {
                _cleanup_(lines_done) struct lines d = {};
                _cleanup_free_ char *p = NULL;
                const char *name = names[i]->d_name;
                size_t len = strlen(name);

                if (r < 0 || len < 5 || !streq(name + len - 5, ".conf") ||
                    strcmp(name, SSHD_DROPIN_NAME) >= 0) {
                        free(names[i]);
                        continue;
                }
                p = path_join(dir, name);
                free(names[i]);
                if (!p) {
                        r = -ENOMEM;
                        continue;
                }
                if (file_read(p, true, &d, NULL) < 0)
                        continue;
                for (size_t k = 0; k < d.n; k++) {
                        struct token kw;
                        const char *rest;

                        if (!sshd_keyword(d.v[k].text, &kw, &rest))
                                continue;
                        if (token_is(&kw, "Match"))
                                break;
                        if (token_is(&kw, "AuthorizedKeysFile")) {
                                ctl_error("pam enable: refused: %s:%zu sets AuthorizedKeysFile "
                                          "and sshd reads it before " SSHD_DROPIN_NAME
                                          " (it keeps the first value)",
                                          p, k + 1);
                                r = -EPERM;
                                break;
                        }
                }
        }
        return r;
}

int dropin_plan_enable(struct wiring *w, const char *run_dir, struct change *ret) {
        _cleanup_free_ char *text = NULL, *keys = NULL;
        size_t len;
        int r;

        r = sshd_config_check(w);
        if (r < 0)
                return r;

        ret->host_path = strdup(SSHD_DROPIN);
        ret->path = root_path(w, SSHD_DROPIN);
        if (!ret->host_path || !ret->path)
                return -ENOMEM;
        keys = strdup(run_dir);
        if (!keys)
                return -ENOMEM;
        while ((len = strlen(keys)) > 1 && keys[len - 1] == '/')
                keys[len - 1] = '\0';
        if (keys[strcspn(keys, " \t\"%")] != '\0') {
                ctl_error("pam enable: refused: run_dir '%s' cannot be written in "
                          "AuthorizedKeysFile (space, quote or %%)",
                          run_dir);
                return -EPERM;
        }
        if (asprintf(&text,
                     PAM_MARKER "\n"
                                "# sshd reads the keys jit-agent keeps for valid grants, then "
                                "the user's own.\n"
                                "# jitctl pam disable removes this file.\n"
                                "AuthorizedKeysFile %s/keys/%%u .ssh/authorized_keys\n",
                     streq(keys, "/") ? "" : keys) < 0)
                return -ENOMEM;
        r = lines_split(text, strlen(text), &ret->new);
        if (r < 0)
                return r;
        ret->mode = 0644;
        r = file_read(ret->path, true, &ret->old, NULL);
        if (r < 0 && r != -ENOENT)
                return r;
        if (r >= 0) {
                ret->existed = true;
                if (ret->old.n == 0 || !streq(ret->old.v[0].text, PAM_MARKER)) {
                        ctl_error("pam enable: refused: %s exists and was not written by jitctl; "
                                  "move it away first",
                                  ret->path);
                        return -EPERM;
                }
        }
        ret->summary = strdup(!ret->existed                    ? "written"
                              : lines_eq(&ret->old, &ret->new) ? "already in place"
                                                               : "updated");
        return ret->summary ? 0 : -ENOMEM;
}

int dropin_plan_disable(struct wiring *w, struct change *ret, unsigned *ret_foreign) {
        int r;

        ret->host_path = strdup(SSHD_DROPIN);
        ret->path = root_path(w, SSHD_DROPIN);
        if (!ret->host_path || !ret->path)
                return -ENOMEM;
        r = file_read(ret->path, true, &ret->old, &ret->mode);
        if (r < 0)
                return r;
        ret->existed = true;
        if (ret->old.n == 0 || !streq(ret->old.v[0].text, PAM_MARKER)) {
                ctl_warning("%s was not written by jitctl; left in place", ret->path);
                (*ret_foreign)++;
                return -ENOENT;
        }
        ret->remove = true;
        ret->summary = strdup("removed");
        return ret->summary ? 0 : -ENOMEM;
}

int dropin_status(struct wiring *w) {
        _cleanup_(lines_done) struct lines d = {};
        _cleanup_free_ char *dropin = NULL;
        const char *akf = NULL;
        int r;

        dropin = root_path(w, SSHD_DROPIN);
        if (!dropin)
                return -ENOMEM;
        r = file_read(dropin, true, &d, NULL);
        if (r == -ENOENT) {
                printf("sshd keys: no " SSHD_DROPIN "\n");
                return 0;
        }
        if (r < 0)
                return r;
        for (size_t i = 0; i < d.n && !akf; i++) {
                struct token kw;
                const char *rest;

                if (sshd_keyword(d.v[i].text, &kw, &rest) && token_is(&kw, "AuthorizedKeysFile"))
                        akf = rest;
        }
        printf("sshd keys: " SSHD_DROPIN " present%s%s%s\n", akf ? " (AuthorizedKeysFile " : "",
               strempty(akf), akf ? ")" : "");
        return 0;
}
