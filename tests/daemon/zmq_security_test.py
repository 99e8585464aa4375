#!/usr/bin/python3
"""ZeroMQ security of a real forklined (issue 8, item 9).
With CURVE keys, a client allow-list and a token: a client whose key is not on the list, a
NULL-mechanism (plain) client and a client that holds an allowed key pair but the wrong
server key each fail their handshake (seen by a socket monitor) and get 0 commands in —
asserted through run.list and GET /v1/runs, not only by the missing replies.
With the default max_message_bytes (16 MiB; ZMQ_MAXMSGSIZE 32 MiB): a 40 MiB frame is
dropped by libzmq without being buffered (peak RSS), a 20 MiB one is answered too_large,
nothing is created, and the daemon serves on.
forklined started with a soft RLIMIT_NOFILE of 256 raises it (the flood needs more).
1,000 DEALERs flooding requests without reading replies leave the daemon answering a
normal client; RSS and descriptors are reported and come back down afterwards.
Usage: FORKLINED=path/to/forklined zmq_security_test.py"""
import json
import os
import resource
import subprocess
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zmq  # noqa: E402
from zmq.utils.monitor import recv_monitor_message  # noqa: E402

from fl_daemon import QUICK_WORKFLOW, Daemon, Results, wait_for  # noqa: E402
from proc_stats import MIB, SANITIZED, latency_summary, open_fds, peak_rss, rss  # noqa: E402

TOKEN = "zmq-sec-token-5b2e"
SERVER_PUB, SERVER_SEC = zmq.curve_keypair()
CLIENT_PUB, CLIENT_SEC = zmq.curve_keypair()
STRANGER_PUB, STRANGER_SEC = zmq.curve_keypair()
WRONG_SERVER_PUB, _ = zmq.curve_keypair()
FLOODERS = int(os.environ.get("FORKLINE_FLOODERS", "1000"))
FLOOD_SECONDS = float(os.environ.get("FORKLINE_FLOOD_SECONDS", "10"))

FAILED_EVENTS = (zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL |
                 zmq.EVENT_HANDSHAKE_FAILED_AUTH | zmq.EVENT_DISCONNECTED)


def request(cmd, token=TOKEN, **args):
    return json.dumps({"id": cmd, "cmd": cmd, "args": args, "token": token}).encode()


def monitored_dealer(ctx, endpoint, server_key=None, public=None, secret=None,
                     events=zmq.EVENT_HANDSHAKE_SUCCEEDED | FAILED_EVENTS):
    s = ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    if server_key is not None:
        s.curve_serverkey = server_key
        s.curve_publickey = public
        s.curve_secretkey = secret
    mon = s.get_monitor_socket(events)
    s.connect(endpoint)
    return s, mon


def wait_handshake_failure(mon, what):
    """The monitor's first verdict must be a failure (a hang guard bounds the wait)."""
    deadline = time.time() + 30
    while time.time() < deadline:
        if mon.poll(200):
            ev = recv_monitor_message(mon)
            assert ev["event"] != zmq.EVENT_HANDSHAKE_SUCCEEDED, what + ": handshake succeeded"
            if ev["event"] & FAILED_EVENTS:
                return ev["event"]
    raise TimeoutError(what + ": no handshake verdict")


