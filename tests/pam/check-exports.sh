#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The module's dynamic symbol table defines exactly the five PAM entry points
# (pam_jit.sym): nothing of libjit, whose symbols would otherwise bind to
# another module's copy in the same sshd or sudo process, nothing else.
set -euo pipefail

so=${1:?usage: check-exports.sh /path/to/pam_jit.so}
want=$'pam_sm_acct_mgmt\npam_sm_authenticate\npam_sm_close_session\npam_sm_open_session\npam_sm_setcred'

# Defined dynamic symbols, names only (version nodes such as "@@…" cut off).
got=$(nm -D --defined-only "$so" | awk '{ sub(/@.*/, "", $3); print $3 }' | sort -u)
if [[ "$got" != "$want" ]]; then
        echo "pam_jit.so exports:" >&2
        echo "$got" >&2
        echo "want exactly:" >&2
        echo "$want" >&2
        diff <(echo "$want") <(echo "$got") >&2 || true
        exit 1
fi
echo "ok: exports exactly the five pam_sm_* entry points"


# What the module loads into sshd and sudo: libsystemd (with its compression
# libraries) cost sudo half a millisecond per call to load and unload, so
# the module speaks journald's protocol itself (docs/benchmarks.md).
needed=$(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort)
for lib in $needed; do
        case "$lib" in
        libcrypto.so.* | libjson-c.so.* | libpam.so.* | libc.so.*) ;;
        # the runtimes of a -Db_sanitize build, never of a release one
        libasan.so.* | libubsan.so.*) ;;
        *)
                echo "pam_jit.so needs $lib: only libcrypto, json-c, libpam and libc are expected" >&2
                exit 1
                ;;
        esac
done
echo "ok: needs only $(echo $needed | tr ' ' ',')"
