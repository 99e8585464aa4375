#!/usr/bin/python3
"""Bad input on both interfaces of a real forklined with a token and small size limits:
garbage ZeroMQ frames, non-JSON, wrong types, oversized messages, truncated and malformed
HTTP requests, huge bodies and headers, missing or wrong tokens. Each gets the documented
error (bad_request / too_large / unauthorized; 400 / 413 / 431 / 401) and the daemon keeps
serving afterwards.
Usage: FORKLINED=path/to/forklined bad_input_test.py"""
import json
import os
import socket
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zmq  # noqa: E402

from fl_daemon import QUICK_WORKFLOW, Daemon, check_error, run_suite  # noqa: E402

TOKEN = "s3cret-token"


def reply_of(frames):
    rep = json.loads(frames[-1])
    assert set(rep) >= {"id", "ok"}, rep
    return rep


def still_serving(d):
    c = d.client()
    assert c.ok("system.health")["ok"] is True
    run = c.ok("run.create", kind="quick", input={})["run"]
    assert c.ok("run.next", run_id=run["id"])["run"]["cursor"] == 1
    st, body, _ = d.http("GET", "/v1/runs/" + run["id"])
    assert st == 200 and body["run"]["cursor"] == 1, (st, body)
    assert d.alive()


def t_zmq_garbage(d):
    c = d.client()
    cases = [
        ([b"\x00\xff\xfe garbage \x80"], "bad_request", None),
        ([b"not json"], "bad_request", None),
        ([b""], "bad_request", None),
        ([b"[1, 2, 3]"], "bad_request", None),
        ([b'"a string"'], "bad_request", None),
        ([b"{\"id\": \"t1\", \"cmd\": \"system.health\""], "bad_request", None),  # truncated
        ([json.dumps({"id": "t2", "token": TOKEN}).encode()], "bad_request", "cmd"),
        ([json.dumps({"id": "t3", "cmd": 7, "token": TOKEN}).encode()], "bad_request", "cmd"),
        ([json.dumps({"id": "t4", "cmd": "run.get", "args": [], "token": TOKEN}).encode()],
         "bad_request", "args"),
        ([json.dumps({"id": "t5", "cmd": "run.get", "args": {}, "token": TOKEN}).encode()],
         "bad_request", "run_id"),
        ([json.dumps({"id": "t6", "cmd": "run.get", "args": {"run_id": 1},
                      "token": TOKEN}).encode()], "bad_request", "run_id"),
        ([json.dumps({"id": "t7", "cmd": "nope", "token": TOKEN}).encode()], "bad_request", "nope"),
        ([json.dumps({"id": "t8", "cmd": "run.list", "args": {"limit": "many"},
                      "token": TOKEN}).encode()], "bad_request", "limit"),
        ([json.dumps({"id": "t9", "cmd": "run.create", "args": {"kind": "quick", "input": []},
                      "token": TOKEN}).encode()], "bad_request", "input"),
        ([b"{}", b"{}"], "bad_request", None),          # two request frames
        ([b"", b"{}", b"{}"], "bad_request", None),     # delimiter + two frames
    ]
    for frames, code, mentions in cases:
        rep = reply_of(c.raw(frames))
        assert rep["ok"] is False and rep["error"]["code"] == code, (frames, rep)
        check_error(rep["error"])
        if mentions:
            assert mentions in rep["error"]["message"], (frames, rep)
        body = frames[-1]
        try:
            sent_id = json.loads(body).get("id")
        except (ValueError, AttributeError):
            sent_id = None
        assert rep["id"] == sent_id, (frames, rep)
    # REQ client sending garbage still gets one reply, and can go on.
    req = d.client(kind=zmq.REQ)
    assert reply_of(req.raw([b"{{{"]))["error"]["code"] == "bad_request"
    assert reply_of(req.raw([json.dumps({"cmd": "system.health", "token": TOKEN}).encode()]))["ok"]
    still_serving(d)


def sized(n, wrap):
    """A JSON request of exactly n bytes: wrap(pad) padded with x's."""
    pad = n - len(json.dumps(wrap(""), separators=(",", ":")))
    return json.dumps(wrap("x" * pad), separators=(",", ":")).encode()


