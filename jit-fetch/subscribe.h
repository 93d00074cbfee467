/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* `jit-fetch --subscribe`: the notify_url subscription, held for as long as
 * the agent runs (docs/decisions.md says why a mode of this helper). It
 * long-polls in nchan's manner and tells the agent one line per event
 * (wire/hint-wire.h); it never fetches the store itself. */

#include <systemd/sd-event.h>

#include "fetch-wire.h"

/* How long one long-poll request may be held open before it is sent again
 * (nchan_subscriber_timeout should be shorter: docs/admin-guide.md). */
#define SUBSCRIBE_HOLD_USEC (120ULL * 1000000)

struct subscriber;

/* Start holding the subscription described by o (url, TLS options, connect
 * timeout; the size and total timeout are the subscription's own) on event,
 * writing events to out_fd. It runs until the event loop ends: the loop is
 * ended when out_fd's reader goes away. */
int subscribe_start(sd_event *event, const struct fetch_options *o, int out_fd,
                    struct subscriber **ret);
struct subscriber *subscriber_free(struct subscriber *s);
