#!/usr/bin/env python3
"""Stalls a FastCGI connection for the front timeout tests (test_38, test_62).

  fcgi_stall.py partial SOCK [--timeout S]
      connect, send FCGI_BEGIN_REQUEST and one FCGI_PARAMS record, but not
      the empty PARAMS record that ends the stream, then wait.
  fcgi_stall.py idle SOCK [--timeout S]
      connect and send nothing.
  fcgi_stall.py trickle SOCK [--timeout S] [--interval S]
      connect, send FCGI_BEGIN_REQUEST and the header of a PARAMS record,
      then its content one byte every --interval seconds (default 1): never
      silent for long, never done.

Either way, waits up to --timeout seconds (default 6) for the peer to
close. Prints "closed after S.SS s" (exit 0) or "open after S.SS s"
(exit 1); 3 on a connect error. Reuses fcgi_client.py's encoders.
"""

import argparse
import os
import select
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fcgi_client  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["partial", "idle", "trickle"])
    ap.add_argument("sock")
    ap.add_argument("--timeout", type=float, default=6.0)
    ap.add_argument("--interval", type=float, default=1.0)
    args = ap.parse_args()
    try:
        sock = fcgi_client.connect(args.sock, args.timeout)
    except OSError as e:
        print("connect: %s" % e)
        return 3
    start = time.monotonic()
    with sock:
        if args.mode == "partial":
            params = fcgi_client.encode_pairs([("SCRIPT_NAME", "/function/hello"),
                                               ("REQUEST_METHOD", "GET")])
            sock.sendall(fcgi_client.begin(1) + fcgi_client.record(fcgi_client.PARAMS, 1, params))
        if args.mode == "trickle":
            closed = trickle(sock, start + args.timeout, args.interval)
        else:
            reader = fcgi_client.Reader(sock, start + args.timeout)
            while reader.next() is not None:
                pass
            closed = reader.eof
        elapsed = time.monotonic() - start
        print("%s after %.2f s" % ("closed" if closed else "open", elapsed))
        return 0 if closed else 1


def trickle(sock, deadline, interval):
    """Sends a PARAMS record a byte at a time until the peer closes (True) or deadline."""
    params = fcgi_client.encode_pairs([("SCRIPT_NAME", "/function/hello"),
                                       ("REQUEST_METHOD", "GET"), ("X_PAD", "p" * 200)])
    rec = fcgi_client.record(fcgi_client.PARAMS, 1, params)
    sock.sendall(fcgi_client.begin(1) + rec[:8])
    for byte in rec[8:]:
        while True:
            left = min(interval, deadline - time.monotonic())
            if left <= 0:
                return False
            ready, _, _ = select.select([sock], [], [], left)
            if not ready:
                break
            try:
                if not sock.recv(65536):
                    return True
            except (ConnectionResetError, BrokenPipeError):
                return True
        try:
            sock.sendall(bytes([byte]))
        except (ConnectionResetError, BrokenPipeError):
            return True
    return False


if __name__ == "__main__":
    sys.exit(main())
