# shellcheck shell=bash
# tests/bench/lib.sh: shared by scripts/bench.sh and scripts/callgrind.sh.
#
# Starts, on loopback and unix sockets inside one private temporary
# directory, the processes a benchmark needs: one nginx, the hello function
# under spawn-fcgi ("direct"), gatewayd with a hello pool ("gw", and the same
# pool under other seccomp profiles: "gw-off", "gw-strict"), php-fpm
# on functions/hello.php ("php"), and for the Python rows tests/bench/pyhello.py
# under gatewayd's runtime = python3 ("gw-py"), uWSGI ("uwsgi") and gunicorn
# ("gunicorn"). Every process started here is remembered by PID and stopped by
# bench_cleanup, which the caller installs as an EXIT trap.
#
# Callers set ROOT (repository root, absolute) and BUILD (build directory,
# absolute) and call bench_init first.

BENCH_PIDS=()		# other children we started (php-fpm, fcgiwrap, strace...), in start order; nginx and the gatewayds are NGINX_PID, GW_PID and GWA_PID
BENCH_EXTRA_PIDS=()	# PIDs we did not fork ourselves but must stop (spawn-fcgi children, gatewayd workers)
BENCH_PORT=""
TMP=""
GW_PID=""
GWA_PID=""		# the async section's own gatewayd (start_gatewayd_async)
NATS_PID=""		# the async section's nats-server (start_nats), stopped after the gatewayds
NATS_URL=""		# its client URL, nats://127.0.0.1:PORT
NGINX_PID=""
PHP_PID=""
UWSGI_PID=""		# uWSGI's master (start_uwsgi); its workers are its children
GUNICORN_PID=""		# gunicorn's arbiter (start_gunicorn); its workers are its children
PY_PROCS=4		# processes serving each Python row: gatewayd's workers, uWSGI's, gunicorn's
IS_ROOT=0

bench_log() { printf '%s\n' "bench: $*" >&2; }

bench_die() {
	printf '%s\n' "bench: ERROR: $*" >&2
	exit 2
}

# Prints the last lines of a log file, indented, if it exists and is not empty.
bench_tail() {
	local f=$1
	[ -s "$f" ] || return 0
	printf '  --- last lines of %s ---\n' "$f" >&2
	tail -n 15 "$f" | sed 's/^/  | /' >&2
}

bench_init() {
	[ "$(id -u)" -eq 0 ] && IS_ROOT=1
	local t
	for t in nginx spawn-fcgi wrk curl; do
		command -v "$t" >/dev/null 2>&1 || bench_die "$t is not installed (run scripts/deps.sh)"
	done
	# Unix socket paths must stay under 108 bytes: keep TMP short.
	TMP=$(mktemp -d /tmp/gwbench.XXXXXX) || bench_die "mktemp failed"
	chmod 0755 "$TMP"	# gatewayd and its workers run as users of their own
	mkdir -p "$TMP/nginx"
	mkdir -m 0700 "$TMP/run"	# gatewayd wants its run_dir private
	if [ "${BENCH_KEEP_TMP:-0}" = 1 ]; then
		bench_log "keeping $TMP (BENCH_KEEP_TMP=1)"
	fi
}

# pid_alive PID: true if PID exists and is not a zombie.
pid_alive() {
	local st
	[ -n "${1:-}" ] || return 1
	st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $st in Z*|"") return 1 ;; esac
	return 0
}

# stop_pid PID [SECONDS]: SIGTERM, wait (bounded), then SIGKILL.
stop_pid() {
	local pid=$1 secs=${2:-5} i
	pid_alive "$pid" || return 0
	kill -TERM "$pid" 2>/dev/null || return 0
	for ((i = 0; i < secs * 10; i++)); do
		pid_alive "$pid" || return 0
		sleep 0.1
	done
	bench_log "PID $pid ignored SIGTERM for ${secs}s, sending SIGKILL"
	kill -KILL "$pid" 2>/dev/null || true
}

# stop_pids SECONDS PID...: SIGTERM to all, wait (bounded), SIGKILL the rest.
# (libfcgi programs catch SIGTERM and keep waiting on a kept connection.)
stop_pids() {
	local secs=$1 pid i left
	shift
	for pid in "$@"; do pid_alive "$pid" && kill -TERM "$pid" 2>/dev/null; done
	for ((i = 0; i < secs * 10; i++)); do
		left=0
		for pid in "$@"; do pid_alive "$pid" && left=1; done
		[ "$left" = 0 ] && return 0
		sleep 0.1
	done
	for pid in "$@"; do pid_alive "$pid" && kill -KILL "$pid" 2>/dev/null; done
	return 0
}

