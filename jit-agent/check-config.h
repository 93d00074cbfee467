/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* jit-agent --check-config: load jit.conf and the trust store with the one
 * loader pam_jit uses (config_trust_load(), root-owned files only), and say
 * what is wrong. jit-agent.service runs it as its first ExecReload=, so a
 * reload with a broken file fails `systemctl reload` instead of reporting
 * success while the agent keeps its old configuration. */

/* 0 when both load (a summary on stdout, warnings for what would refuse
 * every grant), else 1 with the reason on stderr. */
int agent_check_config(const char *config_path);
