/* SPDX-License-Identifier: Apache-2.0 */
/* Data-plane internals shared by the stage files. Not for the control plane (use dp.h). */
#ifndef HNVGW_DP_INTERNAL_H
#define HNVGW_DP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_cycles.h>
#include <rte_ether.h>
#include <rte_fib6.h>
#include <rte_hash_crc.h>
#include <rte_rib6.h>
#include <rte_ip.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "dp.h"
#include "esp_internal.h"
#include "ha.h"
#include "nat_internal.h"
#include "rcu_table.h"
#include "trace.h"

#define DP_BURST              32
#define DP_NH_MAX             65536 /* Distinct next hops. */
#define DP_NVGRE_OVERHEAD     42    /* Outer Ethernet 14 + IPv4 20 + GRE with key 8. */
#define DP_GRE_FLAGS_KEY      0x2000
#define DP_ETHER_TYPE_TEB     0x6558
#define DP_NEIGH_HOLD         4 /* Packets held per unresolved neighbor. */
#define DP_ICMP_DEST_UNREACH  3
#define DP_ICMP_TIME_EXCEEDED 11
#define DP_IPPROTO_VRRP       112 /* RFC 5798: the pair's election (ha.h). */

/* The key of the lookup-record table: (VSID, CA). 16 bytes, so that rte_hash compares keys with
 * one vector instruction. IPv6 CAs will get a sibling table keyed (VSID, 16-byte CA); the family
 * field keeps the two key spaces apart should they ever share one table. */
struct dp_lookup_key {
    uint32_t vsid;             /* Virtual subnet. */
    uint8_t family;            /* 4 or 6. */
    uint8_t pad[3];            /* Zero. */
    uint8_t addr[8];           /* The IPv4 CA in the first 4 bytes, network order; the rest zero. */
} __attribute__((aligned(8))); /* rte_hash_crc reads keys 8 bytes at a time. */

/* The key of the VSID table: 16 bytes, like the lookup key, so that rte_hash compares it with one
 * vector instruction instead of calling memcmp. */
struct dp_vsid_key {
    uint32_t vsid;   /* Virtual subnet. */
    uint32_t pad[3]; /* Zero. */
} __attribute__((aligned(8)));

/* What the burst path needs of a VSID, cached per worker so that a busy VSID skips the table.
 * A copy, not a pointer: no RCU question; any subnet change (dp->subnet_gen) invalidates all. */
struct dp_vsid_cache {
    uint32_t vsid;     /* The VSID, 0 when the entry is empty. */
    uint32_t gen;      /* dp->subnet_gen when it was filled. */
    uint16_t tenant;   /* Its routing domain. */
    uint8_t gw_mac[6]; /* Its gateway MAC. */
};

#define DP_VSID_CACHE 64 /* Entries, direct-mapped by the VSID's low bits. */

/* The key of the neighbor table. */
struct dp_neigh_key {
    uint16_t port; /* DPDK port the neighbor is on. */
    uint16_t pad;  /* Zero. */
    uint32_t ip;   /* Its address. */
} __attribute__((aligned(8)));

/* A resolved neighbor. */
struct dp_neigh {
    struct rte_ether_addr mac; /* Its MAC. */
    uint64_t learned_tsc;      /* When it was last confirmed, for aging. */
};

/* A port as the workers see it. Immutable after dp_start(). */
struct dp_port {
    struct dp_port_conf conf;    /* As configured. */
    uint16_t port_id;            /* DPDK port id. */
    struct rte_ether_addr mac;   /* conf.mac as a DPDK type. */
    uint32_t mask;               /* On-link mask of conf.ip, network order. */
    bool used;                   /* Slot in use. */
    uint16_t *tag_tenant;        /* Shared exception port: VLAN id -> routing domain (0: none;
                                  * domain 0 is never shared), 4096 entries (rte_zmalloc). */
    struct rte_hash *mac_tenant; /* Shared exception port: a compartment's MAC (the source of
                                  * its untagged frames) -> routing domain, as the hash's data. */
};

/* How the data plane reaches one routing domain's compartment. */
struct dp_compartment {
    uint16_t port;                  /* DPDK port id + 1 of its exception port (0: none). */
    uint16_t tag;                   /* Its 802.1Q VLAN id there; 0 on a port of its own. */
    uint16_t index;                 /* Its slot in each worker's compartment_stats. */
    struct rte_ether_addr peer_mac; /* The MAC of its side. */
};

