"""A forklined in a network namespace of its own, for partition tests (issue 9).

    ns = NetNamespace()                      # `ip netns add`, a veth pair, a /30 of 10.x.y.z
    pg = ns.relay_to(server_host, server_port)   # host side: ns.host_ip:port -> the server
    node = NetnsNode(ns, pg_url(db_url, ns.host_ip, pg.port)).start()
    node.client().ok(...)                    # as any fl_daemon.Daemon: 127.0.0.1 ports
    ns.cut([pg.port]); ...; ns.restore()     # nftables drops the node's PostgreSQL traffic
    node.cleanup(); ns.close()

The node binds its ZeroMQ and HTTP ports on its namespace's address; relays on the host's
127.0.0.1 (same port numbers) pass test clients through, so every fl_daemon helper (client,
http, sse, the CLI) works unchanged. PostgreSQL (the test server listens on loopback only)
is reached through a relay on the host end of the veth pair. `cut` adds an nftables table
inside the namespace that drops packets to and from the given host ports — a silent
partition (no RST, no FIN): the node finds out only by its own timeouts. `restore`
removes it. Needs root, `ip` (iproute2) and `nft` (nftables); `require_root_tools()`
exits 77 (ctest's SKIP_RETURN_CODE) otherwise.
"""
import os
import random
import select
import shutil
import socket
import subprocess
import sys
import threading
import urllib.parse

from fl_daemon import Daemon

SKIP = 77

# libpq settings that make a silent partition an error within seconds rather than TCP's
# retransmission timeout (~15 min): keepalive probes on idle sockets, unacknowledged data
# for at most tcp_user_timeout ms, and a bounded connect.
PARTITION_AWARE = {"keepalives": "1", "keepalives_idle": "1", "keepalives_interval": "1",
                   "keepalives_count": "2", "tcp_user_timeout": "2000", "connect_timeout": "2"}


def require_root_tools():
    """Exits 77 (skipped, never passed) unless root with ip and nft available."""
    missing = [t for t in ("ip", "nft") if shutil.which(t) is None]
    if os.geteuid() != 0 or missing:
        why = "needs root" if os.geteuid() != 0 else "needs " + ", ".join(missing)
        print("SKIP: the partition test %s (scripts/deps installs iproute2 and nftables)" % why)
        sys.exit(SKIP)