def t_refused_clients_get_nothing_in(d):
    ctx = zmq.Context.instance()
    good = d.client()
    good.sock.close(0)
    good.sock = ctx.socket(zmq.DEALER)
    good.sock.setsockopt(zmq.LINGER, 0)
    good.sock.curve_serverkey = SERVER_PUB
    good.sock.curve_publickey = CLIENT_PUB
    good.sock.curve_secretkey = CLIENT_SEC
    good.sock.connect(d.endpoint)
    assert good.ok("run.list")["runs"] == []

    cases = {
        "key not on the allow-list": (SERVER_PUB, STRANGER_PUB, STRANGER_SEC),
        "NULL mechanism": (None, None, None),
        "wrong server key": (WRONG_SERVER_PUB, CLIENT_PUB, CLIENT_SEC),
    }
    for what, (server_key, public, secret) in cases.items():
        s, mon = monitored_dealer(ctx, d.endpoint, server_key, public, secret)
        try:
            for i in range(20):
                s.send(request("run.create", kind="quick", input={"intruder": what, "i": i}),
                       zmq.NOBLOCK)
            event = wait_handshake_failure(mon, what)
            assert not s.poll(500), what + ": got a reply"
            print("refused: %-26s handshake event 0x%x" % (what, event), flush=True)
        finally:
            s.disable_monitor()
            mon.close(0)
            s.close(0)
    # Nothing reached the store: not over ZeroMQ, not seen over HTTP.
    assert good.ok("run.list")["runs"] == []
    st, body, _ = d.http("GET", "/v1/runs")
    assert st == 200 and body["runs"] == [], (st, body)
    wait_for("the ZAP refusal logged", lambda: "allow-list" in d.tail(100000), 30)
    run = good.ok("run.create", kind="quick", input={"allowed": True})["run"]
    assert [r["id"] for r in good.ok("run.list")["runs"]] == [run["id"]]
    with open(d.log, "rb") as f:
        assert TOKEN.encode() not in f.read(), "the token was logged"


def run_count(c):
    return len(c.ok("run.list", limit=1000)["runs"])


def t_maxmsgsize_drops_oversized_frames(d):
    c = d.client()
    before_runs = run_count(c)
    pid = d.proc.pid
    before = peak_rss(pid)
    ctx = zmq.Context.instance()
    s, mon = monitored_dealer(ctx, d.endpoint, events=zmq.EVENT_DISCONNECTED)
    try:
        pad = "x" * (40 * MIB)
        s.send(request("run.create", kind="quick", input={"pad": pad}), copy=False)
        del pad
        assert wait_handshake_failure(mon, "40 MiB frame") == zmq.EVENT_DISCONNECTED
        assert not s.poll(500), "a 40 MiB frame was answered"
    finally:
        s.disable_monitor()
        mon.close(0)
        s.close(0)
    grown = peak_rss(pid) - before
    print("maxmsgsize: a 40 MiB frame dropped; daemon peak RSS +%.1f MiB" % (grown / MIB),
          flush=True)
    assert SANITIZED or grown < 16 * MIB, "peak RSS grew by %.1f MiB" % (grown / MIB)
    rep = json.loads(c.raw([request("run.create", kind="quick",
                                    input={"pad": "y" * (20 * MIB)})])[-1])
    assert rep["ok"] is False and rep["error"]["code"] == "too_large", rep
    assert run_count(c) == before_runs
    assert c.ok("system.health")["ok"] is True


def raise_fd_limit(want):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(want, hard), hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def flood(endpoint, count, seconds):
    """The flooding process (run as `zmq_security_test.py --flood ENDPOINT N SECONDS`, apart
    from the test so that its send loop does not share an interpreter lock with the
    normal client): N DEALERs send requests for SECONDS without reading a reply. Prints
    the number of requests sent. The DEALERs connect, then wait for a line on stdin."""
    raise_fd_limit(4 * count + 1024)
    ctx = zmq.Context(io_threads=2)
    ctx.max_sockets = count + 100
    socks = []
    for _ in range(count):
        s = ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(endpoint)
        socks.append(s)
    sys.stdin.readline()
    payloads = [request("run.get", run_id="r_missing"), request("system.health", token="wrong"),
                b"{not json", request("workflows.list")]
    sent = 0
    end = time.time() + seconds
    while time.time() < end:
        for i, s in enumerate(socks):
            try:
                s.send(payloads[(sent + i) % len(payloads)], zmq.NOBLOCK)
                sent += 1
            except zmq.Again:
                pass
    print(sent, flush=True)
    for s in socks:
        s.close(0)
    ctx.term()


