/* SPDX-License-Identifier: Apache-2.0 */
/* Provider-port input: the PA network. Accepts NVGRE to our PAs (outer IPv4 checksum verified),
 * answers ping to them (the HNV "ping -p" check), and hands ARP to the control thread, which learns
 * and answers it, and VRRP too (the pair's election, ha.h). A passive node drops everything to
 * its PAs. Everything else is dropped under a named reason. */
#include "dp_internal.h"

#include <rte_icmp.h>
#include <stdio.h>

void
dp_provider_input(struct dp_worker *w, struct rte_mbuf *m)
{
    struct dp *dp = w->dp;
    const struct dp_port *port = &dp->ports[m->port];
    struct rte_ipv4_hdr *ip;
    unsigned l2, ihl;
    uint16_t type;
    uint32_t len = rte_pktmbuf_data_len(m);

    dp_count(w, DP_provider_rx);
    switch (dp_l2_peek(m, port, &type, &l2)) {
    case DP_L2_RUNT:
        dp_drop(w, m, DP_provider_runt);
        return;
    case DP_L2_BAD_VLAN:
        dp_drop(w, m, DP_provider_bad_vlan);
        return;
    case DP_L2_OK:
        break;
    }

    if (type == RTE_ETHER_TYPE_ARP) {
        dp_count(w, DP_provider_arp_learned);
        dp_punt(w, m, DP_PUNT_ARP, m->port, 0);
        return;
    }
    if (type != RTE_ETHER_TYPE_IPV4) {
        dp_drop(w, m, DP_provider_unsupported_ethertype);
        return;
    }
    ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2);
    ihl = dp_ipv4_check(ip, len - l2);
    if (!ihl) {
        dp_drop(w, m, DP_provider_bad_ipv4);
        return;
    }
    /* A corrupt header may name any destination or protocol: checked before any of it is read. */
    if (!dp_ipv4_rx_cksum_ok(m, ip, ihl)) {
        dp_drop(w, m, DP_provider_bad_ip_checksum);
        return;
    }
    DP_TRACE(w, m, provider, ip->next_proto_id, ip->src_addr, ip->dst_addr, len);
    if (unlikely(ip->next_proto_id == DP_IPPROTO_VRRP)) {
        /* The pair's election, in every role and to any address (224.0.0.18 normally). */
        DP_TRACE(w, m, ha, 1, ip->src_addr, ip->dst_addr, 0);
        dp_count(w, DP_provider_vrrp_punted);
        dp_punt(w, m, DP_PUNT_VRRP, m->port, 0);
        return;
    }
    if (!dp_is_my_pa(dp, ip->dst_addr)) {
        dp_drop(w, m, DP_provider_not_my_pa);
        return;
    }
    if (unlikely(w->ha_passive)) {
        dp_ha_passive_drop(w, m, l2, DP_provider_ha_passive);
        return;
    }
    if (dp_ipv4_is_fragment(ip)) {
        dp_drop(w, m, DP_provider_outer_fragment);
        return;
    }
    /* Trim Ethernet padding so that the inner frame ends where the outer packet does. */
    rte_pktmbuf_trim(m, len - l2 - rte_be_to_cpu_16(ip->total_length));

    if (ip->next_proto_id == IPPROTO_GRE) {
        uint32_t src = ip->src_addr, dst = ip->dst_addr;
        rte_pktmbuf_adj(m, l2 + ihl);
        dp_decap_input(w, m, src, dst);
        return;
    }
    if (ip->next_proto_id == IPPROTO_ICMP &&
        dp_icmp_echo_reply(ip, rte_be_to_cpu_16(ip->total_length))) {
        dp_count(w, DP_provider_ping_replied);
        dp_l2_bounce(m, port);
        dp_tx_frame(w, m, m->port);
        return;
    }
    dp_drop(w, m, DP_provider_not_gre);
}

void
dp_trace_fmt_provider(const struct dp_trace_rec *r, char *buf, size_t len)
{
    const uint8_t *s = (const uint8_t *)&r->a, *d = (const uint8_t *)&r->b;
    snprintf(buf, len, "provider: port %u, %u bytes, IPv4 %u.%u.%u.%u -> %u.%u.%u.%u proto %u",
             r->port, r->c, s[0], s[1], s[2], s[3], d[0], d[1], d[2], d[3], r->what);
}