def t_zmq_too_large(d):
    c = d.client()
    at_limit = sized(4096, lambda p: {"cmd": "run.create", "token": TOKEN,
                                      "args": {"kind": "quick", "input": {"p": p}}})
    assert len(at_limit) == 4096 and reply_of(c.raw([at_limit]))["ok"] is True
    over = at_limit[:-1] + b" }"
    rep = reply_of(c.raw([over]))
    assert rep["error"]["code"] == "too_large", rep
    big = json.dumps({"id": "big", "cmd": "run.create", "token": TOKEN,
                      "args": {"kind": "quick", "input": {"pad": "x" * 8192}}}).encode()
    rep = reply_of(c.raw([big]))
    assert rep["ok"] is False and rep["error"]["code"] == "too_large", rep
    # Far above the limit: the transport may drop the connection; no reply is promised,
    # but the daemon must go on serving everyone else.
    huge = d.client()
    huge.sock.send_multipart([b"x" * (3 << 20)])
    still_serving(d)


def t_zmq_token(d):
    no_token = d.client(token="")
    e = no_token.err("system.health")
    assert e["code"] == "unauthorized", e
    wrong = d.client(token="wrong-token")
    assert wrong.err("run.list")["code"] == "unauthorized"
    assert d.client(token=TOKEN[:-1]).err("run.list")["code"] == "unauthorized"
    assert d.client(token=TOKEN + "x").err("run.list")["code"] == "unauthorized"
    rep = reply_of(wrong.raw([json.dumps({"id": "t", "cmd": "run.list", "token": 5}).encode()]))
    assert rep["error"]["code"] in ("bad_request", "unauthorized"), rep
    still_serving(d)


def http_status_and_error(raw):
    assert raw.startswith(b"HTTP/1.1 "), raw[:200]
    status = int(raw.split(b" ", 2)[1])
    body = raw.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in raw else b""
    err = None
    if status >= 400 and body.strip().startswith(b"{"):
        err = json.loads(body)["error"]
        check_error(err)
    return status, err


