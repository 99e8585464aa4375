"""forklined speaks the systemd notification protocol (sd_notify(3), Type=notify): with
NOTIFY_SOCKET set to a Unix datagram socket this test owns, READY=1 arrives once the
store is open and both sockets listen (checked the moment it arrives), WATCHDOG=1 pings
follow when WATCHDOG_USEC is set, and SIGTERM sends STOPPING=1 before a clean exit."""
import os
import signal
import socket
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "daemon"))
import fl_daemon  # noqa: E402


class Notifications:
    """A datagram socket standing in for systemd's notify socket."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path if not path.startswith("@") else "\0" + path[1:])

    def next(self, timeout=60):
        self.sock.settimeout(timeout)
        return self.sock.recv(4096).decode()

    def close(self):
        self.sock.close()


def start(d, notify_path, extra_env=None):
    env = dict(os.environ, NOTIFY_SOCKET=notify_path, **(extra_env or {}))
    logf = open(d.log, "ab")
    d.proc = subprocess.Popen([d.bin, "--config", d.config], stdout=logf, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, cwd=d.tmp, env=env)
    logf.close()


def listening(port):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)  # raises if nothing listens
    s.close()
    return True


def check_ready_means_serving(d, n):
    msg = n.next()
    lines = msg.split("\n")
    assert lines[0] == "READY=1", msg
    assert any(l.startswith("STATUS=") for l in lines), msg
    # The moment READY=1 arrives: both ports accept and the store answers.
    assert listening(d.zport) and listening(d.hport)
    health = d.client().ok("system.health", timeout=10)
    assert health["ok"] is True, health


def t_ready_watchdog_stopping(tmp):
    d = fl_daemon.Daemon(tmp=os.path.join(tmp, "a"))
    n = Notifications(os.path.join(tmp, "notify.sock"))
    try:
        start(d, n.path, {"WATCHDOG_USEC": "200000"})
        check_ready_means_serving(d, n)
        pings = 0
        while pings < 3:
            msg = n.next()
            assert msg == "WATCHDOG=1", msg
            pings += 1
        d.proc.send_signal(signal.SIGTERM)
        while True:  # pings may still come until the signal is handled
            msg = n.next()
            if msg != "WATCHDOG=1":
                break
        assert msg == "STOPPING=1", msg
        assert d.proc.wait(60) == 0, d.tail()
    finally:
        n.close()
        d.cleanup()


def t_abstract_socket_and_no_watchdog_for_another_pid(tmp):
    d = fl_daemon.Daemon(tmp=os.path.join(tmp, "b"))
    name = "@forkline-test-%d" % os.getpid()
    n = Notifications(name)
    try:
        # WATCHDOG_PID names another process: this one must not ping.
        start(d, name, {"WATCHDOG_USEC": "100000", "WATCHDOG_PID": "1"})
        check_ready_means_serving(d, n)
        d.proc.send_signal(signal.SIGTERM)
        assert n.next() == "STOPPING=1"  # no WATCHDOG=1 came in between
        assert d.proc.wait(60) == 0, d.tail()
    finally:
        n.close()
        d.cleanup()


def t_without_notify_socket_nothing_changes(tmp):
    d = fl_daemon.Daemon(tmp=os.path.join(tmp, "c"))
    try:
        os.environ.pop("NOTIFY_SOCKET", None)
        d.start()
        assert d.client().ok("system.health")["ok"] is True
        assert d.stop() == 0
    finally:
        d.cleanup()


def main():
    import tempfile
    res = fl_daemon.Results()
    tmp = tempfile.mkdtemp(prefix="fl-notify-")
    for case in (t_ready_watchdog_stopping, t_abstract_socket_and_no_watchdog_for_another_pid,
                 t_without_notify_socket_nothing_changes):
        res.run(case.__name__[2:], case, tmp)
    import shutil
    shutil.rmtree(tmp, ignore_errors=True)
    res.exit()


if __name__ == "__main__":
    main()
