#!/usr/bin/env bash
# A client cannot smuggle a job into the journal through a request body.
# Two genuine jobs of [victim] (tests/functions/runcount, which logs each
# run): one finished, one running. Then a job of [upload] whose body holds
# a whole journal record forged in the old format (framing and a right
# CRC-32C, unkeyed) that names [victim], a query of the attacker's choice,
# REMOTE_ADDR=127.0.0.1 and an id it chose. gatewayd is killed by SIGKILL
# and the journal torn inside the upload's ACCEPTED record, just after the
# forged record, so replay must resynchronise across the forged bytes.
# After the restart the forged job never ran and its id answers 404 (job
# and result), while the genuine jobs replay: the finished one with its
# result, the running one run again. Before the fix the forged record
# replayed as a job and ran.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"

RUNCOUNT=$TEST_FUNCTIONS/runcount
[ -x "$RUNCOUNT" ] || fail "$RUNCOUNT is missing: make $(basename "$(dirname "$TEST_FUNCTIONS")")/tests/runcount"
FORGED_ID=f00df00df00df00df00df00df00df00d

GW_GLOBAL_EXTRA="async.journal = $GW_JOURNAL" gw_config <<EOF
[victim]
exec = $RUNCOUNT
pm.max_children = 1
async = on

[upload]
exec = $FUNCTIONS/echo
pm.max_children = 1
async = on
EOF

# forge_body FILE: 100 bytes, the forged record, 100 bytes; prints the record's hex.
forge_body() {
	python3 - "$1" "$FORGED_ID" <<'PY'
import struct, sys, time
out, fid = sys.argv[1], bytes.fromhex(sys.argv[2])

def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF

def pair(name, value):                      # FastCGI name-value pair, short form
    return bytes([len(name), len(value)]) + name + value

params = b"".join(pair(n, v) for n, v in [
    (b"REQUEST_METHOD", b"GET"), (b"QUERY_STRING", b"smuggled=1"),
    (b"REQUEST_URI", b"/function/victim?smuggled=1"), (b"SCRIPT_NAME", b"/function/victim"),
    (b"REMOTE_ADDR", b"127.0.0.1"), (b"SERVER_PROTOCOL", b"HTTP/1.1"), (b"CONTENT_LENGTH", b"0")])
fn = b"victim"
payload = (bytes([1]) + fid + struct.pack("<Q", int(time.time() * 1000)) +
           struct.pack("<H", len(fn)) + fn + struct.pack("<I", len(params)) + params +
           struct.pack("<I", 0))
record = b"GWJ1" + struct.pack("<II", len(payload), crc32c(payload)) + payload
open(out, "wb").write(b"p" * 100 + record + b"q" * 100)
print(record.hex())
PY
}

# tear_after HEX: cuts the journal 10 bytes past the first copy of the
# record HEX, which must lie inside a record that goes on past the cut.
tear_after() {
	python3 - "$GW_JOURNAL" "$1" <<'PY'
import struct, sys
path, record = sys.argv[1], bytes.fromhex(sys.argv[2])
data = open(path, "rb").read()
at = data.find(record)
assert at > 0, "the forged record is not in the journal"
cut = at + len(record) + 10
off = 24 if data[:4] == b"GWJH" else 0      # file header (magic, version, secret)
while off < len(data):
    end = off + 12 + struct.unpack("<I", data[off + 4:off + 8])[0]
    if off <= at < end:
        assert cut < end, "the cut is not inside the record that carries the forged one"
        break
    off = end
open(path, "r+b").truncate(cut)
print(at, cut)
PY
}

gw_start
nginx_up
async_submit "/function/victim?sleep_ms=0&tag=done" -H 'Prefer: respond-async'
done_id=$JOB_ID
job_wait "$done_id" 10
assert_eq succeeded "$JOB_STATE" "state of the finished genuine job"
async_submit "/function/victim?sleep_ms=1500&tag=cut" -H 'Prefer: respond-async'
cut_id=$JOB_ID
for ((i = 0; i < 100; i++)); do
	job_get "$cut_id"
	[ "$JOB_STATE" = running ] && break
	sleep 0.05
done
assert_eq running "$JOB_STATE" "state of the slow genuine job before the kill"

forged=$(forge_body "$T/attack") || fail "cannot forge the record"
http_post /function/upload "$T/attack" -H 'Prefer: respond-async'
assert_status 202
gw_kill9
where=$(tear_after "$forged") || fail "cannot tear the journal"
echo "forged record at journal offset ${where% *}, journal cut at ${where#* }"

gw_start
grep "async: journal" "$GW_LOG" | tail -n 4
job_wait "$cut_id" 10
assert_eq succeeded "$JOB_STATE" "state of the genuine job cut by the kill, after the replay"
job_get "$done_id"
assert_eq succeeded "$JOB_STATE" "state of the finished genuine job after the replay"
http_get "/_gateway/jobs/$done_id/result"
assert_status 200
assert_contains "$(cat "$BODY")" "ran" "/result of the finished genuine job"
# The victim's one worker ran the replayed job; a forged one would queue with it.
sleep 0.5
http_get "/_gateway/jobs/$FORGED_ID"
assert_status 404
http_get "/_gateway/jobs/$FORGED_ID/result"
assert_status 404
if grep -q "runcount ran [A-Z]* smuggled=1" "$GW_LOG"; then
	fail "the forged job ran: '$(grep -m1 "runcount ran [A-Z]* smuggled=1" "$GW_LOG" | _show)'"
fi
assert_eq 2 "$(grep -c "runcount ran [A-Z]* sleep_ms=1500&tag=cut\$" "$GW_LOG")" \
	"runs of the genuine job cut by the kill (before it and after the replay)"
assert_gw_alive
