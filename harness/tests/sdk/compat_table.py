#!/usr/bin/env python3
"""Writes (or checks) the README's client compatibility table from the drivers' runs.

    python3 compat_table.py OUTDIR README.md --check|--write-readme --clients a,b,...

OUTDIR holds what clients.sh left for each client NAME: NAME.result.json (the driver's steps and
what it says about the client), NAME.jsonl (the emulator's journal) and NAME.journal.json
(`eni-harness journal --json`). The table goes between the README's
`<!-- client-compatibility:begin -->` and `<!-- client-compatibility:end -->` lines. Only what
is the same on every run goes in (no request counts: a polling client's vary), so `--check` can
fail CI when the README and the runs disagree. It also fails when a client's documented errors
were not answered with the contract's HTTP status, which the journal shows even for a client
whose error type drops the status.
"""

import json
import os
import sys

BEGIN = "<!-- client-compatibility:begin -->"
END = "<!-- client-compatibility:end -->"

# The documented errors the drivers provoke, with the contract's status (CONTRACT.md rows 8, 9,
# 13 and 14). A driver provokes the first three unless its result names its own (`errors`).
CONTRACT_STATUS = {"InvalidEniId.NotFound": 404, "InvalidIp.IpAssigned": 403,
                   "InvalidVSwitchId.IpInvalid": 403, "InvalidVSwitchId.NotFound": 404}
DEFAULT_ERRORS = ("InvalidEniId.NotFound", "InvalidIp.IpAssigned", "InvalidVSwitchId.IpInvalid")


def cell(text):
    """Text for a Markdown table cell: no line breaks, pipes or stray markup."""
    text = " ".join(str(text).split())
    for char in "\\|*_[]<>":
        text = text.replace(char, "\\" + char)
    return text


def code(text):
    return "`%s`" % str(text).replace("`", "'").replace("|", "/")


def load(outdir, name):
    paths = {kind: os.path.join(outdir, "%s.%s" % (name, kind))
             for kind in ("result.json", "jsonl", "journal.json")}
    for kind, path in paths.items():
        if not os.path.exists(path):
            raise SystemExit("error: %s is missing: the %s driver or its journal did not run "
                             "(run harness/tests/sdk/clients.sh)" % (path, name))
    with open(paths["result.json"]) as f:
        result = json.load(f)
    with open(paths["journal.json"]) as f:
        verdict = json.load(f)
    entries = []
    with open(paths["jsonl"]) as f:
        for line in f:
            if line.strip():
                entries.append(json.loads(line))
    return result, verdict, entries


def row(name, result, verdict, entries, problems):
    steps = result["steps"]
    passed = [s for s in steps if s["ok"]]
    failed = [s["step"] for s in steps if not s["ok"]]
    scenario = "%d of %d steps" % (len(passed), len(steps))
    if failed:
        scenario += "; failed: " + ", ".join(failed)
        problems.append("%s: steps failed: %s" % (name, ", ".join(failed)))
    # The documented errors: the client's error type from the driver, the status from the journal.
    types = sorted({s["detail"].split(" (")[0] for s in passed if s["step"].startswith("error-")})
    documented = {err: CONTRACT_STATUS[err] for err in result.get("errors", DEFAULT_ERRORS)}
    answered = {}
    for entry in entries:
        if entry.get("code") in documented:
            answered.setdefault(entry["code"], set()).add(entry["status"])
    errors = []
    for err, status in documented.items():
        got = answered.get(err, set())
        if got != {status}:
            problems.append("%s: %s answered with HTTP %s, the contract says %d"
                            % (name, err, sorted(got) or "nothing", status))
        errors.append("%s %s" % (code(err), "/".join(str(s) for s in sorted(got)) or "—"))
    errors_cell = ", ".join(errors) + (" as " + ", ".join(code(t) for t in types) if types else "")
    prefixes_cell = ("— (manages the ENI's lifecycle only; cannot assign)"
                     if result.get("lifecycle_only") else prefixes(name, steps, entries, problems))
    summary = verdict["summary"]
    formats = ", ".join(sorted(summary.get("by_format", {})))
    signing = ", ".join(sorted(summary.get("by_signing", {})))
    methods = ", ".join(sorted(summary.get("by_method", {})))
    judged = ("PASS: every request well-formed and correctly signed" if verdict["passed"]
              else "FAIL: %d request(s) malformed or badly signed" % verdict["failing"])
    if not verdict["passed"]:
        problems.append("%s: the journal failed it" % name)
    judged += " (signing %s, %s, Format %s)" % (signing, methods, formats)
    deviations = [code(d["id"]) for d in summary.get("deviations", [])]
    judged += "; deviations: " + (", ".join(deviations) if deviations else "none")
    mistakes = [code(d["id"]) for d in summary.get("mistakes", [])]
    if mistakes:
        judged += "; client mistakes: " + ", ".join(mistakes)
    return "| %s | %s | %s | %s | %s | %s | %s | %s |" % (
        cell(result["client"]) + " (" + cell(result["language"]) + ")", code(result["version"]),
        cell(result["signing"]), cell(result["method"]), scenario, prefixes_cell, errors_cell,
        judged)


