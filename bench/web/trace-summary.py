#!/usr/bin/env python3
"""Where a page load's main-thread time goes, from a trace `run.mjs --trace DIR` wrote.

    python3 bench/web/trace-summary.py TRACE.json [--min-ms 2]

Prints, in ms since navigation start: requests (sent, finished), the main thread's tasks longer
than --min-ms with the events that take most of each, and the meshmap:complete mark.
"""
import json
import sys
from collections import defaultdict

path = sys.argv[1]
min_ms = float(sys.argv[sys.argv.index("--min-ms") + 1]) if "--min-ms" in sys.argv else 2.0
data = json.load(open(path))
events = data["traceEvents"] if isinstance(data, dict) else data

main = None
for e in events:
    if e.get("name") == "thread_name" and e["args"].get("name") == "CrRendererMain":
        # The page's renderer: the one that ran the navigation's HTML.
        pid, tid = e["pid"], e["tid"]
        if any(x.get("pid") == pid and x.get("name") == "ParseHTML" for x in events):
            main = (pid, tid)
if not main:
    sys.exit("no renderer main thread with ParseHTML in this trace")
start = min((e["ts"] for e in events if e.get("name") == "navigationStart" and e.get("pid") == main[0]), default=None)
if start is None:
    start = min(e["ts"] for e in events if e.get("pid") == main[0] and e.get("ts"))
ms = lambda ts: (ts - start) / 1000

rows = []
for e in events:
    name = e.get("name")
    if name == "ResourceSendRequest":
        d = e["args"]["data"]
        rows.append((ms(e["ts"]), f"request  {d.get('url', '')[-60:]}"))
    elif name == "ResourceFinish":
        rows.append((ms(e["ts"]), f"finished {e['args']['data'].get('requestId', '')}"))
    elif name in ("meshmap:complete", "navigationStart") and e.get("pid") == main[0]:
        rows.append((ms(e["ts"]), f"mark     {name}"))

# Top-level tasks on the main thread and what each spends its time in.
thread = sorted((e for e in events if (e.get("pid"), e.get("tid")) == main and e.get("ph") == "X" and "dur" in e), key=lambda e: (e["ts"], -e["dur"]))
tasks = [e for e in thread if e["name"] == "RunTask"]
busy = 0.0
for task in tasks:
    dur = task["dur"] / 1000
    if ms(task["ts"]) < 0:
        continue
    busy += dur
    if dur < min_ms:
        continue
    inside = defaultdict(float)
    end = task["ts"] + task["dur"]
    for e in thread:
        if task["ts"] <= e["ts"] < end and e is not task and e["name"] != "RunTask":
            label = e["name"]
            data = e.get("args", {}).get("data", {}) or {}
            if label in ("FunctionCall", "EvaluateScript", "v8.compile", "TimerFire", "EventDispatch", "FireAnimationFrame"):
                label += f"({(data.get('functionName') or data.get('url') or data.get('type') or '')[-40:]})"
            inside[label] = max(inside[label], e["dur"] / 1000) if label.startswith(("FunctionCall", "EvaluateScript")) else inside[label] + e["dur"] / 1000
    top = ", ".join(f"{k} {v:.1f}" for k, v in sorted(inside.items(), key=lambda kv: -kv[1])[:5])
    rows.append((ms(task["ts"]), f"task {dur:6.1f} ms: {top}"))

for t, text in sorted(rows):
    print(f"{t:8.1f}  {text}")
print(f"main thread busy {busy:.0f} ms in tasks since navigation")

# `--functions FROM TO`: self time by function (CPU profile samples) between two times (ms).
if "--functions" in sys.argv:
    i = sys.argv.index("--functions")
    lo, hi = float(sys.argv[i + 1]), float(sys.argv[i + 2])
    nodes, samples = {}, []
    for e in events:
        if e.get("name") == "ProfileChunk" and e.get("pid") == main[0]:
            chunk = e["args"]["data"].get("cpuProfile", {})
            for node in chunk.get("nodes", []):
                nodes[node["id"]] = node["callFrame"].get("functionName") or node["callFrame"].get("url", "")[-30:] or "(anonymous)"
            deltas = e["args"]["data"].get("timeDeltas", [])
            samples.append((e, chunk.get("samples", []), deltas))
    starts = [e["args"]["data"]["startTime"] for e in events if e.get("name") == "Profile" and e.get("pid") == main[0]]
    t = starts[0] if starts else start
    self_time = defaultdict(float)
    flat = []
    for _, ids, deltas in samples:
        for node, delta in zip(ids, deltas):
            t += delta
            flat.append((t, node))
    for (t0, node), (t1, _) in zip(flat, flat[1:]):
        if lo <= ms(t0) < hi:
            self_time[nodes.get(node, "?")] += (t1 - t0) / 1000
    total = sum(self_time.values())
    print(f"self time {lo:.0f}-{hi:.0f} ms: {total:.1f} ms sampled")
    for name, v in sorted(self_time.items(), key=lambda kv: -kv[1])[:40]:
        print(f"  {v:6.1f}  {name[:110]}")
