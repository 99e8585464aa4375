#!/usr/bin/python3
"""HTTP limits of a real forklined (issue 8, item 8), with max_body_bytes = 1 MiB,
header_timeout_s = 2 and idle_timeout_s = 300:
* `Expect: 100-continue` with a body over the limit gets 413 before any body byte is sent;
  under the limit it gets `100 Continue`, then its answer.
* Bodies far over the limit (streamed with a Content-Length, or chunked) and a header
  stream far over max_header_bytes are refused (413 / 431) while the daemon's peak RSS
  (VmHWM) grows by much less than what was sent: nothing is buffered beyond the limits.
* 200 slowloris connections, each sending a header byte every 0.5 s, are all closed by the
  server (the idle timeout is 300 s and every byte would reset a per-read timer, so only
  the header deadline can close them) while a normal client keeps getting answers.
  Latency figures are printed, not asserted.
Usage: FORKLINED=path/to/forklined http_limits_test.py"""
import json
import os
import select
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fl_daemon import QUICK_WORKFLOW, Daemon, run_suite, wait_for  # noqa: E402
from proc_stats import MIB, SANITIZED, latency_summary, peak_rss, percentile  # noqa: E402

BODY_LIMIT = 1 << 20
SENT_EACH = 128 * MIB
SLOWLORIS = 200


def status_of(raw):
    assert raw.startswith(b"HTTP/1.1 "), raw[:200]
    return int(raw.split(b" ", 2)[1])


def read_all(s):
    out = b""
    while True:
        try:
            chunk = s.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not chunk:
            break
        out += chunk
    return out


def stream(d, head, chunk, total):
    """Sends `head`, then `chunk` until `total` bytes went out or the server stopped
    taking them; returns (bytes of body sent, what the server answered)."""
    s = socket.create_connection(("127.0.0.1", d.hport), timeout=60)
    sent = 0
    try:
        s.sendall(head)
        try:
            while sent < total:
                s.sendall(chunk)
                sent += len(chunk)
        except (BrokenPipeError, ConnectionResetError, socket.timeout):
            pass
        return sent, read_all(s)
    finally:
        s.close()


def t_expect_continue(d):
    s = socket.create_connection(("127.0.0.1", d.hport), timeout=60)
    try:
        s.sendall(b"POST /v1/runs HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n"
                  b"Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n")
        raw = read_all(s)  # not one body byte was sent
    finally:
        s.close()
    assert status_of(raw) == 413 and b'"too_large"' in raw, raw[:300]
    body = json.dumps({"kind": "quick", "input": {"via": "expect"}}).encode()
    s = socket.create_connection(("127.0.0.1", d.hport), timeout=60)
    try:
        s.sendall(b"POST /v1/runs HTTP/1.1\r\nHost: localhost\r\nExpect: 100-continue\r\n"
                  b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body))
        got = b""
        while b"\r\n\r\n" not in got:
            chunk = s.recv(4096)
            assert chunk, got
            got += chunk
        assert got == b"HTTP/1.1 100 Continue\r\n\r\n", got
        s.sendall(body)
        raw = read_all(s)
    finally:
        s.close()
    assert status_of(raw) == 201, raw[:300]


