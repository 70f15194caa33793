/* SPDX-License-Identifier: Apache-2.0 */
/* NAT44 internals shared by nat.c (tables, ports, expiry, control) and stage_nat.c (packets).
 *
 * Ownership: a session, its mapping and the port block its public port came from belong to one
 * worker, the one hash(tenant, inside address) picks. Only that worker reads or writes its tables,
 * so they are plain rte_hash tables without locks or RCU. The only state workers share is
 * - the port-block owner array (one atomic word per block, claimed with compare-and-swap),
 * - per-tenant usage counters (atomic adds, for the quotas),
 * - the mapping-log ring (multi-producer rte_ring),
 * - each worker's hand-off ring (multi-producer rte_ring) and command mailbox. */
#ifndef HNVGW_NAT_INTERNAL_H
#define HNVGW_NAT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_ip_frag.h>
#include <rte_ring.h>

#include "nat.h"
#include "nat_sync.h"

#define NAT_NONE        UINT32_MAX /* "No entry" in index links. */
#define NAT_WHEEL_SLOTS 4096       /* Timer wheel of one-second slots. */
#define NAT_HANDOFF_Q   4096       /* Hand-off ring size per worker. */
#define NAT_LOG_Q       16384      /* Mapping-log ring size. */
#define NAT_N_PROTOS    3          /* TCP, UDP, ICMP: separate port spaces. */
#define NAT_FILTER_BITS 1024       /* Bits of the public-address filter (see nat_maybe_public). */

/* Key of the inside session table: (tenant, proto, inside, remote). 16 bytes. */
struct nat_key_in {
    uint16_t tenant;   /* Routing domain. */
    uint8_t proto;     /* IPPROTO_*. */
    uint8_t pad;       /* Zero. */
    uint32_t in_ip;    /* Inside CA. */
    uint32_t rem_ip;   /* Remote address. */
    uint16_t in_port;  /* Inside port or ICMP identifier (network order). */
    uint16_t rem_port; /* Remote port, 0 for ICMP (network order). */
} __attribute__((aligned(8)));

/* Key of the outside session table: (public, remote, proto). 16 bytes. */
struct nat_key_out {
    uint32_t pub_ip;   /* Public address. */
    uint32_t rem_ip;   /* Remote address. */
    uint16_t pub_port; /* Public port or ICMP identifier (network order). */
    uint16_t rem_port; /* Remote port, 0 for ICMP (network order). */
    uint8_t proto;     /* IPPROTO_*. */
    uint8_t pad[3];    /* Zero. */
} __attribute__((aligned(8)));

/* Key of the mapping tables: one endpoint and the protocol. 16 bytes. */
struct nat_key_ep {
    uint32_t ip;     /* Inside CA (inside table) or public address (outside table). */
    uint16_t port;   /* Its port (network order). */
    uint16_t tenant; /* Routing domain (inside table), 0 (outside table). */
    uint8_t proto;   /* IPPROTO_*. */
    uint8_t pad[7];  /* Zero. */
} __attribute__((aligned(8)));

/* Session flags. */
#define NAT_S_DEAD    0x01 /* Removed from the tables; freed when the wheel reaches it. */
#define NAT_S_SYN_OUT 0x02 /* TCP SYN seen inside to outside. */
#define NAT_S_SYN_IN  0x04 /* TCP SYN seen outside to inside. */
#define NAT_S_FIN_OUT 0x08 /* TCP FIN seen inside to outside. */
#define NAT_S_FIN_IN  0x10 /* TCP FIN seen outside to inside. */

/* A session: one 5-tuple through one mapping. 64 bytes. */
struct nat_session {
    uint32_t in_ip;       /* Inside CA. */
    uint32_t pub_ip;      /* Public address. */
    uint32_t rem_ip;      /* Remote address. */
    uint16_t in_port;     /* Inside port (network order). */
    uint16_t pub_port;    /* Public port (network order). */
    uint16_t rem_port;    /* Remote port (network order). */
    uint16_t tenant;      /* Routing domain. */
    uint8_t proto;        /* IPPROTO_*. */
    uint8_t tcp_state;    /* enum dp_nat_tcp_state. */
    uint8_t flags;        /* NAT_S_*. */
    uint8_t tclass;       /* enum dp_nat_timeout. */
    uint32_t mapping;     /* Its mapping's index. */
    uint32_t map_next;    /* Next session of the same mapping. */
    uint32_t map_prev;    /* Previous one. */
    uint32_t wheel_next;  /* Next session in the same timer-wheel slot. */
    uint64_t last_tsc;    /* Last packet either way. */
    uint64_t created_tsc; /* Creation (for the CLI). */
    uint32_t pkts_out;    /* Packets inside to outside. */
    uint32_t pkts_in;     /* Packets outside to inside. */
};

