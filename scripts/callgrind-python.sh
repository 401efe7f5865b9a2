#!/bin/bash
# scripts/callgrind-python.sh BUILD_DIR [N]: instructions per request inside
# one Python worker, gatewayd's runtime against uWSGI's, on the same file
# (tests/bench/pyhello.py: handle(req) for gatewayd-python3, the WSGI
# application for uWSGI) behind nginx.
#
# Each worker runs alone under valgrind --tool=callgrind (gatewayd-python3
# started by spawn-fcgi, uWSGI with one process and no master), once serving
# 100 requests and once 100 + N (default 500), each a curl through nginx with
# a query and a header; the difference of the two totals over N is the cost
# of a request, start-up and exit cancelled out. Instructions, not seconds:
# within about 2% from run to run, on a loaded machine too. gatewayd itself is measured by
# scripts/callgrind.sh.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$(cd "${1:?usage: scripts/callgrind-python.sh BUILD_DIR [N]}" && pwd)
N=${2:-500}
HOST=$BUILD/runtimes/python3/gatewayd-python3
PORT=18391

for t in valgrind callgrind_annotate spawn-fcgi uwsgi nginx curl; do
	command -v "$t" >/dev/null || { echo "callgrind-python: $t is not installed" >&2; exit 2; }
done
[ -x "$HOST" ] || { echo "callgrind-python: $HOST is missing (make all)" >&2; exit 2; }

TMP=$(mktemp -d /tmp/cgpy.XXXXXX)
chmod 0755 "$TMP"
cp "$ROOT/tests/bench/pyhello.py" "$TMP/"
chmod 0644 "$TMP/pyhello.py"
trap 'nginx -p "$TMP" -c "$TMP/nginx.conf" -s stop 2>/dev/null || true; pkill -f "$TMP/" || true; rm -rf "$TMP"' EXIT

# nginx PASS_DIRECTIVE: a one-worker nginx on $PORT passing / to $TMP/app.sock.
nginx_for() {
	cat >"$TMP/nginx.conf" <<EOF
worker_processes 1;
error_log $TMP/nginx.err;
pid $TMP/nginx.pid;
events { worker_connections 256; }
http {
	access_log off;
	server {
		listen 127.0.0.1:$PORT;
		location / { $1 }
	}
}
EOF
	nginx -p "$TMP" -c "$TMP/nginx.conf"
}

# total COUNT KIND: the worker's instruction total after COUNT requests.
total() {
	local count=$1 kind=$2 pid stop=INT	# uWSGI stops on SIGINT, the runtime on SIGTERM
	rm -f "$TMP/app.sock" "$TMP/cg.out"
	if [ "$kind" = gatewayd ]; then
		spawn-fcgi -s "$TMP/app.sock" -M 0666 -n -- "$(command -v valgrind)" --tool=callgrind \
			--callgrind-out-file="$TMP/cg.out" "$HOST" "$TMP/pyhello.py" handle text \
			>"$TMP/worker.log" 2>&1 &
		pid=$!
		stop=TERM
		nginx_for "include /etc/nginx/fastcgi_params; fastcgi_pass unix:$TMP/app.sock;"
	else
		valgrind --tool=callgrind --callgrind-out-file="$TMP/cg.out" uwsgi --plugin python3 \
			--socket "$TMP/app.sock" --chmod-socket=666 --wsgi-file "$TMP/pyhello.py" \
			--processes 1 --disable-logging >"$TMP/worker.log" 2>&1 &
		pid=$!
		nginx_for "include /etc/nginx/uwsgi_params; uwsgi_pass unix:$TMP/app.sock;"
	fi
	i=0
	while [ ! -S "$TMP/app.sock" ] && [ "$i" -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
	for ((i = 0; i < count; i++)); do
		curl -sf -o "$TMP/body" -H 'X-Trace: 1' "http://127.0.0.1:$PORT/x?a=b" ||
			{ echo "callgrind-python: request $i to $kind failed: $(cat "$TMP/nginx.err" "$TMP/worker.log" 2>/dev/null | tail -n 3)" >&2; exit 1; }
	done
	nginx -p "$TMP" -c "$TMP/nginx.conf" -s stop 2>/dev/null
	kill -"$stop" "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	i=0
	while [ ! -s "$TMP/cg.out" ] && [ "$i" -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	callgrind_annotate "$TMP/cg.out" 2>/dev/null |
		sed -n 's/^\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,
}

for kind in gatewayd uwsgi; do
	a=$(total 100 "$kind")
	b=$(total $((100 + N)) "$kind")
	printf '%-9s %8d instructions per request in the worker (%d requests)\n' \
		"$kind" $(((b - a) / N)) "$N"
done
