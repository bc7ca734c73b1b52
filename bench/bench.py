#!/usr/bin/env python3
"""Benchmark driver: hiredis-rs ("ours", the staged install) against the system hiredis
("theirs", e.g. Debian's libhiredis-dev), one C source per benchmark built twice.

    bench.py time   [--runs N]   reader/format/sync/async timings, medians of N runs each
    bench.py instr  [--runs N]   reader/format (and async, cluster) instruction counts under callgrind

The cluster program is compared with hiredis-cluster 0.14.0 on hiredis 1.4.1 installed under
--cluster-ref (or BENCH_CLUSTER_REF); without it its reference rows are n/a. `time` and `instr`
start a 3-master cluster for it (free loopback ports, temp dir, servers stopped by pid).

`time` starts its own redis-server (free 127.0.0.1 port, temp dir, stopped by pid) and
alternates the two libraries run by run. It prints one table (medians, ours/theirs) and
writes results.md, results.json and an SVG chart of async commands/s against commands in
flight into the output directory. Numbers are reported, never asserted. Python standard
library only.
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
PROGS = ["reader", "format", "sync", "async", "async-libev", "async-libuv", "async-glib", "cluster", "floor"]
# async.c built for each event library: (adapter header, extra compiler flags).
ASYNC_LOOPS = {
    "async": ("libevent.h", [], "-levent"),
    "async-libev": ("libev.h", ["-DBENCH_LOOP_LIBEV"], "-lev"),
    "async-libuv": ("libuv.h", ["-DBENCH_LOOP_LIBUV"], "pkg-config:libuv"),
    "async-glib": ("glib.h", ["-DBENCH_LOOP_GLIB"], "pkg-config:glib-2.0"),
}
# The floor (bench/floor.c, no library): the async SET phases with only the system calls a
# client cannot avoid. Built once, run once per run; its rows sit beside the async ones.
FLOOR_PHASES = ["block:1:1:10000", "epoll:1:1:10000", "epoll:16:1:100000", "epoll:1000:1:1000000",
                "epoll:1:50:20000", "epoll:16:50:200000", "epoll:1000:50:1000000"]
# System calls per command (strace -c -f, not timed): each phase at two totals, the
# difference over the extra commands (start-up and connects cancel out).
SYSCALL_PHASES = [("set:1:1", 2000, 6000), ("set:16:1", 20000, 60000), ("set:1000:1", 100000, 300000),
                  ("set:1:50", 4000, 12000), ("set:16:50", 40000, 120000), ("set:1000:50", 200000, 600000)]

# Where a ratio ours/theirs has a stated goal (lower is better for all of them): the goals of
# the performance issue. Async client CPU is judged with 1000 commands in flight (SET, GET,
# INCR); with 1 or 16 in flight both libraries spend it in the same system calls and the
# event library, so those rows are reported without a goal.
TARGETS = [
    (r"^async (set|get|incr)/if1000/c\d+ (cpu_ns|instr)_per_cmd$", 0.5),
    # The adapters' goal (issue 12): SET with 1 or 16 in flight, every event library.
    (r"^async(-\w+)? set/if(1|16)/c(1|50) cpu_ns_per_cmd$", 0.5),
    (r"^async mem queued_bytes_per_cmd$", 1.0),
    (r"^reader (status|integer|bulk10|array100|map16)/.* instr_per_reply$", 0.5),
    # The reader through a table of the program's own, as language bindings use it (issue
    # 12): 0.6x of hiredis 1.4.1, judged only against a 1.4 reference (Debian's 0.14.1 builds
    # through a table differently; the README quotes 1.4.1).
    (r"^reader fn-(status|integer|bulk10|array100|map16)/.* instr_per_reply$", 0.6, "1.4"),
    (r"^format SET_%s_%b instr_per_call$", 0.25),
    (r"^format argv_SET instr_per_call$", 0.5),
    # The cluster goal (issue 11): client CPU per command <= 0.5x of hiredis-cluster 0.14.0 on
    # hiredis 1.4.1 (async SET/GET with 1000 in flight, pipelined MGET split over 4 slots).
    (r"^cluster (set|get)/if1000 (cpu_ns|instr)_per_cmd$", 0.5),
    (r"^cluster mget/pipe100 (cpu_ns|instr)_per_cmd$", 0.5),
]
HIGHER_IS_BETTER = ("cmds_per_s", "MB_per_s")


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=isinstance(cmd, str), check=True, text=True,
                          stdout=subprocess.PIPE, **kw).stdout.strip()


def build(args, outdir, progs):
    """Builds the programs for both libraries; returns {variant: {prog: path or None}}."""
    stage = args.stage
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(stage, "lib", "pkgconfig"))
    ours_flags = sh("pkg-config --cflags --libs hiredis", env=env).split()
    ours_flags += ["-Wl,-rpath," + os.path.join(stage, "lib")]
    theirs_flags = ["-L" + args.system_libdir, "-lhiredis", "-Wl,-rpath," + args.system_libdir]
    if args.system_include != "/usr/include":
        theirs_flags.insert(0, "-I" + args.system_include)
    variants = {"ours": ours_flags, "theirs": theirs_flags}
    # The cluster program: ours against libhiredis_rs_cluster, theirs against hiredis-cluster
    # 0.14.0 on hiredis 1.4.1 installed under --cluster-ref (built outside the repo; see
    # bench/README.md), n/a without it.
    ref = args.cluster_ref
    cluster_flags = {
        "ours": ["-I" + os.path.join(stage, "include")] +
                sh("pkg-config --cflags --libs hiredis_cluster", env=env).split() +
                ["-Wl,-rpath," + os.path.join(stage, "lib"), "-levent"],
        "theirs": ["-I" + os.path.join(ref, "include"), "-L" + os.path.join(ref, "lib"), "-lhiredis_cluster",
                   "-lhiredis", "-Wl,-rpath," + os.path.join(ref, "lib"), "-levent"] if ref else None,
    }
    os.makedirs(os.path.join(outdir, "bin"), exist_ok=True)

    def compile_prog(out, src, flags):
        """Builds bench/<src>.c into out; the compiler's complaint, or None."""
        r = subprocess.run([args.cc, "-O2", "-g", "-Wall", "-Wextra", "-o", out, os.path.join(HERE, src + ".c")] + flags,
                           text=True, capture_output=True)
        return r.stderr.strip()[-1500:] if r.returncode != 0 else None

    bins = {"floor": {}}
    if "floor" in progs:
        out = os.path.join(outdir, "bin", "floor")
        err = compile_prog(out, "floor", [])
        if err:
            log("bench: floor does not build; its rows are left out:\n" + err)
        else:
            bins["floor"]["floor"] = out
    for v, flags in variants.items():
        bins[v] = {}
        for p in progs:
            if p == "floor":
                continue
            out = os.path.join(outdir, "bin", f"{p}-{v}")
            src, defs, extra = p, [], []
            if p == "cluster" and v == "theirs" and not (
                    ref and os.path.exists(os.path.join(ref, "include", "hiredis_cluster", "hircluster.h"))):
                log("bench: no hiredis-cluster reference (--cluster-ref / BENCH_CLUSTER_REF, see "
                    "bench/README.md); its cluster rows show n/a")
                bins[v][p] = None
                continue
            if p in ASYNC_LOOPS:
                header, defs, lib = ASYNC_LOOPS[p]
                src = "async"
                extra = sh("pkg-config --cflags --libs " + lib.split(":", 1)[1]).split() \
                    if lib.startswith("pkg-config:") else [lib]
                # Without our own adapter header the compiler would quietly take the system
                # one, which includes the system hiredis.h: not a build of ours at all.
                if v == "ours" and not os.path.exists(os.path.join(stage, "include", "hiredis", "adapters", header)):
                    log(f"bench: no adapters/{header} in the staged install yet; {p} shows n/a for ours")
                    bins[v][p] = None
                    continue
            link = cluster_flags[v] if p == "cluster" else flags
            err = compile_prog(out, src, defs + link + extra)
            if err:
                log(f"bench: {p} does not build against {v}; its rows show n/a:\n" + err)
            bins[v][p] = None if err else out
    return bins


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class RedisServer:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="hiredis-rs-bench.")
        self.port = free_port()
        self.sock = os.path.join(self.dir, "redis.sock")
        conf = os.path.join(self.dir, "redis.conf")
        with open(conf, "w") as f:
            f.write(f"port {self.port}\nbind 127.0.0.1\nunixsocket {self.sock}\nunixsocketperm 700\n"
                    f"dir {self.dir}\nlogfile {self.dir}/redis.log\ndaemonize no\nsave \"\"\n"
                    "appendonly no\n")
        self.proc = subprocess.Popen(["redis-server", conf])
        for _ in range(200):
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("redis-server did not start")

    def env(self):
        return dict(os.environ, REDIS_HOST="127.0.0.1", REDIS_PORT=str(self.port), REDIS_SOCK=self.sock)

    def stop(self):
        stop_proc(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)


