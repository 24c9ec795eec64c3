# Helpers shared by tools/bench-compare and tools/bench-scenarios (stdlib
# only): free ports, starting and stopping a server under test, its CPU time
# (threads' schedstat, ns) and memory (/proc/PID/status), taskset pinning,
# running a load tool (bench/pubsub or natsload) and reading its --json
# report, medians and number formatting, and the machine/version lines the
# generated Markdown starts with.
import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLK_TCK = os.sysconf("SC_CLK_TCK")
SATURATED = 0.9  # load tool CPU / wall / CPUs it had, at or above which a figure is marked
SERVER_CPU, LOAD_CPU = 0, 1  # pinned placement: server on CPU 0, load on CPU 1
LAT_KEYS = ("p50", "p90", "p99", "p999", "max")


def first_existing(paths):
    for p in paths:
        if p and os.path.exists(p):
            return p
    return None


def default_ringnats():
    return first_existing([os.path.join(REPO, "build/release/ringnats"), os.path.join(REPO, "build/ringnats")])


def find_tool(ring, rel):
    """A bench binary (rel under bench/): next to the ringnats build, else in this checkout's builds."""
    cands = []
    if ring:
        cands.append(os.path.join(os.path.dirname(os.path.abspath(ring)), "bench", rel))
    cands += [os.path.join(REPO, "build/release/bench", rel), os.path.join(REPO, "build/bench", rel)]
    return first_existing(cands)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pinned(cmd, cpu):
    """cmd under `taskset -c cpu`, or cmd itself when cpu is None (unpinned)."""
    return cmd if cpu is None else ["taskset", "-c", str(cpu)] + cmd


def can_pin():
    """Pinned placement needs two CPUs this process may use, and taskset."""
    return len(os.sched_getaffinity(0)) >= 2 and shutil.which("taskset") is not None


def cpu_ns(pid):
    """The process's CPU time in ns: the sum of its threads' on-CPU time
    (/proc/PID/task/*/schedstat, ns resolution; the 10 ms ticks of
    /proc/PID/stat are too coarse for a run of a fraction of a second). The
    servers' threads live as long as they do, so none is lost between two
    readings. Falls back to utime+stime ticks without schedstat."""
    total, seen = 0, False
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[0])
                    seen = True
            except (OSError, ValueError, IndexError):
                pass
    except OSError:
        pass
    if seen:
        return total
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1_000_000_000 // CLK_TCK  # utime + stime


