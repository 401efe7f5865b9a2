#!/usr/bin/env bash
# gatewayctl deploy and remove: a function's INI file is written into the
# included directory, the configuration checked, gatewayd reloaded, and the
# command returns once the workers are up (a C program with --set keys, a
# Python handle(req) given by a relative path). Each failure leaves nothing
# changed: a bad key (the check refuses; the running function and its file
# stay as they were), a program whose workers never come up (gatewayd took
# the reload: the file goes and a second reload takes the function away),
# bad arguments. remove takes the file away the same way. Fails on the old
# code: there is no gatewayctl.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

mkdir -p "$T/functions.d"
GW_GLOBAL_EXTRA="admin_listen = $ADMIN_SOCK
include = functions.d/*.ini" gw_config <<EOF
[hello]
exec = $FUNCTIONS/hello
EOF
gw_start
C=("$GATEWAYCTL" -c "$GW_CONF" --timeout 8)

# workers_of FUNCTION: its idle + busy workers now ("none" when not configured).
workers_of() {
	ctl --json functions >"$T/f"
	/usr/bin/python3 -c 'import json,sys
f=[x for x in json.load(open(sys.argv[1])) if x["name"]==sys.argv[2]]
print(f[0]["workers"]["idle"]+f[0]["workers"]["busy"] if f else "none")' "$T/f" "$1"
}

# A C program, with keys of its own: up when the command returns.
expect_exit 0 "${C[@]}" deploy greet --exec "$FUNCTIONS/greet" --set pm.max_children=2 \
	--set 'param[GREETING_SOURCE] = deploy'
assert_file_contains "$T/out" "greet deployed"
assert_file_contains "$T/functions.d/greet.ini" "pm.max_children = 2"
assert_eq 2 "$(workers_of greet)" "greet's workers once deploy returned"
expect_exit 0 "${C[@]}" invoke 'greet?name=Ada'
assert_file_contains "$T/out" "Ada"

# A Python handle(req), named relative to where gatewayctl runs.
mkdir -p "$T/src"
printf 'def handle(req):\n    return {"deployed": True, "got": req}\n' >"$T/src/hi.py"
cd "$T/src" || fail "cd $T/src"
expect_exit 0 "${C[@]}" deploy py-hi --runtime python3 --handler hi.py
cd "$T" || fail "cd $T"
assert_file_contains "$T/functions.d/py-hi.ini" "handler = $T/src/hi.py"
expect_exit 0 "${C[@]}" invoke py-hi --data ping
assert_file_contains "$T/out" '"deployed": true'

# A bad key: refused by the check; greet runs on, its file unchanged.
cp "$T/functions.d/greet.ini" "$T/greet.before"
expect_exit 1 "${C[@]}" deploy greet --exec "$FUNCTIONS/greet" --set pm.max_children=lots
assert_file_contains "$T/err" "pm.max_children = lots"
assert_file_contains "$T/err" "nothing changed"
cmp -s "$T/greet.before" "$T/functions.d/greet.ini" || fail "greet.ini changed by a refused deploy"
assert_eq 2 "$(workers_of greet)" "greet's workers after a refused deploy"
left=$(find "$T/functions.d" -mindepth 1 ! -name greet.ini ! -name py-hi.ini)
[ -z "$left" ] || fail "files left in functions.d: $left"

# Workers that never come up: gatewayd took it, so it is taken back.
expect_exit 1 "${C[@]}" --timeout 3 deploy broken --exec /bin/false
assert_file_contains "$T/err" "broken: put back as it was"
[ -e "$T/functions.d/broken.ini" ] && fail "broken.ini left behind"
assert_eq none "$(workers_of broken)" "broken after its deploy was undone"
assert_eq 2 "$(workers_of greet)" "greet's workers after an undone deploy"

# Bad arguments change nothing.
expect_exit 2 "${C[@]}" deploy nothing
assert_file_contains "$T/err" "give --exec PROGRAM, or --runtime R with --handler FILE"
expect_exit 2 "${C[@]}" deploy _hidden --exec "$FUNCTIONS/hello"
expect_exit 2 "${C[@]}" deploy x --exec "$FUNCTIONS/hello" --set novalue
expect_exit 2 "${C[@]}" deploy x --exec "$FUNCTIONS/hello" --runtime python3

# remove: the function goes, its file too; twice is "no such function".
expect_exit 0 "${C[@]}" remove greet
[ -e "$T/functions.d/greet.ini" ] && fail "greet.ini still there after remove"
assert_eq none "$(workers_of greet)" "greet after remove"
expect_exit 4 "${C[@]}" remove greet
expect_exit 0 "${C[@]}" invoke hello
assert_gw_alive
