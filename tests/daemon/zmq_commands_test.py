#!/usr/bin/python3
"""Every command of DESIGN §4 over ZeroMQ from an independent client (pyzmq, DEALER and
REQ) against a real forklined: result shapes, state changes and error codes.
Usage: FORKLINED=path/to/forklined zmq_commands_test.py"""
import json
import os
import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zmq  # noqa: E402

from fl_daemon import (FLAKY_WORKFLOW, GATED_WORKFLOW, QUICK_WORKFLOW, SMALL_NOVEL,  # noqa: E402
                       Daemon, Results, check_event, check_run, check_step, wait_for)

NOVEL_STEPS = ["ingest", "characters", "scenes", "screenplay", "assemble"]


class AsyncCall:
    """A command sent on its own DEALER socket whose reply is collected on a thread, for
    commands (run.next) that answer only when a step ends."""

    def __init__(self, d, cmd, **args):
        self.client = d.client()
        self.reply = None
        self.error = None
        self.thread = threading.Thread(target=self._run, args=(cmd, args), daemon=True)
        self.thread.start()

    def _run(self, cmd, args):
        try:
            self.reply = self.client.call(cmd, timeout=120, **args)
        except Exception as e:  # noqa: BLE001 - surfaced by result()
            self.error = e

    def result(self, timeout=120):
        self.thread.join(timeout)
        if self.thread.is_alive():
            raise TimeoutError("no reply")
        if self.error:
            raise self.error
        return self.reply


def step_status(c, run_id, index):
    return c.ok("run.get", run_id=run_id)["run"]["steps"][index]["status"]


def t_workflows_list(d, c):
    wfs = c.ok("workflows.list")["workflows"]
    by_kind = {w["kind"]: w for w in wfs}
    assert {"novel_to_script", "gated", "flaky", "quick"} <= set(by_kind), list(by_kind)
    for w in wfs:
        assert set(w) >= {"kind", "description", "steps"}, w
        assert isinstance(w["description"], str), w
        for s in w["steps"]:
            assert set(s) >= {"name", "executor"}, s
    novel = by_kind["novel_to_script"]
    assert [s["name"] for s in novel["steps"]] == NOVEL_STEPS, novel
    assert all(s["executor"] == "builtin" for s in novel["steps"]), novel
    assert [s["executor"] for s in by_kind["gated"]["steps"]] == ["exec", "exec"]


def t_system_health(d, c):
    h = c.ok("system.health")
    assert set(h) >= {"ok", "version", "store", "uptime_s", "runs", "events"}, h
    assert h["ok"] is True and isinstance(h["version"], str) and h["version"], h
    assert h["store"] == "rocksdb", h
    assert isinstance(h["uptime_s"], (int, float)) and h["uptime_s"] >= 0, h
    c.ok("run.create", kind="quick", input={})
    h2 = c.ok("system.health")
    assert h2["runs"] == h["runs"] + 1 and h2["events"] == h["events"] + 1, (h, h2)


def t_create_get(d, c):
    run = c.ok("run.create", kind="novel_to_script", input={"text": SMALL_NOVEL},
               title="Small")["run"]
    check_run(run)
    assert run["id"] and run["kind"] == "novel_to_script" and run["title"] == "Small", run
    assert run["status"] == "queued" and run["cursor"] == 0 and run["total_steps"] == 5, run
    assert run["version"] == 1 and run["autorun"] is False and run["parent"] is None, run
    assert run["input"] == {"text": SMALL_NOVEL}, run
    assert [s["name"] for s in run["steps"]] == NOVEL_STEPS
    assert all(s["status"] == "pending" for s in run["steps"]), run["steps"]
    got = c.ok("run.get", run_id=run["id"])["run"]
    check_run(got)
    assert got == run, (got, run)


def t_next_to_completion(d, c):
    run = c.ok("run.create", kind="novel_to_script", input={"text": SMALL_NOVEL})["run"]
    for i in range(5):
        r = c.ok("run.next", run_id=run["id"], timeout=120)
        assert set(r) >= {"run", "step"}, r
        check_run(r["run"])
        check_step(r["step"], i)
        assert r["step"]["status"] == "completed" and r["step"]["name"] == NOVEL_STEPS[i], r["step"]
        assert r["step"]["attempt"] == 1 and r["step"]["executor"] == "builtin", r["step"]
        assert r["run"]["cursor"] == i + 1, r["run"]
        assert r["run"]["status"] == ("completed" if i == 4 else "running"), r["run"]
        assert r["run"]["steps"][i] == r["step"], (r["run"]["steps"][i], r["step"])
    final = c.ok("run.get", run_id=run["id"])["run"]
    fountain = final["steps"][4]["output"]["fountain"]
    assert isinstance(fountain, str) and fountain.strip(), final["steps"][4]
    assert c.err("run.next", run_id=run["id"])["code"] == "conflict"


