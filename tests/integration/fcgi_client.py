#!/usr/bin/env python3
"""A tiny FastCGI client for the integration tests (FastCGI spec 1.0).

Talks straight to gatewayd's listen socket (unix path or host:port), without
nginx, to do what a web server never would: send garbage, multiplex, ask
FCGI_GET_VALUES. Every read has a deadline; nothing here blocks forever.

Commands (exit status 0 = what the command checks held, 1 = it did not,
3 = usage or connect error):

  ping SOCK
      connect and send FCGI_GET_VALUES; 0 when any record comes back,
      2 when the connection was accepted but stayed silent, 3 on connect error.
  get-values SOCK
      FCGI_GET_VALUES for FCGI_MAX_CONNS, FCGI_MAX_REQS, FCGI_MPXS_CONNS;
      prints "NAME=VALUE" per returned pair; 0 when an
      FCGI_GET_VALUES_RESULT record with request id 0 arrived.
  send-raw SOCK HEX
      send the given bytes, then wait for the peer to close; prints
      "closed" (0) or "open" (1) and any record received before.
  request SOCK [-p NAME=VALUE]... [--stdin FILE] [--out FILE]
          [--abort-after S] [--read-after S]
      one FCGI_RESPONDER request; FCGI_STDOUT goes to --out (default
      stdout), a "end app_status=N protocol_status=N" line to stderr;
      0 when FCGI_END_REQUEST arrived. --abort-after sends
      FCGI_ABORT_REQUEST S seconds after the request; --read-after reads
      nothing for S seconds (a slow web server: the answer backs up).
  multiplex SOCK [--path /function/echo]
      two requests (ids 1 and 2) on one connection, their BEGIN_REQUEST,
      PARAMS and STDIN records interleaved; request 1 sleeps 300 ms so the
      answers overlap. Writes each FCGI_STDOUT to --outdir/stdout.ID and
      prints one "id=N end=0|1 app_status=N protocol_status=N stdout_bytes=N"
      line per request plus "end_order=..."; 0 when both ended.
"""

import argparse
import os
import socket
import struct
import sys
import time

VERSION_1 = 1
BEGIN_REQUEST = 1
ABORT_REQUEST = 2
END_REQUEST = 3
PARAMS = 4
STDIN = 5
STDOUT = 6
STDERR = 7
DATA = 8
GET_VALUES = 9
GET_VALUES_RESULT = 10
UNKNOWN_TYPE = 11
RESPONDER = 1
KEEP_CONN = 1


def record(rtype, request_id, content=b"", version=VERSION_1):
    """Encodes one record, content padded to a multiple of 8 (spec 3.3)."""
    assert len(content) <= 0xFFFF
    padding = (8 - len(content) % 8) % 8
    header = struct.pack("!BBHHBx", version, rtype, request_id, len(content), padding)
    return header + content + b"\0" * padding


def nv_length(n):
    return struct.pack("!B", n) if n < 128 else struct.pack("!I", n | 0x80000000)


def encode_pairs(pairs):
    """Encodes name-value pairs (spec 3.4)."""
    out = b""
    for name, value in pairs:
        name, value = name.encode(), value.encode()
        out += nv_length(len(name)) + nv_length(len(value)) + name + value
    return out


def decode_pairs(buf):
    pairs, i = [], 0
    while i < len(buf):
        lens = []
        for _ in range(2):
            if buf[i] & 0x80:
                lens.append(struct.unpack("!I", buf[i:i + 4])[0] & 0x7FFFFFFF)
                i += 4
            else:
                lens.append(buf[i])
                i += 1
        name = buf[i:i + lens[0]]
        value = buf[i + lens[0]:i + lens[0] + lens[1]]
        i += lens[0] + lens[1]
        pairs.append((name.decode(errors="replace"), value.decode(errors="replace")))
    return pairs


def stream(rtype, request_id, data):
    """A whole stream: records of <= 32 KiB, then the empty closing record."""
    records = [record(rtype, request_id, data[off:off + 32768])
               for off in range(0, len(data), 32768)]
    return b"".join(records) + record(rtype, request_id)


