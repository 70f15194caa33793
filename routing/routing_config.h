/* SPDX-License-Identifier: Apache-2.0 */
/* What a tenant's dynamic routing is configured to be: the types the config loader (gateway/)
 * fills and the routing compartments (routing/) run from. */
#ifndef HNVGW_ROUTING_CONFIG_H
#define HNVGW_ROUTING_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/addr.h"

#define CONFIG_BGP_NEIGHBORS_MAX 16

/* A BGP neighbor of a tenant's FRR. */
struct config_bgp_neighbor {
    struct hnvgw_ip address; /* Peer address (IPv4 or IPv6). */
    uint32_t remote_as;      /* 1..4294967295. */
    char password[81];       /* TCP MD5 password, "" for none. */
    unsigned keepalive;      /* Seconds, default 60. */
    unsigned hold;           /* Seconds, default 180. */
    bool ebgp_multihop;      /* Peer more than one hop away. */
    int line;                /* Line of the section. */
};

/* A tenant's dynamic routing ("routing" section): its FRR instance. */
struct config_routing {
    uint32_t asn;                          /* Required. */
    struct hnvgw_ip router_id;             /* Required, IPv4. */
    struct config_bgp_neighbor *neighbors; /* Owned: BGP neighbors. */
    size_t n_neighbors;                    /* Entries. */
    struct hnvgw_prefix *networks;         /* Owned: prefixes advertised beyond the subnets. */
    size_t n_networks;                     /* Entries. */
    char *extra_config;                    /* Owned, or NULL: FRR config appended verbatim. */
    uint16_t fpm_port;                     /* Where zebra connects in the compartment (2620). */
    int line;                              /* Line of the section. */
};

/* One tenant as its FRR instance sees it: its names, its routing section and the virtual subnets
 * it advertises. Everything is borrowed from the caller for the length of the call. */
struct routing_tenant {
    const char *name;                     /* The tenant's name. */
    uint32_t id;                          /* Its routing domain id. */
    const struct config_routing *routing; /* Its routing section, NULL for none. */
    const struct hnvgw_prefix *subnets;   /* Its virtual subnets' prefixes. */
    size_t n_subnets;                     /* Entries in subnets. */
};

#endif
