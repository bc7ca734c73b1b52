#!/usr/bin/env python3
"""Python's `hiredis` package parsing replies: built against hiredis-rs, and built as PyPI
builds it, with the hiredis it vendors compiled in.

    bench/python-reader.py --stage build/stage [--runs 5] [--out build/bench]

Both packages come from the same sdist (tests/python-hiredis-build.sh). Each run starts one
fresh interpreter per package, in alternating order, that feeds `hiredis.Reader` 64 KiB of
identical replies at a time (the package's usual use: a socket read per feed) and calls
`gets()` until it returns False; it reports nanoseconds per reply, Python's own loop included,
as a user of the package sees it. Prints medians with the ratio; writes python-reader.md and
.json under --out. Reports, never asserts.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Each case: a name and one reply; a feed is 64 KiB of whole copies.
BULK10 = b"$10\r\nabcdefghij\r\n"
CASES = [
    ("status", b"+OK\r\n"),
    ("integer", b":1234567\r\n"),
    ("bulk10", BULK10),
    ("array100", b"*100\r\n" + BULK10 * 100),
    ("map16", b"%16\r\n" + b"".join(b"$7\r\nfield%02d\r\n:%d\r\n" % (i, 1000 + i) for i in range(16))),
]

CHILD = r"""
import ast, sys, time
sys.path.insert(0, sys.argv[1])
import hiredis
assert hiredis.__file__.startswith(sys.argv[1]), hiredis.__file__
cases = ast.literal_eval(sys.argv[2])
target = float(sys.argv[3])
for name, one in cases:
    n = max(1, 65536 // len(one))
    feed = one * n
    r = hiredis.Reader()
    def once():
        r.feed(feed)
        got = 0
        while r.gets() is not False:
            got += 1
        return got
    assert once() == n, name
    reps, t0 = 0, time.perf_counter()
    while True:
        once()
        reps += 1
        if reps % 8 == 0 and time.perf_counter() - t0 >= target:
            break
    dt = time.perf_counter() - t0
    print(name, dt * 1e9 / (reps * n), flush=True)
"""


def build(stage, dest, mode):
    cmd = [os.path.join(TOP, "tests", "python-hiredis-build.sh"), stage, dest]
    if mode:
        cmd.append(mode)
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    py = out.strip().splitlines()[-1]
    pkg = [os.path.join(dest, d) for d in os.listdir(dest) if d.startswith("hiredis-")][0]
    return py, pkg


def run_child(py, pkg, target):
    out = subprocess.run(
        [py, "-c", CHILD, pkg, repr(CASES), str(target)],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    return {name: float(v) for name, v in (line.split() for line in out.splitlines())}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--stage", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(TOP, "build", "bench"))
    ap.add_argument("--target", type=float, default=0.3, help="seconds per case and run")
    args = ap.parse_args()
    stage = os.path.abspath(args.stage)
    os.makedirs(args.out, exist_ok=True)
    libs = {}
    for lib, mode in (("ours", ""), ("vendored", "vendored")):
        libs[lib] = build(stage, os.path.join(args.out, "python-" + lib), mode)
    results = {lib: {name: [] for name, _ in CASES} for lib in libs}
    start, load0 = time.time(), os.getloadavg()[0]
    for run in range(args.runs):
        order = ["ours", "vendored"] if run % 2 == 0 else ["vendored", "ours"]
        print(f"python-reader: run {run + 1}/{args.runs} ({' then '.join(order)})", flush=True)
        for lib in order:
            for name, v in run_child(*libs[lib], args.target).items():
                results[lib][name].append(v)
    head = (
        f"python-reader: hiredis-py 3.5.0, `Reader.feed` of 64 KiB then `gets()` until empty; "
        f"ns per reply, medians of {args.runs} alternating runs; ours = built against "
        f"{stage}, vendored = built with the hiredis its sdist vendors (1.5); "
        f"{time.time() - start:.0f}s, load average {load0:.1f} at start, "
        f"{os.getloadavg()[0]:.1f} at end"
    )
    lines = [head, "", "| case | ours (ns/reply) | vendored (ns/reply) | ours/vendored |", "|---|---:|---:|---:|"]
    for name, _ in CASES:
        o, v = statistics.median(results["ours"][name]), statistics.median(results["vendored"][name])
        lines.append(f"| {name} | {o:.1f} | {v:.1f} | {o / v:.2f} |")
    text = "\n".join(lines) + "\n"
    print(text)
    with open(os.path.join(args.out, "python-reader.md"), "w") as f:
        f.write(text)
    with open(os.path.join(args.out, "python-reader.json"), "w") as f:
        json.dump({"runs": args.runs, "results": results}, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    sys.exit(main())
