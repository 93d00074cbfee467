/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A request to the long-lived fetch helper (jit-fetch --serve,
 * jit-fetch/serve.c), written by jit-agent (jit-agent/fetch-server.c) on
 * the helper's stdin: the options a one-shot run takes on its command line
 * (--name=value, each as jit-agent/fetch-helper.c builds it), each ended by
 * a NUL byte, and the request ended by an empty string (one more NUL):
 *
 *   --url=s3://bucket/head.jwt\0--timeout-usec=30000000\0…\0\0
 *
 * At most FETCH_REQUEST_MAX bytes (terminator included) and
 * FETCH_REQUEST_ARGS_MAX options; each option starts with "--" and holds
 * no control byte. The agent is the only writer: a request that breaks
 * these rules is not answered, the helper ends (serve.c). The answer is what
 * a one-shot run writes (fetch-wire.h). */

#include <stddef.h>

#include "jit-limits.h"

#define FETCH_REQUEST_MAX (32u * 1024u)
#define FETCH_REQUEST_ARGS_MAX (32u + JIT_FETCH_OBJECTS_MAX)

/* Encode args[0..n) into buf (size bytes); its length in *ret_len.
 * -E2BIG: more than FETCH_REQUEST_MAX bytes, FETCH_REQUEST_ARGS_MAX
 * options or size; -EINVAL: an option breaks the rules above. */
int fetch_request_encode(char *const *args, size_t n, char *buf, size_t size, size_t *ret_len);

/* Split the request at the start of buf (len bytes, modified in place: each
 * option becomes a string). 0: complete, *ret_len bytes long, its options
 * in args[0..*ret_n) (args[*ret_n] = NULL; args has args_max + 1 slots).
 * -EAGAIN: no end yet, read more. -E2BIG: too long or too many options;
 * -EBADMSG: an option breaks the rules. On error msg says what. */
int fetch_request_parse(char *buf, size_t len, char **args, size_t args_max, size_t *ret_n,
                        size_t *ret_len, char *msg, size_t msg_size);
