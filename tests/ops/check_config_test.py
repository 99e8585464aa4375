"""`forklined --check-config [FILE]` validates the config and the workflow files without
starting: exit 0 and "config ok (N workflow kinds)" for a good file (given as the
argument or with --config), exit 2 and a message naming the file and line otherwise;
it opens no store and binds no port. Bad --log-level / --log-format values are usage
errors (2).
Usage: FORKLINED=path/to/forklined FORKLINE_SOURCE_DIR=repo check_config_test.py"""
import os
import socket
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("FORKLINE_SOURCE_DIR") or os.path.join(HERE, "..", "..")
sys.path.insert(0, HERE)
from ops_util import fl_daemon  # noqa: E402

BIN = os.path.abspath(os.environ.get("FORKLINED") or "")
TMP = tempfile.mkdtemp(prefix="fl-check-")


def run(*args):
    r = subprocess.run([BIN] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       cwd=TMP, timeout=60)
    return r.returncode, r.stdout.decode(), r.stderr.decode()


def write(name, text):
    path = os.path.join(TMP, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)
    return path


def t_good_config_binds_and_opens_nothing():
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen()
    port = held.getsockname()[1]
    wdir = os.path.join(TMP, "wf")
    write("wf/quick.toml", fl_daemon.QUICK_WORKFLOW)
    store = os.path.join(TMP, "store")
    cfg = write("good.toml", 'workflows_dir = "%s"\n[store]\npath = "%s"\n[http]\nbind = "127.0.0.1:%d"\n'
                % (wdir, store, port))
    for args in (["--check-config", cfg], ["--check-config", "--config", cfg], ["-c", cfg, "--check-config"]):
        code, out, err = run(*args)
        assert code == 0, (args, code, err)
        assert out.strip() == "forklined: config ok (2 workflow kinds)", out
    assert not os.path.exists(store), "--check-config opened the store"
    held.close()


def t_repository_configs_pass():
    code, out, err = run("--check-config", os.path.join(SOURCE, "config", "forkline.toml"))
    assert code == 0 and "config ok" in out, err


def t_errors_name_the_file_and_line():
    bad_key = write("bad_key.toml", '[http]\nbind = "127.0.0.1:1"\nsse_keepalive = 3\n')
    code, _, err = run("--check-config", bad_key)
    assert code == 2 and bad_key + ":3:" in err and "sse_keepalive" in err, err
    bad_value = write("bad_value.toml", '[engine]\nmax_concurrent_steps = 0\n')
    code, _, err = run("--check-config", bad_value)
    assert code == 2 and bad_value + ":2:" in err, err
    wdir = os.path.join(TMP, "badwf")
    bad_wf = write("badwf/broken.toml", 'kind = "broken"\n[[steps]]\nname = "x"\nexecutor = "teleport"\n')
    cfg = write("uses_badwf.toml", 'workflows_dir = "%s"\n' % wdir)
    code, _, err = run("--check-config", cfg)
    assert code == 2 and bad_wf in err and "teleport" in err, err
    code, _, err = run("--check-config", os.path.join(TMP, "missing.toml"))
    assert code == 2 and "missing.toml" in err, err


def t_usage_errors():
    for args in (["--log-level", "loud", "--check-config"], ["--log-format", "xml", "--check-config"],
                 ["--config", "a.toml", "b.toml"], ["--no-such-flag"]):
        code, _, err = run(*args)
        assert code == 2 and err.strip(), (args, code, err)
    code, out, _ = run("--help")
    assert code == 0 and "--check-config" in out and "--log-format" in out, out


if __name__ == "__main__":
    import shutil
    res = fl_daemon.Results()
    for case in (t_good_config_binds_and_opens_nothing, t_repository_configs_pass,
                 t_errors_name_the_file_and_line, t_usage_errors):
        res.run(case.__name__[2:], case)
    shutil.rmtree(TMP, ignore_errors=True)
    res.exit()