/* Mapping flags. */
#define NAT_M_STATIC 0x01 /* Public endpoint from a static mapping (no port to give back). */

/* A mapping: inside endpoint -> public endpoint (endpoint-independent, RFC 4787 REQ-1). */
struct nat_mapping {
    uint32_t in_ip;      /* Inside CA. */
    uint32_t pub_ip;     /* Public address. */
    uint16_t in_port;    /* Inside port (network order). */
    uint16_t pub_port;   /* Public port (network order). */
    uint16_t tenant;     /* Routing domain. */
    uint8_t proto;       /* IPPROTO_*. */
    uint8_t flags;       /* NAT_M_*. */
    uint32_t sessions;   /* First session (list through map_next). */
    uint32_t n_sessions; /* Sessions on it. */
    uint16_t nt;         /* Index of its nat_tenant. */
    uint8_t ip_idx;      /* Index of its public address in nat->ips. */
    uint8_t pad;         /* Zero. */
};

/* A port block as the worker that owns it sees it. */
struct nat_wblock {
    uint32_t n_used; /* Ports of the block in use, all protocols. */
    uint32_t next;   /* Next block the worker holds for the same tenant, or NAT_NONE. */
    uint32_t prev;   /* Previous one. */
};

/* What a worker hands over with a packet (in the mbuf's private area). */
enum nat_handoff_kind {
    NAT_HO_IN2OUT = 1, /* Translate inside to outside in 'tenant', toward 'nh_ip'. */
    NAT_HO_OUT2IN,     /* Translate outside to inside. */
    NAT_HO_REASS_IN,   /* A fragment to reassemble, then IN2OUT. */
    NAT_HO_REASS_OUT,  /* A fragment to reassemble, then OUT2IN. */
};

/* A control-thread request a worker serves between bursts. */
struct nat_cmd {
    enum { NAT_CMD_LIST, NAT_CMD_CLEAR, NAT_CMD_SYNC_WALK } op; /* What to do. */
    struct dp_nat_filter filter;                                /* Which sessions. */
    struct dp_nat_session_info *out;  /* LIST: where to copy (shared by all workers). */
    size_t max;                       /* LIST, SYNC_WALK: capacity of out or sync_out. */
    size_t n_out;                     /* LIST, SYNC_WALK: entries written so far (atomic). */
    size_t matched;                   /* Sessions matched (atomic). */
    struct dp_nat_sync_rec *sync_out; /* SYNC_WALK: where to copy. */
    uint32_t index;                   /* SYNC_WALK: first slot to look at; on return, the next. */
};

/* A worker's NAT state. Only that worker touches it (the control thread only when stopped). */
struct nat_worker {
    unsigned id;                      /* Worker index. */
    struct rte_hash *sess_in;         /* nat_key_in -> session index. */
    struct rte_hash *sess_out;        /* nat_key_out -> session index. */
    struct rte_hash *map_in;          /* nat_key_ep (inside) -> mapping index. */
    struct rte_hash *map_out;         /* nat_key_ep (public) -> mapping index. */
    struct nat_session *sessions;     /* Session pool. */
    uint32_t *free_sessions;          /* Stack of free session indexes. */
    uint32_t n_free_sessions;         /* Its depth. */
    struct nat_mapping *mappings;     /* Mapping pool. */
    uint32_t *free_mappings;          /* Stack of free mapping indexes. */
    uint32_t n_free_mappings;         /* Its depth. */
    uint32_t capacity;                /* Sessions (and mappings) this worker can hold. */
    struct nat_wblock *blocks;        /* Indexed by global block number. */
    uint64_t *used;                   /* Port bitmaps: [proto][ip][65536 bits]. */
    uint32_t *tenant_blocks;          /* First block held per nat_tenant, or NAT_NONE. */
    uint32_t *claim_cursor;           /* Per nat_tenant: where the next block search starts. */
    uint32_t wheel[NAT_WHEEL_SLOTS];  /* Timer wheel: first session per second slot. */
    uint64_t wheel_s;                 /* Next second of the wheel to process. */
    uint64_t wheel_done_s;            /* Second the detached list belongs to. */
    uint32_t expiring;                /* Detached slot being processed, or NAT_NONE. */
    struct rte_ip_frag_tbl *frag_tbl; /* Reassembly of fragments this worker owns. */
    struct rte_ip_frag_death_row death_row; /* Fragments to free after the burst. */
    struct rte_ring *handoff;               /* Packets other workers hand to this one. */
    struct nat_cmd *cmd;                    /* Pending control request (atomic), or NULL. */
    uint64_t now_tsc;                       /* Time of the current burst. */
    struct rte_ring *sync_out;              /* Session changes for the pair's peer (SP/SC, struct
                                             * dp_nat_sync_rec), NULL until dp_nat_sync_enable() (atomic). */
    struct rte_ring *sync_in;               /* Records of the peer to apply (SP/SC), likewise. */
    bool sync_importing; /* Applying one: no export, no quota (see nat_sync.c). */
};

