#!/usr/bin/python3
"""A slow SSE subscriber (it never reads; http.sse_queue_limit is small) is cut off while a
fast one (curl -N) receives every event; the slow one then resumes with Last-Event-ID and
loses nothing; commands keep being answered throughout.
Usage: FORKLINED=path/to/forklined sse_slow_test.py"""
import json
import os
import socket
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fl_daemon import QUICK_WORKFLOW, Daemon, Results, wait_for  # noqa: E402

PAD = "x" * (256 * 1024)  # each run.created event carries this input: ~256 KiB a frame
RUNS = 48                 # ~12 MiB of frames: more than any socket buffers hold


def slow_disconnects(d):
    st, text, _ = d.http("GET", "/metrics")
    assert st == 200, st
    for line in text.decode().splitlines():
        if line.startswith("forkline_sse_disconnects_total") and 'reason="slow"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def subscribers(d):
    st, text, _ = d.http("GET", "/metrics")
    for line in text.decode().splitlines():
        if line.startswith("forkline_sse_subscribers"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError("no forkline_sse_subscribers metric")


def parse_sse(raw):
    """Complete events of a raw SSE body: [(id, type, data)]; a cut-off tail is dropped."""
    out = []
    text = raw.decode("utf-8", "replace")
    body = text.split("\r\n\r\n", 1)[1] if "\r\n\r\n" in text else ""
    blocks = body.split("\n\n")
    for block in blocks[:-1]:  # the last piece is unterminated (or empty)
        ev = {"id": None, "event": None, "data": []}
        for line in block.split("\n"):
            if line.startswith(":") or not line:
                continue
            k, _, v = line.partition(":")
            v = v[1:] if v.startswith(" ") else v
            if k == "data":
                ev["data"].append(v)
            elif k in ("id", "event"):
                ev[k] = v
        if ev["data"]:
            out.append((ev["id"], ev["event"], json.loads("\n".join(ev["data"]))))
    return out


def t_slow_cut_fast_keeps_up(d, c):
    base_disconnects = slow_disconnects(d)
    # The slow subscriber: a tiny receive buffer, a request, and then no reading at all.
    slow = socket.socket()
    slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    slow.connect(("127.0.0.1", d.hport))
    slow.sendall(b"GET /v1/events?types=run.created HTTP/1.1\r\nHost: localhost\r\n"
                 b"Accept: text/event-stream\r\n\r\n")
    fast = d.sse("/v1/events?types=run.created")
    try:
        assert fast.status == 200
        wait_for("two SSE subscribers", lambda: subscribers(d) >= 2)
        created = []
        for i in range(RUNS):
            created.append(c.ok("run.create", kind="quick", input={"i": i, "pad": PAD})["run"]["id"])
        # Every command was answered; the fast subscriber gets every event, in order.
        got = fast.events(RUNS, timeout=120)
        assert [e["data"]["run_id"] for e in got] == created, "fast subscriber lost events"
        assert all(e["data"]["data"]["input"]["pad"] == PAD for e in got)
        wait_for("the slow subscriber to be cut off",
                 lambda: slow_disconnects(d) > base_disconnects, 120)
        # The fast one still receives live events after the cut.
        more = c.ok("run.create", kind="quick", input={"after": "cut"})["run"]["id"]
        assert fast.events(1)[0]["data"]["run_id"] == more
        created.append(more)
        # The slow one now reads what reached it: a gap-free prefix, then the end.
        slow.settimeout(60)
        raw = b""
        while True:
            chunk = slow.recv(1 << 20)
            if not chunk:
                break
            raw += chunk
        seen = parse_sse(raw)
        assert raw.startswith(b"HTTP/1.1 200"), raw[:100]
        assert len(seen) < len(created), "the slow subscriber got everything: not cut off"
        assert [s[2]["run_id"] for s in seen] == created[:len(seen)], "gap in the slow prefix"
        # It resumes with Last-Event-ID and loses nothing.
        last_id = seen[-1][0] if seen else None
        resumed = d.sse("/v1/events?types=run.created", last_event_id=last_id)
        try:
            rest = resumed.events(len(created) - len(seen), timeout=120)
            assert [e["data"]["run_id"] for e in rest] == created[len(seen):]
        finally:
            resumed.close()
    finally:
        slow.close()
        fast.close()
    assert c.ok("system.health")["ok"] is True


def main():
    res = Results()
    d = None
    try:
        d = Daemon(workflows={"quick": QUICK_WORKFLOW}, http_extra="sse_queue_limit = 4\n",
                   zmq_extra="max_message_bytes = 4194304\n")
        d.start()
        c = d.client()
        res.run("slow_cut_fast_keeps_up", t_slow_cut_fast_keeps_up, d, c)
        res.run("daemon_still_alive", lambda: wait_for("alive", d.alive, 1))
    except BaseException:
        res.crashed()
    finally:
        res.exit([d] if d else [])


if __name__ == "__main__":
    main()
