/* SPDX-License-Identifier: Apache-2.0 */
/* The HNV policy agent: turns a validated configuration, and the run-time changes made through the
 * CLI, into data-plane table updates.
 *
 * It promises: the data-plane parameters, ports and NAT set-up of a config, every route a config
 * implies as RIB candidates (the RIB, routing/rib.h, picks the best and programs the FIB), and
 * which changes need a restart. The running records themselves live in the store (store.h). */
#ifndef HNVGW_POLICY_H
#define HNVGW_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/dp.h"
#include "gateway/config.h"
#include "routing/rib.h"

/* Fills data-plane parameters from 'cfg'. */
void policy_dp_params(const struct hnvgw_config *cfg, struct dp_params *params);

/* Adds every port of 'cfg' to 'dp' (before dp_start()). Returns 0 or a positive errno, with a
 * message in 'err' (DP_ERR_MAX bytes). */
int policy_add_ports(struct dp *dp, const struct hnvgw_config *cfg, char *err);

/* Enables NAT44 in 'dp' for every tenant of 'cfg' with a nat section, with its static mappings
 * (before dp_start(); NAT settings are fixed while running). Returns 0 or a positive errno with a
 * message in 'err'. */
int policy_nat_setup(struct dp *dp, const struct hnvgw_config *cfg, char *err);

/* Returns a message naming the first setting that differs between 'a' and 'b' and needs a
 * restart (ports, PAs, EAL, workers, roles), or NULL when a reload can apply the change. */
const char *policy_restart_needed(const struct hnvgw_config *a, const struct hnvgw_config *b);

/* Every route 'cfg' implies, as RIB candidates (connected subnets and the gateway's own CAs,
 * customer, forwarding-gateway, NAT and VPN routes, the external classifier's entries), in no
 * order. Returns a malloc'd array the caller frees, with its length in '*n', or NULL. */
struct rib_route *policy_routes(const struct hnvgw_config *cfg, size_t *n);

/* The RIB candidate of customer route 'c'. */
void policy_customer_route(const struct config_route *c, struct rib_route *out);

/* Tells 'rib' the external ports' networks of 'cfg' (where learned next hops may resolve). */
void policy_external_networks(const struct hnvgw_config *cfg, struct rib *rib);

/* The DPDK port id of the port at 'config_index' in the config's port list. */
uint16_t policy_port_id(size_t config_index);

/* The DPDK port id of the VM port bound to (vsid, ca) in 'cfg', or -1. */
int policy_vm_port_of(const struct hnvgw_config *cfg, uint32_t vsid, uint32_t ca);

/* Returns a deep copy of 'cfg' (config_destroy() it), or NULL on allocation failure. */
struct hnvgw_config *policy_config_clone(const struct hnvgw_config *cfg);

#endif