/* A tenant with NAT. Settings are fixed after dp_start(); the counters are atomic. */
struct nat_tenant {
    struct dp_nat_conf conf;           /* As configured. */
    uint8_t ip_idx[DP_NAT_PUBLIC_MAX]; /* Its public addresses as indexes into nat->ips. */
    uint64_t timeout_tsc[DP_NAT_T_N];  /* Timeouts in TSC ticks. */
    uint32_t sessions __attribute__((aligned(64))); /* Live sessions (atomic). */
    uint32_t ports;                                 /* Public ports in use (atomic). */
    uint32_t blocks;                                /* Blocks held (atomic). */
};

/* A public address. */
struct nat_ip {
    uint32_t ip;        /* The address. */
    uint64_t *reserved; /* Bitmap of 65536 ports given to static mappings. */
};

/* A static mapping as stored. */
struct nat_static_entry {
    struct dp_nat_static st; /* As configured. */
    uint16_t nt;             /* Its nat_tenant index. */
    uint8_t ip_idx;          /* Its public address index. */
};

/* The NAT of a data plane. */
struct nat {
    struct nat_tenant *tenants;        /* Up to DP_MAX_TENANTS, in order of dp_nat_tenant_set. */
    unsigned n_tenants;                /* Entries used. */
    uint16_t *tenant_index;            /* Routing domain -> nat_tenant index + 1 (0: none). */
    struct nat_ip ips[DP_NAT_IPS_MAX]; /* Distinct public addresses. */
    unsigned n_ips;                    /* Entries used. */
    uint64_t public_filter[NAT_FILTER_BITS / 64]; /* Bit crc32(ip) % NAT_FILTER_BITS set for
                                                   * every public address. */
    uint32_t block_size;                          /* Ports per block (power of 2). */
    uint32_t block_shift;                         /* log2(block_size). */
    uint32_t blocks_per_ip;                       /* 65536 / block_size. */
    uint32_t *block_owner;            /* [ip][block]: 0 free, else 1 + worker (atomic). */
    uint16_t *block_tenant;           /* [ip][block]: nat_tenant index + 1 whose range it
                                       * is in, 0 for none. Fixed after dp_start(). */
    struct rte_hash *statics_out;     /* nat_key_ep (public) -> static index. */
    struct rte_hash *statics_in;      /* nat_key_ep (inside) -> static index. */
    struct nat_static_entry *statics; /* Static mappings. */
    unsigned n_statics;               /* Entries used. */
    unsigned max_statics;             /* Capacity. */
    struct rte_ring *log;             /* Mapping-log records (MP/SC, struct dp_nat_log). */
    uint64_t log_lost;                /* Records lost to a full ring (atomic). */
    uint64_t tsc_hz;                  /* TSC frequency. */
    uint64_t base_tsc;                /* TSC at creation, */
    uint64_t base_unix_ns;            /* and the wall clock then. */
    struct nat_worker *workers[DP_MAX_WORKERS]; /* Per-worker state. */
    unsigned n_workers;                         /* Entries used. */
    struct nat_sync *sync;                      /* Session sync, NULL until enabled. */
};

struct dp;
struct dp_worker;
struct rte_mbuf;