def stop_proc(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # only a server started here, by pid
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def redis_cli(port, *args):
    r = subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port)] + list(args),
                       text=True, capture_output=True, timeout=30)
    return r.stdout


class RedisCluster:
    """Three masters, no replicas, on free loopback ports (data and bus), in a temp dir, as
    tests/cluster/cluster-lib.sh starts them; every server stopped by pid."""

    def __init__(self, masters=3):
        self.dir = tempfile.mkdtemp(prefix="hiredis-rs-bench-cluster.")
        self.procs = []
        socks = [socket.socket() for _ in range(2 * masters)]
        for s in socks:
            s.bind(("127.0.0.1", 0))
        ports = [s.getsockname()[1] for s in socks]
        for s in socks:
            s.close()
        self.ports = ports[:masters]
        try:
            for port, bus in zip(self.ports, ports[masters:]):
                conf = os.path.join(self.dir, f"node-{port}.conf")
                with open(conf, "w") as f:
                    f.write(f"port {port}\ncluster-port {bus}\nbind 127.0.0.1\ncluster-enabled yes\n"
                            f"cluster-config-file {self.dir}/nodes-{port}.conf\ncluster-node-timeout 5000\n"
                            f"dir {self.dir}\ndbfilename dump-{port}.rdb\nlogfile {self.dir}/node-{port}.log\n"
                            "daemonize no\nsave \"\"\nappendonly no\n")
                self.procs.append(subprocess.Popen(["redis-server", conf]))
            for port in self.ports:
                for _ in range(200):
                    if "PONG" in redis_cli(port, "ping"):
                        break
                    time.sleep(0.05)
                else:
                    raise RuntimeError(f"cluster node {port} did not start")
            r = subprocess.run(["redis-cli", "--cluster", "create"] + [f"127.0.0.1:{p}" for p in self.ports] +
                               ["--cluster-replicas", "0", "--cluster-yes"], text=True, capture_output=True,
                               timeout=60)
            if r.returncode != 0:
                raise RuntimeError("redis-cli --cluster create failed: " + r.stdout[-400:] + r.stderr[-400:])
            for _ in range(300):
                if all("cluster_state:ok" in redis_cli(p, "cluster", "info") for p in self.ports):
                    break
                time.sleep(0.1)
            else:
                raise RuntimeError("cluster not ok")
        except BaseException:
            self.stop()
            raise

    def env(self):
        return dict(os.environ, CLUSTER_SEED=",".join(f"127.0.0.1:{p}" for p in self.ports))

    def stop(self):
        for p in self.procs:
            stop_proc(p)
        shutil.rmtree(self.dir, ignore_errors=True)


