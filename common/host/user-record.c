/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"
#include "parse.h"
#include "user-record.h"

/* A JSON string body: '"' and '\' escaped. Config paths are printable
 * ASCII without spaces (jit.conf(5)) and names are checked, so nothing else
 * needs escaping; anything below 0x20 or above 0x7e is refused anyway. */
static int json_put_string(FILE *f, const char *s) {
        fputc('"', f);
        for (; *s; s++) {
                unsigned char c = (unsigned char) *s;

                if (c < 0x20 || c > 0x7e)
                        return -EINVAL;
                if (c == '"' || c == '\\')
                        fputc('\\', f);
                fputc(c, f);
        }
        fputc('"', f);
        return 0;
}

static int memstream_finish(FILE *f, char **buf, int r, char **ret) {
        if (fclose(f) != 0 && r >= 0)
                r = -ENOMEM;
        if (r < 0) {
                free(*buf);
                *buf = NULL;
                return r;
        }
        *ret = *buf;
        return 0;
}

int user_record_format(const char *name, uid_t uid, const char *home_base, const char *shell,
                       char **ret) {
        size_t base_len;
        char *buf = NULL;
        size_t len = 0;
        FILE *f;
        int r = 0;

        if (!name || !home_base || !shell || !ret || !user_name_is_valid(name, strlen(name)) ||
            home_base[0] != '/' || shell[0] != '/')
                return -EINVAL;
        base_len = strlen(home_base);
        while (base_len > 1 && home_base[base_len - 1] == '/')
                base_len--; /* "/home/" and "/home" give the same home */
        f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        fputs("{\"userName\":", f);
        r = json_put_string(f, name);
        fprintf(f, ",\"uid\":%u,\"gid\":%u,\"realName\":", (unsigned) uid, (unsigned) uid);
        if (r >= 0)
                r = json_put_string(f, name);
        fputs(",\"homeDirectory\":\"", f);
        for (size_t i = 0; r >= 0 && i < base_len; i++) {
                unsigned char c = (unsigned char) home_base[i];

                if (c < 0x20 || c > 0x7e)
                        r = -EINVAL;
                else {
                        if (c == '"' || c == '\\')
                                fputc('\\', f);
                        fputc(c, f);
                }
        }
        fprintf(f, "%s%s\",\"shell\":", base_len == 1 ? "" : "/", name);
        if (r >= 0)
                r = json_put_string(f, shell);
        fputs(",\"disposition\":\"regular\",\"service\":\"" USER_RECORD_SERVICE "\"}\n", f);
        return memstream_finish(f, &buf, r, ret);
}

int group_record_format(const char *name, gid_t gid, char **ret) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f;
        int r;

        if (!name || !ret || !user_name_is_valid(name, strlen(name)))
                return -EINVAL;
        f = open_memstream(&buf, &len);
        if (!f)
                return -ENOMEM;
        fputs("{\"groupName\":", f);
        r = json_put_string(f, name);
        fprintf(f,
                ",\"gid\":%u,\"disposition\":\"regular\",\"service\":\"" USER_RECORD_SERVICE
                "\"}\n",
                (unsigned) gid);
        return memstream_finish(f, &buf, r, ret);
}

bool user_record_is_ours(const char *text, size_t len) {
        static const char marker[] = "\"service\":\"" USER_RECORD_SERVICE "\"";

        return text && memmem(text, len, marker, sizeof(marker) - 1) != NULL;
}
