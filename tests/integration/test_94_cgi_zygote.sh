#!/usr/bin/env bash
# A CGI function's programs come from its zygote (fcgi-pool/zygote.h): one
# process per function that entered the sandbox once. It runs as the
# function's user and holds a copy of the spawner's memory (every
# function's environment), so a hostile CGI program of one function, under
# the shipped default filter, as its own dynamic user under [global] user,
# started as root, tries to reach it and its neighbour's:
# - /proc/PID/environ, maps, mem and fd of every zygote: refused (the
#   zygote is not dumpable; the neighbour's is another user's);
# - signals: the neighbour's zygote refuses them (another user); its own
#   zygote killed is replaced; stopped (SIGSTOP), it costs its own function
#   one slow request: the spawner gives up on it (1 s), kills it and starts
#   that function's programs directly; the neighbour's zygote serves on,
#   the same process.
# [isolated] (network = none) and [nosetsid] (seccomp.deny = setsid) get no
# zygote. The programs still see their request (QUERY_STRING) and their own
# environment, a reload's new one too, and the old generation's zygotes
# end with it.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"
require_root

cat >"$T/hostile-cgi.sh" <<'EOF'
#!/bin/sh
# Tries every zygote of its gatewayd: the spawner is its parent and theirs.
# Prints "what: refused" or "what: SUCCEEDED".
printf 'Content-Type: text/plain\r\n\r\n'
me=$(id -u)
seen=0
for d in /proc/[0-9]*; do
	[ "$(cat "$d/comm" 2>/dev/null)" = gatewayd-zygote ] || continue
	[ "$(awk '/^PPid:/ { print $2 }' "$d/status" 2>/dev/null)" = "$PPID" ] || continue
	pid=${d#/proc/}
	owner=$(awk '/^Uid:/ { print $2 }' "$d/status" 2>/dev/null)
	[ "$owner" = "$me" ] && who=own || who=other
	seen=$((seen + 1))
	echo "zygote $who $pid"
	for f in environ maps mem; do
		if (exec 3<"$d/$f") 2>/dev/null; then
			echo "$who $f: SUCCEEDED"
		else
			echo "$who $f: refused"
		fi
	done
	if ls "$d/fd/" >/dev/null 2>&1; then echo "$who fd: SUCCEEDED"; else echo "$who fd: refused"; fi
	case "$QUERY_STRING:$who" in
	signal:other)
		if kill -STOP "$pid" 2>/dev/null; then echo "other stop: SUCCEEDED"; else echo "other stop: refused"; fi ;;
	stop:own) kill -STOP "$pid" && echo "own stopped $pid" ;;
	kill:own) kill -KILL "$pid" && echo "own killed $pid" ;;
	esac
done
echo "zygotes seen: $seen"
echo "secret: ${NEIGHBOUR_SECRET:-none}; own: $OWN_VALUE; query: $QUERY_STRING"
EOF
chmod 0755 "$T/hostile-cgi.sh"

GW_GLOBAL_EXTRA="user = daemon" gw_config <<EOF
[hostile]
exec = $T/hostile-cgi.sh
mode = cgi
env[OWN_VALUE] = mine

[neighbour]
exec = $REPO/functions/hello-cgi.sh
mode = cgi
env[NEIGHBOUR_SECRET] = s3cret-of-the-neighbour

[isolated]
exec = $REPO/functions/hello-cgi.sh
mode = cgi
network = none
env[GENERATION] = first

[nosetsid]
exec = $REPO/functions/hello-cgi.sh
mode = cgi
seccomp.deny = setsid
env[GENERATION] = first
EOF
gw_start
nginx_up

# No zygote where one would weaken the sandbox: under network = none each
# program gets a namespace of its own, and a filter that denies one of the
# calls a zygote makes (setsid) leaves its function's programs spawned
# directly. Both still answer.
for fn in isolated nosetsid; do
	http_get "/function/$fn"
	assert_status 200
	assert_body "hello, world"
	[ -z "$(pgrep -P "$(gw_spawner)" -x gatewayd-zygote)" ] ||
		fail "a gatewayd-zygote after a request to [$fn]"
done

# The neighbour's zygote exists once it served a request.
http_get /function/neighbour
assert_status 200
assert_body "hello, world"
neighbour_zygote=$(pgrep -P "$(gw_spawner)" -x gatewayd-zygote)
[ -n "$neighbour_zygote" ] || fail "no gatewayd-zygote after a neighbour request"
# It holds none of the daemon's descriptors and has a session of its own.
for fd in 0 1 2; do
	assert_eq /dev/null "$(readlink "/proc/$neighbour_zygote/fd/$fd")" "the zygote's descriptor $fd"
