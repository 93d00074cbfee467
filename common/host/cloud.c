/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The clouds by name and fact prefix. */

#include <errno.h>

#include "cloud.h"
#include "macro.h"

static const char *const cloud_names[] = {
        [CLOUD_AUTO] = "auto", [CLOUD_NONE] = "none",   [CLOUD_AWS] = "aws",
        [CLOUD_GCP] = "gcp",   [CLOUD_AZURE] = "azure",
};

const char *cloud_to_string(enum cloud c) {
        return (unsigned) c < ELEMENTSOF(cloud_names) ? cloud_names[c] : "?";
}

int cloud_from_string(const char *s, enum cloud *ret) {
        for (size_t i = 0; s && i < ELEMENTSOF(cloud_names); i++)
                if (streq(s, cloud_names[i])) {
                        *ret = (enum cloud) i;
                        return 0;
                }
        return -EINVAL;
}

const char *cloud_fact_prefix(enum cloud c) {
        switch (c) {
        case CLOUD_AWS:
                return "aws.";
        case CLOUD_GCP:
                return "gcp.";
        case CLOUD_AZURE:
                return "azure.";
        default:
                return NULL;
        }
}
