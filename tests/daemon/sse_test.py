#!/usr/bin/python3
"""Both SSE streams of DESIGN §5 read by an independent client (`curl -N`) from a real
forklined: history then live, id: = version / position, retry:, keepalive comments,
?until=terminal, ?after= and Last-Event-ID resumption with no gap and no duplicate, also
across a kill -9 and restart of the daemon on the same data folder; transient
step.progress without id:; filters of the global stream.
Usage: FORKLINED=path/to/forklined sse_test.py"""
import os
import socket
import struct
import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fl_daemon import (GATED_WORKFLOW, QUICK_WORKFLOW, SMALL_NOVEL, Daemon, Results,  # noqa: E402
                       check_event, wait_for)

TERMINAL = ("run.completed", "run.canceled", "run.failed")


def all_events(c, run_id):
    out, after = [], 0
    while True:
        p = c.ok("run.events", run_id=run_id, after=after)
        out += p["events"]
        if not p["next"]:
            return out
        after = p["next"]


def check_run_message(ev, run_id=None):
    """One SSE message of a run stream: event/id/data agree, data is the event plus run."""
    data = ev["data"]
    check_event(data, None)
    assert ev["event"] == data["type"], ev
    assert ev["id"] == str(data["version"]), ev
    assert set(data["run"]) >= {"status", "cursor", "autorun", "version"}, data
    assert data["run"]["version"] == data["version"], data
    assert "\n" not in ev["raw"], ev


def versions(evs):
    return [int(e["id"]) for e in evs]


def t_run_stream_history_then_live(d, c):
    run = c.ok("run.create", kind="quick", input={})["run"]
    c.ok("run.next", run_id=run["id"])
    s = d.sse("/v1/runs/%s/events" % run["id"])
    try:
        assert s.status == 200 and s.headers["content-type"].startswith("text/event-stream"), \
            (s.status, s.headers)
        hist = s.events(3)
        assert s.retry == "1000" and s.retry_after_events == 0, (s.retry, s.retry_after_events)
        assert [e["event"] for e in hist] == ["run.created", "step.started", "step.completed"]
        assert versions(hist) == [1, 2, 3], hist
        for e in hist:
            check_run_message(e)
        assert hist[0]["data"]["run"] == {"status": "queued", "cursor": 0, "autorun": False,
                                          "version": 1}, hist[0]
        assert hist[2]["data"]["run"]["cursor"] == 1, hist[2]
        c.ok("run.next", run_id=run["id"])
        c.ok("run.next", run_id=run["id"])
        live = s.until(lambda e: e["event"] == "run.completed")
        for e in live:
            check_run_message(e)
        assert versions(hist + live) == list(range(1, 9)), versions(hist + live)
        assert live[-1]["data"]["run"]["status"] == "completed", live[-1]
        stored = all_events(c, run["id"])
        assert [e["data"]["hash"] for e in hist + live] == [e["hash"] for e in stored]
    finally:
        s.close()


def t_until_terminal(d, c):
    run = c.ok("run.create", kind="quick", input={})["run"]
    s = d.sse("/v1/runs/%s/events?until=terminal" % run["id"])
    try:
        assert s.events(1)[0]["event"] == "run.created"
        c.ok("run.autorun", run_id=run["id"], enabled=True)
        rest = s.rest()  # the server ends the stream after the terminal event
        assert rest and rest[-1]["event"] == "run.completed", [e["event"] for e in rest]
        assert versions(rest) == list(range(2, 2 + len(rest))), versions(rest)
        assert s.proc.wait(60) == 0
    finally:
        s.close()
    # A run already terminal: the whole history, then the end.
    s = d.sse("/v1/runs/%s/events?until=terminal" % run["id"])
    try:
        evs = s.rest()
        assert versions(evs) == list(range(1, len(evs) + 1)) and evs[-1]["event"] == "run.completed"
    finally:
        s.close()


