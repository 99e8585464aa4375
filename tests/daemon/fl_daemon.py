"""Helpers for the daemon integration tests: a real forklined on free loopback ports in a
temporary folder, an independent ZeroMQ client (pyzmq), an HTTP client (http.client and raw
sockets) and an SSE reader that runs `curl -N`.

Every wait polls a condition with a deadline; a deadline only guards against hangs.
The daemon binary comes from $FORKLINED (set by CMake to $<TARGET_FILE:forklined>).
"""
import http.client
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid

import zmq

HERE = os.path.dirname(os.path.abspath(__file__))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(what, cond, timeout=60, interval=0.02):
    """Polls cond() until it returns a truthy value; raises after `timeout` (a hang guard)."""
    deadline = time.time() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.time() > deadline:
            raise TimeoutError("timed out waiting for " + what)
        time.sleep(interval)


# A workflow whose first step writes a line to stderr (a step.progress event) and then
# waits until the file named by the run's input "gate" exists: a step that stays in flight
# exactly as long as a test wants. The second step is instant.
GATED_WORKFLOW = """
kind = "gated"
description = "a step that waits for a gate file, then an instant one"

[[steps]]
name = "wait"
executor = "exec"
timeout_s = 300
argv = ["/usr/bin/python3", "-c", '''
import json, os, sys, time
gate = json.load(sys.stdin)["input"].get("gate")
print("waiting for the gate", file=sys.stderr, flush=True)
while gate and not os.path.exists(gate):
    time.sleep(0.02)
print(json.dumps({"waited": True}))
''']

[[steps]]
name = "done"
executor = "exec"
argv = ["/bin/sh", "-c", "cat >/dev/null; echo '{\\"done\\": true}'"]
"""

# A workflow whose only step fails (not retryable, one attempt: the run fails) until the
# file named by the run's input "flag" exists, so run.retry has something to do.
FLAKY_WORKFLOW = """
kind = "flaky"
description = "fails until a flag file exists"

[[steps]]
name = "once"
executor = "exec"
argv = ["/usr/bin/python3", "-c", '''
import json, os, sys
flag = json.load(sys.stdin)["input"]["flag"]
if not os.path.exists(flag):
    print("boom: no flag", file=sys.stderr)
    sys.exit(3)
print(json.dumps({"second": True}))
''']
"""

# Three instant steps.
QUICK_WORKFLOW = """
kind = "quick"
description = "three instant steps"

[[steps]]
name = "a"
executor = "exec"
argv = ["/bin/sh", "-c", "cat >/dev/null; echo '{\\"a\\": 1}'"]

[[steps]]
name = "b"
executor = "exec"
argv = ["/bin/sh", "-c", "cat >/dev/null; echo '{\\"b\\": 2}'"]

[[steps]]
name = "c"
executor = "exec"
argv = ["/bin/sh", "-c", "cat >/dev/null; echo '{\\"c\\": 3}'"]
"""

SMALL_NOVEL = """CHAPTER I.

Alice was beginning to get very tired of sitting by her sister on the bank.
"What is the use of a book," thought Alice, "without pictures or conversations?"

"Oh dear! Oh dear! I shall be late!" said the White Rabbit.

* * *

"Who are you?" said the Caterpillar.
"I hardly know, sir," said Alice, "just at present."

CHAPTER II.

"Curiouser and curiouser!" cried Alice.
"Off with her head!" said the Queen.
"""


