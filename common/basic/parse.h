/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Parsers for the small value syntaxes shared by jit.conf and jitctl. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "90", "90s", "30m", "12h", "7d", or a sum like "1h30m". Seconds, at most
 * max. Returns 0 or -EINVAL / -ERANGE. */
int parse_duration(const char *s, int64_t max, int64_t *ret);

/* Decimal digits only, no sign, no leading zero (one value, one spelling, as
 * the state files written by jit-agent and pam_jit need), at most max. */
bool parse_uint_strict(const char *s, size_t len, uint64_t max, uint64_t *ret);

/* yes/no, true/false, on/off, 1/0. */
int parse_boolean(const char *s, bool *ret);

/* A Unix login name as useradd accepts by default, plus upper case:
 * [A-Za-z_][A-Za-z0-9_.-]{0,31}, not all digits, not "." or "..". */
bool user_name_is_valid(const char *s, size_t len);

/* An OpenSSH public key line "TYPE BASE64 [COMMENT]": a known key type, a
 * base64 blob whose embedded type matches, a printable comment, no options
 * and no line breaks (each is an authorized_keys injection). */
bool ssh_public_key_is_valid(const char *s, size_t len);

/* parse_uint_strict() for a time in seconds since the epoch, at most
 * JIT_TIME_MAX. */
bool parse_time_strict(const char *s, size_t len, int64_t *ret);

/* "2026-12-04T14:05:00Z": t in UTC, ISO 8601, into buf (ISO8601_UTC_LEN
 * + 1 bytes); false when t is out of gmtime's range. */
#define ISO8601_UTC_LEN 20
bool format_iso8601_utc(int64_t t, char buf[ISO8601_UTC_LEN + 1]);

/* A time written for machines and people alike: "1733321100" or
 * "1733321100 2026-12-04T14:05:00Z", the second part (when present) exactly
 * the first in UTC. */
bool parse_time_annotated(const char *s, size_t len, int64_t *ret);
