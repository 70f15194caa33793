/* External-port input: the forwarding gateway. Plain IPv4 for a tenant's forwarded prefixes is
 * classified to that tenant (routing domain 0 of the FIB holds the prefix -> tenant map) and routed
 * inside it; ping to the port's own address is answered; ARP goes to the control thread. */
#include "dp_internal.h"

#include <stdio.h>

void
dp_external_input(struct dp_worker *w, struct rte_mbuf *m)
{
    struct dp *dp = w->dp;
    const struct dp_port *port = &dp->ports[m->port];
    struct rte_ipv4_hdr *ip;
    const struct dp_nexthop *nh;
    uint32_t len = rte_pktmbuf_data_len(m);
    unsigned l2;
    uint16_t type;

    dp_count(w, DP_external_rx);
    switch (dp_l2_peek(m, port, &type, &l2)) {
    case DP_L2_RUNT:
        dp_drop(w, m, DP_external_runt);
        return;
    case DP_L2_BAD_VLAN:
        dp_drop(w, m, DP_external_bad_vlan);
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
        dp_drop(w, m, DP_external_unsupported_ethertype);
        return;
    }
    ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, l2);
    if (!dp_ipv4_check(ip, len - l2)) {
        dp_drop(w, m, DP_external_bad_ipv4);
        return;
    }
    if (ip->dst_addr == port->conf.ip) {
        if (ip->next_proto_id == IPPROTO_ICMP &&
            dp_icmp_echo_reply(ip, rte_be_to_cpu_16(ip->total_length))) {
            dp_count(w, DP_external_ping_replied);
            dp_l2_bounce(m, port);
            dp_tx_frame(w, m, m->port);
            return;
        }
        dp_drop(w, m, DP_route_for_us);
        return;
    }
    nh = dp_fib_lookup(dp, 0, ip->dst_addr);
    if (nh && nh->type == DP_NH_NAT_PUBLIC) {
        rte_pktmbuf_adj(m, l2);
        rte_pktmbuf_trim(m, rte_pktmbuf_data_len(m) - rte_be_to_cpu_16(ip->total_length));
        dp_nat_out2in(w, m);
        return;
    }
    if (!nh || nh->type != DP_NH_TENANT) {
        dp_drop(w, m, DP_external_no_tenant);
        return;
    }
    DP_TRACE(w, m, external, 0, ip->src_addr, ip->dst_addr, nh->tenant);
    rte_pktmbuf_adj(m, l2);
    dp_route_input(w, m, nh->tenant, NULL);
}

void
dp_trace_fmt_external(const struct dp_trace_rec *r, char *buf, size_t len)
{
    const uint8_t *s = (const uint8_t *)&r->a, *d = (const uint8_t *)&r->b;
    snprintf(buf, len, "external: %u.%u.%u.%u -> %u.%u.%u.%u belongs to domain %u", s[0], s[1],
             s[2], s[3], d[0], d[1], d[2], d[3], r->c);
}
