/* SPDX-License-Identifier: Apache-2.0 */
/* Routing inside a tenant's routing domain (IPv4): longest-prefix match in the tenant's part of the
 * shared FIB, TTL handling with ICMP errors, path-MTU enforcement, then hand-off to a CA (local VM
 * or NVGRE encap) or to the external port (forwarding gateway). dp_route_burst() serves the NAT's
 * return traffic a burst at a time: routes and lookup records in bulk for the common case, remote
 * CAs, and dp_route_input() for the rest. */
#include "dp_internal.h"

#include <rte_icmp.h>
#include <rte_ip_frag.h>
#include <stdio.h>

/* The address ICMP errors about a packet come from: the ingress subnet's gateway CA, else the
 * external port's address. */
static uint32_t
icmp_source(const struct dp *dp, const struct dp_subnet *in_subnet)
{
    if (in_subnet) {
        return in_subnet->gw_ip;
    }
    return dp->external_port >= 0 ? dp->ports[dp->external_port].conf.ip : 0;
}

/* How a packet compares with the path MTU. */
enum mtu_fit {
    MTU_FITS,     /* Send it as it is. */
    MTU_FRAGMENT, /* Too big, no DF: fragment it. */
    MTU_CONSUMED, /* Too big with DF: frag-needed was sent and the packet dropped. */
};

static enum mtu_fit
mtu_check(struct dp_worker *w, struct rte_mbuf *m, uint32_t mtu, uint16_t tenant,
          const struct dp_subnet *in_subnet)
{
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);

    if (rte_be_to_cpu_16(ip->total_length) <= mtu) {
        return MTU_FITS;
    }
    if (!(ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG))) {
        return MTU_FRAGMENT;
    }
    dp_icmp_error(w, m, DP_ICMP_DEST_UNREACH, 4, (uint16_t)mtu, tenant,
                  icmp_source(w->dp, in_subnet));
    dp_drop(w, m, DP_route_too_big);
    return MTU_CONSUMED;
}

/* Splits the IPv4 packet m (TTL already decremented) into fragments of at most 'mtu' bytes
 * (RFC 791), consuming m. Returns the number stored in 'frags', 0 when it failed (counted). */
static int
fragment(struct dp_worker *w, struct rte_mbuf *m, uint16_t mtu, struct rte_mbuf **frags,
         uint16_t max)
{
    int n = rte_ipv4_fragment_packet(m, frags, max, mtu, w->dp->pool, w->dp->indirect_pool);

    rte_pktmbuf_free(m); /* The fragments hold their own references to its data. */
    if (n <= 0) {
        w->stats.drop[DP_route_fragment_failed]++;
        return 0;
    }
    for (int i = 0; i < n; i++) {
        struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(frags[i], struct rte_ipv4_hdr *);
        ip->hdr_checksum = 0;
        ip->hdr_checksum = rte_ipv4_cksum(ip);
    }
    dp_count(w, DP_route_fragmented);
    return n;
}

#define MAX_FRAGMENTS 8 /* A 9000-byte packet into 1458-byte pieces needs 7. */

/* Frames an IPv4 packet (TTL already decremented) for CA 'rec' of subnet 'sn' and sends it: to
 * the local VM port, or NVGRE-encapsulated to the record's PA. */
static void
ca_output(struct dp_worker *w, struct rte_mbuf *m, const struct dp_subnet *sn,
          const struct dp_lookup *rec)
{
    struct rte_ether_hdr *eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof *eth);

    if (!eth) {
        dp_drop(w, m, DP_encap_no_headroom);
        return;
    }
    memcpy(eth->dst_addr.addr_bytes, rec->mac, 6);
    memcpy(eth->src_addr.addr_bytes, sn->gw_mac, 6);
    eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    if (rec->local_port >= 0) {
        dp_vm_output(w, m, (uint16_t)rec->local_port);
    } else {
        dp_encap_output(w, m, sn->vsid, rec->pa);
    }
}

