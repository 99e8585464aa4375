#!/usr/bin/python3
"""Runs moved between RocksDB and PostgreSQL with `forkline export`/`import` (issue 9):
a real forklined on RocksDB makes runs (a completed run, an edited fork, a fork run to the
end, a run of its own), then the CLI opens a PostgreSQL store directly (`--pg-url`,
`--pg-schema`) on a real PostgreSQL 15: RocksDB -> PostgreSQL -> RocksDB exports again
byte for byte (ids, versions, hashes, positions); `audit`, `replay` and `diff` read the
PostgreSQL store; a changed byte in a PostgreSQL row is found by `audit`; a read never
creates a schema; a second import is refused with nothing written; usage errors exit 2
and an unreachable server 3. Last, an import into the database a PostgreSQL forklined
runs on, while it runs: the node serves the imported runs and `audit --pg-url --connect`
compares them with it.

The server: $FORKLINE_TEST_PG_URL, else the url= line of $FORKLINE_TEST_PG_STATE (ctest's
eventstore_pg_server fixture), else one of its own. A database of its own per run.
Usage: FORKLINED=… FORKLINE_CLI=… pg_export_import_test.py"""
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "daemon"))
sys.path.insert(0, HERE)
from audit_cli_test import RUNS, Cli, finished, lines, path, t_setup  # noqa: E402
from fl_daemon import SMALL_NOVEL, Daemon, Results, free_port, wait_for  # noqa: E402
from postgres_daemon_test import PgDatabase  # noqa: E402

FILES = {}


def pg(db, schema):
    return ["--pg-url", db.url, "--pg-schema", schema]


def without_positions(text):
    out = []
    for line in lines(text):
        e = json.loads(line)
        del e["position"]
        out.append(e)
    return out


def t_setup_runs_and_export(d, db):
    t_setup(d)  # src (completed), edited (fork at 2, one step), rerun (fork at 3, completed)
    c = d.client()
    solo = c.ok("run.create", kind="novel_to_script", input={"text": SMALL_NOVEL},
                title="Solo")["run"]["id"]
    c.ok("run.next", run_id=solo)
    RUNS["solo"] = solo
    cli = Cli(d)
    FILES["all"] = cli.out("export", "--all", "--data", d.data)
    FILES["forks"] = cli.out("export", RUNS["edited"], RUNS["rerun"], "--data", d.data)
    FILES["solo"] = cli.out("export", RUNS["solo"], "--data", d.data)
    for name, text in FILES.items():
        with open(path(d, name + ".jsonl"), "w") as f:
            f.write(text)
    assert len({json.loads(x)["run_id"] for x in lines(FILES["all"])}) == 4


def t_rocksdb_to_postgres_and_back_byte_for_byte(d, db):
    cli = Cli(d)
    events = lines(FILES["all"])
    out = cli.out("import", *pg(db, "moved"), "--file", path(d, "all.jsonl"))
    assert "imported 4 runs, %d events into postgres schema moved" % len(events) in out, out
    assert db.url not in out, out  # the URL may hold a password: never printed
    from_pg = cli.out("export", "--all", *pg(db, "moved"))
    assert from_pg == FILES["all"], "RocksDB -> PostgreSQL export differs"
    rows = db.psql("SELECT count(*) FROM moved.events", db.url)
    assert int(rows) == len(events), rows  # each stream's own events, no prefix copied
    back = path(d, "back")
    cli.out("import", "--data", back, stdin=from_pg)
    assert cli.out("export", "--all", "--data", back) == FILES["all"], \
        "PostgreSQL -> RocksDB export differs"
    # One run with its fork sources, exported from PostgreSQL.
    assert cli.out("export", RUNS["edited"], *pg(db, "moved")) == \
        cli.out("export", RUNS["edited"], "--data", d.data)