def run(*argv):
    p = subprocess.run(list(argv), capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("%s -> %d: %s" % (" ".join(argv), p.returncode, p.stderr.strip()))
    return p.stdout


def pg_url(url, host, port, extra=PARTITION_AWARE):
    """`url` (postgresql://user@h:p/db) pointed at host:port, with `extra` parameters."""
    u = urllib.parse.urlsplit(url)
    netloc = (u.username + "@" if u.username else "") + "%s:%d" % (host, port)
    query = dict(urllib.parse.parse_qsl(u.query))
    query.update(extra)
    return urllib.parse.urlunsplit((u.scheme, netloc, u.path, urllib.parse.urlencode(query), ""))


class Relay:
    """Accepts on (host, port) and pipes each connection to `target` (one thread per
    connection). close() ends every connection."""

    def __init__(self, host, port, target):
        self.target = target
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind((host, port))
        self.port = self.lsock.getsockname()[1]
        self.lsock.listen(64)
        self.conns = []
        self.lock = threading.Lock()
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            try:
                up = socket.create_connection(self.target, timeout=5)
                up.settimeout(None)
            except OSError:
                c.close()
                continue
            with self.lock:
                if self.closed:
                    c.close()
                    up.close()
                    return
                self.conns += [c, up]
            threading.Thread(target=self._pipe, args=(c, up), daemon=True).start()

    @staticmethod
    def _pipe(a, b):
        socks = [a, b]
        try:
            while True:
                ready, _, _ = select.select(socks, [], [])
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    (b if s is a else a).sendall(data)
        except OSError:
            return
        finally:
            for s in socks:
                try:
                    s.close()
                except OSError:
                    pass

    def close(self):
        with self.lock:
            self.closed = True
            conns, self.conns = self.conns, []
        try:
            self.lsock.close()
        except OSError:
            pass
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
                s.close()
            except OSError:
                pass


class NetNamespace:
    """A network namespace joined to the host by a veth pair (host_ip <-> ns_ip, a /30)."""

    def __init__(self):
        tag = "%05x" % random.getrandbits(20)
        self.name = "flpart" + tag
        self.host_if, self.ns_if = "flh" + tag, "fln" + tag
        used = run("ip", "-4", "-o", "addr")
        while True:
            net = "10.%d.%d." % (random.randint(100, 250), random.randint(0, 255))
            base = random.randrange(0, 256, 4)
            if net not in used:
                break
        self.host_ip, self.ns_ip = net + str(base + 1), net + str(base + 2)
        self.relays = []
        self.cut_ports = None
        run("ip", "netns", "add", self.name)
        try:
            run("ip", "link", "add", self.host_if, "type", "veth", "peer", "name", self.ns_if)
            run("ip", "link", "set", self.ns_if, "netns", self.name)
            run("ip", "addr", "add", self.host_ip + "/30", "dev", self.host_if)
            run("ip", "link", "set", self.host_if, "up")
            self.exec("ip", "addr", "add", self.ns_ip + "/30", "dev", self.ns_if)
            self.exec("ip", "link", "set", self.ns_if, "up")
            self.exec("ip", "link", "set", "lo", "up")
        except BaseException:
            self.close()
            raise

    def argv(self, *argv):
        """`argv` run inside the namespace."""
        return ["ip", "netns", "exec", self.name] + list(argv)

    def exec(self, *argv):
        return run(*self.argv(*argv))

    def relay_to(self, host, port):
        """A relay on the host end of the link (a free port) to host:port."""
        r = Relay(self.host_ip, 0, (host, port))
        self.relays.append(r)
        return r

    def relay_in(self, port):
        """A relay on the host's 127.0.0.1:port to the namespace's ns_ip:port."""
        r = Relay("127.0.0.1", port, (self.ns_ip, port))
        self.relays.append(r)
        return r

    def cut(self, host_ports):
        """Drops, inside the namespace, every packet to or from host_ip on these TCP ports
        (silently: the node's open connections just stop)."""
        ports = ", ".join(str(p) for p in host_ports)
        rules = """table inet flcut {
  chain out { type filter hook output priority 0; ip daddr %s tcp dport { %s } drop; }
  chain in { type filter hook input priority 0; ip saddr %s tcp sport { %s } drop; }
}
""" % (self.host_ip, ports, self.host_ip, ports)
        p = subprocess.run(self.argv("nft", "-f", "-"), input=rules, capture_output=True,
                           text=True)
        if p.returncode != 0:
            raise RuntimeError("nft -f: " + p.stderr.strip())
        self.cut_ports = list(host_ports)

    def restore(self):
        if self.cut_ports is not None:
            self.exec("nft", "delete", "table", "inet", "flcut")
            self.cut_ports = None

    def close(self):
        for r in self.relays:
            r.close()
        self.relays = []
        subprocess.run(["ip", "link", "del", self.host_if], capture_output=True)
        subprocess.run(["ip", "netns", "del", self.name], capture_output=True)


def use_postgres(daemon, url, store_extra, schema):
    """Rewrites `daemon`'s config: its [store] on PostgreSQL at `url`, plus `store_extra`."""
    with open(daemon.config) as f:
        text = f.read()
    store = '[store]\nbackend = "postgres"\npostgres_url = "%s"\npostgres_schema = "%s"\n%s\n' % (
        url, schema, store_extra)
    text = text[:text.index("[store]")] + store + "\n" + text[text.index("[zmq]"):]
    with open(daemon.config, "w") as f:
        f.write(text)


class NetnsNode(Daemon):
    """A forklined on the PostgreSQL store at `url`, inside `ns`. `store_extra`: more
    [store] lines (e.g. lease_ttl_s, node_id). Reached at 127.0.0.1 like any Daemon."""

    def __init__(self, ns, url, store_extra="", schema="forkline", **kw):
        super().__init__(**kw)
        self.ns = ns
        use_postgres(self, url, store_extra, schema)
        with open(self.config) as f:
            text = f.read()
        for port in (self.zport, self.hport):
            text = text.replace("127.0.0.1:%d" % port, "%s:%d" % (ns.ns_ip, port))
        with open(self.config, "w") as f:
            f.write(text)
        # forklined itself, inside the namespace (`ip netns exec` execs it: the pid is its).
        wrapper = os.path.join(self.tmp, "forklined-in-netns")
        with open(wrapper, "w") as f:
            f.write('#!/bin/sh\nexec ip netns exec %s "%s" "$@"\n' % (ns.name, self.bin))
        os.chmod(wrapper, 0o755)
        self.bin = wrapper
        self.client_relays = [ns.relay_in(self.zport), ns.relay_in(self.hport)]

    def cleanup(self):
        super().cleanup()
        for r in self.client_relays:
            r.close()


def postgres_node(url, store_extra="", schema="forkline", **kw):
    """A forklined on the host (no namespace) on the same PostgreSQL store."""
    d = Daemon(**kw)
    use_postgres(d, url, store_extra, schema)
    return d