void
dp_route_to_ca(struct dp_worker *w, struct rte_mbuf *m, const struct dp_subnet *sn, uint32_t dst,
               const struct dp_subnet *in_subnet)
{
    struct dp *dp = w->dp;
    const struct dp_lookup *rec = dp_lookup_find(dp, sn->vsid, dst);
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);

    if (!rec || rec->type == DP_LK_L2ONLY) {
        rec = dp_lookup_find(dp, sn->vsid, 0); /* The VSID's gateway wildcard, if any. */
        if (!rec || rec->type != DP_LK_WILDCARD) {
            dp_icmp_error(w, m, DP_ICMP_DEST_UNREACH, 1, 0, sn->tenant, icmp_source(dp, in_subnet));
            dp_drop(w, m, DP_route_no_lookup_record);
            return;
        }
    }
    if (rec->local_port < 0) {
        uint32_t provider_mtu =
            dp->provider_port >= 0 ? dp->ports[dp->provider_port].conf.mtu : 1500;
        /* Outer IPv4 + GRE + the inner Ethernet header come out of the PA network's MTU: 1458. */
        uint16_t mtu = (uint16_t)(provider_mtu - DP_NVGRE_OVERHEAD);
        enum mtu_fit fit = mtu_check(w, m, mtu, sn->tenant, in_subnet);

        if (fit == MTU_CONSUMED) {
            return;
        }
        if (fit == MTU_FRAGMENT) {
            struct rte_mbuf *frags[MAX_FRAGMENTS];
            dp_ipv4_dec_ttl(ip);
            int n = fragment(w, m, mtu, frags, MAX_FRAGMENTS);
            for (int i = 0; i < n; i++) {
                ca_output(w, frags[i], sn, rec);
            }
            return;
        }
    }
    dp_ipv4_dec_ttl(ip);
    ca_output(w, m, sn, rec);
}

/* Sends a tenant's packet into tunnel 'reqid': fragments first what would not fit the uplink
 * once encrypted (the ESP stage adds at most DP_ESP_OVERHEAD_MAX bytes), so that no outer packet
 * is ever fragmented. */
static void
route_to_tunnel(struct dp_worker *w, struct rte_mbuf *m, uint16_t tenant, uint32_t reqid,
                const struct dp_subnet *in_subnet)
{
    struct dp *dp = w->dp;
    uint16_t mtu;
    enum mtu_fit fit;

    if (dp->external_port < 0) {
        dp_drop(w, m, DP_route_no_external_port);
        return;
    }
    mtu = (uint16_t)(dp->ports[dp->external_port].conf.mtu - DP_ESP_OVERHEAD_MAX);
    fit = mtu_check(w, m, mtu, tenant, in_subnet);
    if (fit == MTU_CONSUMED) {
        return;
    }
    if (fit == MTU_FRAGMENT) {
        struct rte_mbuf *frags[MAX_FRAGMENTS];
        int n = fragment(w, m, mtu, frags, MAX_FRAGMENTS);
        for (int i = 0; i < n; i++) {
            dp_esp_output(w, frags[i], tenant, reqid);
        }
        return;
    }
    dp_esp_output(w, m, tenant, reqid);
}

void
dp_route_send_external(struct dp_worker *w, struct rte_mbuf *m, uint32_t next)
{
    struct dp *dp = w->dp;
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
    uint16_t mtu = dp->ports[dp->external_port].conf.mtu;

    dp_ipv4_dec_ttl(ip);
    dp_count(w, DP_route_to_external);
    if (rte_be_to_cpu_16(ip->total_length) > mtu) {
        struct rte_mbuf *frags[MAX_FRAGMENTS];
        int n = fragment(w, m, mtu, frags, MAX_FRAGMENTS);
        for (int i = 0; i < n; i++) {
            dp_tx_ip(w, frags[i], (uint16_t)dp->external_port, next);
        }
        return;
    }
    dp_tx_ip(w, m, (uint16_t)dp->external_port, next);
}

