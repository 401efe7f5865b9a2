# shellcheck shell=bash
#
# tests/integration/lib_nats.sh: nats-server (JetStream) and several
# gatewayd nodes, for the tests of async.backend = nats (test_9[56]_nats_*).
# Sourced after lib.sh:
#
#	. "$REPO/tests/integration/lib.sh"
#	. "$REPO/tests/integration/lib_nats.sh"
#	require_nats                 # skips unless nats-server is installed
#	nats_start 1 3               # server 1 of a cluster of 3 (0: alone)
#	nats_wait_ready 1 10         # its JetStream answers (10 s at most)
#	node_config 1 <<EOF          # [global] for node 1 on NATS_URLS; functions
#	[job]
#	...
#	EOF
#	node_start 1                 # gw_start on node 1's config and socket
#	nginx_up_nodes 1 2 3         # one nginx, an upstream over those nodes
#
# Server I listens on 127.0.0.1:NATS_PORT[I] (clients), NATS_CPORT[I]
# (routes) and NATS_MPORT[I] (monitoring), stores in $T/nats/sI and logs to
# $T/nats/sI.log. Node N lives in $T/nN: gatewayd.ini, gw.sock, admin.sock,
# run/; it logs to $T/gatewayd.nN.log. node_use N points lib.sh's GW_CONF,
# GW_SOCK, GW_LOG, GW_PID and ADMIN_SOCK at node N, so gw_start, gw_stop,
# gw_kill9, ctl and the gw_* helpers work on it.
#
# The EXIT trap stops nginx, every node (gw_stop: exit status and sanitizer
# checks included) and every nats-server. A nats-server is also started
# with a parent-death signal, so none outlives the test even when a failed
# check ends the cleanup early. When the test failed, the last lines of
# each node's log are gathered into $T/gatewayd.log, which run.sh shows.

NATS_DIR=$T/nats
NATS_CLUSTER=gwtest
NATS_NEXT_PORT=$((20000 + RANDOM % 20000))
NATS_URLS=""			# nats://127.0.0.1:P,... of the servers started
declare -a NATS_PID=() NATS_PORT=() NATS_CPORT=() NATS_MPORT=()
declare -a NODE_PID=()

# require_nats: skips the test unless nats-server is installed.
require_nats() {
	command -v nats-server >/dev/null ||
		skip "nats-server is missing (scripts/deps.sh installs it)"
}

# _nats_pick_port VAR: sets VAR to a free loopback TCP port, never one
# handed out before in this test.
_nats_pick_port() {
	local port
	port=$(nginx_pick_port "$NATS_NEXT_PORT") || fail "no free port from $NATS_NEXT_PORT"
	NATS_NEXT_PORT=$((port + 1))
	printf -v "$1" '%s' "$port"
}

# nats_start I [CLUSTER_SIZE]: starts nats-server I with JetStream. With
# CLUSTER_SIZE > 0 it is one of servers 1..CLUSTER_SIZE of one cluster,
# routes to all of them (their ports are chosen at the first call). A
# server started again keeps its ports and its store. Sets NATS_URLS.
# With NATS_TOKEN set, clients must give that token.
nats_start() {
	local i=$1 size=${2:-0} j routes="" conf
	mkdir -p "$NATS_DIR/s$i"
	for ((j = 1; j <= (size > i ? size : i); j++)); do
		[ -n "${NATS_PORT[j]:-}" ] && continue
		_nats_pick_port "NATS_PORT[$j]"
		_nats_pick_port "NATS_CPORT[$j]"
		_nats_pick_port "NATS_MPORT[$j]"
	done
	conf=$NATS_DIR/s$i.conf
	{
		printf 'server_name: s%s\n' "$i"
		printf 'listen: 127.0.0.1:%s\n' "${NATS_PORT[i]}"
		printf 'http: 127.0.0.1:%s\n' "${NATS_MPORT[i]}"
		printf 'jetstream { store_dir: "%s" }\n' "$NATS_DIR/s$i"
		[ -n "${NATS_TOKEN:-}" ] && printf 'authorization { token: "%s" }\n' "$NATS_TOKEN"
		if [ "$size" -gt 0 ]; then
			for ((j = 1; j <= size; j++)); do
				routes="$routes    nats-route://127.0.0.1:${NATS_CPORT[j]}\n"
			done
			printf 'cluster {\n  name: %s\n  listen: 127.0.0.1:%s\n  routes: [\n%b  ]\n}\n' \
				"$NATS_CLUSTER" "${NATS_CPORT[i]}" "$routes"
		fi
	} >"$conf"
	setpriv --pdeathsig KILL nats-server -js -c "$conf" >>"$NATS_DIR/s$i.log" 2>&1 &
	NATS_PID[i]=$!
	NATS_URLS=""
	for j in "${!NATS_PORT[@]}"; do
		NATS_URLS="${NATS_URLS:+$NATS_URLS,}nats://127.0.0.1:${NATS_PORT[j]}"
	done
}

