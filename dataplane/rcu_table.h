/* SPDX-License-Identifier: Apache-2.0 */
/* An exact-match table whose readers never lock: rte_hash (lock-free readers) mapping a fixed-size
 * key to a fixed-size value stored in a slot array. Values are immutable once published; an update
 * writes a new slot and swaps the hash entry's data, and the old slot is reused only after every
 * worker has passed a quiescent state (rte_rcu_qsbr defer queue).
 *
 * Threading: exactly one writer thread (the control thread) calls set/del/iterate/reclaim; any
 * number of registered RCU readers call lookup. */
#ifndef HNVGW_RCU_TABLE_H
#define HNVGW_RCU_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <stdint.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_rcu_qsbr.h>

struct rcu_table {
    struct rte_hash *hash;      /* key -> slot index (stored as the data pointer). */
    uint8_t *slots;             /* Value storage: n_slots * val_size bytes. */
    size_t val_size;            /* Size of one value. */
    uint32_t key_len;           /* Size of one key. */
    uint32_t n_slots;           /* Twice the capacity: room for values pending reclaim. */
    uint32_t *free_stack;       /* Free slot indexes, used by the writer only. */
    uint32_t n_free;            /* Entries in free_stack. */
    uint32_t capacity;          /* Maximum number of keys. */
    uint32_t count;             /* Keys currently present. */
    struct rte_rcu_qsbr_dq *dq; /* Deferred slot frees for replaced values. */
    struct rte_rcu_qsbr *qsbr;  /* The readers' RCU variable. */
    char name[32];              /* For logs and memzone names. */
};

/* Creates a table for 'capacity' keys of 'key_len' bytes with values of 'val_size' bytes, whose
 * readers report quiescence on 'qsbr'. Returns NULL and sets rte_errno on failure. */
struct rcu_table *rcu_table_create(const char *name, uint32_t key_len, size_t val_size,
                                   uint32_t capacity, struct rte_rcu_qsbr *qsbr);

/* Frees the table. Readers must be gone. Accepts NULL. */
void rcu_table_destroy(struct rcu_table *t);

/* Inserts or replaces the value of 'key' (copied in). Returns 0, ENOSPC when full. */
int rcu_table_set(struct rcu_table *t, const void *key, const void *val);

/* Removes 'key'. Returns 0 or ENOENT. */
int rcu_table_del(struct rcu_table *t, const void *key);

/* Reader side: returns the value for 'key' or NULL. Valid until the caller's next quiescent state.
 */
static inline const void *
rcu_table_lookup(const struct rcu_table *t, const void *key)
{
    void *data;

    if (rte_hash_lookup_data(t->hash, key, &data) < 0) {
        return NULL;
    }
    return t->slots + (uintptr_t)data * t->val_size;
}

/* The signature rte_hash computes for 'key' (rte_hash_crc with seed 0), with the common key
 * sizes unrolled: the same value, without the generic function's length loop. Keys are 8-byte
 * aligned (see dp_internal.h). */
static inline hash_sig_t
rcu_table_hash(const struct rcu_table *t, const void *key)
{
    uint64_t w[2];
    uint32_t v;

    switch (t->key_len) {
    case 4:
        memcpy(&v, key, 4);
        return rte_hash_crc_4byte(v, 0);
    case 8:
        memcpy(w, key, 8);
        return rte_hash_crc_8byte(w[0], 0);
    case 16:
        memcpy(w, key, 16);
        return rte_hash_crc_8byte(w[1], rte_hash_crc_8byte(w[0], 0));
    default:
        return rte_hash_crc(key, t->key_len, 0);
    }
}

/* Reader side, in bulk: fills vals[i] (NULL for a miss) for n <= RTE_HASH_LOOKUP_BULK_MAX keys.
 * The signatures are computed here, inline (the table's hash function is rte_hash_crc with seed
 * 0), which spares rte_hash an indirect call per key. */
static inline void
rcu_table_lookup_bulk(const struct rcu_table *t, const void **keys, unsigned n, const void **vals)
{
    void *data[RTE_HASH_LOOKUP_BULK_MAX];
    hash_sig_t sig[RTE_HASH_LOOKUP_BULK_MAX];
    uint64_t hits = 0;

    for (unsigned i = 0; i < n; i++) {
        sig[i] = rcu_table_hash(t, keys[i]);
    }
    rte_hash_lookup_with_hash_bulk_data(t->hash, keys, sig, n, &hits, data);
    for (unsigned i = 0; i < n; i++) {
        vals[i] = (hits >> i) & 1 ? t->slots + (uintptr_t)data[i] * t->val_size : NULL;
    }
}

/* Writer side: calls 'fn' for every key/value until it returns false. */
void rcu_table_iterate(const struct rcu_table *t,
                       bool (*fn)(const void *key, const void *val, void *aux), void *aux);

/* Writer side: reuses slots whose grace period has passed. Called from the control loop. */
void rcu_table_reclaim(struct rcu_table *t);

#endif