/* One compartment's counters in one worker. */
struct dp_compartment_count {
    uint64_t punted;   /* Sent to it. */
    uint64_t injected; /* Received from it. */
};

/* Why a packet was punted to the control thread; stored in its private area. */
enum dp_punt_reason {
    DP_PUNT_ARP,        /* An ARP packet to learn from (port in m->port). */
    DP_PUNT_NEIGH_MISS, /* A packet waiting for its next hop's MAC. */
    DP_PUNT_VRRP,       /* A VRRP advert for the pair's election (port in m->port; ha.h). */
};

/* Per-mbuf metadata for punted packets and packets handed between workers. */
struct dp_mbuf_priv {
    uint32_t nh_ip;    /* DP_PUNT_NEIGH_MISS, NAT hand-off: next hop. */
    uint16_t out_port; /* DP_PUNT_NEIGH_MISS: port to send on. */
    uint8_t reason;    /* enum dp_punt_reason. */
    uint8_t nat_kind;  /* NAT hand-off: enum nat_handoff_kind. */
    uint16_t tenant;   /* NAT hand-off: routing domain. */
    uint16_t pad[3];   /* Zero; the private area is a multiple of 8 bytes. */
};

/* Frames a worker is about to transmit on one port. */
struct dp_txbuf {
    uint16_t n;                      /* Frames queued. */
    struct rte_mbuf *pkts[DP_BURST]; /* Queued frames. */
};

/* One worker lcore's state; only that worker writes it (the control thread reads stats). */
struct dp_worker {
    struct dp *dp;                    /* Owner. */
    unsigned id;                      /* 0..n_workers-1: its rx and tx queue index. */
    unsigned lcore;                   /* lcore it runs on. */
    struct dp_stats stats;            /* Counters. */
    struct dp_txbuf tx[DP_MAX_PORTS]; /* Pending transmissions per port. */
    uint64_t icmp_tokens;             /* ICMP error budget left in this second. */
    uint64_t icmp_refill_tsc;         /* When the budget was last refilled. */
    uint16_t ip_id;                   /* Next outer IPv4 identification. */
    bool ha_passive;                  /* The node was passive (ha.h) when this poll round began:
                                       * read once a round, so that a packet is handled under one
                                       * role from start to end. */
    struct dp_neigh_key nc_key;       /* Neighbor cache: the last next hop resolved, */
    struct rte_ether_addr nc_mac;     /* its MAC, */
    uint32_t nc_gen;                  /* and dp->neigh_gen when it was looked up. */
    struct dp_trace_buf *trace;       /* Packet trace records (see trace.h). */
    struct dp_vsid_cache vsid_cache[DP_VSID_CACHE]; /* Recent VSIDs, for the burst path. */
    uint32_t trace_epoch;   /* dp->trace_epoch when the buffer was last cleared. */
    struct nat_worker *nat; /* This worker's NAT tables, NULL without NAT. */
    struct dp_compartment_count *compartment_stats; /* DP_COMPARTMENTS_MAX entries, by
                                                     * dp_compartment.index (rte_zmalloc). */
} __attribute__((aligned(64)));

/* A held packet queue of one unresolved neighbor (control thread only). */
struct dp_neigh_pending {
    struct dp_neigh_key key;              /* Which neighbor. */
    uint64_t last_request_tsc;            /* Last ARP request sent. */
    unsigned n;                           /* Held packets. */
    unsigned tries;                       /* ARP requests sent. */
    struct rte_mbuf *held[DP_NEIGH_HOLD]; /* Held packets, L2 header not yet filled. */
    bool used;                            /* Slot in use. */
};

#define DP_PENDING_MAX    256
#define DP_PUNT_RING      4096 /* Punted packets waiting for the control thread. */
#define DP_CTL_TX_RING    1024 /* Frames the control thread sends through worker 0. */
#define DP_INDIRECT_MBUFS 8192 /* Indirect mbufs for IPv4 fragments. */

