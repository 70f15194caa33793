/* SPDX-License-Identifier: Apache-2.0 */
/* Burst path for the provider port: the common case, NVGRE in, routed in the tenant to a CA, NVGRE
 * out (or to the NAT), processed a burst at a time, so that the VSID, FIB and lookup-record tables
 * are searched in bulk (the hash and trie lookups then prefetch across packets instead of stalling
 * on each).
 *
 * It only reads packets until it is sure of the whole path; a packet that leaves the common case
 * at any point (ARP, broadcast, ICMP errors, local delivery, external next hops, drops...) goes to
 * the per-packet stages unchanged, which handle and count everything. Both paths share the same
 * counters and produce the same frames. */
#include "dp_internal.h"

/* What the burst path learned about one packet. */
struct burst_pkt {
    uint16_t tenant;               /* Ingress routing domain. */
    bool known;                    /* The ingress VSID is configured (tenant, gw_mac valid). */
    struct rte_ether_addr gw_mac;  /* Ingress subnet's gateway MAC. */
    const uint8_t *dst_gw_mac;     /* Egress subnet's gateway MAC (from the next hop). */
    const struct dp_lookup *rec;   /* Destination's lookup record. */
    struct rte_ipv4_hdr *inner_ip; /* Inner IPv4 header. */
    uint32_t outer_src;            /* Outer source PA. */
    uint32_t target;               /* CA whose record is looked up. */
    uint32_t vsid;                 /* Ingress VSID. */
};

/* Checks the outer headers of a frame from the provider port; returns its VSID, or 0 when the frame
 * is not plain NVGRE to one of our PAs with a correct outer checksum (the per-packet path then
 * decides what it is, and counts the drop). The checksum and NVGRE checks are the per-packet
 * path's own functions. */
static inline uint32_t
outer_vsid(const struct dp *dp, const struct dp_port *port, struct rte_mbuf *m, uint32_t *outer_src)
{
    const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
    const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
    uint32_t len = rte_pktmbuf_data_len(m), key;
    enum dp_drop why;

    if (m->nb_segs != 1 || dp_traced(m) || port->conf.vlan || len < 14 + 20 + 8 + 14 + 20 ||
        eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || ip->version_ihl != 0x45 ||
        ip->next_proto_id != IPPROTO_GRE || dp_ipv4_is_fragment(ip) ||
        rte_be_to_cpu_16(ip->total_length) != len - 14 || !dp_is_my_pa(dp, ip->dst_addr) ||
        !dp_ipv4_rx_cksum_ok(m, ip, sizeof *ip) ||
        !dp_nvgre_check((const uint8_t *)(ip + 1), len - 14 - 20, &key, &why)) {
        return 0;
    }
    *outer_src = ip->src_addr;
    return key >> 8;
}

/* Finishes a packet whose whole path is known: the same work as decap -> tenant -> route ->
 * route_to_ca -> encap, without searching the tables again. */
static inline void
finish(struct dp_worker *w, struct rte_mbuf *m, const struct burst_pkt *b)
{
    struct rte_ether_hdr *eth;

    rte_pktmbuf_adj(m, DP_NVGRE_OVERHEAD);
    eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
    dp_ipv4_dec_ttl(b->inner_ip);
    memcpy(eth->dst_addr.addr_bytes, b->rec->mac, 6);
    memcpy(eth->src_addr.addr_bytes, b->dst_gw_mac, 6);
    dp_count(w, DP_provider_rx);
    dp_count(w, DP_decap_nvgre);
    dp_count(w, DP_route_routed);
    dp_encap_output(w, m, b->vsid, b->rec->pa);
}

