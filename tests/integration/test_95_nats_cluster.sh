#!/usr/bin/env bash
# async.backend = nats on a JetStream cluster of 3 nats-servers, 3 gatewayd
# nodes behind one nginx upstream, nats.replicas = 3, nats.ack_wait = 2 s.
# 3,000 jobs are posted through nginx; each run of a job (a CGI script)
# appends "GATEWAY_JOB_ID NODE GATEWAY_JOB_ATTEMPT" to one shared file.
# While they run, node n2 is killed -9 (its jobs must be redelivered to the
# others after ack_wait) and then the JetStream leader of the job stream
# (one of the 3 servers; 2 remain, a quorum); n2 is started again. Then:
# every accepted id (a 202) is in the runs file (loss fails the test, by
# the file, not by gatewayd's answers), jobs ran on more than one node,
# and every accepted id answers GET /_gateway/jobs/<id> "succeeded" on each
# node, asked directly on its socket (the restarted n2 included: it mirrors
# the bucket). Jobs run more than once are counted and printed: at least
# once allows them. "RESULT" sums up.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$REPO/tests/integration/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib_nats.sh
. "$REPO/tests/integration/lib_nats.sh"
require_nats

JOBS=3000
THREADS=24
RUNS=$DATA/runs		# one line per run of a job
ACCEPTED=$T/accepted	# the ids answered 202

for i in 1 2 3; do
	nats_start "$i" 3
done
for i in 1 2 3; do
	nats_wait_ready "$i" 15
done
echo "JetStream cluster of 3 ready, meta leader $(nats_meta_leader 1)"

# The job: one line per run (before its work, so a run cut by the kill
# leaves its line too), then 20 ms of work.
cat >"$T/job.sh" <<'EOF'
#!/bin/sh
printf '%s %s %s\n' "$GATEWAY_JOB_ID" "$NODE" "$GATEWAY_JOB_ATTEMPT" >>"$RUNS"
sleep 0.02
printf 'Content-Type: text/plain\r\n\r\nran on %s\n' "$NODE"
EOF
chmod 0755 "$T/job.sh"
: >"$RUNS"
chmod 0666 "$RUNS"
: >"$ACCEPTED"

for n in 1 2 3; do
	NODE_GLOBAL_EXTRA="nats.replicas = 3
nats.ack_wait = 2" node_config "$n" <<EOF
[job]
exec = $T/job.sh
mode = cgi
pm.max_children = 4
async = on
async.queue_size = 5000
async.results_max = 10000
env[NODE] = n$n
env[RUNS] = $RUNS
EOF
done
for n in 1 2 3; do
	node_start "$n"
done
nginx_up_nodes 1 2 3

# Every node says it is connected, and a job posted through nginx is
# accepted (the stream and bucket may still be electing their leaders),
# before the 3,000.
for n in 1 2 3; do
	for ((i = 0; i < 100; i++)); do
		node_status_json "$n" "$T/status.n$n"
		[ "$(json_at "$T/status.n$n" nats.connected)" = true ] && break
		sleep 0.1
	done
	assert_eq true "$(json_at "$T/status.n$n" nats.connected)" "n$n: nats.connected in the status"
done
for ((i = 0; i < 100; i++)); do
	http_get "/function/job?warmup=$i" -H 'Prefer: respond-async' --data-binary 'warm-up'
	[ "$HTTP_STATUS" = 202 ] && break
	sleep 0.1
done
assert_status 202
echo "every node connected; a job accepted after $i refusals"

# runs_count: lines in the runs file.
runs_count() {
	grep -c . "$RUNS"
}

# wait_runs N SECONDS: until the runs file has N lines.
wait_runs() {
	local i
	for ((i = 0; i < $2 * 20; i++)); do
		[ "$(runs_count)" -ge "$1" ] && return 0
		sleep 0.05
	done
	fail "fewer than $1 runs within $2 s ($(runs_count); post: '$(_show <"$T/post.out")')"
}

