/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The fault controller: one counter shared by the wrap layer linked into the
 * test-only pam_jit-faults.so (wrap.c) and the tests. It lives in its own
 * shared library so its state outlives PAM's dlopen()/dlclose() of the
 * module and is the same for every module instance in the process.
 *
 * Every wrapped call the module makes counts; when armed with n > 0 the
 * n-th one fails (the wrapper returns the API's failure value). Blocks the
 * module allocates through a wrapped allocator are tracked until the module
 * frees them, so a test can assert nothing is left after pam_end(). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FAULT_FN_MAX 48

struct fault_site {
        char fn[FAULT_FN_MAX]; /* the wrapped function */
        uintptr_t offset;      /* return address - load base of the calling object */
        char object[256];      /* the calling object (dladdr) */
};

/* Start counting from zero; fail the n-th wrapped call (0: none). Also
 * forgets the previous injection. */
void fault_arm(unsigned long n);
/* Stop counting and failing. */
void fault_disarm(void);
/* Wrapped calls counted since fault_arm(). */
unsigned long fault_calls(void);
/* Whether the armed failure was injected, and where. */
bool fault_injected(struct fault_site *ret);

/* For the wrap layer: count a call to fn from caller; true: fail it. */
bool fault_hit(const char *fn, const void *caller);
/* For the wrap layer: p (non-NULL) was allocated by fn for caller / freed. */
void fault_track_alloc(const void *p, const char *fn, const void *caller);
void fault_track_free(const void *p);

/* Blocks allocated through the wrappers and not freed yet; the first one's
 * allocation site when ret is not NULL and there is one. */
size_t fault_live_blocks(struct fault_site *ret);
/* Forget every tracked block (after a report). */
void fault_forget_blocks(void);
