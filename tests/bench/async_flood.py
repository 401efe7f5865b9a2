#!/usr/bin/env python3
"""Accepts exactly N async jobs and times how long gatewayd takes to run them.

Used by scripts/bench.sh (the async section); see docs/bench.md.

    async_flood.py SOCK --function NAME [-n 10000] [--window 32] [--timeout 120]
                   [--callback URL]

Talks FastCGI straight to gatewayd's listening unix socket SOCK, on ONE
FCGI_KEEP_CONN connection, with up to --window requests in flight on it
(multiplexed by request id; gatewayd allows 64 per connection), each one as
nginx would send a GET of /gw-async/ with "X-Async: true" and
GATEWAY_FUNCTION NAME. Then:

1. N requests, each of which must be answered 202 (the job's id is in the
   JSON body); anything else is counted and fails the run;
2. polls GET /_gateway/jobs/ID of the last job accepted until it is no
   longer queued or running, then asks every job's state (pipelined the same
   way), again and again until none is queued or running;
3. prints one line:

     accepted=N other=O accept_s=A drain_s=D tail_s=T succeeded=S failed=F unfinished=U
     start=EPOCH

   accept_s: the client's time from the first request sent to the last 202;
   drain_s:  gatewayd's own timestamps, the earliest "created" to the latest
             "finished" of the N jobs (ms resolution): from the first accept
             to the last job done;
   tail_s:   the latest "finished" minus the latest "created": how long the
             queue took to empty after the last accept.
   start:    the wall-clock time the first request was sent (for the callback
             delivery rate: --callback URL sends each job's X-Callback-Url).

Exit status: 0 when all N were accepted and succeeded, 1 otherwise, 3 on a
usage or connect error. Every read has a deadline (--timeout bounds the
whole run).
"""

import argparse
import json
import socket
import struct
import sys
import time
from datetime import datetime

VERSION = 1
BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT = 1, 3, 4, 5, 6
RESPONDER, KEEP_CONN = 1, 1


def record(rtype, rid, content=b""):
    pad = (-len(content)) % 8
    return struct.pack(">BBHHBx", VERSION, rtype, rid, len(content), pad) + content + b"\0" * pad


def pair_len(n):
    return bytes([n]) if n < 128 else struct.pack(">I", n | 0x80000000)


def encode_pairs(pairs):
    out = b""
    for name, value in pairs:
        name, value = name.encode(), value.encode()
        out += pair_len(len(name)) + pair_len(len(value)) + name + value
    return out


def request_bytes(rid, params):
    """A whole request: BEGIN_REQUEST (keep-conn), PARAMS, empty PARAMS, empty STDIN."""
    return (record(BEGIN_REQUEST, rid, struct.pack(">HB5x", RESPONDER, KEEP_CONN)) +
            record(PARAMS, rid, params) + record(PARAMS, rid) + record(STDIN, rid))


def params_for(path, function, extra):
    return encode_pairs([("REQUEST_METHOD", "GET"), ("SCRIPT_NAME", path),
                         ("DOCUMENT_URI", path), ("REQUEST_URI", path), ("QUERY_STRING", ""),
                         ("CONTENT_LENGTH", ""), ("SERVER_PROTOCOL", "HTTP/1.1"),
                         ("GATEWAY_FUNCTION", function)] + extra)


class Timeout(Exception):
    pass


