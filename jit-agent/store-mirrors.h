/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Which of bundle_url's mirrors the next fetch goes to. A poll is a round:
 * it starts at the mirror that answered last and, when a fetch fails or its
 * head is refused (unreachable, an older serial, expired, a bad signature)
 * or a shard it names cannot be fetched from it, goes on to the next at
 * once; only a round in which every mirror failed counts as a failed poll
 * (backoff, "unreachable"). After a fallback, the first mirror is tried
 * first again MIRRORS_RETURN_USEC later. The rules for what is accepted are
 * the same whatever mirror served it: the signed head is the authority,
 * never where it came from. */

#include <stdbool.h>
#include <stdint.h>

#define MIRRORS_RETURN_USEC (600ULL * 1000000) /* 10 min */

struct store_mirrors {
        unsigned current;    /* the mirror of the fetch in flight or next */
        unsigned tried;      /* mirrors that failed in this round */
        unsigned preferred;  /* where a round starts: the last that answered */
        uint64_t left_first; /* CLOCK_MONOTONIC usec: when preferred left mirror 0 */
};

/* n mirrors (≥ 1). At the start of a round (no mirror failed yet in it),
 * choose where it starts; returns the mirror to fetch from. */
unsigned store_mirrors_next(struct store_mirrors *m, unsigned n, uint64_t now);

/* The fetch from the current mirror failed: true if another mirror is left
 * in this round (current moved to it), false if every one failed (the round
 * ends; the next starts from preferred). */
bool store_mirrors_failed(struct store_mirrors *m, unsigned n);

/* The current mirror answered with a head that was accepted (or is the
 * one held): the round ends there, and the next starts there. */
void store_mirrors_answered(struct store_mirrors *m, uint64_t now);
