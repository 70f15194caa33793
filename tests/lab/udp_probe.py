#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""A UDP probe stream that measures an outage: sends RATE datagrams a second for SECONDS to an
echo server (lab_udp_peer: answers "ADDR:PORT DATA") and records when each answer came back.

usage: udp_probe.py HOST PORT RATE SECONDS [SRC_PORT]

Prints one JSON object: sent, received, outage_ms (the longest time without an answer, less one
interval: 0 when no answer was missed), lost (datagrams never answered), and the source address
and port the server saw first and last (what a NAT made of the flow; a changed port means the
mapping was not kept). Exits 1 when nothing came back at all."""
import json
import select
import socket
import sys
import time


def main():
    host, port, rate, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    sport = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", sport))
    s.setblocking(False)
    interval = 1.0 / rate
    start = time.monotonic()
    next_send = start
    seq = 0
    answered = {}
    seen = []
    end = start + seconds
    # Answers may trail the last datagram by a round trip: listen a little after.
    while True:
        now = time.monotonic()
        if now >= end + 0.5:
            break
        if now >= next_send and now < end:
            s.sendto(("%d" % seq).encode(), (host, port))
            seq += 1
            next_send += interval
            continue
        timeout = max(0.0, min(next_send, end + 0.5) - now) if now < end else end + 0.5 - now
        r, _, _ = select.select([s], [], [], timeout)
        while r:
            try:
                data, _ = s.recvfrom(2048)
            except BlockingIOError:
                break
            t = time.monotonic()
            peer, _, body = data.decode(errors="replace").partition(" ")
            if body.isdigit():
                answered.setdefault(int(body), t)
                if not seen or seen[-1] != peer:
                    seen.append(peer)
            r, _, _ = select.select([s], [], [], 0)
    times = sorted(answered.values())
    # From the start to the first answer, between answers, and from the last one to the end of
    # sending: an outage that never ended counts whole.
    gaps = [b - a for a, b in zip([start] + times, times + [end])]
    outage = max(0.0, (max(gaps) if gaps else seconds) - interval)
    out = {"sent": seq, "received": len(answered), "lost": seq - len(answered),
           "outage_ms": round(outage * 1000), "seen_as": seen}
    print(json.dumps(out))
    sys.exit(0 if answered else 1)


if __name__ == "__main__":
    main()
