/* SPDX-License-Identifier: Apache-2.0 */
/* rcu_table: see rcu_table.h. */
#include "rcu_table.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>

/* Defer-queue callback: the grace period of these slots has passed, so they can be reused. */
static void
slot_free_cb(void *p, void *e, unsigned int n)
{
    struct rcu_table *t = p;
    const uint32_t *idx = e;

    for (unsigned i = 0; i < n; i++) {
        t->free_stack[t->n_free++] = idx[i];
    }
}

/* Hash callback when a deleted key's slot can be reused (RTE_HASH_QSBR_MODE_DQ). */
static void
hash_free_cb(void *p, void *key_data)
{
    uint32_t idx = (uint32_t)(uintptr_t)key_data;
    slot_free_cb(p, &idx, 1);
}

struct rcu_table *
rcu_table_create(const char *name, uint32_t key_len, size_t val_size, uint32_t capacity,
                 struct rte_rcu_qsbr *qsbr)
{
    struct rcu_table *t = rte_zmalloc(name, sizeof *t, 64);
    char hname[64];

    if (!t) {
        rte_errno = ENOMEM;
        return NULL;
    }
    if (capacity < 64) {
        capacity = 64;
    }
    snprintf(t->name, sizeof t->name, "%s", name);
    t->val_size = val_size;
    t->key_len = key_len;
    t->qsbr = qsbr;
    t->capacity = capacity;
    t->n_slots = capacity * 2;
    t->slots = rte_zmalloc(name, (size_t)t->n_slots * val_size, 64);
    t->free_stack = rte_malloc(name, (size_t)t->n_slots * sizeof(uint32_t), 64);
    if (!t->slots || !t->free_stack) {
        goto fail;
    }
    for (uint32_t i = 0; i < t->n_slots; i++) {
        t->free_stack[i] = t->n_slots - 1 - i;
    }
    t->n_free = t->n_slots;

    snprintf(hname, sizeof hname, "h_%s", name);
    struct rte_hash_parameters hp = {
        .name = hname,
        .entries = capacity,
        .key_len = key_len,
        .hash_func = rte_hash_crc, /* rcu_table_lookup_bulk() relies on this, seed 0. */
        .hash_func_init_val = 0,
        .socket_id = SOCKET_ID_ANY,
        .extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF | RTE_HASH_EXTRA_FLAGS_EXT_TABLE,
    };
    t->hash = rte_hash_create(&hp);
    if (!t->hash) {
        goto fail;
    }
    struct rte_hash_rcu_config rc = {
        .v = qsbr,
        .mode = RTE_HASH_QSBR_MODE_DQ,
        .key_data_ptr = t,
        .free_key_data_func = hash_free_cb,
    };
    if (rte_hash_rcu_qsbr_add(t->hash, &rc) != 0) {
        goto fail;
    }
    snprintf(hname, sizeof hname, "dq_%s", name);
    struct rte_rcu_qsbr_dq_parameters dp = {
        .name = hname,
        .size = t->n_slots,
        .esize = sizeof(uint32_t),
        .trigger_reclaim_limit = 64,
        .max_reclaim_size = 1024,
        .free_fn = slot_free_cb,
        .p = t,
        .v = qsbr,
    };
    t->dq = rte_rcu_qsbr_dq_create(&dp);
    if (!t->dq) {
        goto fail;
    }
    return t;

fail:
    rcu_table_destroy(t);
    rte_errno = rte_errno ? rte_errno : ENOMEM;
    return NULL;
}

void
rcu_table_destroy(struct rcu_table *t)
{
    if (!t) {
        return;
    }
    if (t->dq) {
        rte_rcu_qsbr_dq_delete(t->dq);
    }
    rte_hash_free(t->hash);
    rte_free(t->slots);
    rte_free(t->free_stack);
    rte_free(t);
}

/* Takes a free slot, reclaiming once if none is free. Returns UINT32_MAX when the table is full. */
static uint32_t
slot_alloc(struct rcu_table *t)
{
    if (t->n_free == 0) {
        rte_rcu_qsbr_dq_reclaim(t->dq, t->n_slots, NULL, NULL, NULL);
    }
    return t->n_free ? t->free_stack[--t->n_free] : UINT32_MAX;
}

int
rcu_table_set(struct rcu_table *t, const void *key, const void *val)
{
    void *old;
    bool exists = rte_hash_lookup_data(t->hash, key, &old) >= 0;
    uint32_t idx;

    if (!exists && t->count >= t->capacity) {
        return ENOSPC;
    }
    idx = slot_alloc(t);
    if (idx == UINT32_MAX) {
        return ENOSPC;
    }
    memcpy(t->slots + (size_t)idx * t->val_size, val, t->val_size);
    /* Publish the value before the index that points at it. */
    rte_atomic_thread_fence(__ATOMIC_RELEASE);
    if (rte_hash_add_key_data(t->hash, key, (void *)(uintptr_t)idx) != 0) {
        t->free_stack[t->n_free++] = idx;
        return ENOSPC;
    }
    if (exists) {
        uint32_t old_idx = (uint32_t)(uintptr_t)old;
        if (rte_rcu_qsbr_dq_enqueue(t->dq, &old_idx) != 0) {
            /* Defer queue full: wait for the readers instead of leaking the slot. */
            rte_rcu_qsbr_synchronize(t->qsbr, RTE_QSBR_THRID_INVALID);
            t->free_stack[t->n_free++] = old_idx;
        }
    } else {
        t->count++;
    }
    return 0;
}

int
rcu_table_del(struct rcu_table *t, const void *key)
{
    if (rte_hash_del_key(t->hash, key) < 0) {
        return ENOENT;
    }
    t->count--;
    return 0;
}

void
rcu_table_iterate(const struct rcu_table *t, bool (*fn)(const void *, const void *, void *),
                  void *aux)
{
    const void *key;
    void *data;
    uint32_t next = 0;

    while (rte_hash_iterate(t->hash, &key, &data, &next) >= 0) {
        if (!fn(key, t->slots + (uintptr_t)data * t->val_size, aux)) {
            break;
        }
    }
}

void
rcu_table_reclaim(struct rcu_table *t)
{
    rte_rcu_qsbr_dq_reclaim(t->dq, 1024, NULL, NULL, NULL);
}
