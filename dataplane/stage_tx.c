/* SPDX-License-Identifier: Apache-2.0 */
/* Output stage: Ethernet/VLAN framing, next-hop MAC resolution from the neighbor cache, and batched
 * transmission on the worker's own tx queue. A miss in the neighbor cache hands the packet to the
 * control thread, which holds it while ARP resolves (so the first packet of a flow is not lost). */
#include "dp_internal.h"

#include <rte_ethdev.h>
#include <stdio.h>

enum dp_l2_status
dp_l2_peek(const struct rte_mbuf *m, const struct dp_port *port, uint16_t *type, unsigned *hlen)
{
    const struct rte_ether_hdr *eth;
    uint32_t len = rte_pktmbuf_data_len(m);

    if (len < sizeof *eth) {
        return DP_L2_RUNT;
    }
    eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
    *type = rte_be_to_cpu_16(eth->ether_type);
    *hlen = sizeof *eth;
    if (*type == RTE_ETHER_TYPE_VLAN) {
        const struct rte_vlan_hdr *vh = (const struct rte_vlan_hdr *)(eth + 1);
        if (len < sizeof *eth + sizeof *vh) {
            return DP_L2_RUNT;
        }
        if ((rte_be_to_cpu_16(vh->vlan_tci) & 0xfff) != port->conf.vlan) {
            return DP_L2_BAD_VLAN;
        }
        *type = rte_be_to_cpu_16(vh->eth_proto);
        *hlen += sizeof *vh;
    } else if (port->conf.vlan) {
        return DP_L2_BAD_VLAN;
    }
    return DP_L2_OK;
}

uint16_t
dp_l2_strip(struct rte_mbuf *m, const struct dp_port *port, bool *vlan_bad)
{
    uint16_t type;
    unsigned hlen;
    enum dp_l2_status st = dp_l2_peek(m, port, &type, &hlen);

    *vlan_bad = st == DP_L2_BAD_VLAN;
    if (st != DP_L2_OK) {
        return 0;
    }
    rte_pktmbuf_adj(m, hlen);
    return type;
}

void
dp_l2_bounce(struct rte_mbuf *m, const struct dp_port *port)
{
    struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

    eth->dst_addr = eth->src_addr;
    eth->src_addr = port->mac;
}

bool
dp_l2_prepend_tag(struct rte_mbuf *m, const struct dp_port *port, const struct rte_ether_addr *dst,
                  uint16_t ethertype, uint16_t tag)
{
    unsigned hlen = sizeof(struct rte_ether_hdr) + (tag ? sizeof(struct rte_vlan_hdr) : 0);
    struct rte_ether_hdr *eth = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, hlen);

    if (!eth) {
        return false;
    }
    rte_ether_addr_copy(dst, &eth->dst_addr);
    rte_ether_addr_copy(&port->mac, &eth->src_addr);
    if (tag) {
        struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eth + 1);
        eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
        vh->vlan_tci = rte_cpu_to_be_16(tag);
        vh->eth_proto = rte_cpu_to_be_16(ethertype);
    } else {
        eth->ether_type = rte_cpu_to_be_16(ethertype);
    }
    return true;
}

bool
dp_l2_prepend(struct rte_mbuf *m, const struct dp_port *port, const struct rte_ether_addr *dst,
              uint16_t ethertype)
{
    return dp_l2_prepend_tag(m, port, dst, ethertype, port->conf.vlan);
}

void
dp_tx_frame(struct dp_worker *w, struct rte_mbuf *m, uint16_t port)
{
    struct dp_txbuf *tb;

    if (port >= DP_MAX_PORTS || !w->dp->ports[port].used) {
        dp_drop(w, m, DP_tx_no_port);
        return;
    }
    DP_TRACE(w, m, tx, 0, port, rte_pktmbuf_pkt_len(m), 0);
    tb = &w->tx[port];
    tb->pkts[tb->n++] = m;
    if (tb->n == DP_BURST) {
        dp_tx_flush(w);
    }
}

void
dp_tx_ip(struct dp_worker *w, struct rte_mbuf *m, uint16_t port, uint32_t nh_ip)
{
    struct dp *dp = w->dp;
    const struct rte_ether_addr *mac;

    /* Most packets of a burst go to the same next hop (the PA's router or the PA itself): a
     * one-entry cache, invalidated by any neighbor change, saves the hash lookup. */
    if (likely(dp_neigh_cached(w, port, nh_ip))) {
        mac = &w->nc_mac;
    } else {
        uint32_t gen = __atomic_load_n(&dp->neigh_gen, __ATOMIC_ACQUIRE);
        struct dp_neigh_key k = {.port = port, .ip = nh_ip};
        const struct dp_neigh *n = rcu_table_lookup(dp->neighbors, &k);

        if (!n) {
            DP_TRACE(w, m, tx, 1, port, 0, nh_ip);
            dp_count(w, DP_tx_neigh_punted);
            dp_punt(w, m, DP_PUNT_NEIGH_MISS, port, nh_ip);
            return;
        }
        w->nc_key = k;
        w->nc_mac = n->mac;
        w->nc_gen = gen;
        mac = &w->nc_mac;
    }
    if (!dp_l2_prepend(m, &dp->ports[port], mac, RTE_ETHER_TYPE_IPV4)) {
        dp_drop(w, m, DP_encap_no_headroom);
        return;
    }
    dp_tx_frame(w, m, port);
}

unsigned
dp_tx_control(struct dp_worker *w)
{
    struct rte_mbuf *pkts[DP_BURST];
    unsigned n = rte_ring_sc_dequeue_burst(w->dp->ctl_tx, (void **)pkts, DP_BURST, NULL);

    for (unsigned j = 0; j < n; j++) {
        dp_tx_frame(w, pkts[j], ((struct dp_mbuf_priv *)rte_mbuf_to_priv(pkts[j]))->out_port);
    }
    return n;
}

void
dp_tx_flush(struct dp_worker *w)
{
    for (unsigned p = 0; p < DP_MAX_PORTS; p++) {
        struct dp_txbuf *tb = &w->tx[p];
        uint16_t sent;

        if (!tb->n) {
            continue;
        }
        sent = rte_eth_tx_burst(p, w->id, tb->pkts, tb->n);
        w->stats.counter[DP_tx_sent] += sent;
        for (uint16_t i = sent; i < tb->n; i++) {
            dp_drop(w, tb->pkts[i], DP_tx_port_full);
        }
        tb->n = 0;
    }
}

void
dp_trace_fmt_tx(const struct dp_trace_rec *r, char *buf, size_t len)
{
    const uint8_t *n = (const uint8_t *)&r->c;
    if (r->what) {
        snprintf(buf, len, "tx: port %u, next hop %u.%u.%u.%u unresolved: held for ARP", r->a, n[0],
                 n[1], n[2], n[3]);
    } else {
        snprintf(buf, len, "tx: port %u, %u bytes queued", r->a, r->b);
    }
}

void
dp_trace_fmt_drop(const struct dp_trace_rec *r, char *buf, size_t len)
{
    snprintf(buf, len, "drop: %s (%s)", r->a < DP_N_DROPS ? dp_drop_names[r->a] : "?",
             r->a < DP_N_DROPS ? dp_drop_help[r->a] : "?");
}
