#!/usr/bin/python3
"""A callback receiver for test_77 and the bench: an HTTP server on 127.0.0.1.

    callback_receiver.py DIR PORT [FAIL]

Listens on PORT (0: any free one; the port is written to DIR/port once it
listens). Each POST is stored as DIR/N.body (the raw body) and DIR/N.headers
(one "Name: value" line each), N counting from 1, then answered 500 for the
first FAIL requests (default 0) and 204 after. With FAIL -1 it counts
requests only (DIR/count, rewritten each time): the bench's mode.
"""
import http.server
import os
import sys


def main():
    out, port = sys.argv[1], int(sys.argv[2])
    fail = int(sys.argv[3]) if len(sys.argv) > 3 else 0
    seen = [0]

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            seen[0] += 1
            n = seen[0]
            if fail >= 0:
                with open(os.path.join(out, "%d.body" % n), "wb") as f:
                    f.write(body)
                with open(os.path.join(out, "%d.headers" % n), "w") as f:
                    for name, value in self.headers.items():
                        f.write("%s: %s\n" % (name, value))
            status = 500 if n <= fail else 204
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            if fail < 0:
                with open(os.path.join(out, "count.tmp"), "w") as f:
                    f.write("%d\n" % n)
                os.replace(os.path.join(out, "count.tmp"), os.path.join(out, "count"))

        def log_message(self, fmt, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    with open(os.path.join(out, "port.tmp"), "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.replace(os.path.join(out, "port.tmp"), os.path.join(out, "port"))
    server.serve_forever()


if __name__ == "__main__":
    main()