def t_audit_replay_diff_on_postgres(d, db):
    cli = Cli(d)
    assert "clean" in cli.out("audit", *pg(db, "moved"))
    rep = cli.json("audit", *pg(db, "moved"))
    assert rep["clean"] is True and rep["runs"] == 4 and rep["compared"] == 0, rep
    assert rep["events"] == len(lines(FILES["all"])), rep
    for until in ("3", "7"):
        assert cli.json("replay", RUNS["rerun"], "--until", until, *pg(db, "moved")) == \
            cli.json("replay", RUNS["rerun"], "--until", until, "--data", d.data)
    assert cli.json("diff", RUNS["src"], RUNS["edited"], *pg(db, "moved")) == \
        cli.json("diff", RUNS["src"], RUNS["edited"], "--data", d.data)


def t_audit_finds_a_changed_row(d, db):
    cli = Cli(d)
    cli.out("import", *pg(db, "tampered"), "--file", path(d, "all.jsonl"))
    run = RUNS["src"]
    version = int(db.psql("SELECT min(version) FROM tampered.events WHERE run_id = '%s' "
                          "AND type = 'step.completed'" % run, db.url))
    db.psql("UPDATE tampered.events SET data = replace(data, 'Alice', 'Alicf') "
            "WHERE run_id = '%s' AND version = %d" % (run, version), db.url)
    p = cli.run("audit", *pg(db, "tampered"), code=1)
    assert "%s v%d" % (run, version) in p.stdout and "hash" in p.stdout, p.stdout
    rep = cli.json("audit", *pg(db, "tampered"), code=1)
    assert rep["clean"] is False, rep
    assert {(f["run_id"], f["version"], f["check"]) for f in rep["findings"]} >= \
        {(run, version, "hash")}, rep["findings"]


def t_a_second_import_is_refused_with_nothing_written(d, db):
    cli = Cli(d)
    before = db.psql("SELECT count(*) FROM moved.events", db.url)
    p = cli.run("import", *pg(db, "moved"), "--file", path(d, "solo.jsonl"), code=1)
    assert "already exists" in p.stderr and "nothing imported" in p.stderr, p.stderr
    assert db.psql("SELECT count(*) FROM moved.events", db.url) == before
    # An edited export: refused before the first write, even into a new schema.
    edited = FILES["solo"].replace("Alice", "Alicf", 1)
    p = cli.run("import", *pg(db, "edited"), stdin=edited, code=1)
    assert "nothing imported" in p.stderr and "hash" in p.stderr, p.stderr
    assert db.psql("SELECT count(*) FROM information_schema.schemata "
                   "WHERE schema_name = 'edited'", db.url) == "0"


def t_reads_never_create_a_schema(d, db):
    cli = Cli(d)
    for args in (["audit"], ["export", "--all"], ["replay", RUNS["src"]]):
        p = cli.run(*args, *pg(db, "nowhere"), code=1)
        assert "no Forkline store in PostgreSQL schema nowhere" in p.stderr, p.stderr
    assert db.psql("SELECT count(*) FROM information_schema.schemata "
                   "WHERE schema_name = 'nowhere'", db.url) == "0"
    # A schema name is an identifier, quoted: odd names are names, not SQL.
    odd = 'Odd "name"; DROP TABLE x'
    cli.out("import", *pg(db, odd), "--file", path(d, "solo.jsonl"))
    assert without_positions(cli.out("export", "--all", *pg(db, odd))) == \
        without_positions(FILES["solo"])  # positions are the new store's: 1, 2, …


def t_usage_errors_and_an_unreachable_server(d, db):
    cli = Cli(d)
    cli.run("audit", "--data", d.data, "--pg-url", db.url, code=2)
    cli.run("export", "--all", "--pg-schema", "moved", code=2)
    cli.run("import", "--pg-url", "", code=2)
    nobody = "postgresql://postgres@127.0.0.1:%d/postgres?connect_timeout=5" % free_port()
    p = cli.run("audit", "--pg-url", nobody, code=3)
    assert "PostgreSQL" in p.stderr, p.stderr
    cli.run("import", "--pg-url", nobody, "--file", path(d, "solo.jsonl"), code=3)
    assert "--pg-url" in cli.out("export", "--help")


