/* SPDX-License-Identifier: Apache-2.0 */
/* The data plane's sizing rules (dp.h, dp_size_compute()): what dp_create() and dp_start() will
 * ask of DPDK, worked out without DPDK running, so that the control plane can refuse a config
 * before the EAL instead of failing deep inside it. dp_create() takes its pool size and ring sizes
 * from here, so the two never disagree.
 *
 * The memory figures follow the allocations of dp.c, nat.c and esp.c, and DPDK 22.11's own: the
 * mempool's object size from rte_mempool_calc_obj_size(); the cuckoo hash's buckets, key store
 * and free-slot rings (rte_cuckoo_hash.c); the FIB6 TRIE's 2^24-entry tbl24 and its tbl8 groups
 * (trie.c); the RIB's node pool. Small allocations (structs, counters) are left to the margin the
 * caller adds for the EAL and the drivers. */
#include "dp_internal.h"
#include "nat_internal.h"

#include <string.h>

#include <rte_common.h>
#include <rte_mempool.h>
#include <rte_mbuf.h>

/* DPDK 22.11's private sizes (rte_cuckoo_hash.h, trie.h, rte_rib6.c): not in its headers. */
#define HASH_BUCKET_ENTRIES 8  /* Keys per cuckoo bucket. */
#define HASH_BUCKET_SIZE    64 /* sizeof(struct rte_hash_bucket), one cache line. */
#define HASH_KEY_ALIGN      16 /* Key-store entries: a pointer and the key, to 16 bytes. */
#define TRIE_TBL24_ENTRIES  (1u << 24)
#define TRIE_TBL8_ENTRIES   256
#define RIB6_NODE_SIZE      128 /* A node (64 bytes) and its mempool header and trailer. */
#define RING_HEADER         384 /* struct rte_ring: three cache-line-aligned parts. */

uint32_t
dp_pool_mbufs(const struct dp_params *p)
{
    /* Enough for every rx ring of up to 8 ports, the tx rings, held and in-flight packets. */
    return p->n_mbufs ? p->n_mbufs : 8192 + 8 * p->n_workers * (DP_RX_DESC + DP_TX_DESC);
}

/* Bytes of an rte_ring of 'count' slots (a power of 2) of 'esize' bytes. */
static uint64_t
ring_bytes(uint64_t count, uint64_t esize)
{
    return RING_HEADER + count * esize;
}

/* Bytes of an rte_hash of 'entries' keys of 'key_len' bytes, without the multi-writer lcore
 * caches (no table here asks for them); 'ext' for RTE_HASH_EXTRA_FLAGS_EXT_TABLE, 'lf' for
 * RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF. */
static uint64_t
hash_bytes(uint32_t entries, uint32_t key_len, bool ext, bool lf)
{
    uint64_t slots = (uint64_t)entries + 1;
    uint64_t buckets = rte_align32pow2(entries) / HASH_BUCKET_ENTRIES;
    uint64_t bytes = 0;

    bytes += ring_bytes(rte_align32pow2((uint32_t)slots), sizeof(uint32_t)); /* Free slots. */
    bytes += slots * RTE_ALIGN(sizeof(void *) + key_len, HASH_KEY_ALIGN);    /* Key store. */
    bytes += buckets * HASH_BUCKET_SIZE;
    if (ext) {
        bytes += buckets * HASH_BUCKET_SIZE; /* Extra buckets. */
        bytes += ring_bytes(rte_align32pow2((uint32_t)buckets + 1), sizeof(uint32_t));
        if (lf) {
            bytes += slots * sizeof(uint32_t); /* Buckets to free after a grace period. */
        }
    }
    return bytes;
}

/* Bytes of an rte_rcu_qsbr defer queue of 'size' entries of 'esize' bytes (each queued with its
 * 8-byte token). */
static uint64_t
dq_bytes(uint32_t size, uint32_t esize)
{
    return ring_bytes(rte_align32pow2(size + 1), RTE_ALIGN(esize, 8) + 8);
}

/* Bytes of an rcu_table (rcu_table.c): two value slots per key, the free stack, the hash with its
 * RCU defer queue, and the table's own defer queue. */
static uint64_t
rcu_table_bytes(uint32_t capacity, uint32_t key_len, size_t val_size)
{
    uint64_t cap = capacity < 64 ? 64 : capacity, n_slots = 2 * cap;

    return n_slots * val_size + n_slots * sizeof(uint32_t) +
           hash_bytes((uint32_t)cap, key_len, true, true) + dq_bytes((uint32_t)cap, 4) +
           dq_bytes((uint32_t)n_slots, sizeof(uint32_t));
}

/* Bytes of one FIB as dp.c's fib_create() makes it for 'max_routes'. */
static uint64_t
fib_bytes(uint32_t max_routes)
{
    uint64_t num_tbl8 = 3 * (uint64_t)max_routes + 1024,
             rib_nodes = 2 * (uint64_t)max_routes + 1024;

    return (uint64_t)TRIE_TBL24_ENTRIES * 4 + (num_tbl8 + 1) * TRIE_TBL8_ENTRIES * 4 +
           num_tbl8 * sizeof(uint32_t) + rib_nodes * RIB6_NODE_SIZE;
}

/* Bytes of a packet-mbuf pool of 'n' objects with 'priv' private bytes and 'data_room' bytes of
 * data, and an lcore cache of DP_MBUF_CACHE. */
