#!/usr/bin/python3
"""`make bench-compare`: Forkline beside what users would pick instead, on this machine, in
one run. Starts each peer on loopback in a temporary folder, runs every row of every round
back to back (three rounds; the table shows the median round), stops everything it started,
prints the table and writes it into docs/BENCHMARKS.md between the bench-compare markers.

Rows (event payloads ~200 bytes; every durable row syncs before acknowledging):
  M1  one client, durable command -> reply: forklined over ZeroMQ (run.pause/run.resume, one
      event each) beside Redis XADD (appendfsync always, redis-benchmark -c 1), PostgreSQL
      one-row INSERT+COMMIT (pgbench -c 1), a raw write+fdatasync probe, a raw ZeroMQ echo.
  M2  64 clients: forklined beside Redis XADD -c 64, db_bench fillrandom --sync=1
      --threads=32, pgbench -c 16; events per fsync from forklined's /metrics. A floor row:
      the raw ZeroMQ echo (no work, no disk) under the same client and load.
  M3  rebuild a run's projection from a 1,000,000-event log beside db_bench readseq over
      1,000,000 200-byte values.
  M4  fork of a 1,000,000-event run vs of a 10-event run (durable).
  M5  5,000 SSE subscribers on one stream, 200 events/s: forklined (GET /v1/runs/{id}/events)
      beside nginx + nchan (EventSource) and a raw write-per-subscriber loop. Measured over
      the delivery window only (every subscriber connected and caught up first), counting
      frames lost and subscribers cut off (sse_fanout.cc).
  M6  memory per idle SSE subscriber (server RSS delta; nchan: its worker's) and per idle
      run (forklined RSS delta over 10,000 run.create).
  M8  daemon CPU time per durable event at the M2 load (/proc/PID/stat) beside
      redis-server's CPU per XADD; a floor row: the echo server's CPU per round trip.
  M7  the PostgreSQL backend: a second forklined with [store] backend = "postgres" on the
      same PostgreSQL server, 64 clients as M2 (durable events/s), beside pgbench -c 16.

Usage: bench/compare/run.py [--build DIR] [--rounds N] [--quick] [--no-docs]
"""
import argparse
import datetime
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PG_BIN = "/usr/lib/postgresql/15/bin"
PAYLOAD = "x" * 200
BEGIN, END = "<!-- bench-compare:begin -->", "<!-- bench-compare:end -->"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_port(port, proc, what, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError("%s exited with %s" % (what, proc.returncode))
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("%s did not listen on %d" % (what, port))


def cpu_seconds(pid):
    """utime + stime of a process, seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


class Forklined:
    """`postgres_url`: the PostgreSQL store instead of RocksDB (M7)."""

    def __init__(self, build, tmp, postgres_url=None):
        self.dir = os.path.join(tmp, "forklined-pg" if postgres_url else "forklined")
        os.makedirs(os.path.join(self.dir, "workflows"))
        self.zport, self.hport = free_port(), free_port()
        cfg = os.path.join(self.dir, "forkline.toml")
        store = ('backend = "postgres"\npostgres_url = "%s"\n' % postgres_url if postgres_url
                 else 'path = "%s/data"\n' % self.dir)
        with open(cfg, "w") as f:
            f.write('workflows_dir = "%s/workflows"\n[store]\n%s'
                    '[zmq]\nbind = "tcp://127.0.0.1:%d"\n[http]\nbind = "127.0.0.1:%d"\n'
                    '[log]\nlevel = "warn"\n' % (self.dir, store, self.zport, self.hport))
        self.proc = subprocess.Popen([os.path.join(build, "daemon/forklined"), "--config", cfg],
                                     stdout=open(os.path.join(self.dir, "log"), "w"),
                                     stderr=subprocess.STDOUT)
        wait_port(self.hport, self.proc, "forklined")
        self.endpoint = "tcp://127.0.0.1:%d" % self.zport

    def metric(self, name):
        text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.hport).read().decode()
        total = 0.0
        for line in text.splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)


class Redis:
    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "redis")
        os.makedirs(self.dir)
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.dir,
             "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
             "--logfile", os.path.join(self.dir, "log")])
        wait_port(self.port, self.proc, "redis-server")

    def xadd(self, clients, n):
        out = sh(["redis-benchmark", "-p", str(self.port), "-c", str(clients), "-n", str(n),
                  "--csv", "XADD", "bench", "*", "payload", PAYLOAD])
        rows = [r for r in out.splitlines() if r.startswith('"XADD')]
        cells = [c.strip('"') for c in rows[-1].split(",")]
        # "test","rps","avg","min","p50","p95","p99","max" (milliseconds)
        return {"per_s": float(cells[1]), "p50_us": float(cells[4]) * 1000,
                "p99_us": float(cells[6]) * 1000, "max_us": float(cells[7]) * 1000}

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


class Postgres:
    """A throwaway PostgreSQL 15 (initdb -k), run as the postgres user when we are root."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "pg")
        os.makedirs(self.dir)
        self.port = free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(self.dir, "postgres")
            os.chmod(tmp, 0o755)
        data = os.path.join(self.dir, "data")
        sh(self.as_user + [PG_BIN + "/initdb", "-k", "-A", "trust", "-U", "bench", "-D", data])
        sh(self.as_user + [PG_BIN + "/pg_ctl", "-D", data, "-l", os.path.join(self.dir, "log"),
                           "-w", "-o", "-p %d -k %s -c listen_addresses=127.0.0.1 "
                           "-c synchronous_commit=on -c fsync=on" % (self.port, self.dir), "start"])
        self.data = data
        self.url = "postgresql://bench@127.0.0.1:%d/postgres" % self.port
        self.psql("CREATE TABLE events (id bigserial PRIMARY KEY, payload text NOT NULL)")
        self.script = os.path.join(self.dir, "insert.sql")
        with open(self.script, "w") as f:
            f.write("INSERT INTO events (payload) VALUES ('%s');\n" % PAYLOAD)
        os.chmod(self.script, 0o644)

    def psql(self, sql):
        sh(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "bench", "-d", "postgres",
            "-v", "ON_ERROR_STOP=1", "-qc", sql])

    def insert(self, clients, seconds):
        prefix = os.path.join(self.dir, "pgbench-%d-%d" % (clients, time.time_ns()))
        out = sh(["pgbench", "-n", "-h", "127.0.0.1", "-p", str(self.port), "-U", "bench",
                  "-c", str(clients), "-j", str(min(clients, 4)), "-T", str(seconds),
                  "-f", self.script, "-l", "--log-prefix", prefix, "postgres"],
                 cwd=self.dir)
        tps = float(re.search(r"tps = ([0-9.]+)", out).group(1))
        lat = []
        for name in os.listdir(self.dir):
            path = os.path.join(self.dir, name)
            if path.startswith(prefix):
                with open(path) as f:
                    lat += [float(line.split()[2]) for line in f if line.strip()]
                os.unlink(path)
        lat.sort()
        return {"per_s": tps, "p50_us": pct(lat, 50), "p99_us": pct(lat, 99), "max_us": lat[-1]}

    def stop(self):
        sh(self.as_user + [PG_BIN + "/pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop"])


