#!/usr/bin/python3
"""Auth of a real forklined (DESIGN §7) with CURVE keys, a client allow-list and a token:
an allowed CURVE client with the token is served; a wrong token is unauthorized; a client
key not on the allow-list and a plain (unencrypted) client get no access at all; the CLI
with --token / FORKLINE_SERVER_KEY works (exit 0), without the token exits 1, with a
refused key exits 3; watch sends the token as a bearer token.
Usage: FORKLINED=path/to/forklined FORKLINE_CLI=path/to/forkline auth_test.py"""
import json
import os
import subprocess
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import zmq  # noqa: E402

from fl_daemon import QUICK_WORKFLOW, Client, Daemon, run_suite, wait_for  # noqa: E402

CLI = os.path.abspath(os.environ.get("FORKLINE_CLI") or "")
TOKEN = "curve-and-token"
SERVER_PUB, SERVER_SEC = zmq.curve_keypair()
CLIENT_PUB, CLIENT_SEC = zmq.curve_keypair()
OTHER_PUB, OTHER_SEC = zmq.curve_keypair()


def curve_client(d, public, secret, token=TOKEN):
    c = Client(d.endpoint, token, alive=d.alive)
    c.sock.close(0)
    c.sock = zmq.Context.instance().socket(zmq.DEALER)
    c.sock.setsockopt(zmq.LINGER, 0)
    c.sock.curve_serverkey = SERVER_PUB
    c.sock.curve_publickey = public
    c.sock.curve_secretkey = secret
    c.sock.connect(d.endpoint)
    return c


def no_reply(c, timeout=2):
    """True when a request gets no reply (CURVE refused the connection)."""
    c.sock.send_multipart([json.dumps({"cmd": "system.health", "token": TOKEN}).encode()])
    return not c.sock.poll(timeout * 1000)


def t_zmq(d):
    ok = curve_client(d, CLIENT_PUB, CLIENT_SEC)
    assert ok.ok("system.health")["ok"] is True
    assert curve_client(d, CLIENT_PUB, CLIENT_SEC, token="wrong").err("run.list")["code"] == \
        "unauthorized"
    assert no_reply(curve_client(d, OTHER_PUB, OTHER_SEC)), "a key off the allow-list got in"
    plain = Client(d.endpoint, TOKEN, alive=d.alive)
    assert no_reply(plain), "a plain client got in"
    plain.close()
    wait_for("the refusal logged", lambda: "allow-list" in d.tail(100000), 30)
    assert ok.ok("system.health")["ok"] is True  # the daemon goes on


def t_cli(d):
    env = dict(os.environ, FORKLINE_CONNECT=d.endpoint, FORKLINE_HTTP="127.0.0.1:%d" % d.hport,
               FORKLINE_SERVER_KEY=SERVER_PUB.decode(),
               FORKLINE_CLIENT_PUBLIC_KEY=CLIENT_PUB.decode(),
               FORKLINE_CLIENT_SECRET_KEY=CLIENT_SEC.decode())
    env.pop("FORKLINE_TOKEN", None)

    def cli(*args, code=0, env_=env, stdin=None):
        p = subprocess.run([CLI] + list(args), env=env_, capture_output=True, text=True,
                           timeout=120, input=stdin)
        assert p.returncode == code, (args, p.returncode, p.stdout[-500:], p.stderr[-500:])
        return p.stdout

    cli("--token", TOKEN, "health")
    cli("health", code=1)
    cli("--token", "bad", "health", code=1)
    run = json.loads(cli("--token", TOKEN, "--json", "create", "quick", "--input-json", "-",
                         stdin="{}"))
    rid = run.get("run", run)["id"]
    cli("--token", TOKEN, "autorun", rid, "on")
    out = cli("--token", TOKEN, "watch", rid, "--until-terminal")
    assert "run.completed" in out, out
    cli("watch", rid, "--until-terminal", code=1)  # no bearer token: 401
    tok_env = dict(env, FORKLINE_TOKEN=TOKEN)
    cli("show", rid, env_=tok_env)
    refused = dict(tok_env, FORKLINE_CLIENT_PUBLIC_KEY=OTHER_PUB.decode(),
                   FORKLINE_CLIENT_SECRET_KEY=OTHER_SEC.decode())
    cli("--timeout", "2", "health", code=3, env_=refused)


def main():
    if not os.access(CLI, os.X_OK):
        raise RuntimeError("set FORKLINE_CLI to the forkline binary (got %r)" % CLI)
    run_suite(lambda: Daemon(workflows={"quick": QUICK_WORKFLOW}, token=TOKEN,
                    zmq_extra='curve_server_secret_key = "%s"\ncurve_server_public_key = "%s"\n'
                    'curve_allowed_client_keys = ["%s"]\n'
                    % (SERVER_SEC.decode(), SERVER_PUB.decode(), CLIENT_PUB.decode())),
              (t_zmq, t_cli))


if __name__ == "__main__":
    main()
