#!/usr/bin/python3
"""A full disk (issue: reliability). forklined keeps its store on a small tmpfs; commands
with large inputs fill it. Pass: once a write fails, the daemon answers every further
mutating command `unavailable` with a reason and acknowledges nothing more (reads still
answer); after the space is grown and the daemon restarted, every acknowledged run is
there with its input intact, and new commands are accepted again.

Needs root (mount -t tmpfs); without it the test reports itself skipped (exit 77), never
passed. Usage: FORKLINED=path/to/forklined full_disk_test.py"""
import hashlib
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fl_daemon import Daemon, Results  # noqa: E402

SKIP = 77
CHUNK = 256 * 1024  # bytes of input text per run.create


def text(i):
    seed = hashlib.sha256(str(i).encode()).hexdigest()
    return (seed * (CHUNK // len(seed) + 1))[:CHUNK]


def mount(path, size):
    return subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size, "tmpfs", path],
                          capture_output=True, text=True)


def main():
    d = Daemon()
    mnt = os.path.join(d.tmp, "small")
    os.makedirs(mnt)
    m = mount(mnt, "24m") if os.geteuid() == 0 else None
    if m is None or m.returncode != 0:
        print("SKIP full_disk: cannot mount a tmpfs (%s)" % (m.stderr.strip() if m else "not root"))
        d.cleanup()
        sys.exit(SKIP)
    # The store lives on the small mount.
    with open(d.config) as f:
        cfg = f.read().replace('path = "%s"' % d.data, 'path = "%s/data"' % mnt)
    with open(d.config, "w") as f:
        f.write(cfg)
    res = Results()
    acked = {}  # run id -> sha256 of its input text
    state = {}

    def fill_until_refused():
        d.start()
        c = d.client()
        for i in range(400):  # 100 MB of input: far beyond the 24 MB mount
            rep = c.call("run.create", kind="novel_to_script", input={"text": text(i)})
            if rep["ok"]:
                acked[rep["result"]["run"]["id"]] = hashlib.sha256(text(i).encode()).hexdigest()
                continue
            state["first_error"] = rep["error"]
            break
        e = state.get("first_error")
        assert e is not None, "the disk never filled"
        assert e["code"] == "unavailable", e
        assert len(acked) > 0, "nothing was accepted before the disk filled"

    def refuses_after_failure():
        c = d.client()
        for i in range(5):
            rep = c.call("run.create", kind="novel_to_script", input={"text": "small %d" % i})
            assert rep["ok"] is False and rep["error"]["code"] == "unavailable", rep
            assert rep["error"]["message"], rep
        # Reads still answer.
        some = next(iter(acked))
        assert c.ok("run.get", run_id=some)["run"]["id"] == some
        st, body, _ = d.http("GET", "/healthz")
        assert st == 503, (st, body)

    def restart_with_space():
        d.kill9()
        r = subprocess.run(["mount", "-o", "remount,size=256m", mnt], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        d.start()
        c = d.client()
        for run_id, digest in acked.items():
            run = c.ok("run.get", run_id=run_id)["run"]
            got = hashlib.sha256(run["input"]["text"].encode()).hexdigest()
            assert got == digest, "run %s: input changed" % run_id
        assert c.ok("run.create", kind="novel_to_script", input={"text": "after"})["run"]["id"]

    try:
        res.run("fill_until_refused", fill_until_refused)
        res.run("refuses_after_failure", refuses_after_failure)
        res.run("restart_with_space_keeps_every_ack", restart_with_space)
        print("acked %d runs of %d KiB before the disk filled; first refusal: %s"
              % (len(acked), CHUNK // 1024, state.get("first_error")))
    except BaseException:
        res.crashed()
    finally:
        d.stop()
        subprocess.run(["umount", "-l", mnt], capture_output=True)
        res.exit([d])


if __name__ == "__main__":
    main()