# nats_wait_ready I SECONDS: until server I's /healthz answers 200 (its
# JetStream is up and, in a cluster, in touch with a meta leader); fails
# the test if it does not within SECONDS or the server exited.
nats_wait_ready() {
	local i code
	for ((i = 0; i < $2 * 10; i++)); do
		kill -0 "${NATS_PID[$1]}" 2>/dev/null ||
			fail "nats-server s$1 exited at start (log: '$(tail -c 300 "$NATS_DIR/s$1.log" | _show)')"
		code=$(curl -s -o "$NATS_DIR/s$1.health" -w '%{http_code}' --max-time 1 \
			"http://127.0.0.1:${NATS_MPORT[$1]}/healthz")
		[ "$code" = 200 ] && return 0
		sleep 0.1
	done
	fail "nats-server s$1: /healthz not 200 within $2 s (last: $code '$(_show <"$NATS_DIR/s$1.health")')"
}

# nats_meta_leader I: prints the server name of the JetStream meta leader
# as server I sees it (empty when it has none).
nats_meta_leader() {
	curl -s --max-time 1 "http://127.0.0.1:${NATS_MPORT[$1]}/jsz" |
		/usr/bin/python3 -c 'import json, sys
print((json.load(sys.stdin).get("meta_cluster") or {}).get("leader", ""))' 2>/dev/null
}

# nats_kill I SIGNAL: sends SIGNAL (KILL, TERM) to server I and waits (5 s
# at most, then SIGKILL) until it is gone. Bash's "Killed" job notice goes
# to /dev/null with the rest of its stderr here.
nats_kill() {
	local i pid=${NATS_PID[$1]:-}
	[ -n "$pid" ] || return 0
	{
		kill "-$2" "$pid"
		for ((i = 0; i < 50; i++)); do
			kill -0 "$pid" || break
			sleep 0.1
		done
		kill -KILL "$pid"
		wait "$pid"
	} 2>/dev/null
	NATS_PID[$1]=""
}

# --------------------------------------------------------- gatewayd nodes

# node_use N: lib.sh's gatewayd helpers now act on node N.
# shellcheck disable=SC2034 # lib.sh's variables, which its helpers read
node_use() {
	GW_CONF=$T/n$1/gatewayd.ini
	GW_SOCK=$T/n$1/gw.sock
	GW_LOG=$T/gatewayd.n$1.log
	ADMIN_SOCK=$T/n$1/admin.sock
	GW_PID=${NODE_PID[$1]:-}
}

# node_config N: writes node N's config: [global] with its own socket,
# run_dir and admin socket, async.backend = nats on $NATS_URLS, stream
# $NATS_STREAM, NODE_GLOBAL_EXTRA (lines for [global]), then stdin.
NATS_STREAM=GWT$$
node_config() {
	local mode=0666
	[ "$(id -u)" -eq 0 ] && mode=0660
	mkdir -p "$T/n$1"
	{
		printf '[global]\n'
		printf 'listen = %s\n' "$T/n$1/gw.sock"
		printf 'listen.mode = %s\n' "$mode"
		printf 'run_dir = %s\n' "$T/n$1/run"
		printf 'admin_listen = %s\n' "$T/n$1/admin.sock"
		printf 'log_level = %s\n' "${GW_LOG_LEVEL:-debug}"
		printf 'async.backend = nats\n'
		printf 'nats.url = %s\n' "$NATS_URLS"
		printf 'nats.stream = %s\n' "$NATS_STREAM"
		[ -n "${NODE_GLOBAL_EXTRA:-}" ] && printf '%s\n' "$NODE_GLOBAL_EXTRA"
		printf '\n'
		cat
	} >"$T/n$1/gatewayd.ini"
}

# node_start N: starts node N (gw_start: waits until its socket answers).
node_start() {
	node_use "$1"
	gw_start
	NODE_PID[$1]=$GW_PID
}

# node_stop N: stops node N (gw_stop: SIGTERM, exit status checked).
node_stop() {
	node_use "$1"
	gw_stop
	NODE_PID[$1]=""
}

# node_kill9 N: kill -9 of node N (its workers die with its spawner).
node_kill9() {
	node_use "$1"
	gw_kill9
	NODE_PID[$1]=""
}

# assert_nodes_alive: every node started and not stopped or killed by the
# test still runs; one that exited (crashed, or was signalled from outside
# the test) fails it with its last log line.
assert_nodes_alive() {
	local n
	for n in "${!NODE_PID[@]}"; do
		[ -n "${NODE_PID[n]}" ] || continue
		pid_alive "${NODE_PID[n]}" ||
			fail "node n$n (pid ${NODE_PID[n]}) exited without the test stopping it (log: '$(tail -n 1 "$T/gatewayd.n$n.log" | _show)')"
	done
}

