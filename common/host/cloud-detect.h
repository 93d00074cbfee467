/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Which cloud this host runs in, from DMI alone (no network call), the way
 * cloud-init's ds-identify and systemd's virt detection tell: the rules are
 * listed in docs/admin-guide.md, "Cloud facts". */

#include "error.h"

enum cloud {
        CLOUD_AUTO, /* only as a setting: detect */
        CLOUD_NONE, /* bare metal, or a cloud we do not know: nothing is asked */
        CLOUD_AWS,
        CLOUD_GCP,
        CLOUD_AZURE,
};

/* "auto", "none", "aws", "gcp", "azure". */
const char *cloud_to_string(enum cloud c);
int cloud_from_string(const char *s, enum cloud *ret);

/* The prefix of every fact the cloud adds ("aws."), NULL for none. */
const char *cloud_fact_prefix(enum cloud c);

/* Detect from the DMI files under sys_root (normally "/sys":
 * class/dmi/id/… and hypervisor/uuid). Files that are missing or not
 * readable (some are root's only) count as empty. Never fails: a host that
 * matches no rule is CLOUD_NONE. */
enum cloud cloud_detect_dmi(const char *sys_root);
