/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdbool.h>
#include <string.h>

#include "cloud.h"
#include "macro.h"
#include "store-conf.h"

static bool all_of(const char *s, const char *set, size_t min, size_t max) {
        size_t n = strlen(s);
        return n >= min && n <= max && strspn(s, set) == n;
}

#define LOWER_DIGITS "abcdefghijklmnopqrstuvwxyz0123456789"
#define URL_CHARS                                                                                  \
        LOWER_DIGITS "ABCDEFGHIJKLMNOPQRSTUVWXYZ"                                                  \
                     "-._~/:[]"

const char *store_conf_check(const char *key, const char *value) {
        if (streq(key, "store_auth")) {
                enum cloud c;
                return cloud_from_string(value, &c) < 0 ? "expected auto, aws, gcp, azure or none"
                                                        : NULL;
        }
        if (streq(key, "store_endpoint")) {
                /* A scheme, a host[:port] and an optional path of plain
                 * characters (it is part of what SigV4 signs). */
                if (strncmp(value, "https://", 8) != 0 && strncmp(value, "http://", 7) != 0)
                        return "not an https:// (or http://) URL";
                if (strlen(value) > 512 || !all_of(value, URL_CHARS, 9, 512))
                        return "holds characters other than A-Z a-z 0-9 - . _ ~ / : [ ]";
                return NULL;
        }
        if (streq(key, "store_region"))
                return all_of(value, LOWER_DIGITS "-", 1, 32) ? NULL
                                                              : "not a region name (us-east-1)";
        if (streq(key, "store_client_id"))
                return all_of(value, "0123456789abcdefABCDEF-", 1, 64) ? NULL
                                                                       : "not a client id (a GUID)";
        return "unknown key";
}