struct dp {
    struct dp_params params;            /* As created. */
    struct rte_mempool *pool;           /* Packet buffers. */
    struct rte_mempool *indirect_pool;  /* Indirect mbufs for IPv4 fragments. */
    struct rte_rcu_qsbr *qsbr;          /* Workers' RCU state. */
    struct rcu_table *lookups;          /* (vsid, ca) -> struct dp_lookup. */
    struct rcu_table *subnets;          /* struct dp_vsid_key -> struct dp_subnet. */
    struct rcu_table *neighbors;        /* (port, ip) -> struct dp_neigh. */
    struct rte_fib6 *fib;               /* (tenant, IPv4) -> next-hop index, see fib.c. Swapped
                                         * whole by fib_rebuild() (workers load it per lookup). */
    uint32_t fib_max_routes;            /* The FIB's size, for fib_rebuild(). */
    unsigned fib_generation;            /* Names the next rebuilt FIB (memzone names are unique). */
    struct dp_nexthop *nh;              /* Next-hop table, DP_NH_MAX entries; index 0 unused. */
    uint32_t *nh_refcnt;                /* Routes using each next hop (control only). */
    struct rte_hash *nh_index;          /* struct dp_nexthop -> index (control only). */
    struct dp_port ports[DP_MAX_PORTS]; /* Indexed by DPDK port id. */
    uint16_t port_order[DP_MAX_PORTS];  /* Port ids in the order they were added. */
    unsigned n_ports;                   /* Ports added. */
    int provider_port;                  /* DPDK port id of the provider port, or -1. */
    int external_port;                  /* DPDK port id of the external port, or -1. */
    struct rte_ring *punt;              /* Workers -> control thread. */
    struct rte_ring *ctl_tx;            /* Control thread -> worker 0, frames to send. */
    struct dp_worker *workers;          /* n_workers entries. */
    struct dp_stats control_stats;      /* Counters of the control thread's own work. */
    uint32_t trace_budget;              /* Packets still to mark for tracing (atomic). */
    uint32_t trace_epoch;               /* Bumped to make workers clear their trace buffers. */
    struct dp_neigh_pending pending[DP_PENDING_MAX]; /* Unresolved neighbors. */
    uint64_t last_age_tsc;                           /* Last neighbor aging pass. */
    uint32_t neigh_gen;  /* Bumped on every neighbor change (invalidates the worker caches). */
    uint32_t subnet_gen; /* Bumped on every subnet change (invalidates the VSID caches). */
    struct nat *nat;     /* NAT44 state, NULL when the node has no NAT. */
    struct esp *esp;     /* IPsec state, NULL when the node has no tunnels. */
    struct dp_compartment *compartments; /* By routing domain, DP_MAX_TENANTS (rte_zmalloc). */
    unsigned n_compartments;             /* Bound so far: the next one's index. */
    int control_fd;                      /* eventfd: punted packets wait for the control thread. */
    uint32_t control_armed; /* 1 when the control thread drained the punt ring and may sleep:
                             * the next punt writes control_fd (atomic, see control.c). */
    int ctl_tx_fd;          /* eventfd: wakes worker 0 for frames on ctl_tx (see dp.c). */
    uint32_t ctl_tx_asleep; /* 1 while worker 0 sleeps idle: the next frame queued on ctl_tx
                             * writes ctl_tx_fd (atomic). */
    uint32_t ha_role;       /* enum dp_ha_role (atomic): set by the control thread, loaded by
                             * each worker once a poll round (dp_ha_worker_sync()). */
    dp_ha_vrrp_fn *vrrp_fn; /* Receives VRRP adverts (control thread), NULL: none. */
    void *vrrp_aux;         /* Its argument. */
    volatile bool stop;     /* Asks workers to exit. */
    bool started;           /* dp_start() succeeded. */
};

/* ---- Helpers used by several stages. ---- */

static inline void
dp_count(struct dp_worker *w, enum dp_counter c)
{
    w->stats.counter[c]++;
}

