/* SPDX-License-Identifier: Apache-2.0 */
/* Routes a tenant's FRR learned, as its zebra streams them over FPM, and their place in the
 * tenant's FIB.
 *
 * The module promises:
 * - learned_apply() takes one FPM frame's operations and applies their net effect per prefix at
 *   the end, so zebra's DEL+NEW of an update replaces the route in one FIB write (no gap).
 * - Precedence is the RIB's (routing/rib.h): learned routes are source RIB_SRC_LEARNED, distance
 *   20, and lose to every route of the configuration (connected 0, static 1). A learned route
 *   under a config route stays in the RIB and takes the FIB, ECMP and all, when that route goes.
 * - Next hops resolve through the RIB (rib_resolve()): inside one of the tenant's virtual
 *   subnets, a CA (NVGRE); inside a VPN route, the tunnel; on the external port's network, the
 *   forwarding gateway. ECMP routes install up to DP_ECMP_MAX of them, spread by flow.
 * - IPv6 routes are kept (shown, swept) but not installed: the data plane forwards IPv4 only.
 * - Mark and sweep: learned_replay_begin() starts a generation; routes the replay does not
 *   renew are removed by learned_sweep().
 * Control thread only. The table is an rte_hash (DPDK's, like every table here). */
#ifndef HNVGW_LEARNED_H
#define HNVGW_LEARNED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/dp.h"
#include "routing/fpm.h"
#include "routing/rib.h"

struct learned;

/* Why a learned route is not in the FIB. */
enum learned_state {
    LEARNED_INSTALLED,  /* In the FIB. */
    LEARNED_SHADOWED,   /* The configuration routes the same prefix (lower distance). */
    LEARNED_NO_NEXTHOP, /* No next hop resolves to a CA or the external network. */
    LEARNED_IPV6,       /* Kept; the data plane forwards IPv4 only. */
    LEARNED_FIB_FULL,   /* dp_route_set() refused it (ENOSPC). */
};

/* One learned route as the CLI shows it. */
struct learned_info {
    uint16_t tenant;        /* Routing domain. */
    struct fpm_route route; /* As zebra sent it (add is true). */
    uint8_t state;          /* enum learned_state. */
    struct dp_nexthop nh;   /* What the FIB has, when installed (the first path of ECMP). */
    uint8_t n_paths;        /* Equal-cost paths installed. */
};

/* Creates a table for up to 'capacity' routes over all tenants, feeding 'rib' (borrowed; it
 * must outlive the table). Returns NULL on allocation failure. */
struct learned *learned_create(struct rib *rib, uint32_t capacity);

/* Frees it and everything it owns (routes stay in the FIB). Accepts NULL. */
void learned_destroy(struct learned *l);

/* Resolves every route's next hops again through the RIB, after the routes they resolve
 * through (connected subnets, VPN routes, the external network) changed: a reload. */
void learned_resolve_again(struct learned *l);

/* Applies one FPM frame's operations for routing domain 'tenant'. Returns 0, or ENOSPC when the
 * table is full (the routes that fit are applied). */
int learned_apply(struct learned *l, uint16_t tenant, const struct fpm_route *ops, size_t n);

/* Starts a replay of 'tenant' (zebra reconnected); returns the generation learned_sweep()
 * will keep. */
uint32_t learned_replay_begin(struct learned *l, uint16_t tenant);

/* Removes the routes of 'tenant' older than generation 'gen' (not renewed by the replay), from
 * the FIB too. Returns how many. */
size_t learned_sweep(struct learned *l, uint16_t tenant, uint32_t gen);

/* Calls 'fn' for every learned route of 'tenant' (0: all) until it returns false. */
void learned_iterate(const struct learned *l, uint16_t tenant,
                     bool (*fn)(const struct learned_info *, void *aux), void *aux);

/* Routes held, over all tenants. */
uint32_t learned_count(const struct learned *l);

const char *learned_state_name(enum learned_state s);

#endif
