#!/usr/bin/python3
"""Three forklined nodes on one PostgreSQL (issue 9, DESIGN §8) under mixed load while
things break. Workers send create, next, pause, resume, autorun, fork and cancel (each
with an idempotency key) to random nodes over ZeroMQ; an SSE subscriber tails the global
stream of one node; a monitor reads the lease table. Meanwhile: kill -9 of a random node
every 20 s (restarted at once), `pg_terminate_backend` of random backends every 5 s, and
PostgreSQL restarted with `pg_ctl -m immediate` twice.

Pass, checked against the log once the load stopped and autorun settled:
- every acknowledged command is in its run's history by its key (0 acked lost), a key in
  one run only, and no step (index, attempt) started or ended twice (0 duplicates, so
  never two nodes driving one run);
- versions 1..n, each event chained to the one before;
- fencing tokens strictly increase per run: a token seen in the lease table never comes
  back with another node or goes down;
- every run put on autorun by the load and left alone finishes `completed`;
- the tailing SSE reader, reconnecting with Last-Event-ID, saw positions 1..last with no
  gap and no duplicate.

Uses a PostgreSQL server of its own (it restarts it). DURATION seconds of load: 180 in
`make test`, 900 in `make torture`.
Usage: FORKLINED=… postgres_torture_test.py [DURATION]"""
import json
import os
import random
import subprocess
import sys
import threading
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zmq  # noqa: E402
from fl_daemon import Daemon, wait_for  # noqa: E402
from kill_under_load_test import WORKFLOW, Down, Subscriber, Worker, events_of, fold  # noqa: E402
from postgres_daemon_test import PgDatabase  # noqa: E402

DURATION = float(sys.argv[1]) if len(sys.argv) > 1 else float(os.environ.get("DURATION", "180"))
SEED = int(os.environ.get("SEED", str(random.randrange(1 << 30))))
NODES = 3
WORKERS = 5
KILL_EVERY = 20.0
TERMINATE_EVERY = 5.0
PG_RESTARTS = 2
PG_BINDIR = os.environ.get("PG_BINDIR", "/usr/lib/postgresql/15/bin")


class AnyNode:
    """What Worker needs of a daemon (endpoint, proc), pointing at a random node per
    command, so that commands for one run reach every node."""

    def __init__(self, nodes, rng):
        self.nodes, self.rng = nodes, rng
        self.d = nodes[0]

    def pick(self):
        self.d = self.rng.choice(self.nodes)

    @property
    def endpoint(self):
        return self.d.endpoint

    @property
    def proc(self):
        return self.d.proc


class SpreadWorker(Worker):
    """A Worker whose every command goes to a random node (on a new socket). A refusal
    other than conflict or unavailable is recorded as a failure."""

    def __init__(self, *args):
        super().__init__(*args)
        self.errors = []

    def call(self, cmd, args, key):
        self.d.pick()
        if self.sock is not None:
            self.sock.close(0)
            self.sock = None
        return super().call(cmd, args, key)

    def mutate(self, cmd, args, tracked_autorun=False):
        try:
            return super().mutate(cmd, args, tracked_autorun)
        except AssertionError as e:
            self.errors.append(str(e)[:300])
            return None


class PgSubscriber(Subscriber):
    """A Subscriber that also reconnects after `503` (the node answers so while
    PostgreSQL restarts), rather than ending its thread."""

    def _read(self):
        try:
            super()._read()
        except AssertionError as e:
            if not (e.args and b" 503 " in e.args[0]):
                raise


class LeaseMonitor:
    """Reads the lease table twice a second; records every (run, token, node) seen and
    any token that went down or came back with another node."""

    def __init__(self, db):
        self.db = db
        self.seen = {}  # run -> {token: node}
        self.problems = []
        self.stop = False
        self.reads = 0

    def loop(self):
        while not self.stop:
            try:
                rows = self.db.psql("SELECT run_id, token, node_id FROM forkline.leases", self.db.url)
            except subprocess.CalledProcessError:
                rows = None  # the server is restarting
            if rows is not None:
                self.reads += 1
                for line in filter(None, rows.splitlines()):
                    run, token, node = line.split("|", 2)
                    token = int(token)
                    tokens = self.seen.setdefault(run, {})
                    if tokens and token < max(tokens):
                        self.problems.append("run %s: token %d after %d" % (run, token, max(tokens)))
                    if node and tokens.get(token) not in (None, "", node):
                        self.problems.append("run %s: token %d held by %s and %s"
                                             % (run, token, tokens[token], node))
                    if node or token not in tokens:
                        tokens[token] = node
            time.sleep(0.5)  # a sampling pace, not a wait for anything


def restart_pg(db):
    state = {}
    with open(db.state) as f:
        for line in f:
            k, _, v = line.strip().partition("=")
            state[k] = v
    cmd = [os.path.join(PG_BINDIR, "pg_ctl"), "-D", os.path.join(state["data"], "db"),
           "-m", "immediate", "-w", "-t", "60", "-s", "restart"]
    if os.getuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   cwd="/")


