/* SPDX-License-Identifier: Apache-2.0 */
/* The data plane's narrow API, for the control plane.
 *
 * The module promises:
 * - dp_create() brings up DPDK and the tables; ports are added before dp_start() launches workers.
 * - Every table update below is applied while traffic flows: readers never lock, and memory an
 * update replaces is reused only after all workers passed a quiescent state (RCU).
 * - All update functions are for the control thread only (single writer) and return 0 or a positive
 *   errno, with nothing changed on failure.
 * Addresses are IPv4 in network byte order. */
#ifndef HNVGW_DP_H
#define HNVGW_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "esp.h"
#include "nat.h"

struct dp;

#define DP_MAX_PORTS   32    /* DPDK ports one node may use. */
#define DP_MAX_PAS     16    /* Provider addresses of one node. */
#define DP_MAX_WORKERS 16    /* Worker lcores. */
#define DP_FLOOD_MAX   64    /* PAs a VSID's broadcast is replicated to. */
#define DP_MAX_TENANTS 65536 /* Routing domain ids 1..65535; 0 is the external classifier. */
#define DP_ERR_MAX     256   /* Error message buffer size. */

/* Compartments (a tenant's control-plane namespace) reach the data plane through exception
 * ports: one of its own, or a shared one carrying up to DP_COMPARTMENT_TAGS compartments, so
 * that ports do not grow with tenants. On a shared port a compartment is known by its 802.1Q
 * VLAN id (1..4094) where its kernel side is a VLAN device, or else by its MAC, which the kernel
 * side must vouch for (a bridge port that only takes frames from that MAC). */
#define DP_COMPARTMENT_TAGS 4094 /* Compartments of one shared exception port. */
#define DP_COMPARTMENTS_MAX 8192 /* Compartments one node reaches (per-worker counters). */

/* The VSIDs NVGRE may carry: 0-4095 are reserved, and 0xFFFFFF is reserved for vendor use
 * ([MS-NVGREE] 2.2.1). The only definition of the range: the data plane drops the rest, and the
 * config refuses them. Plain decimal literals, because counters.h spells them into a drop
 * reason's help text. */
#define DP_VSID_MIN 4096
#define DP_VSID_MAX 16777214

/* Ring and cache sizes of the packet path: an rx ring holds one mbuf per descriptor from the
 * port's start on, a tx ring (on most drivers) until the driver reclaims it. */
#define DP_RX_DESC    1024 /* Receive descriptors per queue. */
#define DP_TX_DESC    1024 /* Transmit descriptors per queue. */
#define DP_MBUF_CACHE 256  /* Per-lcore cache of the packet pool. */

/* Sizing and behaviour, fixed at creation. */
struct dp_params {
    unsigned n_workers;        /* Worker lcores, 1..DP_MAX_WORKERS. */
    uint32_t max_lookups;      /* Capacity of the lookup-record table. */
    uint32_t max_subnets;      /* Capacity of the VSID table. */
    uint32_t max_routes;       /* Routes across all tenants (FIB capacity). */
    uint32_t max_neighbors;    /* ARP cache entries on provider and external ports. */
    uint32_t n_mbufs;          /* Packet buffers (0: a default fitting the ports). */
    unsigned icmp_rate;        /* ICMP errors per second per worker. */
    unsigned arp_timeout_s;    /* Lifetime of a learned neighbor. */
    uint32_t pas[DP_MAX_PAS];  /* This node's provider addresses. */
    unsigned n_pas;            /* Number of pas. */
    bool gateway_role;         /* Route between subnets and to the external port. */
    bool host_role;            /* Local VM ports. */
    uint32_t max_nat_sessions; /* NAT session capacity of the node (0: no NAT). */
    uint16_t nat_port_block;   /* Ports per NAT port block (power of 2, 8..4096). */
    uint32_t max_esp_sas;      /* IPsec: non-zero creates the ESP tables and crypto devices. */
};

