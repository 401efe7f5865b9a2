#!/usr/bin/env bash
# gatewayctl against a running gatewayd, finding the admin socket from the
# same configuration (-c): every command, invoke with a body and with
# --async followed by job --wait until it succeeded, top driven under tmux
# (its screen shows the functions and their rate), and the documented exit
# codes: bad arguments (2, with a message), no such job or function (4), a
# refused reload (1), no admin socket (3), a broken configuration for
# check-config (1, file:line). Fails on the old code: there is no gatewayctl.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

command -v tmux >/dev/null || skip "tmux is missing"

# admin_listen relative to the file, as the shipped config writes paths.
GW_GLOBAL_EXTRA="admin_listen = admin.sock
async.journal = $DATA/journal" gw_config <<EOF
[hello]
exec = $FUNCTIONS/hello
pm.max_children = 2

[echo]
exec = $FUNCTIONS/echo
async = on
EOF
gw_start
C=("$GATEWAYCTL" -c "$GW_CONF")


expect_exit 0 "${C[@]}" ping
assert_file_contains "$T/out" pong
expect_exit 0 "${C[@]}" status
assert_file_contains "$T/out" "gatewayd "
grep -Eq '^hello +static +0/2/2 ' "$T/out" || fail "status line for hello: $(_show <"$T/out")"
expect_exit 0 "${C[@]}" functions
grep -Eq '^echo +static .* 0/1000 ' "$T/out" || fail "functions line for echo: $(_show <"$T/out")"
expect_exit 0 "${C[@]}" --json functions
assert_eq 2 "$(json_at "$T/out" name=hello.workers.max)" "workers.max of hello (--json)"
expect_exit 0 "${C[@]}" workers hello
assert_eq 3 "$(wc -l <"$T/out")" "workers hello: a header and two workers"
expect_exit 4 "${C[@]}" workers nope
assert_file_contains "$T/err" "no function nope"
expect_exit 0 "${C[@]}" metrics
assert_file_contains "$T/out" 'gatewayd_workers_max{function="hello"} 2'

# invoke: no web server in between.
expect_exit 0 "${C[@]}" invoke hello
assert_file_contains "$T/out" "hello, world"
printf 'a body\nof two lines\n' >"$T/payload"
expect_exit 0 "${C[@]}" invoke echo --data "@$T/payload"
cmp -s "$T/payload" "$T/out" || fail "invoke echo --data @file echoed '$(_show <"$T/out")'"
expect_exit 0 "${C[@]}" invoke echo -X GET -H 'X-Probe: yes' --data ignored
expect_exit 0 "${C[@]}" --json invoke echo --data 'json please'
assert_eq 200 "$(json_at "$T/out" status)" "invoke --json status"
assert_eq "json please" "$(json_at "$T/out" body)" "invoke --json body"
expect_exit 0 "${C[@]}" invoke 'echo?show=params' -H 'X-Probe: yes'
assert_file_contains "$T/out" "HTTP_X_PROBE=yes"
expect_exit 1 "${C[@]}" invoke 'echo?sleep_ms=never'	# echo answers 400
assert_file_contains "$T/err" "echo answered 400"
expect_exit 4 "${C[@]}" invoke nope
assert_file_contains "$T/err" "404"

