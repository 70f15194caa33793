/* The HNV policy agent: turns a validated configuration, and the run-time changes made through the
 * CLI, into data-plane table updates.
 *
 * It promises: policy_apply() installs exactly the difference between two configurations, adds
 * before deletes (so that traffic keeps flowing), and leaves the data plane as it was when it
 * cannot apply the whole difference. Route precedence inside a routing domain is decided here:
 * lower administrative distance wins, then lower metric (see README, "Route precedence"). */
#ifndef HNVGW_POLICY_H
#define HNVGW_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "dataplane/dp.h"
#include "gateway/config.h"

/* Administrative distances. */
enum policy_distance {
    POLICY_DIST_CONNECTED = 0, /* Virtual subnets and the gateway's own addresses. */
    POLICY_DIST_STATIC = 1,    /* Customer routes and forwarding-gateway routes from config/CLI. */
};

enum policy_source {
    POLICY_SRC_CONNECTED,  /* A virtual subnet of the routing domain. */
    POLICY_SRC_LOCAL,      /* A subnet gateway CA owned by this node. */
    POLICY_SRC_CUSTOMER,   /* A customer route. */
    POLICY_SRC_EXTERNAL,   /* A forwarding-gateway route. */
    POLICY_SRC_FORWARD,    /* Tenant classifier entry on the external port (routing domain 0). */
    POLICY_SRC_NAT,        /* A tenant's NAT destination: source-NAT out of the external port. */
    POLICY_SRC_NAT_PUBLIC, /* A NAT public address on the external port (routing domain 0). */
    POLICY_SRC_VPN,        /* Into a site-to-site tunnel: its remote selectors or routes. */
};

/* One candidate or selected route. */
struct policy_route {
    uint16_t tenant;      /* Routing domain id (0: external classifier). */
    uint32_t prefix;      /* Network address, host bits zero. */
    uint8_t plen;         /* Prefix length. */
    uint8_t distance;     /* enum policy_distance. */
    uint8_t source;       /* enum policy_source. */
    uint32_t metric;      /* Lower wins at equal distance. */
    struct dp_nexthop nh; /* Where it points. */
};

/* Fills data-plane parameters from 'cfg'. */
void policy_dp_params(const struct hnvgw_config *cfg, struct dp_params *params);

/* Adds every port of 'cfg' to 'dp' (before dp_start()). Returns 0 or a positive errno, with a
 * message in 'err' (DP_ERR_MAX bytes). */
int policy_add_ports(struct dp *dp, const struct hnvgw_config *cfg, char *err);

/* Enables NAT44 in 'dp' for every tenant of 'cfg' with a nat section, with its static mappings
 * (before dp_start(); NAT settings are fixed while running). Returns 0 or a positive errno with a
 * message in 'err'. */
int policy_nat_setup(struct dp *dp, const struct hnvgw_config *cfg, char *err);

/* Asked when the configuration stops routing a prefix: fills '*nh' and returns true when another
 * source (FRR-learned routes) has a route for it to install instead of deleting. */
typedef bool policy_fallback_fn(uint16_t tenant, uint32_t prefix, uint8_t plen,
                                struct dp_nexthop *nh, void *aux);

/* Sets the fallback policy_apply() asks (NULL: none). */
void policy_set_fallback(policy_fallback_fn *fn, void *aux);

/* Applies the difference from 'old' (NULL: nothing installed) to 'new'. Returns 0, or a positive
 * errno with a message in 'err' and the data plane back at 'old'. */
int policy_apply(struct dp *dp, const struct hnvgw_config *old, const struct hnvgw_config *new,
                 char *err);

/* Returns a message naming the first setting that differs between 'a' and 'b' and needs a
 * restart (ports, PAs, EAL, workers, roles), or NULL when a reload can apply the change. */
const char *policy_restart_needed(const struct hnvgw_config *a, const struct hnvgw_config *b);

/* Selected routes of 'cfg', sorted by (tenant, prefix, plen). Returns a malloc'd array the caller
 * frees, with its length in '*n', or NULL on allocation failure. */
struct policy_route *policy_routes(const struct hnvgw_config *cfg, size_t *n);

const char *policy_source_name(enum policy_source src);

/* Returns a deep copy of 'cfg' (config_destroy() it), or NULL on allocation failure. */
struct hnvgw_config *policy_config_clone(const struct hnvgw_config *cfg);

#endif
