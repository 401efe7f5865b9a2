#!/usr/bin/python3
"""python-runtime.py: a CGI script (mode = cgi) that makes the calls a Python
worker makes: threads, a TCP connection to itself, name resolution with
AI_ADDRCONFIG (glibc asks netlink first), JSON, TLS set-up and subprocesses.
It answers "python: ok"; an error or a refused call fails it. The seccomp
tests run it under the default profile (tests/check_syscall_filter.c,
tests/integration/test_20_seccomp_default.sh).
"""
import json
import socket
import ssl
import subprocess
import threading


def echo_once(server):
    conn, _ = server.accept()
    conn.sendall(conn.recv(64))
    conn.close()


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    thread = threading.Thread(target=echo_once, args=(server,))
    thread.start()
    client = socket.create_connection(server.getsockname())
    client.sendall(json.dumps({"a": [1, 2]}).encode())
    assert json.loads(client.recv(64)) == {"a": [1, 2]}
    thread.join()
    socket.getaddrinfo("localhost", 80, flags=socket.AI_ADDRCONFIG)
    ssl.create_default_context()
    assert subprocess.run(["/bin/sh", "-c", "exit 3"]).returncode == 3
    assert subprocess.check_output(["/bin/echo", "hi"]) == b"hi\n"
    print("Content-Type: text/plain\r\n\r\npython: ok")


main()