class Daemon:
    """A forklined on free ports. "@DIR@" in workflow texts and config extras stands for
    its temporary folder."""

    def __init__(self, workflows=None, http_extra="", zmq_extra="", extra_toml="", token=None,
                 tmp=None):
        self.bin = os.path.abspath(os.environ.get("FORKLINED") or "")
        if not self.bin or not os.access(self.bin, os.X_OK):
            raise RuntimeError("set FORKLINED to the forklined binary (got %r)" % self.bin)
        self.tmp = tmp or tempfile.mkdtemp(prefix="fl-it-")
        self.data = os.path.join(self.tmp, "data")
        self.zport = free_port()
        self.hport = free_port()
        while self.hport == self.zport:
            self.hport = free_port()
        self.token = token
        wdir = os.path.join(self.tmp, "workflows")
        os.makedirs(wdir, exist_ok=True)
        for name, text in (workflows or {}).items():
            with open(os.path.join(wdir, name + ".toml"), "w") as f:
                f.write(text.replace("@DIR@", self.tmp))
        self.config = os.path.join(self.tmp, "forkline.toml")
        with open(self.config, "w") as f:
            f.write('workflows_dir = "%s"\n\n[store]\nbackend = "rocksdb"\npath = "%s"\n\n'
                    '[zmq]\nbind = "tcp://127.0.0.1:%d"\n%s\n\n[http]\nbind = "127.0.0.1:%d"\n%s\n\n'
                    % (wdir, self.data, self.zport, zmq_extra.replace("@DIR@", self.tmp),
                       self.hport, http_extra.replace("@DIR@", self.tmp)))
            if token:
                f.write('[auth]\ntoken = "%s"\n\n' % token)
            f.write(extra_toml.replace("@DIR@", self.tmp))
        self.log = os.path.join(self.tmp, "forklined.log")
        self.proc = None
        self._clients = []

    @property
    def endpoint(self):
        return "tcp://127.0.0.1:%d" % self.zport

    def start(self, timeout=60):
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen([self.bin, "--config", self.config], stdout=logf,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     cwd=self.tmp)
        logf.close()

        def healthy():
            if self.proc.poll() is not None:
                raise RuntimeError("forklined exited %s:\n%s" % (self.proc.returncode, self.tail()))
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.hport, timeout=2)
                c.request("GET", "/healthz")
                return c.getresponse().status == 200
            except OSError:
                return False
        wait_for("forklined /healthz", healthy, timeout, 0.05)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def tail(self, n=3000):
        try:
            with open(self.log, "rb") as f:
                return f.read()[-n:].decode("utf-8", "replace")
        except OSError:
            return ""

    def kill9(self):
        if self.alive():
            self.proc.send_signal(signal.SIGKILL)
        if self.proc:
            self.proc.wait()

    def stop(self, timeout=30):
        """SIGTERM; returns the exit code."""
        if self.alive():
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill9()
        return self.proc.returncode if self.proc else None

    def cleanup(self):
        for c in self._clients:
            c.close()
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def client(self, token=None, kind=zmq.DEALER):
        c = Client(self.endpoint, token if token is not None else self.token, kind, self.alive)
        self._clients.append(c)
        return c

    def http(self, method, path, body=None, headers=None, timeout=60, raw_body=None):
        """Returns (status, parsed JSON or raw bytes, response headers dict lower-cased)."""
        c = http.client.HTTPConnection("127.0.0.1", self.hport, timeout=timeout)
        h = dict(headers or {})
        if self.token and "Authorization" not in h:
            h["Authorization"] = "Bearer " + self.token
        if "Authorization" in h and h["Authorization"] is None:  # None: send no header
            del h["Authorization"]
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        c.request(method, path, body=data, headers=h)
        r = c.getresponse()
        raw = r.read()
        hdrs = {k.lower(): v for k, v in r.getheaders()}
        c.close()
        if "json" in hdrs.get("content-type", ""):
            try:
                return r.status, json.loads(raw), hdrs
            except ValueError:
                pass
        return r.status, raw, hdrs

    def raw_http(self, data, timeout=30, shutdown_write=False):
        """Sends raw bytes on a new connection; returns every byte the server sent until it
        closed the connection (or the timeout)."""
        s = socket.create_connection(("127.0.0.1", self.hport), timeout=timeout)
        try:
            s.sendall(data)
            if shutdown_write:
                s.shutdown(socket.SHUT_WR)
            out = b""
            while True:
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    break
                except ConnectionResetError:
                    break
                if not chunk:
                    break
                out += chunk
            return out
        finally:
            s.close()

    def sse(self, path, last_event_id=None, token=None, extra_args=()):
        return CurlSSE(self.hport, path, last_event_id, token if token is not None else self.token,
                       extra_args)


class CommandError(Exception):
    def __init__(self, code, message):
        super().__init__("%s: %s" % (code, message))
        self.code = code