void
dp_route_input(struct dp_worker *w, struct rte_mbuf *m, uint16_t tenant,
               const struct dp_subnet *in_subnet)
{
    struct dp *dp = w->dp;
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
    /* A datagram NAT reassembled is a chain of segments; its header is in the first. */
    uint32_t len = rte_pktmbuf_pkt_len(m);
    const struct dp_nexthop *nh;
    const struct dp_subnet *sn;

    if (!dp_ipv4_check(ip, len) ||
        (unsigned)(ip->version_ihl & 0xf) * 4 > rte_pktmbuf_data_len(m) ||
        rte_ipv4_cksum(ip) != 0) {
        dp_drop(w, m, DP_route_bad_ipv4);
        return;
    }
    rte_pktmbuf_trim(m, len - rte_be_to_cpu_16(ip->total_length));
    nh = dp_fib_lookup(dp, tenant, ip->dst_addr);
    if (nh && nh->type == DP_NH_ECMP) {
        nh = dp_ecmp_pick(dp, nh, dp_ipv4_flow_hash(ip, rte_pktmbuf_data_len(m)));
    }
    DP_TRACE(w, m, route, nh ? nh->type : DP_NH_NONE, tenant, ip->dst_addr,
             nh ? (nh->type == DP_NH_EXTERNAL || nh->type == DP_NH_CA ? nh->ip : nh->vsid) : 0);

    if (nh && nh->type == DP_NH_LOCAL) {
        /* A compartment terminates its own control traffic (BGP, ping); without one, the data
         * plane answers ping. */
        if (dp_exception_punt(w, m, tenant)) {
            return;
        }
        if (ip->next_proto_id == IPPROTO_ICMP &&
            dp_icmp_echo_reply(ip, rte_be_to_cpu_16(ip->total_length))) {
            /* The reply is a new packet from us: route it back with a fresh TTL. */
            dp_route_input(w, m, tenant, NULL);
            return;
        }
        dp_drop(w, m, DP_route_for_us);
        return;
    }
    if (ip->time_to_live <= 1) {
        dp_icmp_error(w, m, DP_ICMP_TIME_EXCEEDED, 0, 0, tenant, icmp_source(dp, in_subnet));
        dp_drop(w, m, DP_route_ttl_expired);
        return;
    }
    if (!nh || nh->type == DP_NH_UNREACHABLE || nh->type == DP_NH_TENANT) {
        dp_icmp_error(w, m, DP_ICMP_DEST_UNREACH, 0, 0, tenant, icmp_source(dp, in_subnet));
        dp_drop(w, m, DP_route_no_route);
        return;
    }
    dp_count(w, DP_route_routed);
    switch (nh->type) {
    case DP_NH_CONNECTED:
    case DP_NH_CA:
        sn = dp_subnet_find(dp, nh->vsid);
        if (!sn) {
            dp_drop(w, m, DP_route_no_route);
            return;
        }
        dp_route_to_ca(w, m, sn, nh->type == DP_NH_CA ? nh->ip : ip->dst_addr, in_subnet);
        return;
    case DP_NH_EXTERNAL:
    case DP_NH_NAT:
        if (dp->external_port < 0) {
            dp_drop(w, m, DP_route_no_external_port);
            return;
        }
        /* A DF packet too big for the uplink is refused before NAT, so that the error quotes the
         * packet as its sender wrote it. */
        if (mtu_check(w, m, dp->ports[dp->external_port].conf.mtu, tenant, in_subnet) ==
            MTU_CONSUMED) {
            return;
        }
        if (nh->type == DP_NH_NAT) {
            dp_nat_in2out(w, m, tenant, nh->ip);
            return;
        }
        dp_route_send_external(w, m, nh->ip ? nh->ip : ip->dst_addr);
        return;
    case DP_NH_IPSEC:
        route_to_tunnel(w, m, tenant, nh->reqid, in_subnet);
        return;
    default:
        dp_drop(w, m, DP_route_blackhole);
        return;
    }
}

