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

/* jit-agent --is-configured: 1 (with a line on stderr) when jit.conf loads
 * and names neither issuers nor a bundle_url, as the file the package ships;
 * else 0, also for a file that does not load (the start then fails, and
 * says why). jit-agent.service runs it as ExecCondition=: a host
 * (re)installed over a kept trust store does not start on the shipped
 * file, and the unit is skipped, not failed, until jit.conf is written. */
int agent_is_configured(const char *config_path);
