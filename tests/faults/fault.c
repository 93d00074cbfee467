/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"

#define _public_ __attribute__((visibility("default")))
#define TRACK_MAX 65536u

struct block {
        const void *p;
        const char *fn;
        const void *caller;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool armed;
static unsigned long target, calls;
static bool injected;
static struct fault_site site;
/* Live blocks: few at a time (one PAM transaction's), so a flat array with
 * swap-remove is enough. */
static struct block blocks[TRACK_MAX];
static size_t n_blocks;
static bool overflow;
static bool trace; /* $JIT_FAULT_TRACE: every counted call to stderr */

__attribute__((constructor)) static void trace_init(void) {
        trace = getenv("JIT_FAULT_TRACE") != NULL;
}

static void site_fill(struct fault_site *s, const char *fn, const void *caller) {
        Dl_info info = {};

        *s = (struct fault_site){};
        (void) snprintf(s->fn, sizeof(s->fn), "%s", fn);
        if (caller && dladdr(caller, &info) != 0 && info.dli_fbase) {
                s->offset = (uintptr_t) caller - (uintptr_t) info.dli_fbase;
                (void) snprintf(s->object, sizeof(s->object), "%s",
                                info.dli_fname ? info.dli_fname : "?");
        }
}

_public_ void fault_arm(unsigned long n) {
        pthread_mutex_lock(&lock);
        armed = true;
        target = n;
        calls = 0;
        injected = false;
        site = (struct fault_site){};
        pthread_mutex_unlock(&lock);
}

_public_ void fault_disarm(void) {
        pthread_mutex_lock(&lock);
        armed = false;
        pthread_mutex_unlock(&lock);
}

_public_ unsigned long fault_calls(void) {
        unsigned long n;

        pthread_mutex_lock(&lock);
        n = calls;
        pthread_mutex_unlock(&lock);
        return n;
}

_public_ bool fault_injected(struct fault_site *ret) {
        bool b;

        pthread_mutex_lock(&lock);
        b = injected;
        if (ret)
                *ret = site;
        pthread_mutex_unlock(&lock);
        return b;
}

_public_ bool fault_hit(const char *fn, const void *caller) {
        bool fail = false;

        pthread_mutex_lock(&lock);
        if (armed) {
                calls++;
                if (trace) {
                        struct fault_site t;

                        site_fill(&t, fn, caller);
                        fprintf(stderr, "fault-trace %lu %s +0x%lx\n", calls, fn,
                                (unsigned long) t.offset);
                }
                if (target != 0 && calls == target) {
                        fail = injected = true;
                        site_fill(&site, fn, caller);
                }
        }
        pthread_mutex_unlock(&lock);
        return fail;
}

_public_ void fault_track_alloc(const void *p, const char *fn, const void *caller) {
        if (!p)
                return;
        pthread_mutex_lock(&lock);
        if (n_blocks < TRACK_MAX)
                blocks[n_blocks++] = (struct block){p, fn, caller};
        else
                overflow = true;
        pthread_mutex_unlock(&lock);
}

_public_ void fault_track_free(const void *p) {
        if (!p)
                return;
        pthread_mutex_lock(&lock);
        /* Newest first: most blocks die young. Blocks the module did not
         * allocate (a conversation's reply) are simply not found. */
        for (size_t i = n_blocks; i > 0; i--)
                if (blocks[i - 1].p == p) {
                        blocks[i - 1] = blocks[--n_blocks];
                        break;
                }
        pthread_mutex_unlock(&lock);
}

_public_ size_t fault_live_blocks(struct fault_site *ret) {
        size_t n;

        pthread_mutex_lock(&lock);
        n = n_blocks + (overflow ? 1 : 0);
        if (ret) {
                if (n_blocks > 0)
                        site_fill(ret, blocks[0].fn, blocks[0].caller);
                else
                        *ret = (struct fault_site){};
        }
        pthread_mutex_unlock(&lock);
        return n;
}

_public_ void fault_forget_blocks(void) {
        pthread_mutex_lock(&lock);
        n_blocks = 0;
        overflow = false;
        pthread_mutex_unlock(&lock);
}