def t_after_and_last_event_id(d, c):
    run = c.ok("run.create", kind="quick", input={}, autorun=True)["run"]
    wait_for("run completes", lambda: c.ok("run.get", run_id=run["id"])["run"]["status"]
             == "completed")
    n = len(all_events(c, run["id"]))
    base = "/v1/runs/%s/events?until=terminal" % run["id"]
    for path, last_id, first in ((base + "&after=2", None, 3), (base, 4, 5),
                                 (base + "&after=1", 6, 7), (base + "&after=0", None, 1)):
        s = d.sse(path, last_event_id=last_id)
        try:
            assert versions(s.rest()) == list(range(first, n + 1)), (path, last_id)
        finally:
            s.close()
    # Resuming after the last event: nothing old; the stream stays open for live events.
    r2 = c.ok("run.create", kind="quick", input={})["run"]
    s = d.sse("/v1/runs/%s/events" % r2["id"], last_event_id=1)
    try:
        c.ok("run.next", run_id=r2["id"])
        assert versions(s.events(2)) == [2, 3]
    finally:
        s.close()


def t_progress_is_transient(d, c):
    gate = os.path.join(d.tmp, "gate-progress")
    run = c.ok("run.create", kind="gated", input={"gate": gate})["run"]
    s = d.sse("/v1/runs/%s/events" % run["id"])
    try:
        assert versions(s.events(1)) == [1]
        t = threading.Thread(target=lambda: d.client().ok("run.next", run_id=run["id"],
                                                          timeout=120), daemon=True)
        t.start()
        got = s.until(lambda e: e["event"] == "step.progress")
        progress = got[-1]
        assert progress["id"] is None, progress
        assert progress["data"]["run_id"] == run["id"] and progress["data"]["index"] == 0, progress
        assert "message" in progress["data"] or "delta" in progress["data"], progress
        open(gate, "w").close()
        more = s.until(lambda e: e["event"] == "step.completed")
        t.join(60)
        ids = [e["id"] for e in got + more if e["event"] != "step.progress"]
        assert ids == ["2", "3"], ids  # transient messages take no version
    finally:
        s.close()


