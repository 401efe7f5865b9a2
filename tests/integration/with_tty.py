#!/usr/bin/env python3
"""with_tty.py PIDFILE CMD [ARGS...]: runs CMD as an operator's terminal would.

CMD gets a session of its own whose controlling terminal is a fresh
pseudo-terminal, on its standard input (its output stays where ours goes),
as gatewayd has when started by hand in a terminal. CMD's pid is written to
PIDFILE once it runs. This process keeps the terminal's master side open
(reading and dropping what is written there), passes SIGTERM and SIGINT on,
and exits with CMD's status when CMD ends.
"""

import os
import pty
import select
import signal
import sys


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    master, slave = pty.openpty()
    slave_path = os.ttyname(slave)
    pid = os.fork()
    if pid == 0:
        os.close(master)
        os.close(slave)
        os.setsid()
        fd = os.open(slave_path, os.O_RDWR)  # the first terminal a session leader opens is its own
        os.dup2(fd, 0)
        os.close(fd)
        os.execv(sys.argv[2], sys.argv[2:])
    os.close(slave)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda s, _f: os.kill(pid, s))
    with open(sys.argv[1] + ".tmp", "w") as f:
        f.write("%d\n" % pid)
    os.rename(sys.argv[1] + ".tmp", sys.argv[1])
    while True:
        try:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done == pid:
                return os.waitstatus_to_exitcode(status) & 0xff
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                os.read(master, 4096)
        except InterruptedError:
            continue
        except OSError:
            pass  # the terminal's other side closed: keep waiting for CMD


if __name__ == "__main__":
    sys.exit(main())