def t_flood_of_dealers(d):
    limit = raise_fd_limit(4 * FLOODERS + 1024)
    assert limit >= 3 * FLOODERS, "RLIMIT_NOFILE %d too low for %d sockets" % (limit, FLOODERS)
    pid = d.proc.pid
    c = d.client()
    before = []
    for _ in range(20):
        t = time.time()
        run = c.ok("run.create", kind="quick", input={})["run"]
        c.ok("run.get", run_id=run["id"])
        before.append(time.time() - t)
    base_rss, base_fds = rss(pid), open_fds(pid)
    child = subprocess.Popen([sys.executable, os.path.abspath(__file__), "--flood", d.endpoint,
                              str(FLOODERS), str(FLOOD_SECONDS)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE)
    try:
        wait_for("%d connections" % FLOODERS, lambda: open_fds(pid) >= base_fds + FLOODERS
                 or child.poll() is not None, 120, 0.1)
        assert child.poll() is None, "the flooding process ended early"
        child.stdin.write(b"go\n")
        child.stdin.close()
        during, peak = [], base_rss
        while child.poll() is None:
            t = time.time()
            run = c.ok("run.create", kind="quick", input={})["run"]
            assert c.ok("run.get", run_id=run["id"])["run"]["id"] == run["id"]
            during.append(time.time() - t)
            peak = max(peak, rss(pid))
        sent = int(child.stdout.read().strip() or 0)
        assert child.wait() == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert during, "the normal client got no answer during the flood"
    print("flood: %d DEALERs sent %d requests in %.0f s (never reading a reply)"
          % (FLOODERS, sent, FLOOD_SECONDS), flush=True)
    print("flood: normal client run.create + run.get before %s; during %s"
          % (latency_summary(before), latency_summary(during)), flush=True)
    wait_for("descriptors back", lambda: open_fds(pid) <= base_fds + 10, 60, 0.1)
    assert c.ok("system.health")["ok"] is True
    after = rss(pid)
    print("flood: daemon RSS %.1f MiB before, %.1f MiB peak, %.1f MiB after; descriptors %d "
          "before, %d after" % (base_rss / MIB, peak / MIB, after / MIB, base_fds,
                                open_fds(pid)), flush=True)
    assert sent > FLOODERS
    assert SANITIZED or peak < base_rss + 256 * MIB, "RSS peaked at %.0f MiB" % (peak / MIB)


def fd_limits(pid):
    """(soft, hard) RLIMIT_NOFILE of a process."""
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                return int(line.split()[3]), int(line.split()[4])
    raise KeyError("Max open files")


def t_file_limit_raised(d):
    """Started with a soft RLIMIT_NOFILE of 256 (below what the flood needs), forklined
    raised it itself."""
    soft, hard = fd_limits(d.proc.pid)
    assert soft >= min(4096, hard), (soft, hard)


def suite(res, make, cases, fd_limit=None):
    d = None
    try:
        d = make()
        saved = resource.getrlimit(resource.RLIMIT_NOFILE)
        if fd_limit:
            resource.setrlimit(resource.RLIMIT_NOFILE, (fd_limit, saved[1]))
        try:
            d.start()
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, saved)
        for case in cases:
            res.run(case.__name__[2:], case, d)
        res.run("daemon_still_alive", lambda: wait_for("alive", d.alive, 1))
    except BaseException:
        res.crashed()
    finally:
        if d is not None:
            if res.failed:
                print("---- forklined log (%s) ----\n%s" % (d.tmp, d.tail()))
            d.cleanup()


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--flood":
        return flood(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
    res = Results()
    curve = ('curve_server_secret_key = "%s"\ncurve_server_public_key = "%s"\n'
             'curve_allowed_client_keys = ["%s"]\n'
             % (SERVER_SEC.decode(), SERVER_PUB.decode(), CLIENT_PUB.decode()))
    suite(res, lambda: Daemon(workflows={"quick": QUICK_WORKFLOW}, token=TOKEN, zmq_extra=curve),
          (t_refused_clients_get_nothing_in,))
    suite(res, lambda: Daemon(workflows={"quick": QUICK_WORKFLOW}, token=TOKEN),
          (t_file_limit_raised, t_maxmsgsize_drops_oversized_frames, t_flood_of_dealers),
          fd_limit=256)
    res.exit()


if __name__ == "__main__":
    main()