enum dp_port_kind {
    DP_PORT_PROVIDER,  /* PA network. */
    DP_PORT_EXTERNAL,  /* Uplink. */
    DP_PORT_VM,        /* Local VM NIC. */
    DP_PORT_EXCEPTION, /* Compartments' TAP: the gateway's own control traffic (see above). */
};

/* A port as the control plane describes it. */
struct dp_port_conf {
    enum dp_port_kind kind; /* Role. */
    char name[32];          /* Name for the CLI. */
    char devargs[256];      /* DPDK devargs (a vdev string, or a PCI address). */
    uint8_t mac[6];         /* Own MAC; for vm, the VM's bound MAC. */
    uint32_t ip;            /* Own address (provider/external). */
    uint8_t plen;           /* On-link prefix length of ip. */
    uint16_t vlan;          /* VLAN id to tag/accept; 0 untagged. */
    uint32_t gateway;       /* Next hop for off-link destinations, 0 if none. */
    uint32_t vsid;          /* vm: bound VSID. */
    uint32_t ca;            /* vm: bound CA. */
    uint16_t mtu;           /* L3 MTU of the port (0: 1500). */
    uint16_t tenant;        /* exception, untagged: the routing domain of its compartment. */
    uint8_t peer_mac[6];    /* exception, untagged: the MAC of the compartment's side. */
    bool tagged;            /* exception: shared by many compartments, each bound with
                             * dp_compartment_bind() (tenant and peer_mac unused). */
};

/* What one compartment exchanged with the data plane, summed over the workers. */
struct dp_compartment_stats {
    uint16_t port;     /* DPDK port id of its exception port. */
    uint16_t tag;      /* Its 802.1Q VLAN id there, 0 on a port of its own. */
    uint64_t punted;   /* Packets for the gateway's own addresses sent to it (BGP, ICMP, IKE). */
    uint64_t injected; /* Frames it sent (ARP included), taken as its and no other's. */
};

/* A virtual subnet as the data plane needs it. */
struct dp_subnet {
    uint32_t vsid;                   /* Key. */
    uint16_t tenant;                 /* Routing domain id. */
    uint32_t prefix;                 /* Network address. */
    uint8_t plen;                    /* Prefix length. */
    uint32_t gw_ip;                  /* Default-gateway CA. */
    uint8_t gw_mac[6];               /* Its MAC. */
    uint64_t local_ports;            /* Bitmask of VM port ids in this VSID (host role). */
    uint16_t n_flood;                /* Entries in flood_pa. */
    uint32_t flood_pa[DP_FLOOD_MAX]; /* Remote PAs hosting this VSID: broadcast replication. */
};

enum dp_lookup_type { DP_LK_STATIC, DP_LK_DYNAMIC, DP_LK_L2ONLY, DP_LK_WILDCARD };
enum dp_lookup_rule { DP_LK_ENCAP, DP_LK_NAT };

/* A lookup record's value. Key: (vsid, ca). */
struct dp_lookup {
    uint32_t pa;        /* Provider address hosting the CA. */
    uint8_t mac[6];     /* CA's MAC. */
    uint8_t type;       /* enum dp_lookup_type. */
    uint8_t rule;       /* enum dp_lookup_rule. */
    int16_t local_port; /* DPDK port of the local VM NIC when pa is ours, else -1. */
};

enum dp_nh_type {
    DP_NH_NONE,        /* No route (FIB miss). */
    DP_NH_CONNECTED,   /* Destination is a CA of 'vsid'. */
    DP_NH_CA,          /* Next hop is CA 'ip' in 'vsid'. */
    DP_NH_EXTERNAL,    /* Out of the external port to 'ip' (0: on-link). */
    DP_NH_BLACKHOLE,   /* Drop silently. */
    DP_NH_UNREACHABLE, /* Drop with ICMP unreachable. */
    DP_NH_LOCAL,       /* Addressed to the gateway itself (answers ping). */
    DP_NH_TENANT,      /* External classifier: packet belongs to routing domain 'tenant'. */
    DP_NH_NAT,         /* Source-NAT, then out of the external port to 'ip' (0: on-link). */
    DP_NH_NAT_PUBLIC,  /* External classifier: NAT public address number 'tenant' (destination
                        * NAT); dp_route_set() fills the number, ENOENT for no such address. */
    DP_NH_ECMP,        /* Equal-cost next hops 'members' (n_members of them), picked by flow. */
    DP_NH_IPSEC,       /* Encrypt with the current outbound SA of tunnel 'reqid' (esp.h), then out
                        * of the external port to the SA's peer; no SA: drop, never in clear. */
};