def begin(request_id, keep_conn=True):
    body = struct.pack("!HB5x", RESPONDER, KEEP_CONN if keep_conn else 0)
    return record(BEGIN_REQUEST, request_id, body)


def connect(addr, timeout):
    if addr.startswith("/") or addr.startswith("."):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        target = addr
    else:
        host, port = addr.rsplit(":", 1)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        target = (host, int(port))
    sock.settimeout(timeout)
    sock.connect(target)
    return sock


class Reader:
    """Reads whole records until a deadline; eof is set when the peer closed."""

    def __init__(self, sock, deadline):
        self.sock, self.deadline = sock, deadline
        self.buf, self.eof = b"", False

    def _fill(self):
        left = self.deadline - time.monotonic()
        if left <= 0:
            return False
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def next(self):
        """Returns (version, type, id, content) or None at EOF or deadline."""
        while True:
            if len(self.buf) >= 8:
                ver, rtype, rid, clen, plen = struct.unpack("!BBHHBx", self.buf[:8])
                total = 8 + clen + plen
                if len(self.buf) >= total:
                    content = self.buf[8:8 + clen]
                    self.buf = self.buf[total:]
                    return ver, rtype, rid, content
            if not self._fill():
                return None


def cmd_ping(args):
    try:
        sock = connect(args.sock, args.timeout)
    except OSError:
        return 3
    with sock:
        sock.sendall(record(GET_VALUES, 0, encode_pairs([("FCGI_MPXS_CONNS", "")])))
        rec = Reader(sock, time.monotonic() + args.timeout).next()
    return 0 if rec is not None else 2


def cmd_get_values(args):
    names = ["FCGI_MAX_CONNS", "FCGI_MAX_REQS", "FCGI_MPXS_CONNS"]
    with connect(args.sock, args.timeout) as sock:
        sock.sendall(record(GET_VALUES, 0, encode_pairs([(n, "") for n in names])))
        rec = Reader(sock, time.monotonic() + args.timeout).next()
    if rec is None:
        print("no record received")
        return 1
    ver, rtype, rid, content = rec
    print("record version=%d type=%d id=%d length=%d" % (ver, rtype, rid, len(content)))
    if rtype != GET_VALUES_RESULT or rid != 0:
        return 1
    for name, value in decode_pairs(content):
        print("%s=%s" % (name, value))
    return 0


def cmd_send_raw(args):
    with connect(args.sock, args.timeout) as sock:
        try:
            sock.sendall(bytes.fromhex(args.hex))
        except (BrokenPipeError, ConnectionResetError):
            print("closed")
            return 0
        reader = Reader(sock, time.monotonic() + args.timeout)
        while True:
            rec = reader.next()
            if rec is None:
                break
            print("record version=%d type=%d id=%d length=%d" % (rec[0], rec[1], rec[2], len(rec[3])))
    print("closed" if reader.eof else "open")
    return 0 if reader.eof else 1


def cmd_request(args):
    params = [tuple(p.split("=", 1)) for p in args.param]
    body = b""
    if args.stdin:
        with open(args.stdin, "rb") as f:
            body = f.read()
    if not any(n == "CONTENT_LENGTH" for n, _ in params):
        params.append(("CONTENT_LENGTH", str(len(body))))
    msg = begin(1) + stream(PARAMS, 1, encode_pairs(params)) + stream(STDIN, 1, body)
    out = open(args.out, "wb") if args.out else sys.stdout.buffer
    with connect(args.sock, args.timeout) as sock:
        sock.sendall(msg)
        if args.abort_after is not None:
            time.sleep(args.abort_after)
            sock.sendall(record(ABORT_REQUEST, 1))
        if args.read_after is not None:
            time.sleep(args.read_after)
        reader = Reader(sock, time.monotonic() + args.timeout)
        while True:
            rec = reader.next()
            if rec is None:
                print("no end_request (eof=%s)" % reader.eof, file=sys.stderr)
                return 1
            _, rtype, rid, content = rec
            if rtype == STDOUT and rid == 1:
                out.write(content)
            elif rtype == END_REQUEST and rid == 1:
                app, proto = struct.unpack("!IB3x", content)
                print("end app_status=%d protocol_status=%d" % (app, proto), file=sys.stderr)
                out.flush()
                return 0


