#!/usr/bin/env bash
# limit.*: each becomes the worker's rlimit (soft = hard), read back from
# /proc/PID/limits; limit.core is 0 unless set. A worker that allocates past
# limit.memory fails that request alone (500 from malloc, or 502 if it died)
# and the function keeps answering.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

# limit_of PID NAME: "SOFT HARD" of the /proc/PID/limits line NAME.
limit_of() {
	sed -n "s/^$2  *\([^ ]*\)  *\([^ ]*\) .*/\1 \2/p" "/proc/$1/limits"
}

gw_config <<EOF2
[mem]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
limit.memory = 64M
limit.files = 64

[more]
exec = $FUNCTIONS/sysprobe
pm.max_children = 1
limit.cpu = 10s
limit.procs = 50
limit.fsize = 1M
limit.core = 2M
EOF2
gw_start
nginx_up

probe_pid mem
pid=$PROBE_PID
assert_eq "67108864 67108864" "$(limit_of "$pid" "Max address space")" "limit.memory = 64M"
assert_eq "64 64" "$(limit_of "$pid" "Max open files")" "limit.files = 64"
assert_eq "0 0" "$(limit_of "$pid" "Max core file size")" "limit.core when not set"

probe_pid more
assert_eq "10 10" "$(limit_of "$PROBE_PID" "Max cpu time")" "limit.cpu = 10s"
assert_eq "50 50" "$(limit_of "$PROBE_PID" "Max processes")" "limit.procs = 50"
assert_eq "1048576 1048576" "$(limit_of "$PROBE_PID" "Max file size")" "limit.fsize = 1M"
assert_eq "2097152 2097152" "$(limit_of "$PROBE_PID" "Max core file size")" "limit.core = 2M"
assert_eq "unlimited unlimited" "$(limit_of "$PROBE_PID" "Max address space")" \
	"address space of a function without limit.memory"

probe mem alloc mb=16
assert_status 200
assert_body "alloc: ok 16 MiB"

probe mem alloc mb=256
case $HTTP_STATUS in
500) assert_body "alloc: out of memory" ;;
502) echo "the worker died allocating 256 MiB under a 64 MiB limit (502)" ;;
*) fail "alloc of 256 MiB under limit.memory = 64M: expected 500 or 502, got $HTTP_STATUS" ;;
esac
assert_gw_alive
probe_pid mem
probe mem alloc mb=16
assert_status 200
assert_body "alloc: ok 16 MiB"

# A bad size is a configuration error naming file and line.
gw_global_conf "$T/bad.ini"
printf '[fn]\nexec = %s\nlimit.memory = lots\nallow_root = yes\n' "$FUNCTIONS/sysprobe" >>"$T/bad.ini"
gw_check "$T/bad.ini" && fail "gatewayd -t accepted limit.memory = lots"
assert_file_contains "$T/bad.ini.out" "bad.ini:7:" "gatewayd -t output for limit.memory = lots"
