/* SPDX-License-Identifier: Apache-2.0 */
/* The RIB (see rib.h). */
#include "routing/rib.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>

#define RIB_EXTERNAL_MAX 4

/* The hash key of a prefix: 8 bytes, no padding left unset. */
struct rib_key {
    uint16_t tenant;           /* Routing domain. */
    uint8_t plen;              /* Prefix length. */
    uint8_t zero;              /* Always 0. */
    uint32_t prefix;           /* Network address, network order. */
} __attribute__((aligned(8))); /* rte_hash_crc reads keys 8 bytes at a time. */

/* One candidate of a prefix. */
struct rib_cand {
    uint8_t source;        /* enum rib_source. */
    uint8_t n_nh;          /* Entries in nh. */
    uint32_t id;           /* The source's own tag. */
    uint32_t metric;       /* Lower wins at equal distance. */
    uint32_t gen;          /* Generation of its last rib_set(). */
    struct dp_nexthop *nh; /* Owned: n_nh next hops. */
};

/* Every candidate of one prefix. */
struct rib_entry {
    struct rib_key key;    /* Its prefix. */
    uint8_t n_cand;        /* Entries in cand. */
    struct rib_cand *cand; /* Owned array. */
};

/* How to undo one change. */
struct rib_undo {
    bool had_old;         /* A candidate existed before: put 'old' back; else delete it. */
    struct rib_route old; /* The candidate before the change (its key when !had_old). */
};

struct rib {
    struct dp *dp;                         /* Where the best routes go. */
    struct rte_hash *table;                /* struct rib_key -> struct rib_entry *. */
    uint64_t *resolving;                   /* Per routing domain: bit plen set when a connected
                                            * or VPN route of that length exists (may be stale:
                                            * only a hint that saves lookups). */
    uint32_t gen;                          /* Current generation. */
    bool recording;                        /* Inside rib_begin() .. commit/rollback. */
    struct rib_undo *undo;                 /* Owned: the record, oldest first. */
    size_t n_undo, cap_undo;               /* Entries used and allocated. */
    uint32_t ext_prefix[RIB_EXTERNAL_MAX]; /* The external networks. */
    uint8_t ext_plen[RIB_EXTERNAL_MAX];    /* Their lengths. */
    size_t n_ext;                          /* Entries. */
};

static const uint8_t distances[] = {
#define RIB_SRC_DIST(NAME, TEXT, DIST) DIST,
    RIB_SOURCE_LIST(RIB_SRC_DIST)
#undef RIB_SRC_DIST
};

static const char *const source_names[] = {
#define RIB_SRC_NAME(NAME, TEXT, DIST) TEXT,
    RIB_SOURCE_LIST(RIB_SRC_NAME)
#undef RIB_SRC_NAME
};

uint8_t
rib_distance(enum rib_source source)
{
    return source < RIB_N_SOURCES ? distances[source] : UINT8_MAX;
}

const char *
rib_source_name(enum rib_source source)
{
    return source < RIB_N_SOURCES ? source_names[source] : "?";
}

/* The netmask of 'plen' (a length past 32, which rib_set() refuses, masks nothing). */
static uint32_t
mask_of(uint8_t plen)
{
    return plen > 32 ? ~0u : plen ? htonl(~0u << (32 - plen)) : 0;
}

struct rib *
rib_create(struct dp *dp, uint32_t capacity)
{
    static unsigned instance;
    struct rib *rib = calloc(1, sizeof *rib);
    char name[RTE_HASH_NAMESIZE];

    if (!rib) {
        return NULL;
    }
    snprintf(name, sizeof name, "rib%u", instance++);
    struct rte_hash_parameters hp = {
        .name = name,
        .entries = capacity < 1024 ? 1024 : capacity,
        .key_len = sizeof(struct rib_key),
        .hash_func = rte_hash_crc,
        .socket_id = SOCKET_ID_ANY,
    };
    rib->dp = dp;
    rib->table = rte_hash_create(&hp);
    rib->resolving = calloc(DP_MAX_TENANTS, sizeof *rib->resolving);
    rib->gen = 1;
    if (!rib->table || !rib->resolving) {
        rib_destroy(rib);
        return NULL;
    }
    return rib;
}

