"""The Debian package and `make install`, from this build tree:
* CPack builds forkline_<version>-1_<arch>.deb into a temporary folder;
* `dpkg --contents`: binaries, config (a conffile), systemd unit, web UI, workflows, man
  pages, the Python module, copyright; Depends are Debian runtime libraries (no -dev);
* `lintian` reports nothing (errors or warnings);
* `dpkg -x` into a temporary root, then a smoke run of the extracted tree: forklined
  with no config finds its web UI and workflow files from its own path, the extracted
  forkline CLI and Python module talk to it, the man pages render without warnings;
* the unit passes `systemd-analyze verify` and scores "OK" in `systemd-analyze security`;
* `cmake --install` with DESTDIR and a /usr/local prefix lays out the same tree with the
  unit and config pointing at that prefix.
Usage: FORKLINE_BUILD_DIR=build FORKLINE_SOURCE_DIR=repo package_test.py"""
import glob
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from ops_util import fl_daemon  # noqa: E402

BUILD = os.path.abspath(os.environ.get("FORKLINE_BUILD_DIR") or "build")
TMP = tempfile.mkdtemp(prefix="fl-pkg-")
ROOT = os.path.join(TMP, "root")
STATE = {}


def sh(argv, env=None, cwd=None, check=True, timeout=300):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd, timeout=timeout,
                       env=dict(os.environ, **(env or {})))
    out, err = r.stdout.decode("utf-8", "replace"), r.stderr.decode("utf-8", "replace")
    if check and r.returncode != 0:
        raise AssertionError("%s exited %d:\n%s\n%s" % (" ".join(argv), r.returncode, out[-3000:], err[-3000:]))
    return out, err, r.returncode


def need(tool, package):
    if shutil.which(tool) is None:
        raise AssertionError("%s is missing: install the Debian package %s (make deps)" % (tool, package))


def t_cpack_builds_the_deb():
    need("dpkg-shlibdeps", "dpkg-dev")
    sh(["cpack", "-G", "DEB", "-B", os.path.join(TMP, "pkg")], cwd=BUILD)
    debs = glob.glob(os.path.join(TMP, "pkg", "forkline_*-1_*.deb"))
    assert len(debs) == 1, os.listdir(os.path.join(TMP, "pkg"))
    STATE["deb"] = debs[0]


def t_contents_and_depends():
    deb = STATE["deb"]
    contents, _, _ = sh(["dpkg", "--contents", deb])
    paths = {line.split()[-1] for line in contents.splitlines()}
    for p in ("./usr/sbin/forklined", "./usr/bin/forkline", "./etc/forkline/forklined.toml",
              "./lib/systemd/system/forklined.service", "./usr/share/forkline/web/index.html",
              "./usr/share/forkline/workflows/novel_stats.toml", "./usr/share/man/man1/forkline.1.gz",
              "./usr/share/man/man8/forklined.8.gz", "./usr/lib/python3/dist-packages/forkline.py",
              "./usr/share/doc/forkline/copyright", "./usr/share/doc/forkline/changelog.Debian.gz",
              "./usr/share/doc/forkline/openapi.yaml", "./usr/share/doc/forkline/protocol.md"):
        assert p in paths, "%s not in the package:\n%s" % (p, contents)
    assert not any("/build" in p or p.endswith(".a") or "/include/" in p for p in paths), paths
    depends, _, _ = sh(["dpkg-deb", "-f", deb, "Depends"])
    names = [d.strip().split()[0] for d in depends.split(",")]
    for lib in ("librocksdb", "libzmq5", "libboost-json1.81.0", "libssl3", "libc6"):
        assert any(n.startswith(lib) for n in names), (lib, depends)
    assert not any(n.endswith("-dev") for n in names), depends
    conffiles, _, _ = sh(["dpkg-deb", "--info", deb, "conffiles"])
    assert conffiles.split() == ["/etc/forkline/forklined.toml"], conffiles


def t_lintian_is_clean():
    need("lintian", "lintian")
    out, err, code = sh(["lintian", "--fail-on", "error,warning", STATE["deb"]], check=False)
    tags = [l for l in (out + err).splitlines() if re.match(r"^[EWX]: ", l)]
    assert code == 0 and not tags, "lintian:\n" + out + err


