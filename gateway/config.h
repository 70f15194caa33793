/* SPDX-License-Identifier: Apache-2.0 */
/* hnvgw configuration: the one file an operator writes, parsed with libconfuse and fully validated.
 *
 * The module promises: config_load() either returns a complete, validated struct hnvgw_config or an
 * error naming file:line and the field, never a half-filled result. Nothing here touches the data
 * plane; gateway/policy.c turns a config (or the difference between two) into table updates. */
#ifndef HNVGW_CONFIG_H
#define HNVGW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/addr.h"
#include "dataplane/dp.h"
#include "gateway/cluster/cluster_config.h"
#include "routing/routing_config.h"
#include "vpn/vpn_config.h"

#define CONFIG_DEFAULT_PATH "/etc/hnvgw/hnvgw.conf"
#define CONFIG_NAME_MAX     VPN_NAME_MAX /* Names of ports, tenants, subnets, with the NUL. */
#define CONFIG_EAL_ARGS_MAX 32           /* EAL arguments passed through to rte_eal_init(). */
#define CONFIG_PAS_MAX      16           /* Provider addresses of one node. */
#define CONFIG_ERR_MAX      512          /* One error message, "file:line: field: what is wrong". */

/* VSIDs 0-4095 are reserved and 0xFFFFFF is reserved for vendor use ([MS-NVGREE] 2.2.1). */
#define CONFIG_VSID_MIN ((uint32_t)DP_VSID_MIN)
#define CONFIG_VSID_MAX ((uint32_t)DP_VSID_MAX)

/* What a node does. A node may be both. */
enum config_role {
    CONFIG_ROLE_GATEWAY = 1 << 0, /* Routes between virtual subnets and to the external port. */
    CONFIG_ROLE_HOST = 1 << 1,    /* Carries local VM ports; switches within a VSID. */
};

/* How the tenants' FRR runs (node.routing_daemons). */
enum config_routing_daemons {
    CONFIG_ROUTING_AUTO,       /* Shared where the kernel makes VRF devices, else per tenant. */
    CONFIG_ROUTING_SHARED,     /* One FRR for every routed tenant, a VRF each. */
    CONFIG_ROUTING_PER_TENANT, /* One FRR per routed tenant, in its own compartment. */
};

enum config_port_kind {
    CONFIG_PORT_PROVIDER, /* The PA network: NVGRE in and out. */
    CONFIG_PORT_EXTERNAL, /* The uplink: forwarding gateway (and later NAT, IKE/ESP). */
    CONFIG_PORT_VM,       /* A local VM NIC, bound to one VSID, CA and MAC. */
};

/* A static ARP entry on a provider or external port. */
struct config_neighbor {
    struct hnvgw_ip ip;   /* Neighbor address, on-link. */
    struct hnvgw_mac mac; /* Its MAC. */
};

/* One data-plane port. */
struct config_port {
    char name[CONFIG_NAME_MAX]; /* Section title, unique; what the CLI shows. */
    enum config_port_kind kind; /* Role of the port. */
    char devargs[256];          /* DPDK vdev or PCI devargs, e.g. "net_tap0,iface=pa0". */
    struct hnvgw_mac mac;       /* The port's own MAC (provider/external); the VM's MAC (vm). */
    bool has_address; /* Whether address/plen are set (required for provider, external). */
    struct hnvgw_prefix address; /* The port's own address and the on-link prefix length. */
    uint16_t vlan;               /* 802.1Q VLAN id to tag with and accept, 0 for untagged. */
    bool has_gateway;            /* Whether gateway is set. */
    struct hnvgw_ip gateway;     /* Next hop for destinations that are not on-link. */
    uint32_t vsid;               /* vm only: the VM's virtual subnet. */
    struct hnvgw_ip ca;          /* vm only: the VM's customer address (anti-spoofing). */
    uint16_t mtu;                /* L3 MTU of the port's network, 576..9000, default 1500. */
    struct config_neighbor
        *static_neighbors;     /* Owned: static ARP entries ("IP=MAC" in the file). */
    size_t n_static_neighbors; /* Number of static_neighbors. */
    int line;                  /* Line of the section in the file, for later diagnostics. */
};