static void
entry_free(struct rib_entry *e)
{
    if (!e) {
        return;
    }
    for (unsigned i = 0; i < e->n_cand; i++) {
        free(e->cand[i].nh);
    }
    free(e->cand);
    free(e);
}

void
rib_destroy(struct rib *rib)
{
    const void *key;
    void *data;
    uint32_t iter = 0;

    if (!rib) {
        return;
    }
    while (rib->table && rte_hash_iterate(rib->table, &key, &data, &iter) >= 0) {
        entry_free(data);
    }
    rte_hash_free(rib->table);
    free(rib->resolving);
    free(rib->undo);
    free(rib);
}

static struct rib_key
key_of(uint16_t tenant, uint32_t prefix, uint8_t plen)
{
    return (struct rib_key){.tenant = tenant, .plen = plen, .prefix = prefix & mask_of(plen)};
}

static struct rib_entry *
find_entry(const struct rib *rib, const struct rib_key *k)
{
    void *data = NULL;
    return rte_hash_lookup_data(rib->table, k, &data) >= 0 ? data : NULL;
}

static struct rib_cand *
find_cand(struct rib_entry *e, uint8_t source, uint32_t id)
{
    for (unsigned i = 0; e && i < e->n_cand; i++) {
        if (e->cand[i].source == source && e->cand[i].id == id) {
            return &e->cand[i];
        }
    }
    return NULL;
}

/* True when 'a' beats 'b'. */
static bool
better(const struct rib_cand *a, const struct rib_cand *b)
{
    if (distances[a->source] != distances[b->source]) {
        return distances[a->source] < distances[b->source];
    }
    if (a->metric != b->metric) {
        return a->metric < b->metric;
    }
    if (a->source != b->source) {
        return a->source < b->source;
    }
    return a->id < b->id;
}

static const struct rib_cand *
best_of(const struct rib_entry *e)
{
    const struct rib_cand *b = NULL;

    for (unsigned i = 0; e && i < e->n_cand; i++) {
        if (!b || better(&e->cand[i], b)) {
            b = &e->cand[i];
        }
    }
    return b;
}

/* What the FIB holds for a prefix: its best candidate's next hops (n = 0: nothing). */
struct fib_view {
    unsigned n;                        /* Next hops, 0 for none. */
    struct dp_nexthop nh[DP_ECMP_MAX]; /* Them. */
};

static void
view_of(const struct rib_entry *e, struct fib_view *v)
{
    const struct rib_cand *b = best_of(e);

    memset(v, 0, sizeof *v);
    if (b) {
        v->n = b->n_nh;
        memcpy(v->nh, b->nh, b->n_nh * sizeof b->nh[0]);
    }
}

/* Writes the change from 'was' to 'now' into the FIB; nothing when they are the same. */
static int
program(struct rib *rib, const struct rib_key *k, const struct fib_view *was,
        const struct fib_view *now)
{
    if (was->n == now->n && !memcmp(was->nh, now->nh, now->n * sizeof now->nh[0])) {
        return 0;
    }
    if (!now->n) {
        dp_route_del(rib->dp, k->tenant, k->prefix, k->plen);
        return 0;
    }
    if (now->n == 1) {
        return dp_route_set(rib->dp, k->tenant, k->prefix, k->plen, &now->nh[0]);
    }
    return dp_route_set_multi(rib->dp, k->tenant, k->prefix, k->plen, now->nh, now->n);
}

static void
to_route(const struct rib_key *k, const struct rib_cand *c, struct rib_route *out)
{
    memset(out, 0, sizeof *out);
    out->tenant = k->tenant;
    out->prefix = k->prefix;
    out->plen = k->plen;
    out->source = c->source;
    out->id = c->id;
    out->metric = c->metric;
    out->n_nh = c->n_nh;
    memcpy(out->nh, c->nh, c->n_nh * sizeof c->nh[0]);
}

/* Appends the undo record of a change to (k, source, id), whose candidate was 'old' (NULL: none),
 * when a transaction is open. Returns 0, or ENOMEM when the record cannot grow: the caller then
 * refuses the change, so that a rollback never misses one. */
