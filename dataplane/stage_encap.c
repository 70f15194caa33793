/* SPDX-License-Identifier: Apache-2.0 */
/* NVGRE encapsulation: outer IPv4 from our PA to the destination PA, GRE word 0x2000, protocol
 * 0x6558 and key = VSID << 8 | FlowID, where FlowID hashes the inner flow so that the PA network
 * can spread flows over paths (RFC 7637 section 3.1). */
#include "dp_internal.h"

#include <rte_hash_crc.h>
#include <stdio.h>

/* FlowID: the low 8 bits of a hash of the inner addresses and, for TCP/UDP, the ports. */
static uint8_t
flow_id(const struct rte_mbuf *m)
{
    const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
    const struct rte_ipv4_hdr *ip;
    uint32_t h;

    if (eth->ether_type != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
        rte_pktmbuf_data_len(m) < sizeof *eth + sizeof *ip + 4) {
        uint64_t macs[2] = {0, 0}; /* Aligned copy: the frame may sit at any offset. */
        memcpy(macs, &eth->dst_addr, 12);
        return (uint8_t)rte_hash_crc(macs, sizeof macs, 0);
    }
    ip = (const struct rte_ipv4_hdr *)(eth + 1);
    h = rte_hash_crc_8byte(((uint64_t)ip->src_addr << 32) | ip->dst_addr, ip->next_proto_id);
    if ((ip->next_proto_id == IPPROTO_TCP || ip->next_proto_id == IPPROTO_UDP) &&
        !dp_ipv4_is_fragment(ip)) {
        unsigned ihl = (ip->version_ihl & 0xf) * 4;
        if (rte_pktmbuf_data_len(m) >= sizeof *eth + ihl + 4) {
            uint32_t ports;
            memcpy(&ports, (const uint8_t *)ip + ihl, sizeof ports);
            h = rte_hash_crc_4byte(ports, h);
        }
    }
    return (uint8_t)(h ^ (h >> 8) ^ (h >> 16) ^ (h >> 24));
}

void
dp_encap_output(struct dp_worker *w, struct rte_mbuf *m, uint32_t vsid, uint32_t pa)
{
    struct dp *dp = w->dp;
    const struct dp_port *port;
    struct rte_ipv4_hdr *ip;
    uint32_t key, nh;
    uint16_t provider = (uint16_t)dp->provider_port;
    uint8_t fid;
    bool cached;

    if (dp->provider_port < 0) {
        dp_drop(w, m, DP_tx_no_port);
        return;
    }
    port = &dp->ports[provider];
    fid = flow_id(m);
    nh = ((pa ^ port->conf.ip) & port->mask) == 0 || !port->conf.gateway ? pa : port->conf.gateway;
    /* With the next hop's MAC in the worker's cache (the usual case), all 42 bytes of outer
     * headers go on at once and the frame is queued directly; otherwise dp_tx_ip() resolves it. */
    cached = !port->conf.vlan && dp_neigh_cached(w, provider, nh);
    ip = (struct rte_ipv4_hdr *)rte_pktmbuf_prepend(
        m, sizeof *ip + 8 + (cached ? sizeof(struct rte_ether_hdr) : 0));
    if (!ip) {
        dp_drop(w, m, DP_encap_no_headroom);
        return;
    }
    if (cached) {
        struct rte_ether_hdr *eth = (struct rte_ether_hdr *)ip;
        eth->dst_addr = w->nc_mac;
        eth->src_addr = port->mac;
        eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
        ip = (struct rte_ipv4_hdr *)(eth + 1);
    }
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->type_of_service = 0;
    ip->total_length =
        rte_cpu_to_be_16(rte_pktmbuf_pkt_len(m) - (cached ? sizeof(struct rte_ether_hdr) : 0));
    ip->packet_id = rte_cpu_to_be_16(w->ip_id++);
    ip->fragment_offset = 0;
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_GRE;
    ip->src_addr = dp->params.pas[0];
    ip->dst_addr = pa;
    ip->hdr_checksum = 0;
    ip->hdr_checksum = (uint16_t)~dp_ipv4_sum20(ip);
    /* GRE: word 0x2000 (K bit), protocol 0x6558, then the key, all big-endian. */
    key = rte_cpu_to_be_32(vsid << 8 | fid);
    const uint32_t gre_word =
        rte_cpu_to_be_32((uint32_t)DP_GRE_FLAGS_KEY << 16 | DP_ETHER_TYPE_TEB);
    memcpy(ip + 1, &gre_word, 4);
    memcpy((uint8_t *)(ip + 1) + 4, &key, 4);
    dp_count(w, DP_encap_nvgre);
    DP_TRACE(w, m, encap, cached, vsid, pa, fid);
    if (cached) {
        dp_tx_frame(w, m, provider);
    } else {
        dp_tx_ip(w, m, provider, nh);
    }
}

void
dp_trace_fmt_encap(const struct dp_trace_rec *r, char *buf, size_t len)
{
    const uint8_t *p = (const uint8_t *)&r->b;
    snprintf(buf, len, "encap: NVGRE VSID %u FlowID %u to PA %u.%u.%u.%u%s", r->a, r->c, p[0], p[1],
             p[2], p[3], r->what ? " (next hop MAC cached)" : "");
}