# Stops one child we forked with & and reaps it.
stop_child() {
	local pid=$1 secs=${2:-5}
	[ -n "$pid" ] || return 0
	stop_pid "$pid" "$secs"
	wait "$pid" 2>/dev/null || true
}

# gw_worker_pids PID: the workers of that gatewayd: the children of its
# spawner, its one child.
gw_worker_pids() {
	local spawner
	spawner=$(pgrep -P "$1" -x gatewayd-spawn 2>/dev/null) || return 0
	# Not the CGI functions' zygotes (also the spawner's children).
	pgrep -P "$spawner" 2>/dev/null | while read -r pid; do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = gatewayd-zygote ] || echo "$pid"
	done
}

# stop_gw_pid PID: stops that gatewayd, then any worker it left behind.
stop_gw_pid() {
	local gw=$1 pid workers=()
	[ -n "$gw" ] || return 0
	if pid_alive "$gw"; then
		for pid in $(gw_worker_pids "$gw"); do workers+=("$pid"); done
	fi
	stop_child "$gw" 10
	for pid in "${workers[@]}"; do
		pid_alive "$pid" && bench_log "gatewayd worker $pid still alive after gatewayd exited, stopping it"
	done
	stop_pids 2 "${workers[@]}"
}

# stop_gatewayd: stops gatewayd (GW_PID), then any worker it left behind.
stop_gatewayd() {
	stop_gw_pid "$GW_PID"
	GW_PID=""
}

# stop_gatewayd_async: the same for the async section's gatewayd (GWA_PID).
stop_gatewayd_async() {
	stop_gw_pid "$GWA_PID"
	GWA_PID=""
}

bench_cleanup() {
	local rc=$? pid i
	trap - EXIT INT TERM
	# Load generators and the front first, then gatewayd (and whatever
	# workers it leaves behind), then the other back ends.
	if [ -n "$NGINX_PID" ]; then stop_child "$NGINX_PID" 5; NGINX_PID=""; fi
	stop_gatewayd
	stop_gatewayd_async
	stop_nats	# after the gatewayd that was its client
	for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do
		stop_child "${BENCH_PIDS[i]}" 5
	done
	stop_pids 2 "${BENCH_EXTRA_PIDS[@]}"
	if [ -n "$TMP" ] && [ -d "$TMP" ]; then
		# Kept on request, and on failure so that the logs can be read.
		if [ "${BENCH_KEEP_TMP:-0}" = 1 ] || [ "$rc" -ne 0 ]; then
			bench_log "logs and configs kept in $TMP"
		else
			rm -rf "$TMP"
		fi
	fi
	exit "$rc"
}

# Picks a free loopback TCP port.
pick_port() {
	local i p
	for ((i = 0; i < 50; i++)); do
		p=$((20000 + RANDOM % 40000))
		if [ -z "$(ss -Hltn "sport = :$p" 2>/dev/null)" ]; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# The FastCGI params every location sends (the same for every path).
write_fastcgi_params() {
	cat >"$TMP/fastcgi_params" <<'EOF'
fastcgi_param QUERY_STRING      $query_string;
fastcgi_param REQUEST_METHOD    $request_method;
fastcgi_param CONTENT_TYPE      $content_type;
fastcgi_param CONTENT_LENGTH    $content_length;
fastcgi_param SCRIPT_NAME       $fastcgi_script_name;
fastcgi_param REQUEST_URI       $request_uri;
fastcgi_param DOCUMENT_URI      $document_uri;
fastcgi_param DOCUMENT_ROOT     $document_root;
fastcgi_param SERVER_PROTOCOL   $server_protocol;
fastcgi_param REQUEST_SCHEME    $scheme;
fastcgi_param GATEWAY_INTERFACE CGI/1.1;
fastcgi_param SERVER_SOFTWARE   nginx/$nginx_version;
fastcgi_param REMOTE_ADDR       $remote_addr;
fastcgi_param REMOTE_PORT       $remote_port;
fastcgi_param SERVER_ADDR       $server_addr;
fastcgi_param SERVER_PORT       $server_port;
fastcgi_param SERVER_NAME       $server_name;
fastcgi_param REDIRECT_STATUS   200;
EOF
}

# The same params for the uwsgi path, under uwsgi_param (the uwsgi protocol
# carries the same CGI-style variables as FastCGI's PARAMS).
write_uwsgi_params() {
	sed 's/^fastcgi_param /uwsgi_param   /' "$TMP/fastcgi_params" >"$TMP/uwsgi_params"
}

# The CGI script of the gw-cgi and fcgiwrap paths (both run the same file).
cgi_script() {
	echo "${BENCH_CGI_SCRIPT:-$ROOT/functions/hello-cgi.sh}"
}

# nginx_location PATH_NAME PHP_SCRIPT: one location block. Path names:
#   direct, gw, gw-off, gw-strict, gw-php, php, gw-cgi, fcgiwrap, gw-ondemand,
#   gw-async, gw-py, gw-py-ondemand
#                   upstream keepalive 16 + fastcgi_keep_conn on
#   the same with -close: a new upstream connection per request
#   uwsgi           uwsgi_pass to uWSGI (TMP/uwsgi.sock): the uwsgi protocol
#                   has no keepalive, a connection per request
#   gunicorn        proxy_pass (HTTP/1.0, nginx's default) to gunicorn
#                   (TMP/gunicorn.sock): its sync workers close every
#                   connection after one response
# gw-off and gw-strict reach [hellooff] and [hellostrict] (start_gatewayd
# writes them when GW_SECCOMP_VARIANTS names them; otherwise gatewayd
# answers those paths 404); gw-cgi and gw-ondemand reach [hellocgi] and
# [hellondemand] (written when GW_CGI_SCRIPT and GW_ONDEMAND are set);
# gw-async reaches [helloasync] in the second gatewayd of
# start_gatewayd_async (TMP/gwa.sock); gw-py and gw-py-ondemand reach
# [pyhello] and [pyondemand] (written when GW_PY_HANDLER is set).
nginx_location() {
	local name=$1 php_script=$2 backend keep extra=""
	case $name in
	uwsgi)
		cat <<EOF
        location /uwsgi/ {
            include $TMP/uwsgi_params;
            uwsgi_pass uwsgi;
        }
EOF
		return ;;
	gunicorn)
		cat <<EOF
        location /gunicorn/ {
            proxy_set_header Host \$host;
            proxy_pass http://gunicorn;
        }
