/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* jit-agent --authorized-keys USER: sshd's AuthorizedKeysCommand (run as
 * AuthorizedKeysCommandUser, e.g. nobody). It prints run_dir/keys/USER as
 * the agent wrote it (the keys of the user's usable grants, each with its
 * expiry-time), and when there is none, and the user is not exempt, sends
 * the audit event "login of USER: no grant (refused at the key stage)":
 * with grant-only keys sshd refuses such a login before PAM runs, and
 * pam_jit never hears of it (docs/decisions.md, "Denials at the key
 * stage"). sshd runs the command only for a key its AuthorizedKeysFile did
 * not hold. */

/* 0 (keys, or none, printed), 1 when USER is not a user name or the
 * configuration does not load (sshd then takes no key from us). */
int agent_authorized_keys(const char *config_path, const char *user);