# The prefix steps every driver runs (the `current` contract's IPv4 prefixes).
PREFIX_STEPS = ("assign-by-prefix", "assign-by-prefix-count", "unassign-prefixes")


def prefixes(name, steps, entries, problems):
    """What the client did with IPv4 prefixes: the steps' verdicts, and the wire keys it sent
    (from the journal: `Ipv4Prefix.N` as the client spelled the list)."""
    ran = {s["step"]: s["ok"] for s in steps}
    missing = [step for step in PREFIX_STEPS if step not in ran]
    if missing:
        problems.append("%s: the driver ran no %s step" % (name, ", ".join(missing)))
        return "not run"
    failed = [step for step in PREFIX_STEPS if not ran[step]]
    if failed:
        return "FAIL: " + ", ".join(failed)
    keys = set()
    for entry in entries:
        for pair in entry.get("params") or []:
            key = str(pair[0]) if isinstance(pair, list) and pair else ""
            if key.startswith("Ipv4Prefix"):
                keys.add("Ipv4PrefixCount" if key == "Ipv4PrefixCount" else "Ipv4Prefix.N")
    sent = " and ".join(code(k) for k in sorted(keys)) if keys else "prefixes"
    return "assigned by %s, read back, unassigned" % sent


def table(outdir, names):
    problems = []
    lines = [
        "| client | version | signing | method / body | scenario | IPv4 prefixes | documented "
        "errors (code, HTTP status; the client's error type) | `eni-harness journal` |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name in names:
        lines.append(row(name, *load(outdir, name), problems))
    return "\n".join(lines) + "\n", problems


def main(argv):
    if len(argv) != 6 or argv[3] not in ("--check", "--write-readme") or argv[4] != "--clients":
        raise SystemExit("usage: compat_table.py OUTDIR README.md --check|--write-readme "
                         "--clients a,b,...")
    outdir, readme, mode, names = argv[1], argv[2], argv[3], argv[5].split(",")
    generated, problems = table(outdir, names)
    with open(readme) as f:
        text = f.read()
    if text.count(BEGIN) != 1 or text.count(END) != 1 or text.index(BEGIN) > text.index(END):
        raise SystemExit("error: %s needs exactly one %s line followed by one %s line"
                         % (readme, BEGIN, END))
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    wanted = head + BEGIN + "\n" + generated + END + tail
    for problem in problems:
        print("problem: " + problem)
    if mode == "--write-readme":
        with open(readme, "w") as f:
            f.write(wanted)
        print("wrote the compatibility table of %d clients to %s" % (len(names), readme))
    elif wanted != text:
        print("error: the compatibility table in %s differs from these runs; rerun "
              "`harness/tests/sdk/clients.sh target/debug/eni-harness --write-readme` and commit "
              "the README. The table from these runs:" % readme)
        print(generated)
        return 1
    else:
        print("the compatibility table in %s matches these runs" % readme)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