EOF
		return ;;
	esac
	backend=${name%-close}
	case $name in
	# php-fpm's ondemand pool: a kept connection would keep its child busy
	# (never idle, never stopped), so it gets none, as the close twins.
	*-close | php-ondemand) keep=off ;;
	*) keep=on ;;
	esac
	case $backend in
	gw) extra="fastcgi_param GATEWAY_FUNCTION hello;" ;;
	gw-off) extra="fastcgi_param GATEWAY_FUNCTION hellooff;" ;;
	gw-strict) extra="fastcgi_param GATEWAY_FUNCTION hellostrict;" ;;
	gw-php) extra="fastcgi_param GATEWAY_FUNCTION hellophp;" ;;
	gw-cgi) extra="fastcgi_param GATEWAY_FUNCTION hellocgi;" ;;
	gw-ondemand) extra="fastcgi_param GATEWAY_FUNCTION hellondemand;" ;;
	gw-async) extra="fastcgi_param GATEWAY_FUNCTION helloasync;" ;;
	gw-py) extra="fastcgi_param GATEWAY_FUNCTION pyhello;" ;;
	gw-py-ondemand) extra="fastcgi_param GATEWAY_FUNCTION pyondemand;" ;;
	php | php-ondemand) extra="fastcgi_param SCRIPT_FILENAME $php_script;" ;;
	fcgiwrap) extra="fastcgi_param SCRIPT_FILENAME $(cgi_script);" ;;
	esac
	cat <<EOF
        location /$name/ {
            include $TMP/fastcgi_params;
            $extra
            fastcgi_keep_conn $keep;
            fastcgi_pass ${name//-/_};
        }
EOF
}

