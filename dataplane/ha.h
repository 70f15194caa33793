/* SPDX-License-Identifier: Apache-2.0 */
/* High availability in the data plane: what an active/passive pair needs of it.
 *
 * The module promises:
 * - A node is standalone (the default: it owns every address it is given, as before), active or
 *   passive. The role is read by the workers on every burst; dp_ha_set_role() takes effect within
 *   one burst, with no packet half-handled under two roles: it returns once every worker runs
 *   under the new role.
 * - A passive node answers nothing on the virtual addresses and forwards nothing: NVGRE to the
 *   PAs, everything arriving on the external port and everything the tenants' compartments send
 *   (exception ports) is dropped and counted as "<stage>.ha_passive" (the compartments' own ARP
 *   is still answered: it never leaves the node). It still answers ARP for the provider port's
 *   own (per-node) address unless that is also a PA, still learns neighbors from ARP (asking
 *   from its own address, never a virtual one), and still hands VRRP adverts to the control
 *   thread, so that the election goes on. An active node answers ARP for the PAs and its own
 *   provider address; a standalone node for the PAs, as before pairs.
 * - The virtual addresses are the PAs (dp_params.pas), the external port's address, the NAT
 *   public addresses, the ESP local addresses and the subnets' gateway CAs: the addresses the
 *   configuration shares between the two nodes.
 * - dp_ha_announce() sends one gratuitous ARP for each virtual address on its port (a request
 *   with sender = target = the address, from the port's MAC), so that hosts and routers move
 *   their ARP entries to this node at once: the PAs on the provider port; the external port's
 *   address, the NAT public addresses and the ESP local addresses on the external port. (The
 *   gateway CAs are announced by policy, not ARP.) A node receiving a gratuitous ARP (request or
 *   unsolicited reply) for a neighbor it knows moves it to the new MAC at once.
 * - VRRP (IPv4 protocol 112) arriving on the provider port is handed, whole (from the Ethernet
 *   header), to the handler set with dp_ha_set_vrrp_handler(), from dp_control_poll(), on the
 *   control thread; in every role. Without a handler it is dropped and counted. On a port with
 *   a VLAN the handler sees the frame without the port's tag.
 * - dp_ha_send() transmits a frame the control thread built (e.g. a VRRP advert) on a port,
 *   through worker 0, adding the port's VLAN tag if it has one.
 * All functions are for the control thread only, and return 0 or a positive errno. */
#ifndef HNVGW_DP_HA_H
#define HNVGW_DP_HA_H

#include <stddef.h>
#include <stdint.h>

struct dp;

enum dp_ha_role {
    DP_HA_STANDALONE, /* No pair: owns every address (the default). */
    DP_HA_ACTIVE,     /* The pair's active node: owns the virtual addresses. */
    DP_HA_PASSIVE,    /* The pair's passive node: owns none, forwards nothing. */
};

/* Sets the node's role (see the top of this file). Returns EINVAL for an unknown role. */
int dp_ha_set_role(struct dp *dp, enum dp_ha_role role);

/* The role last set. */
enum dp_ha_role dp_ha_role(const struct dp *dp);

/* A printable name: "standalone", "active" or "passive". */
const char *dp_ha_role_name(enum dp_ha_role role);

/* Sends one gratuitous ARP per virtual address from the port it lives on. Returns the number
 * sent in '*sent' (may be NULL). Returns EAGAIN when a frame could not be queued (the caller
 * may repeat it: RFC 5798 and keepalived repeat them anyway). */
int dp_ha_announce(struct dp *dp, unsigned *sent);

/* Called on the control thread with each VRRP frame received on 'port' ('frame' from its
 * Ethernet header, 'len' bytes, valid during the call only). */
typedef void dp_ha_vrrp_fn(const uint8_t *frame, size_t len, uint16_t port, void *aux);

/* Sets (or with NULL clears) the VRRP handler. */
void dp_ha_set_vrrp_handler(struct dp *dp, dp_ha_vrrp_fn *fn, void *aux);

/* Transmits 'len' bytes of 'frame' (a whole Ethernet frame, at most 1514 bytes) on DPDK port
 * 'port', from the control thread. Returns ENODEV for a port the node does not use, EINVAL for
 * a bad length, ENOBUFS when no buffer or queue space was free (nothing sent). */
int dp_ha_send(struct dp *dp, uint16_t port, const uint8_t *frame, size_t len);

#endif
