"""pyhello.py: the Python row of `make bench` (scripts/bench.sh).

One file, two entry points with one answer, "hello, world\n" (the body of
functions/hello, the C baseline), so that the three servers differ only in
their plumbing:

  handle(req)     gatewayd's runtime = python3 ([pyhello] and [pyondemand]
                  in the bench's gatewayd.ini): returns the body as a str
  application     WSGI (PEP 3333), for uWSGI (--wsgi-file) and gunicorn
                  (pyhello:application), sync workers either way

The runtime answers a str with "Status: 200 OK", "Content-Type: text/plain;
charset=utf-8" and a Content-Length (functions/runtimes/python3/
gatewayd_runtime.py); the WSGI application sends the same two headers, so
nginx hands wrk the same response from all three.

Nothing is computed per request beyond what each server itself does.
"""

BODY = "hello, world\n"
BODY_BYTES = BODY.encode("utf-8")
HEADERS = [
    ("Content-Type", "text/plain; charset=utf-8"),
    ("Content-Length", str(len(BODY_BYTES))),
]


def handle(req):
    """gatewayd's python3 runtime: the response body, as text."""
    return BODY


def application(environ, start_response):
    """WSGI: the same body, with the runtime's headers."""
    start_response("200 OK", HEADERS)
    return [BODY_BYTES]
