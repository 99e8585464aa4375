#!/usr/bin/python3
"""Every HTTP route of DESIGN §5 against a real forklined (http.client as the independent
client): status codes, JSON bodies, error bodies, Idempotency-Key, metrics.
Usage: FORKLINED=path/to/forklined http_routes_test.py"""
import http.client
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fl_daemon import (FLAKY_WORKFLOW, GATED_WORKFLOW, QUICK_WORKFLOW, SMALL_NOVEL, run_suite,  # noqa: E402
                       Daemon, check_error, check_run, check_step, wait_for)

INDEX = b"<!doctype html><title>forkline test ui</title>"


def expect(d, method, path, status, body=None, **kw):
    st, got, hdrs = d.http(method, path, body, **kw)
    assert st == status, "%s %s -> %s (want %s): %r" % (method, path, st, status, got)
    if status >= 400:
        assert "application/json" in hdrs.get("content-type", ""), hdrs
        check_error(got.get("error"))
        want = {400: "bad_request", 401: "unauthorized", 404: "not_found", 409: "conflict",
                413: "too_large", 503: "unavailable", 500: "internal"}.get(status)
        if want:
            assert got["error"]["code"] == want, got
    return got, hdrs


def t_ui_health_metrics(d):
    body, hdrs = expect(d, "GET", "/", 200)
    assert body == INDEX and hdrs["content-type"].startswith("text/html"), (body, hdrs)
    h, _ = expect(d, "GET", "/healthz", 200)
    assert h["ok"] is True and set(h) >= {"version", "store", "uptime_s", "runs", "events"}, h
    st, body, _ = d.http("HEAD", "/healthz")
    assert st == 200 and body == b"", (st, body)
    expect(d, "GET", "/no-such-file.js", 404)
    text, hdrs = expect(d, "GET", "/metrics", 200)
    assert hdrs["content-type"].startswith("text/plain"), hdrs
    text = text.decode()
    for name in ("forkline_commands_total", "forkline_command_seconds_bucket",
                 "forkline_steps_total", "forkline_step_seconds", "forkline_sse_subscribers",
                 "forkline_events_appended_total", "forkline_store_sync_seconds"):
        assert name in text, name
    for line in text.splitlines():
        assert line.startswith("#") or len(line.rsplit(" ", 1)) == 2, line

    def creates():
        t = d.http("GET", "/metrics")[1].decode()
        hits = [ln for ln in t.splitlines()
                if ln.startswith('forkline_commands_total{cmd="run.create",outcome="ok"}')]
        return float(hits[0].rsplit(" ", 1)[1]) if hits else 0.0
    before = creates()
    expect(d, "POST", "/v1/runs", 201, {"kind": "quick", "input": {}})
    assert creates() == before + 1, (before, creates())


def t_workflows(d):
    body, _ = expect(d, "GET", "/v1/workflows", 200)
    kinds = {w["kind"]: w for w in body["workflows"]}
    assert {"novel_to_script", "quick", "gated", "flaky"} <= set(kinds), kinds
    assert len(kinds["novel_to_script"]["steps"]) == 5


def t_create_get_list(d):
    run, hdrs = expect(d, "POST", "/v1/runs", 201,
                       {"kind": "novel_to_script", "input": {"text": SMALL_NOVEL}, "title": "H"})
    run = run["run"]
    check_run(run)
    assert run["status"] == "queued" and run["title"] == "H", run
    got, _ = expect(d, "GET", "/v1/runs/" + run["id"], 200)
    assert got["run"] == run, got
    expect(d, "GET", "/v1/runs/r_nope", 404)
    expect(d, "POST", "/v1/runs", 400, {"kind": "quick", "input": 7})
    expect(d, "POST", "/v1/runs", 400, {"input": {}})
    st, _, _ = d.http("POST", "/v1/runs", {"kind": "no_such_kind", "input": {}})
    assert st in (400, 404), st
    for i in range(3):
        expect(d, "POST", "/v1/runs", 201, {"kind": "quick", "input": {"i": i}})
    page, _ = expect(d, "GET", "/v1/runs", 200)
    assert set(page) >= {"runs", "next"} and len(page["runs"]) >= 4, page
    for s in page["runs"]:
        check_run(s, full=False)
    page, _ = expect(d, "GET", "/v1/runs?kind=quick&status=queued&limit=2", 200)
    assert len(page["runs"]) == 2 and page["next"], page
    assert all(s["kind"] == "quick" and s["status"] == "queued" for s in page["runs"]), page
    rest, _ = expect(d, "GET", "/v1/runs?kind=quick&status=queued&limit=2&after=" + page["next"], 200)
    ids = [s["id"] for s in page["runs"] + rest["runs"]]
    assert len(ids) == len(set(ids)) >= 3, ids
    expect(d, "GET", "/v1/runs?limit=abc", 400)
    st, body, _ = d.http("GET", "/v1/runs?limit=0", timeout=30)  # once crashed forklined
    assert st == 400 or (st == 200 and body["runs"] == []), (st, body)
    assert d.alive()


