# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by test-deb.sh and test-rpm.sh: the man pages the packages must
# ship, one per docs/NAME.SECTION.scd in the source tree.
#   man_pages_for SOURCE_ROOT pam|agent  ->  "man8/pam_jit.8" ... one a line
man_pages_for() {
        local f page
        for f in "$1"/docs/*.scd; do
                [[ -e $f ]] || continue
                page=${f##*/}
                page=${page%.scd}
                case $2:$page in
                pam:pam_jit.*) ;;
                agent:pam_jit.*) continue ;;
                pam:*) continue ;;
                esac
                echo "man${page##*.}/$page"
        done
}