def t_global_stream(d, c):
    a = c.ok("run.create", kind="quick", input={"g": "a"})["run"]
    b = c.ok("run.create", kind="novel_to_script", input={"text": SMALL_NOVEL})["run"]
    c.ok("run.next", run_id=a["id"])
    c.ok("run.next", run_id=b["id"])
    last = max(e["position"] for e in all_events(c, b["id"]) + all_events(c, a["id"]))
    s = d.sse("/v1/events")
    try:
        evs = s.until(lambda e: int(e["id"]) >= last)
    finally:
        s.close()
    pos = [int(e["id"]) for e in evs]
    assert pos == sorted(set(pos)), pos
    for e in evs:
        assert e["id"] == str(e["data"]["position"]) and e["event"] == e["data"]["type"], e
        assert set(e["data"]["run"]) >= {"status", "cursor", "autorun", "version"}, e
    # run.events' positions all appear on the global stream, in order.
    for r in (a, b):
        mine = [e for e in evs if e["data"]["run_id"] == r["id"]]
        assert [e["data"]["position"] for e in mine] == \
            [e["position"] for e in all_events(c, r["id"])], r["id"]
    # Filters.
    s = d.sse("/v1/events?run=" + a["id"])
    try:
        only_a = s.until(lambda e: e["event"] == "step.completed")
        assert all(e["data"]["run_id"] == a["id"] for e in only_a), only_a
        assert [e["event"] for e in only_a] == ["run.created", "step.started", "step.completed"]
    finally:
        s.close()
    s = d.sse("/v1/events?kind=novel_to_script&types=run.created,step.completed")
    try:
        got = s.until(lambda e: e["data"]["run_id"] == b["id"] and e["event"] == "step.completed")
        assert all(e["event"] in ("run.created", "step.completed") for e in got), got
        assert all(e["data"]["run_id"] != a["id"] for e in got), got
        assert b["id"] in {e["data"]["run_id"] for e in got if e["event"] == "run.created"}
    finally:
        s.close()
    # Last-Event-ID on the global stream: exactly the events after that position.
    mid = pos[len(pos) // 2]
    s = d.sse("/v1/events", last_event_id=mid)
    try:
        resumed = s.until(lambda e: int(e["id"]) >= last)
        assert [int(e["id"]) for e in resumed] == [p for p in pos if p > mid]
    finally:
        s.close()


MANY_STEPS = 40
MANY_WORKFLOW = 'kind = "many"\ndescription = "40 instant steps"\n' + "".join(
    '\n[[steps]]\nname = "s%d"\nexecutor = "exec"\n'
    'argv = ["/bin/sh", "-c", "cat >/dev/null; echo {}"]\n' % i for i in range(MANY_STEPS))


def t_join_while_live(d, c):
    """Subscribers that join while autorun appends events (history and live overlap), with
    and without Last-Event-ID, each see every version after their start exactly once."""
    run = c.ok("run.create", kind="many", input={})["run"]
    first = d.sse("/v1/runs/%s/events?until=terminal" % run["id"])
    subs = [(first, 0)]
    try:
        c.ok("run.autorun", run_id=run["id"], enabled=True)
        got = first.events(1)
        for i in range(1, 12):
            # Join after the previous subscriber saw one more event; resume from a
            # version somewhere in the history.
            got += first.events(2)
            start = (int(got[-1]["id"]) * i) // 12
            subs.append((d.sse("/v1/runs/%s/events?until=terminal" % run["id"],
                               last_event_id=start if i % 3 else None), start if i % 3 else 0))
        total = None
        for k, (s, start) in enumerate(subs):
            evs = s.rest(timeout=120)
            if s is first:
                evs = got + evs
            ids = versions(evs)
            if total is None:
                total = ids[-1]
            assert ids == list(range(start + 1, total + 1)), (k, start, ids)
            assert evs[-1]["event"] == "run.completed", (k, evs[-1])
        assert total == len(all_events(c, run["id"]))
    finally:
        for s, _ in subs:
            s.close()


def t_global_join_while_live(d, c):
    """Global subscribers joining while 6 clients append concurrently see strictly
    increasing positions and, from their start, every position the store has."""
    start_pos = c.ok("system.health")["events"]
    stop = threading.Event()

    def writer():
        w = d.client()
        while not stop.is_set():
            r = w.ok("run.create", kind="quick", input={})["run"]
            w.ok("run.next", run_id=r["id"])

    threads = [threading.Thread(target=writer, daemon=True) for _ in range(6)]
    subs = []
    try:
        for t in threads:
            t.start()
        for i in range(6):
            s = d.sse("/v1/events", last_event_id=start_pos + 5 * i)
            subs.append((s, start_pos + 5 * i, s.events(10)))
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    try:
        stored, after_id = [], None
        while True:  # every position the store has, from every run's history
            page = c.ok("run.list", limit=1000, **({"after": after_id} if after_id else {}))
            for r in page["runs"]:
                stored += [e["position"] for e in all_events(c, r["id"]) if e["run_id"] == r["id"]]
            if not page["next"]:
                break
            after_id = page["next"]
        stored.sort()
        end = stored[-1]
        for s, after, head in subs:
            evs = head + s.until(lambda e: int(e["id"]) >= end, timeout=120)
            pos = [int(e["id"]) for e in evs]
            assert pos == [p for p in stored if p > after], (after, pos)
    finally:
        for s, _, _ in subs:
            s.close()


def t_fork_stream(d, c):
    """A fork's stream: the source prefix (the source's run_id), run.forked, its own events;
    id: = version all along, and the same hashes as run.events."""
    src = c.ok("run.create", kind="quick", input={})["run"]
    c.ok("run.next", run_id=src["id"])
    c.ok("run.next", run_id=src["id"])
    fork = c.ok("run.fork", run_id=src["id"], at=1)["run"]
    c.ok("run.next", run_id=fork["id"])
    stored = all_events(c, fork["id"])
    s = d.sse("/v1/runs/%s/events" % fork["id"])
    try:
        evs = s.events(len(stored))
    finally:
        s.close()
    assert versions(evs) == list(range(1, len(stored) + 1))
    assert [e["data"]["hash"] for e in evs] == [e["hash"] for e in stored]
    assert [e["data"]["run_id"] for e in evs] == [src["id"]] * 3 + [fork["id"]] * 3, evs
    assert [e["event"] for e in evs][3] == "run.forked"
    assert evs[-1]["data"]["run"]["cursor"] == 2, evs[-1]


def metric(d, name):
    st, text, _ = d.http("GET", "/metrics")
    assert st == 200, st
    for line in text.decode().splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError("no metric " + name)


def t_subscribers_released(d, c):
    """50 subscribers that vanish (RST) are released: the subscriber gauge and the daemon's
    open files go back to where they were."""
    run = c.ok("run.create", kind="quick", input={})["run"]
    fd_dir = "/proc/%d/fd" % d.proc.pid
    base_subs = metric(d, "forkline_sse_subscribers")
    base_fds = len(os.listdir(fd_dir))
    socks = []
    for _ in range(50):
        sk = socket.create_connection(("127.0.0.1", d.hport))
        sk.sendall(("GET /v1/runs/%s/events HTTP/1.1\r\nHost: localhost\r\n\r\n" % run["id"]).encode())
        socks.append(sk)
    wait_for("50 subscribers", lambda: metric(d, "forkline_sse_subscribers") == base_subs + 50)
    for sk in socks:
        sk.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sk.close()
    c.ok("run.next", run_id=run["id"])  # something to write to them
    wait_for("subscribers released", lambda: metric(d, "forkline_sse_subscribers") == base_subs)
    wait_for("files released", lambda: len(os.listdir(fd_dir)) <= base_fds + 2)


def t_keepalive(d, c):
    run = c.ok("run.create", kind="quick", input={})["run"]
    s = d.sse("/v1/runs/%s/events" % run["id"])
    try:
        s.events(1)
        assert s.wait_comment("keepalive", timeout=60).startswith(": keepalive")
    finally:
        s.close()


def t_sse_errors(d, c):
    s = d.sse("/v1/runs/r_nope/events")
    try:
        assert s.status == 404, s.status
    finally:
        s.close()
    st, body, _ = d.http("GET", "/v1/runs/r_nope/events")
    assert st == 404 and body["error"]["code"] == "not_found", (st, body)
    st, body, _ = d.http("GET", "/v1/events?after=notanumber")
    assert st == 400 and body["error"]["code"] == "bad_request", (st, body)


def t_resume_across_kill9(_d, _c):
    """kill -9 the daemon while subscribers are attached; restart it on the same data folder;
    resume both streams with Last-Event-ID: no gap, no duplicate, live events continue."""
    d = Daemon()
    try:
        d.start()
        c = d.client()
        run = c.ok("run.create", kind="novel_to_script", input={"text": SMALL_NOVEL})["run"]
        c.ok("run.next", run_id=run["id"])
        c.ok("run.next", run_id=run["id"])
        rs = d.sse("/v1/runs/%s/events" % run["id"])
        gs = d.sse("/v1/events")
        before = rs.events(5)
        gbefore = gs.events(5)
        assert versions(before) == [1, 2, 3, 4, 5]
        d.kill9()
        assert rs.rest() == [] and gs.rest() == []  # the connections end with the process
        rs.close()
        gs.close()
        d.start()
        c = d.client()
        # One more step before anyone reconnects: resumption must deliver it from history.
        c.ok("run.next", run_id=run["id"])
        rs = d.sse("/v1/runs/%s/events?until=terminal" % run["id"],
                   last_event_id=before[-1]["id"])
        gs = d.sse("/v1/events", last_event_id=gbefore[-1]["id"])
        try:
            c.ok("run.next", run_id=run["id"])
            c.ok("run.next", run_id=run["id"])
            after = rs.rest()
            assert after[-1]["event"] == "run.completed", after[-1]
            for e in after:
                check_run_message(e)
            stored = all_events(c, run["id"])
            assert versions(before + after) == [e["version"] for e in stored]
            assert [e["data"]["hash"] for e in before + after] == [e["hash"] for e in stored]
            last_pos = stored[-1]["position"]
            gafter = gs.until(lambda e: int(e["id"]) >= last_pos)
            gall = gbefore + gafter
            assert [int(e["id"]) for e in gall] == [e["position"] for e in stored], \
                ([e["id"] for e in gall], [e["position"] for e in stored])
        finally:
            rs.close()
            gs.close()
        h = c.ok("system.health")
        assert h["runs"] == 1 and h["events"] == len(stored), h
    finally:
        d.cleanup()


def main():
    res = Results()
    d = None
    try:
        d = Daemon(workflows={"gated": GATED_WORKFLOW, "quick": QUICK_WORKFLOW,
                              "many": MANY_WORKFLOW},
                   http_extra="sse_keepalive_s = 1\n")
        d.start()
        c = d.client()
        for case in (t_run_stream_history_then_live, t_until_terminal, t_after_and_last_event_id,
                     t_progress_is_transient, t_global_stream, t_join_while_live,
                     t_global_join_while_live, t_fork_stream, t_subscribers_released,
                     t_keepalive, t_sse_errors,
                     t_resume_across_kill9):
            res.run(case.__name__[2:], case, d, c)
        res.run("daemon_still_alive", lambda: wait_for("alive", d.alive, 1))
    except BaseException:
        res.crashed()
    finally:
        res.exit([d] if d else [])


if __name__ == "__main__":
    main()
