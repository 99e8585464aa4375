#!/usr/bin/python3
"""Turns a novel into a screenplay with a running forklined, using clients/python/forkline.py.

    novel_to_script.py alice.txt --title "Alice" --out alice.fountain
    novel_to_script.py alice.txt --step        # one step at a time (run.next), not autorun

Creates a novel_to_script run, drives it (autorun, watched live over SSE, or step by
step), then writes the Fountain text of the last step and prints its statistics.
Connection: --connect/--http/--token or FORKLINE_CONNECT, FORKLINE_HTTP, FORKLINE_TOKEN.
Exit status: 0 done, 1 the run failed or the daemon refused, 3 no answer."""
import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import forkline  # noqa: E402


def parse_args():
    ap = argparse.ArgumentParser(description="novel (plain text) -> screenplay (Fountain)")
    ap.add_argument("novel", help="the novel as a UTF-8 text file")
    ap.add_argument("--title")
    ap.add_argument("--author")
    ap.add_argument("--out", help="where to write the .fountain (default: stdout)")
    ap.add_argument("--step", action="store_true", help="run.next step by step instead of autorun")
    ap.add_argument("--connect", default=os.environ.get("FORKLINE_CONNECT", "tcp://127.0.0.1:7710"))
    ap.add_argument("--http", default=os.environ.get("FORKLINE_HTTP", "127.0.0.1:7711"))
    ap.add_argument("--token", default=os.environ.get("FORKLINE_TOKEN"))
    return ap.parse_args()


def drive_by_steps(fl, run):
    while run["status"] not in ("completed", "failed", "canceled"):
        done = fl.next(run["id"])
        run, step = done["run"], done["step"]
        print("step %d %-10s %s (%s ms)" % (step["index"], step["name"], step["status"],
                                            step.get("duration_ms", "?")), file=sys.stderr)
    return run


def drive_by_autorun(fl, run):
    fl.autorun(run["id"], True)
    for ev in fl.watch(run["id"], until_terminal=True):
        if ev.type == "step.completed":
            print("step %d %-10s completed (%s ms)" % (ev.data["data"]["index"], ev.data["data"]["name"],
                                                      ev.data["data"]["duration_ms"]), file=sys.stderr)
        elif ev.type == "step.failed":
            print("step %s failed: %s" % (ev.data["data"]["name"], ev.data["data"]["error"]),
                  file=sys.stderr)
    return fl.get(run["id"])


def main():
    a = parse_args()
    with open(a.novel, encoding="utf-8") as f:
        text = f.read()
    novel = {"text": text}
    if a.title:
        novel["title"] = a.title
    if a.author:
        novel["author"] = a.author
    try:
        with forkline.Client(a.connect, http=a.http, token=a.token) as fl:
            run = fl.create("novel_to_script", novel, title=a.title)
            print("run %s: %d steps" % (run["id"], run["total_steps"]), file=sys.stderr)
            run = drive_by_steps(fl, run) if a.step else drive_by_autorun(fl, run)
            if run["status"] != "completed":
                print("run %s is %s" % (run["id"], run["status"]), file=sys.stderr)
                return 1
            final = fl.output(run["id"], "assemble")
    except forkline.NoReply as e:
        print("novel_to_script: %s" % e, file=sys.stderr)
        return 3
    except forkline.ForklineError as e:
        print("novel_to_script: %s" % e, file=sys.stderr)
        return 1
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(final["fountain"])
    else:
        sys.stdout.write(final["fountain"])
    stats = final["stats"]
    print("%d scenes, %d characters, ~%s pages; most lines: %s" % (
        stats["scenes"], stats["characters"], stats["pages"],
        ", ".join("%s %d" % kv for kv in sorted(stats["dialogue_lines"].items(),
                                                key=lambda kv: -kv[1])[:3])), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
