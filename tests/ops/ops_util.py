"""Helpers for tests/ops: start a fl_daemon.Daemon with extra command-line flags and
environment, and read its JSON log lines."""
import http.client
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "daemon"))
import fl_daemon  # noqa: E402


def start_with(d, flags=(), env=None, wait=True):
    """Starts d's forklined with --config d.config plus `flags`, environment `env` added;
    waits for /healthz when `wait`."""
    logf = open(d.log, "ab")
    d.proc = subprocess.Popen([d.bin, "--config", d.config] + list(flags), stdout=logf,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=d.tmp,
                              env=dict(os.environ, **(env or {})))
    logf.close()
    if wait:
        def healthy():
            if d.proc.poll() is not None:
                raise RuntimeError("forklined exited %s:\n%s" % (d.proc.returncode, d.tail()))
            try:
                c = http.client.HTTPConnection("127.0.0.1", d.hport, timeout=2)
                c.request("GET", "/healthz")
                return c.getresponse().status == 200
            except OSError:
                return False
        fl_daemon.wait_for("forklined /healthz", healthy, 60, 0.05)
    return d


def log_text(d):
    with open(d.log, "rb") as f:
        return f.read().decode("utf-8", "replace")


def json_lines(d):
    """Every log line parsed as JSON (fails on a line that is not)."""
    out = []
    for line in log_text(d).splitlines():
        if line.strip():
            out.append(json.loads(line))
    return out
