"""Forkline's Python client: the ZeroMQ commands of DESIGN §4 and the SSE streams of §5.

Standard library + pyzmq only (Debian: python3-zmq). Copy this one file next to your
script, or put clients/python on PYTHONPATH.

    from forkline import Client, NotFound
    with Client("tcp://127.0.0.1:7710", http="127.0.0.1:7711") as fl:
        run = fl.create("novel_to_script", {"text": open("alice.txt").read()})
        fl.next(run["id"])                       # one step, answers when it has ended
        fl.autorun(run["id"], True)              # the rest by itself
        for ev in fl.watch(run["id"], until_terminal=True):
            print(ev.id, ev.type, ev.run["status"])

Every command method returns the reply's `result` unwrapped where the result has one
main object (`create` -> the run, `next` -> {run, step}, `list` -> {runs, next}); an
error reply raises the exception class of its code (BadRequest, Unauthorized, NotFound,
Conflict, TooLarge, Unavailable, Internal, all ForklineError); no reply in time raises
NoReply. A Client is safe to share between threads (one lock around its socket); a
watch() generator opens its own HTTP connection.
"""
import http.client
import json
import threading
import time
import urllib.parse
import uuid

import zmq

__all__ = [
    "Client", "Event", "ForklineError", "BadRequest", "Unauthorized", "NotFound", "Conflict",
    "TooLarge", "Unavailable", "Internal", "NoReply",
]


class ForklineError(Exception):
    """An error reply: `code` (a DESIGN §4 error code) and `message`."""

    code = None

    def __init__(self, message, code=None):
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code

    def __str__(self):
        return "%s: %s" % (self.code, self.message)


class BadRequest(ForklineError):
    code = "bad_request"


class Unauthorized(ForklineError):
    code = "unauthorized"


class NotFound(ForklineError):
    code = "not_found"


class Conflict(ForklineError):
    code = "conflict"


class TooLarge(ForklineError):
    code = "too_large"


class Unavailable(ForklineError):
    code = "unavailable"


class Internal(ForklineError):
    code = "internal"


class NoReply(Unavailable):
    """No reply within the timeout (daemon down or busy). The command may still have run:
    repeat it with the same idempotency `key` to be sure it runs once."""


_ERRORS = {cls.code: cls for cls in (BadRequest, Unauthorized, NotFound, Conflict, TooLarge,
                                     Unavailable, Internal)}


def error_for(error):
    """The exception for an `error` object {code, message} of a reply or HTTP body."""
    error = error if isinstance(error, dict) else {}
    code = error.get("code")
    cls = _ERRORS.get(code, ForklineError)
    return cls(error.get("message") or "error without a message", code)


class Event:
    """One SSE message: `type` (event:), `id` (int, None for transient step.progress),
    `data` (the event JSON: run_id, version, position, type, at, data, hash, … and `run`,
    the run's status/cursor/autorun/version right after it)."""

    __slots__ = ("type", "id", "data")

    def __init__(self, type_, id_, data):
        self.type, self.id, self.data = type_, id_, data

    @property
    def run(self):
        return self.data.get("run") or {}

    @property
    def transient(self):
        return self.id is None

    @property
    def terminal(self):
        return self.type in ("run.completed", "run.failed", "run.canceled")

    def __repr__(self):
        return "Event(%r, id=%r)" % (self.type, self.id)