def status_field(pid, field):
    """An integer field of /proc/PID/status (VmRSS, VmHWM in KiB; Threads), 0 if absent."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def vm_hwm_kib(pid):
    return status_field(pid, "VmHWM")


def vm_rss_kib(pid):
    return status_field(pid, "VmRSS")


class Server:
    """A server under test on 127.0.0.1 and a free port, started fresh with
    `-a 127.0.0.1 -p PORT` (the same flags for both servers), optionally
    pinned to one CPU; its output goes to /tmp/PROG-NAME-PORT.log."""

    def __init__(self, name, binary, cpu=None, prog="bench", extra_args=()):
        self.name, self.binary, self.cpu = name, binary, cpu
        self.port = free_port()
        cmd = pinned([binary, "-a", "127.0.0.1", "-p", str(self.port), *extra_args], cpu)
        self.log = open(f"/tmp/{prog}-{name}-{self.port}.log", "w")
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while True:
            if self.proc.poll() is not None:
                print(f"{prog}: {name} exited at start, see {self.log.name}", file=sys.stderr)
                raise RuntimeError(f"{name} exited at start")
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                if time.time() > deadline:
                    self.stop()
                    raise RuntimeError(f"{name} did not accept on port {self.port}")
                time.sleep(0.02)

    @property
    def url(self):
        return f"nats://127.0.0.1:{self.port}"

    @property
    def pid(self):
        return self.proc.pid

    def cpu_ns(self):
        return cpu_ns(self.proc.pid)

    def rss_kib(self):
        return vm_rss_kib(self.proc.pid)

    def hwm_kib(self):
        return vm_hwm_kib(self.proc.pid)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def scrubber(paths):
    """A function that replaces each of paths by its base name: error text in
    generated files names programs, not paths on this machine."""
    paths = [p for p in paths if p]

    def scrub(text):
        for p in paths:
            text = text.replace(p, os.path.basename(p))
        return text
    return scrub


def parse_report(tool, returncode, stdout, stderr, scrub=lambda t: t):
    """A load tool's --json report (bench/pubsub and natsload print the same
    one). Raises RuntimeError with the tool's stderr when there is none; a
    report with failed clients gets a run_error."""
    try:
        res = json.loads(stdout)
    except json.JSONDecodeError:
        raise RuntimeError(f"{tool} failed (rc {returncode}): {scrub(stderr.strip()[:300])}")
    if res.get("failed_clients"):
        res["run_error"] = f"{res['failed_clients']} client(s) failed: {scrub(res.get('error', ''))}"
    return res


def add_load_cpu(res, ru0, ru1, wall, cpus):
    """load_cpu_ns and load_util from the tool's own load_cpu (its measured
    window), or else its whole process from getrusage(RUSAGE_CHILDREN)."""
    lc = res.get("load_cpu")
    if not lc:
        cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
        lc = {"user_secs": cpu, "sys_secs": 0, "wall_secs": wall, "cpus": cpus, "util": cpu / wall / cpus}
    res["load_cpu_ns"] = (lc["user_secs"] + lc["sys_secs"]) * 1e9
    res["load_util"] = lc["util"]
    return res


def run_load(tool, cmd, server, cpu=None, timeout=120, scrub=lambda t: t, sample=None):
    """Runs one load tool command (pinned to cpu unless None) against a
    running Server and returns its parsed report plus server_cpu_ns (the
    server's CPU over the whole run), load_cpu_ns and load_util. sample, if
    given, is called with the tool's Popen about every 50 ms while it runs."""
    cmd = pinned(cmd, cpu)
    before = server.cpu_ns()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    # Output to files, not pipes: while sampling nobody reads, and a report
    # larger than a pipe (1,000 subscribers' JSON) would block the tool.
    with tempfile.TemporaryFile("w+") as fout, tempfile.TemporaryFile("w+") as ferr:
        p = subprocess.Popen(cmd, stdout=fout, stderr=ferr, text=True)
        try:
            if sample:
                while p.poll() is None and time.monotonic() - t0 < timeout:
                    sample(p)
                    time.sleep(0.05)
            p.wait(timeout=max(0.1, timeout - (time.monotonic() - t0)))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise RuntimeError(f"{tool} did not finish within {timeout} s")
        fout.seek(0)
        ferr.seek(0)
        out, err = fout.read(), ferr.read()
    wall = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    after = server.cpu_ns()
    res = parse_report(tool, p.returncode, out, err, scrub)
    res["server_cpu_ns"] = float(after - before)
    res["wall_secs"] = wall
    return add_load_cpu(res, ru0, ru1, wall, 1 if cpu is not None else len(os.sched_getaffinity(0)))


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def fmt_rate(v):
    if v is None:
        return "fail"
    if v >= 1e6:
        return f"{v / 1e6:.2f}M"
    if v >= 1e3:
        return f"{v / 1e3:.1f}k"
    return f"{v:.0f}"


def fmt_num(v, nd=0):
    return "–" if v is None else f"{v:.{nd}f}"


def div(a, b):
    return a / b if a is not None and b else None


def version_of(binary):
    """First line of `binary --version`, e.g. 'nats-server v2.9.10' (never a path)."""
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=5)
        line = (out.stdout or out.stderr).strip().splitlines()[0]
        return line.replace(": ", " ", 1)
    except Exception:  # noqa: BLE001 - any failure just means "unknown"
        return f"{os.path.basename(binary)} (version unknown)"


def git_commit():
    try:
        out = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty", "--abbrev=10"],
                             capture_output=True, text=True, timeout=5)
        return out.stdout.strip() or None
    except Exception:  # noqa: BLE001
        return None


def machine():
    """(CPU model, logical CPU count) from /proc/cpuinfo."""
    model, cpus = "unknown", 0
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and model == "unknown":
                    model = line.split(":", 1)[1].strip()
                if line.startswith("processor"):
                    cpus += 1
    except OSError:
        pass
    return model, cpus


def machine_line():
    model, cpus = machine()
    return f"{model}, {cpus} CPUs ({platform.machine()}), kernel {platform.release()}"


def machine_json():
    model, cpus = machine()
    return {"cpu": model, "cpus": cpus, "arch": platform.machine(), "kernel": platform.release()}
