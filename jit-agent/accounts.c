/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Accounts from grants: what exists in the user database decides, the
 * records themselves are made by common/host (user-record.c: the text,
 * uid-map.c: state_dir/uids, userdb-records.c: /run/userdb). */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "accounts.h"
#include "agent-log.h"
#include "uid-map.h"
#include "user-record.h"
#include "userdb-records.h"
#include "userdb.h"

/* The NSS answer for name is our own record: the record in /run/userdb is
 * jit-agent's and NSS gives it the uid we allocated (nss-systemd comes
 * after files, so a local account of the same name would win). */
static bool name_is_ours(const char *name, const struct uid_map *m) {
        uid_t mine, uid;
        gid_t gid;

        if (uid_map_get(m, name, &mine) < 0 || !userdb_record_is_ours(USERDB_DIR, name))
                return false;
        return user_uid_get(name, &uid) >= 0 && uid == mine && group_gid_get(name, &gid) >= 0 &&
               gid == mine;
}

/* Is uid taken, as a uid or as a gid, by anyone in the user database? */
static int uid_taken(uid_t uid, void *userdata) {
        char name[256];
        int r;

        (void) userdata;
        r = user_name_get(uid, name, sizeof(name));
        if (r >= 0 || r == -ENAMETOOLONG)
                return 1;
        if (r != -ESRCH)
                return r;
        r = group_name_get((gid_t) uid, name, sizeof(name));
        if (r >= 0 || r == -ENAMETOOLONG)
                return 1;
        return r == -ESRCH ? 0 : r;
}

static void refuse(struct agent *a, const char *name, const char *why) {
        if (strv_contains(a->accounts_refused, name))
                return;
        (void) strv_extend(&a->accounts_refused, name);
        agent_log_fields(LOG_WARNING, AGENT_MID_ACCOUNT_REFUSED,
                         (&(struct agent_log_fields){.user = name}), "account %s not created: %s",
                         name, why);
}

static void forget_refusal(struct agent *a, const char *name) {
        size_t k = 0;

        for (size_t i = 0; a->accounts_refused && a->accounts_refused[i]; i++) {
                if (streq(a->accounts_refused[i], name)) {
                        free(a->accounts_refused[i]);
                        continue;
                }
                a->accounts_refused[k++] = a->accounts_refused[i];
        }
        if (a->accounts_refused)
                a->accounts_refused[k] = NULL;
}

static void failed(const char *name, int r, const char *what) {
        agent_log_fields(LOG_ERR, AGENT_MID_ACCOUNT_FAILED,
                         (&(struct agent_log_fields){.user = name, .error = r}), "account %s: %s",
                         name, what);
}

static void account_remove(struct agent *a, const struct uid_map *m, const char *name) {
        struct jit_error err = {};
        uid_t uid;
        int r;

        if (uid_map_get(m, name, &uid) < 0)
                return; /* never ours: the map is written before any record */
        r = userdb_records_remove(USERDB_DIR, name, uid, &err);
        if (r < 0) {
                failed(name, r, err.message);
                return;
        }
        if (r == 0)
                return;
        agent_audit(AUDIT_ACCOUNT_REMOVED, LOG_NOTICE,
                    &(struct audit_fields){.user = name, .host = a->ctx.host, .result = "removed"},
                    "account %s (uid %u) removed: no usable grant holds it any more", name,
                    (unsigned) uid);
}

static void account_create(struct agent *a, struct uid_map *m, const char *name) {
        const struct jit_config *c = a->ctx.config;
        _cleanup_free_ char *user_text = NULL, *group_text = NULL;
        struct jit_error err = {};
        char why[128];
        bool fresh = false, known;
        uid_t uid = 0;
        gid_t gid;
        int r;

        if (name_is_ours(name, m))
                return; /* made already */
        /* Any source of the user database: files, LDAP/SSSD, another NSS
         * module, another drop-in. */
        if (user_uid_get(name, &uid) >= 0) {
                /* A local account made after ours shadows it: ours goes. */
                account_remove(a, m, name);
                (void) snprintf(why, sizeof(why), "the name exists in the user database (uid %u)",
                                (unsigned) uid);
                refuse(a, name, why);
                return;
        }
        if (group_gid_get(name, &gid) >= 0) {
                (void) snprintf(why, sizeof(why), "a group of that name exists (gid %u)",
                                (unsigned) gid);
                refuse(a, name, why);
                return;
        }
        known = uid_map_get(m, name, &uid) >= 0;
        if (known) {
                r = uid_taken(uid, NULL);
                if (r > 0) {
                        (void) snprintf(why, sizeof(why),
                                        "its uid %u (state_dir/uids) is someone else's now",
                                        (unsigned) uid);
                        refuse(a, name, why);
                        return;
                }
        } else {
                r = uid_map_allocate(m, name, c->user_uid_range.min, c->user_uid_range.max,
                                     uid_taken, NULL, &uid);
                if (r == -ENOSPC) {
                        (void) snprintf(why, sizeof(why),
                                        "user_uid_range %u-%u is full: no uid left for it",
                                        (unsigned) c->user_uid_range.min,
                                        (unsigned) c->user_uid_range.max);
                        refuse(a, name, why);
                        return;
                }
                fresh = true;
        }
        if (r < 0) {
                failed(name, r, "cannot look up the user database");
                return;
        }
        if (fresh) {
                /* The uid is this name's for good before any record names it. */
                r = uid_map_save(c->state_dir, m, &err);
                if (r < 0) {
                        failed(name, r, err.message);
                        return;
                }
        }
        r = user_record_format(name, uid, c->user_home_base, c->user_shell, &user_text);
        if (r >= 0)
                r = group_record_format(name, (gid_t) uid, &group_text);
        if (r < 0) {
                failed(name, r, "cannot format its record");
                return;
        }
        r = userdb_records_write(USERDB_DIR, name, uid, user_text, group_text, &err);
        if (r < 0) {
                failed(name, r, err.message);
                return;
        }
        forget_refusal(a, name);
        agent_audit(AUDIT_ACCOUNT_CREATED, LOG_NOTICE,
                    &(struct audit_fields){.user = name, .host = a->ctx.host, .result = "created"},
                    "account %s created: uid %u, home %s/%s, shell %s", name, (unsigned) uid,
                    c->user_home_base, name, c->user_shell);
}

void accounts_sync(struct agent *a, char *const *wanted, char *const *unwanted, bool full) {
        const struct jit_config *c = a->ctx.config;
        _cleanup_strv_free_ char **ours = NULL;
        struct uid_map m = {};
        struct jit_error err = {};
        int r;

        /* Nothing to do and nothing of ours: no file is read (create_users
         * off and never on, the common case). */
        if (!c->create_users && !full)
                return;
        r = uid_map_load(c->state_dir, &m, &err);
        if (r < 0) {
                /* Unreadable: nothing is made, nothing can be matched. */
                failed("*", r, err.message);
                return;
        }
        if (!c->create_users && m.n == 0)
                goto done;
        for (size_t i = 0; c->create_users && wanted && wanted[i]; i++)
                account_create(a, &m, wanted[i]);
        for (size_t i = 0; unwanted && unwanted[i]; i++)
                account_remove(a, &m, unwanted[i]);
        if (full && userdb_records_list(USERDB_DIR, &ours, &err) >= 0)
                for (size_t i = 0; ours[i]; i++)
                        if (!c->create_users || !strv_contains(wanted, ours[i]))
                                account_remove(a, &m, ours[i]);
done:
        uid_map_done(&m);
}
