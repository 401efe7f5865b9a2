"""hello.py: a Python function (runtime = python3, conf/functions.d/py-hello.ini),
written as OpenFaaS users write one: handle(req) gets the request body as a
str and returns the response body; a dict is sent as JSON.

Try: curl --data '{"name": "Ada"}' http://127.0.0.1:8080/function/py-hello
"""
import json
import os

# Module state lives across requests: the module is imported once per worker.
GREETING = os.getenv("GREETING", "hello")


def handle(req):
    try:
        name = json.loads(req).get("name", "world") if req.strip() else "world"
    except (ValueError, AttributeError):
        return {"error": "the body must be a JSON object, like {\"name\": \"Ada\"}"}
    return {"greeting": "%s, %s" % (GREETING, name), "worker": os.getpid()}
