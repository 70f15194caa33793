#!/usr/bin/python3
# SPDX-License-Identifier: Apache-2.0
"""Probes for the VRRP lab (test_vrrp.sh), with scapy.

usage:
  vrrp_probe.py arp IFACE IP                 who answers ARP for IP: one MAC a line
  vrrp_probe.py bad IFACE CASE               sends one VRRP advert that must be dropped:
                                             checksum | ttl | vrid (another router's, valid)
  vrrp_probe.py nvgre IFACE DST_MAC          sends one NVGRE ping to the PA 10.0.0.1 at DST_MAC
  vrrp_probe.py takeover PCAP OLD NEW        the first advert of NEW (priority > 0) after OLD's
                                             adverts, and OLD's last advert before it:
                                             "OLD_PRIO GAP_MS" (GAP from OLD's last to NEW's first)
"""
import sys

from scapy.all import ARP, Ether, GRE, ICMP, IP, rdpcap, sendp, srp
from scapy.layers.vrrp import VRRPv3

PROBE_MAC = "02:00:0a:00:00:fa"
PROBE_IP = "10.0.0.250"
GROUP_MAC = "01:00:5e:00:00:12"


def arp(iface, ip):
    """Prints every MAC that answers an ARP request for 'ip' within a second."""
    ans, _ = srp(Ether(dst="ff:ff:ff:ff:ff:ff", src=PROBE_MAC) /
                 ARP(op=1, hwsrc=PROBE_MAC, psrc=PROBE_IP, pdst=ip),
                 iface=iface, timeout=1, multi=True, verbose=False)
    for mac in sorted({r[ARP].hwsrc for _, r in ans if r[ARP].psrc == ip}):
        print(mac)


def advert(ttl=255, vrid=51, priority=254, chksum=None):
    """An advert from 10.0.0.30 claiming the pair's PA with a priority that would win."""
    return (Ether(dst=GROUP_MAC, src=PROBE_MAC) /
            IP(src="10.0.0.30", dst="224.0.0.18", ttl=ttl, proto=112, tos=0xc0) /
            VRRPv3(vrid=vrid, priority=priority, adv=10, addrlist=["10.0.0.1"], chksum=chksum))


def bad(iface, case):
    if case == "checksum":
        good = Ether(bytes(advert()))
        p = advert(chksum=good[VRRPv3].chksum ^ 0x0101)
    elif case == "ttl":
        p = advert(ttl=64)
    elif case == "vrid":
        p = advert(vrid=52)
    else:
        sys.exit("unknown case " + case)
    sendp(p, iface=iface, verbose=False)


def nvgre(iface, dst_mac):
    """A contoso ping from web to db, as the host 10.0.0.2 would send it to the gateway."""
    inner = (Ether(dst="02:00:00:00:01:01", src="02:00:00:00:10:10") /
             IP(src="10.1.1.10", dst="10.1.2.10") / ICMP())
    p = (Ether(dst=dst_mac, src=PROBE_MAC) / IP(src="10.0.0.2", dst="10.0.0.1") /
         GRE(key_present=1, proto=0x6558, key=(5001 << 8) | 7) / inner)
    sendp(p, iface=iface, verbose=False)


def takeover(pcap, old, new):
    last_old = None
    for p in rdpcap(pcap):
        if VRRPv3 not in p or IP not in p:
            continue
        src, prio, t = p[IP].src, p[VRRPv3].priority, float(p.time)
        if src == old:
            last_old = (t, prio)
        elif src == new and prio > 0 and last_old:
            print("%d %.1f" % (last_old[1], (t - last_old[0]) * 1000))
            return
    sys.exit("no advert of %s after one of %s in %s" % (new, old, pcap))


def main():
    cmd = sys.argv[1]
    if cmd == "arp":
        arp(sys.argv[2], sys.argv[3])
    elif cmd == "bad":
        bad(sys.argv[2], sys.argv[3])
    elif cmd == "nvgre":
        nvgre(sys.argv[2], sys.argv[3])
    elif cmd == "takeover":
        takeover(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
