/* SPDX-License-Identifier: Apache-2.0 */
/* Host role: frames from a local VM NIC. Each VM port is bound to one (VSID, CA, MAC); anything
 * that claims another source is dropped (anti-spoofing). The VM's ARP is answered from policy,
 * broadcast is replicated, and unicast goes to a local VM, the routing domain (gateway role) or
 * the VSID's gateway-wildcard PA. */
#include "dp_internal.h"

#include <rte_udp.h>
#include <stdio.h>

/* True when an IPv4 packet with source 0.0.0.0 is a DHCP client message, the one case where a VM
 * may legitimately send without its CA. */
static bool
is_dhcp_discover(const struct rte_ipv4_hdr *ip, uint32_t len)
{
    unsigned ihl = (ip->version_ihl & 0xf) * 4;
    const struct rte_udp_hdr *udp = (const struct rte_udp_hdr *)((const uint8_t *)ip + ihl);

    return ip->src_addr == 0 && ip->next_proto_id == IPPROTO_UDP && len >= ihl + sizeof *udp &&
           udp->dst_port == rte_cpu_to_be_16(67);
}

void
dp_vm_output(struct dp_worker *w, struct rte_mbuf *m, uint16_t port_id)
{
    dp_count(w, DP_vm_delivered);
    dp_tx_frame(w, m, port_id);
}

/* Handles an ARP frame from a VM; the sender fields must be the VM's own. */
static void
vm_arp(struct dp_worker *w, struct rte_mbuf *m, const struct dp_port *port,
       const struct dp_subnet *sn)
{
    struct rte_arp_hdr *arp;
    struct rte_ether_addr answer;

    if (rte_pktmbuf_data_len(m) < sizeof(struct rte_ether_hdr) + sizeof *arp) {
        dp_drop(w, m, DP_vm_runt);
        return;
    }
    arp = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *, sizeof(struct rte_ether_hdr));
    if (!dp_arp_is_ether_ipv4(arp)) {
        dp_drop(w, m, DP_tenant_bad_arp);
        return;
    }
    if (!rte_is_same_ether_addr(&arp->arp_data.arp_sha, &port->mac) ||
        (arp->arp_data.arp_sip != port->conf.ca && arp->arp_data.arp_sip != 0)) {
        dp_drop(w, m, DP_vm_spoofed_ip);
        return;
    }
    if (arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST)) {
        dp_drop(w, m, DP_tenant_arp_ignored);
        return;
    }
    if (!dp_arp_policy(w->dp, sn, arp->arp_data.arp_tip, &answer)) {
        dp_drop(w, m, DP_tenant_arp_no_policy);
        return;
    }
    dp_arp_make_reply(m, arp, &answer);
    dp_count(w, DP_vm_arp_replied);
    dp_vm_output(w, m, port->port_id);
}

/* Sends an unchanged frame to the VSID's gateway-wildcard PA (host role without routing). */
static void
to_wildcard(struct dp_worker *w, struct rte_mbuf *m, const struct dp_subnet *sn)
{
    const struct dp_lookup *wc = dp_lookup_find(w->dp, sn->vsid, 0);

    if (!wc || wc->type != DP_LK_WILDCARD) {
        dp_drop(w, m, DP_vm_no_destination);
        return;
    }
    dp_count(w, DP_tenant_to_wildcard);
    dp_encap_output(w, m, sn->vsid, wc->pa);
}

void
dp_vm_input(struct dp_worker *w, struct rte_mbuf *m, const struct dp_port *port)
{
    struct dp *dp = w->dp;
    struct rte_ether_hdr *eth;
    const struct dp_subnet *sn;
    uint32_t len = rte_pktmbuf_data_len(m);
    uint16_t type;

    dp_count(w, DP_vm_rx);
    DP_TRACE(w, m, vm, 0, port->conf.vsid, port->conf.ca, rte_pktmbuf_data_len(m));
    if (len < sizeof *eth) {
        dp_drop(w, m, DP_vm_runt);
        return;
    }
    eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
    type = rte_be_to_cpu_16(eth->ether_type);
    if (type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ) {
        dp_drop(w, m, DP_vm_vlan_tagged);
        return;
    }
    if (!rte_is_same_ether_addr(&eth->src_addr, &port->mac)) {
        dp_drop(w, m, DP_vm_spoofed_mac);
        return;
    }
    sn = dp_subnet_find(dp, port->conf.vsid);
    if (!sn) {
        dp_drop(w, m, DP_decap_unknown_vsid);
        return;
    }
    if (type == RTE_ETHER_TYPE_ARP) {
        vm_arp(w, m, port, sn);
        return;
    }
    if (type == RTE_ETHER_TYPE_IPV4) {
        const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
        if (!dp_ipv4_check(ip, len - sizeof *eth)) {
            dp_drop(w, m, DP_route_bad_ipv4);
            return;
        }
        if (ip->src_addr != port->conf.ca && !is_dhcp_discover(ip, len - sizeof *eth)) {
            dp_drop(w, m, DP_vm_spoofed_ip);
            return;
        }
    }
    if (rte_is_multicast_ether_addr(&eth->dst_addr)) {
        dp_replicate(w, m, sn, port->port_id, true);
        return;
    }
    if (memcmp(eth->dst_addr.addr_bytes, sn->gw_mac, 6) == 0) {
        if (!dp->params.gateway_role) {
            to_wildcard(w, m, sn);
        } else if (type != RTE_ETHER_TYPE_IPV4) {
            dp_drop(w, m, DP_tenant_not_ipv4);
        } else {
            rte_pktmbuf_adj(m, sizeof *eth);
            dp_route_input(w, m, sn->tenant, sn);
        }
        return;
    }
    if (type == RTE_ETHER_TYPE_IPV4) {
        const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
        const struct dp_lookup *rec = dp_lookup_find(dp, sn->vsid, ip->dst_addr);
        if (rec && rec->type != DP_LK_WILDCARD) {
            if (rec->local_port >= 0) {
                dp_count(w, DP_tenant_switched_local);
                dp_vm_output(w, m, (uint16_t)rec->local_port);
            } else {
                dp_encap_output(w, m, sn->vsid, rec->pa);
            }
            return;
        }
    }
    to_wildcard(w, m, sn);
}

void
dp_trace_fmt_vm(const struct dp_trace_rec *r, char *buf, size_t len)
{
    const uint8_t *c = (const uint8_t *)&r->b;
    snprintf(buf, len, "vm: port %u (VSID %u, CA %u.%u.%u.%u), %u bytes", r->port, r->a, c[0], c[1],
             c[2], c[3], r->c);
}