# write_nginx_conf PORT PHP_SCRIPT
write_nginx_conf() {
	local port=$1 php_script=$2 user_line="" b sock
	[ "$IS_ROOT" = 1 ] && user_line="user root;"
	write_fastcgi_params
	write_uwsgi_params
	{
		cat <<EOF
# generated by tests/bench/lib.sh
$user_line
worker_processes 1;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/nginx-error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path $TMP/nginx/client_body;
    fastcgi_temp_path     $TMP/nginx/fastcgi;
    proxy_temp_path       $TMP/nginx/proxy;
    uwsgi_temp_path       $TMP/nginx/uwsgi;
    scgi_temp_path        $TMP/nginx/scgi;

    # The same upstream settings for every back end: keepalive 16 here and
    # fastcgi_keep_conn on in the location; the *_close twins keep nothing.
EOF
		# A process-per-connection back end (spawn-fcgi, php-fpm, fcgiwrap)
		# must not serve both: the keepalive twin's idle cached connections
		# would hold its processes, so direct-close, php-close and
		# fcgiwrap-close get their own 4 processes. gatewayd accepts every
		# connection, so all gw paths share it (gw-async: the async
		# section's own gatewayd, on gwa.sock).
		for b in direct gw gw_off gw_strict gw_php gw_cgi gw_ondemand gw_async gw_py gw_py_ondemand php fcgiwrap; do
			case $b in
			direct | php | fcgiwrap) sock=$b twin=$b-close ;;
			gw_async) sock=gwa twin=gwa ;;
			*) sock=gw twin=gw ;;
			esac
			printf '    upstream %-14s { server unix:%s; keepalive 16; }\n' "$b" "$TMP/$sock.sock"
			printf '    upstream %-14s { server unix:%s; }\n' "${b}_close" "$TMP/$twin.sock"
		done
		# Neither Python peer can keep an upstream connection (see
		# nginx_location), so a keepalive line would change nothing.
		printf '    upstream %-14s { server unix:%s; }\n' php_ondemand "$TMP/php-ondemand.sock"
		printf '    upstream %-14s { server unix:%s; }\n' uwsgi "$TMP/uwsgi.sock"
		printf '    upstream %-14s { server unix:%s; }\n' gunicorn "$TMP/gunicorn.sock"
		cat <<EOF

    server {
        listen 127.0.0.1:$port;
        location = /ping { return 200 "ok\n"; }
EOF
		for b in direct direct-close gw gw-close gw-off gw-off-close gw-strict gw-strict-close \
			gw-php gw-php-close gw-cgi gw-cgi-close gw-ondemand gw-async php php-close php-ondemand \
			fcgiwrap fcgiwrap-close gw-py gw-py-close gw-py-ondemand uwsgi gunicorn; do
			nginx_location "$b" "$php_script"
		done
		printf '    }\n}\n'
	} >"$TMP/nginx.conf"
}

# wait_http URL SECONDS: until URL answers 200.
wait_http() {
	local url=$1 secs=$2 i
	for ((i = 0; i < secs * 10; i++)); do
		[ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "$url" 2>/dev/null)" = 200 ] && return 0
		sleep 0.1
	done
	return 1
}

# wait_socket PATH SECONDS [PID]: until the unix socket exists (and PID lives).
wait_socket() {
	local path=$1 secs=$2 pid=${3:-} i
	for ((i = 0; i < secs * 10; i++)); do
		[ -S "$path" ] && return 0
		if [ -n "$pid" ] && ! pid_alive "$pid"; then return 1; fi
		sleep 0.1
	done
	return 1
}

# start_nginx PHP_SCRIPT: writes the config and starts nginx on a free port.
start_nginx() {
	local php_script=$1 try
	for ((try = 0; try < 5; try++)); do
		BENCH_PORT=$(pick_port) || bench_die "no free loopback port found"
		write_nginx_conf "$BENCH_PORT" "$php_script"
		nginx -p "$TMP" -e "$TMP/nginx-error.log" -c "$TMP/nginx.conf" -t -q \
			2>"$TMP/nginx-t.log" || { bench_tail "$TMP/nginx-t.log"; bench_die "nginx -t rejected $TMP/nginx.conf"; }
		nginx -p "$TMP" -e "$TMP/nginx-error.log" -c "$TMP/nginx.conf" \
			>"$TMP/nginx.out" 2>&1 &
		NGINX_PID=$!
		if wait_http "http://127.0.0.1:$BENCH_PORT/ping" 10; then
			return 0
		fi
		if grep -q "Address already in use" "$TMP/nginx-error.log" "$TMP/nginx.out" 2>/dev/null; then
			stop_child "$NGINX_PID" 2
			NGINX_PID=""
			continue
		fi
		bench_tail "$TMP/nginx-error.log"
		bench_tail "$TMP/nginx.out"
		bench_die "nginx did not start"
	done
	bench_die "nginx could not bind a loopback port in 5 tries"
}

# start_direct HELLO_BIN NAME: spawn-fcgi forks 4 children sharing one
# listening socket, TMP/NAME.sock, writes their PIDs to TMP/NAME.pids and exits.
start_direct() {
	local bin=$1 name=$2 pid
	[ -x "$bin" ] || bench_die "$bin is missing (make all)"
	rm -f "$TMP/$name.sock" "$TMP/$name.pids"
	spawn-fcgi -s "$TMP/$name.sock" -M 0666 -F 4 -P "$TMP/$name.pids" -- "$bin" \
		>>"$TMP/spawn-fcgi.log" 2>&1 || { bench_tail "$TMP/spawn-fcgi.log"; bench_die "spawn-fcgi failed"; }
	# One PID per line; the last line has no newline.
	while read -r pid || [ -n "$pid" ]; do
		[ -n "$pid" ] && BENCH_EXTRA_PIDS+=("$pid")
	done <"$TMP/$name.pids"
	wait_socket "$TMP/$name.sock" 5 || bench_die "spawn-fcgi socket $TMP/$name.sock did not appear"
}

