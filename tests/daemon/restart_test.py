#!/usr/bin/python3
"""Daemon life cycle over real sockets: a long run.next never delays other replies (same
socket, other sockets, HTTP); kill -9 with a step in flight and autorun on (the step is
recorded failed/interrupted and retried, autorun goes on, an SSE subscriber resumes with
Last-Event-ID across the restart with no gap and no duplicate); idempotency keys survive a
restart; SIGTERM with a step that outlives the grace period exits 0 and records it aborted.
Usage: FORKLINED=path/to/forklined restart_test.py"""
import json
import os
import sys
import threading
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fl_daemon import GATED_WORKFLOW, QUICK_WORKFLOW, Daemon, run_suite, wait_for  # noqa: E402

# Like "gated", with two attempts so an interrupted step is retried.
RETRIED_GATED = GATED_WORKFLOW.replace('kind = "gated"', 'kind = "gated2"').replace(
    'timeout_s = 300', 'timeout_s = 300\nmax_attempts = 2')


def step_status(c, run_id, index):
    return c.ok("run.get", run_id=run_id)["run"]["steps"][index]["status"]


def t_long_next_delays_nobody(d):
    c = d.client()
    gate = os.path.join(d.tmp, "gate-long")
    run = c.ok("run.create", kind="gated", input={"gate": gate})["run"]
    # On one DEALER socket: run.next (waits for the gate), then two more requests.
    rid = "long-next"
    c.sock.send_multipart([json.dumps({"id": rid, "cmd": "run.next",
                                       "args": {"run_id": run["id"]}}).encode()])
    wait_for("step running", lambda: step_status(d.client(), run["id"], 0) == "running")
    c.sock.send_multipart([json.dumps({"id": "h1", "cmd": "system.health"}).encode()])
    c.sock.send_multipart([json.dumps({"id": "g1", "cmd": "run.get",
                                       "args": {"run_id": run["id"]}}).encode()])
    got = [json.loads(c.sock.recv_multipart()[-1]) for _ in range(2)]
    assert sorted(r["id"] for r in got) == ["g1", "h1"], got  # both before the step ended
    assert [r for r in got if r["id"] == "g1"][0]["result"]["run"]["steps"][0]["status"] == "running"
    # Other sockets, other runs, HTTP: all answered while the step is still in flight.
    other = d.client()
    q = other.ok("run.create", kind="quick", input={})["run"]
    assert other.ok("run.next", run_id=q["id"])["run"]["cursor"] == 1
    st, _, _ = d.http("GET", "/v1/runs/" + run["id"])
    assert st == 200
    assert step_status(other, run["id"], 0) == "running"
    open(gate, "w").close()
    rep = json.loads(c.raw([json.dumps({"id": "after", "cmd": "system.health"}).encode()])[-1])
    if rep["id"] == rid:  # the next's reply came first; then the health reply follows
        first = rep
        rep = json.loads(c.sock.recv_multipart()[-1])
    else:
        first = json.loads(c.sock.recv_multipart()[-1])
    assert first["id"] == rid and first["result"]["step"]["status"] == "completed", first
    assert rep["id"] == "after", rep
    assert not c.sock.poll(0), "an extra reply"


def t_kill9_with_step_in_flight(_d):
    d = Daemon(workflows={"gated2": RETRIED_GATED})
    try:
        d.start()
        c = d.client()
        gate = os.path.join(d.tmp, "gate-k9")
        run = c.ok("run.create", kind="gated2", input={"gate": gate}, autorun=True)["run"]
        wait_for("step running", lambda: step_status(c, run["id"], 0) == "running")
        s = d.sse("/v1/runs/%s/events" % run["id"])
        seen = s.until(lambda e: e["event"] == "step.started")
        d.kill9()
        seen += s.rest()  # whatever was still on its way before the connection ended
        s.close()
        open(gate, "w").close()
        d.start()
        c = d.client()
        # The last message may be a transient step.progress (no id): resume after the last
        # event that has one.
        durable = [e for e in seen if e["id"] is not None]
        s = d.sse("/v1/runs/%s/events?until=terminal" % run["id"], last_event_id=durable[-1]["id"])
        try:
            rest = [e for e in s.rest(timeout=120) if e["id"] is not None]
        finally:
            s.close()
        all_ids = [int(e["id"]) for e in durable + rest]
        assert all_ids == list(range(1, len(all_ids) + 1)), all_ids
        types = [e["event"] for e in rest]
        assert "step.failed" in types, types
        failed = [e for e in rest if e["event"] == "step.failed"][0]["data"]["data"]
        assert failed["error"]["code"] == "interrupted" and failed["index"] == 0, failed
        assert types[-1] == "run.completed", types
        final = c.ok("run.get", run_id=run["id"])["run"]
        assert final["status"] == "completed" and final["steps"][0]["attempt"] == 2, final
        stored = c.ok("run.events", run_id=run["id"])["events"]
        assert [e["hash"] for e in stored] == [e["data"]["hash"] for e in durable + rest]
    finally:
        d.cleanup()