def t_memory_bounded_by_limits(d):
    pid = d.proc.pid
    before = peak_rss(pid)
    chunk = b"x" * (1 << 20)
    # A body announced by its Content-Length and sent anyway.
    sent, raw = stream(d, b"POST /v1/runs HTTP/1.1\r\nHost: localhost\r\n"
                          b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                       % SENT_EACH, chunk, SENT_EACH)
    assert raw == b"" or status_of(raw) == 413, raw[:300]
    total = sent
    # A chunked body that never ends.
    sent, raw = stream(d, b"POST /v1/runs HTTP/1.1\r\nHost: localhost\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\n",
                       b"100000\r\n" + chunk + b"\r\n", SENT_EACH)
    assert raw == b"" or status_of(raw) == 413, raw[:300]
    total += sent
    # One header line that never ends.
    sent, raw = stream(d, b"GET /v1/runs HTTP/1.1\r\nHost: localhost\r\nX-Big: ",
                       b"h" * (1 << 20), SENT_EACH)
    assert raw == b"" or status_of(raw) == 431, raw[:300]
    total += sent
    # The refusals answered with a status, and a clean 413 to be sure of the code.
    st, body, _ = d.http("POST", "/v1/runs", raw_body=b"y" * (BODY_LIMIT + 1),
                         headers={"Content-Type": "application/json"})
    assert st == 413 and body["error"]["code"] == "too_large", (st, body)
    grown = peak_rss(pid) - before
    print("limits: %d MiB sent over the limits; daemon peak RSS %.1f -> %.1f MiB (+%.1f MiB)"
          % (total // MIB, before / MIB, peak_rss(pid) / MIB, grown / MIB), flush=True)
    assert total >= 16 * MIB, total  # the server did take the bytes before closing
    assert SANITIZED or grown < 16 * MIB, "peak RSS grew by %.1f MiB" % (grown / MIB)
    assert d.client().ok("system.health")["ok"] is True


class Normal(threading.Thread):
    """A well-behaved client: an HTTP GET and a ZeroMQ command, again and again, each on a
    fresh connection for HTTP; records latencies; every answer must be right."""

    def __init__(self, d):
        super().__init__(daemon=True)
        self.d = d
        self.stop = threading.Event()
        self.http = []
        self.zmq = []
        self.error = None

    def run(self):
        c = self.d.client()
        try:
            while not self.stop.is_set():
                t = time.time()
                st, body, _ = self.d.http("GET", "/v1/runs?limit=5", timeout=60)
                assert st == 200 and "runs" in body, (st, body)
                self.http.append(time.time() - t)
                t = time.time()
                c.ok("run.create", kind="quick", input={})
                self.zmq.append(time.time() - t)
                time.sleep(0.02)  # pacing, not waiting for anything
        except Exception as e:  # noqa: BLE001 - reported by the test
            self.error = e


def t_slowloris(d):
    baseline = Normal(d)
    baseline.start()
    wait_for("a baseline", lambda: len(baseline.http) >= 30 or baseline.error, 60)
    baseline.stop.set()
    baseline.join()
    assert baseline.error is None, baseline.error

    normal = Normal(d)
    conns = {}
    opened = time.time()
    for _ in range(SLOWLORIS):
        s = socket.create_connection(("127.0.0.1", d.hport), timeout=10)
        s.sendall(b"GET /v1/runs HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        s.setblocking(False)
        conns[s] = time.time()
    normal.start()
    closed = {}
    answered = []
    next_byte = time.time() + 0.5
    try:
        deadline = time.time() + 60  # a hang guard; idle_timeout_s is 300
        while len(closed) < SLOWLORIS:
            assert time.time() < deadline, "%d slowloris connections still open" % (
                SLOWLORIS - len(closed))
            open_socks = [s for s in conns if s not in closed]
            readable, _, _ = select.select(open_socks, [], [], 0.1)
            for s in readable:
                try:
                    data = s.recv(4096)
                except (ConnectionResetError, BlockingIOError):
                    data = b""
                if data:
                    answered.append(data)  # a reply instead of a close: wrong
                closed[s] = time.time() - conns[s]
            if time.time() >= next_byte:
                next_byte += 0.5
                for s in open_socks:
                    if s in closed:
                        continue
                    try:
                        s.send(b"a")
                    except (BlockingIOError, BrokenPipeError, ConnectionResetError):
                        pass
        assert not answered, answered[:3]
        during_open = time.time() - opened
    finally:
        normal.stop.set()
        normal.join()
        for s in conns:
            s.close()
    assert normal.error is None, normal.error
    assert len(normal.http) > 0 and len(normal.zmq) > 0
    times = list(closed.values())
    print("slowloris: %d connections, each closed %.2f..%.2f s after its first byte "
          "(median %.2f s; header_timeout_s = 2); all closed within %.1f s"
          % (SLOWLORIS, min(times), max(times), percentile(times, 50), during_open), flush=True)
    print("normal client before: HTTP %s; ZeroMQ %s"
          % (latency_summary(baseline.http), latency_summary(baseline.zmq)), flush=True)
    print("normal client during: HTTP %s; ZeroMQ %s"
          % (latency_summary(normal.http), latency_summary(normal.zmq)), flush=True)


def main():
    run_suite(lambda: Daemon(workflows={"quick": QUICK_WORKFLOW},
                             http_extra="max_body_bytes = %d\nheader_timeout_s = 2\n"
                                        "idle_timeout_s = 300\n" % BODY_LIMIT),
              (t_expect_continue, t_memory_bounded_by_limits, t_slowloris))


if __name__ == "__main__":
    main()
