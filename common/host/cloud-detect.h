/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Which cloud this host runs in, from DMI alone (no network call), the way
 * cloud-init's ds-identify and systemd's virt detection tell: the rules are
 * listed in docs/admin-guide.md, "Cloud facts". */

#include "cloud.h"

/* Detect from the DMI files under sys_root (normally "/sys":
 * class/dmi/id/… and hypervisor/uuid). Files that are missing or not
 * readable (some are root's only) count as empty. Never fails: a host that
 * matches no rule is CLOUD_NONE. */
enum cloud cloud_detect_dmi(const char *sys_root);
