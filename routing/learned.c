/* SPDX-License-Identifier: Apache-2.0 */
/* FRR-learned routes of every tenant and their place in the FIB (see learned.h). */
#include "routing/learned.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>

/* Key of the table: a tenant's prefix. 24 bytes, padding zeroed. */
struct learned_key {
    uint16_t tenant;  /* Routing domain. */
    uint8_t family;   /* HNVGW_AF_INET or HNVGW_AF_INET6. */
    uint8_t plen;     /* Prefix length. */
    uint8_t addr[16]; /* The network address (IPv4 in the first 4 bytes). */
    uint32_t pad;     /* Zero. */
} __attribute__((aligned(8)));

/* One route held. */
struct learned_entry {
    struct learned_info info; /* What the CLI shows. */
    uint32_t gen;             /* Generation of its last add (mark and sweep). */
};

struct learned {
    struct rib *rib;        /* Where routes go, as source RIB_SRC_LEARNED. */
    struct rte_hash *table; /* struct learned_key -> struct learned_entry *. */
    uint32_t *gen;          /* Owned: current generation per routing domain. */
};

struct learned *
learned_create(struct rib *rib, uint32_t capacity)
{
    static unsigned instance;
    struct learned *l = calloc(1, sizeof *l);
    char name[RTE_HASH_NAMESIZE];

    if (!l) {
        return NULL;
    }
    snprintf(name, sizeof name, "learned%u", instance++);
    struct rte_hash_parameters hp = {
        .name = name,
        .entries = capacity < 64 ? 64 : capacity,
        .key_len = sizeof(struct learned_key),
        .hash_func = rte_hash_crc,
        .socket_id = SOCKET_ID_ANY,
    };
    l->rib = rib;
    l->table = rte_hash_create(&hp);
    l->gen = calloc(DP_MAX_TENANTS, sizeof *l->gen);
    if (!l->table || !l->gen) {
        learned_destroy(l);
        return NULL;
    }
    return l;
}

void
learned_destroy(struct learned *l)
{
    const void *key;
    void *data;
    uint32_t iter = 0;

    if (!l) {
        return;
    }
    while (l->table && rte_hash_iterate(l->table, &key, &data, &iter) >= 0) {
        free(data);
    }
    rte_hash_free(l->table);
    free(l->gen);
    free(l);
}

static struct learned_key
key_of(uint16_t tenant, const struct hnvgw_prefix *p)
{
    struct learned_key k;

    memset(&k, 0, sizeof k);
    k.tenant = tenant;
    k.family = p->addr.family;
    k.plen = p->plen;
    memcpy(k.addr, p->addr.family == HNVGW_AF_INET ? (const void *)&p->addr.v4 : p->addr.v6,
           p->addr.family == HNVGW_AF_INET ? 4 : 16);
    return k;
}

/* The data-plane next hops of an IPv4 learned route in 'tenant', each resolved through the RIB
 * (ECMP: up to DP_ECMP_MAX, in zebra's order, duplicates dropped); returns how many (0: none
 * resolves). */
static unsigned
resolve(const struct learned *l, uint16_t tenant, const struct fpm_route *r,
        struct dp_nexthop nhs[DP_ECMP_MAX])
{
    unsigned n = 0;

    if (r->kind == FPM_ROUTE_BLACKHOLE || r->kind == FPM_ROUTE_UNREACHABLE) {
        memset(&nhs[0], 0, sizeof nhs[0]);
        nhs[0].type = r->kind == FPM_ROUTE_BLACKHOLE ? DP_NH_BLACKHOLE : DP_NH_UNREACHABLE;
        return 1;
    }
    for (unsigned i = 0; i < r->n_nexthops && n < DP_ECMP_MAX; i++) {
        bool dup = false;

        if (r->nh[i].gateway.family != HNVGW_AF_INET ||
            !rib_resolve(l->rib, tenant, r->nh[i].gateway.v4, &nhs[n])) {
            continue;
        }
        for (unsigned j = 0; j < n; j++) {
            dup |= !memcmp(&nhs[j], &nhs[n], sizeof nhs[n]);
        }
        n += !dup;
    }
    return n;
}

/* Puts 'e' where it belongs: into the RIB (which decides whether it beats the configuration's
 * route to the prefix), or only into this table with the reason. */
static void
install(struct learned *l, struct learned_entry *e)
{
    struct learned_info *in = &e->info;
    const struct hnvgw_prefix *p = &in->route.prefix;
    bool was = in->state == LEARNED_INSTALLED;
    struct rib_route r;

    if (p->addr.family != HNVGW_AF_INET) {
        in->state = LEARNED_IPV6;
        return;
    }
    memset(&r, 0, sizeof r);
    r.n_nh = (uint8_t)resolve(l, in->tenant, &in->route, r.nh);
    if (!r.n_nh) {
        if (was) {
            rib_del(l->rib, in->tenant, p->addr.v4, p->plen, RIB_SRC_LEARNED, 0);
        }
        in->state = LEARNED_NO_NEXTHOP;
        return;
    }
    r.tenant = in->tenant;
    r.prefix = p->addr.v4;
    r.plen = p->plen;
    r.source = RIB_SRC_LEARNED;
    r.metric = in->route.metric;
    if (rib_set(l->rib, &r) != 0) {
        if (was) {
            rib_del(l->rib, in->tenant, p->addr.v4, p->plen, RIB_SRC_LEARNED, 0);
        }
        in->state = LEARNED_FIB_FULL;
        return;
    }
    in->nh = r.nh[0];
    in->n_paths = r.n_nh;
    in->state = LEARNED_INSTALLED;
}