class Nchan:
    """nginx with the nchan module: /pub?id=C publishes to channel C, /sub?id=C is an
    EventSource subscription to it (sse_fanout uses a new channel per measurement)."""

    def __init__(self, tmp):
        self.dir = os.path.join(tmp, "nginx")
        os.makedirs(self.dir)
        self.port = free_port()
        conf = os.path.join(self.dir, "nginx.conf")
        temp = "".join("  %s_temp_path %s/%s;\n" % (k, self.dir, k)
                       for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        with open(conf, "w") as f:
            f.write("load_module /usr/lib/nginx/modules/ngx_nchan_module.so;\n"
                    "worker_processes 1;\ndaemon off;\npid %s/nginx.pid;\n"
                    "error_log %s/error.log warn;\nworker_rlimit_nofile 20000;\n"
                    "events { worker_connections 16000; }\n"
                    "http {\n  access_log off;\n%s"
                    "  server {\n    listen 127.0.0.1:%d;\n"
                    "    location = /pub { nchan_publisher; nchan_channel_id $arg_id; }\n"
                    "    location = /sub { nchan_subscriber eventsource; nchan_channel_id $arg_id; }\n"
                    "  }\n}\n" % (self.dir, self.dir, temp, self.port))
        self.proc = subprocess.Popen(["nginx", "-c", conf, "-p", self.dir])
        wait_port(self.port, self.proc, "nginx")

    def worker_pid(self):
        out = sh(["pgrep", "-P", str(self.proc.pid)])
        return int(out.split()[0])

    def stop(self):
        self.proc.terminate()
        self.proc.wait(30)


def pct(sorted_values, p):
    if not sorted_values:
        return 0.0
    k = (len(sorted_values) - 1) * p / 100.0
    lo = int(k)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (k - lo)


def fsync_probe(tmp, seconds):
    """The disk's floor: the faster of write(200 bytes) + fdatasync on a growing file (a
    log) and on a preallocated one, rewritten in place (as RocksDB's WAL, which is
    preallocated, needs no size change synced)."""
    a, b = fsync_loop(tmp, seconds / 2, True), fsync_loop(tmp, seconds / 2, False)
    return a if a["p50_us"] < b["p50_us"] else b


def fsync_loop(tmp, seconds, append):
    path = os.path.join(tmp, "fsync-probe")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else 0), 0o644)
    block = PAYLOAD.encode()
    if not append:
        os.write(fd, block)
        os.fdatasync(fd)
    lat, start = [], time.perf_counter()
    while time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        if append:
            os.write(fd, block)
        else:
            os.pwrite(fd, block, 0)
        os.fdatasync(fd)
        lat.append((time.perf_counter() - t0) * 1e6)
    wall = time.perf_counter() - start
    os.close(fd)
    os.unlink(path)
    lat.sort()
    return {"per_s": len(lat) / wall, "p50_us": pct(lat, 50), "p99_us": pct(lat, 99),
            "max_us": lat[-1]}


