#!/usr/bin/env bash
# A full disk under the journal (a 1 MiB tmpfs the test mounts as
# gatewayd's run_dir, which gatewayd makes its own; filled by a file), with
# async.fsync = always:
# - a job that was running finishes while the disk is full: its FINISHED
#   record (16 KiB of result, more than any page's slack) cannot be
#   written, yet it is not lost;
# - new async requests get 503 (never a 202 that is not in the journal),
#   and the failure is logged once, not per request;
# - sync requests to the same function still answer 200;
# - once space is back, gatewayd rewrites the journal by itself (logged) and
#   accepts again;
# - after a kill -9 and a restart, the job that finished during the full
#   disk is still succeeded and did not run again.
# Fails on the old code: one error line per refused request, no repair,
# and the finished job ran again after the restart (its FINISHED was lost).
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

require_root
SMALL=$T/run
JOURNAL=$GW_JOURNAL

GW_GLOBAL_EXTRA="async.journal = $JOURNAL
async.fsync = always" gw_config <<EOF
[probe]
exec = $FUNCTIONS/sysprobe
pm.max_children = 2
async = on
EOF
# A first start makes run_dir gatewayd's own (its uid, 0700); the tmpfs
# then takes its place with the same owner and mode.
gw_start
gw_stop
owner=$(stat -c %u:%g "$SMALL")
rm -rf "$SMALL"
mkdir -m 0700 "$SMALL"
mount -t tmpfs -o "size=1m,mode=0700,uid=${owner%:*},gid=${owner#*:}" tmpfs "$SMALL" 2>"$T/mount.err" ||
	skip "cannot mount a tmpfs: $(cat "$T/mount.err")"
trap '_cleanup; umount -l "$SMALL" 2>/dev/null' EXIT
gw_start
nginx_up

: >"$DATA/a.runs"
chmod 0666 "$DATA/a.runs"
async_submit "/function/probe?call=trace&file=$DATA/a.runs&ms=1500&pad=16384" -H 'Prefer: respond-async'
job_a=$JOB_ID
for ((i = 0; i < 100; i++)); do
	[ -s "$DATA/a.runs" ] && break
	sleep 0.05
done
[ -s "$DATA/a.runs" ] || fail "job A did not start"

# The disk fills while A runs.
dd if=/dev/zero of="$SMALL/fill" bs=4k 2>/dev/null || true
echo "tmpfs: $(df -k --output=avail "$SMALL" | tail -1 | tr -d ' ') KiB left, journal $(stat -c %s "$JOURNAL") bytes"
job_wait "$job_a" 10
assert_eq succeeded "$JOB_STATE" "job A, finished while the disk is full"

for n in 1 2 3; do
	http_get "/function/probe?call=trace&file=$DATA/refused.runs" -H 'Prefer: respond-async'
	assert_status 503
done
[ ! -s "$DATA/refused.runs" ] || fail "a job answered 503 ran"
failures=$(gw_log_count "in the journal $JOURNAL")
echo "journal failure lines in the log: $failures"
assert_eq 1 "$failures" "journal failure log lines (once, not per request)"
http_get "/function/probe?call=whoami"
assert_status 200

# Space comes back: the journal is rewritten and async requests accepted.
rm -f "$SMALL/fill"
for ((i = 0; i < 60; i++)); do
	[ "$(gw_log_count "async: journal $JOURNAL written again")" -ge 1 ] && break
	sleep 0.1
done
grep "written again" "$GW_LOG" || fail "no 'written again' line within 6 s of freeing space"
async_submit "/function/probe?call=whoami" -H 'Prefer: respond-async'
job_b=$JOB_ID
job_wait "$job_b" 10
assert_eq succeeded "$JOB_STATE" "job B, after space came back"

# Nothing that finished runs again after a crash.
gw_kill9
gw_start
sleep 1
job_get "$job_a"
assert_eq succeeded "$JOB_STATE" "job A after kill -9 and restart"
runs=$(wc -l <"$DATA/a.runs")
echo "job A ran $runs time(s)"
assert_eq 1 "$runs" "runs of job A (its FINISHED was lost to the full disk)"
job_get "$job_b"
assert_eq succeeded "$JOB_STATE" "job B after kill -9 and restart"
