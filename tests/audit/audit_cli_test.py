#!/usr/bin/python3
"""The auditor's tools end to end against a real forklined: `forkline audit` on a live
daemon's store (read-only) and over ZeroMQ, `replay` and GET /v1/runs/{id}?at_version=N,
`diff` and GET /v1/runs/{a}/diff/{b}, `export`/`import` (round trip into a fresh store,
forks bring their sources, an edited export is refused with nothing written), and
`backup` (POST /v1/admin/backup while the daemon runs) + `restore` + audit.
Usage: FORKLINED=… FORKLINE_CLI=… audit_cli_test.py"""
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "daemon"))
from fl_daemon import SMALL_NOVEL, Daemon, run_suite, wait_for  # noqa: E402

CLI = os.path.abspath(os.environ.get("FORKLINE_CLI") or "")
RUNS = {}


class Cli:
    def __init__(self, d):
        self.d = d
        self.env = dict(os.environ, FORKLINE_CONNECT=d.endpoint, FORKLINE_HTTP="127.0.0.1:%d" % d.hport)
        self.env.pop("FORKLINE_TOKEN", None)

    def run(self, *args, code=0, stdin=None):
        p = subprocess.run([CLI] + list(args), env=self.env, capture_output=True, text=True,
                           timeout=120, input=stdin)
        assert p.returncode == code, "forkline %s -> %d (want %d)\nstdout: %s\nstderr: %s" % (
            " ".join(args), p.returncode, code, p.stdout[-3000:], p.stderr[-2000:])
        if code != 0:
            assert p.stderr.strip() or p.stdout.strip(), "no message: forkline %s" % " ".join(args)
        return p

    def out(self, *args, **kw):
        return self.run(*args, **kw).stdout

    def json(self, *args, **kw):
        return json.loads(self.out("--json", *args, **kw))


def path(d, name):
    return os.path.join(d.tmp, name)


def finished(c, rid):
    return lambda: c.ok("run.get", run_id=rid)["run"]["status"] == "completed"


def t_setup(d):
    """A completed run, an edited fork at 2 stepped once, a fork at 3 run to the end."""
    c = d.client()
    src = c.ok("run.create", kind="novel_to_script", input={"text": SMALL_NOVEL}, title="Src",
               autorun=True)["run"]["id"]
    wait_for("source completed", finished(c, src))
    edited = c.ok("run.fork", run_id=src, at=2,
                  override={"output": {"characters": [{"name": "QUEEN", "lines": 1, "mentions": 1,
                                                       "aliases": []}]}})["run"]["id"]
    c.ok("run.next", run_id=edited)
    rerun = c.ok("run.fork", run_id=src, at=3, autorun=True)["run"]["id"]
    wait_for("fork completed", finished(c, rerun))
    RUNS.update(src=src, edited=edited, rerun=rerun)


def t_audit_live_store_and_daemon(d):
    cli = Cli(d)
    text = cli.out("audit", "--data", d.data, "--connect", d.endpoint)
    assert "clean" in text and "3 runs" in text, text
    rep = cli.json("audit", "--data", d.data, "--connect", d.endpoint)
    assert rep["clean"] is True and rep["runs"] == 3 and rep["compared"] == 3, rep
    assert rep["events"] > 20 and rep["findings"] == [], rep
    rep = cli.json("audit")  # the daemon's log over ZeroMQ only
    assert rep["clean"] is True and rep["compared"] == 3, rep
    assert cli.json("audit", "--data", d.data)["compared"] == 0  # the store alone
    cli.run("audit", "--data", path(d, "nowhere"), code=1)
    cli.run("audit", "--bogus", code=2)


