#!/usr/bin/env python3
"""Exec step of the novel_stats workflow (config/workflows/novel_stats.toml).

Reads the step context JSON on stdin:
  {run_id, kind, title, input, step: {index, name, params}, steps: {<name>: <output>}}
and prints one JSON object on stdout. Progress goes to stderr, one line a message.
Exit 0 on success; non-zero fails the step (75 = try again later).
"""
import json
import sys


def main():
    context = json.load(sys.stdin)
    steps = context.get("steps", {})
    params = context.get("step", {}).get("params", {})
    top = int(params.get("top", 10))
    ingest = steps.get("ingest", {})
    chapters = ingest.get("chapters", [])
    print(f"counting {len(chapters)} chapters", file=sys.stderr, flush=True)
    words = [int(c.get("words", 0)) for c in chapters]
    characters = steps.get("characters", {}).get("characters", [])
    speakers = sorted(characters, key=lambda c: -int(c.get("lines", 0)))[:top]
    print("ranking speakers", file=sys.stderr, flush=True)
    json.dump({
        "title": context.get("title", ""),
        "chapters": len(chapters),
        "words": int(ingest.get("words", sum(words))),
        "longest_chapter_words": max(words, default=0),
        "speakers": [{"name": c.get("name", ""), "lines": int(c.get("lines", 0))}
                     for c in speakers],
    }, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
