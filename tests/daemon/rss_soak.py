#!/usr/bin/python3
"""RSS soak (issue 8, item 8): a real forklined under mixed load for DURATION seconds
(argument; 30 in `make test`, 600 in `make torture`) while its RSS and descriptors are
sampled every second. The load: ZeroMQ commands on a growing set of runs (create, next,
autorun, pause, resume, fork, cancel, get, list, events), HTTP reads and commands on
fresh and kept-alive connections, SSE subscribers that come and go, a slow SSE reader that
gets cut off, oversized HTTP bodies and ZeroMQ frames, garbage frames, and slowloris
connections.
Passes when every answer was the expected one, the daemon is alive, its descriptors come
back to where they started, and the peak RSS of the last third of the run exceeds the
peak of the first third (after a warm-up) by less than SLACK_MIB (the in-memory run
summaries grow a little with every run; a leak per request would not fit; under a
sanitizer no memory bound is asserted). Prints one "soak:" JSON line with the figures.
Usage: FORKLINED=path/to/forklined rss_soak.py [DURATION_S]"""
import http.client
import json
import os
import random
import socket
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fl_daemon import QUICK_WORKFLOW, Daemon, wait_for  # noqa: E402
from proc_stats import MIB, SANITIZED, open_fds, rss  # noqa: E402

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else 30.0
SLACK_MIB = float(os.environ.get("FORKLINE_SOAK_SLACK_MIB", "64"))
LIMIT = 1 << 20  # max_body_bytes and max_message_bytes


class Load:
    def __init__(self, d):
        self.d = d
        self.stop = threading.Event()
        self.counts = {}
        self.errors = []
        self.runs = []
        self.lock = threading.Lock()

    def count(self, what, n=1):
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + n

    def some_run(self, rnd):
        with self.lock:
            return rnd.choice(self.runs) if self.runs else None

    def worker(self, fn):
        def body():
            rnd = random.Random(fn.__name__)
            try:
                while not self.stop.is_set():
                    fn(rnd)
            except Exception as e:  # noqa: BLE001 - reported at the end
                self.errors.append("%s: %r" % (fn.__name__, e))
        return threading.Thread(target=body, name=fn.__name__, daemon=True)

    # ZeroMQ commands on runs.
    def commands(self, rnd):
        c = getattr(self, "_c", None) or self.d.client()
        self._c = c
        run = c.ok("run.create", kind="quick", input={"n": rnd.random()},
                   autorun=rnd.random() < 0.3)["run"]
        with self.lock:
            self.runs.append(run["id"])
        self.count("zmq_commands")
        rid = run["id"]
        if not run["autorun"]:
            c.ok("run.next", run_id=rid)
            c.ok("run.pause", run_id=rid)
            c.ok("run.resume", run_id=rid)
            fork = c.ok("run.fork", run_id=rid, at=1)["run"]
            c.ok("run.cancel", run_id=fork["id"])
            self.count("zmq_commands", 5)
        other = self.some_run(rnd)
        c.ok("run.get", run_id=other)
        c.ok("run.events", run_id=other, limit=50)
        c.ok("run.list", limit=20)
        self.count("zmq_commands", 3)
        time.sleep(0.02)

    # HTTP reads and commands, one kept-alive connection and fresh ones.
    def http_calls(self, rnd):
        conn = http.client.HTTPConnection("127.0.0.1", self.d.hport, timeout=60)
        for _ in range(20):
            rid = self.some_run(rnd)
            path = rnd.choice(["/v1/runs?limit=20", "/healthz", "/metrics", "/v1/workflows"] +
                              (["/v1/runs/" + rid, "/v1/runs/%s/lineage" % rid] if rid else []))
            conn.request("GET", path)
            r = conn.getresponse()
            r.read()
            assert r.status == 200, (path, r.status)
            self.count("http_requests")
        conn.close()
        st, _, _ = self.d.http("POST", "/v1/runs", {"kind": "quick", "input": {"via": "http"}})
        assert st == 201, st
        st, _, _ = self.d.http("POST", "/v1/runs", raw_body=b"{" + b" " * (LIMIT + 10) + b"}",
                               headers={"Content-Type": "application/json"})
        assert st == 413, st
        st, _, _ = self.d.http("POST", "/v1/runs", raw_body=b"{oops",
                               headers={"Content-Type": "application/json"})
        assert st == 400, st
        self.count("http_requests", 3)
        time.sleep(0.05)

    # SSE subscribers that read a little and leave, and whole-run streams.
    def sse(self, rnd):
        rid = self.some_run(rnd)
        if rid is None:
            time.sleep(0.1)
            return
        s = self.d.sse("/v1/runs/%s/events?until=terminal" % rid)
        try:
            assert s.status == 200, s.status
            assert s.next_event(timeout=60)["event"] == "run.created"
        finally:
            s.close()
        g = self.d.sse("/v1/events?after=0")
        try:
            assert g.status == 200, g.status
            g.events(min(5, len(self.runs)), timeout=60)
        finally:
            g.close()
        self.count("sse_streams", 2)
        time.sleep(0.1)

    # Abuse: a slow SSE reader, oversized and garbage frames, slowloris connections.
    def abuse(self, rnd):
        slow = socket.socket()
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.connect(("127.0.0.1", self.d.hport))
        slow.sendall(b"GET /v1/events?after=0 HTTP/1.1\r\nHost: localhost\r\n\r\n")
        loris = []
        for _ in range(5):
            s = socket.create_connection(("127.0.0.1", self.d.hport))
            s.sendall(b"GET /v1/runs HTTP/1.1\r\nHost: localhost\r\nX-Slow: a")
            loris.append(s)
        c = getattr(self, "_abuser", None) or self.d.client()
        self._abuser = c
        for frame in (b"\xff garbage", b"[]", json.dumps({"cmd": 7}).encode(),
                      b"{" + b" " * (LIMIT + 10) + b"}"):
            rep = json.loads(c.raw([frame])[-1])
            assert rep["ok"] is False and rep["error"]["code"] in ("bad_request", "too_large"), rep
            self.count("bad_frames")
        self.stop.wait(3)
        for s in loris + [slow]:
            s.close()
        self.count("slow_clients", 6)


