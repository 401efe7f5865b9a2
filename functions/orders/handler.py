"""orders: stores each posted JSON order in PostgreSQL (runtime = python3).

POST a JSON object; it is inserted as one row of the `orders` table
(schema.sql, created when missing) and the answer is

    200 {"status": "success", "processed": true}

Errors are JSON too, and never carry the database password:

    400 {"status": "error", "error": "bad_request", "message": "..."}
        the body is not JSON, or not a JSON object
    400 {"status": "error", "error": "DataError", "message": "..."}
        PostgreSQL refused the order's JSON (jsonb takes no \u0000)
    503 {"status": "error", "error": "OperationalError", "message": "..."}
        the database refused or failed (the exception's class and its
        message, the password scrubbed out)

A database error is also written to stderr, which is gatewayd's log.

Why the handle(event, context) style and not handle(req): handle(req) answers
200 for whatever it returns, and a status matters here. Called as an async
job (Prefer: respond-async), a 5xx is retried with backoff (docs/async.md),
which is what a database that is restarting needs, and a 4xx fails the job
at once, which is right for an order that will never parse. A 200 carrying
an error body would mark the job succeeded with its order lost.

The connection settings come from the environment, which gatewayd fills
from the function's env_file alone (clear_env): never write them in code or
in the function's section.

    postgres_host      default 127.0.0.1; a path starting with "/" is the
                       directory of PostgreSQL's unix socket (libpq's rule)
    postgres_port      default 5432 (also names the socket file)
    postgres_db        default orders
    postgres_user      the role; libpq's default (the worker's user name)
                       when unset
    postgres_password  the role's password

One connection per worker, made on the first request and kept in the module
(the runtime imports this file once per worker), so a request costs one
INSERT and one COMMIT. When the database has restarted, or the connection
broke some other way, the first statement fails with OperationalError or
InterfaceError: the worker reconnects once and runs the insert again.

Sent twice: an async job runs at least once (docs/async.md), and a client
may send an order again when its answer was lost. An order posted with an
Idempotency-Key header has the key stored with it in a UNIQUE column: the
same key again inserts nothing and answers success (the order is in). An
async job without the header is keyed by its job id (GATEWAY_JOB_ID), so a
job that runs again after a crash stores its order once. A synchronous
order without the header is inserted each time it arrives; that is also
what happens if the connection breaks after PostgreSQL committed an insert
but before the COMMIT's answer came back, and the retry above inserts it
again.
"""

import json
import os
import re
import sys

import psycopg2

# The table's definition, applied by every new connection under a lock
# (below). Read from schema.sql next to this file: one definition for the
# handler and for whoever applies it by hand.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "schema.sql"),
          encoding="utf-8") as _schema_file:
    _SCHEMA = _schema_file.read()

# pg_advisory_xact_lock key: workers that connect at the same time would race
# in CREATE TABLE IF NOT EXISTS (one of them gets a unique violation on
# pg_type); the lock makes them take turns. Any constant will do; this is
# "orders" in ASCII.
_SCHEMA_LOCK = 0x6F7264657273

_INSERT = ("INSERT INTO orders (body, idempotency_key) VALUES (%s::jsonb, %s) "
           "ON CONFLICT (idempotency_key) DO NOTHING")

# Longest Idempotency-Key accepted; the column is indexed.
_MAX_KEY = 200

# A connection that fails this long is a 503, well within request_timeout.
_CONNECT_TIMEOUT = 5

# The worker's connection, or None until the first request needs it.
_conn = None


def handle(event, context):
    """Inserts the order in event.body; returns the response as a dict
    (statusCode, headers, body: the runtime's event style)."""
    try:
        order = _parse(event.body)
        key = _idempotency_key(event)
    except ValueError as exc:
        return _answer(400, {"status": "error", "error": "bad_request",
                             "message": str(exc)})
    try:
        _insert(order, key)
    except psycopg2.Error as exc:
        # DataError: this order's content, which no retry will mend; any
        # other error is the database's, which a later attempt may not meet.
        status = 400 if isinstance(exc, psycopg2.DataError) else 503
        message = _scrub(str(exc).strip())
        _log("%s: %s" % (type(exc).__name__, message))
        return _answer(status, {"status": "error", "error": type(exc).__name__,
                                "message": message})
    return _answer(200, {"status": "success", "processed": True})


