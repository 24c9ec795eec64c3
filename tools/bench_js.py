# The JetStream part of tools/bench-compare (`tools/bench-compare --js`):
# ringnats -js and stock nats-server -js side by side, each rep on a freshly
# started server with an empty store directory, server pinned to CPU 0 and
# the load on CPU 1, with two load tools: bench/natsload/jsload (libnats'
# JetStream API, as an application uses it) and bench/pubsub's jspub/jsfetch
# modes (our io_uring client on the plain protocol). Per size, storage and
# tool, three phases measured separately:
#
#   pub    N publishes with acks, a window outstanding (js_PublishAsync;
#          pubsub --window 256): acked/s, server CPU ns per acked publish,
#          bytes the server wrote to disk per message (/proc/PID/io
#          write_bytes; fsyncs of both are periodic)
#   lat    publishes one at a time (js_Publish; pubsub --window 1):
#          p50/p99/p99.9 publish-ack µs
#   fetch  a pull consumer fetching batches of 256 and acking each message:
#          consumed/s, server CPU ns per consumed message
#
# Medians over --reps. Writes bench/JETSTREAM.md and bench/JETSTREAM.json.
#
#   tools/bench-compare --js [--reps 3] [--msgs 200000] [--sizes 128,1024] [--storage file,memory] [--tools jsload,pubsub]
import argparse
import datetime
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as bl  # noqa: E402


