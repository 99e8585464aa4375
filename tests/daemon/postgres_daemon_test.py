#!/usr/bin/python3
"""forklined on the PostgreSQL store (issue 9): a real daemon with `[store] backend =
"postgres"` on a throwaway PostgreSQL 15 (scripts/pg-test-server), driven over ZeroMQ
(pyzmq), HTTP and SSE (`curl -N`): create/next/fork/autorun, SSE with Last-Event-ID, a
restart that finds its runs in the database; then a second node on the same database:
runs created on one node are read on the other (GET /v1/runs/{id}, run.events with the
same hashes), its SSE streams the other node's events live with the same ids, and
Last-Event-ID works when a client moves from one node to the other; leases: a step in
flight on one node is left alone by the other, and when its node is killed (kill -9) the
other node takes the run over after the lease timeout (2 s here) and finishes it.

The server: $FORKLINE_TEST_PG_URL, else the url= line of $FORKLINE_TEST_PG_STATE (ctest's
eventstore_pg_server fixture), else one of its own. Each run uses a database of its own.
Usage: FORKLINED=path/to/forklined postgres_daemon_test.py"""
import os
import subprocess
import sys
import tempfile
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fl_daemon import GATED_WORKFLOW, QUICK_WORKFLOW, Daemon, Results, check_event, wait_for  # noqa: E402

PG_TEST_SERVER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                              "scripts", "pg-test-server")
TERMINAL = ("run.completed", "run.canceled", "run.failed")


def url_from_state(path):
    with open(path) as f:
        for line in f:
            if line.startswith("url="):
                return line[4:].strip()
    raise RuntimeError("no url= line in " + path)