/* What a route points at. Also the key of the next-hop index, hence 8-byte aligned and with no
 * implicit padding (rte_hash_crc reads keys 8 bytes at a time). */
#define DP_ECMP_MAX 8 /* Next hops of one equal-cost route. */

struct dp_nexthop {
    uint8_t type;      /* enum dp_nh_type. */
    uint8_t n_members; /* DP_NH_ECMP: entries in members; else zero. */
    uint16_t tenant;   /* DP_NH_TENANT: routing domain. */
    union {
        struct {
            uint32_t vsid;       /* DP_NH_CONNECTED, DP_NH_CA. */
            uint32_t ip;         /* DP_NH_CA, DP_NH_EXTERNAL. */
            uint8_t mac[6];      /* DP_NH_CONNECTED, DP_NH_CA: the gateway MAC of subnet 'vsid',
                                  * the source of routed frames there (saves the fast path a VSID
                                  * lookup). */
            uint8_t reserved[6]; /* Zero. */
        };
        uint16_t members[DP_ECMP_MAX]; /* DP_NH_ECMP: next-hop table indexes (control sets). */
        uint32_t reqid;                /* DP_NH_IPSEC: the tunnel (charon's reqid). */
    };
} __attribute__((aligned(8)));

/* Starts DPDK with 'eal_argv' (argv[0] included) and creates the tables. Returns 0 and '*out', or a
 * positive errno with a message in 'err'. Only one dp may exist per process. */
int dp_create(int eal_argc, char **eal_argv, const struct dp_params *params, struct dp **out,
              char *err);

/* What a data plane with 'params' will ask of DPDK (sizing.c). Pure: no EAL needed, so the
 * control plane can check a config before it starts one. Memory is in bytes of hugepage memory,
 * an estimate from DPDK's own sizing rules that leaves out small allocations and the EAL's and
 * drivers' own needs (add a margin). */
struct dp_size {
    uint32_t pool_mbufs;     /* Packet buffers dp_create() puts in its pool. */
    uint32_t mbufs_rx;       /* Held by the rx rings from the ports' start on. */
    uint32_t mbufs_tx;       /* That can sit in tx rings of drivers that free them late. */
    uint32_t mbufs_cache;    /* That can sit in the lcores' pool caches. */
    uint32_t mbufs_inflight; /* Bursts in the workers' hands, packets held for ARP. */
    uint32_t mbufs_needed;   /* The sum of the four above. */
    uint64_t mem_pools;      /* The packet pool and the fragments' indirect pool. */
    uint64_t mem_tables;     /* Lookups, subnets, neighbors, next hops, the FIB (twice). */
    uint64_t mem_nat;        /* NAT tables, 0 without NAT. */
    uint64_t mem_esp;        /* ESP SA tables, 0 without tunnels. */
    uint64_t mem_needed;     /* The sum of the four above. */
};

/* The packet pool dp_create() creates for 'params': n_mbufs, or the default. */
uint32_t dp_pool_mbufs(const struct dp_params *params);

/* Fills '*out' for a data plane with 'params' and 'n_ports' ports, 'n_tx_holding' of which have
 * drivers that keep sent mbufs in their tx ring (net_tap copies and frees them at once). */
void dp_size_compute(const struct dp_params *params, unsigned n_ports, unsigned n_tx_holding,
                     struct dp_size *out);

/* Adds a port; only before dp_start(). Returns 0 and its DPDK port id in '*port_id'. */
int dp_port_add(struct dp *dp, const struct dp_port_conf *conf, uint16_t *port_id, char *err);