def t_actions(d):
    run = expect(d, "POST", "/v1/runs", 201, {"kind": "quick", "input": {}})[0]["run"]
    base = "/v1/runs/" + run["id"]
    r, _ = expect(d, "POST", base + "/next", 200)
    assert r["run"]["cursor"] == 1 and r["step"]["status"] == "completed", r
    check_step(r["step"], 0)
    out, hdrs = expect(d, "GET", base + "/steps/0/output", 200)
    assert out == {"a": 1} and hdrs["content-type"].startswith("application/json"), out
    expect(d, "GET", base + "/steps/1/output", 404)   # pending: no output
    expect(d, "GET", base + "/steps/9/output", 404)   # no such step
    expect(d, "GET", base + "/steps/x/output", 400)
    assert expect(d, "POST", base + "/pause", 200)[0]["run"]["status"] == "paused"
    expect(d, "POST", base + "/next", 409)
    assert expect(d, "POST", base + "/resume", 200)[0]["run"]["status"] == "running"
    on = expect(d, "PUT", base + "/autorun", 200, {"enabled": True})[0]["run"]
    assert on["autorun"] is True, on
    wait_for("autorun completes",
             lambda: d.http("GET", base)[1]["run"]["status"] == "completed", 60)
    expect(d, "PUT", base + "/autorun", 400, {"enabled": "yes"})
    expect(d, "PUT", base + "/autorun", 400)
    expect(d, "POST", base + "/next", 409)
    fork = expect(d, "POST", base + "/fork", 200, {"at": 1, "title": "f"})[0]["run"]
    assert fork["cursor"] == 1 and fork["parent"]["run_id"] == run["id"], fork
    assert fork["title"] == "f" and fork["status"] == "queued", fork
    lin, _ = expect(d, "GET", "/v1/runs/%s/lineage" % fork["id"], 200)
    assert lin["root"] == run["id"], lin
    assert {x["run_id"] for x in lin["runs"]} >= {run["id"], fork["id"]}, lin
    expect(d, "GET", "/v1/runs/r_nope/lineage", 404)
    c = expect(d, "POST", "/v1/runs/%s/cancel" % fork["id"], 200)[0]["run"]
    assert c["status"] == "canceled", c
    expect(d, "POST", "/v1/runs/%s/cancel" % fork["id"], 409)
    for action in ("next", "pause", "resume", "cancel", "retry", "fork"):
        expect(d, "POST", "/v1/runs/r_nope/" + action, 404)
    expect(d, "PUT", "/v1/runs/r_nope/autorun", 404, {"enabled": True})
    # retry
    flag = os.path.join(d.tmp, "flag-http")
    f = expect(d, "POST", "/v1/runs", 201, {"kind": "flaky", "input": {"flag": flag}})[0]["run"]
    r, _ = expect(d, "POST", "/v1/runs/%s/next" % f["id"], 200)
    assert r["run"]["status"] == "failed" and r["step"]["status"] == "failed", r
    open(flag, "w").close()
    assert expect(d, "POST", "/v1/runs/%s/retry" % f["id"], 200)[0]["run"]["status"] == "running"
    r, _ = expect(d, "POST", "/v1/runs/%s/next" % f["id"], 200)
    assert r["run"]["status"] == "completed", r
    # pause with abort_step over HTTP
    gate = os.path.join(d.tmp, "gate-http")
    g = expect(d, "POST", "/v1/runs", 201,
               {"kind": "gated", "input": {"gate": gate}, "autorun": True})[0]["run"]
    wait_for("gated step running", lambda: d.http("GET", "/v1/runs/" + g["id"])[1]["run"]
             ["steps"][0]["status"] == "running")
    p = expect(d, "POST", "/v1/runs/%s/pause" % g["id"], 200, {"abort_step": True})[0]["run"]
    assert p["status"] == "paused", p
    wait_for("step aborted", lambda: d.http("GET", "/v1/runs/" + g["id"])[1]["run"]
             ["steps"][0]["status"] == "aborted")