class Client:
    """A pyzmq DEALER (one frame: the request) or REQ client."""

    def __init__(self, endpoint, token=None, kind=zmq.DEALER, alive=None):
        self.alive = alive  # a callable: False once the daemon process has exited
        self.sock = zmq.Context.instance().socket(kind)
        self.sock.setsockopt(zmq.LINGER, 0)
        self.sock.connect(endpoint)
        self.token = token

    def raw(self, frames, timeout=60):
        self.sock.send_multipart(frames)
        deadline = time.time() + timeout
        while not self.sock.poll(200):
            if self.alive is not None and not self.alive():
                raise RuntimeError("forklined died; no reply")
            if time.time() > deadline:
                raise TimeoutError("no reply in %ss" % timeout)
        return self.sock.recv_multipart()

    def call(self, cmd, timeout=60, key=None, **args):
        rid = uuid.uuid4().hex
        req = {"id": rid, "cmd": cmd, "args": args}
        if key:
            req["key"] = key
        if self.token:
            req["token"] = self.token
        rep = json.loads(self.raw([json.dumps(req).encode()], timeout)[-1])
        if rep.get("id") != rid:
            raise AssertionError("reply id %r != request id %r" % (rep.get("id"), rid))
        return rep

    def ok(self, cmd, timeout=60, key=None, **args):
        rep = self.call(cmd, timeout=timeout, key=key, **args)
        if rep.get("ok") is not True:
            e = rep.get("error") or {}
            raise CommandError(e.get("code"), e.get("message"))
        assert set(rep) <= {"id", "ok", "result"}, rep
        return rep["result"]

    def err(self, cmd, **args):
        """Returns the error object of a reply that must be an error."""
        rep = self.call(cmd, **args)
        if rep.get("ok") is not False:
            raise AssertionError("%s was accepted, expected an error: %r" % (cmd, rep))
        check_error(rep["error"])
        return rep["error"]

    def close(self):
        self.sock.close(0)


ERROR_CODES = {"bad_request", "unauthorized", "not_found", "conflict", "too_large",
               "unavailable", "internal"}


def check_error(e):
    assert isinstance(e, dict) and e.get("code") in ERROR_CODES, e
    assert isinstance(e.get("message"), str) and e["message"], e


class CurlSSE:
    """Reads an SSE stream with `curl -sS -N -i` (an independent client). Lines are read on a
    thread into a queue; parse with next_event()."""

    def __init__(self, port, path, last_event_id=None, token=None, extra_args=()):
        cmd = ["curl", "-sS", "-N", "-i", "-H", "Accept: text/event-stream"]
        if last_event_id is not None:
            cmd += ["-H", "Last-Event-ID: %s" % last_event_id]
        if token:
            cmd += ["-H", "Authorization: Bearer " + token]
        cmd += list(extra_args)
        cmd.append("http://127.0.0.1:%d%s" % (port, path))
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.lines = queue.Queue()
        self.status = None
        self.headers = {}
        self.retry = None
        self.retry_after_events = None  # how many events came before the retry: line
        self.dispatched = 0
        self.comments = []
        self.ended = False
        threading.Thread(target=self._pump, daemon=True).start()
        self._read_head()

    def _pump(self):
        for line in self.proc.stdout:
            self.lines.put(line.decode("utf-8").rstrip("\r\n"))
        self.lines.put(None)

    def _line(self, timeout):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError("SSE: nothing in %ss" % timeout)
        if line is None:
            self.ended = True
        return line

    def _read_head(self, timeout=60):
        line = self._line(timeout)
        if line is None:
            raise AssertionError("SSE: connection closed before a status line")
        self.status = int(line.split()[1])
        while True:
            line = self._line(timeout)
            if not line:
                break
            k, _, v = line.partition(":")
            self.headers[k.strip().lower()] = v.strip()

    def next_event(self, timeout=60):
        """The next event {event, id, data (parsed), raw} or None when the stream ended."""
        cur = {"event": None, "id": None, "data": []}
        while True:
            if self.ended:
                return None
            line = self._line(timeout)
            if line is None:
                return None
            if line == "":
                if cur["data"]:
                    raw = "\n".join(cur["data"])
                    self.dispatched += 1
                    return {"event": cur["event"], "id": cur["id"], "raw": raw,
                            "data": json.loads(raw)}
                cur = {"event": None, "id": None, "data": []}
            elif line.startswith(":"):
                self.comments.append(line)
            else:
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "data":
                    cur["data"].append(value)
                elif field == "event":
                    cur["event"] = value
                elif field == "id":
                    cur["id"] = value
                elif field == "retry":
                    self.retry = value
                    self.retry_after_events = self.dispatched

    def wait_comment(self, text, timeout=60):
        """Reads lines (skipping any event lines) until a comment containing `text`."""
        while True:
            line = self._line(timeout)
            if line is None:
                raise AssertionError("SSE ended before a comment %r" % text)
            if line.startswith(":"):
                self.comments.append(line)
                if text in line:
                    return line

    def events(self, n, timeout=60):
        out = []
        while len(out) < n:
            ev = self.next_event(timeout)
            if ev is None:
                raise AssertionError("SSE ended after %d of %d events: %r" % (len(out), n, out[-3:]))
            out.append(ev)
        return out

    def until(self, pred, timeout=60):
        out = []
        while True:
            ev = self.next_event(timeout)
            if ev is None:
                raise AssertionError("SSE ended before the condition; got %r" % out[-3:])
            out.append(ev)
            if pred(ev):
                return out

    def rest(self, timeout=60):
        """Every event until the server closes the stream."""
        out = []
        while True:
            ev = self.next_event(timeout)
            if ev is None:
                return out
            out.append(ev)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def check_run(run, full=True):
    """The run JSON of DESIGN §4."""
    keys = {"id", "kind", "title", "status", "cursor", "total_steps", "autorun", "version",
            "created_at", "updated_at", "parent"}
    if full:
        keys |= {"input", "steps"}
    missing = keys - set(run)
    assert not missing, "run lacks %s: %r" % (missing, run)
    assert run["status"] in ("queued", "running", "paused", "completed", "failed", "canceled"), run
    assert isinstance(run["cursor"], int) and 0 <= run["cursor"] <= run["total_steps"], run
    assert isinstance(run["autorun"], bool) and isinstance(run["version"], int), run
    assert run["parent"] is None or set(run["parent"]) >= {"run_id", "at", "version"}, run
    if full:
        assert isinstance(run["input"], dict), run
        assert len(run["steps"]) == run["total_steps"], run
        for i, s in enumerate(run["steps"]):
            check_step(s, i)
        done = sum(1 for s in run["steps"] if s["status"] == "completed")
        assert done == run["cursor"], (done, run["cursor"])
    else:
        assert "steps" not in run and "input" not in run, run