def t_list(d, c):
    made = [c.ok("run.create", kind="quick", input={"i": i}, title="list-%d" % i)["run"]["id"]
            for i in range(5)]
    c.ok("run.next", run_id=made[0])
    page = c.ok("run.list")
    assert set(page) >= {"runs", "next"}, page
    for s in page["runs"]:
        check_run(s, full=False)
    seen, after = [], None
    while True:
        args = {"limit": 2, "kind": "quick"}
        if after:
            args["after"] = after
        p = c.ok("run.list", **args)
        assert len(p["runs"]) <= 2, p
        assert all(s["kind"] == "quick" for s in p["runs"]), p
        seen += [s["id"] for s in p["runs"]]
        if not p["next"]:
            break
        after = p["next"]
    assert len(seen) == len(set(seen)), seen
    assert set(made) <= set(seen), (made, seen)
    running = c.ok("run.list", status="running", kind="quick")["runs"]
    assert made[0] in [s["id"] for s in running], running
    assert all(s["status"] == "running" for s in running), running
    queued = [s["id"] for s in c.ok("run.list", status="queued", kind="quick", limit=1000)["runs"]]
    assert set(made[1:]) <= set(queued) and made[0] not in queued, queued
    assert c.err("run.list", limit="x")["code"] == "bad_request"
    # limit 0 with runs present: an answer (an error, or an empty page), never a crash.
    # (RunRegistry::List called back() on the empty page: forklined died of it.)
    rep = c.call("run.list", limit=0, timeout=30)
    assert (rep["ok"] is False and rep["error"]["code"] == "bad_request") or \
        (rep["ok"] is True and rep["result"]["runs"] == []), rep
    assert d.alive() and c.ok("system.health")["ok"] is True


def t_pause_resume(d, c):
    gate = os.path.join(d.tmp, "gate-pause")
    run = c.ok("run.create", kind="gated", input={"gate": gate})["run"]
    nxt = AsyncCall(d, "run.next", run_id=run["id"])
    wait_for("step 0 running", lambda: step_status(c, run["id"], 0) == "running")
    assert c.err("run.next", run_id=run["id"])["code"] == "conflict"  # a step is in flight
    paused = c.ok("run.pause", run_id=run["id"])["run"]
    check_run(paused)
    assert paused["status"] == "paused", paused
    open(gate, "w").close()
    r = nxt.result()
    assert r["ok"] is True, r
    assert r["result"]["step"]["status"] == "completed" and r["result"]["run"]["cursor"] == 1, r
    got = c.ok("run.get", run_id=run["id"])["run"]
    assert got["status"] == "paused" and got["cursor"] == 1, got  # the in-flight step is kept
    assert c.err("run.next", run_id=run["id"])["code"] == "conflict"
    resumed = c.ok("run.resume", run_id=run["id"])["run"]
    assert resumed["status"] == "running" and resumed["cursor"] == 1, resumed
    done = c.ok("run.next", run_id=run["id"])
    assert done["run"]["status"] == "completed" and done["run"]["cursor"] == 2, done
    assert c.err("run.resume", run_id=run["id"])["code"] == "conflict"


def t_pause_abort_step(d, c):
    gate = os.path.join(d.tmp, "gate-abort")
    run = c.ok("run.create", kind="gated", input={"gate": gate})["run"]
    nxt = AsyncCall(d, "run.next", run_id=run["id"])
    wait_for("step 0 running", lambda: step_status(c, run["id"], 0) == "running")
    paused = c.ok("run.pause", run_id=run["id"], abort_step=True)["run"]
    assert paused["status"] == "paused", paused
    r = nxt.result()
    # The waiting run.next is answered once: with the aborted step, or an error.
    if r["ok"]:
        assert r["result"]["step"]["status"] == "aborted", r
    got = c.ok("run.get", run_id=run["id"])["run"]
    assert got["cursor"] == 0 and got["steps"][0]["status"] == "aborted", got
    c.ok("run.resume", run_id=run["id"])
    open(gate, "w").close()
    r = c.ok("run.next", run_id=run["id"])
    assert r["step"]["status"] == "completed" and r["step"]["attempt"] == 2, r["step"]


