"""pyhello.py: the Python rows of `make bench` (scripts/bench.sh).

One file, two entry points that answer the same bytes as functions/hello
(the C baseline): "Content-Type: text/plain" and the body "hello, world\n",
no Content-Length, so that the three servers differ only in their plumbing.

  handle(req)     gatewayd's runtime = python3 ([pyhello] in the bench's
                  gatewayd.ini): returns the body as a str
  application     WSGI (PEP 3333), for uWSGI (--wsgi-file) and gunicorn
                  (pyhello:application), sync workers either way

Nothing is computed per request beyond what each server itself does.
"""

BODY = "hello, world\n"
BODY_BYTES = BODY.encode("ascii")
HEADERS = [("Content-Type", "text/plain")]


def handle(req):
    """gatewayd's python3 runtime: the response body, as text."""
    return BODY


def application(environ, start_response):
    """WSGI: the same body, with the same single header."""
    start_response("200 OK", HEADERS)
    return [BODY_BYTES]