/* Removes 'e' (found under 'k') from the table, and from the RIB unless 'keep_fib' (a
 * replacement follows). */
static void
remove_entry(struct learned *l, const struct learned_key *k, struct learned_entry *e, bool keep_fib)
{
    const struct hnvgw_prefix *p = &e->info.route.prefix;

    if (e->info.state == LEARNED_INSTALLED && !keep_fib) {
        rib_del(l->rib, e->info.tenant, p->addr.v4, p->plen, RIB_SRC_LEARNED, 0);
    }
    rte_hash_del_key(l->table, k);
    free(e);
}

static bool
same_prefix(const struct fpm_route *a, const struct fpm_route *b)
{
    return a->prefix.plen == b->prefix.plen && hnvgw_ip_equal(&a->prefix.addr, &b->prefix.addr);
}

int
learned_apply(struct learned *l, uint16_t tenant, const struct fpm_route *ops, size_t n)
{
    int ret = 0;
    int carried = -1; /* State of the entry a DEL just removed for the NEW that follows it. */

    for (size_t i = 0; i < n; i++) {
        const struct fpm_route *r = &ops[i];
        struct learned_key k = key_of(tenant, &r->prefix);
        struct learned_entry *e = NULL;
        void *data;

        if (rte_hash_lookup_data(l->table, &k, &data) >= 0) {
            e = data;
        }
        if (!r->add) {
            /* zebra's update is DEL then NEW of the same prefix in one frame: the NEW replaces
             * the FIB entry in place, so the DEL leaves it alone (no gap). */
            bool replaced = i + 1 < n && ops[i + 1].add && same_prefix(r, &ops[i + 1]);
            carried = -1;
            if (e) {
                if (replaced) {
                    carried = e->info.state;
                }
                remove_entry(l, &k, e, replaced);
            }
            continue;
        }
        if (!e) {
            e = calloc(1, sizeof *e);
            if (!e || rte_hash_add_key_data(l->table, &k, e) < 0) {
                free(e);
                ret = ENOSPC;
                continue;
            }
            e->info.tenant = tenant;
            e->info.state = LEARNED_NO_NEXTHOP;
        }
        /* The route a DEL just removed for this NEW is still in the FIB, if it was there. */
        if (carried >= 0) {
            e->info.state = (uint8_t)carried;
            carried = -1;
        }
        e->info.route = *r;
        e->gen = l->gen[tenant];
        install(l, e);
    }
    return ret;
}

uint32_t
learned_replay_begin(struct learned *l, uint16_t tenant)
{
    return ++l->gen[tenant];
}

size_t
learned_sweep(struct learned *l, uint16_t tenant, uint32_t gen)
{
    const void *key;
    void *data;
    uint32_t iter = 0;
    size_t n = 0;

    while (rte_hash_iterate(l->table, &key, &data, &iter) >= 0) {
        struct learned_entry *e = data;
        if (e->info.tenant == tenant && (int32_t)(e->gen - gen) < 0) {
            struct learned_key k = *(const struct learned_key *)key;
            remove_entry(l, &k, e, false);
            n++;
        }
    }
    return n;
}

void
learned_resolve_again(struct learned *l)
{
    const void *key;
    void *data;
    uint32_t iter = 0;

    while (rte_hash_iterate(l->table, &key, &data, &iter) >= 0) {
        install(l, data);
    }
}

void
learned_iterate(const struct learned *l, uint16_t tenant,
                bool (*fn)(const struct learned_info *, void *aux), void *aux)
{
    const void *key;
    void *data;
    uint32_t iter = 0;

    while (rte_hash_iterate(l->table, &key, &data, &iter) >= 0) {
        const struct learned_entry *e = data;
        struct learned_info in = e->info;
        struct rib_route best;

        if (tenant && in.tenant != tenant) {
            continue;
        }
        /* In the RIB, but a route of lower distance is the one in the FIB. */
        if (in.state == LEARNED_INSTALLED &&
            rib_best(l->rib, in.tenant, in.route.prefix.addr.v4, in.route.prefix.plen, &best) &&
            best.source != RIB_SRC_LEARNED) {
            in.state = LEARNED_SHADOWED;
        }
        if (!fn(&in, aux)) {
            return;
        }
    }
}

uint32_t
learned_count(const struct learned *l)
{
    return (uint32_t)rte_hash_count(l->table);
}

const char *
learned_state_name(enum learned_state s)
{
    static const char *const names[] = {"installed", "shadowed by config", "no next hop",
                                        "ipv6 (kept)", "fib full"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}
