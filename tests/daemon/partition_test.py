#!/usr/bin/python3
"""Partition tests (issue 9): a forklined in a network namespace of its own, cut off from
PostgreSQL by nftables (tests/daemon/fl_netns.py), on a real PostgreSQL 15.

  partition_test.py harness    one node in a namespace: cut its PostgreSQL traffic ->
                               its commands are answered `unavailable` and nothing they
                               asked for is written; restore -> it acknowledges again,
                               and the store audits clean.
  partition_test.py takeover   a node in a namespace drives autorun runs (leases,
                               `[store] lease_ttl_s`), a second node runs on the host;
                               cut the first -> it stops acknowledging within the lease
                               timeout, the second takes its runs over and finishes them;
                               restore -> the first appends nothing more for them
                               (fencing): every step completed once, versions contiguous,
                               audit clean. Skipped (77) while forklined has no leases.

Needs root, iproute2 and nftables: exits 77 (ctest SKIP_RETURN_CODE) otherwise.
The server: $FORKLINE_TEST_PG_URL, else $FORKLINE_TEST_PG_STATE's url= line (ctest's
eventstore_pg_server fixture), else one of its own; a database of its own per run.
Usage: FORKLINED=… FORKLINE_CLI=… partition_test.py harness|takeover"""
import json
import os
import subprocess
import sys
import time
import urllib.parse

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fl_daemon import QUICK_WORKFLOW, Results, wait_for  # noqa: E402
from fl_netns import (SKIP, NetNamespace, NetnsNode, pg_url, postgres_node,  # noqa: E402
                      require_root_tools)
from postgres_daemon_test import PgDatabase  # noqa: E402

CLI = os.path.abspath(os.environ.get("FORKLINE_CLI") or "")

# One step that waits for the gate file named by the run's input, then one instant step.
GATED = """
kind = "gated"
description = "waits for a gate file, then an instant step"

[[steps]]
name = "wait"
executor = "exec"
timeout_s = 300
argv = ["/usr/bin/python3", "-c", '''
import json, os, sys, time
gate = json.load(sys.stdin)["input"]["gate"]
while not os.path.exists(gate):
    time.sleep(0.05)
print(json.dumps({"waited": True}))
''']

[[steps]]
name = "done"
executor = "exec"
argv = ["/bin/sh", "-c", "cat >/dev/null; echo '{\\"done\\": true}'"]
"""

LEASE_TTL_S = 10