def t_autorun(d, c):
    run = c.ok("run.create", kind="novel_to_script", input={"text": SMALL_NOVEL})["run"]
    on = c.ok("run.autorun", run_id=run["id"], enabled=True)["run"]
    check_run(on)
    assert on["autorun"] is True, on
    done = wait_for("autorun to complete",
                    lambda: (lambda r: r if r["status"] == "completed" else None)(
                        c.ok("run.get", run_id=run["id"])["run"]), 120)
    assert done["cursor"] == 5, done
    assert c.err("run.autorun", run_id=run["id"], enabled=True)["code"] == "conflict"
    auto = c.ok("run.create", kind="quick", input={}, autorun=True)["run"]
    assert auto["autorun"] is True, auto
    wait_for("autorun create to complete",
             lambda: c.ok("run.get", run_id=auto["id"])["run"]["status"] == "completed", 120)
    # autorun off on a gated run: the step in flight ends, no further step starts.
    gate = os.path.join(d.tmp, "gate-autorun")
    g = c.ok("run.create", kind="gated", input={"gate": gate}, autorun=True)["run"]
    wait_for("gated step running", lambda: step_status(c, g["id"], 0) == "running")
    off = c.ok("run.autorun", run_id=g["id"], enabled=False)["run"]
    assert off["autorun"] is False, off
    open(gate, "w").close()
    wait_for("step 0 completed", lambda: step_status(c, g["id"], 0) == "completed")
    got = c.ok("run.get", run_id=g["id"])["run"]
    assert got["cursor"] == 1 and got["status"] == "running", got


def t_cancel(d, c):
    gate = os.path.join(d.tmp, "gate-cancel")
    run = c.ok("run.create", kind="gated", input={"gate": gate})["run"]
    nxt = AsyncCall(d, "run.next", run_id=run["id"])
    wait_for("step 0 running", lambda: step_status(c, run["id"], 0) == "running")
    canceled = c.ok("run.cancel", run_id=run["id"])["run"]
    check_run(canceled)
    assert canceled["status"] == "canceled", canceled
    nxt.result()  # answered, one way or the other
    got = c.ok("run.get", run_id=run["id"])["run"]
    assert got["status"] == "canceled" and got["steps"][0]["status"] == "aborted", got
    for cmd in ("run.next", "run.cancel", "run.resume"):
        assert c.err(cmd, run_id=run["id"])["code"] == "conflict", cmd


def t_retry(d, c):
    flag = os.path.join(d.tmp, "flag-retry")
    run = c.ok("run.create", kind="flaky", input={"flag": flag})["run"]
    r = c.ok("run.next", run_id=run["id"])
    assert r["step"]["status"] == "failed" and r["run"]["status"] == "failed", r
    assert set(r["step"]["error"]) >= {"code", "message"}, r["step"]
    assert c.err("run.next", run_id=run["id"])["code"] == "conflict"
    open(flag, "w").close()
    retried = c.ok("run.retry", run_id=run["id"])["run"]
    check_run(retried)
    assert retried["status"] == "running" and retried["cursor"] == 0, retried
    r = c.ok("run.next", run_id=run["id"])
    assert r["step"]["status"] == "completed" and r["step"]["attempt"] == 2, r["step"]
    assert r["run"]["status"] == "completed", r["run"]
    assert c.err("run.retry", run_id=run["id"])["code"] == "conflict"