/* A virtual subnet of a tenant's routing domain. */
struct config_subnet {
    char name[CONFIG_NAME_MAX];   /* Section title. */
    uint32_t vsid;                /* Virtual subnet id, CONFIG_VSID_MIN..CONFIG_VSID_MAX. */
    struct hnvgw_prefix prefix;   /* The subnet's CA prefix (host bits zero). */
    struct hnvgw_ip gateway_ip;   /* The subnet's default-gateway CA, answered by policy. */
    struct hnvgw_mac gateway_mac; /* The MAC that gateway CA answers ARP with. */
    int line;                     /* Line of the section. */
};

/* A forwarding-gateway route: toward the external port, no NAT. */
struct config_external_route {
    struct hnvgw_prefix prefix; /* Destination prefix. */
    bool on_link;               /* True when next_hop is 0.0.0.0: destinations are on-link. */
    struct hnvgw_ip next_hop;   /* Router on the external port's subnet. */
    uint32_t metric;            /* Lower wins among equal prefixes. */
    int line;                   /* Line of the entry. */
};

#define CONFIG_NAT_PUBLIC_MAX 16 /* Public addresses of one tenant's NAT. */

enum config_nat_filtering {
    CONFIG_NAT_FILTER_ADDRESS,  /* Address-dependent filtering (RFC 4787 REQ-8 recommendation). */
    CONFIG_NAT_FILTER_ENDPOINT, /* Endpoint-independent filtering. */
};

enum config_nat_log {
    CONFIG_NAT_LOG_MAPPINGS, /* Log port blocks and every mapping (the default). */
    CONFIG_NAT_LOG_BLOCKS,   /* Log port-block allocations and releases only. */
    CONFIG_NAT_LOG_NONE,     /* Log nothing. */
};

/* A static inbound mapping: public address:port -> inside CA:port, for one protocol. */
struct config_nat_static {
    uint8_t protocol;          /* IPPROTO_TCP or IPPROTO_UDP. */
    struct hnvgw_ip public_ip; /* One of the tenant's public addresses. */
    uint16_t public_port;      /* 1..65535. */
    struct hnvgw_ip inside_ip; /* A CA inside one of the tenant's inside prefixes. */
    uint16_t inside_port;      /* 1..65535. */
    int line;                  /* Line of the section. */
};

/* A tenant's NAT44 ("nat" section). */
struct config_nat {
    struct hnvgw_ip public_ips[CONFIG_NAT_PUBLIC_MAX]; /* Public addresses on the external port. */
    size_t n_public_ips;                               /* Number of public_ips, >= 1. */
    uint16_t port_min;                    /* Dynamic port range on each public address, */
    uint16_t port_max;                    /* inclusive ("ports", default 1024-65535). */
    struct hnvgw_prefix *inside_prefixes; /* Owned: sources that are translated (default: the
                                           * tenant's subnet prefixes). */
    size_t n_inside_prefixes;             /* Number of inside_prefixes. */
    struct hnvgw_prefix *destinations;    /* Owned: prefixes routed through the NAT (default
                                           * 0.0.0.0/0). */
    size_t n_destinations;                /* Number of destinations. */
    bool has_next_hop;                    /* Whether next_hop is set (else the external port's
                                           * gateway, else on-link). */
    struct hnvgw_ip next_hop;             /* Router on the external port's network. */
    enum config_nat_filtering filtering;  /* Inbound filtering behaviour. */
    uint32_t max_sessions;                /* Quota: sessions at once (default 65536). */
    uint32_t max_ports;                /* Quota: public ports (mappings) at once (default 16384). */
    uint32_t tcp_established_timeout;  /* Seconds, default 7440 (RFC 5382 REQ-5 minimum). */
    uint32_t tcp_transitory_timeout;   /* Seconds, default 240 (RFC 5382). */
    uint32_t udp_timeout;              /* Seconds, default 300 (RFC 4787 REQ-5: >= 120). */
    uint32_t icmp_timeout;             /* Seconds, default 60 (RFC 5508 REQ-1). */
    enum config_nat_log log;           /* What the mapping log records. */
    struct config_nat_static *statics; /* Owned: static inbound mappings. */
    size_t n_statics;                  /* Number of statics. */
    int line;                          /* Line of the section. */
};