def parse_results(text):
    out = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 5 and parts[0] == "R":
            out[f"{parts[1]} {parts[2]} {parts[3]}"] = float(parts[4])
    return out


def run_prog(path, args, env, timeout):
    try:
        r = subprocess.run([path] + args, env=env, text=True, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        log(f"bench: {os.path.basename(path)} timed out after {timeout}s")
        return {}
    if r.returncode != 0:
        log(f"bench: {os.path.basename(path)} {' '.join(args)} failed (exit {r.returncode}): {r.stderr.strip()[-600:]}")
    return parse_results(r.stdout)


CG_DESC = "desc: Trigger: Client Request: "


def callgrind_dump(path):
    """(description, total instructions) of one callgrind dump: its `summary:` line, or the
    `totals:` line when there is none."""
    desc = total = None
    with open(path) as f:
        for line in f:
            if line.startswith(CG_DESC):
                desc = line[len(CG_DESC):].strip()
            elif line.startswith("summary:") or (total is None and line.startswith("totals:")):
                total = int(line.split()[1])
    return desc, total


def run_callgrind(path, outdir, tag, annotate_dir=None):
    """Runs a program under callgrind; returns {key: instructions per op} from its dumps."""
    d = os.path.join(outdir, "callgrind", tag)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    r = subprocess.run(["valgrind", "--tool=callgrind", "-q", "--compress-strings=no",
                        f"--callgrind-out-file={d}/cg.out.%p", path],
                       text=True, capture_output=True)
    if r.returncode != 0:
        log(f"bench: callgrind {tag} failed: {r.stderr.strip()[-600:]}")
    prog = os.path.basename(path).rsplit("-", 1)[0]
    metric = "instr_per_reply" if prog == "reader" else "instr_per_call"
    out = {}
    # Dumps in the order the program made them (cg.out.<pid>.<n>), so rows follow its cases.
    for name in sorted(os.listdir(d), key=lambda n: int(n.rsplit(".", 1)[1]) if n.count(".") > 2 else 0):
        desc, total = callgrind_dump(os.path.join(d, name))
        if desc and total is not None and "|" in desc:
            cname, ops = desc.rsplit("|", 1)
            out[f"{prog} {cname} {metric}"] = total / int(ops)
            if annotate_dir:
                # Where the instructions of this case go, inclusive per function.
                os.makedirs(annotate_dir, exist_ok=True)
                # Self cost, then inclusive. (In a dump taken after CALLGRIND_ZERO_STATS the
                # frames that were on the stack show the whole total as self cost: ignore
                # the main/start-up lines at the top of the self view.)
                views = []
                for incl in ("no", "yes"):
                    a = subprocess.run(["callgrind_annotate", f"--inclusive={incl}", "--threshold=100",
                                        "--auto=no", os.path.join(d, name)], text=True, capture_output=True)
                    views.append(f"## inclusive={incl}\n" + "\n".join(a.stdout.splitlines()[:70]))
                fname = f"{prog}-{cname}.txt".replace("/", "_").replace("%", "")
                with open(os.path.join(annotate_dir, fname), "w") as f:
                    f.write(f"# {cname}: {ops} operations; divide by it for per-operation counts\n")
                    f.write("\n\n".join(views) + "\n")
    return out


# Async phases counted under callgrind: (phase without total, smaller total, larger total).
ASYNC_INSTR = [("set:1:1", 1000, 2000), ("set:1000:1", 50000, 100000),
               ("get:1000:1", 50000, 100000), ("lrange:1000:1", 5000, 10000)]


def phases_callgrind(kind, path, outdir, env, phases):
    """Client instructions per command of each (phase, n1, n2): the phase runs under callgrind
    with two totals; the difference over the extra commands cancels start-up and connection.
    Returns {phase: instructions per command} for the phases whose two runs succeeded."""
    d = os.path.join(outdir, "callgrind", f"{kind}-" + os.path.basename(path))
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    out = {}
    for phase, n1, n2 in phases:
        totals = []
        for n in (n1, n2):
            f = os.path.join(d, f"{phase.replace(':', '_')}_{n}.out")
            r = subprocess.run(["valgrind", "--tool=callgrind", "-q", f"--callgrind-out-file={f}",
                                path, f"{phase}:{n}"], env=env, text=True, capture_output=True)
            total = callgrind_dump(f)[1] if r.returncode == 0 and os.path.exists(f) else None
            if total is None:
                log(f"bench: callgrind {kind} {phase}:{n} failed: {r.stderr.strip()[-400:]}")
            totals.append(total)
        if None not in totals:
            out[phase] = (totals[1] - totals[0]) / (n2 - n1)
    return out


def async_callgrind(path, outdir, env):
    """Client instructions per async command (ASYNC_INSTR)."""
    out = {}
    for phase, v in phases_callgrind("async", path, outdir, env, ASYNC_INSTR).items():
        mix, inflight, conns = phase.split(":")
        out[f"async {mix}/if{inflight}/c{conns} instr_per_cmd"] = v
    return out


# Cluster phases counted under callgrind, as ASYNC_INSTR.
CLUSTER_INSTR = [("set:1000", 10000, 20000), ("get:1000", 10000, 20000), ("mget:100", 1000, 2000)]


def cluster_callgrind(path, outdir, env):
    """Client instructions per cluster command (CLUSTER_INSTR)."""
    out = {}
    for phase, v in phases_callgrind("cluster", path, outdir, env, CLUSTER_INSTR).items():
        mix, a = phase.split(":")
        out[f"cluster {mix}/{'pipe' if mix == 'mget' else 'if'}{a} instr_per_cmd"] = v
    return out


def strace_calls(path, arg, env):
    """Total system calls of one run under strace -c -f, or None."""
    fd, out = tempfile.mkstemp(prefix="hiredis-rs-bench-strace.")
    os.close(fd)
    try:
        r = subprocess.run(["strace", "-f", "-c", "-o", out, path, arg], env=env, text=True,
                           capture_output=True)
        if r.returncode != 0:
            log(f"bench: strace {os.path.basename(path)} {arg} failed: {r.stderr.strip()[-400:]}")
            return None
        with open(out) as f:
            for line in f:
                t = line.split()
                if t and t[-1] == "total":
                    return int(t[3])
    finally:
        os.unlink(out)
    return None


def async_syscalls(path, prog, env):
    """System calls per command of each SYSCALL_PHASES phase (two totals, the difference)."""
    out = {}
    for phase, n1, n2 in SYSCALL_PHASES:
        c1, c2 = strace_calls(path, f"{phase}:{n1}", env), strace_calls(path, f"{phase}:{n2}", env)
        if c1 is not None and c2 is not None:
            mix, inflight, conns = phase.split(":")
            out[f"{prog} {mix}/if{inflight}/c{conns} syscalls_per_cmd"] = (c2 - c1) / (n2 - n1)
    return out


def fmt(v):
    if v is None:
        return "n/a"
    if v >= 100000:
        return f"{v:,.0f}"
    if v >= 100:
        return f"{v:.0f}"
    return f"{v:.3g}"


# The reference library's version (from its hiredis.h), for targets stated against one.
REFERENCE_VERSION = None


def reference_version(include_dir):
    try:
        with open(os.path.join(include_dir, "hiredis", "hiredis.h")) as f:
            text = f.read()
    except OSError:
        return None
    parts = [re.search(rf"#define HIREDIS_{p} (\d+)", text) for p in ("MAJOR", "MINOR", "PATCH")]
    return ".".join(m.group(1) for m in parts) if all(parts) else None


def target_for(key):
    """(goal, version it is stated against or None) for a result key, or (None, None)."""
    for pat, t, *only in TARGETS:
        if re.search(pat, key):
            return t, (only[0] if only else None)
    return None, None


def target_note(key, ratio, missed="MISSED"):
    tgt, only = target_for(key)
    if tgt is None:
        return ""
    if only and not (REFERENCE_VERSION or "").startswith(only):
        return f"<= {tgt}x of hiredis {only}"
    if ratio is None:
        return f"<= {tgt}x"
    return f"<= {tgt}x: " + ("met" if ratio <= tgt else missed)


def table(results):
    keys = []
    for v in ("ours", "theirs"):
        for k in results[v]:
            if k not in keys:
                keys.append(k)
    order = {p: i for i, p in enumerate(PROGS)}
    first = {k: i for i, k in enumerate(keys)}
    keys.sort(key=lambda k: (order.get(k.split()[0], 9), first[k]))
    rows = []
    for k in keys:
        prog, case, metric = k.split()
        med = {}
        for v in ("ours", "theirs"):
            vals = results[v].get(k, [])
            med[v] = statistics.median(vals) if vals else None
        ratio = med["ours"] / med["theirs"] if med["ours"] is not None and med["theirs"] else None
        note = target_note(k, ratio)
        rows.append((prog, case, metric, med["ours"], med["theirs"], ratio, note))
    lines = ["| bench | case | metric | ours (median) | hiredis (median) | ours/hiredis | target |",
             "|---|---|---|---:|---:|---:|---|"]
    for prog, case, metric, o, t, ratio, note in rows:
        arrow = " (higher is better)" if metric in HIGHER_IS_BETTER else ""
        lines.append(f"| {prog} | {case} | {metric}{arrow} | {fmt(o)} | {fmt(t)} | "
                     f"{'n/a' if ratio is None else f'{ratio:.2f}'} | {note} |")
    return "\n".join(lines)


def floor_table(results):
    """The floor's rows against async SET with the same commands in flight and connections,
    per event library: floor/hiredis (what no client goes below, as a share of hiredis) and
    ours/floor (what our library and adapter add). Empty without floor results."""
    floor = results.get("floor", {})
    if not floor:
        return ""
    loops = [(p, ASYNC_LOOPS[p][0].removesuffix(".h")) for p in ASYNC_LOOPS]
    head = "| floor case | metric | floor, no library | " + " | ".join(
        f"floor/hiredis {n}" for _, n in loops) + " | " + " | ".join(f"ours/floor {n}" for _, n in loops) + " |"
    lines = [head, "|---|---|---:|" + "---:|" * (2 * len(loops))]

    def med(v, key):
        vals = results[v].get(key)
        return statistics.median(vals) if vals else None

    phase_order = {re.sub(r"^(\w+):(\d+):(\d+):\d+$", r"\1/if\2/c\3", ph): i for i, ph in enumerate(FLOOR_PHASES)}
    for k, vals in sorted(floor.items(), key=lambda kv: phase_order.get(kv[0].split()[1], 99)):
        _, case, metric = k.split()
        rest = case.split("/", 1)[1]
        f = statistics.median(vals)
        fr, of = [], []
        for p, _ in loops:
            akey = f"{p} set/{rest} {metric}"
            o, t = med("ours", akey), med("theirs", akey)
            fr.append(f"{f / t:.2f}" if t else "n/a")
            of.append(f"{o / f:.2f}" if o is not None and f else "n/a")
        arrow = " (higher is better)" if metric in HIGHER_IS_BETTER else ""
        lines.append(f"| {case} | {metric}{arrow} | {fmt(f)} | " + " | ".join(fr) + " | " + " | ".join(of) + " |")
    return ("The floor (bench/floor.c): the same SETs with no library and no event library, only the "
            "system calls no client avoids (block: a blocking write and read per command; epoll: send, "
            "one wait, receive per round, as our adapters do), against async SET on each event library "
            "with the same commands in flight and connections.\n\n" + "\n".join(lines))


def svg_chart(results, path):
    """Commands/s against commands in flight (SET, 1 and 10 connections), both libraries."""
    xs = [("if1", "1"), ("if16", "16"), ("if1000", "1000"), ("ifall", "all")]
    series = []
    colors = {"ours": "#c0392b", "theirs": "#2c3e50"}
    for v in ("ours", "theirs"):
        for conns, dash in (("c1", ""), ("c10", "6,4")):
            pts = []
            for i, (x, _) in enumerate(xs):
                vals = results[v].get(f"async set/{x}/{conns} cmds_per_s", [])
                if vals:
                    pts.append((i, statistics.median(vals)))
            if pts:
                label = ("hiredis-rs" if v == "ours" else "hiredis (system)") + \
                        (", 1 connection" if conns == "c1" else ", 10 connections")
                series.append((label, colors[v], dash, pts))
    W, H, L, R, T, B = 720, 400, 80, 240, 40, 50
    ymax = max([p[1] for s in series for p in s[3]] + [1])
    # A round step (1, 2 or 5 times a power of ten) giving at most 6 grid lines.
    mag = 10 ** (len(str(int(ymax))) - 1)
    step = next(m * mag / 10 for m in (1, 2, 5, 10, 20, 50) if ymax / (m * mag / 10) <= 6)
    nticks = int(ymax // step) + 1
    ytop = nticks * step

    def px(i):
        return L + i * (W - L - R) / (len(xs) - 1)

    def py(y):
        return T + (H - T - B) * (1 - y / ytop)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" font-family="sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{W / 2 - R / 2}" y="20" text-anchor="middle" font-size="14">async SET throughput (libevent), median of runs</text>']
    for k in range(nticks + 1):
        y = step * k
        out.append(f'<line x1="{L}" y1="{py(y):.1f}" x2="{W - R}" y2="{py(y):.1f}" stroke="#ddd"/>')
        lab = "0" if y == 0 else (f"{y / 1e6:g}M" if y >= 1e6 else f"{y / 1e3:g}k")
        out.append(f'<text x="{L - 6}" y="{py(y) + 4:.1f}" text-anchor="end">{lab}</text>')
    for i, (_, lab) in enumerate(xs):
        out.append(f'<text x="{px(i):.1f}" y="{H - B + 18}" text-anchor="middle">{lab}</text>')
    out.append(f'<text x="{(L + W - R) / 2}" y="{H - 12}" text-anchor="middle">commands in flight per connection</text>')
    out.append(f'<text x="18" y="{(T + H - B) / 2}" text-anchor="middle" transform="rotate(-90 18 {(T + H - B) / 2})">commands/s</text>')
    out.append(f'<line x1="{L}" y1="{H - B}" x2="{W - R}" y2="{H - B}" stroke="black"/>')
    out.append(f'<line x1="{L}" y1="{T}" x2="{L}" y2="{H - B}" stroke="black"/>')
    for n, (label, color, dash, pts) in enumerate(series):
        d = " ".join(f"{px(i):.1f},{py(y):.1f}" for i, y in pts)
        da = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="2"{da}/>')
        for i, y in pts:
            out.append(f'<circle cx="{px(i):.1f}" cy="{py(y):.1f}" r="3" fill="{color}"/>')
        ly = T + 10 + n * 20
        out.append(f'<line x1="{W - R + 10}" y1="{ly}" x2="{W - R + 40}" y2="{ly}" stroke="{color}" stroke-width="2"{da}/>')
        out.append(f'<text x="{W - R + 45}" y="{ly + 4}" font-size="11">{label}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


# The headline rows (README "Performance"): (label, key in results.json or results-instr.json).
SUMMARY = [
    ("reader: status reply, instructions", "reader status/16k instr_per_reply"),
    ("reader: integer reply, instructions", "reader integer/16k instr_per_reply"),
    ("reader: 10 B bulk, instructions", "reader bulk10/16k instr_per_reply"),
    ("reader: array of 100 bulks, instructions", "reader array100/16k instr_per_reply"),
    ("reader: RESP3 map of 16 pairs, instructions", "reader map16/16k instr_per_reply"),
    ("reader, table of its own: status reply, instructions", "reader fn-status/16k instr_per_reply"),
    ("reader, table of its own: integer reply, instructions", "reader fn-integer/16k instr_per_reply"),
    ("reader, table of its own: 10 B bulk, instructions", "reader fn-bulk10/16k instr_per_reply"),
    ("reader, table of its own: array of 100 bulks, instructions", "reader fn-array100/16k instr_per_reply"),
    ("reader, table of its own: RESP3 map of 16 pairs, instructions", "reader fn-map16/16k instr_per_reply"),
    ("reader: status reply in 128 B chunks, instructions", "reader status/128 instr_per_reply"),
    ("reader: integer reply in 128 B chunks, instructions", "reader integer/128 instr_per_reply"),
    ("reader: 10 B bulk in 128 B chunks, instructions", "reader bulk10/128 instr_per_reply"),
    ("reader: array of 100 bulks in 128 B chunks, instructions", "reader array100/128 instr_per_reply"),
    ("reader: status reply, ns", "reader status/16k ns_per_reply"),
    ("reader: 1 KiB bulk, ns", "reader bulk1k/16k ns_per_reply"),
    ("reader: 100 KiB bulk, ns", "reader bulk100k/16k ns_per_reply"),
    ("reader: array of 100 bulks, ns", "reader array100/16k ns_per_reply"),
    ("reader: array of 100 bulks in 128 B chunks, ns", "reader array100/128 ns_per_reply"),
    ("format \"SET %s %b\", instructions", "format SET_%s_%b instr_per_call"),
    ("format \"INCRBY counter %d\", instructions", "format INCRBY_%d instr_per_call"),
    ("format argv (SET k v), instructions", "format argv_SET instr_per_call"),
    ("format \"SET %s %b\", ns", "format SET_%s_%b ns_per_call"),
    ("format argv (SET k v), ns", "format argv_SET ns_per_call"),
    ("sync SET round trip, commands/s", "sync set/roundtrip cmds_per_s"),
    ("sync SET pipeline of 1000, CPU ns/command", "sync set/pipe1000 cpu_ns_per_cmd"),
    ("async SET, 1 in flight, CPU ns/command", "async set/if1/c1 cpu_ns_per_cmd"),
    ("async SET, 50 connections x 1 in flight, CPU ns/command", "async set/if1/c50 cpu_ns_per_cmd"),
    ("async SET, 1 in flight, system calls/command", "async set/if1/c1 syscalls_per_cmd"),
    ("async SET, 16 in flight, system calls/command", "async set/if16/c1 syscalls_per_cmd"),
    ("async SET, 16 in flight, CPU ns/command", "async set/if16/c1 cpu_ns_per_cmd"),
    ("async SET, 1000 in flight, CPU ns/command", "async set/if1000/c1 cpu_ns_per_cmd"),
    ("async SET, 1000 in flight, commands/s", "async set/if1000/c1 cmds_per_s"),
    ("async GET, 1000 in flight, CPU ns/command", "async get/if1000/c1 cpu_ns_per_cmd"),
    ("async INCR, 1000 in flight, CPU ns/command", "async incr/if1000/c1 cpu_ns_per_cmd"),
    ("async LRANGE 0 99, 1000 in flight, CPU ns/command", "async lrange/if1000/c1 cpu_ns_per_cmd"),
    ("async SET, 10 connections x 1000 in flight, CPU ns/command", "async set/if1000/c10 cpu_ns_per_cmd"),
    ("async SET, all queued up front, CPU ns/command", "async set/ifall/c1 cpu_ns_per_cmd"),
    ("async SET, 1 in flight, client instructions/command", "async set/if1/c1 instr_per_cmd"),
    ("async SET, 1000 in flight, client instructions/command", "async set/if1000/c1 instr_per_cmd"),
    ("async GET, 1000 in flight, client instructions/command", "async get/if1000/c1 instr_per_cmd"),
    ("async LRANGE 0 99, 1000 in flight, client instructions/command", "async lrange/if1000/c1 instr_per_cmd"),
    ("async: memory per queued SET (1M queued), bytes", "async mem queued_bytes_per_cmd"),
] + [
    (f"async {lib} SET, {label}", f"async-{lib} set/{case} {metric}")
    for lib in ("libev", "libuv", "glib")
    for label, case, metric in (("1 in flight, system calls/command", "if1/c1", "syscalls_per_cmd"),
                                ("1 in flight, CPU ns/command", "if1/c1", "cpu_ns_per_cmd"),
                                ("50 connections x 1 in flight, CPU ns/command", "if1/c50", "cpu_ns_per_cmd"),
                                ("16 in flight, CPU ns/command", "if16/c1", "cpu_ns_per_cmd"))
] + [
    ("async: peak RSS with 1M SETs queued, MB", "async mem peak_rss_MB"),
] + [
    (f"cluster (against hiredis-cluster 0.14.0): {label}", f"cluster {case} {metric}")
    for case, what in (("set/if1000", "async SET, 1000 in flight"), ("get/if1000", "async GET, 1000 in flight"),
                       ("mget/pipe100", "pipelined MGET of 12 keys in 4 slots"))
    for label, metric in ((f"{what}, client instructions/command", "instr_per_cmd"),
                          (f"{what}, CPU ns/command", "cpu_ns_per_cmd"),
                          (f"{what}, allocations/command", "allocs_per_cmd"),
                          (f"{what}, commands/s", "cmds_per_s"))
]


def summary(paths):
    merged = {"ours": {}, "theirs": {}}
    runs = []
    for p in paths:
        with open(p) as f:
            d = json.load(f)
        runs.append(f"{d['mode']}: {d['runs']} run(s)")
        for v in merged:
            merged[v].update(d["results"][v])
    lines = ["| measurement | hiredis-rs | hiredis (system) | ours/hiredis | target |", "|---|---:|---:|---:|---|"]
    for label, key in SUMMARY:
        o = merged["ours"].get(key)
        t = merged["theirs"].get(key)
        o = statistics.median(o) if o else None
        t = statistics.median(t) if t else None
        ratio = o / t if o is not None and t else None
        note = target_note(key, ratio, "**missed**")
        lines.append(f"| {label} | {fmt(o)} | {fmt(t)} | {'n/a' if ratio is None else f'{ratio:.2f}'} | {note} |")
    print("Medians (" + "; ".join(runs) + ")\n")
    print("\n".join(lines))


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "summary":
        # bench.py summary results.json [results-instr.json]: the README headline table.
        summary(sys.argv[2:])
        return
    if len(sys.argv) == 4 and sys.argv[1] == "chart":
        # bench.py chart results.json out.svg: redraw the chart from a saved run.
        with open(sys.argv[2]) as f:
            svg_chart(json.load(f)["results"], sys.argv[3])
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["time", "instr"])
    ap.add_argument("--runs", type=int, default=None)
    ap.add_argument("--stage", default=os.path.join(TOP, "build", "stage"))
    ap.add_argument("--out", default=os.path.join(TOP, "build", "bench"))
    ap.add_argument("--system-include", default="/usr/include")
    ap.add_argument("--system-libdir", default="/usr/lib/x86_64-linux-gnu")
    ap.add_argument("--cc", default=os.environ.get("CC", "cc"))
    ap.add_argument("--progs", default=",".join(PROGS), help="comma-separated subset")
    ap.add_argument("--mem-commands", type=int, default=1000000)
    ap.add_argument("--timeout", type=int, default=180, help="seconds per program run")
    ap.add_argument("--no-strace", action="store_true", help="skip the system call counts")
    ap.add_argument("--cluster-ref", default=os.environ.get("BENCH_CLUSTER_REF") or None,
                    help="install prefix of hiredis-cluster 0.14.0 on hiredis 1.4.1 (the cluster reference)")
    args = ap.parse_args()
    global REFERENCE_VERSION
    REFERENCE_VERSION = reference_version(args.system_include)
    runs = args.runs or (5 if args.mode == "time" else 1)
    progs = [p for p in args.progs.split(",") if p]
    if args.mode == "instr":
        # Reader and formatter; async too (client instructions per command, ~40 s) when a
        # redis-server is at hand.
        progs = [p for p in progs if p in ("reader", "format", "async", "cluster")]
        for p in ("async", "cluster"):
            if p in progs and not shutil.which("redis-server"):
                log(f"bench: no redis-server, {p} instruction counts skipped")
                progs.remove(p)
    os.makedirs(args.out, exist_ok=True)
    bins = build(args, args.out, progs)
    results = {"ours": {}, "theirs": {}, "floor": {}}
    started = time.time()
    load0 = os.getloadavg()[0]

    def add(v, res):
        for k, val in res.items():
            results[v].setdefault(k, []).append(val)

    # SIGTERM/SIGHUP unwind like Ctrl-C, so the finally below stops our redis-server.
    def _stop(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGHUP, _stop)
    server = cluster = None
    try:
        single = [p for p in progs if p in ("sync", "floor") or p in ASYNC_LOOPS]
        if single or "cluster" in progs:
            if not shutil.which("redis-server"):
                sys.exit("bench: redis-server not found (apt-get install redis-server), or use --progs reader,format")
            if single:
                server = RedisServer()
        if "cluster" in progs:
            cluster = RedisCluster()
        for run in range(runs):
            order = ("ours", "theirs") if run % 2 == 0 else ("theirs", "ours")
            log(f"bench: run {run + 1}/{runs} ({' then '.join(order)}), {time.time() - started:.0f}s so far")
            for i, v in enumerate(order):
                if i == 1 and bins["floor"].get("floor"):
                    # Between the two libraries, so that all three see the same machine.
                    add("floor", run_prog(bins["floor"]["floor"], FLOOR_PHASES, server.env(), args.timeout))
                for p in progs:
                    path = bins[v].get(p)
                    if not path:
                        continue
                    if args.mode == "instr" and p == "async":
                        add(v, async_callgrind(path, args.out, server.env()))
                        continue
                    if p == "cluster":
                        add(v, cluster_callgrind(path, args.out, cluster.env()) if args.mode == "instr"
                            else run_prog(path, [], cluster.env(), args.timeout))
                        continue
                    if args.mode == "instr":
                        ann = os.path.join(args.out, "annotate") if v == "ours" and run == 0 else None
                        add(v, run_callgrind(path, args.out, f"{p}-{v}-{run}", ann))
                        continue
                    env = server.env() if server else dict(os.environ)
                    add(v, run_prog(path, [], env, args.timeout))
                    if p == "async":
                        add(v, run_prog(path, ["--mem", str(args.mem_commands)], env, args.timeout))
                    if p in ASYNC_LOOPS and run == 0 and not args.no_strace:
                        if shutil.which("strace"):
                            add(v, async_syscalls(path, p, env))
                        else:
                            log("bench: no strace (tests/deps.sh installs it): system calls not counted")
    finally:
        if server:
            server.stop()
        if cluster:
            cluster.stop()

    text = table(results)
    ft = floor_table(results)
    if ft:
        text += "\n\n" + ft
    load1 = os.getloadavg()[0]
    hdr = (f"{args.mode}: medians of {runs} run(s) per library, alternating; ours = "
           f"{os.path.relpath(args.stage, TOP)}, hiredis = the library in {args.system_libdir}"
           f"{f' (hiredis.h: {REFERENCE_VERSION})' if REFERENCE_VERSION else ''}"
           f"{'' if 'cluster' not in progs else f', cluster rows against hiredis-cluster in {args.cluster_ref}' if args.cluster_ref else ', cluster rows without a reference'}; "
           f"{time.time() - started:.0f}s on {os.cpu_count()} CPUs, load average {load0:.1f} at start, "
           f"{load1:.1f} at end")
    print(hdr)
    print(text)
    name = "results" if args.mode == "time" else "results-instr"
    with open(os.path.join(args.out, name + ".md"), "w") as f:
        f.write(hdr + "\n\n" + text + "\n")
    with open(os.path.join(args.out, name + ".json"), "w") as f:
        json.dump({"mode": args.mode, "runs": runs, "results": results}, f, indent=1, sort_keys=True)
    if args.mode == "time" and "async" in progs:
        svg = os.path.join(args.out, "async-throughput.svg")
        svg_chart(results, svg)
        log(f"bench: chart written to {svg}")


if __name__ == "__main__":
    main()