def t_fork_lineage_events(d, c):
    src = c.ok("run.create", kind="quick", input={"q": 1}, title="src")["run"]
    for _ in range(3):
        c.ok("run.next", run_id=src["id"])
    src = c.ok("run.get", run_id=src["id"])["run"]
    fork = c.ok("run.fork", run_id=src["id"], at=2)["run"]
    check_run(fork)
    assert fork["id"] != src["id"] and fork["status"] == "queued" and fork["cursor"] == 2, fork
    assert fork["autorun"] is False and fork["parent"]["run_id"] == src["id"], fork
    assert fork["parent"]["at"] == 2, fork
    assert [s["output"] for s in fork["steps"][:2]] == [{"a": 1}, {"b": 2}], fork["steps"]
    assert fork["steps"][2]["status"] == "pending", fork["steps"]
    assert c.ok("run.get", run_id=src["id"])["run"] == src  # the source is untouched
    edited = c.ok("run.fork", run_id=src["id"], at=1, title="edited",
                  override={"output": {"a": 100}})["run"]
    assert edited["title"] == "edited" and edited["steps"][0]["output"] == {"a": 100}, edited
    final = c.ok("run.fork", run_id=src["id"], at=3)["run"]
    assert final["status"] == "completed" and final["cursor"] == 3, final
    deflt = c.ok("run.fork", run_id=src["id"])["run"]
    assert deflt["cursor"] == src["cursor"], deflt
    ff = c.ok("run.fork", run_id=fork["id"], at=1)["run"]  # a fork of a fork
    assert ff["parent"]["run_id"] == fork["id"] and ff["cursor"] == 1, ff
    r = c.ok("run.next", run_id=fork["id"])
    assert r["step"]["index"] == 2 and r["run"]["status"] == "completed", r

    lin = c.ok("run.lineage", run_id=ff["id"])
    assert set(lin) >= {"root", "runs"} and lin["root"] == src["id"], lin
    by_id = {x["run_id"]: x for x in lin["runs"]}
    assert {src["id"], fork["id"], edited["id"], final["id"], deflt["id"], ff["id"]} <= set(by_id)
    for x in lin["runs"]:
        assert set(x) >= {"run_id", "parent_run_id", "at", "status"}, x
    assert by_id[src["id"]]["parent_run_id"] is None, by_id[src["id"]]
    assert by_id[ff["id"]]["parent_run_id"] == fork["id"] and by_id[ff["id"]]["at"] == 1
    assert by_id[fork["id"]]["status"] == "completed"

    # The fork's history: the source prefix, run.forked, then its own events.
    evs = c.ok("run.events", run_id=fork["id"])
    assert set(evs) >= {"events", "next"}, evs
    es = evs["events"]
    for e in es:
        check_event(e)
    assert [e["version"] for e in es] == list(range(1, len(es) + 1)), es
    forked = [e for e in es if e["type"] == "run.forked"]
    assert len(forked) == 1, es
    fv = forked[0]["version"]
    assert fv == fork["parent"]["version"] + 1, (forked, fork["parent"])
    assert all(e["run_id"] == src["id"] for e in es[:fv - 1]), es
    assert all(e["run_id"] == fork["id"] for e in es[fv - 1:]), es
    assert set(forked[0]["data"]) >= {"source_run_id", "source_version", "at", "override", "title"}
    assert forked[0]["prev_hash"] == es[fv - 2]["hash"], forked[0]
    for a, b in zip(es, es[1:]):
        assert b["prev_hash"] == a["hash"], (a, b)
    # Paging with after/limit gives the same events.
    paged, after = [], 0
    while True:
        p = c.ok("run.events", run_id=fork["id"], after=after, limit=2)
        assert len(p["events"]) <= 2, p
        paged += p["events"]
        if not p["next"]:
            break
        after = p["next"]
    assert paged == es, (paged, es)
    assert c.ok("run.events", run_id=fork["id"], after=len(es))["events"] == []


def t_idempotency_and_expect_version(d, c):
    a = c.ok("run.create", key="k-create-1", kind="quick", input={"k": 1})["run"]
    b = c.ok("run.create", key="k-create-1", kind="quick", input={"k": 1})["run"]
    assert a["id"] == b["id"], (a, b)
    assert c.err("run.create", key="k-create-1", kind="quick", input={"k": 2})["code"] == "conflict"
    assert c.err("run.next", run_id=a["id"], expect_version=99)["code"] == "conflict"
    r = c.ok("run.next", run_id=a["id"], expect_version=1)
    assert r["run"]["cursor"] == 1, r


def t_req_socket(d, c):
    req = d.client(kind=zmq.REQ)
    frames = req.raw([json.dumps({"id": "req-1", "cmd": "system.health"}).encode()])
    rep = json.loads(frames[-1])
    assert rep["id"] == "req-1" and rep["ok"] is True, rep
    frames = req.raw([json.dumps({"id": "req-2", "cmd": "run.get",
                                  "args": {"run_id": "r_nope"}}).encode()])
    rep = json.loads(frames[-1])
    assert rep["id"] == "req-2" and rep["error"]["code"] == "not_found", rep
    # DEALER speaking the REQ envelope: the empty delimiter comes back.
    frames = c.raw([b"", json.dumps({"id": "env", "cmd": "system.health"}).encode()])
    assert len(frames) == 2 and frames[0] == b"" and json.loads(frames[1])["id"] == "env", frames


