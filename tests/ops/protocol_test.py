"""docs/protocol.md is true: every example request in it is sent, in order, to a real
forklined (each run id of the examples replaced by the one the daemon gave), and each
reply must have the example reply's shape (every key, at every depth, with the same JSON
type; arrays compared by their first items) and the same `ok`, error `code`, and run
`status`, `cursor`, `autorun`, `kind`, `title`, `total_steps` (not for replies marked
`live`). Every command of DESIGN §4 must have an example.
Usage: FORKLINED=path/to/forklined FORKLINE_SOURCE_DIR=repo protocol_test.py"""
import json
import os
import re
import sys

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE = os.environ.get("FORKLINE_SOURCE_DIR") or os.path.join(HERE, "..", "..")
sys.path.insert(0, HERE)
from ops_util import fl_daemon  # noqa: E402

COMMANDS = {"workflows.list", "run.create", "run.get", "run.list", "run.next", "run.pause",
            "run.resume", "run.autorun", "run.cancel", "run.retry", "run.fork", "run.events",
            "run.lineage", "system.health"}
STABLE = {"ok", "code", "status", "cursor", "autorun", "kind", "title", "total_steps"}
RUN_ID = re.compile(r"^r_[0-9a-f]+$")
BLOCK = re.compile(r"```json request\n(.*?)\n```\s*```json reply( live)?\n(.*?)\n```", re.S)


def examples():
    with open(os.path.join(SOURCE, "docs", "protocol.md"), encoding="utf-8") as f:
        text = f.read()
    found = [(json.loads(req), json.loads(rep), bool(live)) for req, live, rep in BLOCK.findall(text)]
    assert len(found) == text.count("```json request"), "a request block without its reply"
    return found


def substitute(value, ids):
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [substitute(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, ids) for k, v in value.items()}
    return value


def learn_ids(example, actual, ids):
    """Maps the example's run ids to the daemon's, walking both replies in step."""
    if isinstance(example, str) and isinstance(actual, str) and RUN_ID.match(example):
        ids.setdefault(example, actual)
    elif isinstance(example, dict) and isinstance(actual, dict):
        for k, v in example.items():
            if k in actual:
                learn_ids(v, actual[k], ids)
    elif isinstance(example, list) and isinstance(actual, list):
        for e, a in zip(example, actual):
            learn_ids(e, a, ids)


def kind_of(v):
    return "null" if v is None else "number" if isinstance(v, (int, float)) and not isinstance(v, bool) \
        else type(v).__name__


def compare(example, actual, path, live, problems):
    if kind_of(example) != kind_of(actual) and example is not None and actual is not None:
        problems.append("%s: example is %s, reply has %s" % (path, kind_of(example), kind_of(actual)))
        return
    if isinstance(example, dict) and isinstance(actual, dict):
        for k, v in example.items():
            if k not in actual:
                problems.append("%s: reply lacks %r" % (path, k))
                continue
            if k in STABLE and not isinstance(v, (dict, list)) and not live and v != actual[k]:
                problems.append("%s.%s: example %r, reply %r" % (path, k, v, actual[k]))
            compare(v, actual[k], path + "." + k, live, problems)
    elif isinstance(example, list) and isinstance(actual, list):
        if example and not actual:
            problems.append("%s: example has items, reply none" % path)
        for i, (e, a) in enumerate(zip(example, actual)):
            compare(e, a, "%s[%d]" % (path, i), live, problems)


def t_every_command_has_an_example(_d):
    cmds = {req.get("cmd") for req, _, _ in examples()}
    missing = COMMANDS - cmds
    assert not missing, "no example for %s" % sorted(missing)


def t_examples_match_a_real_daemon(d):
    ids = {}
    c = d.client()
    problems = []
    for req, example, live in examples():
        sent = substitute(req, ids)
        reply = json.loads(c.raw([json.dumps(sent).encode()])[-1])
        before = len(problems)
        assert reply.get("id") == req.get("id"), (req, reply)
        compare(example, reply, "%s#%s" % (req.get("cmd"), req.get("id")), live, problems)
        learn_ids(example, reply, ids)
        print("  %s %s" % ("ok  " if len(problems) == before else "BAD ", json.dumps(req)[:100]))
    assert not problems, "\n".join(problems)


if __name__ == "__main__":
    fl_daemon.run_suite(lambda: fl_daemon.Daemon(),
                        [t_every_command_has_an_example, t_examples_match_a_real_daemon])