def main():
    d = Daemon(workflows={"quick": QUICK_WORKFLOW},
               http_extra="max_body_bytes = %d\nsse_queue_limit = 64\nheader_timeout_s = 2\n"
               % LIMIT, zmq_extra="max_message_bytes = %d\n" % LIMIT)
    ok = False
    try:
        d.start()
        pid = d.proc.pid
        base_fds = open_fds(pid)
        load = Load(d)
        threads = [load.worker(f) for f in (load.commands, load.http_calls, load.sse, load.abuse)]
        samples = []
        start = time.time()
        for t in threads:
            t.start()
        while time.time() - start < DURATION and not load.errors:
            samples.append((time.time() - start, rss(pid), open_fds(pid)))
            time.sleep(1)
        load.stop.set()
        for t in threads:
            t.join(120)
        assert not load.errors, load.errors
        assert d.alive(), "forklined died"
        wait_for("descriptors back", lambda: open_fds(pid) <= base_fds + 5, 60, 0.2)
        warm = [s for s in samples if s[0] >= min(10.0, DURATION / 6)]
        third = max(1, len(warm) // 3)
        first = max(s[1] for s in warm[:third])
        last = max(s[1] for s in warm[-third:])
        report = {
            "duration_s": round(time.time() - start),
            "counts": load.counts,
            "runs": len(load.runs),
            "rss_mib": {"after_warmup": round(warm[0][1] / MIB, 1),
                        "first_third_peak": round(first / MIB, 1),
                        "last_third_peak": round(last / MIB, 1),
                        "peak": round(max(s[1] for s in samples) / MIB, 1),
                        "end": round(rss(pid) / MIB, 1)},
            "fds": {"before": base_fds, "peak": max(s[2] for s in samples),
                    "after": open_fds(pid)},
        }
        print("soak: " + json.dumps(report), flush=True)
        assert SANITIZED or last - first < SLACK_MIB * MIB, \
            "RSS grew %.1f MiB between the first and the last third" % ((last - first) / MIB)
        ok = True
        print("PASS rss_soak")
    except BaseException:
        import traceback
        traceback.print_exc()
        print("FAIL rss_soak\n---- forklined log ----\n" + d.tail())
    finally:
        d.cleanup()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
