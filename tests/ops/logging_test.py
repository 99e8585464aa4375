"""forklined's logs (README "Logging"): JSON lines with --log-format json, text otherwise,
levels by --log-level; one line per command with a request id, tied to the events it
appended by run_id and command_id; and never the auth token or a run's input, whatever
the front end or the outcome.
Usage: FORKLINED=path/to/forklined logging_test.py"""
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ops_util import fl_daemon, json_lines, log_text, start_with  # noqa: E402

TOKEN = "tok-Zq9SECRETtoken-4f1c"
SECRET_INPUT = "SECRET-INPUT-do-not-log-7d31"
NOVEL = fl_daemon.SMALL_NOVEL + "\n" + SECRET_INPUT + " said the Hatter.\n"


def drive(d):
    """Every kind of command, both front ends, successes and errors."""
    c = d.client()
    run = c.ok("run.create", kind="novel_to_script", input={"text": NOVEL, "title": SECRET_INPUT},
               key="k-" + SECRET_INPUT)["run"]
    c.ok("run.next", run_id=run["id"])
    fork = c.ok("run.fork", run_id=run["id"], at=1, override={"output": {"x": SECRET_INPUT}})["run"]
    c.ok("run.get", run_id=run["id"])
    assert c.err("run.next", run_id="r_missing")["code"] == "not_found"
    assert c.err("run.create", kind="novel_to_script", input=SECRET_INPUT)["code"] == "bad_request"
    wrong = d.client(token=TOKEN + "x")
    assert wrong.err("run.list")["code"] == "unauthorized"
    no_token = d.client(token="")
    assert no_token.err("run.list")["code"] == "unauthorized"
    st, body, _ = d.http("POST", "/v1/runs", {"kind": "novel_to_script", "input": {"text": NOVEL}},
                         headers={"Idempotency-Key": "h-" + SECRET_INPUT})
    assert st == 201, body
    st, _, _ = d.http("GET", "/v1/runs", headers={"Authorization": "Bearer " + TOKEN + "y"})
    assert st == 401
    st, _, _ = d.http("GET", "/v1/runs?access_token=" + TOKEN)
    assert st == 200
    st, _, _ = d.http("POST", "/v1/runs/%s/next" % body["run"]["id"])
    assert st == 200
    return run, fork


def t_json_lines_request_ids_and_no_secrets(tmp):
    d = fl_daemon.Daemon(tmp=os.path.join(tmp, "json"), token=TOKEN)
    try:
        start_with(d, ["--log-format", "json", "--log-level", "debug"])
        run, fork = drive(d)
        assert d.stop() == 0
        text = log_text(d)
        for secret in (TOKEN, SECRET_INPUT, "Hatter"):
            assert secret not in text, "%r was logged:\n%s" % (secret, text)
        lines = json_lines(d)
        for line in lines:
            assert {"at", "level", "msg"} <= set(line), line
            assert line["level"] in ("debug", "info", "warn", "error"), line
        commands = [l for l in lines if l["msg"] == "command"]
        events = [l for l in lines if l["msg"] == "event"]
        ids = [l["request_id"] for l in commands]
        assert len(ids) == len(set(ids)) >= 10, ids
        assert {l["origin"] for l in commands} == {"zmq", "http"}, commands
        errors = {l.get("outcome") for l in commands}
        assert {"ok", "not_found", "bad_request"} <= errors, errors
        # Each successful mutating command ties to the events it appended.
        for cmd in ("run.create", "run.next", "run.fork"):
            line = next(l for l in commands if l["cmd"] == cmd and l["outcome"] == "ok"
                        and l["run_id"] in (run["id"], fork["id"]))
            mine = [e for e in events if e["run_id"] == line["run_id"]
                    and e.get("command_id") == line["command_id"]]
            assert mine, (line, events)
            assert all(int(e["version"]) <= int(line["version"]) for e in mine), (line, mine)
        types = [e["type"] for e in events if e["run_id"] == run["id"]]
        assert types[:3] == ["run.created", "step.started", "step.completed"], types
        assert any(l["msg"].startswith("stopping on signal") for l in lines)
    finally:
        d.cleanup()


def t_text_format_and_levels(tmp):
    d = fl_daemon.Daemon(tmp=os.path.join(tmp, "text"), token=TOKEN,
                         extra_toml='[log]\nformat = "json"\nlevel = "debug"\n')
    try:
        # The flags override the file's [log] section.
        start_with(d, ["--log-format", "text", "--log-level", "info"])
        drive(d)
        assert d.stop() == 0
        text = log_text(d)
        assert TOKEN not in text and SECRET_INPUT not in text, text
        lines = [l for l in text.splitlines() if l]
        assert not any(l.startswith("{") for l in lines), lines[:3]
        cmd_lines = [l for l in lines if " info command " in l]
        assert cmd_lines and all("request_id=rq-" in l for l in cmd_lines), lines
        # info: mutating commands and errors; reads (run.get) only at debug.
        assert any("cmd=run.create" in l for l in cmd_lines)
        assert not any("cmd=run.get" in l for l in lines), lines
        assert not any(" debug " in l for l in lines)
    finally:
        d.cleanup()


def t_warn_level_is_quiet(tmp):
    d = fl_daemon.Daemon(tmp=os.path.join(tmp, "warn"))
    try:
        start_with(d, ["--log-level", "warn"])
        d.client().ok("run.create", kind="novel_to_script", input={"text": NOVEL})
        assert d.stop() == 0
        assert " info " not in log_text(d), log_text(d)
    finally:
        d.cleanup()


def main():
    import shutil
    import tempfile
    res = fl_daemon.Results()
    tmp = tempfile.mkdtemp(prefix="fl-log-")
    for case in (t_json_lines_request_ids_and_no_secrets, t_text_format_and_levels,
                 t_warn_level_is_quiet):
        res.run(case.__name__[2:], case, tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    res.exit()


if __name__ == "__main__":
    main()
