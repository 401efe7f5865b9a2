#!/usr/bin/env python3
"""A callback receiver for the bench's delivery rate (scripts/bench.sh).

    callback_sink.py --port-file FILE --expect N --out FILE

Listens on 127.0.0.1 (a free port, written to --port-file), answers every
POST 200 with an empty body over HTTP/1.1 keep-alive, and once N POSTs have
arrived writes one line to --out:

    received=N first=EPOCH last=EPOCH

(wall-clock seconds of the first and the last delivery). Runs until killed.
The listen backlog is large, so a burst of deliveries is not refused.
"""

import argparse
import http.server
import sys
import threading
import time


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--port-file", required=True)
    p.add_argument("--expect", type=int, required=True)
    p.add_argument("--out", required=True)
    args = p.parse_args()
    lock = threading.Lock()
    seen = {"n": 0, "first": 0.0}

    class Sink(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            now = time.time()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            with lock:
                seen["n"] += 1
                if seen["n"] == 1:
                    seen["first"] = now
                if seen["n"] == args.expect:
                    with open(args.out, "w") as f:
                        f.write("received=%d first=%.3f last=%.3f\n" %
                                (seen["n"], seen["first"], now))

        def log_message(self, *_):
            pass

    class Server(http.server.ThreadingHTTPServer):
        request_queue_size = 1024
        daemon_threads = True

        def handle_error(self, request, client_address):
            # A kept connection that gatewayd closes (or resets at its
            # stop) is no error of the delivery: say nothing of it.
            if not isinstance(sys.exc_info()[1], ConnectionError):
                super().handle_error(request, client_address)

    server = Server(("127.0.0.1", 0), Sink)
    with open(args.port_file, "w") as f:
        f.write("%d\n" % server.server_address[1])
    server.serve_forever()


if __name__ == "__main__":
    main()
