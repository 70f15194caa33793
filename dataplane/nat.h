/* SPDX-License-Identifier: Apache-2.0 */
/* Multi-tenant NAT44 in the data plane: what the control plane may configure and read.
 *
 * The module promises:
 * - Every tenant with NAT translates the sources of its inside prefixes to its own public
 *   addresses, with endpoint-independent mapping (RFC 4787 REQ-1), "paired" address pooling
 *   (REQ-2), port preservation when the port is free, and ports handed out in blocks per tenant.
 * - Sessions belong to one worker (chosen by the inside address); a packet that lands on another
 *   worker is handed over through a ring, so no table is shared between workers and the fast path
 *   takes no lock. Quotas are per-tenant atomic counters.
 * - Tenant NAT settings and static mappings are fixed once dp_start() has run; the control thread
 *   reads usage and sessions, clears sessions and drains the mapping log at any time.
 * Addresses are IPv4 in network byte order, ports in host order. */
#ifndef HNVGW_NAT_H
#define HNVGW_NAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dp;

#define DP_NAT_PUBLIC_MAX 16  /* Public addresses of one tenant. */
#define DP_NAT_INSIDE_MAX 64  /* Inside prefixes of one tenant. */
#define DP_NAT_IPS_MAX    256 /* Distinct public addresses on one node. */

/* Session timeout classes. */
enum dp_nat_timeout {
    DP_NAT_T_TCP_EST,   /* TCP established (RFC 5382 REQ-5: >= 2 h 4 min). */
    DP_NAT_T_TCP_TRANS, /* TCP opening, closing, TIME_WAIT or reset (RFC 5382: 4 min). */
    DP_NAT_T_UDP,       /* UDP (RFC 4787 REQ-5: >= 2 min). */
    DP_NAT_T_ICMP,      /* ICMP query identifiers (RFC 5508 REQ-1: 60 s). */
    DP_NAT_T_N
};

/* What the mapping log records. */
enum dp_nat_log_level {
    DP_NAT_LOG_MAPPINGS, /* Port blocks and every mapping. */
    DP_NAT_LOG_BLOCKS,   /* Port blocks only. */
    DP_NAT_LOG_NONE,     /* Nothing. */
};

/* A tenant's NAT settings. */
struct dp_nat_conf {
    uint16_t tenant;                           /* Routing domain, 1..65535. */
    uint32_t public_ips[DP_NAT_PUBLIC_MAX];    /* Its public addresses. */
    unsigned n_public;                         /* Number of public_ips, >= 1. */
    uint16_t port_min;                         /* Dynamic port range on each public address. */
    uint16_t port_max;                         /* Inclusive. */
    uint32_t inside_prefix[DP_NAT_INSIDE_MAX]; /* Sources that are translated. */
    uint8_t inside_plen[DP_NAT_INSIDE_MAX];    /* Their lengths. */
    unsigned n_inside;                         /* Number of inside prefixes. */
    bool endpoint_independent_filtering;       /* Else address-dependent (the default). */
    uint32_t max_sessions;                     /* Quota of sessions. */
    uint32_t max_ports;                        /* Quota of public ports (mappings). */
    uint32_t timeout_s[DP_NAT_T_N];            /* Idle timeouts, seconds. */
    uint8_t log;                               /* enum dp_nat_log_level. */
};

/* A static inbound mapping. */
struct dp_nat_static {
    uint16_t tenant;   /* Routing domain with NAT. */
    uint8_t proto;     /* IPPROTO_TCP or IPPROTO_UDP. */
    uint32_t pub_ip;   /* One of the tenant's public addresses. */
    uint16_t pub_port; /* Public port. */
    uint32_t in_ip;    /* Inside CA. */
    uint16_t in_port;  /* Inside port. */
};

/* Enables NAT for conf->tenant; only before dp_start(). Installs no route: the control plane
 * routes the tenant's NAT destinations to DP_NH_NAT and each public address (routing domain 0,
 * /32) to DP_NH_NAT_PUBLIC. Returns 0, EEXIST (tenant already set, or a public address and port
 * range overlapping another tenant's), ENOSPC (too many public addresses) or EINVAL. */
int dp_nat_tenant_set(struct dp *dp, const struct dp_nat_conf *conf);

/* Adds a static inbound mapping; only before dp_start(). Its public port is never handed out
 * dynamically. Returns 0, ENOENT (tenant has no NAT, or the address is not its), EEXIST. */
int dp_nat_static_add(struct dp *dp, const struct dp_nat_static *st);

/* A tenant's NAT usage, summed over workers. */
struct dp_nat_usage {
    uint32_t sessions;     /* Live sessions. */
    uint32_t max_sessions; /* Its quota. */
    uint32_t ports;        /* Public ports in use (mappings). */
    uint32_t max_ports;    /* Its quota. */
    uint32_t blocks;       /* Port blocks held. */
    uint32_t blocks_total; /* Port blocks its address and port range allows. */
};

/* Fills '*out' for 'tenant'. Returns 0 or ENOENT (no NAT for it). */
int dp_nat_usage(const struct dp *dp, uint16_t tenant, struct dp_nat_usage *out);