void
dp_provider_burst(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
    struct dp *dp = w->dp;
    struct burst_pkt b[DP_BURST];
    struct rte_mbuf *fast[DP_BURST];
    const void *keys[DP_BURST];
    const void *vals[DP_BURST];
    uint8_t fib_keys[DP_BURST][16];
    uint64_t nhs[DP_BURST];
    struct dp_lookup_key lkeys[DP_BURST];
    struct dp_vsid_key vkeys[DP_BURST];
    uint8_t live[DP_BURST]; /* Packets still on the common path, as indexes into b and fast. */
    struct rte_mbuf *nat_pkts[DP_BURST]; /* Packets routed to the NAT, decapsulated, */
    uint16_t nat_tenants[DP_BURST];      /* their routing domains */
    uint32_t nat_nh[DP_BURST];           /* and next hops. */
    uint16_t nf = 0, k = 0, nn = 0;
    /* The NAT takes a packet from here when it fits the uplink (else routing answers DF packets
     * with frag-needed or fragments them, before NAT). */
    uint32_t nat_mtu =
        dp->external_port >= 0 && dp->nat ? dp->ports[dp->external_port].conf.mtu : 0;

    /* A passive node forwards nothing (ha.h): the per-packet path drops and counts it all. */
    if (!dp->params.gateway_role || unlikely(w->ha_passive)) {
        for (uint16_t i = 0; i < n; i++) {
            dp_provider_input(w, pkts[i]);
        }
        return;
    }
    /* 1. Outer headers; VSIDs from the worker's cache, the misses from the table in bulk. */
    uint32_t gen = __atomic_load_n(&dp->subnet_gen, __ATOMIC_ACQUIRE);
    uint16_t miss[DP_BURST], nmiss = 0;

    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];
        uint32_t vsid = outer_vsid(dp, &dp->ports[m->port], m, &b[nf].outer_src);
        struct dp_vsid_cache *c;

        if (!vsid) {
            dp_provider_input(w, m);
            continue;
        }
        b[nf].vsid = vsid;
        c = &w->vsid_cache[vsid % DP_VSID_CACHE];
        if (c->vsid == vsid && c->gen == gen) {
            b[nf].known = true;
            b[nf].tenant = c->tenant;
            memcpy(b[nf].gw_mac.addr_bytes, c->gw_mac, 6);
        } else {
            vkeys[nmiss] = (struct dp_vsid_key){.vsid = vsid};
            keys[nmiss] = &vkeys[nmiss];
            miss[nmiss++] = nf;
            b[nf].known = false;
        }
        fast[nf++] = m;
    }
    if (!nf) {
        return;
    }
    if (nmiss) {
        rcu_table_lookup_bulk(dp->subnets, keys, nmiss, vals);
        for (uint16_t j = 0; j < nmiss; j++) {
            const struct dp_subnet *sn = vals[j];
            struct dp_vsid_cache *c;

            if (!sn) {
                continue; /* Unknown VSID: the per-packet path counts it. */
            }
            c = &w->vsid_cache[sn->vsid % DP_VSID_CACHE];
            c->vsid = sn->vsid;
            c->gen = gen;
            c->tenant = sn->tenant;
            memcpy(c->gw_mac, sn->gw_mac, 6);
            b[miss[j]].known = true;
            b[miss[j]].tenant = sn->tenant;
            memcpy(b[miss[j]].gw_mac.addr_bytes, sn->gw_mac, 6);
        }
    }

    /* 2. Inner headers: a unicast IPv4 packet to the subnet's gateway that can be forwarded. */
    for (uint16_t i = 0; i < nf; i++) {
        struct rte_mbuf *m = fast[i];
        const struct rte_ether_hdr *eth =
            rte_pktmbuf_mtod_offset(m, const struct rte_ether_hdr *, DP_NVGRE_OVERHEAD);
        struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
        uint32_t avail = rte_pktmbuf_data_len(m) - DP_NVGRE_OVERHEAD - sizeof *eth;

        if (!b[i].known || !rte_is_same_ether_addr(&eth->dst_addr, &b[i].gw_mac) ||
            eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) || ip->version_ihl != 0x45 ||
            rte_be_to_cpu_16(ip->total_length) != avail || ip->time_to_live <= 1 ||
            !dp_ipv4_hdr20_ok(ip)) {
            dp_provider_input(w, m);
            continue;
        }
        b[i].inner_ip = ip;
        dp_fib_key(fib_keys[k], b[i].tenant, ip->dst_addr);
        live[k++] = (uint8_t)i;
    }
    nf = k;
    if (!nf) {
        return;
    }
    /* 3. Routes, in bulk. Packets routed to the NAT (within the uplink's MTU) are decapsulated
     *    here and go to its burst stage together. */
    rte_fib6_lookup_bulk(dp->fib, fib_keys, nhs, nf);
    k = 0;
    for (uint16_t i = 0; i < nf; i++) {
        const struct dp_nexthop *nh = nhs[i] ? &dp->nh[nhs[i]] : NULL;
        struct burst_pkt *p = &b[live[i]];

        if (nh && nh->type == DP_NH_NAT && nat_mtu &&
            rte_be_to_cpu_16(p->inner_ip->total_length) <= nat_mtu) {
            struct rte_mbuf *m = fast[live[i]];

            rte_pktmbuf_adj(m, DP_NVGRE_OVERHEAD + sizeof(struct rte_ether_hdr));
            dp_count(w, DP_provider_rx);
            dp_count(w, DP_decap_nvgre);
            dp_count(w, DP_route_routed);
            nat_pkts[nn] = m;
            nat_tenants[nn] = p->tenant;
            nat_nh[nn++] = nh->ip;
            continue;
        }
        if (!nh || (nh->type != DP_NH_CONNECTED && nh->type != DP_NH_CA) ||
            !(nh->mac[0] | nh->mac[1] | nh->mac[2] | nh->mac[3] | nh->mac[4] | nh->mac[5])) {
            dp_provider_input(w, fast[live[i]]);
            continue;
        }
        p->target = nh->type == DP_NH_CA ? nh->ip : p->inner_ip->dst_addr;
        p->vsid = nh->vsid; /* From here on: the egress VSID. */
        p->dst_gw_mac = nh->mac;
        live[k++] = live[i];
    }
    if (nn) {
        dp_nat_in2out_burst(w, nat_pkts, nat_tenants, nat_nh, nn);
    }
    nf = k;
    if (!nf) {
        return;
    }
    /* 4. Lookup records, in bulk. */
    for (uint16_t i = 0; i < nf; i++) {
        memset(&lkeys[i], 0, sizeof lkeys[i]);
        lkeys[i].vsid = b[live[i]].vsid;
        lkeys[i].family = 4;
        memcpy(lkeys[i].addr, &b[live[i]].target, 4);
        keys[i] = &lkeys[i];
    }
    rcu_table_lookup_bulk(dp->lookups, keys, nf, vals);
    /* The records live in a slot array apart from the hash: start all their cache misses now. */
    for (uint16_t i = 0; i < nf; i++) {
        if (vals[i]) {
            rte_prefetch0(vals[i]);
        }
    }

    /* 5. Finish what stayed on the common path; the rest takes the per-packet stages. */
    uint32_t provider_mtu = dp->ports[dp->provider_port].conf.mtu;
    for (uint16_t i = 0; i < nf; i++) {
        const struct dp_lookup *rec = vals[i];
        struct burst_pkt *p = &b[live[i]];

        if (!rec || rec->type == DP_LK_L2ONLY || rec->type == DP_LK_WILDCARD ||
            rec->local_port >= 0 ||
            rte_be_to_cpu_16(p->inner_ip->total_length) > provider_mtu - DP_NVGRE_OVERHEAD) {
            dp_provider_input(w, fast[live[i]]);
            continue;
        }
        p->rec = rec;
        finish(w, fast[live[i]], p);
    }
}
