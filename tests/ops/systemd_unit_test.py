#!/usr/bin/env python3
# The shipped systemd unit, used as systemd would: install the build into a
# scratch destdir (meson install), read the installed unit, start the
# installed binary with the unit's ExecStart (its -c pointed at a scratch
# config), run ExecReload, then send KillSignal and expect a lame-duck exit 0.
# Usage: systemd_unit_test.py <build dir>. Prints "ok" or the failure; exit 0/1.
import os, random, re, shlex, signal, socket, subprocess, sys, tempfile, time

build = sys.argv[1]
deadline = time.time() + 60


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def free_port():
    for _ in range(200):
        p = random.randint(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", p))
                return p
            except OSError:
                pass
    fail("no free port")


def wait_for(pred, what, limit=15):
    end = time.time() + limit
    while time.time() < end:
        if pred():
            return
        time.sleep(0.02)  # polling a file: there is nothing to round-trip on
    fail("timed out waiting for " + what)


with tempfile.TemporaryDirectory() as tmp:
    dest = os.path.join(tmp, "root")
    r = subprocess.run(["meson", "install", "-C", build, "--destdir", dest, "--no-rebuild", "--quiet"],
                       capture_output=True, text=True, timeout=120)
    if r.returncode != 0:
        fail("meson install: " + r.stdout + r.stderr)
    units = [os.path.join(d, f) for d, _, fs in os.walk(dest) for f in fs if f == "ringnats.service"]
    if len(units) != 1 or "/lib/systemd/system/" not in units[0]:
        fail("installed unit not found under lib/systemd/system: %r" % units)
    unit = open(units[0]).read()
    keys = dict(re.findall(r"^(\w+)=(.*)$", unit, re.M))
    for k, want in [("ExecReload", "/bin/kill -s HUP $MAINPID"), ("KillSignal", "SIGUSR2"),
                    ("Restart", "on-failure")]:
        if keys.get(k) != want:
            fail("%s=%r, want %r" % (k, keys.get(k), want))
    if not keys.get("LimitNOFILE", "").isdigit():
        fail("LimitNOFILE missing")
    argv = shlex.split(keys["ExecStart"])
    binary = dest + argv[0]
    if not os.access(binary, os.X_OK) or not argv[0].endswith("/bin/ringnats"):
        fail("ExecStart binary %s not installed in bin" % argv[0])
    if not os.access(os.path.join(os.path.dirname(binary), "nats"), os.X_OK):
        fail("the nats tool is not installed next to ringnats")

    port = free_port()
    conf = os.path.join(tmp, "ringnats.conf")
    log = os.path.join(tmp, "ringnats.log")
    with open(conf, "w") as f:
        f.write('listen: "127.0.0.1:%d"\nlog_file: "%s"\nlame_duck_duration: "30s"\n'
                'lame_duck_grace_period: "1s"\n' % (port, log))
    args = [binary] + [conf if a == "/etc/ringnats.conf" else a for a in argv[1:]]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: os.path.exists(log) and "Server is ready" in open(log).read(), "Server is ready")
        c = socket.create_connection(("127.0.0.1", port), timeout=10)
        c.settimeout(10)
        buf = b""
        c.sendall(b'CONNECT {"verbose":false,"protocol":1}\r\nPING\r\n')
        while b"PONG\r\n" not in buf:
            buf += c.recv(4096)

        with open(conf, "a") as f:
            f.write("debug: true\n")
        reload_cmd = keys["ExecReload"].replace("$MAINPID", str(proc.pid))
        subprocess.run(shlex.split(reload_cmd), check=True, timeout=10)
        wait_for(lambda: "Reloaded server configuration" in open(log).read(), "the reload")

        proc.send_signal(getattr(signal, keys["KillSignal"]))
        buf = b""
        while b'"ldm":true' not in buf:
            d = c.recv(4096)
            if not d:
                fail("closed before the lame-duck INFO")
            buf += d
        while c.recv(4096):
            pass  # the server closes us after the grace period
        rc = proc.wait(timeout=max(1, deadline - time.time()))
        if rc != 0:
            fail("exit code %d after KillSignal" % rc)
        text = open(log).read()
        for line in ["Entering lame duck mode, stop accepting new clients", "Closing existing clients",
                     "Server Exiting.."]:
            if line not in text:
                fail("log lacks %r" % line)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
print("ok")
