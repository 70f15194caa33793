#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Sends inbound packets that the NAT must drop, chosen by the drop counter they must raise, from
the lab's "internet" host (198.18.1.2) to contoso's public address 198.18.0.10.

usage: nat_bad.py CASE [COUNT]    (COUNT copies, default 1)
       nat_bad.py --list
Run it inside the inet namespace. The packets go through the kernel (a raw IP socket): inet routes
them to ext (198.18.1.1), which routes 198.18.0.0/24 to the gateway's external port (10.99.0.1),
so they arrive there as any routed IPv4 packet from the internet would.
"""
import sys

from scapy.all import ICMP, IP, TCP, UDP, L3RawSocket, Raw, conf, send

INET = "198.18.1.2"
PUBLIC = "198.18.0.10"
# Public ports with no mapping: no static mapping uses them, and they lie above the VMs' ephemeral
# ports (32768-60999), so port preservation never maps them during the test.
NO_TCP_PORT = 62000
NO_UDP_PORT = 62555


def inbound():
    return IP(src=INET, dst=PUBLIC)


CASES = {
    # A bare ACK to a public port: only a SYN may open an inbound TCP session.
    "nat.tcp_no_syn": lambda: inbound() / TCP(sport=33000, dport=NO_TCP_PORT, flags="A",
                                              seq=1000, ack=2000),
    # Port unreachable quoting a UDP packet 198.18.0.10:62555 -> 198.18.1.2:53 that the NAT never
    # sent: no session to translate it for.
    "nat.icmp_unknown_session": lambda: inbound() / ICMP(type=3, code=3) /
    IP(src=PUBLIC, dst=INET, ttl=63) / UDP(sport=NO_UDP_PORT, dport=53) / Raw(b"\x00" * 12),
    # UDP to a public port with no mapping.
    "nat.no_mapping": lambda: inbound() / UDP(sport=5353, dport=NO_UDP_PORT) / Raw(b"no mapping"),
}


def main():
    if len(sys.argv) == 2 and sys.argv[1] == "--list":
        print("\n".join(CASES))
        return 0
    if len(sys.argv) not in (2, 3) or sys.argv[1] not in CASES:
        print(__doc__, file=sys.stderr)
        return 2
    count = int(sys.argv[2]) if len(sys.argv) == 3 else 1
    # Through the kernel's routing and ARP, not scapy's.
    conf.L3socket = L3RawSocket
    send(CASES[sys.argv[1]](), count=count, verbose=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
