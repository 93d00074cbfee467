/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What `jit-fetch --subscribe` (jit-fetch/subscribe.c) tells jit-agent
 * (jit-agent/hint.c) on its stdout while it holds the notify_url
 * subscription: one line per event, nothing else.
 *
 *   hint              a message came: fetch the head now (its content is not
 *                     passed on; it carries no authority)
 *   up                the subscription answers (said once per change)
 *   down MESSAGE      it failed and is retried later (said once per change)
 *
 * The helper runs the network-facing code, so to the agent these lines are
 * untrusted input: a line is at most HINT_WIRE_LINE_MAX bytes, printable
 * ASCII, and one of the three; anything else is a broken helper. */

#include <stddef.h>

#define HINT_WIRE_LINE_MAX 256 /* the newline included */

enum hint_event {
        HINT_EVENT_HINT,
        HINT_EVENT_UP,
        HINT_EVENT_DOWN,
};

/* One line into buf (size ≥ HINT_WIRE_LINE_MAX), newline included; message
 * (DOWN only) is cut to fit and its control characters become '?'. Returns
 * the length. */
size_t hint_wire_format(enum hint_event e, const char *message, char *buf, size_t size);

/* Parse one line without its newline. 0 and *ret_event (and for DOWN the
 * message, NUL-terminated, into message of size HINT_WIRE_LINE_MAX), or
 * -EBADMSG. */
int hint_wire_parse(const char *line, size_t len, enum hint_event *ret_event, char *message,
                    size_t message_size);