def t_idempotency_key(d):
    body = {"kind": "quick", "input": {"idem": 1}}
    a = expect(d, "POST", "/v1/runs", 201, body, headers={"Idempotency-Key": "http-k1"})[0]
    b = expect(d, "POST", "/v1/runs", 201, body, headers={"Idempotency-Key": "http-k1"})[0]
    assert a["run"]["id"] == b["run"]["id"], (a, b)
    expect(d, "POST", "/v1/runs", 409, {"kind": "quick", "input": {"idem": 2}},
           headers={"Idempotency-Key": "http-k1"})
    base = "/v1/runs/%s/next" % a["run"]["id"]
    n1 = expect(d, "POST", base, 200, headers={"Idempotency-Key": "http-k2"})[0]
    n2 = expect(d, "POST", base, 200, headers={"Idempotency-Key": "http-k2"})[0]
    assert n1 == n2 and n1["run"]["cursor"] == 1, (n1, n2)
    now = d.http("GET", "/v1/runs/" + a["run"]["id"])[1]["run"]
    assert now["cursor"] == 1, now  # the replayed next had no second effect


def t_static_files_stay_inside(d):
    with open(os.path.join(d.tmp, "secret.txt"), "w") as f:
        f.write("SECRET-CONTENT")
    for path in (b"/../secret.txt", b"/%2e%2e/secret.txt", b"/..%2fsecret.txt",
                 b"/%2e%2e%2fsecret.txt", b"/.%2e/secret.txt", b"//../secret.txt",
                 b"/web/../../secret.txt", b"/%00", b"/a%5c..%5c..%5csecret.txt"):
        raw = d.raw_http(b"GET " + path + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        assert raw.startswith(b"HTTP/1.1 4"), (path, raw[:100])
        assert b"SECRET-CONTENT" not in raw, path
    assert d.alive()


def t_keep_alive_and_pipelining(d):
    conn = http.client.HTTPConnection("127.0.0.1", d.hport, timeout=30)
    try:
        for _ in range(3):
            conn.request("GET", "/v1/workflows")
            r = conn.getresponse()
            assert r.status == 200 and json.loads(r.read())["workflows"], r.status
    finally:
        conn.close()
    raw = d.raw_http(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
                     b"GET /v1/workflows HTTP/1.1\r\nHost: localhost\r\n\r\n"
                     b"GET /v1/runs/r_nope HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert raw.count(b"HTTP/1.1 200") == 2 and raw.count(b"HTTP/1.1 404") == 1, raw[:500]


def t_methods_and_unknown(d):
    st, body, hdrs = d.http("DELETE", "/v1/runs")
    assert st == 405 and "allow" in hdrs, (st, hdrs)
    check_error(body["error"])
    st, _, hdrs = d.http("GET", "/v1/runs/r_x/next")
    assert st == 405 and "POST" in hdrs.get("allow", ""), (st, hdrs)
    st, _, hdrs = d.http("POST", "/v1/runs/r_x/autorun", {"enabled": True})
    assert st == 405 and "PUT" in hdrs.get("allow", ""), (st, hdrs)
    expect(d, "GET", "/v1/nothing-here", 404)
    expect(d, "GET", "/v1/runs/r_x/bogus", 404)


def write_index(d):
    os.makedirs(os.path.join(d.tmp, "web"))
    with open(os.path.join(d.tmp, "web", "index.html"), "wb") as f:
        f.write(INDEX)


def main():
    run_suite(lambda: Daemon(workflows={"gated": GATED_WORKFLOW, "flaky": FLAKY_WORKFLOW,
                    "quick": QUICK_WORKFLOW}, http_extra='web_dir = "@DIR@/web"'),
              (t_ui_health_metrics, t_workflows, t_create_get_list, t_actions,
               t_idempotency_key, t_static_files_stay_inside, t_keep_alive_and_pipelining,
               t_methods_and_unknown), prepare=write_index)


if __name__ == "__main__":
    main()
