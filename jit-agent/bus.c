/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus.h"

/* The system bus, attached to the loop: unattached, the connection never
 * finishes its handshake and dbus-daemon drops it after its auth timeout. */
int agent_bus_open(struct agent *a) {
        _cleanup_(sd_bus_flush_close_unrefp) sd_bus *bus = NULL;
        int r;

        r = sd_bus_open_system(&bus);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(bus, a->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return r;
        sd_bus_flush_close_unref(a->bus);
        a->bus = TAKE_PTR(bus);
        return 0;
}