def t_extracted_tree_runs():
    os.makedirs(ROOT)
    sh(["dpkg", "-x", STATE["deb"], ROOT])
    forklined = os.path.join(ROOT, "usr/sbin/forklined")
    out, _, _ = sh([forklined, "--version"])
    assert out.startswith("forklined "), out
    # The packaged config is valid (its absolute /usr/share paths need not exist here).
    out, _, _ = sh([forklined, "--check-config", os.path.join(ROOT, "etc/forkline/forklined.toml")])
    assert "config ok" in out, out
    # No config, an empty working folder: web UI and workflows come from <root>/usr/share.
    d = fl_daemon.Daemon(tmp=os.path.join(TMP, "run"))
    os.makedirs(os.path.join(d.tmp, "cwd"))
    env = dict(os.environ, FORKLINE_STORE_PATH=d.data, FORKLINE_ZMQ_BIND=d.endpoint,
               FORKLINE_HTTP_BIND="127.0.0.1:%d" % d.hport)
    logf = open(d.log, "ab")
    d.proc = subprocess.Popen([forklined], cwd=os.path.join(d.tmp, "cwd"), env=env, stdout=logf,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    logf.close()
    try:
        fl_daemon.wait_for("the extracted forklined", lambda: _healthy(d), 60, 0.05)
        status, body, _ = d.http("GET", "/")
        with open(os.path.join(ROOT, "usr/share/forkline/web/index.html"), "rb") as f:
            assert status == 200 and body == f.read(), (status, body[:200])
        out, _, _ = sh([os.path.join(ROOT, "usr/bin/forkline"), "--json", "workflows"],
                       env={"FORKLINE_CONNECT": d.endpoint})
        kinds = {w["kind"] for w in json.loads(out)["workflows"]}
        assert {"novel_to_script", "novel_stats"} <= kinds, kinds
        probe = ("import sys; sys.path.insert(0, %r); import forkline; "
                 "print(forkline.Client(%r).health()['ok'])"
                 % (os.path.join(ROOT, "usr/lib/python3/dist-packages"), d.endpoint))
        out, _, _ = sh(["/usr/bin/python3", "-c", probe])
        assert out.strip() == "True", out
        assert d.stop() == 0, d.tail()
    finally:
        d.cleanup()
    for page in ("usr/share/man/man1/forkline.1.gz", "usr/share/man/man8/forklined.8.gz"):
        out, err, _ = sh(["man", "--warnings", "-l", os.path.join(ROOT, page)],
                         env={"LC_ALL": "C.UTF-8", "MANWIDTH": "80", "MAN_KEEP_FORMATTING": ""})
        assert not err.strip(), (page, err)
        assert "SYNOPSIS" in out and "forkline" in out, out[:500]


def _healthy(d):
    if d.proc.poll() is not None:
        raise RuntimeError("forklined exited %s:\n%s" % (d.proc.returncode, d.tail()))
    try:
        c = http.client.HTTPConnection("127.0.0.1", d.hport, timeout=2)
        c.request("GET", "/healthz")
        return c.getresponse().status == 200
    except OSError:
        return False


def t_systemd_unit():
    need("systemd-analyze", "systemd")
    unit_path = os.path.join(ROOT, "lib/systemd/system/forklined.service")
    with open(unit_path) as f:
        unit = f.read()
    for line in ("Type=notify", "ExecStart=/usr/sbin/forklined --config /etc/forkline/forklined.toml",
                 "WatchdogSec=", "DynamicUser=yes", "StateDirectory=forkline", "ProtectSystem=strict",
                 "NoNewPrivileges=yes", "PrivateTmp=yes"):
        assert line in unit, "unit lacks %s" % line
    # Verify a copy whose ExecStart names the extracted binary (the host has none in /usr/sbin).
    copy = os.path.join(TMP, "forklined.service")
    with open(copy, "w") as f:
        f.write(unit.replace("ExecStart=/usr/sbin/forklined", "ExecStart=" + os.path.join(ROOT, "usr/sbin/forklined")))
    env = {"MANPATH": os.path.join(ROOT, "usr/share/man")}
    out, err, code = sh(["systemd-analyze", "verify", copy], env=env, check=False)
    assert code == 0 and not err.strip(), out + err
    out, err, _ = sh(["systemd-analyze", "security", "--offline=true", copy], env=env, check=False)
    m = re.search(r"Overall exposure level for forklined.service: ([0-9.]+) (\w+)", out + err)
    assert m and float(m.group(1)) <= 2.0 and m.group(2) == "OK", out[-1500:] + err
    print("  systemd-analyze security: exposure %s %s" % (m.group(1), m.group(2)))


def t_make_install_layout():
    dest = os.path.join(TMP, "destdir")
    sh(["cmake", "--install", BUILD], env={"DESTDIR": dest})
    prefix = _cache_value("CMAKE_INSTALL_PREFIX")
    base = dest + prefix
    for p in ("sbin/forklined", "bin/forkline", "share/forkline/web/index.html",
              "share/man/man8/forklined.8.gz", "share/forkline/workflows/novel_stats.toml"):
        assert os.path.exists(os.path.join(base, p)), p
    etc = "/etc" if prefix == "/usr" else prefix + "/etc"
    units = "/lib/systemd/system" if prefix == "/usr" else prefix + "/lib/systemd/system"
    with open(dest + units + "/forklined.service") as f:
        assert "ExecStart=%s/sbin/forklined --config %s/forkline/forklined.toml" % (prefix, etc) in f.read()
    assert os.path.exists(dest + etc + "/forkline/forklined.toml")
    # A second install keeps an edited config.
    with open(dest + etc + "/forkline/forklined.toml", "a") as f:
        f.write("# edited by the admin\n")
    out, _, _ = sh(["cmake", "--install", BUILD], env={"DESTDIR": dest})
    with open(dest + etc + "/forkline/forklined.toml") as f:
        assert f.read().endswith("# edited by the admin\n")
    assert "Keeping" in out, out


def _cache_value(name):
    with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
        for line in f:
            if line.startswith(name + ":"):
                return line.split("=", 1)[1].strip()
    raise AssertionError(name + " not in CMakeCache.txt")


if __name__ == "__main__":
    res = fl_daemon.Results()
    for case in (t_cpack_builds_the_deb, t_contents_and_depends, t_lintian_is_clean,
                 t_extracted_tree_runs, t_systemd_unit, t_make_install_layout):
        if res.failed and case is not t_make_install_layout:
            break  # later cases use the package
        res.run(case.__name__[2:], case)
    shutil.rmtree(TMP, ignore_errors=True)
    res.exit()
