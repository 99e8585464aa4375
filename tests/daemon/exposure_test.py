#!/usr/bin/python3
"""Exposure of a real forklined (issue 8, item 10), bound to loopback with a token:
* with the default http.allowed_hosts, a Host outside localhost / 127.0.0.1 / [::1] gets
  403 with code `unauthorized` on the API, an SSE stream, the UI, /healthz and /metrics —
  even with the right token (DNS rebinding) — and nothing is created;
* those three names pass with any port;
* FORKLINE_HTTP_ALLOWED_HOSTS replaces the list;
* neither the token nor a wrong token ever reaches the log.
(Every /v1 route answering 401 without the token is walked in tests/http/exposure_test.cc.)
Usage: FORKLINED=path/to/forklined exposure_test.py"""
import http.client
import json
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fl_daemon import QUICK_WORKFLOW, Daemon, Results, check_error, wait_for  # noqa: E402

TOKEN = "expose-Tok3n-91d0"
WRONG = "wrong-Tok3n-77aa"
PATHS = ("/", "/healthz", "/metrics", "/v1/workflows", "/v1/runs")


def get(d, path, host, token=TOKEN, method="GET", body=None):
    c = http.client.HTTPConnection("127.0.0.1", d.hport, timeout=60)
    headers = {"Host": host}
    if token:
        headers["Authorization"] = "Bearer " + token
    if body is not None:
        headers["Content-Type"] = "application/json"
    c.putrequest(method, path, skip_host=True)
    for k, v in headers.items():
        c.putheader(k, v)
    data = body.encode() if body is not None else None
    if data is not None:
        c.putheader("Content-Length", str(len(data)))
    c.endheaders(data)
    r = c.getresponse()
    raw = r.read()
    c.close()
    return r.status, raw


def t_foreign_host_forbidden(d):
    port = d.hport
    for host in ("evil.example", "evil.example:%d" % port, "localhost.evil.example:%d" % port,
                 "127.0.0.1.nip.io:%d" % port):
        for path in PATHS:
            st, raw = get(d, path, host)
            assert st == 403, (host, path, st, raw[:200])
            if path.startswith("/v1"):
                err = json.loads(raw)["error"]
                check_error(err)
                assert err["code"] == "unauthorized", err
        st, _ = get(d, "/v1/runs", host, method="POST", body='{"kind": "quick", "input": {}}')
        assert st == 403, st
        sse = d.sse("/v1/events", token=TOKEN, extra_args=("-H", "Host: " + host))
        try:
            assert sse.status == 403, sse.status
        finally:
            sse.close()
    st, raw = get(d, "/v1/runs", "localhost:%d" % port)
    assert st == 200 and b'"runs":[]' in raw.replace(b" ", b""), raw[:200]  # nothing created


def t_loopback_names_pass(d):
    for host in ("localhost:%d" % d.hport, "127.0.0.1:%d" % d.hport, "[::1]:%d" % d.hport,
                 "LOCALHOST", "127.0.0.1"):
        for path in PATHS:
            st, raw = get(d, path, host)
            assert st == 200, (host, path, st, raw[:200])
    st, _ = get(d, "/v1/runs", "localhost", token=WRONG)
    assert st == 401, st
    sse = d.sse("/v1/events", token="", extra_args=("-H", "Host: localhost"))
    try:
        assert sse.status == 401, sse.status
    finally:
        sse.close()


def t_tokens_never_logged(d):
    c = d.client()
    c.ok("run.create", kind="quick", input={})
    assert d.client(token=WRONG).err("run.list")["code"] == "unauthorized"
    assert get(d, "/v1/runs?access_token=" + TOKEN, "localhost", token=None)[0] == 401
    sse = d.sse("/v1/events?access_token=" + WRONG, token="")
    sse.close()
    d.stop()
    with open(d.log, "rb") as f:
        text = f.read()
    for secret in (TOKEN, WRONG):
        assert secret.encode() not in text, secret + " was logged"


def t_env_replaces_the_list(d):
    st, _ = get(d, "/v1/runs", "forkline.example:%d" % d.hport)
    assert st == 200, st
    st, _ = get(d, "/v1/runs", "ops.example:8443")
    assert st == 200, st
    for host in ("localhost:%d" % d.hport, "ops.example:8444"):
        st, _ = get(d, "/v1/runs", host)
        assert st == 403, (host, st)


def suite(res, make, cases, env=None):
    d = None
    saved = dict(os.environ)
    try:
        os.environ.update(env or {})
        d = make()
        d.start()
        os.environ.clear()
        os.environ.update(saved)
        for case in cases:
            res.run(case.__name__[2:], case, d)
    except BaseException:
        res.crashed()
    finally:
        os.environ.clear()
        os.environ.update(saved)
        if d is not None:
            if res.failed:
                print("---- forklined log (%s) ----\n%s" % (d.tmp, d.tail()))
            d.cleanup()


def main():
    res = Results()
    make = lambda: Daemon(workflows={"quick": QUICK_WORKFLOW}, token=TOKEN)  # noqa: E731
    suite(res, make, (t_foreign_host_forbidden, t_loopback_names_pass, t_tokens_never_logged))
    suite(res, make, (t_env_replaces_the_list,),
          env={"FORKLINE_HTTP_ALLOWED_HOSTS": "forkline.example, ops.example:8443, 127.0.0.1"})
    res.exit()


if __name__ == "__main__":
    main()
