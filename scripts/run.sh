#!/bin/sh
#
# scripts/run.sh BUILD: the `make run` driver. Starts BUILD/gatewayd with
# conf/gatewayd.ini and a private nginx on 127.0.0.1:8080 in front of it,
# prints URLs to try, and on Ctrl-C stops both and exits 0.
#
# Everything lives under BUILD/run: gatewayd's socket, the workers' sockets
# (run_dir), and nginx's config, logs and pid (BUILD/run/nginx). The example
# config names build/ paths; with another BUILD it still runs the build/
# functions. gatewayd logs to this terminal; nginx logs to BUILD/run/nginx.

set -u

BUILD=${1:-build}
PORT=8080
cd "$(dirname "$0")/.." || exit 1
# shellcheck source=scripts/nginx.sh
. scripts/nginx.sh

RUN_DIR=$PWD/build/run
SOCK=$RUN_DIR/gatewayd.sock
NGINX_DIR=$RUN_DIR/nginx
CONF=conf/gatewayd.ini
GATEWAYD=$BUILD/gatewayd
gw_pid=""

die() {
	echo "run: $*" >&2
	exit 1
}

# Stops nginx, then gatewayd (which stops its workers). Idempotent.
# (Called from traps only, which shellcheck does not follow.)
# shellcheck disable=SC2317
stop_all() {
	trap - INT TERM EXIT
	nginx_stop "$NGINX_DIR"
	if [ -n "$gw_pid" ] && kill -0 "$gw_pid" 2>/dev/null; then
		kill -TERM "$gw_pid" 2>/dev/null || true
		i=0
		while kill -0 "$gw_pid" 2>/dev/null && [ "$i" -lt 50 ]; do
			sleep 0.1
			i=$((i + 1))
		done
		if kill -0 "$gw_pid" 2>/dev/null; then
			echo "run: gatewayd ignored SIGTERM for 5 s, killing it" >&2
			kill -KILL "$gw_pid" 2>/dev/null
		fi
	fi
	gw_pid=""
	return 0
}
# shellcheck disable=SC2317
on_signal() {
	echo
	echo "run: stopping nginx and gatewayd"
	stop_all
	exit 0
}

if [ ! -f "$GATEWAYD" ] || [ ! -x "$GATEWAYD" ]; then
	die "$GATEWAYD is missing; run 'make all'"
fi
nginx_port_free "$PORT" ||
	die "127.0.0.1:$PORT is already taken (see: ss -ltnp 'sport = :$PORT'); stop that program first"
"$GATEWAYD" -t -c "$CONF" || die "$CONF does not check clean (errors above)"

# 0755: gatewayd, once it has dropped to [global] user, must reach run_dir
# below; its own socket is guarded by listen.mode.
{ mkdir -p "$RUN_DIR" && chmod 0755 "$RUN_DIR"; } || die "cannot create $RUN_DIR"
# As root, gatewayd runs as [global] user (nobody) and each function as a
# dynamic user of its own: any user must be able to reach the checkout.
if [ "$(id -u)" -eq 0 ] &&
	! setpriv --reuid=65000 --regid=65000 --clear-groups test -x "$PWD/build/functions/hello"; then
	die "other users cannot reach $PWD/build/functions/hello (a parent directory is closed to others): run make run as a regular user, or from a checkout others can read"
fi
rm -f "$SOCK"

trap on_signal INT TERM
trap stop_all EXIT

"$GATEWAYD" -c "$CONF" &
gw_pid=$!

# Wait (10 s at most) for gatewayd's socket.
i=0
while [ ! -S "$SOCK" ]; do
	kill -0 "$gw_pid" 2>/dev/null || die "gatewayd exited at start (see its log above)"
	[ "$i" -lt 100 ] || die "gatewayd did not create $SOCK within 10 s"
	sleep 0.1
	i=$((i + 1))
done

nginx_write_conf "$NGINX_DIR" "$PORT" "$SOCK"
nginx_start "$NGINX_DIR" || die "nginx did not start; see $NGINX_DIR/error.log"

cat <<MSG

gatewayd is running behind nginx on http://127.0.0.1:$PORT/ . Try:

  curl http://127.0.0.1:$PORT/function/hello
  curl http://127.0.0.1:$PORT/function/php-hello
  curl --data '{"name": "Ada"}' http://127.0.0.1:$PORT/function/py-hello
  curl http://127.0.0.1:$PORT/function/hello-cgi
  curl 'http://127.0.0.1:$PORT/function/greet?name=Ada'
  curl --data-binary 'hi there' http://127.0.0.1:$PORT/function/echo
  curl 'http://127.0.0.1:$PORT/function/echo?show=params'
  curl -i -H 'Prefer: respond-async' --data-binary hi http://127.0.0.1:$PORT/function/echo   # 202: follow its Location

What gatewayd is doing (its admin socket):

  $BUILD/gatewayctl -c $CONF status
  $BUILD/gatewayctl -c $CONF top

Config: $CONF (functions in conf/functions.d/). nginx: $NGINX_DIR.
Press Ctrl-C to stop.

MSG

# Until Ctrl-C, or until gatewayd stops by itself. `wait` returns early when
# a trapped signal arrives, and the trap exits.
status=0
wait "$gw_pid" || status=$?
gw_pid=""
echo "run: gatewayd exited with status $status" >&2
exit "$status"