def _parse(body):
    """The order in body (str or bytes) as JSON text; ValueError when body is
    not a JSON object."""
    if body is None or body == "" or body == b"":
        raise ValueError("no order: the body is empty")
    if isinstance(body, (bytes, bytearray)):
        try:
            body = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ValueError("the body is not UTF-8: %s" % exc) from None
    try:
        order = json.loads(body)
    except json.JSONDecodeError as exc:
        raise ValueError("the body is not JSON: %s" % exc) from None
    if not isinstance(order, dict):
        raise ValueError("an order is a JSON object, got %s" % type(order).__name__)
    # json.loads takes NaN and Infinity, which are not JSON (nor jsonb).
    try:
        return json.dumps(order, allow_nan=False)
    except ValueError:
        raise ValueError("the body is not JSON: NaN or Infinity in it") from None


def _idempotency_key(event):
    """The Idempotency-Key header's value, else the async job's id
    (GATEWAY_JOB_ID: a job run again after a crash is the same order), else
    None; ValueError when it is too long to be a key."""
    key = event.headers.get("Idempotency-Key") or event.params.get("GATEWAY_JOB_ID")
    if not key:
        return None
    if len(key) > _MAX_KEY:
        raise ValueError("Idempotency-Key is longer than %d characters" % _MAX_KEY)
    return key


def _insert(order, key):
    """Inserts one order and commits. When the worker's kept connection
    turns out to be broken (a restarted database), reconnects once and
    inserts again; a connection made for this request is not retried (a
    wrong password or a database that is down would only fail twice)."""
    if _conn is None or _conn.closed:
        _insert_on(_connection(), order, key)
        return
    try:
        _insert_on(_conn, order, key)
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
        _log("reconnecting after %s: %s" % (type(exc).__name__, _scrub(str(exc).strip())))
        _drop_connection()
        _insert_on(_connection(), order, key)


def _insert_on(conn, order, key):
    """One transaction: the INSERT and its COMMIT; rolled back on a
    statement error so that the connection stays usable."""
    try:
        with conn.cursor() as cur:
            cur.execute(_INSERT, (order, key))
        conn.commit()
    except psycopg2.Error:
        if not conn.closed:
            try:
                conn.rollback()
            except psycopg2.Error:
                pass
        raise


def _connection():
    """The worker's connection, made (and the table created if missing)
    when there is none."""
    global _conn
    if _conn is not None and not _conn.closed:
        return _conn
    conn = psycopg2.connect(host=os.getenv("postgres_host", "127.0.0.1"),
                            port=os.getenv("postgres_port", "5432"),
                            dbname=os.getenv("postgres_db", "orders"),
                            user=os.getenv("postgres_user"),
                            password=os.getenv("postgres_password"),
                            connect_timeout=_CONNECT_TIMEOUT,
                            application_name="gatewayd-orders")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            cur.execute(_SCHEMA)
        conn.commit()
    except psycopg2.Error:
        conn.close()
        raise
    _conn = conn
    return conn


def _drop_connection():
    """Forgets the worker's connection, closing it first."""
    global _conn
    if _conn is not None:
        try:
            _conn.close()
        except psycopg2.Error:
            pass
    _conn = None


def _scrub(text):
    """text without the password: neither the value itself nor anything
    written as password=... (a connection string in a message)."""
    password = os.getenv("postgres_password")
    if password:
        text = text.replace(password, "***")
    return re.sub(r"(password\s*=\s*)('[^']*'|\S+)", r"\1***", text, flags=re.IGNORECASE)


def _log(message):
    """One line in gatewayd's log (the worker's stderr), which names the
    function and the worker's pid; message is already scrubbed."""
    print("orders: %s" % message.replace("\n", " "), file=sys.stderr, flush=True)


def _answer(status, document):
    """A response in the event style: status, a JSON document."""
    return {"statusCode": status,
            "headers": {"Content-Type": "application/json"},
            "body": json.dumps(document)}
