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