/* Tenants with NAT, in the order they were set: their ids into 'out' (up to 'max'); returns how
 * many there are. */
size_t dp_nat_tenants(const struct dp *dp, uint16_t *out, size_t max);

/* Returns the settings of 'tenant', or NULL. */
const struct dp_nat_conf *dp_nat_conf_get(const struct dp *dp, uint16_t tenant);

/* One public address of a pool as the CLI shows it. */
struct dp_nat_pool_info {
    uint32_t ip;           /* Public address. */
    uint16_t tenant;       /* Tenant whose range this is. */
    uint16_t port_min;     /* Its range. */
    uint16_t port_max;     /* Inclusive. */
    uint32_t blocks_total; /* Blocks in the range. */
    uint32_t blocks_used;  /* Blocks held by a worker for the tenant. */
    uint32_t statics;      /* Static mappings on this address. */
};

/* Copies up to 'max' pool entries into 'out'; returns how many exist. */
size_t dp_nat_pools(const struct dp *dp, struct dp_nat_pool_info *out, size_t max);

/* Which sessions a query or a clear applies to. */
struct dp_nat_filter {
    uint16_t tenant; /* 0: every tenant. */
    uint32_t addr;   /* 0: any; else the inside, public or remote address must equal it. */
};

/* TCP session states as tracked (RFC 5382). */
enum dp_nat_tcp_state {
    DP_NAT_TCP_NONE,        /* Not TCP. */
    DP_NAT_TCP_SYN_SENT,    /* SYN seen one way only. */
    DP_NAT_TCP_ESTABLISHED, /* SYN seen both ways. */
    DP_NAT_TCP_FIN_WAIT,    /* FIN seen one way. */
    DP_NAT_TCP_TIME_WAIT,   /* FIN seen both ways: held for the transitory timeout. */
    DP_NAT_TCP_RESET,       /* RST seen. */
};

/* One session as the CLI shows it. */
struct dp_nat_session_info {
    uint16_t tenant;    /* Routing domain. */
    uint8_t proto;      /* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_ICMP. */
    uint8_t tcp_state;  /* enum dp_nat_tcp_state. */
    uint32_t in_ip;     /* Inside CA. */
    uint16_t in_port;   /* Inside port (ICMP: identifier). */
    uint16_t pub_port;  /* Public port (ICMP: identifier). */
    uint32_t pub_ip;    /* Public address. */
    uint32_t rem_ip;    /* Remote address. */
    uint16_t rem_port;  /* Remote port (0 for ICMP). */
    uint16_t worker;    /* Owning worker. */
    uint32_t idle_s;    /* Seconds since the last packet. */
    uint32_t expires_s; /* Seconds until it expires if idle. */
    uint64_t pkts_out;  /* Packets inside to outside. */
    uint64_t pkts_in;   /* Packets outside to inside. */
};

/* Copies up to 'max' sessions matching 'f' into 'out' and returns how many match in all. Each
 * worker copies its own sessions, so this waits for the workers (a few ms at most). */
size_t dp_nat_sessions(struct dp *dp, const struct dp_nat_filter *f,
                       struct dp_nat_session_info *out, size_t max);

/* Removes the sessions matching 'f' (and mappings and port blocks left unused); returns how many
 * were removed. Waits for the workers like dp_nat_sessions(). */
size_t dp_nat_clear(struct dp *dp, const struct dp_nat_filter *f);

/* Mapping log events. */
enum dp_nat_event {
    DP_NAT_EV_BLOCK_ALLOC, /* A port block was given to a tenant. */
    DP_NAT_EV_BLOCK_FREE,  /* A port block went back to the pool. */
    DP_NAT_EV_MAPPING_ADD, /* An inside endpoint got a public one. */
    DP_NAT_EV_MAPPING_DEL, /* That mapping ended. */
};

/* One mapping-log record. */
struct dp_nat_log {
    uint64_t unix_ns;       /* When, nanoseconds since the epoch. */
    uint8_t event;          /* enum dp_nat_event. */
    uint8_t proto;          /* Mappings: IPPROTO_TCP/UDP/ICMP; blocks: 0. */
    uint16_t tenant;        /* Routing domain. */
    uint32_t in_ip;         /* Mappings: inside CA; blocks: 0. */
    uint16_t in_port;       /* Mappings: inside port. */
    uint16_t pub_port;      /* Mappings: public port; blocks: first port of the block. */
    uint32_t pub_ip;        /* Public address. */
    uint16_t pub_port_last; /* Blocks: last port of the block. */
    uint16_t pad;           /* Zero. */
};

/* Calls 'fn' for every mapping-log record the workers queued since the last call, and returns
 * how many records were lost because the log ring was full (also counted as nat.log_lost). */
uint64_t dp_nat_log_drain(struct dp *dp, void (*fn)(const struct dp_nat_log *, void *aux),
                          void *aux);

const char *dp_nat_tcp_state_name(enum dp_nat_tcp_state s);

#endif