/* Configures and starts the ports and launches the workers. */
int dp_start(struct dp *dp, char *err);

/* Binds the compartment of routing domain 'tenant' to the shared exception port 'port_id' (one
 * with conf.tagged), where its side has MAC 'peer_mac' and, if 'tag' is not 0, 802.1Q VLAN id
 * 'tag' (1..DP_COMPARTMENT_TAGS). The data plane sets the tag (or the destination MAC) of all it
 * sends there, and takes a frame from there as 'tenant's only when it carries that tag, or
 * untagged, comes from that MAC: compartments cannot reach each other's domains. Untagged ports
 * are bound by dp_port_add() from their conf. Before dp_start(). Returns 0, or EINVAL (not a
 * shared exception port, tag out of range, domain 0), EEXIST (tenant, tag or MAC already bound),
 * ENOSPC (beyond DP_COMPARTMENTS_MAX), ENOMEM, with a message in 'err'. */
int dp_compartment_bind(struct dp *dp, uint16_t port_id, uint16_t tenant, uint16_t tag,
                        const uint8_t peer_mac[6], char *err);

/* The counters of 'tenant's compartment into 'out'. Returns 0, or ENOENT when it has none. */
int dp_compartment_stats(const struct dp *dp, uint16_t tenant, struct dp_compartment_stats *out);

/* Stops workers and ports, frees everything. Accepts NULL. */
void dp_destroy(struct dp *dp);

/* Control-thread housekeeping: punted packets (ARP learning, held packets), ARP retries, neighbor
 * aging and RCU reclamation. Call it when dp_control_fd() is readable, and at least every
 * DP_CONTROL_PERIOD_MS for the retries and the aging. */
void dp_control_poll(struct dp *dp);

/* An eventfd that becomes readable when workers punted packets since the last dp_control_poll().
 * Owned by 'dp' (never close it). A worker writes it only when the ring was drained and the control
 * thread may be asleep, so the forwarding path makes no syscall and a punt storm makes one write
 * per control-thread wake-up, not per packet. dp_control_poll() empties it. */
int dp_control_fd(const struct dp *dp);

#define DP_CONTROL_PERIOD_MS 100 /* ARP retries are due within a second; aging runs once one. */

int dp_subnet_set(struct dp *dp, const struct dp_subnet *subnet);
int dp_subnet_del(struct dp *dp, uint32_t vsid);
/* Returns a copy of the subnet of 'vsid' in '*out', or ENOENT. */
int dp_subnet_get(struct dp *dp, uint32_t vsid, struct dp_subnet *out);

int dp_lookup_set(struct dp *dp, uint32_t vsid, uint32_t ca, const struct dp_lookup *rec);
int dp_lookup_del(struct dp *dp, uint32_t vsid, uint32_t ca);
/* Calls 'fn' on every record until it returns false. */
void dp_lookup_iterate(struct dp *dp,
                       bool (*fn)(uint32_t vsid, uint32_t ca, const struct dp_lookup *, void *aux),
                       void *aux);
uint32_t dp_lookup_count(const struct dp *dp);

/* Installs or replaces the route 'prefix/plen' of routing domain 'tenant' (0 is the external
 * classifier). ENOSPC when the FIB or next-hop table is full. */
int dp_route_set(struct dp *dp, uint16_t tenant, uint32_t prefix, uint8_t plen,
                 const struct dp_nexthop *nh);
int dp_route_del(struct dp *dp, uint16_t tenant, uint32_t prefix, uint8_t plen);
/* Like dp_route_set() with 'n' (1..DP_ECMP_MAX) equal-cost next hops, spread by flow (a flow's
 * packets always take the same one). None may itself be DP_NH_ECMP. */
int dp_route_set_multi(struct dp *dp, uint16_t tenant, uint32_t prefix, uint8_t plen,
                       const struct dp_nexthop *nhs, unsigned n);