void
dp_route_burst(struct dp_worker *w, struct rte_mbuf **pkts, const uint16_t *tenants, uint16_t n)
{
    struct dp *dp = w->dp;
    struct rte_mbuf *live[DP_BURST];
    const struct dp_nexthop *nhs_live[DP_BURST];
    uint16_t tn[DP_BURST], k = 0, nf = 0;
    uint8_t fib_keys[DP_BURST][16];
    uint64_t nhs[DP_BURST];
    struct dp_lookup_key lkeys[DP_BURST];
    const void *keys[DP_BURST];
    const void *vals[DP_BURST];
    uint32_t mtu = dp->provider_port >= 0 ? dp->ports[dp->provider_port].conf.mtu : 1500;

    /* 1. A whole, valid IPv4 header without options, with TTL to spare. */
    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];
        struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
        uint32_t len = rte_pktmbuf_data_len(m);

        if (m->nb_segs != 1 || dp_traced(m) || len < sizeof *ip || ip->version_ihl != 0x45 ||
            rte_be_to_cpu_16(ip->total_length) < sizeof *ip ||
            rte_be_to_cpu_16(ip->total_length) > len || ip->time_to_live <= 1 ||
            !dp_ipv4_hdr20_ok(ip)) {
            dp_route_input(w, m, tenants[i], NULL);
            continue;
        }
        rte_pktmbuf_trim(m, len - rte_be_to_cpu_16(ip->total_length));
        dp_fib_key(fib_keys[k], tenants[i], ip->dst_addr);
        tn[k] = tenants[i];
        live[k++] = m;
    }
    if (!k) {
        return;
    }
    /* 2. Routes in bulk: to a CA of a subnet whose gateway MAC the next hop carries. */
    rte_fib6_lookup_bulk(dp->fib, fib_keys, nhs, k);
    for (uint16_t i = 0; i < k; i++) {
        const struct dp_nexthop *nh = nhs[i] ? &dp->nh[nhs[i]] : NULL;
        struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(live[i], struct rte_ipv4_hdr *);
        uint32_t target;

        if (!nh || (nh->type != DP_NH_CONNECTED && nh->type != DP_NH_CA) ||
            !(nh->mac[0] | nh->mac[1] | nh->mac[2] | nh->mac[3] | nh->mac[4] | nh->mac[5]) ||
            rte_be_to_cpu_16(ip->total_length) > mtu - DP_NVGRE_OVERHEAD) {
            dp_route_input(w, live[i], tn[i], NULL);
            continue;
        }
        target = nh->type == DP_NH_CA ? nh->ip : ip->dst_addr;
        memset(&lkeys[nf], 0, sizeof lkeys[nf]);
        lkeys[nf].vsid = nh->vsid;
        lkeys[nf].family = 4;
        memcpy(lkeys[nf].addr, &target, 4);
        keys[nf] = &lkeys[nf];
        nhs_live[nf] = nh;
        tn[nf] = tn[i];
        live[nf++] = live[i];
    }
    if (!nf) {
        return;
    }
    /* 3. Lookup records in bulk, then NVGRE to the record's PA. */
    rcu_table_lookup_bulk(dp->lookups, keys, nf, vals);
    for (uint16_t i = 0; i < nf; i++) {
        const struct dp_lookup *rec = vals[i];
        struct rte_mbuf *m = live[i];
        struct rte_ether_hdr *eth;

        if (!rec || rec->type == DP_LK_L2ONLY || rec->type == DP_LK_WILDCARD ||
            rec->local_port >= 0) {
            dp_route_input(w, m, tn[i], NULL);
            continue;
        }
        dp_count(w, DP_route_routed);
        dp_ipv4_dec_ttl(rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *));
        eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof *eth);
        if (!eth) {
            dp_drop(w, m, DP_encap_no_headroom);
            continue;
        }
        memcpy(eth->dst_addr.addr_bytes, rec->mac, 6);
        memcpy(eth->src_addr.addr_bytes, nhs_live[i]->mac, 6);
        eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
        dp_encap_output(w, m, nhs_live[i]->vsid, rec->pa);
    }
}

void
dp_trace_fmt_route(const struct dp_trace_rec *r, char *buf, size_t len)
{
    static const char *const kinds[] = {"no route",  "connected VSID", "CA",    "external",
                                        "blackhole", "unreachable",    "local", "tenant",
                                        "NAT",       "NAT public"};
    const uint8_t *d = (const uint8_t *)&r->b, *n = (const uint8_t *)&r->c;
    int k = snprintf(buf, len, "route: domain %u, %u.%u.%u.%u -> %s", r->a, d[0], d[1], d[2], d[3],
                     r->what < 10 ? kinds[r->what] : "?");
    if (k > 0 && (size_t)k < len) {
        if (r->what == DP_NH_CONNECTED) {
            snprintf(buf + k, len - k, " %u", r->c);
        } else if (r->what == DP_NH_CA || r->what == DP_NH_EXTERNAL) {
            snprintf(buf + k, len - k, " via %u.%u.%u.%u", n[0], n[1], n[2], n[3]);
        }
    }
}
