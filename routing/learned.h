/* Routes a tenant's FRR learned, as its zebra streams them over FPM, and their place in the
 * tenant's FIB.
 *
 * The module promises:
 * - learned_apply() takes one FPM frame's operations and applies their net effect per prefix at
 *   the end, so zebra's DEL+NEW of an update replaces the route in one FIB write (no gap).
 * - Precedence (README, "Route precedence"): learned routes have distance 20 and lose to every
 *   route of the configuration (connected 0, static 1). A learned route for a prefix the
 *   configuration also routes is kept, not installed, and installed when that route goes
 *   (learned_fallback()).
 * - Next hops are classified against the tenant's configuration: inside one of its virtual
 *   subnets, a CA (NVGRE); on the external port's network, the forwarding gateway. ECMP routes
 *   install up to DP_ECMP_MAX of them, spread by flow.
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
#include "gateway/config.h"
#include "routing/fpm.h"

#define LEARNED_DISTANCE 20 /* Administrative distance of FRR-learned routes. */

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

/* Creates a table for up to 'capacity' routes over all tenants, installing into 'dp'. Returns
 * NULL on allocation failure. */
struct learned *learned_create(struct dp *dp, uint32_t capacity);

/* Frees it and everything it owns (routes stay in the FIB). Accepts NULL. */
void learned_destroy(struct learned *l);

/* Sets the configuration that next hops and precedence are judged by (borrowed; call again
 * after every reload, before the config it replaces is freed). Re-evaluates every route:
 * those a config route no longer shadows are installed. Returns 0 or ENOMEM. */
int learned_set_config(struct learned *l, const struct hnvgw_config *cfg);

/* Applies one FPM frame's operations for routing domain 'tenant'. Returns 0, or ENOSPC when the
 * table is full (the routes that fit are applied). */
int learned_apply(struct learned *l, uint16_t tenant, const struct fpm_route *ops, size_t n);

/* Starts a replay of 'tenant' (zebra reconnected); returns the generation learned_sweep()
 * will keep. */
uint32_t learned_replay_begin(struct learned *l, uint16_t tenant);

/* Removes the routes of 'tenant' older than generation 'gen' (not renewed by the replay), from
 * the FIB too. Returns how many. */
size_t learned_sweep(struct learned *l, uint16_t tenant, uint32_t gen);

/* A policy_fallback_fn (policy_set_fallback(learned_fallback, l)): when the configuration stops
 * routing (tenant, prefix/plen), the learned route to install instead. Returns true and fills
 * '*nh' if there is one. 'l' is the struct learned. */
bool learned_fallback(uint16_t tenant, uint32_t prefix, uint8_t plen, struct dp_nexthop *nh,
                      void *l);

/* Calls 'fn' for every learned route of 'tenant' (0: all) until it returns false. */
void learned_iterate(const struct learned *l, uint16_t tenant,
                     bool (*fn)(const struct learned_info *, void *aux), void *aux);

/* Routes held, over all tenants. */
uint32_t learned_count(const struct learned *l);

const char *learned_state_name(enum learned_state s);

#endif
