"""gatewayd_runtime: the Python side of runtime = python3 (functions/README.md).

host.c, the worker program, embeds CPython, calls load() once and then
serve(body) for each request, body being the request's bytes; the return
value is the whole CGI response (a Status line, headers, a blank line, the
body) as bytes. The request's FastCGI params (a dict of str) come from
_gatewayd_host.params(), made only when asked for.

A handler is written in one of the two styles OpenFaaS users have, told
apart by its signature:

    def handle(req)                 req is the body, str (bytes with
                                    raw_body = yes); the return value is the
                                    response body: str, bytes, a dict or a
                                    list (sent as JSON), or None (empty).
    def handle(event, context)      the python3-http template: event.body,
                                    event.headers, event.method, event.query,
                                    event.path, event.params (every FastCGI
                                    param: GATEWAY_JOB_ID for an async job);
                                    context.hostname; returns
                                    {"statusCode", "body", "headers"} or None
                                    (any other value is a body, as above).

An exception in the handler is answered 500 with a short JSON error; its
traceback goes to stderr, which gatewayd logs with the function's name and
the worker's pid, and never to the client. SIGUSR1 prints the traceback of
every thread (faulthandler): gatewayd sends it before it kills a worker
whose request passed request_timeout. print() goes to the log too.

Standard library only: this runs inside the function's sandbox.
"""
import site
import sys

# host.c starts the interpreter without site: run it here with no user site
# directory, whose lookup would ask for a home the worker's user has not.
site.ENABLE_USER_SITE = False
site.USER_BASE = site.USER_SITE = ""
site.main()

# What every worker imports at start, kept small: a worker's start is the
# cold start of pm = ondemand. inspect, traceback and urllib.parse are
# imported when first needed.
import faulthandler     # noqa: E402 (after the site directories are on sys.path)
import importlib.util
import json
import os
import signal
from http import HTTPStatus

import _gatewayd_host

# Sent by gatewayd before it kills a worker stuck past request_timeout.
DUMP_SIGNAL = signal.SIGUSR1

_TYPES = {
    str: b"text/plain; charset=utf-8",
    bytes: b"application/octet-stream",
    bytearray: b"application/octet-stream",
    dict: b"application/json",
    list: b"application/json",
}
# What makes a dict returned by handle(event, context) a response, not a JSON body.
_RESPONSE_KEYS = frozenset(("statusCode", "body", "headers"))
_ERROR_BODY = b'{"error": "the function raised an exception: see gatewayd\'s log"}\n'


def _status_line(code):
    """b"Status: 200 OK\\r\\n" for a known code, without a phrase otherwise."""
    try:
        return b"Status: %d %s\r\n" % (code, HTTPStatus(code).phrase.encode("ascii"))
    except ValueError:
        return b"Status: %d\r\n" % code


# The status lines sent most, built once.
_STATUS = {code: _status_line(code) for code in (200, 201, 202, 204, 400, 404, 500)}


class HandlerError(Exception):
    """What a handler returned cannot be sent (a bad status or header)."""


def _body_bytes(body):
    """The bytes of a returned body, and its default Content-Type."""
    if body is None:
        return b"", None
    kind = type(body)
    if kind is str:
        return body.encode("utf-8"), _TYPES[str]
    if kind is bytes or kind is bytearray:
        return bytes(body), _TYPES[bytes]
    if kind is dict or kind is list:
        return json.dumps(body).encode("utf-8"), _TYPES[dict]
    raise HandlerError("a response body must be str, bytes, dict, list or None, not %s"
                       % kind.__name__)


def _header_text(text, what):
    """A header name or value, as latin-1 bytes with no line break in it."""
    text = str(text)
    if "\r" in text or "\n" in text or (what == "name" and (":" in text or not text)):
        raise HandlerError("bad header %s %r" % (what, text))
    return text.encode("latin-1")


def _response(status, headers, body):
    """The CGI response: Status, headers (a Content-Type unless given), the body."""
    data, content_type = _body_bytes(body)
    if type(status) is not int or not 100 <= status <= 599:
        raise HandlerError("statusCode must be an int from 100 to 599, not %r" % (status,))
    parts = [_STATUS.get(status) or _status_line(status)]
    has_type = False
    for name, value in headers:
        name = _header_text(name, "name")
        has_type = has_type or name.lower() == b"content-type"
        if name.lower() != b"content-length":
            parts.append(b"%s: %s\r\n" % (name, _header_text(value, "value")))
    if not has_type and content_type is not None:
        parts.append(b"Content-Type: %s\r\n" % content_type)
    parts.append(b"Content-Length: %d\r\n\r\n" % len(data))
    parts.append(data)
    return b"".join(parts)


