#!/usr/bin/env python3
"""Writes a synthetic pra event history (JSON lines) on stdout, deterministic.

Used by bench/report.sh (a year of 5-minute status samples, ~105 000 lines) and
scripts/report-screenshot.sh (the sample report of the README).

    report-history.py DAYS [END]   END: RFC 3339, default 2026-12-01T00:00:00Z
"""
import datetime as dt
import json
import random
import sys

days = int(sys.argv[1]) if len(sys.argv) > 1 else 30
end = dt.datetime.fromisoformat((sys.argv[2] if len(sys.argv) > 2 else "2026-12-01T00:00:00Z").replace("Z", "+00:00"))
start = end - dt.timedelta(days=days)
rnd = random.Random(20261201)
out = []


def ev(t, tool, kind, status, message, stanza=None, host="db1", **fields):
    e = {"schema": "pra.v1", "ts": t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z",
         "tool": tool, "host": host, "kind": kind, "status": status}
    if status == "error":
        e["error_class"] = fields.pop("error_class", "internal")
    if stanza:
        e["stanza"] = stanza
    e["message"] = message
    e.update(fields)
    out.append((t, json.dumps(e, separators=(",", ":"))))


# Status samples every 5 minutes (a few ms of jitter), two outages, one silent stretch.
t = start
outage = [(start + dt.timedelta(days=days * 0.4, hours=3), dt.timedelta(minutes=25)),
          (start + dt.timedelta(days=days * 0.75, hours=14), dt.timedelta(minutes=10))]
silence = (start + dt.timedelta(days=days * 0.6), dt.timedelta(hours=3))
while t < end:
    down = any(a <= t < a + d for a, d in outage)
    if not (silence[0] <= t < silence[0] + silence[1]):
        ts = t + dt.timedelta(milliseconds=rnd.randint(0, 900))
        if down:
            ev(ts, "pra-status", "status", "error", "CRITICAL: database", error_class="health",
               exit_code=2, state="CRITICAL", up=False, checks=6, failing=["database"])
        else:
            ev(ts, "pra-status", "status", "ok", "OK: 6 checks", exit_code=0, state="OK", up=True, checks=6)
    t += dt.timedelta(minutes=5)

# Hourly backups of "app" (one night missed), daily backups of "billing", growing.
for stanza, every, base, growth in (("app", dt.timedelta(hours=1), 800 << 20, 2 << 20),
                                     ("billing", dt.timedelta(days=1), 3 << 30, 30 << 20)):
    t = start + dt.timedelta(minutes=7)
    n = 0
    while t < end:
        missed = stanza == "app" and start + dt.timedelta(days=days * 0.5) <= t < start + dt.timedelta(days=days * 0.5, hours=6)
        day = (t - start).total_seconds() / 86400
        stored = int(base + growth * day + rnd.randint(0, 4 << 20))
        dur = stored / (60 << 20) + rnd.uniform(0, 5)
        bid = t.strftime("%Y%m%dT%H%M%SZ")
        if missed:
            ev(t, "pra-backup", "backup", "error", "cannot connect", stanza, error_class="connection")
        else:
            ev(t + dt.timedelta(seconds=dur), "pra-backup", "backup", "ok", f"backup {bid}", stanza,
               id=bid, stored_bytes=stored, raw_bytes=stored * 3, duration_s=round(dur, 3))
            if n % 24 == 0 or stanza == "billing":
                level = "restore" if n % 7 == 0 else "checksum"
                bad = stanza == "billing" and n == 11
                ev(t + dt.timedelta(minutes=30), "pra-verify", "verify", "error" if bad else "ok",
                   f"verify {bid}", stanza, id=bid, level=level,
                   **({"error_class": "corrupt", "problem": "dump.pgc.zst: sha256 mismatch"} if bad else {}))
        n += 1
        t += every

# A restore drill each week.
t = start + dt.timedelta(days=2, hours=10)
while t < end:
    rto = rnd.uniform(600, 1500)
    ev(t, "pra-restore", "restore", "ok", "restored", "app", backup_id="x", target="app_drill", rto_s=round(rto, 1))
    t += dt.timedelta(days=7)

out.sort(key=lambda x: x[0])
lines = [l for _, l in out]
lines.insert(len(lines) // 3, "pra-backup: warn: this log line was appended to the history by mistake")
sys.stdout.write("\n".join(lines) + "\n")
