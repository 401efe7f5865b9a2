#!/usr/bin/env bash
# gatewayd -t: an unknown key is an error naming file and line; a good
# config checks clean.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

# Line numbers matter below: no_such_key is on line 6, bogus_global on 3.
cat >"$T/bad.ini" <<EOF
[global]
listen = $T/gw.sock
run_dir = $T/run

[hello]
no_such_key = 1
exec = $FUNCTIONS/hello
EOF
cat >"$T/bad-global.ini" <<EOF
[global]
listen = $T/gw.sock
bogus_global = yes
run_dir = $T/run
EOF
cat >"$T/good.ini" <<EOF
[global]
listen = $T/gw.sock
run_dir = $T/run

[hello]
exec = $FUNCTIONS/hello
user = nobody
EOF

rc=0
"$GATEWAYD" -t -c "$T/bad.ini" >"$T/bad.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "gatewayd -t accepted bad.ini (output: $(head -c 300 "$T/bad.out"))"
assert_file_contains "$T/bad.out" "bad.ini:6:" "gatewayd -t on an unknown function key"

rc=0
"$GATEWAYD" -t -c "$T/bad-global.ini" >"$T/bad-global.out" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "gatewayd -t accepted bad-global.ini"
assert_file_contains "$T/bad-global.out" "bad-global.ini:3:" "gatewayd -t on an unknown [global] key"

rc=0
"$GATEWAYD" -t -c "$T/good.ini" >"$T/good.out" 2>&1 || rc=$?
assert_eq 0 "$rc" "gatewayd -t exit status on good.ini (output: $(head -c 300 "$T/good.out"))"
[ ! -e "$T/gw.sock" ] || fail "gatewayd -t created the listen socket"

# The example configuration `make run` uses checks clean too.
rc=0
"$GATEWAYD" -t -c "$REPO/conf/gatewayd.ini" >"$T/example.out" 2>&1 || rc=$?
assert_eq 0 "$rc" "gatewayd -t on conf/gatewayd.ini (output: $(head -c 300 "$T/example.out"))"
