#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Reads a Prometheus exposition (hnvgwd's /metrics) with the real parser, prometheus_client's.

usage: prom.py parse FILE                     every line must parse; prints families and samples
       prom.py has FILE NAME [LABEL=VALUE...]  a sample NAME with those labels exists
       prom.py value FILE NAME [LABEL=VALUE...] prints the sum of the samples NAME with those labels
       prom.py stats FILE STATS_JSON          every counter and drop reason of `hnvgwctl --json
                                              show stats all=yes` is a family or a drops sample
A missing sample, a parse error or a missing family exits 1 with the reason.
"""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def families(path):
    with open(path, encoding="utf-8") as f:
        text = f.read()
    # The parser is lazy: a list makes it read (and judge) every line.
    return list(text_string_to_metric_families(text))


def matching(fams, name, want):
    return [s for f in fams for s in f.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in want.items())]


def labels(args):
    out = {}
    for a in args:
        k, _, v = a.partition("=")
        out[k] = v
    return out


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    try:
        fams = families(path)
    except Exception as e:  # the parser raises ValueError and others on bad text
        sys.exit("%s does not parse: %r" % (path, e))
    if cmd == "parse":
        names = [f.name for f in fams]
        if len(names) != len(set(names)):
            sys.exit("a family appears twice")
        print("%d families, %d samples" % (len(fams), sum(len(f.samples) for f in fams)))
    elif cmd in ("has", "value"):
        name, want = sys.argv[3], labels(sys.argv[4:])
        found = matching(fams, name, want)
        if not found:
            sys.exit("no sample %s%s" % (name, want))
        if cmd == "value":
            print("%d" % sum(s.value for s in found))
        else:
            print("%s%s = %s" % (name, want, [s.value for s in found]))
    elif cmd == "stats":
        with open(sys.argv[3], encoding="utf-8") as f:
            stats = json.load(f)
        types = {f.name: f.type for f in fams}
        missing = []
        for c in stats["counters"]:
            fam = "hnvgw_" + c["counter"].replace(".", "_")
            if types.get(fam) != "counter":
                missing.append(fam)
        for d in stats["drops"]:
            stage, reason = d["drop"].split(".", 1)
            if not matching(fams, "hnvgw_drops_total", {"stage": stage, "reason": reason}):
                missing.append("hnvgw_drops_total{stage=%s,reason=%s}" % (stage, reason))
        if missing:
            sys.exit("not exported: " + " ".join(missing))
        print("%d counters and %d drop reasons exported" % (len(stats["counters"]), len(stats["drops"])))
    else:
        sys.exit("unknown command " + cmd)


if __name__ == "__main__":
    main()