# stream_leader: the server (1..3) that leads the job stream, from the
# first live server's /jsz; empty when none says.
stream_leader() {
	local i name
	for i in 1 2 3; do
		[ -n "${NATS_PID[i]}" ] || continue
		name=$(curl -s --max-time 1 "http://127.0.0.1:${NATS_MPORT[i]}/jsz?streams=true" |
			/usr/bin/python3 -c 'import json, sys
for acc in json.load(sys.stdin).get("account_details") or []:
    for st in acc.get("stream_detail") or []:
        if st.get("name") == sys.argv[1]:
            print((st.get("cluster") or {}).get("leader", ""))' "$NATS_STREAM" 2>/dev/null)
		[ -n "$name" ] && { echo "${name#s}"; return 0; }
	done
}

start=$(now_ms)
post_jobs "$BASE/function/job" "$JOBS" "$THREADS" "$ACCEPTED" >"$T/post.out" 2>&1 &
post_pid=$!
bg_track "$post_pid"

# n2 killed -9 once 400 jobs ran: jobs are running on it, others wait.
wait_runs 400 30
runs_at_node_kill=$(runs_count)
node_kill9 2
n2_runs=$(grep -c ' n2 ' "$RUNS")
[ "$n2_runs" -gt 0 ] || fail "n2 had run no job when it was killed; the kill proves nothing"
echo "n2 killed -9 at $(($(now_ms) - start)) ms, $runs_at_node_kill runs so far ($n2_runs on n2)"

# Then the leader of the job stream (s1 if no server names one).
wait_runs $((runs_at_node_kill + 600)) 30
victim=$(stream_leader)
[[ ${victim:-} =~ ^[123]$ ]] || victim=1
runs_at_nats_kill=$(runs_count)
nats_kill "$victim" KILL
echo "nats-server s$victim (the stream's leader) killed -9 at $(($(now_ms) - start)) ms, $runs_at_nats_kill runs so far"

sleep 1
node_start 2
echo "n2 started again at $(($(now_ms) - start)) ms"

wait "$post_pid"
post_rc=$?
accepted=$(grep -c . "$ACCEPTED")
echo "post through nginx: $(cat "$T/post.out") (exit $post_rc)"
[ "$accepted" -ge $((JOBS / 2)) ] ||
	fail "only $accepted of $JOBS jobs accepted: $(cat "$T/post.out")"
[ "$runs_at_node_kill" -lt "$accepted" ] ||
	fail "all $accepted accepted jobs had run before n2 was killed; the test proves nothing"

# Every accepted id ran, by the runs file (60 s at most: the jobs n2 held
# come back after ack_wait).
sort -u "$ACCEPTED" >"$T/accepted.sorted"
[ "$(grep -c . "$T/accepted.sorted")" -eq "$accepted" ] ||
	fail "the same id was answered 202 twice: $(sort "$ACCEPTED" | uniq -d | head -n 3 | tr '\n' ' ')"
for ((i = 0; i < 600; i++)); do
	cut -d' ' -f1 "$RUNS" | sort -u >"$T/ran.sorted"
	comm -23 "$T/accepted.sorted" "$T/ran.sorted" >"$T/lost"
	[ -s "$T/lost" ] || break
	assert_nodes_alive
	sleep 0.1
done
lost=$(grep -c . "$T/lost")
[ "$lost" -eq 0 ] ||
	fail "$lost of $accepted accepted jobs never ran within 60 s, e.g. $(head -n 3 "$T/lost" | tr '\n' ' ')"
echo "every accepted job ran, $(($(now_ms) - start)) ms after the first post"

# More than one node ran jobs.
grep -Ff "$T/accepted.sorted" "$RUNS" | cut -d' ' -f2 | sort | uniq -c >"$T/per_node"
echo "runs per node: $(tr -s ' \n' ' ' <"$T/per_node")"
[ "$(grep -c . "$T/per_node")" -gt 1 ] || fail "every job ran on one node: $(cat "$T/per_node")"

assert_nodes_alive

# Every node, on its own socket, knows every accepted job as succeeded
# (20 s at most for the three); all three are asked before any verdict.
bad_nodes=""
deadline=$(($(now_ms) + 20000))
for n in 1 2 3; do
	while :; do
		async_flood states "$T/n$n/gw.sock" --ids "$T/accepted.sorted" >"$T/states.n$n" || true
		summary=$(head -n 1 "$T/states.n$n")
		case $summary in *" succeeded=$accepted "*) break ;; esac
		[ "$(now_ms)" -lt "$deadline" ] || break
		sleep 0.5
	done
	echo "n$n: $summary"
	case $summary in
	*" succeeded=$accepted "*) ;;
	*) bad_nodes="$bad_nodes n$n: $summary (e.g. $(sed -n 2p "$T/states.n$n"));" ;;
	esac
done
[ -z "$bad_nodes" ] || fail "not every accepted job answers succeeded on every node within 20 s:$bad_nodes"

# Duplicates are allowed (at least once); they are counted and shown.
cut -d' ' -f1 "$RUNS" | sort | uniq -d >"$T/dups"
dups=$(grep -c . "$T/dups")
retried=$(grep -c '^retried ' "$T/states.n1")
again=$(awk '$3 > 1' "$RUNS" | grep -c .)
echo "RESULT jobs=$JOBS accepted=$accepted lost=0 duplicates=$dups (ran more than once) retried=$retried (attempts > 1, by the API) redelivered_runs=$again (GATEWAY_JOB_ATTEMPT > 1) runs=$(runs_count) seconds=$((($(now_ms) - start) / 1000))"
head -n 10 "$T/dups" | while read -r id; do
	echo "  duplicate $id: $(grep "^$id " "$RUNS" | cut -d' ' -f2,3 | tr '\n' ';')"
done