def db_bench(args):
    out = sh(["db_bench"] + args)
    m = re.search(r"([0-9.]+) micros/op ([0-9.]+) ops/sec", out)
    return {"per_s": float(m.group(2)), "us_per_op": float(m.group(1))}


def load(build, mode, endpoint, clients, seconds):
    out = sh([os.path.join(build, "bench/compare/command_load"), mode, "--endpoint", endpoint,
              "--clients", str(clients), "--seconds", str(seconds)])
    return json.loads(out.strip().splitlines()[-1])


def fanout(build, mode, sizes, **flags):
    args = [os.path.join(build, "bench/compare/sse_fanout"), mode,
            "--subscribers", str(sizes["subscribers"]), "--rate", str(sizes["rate"]),
            "--seconds", str(sizes["sse_seconds"])]
    for k, v in flags.items():
        args += ["--" + k, str(v)]
    p = subprocess.run(args, check=True, capture_output=True, text=True)
    if p.stderr:
        sys.stderr.write(p.stderr)
    return json.loads(p.stdout.strip().splitlines()[-1])


def one_round(build, tmp, peers, sizes):
    fl, redis, pg, echo_endpoint, echo_pid, redis_pid, nchan, fl_pg = peers
    r = {}
    secs = sizes["seconds"]
    # M1
    r["m1_forkline"] = load(build, "forkline", fl.endpoint, 1, secs)
    r["m1_redis"] = redis.xadd(1, sizes["m1_n"])
    r["m1_pg"] = pg.insert(1, secs)
    r["m1_fsync"] = fsync_probe(tmp, secs)
    r["m1_echo"] = load(build, "echo", echo_endpoint, 1, secs)
    # M2 (+ M8: CPU per event)
    ev0, sync0, cpu0 = (fl.metric("forkline_events_appended_total"),
                        fl.metric("forkline_store_sync_seconds_count"), cpu_seconds(fl.proc.pid))
    r["m2_forkline"] = load(build, "forkline", fl.endpoint, 64, secs)
    ev1, sync1, cpu1 = (fl.metric("forkline_events_appended_total"),
                        fl.metric("forkline_store_sync_seconds_count"), cpu_seconds(fl.proc.pid))
    r["m2_forkline"]["events_per_sync"] = (ev1 - ev0) / max(1.0, sync1 - sync0)
    r["m8_forkline_us"] = (cpu1 - cpu0) * 1e6 / max(1.0, ev1 - ev0)
    # The transport's floor under the same load: a ZeroMQ ROUTER that only echoes (no
    # work, no disk), driven by the same client code; its CPU per round trip.
    c0 = cpu_seconds(echo_pid)
    r["m2_echo"] = load(build, "echo", echo_endpoint, 64, secs)
    r["m8_echo_us"] = (cpu_seconds(echo_pid) - c0) * 1e6 / max(1, r["m2_echo"]["ops"])
    c0 = cpu_seconds(redis_pid)
    r["m2_redis"] = redis.xadd(64, sizes["m2_n"])
    r["m8_redis_us"] = (cpu_seconds(redis_pid) - c0) * 1e6 / sizes["m2_n"]
    dbdir = os.path.join(tmp, "db_bench_fill")
    shutil.rmtree(dbdir, ignore_errors=True)
    r["m2_rocksdb"] = db_bench(["--benchmarks=fillrandom", "--sync=1", "--threads=32",
                                "--value_size=200", "--duration=%d" % secs, "--num=100000000",
                                "--db=" + dbdir])
    shutil.rmtree(dbdir, ignore_errors=True)
    r["m2_pg"] = pg.insert(16, secs)
    # M7: the same M2 load on the PostgreSQL backend (the server pgbench just used)
    r["m7_forkline_pg"] = load(build, "forkline", fl_pg.endpoint, 64, secs)
    # M3 + M4
    rb_dir = tempfile.mkdtemp(prefix="rebuild-", dir=tmp)
    r["m3m4_forkline"] = json.loads(sh([os.path.join(build, "bench/compare/rebuild_bench"),
                                        "--dir", rb_dir, "--events", str(sizes["events"])]))
    shutil.rmtree(rb_dir, ignore_errors=True)
    r["m3_readseq"] = db_bench(["--benchmarks=readseq", "--use_existing_db=1",
                                "--num=%d" % sizes["events"], "--value_size=200",
                                "--db=" + os.path.join(tmp, "db_bench_seq")])
    # M5 + M6
    r["m5_forkline"] = fanout(build, "forkline", sizes, port=fl.hport, endpoint=fl.endpoint,
                              pid=fl.proc.pid)
    r["m5_nchan"] = fanout(build, "nchan", sizes, port=nchan.port, pid=nchan.worker_pid())
    r["m5_raw"] = fanout(build, "raw", sizes)
    out = sh([os.path.join(build, "bench/compare/sse_fanout"), "forkline-runs", "--endpoint",
              fl.endpoint, "--pid", str(fl.proc.pid), "--runs", str(sizes["idle_runs"])])
    r["m6_runs"] = json.loads(out.strip().splitlines()[-1])
    return r


