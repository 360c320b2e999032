#!/usr/bin/env python3
"""Writes sample.jsonl: a small, deterministic results file that exercises every reporter
cell kind (ok, n/a, error, partial failure, outlier). Re-run only to change the sample;
then refresh the expected outputs with LAMBENCH_UPDATE_EXPECTED=1."""
import json

header = {
    "schema": "lambench.results/1", "type": "header",
    "machine": {"host": "testhost", "kernel": "Linux 6.1.0", "cpu_model": "Test CPU @ 2.0GHz",
                "cores": 2, "cgroup_mode": "v1", "init_cpu": "full", "build_type": "release",
                "lambench_version": "0.1.0", "git_sha": "abc1234"},
    "suite": "sample", "target": "local", "start_time": "2026-11-27T18:00:00Z",
    "memory": [128, 256], "cold": 3, "warm": 5, "concurrency": 1,
    "variants": [],
}
variants = [
    ("hello", "shared", "hello (no database)"), ("hello", "static", "hello (no database)"),
    ("hello", "bundled", "hello (no database)"),
    ("items-libpq", "shared", "libpq"), ("items-libpq", "static", "libpq"),
]
for f, p, lib in variants:
    header["variants"].append({"function": f, "profile": p, "library": lib,
                               "runtime": "provided.al2023", "architecture": "x86_64"})
lines = [header]

def sample(f, p, lib, mem, phase, i, dur, init=None, used=20, ok=True, etype=None, emsg=None):
    billed = -(-dur // 1) if ok else None
    if phase == "cold" and ok:
        billed = -(-dur // 1) + -(-init // 1)
    s = {"type": "sample", "function": f, "profile": p, "library": lib, "runtime": "provided.al2023",
         "architecture": "x86_64", "memory_mb": mem, "phase": phase, "index": i, "ok": ok,
         "duration_ms": dur if ok else None, "billed_ms": billed, "init_ms": init,
         "max_memory_mb": used if ok else None, "memory_size_mb": mem,
         "round_trip_ms": (dur + 0.5) if ok else 3.0}
    if not ok:
        s["error_type"] = etype
        s["error_message"] = emsg
    return s

# hello/shared: init shrinks with memory (CPU share), warm ~1.2 ms.
base = {"shared": (40.0, 1.20, 12), "static": (12.0, 0.80, 6)}
for p, (init, warm, used) in base.items():
    for mem in (128, 256):
        k = 128 / mem
        for i in range(3):
            lines.append(sample("hello", p, "hello (no database)", mem, "cold", i,
                                round(2.0 * k + 0.1 * i, 2), init=round(init * k + i, 2), used=used))
        for i in range(5):
            d = round(warm * k + 0.02 * i, 3)
            if p == "shared" and mem == 128 and i == 4:
                d = 9.5  # an outlier
            lines.append(sample("hello", p, "hello (no database)", mem, "warm", i, d, used=used))
lines.append({"type": "skipped", "function": "hello", "profile": "bundled",
              "library": "hello (no database)", "runtime": "provided.al2023",
              "architecture": "x86_64", "reason": "bundled profile not built on this machine"})
# items-libpq/shared: ok, with one failed warm sample at 256 MB.
for mem in (128, 256):
    k = 128 / mem
    for i in range(3):
        lines.append(sample("items-libpq", "shared", "libpq", mem, "cold", i,
                            round(30.0 * k + i, 2), init=round(60.0 * k + 2 * i, 2), used=28))
    for i in range(5):
        if mem == 256 and i == 2:
            lines.append(sample("items-libpq", "shared", "libpq", mem, "warm", i, 0, ok=False,
                                etype="Sandbox.Timedout",
                                emsg="RequestId: x Error: Task timed out after 3.00 seconds"))
        else:
            lines.append(sample("items-libpq", "shared", "libpq", mem, "warm", i,
                                round(3.0 * k + 0.1 * i, 3), used=28))
# items-libpq/static: init error everywhere (abandoned after 3 failures).
for mem in (128, 256):
    for phase in ("cold", "warm"):
        for i in range(3):
            s = sample("items-libpq", "static", "libpq", mem, phase, i, 0, ok=False,
                       etype="Runtime.ExitError",
                       emsg="RequestId: y Error: Runtime exited with error: exit status 1")
            if i == 2:
                s["abandoned"] = True
            lines.append(s)

with open("sample.jsonl", "w") as out:
    for l in lines:
        out.write(json.dumps(l, separators=(",", ":")) + "\n")
