#!/usr/bin/env bash
# crash_loop.*: a function whose workers exit at once is held back (503 at
# once instead of requests waiting), its restarts back off, other functions
# are not disturbed, and once the program is fixed it recovers by itself.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

cat >"$T/flaky.sh" <<EOF2
#!/bin/sh
# Exits 1 at once until $T/fixed exists, then is the hello function.
[ -e "$T/fixed" ] && exec "$FUNCTIONS/hello"
exit 1
EOF2
chmod 755 "$T/flaky.sh"

gw_config <<EOF2
[flaky]
exec = $T/flaky.sh
pm.max_children = 1
seccomp = off
crash_loop.count = 3
crash_loop.window = 2s

[hello]
exec = $FUNCTIONS/hello
pm.max_children = 1
EOF2
gw_start
nginx_up

# exits: how many flaky workers have exited so far.
exits() {
	grep -c "function flaky: worker pid [0-9]* exited" "$GW_LOG"
}

# Held back after 3 failures (0.1 + 0.2 + 0.4 s of backoff): 503. Until
# then a request waits for a worker (503 after queue.timeout) or gets one that
# dies under it (502).
held=0
for ((n = 0; n < 20; n++)); do
	start=$(now_ms)
	http_get /function/flaky
	elapsed=$(($(now_ms) - start))
	case $HTTP_STATUS in
	503) if [ "$(exits)" -ge 3 ]; then
		held=1
		break
	fi ;;
	# Before the hold-back, a request may reach a worker that then dies: 502.
	502) ;;
	200) fail "flaky answered 200 before it was fixed" ;;
	*) fail "request $n to a crash-looping function: expected 503, got $HTTP_STATUS (body '$(_show <"$BODY")')" ;;
	esac
	sleep 0.2
done
[ "$held" -eq 1 ] || fail "flaky was not held back after $n requests ($(exits) exits logged)"
echo "held back after $n requests, $(exits) exits; that 503 took $elapsed ms"

# Once held back, a request is refused at once.
for ((n = 0; n < 5; n++)); do
	start=$(now_ms)
	http_get /function/flaky
	elapsed=$(($(now_ms) - start))
	assert_status 503
	[ "$elapsed" -lt 1000 ] || fail "a request to a held-back function took $elapsed ms (expected 503 at once)"
	http_get /function/hello
	assert_status 200
	assert_body "hello, world"
	sleep 0.1
done

# Backoff, not a hot loop: few exits over 4 s.
before=$(exits)
for ((n = 0; n < 8; n++)); do
	http_get /function/hello
	assert_status 200
	sleep 0.5
done
during=$(($(exits) - before))
echo "flaky exits over 4 s while held back: $during"
[ "$during" -lt 12 ] || fail "$during flaky exits in 4 s: respawned in a hot loop"
assert_gw_alive

# Fixed: it recovers by itself, within the backoff (<= 10 s) plus the window.
touch "$T/fixed"
start=$(now_ms)
for ((n = 0; n < 90; n++)); do
	http_get /function/flaky
	[ "$HTTP_STATUS" = 200 ] && break
	[ "$HTTP_STATUS" = 503 ] || fail "flaky while recovering: expected 503 or 200, got $HTTP_STATUS"
	sleep 0.2
done
assert_status 200
assert_body "hello, world"
echo "recovered $(($(now_ms) - start)) ms after the fix"
http_get /function/flaky
assert_status 200
assert_gw_alive