# start_gatewayd GATEWAYD_BIN HELLO_BIN [WRAPPER...]: returns 1 if it fails. Runs gatewayd in the
# foreground (in the background of this shell), optionally under a wrapper
# such as valgrind, and waits for its listening socket.
start_gatewayd() {
	local bin=$1 hello=$2
	shift 2
	[ -x "$bin" ] || bench_die "$bin is missing (make all)"
	[ -x "$hello" ] || bench_die "$hello is missing (make all)"
	local hello_seccomp="" profile
	rm -f "$TMP/gw.sock"
	# Under valgrind (scripts/callgrind.sh) no worker filter can be built:
	# the spawner that compiles it is a fork of gatewayd, so under valgrind
	# too, and valgrind 3.19 does not implement seccomp(2), so libseccomp's
	# API-level probe fails, the spawner's LOAD with it, and gatewayd
	# refuses to start. The workers are not traced after their exec and
	# their filter changes nothing in gatewayd's own instructions, so
	# [hello] goes without one there.
	if [ $# -gt 0 ] && [ "$(basename "$1")" = valgrind ]; then
		hello_seccomp="seccomp = off   ; under valgrind: see tests/bench/lib.sh"
		bench_log "gatewayd under valgrind: [hello] gets seccomp = off (valgrind lacks seccomp(2))"
	fi
	cat >"$TMP/gatewayd.ini" <<EOF
; generated by tests/bench/lib.sh
[global]
listen = $TMP/gw.sock
listen.mode = 0666
run_dir = $TMP/run
log_level = warn

[hello]
exec = $hello
pm = static
pm.max_children = 4
$hello_seccomp
env[BENCH_POOL] = hello
EOF
	# env[BENCH_POOL] names each worker's function in its environment, so
	# that scripts/bench.sh can tell the pools' processes apart and add up
	# their CPU time.
	# The same hello pool under other seccomp profiles (GW_SECCOMP_VARIANTS,
	# e.g. "off strict"): [hellooff], [hellostrict]. [hello] keeps the
	# default profile (seccomp = default), as a function that says nothing.
	for profile in ${GW_SECCOMP_VARIANTS:-}; do
		cat >>"$TMP/gatewayd.ini" <<EOF

[hello$profile]
exec = $hello
pm = static
pm.max_children = 4
seccomp = $profile
env[BENCH_POOL] = hello$profile
EOF
	done
	if [ -n "${GW_PHP_CGI:-}" ]; then
		# The same PHP script as php-fpm runs, with php-cgi as the worker
		# (php-cgi exits after 500 requests unless told otherwise).
		cat >>"$TMP/gatewayd.ini" <<EOF

[hellophp]
exec = $GW_PHP_CGI
script = $GW_PHP_SCRIPT
pm = static
pm.max_children = 4
env[PHP_FCGI_MAX_REQUESTS] = 0
env[BENCH_POOL] = hellophp
EOF
	fi
	if [ -n "${GW_CGI_SCRIPT:-}" ]; then
		# A CGI program per request (docs/cgi.md), at most 4 at once, under
		# the default seccomp profile (a shell script needs fork and exec);
		# GW_CGI_SECCOMP=off shows what the filter costs there.
		cat >>"$TMP/gatewayd.ini" <<EOF

[hellocgi]
exec = $GW_CGI_SCRIPT
mode = cgi
pm.max_children = 4
seccomp = ${GW_CGI_SECCOMP:-default}
env[BENCH_POOL] = hellocgi
EOF
	fi
	if [ "${GW_ONDEMAND:-0}" = 1 ]; then
		# No worker until a request comes; one stopped after 1 s idle.
		cat >>"$TMP/gatewayd.ini" <<EOF

[hellondemand]
exec = $hello
pm = ondemand
pm.max_children = 4
pm.process_idle_timeout = 1s
env[BENCH_POOL] = hellondemand
EOF
	fi
	if [ -n "${GW_PY_HANDLER:-}" ]; then
		# The Python rows' handler (tests/bench/pyhello.py, handle()) on
		# the python3 runtime: a static pool of PY_PROCS, as many processes
		# as uWSGI and gunicorn get, and, with GW_ONDEMAND, the same handler
		# with pm = ondemand for the Python cold start.
		cat >>"$TMP/gatewayd.ini" <<EOF

[pyhello]
runtime = python3
handler = $GW_PY_HANDLER
pm = static
pm.max_children = $PY_PROCS
env[BENCH_POOL] = pyhello
EOF
		if [ "${GW_ONDEMAND:-0}" = 1 ]; then
			cat >>"$TMP/gatewayd.ini" <<EOF

[pyondemand]
runtime = python3
handler = $GW_PY_HANDLER
pm = ondemand
pm.max_children = $PY_PROCS
pm.process_idle_timeout = 1s
env[BENCH_POOL] = pyondemand
EOF
		fi
	fi
	"$@" "$bin" -c "$TMP/gatewayd.ini" >"$TMP/gatewayd.log" 2>&1 &
	GW_PID=$!
	if ! wait_socket "$TMP/gw.sock" "${GW_START_SECONDS:-10}" "$GW_PID"; then
		bench_tail "$TMP/gatewayd.log"
		if pid_alive "$GW_PID"; then
			bench_log "gatewayd's socket $TMP/gw.sock did not appear"
		else
			bench_log "gatewayd exited during start-up (config $TMP/gatewayd.ini)"
		fi
		stop_gatewayd
		return 1
	fi
}

# start_gatewayd_async GATEWAYD_BIN HELLO_BIN POLICY STORE [EXTRA]: a
# second gatewayd, on TMP/gwa.sock, with the one function [helloasync] (a
# static pool of 4 hello, async = on, and the key lines EXTRA). POLICY is an
# async.fsync policy, with [global] async.journal = STORE (a file) and
# async.fsync = POLICY; or nats, with [global] async.backend = nats,
# nats.url = STORE (start_nats's NATS_URL) and nats.replicas = 1. Sets
# GWA_PID; returns 1 if it does not start.
start_gatewayd_async() {
	local bin=$1 hello=$2 policy=$3 store=$4 extra=${5:-} backend
	rm -f "$TMP/gwa.sock"
	# Its run_dir holds the journal: gatewayd's own user must create it there.
	[ -d "$TMP/async" ] || mkdir -m 0700 "$TMP/async"
	if [ "$policy" = nats ]; then
		backend="async.backend = nats
nats.url = $store
nats.replicas = 1"
	else
		backend="async.journal = $store
async.fsync = $policy"
	fi
	cat >"$TMP/gatewayd-async.ini" <<EOF
; generated by tests/bench/lib.sh
[global]
listen = $TMP/gwa.sock
listen.mode = 0666
run_dir = $TMP/async
log_level = warn
$backend

[helloasync]
exec = $hello
pm = static
pm.max_children = 4
async = on
async.queue_size = 1000000
; the flood reads every job's final state: none may be forgotten first
async.results_max = 10000000
env[BENCH_POOL] = helloasync
$extra
EOF
	"$bin" -c "$TMP/gatewayd-async.ini" >>"$TMP/gatewayd-async.log" 2>&1 &
	GWA_PID=$!
	if ! wait_socket "$TMP/gwa.sock" "${GW_START_SECONDS:-10}" "$GWA_PID"; then
		bench_tail "$TMP/gatewayd-async.log"
		bench_log "the async gatewayd ($(async_what "$policy")) did not start (config $TMP/gatewayd-async.ini)"
		stop_gatewayd_async
		return 1
	fi
}

# async_what POLICY: how messages name an async gatewayd's POLICY.
async_what() {
	if [ "$1" = nats ]; then echo "async.backend = nats"; else echo "async.fsync = $1"; fi
}

# start_nats: one nats-server (NATS_SERVER, default nats-server) with
# JetStream, on loopback only: a free client port and a free monitoring
# port, its store in TMP/nats, its log TMP/nats-server.log. Ready when the
# monitor's /healthz answers 200 (JetStream up) and the client port listens.
# Sets NATS_PID and NATS_URL (bench_cleanup stops it); returns 1 if it does
# not get ready.
start_nats() {
	local bin=${NATS_SERVER:-nats-server} try port mport i
	[ -d "$TMP/nats" ] || mkdir -m 0700 "$TMP/nats"
	for ((try = 0; try < 5; try++)); do
		port=$(pick_port) || return 1
		mport=$(pick_port) || return 1
		[ "$port" != "$mport" ] || continue
		"$bin" -js -a 127.0.0.1 -p "$port" -m "$mport" -sd "$TMP/nats" >>"$TMP/nats-server.log" 2>&1 &
		NATS_PID=$!
		for ((i = 0; i < 100; i++)); do
			pid_alive "$NATS_PID" || break
			if [ "$(curl -s -o /dev/null -m 2 -w '%{http_code}' "http://127.0.0.1:$mport/healthz" 2>/dev/null)" = 200 ] &&
				[ -n "$(ss -Hltn "sport = :$port" 2>/dev/null)" ]; then
				# shellcheck disable=SC2034 # read by scripts/bench.sh
				NATS_URL=nats://127.0.0.1:$port
				return 0
			fi
			sleep 0.1
		done
		if ! pid_alive "$NATS_PID" && grep -qi "address already in use" "$TMP/nats-server.log" 2>/dev/null; then
			stop_nats	# a port taken since pick_port: try others
			continue
		fi
		bench_tail "$TMP/nats-server.log"
		bench_log "nats-server did not get ready on 127.0.0.1:$port (monitor $mport) within 10 s"
		stop_nats
		return 1
	done
	bench_log "nats-server could not bind loopback ports in 5 tries"
	return 1
}

# stop_nats: stops start_nats's nats-server (SIGTERM, then SIGKILL after 5 s).
stop_nats() {
	stop_child "$NATS_PID" 5
	NATS_PID=""
}

# start_fcgiwrap NAME: fcgiwrap with 4 preforked processes on TMP/NAME.sock
# (the Debian package's /usr/sbin/fcgiwrap, or FCGIWRAP). It stays in the
# foreground; its children outlive it on SIGTERM, so they are remembered too.
start_fcgiwrap() {
	local name=$1 bin=${FCGIWRAP:-/usr/sbin/fcgiwrap} pid kid i n
	[ -x "$bin" ] || bench_die "$bin is not installed (apt-get install fcgiwrap)"
	rm -f "$TMP/$name.sock"
	"$bin" -s "unix:$TMP/$name.sock" -c 4 >>"$TMP/fcgiwrap.log" 2>&1 &
	pid=$!
	BENCH_PIDS+=("$pid")
	wait_socket "$TMP/$name.sock" 5 "$pid" ||
		{ bench_tail "$TMP/fcgiwrap.log"; bench_die "fcgiwrap socket $TMP/$name.sock did not appear"; }
	for ((i = 0; i < 50; i++)); do
		n=$(pgrep -c -P "$pid" 2>/dev/null || true)
		[ "${n:-0}" -ge 4 ] && break
		sleep 0.1
	done
	for kid in $(pgrep -P "$pid" 2>/dev/null); do BENCH_EXTRA_PIDS+=("$kid"); done
	chmod 0666 "$TMP/$name.sock"
}

# py_app: a private copy of tests/bench/pyhello.py in TMP/py (so that no
# __pycache__ is written into the repository, and every server, under any
# user, can read it); prints its path.
py_app() {
	mkdir -p "$TMP/py"
	chmod 0755 "$TMP/py"
	install -m 0644 "$ROOT/tests/bench/pyhello.py" "$TMP/py/pyhello.py"
	echo "$TMP/py/pyhello.py"
}

# wait_children PID N SECONDS: until PID has at least N children; adds them to
# BENCH_EXTRA_PIDS (stopped on exit even if their parent leaves them behind).
wait_children() {
	local pid=$1 n=$2 secs=$3 i kid
	for ((i = 0; i < secs * 10; i++)); do
		[ "$(pgrep -c -P "$pid" 2>/dev/null || true)" -ge "$n" ] && break
		sleep 0.1
	done
	for kid in $(pgrep -P "$pid" 2>/dev/null); do BENCH_EXTRA_PIDS+=("$kid"); done
	[ "$(pgrep -c -P "$pid" 2>/dev/null || true)" -ge "$n" ]
}

# start_uwsgi APP: Debian's uWSGI (UWSGI, default /usr/bin/uwsgi) with its
# python3 plugin on TMP/uwsgi.sock (the uwsgi protocol, for nginx's
# uwsgi_pass): a master and PY_PROCS worker processes, one request at a time
# each, running APP's WSGI "application". --die-on-term: uWSGI 2.0 reloads
# on SIGTERM otherwise; --disable-logging: no line per request (nginx logs
# none either); --thunder-lock: the workers take turns in accept() instead of
# all waking for each connection, the setting uWSGI's start-up log itself
# suggests for preforked workers on one socket (1.3 to 1.6x its throughput
# here: the fair uWSGI to compare with). Sets UWSGI_PID.
start_uwsgi() {
	local app=$1 bin=${UWSGI:-/usr/bin/uwsgi}
	rm -f "$TMP/uwsgi.sock"
	PYTHONDONTWRITEBYTECODE=1 "$bin" --plugin python3 --need-app --strict \
		--socket "$TMP/uwsgi.sock" --chmod-socket=666 \
		--master --processes "$PY_PROCS" --die-on-term --disable-logging --thunder-lock \
		--wsgi-file "$app" >>"$TMP/uwsgi.log" 2>&1 &
	UWSGI_PID=$!
	BENCH_PIDS+=("$UWSGI_PID")
	if ! wait_socket "$TMP/uwsgi.sock" 10 "$UWSGI_PID" || ! wait_children "$UWSGI_PID" "$PY_PROCS" 10; then
		bench_tail "$TMP/uwsgi.log"
		bench_die "uWSGI did not start $PY_PROCS workers on $TMP/uwsgi.sock"
	fi
}

# start_gunicorn APP: Debian's gunicorn (python3-gunicorn, run by
# /usr/bin/python3) on TMP/gunicorn.sock: an arbiter and PY_PROCS sync
# workers (one request at a time each, the connection closed after it),
# running APP's WSGI "application". No access log (gunicorn's default).
# Sets GUNICORN_PID.
start_gunicorn() {
	local app=$1
	rm -f "$TMP/gunicorn.sock"
	PYTHONDONTWRITEBYTECODE=1 /usr/bin/python3 -m gunicorn --workers "$PY_PROCS" --worker-class sync \
		--bind "unix:$TMP/gunicorn.sock" --chdir "$(dirname "$app")" \
		--log-level warning --error-logfile - \
		"$(basename "$app" .py):application" >>"$TMP/gunicorn.log" 2>&1 &
	GUNICORN_PID=$!
	BENCH_PIDS+=("$GUNICORN_PID")
	if ! wait_socket "$TMP/gunicorn.sock" 10 "$GUNICORN_PID" || ! wait_children "$GUNICORN_PID" "$PY_PROCS" 10; then
		bench_tail "$TMP/gunicorn.log"
		bench_die "gunicorn did not start $PY_PROCS workers on $TMP/gunicorn.sock"
	fi
}

# start_phpfpm SCRIPT
start_phpfpm() {
	local fpm=${PHP_FPM:-/usr/sbin/php-fpm8.2} user_lines="" rflag=()
	[ -x "$fpm" ] || bench_die "$fpm is not installed"
	if [ "$IS_ROOT" = 1 ]; then
		user_lines=$'user = root\ngroup = root'
		rflag=(-R)
	fi
	rm -f "$TMP/php.sock" "$TMP/php-close.sock" "$TMP/php-ondemand.sock"
	cat >"$TMP/php-fpm.conf" <<EOF
; generated by tests/bench/lib.sh
[global]
pid = $TMP/php-fpm.pid
error_log = $TMP/php-fpm.log
daemonize = no

[hello]
$user_lines
listen = $TMP/php.sock
listen.mode = 0666
pm = static
pm.max_children = 4

; the same pool again for the php-close path (see write_nginx_conf)
[hello_close]
$user_lines
listen = $TMP/php-close.sock
listen.mode = 0666
pm = static
pm.max_children = 4

; the ondemand section's peer: no child until a request comes, as
; [hellondemand] in gatewayd (scripts/bench.sh)
[hello_ondemand]
$user_lines
listen = $TMP/php-ondemand.sock
listen.mode = 0666
pm = ondemand
pm.max_children = 4
pm.process_idle_timeout = 1s
EOF
	"$fpm" -F -y "$TMP/php-fpm.conf" -p "$TMP" "${rflag[@]}" >"$TMP/php-fpm.out" 2>&1 &
	PHP_PID=$!
	BENCH_PIDS+=("$PHP_PID")
	if ! wait_socket "$TMP/php.sock" 10 "$PHP_PID" || ! wait_socket "$TMP/php-close.sock" 5 "$PHP_PID" ||
		! wait_socket "$TMP/php-ondemand.sock" 5 "$PHP_PID"; then
		bench_tail "$TMP/php-fpm.log"
		bench_tail "$TMP/php-fpm.out"
		bench_die "php-fpm did not start"
	fi
}

# check_path NAME URL LOG: one request must answer 200 with "hello, world".
check_path() {
	local name=$1 url=$2 log=$3 code body
	code=$(curl -s -m 10 -o "$TMP/check-$name.body" -w '%{http_code}' "$url" 2>/dev/null) || code="curl-failed"
	body=$(cat "$TMP/check-$name.body" 2>/dev/null)
	if [ "$code" != 200 ] || [ "$body" != "hello, world" ]; then
		bench_log "path '$name' ($url) is broken: HTTP $code, body '$(printf '%s' "$body" | head -c 200)'"
		bench_tail "$log"
		bench_tail "$TMP/nginx-error.log"
		bench_die "path '$name' does not answer 200 'hello, world'; not benchmarking"
	fi
}

# The php script to benchmark: functions/hello.php, or a private copy.
php_script() {
	if [ -f "$ROOT/functions/hello.php" ]; then
		echo "$ROOT/functions/hello.php"
	else
		printf '%s\n' '<?php header("Content-Type: text/plain"); echo "hello, world\n";' >"$TMP/hello.php"
		echo "$TMP/hello.php"
	fi
}
