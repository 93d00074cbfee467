/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* PAM stacks of real distributions, as text, for the tests of jitctl's PAM
 * parser and planner (test-pam-plan.c, test-pam-stack.c). Debian 12: the
 * files of tests/cli/fixtures/debian12 (libpam-runtime 1.5.2, openssh-server
 * 9.2p1, sudo 1.9.13). RHEL 9: the files authselect 1.2 writes for its
 * "sssd" and "minimal" profiles and the sshd and sudo files of the
 * openssh-server and sudo packages. Comments are shortened; rules are as
 * shipped. */

#include "plan.h"

struct file {
        const char *name; /* host path */
        const char *text;
};

#define MARK PAM_MARKER "\n"
#define JIT_ACCOUNT MARK "account required pam_jit.so\n"
#define JIT_SESSION MARK "session required pam_jit.so\n"

/* ---- Debian 12 ---- */

#define DEB_COMMON_AUTH                                                                            \
        "# /etc/pam.d/common-auth - authentication settings common to all services\n"              \
        "auth\t[success=1 default=ignore]\tpam_unix.so nullok\n"                                   \
        "auth\trequisite\t\t\tpam_deny.so\n"                                                       \
        "auth\trequired\t\t\tpam_permit.so\n"
#define DEB_COMMON_ACCOUNT                                                                         \
        "# /etc/pam.d/common-account - authorization settings common to all services\n"            \
        "account\t[success=1 new_authtok_reqd=done default=ignore]\tpam_unix.so \n"                \
        "account\trequisite\t\t\tpam_deny.so\n"                                                    \
        "account\trequired\t\t\tpam_permit.so\n"
#define DEB_COMMON_PASSWORD                                                                        \
        "password\t[success=1 default=ignore]\tpam_unix.so obscure yescrypt\n"                     \
        "password\trequisite\t\t\tpam_deny.so\n"                                                   \
        "password\trequired\t\t\tpam_permit.so\n"
#define DEB_COMMON_SESSION_NI                                                                      \
        "session\t[default=1]\t\t\tpam_permit.so\n"                                                \
        "session\trequisite\t\t\tpam_deny.so\n"                                                    \
        "session\trequired\t\t\tpam_permit.so\n"                                                   \
        "session\trequired\tpam_unix.so \n"
#define DEB_COMMON_SESSION DEB_COMMON_SESSION_NI "session\toptional\tpam_systemd.so \n"

#define DEB_SSHD_HEAD                                                                              \
        "# PAM configuration for the Secure Shell service\n"                                       \
        "\n"                                                                                       \
        "# Standard Un*x authentication.\n"                                                        \
        "@include common-auth\n"                                                                   \
        "\n"                                                                                       \
        "# Disallow non-root logins when /etc/nologin exists.\n"                                   \
        "account    required     pam_nologin.so\n"                                                 \
        "\n"                                                                                       \
        "# Standard Un*x authorization.\n"
#define DEB_SSHD_ACCOUNT "@include common-account\n"
#define DEB_SSHD_SELINUX                                                                           \
        "\n"                                                                                       \
        "# SELinux needs to be the first session rule.\n"                                          \
        "session [success=ok ignore=ignore module_unknown=ignore default=bad]        "             \
        "pam_selinux.so close\n"                                                                   \
        "\n"
#define DEB_SSHD_LOGINUID                                                                          \
        "# Set the loginuid process attribute.\n"                                                  \
        "session    required     pam_loginuid.so\n"
#define DEB_SSHD_SESSION                                                                           \
        "\n"                                                                                       \
        "# Create a new session keyring.\n"                                                        \
        "session    optional     pam_keyinit.so force revoke\n"                                    \
        "\n"                                                                                       \
        "# Standard Un*x session setup and session cleanup.\n"                                     \
        "@include common-session\n"
#define DEB_SSHD_TAIL                                                                              \
        "\n"                                                                                       \
        "session    optional     pam_motd.so  motd=/run/motd.dynamic\n"                            \
        "session    optional     pam_motd.so noupdate\n"                                           \
        "session    optional     pam_mail.so standard noenv # [1]\n"                               \
        "session    required     pam_limits.so\n"                                                  \
        "session    required     pam_env.so # [1]\n"                                               \
        "session    required     pam_env.so user_readenv=1 envfile=/etc/default/locale\n"          \
        "session [success=ok ignore=ignore module_unknown=ignore default=bad]        "             \
        "pam_selinux.so open\n"                                                                    \
        "\n"                                                                                       \
        "# Standard Un*x password updating.\n"                                                     \
        "@include common-password\n"
