#!/usr/bin/python3
"""kill -9 under load (issue: reliability). Worker threads send mixed commands over ZeroMQ
(create, next, pause, resume, autorun, fork, cancel; every mutating command carries an
idempotency key) to a real forklined while SSE subscribers follow some runs and the global
stream, and the daemon is killed with SIGKILL at random moments and restarted.

Pass, checked against the log after the last restart:
- every acknowledged command is found in its run's history by its key (0 acked lost);
- no key acted twice: a key appears in one run only, and each (index, attempt) of a run
  was started and ended at most once (0 duplicated);
- versions are 1..n and the hash chain links every event to the one before;
- what the daemon serves equals a fold of the log (cursor, version, status, autorun), and
  `forkline audit --data … --connect …` finds the whole store clean;
- every run put on autorun by the load and left alone finishes `completed`;
- every SSE subscriber, reconnecting with Last-Event-ID, saw a gapless, duplicate-free
  sequence (run streams: versions 1..n; the global stream: positions 1..last).

Usage: FORKLINED=… FORKLINE_CLI=path/to/forkline kill_under_load_test.py [KILLS]   (default 30; the long
tier, `make torture`, passes 200)."""
import json
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zmq  # noqa: E402
from fl_daemon import Daemon, wait_for  # noqa: E402

KILLS = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ.get("KILLS", "30"))
SEED = int(os.environ.get("SEED", str(random.randrange(1 << 30))))
WORKERS = 6
MIN_RUNS = 50

STEP = """
[[steps]]
name = "s%d"
executor = "exec"
max_attempts = 50
argv = ["/bin/sh", "-c", "cat >/dev/null; echo '{\\"n\\": %d}'"]
"""
# Five quick subprocess steps that may be repeated: an interrupted attempt is retried.
WORKFLOW = 'kind = "five"\ndescription = "five quick steps"\n' + "".join(
    STEP % (i, i) for i in range(5))
TOTAL_STEPS = 5


class Down(Exception):
    """No reply: the daemon died (or was restarting) while the command was on its way."""


class Worker:
    """One DEALER client issuing random commands on its own runs; records what was acked."""

    def __init__(self, d, rng, acked, autorun_runs, lock):
        self.d, self.rng, self.acked, self.autorun_runs, self.lock = d, rng, acked, autorun_runs, lock
        self.runs = []  # run ids this worker may touch
        self.sock = None
        self.stop = False

    def _socket(self):
        if self.sock is None:
            self.sock = zmq.Context.instance().socket(zmq.DEALER)
            self.sock.setsockopt(zmq.LINGER, 0)
            self.sock.connect(self.d.endpoint)
        return self.sock

    def call(self, cmd, args, key):
        rid = uuid.uuid4().hex
        s = self._socket()
        proc = self.d.proc
        s.send(json.dumps({"id": rid, "cmd": cmd, "args": args, "key": key}).encode())
        deadline = time.time() + 60  # a hang guard; a killed daemon is noticed at once
        while time.time() < deadline and self.d.proc is proc and proc.poll() is None:
            if s.poll(50):
                rep = json.loads(s.recv_multipart()[-1])
                if rep.get("id") == rid:
                    return rep
                continue  # a stale reply to a request sent before a restart
        # The request or its reply was lost with a killed daemon: start over on a new socket.
        self.sock.close(0)
        self.sock = None
        raise Down()

    def mutate(self, cmd, args, tracked_autorun=False):
        key = "k-" + uuid.uuid4().hex
        try:
            rep = self.call(cmd, args, key)
        except Down:
            return None
        if not rep.get("ok"):
            code = rep["error"]["code"]
            assert code in ("conflict", "unavailable"), (cmd, args, rep)
            return None
        run = rep["result"]["run"]
        with self.lock:
            self.acked.append({"key": key, "cmd": cmd, "args": args, "run_id": run["id"],
                               "version": run["version"]})
            if tracked_autorun:
                self.autorun_runs.add(run["id"])
        return run

    def one(self):
        r = self.rng.random()
        if not self.runs or r < 0.12:
            autorun = self.rng.random() < 0.35
            run = self.mutate("run.create", {"kind": "five", "input": {"w": self.rng.random()},
                                             "autorun": autorun}, tracked_autorun=autorun)
            if run and not autorun:
                self.runs.append(run["id"])
            return
        run_id = self.rng.choice(self.runs)
        if r < 0.55:
            self.mutate("run.next", {"run_id": run_id})
        elif r < 0.63:
            self.mutate("run.pause", {"run_id": run_id, "abort_step": self.rng.random() < 0.5})
        elif r < 0.73:
            self.mutate("run.resume", {"run_id": run_id})
        elif r < 0.83:
            self.mutate("run.autorun", {"run_id": run_id, "enabled": self.rng.random() < 0.5})
        elif r < 0.95:
            run = self.mutate("run.fork", {"run_id": run_id})
            if run:
                self.runs.append(run["id"])
        else:
            self.mutate("run.cancel", {"run_id": run_id})

    def loop(self):
        while not self.stop:
            self.one()
        if self.sock is not None:
            self.sock.close(0)


