/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* run_dir/sessions: the session records (session-record.h) on disk, root
 * 0600 in a root 0700 folder, changed under one lock. */

#include "error.h"
#include "session-record.h"

int session_record_load(const char *run_dir, const char *id, struct session_record **ret,
                        struct jit_error *err);
/* Atomic write of run_dir/sessions/<r->id>, mode 0600; creates the folder
 * (0700) when missing. */
int session_record_save(const char *run_dir, const struct session_record *r, struct jit_error *err);
int session_record_remove(const char *run_dir, const char *id, struct jit_error *err);

/* Load, edit and save a record under the sessions lock, so that two writers
 * (sudo adding an elevation, the agent re-binding a session to a new grant)
 * cannot lose each other's change. edit returns > 0 to save, 0 to leave the
 * record as it was, < 0 for an error (returned). -ENOENT: no such record. */
typedef int (*session_record_edit_t)(struct session_record *r, void *userdata,
                                     struct jit_error *err);
int session_record_update(const char *run_dir, const char *id, session_record_edit_t edit,
                          void *userdata, struct jit_error *err);

/* Add "target jti" to the record's elevated list (session_record_update). */
int session_record_add_elevation(const char *run_dir, const char *id, const char *target,
                                 const char *jti, struct jit_error *err);

/* The ids of all records (sorted). */
int session_records_list(const char *run_dir, char ***ret, struct jit_error *err);
/* The same names from a sessions folder that is not safe (not root's, or
 * writable by others): only to end the sessions they name. */
int session_records_list_unchecked(const char *run_dir, char ***ret);
