/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A line to the terminals of a session (warn.c). */

#include <stdint.h>

#include "macro.h"

void session_warn(uint32_t audit_session, const char *fmt, ...) _printf_(2, 3);
