"""pyhandlers: handlers the Python runtime's tests run (test_73_python_runtime.sh),
one per handler.function, in both styles.
"""
import errno
import json
import os
import signal
import time

# Module state: the import happens once per worker, so this counts that worker's requests.
calls = 0


def handle(req):
    """handle(req): the body back as str, with its type and the worker's count."""
    global calls
    calls += 1
    return "%s:%d:%s" % (type(req).__name__, calls, req)


def as_json(req):
    """A dict is sent as JSON."""
    return {"got": json.loads(req), "pid": os.getpid()}


def as_bytes(req):
    return b"\x00\xffraw"


def environment(req):
    """The worker's whole environment: what env[...] and env_file set, nothing else."""
    return dict(os.environ)


def http(event, context):
    """The python3-http template's style: everything the event holds, back as JSON."""
    return {
        "statusCode": int(event.query.get("status", "200")),
        "headers": {"X-Echo-Method": event.method, "Content-Type": "application/json"},
        "body": {
            "body": event.body.decode(),
            "type": type(event.body).__name__,
            "header": event.headers.get("x-test-header"),
            "header_any_case": event.headers["X-TEST-HEADER"] if "X-Test-Header" in event.headers else None,
            "query": event.query,
            "path": event.path,
            "method": event.method,
            "hostname": bool(context.hostname),
            "param": event.params.get("REQUEST_METHOD"),
        },
    }


def http_none(event, context):
    """None: 200 with an empty body."""
    return None


def boom(req):
    """An exception: 500 for the client, the traceback (with this secret) in the log only."""
    raise ValueError("secret-detail-42 must not reach the client")


def bad_header(event, context):
    """A header with a line break is refused, never sent."""
    return {"statusCode": 200, "headers": {"X-Bad": "a\r\nSet-Cookie: x=1"}, "body": "no"}


def sleepy(req):
    """Sleeps past request_timeout: the traceback shows this function."""
    time.sleep(30)
    return "woke"


def printer(req):
    """print() goes to gatewayd's log, not into the response."""
    print("printed-by-handler")
    return "ok"


def _attempt(action):
    """"ok", or the errno name an attempt failed with."""
    try:
        action()
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))


def probe(event, context):
    """A hostile handler: signals gatewayd and another function's worker, reads
    another function's env_file, tries to become root; shows its own confinement."""
    status = dict(line.split(":\t", 1) for line in open("/proc/self/status").read().splitlines()
                  if ":\t" in line)
    return {
        "uid": os.getuid(),
        "seccomp": status["Seccomp"].strip(),
        "no_new_privs": status["NoNewPrivs"].strip(),
        "kill_daemon": _attempt(lambda: os.kill(int(event.query["daemon"]), signal.SIGTERM)),
        "kill_other": _attempt(lambda: os.kill(int(event.query["other"]), signal.SIGKILL)),
        "read_env_file": _attempt(lambda: open(event.query["file"]).read()),
        "setuid_root": _attempt(lambda: os.setuid(0)),
    }
