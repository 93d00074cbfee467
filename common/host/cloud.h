/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The clouds jit-access knows, by name (the jit.conf key cloud, the
 * helper's --metadata=) and by the prefix of their facts. Apart from
 * cloud-detect.c so that pam_jit, which parses jit.conf, links the names
 * and not the detection (tests/pam/test-pam-dlopen.c checks). */

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
