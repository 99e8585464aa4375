#!/usr/bin/python3
"""The `forkline` CLI end to end against a real forklined: create --text-file, next, show,
ls --json, autorun on, watch --until-terminal, output --field fountain, fork --at,
lineage, events, workflows, health; exit codes 1 (command error), 2 (usage), 3 (no answer).
Usage: FORKLINED=path/to/forklined FORKLINE_CLI=path/to/forkline cli_test.py"""
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fl_daemon import SMALL_NOVEL, Daemon, free_port, run_suite  # noqa: E402

CLI = os.path.abspath(os.environ.get("FORKLINE_CLI") or "")
CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared",
                      "corpus", "alice.txt")


class Cli:
    def __init__(self, d):
        self.d = d
        self.env = dict(os.environ, FORKLINE_CONNECT=d.endpoint, FORKLINE_HTTP="127.0.0.1:%d" % d.hport)
        self.env.pop("FORKLINE_TOKEN", None)

    def run(self, *args, code=0, timeout=120):
        p = subprocess.run([CLI] + list(args), env=self.env, capture_output=True, text=True,
                           timeout=timeout)
        assert p.returncode == code, "forkline %s -> %d (want %d)\nstdout: %s\nstderr: %s" % (
            " ".join(args), p.returncode, code, p.stdout[-2000:], p.stderr[-2000:])
        if code != 0:
            assert p.stderr.strip(), "an error without a message: forkline %s" % " ".join(args)
        return p.stdout

    def json(self, *args):
        return json.loads(self.run("--json", *args))


def novel_file(d):
    path = os.path.join(d.tmp, "novel.txt")
    text = SMALL_NOVEL
    if os.path.exists(CORPUS):
        with open(CORPUS, encoding="utf-8") as f:
            text = f.read()[:20000]
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def t_end_to_end(d):
    cli = Cli(d)
    assert cli.json("health")["ok"] is True
    assert "novel_to_script" in cli.run("workflows")
    kinds = [w["kind"] for w in cli.json("workflows")["workflows"]]
    assert "novel_to_script" in kinds, kinds
    run = cli.json("create", "novel_to_script", "--text-file", novel_file(d), "--title", "Alice")
    run = run.get("run", run)
    rid = run["id"]
    assert run["status"] == "queued" and run["title"] == "Alice", run
    human = cli.run("next", rid)
    assert "ingest" in human, human
    shown = cli.run("show", rid)
    assert rid in shown and "ingest" in shown and "assemble" in shown, shown
    got = cli.json("show", rid)
    got = got.get("run", got)
    assert got["cursor"] == 1 and got["steps"][0]["status"] == "completed", got
    ls = cli.json("ls")
    assert rid in [r["id"] for r in ls["runs"]], ls
    assert rid in cli.run("ls")
    # watch --until-terminal while autorun finishes the run: it ends by itself, exit 0.
    watch = subprocess.Popen([CLI, "watch", rid, "--until-terminal"], env=cli.env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    cli.run("autorun", rid, "on")
    out, err = watch.communicate(timeout=180)
    assert watch.returncode == 0, (watch.returncode, out, err)
    assert "run.completed" in out and "run.created" in out, out
    assert out.count("step.completed") == 5, out
    jw = cli.run("--json", "watch", rid, "--until-terminal").splitlines()
    evs = [json.loads(line) for line in jw]
    assert [e["version"] for e in evs] == list(range(1, len(evs) + 1)), jw
    assert evs[-1]["type"] == "run.completed", evs[-1]
    fountain = cli.run("output", rid, "assemble", "--field", "fountain")
    assert fountain.strip(), "empty Fountain"
    assert "Title:" in fountain and ("INT." in fountain or "EXT." in fountain), fountain[:500]
    assert cli.run("output", rid, "4", "--field", "fountain") == fountain
    stats = cli.json("output", rid, "assemble")
    assert stats["stats"]["scenes"] >= 1, stats["stats"]
    fork = cli.json("fork", rid, "--at", "2")
    fork = fork.get("run", fork)
    assert fork["cursor"] == 2 and fork["parent"]["run_id"] == rid, fork
    assert fork["status"] == "queued", fork
    override = os.path.join(d.tmp, "override.json")
    with open(override, "w") as f:
        json.dump({"characters": [{"name": "ALICE", "lines": 1, "mentions": 1, "aliases": []}]}, f)
    edited = cli.json("fork", rid, "--at", "2", "--override-file", override, "--title", "Edited")
    edited = edited.get("run", edited)
    assert edited["title"] == "Edited", edited
    assert edited["steps"][1]["output"]["characters"][0]["name"] == "ALICE", edited["steps"][1]
    lin = cli.json("lineage", fork["id"])
    assert lin["root"] == rid and {fork["id"], edited["id"], rid} <= {r["run_id"] for r in lin["runs"]}
    assert fork["id"] in cli.run("lineage", rid)
    events = cli.json("events", rid, "--after", "2", "--limit", "3")
    assert [e["version"] for e in events["events"]] == [3, 4, 5], events
    assert "run.completed" in cli.run("events", rid)
    # The rest of the run commands, on a fork.
    f = fork["id"]
    cli.run("pause", f)
    assert cli.json("show", f).get("run", {}).get("status", "paused") == "paused"
    cli.run("resume", f)
    now = cli.json("show", f)
    now = now.get("run", now)
    cli.run("next", f, "--expect-version", str(now["version"] - 1), code=1)  # stale: conflict
    cli.run("next", f, "--expect-version", str(now["version"]))
    cli.run("cancel", f)
    got = cli.json("show", f)
    got = got.get("run", got)
    assert got["status"] == "canceled" and got["cursor"] == 3, got
    assert cli.json("ls", "--status", "canceled")["runs"][0]["id"] == f


def t_exit_codes(d):
    cli = Cli(d)
    # 1: the command failed (error reply, missing output).
    cli.run("show", "r_no_such_run", code=1)
    cli.run("next", "r_no_such_run", code=1)
    run = cli.json("create", "novel_to_script", "--text-file", novel_file(d))
    rid = run.get("run", run)["id"]
    cli.run("output", rid, "assemble", code=1)   # not run yet
    cli.run("cancel", rid)
    cli.run("cancel", rid, code=1)               # conflict
    cli.run("create", "novel_to_script", "--text-file", os.path.join(d.tmp, "missing.txt"), code=1)
    # 2: usage.
    cli.run("no-such-subcommand", code=2)
    cli.run(code=2)
    cli.run("next", code=2)
    cli.run("show", "a", "b", code=2)
    cli.run("fork", rid, "--at", "two", code=2)
    cli.run("autorun", rid, "maybe", code=2)
    cli.run("ls", "--bogus-flag", code=2)
    assert "usage" in cli.run("--help").lower()
    # 3: no daemon there.
    down = dict(cli.env, FORKLINE_CONNECT="tcp://127.0.0.1:%d" % free_port())
    p = subprocess.run([CLI, "--timeout", "1", "health"], env=down, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 3 and p.stderr.strip(), (p.returncode, p.stderr)
    p = subprocess.run([CLI, "--timeout", "1", "show", rid], env=down, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 3, (p.returncode, p.stderr)


def main():
    if not os.access(CLI, os.X_OK):
        raise RuntimeError("set FORKLINE_CLI to the forkline binary (got %r)" % CLI)
    run_suite(lambda: Daemon(),
              (t_end_to_end, t_exit_codes))


if __name__ == "__main__":
    main()