def check_step(s, index=None):
    for k in ("index", "name", "status", "attempt", "executor"):
        assert k in s, "step lacks %s: %r" % (k, s)
    if index is not None:
        assert s["index"] == index, s
    assert s["status"] in ("pending", "running", "completed", "failed", "aborted"), s
    if s["status"] == "completed":
        assert isinstance(s.get("output"), dict), s
        for k in ("started_at", "ended_at", "duration_ms"):
            assert k in s, "completed step lacks %s: %r" % (k, s)
    if s["status"] == "failed":
        assert set(s.get("error") or {}) >= {"code", "message"}, s


def check_event(e, run_id=None):
    for k in ("run_id", "version", "position", "type", "at", "data", "prev_hash", "hash"):
        assert k in e, "event lacks %s: %r" % (k, e)
    if run_id is not None:
        assert e["run_id"] == run_id, e


class Results:
    def __init__(self):
        self.failed = []
        self.passed = 0
        self.count = 0

    def run(self, name, fn, *args):
        self.count += 1
        t = time.time()
        try:
            fn(*args)
            self.passed += 1
            print("PASS %-45s %.1fs" % (name, time.time() - t), flush=True)
        except Exception:  # noqa: BLE001 - report every failure and go on
            self.failed.append(name)
            print("FAIL %-45s %.1fs" % (name, time.time() - t), flush=True)
            traceback.print_exc()
            sys.stdout.flush()

    def crashed(self):
        """Call from an except clause around the cases: the suite itself failed."""
        self.failed.append("suite")
        traceback.print_exc()

    def exit(self, daemons=()):
        """Prints the daemons' logs when something failed, removes them, and exits."""
        for d in daemons:
            if self.failed:
                rc = d.proc.poll() if d.proc else None
                print("---- forklined log (%s; %s) ----\n%s" % (
                    d.tmp, "running" if rc is None else "exit status %s" % rc, d.tail()))
            d.cleanup()
        print("%d passed, %d failed%s" % (self.passed, len(self.failed),
                                          (": " + ", ".join(self.failed)) if self.failed else ""))
        sys.exit(1 if self.failed else 0)


def run_suite(make_daemon, cases, prepare=None):
    """Starts the daemon `make_daemon()` returns (after `prepare(d)` when given), runs each
    case as case(d), checks the daemon is still alive, and exits with the results."""
    res = Results()
    d = None
    try:
        d = make_daemon()
        if prepare:
            prepare(d)
        d.start()
        for case in cases:
            res.run(case.__name__[2:], case, d)
        res.run("daemon_still_alive", lambda: wait_for("alive", d.alive, 1))
    except BaseException:
        res.crashed()
    finally:
        res.exit([d] if d else [])
