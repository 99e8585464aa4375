#!/usr/bin/python3
"""Deeply nested JSON that the daemon accepts must stay readable: a step output nested 40
levels deep (the exec executor accepts up to 1000) and a run input nested 31 deep (accepted
over HTTP; its run.events reply once crashed forklined) must not make the run unreadable, crash forklined, or stop it from starting
again on the same data folder (a poison-pill event).
Usage: FORKLINED=path/to/forklined deep_json_test.py"""
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fl_daemon import QUICK_WORKFLOW, Daemon, Results, wait_for  # noqa: E402

DEEP_WORKFLOW = '''
kind = "deep"
description = "an output nested 40 deep, then an instant step"

[[steps]]
name = "deep"
executor = "exec"
argv = ["/usr/bin/python3", "-c", "import sys; sys.stdin.read(); print('{\\"a\\":' * 40 + '1' + '}' * 40)"]

[[steps]]
name = "after"
executor = "exec"
argv = ["/bin/sh", "-c", "cat >/dev/null; echo '{}'"]
'''


def nested(depth):
    v = 1
    for _ in range(depth):
        v = {"a": v}
    return v


def readable(d, c, run_id):
    """run.get, run.events, the HTTP run and its SSE history all answer."""
    got = c.ok("run.get", run_id=run_id)["run"]
    evs = c.ok("run.events", run_id=run_id)["events"]
    assert [e["version"] for e in evs] == list(range(1, got["version"] + 1)), evs
    st, body, _ = d.http("GET", "/v1/runs/" + run_id)
    assert st == 200, (st, body)
    s = d.sse("/v1/runs/%s/events" % run_id)
    try:
        assert s.status == 200, s.status
        assert [int(e["id"]) for e in s.events(len(evs))] == list(range(1, len(evs) + 1))
    finally:
        s.close()
    return got


def t_deep_step_output(d, c):
    run = c.ok("run.create", kind="deep", input={})["run"]
    r = c.ok("run.next", run_id=run["id"])
    step = r["step"]
    # Either the step fails cleanly (output too deep) or it completes with the output whole.
    assert step["status"] in ("completed", "failed"), step
    if step["status"] == "completed":
        assert step["output"] == nested(40)["a"] or step["output"] == nested(40), step
    got = readable(d, c, run["id"])
    assert got["steps"][0]["status"] == step["status"], got


def t_deep_http_input(d, c):
    # 31 levels: the deepest input an HTTP body (depth limit 32) lets through.
    st, body, _ = d.http("POST", "/v1/runs", {"kind": "quick", "input": nested(31)})
    assert st in (201, 400), (st, body)
    if st == 201:
        rid = body["run"]["id"]
        c.ok("run.next", run_id=rid)
        readable(d, c, rid)


def t_restart_reads_everything(d, c):
    ids = [r["id"] for r in c.ok("run.list", limit=1000)["runs"]]
    d.kill9()
    d.start()
    c2 = d.client()
    for rid in ids:
        readable(d, c2, rid)


def main():
    res = Results()
    d = None
    try:
        d = Daemon(workflows={"deep": DEEP_WORKFLOW, "quick": QUICK_WORKFLOW})
        d.start()
        c = d.client()
        for case in (t_deep_step_output, t_deep_http_input, t_restart_reads_everything):
            res.run(case.__name__[2:], case, d, c)
            if not d.alive():  # a crash or a refused restart: say so, and start afresh
                print("forklined is down after %s:\n%s" % (case.__name__, d.tail()), flush=True)
                res.failed.append("daemon_down_after_" + case.__name__[2:])
                break
        res.run("daemon_still_alive", lambda: wait_for("alive", d.alive, 1))
    except BaseException:
        res.crashed()
    finally:
        res.exit([d] if d else [])


if __name__ == "__main__":
    main()
