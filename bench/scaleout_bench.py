#!/usr/bin/python3
"""scaleout_bench: durable steps/s with 1, 2 and 3 forklined nodes on one PostgreSQL,
beside one node on RocksDB, and what a step costs beside a plain one-row
`INSERT …; COMMIT` on the same server (what a DBOS-style step checkpoint costs).

Starts a throwaway PostgreSQL 15 (scripts/pg-test-server: initdb -k, fsync and
synchronous_commit on) and every node at once: a RocksDB node, and 1 + 2 + 3 PostgreSQL
nodes, each configuration in its own schema (`[store] postgres_schema`), so the nodes of
one configuration share one store and see each other's events. A step is `run.next` on
the builtin novel_to_script with a two-line text (the nearest thing to an instant step
forklined has); N client threads (pyzmq DEALERs) spread round-robin over the nodes of a
configuration each create a run, step it to the end with run.next, and start again.
Every answered run.next is one durable step (step.started + step.completed, acknowledged
after COMMIT / fsync). pgbench runs `INSERT INTO checkpoints … VALUES (…)` (~200 bytes,
one statement, autocommit) with the same number of clients, and with one.

`refused`: run.next answered `conflict` "driven by another node" (another node held the
run's lease for a moment), retried by the client after 5 ms; the latency counts the
retries. Rounds run every row in turn (so other load on the machine falls on all rows alike); the
table shows the median round with the min..max spread. Nothing here asserts on time.

Usage: scaleout_bench.py [--build DIR] [--clients N] [--seconds S] [--rounds R] [--quick]
"""
import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import zmq

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEXT = 'CHAPTER I.\n\n"Hello," said Alice.\n'
PAYLOAD = "x" * 200


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def pct(values, p):
    if not values:
        return 0.0
    v = sorted(values)
    k = (len(v) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


class PgServer:
    def __init__(self, tmp):
        self.state = os.path.join(tmp, "pg.state")
        self.url = subprocess.run(["bash", os.path.join(ROOT, "scripts/pg-test-server"), "start",
                                   self.state], check=True, capture_output=True,
                                  text=True).stdout.strip().splitlines()[-1]
        m = re.match(r"postgresql://(\w+)@([\d.]+):(\d+)/(\w+)", self.url)
        self.user, self.host, self.port, self.db = m.group(1), m.group(2), m.group(3), m.group(4)
        self.psql("CREATE TABLE checkpoints (id bigserial PRIMARY KEY, workflow_id text, "
                  "step int, output text)")
        self.script = os.path.join(tmp, "checkpoint.sql")
        with open(self.script, "w") as f:
            f.write("INSERT INTO checkpoints (workflow_id, step, output) "
                    "VALUES ('wf', 1, '%s');\n" % PAYLOAD)
        os.chmod(self.script, 0o644)

    def psql(self, sql):
        subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", self.url, "-c", sql],
                       check=True, capture_output=True)

    def pgbench(self, clients, seconds):
        out = subprocess.run(["pgbench", "-n", "-h", self.host, "-p", self.port, "-U", self.user,
                              "-c", str(clients), "-j", str(min(clients, 4)), "-T", str(seconds),
                              "-f", self.script, self.db],
                             check=True, capture_output=True, text=True).stdout
        tps = float(re.search(r"tps = ([0-9.]+)", out).group(1))
        lat = float(re.search(r"latency average = ([0-9.]+) ms", out).group(1)) * 1000
        return {"per_s": tps, "avg_us": lat}

    def stop(self):
        subprocess.run(["bash", os.path.join(ROOT, "scripts/pg-test-server"), "stop", self.state],
                       check=False, capture_output=True)


class Node:
    def __init__(self, build, tmp, name, store):
        self.dir = os.path.join(tmp, name)
        os.makedirs(os.path.join(self.dir, "workflows"))
        self.zport, self.hport = free_port(), free_port()
        cfg = os.path.join(self.dir, "forkline.toml")
        with open(cfg, "w") as f:
            f.write('workflows_dir = "%s/workflows"\n[store]\n%s\n[zmq]\nbind = '
                    '"tcp://127.0.0.1:%d"\n[http]\nbind = "127.0.0.1:%d"\n[log]\nlevel = "warn"\n'
                    % (self.dir, store.replace("@DIR@", self.dir), self.zport, self.hport))
        self.log = open(os.path.join(self.dir, "log"), "w")
        self.proc = subprocess.Popen([os.path.join(build, "daemon/forklined"), "--config", cfg],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("forklined %s exited:\n%s" % (name, open(self.log.name).read()))
            try:
                socket.create_connection(("127.0.0.1", self.hport), timeout=0.5).close()
                break
            except OSError:
                if time.time() > deadline:
                    raise RuntimeError("forklined %s did not start" % name)
                time.sleep(0.05)
        self.endpoint = "tcp://127.0.0.1:%d" % self.zport

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class Stepper:
    """One client: creates a run, steps it to the end, again; records run.next latencies."""

    def __init__(self, ctx, endpoint):
        self.sock = ctx.socket(zmq.DEALER)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)
        self.run = None
        self.lat = []
        self.refused = 0

    def call(self, cmd, **args):
        while True:
            self.sock.send(json.dumps({"id": uuid.uuid4().hex, "cmd": cmd, "args": args}).encode())
            if not self.sock.poll(60000):
                raise RuntimeError("no reply to " + cmd)
            rep = json.loads(self.sock.recv())
            if rep.get("ok"):
                return rep["result"]
            err = rep.get("error") or {}
            # Another node of the store holds the run's lease for a moment (it saw the run
            # need a driver): the client tries again, as a user's would; counted.
            if err.get("code") == "conflict" and "another node" in err.get("message", ""):
                self.refused += 1
                time.sleep(0.005)
                continue
            raise RuntimeError("%s: %s" % (cmd, err))

    def step(self):
        if self.run is None:
            created = self.call("run.create", kind="novel_to_script", input={"text": TEXT})
            self.run = created["run"]["id"]
        t0 = time.perf_counter()
        r = self.call("run.next", run_id=self.run)
        self.lat.append((time.perf_counter() - t0) * 1e6)
        if r["run"]["status"] == "completed":
            self.run = None


