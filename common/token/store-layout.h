/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where a grant sits in the store, and which shards a host fetches: the one
 * set of rules both jitctl publish and jit-agent (and `jitctl store plan`)
 * use, so that a host never misses a grant that applies to it
 * (docs/bundle-format.md, "Which shards a host fetches").
 *
 * Each aud selector of a grant (a conjunction of facts) is keyed by ONE of
 * its facts: the one of lowest rank (store_fact_rank), ties broken by the
 * "key=value" text. A host that matches the selector has every one of its
 * facts, that one included, so fetching the bins of all its own facts finds
 * the grant. The fact is hashed (SHA-256 of "key=value") into one of the
 * head's `bins`; a bin too big for one shard is split into a power of two
 * of chunks by the hash of the grant's jti, so one grant change rewrites one
 * small shard. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "selector.h"

/* jitctl publish's defaults; a head names its own bins. */
#define STORE_BINS_DEFAULT 64u
#define STORE_CHUNK_TARGET_DEFAULT (24u * 1024u) /* bytes of grant tokens per shard */

/* Ranks, narrowest first: a grant keyed by a narrow fact is fetched by few
 * hosts. */
enum store_rank {
        STORE_RANK_HOST = 0,     /* host */
        STORE_RANK_INSTANCE = 1, /* aws.instance-id, gcp.instance-id, azure.vm-id */
        STORE_RANK_LABEL = 2,    /* config labels (keys without a dot), cloud tags and labels */
        STORE_RANK_ZONE = 3,     /* aws.az, gcp.zone, azure.resource-group */
        STORE_RANK_BROAD = 4,    /* every other cloud fact: account, project, region, … */
};

enum store_rank store_fact_rank(const char *key, size_t key_len);

/* The fact ("key=value") of a valid selector that keys it, copied into buf
 * (at least JIT_FACT_KEY_MAX + JIT_FACT_VALUE_MAX + 2 bytes). -EINVAL for a
 * selector that is not valid, -ENOBUFS when buf is too small. */
int store_selector_fact(const char *selector, char *buf, size_t size);

/* The bin of a fact "key=value": the first 4 bytes of its SHA-256, big
 * endian, modulo bins (bins >= 1). */
uint32_t store_fact_bin(const char *fact, size_t len, uint32_t bins);

/* The chunk of a grant in a bin of n_chunks (a power of two): the first 4
 * bytes of the SHA-256 of its jti, modulo n_chunks. */
uint32_t store_grant_chunk(const char *jti, uint32_t n_chunks);

/* The bins of a host's facts, sorted, each once, into ret (room for
 * f->n_facts entries); returns how many. */
size_t store_host_bins(const struct host_facts *f, uint32_t bins, uint32_t *ret);

/* Is bin among the sorted bins[0..n)? */
bool store_bins_contain(const uint32_t *bins, size_t n, uint32_t bin);