def median_round(rounds, pick):
    vals = sorted(pick(r) for r in rounds)
    return statistics.median(vals), vals[0], vals[-1]


def table(rounds, meta):
    rows = []

    def add(m, what, value, unit, beside, ratio, goal, ok):
        met = "-" if ok is None else "yes" if ok else "**no**"
        rows.append((m, what, value, unit, beside, ratio, goal, met))

    def med(pick):
        return median_round(rounds, pick)[0]

    # M1
    f_rate, r_rate, p_rate = (med(lambda r: r["m1_forkline"]["per_s"]),
                              med(lambda r: r["m1_redis"]["per_s"]), med(lambda r: r["m1_pg"]["per_s"]))
    f50, f99 = med(lambda r: r["m1_forkline"]["p50_us"]), med(lambda r: r["m1_forkline"]["p99_us"])
    echo50, sync50 = med(lambda r: r["m1_echo"]["p50_us"]), med(lambda r: r["m1_fsync"]["p50_us"])
    add("M1", "1 client, durable cmd/s", "%.0f" % f_rate, "/s",
        "Redis XADD %.0f/s, PG INSERT %.0f/s" % (r_rate, p_rate),
        "%.2fx / %.2fx" % (f_rate / r_rate, f_rate / p_rate), ">= 1.0x both",
        f_rate >= r_rate and f_rate >= p_rate)
    floor = echo50 + sync50
    add("M1", "p50 latency", "%.0f" % f50, "us", "echo %.0f + fdatasync %.0f us" % (echo50, sync50),
        "%.2fx" % (f50 / floor), "<= 1.25x", f50 <= 1.25 * floor)
    add("M1", "p99 / p50", "%.0f" % f99, "us", "own p50", "%.2fx" % (f99 / f50), "<= 2.5x",
        f99 <= 2.5 * f50)
    # M2
    f2 = med(lambda r: r["m2_forkline"]["per_s"])
    f2p99 = med(lambda r: r["m2_forkline"]["p99_us"])
    eps = med(lambda r: r["m2_forkline"]["events_per_sync"])
    r2, d2, p2 = (med(lambda r: r["m2_redis"]["per_s"]), med(lambda r: r["m2_rocksdb"]["per_s"]),
                  med(lambda r: r["m2_pg"]["per_s"]))
    add("M2", "64 clients, durable events/s (%.0f events/fsync)" % eps, "%.0f" % f2, "/s",
        "Redis %.0f, db_bench %.0f, PG %.0f" % (r2, d2, p2),
        "%.2fx / %.2fx / %.2fx" % (f2 / r2, f2 / d2, f2 / p2), ">= 1.5x / 4x / 8x",
        f2 >= 1.5 * r2 and f2 >= 4 * d2 and f2 >= 8 * p2)
    add("M2", "p99 latency", "%.0f" % f2p99, "us", "", "", "<= 3000 us", f2p99 <= 3000)
    if all("m2_echo" in r for r in rounds):
        e2 = med(lambda r: r["m2_echo"]["per_s"])
        add("M2", "floor: ZeroMQ echo with no work, 64 clients (same client)", "%.0f" % e2, "/s",
            "Redis %.0f" % r2, "%.2fx" % (e2 / r2), "-", None)
    # M3
    f3 = med(lambda r: r["m3m4_forkline"]["rebuild_per_s"])
    s3 = med(lambda r: r["m3_readseq"]["per_s"])
    m100 = med(lambda r: r["m3m4_forkline"]["rebuild_100k_ms"])
    add("M3", "rebuild from 1M events, events/s", "%.0f" % f3, "/s", "db_bench readseq %.0f/s" % s3,
        "%.2fx" % (f3 / s3), ">= 0.5x", f3 >= 0.5 * s3)
    add("M3", "rebuild a 100k-event run", "%.1f" % m100, "ms", "", "", "<= 100 ms", m100 <= 100)
    # M4
    big, small = (med(lambda r: r["m3m4_forkline"]["fork_big_p50_us"]),
                  med(lambda r: r["m3m4_forkline"]["fork_small_p50_us"]))
    fb = med(lambda r: r["m3m4_forkline"]["fork_bytes"])
    add("M4", "fork of 1M-event run (p50)", "%.0f" % big, "us", "fork of 10-event run %.0f us" % small,
        "%.2fx" % (big / small), "<= 1.2x", big <= 1.2 * small)
    add("M4", "bytes written per fork", "%.0f" % fb, "B", "", "", "<= 1024 B", fb <= 1024)
    # M8
    c_f, c_r = med(lambda r: r["m8_forkline_us"]), med(lambda r: r["m8_redis_us"])
    add("M8", "daemon CPU per durable event at M2 load", "%.1f" % c_f, "us",
        "redis-server %.1f us per XADD" % c_r, "%.2fx" % (c_f / c_r), "<= 0.7x and <= 15 us",
        c_f <= 0.7 * c_r and c_f <= 15)
    if all("m8_echo_us" in r for r in rounds):
        c_e = med(lambda r: r["m8_echo_us"])
        add("M8", "floor: ZeroMQ echo server CPU per round trip, same load", "%.1f" % c_e, "us",
            "redis-server %.1f us per XADD" % c_r, "%.2fx" % (c_e / c_r), "-", None)
    # M5
    n = rounds[0]["m5_forkline"]["subscribers"]
    fd, nd, rd = (med(lambda r: r["m5_forkline"]["deliveries_per_s"]),
                  med(lambda r: r["m5_nchan"]["deliveries_per_s"]),
                  med(lambda r: r["m5_raw"]["deliveries_per_s"]))
    lost = med(lambda r: r["m5_forkline"].get("lost", 0))
    cut = med(lambda r: r["m5_forkline"].get("closed", 0))
    nlost = med(lambda r: r["m5_nchan"].get("lost", 0))
    add("M5", "%d SSE subscribers, deliveries/s in the window (frames lost %.0f, subscribers "
        "cut off %.0f; nchan lost %.0f)" % (n, lost, cut, nlost), "%.0f" % fd, "/s",
        "nchan %.0f, raw loop %.0f" % (nd, rd), "%.2fx / %.2fx" % (fd / nd, fd / rd),
        ">= 1.0x / 0.8x", fd >= nd and fd >= 0.8 * rd)
    f99, n99, r99 = (med(lambda r: r["m5_forkline"]["p99_ms"]), med(lambda r: r["m5_nchan"]["p99_ms"]),
                     med(lambda r: r["m5_raw"]["p99_ms"]))
    add("M5", "append -> receive p99", "%.1f" % f99, "ms", "nchan %.1f, raw loop %.1f ms" % (n99, r99),
        "", "<= 50 ms", f99 <= 50)
    # M6
    # The first round's: later rounds' subscribers reuse memory the earlier ones freed
    # (both servers then show ~0 B per subscriber).
    fs, ns = rounds[0]["m5_forkline"]["rss_per_sub_bytes"], rounds[0]["m5_nchan"]["rss_per_sub_bytes"]
    add("M6", "memory per idle SSE subscriber (first round)", "%.0f" % fs, "B",
        "nchan worker %.0f B" % ns,
        "%.2fx" % (fs / ns) if ns > 0 else "-", "<= 0.5x and <= 4096 B",
        fs <= 0.5 * ns and fs <= 4096)
    fr = med(lambda r: r["m6_runs"]["rss_per_run_bytes"])
    add("M6", "memory per idle run", "%.0f" % fr, "B", "", "", "<= 2048 B", fr <= 2048)
    # M7
    f7 = med(lambda r: r["m7_forkline_pg"]["per_s"])
    f7p99 = med(lambda r: r["m7_forkline_pg"]["p99_us"])
    add("M7", "PostgreSQL backend, 64 clients, durable events/s (p99 %.0f us)" % f7p99,
        "%.0f" % f7, "/s", "pgbench one-row INSERT -c 16 %.0f/s" % p2, "%.2fx" % (f7 / p2),
        ">= 3x", f7 >= 3 * p2)

    lines = ["Measured %s on %s (%d cores, load average %s), %d rounds, median round shown; "
             "commit %s." % (meta["when"], meta["host"], os.cpu_count(), meta["load"],
                             len(rounds), meta["commit"]),
             "Fsync policy: forklined sync=true (group commit, fdatasync before every ack); "
             "Redis appendfsync always; PostgreSQL synchronous_commit=on, fsync=on (M7's "
             "forklined on the same server); "
             "db_bench --sync=1. Payloads ~200 bytes.",
             "",
             "| # | Forkline measures | value | unit | beside | ratio | goal | met |",
             "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for row in rows:
        lines.append("| " + " | ".join(str(c) for c in row) + " |")
    return "\n".join(lines) + "\n"


def write_docs(text):
    path = os.path.join(ROOT, "docs", "BENCHMARKS.md")
    with open(path) as f:
        doc = f.read()
    block = BEGIN + "\n" + text + END
    if BEGIN in doc and END in doc:
        doc = doc[:doc.index(BEGIN)] + block + doc[doc.index(END) + len(END):]
    else:
        doc += "\n## Side by side (`make bench-compare`)\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(doc)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.environ.get("BUILD", os.path.join(ROOT, "build")))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="short rows, 100,000-event log")
    ap.add_argument("--no-docs", action="store_true", help="do not rewrite docs/BENCHMARKS.md")
    a = ap.parse_args()
    build = os.path.abspath(a.build)
    sizes = ({"seconds": 2, "m1_n": 300, "m2_n": 5000, "events": 100000, "subscribers": 500,
              "rate": 50, "sse_seconds": 2, "idle_runs": 1000} if a.quick else
             {"seconds": 5, "m1_n": 1500, "m2_n": 30000, "events": 1000000, "subscribers": 5000,
              "rate": 200, "sse_seconds": 10, "idle_runs": 10000})
    for tool in ("redis-server", "redis-benchmark", "pgbench", "psql", "db_bench", "nginx"):
        if not shutil.which(tool):
            sys.exit("bench-compare: %s is missing; run `bash scripts/bench-deps`" % tool)
    tmp = tempfile.mkdtemp(prefix="fl-compare-", dir=os.environ.get("TMPDIR", "/var/tmp"))
    started = []
    try:
        fl = Forklined(build, tmp)
        started.append(fl)
        redis = Redis(tmp)
        started.append(redis)
        pg = Postgres(tmp)
        started.append(pg)
        nchan = Nchan(tmp)
        started.append(nchan)
        fl_pg = Forklined(build, tmp, postgres_url=pg.url)
        started.append(fl_pg)
        eport = free_port()
        echo = subprocess.Popen([os.path.join(build, "bench/compare/command_load"), "echo-server",
                                 "--port", str(eport)], stdout=subprocess.DEVNULL)
        wait_port(eport, echo, "echo server")
        # The readseq database is built once (setup, unsynced).
        db_bench(["--benchmarks=fillseq", "--num=%d" % sizes["events"], "--value_size=200",
                  "--db=" + os.path.join(tmp, "db_bench_seq")])
        rounds = []
        for i in range(a.rounds):
            print("round %d of %d ..." % (i + 1, a.rounds), file=sys.stderr, flush=True)
            rounds.append(one_round(build, tmp, (fl, redis, pg, "tcp://127.0.0.1:%d" % eport,
                                                 echo.pid, redis.proc.pid, nchan, fl_pg), sizes))
        echo.terminate()
        meta = {"when": datetime.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"),
                "host": socket.gethostname(), "load": open("/proc/loadavg").read().split()[0],
                "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                         capture_output=True, text=True).stdout.strip() or "?"}
        text = table(rounds, meta)
        print(text)
        with open(os.path.join(build, "bench-compare.json"), "w") as f:
            json.dump(rounds, f, indent=1)
        if not a.no_docs and not a.quick:
            write_docs(text)
    finally:
        for s in reversed(started):
            try:
                s.stop()
            except Exception as e:  # noqa: BLE001 — stop what can be stopped
                print("bench-compare: stopping %s: %s" % (type(s).__name__, e), file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