static uint64_t
pool_bytes(uint32_t n, uint16_t priv, uint16_t data_room)
{
    struct rte_mempool_objsz sz;
    uint32_t elt = (uint32_t)(sizeof(struct rte_mbuf) + priv + data_room);
    uint64_t obj = rte_mempool_calc_obj_size(elt, 0, &sz);

    /* The objects, the pool's ring (handler "ring_mp_mc"), and the header with a cache for every
     * possible lcore. */
    return (uint64_t)n * obj + ring_bytes(rte_align32pow2(n + 1), sizeof(void *)) +
           sizeof(struct rte_mempool) + (uint64_t)RTE_MAX_LCORE * sizeof(struct rte_mempool_cache);
}

/* Bytes of the NAT tables (nat.c): the node's, and each worker's session and mapping pools. */
static uint64_t
nat_bytes(const struct dp_params *p)
{
    uint32_t bs = p->nat_port_block ? p->nat_port_block : 64;
    uint64_t blocks = (uint64_t)DP_NAT_IPS_MAX * (65536 / bs);
    uint32_t cap = p->max_nat_sessions / (p->n_workers ? p->n_workers : 1);
    uint64_t bytes, w;

    if (!p->max_nat_sessions) {
        return 0;
    }
    cap = cap < 1024 ? 1024 : cap;
    bytes = sizeof(struct nat) + (uint64_t)4096 * sizeof(struct nat_tenant) +
            (uint64_t)DP_MAX_TENANTS * sizeof(uint16_t) + blocks * (sizeof(uint32_t) + 2) +
            (uint64_t)4096 * sizeof(struct nat_static_entry) +
            2 * hash_bytes(4096, sizeof(struct nat_key_ep), false, false) +
            ring_bytes(NAT_LOG_Q, sizeof(struct dp_nat_log));
    w = sizeof(struct nat_worker) + hash_bytes(cap, sizeof(struct nat_key_in), false, false) +
        hash_bytes(cap, sizeof(struct nat_key_out), false, false) +
        2 * hash_bytes(cap, sizeof(struct nat_key_ep), false, false) +
        (uint64_t)cap * (sizeof(struct nat_session) + sizeof(struct nat_mapping) + 8) +
        blocks * sizeof(struct nat_wblock) + ring_bytes(NAT_HANDOFF_Q, sizeof(void *)) +
        (uint64_t)4096 * 1024; /* The fragment table: 1,024 buckets of 16 flows, about 4 MiB. */
    return bytes + p->n_workers * w;
}

void
dp_size_compute(const struct dp_params *p, unsigned n_ports, unsigned n_tx_holding,
                struct dp_size *out)
{
    unsigned workers = p->n_workers ? p->n_workers : 1;
    uint64_t esp = 0;

    memset(out, 0, sizeof *out);
    out->pool_mbufs = dp_pool_mbufs(p);
    /* Each port has one rx and one tx queue per worker (dp.c, port_setup()). */
    out->mbufs_rx = n_ports * workers * DP_RX_DESC;
    out->mbufs_tx = n_tx_holding * workers * DP_TX_DESC;
    /* A cache fills up to 1.5 times its size before it flushes: the workers' and the control
     * thread's (it allocates ARP requests and frees punted packets). */
    out->mbufs_cache = (workers + 1) * (DP_MBUF_CACHE * 3 / 2);
    /* What the packet path needs to run at all: each worker's rx burst and one burst per port in
     * its tx buffers, and the packets held for unresolved neighbors. The punt, ctl_tx and NAT
     * hand-off rings are not counted full: they drop when full, as rx does when the pool is dry,
     * and a pool sized for all of them full would refuse configs that run well. */
    out->mbufs_inflight = DP_PENDING_MAX * DP_NEIGH_HOLD + workers * (n_ports + 1) * DP_BURST;
    out->mbufs_needed = out->mbufs_rx + out->mbufs_tx + out->mbufs_cache + out->mbufs_inflight;

    out->mem_pools =
        pool_bytes(out->pool_mbufs, sizeof(struct dp_mbuf_priv), RTE_MBUF_DEFAULT_BUF_SIZE) +
        pool_bytes(DP_INDIRECT_MBUFS, 0, 0);
    /* The FIB twice: fib_rebuild() builds the new one beside the live one. */
    out->mem_tables =
        rcu_table_bytes(p->max_lookups, sizeof(struct dp_lookup_key), sizeof(struct dp_lookup)) +
        rcu_table_bytes(p->max_subnets, sizeof(struct dp_vsid_key), sizeof(struct dp_subnet)) +
        rcu_table_bytes(p->max_neighbors, sizeof(struct dp_neigh_key), sizeof(struct dp_neigh)) +
        (uint64_t)DP_NH_MAX * (sizeof(struct dp_nexthop) + sizeof(uint32_t)) +
        hash_bytes(DP_NH_MAX, sizeof(struct dp_nexthop), false, false) +
        2 * fib_bytes(p->max_routes) + (uint64_t)DP_MAX_TENANTS * sizeof(uint16_t) +
        ring_bytes(DP_PUNT_RING, sizeof(void *)) + ring_bytes(DP_CTL_TX_RING, sizeof(void *));
    out->mem_nat = nat_bytes(p);
    if (p->max_esp_sas) {
        /* The SA arrays and indexes; the crypto devices' queue pairs and sessions are in the
         * caller's margin. */
        esp = (uint64_t)DP_ESP_SA_MAX * 2 * sizeof(void *) +
              2 * rcu_table_bytes(DP_ESP_SA_MAX, 4, sizeof(void *));
    }
    out->mem_esp = esp;
    out->mem_needed = out->mem_pools + out->mem_tables + out->mem_nat + out->mem_esp;
}
