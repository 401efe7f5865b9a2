#!/usr/bin/env bash
# A worker's environment: cleared by default (clear_env = yes), then
# env_file's lines, then env[NAME] = value, which wins over the file. With
# clear_env = no gatewayd's own environment is inherited. An env_file that
# others may read (it holds secrets) is a configuration error.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

printf '# a comment\nA=1\n\nFOO=from_file\nFROM_FILE=yes\nSPACED= kept as written \n' >"$T/fn.env"
chmod 600 "$T/fn.env"

# Something in gatewayd's environment that only inheritance can explain.
export GW_TEST_MARKER=inherited-$$

gw_config <<EOF2
[cleared]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
env_file = $T/fn.env
env[FOO] = bar
env[WITH_SPACE] = a b

[inherit]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
clear_env = no
env[FOO] = bar
EOF2
gw_start
nginx_up

# env_lines NAME: how many NAME=... lines the last env body has.
env_lines() {
	grep -c "^$1=" "$BODY"
}

probe cleared env
assert_status 200
env=$(cat "$BODY")
assert_contains "$env" "A=1" "env of the worker (from env_file)"
assert_contains "$env" "FROM_FILE=yes" "env of the worker (from env_file)"
assert_contains "$env" "FOO=bar" "env of the worker (env[FOO] over env_file)"
assert_contains "$env" "WITH_SPACE=a b" "env of the worker (env[WITH_SPACE])"
assert_eq 1 "$(env_lines FOO)" "FOO= lines in the worker's environment"
grep -qx 'SPACED= kept as written ' "$BODY" ||
	fail "env_file value not kept as written: '$(grep "^SPACED=" "$BODY" | _show)'"
[ "$(grep -c '^#' "$BODY")" -eq 0 ] || fail "an env_file comment reached the environment"
for name in REPO HOME GATEWAYD FUNCTIONS GW_TEST_MARKER; do
	[ "$(env_lines "$name")" -eq 0 ] ||
		fail "clear_env (default yes): $name leaked into the worker: '$(grep "^$name=" "$BODY" | _show)'"
done

probe inherit env
assert_status 200
env=$(cat "$BODY")
assert_contains "$env" "GW_TEST_MARKER=inherited-$$" "env of a clear_env = no worker"
assert_contains "$env" "PATH=" "env of a clear_env = no worker"
assert_contains "$env" "FOO=bar" "env of a clear_env = no worker (env[FOO])"
assert_eq 1 "$(env_lines FOO)" "FOO= lines of a clear_env = no worker"
assert_gw_alive

# A world-readable env_file: refused, naming the file.
cp "$T/fn.env" "$T/open.env"
chmod 644 "$T/open.env"
gw_global_conf "$T/bad.ini"
printf '[fn]\nexec = %s\nenv_file = %s\nallow_root = yes\n' "$FUNCTIONS/sysprobe" "$T/open.env" >>"$T/bad.ini"
gw_check "$T/bad.ini" && fail "gatewayd -t accepted a mode 0644 env_file"
assert_file_contains "$T/bad.ini.out" "open.env" "gatewayd -t output for a mode 0644 env_file"
# A missing one as well.
gw_global_conf "$T/missing.ini"
printf '[fn]\nexec = %s\nenv_file = %s\nallow_root = yes\n' "$FUNCTIONS/sysprobe" "$T/missing.env" >>"$T/missing.ini"
gw_check "$T/missing.ini" && fail "gatewayd -t accepted a missing env_file"
assert_file_contains "$T/missing.ini.out" "missing.env" "gatewayd -t output for a missing env_file"
# A malformed line is an error naming the env file's own path:line.
printf 'A=1\nexport B=2\n' >"$T/export.env"
chmod 600 "$T/export.env"
gw_global_conf "$T/export.ini"
printf '[fn]\nexec = %s\nenv_file = %s\nallow_root = yes\n' "$FUNCTIONS/sysprobe" "$T/export.env" >>"$T/export.ini"
gw_check "$T/export.ini" && fail "gatewayd -t accepted an env_file with an export line"
assert_file_contains "$T/export.ini.out" "export.env:2" "gatewayd -t output for an export line"
# Once private, the same file is accepted.
chmod 600 "$T/open.env"
gw_check "$T/bad.ini" || fail "gatewayd -t refused a mode 0600 env_file: '$(_show <"$T/bad.ini.out")'"