class Headers(dict):
    """Request headers by name, any case: headers["content-type"] or .get("Content-Type")."""

    def __init__(self, pairs):
        super().__init__((name.lower(), value) for name, value in pairs)

    def __getitem__(self, name):
        return super().__getitem__(name.lower())

    def __contains__(self, name):
        return super().__contains__(name.lower())

    def get(self, name, default=None):
        return super().get(name.lower(), default)


def _header_pairs(params):
    """HTTP_X_FOO params as ("X-Foo", value), and Content-Type / Content-Length."""
    for name, value in params.items():
        if name.startswith("HTTP_"):
            yield "-".join(w.capitalize() for w in name[5:].split("_")), value
        elif name in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            yield "-".join(w.capitalize() for w in name.split("_")), value


class Event:
    """A request as the python3-http template shows it."""

    __slots__ = ("body", "headers", "method", "query", "path", "params")

    def __init__(self, params, body):
        self.params = params    # every FastCGI param: GATEWAY_JOB_ID for an async job, ...
        self.body = body
        self.headers = Headers(_header_pairs(params))
        self.method = params.get("REQUEST_METHOD", "GET")
        self.query = {}
        from urllib.parse import parse_qsl
        for name, value in parse_qsl(params.get("QUERY_STRING", ""), keep_blank_values=True):
            self.query.setdefault(name, value)
        uri = params.get("DOCUMENT_URI") or params.get("REQUEST_URI", "/").split("?", 1)[0]
        self.path = uri or "/"


class Context:
    """Where the handler runs: context.hostname."""

    __slots__ = ("hostname",)

    def __init__(self):
        self.hostname = os.uname().nodename   # gethostname()


def _import_handler(path):
    """The handler's module: a .py file, or a package directory. Imported
    from its own path, so that its parent need not be listable by the
    function's user; that parent goes first on sys.path for its neighbours."""
    path = os.path.abspath(path)
    sys.path.insert(0, os.path.dirname(path))
    if os.path.isdir(path):
        name = os.path.basename(path)
        spec = importlib.util.spec_from_file_location(
            name, os.path.join(path, "__init__.py"), submodule_search_locations=[path])
    else:
        name = os.path.splitext(os.path.basename(path))[0]
        spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _takes_event_and_context(function):
    """Whether function is written handle(event, context): two positional parameters."""
    code = getattr(function, "__code__", None)
    if code is not None:        # a plain function, the common case: no inspect
        return code.co_argcount >= 2
    import inspect
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) >= 2


def _log_exception():
    """The traceback of the handler's exception, with the request it failed."""
    import traceback
    params = _gatewayd_host.params()
    sys.stderr.write("exception in %s %s:\n%s" % (
        params.get("REQUEST_METHOD", "?"), params.get("REQUEST_URI", "?"),
        traceback.format_exc()))
    sys.stderr.flush()


def load(handler, function_name, raw_body):
    """Imports the handler and returns serve(body) for host.c."""
    sys.path.pop(0)     # this module's own directory, put first by host.c
    sys.stdout = sys.stderr
    faulthandler.register(DUMP_SIGNAL, all_threads=True)
    module = _import_handler(handler)
    function = getattr(module, function_name, None)
    if not callable(function):
        raise SystemExit("%s has no function %s (handler.function)" % (handler, function_name))
    error = _STATUS[500] + b"Content-Type: application/json\r\n\r\n" + _ERROR_BODY

    if _takes_event_and_context(function):
        context = Context()

        def serve(body):
            try:
                result = function(Event(_gatewayd_host.params(), body), context)
                if result is None:
                    return _response(200, (), None)
                if type(result) is not dict or not _RESPONSE_KEYS.intersection(result):
                    return _response(200, (), result)
                return _response(result.get("statusCode", 200),
                                 (result.get("headers") or {}).items(), result.get("body"))
            except Exception:
                _log_exception()
                return error
        return serve

    text_head = _STATUS[200] + b"Content-Type: " + _TYPES[str] + b"\r\nContent-Length: "

    def serve(body):
        try:
            result = function(body if raw_body else body.decode("utf-8", "replace"))
            if type(result) is str:     # the common case, without _response()'s checks
                data = result.encode("utf-8")
                return b"%s%d\r\n\r\n%s" % (text_head, len(data), data)
            return _response(200, (), result)
        except Exception:
            _log_exception()
            return error
    return serve