class Client:
    """A connection to one forklined.

    endpoint: the ZeroMQ ROUTER (zmq.bind), e.g. "tcp://127.0.0.1:7710".
    http: "host:port" of the HTTP listener, used by watch() (http.bind).
    token: the auth token ([auth] token), sent with every command and request.
    timeout: seconds to wait for a reply (run.next gets next_timeout: it answers when
    the step has ended).
    server_key, public_key, secret_key: CURVE keys (Z85) when the daemon encrypts."""

    def __init__(self, endpoint="tcp://127.0.0.1:7710", http="127.0.0.1:7711", token=None,
                 timeout=30.0, next_timeout=3600.0, server_key=None, public_key=None,
                 secret_key=None, context=None):
        self.endpoint = endpoint
        self.http = http
        self.token = token or None
        self.timeout = timeout
        self.next_timeout = next_timeout
        self._lock = threading.Lock()
        self._context = context or zmq.Context.instance()
        self._sock = self._context.socket(zmq.DEALER)
        self._sock.setsockopt(zmq.LINGER, 0)
        if server_key:
            if not public_key or not secret_key:
                public_key, secret_key = zmq.curve_keypair()
            self._sock.curve_serverkey = _bytes(server_key)
            self._sock.curve_publickey = _bytes(public_key)
            self._sock.curve_secretkey = _bytes(secret_key)
        self._sock.connect(endpoint)

    # -- plumbing -----------------------------------------------------------------------

    def close(self):
        with self._lock:
            self._sock.close(0)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def call(self, cmd, args=None, key=None, timeout=None):
        """Sends one command and returns its `result`; raises the error's class."""
        rid = uuid.uuid4().hex
        request = {"id": rid, "cmd": cmd, "args": _drop_none(args or {})}
        if key:
            request["key"] = key
        if self.token:
            request["token"] = self.token
        frame = json.dumps(request).encode()
        wait = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        with self._lock:
            self._sock.send(frame)
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not self._sock.poll(int(left * 1000) + 1):
                    raise NoReply("no reply to %s from %s in %gs" % (cmd, self.endpoint, wait))
                reply = json.loads(self._sock.recv_multipart()[-1])
                if reply.get("id") == rid:  # an older reply (after a timeout) is dropped
                    break
        if reply.get("ok") is True:
            return reply.get("result") or {}
        raise error_for(reply.get("error"))

    # -- commands (DESIGN §4) -----------------------------------------------------------

    def workflows(self):
        """[{kind, description, steps: [{name, executor}]}]"""
        return self.call("workflows.list")["workflows"]

    def health(self):
        """{ok, version, store, uptime_s, runs, events}"""
        return self.call("system.health")

    def create(self, kind, input, title=None, autorun=None, key=None):  # noqa: A002 - DESIGN's name
        """A new run of `kind` on `input` (a dict); returns the run."""
        return self.call("run.create", {"kind": kind, "input": input, "title": title,
                                        "autorun": autorun}, key)["run"]

    def get(self, run_id):
        """The run with its steps and input."""
        return self.call("run.get", {"run_id": run_id})["run"]

    def list(self, status=None, kind=None, limit=None, after=None):
        """{runs: [summary], next}: pass `next` as `after` for the following page."""
        return self.call("run.list", {"status": status, "kind": kind, "limit": limit,
                                      "after": after})

    def runs(self, status=None, kind=None, page=100):
        """Every run summary, page after page (a generator)."""
        after = None
        while True:
            result = self.list(status, kind, page, after)
            yield from result["runs"]
            after = result.get("next")
            if not after:
                return

    def next(self, run_id, expect_version=None, key=None, timeout=None):
        """Executes exactly one step; returns {run, step} when it has ended."""
        return self.call("run.next", {"run_id": run_id, "expect_version": expect_version}, key,
                         self.next_timeout if timeout is None else timeout)

    def pause(self, run_id, abort_step=False, key=None):
        return self.call("run.pause", {"run_id": run_id, "abort_step": abort_step or None},
                         key)["run"]

    def resume(self, run_id, key=None):
        return self.call("run.resume", {"run_id": run_id}, key)["run"]

    def autorun(self, run_id, enabled=True, key=None):
        return self.call("run.autorun", {"run_id": run_id, "enabled": bool(enabled)}, key)["run"]

    def cancel(self, run_id, key=None):
        return self.call("run.cancel", {"run_id": run_id}, key)["run"]

    def retry(self, run_id, key=None):
        return self.call("run.retry", {"run_id": run_id}, key)["run"]

    def fork(self, run_id, at=None, title=None, override=None, autorun=None, key=None):
        """A new run sharing `run_id`'s history up to step `at` (default: its cursor).
        `override`: the replacement output of step at-1 (a dict), wrapped as DESIGN's
        {"output": …}. Returns the new run."""
        args = {"run_id": run_id, "at": at, "title": title, "autorun": autorun}
        if override is not None:
            args["override"] = {"output": override}
        return self.call("run.fork", args, key)["run"]

    def events(self, run_id, after=0, limit=None):
        """{events: [event], next} — a page of the run's history after version `after`."""
        return self.call("run.events", {"run_id": run_id, "after": after, "limit": limit})

    def lineage(self, run_id):
        """{root, runs: [{run_id, parent_run_id, at, status}]}"""
        return self.call("run.lineage", {"run_id": run_id})

    def output(self, run_id, step):
        """The output of a completed step, by index or name."""
        run = self.get(run_id)
        for s in run["steps"]:
            if s["index"] == step or s["name"] == step:
                if s["status"] != "completed":
                    raise Conflict("step %r of %s is %s" % (step, run_id, s["status"]))
                return s["output"]
        raise NotFound("run %s has no step %r" % (run_id, step))

    # -- SSE (DESIGN §5) ---------------------------------------------------------------

    def watch(self, run_id=None, last_event_id=None, until_terminal=False, kind=None,
              types=None, read_timeout=60.0, max_reconnects=10):
        """Yields Events as they happen: the run's history after `last_event_id` (a
        version; all of it when None), then live; with run_id None, every run's events in
        global order (ids are positions), filtered by `kind` and `types`.

        A dropped connection (a daemon restart, a slow-subscriber cut, no byte for
        `read_timeout` s although the server sends keepalives) is resumed with
        Last-Event-ID = the last id yielded: no gap, no duplicate. More than
        `max_reconnects` failed attempts in a row raise Unavailable. With
        `until_terminal` (run streams) the generator ends after the run's terminal
        event. An error answer (404, 401, 400) raises its class."""
        if run_id is not None:
            path = "/v1/runs/%s/events" % urllib.parse.quote(run_id, safe="")
        else:
            path = "/v1/events"
        query = {}
        if until_terminal and run_id is not None:
            query["until"] = "terminal"
        if kind:
            query["kind"] = kind
        if types:
            query["types"] = ",".join(types) if not isinstance(types, str) else types
        if query:
            path += "?" + urllib.parse.urlencode(query)
        last = last_event_id
        failures = 0
        retry_s = 1.0
        while True:
            try:
                conn, resp = self._open_stream(path, last, read_timeout)
            except (OSError, http.client.HTTPException) as e:
                failures += 1
                if failures > max_reconnects:
                    raise Unavailable("SSE %s: %s" % (path, e)) from e
                time.sleep(retry_s)
                continue
            failures = 0
            ended_cleanly = False
            last_terminal = False
            try:
                for field, value in _sse_messages(resp):
                    if field == "retry":
                        retry_s = max(0.05, int(value) / 1000.0) if value.isdigit() else retry_s
                        continue
                    ev = value
                    if ev.id is not None:
                        last = ev.id
                        last_terminal = ev.terminal
                    yield ev
                ended_cleanly = True
            except (OSError, http.client.HTTPException, ValueError):
                pass  # dropped mid-stream: resume below
            finally:
                conn.close()
            if ended_cleanly and last_terminal and until_terminal and run_id is not None:
                return  # the server ended the stream after the run's terminal event
            time.sleep(retry_s)

    def _open_stream(self, path, last_event_id, read_timeout):
        host, _, port = self.http.rpartition(":")
        conn = http.client.HTTPConnection(host or "127.0.0.1", int(port), timeout=read_timeout)
        headers = {"Accept": "text/event-stream"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        if resp.status != 200:
            body = resp.read()
            conn.close()
            try:
                error = json.loads(body).get("error")
            except ValueError:
                error = {"code": "internal", "message": "HTTP %d" % resp.status}
            raise error_for(error)
        return conn, resp


def _sse_messages(resp):
    """Parses an SSE body (WHATWG framing): yields ("retry", "1000") and ("event", Event)."""
    etype, eid, data = None, None, []
    while True:
        raw = resp.fp.readline()
        if not raw:
            return
        line = raw.decode("utf-8").rstrip("\r\n")
        if line == "":
            if data:
                yield "event", Event(etype or "message", int(eid) if eid else None,
                                     json.loads("\n".join(data)))
            etype, eid, data = None, None, []
            continue
        if line.startswith(":"):
            continue  # keepalive comment
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "event":
            etype = value
        elif field == "id":
            eid = value
        elif field == "data":
            data.append(value)
        elif field == "retry":
            yield "retry", value


def _drop_none(args):
    return {k: v for k, v in args.items() if v is not None}


def _bytes(v):
    return v if isinstance(v, bytes) else v.encode()