def drive(nodes, clients, seconds):
    ctx = zmq.Context.instance()
    steppers = [Stepper(ctx, nodes[i % len(nodes)].endpoint) for i in range(clients)]
    stop = threading.Event()
    measuring = threading.Event()
    errors = []

    def loop(s):
        try:
            while not stop.is_set():
                s.step()
                if not measuring.is_set():
                    s.lat.clear()
        except Exception as e:  # noqa: BLE001 — reported after the round
            errors.append(str(e))

    threads = [threading.Thread(target=loop, args=(s,)) for s in steppers]
    for t in threads:
        t.start()
    time.sleep(min(1.0, seconds / 2))  # warm-up: runs created, connections open
    for s in steppers:
        s.lat.clear()
        s.refused = 0
    measuring.set()
    t0 = time.perf_counter()
    time.sleep(seconds)
    counted = [list(s.lat) for s in steppers]
    refused = sum(s.refused for s in steppers)
    wall = time.perf_counter() - t0
    stop.set()
    for t in threads:
        t.join()
    for s in steppers:
        s.sock.close()
    if errors:
        raise RuntimeError("client errors: " + "; ".join(errors[:3]))
    lat = [x for c in counted for x in c]
    return {"per_s": len(lat) / wall, "p50_us": pct(lat, 50), "p99_us": pct(lat, 99),
            "refused": refused}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("BUILD", os.path.join(ROOT, "build")))
    ap.add_argument("--clients", type=int, default=24)
    ap.add_argument("--seconds", type=float, default=5)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="1 round of 1.5 s")
    a = ap.parse_args()
    if a.quick:
        a.rounds, a.seconds = 1, 1.5
    build = os.path.abspath(a.build)
    for tool in ("pgbench", "psql"):
        if not shutil.which(tool):
            sys.exit("scaleout_bench: %s is missing (scripts/deps installs postgresql)" % tool)
    tmp = tempfile.mkdtemp(prefix="fl-scaleout-", dir=os.environ.get("TMPDIR", "/tmp"))
    started = []
    try:
        pg = PgServer(tmp)
        started.append(pg)
        configs = {"rocksdb, 1 node": [Node(build, tmp, "rocks", 'path = "@DIR@/data"')]}
        for n in (1, 2, 3):
            store = ('backend = "postgres"\npostgres_url = "%s"\npostgres_schema = "bench_%d"'
                     % (pg.url, n))
            configs["postgres, %d node%s" % (n, "s" if n > 1 else "")] = [
                Node(build, tmp, "pg%d-%d" % (n, i), store) for i in range(n)]
        for nodes in configs.values():
            started.extend(nodes)
        rounds = []
        for i in range(a.rounds):
            print("round %d of %d ..." % (i + 1, a.rounds), file=sys.stderr, flush=True)
            r = {name: drive(nodes, a.clients, a.seconds) for name, nodes in configs.items()}
            r["one_client"] = drive(configs["postgres, 1 node"], 1, a.seconds)
            r["pgbench"] = pg.pgbench(a.clients, max(1, round(a.seconds)))
            r["pgbench_1"] = pg.pgbench(1, max(1, round(a.seconds)))
            rounds.append(r)

        def med(pick):
            vals = sorted(pick(r) for r in rounds)
            return statistics.median(vals), vals[0], vals[-1]

        print("# scaleout_bench: %d clients (threads of one Python process, pyzmq), %d round(s) "
              "of %.1f s, median round [min..max]" % (a.clients, a.rounds, a.seconds))
        print("%-22s %22s %10s %10s %9s" % ("configuration", "durable steps/s", "p50 us", "p99 us",
                                           "refused"))
        for name in configs:
            m, lo, hi = med(lambda r: r[name]["per_s"])
            print("%-22s %9.0f [%5.0f..%5.0f] %10.0f %10.0f %9.0f" % (
                name, m, lo, hi, med(lambda r: r[name]["p50_us"])[0],
                med(lambda r: r[name]["p99_us"])[0], med(lambda r: r[name]["refused"])[0]))
        ins, ilo, ihi = med(lambda r: r["pgbench"]["per_s"])
        print("%-22s %9.0f [%5.0f..%5.0f] %10.0f %10s" % (
            "pgbench INSERT;COMMIT", ins, ilo, ihi, med(lambda r: r["pgbench"]["avg_us"])[0],
            "(avg)"))
        one = med(lambda r: r["one_client"]["p50_us"])[0]
        ins1 = med(lambda r: r["pgbench_1"]["avg_us"])[0]
        pg1 = med(lambda r: r["postgres, 1 node"]["per_s"])[0]
        print()
        print("cost of a step beside one INSERT+COMMIT on the same server:")
        print("  %d clients: %.2f INSERT+COMMITs per step (pgbench %.0f/s, postgres 1 node "
              "%.0f steps/s)" % (a.clients, ins / pg1, ins, pg1))
        print("  1 client:  run.next p50 %.0f us vs INSERT+COMMIT avg %.0f us = %.2fx" % (
            one, ins1, one / ins1))
    finally:
        for s in reversed(started):
            try:
                s.stop()
            except Exception as e:  # noqa: BLE001 — stop what can be stopped
                print("scaleout_bench: stopping: %s" % e, file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