class Subscriber:
    """An SSE reader over a raw socket that reconnects with Last-Event-ID after every drop,
    until stopped; records every id it was sent."""

    def __init__(self, d, path):
        self.d, self.path = d, path
        self.ids = []
        self.last = None
        self.stop = False
        self.connections = 0

    def _read(self):
        s = socket.create_connection(("127.0.0.1", self.d.hport), timeout=1)
        head = "GET %s HTTP/1.1\r\nHost: localhost\r\nAccept: text/event-stream\r\n" % self.path
        if self.last is not None:
            head += "Last-Event-ID: %s\r\n" % self.last
        s.sendall((head + "\r\n").encode())
        self.connections += 1
        buf = b""
        in_body = False
        try:
            while not self.stop:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    continue
                if not chunk:
                    return
                buf += chunk
                if not in_body:
                    if b"\r\n\r\n" not in buf:
                        continue
                    status, _, buf = buf.partition(b"\r\n\r\n")
                    assert status.split()[1] == b"200", status
                    in_body = True
                # Chunked transfer framing lines are hex sizes; SSE lines we need start
                # with "id:". An id line split across reads stays in buf until complete.
                *lines, buf = buf.split(b"\n")
                for line in lines:
                    if line.startswith(b"id: "):
                        n = int(line[4:].strip())
                        self.ids.append(n)
                        self.last = n
        finally:
            s.close()

    def loop(self):
        while not self.stop:
            try:
                self._read()
            except (OSError, ValueError):
                pass
            if not self.stop:
                time.sleep(0.05)  # a reconnect pace, not a wait for anything


def events_of(c, run_id):
    out, after = [], 0
    while True:
        page = c.ok("run.events", run_id=run_id, after=after, limit=10000)
        out += page["events"]
        if page["next"] is None:
            return out
        after = page["next"]


def fold(events):
    """The state the log implies: {cursor, version, status, autorun} (DESIGN §2)."""
    st = {"cursor": 0, "version": 0, "status": "queued", "autorun": False}
    for e in events:
        t, data = e["type"], e["data"]
        st["version"] = e["version"]
        if t == "run.forked":
            st.update(cursor=data["at"], status="queued", autorun=False)
        elif t == "step.started" and st["status"] == "queued":
            st["status"] = "running"
        elif t == "step.completed":
            st["cursor"] = data["index"] + 1
        elif t == "run.paused":
            st["status"] = "paused"
        elif t in ("run.resumed", "run.retried"):
            st["status"] = "running"
        elif t in ("run.completed", "run.failed", "run.canceled"):
            st["status"] = t.split(".")[1]
        elif t == "run.autorun_started":
            st["autorun"] = True
        elif t == "run.autorun_stopped":
            st["autorun"] = False
    return st


