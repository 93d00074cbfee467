/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* sshd's side of jitctl pam: the drop-in that points AuthorizedKeysFile at
 * the keys files jit-agent keeps, and the checks that sshd would read it.
 * jitctl never edits sshd_config itself. */

#include "apply.h"

#define SSHD_CONFIG "/etc/ssh/sshd_config"
#define SSHD_DROPIN_DIR "/etc/ssh/sshd_config.d"
#define SSHD_DROPIN_NAME "50-jit-access.conf"
#define SSHD_DROPIN SSHD_DROPIN_DIR "/" SSHD_DROPIN_NAME

/* Would sshd use the drop-in's AuthorizedKeysFile? -EPERM after saying why
 * not. */
int sshd_config_check(const struct wiring *w);
/* The drop-in for run_dir's keys; refused when sshd would not read it or a
 * file of that name was not written by jitctl. */
int dropin_plan_enable(struct wiring *w, const char *run_dir, struct change *ret);
/* Remove the drop-in jitctl wrote; -ENOENT when there is none to remove
 * (*ret_foreign counts one that jitctl did not write). */
int dropin_plan_disable(struct wiring *w, struct change *ret, unsigned *ret_foreign);
/* "sshd keys: …" for jitctl pam status. */
int dropin_status(struct wiring *w);