/* The next hop the workers pick for a flow (src, dst, proto, ports in network order). */
struct dp_nexthop dp_route_lookup_flow(struct dp *dp, uint16_t tenant, uint32_t src, uint32_t dst,
                                       uint8_t proto, uint16_t sport, uint16_t dport);
/* Longest-prefix match as the workers see it; returns the next hop (type DP_NH_NONE on a miss). */
struct dp_nexthop dp_route_lookup(struct dp *dp, uint16_t tenant, uint32_t addr);

/* Sums every worker's counters (and the control thread's) into '*out'. */
void dp_stats_sum(const struct dp *dp, struct dp_stats *out);

/* Copies worker 'worker's own counters into '*out'. Returns 0, or ENOENT for no such worker. */
int dp_stats_worker(const struct dp *dp, unsigned worker, struct dp_stats *out);

/* Copies the control thread's own counters (ARP learning, held packets it sent) into '*out': with
 * every worker's, they make dp_stats_sum(). */
void dp_stats_control(const struct dp *dp, struct dp_stats *out);

/* Number of worker lcores. */
unsigned dp_worker_count(const struct dp *dp);

/* Port introspection for the CLI. */
unsigned dp_port_count(const struct dp *dp);
const struct dp_port_conf *dp_port_conf(const struct dp *dp, unsigned idx, uint16_t *port_id);

/* Neighbor cache introspection: calls 'fn' for each entry. */
void dp_neigh_iterate(struct dp *dp,
                      bool (*fn)(uint16_t port, uint32_t ip, const uint8_t mac[6], unsigned age_s,
                                 void *aux),
                      void *aux);

/* Adds a static neighbor (never aged, never overridden by ARP). age_s reports UINT32_MAX for it. */
int dp_neigh_set_static(struct dp *dp, uint16_t port, uint32_t ip, const uint8_t mac[6]);

/* Imports a neighbor learned elsewhere (the pair's peer): 'ip' on provider or external port
 * 'port' has 'mac', last confirmed 'age_s' seconds ago. It becomes a learned entry like one ARP
 * taught, confirmed at that time: it ages out arp_timeout_s after it unless ARP confirms it
 * again, ARP may move it to another MAC, and packets waiting for it go out. Returns 0, or,
 * with nothing changed:
 * - EALREADY: the entry here was confirmed as recently or more (the newer word wins);
 * - EPERM: a static neighbor has 'ip' (never overridden);
 * - ENODEV: 'port' is not a provider or external port of this node;
 * - EINVAL: 'ip' is not another host of the port's network (0, off-link, or its network or
 *   broadcast address), or 'mac' is zero or multicast;
 * - EADDRINUSE: 'ip' is one of the node's own addresses (dp_addr_is_own());
 * - ESTALE: 'age_s' reaches arp_timeout_s (it would have expired already);
 * - ENOSPC: the neighbor table is full. */
int dp_neigh_learn(struct dp *dp, uint16_t port, uint32_t ip, const uint8_t mac[6], unsigned age_s);

/* True when 'ip' is one of the node's own addresses on 'port' in any role of a pair (what a
 * standalone or active node answers ARP for there, ha.h): the PAs, the port's own address, and
 * on the external port the NAT public and tunnel addresses. */
bool dp_addr_is_own(const struct dp *dp, uint16_t port, uint32_t ip);

/* A number that changes whenever a neighbor is added, moved, confirmed again or removed, so that
 * a poller can skip a table that did not change. */
uint32_t dp_neigh_generation(const struct dp *dp);

/* Packet trace: marks the next 'count' packets received (over all workers) for tracing, after
 * clearing what earlier traces recorded. */
void dp_trace_start(struct dp *dp, uint32_t count);

/* Calls 'fn' with every recorded trace line, worker by worker, in order. */
void dp_trace_lines(struct dp *dp,
                    void (*fn)(unsigned worker, uint32_t pkt, const char *stage_line, void *aux),
                    void *aux);

/* Bytes of DPDK heap in use, for table sizing reports. */
size_t dp_heap_used(void);

#endif