def t_one_reply_each(d, c):
    """Two run.next at once on one run: one runs the step, the other gets conflict; 500
    pipelined requests on one socket: 500 replies, each id once; a client that vanished
    while its run.next was in flight does not disturb anyone."""
    gate = os.path.join(d.tmp, "gate-race")
    run = c.ok("run.create", kind="gated", input={"gate": gate})["run"]
    a, b = AsyncCall(d, "run.next", run_id=run["id"]), AsyncCall(d, "run.next", run_id=run["id"])
    wait_for("step 0 running", lambda: step_status(c, run["id"], 0) == "running")
    wait_for("one of the two refused", lambda: a.reply or b.reply)
    open(gate, "w").close()
    replies = [a.result(), b.result()]
    codes = sorted("ok" if r["ok"] else r["error"]["code"] for r in replies)
    assert codes == ["conflict", "ok"], replies
    assert c.ok("run.get", run_id=run["id"])["run"]["cursor"] == 1

    p = d.client()
    for i in range(500):
        p.sock.send_multipart([json.dumps({"id": i, "cmd": "run.get",
                                           "args": {"run_id": run["id"]}}).encode()])
    ids = []
    while len(ids) < 500:
        assert p.sock.poll(60000), "lost replies: got %d of 500" % len(ids)
        ids.append(json.loads(p.sock.recv_multipart()[-1])["id"])
    assert sorted(ids) == list(range(500)), ids
    assert c.ok("system.health")["ok"] is True

    gate2 = os.path.join(d.tmp, "gate-vanish")
    r2 = c.ok("run.create", kind="gated", input={"gate": gate2})["run"]
    gone = d.client()
    gone.sock.send_multipart([json.dumps({"id": "v", "cmd": "run.next",
                                          "args": {"run_id": r2["id"]}}).encode()])
    wait_for("step 0 running", lambda: step_status(c, r2["id"], 0) == "running")
    gone.close()
    open(gate2, "w").close()
    wait_for("step 0 completed", lambda: step_status(c, r2["id"], 0) == "completed")
    assert c.ok("system.health")["ok"] is True
    wait_for("the dropped reply logged", lambda: "reply dropped" in d.tail(100000), 30)


def t_errors(d, c):
    for cmd in ("run.get", "run.next", "run.pause", "run.resume", "run.cancel", "run.retry",
                "run.fork", "run.events", "run.lineage"):
        e = c.err(cmd, run_id="r_does_not_exist")
        assert e["code"] == "not_found", (cmd, e)
        e = c.err(cmd)
        assert e["code"] == "bad_request" and "run_id" in e["message"], (cmd, e)
    assert c.err("run.autorun", run_id="r_does_not_exist", enabled=True)["code"] == "not_found"
    assert c.err("run.autorun", run_id="r_x")["code"] == "bad_request"
    e = c.err("no.such.command")
    assert e["code"] == "bad_request" and "no.such.command" in e["message"], e
    assert c.err("run.create", kind="no_such_kind", input={})["code"] in ("bad_request", "not_found")
    assert c.err("run.create", kind="quick", input="not an object")["code"] == "bad_request"
    assert c.err("run.create", input={})["code"] == "bad_request"
    assert c.err("run.get", run_id=5)["code"] == "bad_request"
    run = c.ok("run.create", kind="quick", input={})["run"]
    assert c.err("run.fork", run_id=run["id"], at=9)["code"] in ("bad_request", "conflict")
    assert c.err("run.events", run_id=run["id"], limit=-1)["code"] == "bad_request"


def main():
    d = Daemon(workflows={"gated": GATED_WORKFLOW, "flaky": FLAKY_WORKFLOW,
                          "quick": QUICK_WORKFLOW},
               extra_toml="[engine]\nmax_concurrent_steps = 8\n")
    res = Results()
    try:
        d.start()
        c = d.client()
        for case in (t_workflows_list, t_system_health, t_create_get, t_next_to_completion,
                     t_list, t_pause_resume, t_pause_abort_step, t_autorun, t_cancel, t_retry,
                     t_fork_lineage_events, t_idempotency_and_expect_version, t_req_socket,
                     t_one_reply_each, t_errors):
            res.run(case.__name__[2:], case, d, c)
        res.run("daemon_still_alive", lambda: wait_for("alive", d.alive, 1))
    except BaseException:
        res.crashed()
    finally:
        res.exit([d])


if __name__ == "__main__":
    main()
