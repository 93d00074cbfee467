/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* `jitctl publish --notify URL`: after the head is written, POST its
 * serial to a hint server's publisher endpoint (nginx with nchan:
 * docs/admin-guide.md), so subscribed hosts fetch it at once. The message
 * carries no authority: hosts fetch and verify the signed head. */

#include <stdint.h>

/* The URL is http:// or https://: 0, or -1 with the error printed. */
int notify_url_check(const char *url);

/* POST "serial N" to url (ca_file: NULL for the system's CAs), within
 * NOTIFY_TIMEOUT_SEC; 0, or a negative errno with the error printed. */
int notify_post(const char *url, const char *ca_file, uint64_t serial);
