#!/usr/bin/env python3
"""Many async jobs over one FastCGI connection, for the async tests.

Talks straight to gatewayd's listen socket like fcgi_client.py (whose record
codec it reuses), but keeps one FCGI_KEEP_CONN connection for all its
requests, so a thousand jobs cost one Python start, not a thousand.

Commands (exit status 0 = what the command checks held, 1 = it did not,
3 = usage or connect error):

  submit SOCK --function NAME [--query QS] [-n N] --out FILE [--timeout S]
      N requests (default 1000), one after another, to /function/NAME?QS
      with X-Async: true. The id of each job answered 202 is appended to
      FILE as soon as its whole answer arrived (so a gatewayd killed
      mid-flood leaves exactly the accepted ids there). Prints
      "accepted=A refused=R other=O seconds=S"; 0 when all N got 202.
  states SOCK --ids FILE [--timeout S]
      GET /_gateway/jobs/ID for every id in FILE (one connection). Prints
      "total=T queued=Q running=R succeeded=S failed=F missing=M retried=D"
      (missing: answered 404; retried: attempts > 1), then one
      "missing ID" / "retried ID attempts=N" line each; 0 when every id
      answered 200.
"""

import argparse
import json
import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ left in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fcgi_client as fc  # noqa: E402  (the record codec)


class Conn:
    """One kept FastCGI connection; request() runs one request on it."""

    def __init__(self, sock_path, timeout):
        self.timeout = timeout
        self.sock = fc.connect(sock_path, timeout)
        self.reader = fc.Reader(self.sock, 0)

    def request(self, params, body=b""):
        """Returns (status, headers dict lower-case, body) or None if cut."""
        self.sock.sendall(fc.begin(1, keep_conn=True) +
                          fc.stream(fc.PARAMS, 1, fc.encode_pairs(params)) +
                          fc.stream(fc.STDIN, 1, body))
        self.reader.deadline = time.monotonic() + self.timeout
        out = b""
        while True:
            rec = self.reader.next()
            if rec is None:
                return None
            _, rtype, rid, content = rec
            if rid != 1:
                continue
            if rtype == fc.STDOUT:
                out += content
            elif rtype == fc.END_REQUEST:
                break
        head, _, rest = out.partition(b"\r\n\r\n")
        headers = {}
        for line in head.split(b"\r\n"):
            name, sep, value = line.partition(b":")
            if sep:
                headers[name.strip().lower().decode()] = value.strip().decode(errors="replace")
        status = int(headers.get("status", "200").split()[0])
        return status, headers, rest


def params_for(path, query, extra):
    uri = path + ("?" + query if query else "")
    return [("REQUEST_METHOD", "GET"), ("SCRIPT_NAME", path), ("DOCUMENT_URI", path),
            ("REQUEST_URI", uri), ("QUERY_STRING", query), ("CONTENT_LENGTH", ""),
            ("SERVER_PROTOCOL", "HTTP/1.1")] + extra


def cmd_submit(args):
    try:
        conn = Conn(args.sock, args.timeout)
    except OSError as e:
        print("connect: %s" % e)
        return 3
    params = params_for("/function/" + args.function, args.query, [("HTTP_X_ASYNC", "true")])
    accepted = refused = other = 0
    start = time.monotonic()
    with open(args.out, "a") as out:
        for _ in range(args.n):
            try:
                answer = conn.request(params)
            except OSError:
                answer = None
            if answer is None:
                print("connection lost after %d requests" % (accepted + refused + other))
                break
            status, headers, body = answer
            if status == 202:
                job = json.loads(body)
                out.write(job["id"] + "\n")
                out.flush()
                accepted += 1
            elif status == 503:
                refused += 1
            else:
                other += 1
    print("accepted=%d refused=%d other=%d seconds=%.2f" %
          (accepted, refused, other, time.monotonic() - start))
    return 0 if accepted == args.n else 1


def cmd_states(args):
    with open(args.ids) as f:
        ids = [line.strip() for line in f if line.strip()]
    try:
        conn = Conn(args.sock, args.timeout)
    except OSError as e:
        print("connect: %s" % e)
        return 3
    counts = {"queued": 0, "running": 0, "succeeded": 0, "failed": 0}
    missing, retried, bad = [], [], 0
    for job_id in ids:
        answer = conn.request(params_for("/_gateway/jobs/" + job_id, "", []))
        if answer is None:
            print("connection lost")
            return 1
        status, _, body = answer
        if status == 404:
            missing.append(job_id)
            continue
        if status != 200:
            bad += 1
            continue
        job = json.loads(body)
        counts[job["state"]] = counts.get(job["state"], 0) + 1
        if job["attempts"] > 1:
            retried.append((job_id, job["attempts"]))
    print("total=%d queued=%d running=%d succeeded=%d failed=%d missing=%d retried=%d other=%d" %
          (len(ids), counts["queued"], counts["running"], counts["succeeded"], counts["failed"],
           len(missing), len(retried), bad))
    for job_id in missing:
        print("missing %s" % job_id)
    for job_id, attempts in retried:
        print("retried %s attempts=%d" % (job_id, attempts))
    return 0 if not missing and bad == 0 else 1


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("submit")
    s.add_argument("sock")
    s.add_argument("--function", required=True)
    s.add_argument("--query", default="")
    s.add_argument("-n", type=int, default=1000)
    s.add_argument("--out", required=True)
    s.add_argument("--timeout", type=float, default=10)
    s.set_defaults(run=cmd_submit)
    s = sub.add_parser("states")
    s.add_argument("sock")
    s.add_argument("--ids", required=True)
    s.add_argument("--timeout", type=float, default=10)
    s.set_defaults(run=cmd_states)
    args = p.parse_args()
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
