/* SPDX-License-Identifier: Apache-2.0 */
/* External-port input: the forwarding gateway. Plain IPv4 for a tenant's forwarded prefixes is
 * classified to that tenant (routing domain 0 of the FIB holds the prefix -> tenant map) and routed
 * inside it; packets to a NAT public address go to the NAT; ping to the port's own address is
 * answered; ARP goes to the control thread. Workers take a burst at a time (the routes searched in
 * bulk, the NAT's packets translated together); single frames enter through dp_external_input(). */
#include "dp_internal.h"

#include <stdio.h>

/* Counts and checks a frame received on the external port. Returns its IPv4 header ('*l2' bytes
 * into m) when the packet is to be routed, NULL when it was consumed (ARP, ping, drop). */
static inline struct rte_ipv4_hdr *
external_check(struct dp_worker *w, struct rte_mbuf *m, unsigned *l2)
{
    const struct dp_port *port = &w->dp->ports[m->port];
    struct rte_ipv4_hdr *ip;
    uint32_t len = rte_pktmbuf_data_len(m);
    uint16_t type;

    dp_count(w, DP_external_rx);
    switch (dp_l2_peek(m, port, &type, l2)) {
    case DP_L2_RUNT:
        dp_drop(w, m, DP_external_runt);
        return NULL;
    case DP_L2_BAD_VLAN:
        dp_drop(w, m, DP_external_bad_vlan);
        return NULL;
    case DP_L2_OK:
        break;
    }
    if (type == RTE_ETHER_TYPE_ARP) {
        dp_count(w, DP_provider_arp_learned);
        dp_punt(w, m, DP_PUNT_ARP, m->port, 0);
        return NULL;
    }
    if (unlikely(w->ha_passive)) {
        /* Every address of the uplink is the pair's active node's (ha.h); ARP above is still
         * learned from. */
        dp_ha_passive_drop(w, m, *l2, DP_external_ha_passive);
        return NULL;
    }
    if (type != RTE_ETHER_TYPE_IPV4) {
        dp_drop(w, m, DP_external_unsupported_ethertype);
        return NULL;
    }
    ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, *l2);
    if (!dp_ipv4_check(ip, len - *l2)) {
        dp_drop(w, m, DP_external_bad_ipv4);
        return NULL;
    }
    if (ip->dst_addr == port->conf.ip) {
        if (ip->next_proto_id == IPPROTO_ICMP &&
            dp_icmp_echo_reply(ip, rte_be_to_cpu_16(ip->total_length))) {
            dp_count(w, DP_external_ping_replied);
            dp_l2_bounce(m, port);
            dp_tx_frame(w, m, m->port);
            return NULL;
        }
        dp_drop(w, m, DP_route_for_us);
        return NULL;
    }
    return ip;
}

/* Strips the L2 header and the Ethernet padding of a packet for a NAT public address or a tunnel
 * address. */
static inline void
external_to_nat(struct rte_mbuf *m, unsigned l2, const struct rte_ipv4_hdr *ip)
{
    rte_pktmbuf_adj(m, l2);
    rte_pktmbuf_trim(m, rte_pktmbuf_data_len(m) - rte_be_to_cpu_16(ip->total_length));
}

/* Routes a checked packet by 'nh', its destination's next hop in routing domain 0, unless it is
 * for a NAT public address: into the tenant that forwards the destination. */
static inline void
external_to_tenant(struct dp_worker *w, struct rte_mbuf *m, unsigned l2,
                   const struct rte_ipv4_hdr *ip, const struct dp_nexthop *nh)
{
    if (!nh || nh->type != DP_NH_TENANT) {
        dp_drop(w, m, DP_external_no_tenant);
        return;
    }
    DP_TRACE(w, m, external, 0, ip->src_addr, ip->dst_addr, nh->tenant);
    rte_pktmbuf_adj(m, l2);
    dp_route_input(w, m, nh->tenant, NULL);
}

void
dp_external_input(struct dp_worker *w, struct rte_mbuf *m)
{
    unsigned l2;
    struct rte_ipv4_hdr *ip = external_check(w, m, &l2);
    const struct dp_nexthop *nh;

    if (!ip) {
        return;
    }
    if (esp_is_local(w->dp->esp, ip->dst_addr)) {
        external_to_nat(m, l2, ip); /* The same L2 strip and trim. */
        dp_esp_input(w, m);
        return;
    }
    nh = dp_fib_lookup(w->dp, 0, ip->dst_addr);
    if (nh && nh->type == DP_NH_NAT_PUBLIC) {
        external_to_nat(m, l2, ip);
        dp_nat_out2in(w, m);
        return;
    }
    external_to_tenant(w, m, l2, ip, nh);
}

void
dp_external_burst(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
    struct dp *dp = w->dp;
    struct rte_mbuf *live[DP_BURST], *nat_pkts[DP_BURST], *esp_pkts[DP_BURST];
    uint16_t pub_idx[DP_BURST], ne = 0;
    struct rte_ipv4_hdr *ips[DP_BURST];
    uint8_t l2s[DP_BURST];
    uint8_t keys[DP_BURST][16];
    uint64_t nhs[DP_BURST];
    uint16_t k = 0, nn = 0;

    /* 1. Checks, one packet at a time (what dp_external_input() does before its route lookup). */
    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];
        unsigned l2;

        if (i + 1 < n) {
            rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
        }
        if (unlikely(m->nb_segs > 1) && rte_pktmbuf_linearize(m) != 0) {
            dp_drop(w, m, DP_provider_runt); /* As the worker's per-packet dispatch counts it. */
            continue;
        }
        ips[k] = external_check(w, m, &l2);
        if (!ips[k]) {
            continue;
        }
        if (unlikely(esp_is_local(dp->esp, ips[k]->dst_addr))) {
            external_to_nat(m, l2, ips[k]);
            esp_pkts[ne++] = m;
            continue;
        }
        l2s[k] = (uint8_t)l2;
        dp_fib_key(keys[k], 0, ips[k]->dst_addr);
        live[k++] = m;
    }
    if (ne) {
        dp_esp_input_burst(w, esp_pkts, ne);
    }
    if (!k) {
        return;
    }
    /* 2. Routes in domain 0, in bulk; packets to NAT public addresses are translated together. */
    rte_fib6_lookup_bulk(dp->fib, keys, nhs, k);
    for (uint16_t i = 0; i < k; i++) {
        const struct dp_nexthop *nh = nhs[i] ? &dp->nh[nhs[i]] : NULL;

        if (nh && nh->type == DP_NH_NAT_PUBLIC) {
            external_to_nat(live[i], l2s[i], ips[i]);
            pub_idx[nn] = nh->tenant;
            nat_pkts[nn++] = live[i];
            continue;
        }
        external_to_tenant(w, live[i], l2s[i], ips[i], nh);
    }
    if (nn) {
        dp_nat_out2in_burst(w, nat_pkts, pub_idx, nn);
    }
}

void
dp_trace_fmt_external(const struct dp_trace_rec *r, char *buf, size_t len)
{
    const uint8_t *s = (const uint8_t *)&r->a, *d = (const uint8_t *)&r->b;
    snprintf(buf, len, "external: %u.%u.%u.%u -> %u.%u.%u.%u belongs to domain %u", s[0], s[1],
             s[2], s[3], d[0], d[1], d[2], d[3], r->c);
}