def terminate_backends(db, rng):
    """pg_terminate_backend on a random half of the store's sessions."""
    try:
        pids = db.psql("SELECT pid FROM pg_stat_activity WHERE datname = '%s' AND pid <> "
                       "pg_backend_pid()" % db.name, db.url).split()
    except subprocess.CalledProcessError:
        return 0
    chosen = [p for p in pids if rng.random() < 0.5]
    for p in chosen:
        try:
            db.psql("SELECT pg_terminate_backend(%s)" % p, db.url)
        except subprocess.CalledProcessError:
            pass
    return len(chosen)


def chaos(nodes, db, rng, stop, counts):
    start = time.time()
    next_kill = start + KILL_EVERY
    next_term = start + TERMINATE_EVERY
    pg_at = [start + DURATION * (i + 1) / (PG_RESTARTS + 1) for i in range(PG_RESTARTS)]
    while not stop.is_set() and time.time() < start + DURATION:
        now = time.time()
        if now >= next_kill:
            d = rng.choice(nodes)
            d.kill9()
            d.start(120)
            counts["kills"] += 1
            next_kill = now + KILL_EVERY
        if now >= next_term:
            counts["terminated"] += terminate_backends(db, rng)
            next_term = now + TERMINATE_EVERY
        if pg_at and now >= pg_at[0]:
            pg_at.pop(0)
            restart_pg(db)
            counts["pg_restarts"] += 1
        stop.wait(0.1)


def check(nodes, db, acked, autorun_runs, sub, monitor):
    failures = []
    c = nodes[0].client()
    runs, after = [], None
    while True:
        page = c.ok("run.list", limit=1000, **({"after": after} if after else {}))
        runs += page["runs"]
        after = page["next"]
        if after is None:
            break
    logs = {r["id"]: events_of(c, r["id"]) for r in runs}
    own = {rid: [e for e in ev if e["run_id"] == rid] for rid, ev in logs.items()}
    for rid, ev in logs.items():
        if [e["version"] for e in ev] != list(range(1, len(ev) + 1)):
            failures.append("run %s: versions not 1..n" % rid)
        for x, y in zip(ev, ev[1:]):
            if y["prev_hash"] != x["hash"]:
                failures.append("run %s v%d does not chain" % (rid, y["version"]))
    keys_in = {}
    for rid, ev in own.items():
        for e in ev:
            if e.get("key"):
                keys_in.setdefault(e["key"], set()).add(rid)

    def noop(a):  # autorun switched to what it already was appends nothing
        return a["cmd"] == "run.autorun" and \
            fold(logs[a["run_id"]][:a["version"]])["autorun"] == a["args"]["enabled"]
    lost = [a for a in acked if a["run_id"] not in logs or
            (a["run_id"] not in keys_in.get(a["key"], ()) and not noop(a)) or
            a["version"] > len(logs[a["run_id"]])]
    if lost:
        failures.append("%d acked commands lost, e.g. %s" % (len(lost), lost[:3]))
    multi = {k: v for k, v in keys_in.items() if len(v) > 1}
    if multi:
        failures.append("keys that acted in several runs: %s" % list(multi.items())[:3])
    for rid, ev in own.items():
        seen = set()
        for e in ev:
            if e["type"].startswith("step."):
                k = ("start" if e["type"] == "step.started" else "end",
                     e["data"]["index"], e["data"]["attempt"])
                if k in seen:
                    failures.append("run %s: step %d attempt %d %s twice" % (rid, k[1], k[2], k[0]))
                seen.add(k)
    for rid in sorted(autorun_runs):
        st = c.ok("run.get", run_id=rid)["run"]["status"]
        if st != "completed":
            failures.append("autorun run %s ended %s" % (rid, st))
    failures += monitor.problems[:10]
    if monitor.reads == 0:
        failures.append("the lease monitor never read the table")
    last = max(e["position"] for ev in own.values() for e in ev)
    try:
        wait_for("SSE to reach %d" % last, lambda: sub.last == last, 60, 0.05)
    except TimeoutError as e:
        failures.append("%s (at %s)" % (e, sub.last))
    sub.stop = True
    if sub.ids != list(range(1, last + 1)):
        missing = sorted(set(range(1, last + 1)) - set(sub.ids))
        failures.append("SSE: %d ids, missing %s, %d duplicates"
                        % (len(sub.ids), missing[:10], len(sub.ids) - len(set(sub.ids))))
    print("runs %d, acked commands %d, events %d, positions %d, autorun runs %d, leases seen %d"
          % (len(runs), len(acked), sum(len(v) for v in own.values()), last, len(autorun_runs),
             len(monitor.seen)), flush=True)
    return failures


def log_counts(nodes):
    """How often the nodes logged the lease and recovery paths (what the chaos exercised)."""
    kinds = {"lease lost": "lease lost", "end not recorded": "its end is not recorded",
             "append retried/failed": "recording the end of step", "driven again": "driving it again",
             "takeover append failed": "taking over step"}
    counts = dict.fromkeys(kinds, 0)
    for d in nodes:
        try:
            with open(d.log, errors="replace") as f:
                for line in f:
                    for k, text in kinds.items():
                        counts[k] += text in line
        except OSError:
            pass
    return ", ".join("%s %d" % kv for kv in counts.items())