#define DEB_SSHD                                                                                   \
        DEB_SSHD_HEAD DEB_SSHD_ACCOUNT DEB_SSHD_SELINUX DEB_SSHD_LOGINUID DEB_SSHD_SESSION         \
                DEB_SSHD_TAIL
#define DEB_SSHD_WIRED                                                                             \
        DEB_SSHD_HEAD JIT_ACCOUNT DEB_SSHD_ACCOUNT DEB_SSHD_SELINUX DEB_SSHD_LOGINUID              \
                DEB_SSHD_SESSION JIT_SESSION DEB_SSHD_TAIL

#define DEB_SUDO_HEAD                                                                              \
        "#%PAM-1.0\n"                                                                              \
        "\n"                                                                                       \
        "# Set up user limits from /etc/security/limits.conf.\n"                                   \
        "session    required   pam_limits.so\n"                                                    \
        "\n"                                                                                       \
        "session    required   pam_env.so readenv=1 user_readenv=0\n"                              \
        "session    required   pam_env.so readenv=1 envfile=/etc/default/locale user_readenv=0\n"  \
        "\n"                                                                                       \
        "@include common-auth\n"
#define DEB_SUDO DEB_SUDO_HEAD "@include common-account\n@include common-session-noninteractive\n"
#define DEB_SUDO_WIRED                                                                             \
        DEB_SUDO_HEAD JIT_ACCOUNT "@include common-account\n"                                      \
                                  "@include common-session-noninteractive\n" JIT_SESSION
#define DEB_SUDO_I DEB_SUDO_HEAD "@include common-account\n@include common-session\n"
#define DEB_SUDO_I_WIRED                                                                           \
        DEB_SUDO_HEAD JIT_ACCOUNT "@include common-account\n@include common-session\n" JIT_SESSION

/* cron (3.0pl1-162) and at (3.2.5-1): jobs are sessions too. */
#define DEB_CRON_HEAD                                                                              \
        "# The PAM configuration file for the cron daemon\n"                                       \
        "\n"                                                                                       \
        "@include common-auth\n"                                                                   \
        "\n"                                                                                       \
        "# Sets the loginuid process attribute\n"                                                  \
        "session    required     pam_loginuid.so\n"
#define DEB_CRON_MID                                                                               \
        "\n"                                                                                       \
        "# Read environment variables from pam_env's default files, /etc/environment\n"            \
        "# and /etc/security/pam_env.conf.\n"                                                      \
        "session       required   pam_env.so\n"                                                    \
        "\n"                                                                                       \
        "# In addition, read system locale information\n"                                          \
        "session       required   pam_env.so envfile=/etc/default/locale\n"                        \
        "\n"
#define DEB_CRON_TAIL                                                                              \
        "@include common-account\n"                                                                \
        "@include common-session-noninteractive \n"                                                \
        "\n"                                                                                       \
        "# Sets up user limits, please define limits for cron tasks\n"                             \
        "# through /etc/security/limits.conf\n"                                                    \
        "session    required   pam_limits.so\n"                                                    \
        "\n"
#define DEB_CRON DEB_CRON_HEAD DEB_CRON_MID DEB_CRON_TAIL
#define DEB_CRON_WIRED DEB_CRON_HEAD JIT_SESSION DEB_CRON_MID JIT_ACCOUNT DEB_CRON_TAIL
#define DEB_ATD_HEAD                                                                               \
        "#\n"                                                                                      \
        "# The PAM configuration file for the at daemon\n"                                         \
        "#\n"                                                                                      \
        "\n"                                                                                       \
        "@include common-auth\n"
#define DEB_ATD_ACCOUNT_LOGINUID                                                                   \
        "@include common-account\n"                                                                \
        "session    required   pam_loginuid.so\n"
#define DEB_ATD_TAIL                                                                               \
        "@include common-session-noninteractive\n"                                                 \
        "session    required   pam_limits.so\n"                                                    \
        "auth\trequired\tpam_env.so user_readenv=1\n"
#define DEB_ATD DEB_ATD_HEAD DEB_ATD_ACCOUNT_LOGINUID DEB_ATD_TAIL
#define DEB_ATD_WIRED DEB_ATD_HEAD JIT_ACCOUNT DEB_ATD_ACCOUNT_LOGINUID JIT_SESSION DEB_ATD_TAIL

static const struct file debian12[] = {
        {"/etc/pam.d/common-auth", DEB_COMMON_AUTH},
        {"/etc/pam.d/common-account", DEB_COMMON_ACCOUNT},
        {"/etc/pam.d/common-password", DEB_COMMON_PASSWORD},
        {"/etc/pam.d/common-session", DEB_COMMON_SESSION},
        {"/etc/pam.d/common-session-noninteractive", DEB_COMMON_SESSION_NI},
        {},
};