def audit(db):
    p = subprocess.run([CLI, "--json", "audit", "--pg-url", db.url], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, "audit: %d\n%s\n%s" % (p.returncode, p.stdout[-3000:], p.stderr)
    return json.loads(p.stdout)


def server_address(db):
    u = urllib.parse.urlsplit(db.server)
    return u.hostname, u.port


def status(c, run_id, timeout=30):
    return c.ok("run.get", run_id=run_id, timeout=timeout)["run"]["status"]


# ---- harness: cut -> unavailable, restore -> recovers ----

def t_cut_commands_are_unavailable_then_restore_recovers(env):
    ns, pg, db, node = env["ns"], env["pg"], env["db"], env["node"]
    c = node.client()
    run = c.ok("run.create", kind="quick", input={})["run"]["id"]
    c.ok("run.next", run_id=run)
    acked = {run}
    ns.cut([pg.port])
    # Every answer while cut off is `unavailable`; the first comes once libpq's own
    # timeouts (keepalives, tcp_user_timeout, connect_timeout in the URL) give up.
    answers = []
    for i in range(3):
        rep = c.call("run.create", timeout=120, kind="quick", input={"during": i})
        answers.append(rep)
        assert rep.get("ok") is False, "acknowledged while cut off from PostgreSQL: %r" % rep
        assert rep["error"]["code"] == "unavailable", rep
    rep = c.call("run.next", timeout=120, run_id=run)
    assert rep.get("ok") is False and rep["error"]["code"] == "unavailable", rep
    ns.restore()

    def created():
        rep = c.call("run.create", timeout=120, kind="quick", input={"after": True})
        return rep["result"]["run"]["id"] if rep.get("ok") else None
    again = wait_for("the node acknowledges again", created, timeout=120, interval=0.2)
    acked.add(again)
    r = c.ok("run.next", run_id=run)
    assert r["step"]["index"] == 1 and r["step"]["status"] == "completed", r
    c.ok("run.next", run_id=run)
    assert status(c, run) == "completed"
    # Nothing that was answered `unavailable` was written; everything acknowledged was.
    stored = set(db.psql("SELECT DISTINCT run_id FROM forkline.events", db.url).split())
    assert stored == acked, (stored, acked)
    rep = audit(db)
    assert rep["clean"] is True and rep["runs"] == 2, rep


def harness(res, env):
    env["node"] = NetnsNode(env["ns"], env["url"], workflows={"quick": QUICK_WORKFLOW}).start()
    env["daemons"].append(env["node"])
    res.run("cut_commands_are_unavailable_then_restore_recovers",
            t_cut_commands_are_unavailable_then_restore_recovers, env)
    res.run("node_still_alive", lambda: wait_for("alive", env["node"].alive, 1))


# ---- takeover: a cut-off node's runs move to the connected node ----

def has_leases(forklined):
    """Whether this forklined knows [store] lease_ttl_s (helper 5's leases)."""
    cfg = os.path.join(os.environ.get("TMPDIR", "/tmp"), "fl-lease-probe-%d.toml" % os.getpid())
    with open(cfg, "w") as f:
        f.write('[store]\nlease_ttl_s = %d\nnode_id = "probe"\n' % LEASE_TTL_S)
    try:
        probe = subprocess.run([forklined, "--check-config", cfg], capture_output=True)
        return probe.returncode == 0
    finally:
        os.remove(cfg)


def step_ends(db, run_id):
    rows = db.psql("SELECT type, data FROM forkline.events WHERE run_id = '%s' AND type IN "
                   "('step.completed', 'step.failed', 'step.aborted') ORDER BY version" % run_id,
                   db.url)
    out = []
    for line in rows.splitlines():
        kind, data = line.split("|", 1)
        d = json.loads(data)
        out.append((kind, d["index"], d["attempt"]))
    return out


def t_cut_node_s_runs_move_to_the_other_node(env):
    ns, pg, db, a, b = env["ns"], env["pg"], env["db"], env["node"], env["other"]
    ca, cb = a.client(), b.client()
    gate = os.path.join(a.tmp, "gate")
    runs = [ca.ok("run.create", kind="gated", input={"gate": gate}, autorun=True)["run"]["id"]
            for _ in range(3)]
    lease_rows = "SELECT count(*) FROM forkline.leases WHERE node_id = '%s' AND run_id IN (%s)"
    ids = ", ".join("'%s'" % r for r in runs)
    wait_for("node A holds the runs' leases",
             lambda: db.psql(lease_rows % ("cut", ids), db.url) == str(len(runs)))
    tokens = dict(line.split("|") for line in db.psql(
        "SELECT run_id, token FROM forkline.leases WHERE run_id IN (%s)" % ids, db.url).split())
    ns.cut([pg.port])
    # A stops acknowledging within the lease timeout: its answers are errors, never ok.
    t0 = time.monotonic()
    rep = ca.call("run.create", timeout=LEASE_TTL_S * 3, kind="gated", input={"gate": gate})
    assert rep.get("ok") is False and rep["error"]["code"] == "unavailable", rep
    assert time.monotonic() - t0 < LEASE_TTL_S, "node A answered after the lease timeout"
    # B takes the runs over once A's leases expire, and drives them to the end.
    wait_for("node B holds every lease",
             lambda: db.psql(lease_rows % ("kept", ids), db.url) == str(len(runs)),
             timeout=LEASE_TTL_S * 6, interval=0.2)
    open(gate, "w").close()
    for r in runs:
        wait_for("run %s completed by node B" % r, lambda r=r: status(cb, r) == "completed",
                 timeout=120, interval=0.2)
    new_tokens = dict(line.split("|") for line in db.psql(
        "SELECT run_id, token FROM forkline.leases WHERE run_id IN (%s)" % ids, db.url).split())
    for r in runs:
        assert int(new_tokens[r]) > int(tokens[r]), (r, tokens[r], new_tokens[r])
    # A comes back: it acknowledges again, appends nothing more for the moved runs.
    before = {r: db.psql("SELECT max(version) FROM forkline.events WHERE run_id = '%s'" % r,
                         db.url) for r in runs}
    ns.restore()
    wait_for("node A acknowledges again", lambda: ca.call(
        "run.create", timeout=120, kind="quick", input={}).get("ok"), timeout=120, interval=0.2)
    for r in runs:
        wait_for("node A sees %s completed" % r, lambda r=r: status(ca, r) == "completed")
        assert db.psql("SELECT max(version) FROM forkline.events WHERE run_id = '%s'" % r,
                       db.url) == before[r], "node A appended to %s after losing it" % r
        ends = step_ends(db, r)
        completed = [(i, att) for kind, i, att in ends if kind == "step.completed"]
        assert sorted(i for i, _ in completed) == [0, 1], (r, ends)  # each step once
        # A's attempt of the step it was running is recorded interrupted; B ran it again.
        assert ends[:2] == [("step.failed", 0, 1), ("step.completed", 0, 2)], (r, ends)
    rep = audit(db)
    assert rep["clean"] is True, rep


def takeover(res, env):
    if not has_leases(env["forklined"]):
        print("SKIP: this forklined has no [store] lease_ttl_s (leases, issue 9): the takeover "
              "half of the partition test waits for them")
        sys.exit(SKIP)
    store = "lease_ttl_s = %d\nnode_id = \"%%s\"\n" % LEASE_TTL_S
    wf = {"gated": GATED, "quick": QUICK_WORKFLOW}
    env["node"] = NetnsNode(env["ns"], env["url"], store_extra=store % "cut", workflows=wf).start()
    env["daemons"].append(env["node"])
    env["other"] = postgres_node(pg_url(env["db"].url, *server_address(env["db"])),
                                 store_extra=store % "kept", workflows=wf).start()
    env["daemons"].append(env["other"])
    res.run("cut_node_s_runs_move_to_the_other_node", t_cut_node_s_runs_move_to_the_other_node,
            env)
    res.run("nodes_still_alive",
            lambda: wait_for("alive", lambda: env["node"].alive() and env["other"].alive(), 1))


def main():
    suites = {"harness": harness, "takeover": takeover}
    if len(sys.argv) != 2 or sys.argv[1] not in suites:
        print("usage: partition_test.py harness|takeover", file=sys.stderr)
        sys.exit(2)
    require_root_tools()
    forklined = os.path.abspath(os.environ.get("FORKLINED") or "")
    res = Results()
    env = {"daemons": [], "forklined": forklined}
    try:
        env["db"] = PgDatabase()
        env["ns"] = NetNamespace()
        env["pg"] = env["ns"].relay_to(*server_address(env["db"]))
        env["url"] = pg_url(env["db"].url, env["ns"].host_ip, env["pg"].port)
        suites[sys.argv[1]](res, env)
    except SystemExit:
        raise
    except BaseException:
        res.crashed()
    finally:
        try:
            if "ns" in env:
                env["ns"].restore()
            if res.failed:
                for d in env["daemons"]:
                    print("---- forklined log (%s) ----\n%s" % (d.tmp, d.tail(6000)))
            for d in env["daemons"]:
                d.cleanup()
            if "ns" in env:
                env["ns"].close()
        finally:
            if "db" in env:
                env["db"].close()
    print("%d passed, %d failed%s" % (res.passed, len(res.failed),
                                      (": " + ", ".join(res.failed)) if res.failed else ""))
    sys.exit(1 if res.failed else 0)


if __name__ == "__main__":
    main()