def t_import_into_a_running_node(d, db):
    """Import into the schema a PostgreSQL forklined uses, before and while it runs."""
    cli = Cli(d)
    cli.out("import", *pg(db, "forkline"), "--file", path(d, "forks.jsonl"))
    os.environ["FORKLINE_STORE_BACKEND"] = "postgres"
    os.environ["FORKLINE_STORE_POSTGRES_URL"] = db.url
    try:
        node = Daemon().start()
    finally:
        del os.environ["FORKLINE_STORE_BACKEND"], os.environ["FORKLINE_STORE_POSTGRES_URL"]
    try:
        c = node.client()
        assert c.ok("run.get", run_id=RUNS["rerun"])["run"]["status"] == "completed"
        cli.out("import", *pg(db, "forkline"), "--file", path(d, "solo.jsonl"))
        wait_for("the node serves the imported run", lambda: c.call(
            "run.get", run_id=RUNS["solo"]).get("ok"))
        assert c.ok("run.get", run_id=RUNS["solo"])["run"]["cursor"] == 1
        node_cli = Cli(node)
        rep = node_cli.json("audit", *pg(db, "forkline"), "--connect", node.endpoint)
        assert rep["clean"] is True and rep["compared"] == 4, rep
        # The node goes on with an imported run.
        c.ok("run.autorun", run_id=RUNS["solo"], enabled=True)
        wait_for("solo completed on the node", finished(c, RUNS["solo"]))
        assert node_cli.json("audit", *pg(db, "forkline"))["clean"] is True
    except BaseException:
        print("---- forklined log (PostgreSQL node) ----\n" + node.tail())
        raise
    finally:
        node.cleanup()


def t_a_node_on_its_own_schema(d, db):
    """[store] postgres_schema: a node on the schema "moved" serves the runs imported
    there, and what it appends stays in that schema."""
    env = {"FORKLINE_STORE_BACKEND": "postgres", "FORKLINE_STORE_POSTGRES_URL": db.url,
           "FORKLINE_STORE_POSTGRES_SCHEMA": "moved"}
    os.environ.update(env)
    try:
        node = Daemon().start()
    finally:
        for k in env:
            del os.environ[k]
    try:
        assert "store postgres (schema moved)" in node.tail(100000), node.tail()
        c = node.client()
        listed = {r["id"] for r in c.ok("run.list")["runs"]}
        assert listed == {RUNS[k] for k in ("src", "edited", "rerun", "solo")}, listed
        run = c.ok("run.create", kind="novel_to_script", input={"text": SMALL_NOVEL})["run"]["id"]
        count = "SELECT count(*) FROM %s.events WHERE run_id = '" + run + "'"
        assert db.psql(count % "moved", db.url) == "1"
        assert db.psql(count % "forkline", db.url) == "0"
        Cli(node).run("audit", *pg(db, "x" * 64), code=2)
    except BaseException:
        print("---- forklined log (schema moved) ----\n" + node.tail())
        raise
    finally:
        node.cleanup()


def main():
    res = Results()
    d = db = None
    try:
        db = PgDatabase()
        d = Daemon().start()
        res.run("setup_runs_and_export", t_setup_runs_and_export, d, db)
        d.stop()  # the RocksDB store is read from its folder from now on
        for case in (t_rocksdb_to_postgres_and_back_byte_for_byte,
                     t_audit_replay_diff_on_postgres, t_audit_finds_a_changed_row,
                     t_a_second_import_is_refused_with_nothing_written,
                     t_reads_never_create_a_schema, t_usage_errors_and_an_unreachable_server,
                     t_import_into_a_running_node, t_a_node_on_its_own_schema):
            res.run(case.__name__[2:], case, d, db)
    except BaseException:
        res.crashed()
    finally:
        try:
            if db:
                db.close()
        finally:
            res.exit([d] if d else [])


if __name__ == "__main__":
    main()