done
fds=$(find "/proc/$neighbour_zygote/fd" -mindepth 1 -printf '%f\n' | sort -n | tr '\n' ' ')
assert_eq "0 1 2 3 " "$fds" "the zygote's open descriptors"
assert_eq "$neighbour_zygote" "$(ps -o sid= -p "$neighbour_zygote" | tr -d ' ')" "the zygote's session"

http_get "/function/hostile?signal"
sed 's/^/    [hostile] /' "$BODY"
assert_status 200
grep -q "zygote own " "$BODY" || fail "the hostile program saw no zygote of its own user"
grep -q "zygote other $neighbour_zygote" "$BODY" || fail "the hostile program did not see the neighbour's zygote"
if grep -q ': SUCCEEDED' "$BODY"; then
	fail "hostile: $(grep -m1 ': SUCCEEDED' "$BODY")"
fi
for what in "own environ" "own maps" "own mem" "own fd" "other environ" "other maps" \
	"other mem" "other fd" "other stop"; do
	grep -qx "$what: refused" "$BODY" || fail "hostile: no '$what: refused' line"
done
assert_contains "$(cat "$BODY")" "secret: none; own: mine; query: signal" "the hostile program's environment"
assert_eq "S" "$(ps -o state= -p "$neighbour_zygote" | tr -d ' ')" "state of the neighbour's zygote"

# Its own zygote killed (once it lived more than 1 s): the spawner starts
# another for the next request.
own_zygote() { sed -n 's/^zygote own \([0-9]*\)$/\1/p' "$BODY"; }
first=$(own_zygote)
sleep 1.2
http_get "/function/hostile?kill"
assert_status 200
grep -q "own killed $first" "$BODY" || fail "the hostile program did not kill its zygote: '$(_show <"$BODY")'"
http_get "/function/hostile?after-kill"
assert_status 200
assert_contains "$(cat "$BODY")" "query: after-kill" "the request after the zygote was killed"
http_get "/function/hostile?look"
second=$(own_zygote)
if [ -z "$second" ] || [ "$second" = "$first" ]; then
	fail "no new zygote after the first was killed (first $first, now '${second}')"
fi

# Stopped (SIGSTOP): the next request still gets an answer in a bounded
# time (the spawner's 1 s wait, then a direct spawn), the stopped zygote
# is killed and not replaced: the function's programs are spawned directly.
http_get "/function/hostile?stop"
assert_status 200
grep -q "own stopped $second" "$BODY" || fail "the hostile program did not stop its zygote: '$(_show <"$BODY")'"
t0=$(now_ms)
http_get "/function/hostile?again"
assert_status 200
assert_contains "$(cat "$BODY")" "query: again" "the request after the zygote was stopped"
elapsed=$(($(now_ms) - t0))
[ "$elapsed" -lt 5000 ] || fail "the request after the zygote was stopped took $elapsed ms"
http_get "/function/hostile?direct"
assert_status 200
[ -z "$(own_zygote)" ] || fail "a zygote of the hostile function after its zygote hung: $(own_zygote)"
pid_alive "$second" && fail "the stopped zygote $second is still there"
for _ in 1 2 3; do
	http_get /function/neighbour
	assert_status 200
	assert_body "hello, world"
done
assert_eq "gatewayd-zygote" "$(cat "/proc/$neighbour_zygote/comm")" "the neighbour's zygote after the attacks"

# A reload that changes every function's environment: the programs see the
# new values (a new generation, new zygotes; the hung one's fate is not
# carried over), and the old generation's zygotes end once it is released.
sed -i -e 's/^env\[OWN_VALUE\] = mine$/env[OWN_VALUE] = reloaded/' \
	-e 's/^env\[NEIGHBOUR_SECRET\] = .*/env[NEIGHBOUR_SECRET] = rotated-secret/' \
	-e 's/^env\[GENERATION\] = first$/env[GENERATION] = second/' "$GW_CONF"
gw_reload || fail "reload refused: $(tail -n 3 "$GW_LOG" | _show)"
http_get "/function/hostile?after-reload"
assert_status 200
assert_contains "$(cat "$BODY")" "own: reloaded; query: after-reload" "the environment after the reload"
[ -n "$(own_zygote)" ] || fail "no zygote for the hostile function after the reload"
for ((i = 0; i < 50; i++)); do
	pid_alive "$neighbour_zygote" || break
	sleep 0.1
done
pid_alive "$neighbour_zygote" && fail "the old generation's zygote $neighbour_zygote outlived the reload"
http_get /function/neighbour
assert_status 200
assert_body "hello, world"
assert_gw_alive
gw_stop