/* nat.c: creates the NAT state for 'dp' (called by dp_create when NAT is sized). */
int nat_create(struct dp *dp);
/* nat.c: creates the workers' tables once tenants are set (dp_start calls it). */
int nat_start(struct dp *dp);
/* nat.c: frees it. Accepts NULL. */
void nat_destroy(struct nat *nat);
/* nat.c: per-burst housekeeping of worker 'w': expiry, commands, hand-off ring, death row.
 * Returns the number of handed-off packets and imported sync records it processed. */
unsigned nat_worker_poll(struct dp_worker *w);
/* nat.c: nat_worker_poll() at time 'now_tsc' (tests use it to move the clock). */
unsigned nat_worker_tick(struct dp_worker *w, uint64_t now_tsc);

/* nat.c: the nat_tenant index + 1 of routing domain 'tenant', 0 when it has no NAT. */
static inline unsigned
nat_tenant_of(const struct nat *nat, uint16_t tenant)
{
    return nat->tenant_index[tenant];
}

/* The worker that owns sessions of inside address 'in_ip' in 'tenant'. */
static inline unsigned
nat_owner(const struct nat *nat, uint16_t tenant, uint32_t in_ip)
{
    return nat->n_workers == 1 ? 0 : rte_hash_crc_4byte(in_ip, tenant) % nat->n_workers;
}

/* nat.c: serves 'cmd' on worker 'worker' and waits for it (or serves it on the calling thread
 * before dp_start()). */
void nat_cmd_run_on(struct dp *dp, unsigned worker, struct nat_cmd *cmd);

/* nat.c: claims block 'g' (free in the owner array) for tenant index 'nt' on this worker; false
 * when another worker took it first. */
bool nat_block_claim(struct dp_worker *w, unsigned nt, uint32_t g);
/* nat.c: marks public port 'port' (host order) of address index 'ip_idx' used for protocol index
 * 'pi' on worker 'nw' (its block must be the worker's). */
void nat_port_take(struct nat *nat, struct nat_worker *nw, unsigned pi, unsigned ip_idx,
                   uint32_t port);
/* nat.c: gives such a port back, and the block with its last port. */
void nat_port_give(struct dp_worker *w, unsigned nt, unsigned pi, unsigned ip_idx, uint32_t port);
/* nat.c: takes a mapping from the pool, a copy of 'tmpl', and indexes it; NAT_NONE when the
 * tables are full. Takes no port. */
uint32_t nat_mapping_insert(struct nat_worker *nw, const struct nat_mapping *tmpl);
/* nat.c: removes session 'si' from the tables (and its mapping, port and block when it was the
 * last); the slot is freed when the timer wheel reaches it, or now with 'free_now'. */
void nat_session_remove(struct dp_worker *w, uint32_t si, bool free_now);
/* nat.c: ends mapping 'mi' (it has no session left): unindexes it, gives its port back. */
void nat_mapping_delete(struct dp_worker *w, uint32_t mi);
/* nat.c: the enum dp_nat_timeout of 's' by its protocol and TCP state. */
uint32_t nat_timeout_class(const struct nat_session *s);

/* nat_sync.c: queues a record of 's' for the pair's peer (nat.c calls it when sync is on). */
void nat_sync_export(struct dp_worker *w, const struct nat_session *s, uint8_t op);
/* nat_sync.c: applies the peer's records waiting for worker 'w' (from nat_worker_tick());
 * returns how many. */
unsigned nat_sync_worker_poll(struct dp_worker *w);
/* nat_sync.c: serves a NAT_CMD_SYNC_WALK on worker 'w'. */
void nat_sync_serve_walk(struct dp_worker *w, struct nat_cmd *cmd);
/* nat_sync.c: frees the sync state of 'nat'. */
void nat_sync_free(struct nat *nat);

/* nat.c: finds the session of an inside 5-tuple; NULL when there is none. */
struct nat_session *nat_find_in(struct nat_worker *nw, const struct nat_key_in *k);
/* nat.c: finds the session of an outside 5-tuple; NULL when there is none. */
struct nat_session *nat_find_out(struct nat_worker *nw, const struct nat_key_out *k);

