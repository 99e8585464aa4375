"""clients/python/forkline.py against a real forklined: every command method, typed errors,
idempotency keys, watch() (history then live, Last-Event-ID resumption, resumption across
a kill -9 and restart of the daemon, the global stream with filters), and the example
clients/python/examples/novel_to_script.py in both modes.
Usage: FORKLINED=path/to/forklined FORKLINE_SOURCE_DIR=repo python_client_test.py"""
import os
import subprocess
import sys
import threading

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("FORKLINE_SOURCE_DIR") or os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(SOURCE, "clients", "python"))
sys.path.insert(0, HERE)
import forkline  # noqa: E402
from ops_util import fl_daemon  # noqa: E402

TOKEN = "py-client-token"
WORKFLOWS = {"gated": fl_daemon.GATED_WORKFLOW, "flaky": fl_daemon.FLAKY_WORKFLOW,
             "quick": fl_daemon.QUICK_WORKFLOW}


def client(d, **kw):
    return forkline.Client(d.endpoint, http="127.0.0.1:%d" % d.hport, token=TOKEN, **kw)


def t_commands(d):
    with client(d) as fl:
        kinds = {w["kind"] for w in fl.workflows()}
        assert {"novel_to_script", "quick", "gated", "flaky"} <= kinds, kinds
        assert fl.health()["ok"] is True
        run = fl.create("quick", {"n": 1}, title="py")
        fl_daemon.check_run(run)
        assert run["status"] == "queued" and run["title"] == "py"
        done = fl.next(run["id"])
        assert done["step"]["name"] == "a" and done["run"]["cursor"] == 1, done
        assert fl.get(run["id"])["steps"][0]["output"] == {"a": 1}
        assert fl.output(run["id"], "a") == {"a": 1} and fl.output(run["id"], 0) == {"a": 1}
        page = fl.events(run["id"])
        assert [e["version"] for e in page["events"]] == [1, 2, 3], page
        fork = fl.fork(run["id"], at=1, title="branch", override={"a": 42})
        assert fork["parent"]["run_id"] == run["id"] and fork["cursor"] == 1, fork
        assert fl.get(fork["id"])["steps"][0]["output"] == {"a": 42}
        lineage = fl.lineage(fork["id"])
        assert lineage["root"] == run["id"], lineage
        assert {r["run_id"] for r in lineage["runs"]} == {run["id"], fork["id"]}
        assert fl.autorun(fork["id"], True)["autorun"] is True
        last = list(fl.watch(fork["id"], until_terminal=True))[-1]
        assert last.type == "run.completed" and last.run["status"] == "completed", last
        # Paging through list().
        for i in range(5):
            fl.create("quick", {"i": i})
        seen = [r["id"] for r in fl.runs(kind="quick", page=2)]
        assert len(seen) == len(set(seen)) >= 7, seen
        listed = fl.list(kind="quick", limit=2)
        assert len(listed["runs"]) == 2 and listed["next"], listed


def t_control_commands(d):
    gate = os.path.join(d.tmp, "gate-control")
    with client(d) as fl:
        run = fl.create("gated", {"gate": gate})
        result = {}
        stepping = threading.Thread(target=lambda: result.update(fl2_next(d, run["id"])))
        stepping.start()
        fl_daemon.wait_for("step in flight", lambda: fl.get(run["id"])["steps"][0]["status"] == "running")
        assert fl.pause(run["id"])["status"] == "paused"
        with open(gate, "w"):
            pass
        stepping.join(60)
        assert result["step"]["status"] == "completed", result
        try:
            fl.next(run["id"])
            raise AssertionError("next on a paused run was accepted")
        except forkline.Conflict as e:
            assert e.code == "conflict" and "paused" in e.message, e
        assert fl.resume(run["id"])["status"] == "running"
        assert fl.cancel(run["id"])["status"] == "canceled"
        # retry: a failed run back to running.
        flag = os.path.join(d.tmp, "flag-control")
        flaky = fl.create("flaky", {"flag": flag})
        assert fl.next(flaky["id"])["run"]["status"] == "failed"
        with open(flag, "w"):
            pass
        assert fl.retry(flaky["id"])["status"] == "running"
        assert fl.next(flaky["id"])["run"]["status"] == "completed"


def fl2_next(d, run_id):
    with client(d) as other:  # a second client: the first stays free for pause
        return other.next(run_id)