def t_kill9_under_load_loses_nothing_acknowledged(_d):
    """8 clients create and step runs while a global SSE subscriber listens; kill -9 in the
    middle. After the restart every acknowledged run and step is there, and every event the
    subscriber saw is in the store with the same hash (published only once durable)."""
    d = Daemon(workflows={"quick": QUICK_WORKFLOW})
    try:
        d.start()
        sub = d.sse("/v1/events")
        acked = {}  # run_id -> cursor acknowledged to the client
        lock = threading.Lock()
        stop = threading.Event()

        def worker():
            c = d.client()
            while not stop.is_set():
                try:
                    run = c.ok("run.create", kind="quick", input={}, timeout=30)["run"]
                    with lock:
                        acked[run["id"]] = 0
                    for _ in range(3):
                        r = c.ok("run.next", run_id=run["id"], timeout=30)
                        with lock:
                            acked[run["id"]] = r["run"]["cursor"]
                except Exception:  # noqa: BLE001 - the daemon was killed under us
                    return

        threads = [threading.Thread(target=worker, daemon=True) for _ in range(8)]
        for t in threads:
            t.start()
        wait_for("some acknowledged steps", lambda: sum(acked.values()) >= 40, 120)
        d.kill9()
        stop.set()
        for t in threads:
            t.join(60)
        seen = sub.rest()
        sub.close()
        with lock:
            snapshot = dict(acked)
        d.start()
        c = d.client()
        for run_id, cursor in snapshot.items():
            run = c.ok("run.get", run_id=run_id)["run"]
            assert run["cursor"] >= cursor, (run_id, cursor, run)
        assert seen, "the subscriber saw nothing"
        by_run = {}
        for e in seen:
            by_run.setdefault(e["data"]["run_id"], []).append(e["data"])
        for run_id, evs in by_run.items():
            stored = {e["version"]: e["hash"] for e in c.ok("run.events", run_id=run_id)["events"]}
            for e in evs:
                assert stored.get(e["version"]) == e["hash"], ("published but lost", e)
        assert c.ok("system.health")["ok"] is True
    finally:
        d.cleanup()


def t_idempotency_survives_restart(_d):
    d = Daemon(workflows={"quick": QUICK_WORKFLOW})
    try:
        d.start()
        c = d.client()
        key = "restart-" + uuid.uuid4().hex
        a = c.ok("run.create", key=key, kind="quick", input={"n": 1})["run"]
        n1 = c.ok("run.next", key=key + "-next", run_id=a["id"])
        d.kill9()
        d.start()
        c = d.client()
        b = c.ok("run.create", key=key, kind="quick", input={"n": 1})["run"]
        assert b["id"] == a["id"], (a, b)
        n2 = c.ok("run.next", key=key + "-next", run_id=a["id"])
        assert n2["step"] == n1["step"], (n1, n2)
        assert c.ok("run.get", run_id=a["id"])["run"]["cursor"] == 1
        assert c.err("run.create", key=key, kind="quick", input={"n": 2})["code"] == "conflict"
        assert c.ok("system.health")["runs"] == 1
    finally:
        d.cleanup()


def t_sigterm_grace(_d):
    d = Daemon(workflows={"gated": GATED_WORKFLOW},
               extra_toml="[engine]\nshutdown_grace_s = 1\n")
    try:
        d.start()
        c = d.client()
        gate = os.path.join(d.tmp, "gate-term")
        run = c.ok("run.create", kind="gated", input={"gate": gate})["run"]
        pending = d.client()
        pending.sock.send_multipart([json.dumps({"id": "n", "cmd": "run.next",
                                                 "args": {"run_id": run["id"]}}).encode()])
        wait_for("step running", lambda: step_status(c, run["id"], 0) == "running")
        sub = d.sse("/v1/runs/%s/events" % run["id"])
        sub.until(lambda e: e["event"] == "step.started")
        assert d.stop(timeout=60) == 0, d.tail()
        sub.rest()  # SIGTERM closes the stream (this would hang, up to its guard, if not)
        sub.close()
        d.start()
        c = d.client()
        got = c.ok("run.get", run_id=run["id"])["run"]
        assert got["steps"][0]["status"] == "aborted" and got["cursor"] == 0, got
        open(gate, "w").close()
        r = c.ok("run.next", run_id=run["id"])
        assert r["step"]["status"] == "completed" and r["run"]["cursor"] == 1, r
    finally:
        d.cleanup()


def main():
    run_suite(lambda: Daemon(workflows={"gated": GATED_WORKFLOW, "quick": QUICK_WORKFLOW}),
              (t_long_next_delays_nobody, t_kill9_with_step_in_flight,
               t_kill9_under_load_loses_nothing_acknowledged, t_idempotency_survives_restart, t_sigterm_grace))


if __name__ == "__main__":
    main()
