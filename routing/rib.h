/* SPDX-License-Identifier: Apache-2.0 */
/* The RIB: every route of every routing domain, from every source, and the one module that
 * programs the FIB.
 *
 * The module promises:
 * - A route is a candidate of (routing domain, prefix/plen) from one source, told apart from the
 *   same source's other candidates by an id the source chooses (0 when it has only one). Each
 *   candidate carries a metric and 1..DP_ECMP_MAX next hops.
 * - The best candidate of a prefix is the one with the lowest administrative distance (a
 *   property of its source, rib_distance()), then the lowest metric, then the lower source and
 *   id. Its next hops, all of them (ECMP), are what the FIB holds; nothing else writes routes.
 * - A change costs a hash lookup and at most one FIB write: rib_set() and rib_del() reprogram
 *   the prefix only when its best next hops change, so a reload that re-sets what was already
 *   there writes nothing, and a learned ECMP route under a config route comes back whole when
 *   the config route goes.
 * - A failed FIB write leaves the candidate as it was, and returns the errno.
 * - rib_begin() .. rib_commit() or rib_rollback(): every change between them can be undone, in
 *   reverse order, FIB included, for all-or-nothing reloads.
 * Control thread only. The table is DPDK's rte_hash. */
#ifndef HNVGW_RIB_H
#define HNVGW_RIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/dp.h"

/* Where a route comes from; the order breaks ties between equal distances and metrics. */
#define RIB_SOURCE_LIST(X)                                                                         \
    X(CONNECTED, "connected", 0)   /* A virtual subnet of the routing domain. */                   \
    X(LOCAL, "local", 0)           /* A subnet gateway CA owned by this node (answers ping). */    \
    X(CUSTOMER, "customer", 1)     /* A customer route (config file or CLI). */                    \
    X(EXTERNAL, "external", 1)     /* A forwarding-gateway route (external_route). */              \
    X(FORWARD, "forward", 1)       /* External classifier: a tenant's forward_prefixes. */         \
    X(NAT, "nat", 1)               /* A tenant's NAT destinations (highest metric). */             \
    X(NAT_PUBLIC, "nat-public", 1) /* External classifier: a NAT public address. */                \
    X(VPN, "vpn", 1)               /* Into a site-to-site tunnel. */                               \
    X(LEARNED, "frr", 20)          /* Learned by the tenant's FRR, over FPM. */

enum rib_source {
#define RIB_SRC_ENUM(NAME, TEXT, DIST) RIB_SRC_##NAME,
    RIB_SOURCE_LIST(RIB_SRC_ENUM)
#undef RIB_SRC_ENUM
        RIB_N_SOURCES
};

/* Sources the configuration owns (file and CLI): what a reload replaces. */
#define RIB_CONFIG_SOURCES (((1u << RIB_N_SOURCES) - 1) & ~(1u << RIB_SRC_LEARNED))

struct rib;

/* One candidate route. */
struct rib_route {
    uint16_t tenant;                   /* Routing domain (0: the external classifier). */
    uint8_t plen;                      /* Prefix length. */
    uint32_t prefix;                   /* Network address, network order, host bits zero. */
    uint8_t source;                    /* enum rib_source. */
    uint32_t id;                       /* Tells the source's candidates of one prefix apart. */
    uint32_t metric;                   /* Lower wins at equal distance. */
    uint8_t n_nh;                      /* Next hops in nh, 1..DP_ECMP_MAX. */
    struct dp_nexthop nh[DP_ECMP_MAX]; /* Where it points (never DP_NH_ECMP). */
};

/* Creates a RIB for up to 'capacity' prefixes over all routing domains, programming 'dp'.
 * Returns NULL on allocation failure. */
struct rib *rib_create(struct dp *dp, uint32_t capacity);

/* Frees it (the FIB keeps its routes). Accepts NULL. */
void rib_destroy(struct rib *rib);

/* Adds or replaces the candidate (r->tenant, r->prefix/plen, r->source, r->id). Returns 0,
 * EINVAL for a malformed route, ENOSPC when the table or the FIB is full (nothing changed). */
int rib_set(struct rib *rib, const struct rib_route *r);

/* Removes a candidate. Returns 0 or ENOENT. */
int rib_del(struct rib *rib, uint16_t tenant, uint32_t prefix, uint8_t plen, enum rib_source source,
            uint32_t id);

/* Removes the candidates of 'source' at a prefix for which 'match' returns true. Returns how
 * many. */
size_t rib_del_matching(struct rib *rib, uint16_t tenant, uint32_t prefix, uint8_t plen,
                        enum rib_source source, bool (*match)(const struct rib_route *, void *aux),
                        void *aux);

/* Copies the candidate into '*out' and returns true, or returns false when there is none. */
bool rib_get(const struct rib *rib, uint16_t tenant, uint32_t prefix, uint8_t plen,
             enum rib_source source, uint32_t id, struct rib_route *out);

/* Copies the best candidate of a prefix into '*out' and returns true, or returns false. */
bool rib_best(const struct rib *rib, uint16_t tenant, uint32_t prefix, uint8_t plen,
              struct rib_route *out);

/* Transactions: rib_begin() starts recording; rib_commit() forgets the record; rib_rollback()
 * undoes every change since rib_begin(), newest first. Not nested. */
void rib_begin(struct rib *rib);
void rib_commit(struct rib *rib);
void rib_rollback(struct rib *rib);

/* Generations, for replacing a whole source set (a reload) in time proportional to the RIB:
 * every rib_set() stamps its candidate with the current generation; rib_next_generation()
 * starts a new one; rib_sweep() removes the candidates of the sources in 'source_mask' (bits of
 * enum rib_source) not stamped since. Returns how many it removed. */
uint32_t rib_next_generation(struct rib *rib);
size_t rib_sweep(struct rib *rib, unsigned source_mask, uint32_t generation);

/* The external network, where a next hop on it resolves to the external port (up to 4). */
void rib_set_external_networks(struct rib *rib, const uint32_t *prefixes, const uint8_t *plens,
                               size_t n);

/* Resolves the next hop 'gw' of a route in 'tenant': inside a connected subnet, a CA of it;
 * inside a VPN route, its tunnel; on the external network, the external port. Longest match
 * first. Returns true and fills '*nh', or false. */
bool rib_resolve(const struct rib *rib, uint16_t tenant, uint32_t gw, struct dp_nexthop *nh);

/* Calls 'fn' for the best route of every prefix of 'tenant' (-1: every domain), in no order,
 * until it returns false. */
void rib_iterate_best(const struct rib *rib, int tenant,
                      bool (*fn)(const struct rib_route *best, void *aux), void *aux);

/* Prefixes held (with at least one candidate). */
uint32_t rib_count(const struct rib *rib);

/* The administrative distance of 'source', and its name in "show routes". */
uint8_t rib_distance(enum rib_source source);
const char *rib_source_name(enum rib_source source);

#endif
