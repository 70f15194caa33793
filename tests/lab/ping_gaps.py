#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Reads `ping -D -i INTERVAL` output on stdin and prints one JSON object: received (replies),
outage_ms (the longest time between two replies, less one interval: 0 when none was missed) and
last_seq. Exits 1 when no reply came at all.

usage: ping ... -D -i 0.01 HOST | ping_gaps.py INTERVAL_S"""
import json
import re
import sys


def main():
    interval = float(sys.argv[1])
    stamps = []
    seqs = []
    for line in sys.stdin:
        m = re.match(r"\[(\d+\.\d+)\] \d+ bytes from .* icmp_seq=(\d+)", line)
        if m:
            stamps.append(float(m.group(1)))
            seqs.append(int(m.group(2)))
    if not stamps:
        print(json.dumps({"received": 0, "outage_ms": None, "last_seq": None}))
        return 1
    gap = max((b - a for a, b in zip(stamps, stamps[1:])), default=interval)
    print(json.dumps({"received": len(stamps),
                      "outage_ms": max(0, round((gap - interval) * 1000)),
                      "last_seq": seqs[-1]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