def write_bytes(pid):
    try:
        with open(f"/proc/{pid}/io") as f:
            for line in f:
                if line.startswith("write_bytes:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def run_phase(jsload, server, phase, args):
    cmd = [jsload, "--server", server.url, "--phase", phase, *args]
    w0 = write_bytes(server.pid)
    res = bl.run_load("jsload", cmd, server, cpu=bl.LOAD_CPU if bl.can_pin() else None, timeout=300)
    w1 = write_bytes(server.pid)
    res["disk_bytes"] = (w1 - w0) if w0 is not None and w1 is not None else None
    return res


def run_pubsub(pubsub, server, mode, args):
    """pubsub's JetStream mode as a phase result shaped like jsload's."""
    cmd = [pubsub, mode, "--server", server.url, "--json", "--no-progress", *args]
    w0 = write_bytes(server.pid)
    res = bl.run_load("pubsub", cmd, server, cpu=bl.LOAD_CPU if bl.can_pin() else None, timeout=300)
    w1 = write_bytes(server.pid)
    res["disk_bytes"] = (w1 - w0) if w0 is not None and w1 is not None else None
    n = res["pub"]["msgs"]
    lat = res.get("latency_ns", {})
    key = "acked" if mode == "jspub" else "consumed"
    res[key] = n
    res[key + "_per_sec"] = res["pub"]["msgs_per_sec"]
    for q, k in (("p50", "lat_p50_us"), ("p99", "lat_p99_us"), ("p999", "lat_p999_us")):
        res[k] = lat[q] / 1000 if lat.get("count") else None
    res["msgs"] = n
    res["failed"] = res.get("failed_clients", 0)
    return res


def one_rep(name, binary, tool, loader, size, storage, msgs, latency):
    store = tempfile.mkdtemp(prefix=f"bench-js-{name}-")
    cpu = bl.SERVER_CPU if bl.can_pin() else None
    try:
        with bl.Server(name, binary, cpu=cpu, prog="bench-compare", extra_args=["-js", "-sd", store]) as srv:
            if tool == "jsload":
                common = ["--size", str(size), "--storage", storage]
                pub = run_phase(loader, srv, "pub", common + ["--msgs", str(msgs), "--latency", "0"])
                lat = run_phase(loader, srv, "lat", common + ["--latency", str(latency)])
                fetch = run_phase(loader, srv, "fetch", common + ["--batch", "256"])
            else:
                common = ["--size", str(size), "--storage", storage, "--subject", "bench.js", "-q"]
                pub = run_pubsub(loader, srv, "jspub", common + ["-n", str(msgs), "--window", "256"])
                lat = run_pubsub(loader, srv, "jspub", common + ["-n", str(latency), "--window", "1",
                                                                 "--stream", "LAT", "--subject", "bench.lat"])
                fetch = run_pubsub(loader, srv, "jsfetch", ["-n", str(msgs), "--fetch-batch", "256", "-q"])
            total = pub.get("msgs") or msgs
            consumed = fetch.get("consumed") or 0
            return {
                "acked_per_sec": pub.get("acked_per_sec"),
                "pub_cpu_ns_per_msg": bl.div(pub["server_cpu_ns"], total),
                "disk_bytes_per_msg": bl.div(pub["disk_bytes"], total) if pub["disk_bytes"] is not None else None,
                "lat_p50_us": lat.get("lat_p50_us"),
                "lat_p99_us": lat.get("lat_p99_us"),
                "lat_p999_us": lat.get("lat_p999_us"),
                "consumed_per_sec": fetch.get("consumed_per_sec"),
                "fetch_cpu_ns_per_msg": bl.div(fetch["server_cpu_ns"], consumed),
                "failed": pub.get("failed", 0),
                "hwm_kib": srv.hwm_kib(),
            }
    finally:
        shutil.rmtree(store, ignore_errors=True)


KEYS = ["acked_per_sec", "pub_cpu_ns_per_msg", "disk_bytes_per_msg", "lat_p50_us", "lat_p99_us", "lat_p999_us",
        "consumed_per_sec", "fetch_cpu_ns_per_msg", "hwm_kib"]


def main(argv):
    ap = argparse.ArgumentParser(prog="bench-compare --js",
                                 description="JetStream side by side: ringnats -js and stock nats-server -js")
    ap.add_argument("--ringnats", default=bl.default_ringnats())
    ap.add_argument("--nats-server", default=shutil.which("nats-server") or "/usr/sbin/nats-server")
    ap.add_argument("--jsload")
    ap.add_argument("--pubsub")
    ap.add_argument("--tools", default="jsload,pubsub")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--msgs", type=int, default=200000)
    ap.add_argument("--latency", type=int, default=5000)
    ap.add_argument("--sizes", default="128,1024")
    ap.add_argument("--storage", default="file,memory")
    ap.add_argument("--out", default=os.path.join(bl.REPO, "bench/JETSTREAM.md"))
    a = ap.parse_args(argv)
    loaders = {"jsload": a.jsload or bl.find_tool(a.ringnats, "natsload/jsload"),
               "pubsub": a.pubsub or bl.find_tool(a.ringnats, "pubsub")}
    tools = a.tools.split(",")
    for t in tools:
        if not loaders.get(t):
            sys.exit(f"bench-compare --js: {t} not built (ninja -C build/release)")
    servers = [("ringnats", a.ringnats), ("nats-server", a.nats_server)]
    cells = []
    for tool in tools:
        for storage in a.storage.split(","):
            for size in [int(x) for x in a.sizes.split(",")]:
                cell = {"tool": tool, "storage": storage, "size": size, "servers": {}}
                for name, binary in servers:
                    reps = []
                    for r in range(a.reps):
                        print(f"[{tool} {storage} {size} B] {name} rep {r + 1}/{a.reps} ...", file=sys.stderr,
                              flush=True)
                        reps.append(one_rep(name, binary, tool, loaders[tool], size, storage, a.msgs, a.latency))
                    cell["servers"][name] = {k: bl.med([x.get(k) for x in reps]) for k in KEYS}
                    cell["servers"][name]["failed"] = max(x.get("failed", 0) or 0 for x in reps)
                cells.append(cell)
    now = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    lines = [
        "# JetStream: ringnats vs nats-server",
        "",
        f"Generated by `tools/bench-compare --js --reps {a.reps} --msgs {a.msgs} --tools {a.tools}` on {now}.",
        "",
        f"- Machine: {bl.machine_line()}",
        f"- Servers: ringnats {bl.version_of(a.ringnats)} (commit {bl.git_commit()}), nats-server "
        f"{bl.version_of(a.nats_server)}; each rep a fresh server with `-js -sd <empty dir>`, pinned to CPU 0, "
        "the load on CPU 1.",
        "- Load tools: `jsload` (bench/natsload/jsload) on libnats' JetStream API: `pub` = js_PublishAsync with "
        f"acks ({a.msgs} messages, libnats' default window), `lat` = {a.latency} synchronous js_Publish calls, "
        "`fetch` = a pull consumer fetching batches of 256 and acking each message. `pubsub` (bench/pubsub, "
        "our io_uring client on the plain protocol): `jspub --window 256`, `jspub --window 1` for latency, "
        "`jsfetch --fetch-batch 256`.",
        "- Server CPU per message: the server's threads' on-CPU time over the phase / messages. Disk: the "
        "server's write_bytes over the pub phase / messages (both servers fsync on a timer, not per message).",
        f"- Medians of {a.reps}.",
        "",
        "| tool | storage | size | server | acked msgs/s | CPU ns / acked pub | disk B / msg | ack p50 µs | ack p99 µs | "
        "ack p99.9 µs | consumed msgs/s | CPU ns / consumed | RSS MiB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for c in cells:
        for name, _ in servers:
            v = c["servers"][name]
            lines.append(
                f"| {c['tool']} | {c['storage']} | {c['size']} B | {name} | {bl.fmt_rate(v['acked_per_sec'])} | "
                f"{bl.fmt_num(v['pub_cpu_ns_per_msg'])} | {bl.fmt_num(v['disk_bytes_per_msg'])} | "
                f"{bl.fmt_num(v['lat_p50_us'], 1)} | {bl.fmt_num(v['lat_p99_us'], 1)} | "
                f"{bl.fmt_num(v['lat_p999_us'], 1)} | {bl.fmt_rate(v['consumed_per_sec'])} | "
                f"{bl.fmt_num(v['fetch_cpu_ns_per_msg'])} | {bl.fmt_num((v['hwm_kib'] or 0) / 1024, 1)} |")
    lines += ["", "## Ratios (ringnats / nats-server)", "",
              "| tool | storage | size | acked msgs/s | CPU / acked pub | ack p99 | consumed msgs/s | CPU / consumed |",
              "|---|---|---|---|---|---|---|---|"]
    for c in cells:
        r, n = c["servers"]["ringnats"], c["servers"]["nats-server"]
        def ratio(k):
            return bl.fmt_num(bl.div(r[k], n[k]), 2) if r[k] and n[k] else "-"
        lines.append(f"| {c['tool']} | {c['storage']} | {c['size']} B | {ratio('acked_per_sec')} | **{ratio('pub_cpu_ns_per_msg')}** | "
                     f"{ratio('lat_p99_us')} | {ratio('consumed_per_sec')} | {ratio('fetch_cpu_ns_per_msg')} |")
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.splitext(a.out)[0] + ".json", "w") as f:
        json.dump({"generated": now, "machine": bl.machine_json(), "cells": cells}, f, indent=1)
    print(f"wrote {a.out}", file=sys.stderr)

