#!/usr/bin/env python3
"""Native<->native calls through a real shim (release builds): accept->CONNECTED, and the
tunnel's CPU (utime+stime from /proc, % of one core) and RSS during a 20 s call with a looped
440 Hz WAV played and the peer's audio recorded on both sides. A measurement, not a test:
docs/DEVELOPING.md ("Measured") records its results.

    cargo build --release -p sotto-shim -p sotto-cli -p sotto-call-tunnel
    python3 docs/measure-tunnel.py target/release [calls]
"""
import json, math, os, socket, struct, subprocess, sys, tempfile, time, wave

BIN = sys.argv[1]  # target/release
CALLS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
tmp = tempfile.mkdtemp()

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p

port = free_port()
os.makedirs(f"{tmp}/dist"); open(f"{tmp}/dist/index.html", "w").write("<title>x</title>")
shim = subprocess.Popen([f"{BIN}/sotto-shim", "--listen", f"127.0.0.1:{port}", "--data-dir", f"{tmp}/shim",
                         "--dist-dir", f"{tmp}/dist"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
time.sleep(1)
origin = f"http://127.0.0.1:{port}"

class Rpc:
    def __init__(self, name):
        d = f"{tmp}/{name}"
        subprocess.run([f"{BIN}/sotto-cli", "--data-dir", d, "init", "--name", name, "--relay", origin], check=True,
                       stdout=subprocess.DEVNULL)
        env = dict(os.environ, SOTTO_CALL_TUNNEL_BIN=f"{BIN}/sotto-call-tunnel", RUST_LOG="warn,sotto_cli=info")
        self.p = subprocess.Popen([f"{BIN}/sotto-cli", "--data-dir", d, "daemon", "--tcp", "127.0.0.1:0",
                                   "--socket", f"{d}/rpc.sock"], env=env, stderr=subprocess.PIPE, text=True)
        for line in self.p.stderr:
            if line.startswith("listening on tcp "):
                addr = line.split()[-1]; break
        host, p = addr.rsplit(":", 1)
        self.s = socket.create_connection((host, int(p))); self.f = self.s.makefile("r"); self.n = 0; self.events = []
    def call(self, method, params=None):
        self.n += 1
        self.s.sendall((json.dumps({"jsonrpc": "2.0", "id": self.n, "method": method, "params": params or {}}) + "\n").encode())
        while True:
            m = json.loads(self.f.readline())
            if m.get("method") == "callEvent": self.events.append(m["params"]["result"]); continue
            assert "error" not in m, m
            return m["result"]
    def state(self, want):
        while True:
            e = self.events.pop(0) if self.events else json.loads(self.f.readline())["params"]["result"]
            if e["state"] == want: return e

a, b = Rpc("Ada"), Rpc("Bob")
link = a.call("createInvite")["link"]; b.call("acceptInvite", {"link": link})
while not any(c["ready"] for c in a.call("listContacts")) or not any(c["ready"] for c in b.call("listContacts")):
    time.sleep(0.1)
a.call("subscribeCallEvents"); b.call("subscribeCallEvents")
with wave.open(f"{tmp}/tone.wav", "wb") as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(48000)
    w.writeframes(b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / 48000))) for i in range(48000)))

def stat(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return int(f[11]) + int(f[12])
def status(pid, key):
    for l in open(f"/proc/{pid}/status"):
        if l.startswith(key): return int(l.split()[1])

for n in range(CALLS):
    cid = a.call("startCall", {"recipient": "Bob"})["callId"]
    b.state("RINGING_INCOMING")
    t0 = time.monotonic(); b.call("acceptCall", {"callId": cid})
    b.state("CONNECTED"); a.state("CONNECTED")
    print(f"call {n + 1}: acceptCall -> CONNECTED on both sides: {(time.monotonic() - t0) * 1000:.0f} ms", flush=True)
    if n == CALLS - 1:
        for r, who in ((a, "a"), (b, "b")):
            r.call("playAudio", {"callId": cid, "path": f"{tmp}/tone.wav", "loop": True})
            r.call("recordAudio", {"callId": cid, "path": f"{tmp}/{who}.wav"})
        tunnel = int(subprocess.check_output(["pgrep", "-P", str(b.p.pid)]).split()[0])
        time.sleep(2); c0, w0 = stat(tunnel), time.monotonic()
        time.sleep(20); c1, w1 = stat(tunnel), time.monotonic()
        tck = os.sysconf("SC_CLK_TCK")
        print(f"tunnel {tunnel}: CPU {(c1 - c0) / tck / (w1 - w0) * 100:.1f} % of one core over {w1 - w0:.0f} s; "
              f"RSS {status(tunnel, 'VmRSS:') / 1024:.1f} MiB, peak {status(tunnel, 'VmHWM:') / 1024:.1f} MiB", flush=True)
        print("counters:", json.dumps(b.call("listCalls")[0].get("counters")))
    a.call("hangupCall", {"callId": cid}); a.state("ENDED"); b.state("ENDED")
    time.sleep(0.5)
for p in (a.p, b.p, shim): p.terminate()
