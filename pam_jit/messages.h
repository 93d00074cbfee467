/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the user is told, in one line each. Only the user's own grants are
 * ever named; grants for other hosts or users never appear. */

#include <security/pam_modules.h>
#include <stddef.h>
#include <stdint.h>

#include "access.h"
#include "args.h"

/* "14:05:00" in UTC, into buf: the second a grant ends, as everywhere. */
void format_hms_utc(int64_t t, char *buf, size_t size);

/* Tell the user why access is refused (PAM_ERROR_MSG). */
void message_denied(pam_handle_t *pamh, enum pam_jit_mode mode, const char *user, const char *runas,
                    const struct decision *d);

/* "access check failed; see the system log" */
void message_internal_error(pam_handle_t *pamh);

/* "access by grant … until 14:05 UTC, in 29 min" (PAM_TEXT_INFO). */
void message_access_until(pam_handle_t *pamh, const struct grant *g, int64_t now);
