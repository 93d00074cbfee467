/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hint-wire.h"

size_t hint_wire_format(enum hint_event e, const char *message, char *buf, size_t size) {
        size_t n = 0;

        if (size < HINT_WIRE_LINE_MAX)
                return 0;
        switch (e) {
        case HINT_EVENT_HINT:
                n = (size_t) snprintf(buf, size, "hint\n");
                break;
        case HINT_EVENT_UP:
                n = (size_t) snprintf(buf, size, "up\n");
                break;
        case HINT_EVENT_DOWN:
                n = (size_t) snprintf(buf, size, "down ");
                /* Room is left for the newline and the terminating NUL. */
                for (const char *p = message && *message ? message : "?";
                     *p && n < HINT_WIRE_LINE_MAX - 2; p++) {
                        if (*p >= 0x20 && *p < 0x7f)
                                buf[n++] = *p;
                        else
                                buf[n++] = '?';
                }
                buf[n++] = '\n';
                buf[n] = '\0';
                break;
        }
        return n;
}

int hint_wire_parse(const char *line, size_t len, enum hint_event *ret_event, char *message,
                    size_t message_size) {
        if (len >= HINT_WIRE_LINE_MAX || !ret_event)
                return -EBADMSG;
        for (size_t i = 0; i < len; i++)
                if (line[i] < 0x20 || line[i] >= 0x7f)
                        return -EBADMSG;
        if (len == 4 && memcmp(line, "hint", 4) == 0)
                *ret_event = HINT_EVENT_HINT;
        else if (len == 2 && memcmp(line, "up", 2) == 0)
                *ret_event = HINT_EVENT_UP;
        else if (len > 5 && memcmp(line, "down ", 5) == 0) {
                *ret_event = HINT_EVENT_DOWN;
                if (message && message_size > 0)
                        (void) snprintf(message, message_size, "%.*s", (int) (len - 5), line + 5);
        } else
                return -EBADMSG;
        return 0;
}
