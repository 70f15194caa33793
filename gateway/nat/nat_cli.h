/* SPDX-License-Identifier: Apache-2.0 */
/* The NAT44 operator commands' building blocks: argument parsing and the JSON of each row, kept
 * apart from handlers.c so that they can be tested without a running data plane.
 *
 * JSON forms (addresses as dotted quads, endpoints as "IP:PORT"):
 *   tenant:  {tenant, id, public_addresses: [IP...], sessions, max_sessions, ports, max_ports,
 *             blocks, blocks_total, filtering: "address-dependent"|"endpoint-independent",
 *             timeouts: {tcp_established, tcp_transitory, udp, icmp}}
 *   pool:    {public_address, tenant, tenant_id, port_min, port_max, blocks_used, blocks_total,
 *             statics}
 *   session: {tenant, tenant_id, proto: "tcp"|"udp"|"icmp", inside, public, remote,
 *             state (TCP state, "-" otherwise), idle_s, expires_s, pkts_out, pkts_in, worker} */
#ifndef HNVGW_NATCLI_H
#define HNVGW_NATCLI_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "dataplane/nat.h"
#include "gateway/config.h"

#define NATCLI_LIMIT_DEFAULT 1000u   /* Sessions "show nat sessions" returns by default. */
#define NATCLI_LIMIT_MAX     100000u /* And at most. */

/* Finds the tenant that 's' names: a configured tenant name, else a decimal tenant id. Returns 0
 * and the tenant in '*out', or ENOENT with a message in 'err' (of CTL_ERR_MAX bytes) when no tenant
 * matches or, if 'need_nat', when the tenant has no NAT. */
int natcli_find_tenant(const struct hnvgw_config *cfg, const char *s, bool need_nat,
                       const struct config_tenant **out, char *err);

/* Parses the arguments of "show nat sessions" ('with_limit') or "clear nat sessions":
 * tenant=NAME|ID (a tenant with NAT), address=IPv4 (inside, public or remote; not 0.0.0.0) and,
 * with 'with_limit', limit=0..NATCLI_LIMIT_MAX (default NATCLI_LIMIT_DEFAULT); a clear refuses
 * limit=, which it would otherwise ignore. Returns 0 with the filter in '*f' and the limit in
 * '*limit' (may be NULL without 'with_limit'), or EINVAL (malformed value) or ENOENT (no such
 * tenant, or no NAT for it) with a message in 'err' (of CTL_ERR_MAX bytes). */
int natcli_parse_query(const struct hnvgw_config *cfg, json_t *args, bool with_limit,
                       struct dp_nat_filter *f, uint32_t *limit, char *err);

/* Returns "tcp", "udp", "icmp", or the protocol number as a string, in 'buf'. */
const char *natcli_proto_str(uint8_t proto, char buf[4]);

/* New JSON objects for one row of "show nat", "show nat pools" and "show nat sessions" (see the
 * file comment). 'name' is the tenant's configured name (NULL: "?"). Return NULL only when out of
 * memory. */
json_t *natcli_tenant_json(const char *name, const struct dp_nat_conf *conf,
                           const struct dp_nat_usage *usage);
json_t *natcli_pool_json(const char *name, const struct dp_nat_pool_info *pool);
json_t *natcli_session_json(const char *name, const struct dp_nat_session_info *s);

#endif