/* A tenant: one routing domain. */
struct config_tenant {
    char name[CONFIG_NAME_MAX];               /* Section title, unique. */
    uint32_t id;                              /* Routing domain id, 1..65535, unique; stable key. */
    struct config_subnet *subnets;            /* Owned array of n_subnets. */
    size_t n_subnets;                         /* Number of virtual subnets. */
    struct hnvgw_prefix *forward_prefixes;    /* Owned: CA prefixes exposed on the external port. */
    size_t n_forward_prefixes;                /* Number of forward_prefixes. */
    struct config_external_route *ext_routes; /* Owned: forwarding-gateway routes. */
    size_t n_ext_routes;                      /* Number of ext_routes. */
    struct config_nat *nat;                   /* Owned: NAT44 settings, NULL without NAT. */
    struct config_routing *routing;           /* Owned: FRR settings, NULL without routing. */
    struct config_vpn *vpn;                   /* Owned: site-to-site VPN, NULL without. */
    int line;                                 /* Line of the section. */
};

enum config_lookup_rule {
    CONFIG_RULE_ENCAP, /* NVGRE encapsulation (the default). */
    CONFIG_RULE_NAT, /* Address rewrite (IP rewrite mode); accepted, forwarded as encap for now. */
};

enum config_lookup_type {
    CONFIG_TYPE_STATIC,           /* Configured by the operator. */
    CONFIG_TYPE_DYNAMIC,          /* Learned (CA learning). */
    CONFIG_TYPE_L2ONLY,           /* Windows' MAC-only record: refused (lookups are by CA). */
    CONFIG_TYPE_GATEWAY_WILDCARD, /* CA 0.0.0.0: where unknown CAs of the VSID go (a gateway). */
};

/* A lookup record: (VSID, CA) -> (PA, MAC), as New-NetVirtualizationLookupRecord. */
struct config_lookup {
    uint32_t vsid;                /* Virtual subnet of the CA. */
    struct hnvgw_ip ca;           /* Customer address; 0.0.0.0 for GatewayWildcard. */
    struct hnvgw_ip pa;           /* Provider address hosting the CA. */
    struct hnvgw_mac mac;         /* The CA's MAC. */
    enum config_lookup_rule rule; /* Encap or NAT. */
    enum config_lookup_type type; /* Static, Dynamic or GatewayWildcard. */
    bool bulk;                    /* Read from lookup_records_file (line counts there). */
    int line;                     /* Line of the entry. */
};

/* A customer route, as New-NetVirtualizationCustomerRoute. */
struct config_route {
    uint32_t tenant_id;         /* Routing domain (tenant id). */
    uint32_t vsid;              /* VSID the next hop lives in. */
    struct hnvgw_prefix prefix; /* Destination prefix (host bits zero). */
    bool on_link;               /* Next hop 0.0.0.0: destinations are CAs of vsid themselves. */
    struct hnvgw_ip next_hop;   /* Next-hop CA inside vsid. */
    uint32_t metric;            /* Lower wins among equal prefixes. */
    bool bulk;                  /* Read from customer_routes_file (line counts there). */
    int line;                   /* Line of the entry. */
};

