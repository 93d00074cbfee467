/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Every size and count that crosses a trust boundary is capped here, in one
 * place, so a reviewer can read all of them at once (OpenSSH keeps its
 * SSH_AUTHOPT_*_MAX the same way). */

#define JIT_GRANT_TOKEN_MAX (64u * 1024u) /* one grant JWS, bytes */

/* The store (docs/bundle-format.md): a signed head, the one object a host
 * polls, and content-addressed shards of grant tokens. */
#define JIT_HEAD_TOKEN_MAX (4u * 1024u * 1024u) /* one head JWS, bytes */
#define JIT_HEAD_SHARDS_MAX 65536u              /* shards listed in one head */
#define JIT_HEAD_REVOKED_MAX 100000u            /* revocations listed in one head */
#define JIT_STORE_BINS_MAX 65536u               /* the head's "bins" */
#define JIT_SHARD_MAX (4u * 1024u * 1024u)      /* one shard, bytes */
#define JIT_SHARD_GRANTS_MAX 8192u              /* grant tokens in one shard */
#define JIT_HOST_SHARDS_MAX 4096u               /* shards one host fetches for one head */
#define JIT_STORE_GRANTS_MAX 1000000u           /* grants jitctl publish takes */
#define JIT_JSON_DEPTH_MAX 16u                  /* nesting of any JSON we parse */
#define JIT_JSON_MEMBERS_MAX 256u               /* members of one JSON object */
#define JIT_HEADER_JSON_MAX 4096u               /* decoded JOSE header, bytes */

#define JIT_CLAIM_STRING_MAX 256u  /* iss, jti, approver, ticket, a selector */
#define JIT_REASON_TEXT_MAX 1024u  /* the free-text "reason" claim */
#define JIT_USER_NAME_MAX 32u      /* sub and runas entries (useradd's limit) */
#define JIT_AUD_MAX 64u            /* selectors in aud */
#define JIT_SELECTOR_FACTS_MAX 16u /* facts AND-ed in one selector */
#define JIT_RUNAS_MAX 32u          /* entries in runas */
#define JIT_SCOPE_MAX 8u           /* entries in scope */
#define JIT_KEYS_MAX 16u           /* OpenSSH keys in one grant */
#define JIT_SSH_KEY_MAX 8192u      /* one OpenSSH public key line */
#define JIT_JTI_MAX 128u           /* a grant id */
#define JIT_KID_MAX 128u           /* a key id */

/* Numbers in claims are seconds since the epoch; anything above the year
 * 9999 is a bug or an attack (and json-c clamps overflowing literals to
 * INT64_MAX, which this bound also catches). 2^53-1 bounds the serial. */
#define JIT_TIME_MAX 253402300799LL
#define JIT_SERIAL_MAX 9007199254740991ULL

#define JIT_TRUST_KEYS_MAX 64u /* keys in a trust store */
#define JIT_TRUST_FILE_MAX (256u * 1024u)
#define JIT_CONFIG_FILE_MAX (64u * 1024u)
#define JIT_CONFIG_LINE_MAX 4096u
#define JIT_FACTS_FILE_MAX (64u * 1024u)
#define JIT_FACTS_MAX 256u /* facts of one host */
#define JIT_FACT_KEY_MAX 128u
#define JIT_FACT_VALUE_MAX 256u

/* Cloud metadata (docs/admin-guide.md, "Cloud facts"): the facts one cloud
 * may add, and the largest answer of its metadata service we read. */
#define JIT_CLOUD_FACTS_MAX 64u
#define JIT_METADATA_ANSWER_MAX (256u * 1024u)
#define JIT_CLOUD_FACTS_FILE_MAX (32u * 1024u) /* run_dir/cloud-facts */

/* Shards fetched by one jit-fetch run (docs/decisions.md, "One fetch run per
 * head's shards"): at most this many objects, a head needing more takes
 * several runs; and the run's time is at most this many fetch_timeouts, each
 * shard still within one. */
#define JIT_FETCH_OBJECTS_MAX 64u
#define JIT_FETCH_RUN_TIMEOUTS 4u

/* Host files (jit-agent writes them, pam_jit reads them). */
#define JIT_USER_GRANTS_MAX 1024u              /* grants of one user in one bundle */
#define JIT_USER_FILE_MAX (4u * 1024u * 1024u) /* state_dir/users/<user> */
#define JIT_STATE_FILE_MAX 4096u
#define JIT_REVOKED_FILE_MAX (16u * 1024u * 1024u)

/* Session records (run_dir/sessions/<id>). */
#define JIT_SESSION_ID_MAX 64u
#define JIT_SESSION_FILE_MAX 16384u
#define JIT_SESSION_ELEVATED_MAX 32u
#define JIT_SESSIONS_MAX 65536u
#define JIT_SESSION_SERVICE_MAX 64u   /* PAM service name */
#define JIT_SESSION_TTY_MAX 256u      /* PAM_TTY, also PAM_RHOST */
#define JIT_LOGIND_SESSION_ID_MAX 32u /* a logind session id */

/* jit.conf values. */
#define JIT_BUNDLE_URL_MAX 2048u
#define JIT_WARN_BEFORE_MAX 8u    /* entries in warn_before */
#define JIT_BUNDLE_MIRRORS_MAX 8u /* URLs in bundle_url */

/* A private key file (jitctl; the issuer's side). */
#define JIT_PRIVATE_KEY_FILE_MAX (64u * 1024u)

#define JIT_RSA_BITS_MIN 2048
#define JIT_RSA_BITS_MAX 8192

/* Accounts from grants (jit.conf(5), create_users): the default uid range,
 * at the top of Debian's regular range (useradd allocates from the bottom),
 * and the most uids one range may hold (state_dir/uids has a line each). */
#define JIT_USER_UID_MIN_DEFAULT 59000u
#define JIT_USER_UID_MAX_DEFAULT 59999u
#define JIT_USER_UID_RANGE_MAX 100000u
#define JIT_UID_MAP_FILE_MAX (4u * 1024u * 1024u)
