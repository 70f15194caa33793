/* SPDX-License-Identifier: Apache-2.0 */
/* ARP answered from policy. Neither the PA network's nor a tenant's ARP is ever flooded: own
 * addresses, subnet gateways and lookup records are all the answers there are. */
#include "dp_internal.h"

void
dp_arp_make_reply(struct rte_mbuf *m, struct rte_arp_hdr *arp, const struct rte_ether_addr *mac)
{
    struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
    uint32_t target = arp->arp_data.arp_tip;

    arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
    arp->arp_data.arp_tha = arp->arp_data.arp_sha;
    arp->arp_data.arp_tip = arp->arp_data.arp_sip;
    arp->arp_data.arp_sha = *mac;
    arp->arp_data.arp_sip = target;
    eth->dst_addr = arp->arp_data.arp_tha;
    eth->src_addr = *mac;
}

bool
dp_arp_is_ether_ipv4(const struct rte_arp_hdr *arp)
{
    return arp->arp_hardware == rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) &&
           arp->arp_protocol == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) && arp->arp_hlen == 6 &&
           arp->arp_plen == 4;
}

bool
dp_arp_policy(const struct dp *dp, const struct dp_subnet *sn, uint32_t target,
              struct rte_ether_addr *mac)
{
    const struct dp_lookup *rec;

    if (target == sn->gw_ip) {
        memcpy(mac->addr_bytes, sn->gw_mac, 6);
        return true;
    }
    rec = dp_lookup_find(dp, sn->vsid, target);
    if (rec && rec->type != DP_LK_WILDCARD && rec->type != DP_LK_L2ONLY) {
        memcpy(mac->addr_bytes, rec->mac, 6);
        return true;
    }
    return false;
}

struct rte_mbuf *
dp_arp_request_build(struct dp *dp, const struct dp_port *port, uint32_t sip, uint32_t tip)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);
    struct rte_ether_addr bcast;
    struct rte_arp_hdr *arp;

    if (!m) {
        return NULL;
    }
    memset(&bcast, 0xff, sizeof bcast);
    arp = (struct rte_arp_hdr *)rte_pktmbuf_append(m, sizeof *arp);
    arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
    arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    arp->arp_hlen = 6;
    arp->arp_plen = 4;
    arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
    arp->arp_data.arp_sha = port->mac;
    arp->arp_data.arp_sip = sip;
    memset(&arp->arp_data.arp_tha, 0, 6);
    arp->arp_data.arp_tip = tip;
    if (!dp_l2_prepend(m, port, &bcast, RTE_ETHER_TYPE_ARP)) {
        rte_pktmbuf_free(m);
        return NULL;
    }
    return m;
}