static int
record(struct rib *rib, const struct rib_key *k, uint8_t source, uint32_t id,
       const struct rib_cand *old)
{
    struct rib_undo *u;

    if (!rib->recording) {
        return 0;
    }
    if (rib->n_undo == rib->cap_undo) {
        size_t cap = rib->cap_undo ? rib->cap_undo * 2 : 256;
        struct rib_undo *grown = realloc(rib->undo, cap * sizeof *grown);
        if (!grown) {
            return ENOMEM;
        }
        rib->undo = grown;
        rib->cap_undo = cap;
    }
    u = &rib->undo[rib->n_undo++];
    memset(u, 0, sizeof *u);
    u->had_old = old != NULL;
    if (old) {
        to_route(k, old, &u->old);
    } else {
        u->old.tenant = k->tenant;
        u->old.prefix = k->prefix;
        u->old.plen = k->plen;
        u->old.source = source;
        u->old.id = id;
    }
    return 0;
}

static bool
valid(const struct rib_route *r)
{
    if (r->plen > 32 || r->source >= RIB_N_SOURCES || r->n_nh < 1 || r->n_nh > DP_ECMP_MAX) {
        return false;
    }
    for (unsigned i = 0; i < r->n_nh; i++) {
        if (r->nh[i].type == DP_NH_ECMP || r->nh[i].type == DP_NH_NONE) {
            return false;
        }
    }
    return true;
}

int
rib_set(struct rib *rib, const struct rib_route *r)
{
    struct rib_key k;
    struct rib_entry *e;
    struct rib_cand *c, saved = {0};
    struct fib_view was, now;
    struct dp_nexthop *nh;
    bool created = false, existed;
    int ret;

    if (!valid(r)) {
        return EINVAL;
    }
    k = key_of(r->tenant, r->prefix, r->plen);
    e = find_entry(rib, &k);
    if (!e) {
        e = calloc(1, sizeof *e);
        if (!e) {
            return ENOMEM;
        }
        e->key = k;
        if (rte_hash_add_key_data(rib->table, &k, e) < 0) {
            free(e);
            return ENOSPC;
        }
        created = true;
    }
    c = find_cand(e, r->source, r->id);
    if (c && c->metric == r->metric && c->n_nh == r->n_nh &&
        !memcmp(c->nh, r->nh, r->n_nh * sizeof r->nh[0])) {
        /* Already so: a stamp needs no undo and no FIB write (a reload of an unchanged file). */
        c->gen = rib->gen;
        return 0;
    }
    view_of(e, &was);
    existed = c != NULL;
    nh = malloc(r->n_nh * sizeof *nh);
    if (!nh || record(rib, &k, r->source, r->id, c)) {
        free(nh);
        ret = ENOMEM;
        goto undo_entry;
    }
    if (!c) {
        struct rib_cand *grown = realloc(e->cand, (e->n_cand + 1) * sizeof *grown);
        if (!grown) {
            free(nh);
            rib->n_undo -= rib->recording;
            ret = ENOMEM;
            goto undo_entry;
        }
        e->cand = grown;
        c = &e->cand[e->n_cand++];
    } else {
        saved = *c;
    }
    memcpy(nh, r->nh, r->n_nh * sizeof *nh);
    *c = (struct rib_cand){.source = r->source,
                           .n_nh = r->n_nh,
                           .id = r->id,
                           .metric = r->metric,
                           .gen = rib->gen,
                           .nh = nh};
    view_of(e, &now);
    ret = program(rib, &k, &was, &now);
    if (ret) {
        free(nh);
        rib->n_undo -= rib->recording;
        if (existed) {
            *c = saved;
        } else {
            e->n_cand--;
        }
        goto undo_entry;
    }
    if (existed) {
        free(saved.nh);
    }
    if (r->source == RIB_SRC_CONNECTED || r->source == RIB_SRC_VPN) {
        rib->resolving[r->tenant] |= 1ull << r->plen;
    }
    return 0;

undo_entry:
    if (created) {
        rte_hash_del_key(rib->table, &k);
        entry_free(e);
    }
    return ret;
}