def t_audit_while_the_daemon_writes(d):
    """Runs are created and run by autorun while `audit --data --connect` reads the live
    store and compares with the daemon: every audit is clean (a consistent cut of the log;
    runs that move while compared are read again)."""
    c = d.client()
    audits = []
    ids = []
    for _ in range(12):
        ids.append(c.ok("run.create", kind="novel_to_script", input={"text": SMALL_NOVEL},
                        autorun=True)["run"]["id"])
        if len(ids) % 4 == 0:
            audits.append(subprocess.Popen([CLI, "--json", "audit", "--data", d.data, "--connect", d.endpoint],
                                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    for p in audits:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, (out[-3000:], err[-2000:])
        assert json.loads(out)["clean"] is True, out
    for rid in ids:
        wait_for("run completed", finished(c, rid))


def t_replay_cli_and_http(d):
    cli = Cli(d)
    src = RUNS["src"]
    full = d.client().ok("run.get", run_id=src)["run"]
    at3 = cli.json("replay", src, "--until", "3")
    st, body, _ = d.http("GET", "/v1/runs/%s?at_version=3" % src)
    assert st == 200 and body["run"] == at3, (st, body, at3)
    assert at3["version"] == 3 and at3["id"] == src and at3["cursor"] < full["cursor"], at3
    assert cli.json("replay", src) == full  # no point: the whole history
    events = d.client().ok("run.events", run_id=src)["events"]
    at_time = cli.json("replay", src, "--at", events[-1]["at"])
    assert at_time == full, at_time
    assert "as of version 3" in cli.out("replay", src, "--until", "3")
    # The fork seen inside its inherited prefix is the source's state under the fork's id.
    edited = RUNS["edited"]
    st, body, _ = d.http("GET", "/v1/runs/%s?at_version=2" % edited)
    assert st == 200 and body["run"]["id"] == edited and body["run"]["version"] == 2, body
    for q, code, err in (("abc", 400, "bad_request"), ("0", 400, "bad_request"),
                         ("-1", 400, "bad_request"), ("99999", 404, "not_found")):
        st, body, _ = d.http("GET", "/v1/runs/%s?at_version=%s" % (src, q))
        assert st == code and body["error"]["code"] == err, (q, st, body)
    st, body, _ = d.http("GET", "/v1/runs/r_nope?at_version=1")
    assert st == 404 and body["error"]["code"] == "not_found", body
    cli.run("replay", src, "--until", "99999", code=1)
    cli.run("replay", src, "--until", "x", code=2)
    cli.run("replay", src, "--at", "yesterday", code=2)
    cli.run("replay", src, "--until", "2", "--at", events[0]["at"], code=2)
    assert cli.json("replay", src, "--until", "3", "--data", d.data) == at3


def t_diff_cli_and_http(d):
    cli = Cli(d)
    src, edited, rerun = RUNS["src"], RUNS["edited"], RUNS["rerun"]
    fork = d.client().ok("run.get", run_id=edited)["run"]
    diff = cli.json("diff", src, edited)
    st, body, _ = d.http("GET", "/v1/runs/%s/diff/%s" % (src, edited))
    assert st == 200 and body == diff, (st, body)
    assert diff["shared"] == {"run_id": src, "version": fork["parent"]["version"]}, diff["shared"]
    assert diff["diverge_at"] == fork["parent"]["version"] + 1, diff
    steps = diff["steps"]
    assert steps[0]["verdict"] == "same" and steps[0]["shared"] is True, steps[0]
    assert steps[1]["verdict"] == "differs" and steps[1]["shared"] is False, steps[1]
    fields = {f["field"]: f["diff"] for f in steps[1]["fields"]}
    assert '+    "name": "QUEEN",' in fields["characters"], fields
    assert '-    "name": "ALICE",' in fields["characters"], fields
    assert steps[4]["verdict"] == "only_a", steps[4]
    text = cli.out("diff", src, edited)
    assert "shared history: versions 1..%d" % fork["parent"]["version"] in text, text
    assert "#1 characters" in text and "differs" in text and "@@ " in text, text
    # The fork at 3 ran screenplay and assemble again: same outputs, not the same events.
    again = cli.json("diff", src, rerun)["steps"]
    assert [s["verdict"] for s in again] == ["same"] * 5, again
    assert [s["shared"] for s in again] == [True, True, True, False, False], again
    same = cli.json("diff", src, src)
    assert same["diverge_at"] is None, same
    assert "identical" in cli.out("diff", src, src)
    st, body, _ = d.http("GET", "/v1/runs/%s/diff/r_nope" % src)
    assert st == 404 and body["error"]["code"] == "not_found", body
    cli.run("diff", src, "r_nope", code=1)
    cli.run("diff", src, code=2)


def lines(text):
    return [line for line in text.splitlines() if line]


def t_export_import_round_trip(d):
    cli = Cli(d)
    live = cli.out("export", "--all")
    from_store = cli.out("export", "--all", "--data", d.data)
    assert live == from_store, "export over ZeroMQ and from the store differ"
    events = [json.loads(x) for x in lines(live)]
    assert len({e["run_id"] for e in events}) == 15, events[:3]
    assert [e["position"] for e in events] == list(range(1, len(events) + 1))
    dump = path(d, "all.jsonl")
    with open(dump, "w") as f:
        f.write(live)
    fresh = path(d, "fresh")
    out = cli.out("import", "--data", fresh, "--file", dump)
    assert "imported 15 runs, %d events" % len(events) in out, out
    assert cli.out("export", "--all", "--data", fresh) == live  # ids, versions, hashes, positions
    assert "clean" in cli.out("audit", "--data", fresh)
    # A second import of the same runs is refused.
    again = cli.run("import", "--data", fresh, "--file", dump, code=1)
    assert "already exists" in again.stderr, again.stderr
    # Forks bring their sources, sources first.
    part_text = cli.out("export", RUNS["edited"])
    part = [json.loads(x) for x in lines(part_text)]
    assert {e["run_id"] for e in part} == {RUNS["src"], RUNS["edited"]}, part[:2]
    assert part[0]["run_id"] == RUNS["src"] and part[0]["type"] == "run.created"
    one = path(d, "one")
    cli.out("import", "--data", one, stdin=part_text)
    assert cli.json("diff", RUNS["src"], RUNS["edited"], "--data", one) == \
        cli.json("diff", RUNS["src"], RUNS["edited"])
    cli.run("export", code=2)
    cli.run("export", "r_nope", code=1)
    cli.run("import", stdin=live, code=2)  # no --data: a live daemon cannot import


def t_import_refuses_an_edited_export(d):
    cli = Cli(d)
    live = lines(cli.out("export", "--all"))
    target = next(i for i, x in enumerate(live) if '"step.completed"' in x and "Alice" in x)
    ev = json.loads(live[target])
    tampered = live[:target] + [live[target].replace("Alice", "Alicf", 1)] + live[target + 1:]
    store = path(d, "tampered")
    p = cli.run("import", "--data", store, stdin="\n".join(tampered) + "\n", code=1)
    assert "run %s version %d" % (ev["run_id"], ev["version"]) in p.stderr, p.stderr
    assert "nothing imported" in p.stderr and "hash" in p.stderr, p.stderr
    assert cli.out("export", "--all", "--data", store) == ""  # nothing was written
    broken = live[:target] + live[target + 1:]  # a hole in a chain
    cli.run("import", "--data", path(d, "holes"), stdin="\n".join(broken), code=1)
    cli.run("import", "--data", path(d, "junk"), stdin="{not json\n", code=1)


def t_backup_restore_while_running(d):
    cli = Cli(d)
    c = d.client()
    busy = c.ok("run.create", kind="novel_to_script", input={"text": SMALL_NOVEL}, autorun=True)["run"]["id"]
    backup = path(d, "backup")
    assert "backup written to" in cli.out("backup", backup)  # while `busy` runs
    wait_for("busy completed", finished(c, busy))
    cli.run("backup", backup, code=1)  # exists already
    st, body, _ = d.http("POST", "/v1/admin/backup", body={"dir": "relative/path"})
    assert st == 400 and body["error"]["code"] == "bad_request", body
    restored = path(d, "restored")
    out = cli.out("restore", backup, "--data", restored)
    assert "clean" in out, out
    assert cli.json("audit", "--data", restored)["clean"] is True
    # The copy holds every run the daemon had when it was taken, each a prefix of now.
    copy = lines(cli.out("export", "--all", "--data", restored))
    live = set(lines(cli.out("export", "--all")))
    assert copy and all(x in live for x in copy), "the backup holds events the daemon lacks"
    runs = {json.loads(x)["run_id"] for x in copy}
    assert runs <= {json.loads(x)["run_id"] for x in live} | {busy} and RUNS["src"] in runs, runs
    cli.run("restore", backup, "--data", restored, code=1)  # not empty: never overwritten
    cli.run("restore", path(d, "nothing"), "--data", path(d, "r2"), code=1)
    cli.run("restore", backup, code=2)


def t_backup_needs_the_token(d):
    """With [auth] token set, POST /v1/admin/backup needs the bearer token like every /v1 route."""
    guarded = Daemon(token="s3cret")
    try:
        guarded.start()
        cli = Cli(guarded)
        st, body, _ = guarded.http("POST", "/v1/admin/backup", body={"dir": path(d, "g1")},
                                   headers={"Authorization": None})
        assert st == 401 and body["error"]["code"] == "unauthorized", (st, body)
        assert not os.path.exists(path(d, "g1"))
        refused = cli.run("backup", path(d, "g2"), code=1)
        assert "HTTP 401" in refused.stderr and "token" in refused.stderr, refused.stderr
        cli.out("--token", "s3cret", "backup", path(d, "g4"))
        assert os.path.exists(os.path.join(path(d, "g4"), "CURRENT"))
        st, body, _ = guarded.http("GET", "/v1/admin/backup", headers={"Authorization": "Bearer s3cret"})
        assert st == 405, (st, body)
    finally:
        guarded.cleanup()


if __name__ == "__main__":
    if not os.access(CLI, os.X_OK):
        sys.exit("set FORKLINE_CLI to the forkline binary")
    run_suite(Daemon, [t_setup, t_audit_live_store_and_daemon, t_audit_while_the_daemon_writes,
                       t_replay_cli_and_http,
                       t_diff_cli_and_http, t_export_import_round_trip,
                       t_import_refuses_an_edited_export, t_backup_restore_while_running,
                       t_backup_needs_the_token])