class PgDatabase:
    """A new database on the test server (started here when no server is given)."""

    def __init__(self):
        self.state = None
        server = os.environ.get("FORKLINE_TEST_PG_URL")
        if not server and os.environ.get("FORKLINE_TEST_PG_STATE"):
            server = url_from_state(os.environ["FORKLINE_TEST_PG_STATE"])
        if not server:
            fd, self.state = tempfile.mkstemp(prefix="fl-pg-state.")
            os.close(fd)
            subprocess.run(["bash", PG_TEST_SERVER, "start", self.state], check=True,
                           stdout=subprocess.DEVNULL)
            server = url_from_state(self.state)
        self.server = server
        self.name = "fl_daemon_" + uuid.uuid4().hex[:12]
        self.psql("CREATE DATABASE " + self.name)
        self.url = server.rsplit("/", 1)[0] + "/" + self.name

    def psql(self, sql, url=None):
        out = subprocess.run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1",
                              "-d", url or self.server, "-c", sql],
                             check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def close(self):
        try:
            self.psql("DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.name)
        finally:
            if self.state:
                subprocess.run(["bash", PG_TEST_SERVER, "stop", self.state], check=False)
                if os.path.exists(self.state):
                    os.remove(self.state)


def node(db):
    """A forklined on the shared database (its own folder and ports)."""
    # The store keys by environment (FORKLINE_<SECTION>_<KEY>): the daemon inherits them.
    os.environ["FORKLINE_STORE_BACKEND"] = "postgres"
    os.environ["FORKLINE_STORE_POSTGRES_URL"] = db.url
    os.environ["FORKLINE_STORE_LEASE_TTL_S"] = "2"  # takeovers within seconds
    return Daemon(workflows={"quick": QUICK_WORKFLOW, "gated": GATED_WORKFLOW})


def all_events(c, run_id):
    out, after = [], 0
    while True:
        p = c.ok("run.events", run_id=run_id, after=after)
        out += p["events"]
        if not p["next"]:
            return out
        after = p["next"]


def versions(evs):
    return [int(e["id"]) for e in evs]


def status(c, run_id):
    return c.ok("run.get", run_id=run_id)["run"]["status"]


def check_chain(events, run_id):
    assert [e["version"] for e in events] == list(range(1, len(events) + 1)), events
    prev = None
    for e in events:
        check_event(e, None)
        if e["run_id"] == run_id:
            assert e["prev_hash"] == prev or prev is None, (e, prev)
        prev = e["hash"]


# ---- one node ----

def t_startup_log_names_the_backend_not_the_url(a, db):
    log = a.tail(100000)
    assert "store postgres (schema forkline)" in log, log
    assert db.url not in log and "postgresql://" not in log, log


def t_create_next_to_completion(a, db):
    c = a.client()
    run = c.ok("run.create", kind="quick", input={"n": 1})["run"]
    assert run["status"] == "queued" and run["version"] == 1, run
    for i in range(3):
        r = c.ok("run.next", run_id=run["id"])
        assert r["step"]["index"] == i and r["step"]["status"] == "completed", r
    assert status(c, run["id"]) == "completed"
    events = all_events(c, run["id"])
    check_chain(events, run["id"])
    assert events[0]["type"] == "run.created" and events[-1]["type"] == "run.completed", events
    # In the database, gap-free: the run's rows are its versions.
    rows = db.psql("SELECT count(*) FROM forkline.events WHERE run_id = '%s'" % run["id"],
                   db.url)
    assert int(rows) == len(events), (rows, len(events))


def t_fork_shares_the_prefix(a, db):
    c = a.client()
    src = c.ok("run.create", kind="quick", input={})["run"]
    c.ok("run.next", run_id=src["id"])
    c.ok("run.next", run_id=src["id"])
    before = all_events(c, src["id"])
    fork = c.ok("run.fork", run_id=src["id"], at=1)["run"]
    assert fork["parent"]["run_id"] == src["id"] and fork["cursor"] == 1, fork
    c.ok("run.next", run_id=fork["id"])
    c.ok("run.next", run_id=fork["id"])
    assert status(c, fork["id"]) == "completed"
    assert all_events(c, src["id"]) == before  # the source is untouched
    fev = all_events(c, fork["id"])
    assert fev[0]["hash"] == before[0]["hash"], (fev[0], before[0])  # a shared prefix
    # The prefix is not copied: the fork's own rows start after it.
    own = int(db.psql("SELECT count(*) FROM forkline.events WHERE run_id = '%s'" % fork["id"],
                      db.url))
    assert own < len(fev), (own, len(fev))


def t_autorun_completes(a, db):
    c = a.client()
    run = c.ok("run.create", kind="quick", input={}, autorun=True)["run"]
    wait_for("autorun completes", lambda: status(c, run["id"]) == "completed")
    types = [e["type"] for e in all_events(c, run["id"])]
    assert types[-2:] == ["run.autorun_stopped", "run.completed"], types


def t_sse_last_event_id(a, db):
    c = a.client()
    run = c.ok("run.create", kind="quick", input={}, autorun=True)["run"]
    wait_for("autorun completes", lambda: status(c, run["id"]) == "completed")
    n = len(all_events(c, run["id"]))
    s = a.sse("/v1/runs/%s/events?until=terminal" % run["id"], last_event_id=3)
    try:
        assert versions(s.rest()) == list(range(4, n + 1))
    finally:
        s.close()
    # The global stream by position: resume after the run's second event.
    events = all_events(c, run["id"])
    s = a.sse("/v1/events?run=" + run["id"], last_event_id=events[1]["position"])
    try:
        got = s.events(n - 2)
        assert [int(e["id"]) for e in got] == [e["position"] for e in events[2:]], got
    finally:
        s.close()


def t_restart_finds_the_runs(a, db):
    c = a.client()
    run = c.ok("run.create", kind="quick", input={})["run"]
    c.ok("run.next", run_id=run["id"])
    before = all_events(c, run["id"])
    assert a.stop() == 0, a.tail()
    a.start()
    c = a.client()
    assert all_events(c, run["id"]) == before
    c.ok("run.next", run_id=run["id"])
    c.ok("run.next", run_id=run["id"])
    assert status(c, run["id"]) == "completed"


# ---- two nodes on one database ----

def t_b_recovers_the_runs_a_made_before_it_started(a, b, db):
    def ids(c):
        return [r["id"] for r in c.ok("run.list", limit=100)["runs"]]
    on_a = ids(a.client())
    assert len(on_a) >= 6, on_a
    assert ids(b.client()) == on_a


def t_a_run_created_on_a_is_read_on_b(a, b, db):
    ca, cb = a.client(), b.client()
    run = ca.ok("run.create", kind="quick", input={"on": "a"})["run"]
    ca.ok("run.next", run_id=run["id"])

    def on_b():
        st, body, _ = b.http("GET", "/v1/runs/" + run["id"])
        return body if st == 200 and body["run"]["version"] == 3 else None
    body = wait_for("the run on node B", on_b)
    assert body["run"]["input"] == {"on": "a"} and body["run"]["cursor"] == 1, body
    assert all_events(cb, run["id"]) == all_events(ca, run["id"])


def t_b_streams_a_s_events_live(a, b, db):
    ca = a.client()
    run = ca.ok("run.create", kind="quick", input={})["run"]
    wait_for("the run on node B", lambda: b.http("GET", "/v1/runs/" + run["id"])[0] == 200)
    s = b.sse("/v1/runs/%s/events?until=terminal" % run["id"])
    try:
        assert versions(s.events(1)) == [1]
        for _ in range(3):
            ca.ok("run.next", run_id=run["id"])
        got = s.rest()
        assert versions(got) == list(range(2, 9)), versions(got)
        assert got[-1]["event"] == "run.completed", got[-1]
        stored = all_events(ca, run["id"])
        assert [e["data"]["hash"] for e in got] == [e["hash"] for e in stored[1:]]
    finally:
        s.close()


def t_last_event_id_moves_between_nodes(a, b, db):
    ca = a.client()
    run = ca.ok("run.create", kind="quick", input={}, autorun=True)["run"]
    wait_for("autorun completes", lambda: status(ca, run["id"]) == "completed")
    events = all_events(ca, run["id"])
    s = a.sse("/v1/events?run=" + run["id"])
    try:
        first = s.events(3)  # read three on node A, then "reconnect" to node B
    finally:
        s.close()
    wait_for("the run completed on node B",
             lambda: b.http("GET", "/v1/runs/" + run["id"])[1]["run"]["status"] == "completed")
    s = b.sse("/v1/events?run=" + run["id"], last_event_id=first[-1]["id"])
    try:
        rest = s.events(len(events) - 3)
        assert [int(e["id"]) for e in first + rest] == [e["position"] for e in events]
    finally:
        s.close()


def t_b_steps_a_run_created_on_a(a, b, db):
    ca, cb = a.client(), b.client()
    run = ca.ok("run.create", kind="quick", input={})["run"]
    wait_for("the run on node B", lambda: b.http("GET", "/v1/runs/" + run["id"])[0] == 200)
    r = cb.ok("run.next", run_id=run["id"])
    assert r["step"]["index"] == 0 and r["step"]["status"] == "completed", r
    wait_for("node A sees B's step",
             lambda: ca.ok("run.get", run_id=run["id"])["run"]["cursor"] == 1)
    check_chain(all_events(ca, run["id"]), run["id"])


def t_a_fork_on_b_of_a_run_of_a(a, b, db):
    ca, cb = a.client(), b.client()
    src = ca.ok("run.create", kind="quick", input={})["run"]
    ca.ok("run.next", run_id=src["id"])
    ca.ok("run.next", run_id=src["id"])
    wait_for("the source on node B",
             lambda: cb.ok("run.get", run_id=src["id"])["run"]["cursor"] == 2)
    fork = cb.ok("run.fork", run_id=src["id"], at=1)["run"]
    cb.ok("run.next", run_id=fork["id"])
    wait_for("the fork on node A", lambda: a.http("GET", "/v1/runs/" + fork["id"])[0] == 200)
    assert all_events(ca, fork["id"]) == all_events(cb, fork["id"])


def lease(db, run_id):
    row = db.psql("SELECT node_id, token FROM forkline.leases WHERE run_id = '%s'" % run_id,
                  db.url)  # "node|token"; node "" when released
    node_id, token = row.rsplit("|", 1) if row else ("", "0")
    return node_id, int(token)


def step_lines(events):
    out = []
    for e in events:
        if e["type"].startswith("step."):
            d = e["data"]
            line = "%s %s %d" % (e["type"][5:], d["name"], d["attempt"])
            if d.get("error"):
                line += " " + d["error"]["code"]
            out.append(line)
    return out


def t_the_other_node_leaves_a_step_in_flight_alone(a, b, db):
    ca, cb = a.client(), b.client()
    gate = os.path.join(a.tmp, "gate-alone")
    run = ca.ok("run.create", kind="gated", input={"gate": gate}, autorun=True)["run"]
    wait_for("the step in flight, seen on B", lambda: cb.call("run.get", run_id=run["id"]).get(
        "result", {}).get("run", {}).get("steps", [{}])[0].get("status") == "running")
    holder, token = lease(db, run["id"])
    assert holder.endswith("-%d" % a.proc.pid) and token >= 1, (holder, token)
    # B restarts while A drives the run: its recovery leaves the step alone.
    assert b.stop() == 0, b.tail()
    b.start()
    cb = b.client()
    wait_for("B knows the run", lambda: cb.call("run.get", run_id=run["id"]).get("ok"))
    assert lease(db, run["id"]) == (holder, token)
    open(gate, "w").close()
    wait_for("the run completes", lambda: status(ca, run["id"]) == "completed")
    assert step_lines(all_events(ca, run["id"])) == [
        "started wait 1", "completed wait 1", "started done 1", "completed done 1"]


def t_a_killed_node_s_run_is_taken_over(a, b, db):
    ca = a.client()
    gate = os.path.join(a.tmp, "gate-kill")
    run = ca.ok("run.create", kind="gated", input={"gate": gate}, autorun=True)["run"]
    wait_for("the step in flight on A",
             lambda: ca.ok("run.get", run_id=run["id"])["run"]["steps"][0]["status"] == "running")
    _, token = lease(db, run["id"])
    a.kill9()
    open(gate, "w").close()  # the next attempt, wherever it runs, goes straight through
    cb = b.client()
    wait_for("B finishes the run", lambda: status(cb, run["id"]) == "completed", 60)
    assert step_lines(all_events(cb, run["id"])) == [
        "started wait 1", "failed wait 1 interrupted", "started wait 2", "completed wait 2",
        "started done 1", "completed done 1"], step_lines(all_events(cb, run["id"]))
    holder, later = lease(db, run["id"])
    assert later > token, (token, later)  # fencing tokens strictly increase
    a.start()


def main():
    res = Results()
    db = a = b = None
    try:
        db = PgDatabase()
        a = node(db).start()
        for case in (t_startup_log_names_the_backend_not_the_url, t_create_next_to_completion,
                     t_fork_shares_the_prefix, t_autorun_completes, t_sse_last_event_id,
                     t_restart_finds_the_runs):
            res.run(case.__name__[2:], case, a, db)
        # Node B starts while A is idle (no step in flight, no autorun: see the module comment).
        b = node(db).start()
        for case in (t_b_recovers_the_runs_a_made_before_it_started,
                     t_a_run_created_on_a_is_read_on_b, t_b_streams_a_s_events_live,
                     t_last_event_id_moves_between_nodes, t_b_steps_a_run_created_on_a,
                     t_a_fork_on_b_of_a_run_of_a, t_the_other_node_leaves_a_step_in_flight_alone,
                     t_a_killed_node_s_run_is_taken_over):
            res.run(case.__name__[2:], case, a, b, db)
        res.run("daemons_still_alive", lambda: wait_for("alive", lambda: a.alive() and b.alive(), 1))
    except BaseException:
        res.crashed()
    finally:
        daemons = [d for d in (a, b) if d]
        try:
            if res.failed:
                for d in daemons:
                    print("---- forklined log (%s) ----\n%s" % (d.tmp, d.tail()))
            for d in daemons:
                d.cleanup()
        finally:
            if db:
                db.close()
        print("%d passed, %d failed%s" % (res.passed, len(res.failed),
                                          (": " + ", ".join(res.failed)) if res.failed else ""))
        sys.exit(1 if res.failed else 0)


if __name__ == "__main__":
    main()