/* Why a session could not be created (a drop reason). */
enum nat_create_err {
    NAT_OK,
    NAT_ERR_SESSION_QUOTA,
    NAT_ERR_PORT_QUOTA,
    NAT_ERR_OUT_OF_PORTS,
    NAT_ERR_TABLE_FULL,
};

/* nat.c: creates the session for an outbound packet of inside 5-tuple 'k' (mapping found or
 * created, port allocated). Returns the session or NULL with the reason in '*err'. */
struct nat_session *nat_session_outbound(struct dp_worker *w, struct nat_worker *nw,
                                         const struct nat_key_in *k, enum nat_create_err *err);

/* nat.c: creates a session on an existing mapping 'mi' for remote (rem_ip, rem_port). */
struct nat_session *nat_session_on_mapping(struct dp_worker *w, struct nat_worker *nw, uint32_t mi,
                                           uint32_t rem_ip, uint16_t rem_port,
                                           enum nat_create_err *err);

/* nat.c: the mapping of public endpoint (ip, port, proto) held by this worker, or NAT_NONE. */
uint32_t nat_mapping_find_out(struct nat_worker *nw, uint32_t pub_ip, uint16_t pub_port,
                              uint8_t proto);

/* nat.c: creates (or finds) the mapping of static entry 'si' on this worker. */
uint32_t nat_mapping_static(struct dp_worker *w, struct nat_worker *nw, unsigned si,
                            enum nat_create_err *err);

/* nat.c: true when mapping 'mi' has a session with remote address 'rem_ip' (address-dependent
 * filtering, RFC 4787 REQ-8). */
bool nat_mapping_knows(const struct nat_worker *nw, uint32_t mi, uint32_t rem_ip);

/* nat.c: the static-mapping index of public endpoint (ip, port, proto), or -1. */
int nat_static_find_out(const struct nat *nat, uint32_t pub_ip, uint16_t pub_port, uint8_t proto);

/* True when 'src' is in one of the inside prefixes of 't'. */
static inline bool
nat_is_inside(const struct nat_tenant *t, uint32_t src)
{
    for (unsigned i = 0; i < t->conf.n_inside; i++) {
        uint32_t mask =
            t->conf.inside_plen[i] ? rte_cpu_to_be_32(~0u << (32 - t->conf.inside_plen[i])) : 0;
        if ((src & mask) == t->conf.inside_prefix[i]) {
            return true;
        }
    }
    return false;
}

/* The bit of 'ip' in nat->public_filter. */
static inline unsigned
nat_filter_bit(uint32_t ip)
{
    return rte_hash_crc_4byte(ip, 0) % NAT_FILTER_BITS;
}

/* False when 'ip' is surely not a public address; true when it may be (then the FIB of routing
 * domain 0 decides). Spares the hairpin check of every outbound packet a route lookup. */
static inline bool
nat_maybe_public(const struct nat *nat, uint32_t ip)
{
    unsigned b = nat_filter_bit(ip);
    return (nat->public_filter[b / 64] >> (b % 64)) & 1;
}

/* nat.c: the public address index of 'ip', or -1: a scan, for the control thread. The workers
 * find the index in the DP_NH_NAT_PUBLIC next hop of the address. */
int nat_ip_index(const struct nat *nat, uint32_t ip);

/* nat.c: the worker owning public port 'port' (host order) of address index 'ip_idx' through
 * its block, or -1 when no worker holds the block. */
static inline int
nat_block_owner(const struct nat *nat, unsigned ip_idx, uint16_t port)
{
    uint32_t o =
        __atomic_load_n(&nat->block_owner[ip_idx * nat->blocks_per_ip + (port >> nat->block_shift)],
                        __ATOMIC_ACQUIRE);
    return o ? (int)o - 1 : -1;
}

/* stage_nat.c: serves a packet another worker handed over. */
void nat_handoff_input(struct dp_worker *w, struct rte_mbuf *m);

/* nat.c: TCP state tracking of session 's' for a packet with 'tcp_flags' going out (or in). */
void nat_tcp_track(struct dp_worker *w, struct nat_session *s, uint8_t tcp_flags, bool outbound);

/* nat.c: refreshes the session's timer for a packet (and counts it). */
static inline void
nat_touch(struct nat_worker *nw, struct nat_session *s, bool outbound)
{
    s->last_tsc = nw->now_tsc;
    if (outbound) {
        s->pkts_out++;
    } else {
        s->pkts_in++;
    }
}

#endif
