#!/usr/bin/python3
"""Makes the forklined(8) and forkline(1) man pages from a hand-written roff template and
the programs' own --help (so options and commands never drift from the code), then
gzips them (-9n: reproducible, as Debian wants).

Usage: make_man.py --forklined BIN --forkline BIN --templates DIR --out DIR --version V
Template placeholders: @VERSION@, @OPTIONS@ (forklined's options), @COMMANDS@ and
@GLOBAL_OPTIONS@ (forkline's commands, each with its usage line and options)."""
import argparse
import gzip
import os
import re
import subprocess


def run_help(argv):
    r = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False,
                       env=dict(os.environ, FORKLINE_TOKEN=""))
    return r.stdout.decode()


def esc(text):
    """Roff-escapes free text: backslashes, leading dots and quotes, hyphens in options."""
    text = text.replace("\\", "\\e")
    text = re.sub(r"(?<![\w-])-", r"\\-", text)
    if text.startswith((".", "'")):
        text = "\\&" + text
    return text


def option_items(lines):
    """Lines like '  --flag ARG   help' (help may continue on indented lines) -> roff .TP items."""
    out = []
    for line in lines:
        if not line.strip():
            continue
        m = re.match(r"^\s{1,4}(-\S.*?)\s{2,}(\S.*)$", line)
        if m:
            out += [".TP", "\\fB%s\\fR" % esc(m.group(1).strip()), esc(m.group(2).strip())]
        elif out:
            out.append(esc(line.strip()))
    return out


def section(text, title):
    """The lines under 'title:' up to the next blank-line-separated 'name:' heading."""
    lines = text.splitlines()
    out, inside = [], False
    for line in lines:
        if re.match(r"^[A-Za-z][\w ]*:$", line.strip()) and not line.startswith(" "):
            inside = line.strip() == title + ":"
            continue
        if inside:
            out.append(line)
    return out


def forklined_options(binary):
    return "\n".join(option_items(section(run_help([binary, "--help"]), "Options")))


def forkline_commands(binary):
    main = run_help([binary, "--help"])
    out = []
    for line in section(main, "commands"):
        m = re.match(r"^\s+(\S+)\s{2,}(\S.*)$", line)
        if not m:
            continue
        name, summary = m.group(1), m.group(2)
        sub = run_help([binary, name, "--help"])
        usage = next((l for l in sub.splitlines() if l.startswith("usage:")), "")
        usage = usage[len("usage:"):].strip() or "forkline " + name
        out += [".SS %s" % esc(name), "\\fB%s\\fR" % esc(usage), ".PP", esc(summary)]
        opts = option_items(section(sub, "options"))
        if opts:
            out += [".RS"] + opts + [".RE"]
    globals_ = option_items(section(main, "global options"))
    return "\n".join(out), "\n".join(globals_)


def write_gz(path, text):
    data = text.encode()
    with open(path, "wb") as raw:
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, compresslevel=9, mtime=0) as gz:
            gz.write(data)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--forklined", required=True)
    ap.add_argument("--forkline", required=True)
    ap.add_argument("--templates", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--version", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.templates, "forklined.8.in")) as f:
        daemon = f.read()
    with open(os.path.join(a.templates, "forkline.1.in")) as f:
        cli = f.read()
    commands, global_options = forkline_commands(a.forkline)
    daemon = daemon.replace("@VERSION@", a.version).replace("@OPTIONS@", forklined_options(a.forklined))
    cli = (cli.replace("@VERSION@", a.version).replace("@COMMANDS@", commands)
           .replace("@GLOBAL_OPTIONS@", global_options))
    for name, text in (("forklined.8", daemon), ("forkline.1", cli)):
        if "@" in re.sub(r"\S+@\S+\.\S+", "", text):
            raise SystemExit("make_man.py: a placeholder was left in " + name)
        with open(os.path.join(a.out, name), "w") as f:
            f.write(text)
        write_gz(os.path.join(a.out, name + ".gz"), text)


if __name__ == "__main__":
    main()