def cmd_multiplex(args):
    def params(query, body):
        return encode_pairs([
            ("REQUEST_METHOD", "POST"), ("SCRIPT_NAME", args.path),
            ("DOCUMENT_URI", args.path), ("REQUEST_URI", args.path + "?" + query),
            ("QUERY_STRING", query), ("SERVER_PROTOCOL", "HTTP/1.1"),
            ("CONTENT_TYPE", "text/plain"), ("CONTENT_LENGTH", str(len(body)))])

    body1, body2 = b"body of request one\n", b"body of request two\n"
    p1, p2 = params("sleep_ms=300", body1), params("", body2)
    half1, half2 = len(p1) // 2, len(p2) // 2
    # Interleaved: neither request is complete until the other has started.
    msg = (begin(1) + begin(2)
           + record(PARAMS, 1, p1[:half1]) + record(PARAMS, 2, p2[:half2])
           + record(PARAMS, 2, p2[half2:]) + record(PARAMS, 1, p1[half1:])
           + record(PARAMS, 1) + record(PARAMS, 2)
           + record(STDIN, 2, body2[:5]) + record(STDIN, 1, body1[:5])
           + record(STDIN, 1, body1[5:]) + record(STDIN, 2, body2[5:])
           + record(STDIN, 2) + record(STDIN, 1))
    out = {1: b"", 2: b""}
    end = {}
    order = []
    with connect(args.sock, args.timeout) as sock:
        sock.sendall(msg)
        reader = Reader(sock, time.monotonic() + args.timeout)
        while len(end) < 2:
            rec = reader.next()
            if rec is None:
                break
            _, rtype, rid, content = rec
            if rtype == STDOUT and rid in out:
                out[rid] += content
            elif rtype == END_REQUEST and rid in out:
                end[rid] = struct.unpack("!IB3x", content)
                order.append(str(rid))
            else:
                print("unexpected record type=%d id=%d length=%d" % (rtype, rid, len(content)))
    for rid in (1, 2):
        with open(os.path.join(args.outdir, "stdout.%d" % rid), "wb") as f:
            f.write(out[rid])
        app, proto = end.get(rid, (-1, -1))
        print("id=%d end=%d app_status=%d protocol_status=%d stdout_bytes=%d"
              % (rid, rid in end, app, proto, len(out[rid])))
    print("end_order=%s" % ",".join(order))
    return 0 if len(end) == 2 else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=5.0, help="seconds for the whole exchange")
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("ping").add_argument("sock")
    sub.add_parser("get-values").add_argument("sock")
    raw = sub.add_parser("send-raw")
    raw.add_argument("sock")
    raw.add_argument("hex")
    req = sub.add_parser("request")
    req.add_argument("sock")
    req.add_argument("-p", "--param", action="append", default=[])
    req.add_argument("--stdin")
    req.add_argument("--out")
    req.add_argument("--abort-after", type=float)
    req.add_argument("--read-after", type=float)
    mpx = sub.add_parser("multiplex")
    mpx.add_argument("sock")
    mpx.add_argument("--path", default="/function/echo")
    mpx.add_argument("--outdir", default=".")
    args = ap.parse_args()
    handlers = {"ping": cmd_ping, "get-values": cmd_get_values, "send-raw": cmd_send_raw,
                "request": cmd_request, "multiplex": cmd_multiplex}
    try:
        return handlers[args.cmd](args)
    except OSError as e:
        print("fcgi_client: %s: %s" % (args.sock, e), file=sys.stderr)
        return 3


if __name__ == "__main__":
    sys.exit(main())