/* Removes candidate 'c' of 'e'; 'journal' records the undo. */
static int
del_cand(struct rib *rib, struct rib_entry *e, struct rib_cand *c, bool journal)
{
    struct fib_view was, now;
    struct rib_cand saved = *c;
    size_t idx = (size_t)(c - e->cand);
    int ret;

    if (journal && record(rib, &e->key, c->source, c->id, c)) {
        return ENOMEM;
    }
    view_of(e, &was);
    memmove(&e->cand[idx], &e->cand[idx + 1], (e->n_cand - idx - 1) * sizeof e->cand[0]);
    e->n_cand--;
    view_of(e, &now);
    ret = program(rib, &e->key, &was, &now);
    if (ret) {
        /* The next best did not fit the FIB: keep the candidate that is there. */
        memmove(&e->cand[idx + 1], &e->cand[idx], (e->n_cand - idx) * sizeof e->cand[0]);
        e->cand[idx] = saved;
        e->n_cand++;
        rib->n_undo -= journal && rib->recording;
        return ret;
    }
    free(saved.nh);
    if (!e->n_cand) {
        rte_hash_del_key(rib->table, &e->key);
        entry_free(e);
    }
    return 0;
}

int
rib_del(struct rib *rib, uint16_t tenant, uint32_t prefix, uint8_t plen, enum rib_source source,
        uint32_t id)
{
    struct rib_key k = key_of(tenant, prefix, plen);
    struct rib_entry *e = plen <= 32 ? find_entry(rib, &k) : NULL;
    struct rib_cand *c = find_cand(e, source, id);

    return c ? del_cand(rib, e, c, true) : ENOENT;
}

size_t
rib_del_matching(struct rib *rib, uint16_t tenant, uint32_t prefix, uint8_t plen,
                 enum rib_source source, bool (*match)(const struct rib_route *, void *aux),
                 void *aux)
{
    struct rib_key k = key_of(tenant, prefix, plen);
    struct rib_entry *e = plen <= 32 ? find_entry(rib, &k) : NULL;
    size_t removed = 0;

    for (unsigned i = 0; e && i < e->n_cand;) {
        struct rib_route r;
        unsigned left = e->n_cand;

        to_route(&k, &e->cand[i], &r);
        if (e->cand[i].source != source || !match(&r, aux)) {
            i++;
            continue;
        }
        if (del_cand(rib, e, &e->cand[i], true)) {
            i++;
            continue;
        }
        removed++;
        if (left == 1) {
            break; /* The entry went with its last candidate. */
        }
    }
    return removed;
}

bool
rib_get(const struct rib *rib, uint16_t tenant, uint32_t prefix, uint8_t plen,
        enum rib_source source, uint32_t id, struct rib_route *out)
{
    struct rib_key k = key_of(tenant, prefix, plen);
    struct rib_entry *e = plen <= 32 ? find_entry(rib, &k) : NULL;
    struct rib_cand *c = find_cand(e, source, id);

    if (c) {
        to_route(&k, c, out);
    }
    return c != NULL;
}

bool
rib_best(const struct rib *rib, uint16_t tenant, uint32_t prefix, uint8_t plen,
         struct rib_route *out)
{
    struct rib_key k = key_of(tenant, prefix, plen);
    const struct rib_cand *b = plen <= 32 ? best_of(find_entry(rib, &k)) : NULL;

    if (b) {
        to_route(&k, b, out);
    }
    return b != NULL;
}

void
rib_begin(struct rib *rib)
{
    rib->recording = true;
    rib->n_undo = 0;
}

void
rib_commit(struct rib *rib)
{
    rib->recording = false;
    rib->n_undo = 0;
}

void
rib_rollback(struct rib *rib)
{
    rib->recording = false;
    while (rib->n_undo) {
        const struct rib_undo *u = &rib->undo[--rib->n_undo];
        const struct rib_route *o = &u->old;

        /* Putting back what fitted before fits again: the FIB only shrinks on the way back. */
        if (u->had_old) {
            rib_set(rib, o);
        } else {
            rib_del(rib, o->tenant, o->prefix, o->plen, o->source, o->id);
        }
    }
}

uint32_t
rib_next_generation(struct rib *rib)
{
    return ++rib->gen;
}