/* ---- RHEL 9, authselect ---- */

#define AUTHSELECT_HEAD                                                                            \
        "# Generated by authselect on Tue Mar  4 10:12:01 2025\n"                                  \
        "# Do not modify this file manually.\n"                                                    \
        "\n"
#define SSSD_AUTH                                                                                  \
        "auth        required                                     pam_env.so\n"                    \
        "auth        required                                     pam_faildelay.so "               \
        "delay=2000000\n"                                                                          \
        "auth        [default=1 ignore=ignore success=ok]         pam_usertype.so isregular\n"     \
        "auth        [default=1 ignore=ignore success=ok]         pam_localuser.so\n"              \
        "auth        sufficient                                   pam_unix.so nullok\n"            \
        "auth        [default=1 ignore=ignore success=ok]         pam_usertype.so isregular\n"     \
        "auth        sufficient                                   pam_sss.so forward_pass\n"       \
        "auth        required                                     pam_deny.so\n"                   \
        "\n"
#define SSSD_ACCOUNT                                                                               \
        "account     required                                     pam_unix.so\n"                   \
        "account     sufficient                                   pam_localuser.so\n"              \
        "account     sufficient                                   pam_usertype.so issystem\n"      \
        "account     [default=bad success=ok user_unknown=ignore] pam_sss.so\n"                    \
        "account     required                                     pam_permit.so\n"                 \
        "\n"
#define SSSD_PASSWORD                                                                              \
        "password    requisite                                    pam_pwquality.so "               \
        "local_users_only\n"                                                                       \
        "password    sufficient                                   pam_unix.so yescrypt shadow "    \
        "nullok use_authtok\n"                                                                     \
        "password    [success=1 default=ignore]                   pam_localuser.so\n"              \
        "password    sufficient                                   pam_sss.so use_authtok\n"        \
        "password    required                                     pam_deny.so\n"                   \
        "\n"
#define AUTHSELECT_SESSION                                                                         \
        "session     optional                                     pam_keyinit.so revoke\n"         \
        "session     required                                     pam_limits.so\n"                 \
        "-session    optional                                     pam_systemd.so\n"                \
        "session     [success=1 default=ignore]                   pam_succeed_if.so service in "   \
        "crond quiet use_uid\n"                                                                    \
        "session     required                                     pam_unix.so\n"
#define SSSD_SESSION                                                                               \
        AUTHSELECT_SESSION "session     optional                                     pam_sss.so\n"
#define RHEL_SSSD_SYSTEM_AUTH AUTHSELECT_HEAD SSSD_AUTH SSSD_ACCOUNT SSSD_PASSWORD SSSD_SESSION
#define RHEL_SSSD_PASSWORD_AUTH RHEL_SSSD_SYSTEM_AUTH

#define MINIMAL_AUTH                                                                               \
        "auth        required                                     pam_env.so\n"                    \
        "auth        required                                     pam_faildelay.so "               \
        "delay=2000000\n"                                                                          \
        "auth        sufficient                                   pam_unix.so nullok\n"            \
        "auth        required                                     pam_deny.so\n"                   \
        "\n"                                                                                       \
        "account     required                                     pam_unix.so\n"                   \
        "\n"                                                                                       \
        "password    requisite                                    pam_pwquality.so "               \
        "local_users_only\n"                                                                       \
        "password    sufficient                                   pam_unix.so yescrypt shadow "    \
        "nullok use_authtok\n"                                                                     \
        "password    required                                     pam_deny.so\n"                   \
        "\n"
#define RHEL_MINIMAL_SYSTEM_AUTH AUTHSELECT_HEAD MINIMAL_AUTH AUTHSELECT_SESSION

#define RHEL_POSTLOGIN                                                                             \
        AUTHSELECT_HEAD                                                                            \
        "session     optional                   pam_umask.so silent\n"                             \
        "session     [success=1 default=ignore] pam_succeed_if.so service !~ gdm* service !~ su* " \
        "quiet\n"                                                                                  \
        "session     [default=1]                pam_lastlog.so nowtmp showfailed\n"                \
        "session     optional                   pam_lastlog.so silent noupdate showfailed\n"

#define RHEL_SSHD_HEAD                                                                             \
        "#%PAM-1.0\n"                                                                              \
        "auth       substack     password-auth\n"                                                  \
        "auth       include      postlogin\n"                                                      \
        "account    required     pam_sepermit.so\n"                                                \
        "account    required     pam_nologin.so\n"
