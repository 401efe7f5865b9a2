#!/usr/bin/env bash
# Async callbacks (X-Callback-Url), the parts gatewayd decides at accept and
# at load: a URL outside async.callback_allow is 400 and nothing is queued
# or journalled (another host that starts like the allowed one, userinfo, a
# path that only starts like the prefix, a dot segment, another port or
# scheme); an allowed one is accepted (202); a function without
# callback_allow refuses every callback; async.callback_secret_file with a
# bad mode or owner is refused by gatewayd -t and at start, naming the file
# and the fix. Delivery itself (the receiver, retries, kill -9) is not here
# yet: see docs/async.md, Callbacks.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

printf 'callback-secret\n' >"$T/secret"
chmod 0600 "$T/secret"

GW_GLOBAL_EXTRA="async.journal = $GW_JOURNAL" gw_config <<EOF
[echo]
exec = $FUNCTIONS/echo
pm.max_children = 1
async = on
async.callback_allow = http://127.0.0.1:9/hooks https://hooks.example/
async.callback_secret_file = $T/secret

[closed]
exec = $FUNCTIONS/echo
pm.max_children = 1
async = on
EOF
gw_start
nginx_up

# refused PATH URL: the callback URL gets 400 and the journal does not grow.
refused() {
	local before
	before=$(journal_size)
	http_get "$1" -H 'Prefer: respond-async' -H "X-Callback-Url: $2" --data-binary 'x'
	assert_status 400
	assert_contains "$(cat "$BODY")" "X-Callback-Url is not allowed" "400 body for $2"
	assert_eq "$before" "$(journal_size)" "journal bytes after the refused callback $2"
}

for url in \
	'http://127.0.0.1:9.evil/hooks' \
	'http://127.0.0.1:9@evil/hooks' \
	'http://127.0.0.1:9/hooksX' \
	'http://127.0.0.1:9/hooks/../admin' \
	'http://127.0.0.1:99/hooks' \
	'https://127.0.0.1:9/hooks' \
	'http://hooks.example/' \
	'gopher://127.0.0.1:9/hooks' \
	'http://evil/?http://127.0.0.1:9/hooks'; do
	refused /function/echo "$url"
done
refused /function/closed 'http://127.0.0.1:9/hooks'

# Allowed: accepted like any job, and it still runs.
async_submit /function/echo -H 'Prefer: respond-async' \
	-H 'X-Callback-Url: http://127.0.0.1:9/hooks/job?x=1' --data-binary 'y'
job_wait "$JOB_ID" 10
assert_eq succeeded "$JOB_STATE" "state of the job with an allowed callback"
async_submit /function/echo -H 'Prefer: respond-async' \
	-H 'X-Callback-Url: HTTPS://HOOKS.EXAMPLE:443/in' --data-binary 'z'
# Without the header nothing changes.
async_submit /function/closed -H 'Prefer: respond-async' --data-binary 'w'
assert_gw_alive

# --- The secret file: env_file's rules, at -t and at start.
bad_secret() {
	gw_global_conf "$T/bad.ini"
	cat >>"$T/bad.ini" <<EOF
async.journal = $T/bad.journal

[echo]
exec = $FUNCTIONS/echo
async = on
async.callback_secret_file = $T/secret
EOF
	! gw_check "$T/bad.ini" || fail "gatewayd -t accepted a secret file that is $1"
	assert_file_contains "$T/bad.ini.out" "$2"
}
chmod 0644 "$T/secret"
bad_secret "readable by everyone" "async.callback_secret_file $T/secret is readable by everyone: chmod o-r"
chmod 0620 "$T/secret"
bad_secret "writable by its group" "is writable by others: chmod go-w"
if [ "$(id -u)" -eq 0 ]; then
	chmod 0600 "$T/secret"
	chown nobody "$T/secret"
	bad_secret "another user's" "belongs to uid $(id -u nobody): it must be root's or gatewayd's"
	chown root "$T/secret"
fi
: >"$T/empty"
chmod 0600 "$T/empty"
sed -i "s|$T/secret|$T/empty|" "$T/bad.ini"
! gw_check "$T/bad.ini" || fail "gatewayd -t accepted an empty secret file"
assert_file_contains "$T/bad.ini.out" "the secret must be text and not empty"

# At start: the daemon refuses it too, with the same words in its log.
gw_stop
chmod 0644 "$T/secret"
timeout 10 "$GATEWAYD" -c "$GW_CONF" >"$T/start.log" 2>&1 && fail "gatewayd started with a world-readable secret file"
assert_file_contains "$T/start.log" "is readable by everyone: chmod o-r"
