#!/usr/bin/env python3
"""Abuses a FastCGI socket for the bounded-memory tests (test_60, test_61, test_63).

  fcgi_flood.py hold SOCK --connections N --body BYTES [--path P] [--timeout S]
      opens N connections; on each sends FCGI_BEGIN_REQUEST, whole PARAMS
      (CONTENT_LENGTH = 2 * BYTES) and BYTES of FCGI_STDIN, but never the
      rest of the body, then holds every connection open. Prints
      "held N connections, B body bytes each" once all is sent, then, per
      connection the daemon answers or closes meanwhile, one
      "connection I: ..." line; exits 0 after --timeout seconds (default
      60) or on SIGTERM, closing them all.
  fcgi_flood.py get-values SOCK --bytes N [--timeout S]
      sends FCGI_GET_VALUES records as fast as the socket takes them, up to
      N bytes, and never reads an answer. Prints "closed by the daemon after
      S.SS s, N bytes sent" (exit 0) when a send fails because the daemon
      closed the connection, "all N bytes sent after S.SS s" (exit 1) when
      the daemon took them all, "still open after S.SS s, N bytes sent"
      (exit 1) at --timeout (default 30).
  fcgi_flood.py read-slowly SOCK --body BYTES --chunk C --interval S [--timeout S]
      one request to /function/echo with a body of BYTES, whose answer is
      read C bytes every S seconds. Prints "ended after S.SS s, N bytes
      answered" (exit 0) at its FCGI_END_REQUEST, "closed after ..." (exit
      1) when the daemon closed first, "still open after ..." (exit 1) at
      --timeout (default 30).

Exit status 3 on a connect error. Reuses fcgi_client.py's encoders.
"""

import argparse
import os
import select
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fcgi_client  # noqa: E402


def cmd_hold(args):
    conns = []
    chunk = b"x" * 32768
    params = fcgi_client.encode_pairs([
        ("SCRIPT_NAME", args.path), ("REQUEST_METHOD", "POST"),
        ("CONTENT_TYPE", "application/octet-stream"),
        ("CONTENT_LENGTH", str(2 * args.body))])
    for _ in range(args.connections):
        sock = fcgi_client.connect(args.sock, args.timeout)
        msg = [fcgi_client.begin(1), fcgi_client.stream(fcgi_client.PARAMS, 1, params)]
        for off in range(0, args.body, len(chunk)):
            msg.append(fcgi_client.record(fcgi_client.STDIN, 1,
                                          chunk[:min(len(chunk), args.body - off)]))
        sock.sendall(b"".join(msg))
        conns.append(sock)
    print("held %d connections, %d body bytes each" % (len(conns), args.body), flush=True)
    stop = [False]
    signal.signal(signal.SIGTERM, lambda *_: stop.__setitem__(0, True))
    deadline = time.monotonic() + args.timeout
    live = dict(enumerate(conns))
    while not stop[0] and live and time.monotonic() < deadline:
        ready, _, _ = select.select(list(live.values()), [], [], 0.2)
        for i, sock in list(live.items()):
            if sock not in ready:
                continue
            data = sock.recv(65536)
            print("connection %d: %s" % (i, "%d bytes answered" % len(data) if data else "closed"),
                  flush=True)
            if not data:
                del live[i]
    for sock in conns:
        sock.close()
    return 0


def cmd_get_values(args):
    rec = fcgi_client.record(fcgi_client.GET_VALUES, 0, fcgi_client.encode_pairs(
        [("FCGI_MAX_CONNS", ""), ("FCGI_MAX_REQS", ""), ("FCGI_MPXS_CONNS", "")]))
    batch = rec * (65536 // len(rec))
    sock = fcgi_client.connect(args.sock, args.timeout)
    start = time.monotonic()
    sent = 0
    with sock:
        while sent < args.bytes:
            left = start + args.timeout - time.monotonic()
            if left <= 0:
                print("still open after %.2f s, %d bytes sent" % (time.monotonic() - start, sent))
                return 1
            sock.settimeout(left)
            try:
                sent += sock.send(batch[:args.bytes - sent])
            except socket.timeout:
                continue
            except (BrokenPipeError, ConnectionResetError):
                print("closed by the daemon after %.2f s, %d bytes sent"
                      % (time.monotonic() - start, sent))
                return 0
    print("all %d bytes sent after %.2f s" % (sent, time.monotonic() - start))
    return 1


def cmd_read_slowly(args):
    params = fcgi_client.encode_pairs([
        ("SCRIPT_NAME", "/function/echo"), ("REQUEST_METHOD", "POST"),
        ("CONTENT_LENGTH", str(args.body))])
    msg = (fcgi_client.begin(1) + fcgi_client.stream(fcgi_client.PARAMS, 1, params)
           + fcgi_client.stream(fcgi_client.STDIN, 1, b"y" * args.body))
    sock = fcgi_client.connect(args.sock, args.timeout)
    start = time.monotonic()
    answered, buf = 0, b""
    with sock:
        sock.sendall(msg)
        while True:
            elapsed = time.monotonic() - start
            if elapsed > args.timeout:
                print("still open after %.2f s, %d bytes answered" % (elapsed, answered))
                return 1
            time.sleep(args.interval)
            sock.settimeout(max(0.01, args.timeout - elapsed))
            try:
                data = sock.recv(args.chunk)
            except socket.timeout:
                continue
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            if not data:
                print("closed after %.2f s, %d bytes answered" % (time.monotonic() - start, answered))
                return 1
            answered += len(data)
            buf += data
            while len(buf) >= 8:
                _, rtype, _, clen, plen = struct.unpack("!BBHHBx", buf[:8])
                if len(buf) < 8 + clen + plen:
                    break
                buf = buf[8 + clen + plen:]
                if rtype == fcgi_client.END_REQUEST:
                    print("ended after %.2f s, %d bytes answered"
                          % (time.monotonic() - start, answered))
                    return 0


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    hold = sub.add_parser("hold")
    hold.add_argument("sock")
    hold.add_argument("--connections", type=int, required=True)
    hold.add_argument("--body", type=int, required=True)
    hold.add_argument("--path", default="/function/echo")
    hold.add_argument("--timeout", type=float, default=60.0)
    flood = sub.add_parser("get-values")
    flood.add_argument("sock")
    flood.add_argument("--bytes", type=int, required=True)
    flood.add_argument("--timeout", type=float, default=30.0)
    slow = sub.add_parser("read-slowly")
    slow.add_argument("sock")
    slow.add_argument("--body", type=int, required=True)
    slow.add_argument("--chunk", type=int, required=True)
    slow.add_argument("--interval", type=float, required=True)
    slow.add_argument("--timeout", type=float, default=30.0)
    args = ap.parse_args()
    handlers = {"hold": cmd_hold, "get-values": cmd_get_values, "read-slowly": cmd_read_slowly}
    try:
        return handlers[args.cmd](args)
    except OSError as e:
        print("fcgi_flood: %s: %s" % (args.sock, e))
        return 3


if __name__ == "__main__":
    sys.exit(main())