def t_idempotency_key(d):
    with client(d) as fl:
        a = fl.create("quick", {"k": 1}, key="py-key-1")
        b = fl.create("quick", {"k": 1}, key="py-key-1")
        assert a["id"] == b["id"], (a, b)
        try:
            fl.create("quick", {"k": 2}, key="py-key-1")
            raise AssertionError("a reused key with other args was accepted")
        except forkline.Conflict:
            pass


def t_typed_errors(d):
    with client(d) as fl:
        for call, cls in ((lambda: fl.get("r_missing"), forkline.NotFound),
                          (lambda: fl.create("no_such_kind", {}), forkline.NotFound),
                          (lambda: fl.call("run.create", {"input": {}}), forkline.BadRequest),
                          (lambda: fl.call("no.such.command"), forkline.BadRequest),
                          (lambda: list(fl.watch("r_missing")), forkline.NotFound)):
            try:
                call()
                raise AssertionError("no error")
            except cls as e:
                assert isinstance(e, forkline.ForklineError) and e.code == cls.code and e.message, e
    with forkline.Client(d.endpoint, http="127.0.0.1:%d" % d.hport) as anonymous:
        for call in (lambda: anonymous.list(), lambda: list(anonymous.watch(None))):
            try:
                call()
                raise AssertionError("no token, yet accepted")
            except forkline.Unauthorized as e:
                assert e.code == "unauthorized"
    port = fl_daemon.free_port()
    with forkline.Client("tcp://127.0.0.1:%d" % port, timeout=0.3) as nobody:
        try:
            nobody.health()
            raise AssertionError("a reply from nowhere")
        except forkline.NoReply as e:
            assert isinstance(e, forkline.Unavailable) and e.code == "unavailable"


def t_watch_resumes_with_last_event_id(d):
    with client(d) as fl:
        run = fl.create("quick", {})
        for _ in range(3):
            fl.next(run["id"])
        events = fl.watch(run["id"])
        first = [next(events) for _ in range(3)]
        events.close()
        assert [e.id for e in first] == [1, 2, 3], first
        assert first[0].type == "run.created" and first[0].run["version"] == 1
        rest = list(fl.watch(run["id"], last_event_id=3, until_terminal=True))
        ids = [e.id for e in rest if not e.transient]
        assert ids == list(range(4, ids[-1] + 1)) and rest[-1].type == "run.completed", rest
        # The global stream with filters: ids are positions, increasing.
        created = fl.watch(None, types=["run.created"], kind="quick")
        got = [next(created) for _ in range(2)]
        created.close()
        assert all(e.type == "run.created" for e in got) and got[0].id < got[1].id, got


def t_watch_survives_a_daemon_restart(d):
    with client(d) as fl:
        run = fl.create("quick", {})
        stream = fl.watch(run["id"], read_timeout=10)
        assert next(stream).id == 1
        d.kill9()
        d.start()
        with client(d) as again:
            for _ in range(3):
                again.next(run["id"])
        seen = []
        for ev in stream:
            if not ev.transient:
                seen.append(ev.id)
            if ev.type == "run.completed":
                break
        stream.close()
        assert seen == list(range(2, seen[-1] + 1)), seen  # no gap, no duplicate


def t_example_script(d):
    novel = os.path.join(d.tmp, "novel.txt")
    with open(novel, "w") as f:
        f.write(fl_daemon.SMALL_NOVEL)
    script = os.path.join(SOURCE, "clients", "python", "examples", "novel_to_script.py")
    env = dict(os.environ, FORKLINE_CONNECT=d.endpoint, FORKLINE_HTTP="127.0.0.1:%d" % d.hport,
               FORKLINE_TOKEN=TOKEN)
    for mode in ([], ["--step"]):
        out = os.path.join(d.tmp, "script%s.fountain" % len(mode))
        r = subprocess.run([sys.executable, script, novel, "--title", "Alice", "--out", out] + mode,
                           env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        assert r.returncode == 0, r.stderr.decode()
        with open(out) as f:
            fountain = f.read()
        assert "ALICE" in fountain and ("INT." in fountain or "EXT." in fountain), fountain[:500]
        assert "scenes" in r.stderr.decode(), r.stderr.decode()
    r = subprocess.run([sys.executable, script, novel], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=dict(env, FORKLINE_TOKEN="wrong"), timeout=60)
    assert r.returncode == 1 and b"unauthorized" in r.stderr, r.stderr


if __name__ == "__main__":
    fl_daemon.run_suite(lambda: fl_daemon.Daemon(workflows=WORKFLOWS, token=TOKEN),
                        [t_commands, t_control_commands, t_idempotency_key, t_typed_errors,
                         t_watch_resumes_with_last_event_id, t_watch_survives_a_daemon_restart,
                         t_example_script])
