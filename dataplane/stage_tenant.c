/* SPDX-License-Identifier: Apache-2.0 */
/* Tenant stage: an inner Ethernet frame has been decapsulated and classified to a virtual subnet
 * (VSID -> subnet -> routing domain). Inner ARP is answered from policy, frames to the subnet's
 * gateway MAC are routed (gateway role), and frames for local VMs are delivered (host role). */
#include "dp_internal.h"

#include <stdio.h>

/* Validates an Ethernet+ARP frame at m's data; returns the ARP header or NULL. */
static struct rte_arp_hdr *
arp_parse(struct rte_mbuf *m)
{
    struct rte_arp_hdr *arp;

    if (rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr) + sizeof *arp) {
        return NULL;
    }
    arp = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, sizeof(struct rte_ether_hdr));
    if (!dp_arp_is_ether_ipv4(arp)) {
        return NULL;
    }
    return arp;
}

/* Finds the local VM port of subnet 'sn' whose MAC is 'mac'; returns its port id or -1. */
static int
local_port_by_mac(const struct dp *dp, const struct dp_subnet *sn, const struct rte_ether_addr *mac)
{
    uint64_t ports = sn->local_ports;

    while (ports) {
        unsigned p = __builtin_ctzll(ports);
        ports &= ports - 1;
        if (rte_is_same_ether_addr(&dp->ports[p].mac, mac)) {
            return (int)p;
        }
    }
    return -1;
}

void
dp_tenant_input(struct dp_worker *w, struct rte_mbuf *m, const struct dp_subnet *sn,
                uint32_t src_pa)
{
    struct dp *dp = w->dp;
    struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
    uint16_t type = rte_be_to_cpu_16(eth->ether_type);
    int port;

    if (type == RTE_ETHER_TYPE_ARP) {
        struct rte_arp_hdr *arp = arp_parse(m);
        struct rte_ether_addr answer;

        if (!arp) {
            dp_drop(w, m, DP_tenant_bad_arp);
            return;
        }
        if (arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST)) {
            dp_drop(w, m, DP_tenant_arp_ignored);
            return;
        }
        if (!dp_arp_policy(dp, sn, arp->arp_data.arp_tip, &answer)) {
            dp_drop(w, m, DP_tenant_arp_no_policy);
            return;
        }
        DP_TRACE(w, m, tenant, 0, sn->vsid, arp->arp_data.arp_tip, 0);
        dp_arp_make_reply(m, arp, &answer);
        dp_count(w, DP_tenant_arp_replied);
        dp_encap_output(w, m, sn->vsid, src_pa);
        return;
    }
    if (rte_is_multicast_ether_addr(&eth->dst_addr)) {
        if (dp->params.host_role && sn->local_ports) {
            dp_replicate(w, m, sn, -1, false);
        } else {
            dp_drop(w, m, DP_tenant_broadcast);
        }
        return;
    }
    if (dp->params.gateway_role && memcmp(eth->dst_addr.addr_bytes, sn->gw_mac, 6) == 0) {
        if (type != RTE_ETHER_TYPE_IPV4) {
            dp_drop(w, m, DP_tenant_not_ipv4);
            return;
        }
        DP_TRACE(w, m, tenant, 1, sn->vsid, sn->tenant, 0);
        rte_pktmbuf_adj(m, sizeof *eth);
        dp_route_input(w, m, sn->tenant, sn);
        return;
    }
    port = local_port_by_mac(dp, sn, &eth->dst_addr);
    if (port >= 0) {
        dp_count(w, DP_tenant_switched_local);
        DP_TRACE(w, m, tenant, 2, sn->vsid, port, 0);
        dp_vm_output(w, m, (uint16_t)port);
        return;
    }
    dp_drop(w, m, DP_tenant_unknown_dst_mac);
}

void
dp_trace_fmt_tenant(const struct dp_trace_rec *r, char *buf, size_t len)
{
    const uint8_t *t = (const uint8_t *)&r->b;
    switch (r->what) {
    case 0:
        snprintf(buf, len, "tenant: VSID %u, ARP for %u.%u.%u.%u answered from policy", r->a, t[0],
                 t[1], t[2], t[3]);
        break;
    case 1:
        snprintf(buf, len, "tenant: VSID %u, to the subnet gateway: route in domain %u", r->a,
                 r->b);
        break;
    default:
        snprintf(buf, len, "tenant: VSID %u, switched to local VM port %u", r->a, r->b);
    }
}
