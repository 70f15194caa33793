/* SPDX-License-Identifier: Apache-2.0 */
/* Exception stage: the TAP between a tenant's routing domain and its compartment, where FRR runs.
 *
 * Toward the compartment go only the packets its kernel terminates: BGP (TCP port 179 either
 * way) and ICMP, addressed to the gateway's own addresses in the tenant (its subnet gateway CAs).
 * From the compartment comes whatever its kernel sends: ARP is answered with the port's MAC for
 * any target (the data plane is the compartment's every next hop), and IPv4 is routed in the
 * tenant's domain like a packet the gateway originates, so its TTL is not decremented.
 *
 * Many compartments share one port (dp.h), each known by its 802.1Q VLAN id or, untagged, by its
 * MAC: the tag or the destination on the way out is the data plane's, and on the way in it is
 * the only thing that says whose a frame is, so a frame with neither bound on that port is
 * dropped before anything reads it. */
#include "dp_internal.h"

#include <rte_tcp.h>
#include <stdio.h>

#define BGP_PORT 179

bool
dp_exception_punt(struct dp_worker *w, struct rte_mbuf *m, uint16_t tenant)
{
    struct dp *dp = w->dp;
    const struct dp_compartment *c = &dp->compartments[tenant];
    uint16_t id = __atomic_load_n(&c->port, __ATOMIC_ACQUIRE);
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
    unsigned ihl = (ip->version_ihl & 0xf) * 4;
    const struct dp_port *port;

    if (!id) {
        return false;
    }
    if (ip->next_proto_id == IPPROTO_TCP) {
        const struct rte_tcp_hdr *t = (const struct rte_tcp_hdr *)((uint8_t *)ip + ihl);
        if (rte_pktmbuf_data_len(m) < ihl + 4 || (t->src_port != rte_cpu_to_be_16(BGP_PORT) &&
                                                  t->dst_port != rte_cpu_to_be_16(BGP_PORT))) {
            return false;
        }
    } else if (ip->next_proto_id != IPPROTO_ICMP) {
        return false;
    }
    port = &dp->ports[id - 1];
    DP_TRACE(w, m, exception, 1, tenant, ip->src_addr, ip->next_proto_id);
    if (!dp_l2_prepend_tag(m, port, &c->peer_mac, RTE_ETHER_TYPE_IPV4, c->tag)) {
        dp_drop(w, m, DP_encap_no_headroom);
        return true;
    }
    dp_count(w, DP_exception_punted);
    w->compartment_stats[c->index].punted++;
    dp_tx_frame(w, m, port->port_id);
    return true;
}

/* Answers any ARP request from the compartment with the port's own MAC; 'l2' is the length of
 * the Ethernet header and tag, which the reply keeps. */
static void
arp_input(struct dp_worker *w, struct rte_mbuf *m, const struct dp_port *port, unsigned l2)
{
    struct rte_arp_hdr *arp;

    if (rte_pktmbuf_data_len(m) < l2 + sizeof *arp) {
        dp_drop(w, m, DP_exception_runt);
        return;
    }
    arp = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, l2);
    if (!dp_arp_is_ether_ipv4(arp) || arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST)) {
        dp_drop(w, m, DP_exception_unsupported);
        return;
    }
    dp_arp_make_reply(m, arp, &port->mac);
    dp_count(w, DP_exception_arp_replied);
    dp_tx_frame(w, m, port->port_id);
}

/* Whose frame 'm' is, from the port it came in on: the port's domain, or on a tagged port the
 * domain its VLAN id is bound to. Sets '*l2' and '*type' past the tag. Returns false (the frame
 * dropped and counted) when it belongs to no compartment there. */
static bool
classify(struct dp_worker *w, struct rte_mbuf *m, const struct dp_port *port, uint16_t *tenant,
         unsigned *l2, uint16_t *type)
{
    const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
    const struct rte_vlan_hdr *vh;

    *l2 = sizeof *eth;
    *type = rte_be_to_cpu_16(eth->ether_type);
    if (!port->conf.tagged) {
        *tenant = port->conf.tenant;
        return true;
    }
    if (*type != RTE_ETHER_TYPE_VLAN) {
        /* Untagged: the kernel side vouches for the source (a locked bridge port). */
        *tenant = dp_compartment_by_mac(port, &eth->src_addr);
        if (!*tenant || w->dp->compartments[*tenant].tag) {
            dp_drop(w, m, DP_exception_unknown_source);
            return false;
        }
        return true;
    }
    if (rte_pktmbuf_data_len(m) < sizeof *eth + sizeof *vh) {
        dp_drop(w, m, DP_exception_runt);
        return false;
    }
    vh = (const struct rte_vlan_hdr *)(eth + 1);
    *tenant = port->tag_tenant[rte_be_to_cpu_16(vh->vlan_tci) & 0xfff];
    if (!*tenant || !w->dp->compartments[*tenant].tag) {
        dp_drop(w, m, DP_exception_unknown_tag);
        return false;
    }
    *l2 += sizeof *vh;
    *type = rte_be_to_cpu_16(vh->eth_proto);
    return true;
}

void
dp_exception_input(struct dp_worker *w, struct rte_mbuf *m, const struct dp_port *port)
{
    struct rte_ipv4_hdr *ip;
    uint16_t type, tenant;
    unsigned l2;

    dp_count(w, DP_exception_rx);
    if (rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr)) {
        dp_drop(w, m, DP_exception_runt);
        return;
    }
    if (!classify(w, m, port, &tenant, &l2, &type)) {
        return;
    }
    w->compartment_stats[w->dp->compartments[tenant].index].injected++;
    if (type == RTE_ETHER_TYPE_ARP) {
        arp_input(w, m, port, l2); /* Answered here: it never leaves the node, whatever the role. */
        return;
    }
    if (unlikely(w->ha_passive)) {
        /* A passive node's compartments send nothing out (ha.h): their BGP and IKE would speak
         * for addresses the active node owns. */
        dp_ha_passive_drop(w, m, l2, DP_exception_ha_passive);
        return;
    }
    if (type != RTE_ETHER_TYPE_IPV4) {
        dp_drop(w, m, DP_exception_unsupported); /* IPv6 neighbor discovery and the like. */
        return;
    }
    rte_pktmbuf_adj(m, (uint16_t)l2);
    ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
    if (!dp_ipv4_check(ip, rte_pktmbuf_data_len(m))) {
        dp_drop(w, m, DP_route_bad_ipv4);
        return;
    }
    if (tenant == 0) {
        dp_esp_ike_output(w, m); /* The IKE compartment's: straight out of the uplink. */
        return;
    }
    /* The gateway originates these: give back the hop that routing will take. */
    if (ip->time_to_live < 255) {
        uint32_t sum = (uint32_t)(uint16_t)~ip->hdr_checksum + rte_cpu_to_be_16(0x0100);
        ip->time_to_live++;
        sum = (sum & 0xffff) + (sum >> 16);
        ip->hdr_checksum = (uint16_t) ~(sum + (sum >> 16));
    }
    DP_TRACE(w, m, exception, 0, tenant, ip->dst_addr, ip->next_proto_id);
    dp_count(w, DP_exception_routed);
    dp_route_input(w, m, tenant, NULL);
}

void
dp_trace_fmt_exception(const struct dp_trace_rec *r, char *buf, size_t len)
{
    const uint8_t *a = (const uint8_t *)&r->b;
    snprintf(buf, len, "exception: %s compartment of domain %u, %s %u.%u.%u.%u, protocol %u",
             r->what ? "to the" : "from the", r->a, r->what ? "from" : "to", a[0], a[1], a[2], a[3],
             r->c);
}