class Conn:
    """One kept connection; run() sends requests with a bounded window and
    returns each one's (status, body) in submission order."""

    def __init__(self, path, deadline):
        self.deadline = deadline
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(max(0.1, deadline - time.monotonic()))
        self.sock.connect(path)
        self.buf = bytearray()

    def _records(self):
        """Reads what is available (blocking until something is) and yields records."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise Timeout()
        self.sock.settimeout(left)
        try:
            data = self.sock.recv(1 << 16)
        except socket.timeout:
            raise Timeout() from None
        if not data:
            raise ConnectionError("gatewayd closed the connection")
        self.buf += data
        while len(self.buf) >= 8:
            _, rtype, rid, clen, plen = struct.unpack_from(">BBHHB", self.buf, 0)
            end = 8 + clen + plen
            if len(self.buf) < end:
                break
            content = bytes(self.buf[8:8 + clen])
            del self.buf[:end]
            yield rtype, rid, content

    def run(self, requests, window, on_answer=None):
        """requests: a list of PARAMS payloads. Returns [(status, body)]."""
        answers = [None] * len(requests)
        free = list(range(window, 0, -1))     # request ids 1..window
        slot = {}                              # rid -> (index, stdout so far)
        nxt = done = 0
        while done < len(requests):
            out = b""
            while free and nxt < len(requests):
                rid = free.pop()
                slot[rid] = [nxt, bytearray()]
                out += request_bytes(rid, requests[nxt])
                nxt += 1
            if out:
                self.sock.sendall(out)
            for rtype, rid, content in self._records():
                if rid not in slot:
                    continue
                if rtype == STDOUT:
                    slot[rid][1] += content
                elif rtype == END_REQUEST:
                    index, stdout = slot.pop(rid)
                    free.append(rid)
                    answers[index] = parse_response(bytes(stdout))
                    done += 1
                    if on_answer is not None:
                        on_answer(index, answers[index])
        return answers


def parse_response(raw):
    head, _, body = raw.partition(b"\r\n\r\n")
    status = 200
    for line in head.split(b"\r\n"):
        name, sep, value = line.partition(b":")
        if sep and name.strip().lower() == b"status":
            status = int(value.split()[0])
    return status, body


def epoch_ms(stamp):
    """RFC 3339 UTC with milliseconds ("2024-05-01T12:00:00.123Z") to epoch ms."""
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() * 1000.0


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("sock")
    p.add_argument("--function", required=True)
    p.add_argument("-n", type=int, default=10000)
    p.add_argument("--window", type=int, default=32)
    p.add_argument("--timeout", type=float, default=120.0)
    p.add_argument("--callback", help="X-Callback-Url of every job")
    args = p.parse_args()
    if args.n < 1 or not 1 <= args.window <= 64:
        print("async_flood: -n must be >= 1 and --window 1..64", file=sys.stderr)
        return 3
    deadline = time.monotonic() + args.timeout
    try:
        conn = Conn(args.sock, deadline)
    except OSError as e:
        print("async_flood: connect %s: %s" % (args.sock, e), file=sys.stderr)
        return 3

    # 1. exactly N accepts.
    headers = [("HTTP_X_ASYNC", "true")]
    if args.callback:
        headers.append(("HTTP_X_CALLBACK_URL", args.callback))
    submit = params_for("/gw-async/", args.function, headers)
    ids, other, last = [], [0], [None]
    accept_s = -1.0
    start = time.time()

    def accepted(_, answer):
        status, body = answer
        if status == 202:
            ids.append(json.loads(body)["id"])
            last[0] = ids[-1]
        else:
            other[0] += 1

    try:
        t0 = time.monotonic()
        conn.run([submit] * args.n, args.window, accepted)
        accept_s = time.monotonic() - t0

        def states(job_ids):
            paths = ["/_gateway/jobs/" + i for i in job_ids]
            answers = conn.run([params_for(q, args.function, []) for q in paths], args.window)
            return [json.loads(body) if status == 200 else {"state": "missing"}
                    for status, body in answers]

        # 2. the last one accepted, then all of them until none is left.
        jobs = {}
        if last[0] is not None:
            while states([last[0]])[0]["state"] in ("queued", "running"):
                time.sleep(0.005)
                if time.monotonic() > deadline:
                    raise Timeout()
        pending = list(ids)
        while pending:
            for i, job in zip(pending, states(pending)):
                jobs[i] = job
            pending = [i for i in pending if jobs[i]["state"] in ("queued", "running")]
            if pending:
                time.sleep(0.01)
    except Timeout:
        print("async_flood: timed out after %.0f s (accepted %d)" % (args.timeout, len(ids)),
              file=sys.stderr)
        jobs = {}
    except (OSError, ConnectionError, ValueError) as e:
        print("async_flood: %s (accepted %d)" % (e, len(ids)), file=sys.stderr)
        jobs = {}

    count = {"succeeded": 0, "failed": 0}
    created, finished = [], []
    for job in jobs.values():
        count[job["state"]] = count.get(job["state"], 0) + 1
        if job.get("created"):
            created.append(epoch_ms(job["created"]))
        if job.get("finished"):
            finished.append(epoch_ms(job["finished"]))
    unfinished = len(ids) - count["succeeded"] - count["failed"]
    drain = tail = -1.0
    if created and finished and unfinished == 0:
        drain = (max(finished) - min(created)) / 1000.0
        tail = (max(finished) - max(created)) / 1000.0
    print("accepted=%d other=%d accept_s=%.3f drain_s=%.3f tail_s=%.3f succeeded=%d failed=%d "
          "unfinished=%d start=%.3f" % (len(ids), other[0], accept_s, drain, tail,
                                        count["succeeded"], count["failed"], unfinished, start))
    ok = len(ids) == args.n and count["succeeded"] == args.n
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