#define RHEL_SSHD_MID                                                                              \
        "account    include      password-auth\n"                                                  \
        "password   include      password-auth\n"                                                  \
        "# pam_selinux.so close should be the first session rule\n"                                \
        "session    required     pam_selinux.so close\n"                                           \
        "session    required     pam_loginuid.so\n"                                                \
        "# pam_selinux.so open should only be followed by sessions to be executed in the user "    \
        "context\n"                                                                                \
        "session    required     pam_selinux.so open env_params\n"                                 \
        "session    required     pam_namespace.so\n"                                               \
        "session    optional     pam_keyinit.so force revoke\n"                                    \
        "session    optional     pam_motd.so\n"                                                    \
        "session    include      password-auth\n"
#define RHEL_SSHD_TAIL "session    include      postlogin\n"
#define RHEL_SSHD RHEL_SSHD_HEAD RHEL_SSHD_MID RHEL_SSHD_TAIL
#define RHEL_SSHD_WIRED RHEL_SSHD_HEAD JIT_ACCOUNT RHEL_SSHD_MID JIT_SESSION RHEL_SSHD_TAIL

#define RHEL_SUDO_HEAD                                                                             \
        "#%PAM-1.0\n"                                                                              \
        "auth       include      system-auth\n"
#define RHEL_SUDO_MID                                                                              \
        "account    include      system-auth\n"                                                    \
        "password   include      system-auth\n"                                                    \
        "session    optional     pam_keyinit.so revoke\n"                                          \
        "session    required     pam_limits.so\n"                                                  \
        "session    include      system-auth\n"
#define RHEL_SUDO RHEL_SUDO_HEAD RHEL_SUDO_MID
#define RHEL_SUDO_WIRED RHEL_SUDO_HEAD JIT_ACCOUNT RHEL_SUDO_MID JIT_SESSION

/* sudo-i includes sudo: wiring sudo wires sudo -i too. */
#define RHEL_SUDO_I_HEAD                                                                           \
        "#%PAM-1.0\n"                                                                              \
        "auth       include      sudo\n"
#define RHEL_SUDO_I_MID                                                                            \
        "account    include      sudo\n"                                                           \
        "password   include      sudo\n"                                                           \
        "session    optional     pam_keyinit.so force revoke\n"                                    \
        "session    include      sudo\n"
#define RHEL_SUDO_I RHEL_SUDO_I_HEAD RHEL_SUDO_I_MID

/* cronie (crond) and at on RHEL 9, as shipped. */
#define RHEL_CROND_HEAD                                                                            \
        "#\n"                                                                                      \
        "# The PAM configuration file for the cron daemon\n"                                       \
        "#\n"                                                                                      \
        "#\n"                                                                                      \
        "# Although no PAM authentication is called, auth modules\n"                               \
        "# are used for credential setting\n"                                                      \
        "auth       include    password-auth\n"                                                    \
        "account    required   pam_access.so\n"
#define RHEL_CROND_MID                                                                             \
        "account    include    password-auth\n"                                                    \
        "session    required   pam_loginuid.so\n"                                                  \
        "session    include    password-auth\n"
#define RHEL_CROND RHEL_CROND_HEAD RHEL_CROND_MID
#define RHEL_CROND_WIRED RHEL_CROND_HEAD JIT_ACCOUNT RHEL_CROND_MID JIT_SESSION
#define RHEL_ATD_HEAD                                                                              \
        "# The PAM configuration file for the at daemon\n"                                         \
        "#\n"                                                                                      \
        "#\n"                                                                                      \
        "auth       required     pam_env.so\n"                                                     \
        "auth       include      password-auth\n"                                                  \
        "account    required     pam_access.so\n"
#define RHEL_ATD_MID                                                                               \
        "account    include      password-auth\n"                                                  \
        "session    required     pam_loginuid.so\n"                                                \
        "session    include      password-auth\n"
#define RHEL_ATD RHEL_ATD_HEAD RHEL_ATD_MID
#define RHEL_ATD_WIRED RHEL_ATD_HEAD JIT_ACCOUNT RHEL_ATD_MID JIT_SESSION

static const struct file rhel9_sssd[] = {
        {"/etc/pam.d/system-auth", RHEL_SSSD_SYSTEM_AUTH},
        {"/etc/pam.d/password-auth", RHEL_SSSD_PASSWORD_AUTH},
        {"/etc/pam.d/postlogin", RHEL_POSTLOGIN},
        {"/etc/pam.d/sudo", RHEL_SUDO},
        {},
};

static const struct file rhel9_minimal[] = {
        {"/etc/pam.d/system-auth", RHEL_MINIMAL_SYSTEM_AUTH},
        {"/etc/pam.d/password-auth", RHEL_MINIMAL_SYSTEM_AUTH},
        {"/etc/pam.d/postlogin", RHEL_POSTLOGIN},
        {},
};
