#!/usr/bin/env bash
# nats.credentials against a nats-server that wants a token, gatewayd
# started as the tests start it (as root, dropping to its own user):
# - the token in a 0600 root-owned file: gatewayd reads it before it drops
#   privileges (its own user could not), connects, and a job runs;
# - the same file readable by everyone: gatewayd -t refuses it, naming the
#   file, and so does gatewayd at start (the spawner's reading);
# - a hostile function beside it (as root: its own dynamic user, the
#   default sandbox) cannot read the token: not the file, not gatewayd's
#   environment or /proc memory, which hold it;
# - a wrong token: gatewayd starts, serves sync requests, answers async
#   ones 503 and says nats connected false; the server logs the refusal.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib_nats.sh
. "$REPO/tests/integration/lib_nats.sh"
require_nats

NATS_TOKEN="t0ken-$$-$RANDOM"
nats_start 1
nats_wait_ready 1 10

TOKEN_FILE=$T/secrets/nats.token
mkdir "$T/secrets"
chmod 0700 "$T/secrets"
printf '%s\n' "$NATS_TOKEN" >"$TOKEN_FILE"
chmod 0600 "$TOKEN_FILE"

# configure: gatewayd's config with nats.credentials = $TOKEN_FILE.
configure() {
	GW_GLOBAL_EXTRA="admin_listen = $ADMIN_SOCK
async.backend = nats
nats.url = $NATS_URLS
nats.stream = $NATS_STREAM
nats.credentials = $TOKEN_FILE" gw_config <<EOF
[probe]
exec = $FUNCTIONS/sysprobe
async = on

[hostile]
exec = $HOSTILE
EOF
}

# connected_is BOOL WHAT: within 5 s the status says "nats": {"connected": BOOL}.
connected_is() {
	local i got=""
	for ((i = 0; i < 50; i++)); do
		ctl --json status >"$T/status" 2>>"$T/ctl.err" && got=$(json_at "$T/status" nats.connected)
		[ "$got" = "$1" ] && return 0
		sleep 0.1
	done
	assert_eq "$1" "$got" "$2: nats.connected in the status"
}

# --- The right token, in a file only root may read.
configure
gw_start
nginx_up
connected_is true "the right token"
async_submit "/function/probe?call=pid" -H 'Prefer: respond-async' --data-binary 'job'
job_wait "$JOB_ID" 10
assert_eq succeeded "$JOB_STATE" "a job with the right token"
if [ "$(id -u)" -eq 0 ]; then
	# The daemon runs as its own user, which cannot read the file: it was read before.
	gw_uid=$(awk '/^Uid:/ { print $2 }' "/proc/$GW_PID/status")
	[ "$gw_uid" != 0 ] || fail "gatewayd still runs as root"
	setpriv --reuid "$gw_uid" --regid "$gw_uid" --clear-groups cat "$TOKEN_FILE" >/dev/null 2>&1 &&
		fail "gatewayd's user (uid $gw_uid) can read the token file: the test proves nothing"
	echo "gatewayd runs as uid $gw_uid, which cannot read $TOKEN_FILE: read before the drop"
	# A function after the token: the file, and the daemon that holds it in memory.
	attack_refused hostile "read&path=$TOKEN_FILE" 'EACCES|EPERM'
	attack_refused hostile "environ&pid=$GW_PID&needle=$NATS_TOKEN" 'EACCES|EPERM'
	attack_refused hostile "mem&pid=$GW_PID" 'EACCES|EPERM'
	# (ptrace and process_vm_readv of gatewayd: test_50, the default filter kills them.)
fi
gw_stop

# --- A token file everyone may read: refused by -t and at start.
chmod 0644 "$TOKEN_FILE"
rc=0
"$GATEWAYD" -t -c "$GW_CONF" >"$T/t.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "gatewayd -t accepted a token file readable by everyone"
assert_file_contains "$T/t.out" "nats.credentials $TOKEN_FILE is readable by everyone" \
	"gatewayd -t on a world-readable token file"
rc=0
timeout 10 "$GATEWAYD" -c "$GW_CONF" >"$T/start.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "gatewayd started with a token file readable by everyone"
assert_file_contains "$T/start.out" "is readable by everyone" "gatewayd at start"
echo "a world-readable token file: refused by gatewayd -t and at start (exit $rc)"

# --- A wrong token: sync served, async 503, status says not connected.
printf 'not-the-token\n' >"$TOKEN_FILE"
chmod 0600 "$TOKEN_FILE"
gw_start
connected_is false "a wrong token"
http_get "/function/probe?call=trace" -H 'Prefer: respond-async' --data-binary 'job'
assert_status 503
http_get "/function/probe?call=pid"
assert_status 200
grep -qiE "authentication error|authorization violation" "$NATS_DIR/s1.log" ||
	fail "nats-server did not log refusing the wrong token"
echo "a wrong token: sync 200, async 503, connected false"
gw_stop