# --async, then the job until it succeeded, its result, the listing, cancel.
expect_exit 0 "${C[@]}" invoke echo --async --data 'later'
id=$(cat "$T/out")
[[ $id =~ ^[0-9a-f]{32}$ ]] || fail "invoke --async printed '$id', not a job id"
expect_exit 0 "${C[@]}" job "$id" --wait
assert_file_contains "$T/out" "$id echo: succeeded, 1 attempts, status 200"
expect_exit 0 "${C[@]}" job "$id" --result
assert_eq later "$(cat "$T/out")" "job --result"
expect_exit 0 "${C[@]}" --json job "$id"
assert_eq succeeded "$(json_at "$T/out" state)" "job --json state"
expect_exit 0 "${C[@]}" jobs
grep -Eq "^$id +echo +succeeded +1 +200 " "$T/out" || fail "jobs does not list $id: $(_show <"$T/out")"
expect_exit 0 "${C[@]}" --json jobs --function echo --state succeeded --limit 5
assert_eq "$id" "$(json_at "$T/out" jobs.0.id)" "jobs --function echo --state succeeded"
expect_exit 0 "${C[@]}" --json jobs --state queued
assert_eq 0 "$(json_at "$T/out" matched)" "queued jobs"
expect_exit 2 "${C[@]}" jobs --state sleeping
assert_file_contains "$T/err" "state must be queued, running, succeeded, failed or canceled"
expect_exit 2 "${C[@]}" jobs --limit 0
expect_exit 0 "${C[@]}" cancel "$id"	# finished: forgotten
expect_exit 4 "${C[@]}" job "$id"
expect_exit 4 "${C[@]}" cancel "$id"

# Bad arguments: a message and 2.
expect_exit 2 "${C[@]}" frobnicate
assert_file_contains "$T/err" 'unknown command "frobnicate"'
expect_exit 2 "${C[@]}"
expect_exit 2 "${C[@]}" job not-an-id
assert_file_contains "$T/err" "32 hex digits"
expect_exit 2 "${C[@]}" invoke
assert_file_contains "$T/err" "which FUNCTION"
expect_exit 2 "${C[@]}" top -d nope
expect_exit 2 "${C[@]}" status extra
expect_exit 0 "${C[@]}" invoke --help
assert_file_contains "$T/out" "usage: gatewayctl [options] invoke FUNCTION"

# reload: taken (0), then refused (1) with the old configuration kept.
expect_exit 0 "${C[@]}" reload
assert_file_contains "$T/out" reloaded
cp "$GW_CONF" "$T/good.ini"
printf '[broken]\nexec = %s/hello\npm.max_children = lots\n' "$FUNCTIONS" >>"$GW_CONF"
expect_exit 1 "${C[@]}" check-config
assert_file_contains "$T/err" "$GW_CONF:"
expect_exit 1 "${C[@]}" reload
assert_file_contains "$T/err" "refused"
cp "$T/good.ini" "$GW_CONF"
expect_exit 0 "${C[@]}" check-config
expect_exit 0 "${C[@]}" --json status
assert_eq 1 "$(json_at "$T/out" reloads)" "reloads taken"
assert_eq 1 "$(json_at "$T/out" reload_failures)" "reloads refused"

# No admin socket: 3, and what to do about it.
expect_exit 3 "$GATEWAYCTL" -a "$T/nowhere.sock" ping
assert_file_contains "$T/err" "cannot connect"
printf '[global]\nlisten = %s/x.sock\n[hello]\nexec = %s/hello\n' "$T" "$FUNCTIONS" >"$T/noadmin.ini"
expect_exit 3 "$GATEWAYCTL" -c "$T/noadmin.ini" status
assert_file_contains "$T/err" "sets no admin_listen"

# top under tmux: a live screen with the functions and a rate once traffic flows.
tmux -L "gw$$" new-session -d -x 120 -y 30 "${C[*]} top -d 0.3"
bg_track "$(tmux -L "gw$$" display -p '#{pid}')"
for ((i = 0; i < 30; i++)); do
	fcgi_client request "$GW_SOCK" -p REQUEST_METHOD=GET -p SCRIPT_NAME=/function/hello >/dev/null
done
sleep 1
tmux -L "gw$$" capture-pane -p >"$T/top" || fail "tmux capture-pane"
assert_file_contains "$T/top" "REQ/S"
grep -Eq '^hello +[0-9.]+ ' "$T/top" || fail "top shows no rate for hello: $(_show <"$T/top")"
grep -Eq '^echo ' "$T/top" || fail "top shows no echo line: $(_show <"$T/top")"
tmux -L "gw$$" send-keys q
for ((i = 0; i < 50; i++)); do
	tmux -L "gw$$" has-session 2>/dev/null || break
	sleep 0.1
done
tmux -L "gw$$" has-session 2>/dev/null && fail "top did not quit on q"
assert_gw_alive
