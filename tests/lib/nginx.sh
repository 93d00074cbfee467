# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# nginx as a test's store server on 127.0.0.1, everything in a folder of the
# test's own (docs/testing.md). Sourced after tap.sh and wait.sh; the test
# writes DIR/nginx.conf from these pieces and its own server blocks:
#
#   nginx_require            /usr/sbin/nginx is there (nginx-light)
#   nginx_main DIR [MASTER [CONNECTIONS]]
#                            the main context: in the foreground (a child of
#                            the test, ended by PID), one worker, pid and error
#                            log in DIR; master_process MASTER (default off),
#                            worker_connections CONNECTIONS (default 64)
#   nginx_temp_paths DIR     inside http { }: every temp folder under DIR/tmp
#   nginx_start DIR PORT     starts it, NGINX_PID; waits until PORT listens
#                            (5 s), a bail-out with its error log otherwise

NGINX=${NGINX:-/usr/sbin/nginx}

nginx_require() { require_exe "$NGINX (install nginx-light)" "$NGINX"; }

nginx_main() {
        cat <<EOF
daemon off;
master_process ${2:-off};
worker_processes 1;
pid $1/nginx.pid;
error_log $1/error.log notice;
events { worker_connections ${3:-64}; }
EOF
}

nginx_temp_paths() {
        mkdir -p "$1/tmp"
        cat <<EOF
        client_body_temp_path $1/tmp/body;
        proxy_temp_path $1/tmp/proxy;
        fastcgi_temp_path $1/tmp/fastcgi;
        uwsgi_temp_path $1/tmp/uwsgi;
        scgi_temp_path $1/tmp/scgi;
EOF
}

nginx_start() {
        local dir=$1 port=$2
        "$NGINX" -p "$dir" -c "$dir/nginx.conf" -e "$dir/error.log" </dev/null >>"$dir/stdout.log" 2>&1 &
        NGINX_PID=$!
        nginx_up() {
                port_listens "$port" && return 0
                proc_alive "$NGINX_PID" || die "nginx in $dir exited: $(tail -3 "$dir/error.log")"
                return 1
        }
        wait_for 5 nginx_up || die "nginx in $dir does not listen on 127.0.0.1:$port: $(tail -3 "$dir/error.log")"
}