def main():
    rng = random.Random(SEED)
    print("seed %d, %d kills" % (SEED, KILLS), flush=True)
    d = Daemon(workflows={"five": WORKFLOW})
    acked, autorun_runs, lock = [], set(), threading.Lock()
    failures = []
    try:
        d.start()
        c = d.client()
        # Runs followed by SSE from their first event, plus the global stream.
        followed = [c.ok("run.create", kind="five", input={}, autorun=True)["run"]["id"]
                    for _ in range(3)]
        autorun_runs.update(followed)
        subs = [Subscriber(d, "/v1/runs/%s/events" % r) for r in followed]
        subs.append(Subscriber(d, "/v1/events"))
        workers = [Worker(d, random.Random(rng.random()), acked, autorun_runs, lock)
                   for _ in range(WORKERS)]
        threads = [threading.Thread(target=x.loop, daemon=True) for x in workers + subs]
        for t in threads:
            t.start()
        for i in range(KILLS):
            time.sleep(rng.uniform(0.15, 0.8))  # load runs for a random while, then the kill
            d.kill9()
            d.start()
        # Enough runs; then quiesce: stop the load, let autorun finish.
        wait_for("%d runs" % MIN_RUNS,
                 lambda: len(d.client().ok("run.list", limit=1000)["runs"]) >= MIN_RUNS, 120, 0.1)
        for w in workers:
            w.stop = True
        for t in threads[:len(workers)]:
            t.join(60)
        c = d.client()

        def autorun_done():
            for r in sorted(autorun_runs):
                run = c.ok("run.get", run_id=r)["run"]
                if run["autorun"] or run["status"] not in ("completed", "failed", "canceled", "paused"):
                    return False
            return True
        wait_for("autorun runs to stop", autorun_done, 180, 0.1)

        runs, after = [], None
        while True:
            page = c.ok("run.list", limit=1000, **({"after": after} if after else {}))
            runs += page["runs"]
            after = page["next"]
            if after is None:
                break
        assert len(runs) >= MIN_RUNS
        logs = {r["id"]: events_of(c, r["id"]) for r in runs}
        # A fork's history starts with its source's events (their run_id is the source's).
        own = {rid: [e for e in ev if e["run_id"] == rid] for rid, ev in logs.items()}

        # Versions contiguous and chained.
        for rid, ev in logs.items():
            vs = [e["version"] for e in ev]
            if vs != list(range(1, len(vs) + 1)):
                failures.append("run %s versions not 1..n: %s" % (rid, vs))
            for a, b in zip(ev, ev[1:]):
                if b["prev_hash"] != a["hash"]:
                    failures.append("run %s v%d does not chain to v%d" % (rid, b["version"], a["version"]))

        # Every acked command found by its key in its run's history; a key in one run only.
        keys_in = {}
        for rid, ev in own.items():
            for e in ev:
                if e.get("key"):
                    keys_in.setdefault(e["key"], set()).add(rid)
        def noop(a):  # switching autorun to what it already is appends nothing
            if a["cmd"] != "run.autorun":
                return False
            return fold(logs[a["run_id"]][:a["version"]])["autorun"] == a["args"]["enabled"]
        lost = [a for a in acked if a["run_id"] not in keys_in.get(a["key"], ()) and not noop(a)]
        lost += [a for a in acked if a["version"] > len(logs[a["run_id"]])]
        if lost:
            by = {}
            for a in lost:
                by[a["cmd"]] = by.get(a["cmd"], 0) + 1
            failures.append("%d acked commands lost %s, e.g. %s" % (len(lost), by, lost[:3]))
        multi = {k: v for k, v in keys_in.items() if len(v) > 1}
        if multi:
            failures.append("keys that acted in several runs: %s" % list(multi.items())[:3])

        # No step started or ended twice for one (index, attempt).
        for rid, ev in own.items():
            seen = set()
            for e in ev:
                if not e["type"].startswith("step."):
                    continue
                phase = "start" if e["type"] == "step.started" else "end"
                k = (phase, e["data"]["index"], e["data"]["attempt"])
                if k in seen:
                    failures.append("run %s: %s twice for step %d attempt %d"
                                    % (rid, phase, k[1], k[2]))
                seen.add(k)

        # What is served equals the fold of the log.
        for r in runs:
            served = c.ok("run.get", run_id=r["id"])["run"]
            want = fold(logs[r["id"]])
            got = {k: served[k] for k in want}
            if got != want:
                failures.append("run %s: served %s, log says %s" % (r["id"], got, want))

        # The auditor agrees: every chain, version, position, fork link and step order in
        # the store, and every projection the daemon serves equals the fold of its log.
        cli = os.environ.get("FORKLINE_CLI")
        if cli:
            audit = subprocess.run([cli, "audit", "--data", d.data, "--connect", d.endpoint],
                                   capture_output=True, text=True, timeout=300)
            if audit.returncode != 0:
                failures.append("forkline audit exit %d:\n%s%s" % (
                    audit.returncode, audit.stdout[-3000:], audit.stderr[-2000:]))
        else:
            failures.append("FORKLINE_CLI is not set: cannot run forkline audit")

        # Runs put on autorun by the load and never touched again finish.
        for rid in sorted(autorun_runs):
            st = c.ok("run.get", run_id=rid)["run"]["status"]
            if st != "completed":
                failures.append("autorun run %s ended %s" % (rid, st))

        # SSE: catch up to the end, then check each sequence.
        last_pos = max(e["position"] for ev in own.values() for e in ev if "position" in e)
        targets = [len(logs[r]) for r in followed] + [last_pos]
        for s, target in zip(subs, targets):
            try:
                wait_for("SSE %s to reach %d" % (s.path, target), lambda: s.last == target, 60, 0.05)
            except TimeoutError as e:
                failures.append(str(e) + " (at %s)" % s.last)
            s.stop = True
            if s.ids != list(range(1, target + 1)):
                missing = sorted(set(range(1, target + 1)) - set(s.ids))
                dup = len(s.ids) - len(set(s.ids))
                failures.append("SSE %s: %d ids, missing %s, %d duplicates"
                                % (s.path, len(s.ids), missing[:10], dup))

        print("runs %d, acked commands %d, events %d, autorun runs %d, SSE reconnects %s, "
              "global positions %d" % (len(runs), len(acked), sum(len(v) for v in own.values()),
                                       len(autorun_runs), [s.connections for s in subs], last_pos))
    except BaseException as e:  # noqa: B902
        import traceback
        traceback.print_exc()
        failures.append("crashed: %r" % e)
    finally:
        if failures:
            print("daemon log tail:\n" + d.tail(), file=sys.stderr)
        d.cleanup()
    for f in failures[:40]:
        print("FAIL", f)
    print("FAIL" if failures else "PASS", "kill_under_load (seed %d)" % SEED)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
