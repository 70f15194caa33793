#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Sends one malformed NVGRE frame, chosen by name, to the gateway's PA from a rogue PA host.

usage: nvgre_bad.py IFACE CASE
The frames are crafted with scapy; each case exercises exactly one drop reason of hnvgwd.
"""
import sys

from scapy.all import ARP, Dot1Q, Ether, GRE, ICMP, IP, Raw, UDP, sendp

GW_MAC = "02:00:0a:00:00:01"
SRC_MAC = "02:00:0a:00:00:09"
PA_SRC, PA_DST = "10.0.0.9", "10.0.0.1"
VM_GW_MAC = "02:00:00:00:01:01"
VM_MAC = "02:00:00:00:10:10"


def outer(dst=PA_DST, **ip):
    return Ether(dst=GW_MAC, src=SRC_MAC) / IP(src=PA_SRC, dst=dst, **ip)


def inner(dst="10.1.2.10"):
    return Ether(dst=VM_GW_MAC, src=VM_MAC) / IP(src="10.1.1.10", dst=dst) / ICMP()


def gre(key_vsid=5001, **kw):
    return GRE(key_present=1, proto=0x6558, key=(key_vsid << 8) | 7, **kw)


def bad_outer_checksum():
    """A good NVGRE ping whose outer IPv4 checksum went wrong in flight (never 0 <-> 0xffff)."""
    p = Ether(bytes(outer() / gre() / inner()))
    p[IP].chksum ^= 0x0101
    return p


CASES = {
    # GRE word 0x3000: the checksum bit is set besides the key bit.
    "decap.bad_gre_flags": lambda: outer() / GRE(chksum_present=1, key_present=1, proto=0x6558,
                                                  key=5001 << 8) / inner(),
    # GRE version 1 (PPTP) is not NVGRE.
    "decap.bad_gre_version": lambda: outer() / GRE(key_present=1, version=1, proto=0x6558,
                                                    key=5001 << 8) / inner(),
    "decap.bad_gre_proto": lambda: outer() / GRE(key_present=1, proto=0x0800, key=5001 << 8) /
    IP(src="10.1.1.10", dst="10.1.2.10") / ICMP(),
    "decap.vsid_out_of_range": lambda: outer() / gre(100) / inner(),
    "decap.vsid_reserved": lambda: outer() / gre(0xFFFFFF) / inner(),
    "decap.unknown_vsid": lambda: outer() / gre(7777) / inner(),
    "decap.inner_vlan": lambda: outer() / gre() / Ether(dst=VM_GW_MAC, src=VM_MAC) /
    Dot1Q(vlan=10) / IP(src="10.1.1.10", dst="10.1.2.10") / ICMP(),
    "decap.inner_runt": lambda: outer() / gre() / Raw(b"\x02\x00\x00\x00\x01"),
    "provider.not_my_pa": lambda: outer(dst="10.0.0.77") / gre() / inner(),
    "provider.outer_fragment": lambda: outer(flags="MF") / gre() / inner(),
    "provider.bad_ipv4": lambda: outer(ihl=4) / gre() / inner(),
    "provider.bad_ip_checksum": bad_outer_checksum,
    "provider.not_gre": lambda: outer() / UDP(sport=1, dport=4789) / Raw(b"x" * 16),
    "tenant.arp_no_policy": lambda: outer() / gre() /
    Ether(dst="ff:ff:ff:ff:ff:ff", src=VM_MAC) /
    ARP(op=1, hwsrc=VM_MAC, psrc="10.1.1.10", pdst="10.1.1.99"),
    "tenant.unknown_dst_mac": lambda: outer() / gre() /
    Ether(dst="02:00:00:99:99:99", src=VM_MAC) / IP(src="10.1.1.10", dst="10.1.2.10") / ICMP(),
    "route.bad_ipv4": lambda: outer() / gre() / Ether(dst=VM_GW_MAC, src=VM_MAC) /
    IP(src="10.1.1.10", dst="10.1.2.10", chksum=0x1234) / ICMP(),
}


def main():
    iface, case = sys.argv[1], sys.argv[2]
    if case == "--list":
        print("\n".join(CASES))
        return 0
    sendp(CASES[case](), iface=iface, verbose=False)
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--list":
        print("\n".join(CASES))
        sys.exit(0)
    sys.exit(main())