/* Drops 'm' under 'reason'. */
/* Records a trace event for m when it is a marked packet; one test otherwise. */
#define DP_TRACE(w, m, stage, what, a, b, c)                                                       \
    do {                                                                                           \
        if (unlikely(dp_traced(m))) {                                                              \
            dp_trace_add((w)->trace, (m), DP_TRACE_##stage, (what), (a), (b), (c));                \
        }                                                                                          \
    } while (0)

static inline void
dp_drop(struct dp_worker *w, struct rte_mbuf *m, enum dp_drop reason)
{
    w->stats.drop[reason]++;
    DP_TRACE(w, m, drop, 0, reason, 0, 0);
    rte_pktmbuf_free(m);
}

/* Takes the node's role for the poll round about to begin (see dp_worker.ha_passive). The worker
 * calls it at the top of every round; a unit test driving the stages itself calls it after
 * dp_ha_set_role(). */
static inline void
dp_ha_worker_sync(struct dp_worker *w)
{
    w->ha_passive = __atomic_load_n(&w->dp->ha_role, __ATOMIC_ACQUIRE) == DP_HA_PASSIVE;
}

/* The node's role, for the control thread. */
static inline enum dp_ha_role
dp_ha_role_now(const struct dp *dp)
{
    return (enum dp_ha_role)__atomic_load_n(&dp->ha_role, __ATOMIC_ACQUIRE);
}

static inline bool
dp_is_my_pa(const struct dp *dp, uint32_t ip)
{
    for (unsigned i = 0; i < dp->params.n_pas; i++) {
        if (dp->params.pas[i] == ip) {
            return true;
        }
    }
    return false;
}

static inline const struct dp_subnet *
dp_subnet_find(const struct dp *dp, uint32_t vsid)
{
    struct dp_vsid_key k = {.vsid = vsid};
    return rcu_table_lookup(dp->subnets, &k);
}

static inline const struct dp_lookup *
dp_lookup_find(const struct dp *dp, uint32_t vsid, uint32_t ca)
{
    struct dp_lookup_key k = {.vsid = vsid, .family = 4};
    memcpy(k.addr, &ca, 4);
    return rcu_table_lookup(dp->lookups, &k);
}

/* Builds the FIB key for (tenant, IPv4): the tenant in the first 16 bits, the address next. */
static inline void
dp_fib_key(uint8_t key[16], uint16_t tenant, uint32_t ip_be)
{
    memset(key, 0, 16);
    key[0] = tenant >> 8;
    key[1] = tenant & 0xff;
    memcpy(key + 2, &ip_be, 4);
}

/* Longest-prefix match in a tenant; returns the next hop or NULL. */
static inline const struct dp_nexthop *
dp_fib_lookup(const struct dp *dp, uint16_t tenant, uint32_t ip_be)
{
    uint8_t key[1][16];
    uint64_t nh = 0;

    dp_fib_key(key[0], tenant, ip_be);
    rte_fib6_lookup_bulk(dp->fib, key, &nh, 1);
    return nh ? &dp->nh[nh] : NULL;
}

/* The hash that spreads flows over equal-cost next hops. */
static inline uint32_t
dp_flow_hash(uint32_t src, uint32_t dst, uint8_t proto, uint16_t sport, uint16_t dport)
{
    uint64_t a = (uint64_t)src << 32 | dst,
             b = (uint64_t)proto << 32 | (uint32_t)sport << 16 | dport;
    return rte_hash_crc_8byte(b, rte_hash_crc_8byte(a, 0x5eed));
}

/* The member of ECMP group 'nh' that flow hash 'h' takes. */
static inline const struct dp_nexthop *
dp_ecmp_pick(const struct dp *dp, const struct dp_nexthop *nh, uint32_t h)
{
    return &dp->nh[nh->members[h % nh->n_members]];
}

/* The flow hash of the IPv4 packet at 'ip' ('len' bytes): ports only when the first fragment or
 * a whole datagram carries them. */
static inline uint32_t
dp_ipv4_flow_hash(const struct rte_ipv4_hdr *ip, uint32_t len)
{
    unsigned ihl = (ip->version_ihl & 0xf) * 4;
    uint16_t sport = 0, dport = 0;

    if ((ip->next_proto_id == IPPROTO_TCP || ip->next_proto_id == IPPROTO_UDP) &&
        !(ip->fragment_offset & rte_cpu_to_be_16(RTE_IPV4_HDR_OFFSET_MASK)) && len >= ihl + 4) {
        const uint16_t *ports = (const uint16_t *)((const uint8_t *)ip + ihl);
        sport = ports[0];
        dport = ports[1];
    }
    return dp_flow_hash(ip->src_addr, ip->dst_addr, ip->next_proto_id, sport, dport);
}

/* True when the packet is a fragment (MF set or a non-zero offset). */
static inline bool
dp_ipv4_is_fragment(const struct rte_ipv4_hdr *ip)
{
    return (ip->fragment_offset &
            rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) != 0;
}

/* The sum of the five 32-bit words of a 20-byte IPv4 header (no options), as a plain integer
 * (under 2^35). The header may sit at any 2-byte offset: one 4-byte load per word, since a copy of
 * all 20 bytes goes through the stack. */
static inline uint64_t
dp_ipv4_words20(const struct rte_ipv4_hdr *ip)
{
    const uint8_t *p = (const uint8_t *)ip;
    uint32_t w0, w1, w2, w3, w4;

    memcpy(&w0, p, 4);
    memcpy(&w1, p + 4, 4);
    memcpy(&w2, p + 8, 4);
    memcpy(&w3, p + 12, 4);
    memcpy(&w4, p + 16, 4);
    return (uint64_t)w0 + w1 + w2 + w3 + w4;
}

/* Sums a 20-byte IPv4 header in ones' complement and folds it to 16 bits. Five 32-bit adds
 * instead of rte_raw_cksum's loop: the header is summed for every packet encapsulated. */
static inline uint16_t
dp_ipv4_sum20(const struct rte_ipv4_hdr *ip)
{
    uint64_t sum = dp_ipv4_words20(ip);

    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

/* True when the checksum of the 20-byte IPv4 header at 'ip' is right: its ones' complement sum is
 * 0xffff. Ones' complement addition is addition modulo 0xffff (2^16 and 2^32 are 1 modulo 0xffff,
 * and a non-zero sum never folds to 0), so that holds exactly when the plain sum of the header's
 * 32-bit words is a non-zero multiple of 0xffff, which the compiler tests with one multiplication
 * instead of three folds. Checked against rte_ipv4_cksum() by the unit tests. */
static inline bool
dp_ipv4_hdr20_ok(const struct rte_ipv4_hdr *ip)
{
    uint64_t sum = dp_ipv4_words20(ip);

    return sum != 0 && sum % 0xffff == 0;
}

/* Incremental IPv4 header checksum update for a TTL decrement (RFC 1624). */
static inline void
dp_ipv4_dec_ttl(struct rte_ipv4_hdr *ip)
{
    uint32_t sum = (uint32_t)ip->hdr_checksum + rte_cpu_to_be_16(0x0100);
    ip->time_to_live--;
    ip->hdr_checksum = (uint16_t)(sum + (sum >> 16));
}

/* Validates an IPv4 header at 'ip' with 'avail' bytes after it. Returns its header length or 0. */
static inline unsigned
dp_ipv4_check(const struct rte_ipv4_hdr *ip, uint32_t avail)
{
    unsigned ihl;

    if (avail < sizeof *ip || (ip->version_ihl >> 4) != 4) {
        return 0;
    }
    ihl = (ip->version_ihl & 0xf) * 4;
    if (ihl < sizeof *ip || ihl > avail || rte_be_to_cpu_16(ip->total_length) < ihl ||
        rte_be_to_cpu_16(ip->total_length) > avail) {
        return 0;
    }
    return ihl;
}

/* True when the outer IPv4 header at 'ip' ('ihl' bytes, checked by dp_ipv4_check()) of received
 * frame 'm' has a correct checksum. The NIC's verdict is taken when the port verifies checksums
 * (RTE_ETH_RX_OFFLOAD_IPV4_CKSUM): NONE means it checked the header though the field is not
 * filled. Without a verdict it is summed here, cheaply for the usual 20-byte header. Both
 * provider paths call this, so that they accept the same frames. */
static inline bool
dp_ipv4_rx_cksum_ok(const struct rte_mbuf *m, const struct rte_ipv4_hdr *ip, unsigned ihl)
{
    switch (m->ol_flags & RTE_MBUF_F_RX_IP_CKSUM_MASK) {
    case RTE_MBUF_F_RX_IP_CKSUM_GOOD:
    case RTE_MBUF_F_RX_IP_CKSUM_NONE:
        return true;
    case RTE_MBUF_F_RX_IP_CKSUM_BAD:
        return false;
    default:
        return ihl == sizeof *ip ? dp_ipv4_hdr20_ok(ip) : rte_raw_cksum(ip, ihl) == 0xffff;
    }
}

/* The NVGRE header validator, the only one: the burst path and the decap stage both call it, so
 * that the two accept exactly the same frames. 'gre' is the GRE header, with 'len' bytes from
 * there to the end of the packet. A valid header (RFC 7637, [MS-NVGREE]) has the 8 bytes of GRE
 * with a key, the GRE word exactly 0x2000 (only K set: no checksum, no sequence number, version 0),
 * the protocol 0x6558 (transparent Ethernet) and a VSID in DP_VSID_MIN..DP_VSID_MAX. Returns true
 * and the key (VSID << 8 | FlowID, host order) in '*key'; otherwise false and the reason to drop
 * under in '*why'. The order of the checks fixes which reason a frame with several faults gets. */
static inline bool
dp_nvgre_check(const uint8_t *gre, uint32_t len, uint32_t *key, enum dp_drop *why)
{
    uint32_t word, k;

    if (unlikely(len < 8)) {
        *why = DP_provider_runt;
        return false;
    }
    memcpy(&word, gre, 4);
    memcpy(&k, gre + 4, 4);
    /* One compare for the word and the protocol together; which one is wrong only on a drop. */
    if (unlikely(word != rte_cpu_to_be_32((uint32_t)DP_GRE_FLAGS_KEY << 16 | DP_ETHER_TYPE_TEB))) {
        *why = rte_be_to_cpu_32(word) >> 16 != DP_GRE_FLAGS_KEY ? DP_decap_bad_gre_flags
                                                                : DP_decap_bad_gre_proto;
        return false;
    }
    k = rte_be_to_cpu_32(k);
    if (unlikely((k >> 8) - DP_VSID_MIN > DP_VSID_MAX - DP_VSID_MIN)) {
        *why = DP_decap_vsid_out_of_range;
        return false;
    }
    *key = k;
    return true;
}

/* True when the worker's one-entry neighbor cache holds the MAC of 'ip' on 'port' (then in
 * w->nc_mac) and no neighbor changed since it was filled. */
static inline bool
dp_neigh_cached(const struct dp_worker *w, uint16_t port, uint32_t ip)
{
    return w->nc_gen == __atomic_load_n(&w->dp->neigh_gen, __ATOMIC_ACQUIRE) &&
           w->nc_key.ip == ip && w->nc_key.port == port;
}

/* ---- Stage entry points (one file each). ---- */

/* stage_burst.c: a burst received on the provider port (the common case in bulk). */
void dp_provider_burst(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n);
/* stage_provider.c: a frame received on the provider port. */
void dp_provider_input(struct dp_worker *w, struct rte_mbuf *m);
/* stage_decap.c: NVGRE validation (dp_nvgre_check()) and decapsulation of the GRE header at m's
 * data, from outer source PA 'outer_src'. Consumes m. */
void dp_decap_input(struct dp_worker *w, struct rte_mbuf *m, uint32_t outer_src,
                    uint32_t outer_dst);
/* stage_tenant.c: an inner Ethernet frame (m data) that arrived over NVGRE in 'sn'. */
void dp_tenant_input(struct dp_worker *w, struct rte_mbuf *m, const struct dp_subnet *sn,
                     uint32_t src_pa);
/* stage_route.c: routes the IPv4 packet at m's data (no L2 header) in routing domain 'tenant'.
 * 'in_subnet' is the ingress subnet or NULL (external or self); it sources ICMP errors. */
void dp_route_input(struct dp_worker *w, struct rte_mbuf *m, uint16_t tenant,
                    const struct dp_subnet *in_subnet);
/* stage_route.c: dp_route_input() for a burst of packets from outside (no ingress subnet), packet
 * i in routing domain tenants[i]; routes and lookup records are searched in bulk for those going
 * to a remote CA, the rest take dp_route_input(). Consumes the packets. */
void dp_route_burst(struct dp_worker *w, struct rte_mbuf **pkts, const uint16_t *tenants,
                    uint16_t n);
/* stage_route.c: delivers an IPv4 packet (no L2) to CA 'dst' in subnet 'sn': local VM or encap. */
void dp_route_to_ca(struct dp_worker *w, struct rte_mbuf *m, const struct dp_subnet *sn,
                    uint32_t dst, const struct dp_subnet *in_subnet);
/* stage_encap.c: encapsulates the Ethernet frame at m's data toward 'pa' with 'vsid'. */
void dp_encap_output(struct dp_worker *w, struct rte_mbuf *m, uint32_t vsid, uint32_t pa);
/* stage_exception.c: a frame from a tenant compartment (its kernel: BGP, ICMP, ARP). */
void dp_exception_input(struct dp_worker *w, struct rte_mbuf *m, const struct dp_port *port);
/* stage_exception.c: hands the IPv4 packet at m's data, addressed to one of the gateway's own
 * addresses in routing domain 'tenant', to the compartment when it is control traffic it
 * terminates (BGP, ICMP). Returns false (m untouched) when it is not, or there is none. */
bool dp_exception_punt(struct dp_worker *w, struct rte_mbuf *m, uint16_t tenant);
/* stage_vm.c: a frame received on a VM port. */
void dp_vm_input(struct dp_worker *w, struct rte_mbuf *m, const struct dp_port *port);
/* stage_vm.c: delivers an Ethernet frame to a local VM port. */
void dp_vm_output(struct dp_worker *w, struct rte_mbuf *m, uint16_t port_id);
/* stage_replicate.c: replicates a broadcast Ethernet frame within 'sn' (consumes m). 'from_port' is
 * the local port it came from (or -1); 'to_remote' selects replication to remote PAs too. */
void dp_replicate(struct dp_worker *w, struct rte_mbuf *m, const struct dp_subnet *sn,
                  int from_port, bool to_remote);
/* stage_external.c: a frame received on the external port. */
void dp_external_input(struct dp_worker *w, struct rte_mbuf *m);
/* stage_external.c: a burst received on an external port: routes searched in bulk, and packets to
 * NAT public addresses translated together. */
void dp_external_burst(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n);
/* stage_arp.c: answers the ARP request in 'arp' (inside m's frame) with 'mac' for its target,
 * turning m into the reply in place (Ethernet header at m's data). */
void dp_arp_make_reply(struct rte_mbuf *m, struct rte_arp_hdr *arp,
                       const struct rte_ether_addr *mac);
/* stage_arp.c: true when 'arp' is Ethernet/IPv4 ARP (hardware 1, protocol 0x0800, lengths 6
 * and 4), the only kind the gateway reads. */
bool dp_arp_is_ether_ipv4(const struct rte_arp_hdr *arp);
/* stage_arp.c: policy answer for an ARP target CA in 'sn': gateway MAC or lookup record. */
bool dp_arp_policy(const struct dp *dp, const struct dp_subnet *sn, uint32_t target,
                   struct rte_ether_addr *mac);
/* stage_icmp.c: sends an ICMP error about 'orig' (an IPv4 packet at its data, not consumed) from
 * 'src' back through routing domain 'tenant'. */
void dp_icmp_error(struct dp_worker *w, struct rte_mbuf *orig, uint8_t type, uint8_t code,
                   uint16_t mtu, uint16_t tenant, uint32_t src);
/* stage_icmp.c: turns the ICMP echo request at m's IPv4 header into a reply in place. Returns false
 * when it is not a well-formed echo request. */
bool dp_icmp_echo_reply(struct rte_ipv4_hdr *ip, uint32_t len);
/* stage_route.c: sends an IPv4 packet (TTL not yet decremented, DF-too-big already handled) out
 * of the external port toward 'next', fragmenting it to the port's MTU when needed. */
void dp_route_send_external(struct dp_worker *w, struct rte_mbuf *m, uint32_t next);
/* stage_nat.c: source-NATs the IPv4 packet at m's data from routing domain 'tenant' and sends it
 * out toward 'nh_ip' (0: on-link), or hairpins it. Consumes m. */
void dp_nat_in2out(struct dp_worker *w, struct rte_mbuf *m, uint16_t tenant, uint32_t nh_ip);
/* stage_nat.c: dp_nat_in2out() for a burst of packets whose IPv4 headers were checked (a single
 * segment each, 'total_length' bytes long), packet i from routing domain tenants[i] toward
 * nh_ips[i], with the session table searched in bulk. Consumes the packets. */
void dp_nat_in2out_burst(struct dp_worker *w, struct rte_mbuf **pkts, const uint16_t *tenants,
                         const uint32_t *nh_ips, uint16_t n);
/* stage_nat.c: destination-NATs the IPv4 packet at m's data (to a public address) and routes it
 * in its tenant. Consumes m. */
void dp_nat_out2in(struct dp_worker *w, struct rte_mbuf *m);
/* stage_nat.c: dp_nat_out2in() for a burst of packets checked like dp_nat_in2out_burst()'s, with
 * the session table searched in bulk; pub_idx[i] is the NAT index of packet i's destination (from
 * its DP_NH_NAT_PUBLIC next hop). Consumes the packets. */
void dp_nat_out2in_burst(struct dp_worker *w, struct rte_mbuf **pkts, const uint16_t *pub_idx,
                         uint16_t n);
/* stage_tx.c: sends the IPv4 packet at m's data on 'port' to next hop 'nh_ip' (resolved by ARP). */
void dp_tx_ip(struct dp_worker *w, struct rte_mbuf *m, uint16_t port, uint32_t nh_ip);
/* stage_tx.c: queues a complete Ethernet frame on 'port'. */
void dp_tx_frame(struct dp_worker *w, struct rte_mbuf *m, uint16_t port);
/* stage_tx.c: sends every queued frame. */
void dp_tx_flush(struct dp_worker *w);
/* dp.c: makes 'port_id' (an exception port) the way to 'tenant's compartment at 'peer_mac', with
 * VLAN id 'tag' (0: untagged); 'tenant' DP_MAX_TENANTS readies a shared port's tables instead.
 * On a shared port the compartment is known by its tag, or untagged by its MAC. Returns 0,
 * EEXIST (the domain, the tag or the MAC is taken), ENOSPC or ENOMEM. */
int dp_compartment_attach(struct dp *dp, uint16_t port_id, uint32_t tenant, uint16_t tag,
                          const uint8_t peer_mac[6]);
/* dp.c: the routing domain whose compartment has 'mac' on shared port 'p', 0 if none. */
uint16_t dp_compartment_by_mac(const struct dp_port *p, const struct rte_ether_addr *mac);
/* stage_tx.c: prepends an Ethernet header from 'port's MAC toward 'dst', with 802.1Q VLAN id
 * 'tag' unless it is 0. False (nothing changed) without headroom. */
bool dp_l2_prepend_tag(struct rte_mbuf *m, const struct dp_port *port,
                       const struct rte_ether_addr *dst, uint16_t ethertype, uint16_t tag);
/* stage_tx.c: the same with the port's own VLAN id (conf.vlan). */
bool dp_l2_prepend(struct rte_mbuf *m, const struct dp_port *port, const struct rte_ether_addr *dst,
                   uint16_t ethertype);
/* The result of looking at a frame's Ethernet header on a port. */
enum dp_l2_status { DP_L2_OK, DP_L2_RUNT, DP_L2_BAD_VLAN };

/* stage_tx.c: reads the Ethernet header (and the port's VLAN tag) of m without changing it:
 * the ethertype (host order) and the header length go to '*type' and '*hlen'. */
enum dp_l2_status dp_l2_peek(const struct rte_mbuf *m, const struct dp_port *port, uint16_t *type,
                             unsigned *hlen);
/* stage_tx.c: turns a received frame around: back to its sender's MAC, from the port's. */
void dp_l2_bounce(struct rte_mbuf *m, const struct dp_port *port);
/* stage_tx.c: strips an Ethernet header (checking the port's VLAN); returns the ethertype (host
 * order) with m's data at the L3 header, or 0 when the frame is malformed or on the wrong VLAN. */
uint16_t dp_l2_strip(struct rte_mbuf *m, const struct dp_port *port, bool *vlan_bad);
/* ha.c: drops m, received on a passive node at 'l2' bytes of L2 header, under 'why' (a
 * "<stage>.ha_passive" reason), with a trace line saying why. */
void dp_ha_passive_drop(struct dp_worker *w, struct rte_mbuf *m, unsigned l2, enum dp_drop why);
/* ha.c: hands a punted VRRP frame (Ethernet header at m's data) to the VRRP handler, or drops
 * and counts it without one. Consumes m. Control thread. */
void dp_ha_vrrp_input(struct dp *dp, struct rte_mbuf *m);
/* stage_arp.c: an ARP request on 'port' asking for 'tip' from 'sip' (the port's MAC as the sender,
 * broadcast, with the port's VLAN tag); NULL when no buffer was free. Control thread. */
struct rte_mbuf *dp_arp_request_build(struct dp *dp, const struct dp_port *port, uint32_t sip,
                                      uint32_t tip);
/* stage_tx.c: worker 0 sends the frames the control thread queued on dp->ctl_tx (ARP, held
 * packets, ha.h's frames). Returns how many it took. */
unsigned dp_tx_control(struct dp_worker *w);
/* control.c: wakes worker 0 if it sleeps idle, after the control thread queued frames on
 * dp->ctl_tx (one write per sleep at most). Control thread. */
void dp_ctl_tx_wake(struct dp *dp);
/* control.c: punt m to the control thread (consumes it). */
void dp_punt(struct dp_worker *w, struct rte_mbuf *m, enum dp_punt_reason reason, uint16_t port,
             uint32_t nh_ip);

#endif