def diagnose_stuck(nodes, db, c, autorun_runs):
    """For each autorun run still moving: its last events, its lease row (against the
    server's clock) and every node's log lines that name it; and each node's health."""
    for d in nodes:
        try:
            h = d.client().ok("system.health", timeout=10)
            print("node %s: health %s" % (d.tmp, h), flush=True)
        except Exception as e:  # noqa: B902
            print("node %s: health unknown (%r)" % (d.tmp, e), flush=True)
    stuck = []
    for r in sorted(autorun_runs):
        run = c.ok("run.get", run_id=r)["run"]
        if run["autorun"] or run["status"] not in ("completed", "failed", "canceled", "paused"):
            stuck.append(run)
    print("%d autorun runs stuck" % len(stuck), flush=True)
    for run in stuck[:5]:
        rid = run["id"]
        print("==== stuck run %s: status %s, cursor %d, version %d" %
              (rid, run["status"], run["cursor"], run["version"]), flush=True)
        for e in events_of(c, rid)[-6:]:
            print("  v%d %s %s %s" % (e["version"], e["at"], e["type"],
                                      json.dumps(e["data"])[:160]), flush=True)
        try:
            print("  lease:", db.psql(
                "SELECT node_id, token, expires_at, now(), expires_at > now() AS live"
                " FROM forkline.leases WHERE run_id = '%s'" % rid, db.url) or "(none)", flush=True)
        except subprocess.CalledProcessError as e:
            print("  lease: unreadable (%s)" % e.stderr.strip(), flush=True)
        for d in nodes:
            try:
                with open(d.log, errors="replace") as f:
                    lines = [line.rstrip() for line in f if rid in line]
            except OSError:
                lines = []
            print("  log of %s (%d lines naming the run):" % (d.tmp, len(lines)), flush=True)
            for line in lines[-10:]:
                print("    " + line[:300], flush=True)


def main():
    rng = random.Random(SEED)
    print("seed %d, %.0f s" % (SEED, DURATION), flush=True)
    # A server of our own: it is restarted below, which other tests must not see.
    os.environ.pop("FORKLINE_TEST_PG_URL", None)
    os.environ.pop("FORKLINE_TEST_PG_STATE", None)
    db = PgDatabase()
    os.environ.update(FORKLINE_STORE_BACKEND="postgres", FORKLINE_STORE_POSTGRES_URL=db.url,
                      FORKLINE_STORE_LEASE_TTL_S="2")
    nodes = [Daemon(workflows={"five": WORKFLOW}) for _ in range(NODES)]
    acked, autorun_runs, lock = [], set(), threading.Lock()
    failures = []
    counts = {"kills": 0, "terminated": 0, "pg_restarts": 0}
    try:
        for d in nodes:
            d.start()
        sub = PgSubscriber(nodes[0], "/v1/events")
        monitor = LeaseMonitor(db)
        workers = [SpreadWorker(AnyNode(nodes, random.Random(rng.random())),
                                random.Random(rng.random()), acked, autorun_runs, lock)
                   for _ in range(WORKERS)]
        threads = [threading.Thread(target=x.loop, daemon=True) for x in workers + [sub, monitor]]
        for t in threads:
            t.start()
        stop = threading.Event()
        chaos(nodes, db, rng, stop, counts)
        for w in workers:
            w.stop = True
        for t in threads[:len(workers)]:
            t.join(120)
        c = nodes[0].client()

        def autorun_done():
            for r in sorted(autorun_runs):
                run = c.ok("run.get", run_id=r)["run"]
                if run["autorun"] or run["status"] not in ("completed", "failed", "canceled", "paused"):
                    return False
            return True
        try:
            wait_for("autorun runs to stop", autorun_done, 180, 0.2)
        except TimeoutError as e:
            failures.append(str(e))
            diagnose_stuck(nodes, db, c, autorun_runs)
        monitor.stop = True
        for w in workers:
            failures += ["refused: " + e for e in w.errors[:5]]
        failures += check(nodes, db, acked, autorun_runs, sub, monitor)
        print("kills %(kills)d, backends terminated %(terminated)d, PostgreSQL restarts "
              "%(pg_restarts)d" % counts, flush=True)
        print("node logs: %s" % log_counts(nodes), flush=True)
    except BaseException as e:  # noqa: B902
        import traceback
        traceback.print_exc()
        failures.append("crashed: %r" % e)
    finally:
        if failures:
            for d in nodes:
                print("---- forklined log (%s) ----\n%s" % (d.tmp, d.tail()), file=sys.stderr)
        for d in nodes:
            d.cleanup()
        db.close()
    for f in failures[:40]:
        print("FAIL", f)
    print("FAIL" if failures else "PASS", "postgres_torture (seed %d)" % SEED)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
