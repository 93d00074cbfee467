#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# pam_jit.so runs inside sshd and sudo, which may use PAM from several
# threads and own the process: it imports no non-reentrant libc call and
# nothing that changes process-wide state. readdir() is allowed: it is only
# used on a DIR* private to one call.
set -euo pipefail

so=${1:?usage: check-imports.sh /path/to/pam_jit.so}
forbidden=(
        # non-reentrant: the _r variants are what the module uses
        getpwnam getpwuid getpwent getgrnam getgrgid getgrent getlogin ttyname
        gmtime localtime ctime asctime strerror strtok rand srand drand48 strsignal
        ecvt fcvt gcvt tmpnam ptsname crypt readdir_r setlocale
        # process-wide state
        setenv putenv unsetenv clearenv openlog closelog setlogmask signal
        sigaction sigprocmask sigset sysv_signal bsd_signal atexit on_exit
        at_quick_exit exit _exit abort chdir fchdir umask setuid seteuid setgid
        setegid setresuid setresgid setgroups initgroups
        OPENSSL_cleanup OPENSSL_init_crypto ERR_free_strings EVP_cleanup
        CRYPTO_set_mem_functions
)

imports=$(nm -D --undefined-only "$so" | awk '{ sub(/@.*/, "", $2); print $2 }' | sort -u)
bad=0
for f in "${forbidden[@]}"; do
        if grep -qx -- "$f" <<<"$imports"; then
                echo "pam_jit.so imports $f" >&2
                bad=1
        fi
done
# The _r variants and gmtime_r are expected: prove nm saw the imports at all.
if ! grep -qx getpwnam_r <<<"$imports" || ! grep -qx strerror_r <<<"$imports"; then
        echo "no getpwnam_r/strerror_r among the imports: is this pam_jit.so?" >&2
        exit 1
fi
[[ $bad == 0 ]] || exit 1
echo "ok: none of ${#forbidden[@]} non-reentrant or process-wide calls imported"