# nginx_up_nodes N...: one nginx on a free port whose upstream holds the
# sockets of nodes N... (round robin, nginx's defaults: a node that refuses
# connections is skipped for 10 s); sets BASE.
nginx_up_nodes() {
	local n socks=()
	for n in "$@"; do
		socks+=("$T/n$n/gw.sock")
	done
	nginx_up "${socks[@]}"
}

# node_status_json N FILE: node N's status (JSON) from its admin socket.
node_status_json() {
	"$GATEWAYCTL" -a "$T/n$1/admin.sock" --json status >"$2" ||
		fail "gatewayctl status on node $1: exit $? ('$(_show <"$2")')"
}

# ---------------------------------------------------------------- clients

# post_jobs URL N THREADS OUT: N POSTs of a small body to URL?n=I through
# nginx, from THREADS threads (one kept-alive connection each, made anew
# after an error), each asking Prefer: respond-async. The id of every 202
# (from its Location, /_gateway/jobs/<id>) is appended to OUT as soon as it
# arrived, so OUT holds exactly the accepted ids. Prints
# "accepted=A 502=B ... errors=E seconds=S" (a count per other status, and
# requests without an answer); 0 when every request got a 202.
post_jobs() {
	/usr/bin/python3 - "$@" <<'PY'
import http.client, sys, threading, time, urllib.parse

url, n, threads, out_path = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
u = urllib.parse.urlsplit(url)
sep = "&" if u.query else "?"
path = u.path + ("?" + u.query if u.query else "")
lock = threading.Lock()
counts = {}
next_i = [0]
out = open(out_path, "a")

def count(key):
    with lock:
        counts[key] = counts.get(key, 0) + 1

def worker():
    conn = None
    while True:
        with lock:
            i = next_i[0]
            next_i[0] += 1
        if i >= n:
            break
        try:
            if conn is None:
                conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
            conn.request("POST", "%s%sn=%d" % (path, sep, i), body=b"job %d\n" % i,
                         headers={"Prefer": "respond-async",
                                  "Content-Type": "application/octet-stream"})
            r = conn.getresponse()
            r.read()
        except (OSError, http.client.HTTPException):
            count("errors")
            if conn is not None:
                conn.close()
            conn = None
            continue
        location = r.getheader("Location") or ""
        if r.status == 202 and location.startswith("/_gateway/jobs/"):
            with lock:
                out.write(location[len("/_gateway/jobs/"):] + "\n")
                out.flush()
            count("accepted")
        else:
            count(str(r.status))
        if r.getheader("Connection", "").lower() == "close":
            conn.close()
            conn = None

start = time.monotonic()
ts = [threading.Thread(target=worker) for _ in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
accepted = counts.pop("accepted", 0)
errors = counts.pop("errors", 0)
print("accepted=%d %serrors=%d seconds=%.2f" % (
    accepted, "".join("%s=%d " % kv for kv in sorted(counts.items())), errors,
    time.monotonic() - start))
sys.exit(0 if accepted == n else 1)
PY
}

# ------------------------------------------------------------------ cleanup

# Stops everything the test started. A failed check in gw_stop (a node's
# exit status after SIGTERM, a sanitizer report) must not leave the other
# nodes and the servers running, so during the cleanup fail records the
# failure and returns; the test then exits 1.
_nats_cleanup() {
	local n i failed=0
	# shellcheck disable=SC2317 # called by gw_stop
	fail() {
		printf 'assertion failed: %s\n' "$*" | tee -a "$T/failure" >&2
		failed=1
		return 1
	}
	[ "$NGINX_STARTED" -eq 1 ] && nginx_stop "$NGINX_DIR"
	NGINX_STARTED=0
	for n in "${!NODE_PID[@]}"; do
		[ -n "${NODE_PID[n]}" ] && node_stop "$n"
	done
	# GW_PID is the last node's, stopped above; a test without nodes (gw_start
	# alone) leaves it to _cleanup, which stops it.
	[ "${#NODE_PID[@]}" -gt 0 ] && GW_PID=""
	for i in "${!NATS_PID[@]}"; do
		nats_kill "$i" TERM
	done
	if [ -s "$T/failure" ]; then
		for n in "${!NODE_PID[@]}"; do
			[ -s "$T/gatewayd.n$n.log" ] || continue
			tail -n 6 "$T/gatewayd.n$n.log" | sed "s/^/n$n: /"
		done >>"$T/gatewayd.log"
	fi
	_cleanup
	[ "$failed" -eq 0 ] || exit 1
}
trap _nats_cleanup EXIT