size_t
rib_sweep(struct rib *rib, unsigned source_mask, uint32_t generation)
{
    struct rib_key *stale = NULL;
    uint8_t *src = NULL;
    uint32_t *ids = NULL;
    size_t n = 0, cap = 0, removed = 0;
    const void *key;
    void *data;
    uint32_t iter = 0;

    /* Collect first: deleting while iterating the hash would skip entries. */
    while (rte_hash_iterate(rib->table, &key, &data, &iter) >= 0) {
        const struct rib_entry *e = data;
        for (unsigned i = 0; i < e->n_cand; i++) {
            const struct rib_cand *c = &e->cand[i];
            if (!(source_mask & (1u << c->source)) || c->gen == generation) {
                continue;
            }
            if (n == cap) {
                cap = cap ? cap * 2 : 256;
                struct rib_key *s2 = realloc(stale, cap * sizeof *s2);
                uint8_t *r2 = s2 ? realloc(src, cap) : NULL;
                uint32_t *i2 = r2 ? realloc(ids, cap * sizeof *i2) : NULL;
                stale = s2 ? s2 : stale;
                src = r2 ? r2 : src;
                ids = i2 ? i2 : ids;
                if (!i2) {
                    goto out;
                }
            }
            stale[n] = e->key;
            src[n] = c->source;
            ids[n++] = c->id;
        }
    }
out:
    for (size_t i = 0; i < n; i++) {
        removed +=
            rib_del(rib, stale[i].tenant, stale[i].prefix, stale[i].plen, src[i], ids[i]) == 0;
    }
    free(stale);
    free(src);
    free(ids);
    return removed;
}

void
rib_set_external_networks(struct rib *rib, const uint32_t *prefixes, const uint8_t *plens, size_t n)
{
    rib->n_ext = 0;
    for (size_t i = 0; i < n && rib->n_ext < RIB_EXTERNAL_MAX; i++) {
        rib->ext_prefix[rib->n_ext] = prefixes[i] & mask_of(plens[i]);
        rib->ext_plen[rib->n_ext++] = plens[i];
    }
}

bool
rib_resolve(const struct rib *rib, uint16_t tenant, uint32_t gw, struct dp_nexthop *nh)
{
    uint64_t lens = rib->resolving[tenant];

    memset(nh, 0, sizeof *nh);
    for (int plen = 32; plen >= 0; plen--) {
        struct rib_key k;
        struct rib_entry *e;

        if (!(lens & (1ull << plen))) {
            continue;
        }
        k = key_of(tenant, gw, (uint8_t)plen);
        e = find_entry(rib, &k);
        for (unsigned i = 0; e && i < e->n_cand; i++) {
            const struct rib_cand *c = &e->cand[i];
            if (c->source == RIB_SRC_CONNECTED) {
                nh->type = DP_NH_CA;
                nh->vsid = c->nh[0].vsid;
                nh->ip = gw;
                return true;
            }
            if (c->source == RIB_SRC_VPN) {
                *nh = c->nh[0];
                return true;
            }
        }
    }
    for (size_t i = 0; i < rib->n_ext; i++) {
        if ((gw & mask_of(rib->ext_plen[i])) == rib->ext_prefix[i]) {
            nh->type = DP_NH_EXTERNAL;
            nh->ip = gw;
            return true;
        }
    }
    return false;
}

void
rib_iterate_best(const struct rib *rib, int tenant,
                 bool (*fn)(const struct rib_route *best, void *aux), void *aux)
{
    const void *key;
    void *data;
    uint32_t iter = 0;

    while (rte_hash_iterate(rib->table, &key, &data, &iter) >= 0) {
        const struct rib_entry *e = data;
        const struct rib_cand *b;
        struct rib_route r;

        if (tenant >= 0 && e->key.tenant != tenant) {
            continue;
        }
        b = best_of(e);
        if (!b) {
            continue;
        }
        to_route(&e->key, b, &r);
        if (!fn(&r, aux)) {
            return;
        }
    }
}

uint32_t
rib_count(const struct rib *rib)
{
    return (uint32_t)rte_hash_count(rib->table);
}
