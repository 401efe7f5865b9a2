#!/usr/bin/env bash
# Deploying new Python code is editing the handler and reloading: a reload
# after the handler file (or any file of a handler package) changed gives
# the function new workers, which import the new code; a reload with nothing
# changed keeps the workers, and the module state they hold. A handler that
# does not import (a syntax error) logs its traceback and the function keeps
# failing visibly until it is fixed, while the other function serves on.
# The runtime's keys apply through a reload too: a new handler.function or
# raw_body gives new workers that use it.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

[ -x "$(dirname "$FUNCTIONS")/runtimes/python3/gatewayd-python3" ] ||
	skip "the python3 runtime is not built (needs python3-dev)"

# version FILE TEXT: a handler answering TEXT and how many requests its worker served.
version() {
	printf 'n = 0\n\ndef handle(req):\n    global n\n    n += 1\n    return "%s %%d" %% n\n' "$2" >"$1"
	chmod 0644 "$1"
}
mkdir -m 0755 "$T/pkg"
version "$T/single.py" v1
version "$T/pkg/impl.py" p1
printf 'from .impl import handle\n' >"$T/pkg/__init__.py"
chmod 0644 "$T/pkg/__init__.py"

gw_config <<EOF
[single]
runtime = python3
handler = $T/single.py
pm.max_children = 1

[package]
runtime = python3
handler = $T/pkg
pm.max_children = 1
EOF
gw_start
nginx_up

body() {
	http_get "/function/$1"
	assert_status 200
	cat "$BODY"
}

# reload_until FUNCTION FIRST: reloads, then waits (5 s at most) until
# FUNCTION answers FIRST, its new worker's first answer.
reload_until() {
	local i
	gw_reload || fail "the reload was refused"
	for ((i = 0; i < 50; i++)); do
		http_get "/function/$1"
		[ "$HTTP_STATUS" = 200 ] && [ "$(cat "$BODY")" = "$2" ] && return 0
		sleep 0.1
	done
	fail "$1 did not answer '$2' within 5 s of the reload (last: $HTTP_STATUS '$(_show <"$BODY")')"
}

assert_eq "v1 1" "$(body single)" "first request"
assert_eq "p1 1" "$(body package)" "first request to the package"

# Nothing changed: the same workers, their state kept.
gw_reload || fail "the reload was refused"
assert_eq "v1 2" "$(body single)" "after a reload with nothing changed (same worker)"
assert_eq "p1 2" "$(body package)" "the package after a reload with nothing changed"

# The file changed: new workers, new code.
version "$T/single.py" v2
reload_until single "v2 1"
assert_eq "v2 2" "$(body single)" "after the handler file changed and a reload"
assert_eq "p1 3" "$(body package)" "the untouched package kept its worker"

# A file inside the package changed.
version "$T/pkg/impl.py" p2
reload_until package "p2 1"
assert_eq "p2 2" "$(body package)" "after a module of the package changed and a reload"

# A syntax error: the import fails in the worker, whose traceback is logged.
printf 'def handle(req):\n    return (\n' >"$T/single.py"
gw_reload || fail "the reload was refused"
for ((i = 0; i < 50; i++)); do
	grep -q "function single pid [0-9]*: .*SyntaxError" "$GW_LOG" && break
	sleep 0.1
done
grep -q "function single pid [0-9]*: .*SyntaxError" "$GW_LOG" ||
	fail "no SyntaxError traceback in the log for the broken handler"
http_get /function/single
[ "$HTTP_STATUS" -ge 500 ] || fail "a broken handler answered $HTTP_STATUS"
assert_eq "p2 3" "$(body package)" "the other function serves while one is broken"

version "$T/single.py" v3
reload_until single "v3 1"
assert_eq "v3 2" "$(body single)" "fixed: the new code serves"

# runtime_config KEYS: the two sections again, single's with KEYS added.
runtime_config() {
	gw_config <<EOF
[single]
runtime = python3
handler = $T/single.py
pm.max_children = 1
$1

[package]
runtime = python3
handler = $T/pkg
pm.max_children = 1
EOF
}
printf 'def handle(req):\n    return "handle " + type(req).__name__\n\n' >"$T/single.py"
printf 'def shout(req):\n    return "shout " + type(req).__name__\n' >>"$T/single.py"
reload_until single "handle str"
runtime_config 'handler.function = shout'
reload_until single "shout str"
runtime_config $'handler.function = shout\nraw_body = yes'
reload_until single "shout bytes"
assert_eq "p2 4" "$(body package)" "the package kept its worker through single's key changes"
assert_gw_alive