/* A whole configuration. Owns every array it points to. */
struct hnvgw_config {
    char path[256];                      /* File it was read from. */
    char node_name[CONFIG_NAME_MAX];     /* node.name, for logs and the CLI. */
    unsigned roles;                      /* Bitmask of enum config_role, never 0. */
    char *eal_args[CONFIG_EAL_ARGS_MAX]; /* Owned strings passed to rte_eal_init(). */
    size_t n_eal_args;                   /* Number of eal_args. */
    unsigned workers;                    /* Worker lcores, >= 1. */
    char control_socket[108];            /* Unix socket path of the control plane. */
    bool metrics;                        /* node.metrics_listen is set: serve Prometheus metrics. */
    struct hnvgw_ip metrics_ip;          /* The address the metrics listener binds (0.0.0.0 or ::
                                          * only when written so). */
    uint16_t metrics_port;               /* Its TCP port, 1..65535. */
    struct hnvgw_ip pas[CONFIG_PAS_MAX]; /* This node's provider addresses. */
    size_t n_pas;                        /* Number of pas, >= 1 when a provider port exists. */
    struct config_port *ports;           /* Owned array of n_ports. */
    size_t n_ports;                      /* Number of ports. */
    struct config_tenant *tenants;       /* Owned array of n_tenants. */
    size_t n_tenants;                    /* Number of tenants. */
    struct config_lookup *lookups;       /* Owned array of n_lookups. */
    size_t n_lookups;                    /* Number of lookup records. */
    struct config_route *routes;         /* Owned array of n_routes. */
    size_t n_routes;                     /* Number of customer routes. */
    unsigned arp_timeout_s;              /* Provider/external ARP cache entry lifetime. */
    unsigned icmp_rate_per_s;            /* Per-worker budget of ICMP errors per second. */
    uint32_t max_lookups;                /* Lookup-record table capacity (default 65536). */
    uint32_t max_routes;                 /* FIB capacity across tenants (default 65536). */
    uint32_t max_subnets;                /* VSID table capacity (default 8192). */
    uint32_t mbufs;                      /* Packet buffers, 0 for the automatic size. */
    uint32_t max_nat_sessions;           /* NAT session capacity of the node (default 262144). */
    uint32_t nat_port_block;             /* Ports per NAT port block, power of 2, 8..4096 (64). */
    enum config_routing_daemons routing_daemons; /* How the tenants' FRR runs. */
    int routing_daemons_line;      /* Line of node.routing_daemons, 0 when not given. */
    char lookup_file[256];         /* lookup_records_file, or "". */
    char route_file[256];          /* customer_routes_file, or "". */
    struct config_cluster cluster; /* node.cluster: one node of a pair; zeroed (disabled)
                                    * without the section. */
    int node_line;                 /* Line of the node section (for the budget's messages). */
    int mbufs_line;                /* Line of node.mbufs, 0 when not given. */
    int eal_args_line;             /* Line of node.eal_args, 0 when not given. */
};

/* Parses and validates 'path'. On success returns 0 and stores a new config in '*out' (free it with
 * config_destroy()). On failure returns a positive errno, leaves '*out' NULL and writes one
 * message, "file:line: field: problem", into 'err' (of size CONFIG_ERR_MAX). */
int config_load(const char *path, struct hnvgw_config **out, char *err);

/* Frees 'cfg' and everything it owns. Accepts NULL. */
void config_destroy(struct hnvgw_config *cfg);

/* Checks a lookup record or customer route against 'cfg' (type supported, VSID known, CA inside
 * the subnet, no conflict with an existing entry) the same way config_load() does, for run-time
 * adds from the CLI. Returns 0 or EINVAL/EEXIST with a message in 'err'. */
int config_check_lookup(const struct hnvgw_config *cfg, const struct config_lookup *rec, char *err);
int config_check_route(const struct hnvgw_config *cfg, const struct config_route *rt, char *err);

/* Returns the tenant whose subnet carries 'vsid', storing the subnet in '*subnet' if not NULL, or
 * NULL when the VSID is unknown. */
const struct config_tenant *config_find_vsid(const struct hnvgw_config *cfg, uint32_t vsid,
                                             const struct config_subnet **subnet);

/* True when 'ip' is one of this node's provider addresses. */
bool config_is_my_pa(const struct hnvgw_config *cfg, const struct hnvgw_ip *ip);

/* Returns the tenant with routing-domain id 'id', or NULL. */
const struct config_tenant *config_find_tenant(const struct hnvgw_config *cfg, uint32_t id);

/* The name of routing domain 'id' for the CLI and logs: the tenant's, "(external)" for 0, or
 * "?" for an id no tenant has. */
const char *config_tenant_name(const struct hnvgw_config *cfg, uint32_t id);

const char *config_rule_name(enum config_lookup_rule rule);
const char *config_type_name(enum config_lookup_type type);
const char *config_port_kind_name(enum config_port_kind kind);
/* "auto", "shared" or "per_tenant", as in the file. */
const char *config_routing_daemons_name(enum config_routing_daemons d);

/* Spellings of the VPN enums, as in the file: "psk"/"pubkey", "initiate"/"respond",
 * "policy"/"route". */
const char *config_vpn_auth_name(enum config_vpn_auth auth);
const char *config_vpn_start_name(enum config_vpn_start start);
const char *config_vpn_mode_name(enum config_vpn_mode mode);

/* Returns the tunnel of 'cfg' with 'reqid' and its tenant in '*tenant' (if not NULL), or NULL. */
const struct config_vpn_tunnel *config_find_vpn_tunnel(const struct hnvgw_config *cfg,
                                                       uint32_t reqid,
                                                       const struct config_tenant **tenant);

#endif