def t_http_token(d):
    st, body, hdrs = d.http("GET", "/v1/runs", headers={"Authorization": "Bearer nope"})
    assert st == 401 and body["error"]["code"] == "unauthorized", (st, body)
    assert "www-authenticate" in hdrs, hdrs
    st, body, _ = d.http("GET", "/v1/workflows", headers={"Authorization": "Basic " + TOKEN})
    assert st == 401, st
    raw = d.raw_http(b"GET /v1/runs HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    assert http_status_and_error(raw)[0] == 401, raw[:200]
    st, body, _ = d.http("POST", "/v1/runs", {"kind": "quick", "input": {}},
                         headers={"Authorization": "Bearer " + TOKEN + "x"})
    assert st == 401, st
    # SSE: header or ?access_token=; wrong ones are refused before the stream.
    s = d.sse("/v1/events", token="wrong")
    try:
        assert s.status == 401, s.status
    finally:
        s.close()
    s = d.sse("/v1/events?access_token=" + TOKEN, token="")
    try:
        assert s.status == 200, s.status
    finally:
        s.close()
    s = d.sse("/v1/events?access_token=bad", token="")
    try:
        assert s.status == 401, s.status
    finally:
        s.close()
    st, _, _ = d.http("GET", "/v1/runs?access_token=" + TOKEN, headers={"Authorization": None})
    assert st == 401, st  # ?access_token= is for the SSE routes only
    # The token never guards /healthz and /metrics.
    for path in ("/healthz", "/metrics"):
        raw = d.raw_http(("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" % path).encode())
        assert http_status_and_error(raw)[0] == 200, (path, raw[:200])
    still_serving(d)


def t_http_bodies(d):
    st, body, _ = d.http("POST", "/v1/runs", raw_body=b"{not json",
                         headers={"Content-Type": "application/json"})
    assert st == 400 and body["error"]["code"] == "bad_request", (st, body)
    st, body, _ = d.http("POST", "/v1/runs", raw_body=b"[1,2]",
                         headers={"Content-Type": "application/json"})
    assert st == 400 and body["error"]["code"] == "bad_request", (st, body)
    st, body, _ = d.http("POST", "/v1/runs", {"kind": "quick", "input": {"pad": "y" * 8192}})
    assert st == 413 and body["error"]["code"] == "too_large", (st, body)
    at_limit = sized(4096, lambda p: {"kind": "quick", "input": {"p": p}})
    st, body, _ = d.http("POST", "/v1/runs", raw_body=at_limit,
                         headers={"Content-Type": "application/json"})
    assert len(at_limit) == 4096 and st == 201, (st, body)
    st, body, _ = d.http("POST", "/v1/runs", raw_body=at_limit + b" ",
                         headers={"Content-Type": "application/json"})
    assert st == 413 and body["error"]["code"] == "too_large", (st, body)
    # A huge body announced by Content-Length: 413 before the body is read.
    auth = ("Authorization: Bearer %s\r\n" % TOKEN).encode()
    raw = d.raw_http(b"POST /v1/runs HTTP/1.1\r\nHost: localhost\r\n" + auth +
                     b"Content-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n{")
    st, err = http_status_and_error(raw)
    assert st == 413 and err["code"] == "too_large", raw[:300]
    # A chunked body that grows past the limit.
    raw = d.raw_http(b"POST /v1/runs HTTP/1.1\r\nHost: localhost\r\n" + auth +
                     b"Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n" +
                     b"1000\r\n" + b"x" * 4096 + b"\r\n10\r\n" + b"y" * 16 + b"\r\n0\r\n\r\n")
    st, err = http_status_and_error(raw)
    assert st == 413 and err["code"] == "too_large", raw[:300]
    # Huge headers.
    raw = d.raw_http(b"GET /v1/runs HTTP/1.1\r\nHost: localhost\r\n" + auth +
                     b"X-Big: " + b"z" * (64 << 10) + b"\r\n\r\n")
    st, err = http_status_and_error(raw)
    assert st == 431 and err["code"] == "too_large", raw[:300]
    still_serving(d)


def t_http_malformed(d):
    auth = ("Authorization: Bearer %s\r\n" % TOKEN).encode()
    # A truncated request: half a request line, then the client closes its side.
    raw = d.raw_http(b"GET /v1/ru", shutdown_write=True)
    assert raw == b"" or http_status_and_error(raw)[0] == 400, raw[:200]
    # Headers never finished.
    raw = d.raw_http(b"GET /v1/runs HTTP/1.1\r\nHost: localhost\r\n" + auth, shutdown_write=True)
    assert raw == b"" or http_status_and_error(raw)[0] == 400, raw[:200]
    # A body shorter than its Content-Length.
    raw = d.raw_http(b"POST /v1/runs HTTP/1.1\r\nHost: localhost\r\n" + auth +
                     b"Content-Length: 100\r\n\r\n{\"kind\":", shutdown_write=True)
    assert raw == b"" or http_status_and_error(raw)[0] == 400, raw[:200]
    # Garbage request lines and bad framing: 400 with the error body, connection closed.
    for junk in (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",  # a TLS hello
                 b"HELLO WORLD\r\n\r\n",
                 b"GET /v1/runs HTTP/9.9\r\nHost: localhost\r\n\r\n",
                 b"POST /v1/runs HTTP/1.1\r\nHost: localhost\r\nContent-Length: abc\r\n\r\n",
                 b"POST /v1/runs HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"):
        raw = d.raw_http(junk)
        st, _ = http_status_and_error(raw) if raw else (400, None)
        assert st == 400, (junk, raw[:300])
    raw = d.raw_http(b"GET /v1/runs/%zz HTTP/1.1\r\nHost: localhost\r\n" + auth + b"Connection: close\r\n\r\n")
    assert http_status_and_error(raw)[0] in (400, 404), raw[:300]
    # A connection that opens and says nothing, and one that resets: no effect.
    idle = socket.create_connection(("127.0.0.1", d.hport))
    rst = socket.create_connection(("127.0.0.1", d.hport))
    rst.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    rst.sendall(b"GET /v1/runs HTTP/1.1\r\n")
    rst.close()
    still_serving(d)
    idle.close()


def t_http_idle_connections_time_out(d):
    """idle_timeout_s = 2: a silent connection and one stalled mid-request are closed by the
    server (the 60 s socket timeout only guards against a hang)."""
    for first in (b"", b"GET /v1/runs HTTP/1.1\r\nHost: localhost\r\n"):
        s = socket.create_connection(("127.0.0.1", d.hport), timeout=60)
        try:
            if first:
                s.sendall(first)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
            assert data == b"" or data.startswith(b"HTTP/1.1 4"), data[:200]
        finally:
            s.close()
    # An SSE stream with nothing to say is not idle: keepalive comments keep it open.
    sse = d.sse("/v1/events")
    try:
        assert sse.status == 200
        assert sse.wait_comment("keepalive", timeout=60)
        assert sse.wait_comment("keepalive", timeout=60)
    finally:
        sse.close()
    still_serving(d)


def main():
    run_suite(lambda: Daemon(workflows={"quick": QUICK_WORKFLOW}, token=TOKEN,
                    http_extra="max_body_bytes = 4096\nidle_timeout_s = 2\nsse_keepalive_s = 1\n",
                    zmq_extra="max_message_bytes = 4096\n"),
              (t_zmq_garbage, t_zmq_too_large, t_zmq_token, t_http_token, t_http_bodies,
               t_http_malformed, t_http_idle_connections_time_out))


if __name__ == "__main__":
    main()
