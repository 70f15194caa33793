/* SPDX-License-Identifier: Apache-2.0 */
/* The policy store (see store.h). */
#include "gateway/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>

#include "gateway/policy.h"

/* The key of a lookup record. */
struct lk_key {
    uint32_t vsid;             /* Virtual subnet. */
    uint32_t ca;               /* Customer address, network order (0: wildcard). */
} __attribute__((aligned(8))); /* rte_hash_crc reads keys 8 bytes at a time. */

/* One lookup record held. */
struct lk_entry {
    struct config_lookup rec; /* As given (file, CLI, controller). */
    struct dp_lookup v;       /* As the data plane has it. */
    uint8_t origin;           /* enum store_origin. */
    bool floods;              /* Counted in its VSID's replication list (a remote PA). */
    uint32_t gen;             /* Generation of the last config that had it. */
};

/* The key of a VSID, padded to 16 bytes like lk_key. */
struct vsid_key {
    uint32_t vsid;  /* The VSID. */
    uint32_t zero;  /* Always 0. */
    uint64_t zero2; /* Always 0. */
};

/* A provider address hosting some of a VSID's records, with how many. */
struct pa_ref {
    uint32_t pa;   /* The PA. */
    uint32_t refs; /* Records of the VSID behind it that replicate to it. */
};

/* A VSID: its subnet as installed and who hosts it. */
struct vsid_entry {
    bool configured;     /* A subnet of the config: installed in the data plane. */
    struct dp_subnet sn; /* What the data plane has (when configured). */
    struct pa_ref *pas;  /* Owned: remote PAs of its records. */
    size_t n_pas, cap;   /* Entries used and allocated. */
    uint32_t gen;        /* Generation of the last config that had the subnet. */
};

/* How to undo one change. */
struct undo {
    bool is_subnet;        /* A subnet (else a lookup record). */
    bool had_old;          /* Something was there before. */
    struct lk_key key;     /* The record's key (vsid alone for a subnet). */
    struct lk_entry old;   /* The record before. */
    bool old_configured;   /* The subnet before: configured, */
    struct dp_subnet *osn; /* and as installed (owned; subnets only, which are few: a record's
                            * undo stays small, as a reload may record a million). */
};

struct store {
    struct dp *dp;                  /* The data plane. */
    struct rib *rib;                /* Routes go here. */
    const struct hnvgw_config *cfg; /* The file's config (borrowed), NULL before the first. */
    struct rte_hash *lookups;       /* struct lk_key -> struct lk_entry *. */
    struct rte_hash *vsids;         /* struct vsid_key -> struct vsid_entry *. */
    uint32_t gen;                   /* Current config generation. */
    bool recording;                 /* Inside a batch. */
    struct undo *undo;              /* Owned: the batch's record, oldest first. */
    size_t n_undo, cap_undo;        /* Entries used and allocated. */
};

static const char *const origin_names[] = {"file", "port", "cli", "controller", "learning"};

const char *
store_origin_name(enum store_origin origin)
{
    return (unsigned)origin < 5 ? origin_names[origin] : "?";
}

uint32_t
store_route_id(const struct config_route *rt)
{
    uint32_t h = rte_hash_crc_4byte(rt->vsid, 0x9e3779b9);
    h = rte_hash_crc_4byte(rt->on_link ? 0 : rt->next_hop.v4, h);
    return rte_hash_crc_4byte(rt->on_link, h);
}

static void forget(struct store *st);

struct store *
store_create(struct dp *dp, struct rib *rib, uint32_t max_lookups)
{
    static unsigned instance;
    struct store *st = calloc(1, sizeof *st);
    char n1[RTE_HASH_NAMESIZE], n2[RTE_HASH_NAMESIZE];

    if (!st) {
        return NULL;
    }
    snprintf(n1, sizeof n1, "store_lk%u", instance);
    snprintf(n2, sizeof n2, "store_vsid%u", instance++);
    struct rte_hash_parameters lp = {
        .name = n1,
        /* Headroom over the data plane's table: a move never needs a second slot there, but a
         * cuckoo table refuses inserts well before it is full. */
        .entries = (max_lookups < 1024 ? 1024 : max_lookups) + max_lookups / 4,
        .key_len = sizeof(struct lk_key),
        .hash_func = rte_hash_crc,
        .socket_id = SOCKET_ID_ANY,
    };
    struct rte_hash_parameters vp = {
        .name = n2,
        .entries = 65536,
        .key_len = sizeof(struct vsid_key),
        .hash_func = rte_hash_crc,
        .socket_id = SOCKET_ID_ANY,
    };
    st->dp = dp;
    st->rib = rib;
    st->gen = 1;
    st->lookups = rte_hash_create(&lp);
    st->vsids = rte_hash_create(&vp);
    if (!st->lookups || !st->vsids) {
        store_destroy(st);
        return NULL;
    }
    return st;
}

void
store_destroy(struct store *st)
{
    const void *key;
    void *data;
    uint32_t iter = 0;

    if (!st) {
        return;
    }
    while (st->lookups && rte_hash_iterate(st->lookups, &key, &data, &iter) >= 0) {
        free(data);
    }
    iter = 0;
    while (st->vsids && rte_hash_iterate(st->vsids, &key, &data, &iter) >= 0) {
        free(((struct vsid_entry *)data)->pas);
        free(data);
    }
    rte_hash_free(st->lookups);
    rte_hash_free(st->vsids);
    forget(st);
    free(st->undo);
    free(st);
}

static struct vsid_entry *
vsid_find(const struct store *st, uint32_t vsid, bool create)
{
    struct vsid_key key = {.vsid = vsid};
    void *data = NULL;
    struct vsid_entry *ve;

    if (rte_hash_lookup_data(st->vsids, &key, &data) >= 0) {
        return data;
    }
    if (!create || !(ve = calloc(1, sizeof *ve))) {
        return NULL;
    }
    ve->sn.vsid = vsid;
    if (rte_hash_add_key_data(st->vsids, &key, ve) < 0) {
        free(ve);
        return NULL;
    }
    return ve;
}

/* Appends 'u' to the batch's record; for a subnet, 'osn' is copied. */
static int
record(struct store *st, const struct undo *u, const struct dp_subnet *osn)
{
    if (!st->recording) {
        return 0;
    }
    if (st->n_undo == st->cap_undo) {
        size_t cap = st->cap_undo ? st->cap_undo * 2 : 256;
        struct undo *grown = realloc(st->undo, cap * sizeof *grown);
        if (!grown) {
            return ENOMEM;
        }
        st->undo = grown;
        st->cap_undo = cap;
    }
    st->undo[st->n_undo] = *u;
    if (osn) {
        st->undo[st->n_undo].osn = malloc(sizeof *osn);
        if (!st->undo[st->n_undo].osn) {
            return ENOMEM;
        }
        *st->undo[st->n_undo].osn = *osn;
    }
    st->n_undo++;
    return 0;
}

/* Forgets the batch's record; a large one (a reload of many records) gives its memory back. */
static void
forget(struct store *st)
{
    for (size_t i = 0; i < st->n_undo; i++) {
        free(st->undo[i].osn);
    }
    st->n_undo = 0;
    if (st->cap_undo > 4096) {
        free(st->undo);
        st->undo = NULL;
        st->cap_undo = 0;
    }
}

/* Installs the subnet of 've' with its replication list rebuilt from its PA counts, when it is
 * configured and differs from what the data plane has. */
static int
subnet_sync(struct store *st, struct vsid_entry *ve, const struct dp_subnet *base)
{
    struct dp_subnet sn = base ? *base : ve->sn;

    sn.n_flood = 0;
    memset(sn.flood_pa, 0, sizeof sn.flood_pa);
    for (size_t i = 0; i < ve->n_pas && sn.n_flood < DP_FLOOD_MAX; i++) {
        if (ve->pas[i].refs) {
            sn.flood_pa[sn.n_flood++] = ve->pas[i].pa;
        }
    }
    if (!ve->configured || !memcmp(&sn, &ve->sn, sizeof sn)) {
        ve->sn = sn;
        return 0;
    }
    int ret = dp_subnet_set(st->dp, &sn);
    if (!ret) {
        ve->sn = sn;
    }
    return ret;
}

/* Counts one more (delta 1) or one fewer (-1) record of 'vsid' behind 'pa'. The replication list
 * changes only when a PA appears or goes: then it costs the VSID's PAs, never the table. */
static void
pa_count(struct store *st, uint32_t vsid, uint32_t pa, int delta)
{
    struct vsid_entry *ve = vsid_find(st, vsid, true);
    struct pa_ref *r = NULL;

    if (!ve) {
        return;
    }
    for (size_t i = 0; i < ve->n_pas && !r; i++) {
        r = ve->pas[i].pa == pa ? &ve->pas[i] : NULL;
    }
    if (!r && delta > 0) {
        if (ve->n_pas == ve->cap) {
            size_t cap = ve->cap ? ve->cap * 2 : 4;
            struct pa_ref *grown = realloc(ve->pas, cap * sizeof *grown);
            if (!grown) {
                return;
            }
            ve->pas = grown;
            ve->cap = cap;
        }
        r = &ve->pas[ve->n_pas++];
        *r = (struct pa_ref){.pa = pa};
    }
    if (!r) {
        return;
    }
    r->refs += delta;
    if ((delta > 0 && r->refs == 1) || (delta < 0 && r->refs == 0)) {
        if (!r->refs) {
            *r = ve->pas[--ve->n_pas];
        }
        /* A replication list that cannot be written keeps the previous one: broadcast still
         * reaches the PAs it had. */
        subnet_sync(st, ve, NULL);
    }
}

/* The data-plane value of 'rec' under the current config. */
static void
lookup_value(const struct store *st, const struct config_lookup *rec, struct lk_entry *e)
{
    const struct hnvgw_config *cfg = st->cfg;
    struct dp_lookup *v = &e->v;
    bool mine = cfg && config_is_my_pa(cfg, &rec->pa);

    memset(v, 0, sizeof *v);
    v->pa = rec->pa.v4;
    memcpy(v->mac, rec->mac.b, 6);
    v->type = rec->type == CONFIG_TYPE_STATIC    ? DP_LK_STATIC
              : rec->type == CONFIG_TYPE_DYNAMIC ? DP_LK_DYNAMIC
              : rec->type == CONFIG_TYPE_L2ONLY  ? DP_LK_L2ONLY
                                                 : DP_LK_WILDCARD;
    v->rule = rec->rule == CONFIG_RULE_NAT ? DP_LK_NAT : DP_LK_ENCAP;
    v->local_port = mine ? (int16_t)policy_vm_port_of(cfg, rec->vsid, rec->ca.v4) : -1;
    e->floods = v->local_port < 0 && !mine && v->type != DP_LK_WILDCARD;
}

static struct lk_key
key_of(const struct config_lookup *rec)
{
    bool wild = rec->type == CONFIG_TYPE_L2ONLY || rec->type == CONFIG_TYPE_GATEWAY_WILDCARD;
    return (struct lk_key){.vsid = rec->vsid, .ca = wild ? 0 : rec->ca.v4};
}

/* Puts 'neu' (NULL: nothing) under 'k': the one place a record changes, with its undo. */
static int
lk_put(struct store *st, const struct lk_key *k, const struct lk_entry *neu)
{
    void *data = NULL;
    struct lk_entry *old = rte_hash_lookup_data(st->lookups, k, &data) >= 0 ? data : NULL;
    struct lk_entry *copy = NULL;
    struct undo u = {.key = *k, .had_old = old != NULL};
    int ret;

    if (!old && !neu) {
        return ENOENT;
    }
    if (old) {
        u.old = *old;
    }
    if (neu && !(copy = malloc(sizeof *copy))) {
        return ENOMEM;
    }
    if (record(st, &u, NULL)) {
        free(copy);
        return ENOMEM;
    }
    if (neu) {
        *copy = *neu;
        /* The table slot first, so that a full table changes nothing in the data plane. */
        if (!old && rte_hash_add_key_data(st->lookups, k, copy) < 0) {
            ret = ENOSPC;
            goto fail;
        }
        ret = dp_lookup_set(st->dp, k->vsid, k->ca, &neu->v);
        if (ret) {
            if (!old) {
                rte_hash_del_key(st->lookups, k);
            }
            goto fail;
        }
        if (old) {
            rte_hash_add_key_data(st->lookups, k, copy); /* Replaces the data in place. */
        }
        if (neu->floods) {
            pa_count(st, k->vsid, neu->v.pa, +1);
        }
    } else {
        dp_lookup_del(st->dp, k->vsid, k->ca);
        rte_hash_del_key(st->lookups, k);
    }
    if (old) {
        if (old->floods) {
            pa_count(st, k->vsid, old->v.pa, -1);
        }
        free(old);
    }
    return 0;

fail:
    free(copy);
    st->n_undo -= st->recording;
    return ret;
}

/* A view of the config for checking one run-time record: the file's own records are not
 * scanned (the store's index finds duplicates in constant time). */
static struct hnvgw_config
check_view(const struct hnvgw_config *cfg)
{
    struct hnvgw_config view = *cfg;
    view.n_lookups = 0;
    view.n_routes = 0;
    return view;
}

int
store_lookup_set(struct store *st, const struct config_lookup *rec, enum store_origin origin,
                 char *err)
{
    struct lk_entry e = {.rec = *rec, .origin = (uint8_t)origin, .gen = st->gen};
    struct lk_key k = key_of(rec);
    void *data;
    int ret;

    if (!st->cfg) {
        snprintf(err, DP_ERR_MAX, "no configuration applied yet");
        return EINVAL;
    }
    struct hnvgw_config view = check_view(st->cfg);
    ret = config_check_lookup(&view, rec, err);
    if (ret) {
        return ret;
    }
    lookup_value(st, rec, &e);
    if (rte_hash_lookup_data(st->lookups, &k, &data) >= 0) {
        const struct lk_entry *old = data;
        if (!memcmp(&old->v, &e.v, sizeof e.v) && old->origin == origin) {
            return 0;
        }
    }
    ret = lk_put(st, &k, &e);
    if (ret) {
        snprintf(err, DP_ERR_MAX, "the lookup-record table: %s", strerror(ret));
    }
    return ret;
}

int
store_lookup_del(struct store *st, uint32_t vsid, uint32_t ca)
{
    struct lk_key k = {.vsid = vsid, .ca = ca};
    return lk_put(st, &k, NULL);
}

bool
store_lookup_get(const struct store *st, uint32_t vsid, uint32_t ca, struct config_lookup *out,
                 enum store_origin *origin)
{
    struct lk_key k = {.vsid = vsid, .ca = ca};
    void *data;

    if (rte_hash_lookup_data(st->lookups, &k, &data) < 0) {
        return false;
    }
    *out = ((const struct lk_entry *)data)->rec;
    if (origin) {
        *origin = ((const struct lk_entry *)data)->origin;
    }
    return true;
}

uint32_t
store_lookup_count(const struct store *st)
{
    return (uint32_t)rte_hash_count(st->lookups);
}

int
store_route_add(struct store *st, const struct config_route *rt, char *err)
{
    struct rib_route r, existing;
    int ret;

    if (!st->cfg) {
        snprintf(err, DP_ERR_MAX, "no configuration applied yet");
        return EINVAL;
    }
    struct hnvgw_config view = check_view(st->cfg);
    ret = config_check_route(&view, rt, err);
    if (ret) {
        return ret;
    }
    policy_customer_route(rt, &r);
    if (rib_get(st->rib, r.tenant, r.prefix, r.plen, RIB_SRC_CUSTOMER, r.id, &existing)) {
        snprintf(err, DP_ERR_MAX, "the tenant already has this route");
        return EEXIST;
    }
    ret = rib_set(st->rib, &r);
    if (ret) {
        snprintf(err, DP_ERR_MAX, "the FIB: %s (raise node max_routes)", strerror(ret));
    }
    return ret;
}

/* rib_iterate_candidates() filter of store_route_del(). */
struct route_match {
    const struct hnvgw_ip *next_hop; /* Only routes via it, or NULL. */
};

static bool
route_matches(const struct rib_route *r, void *aux)
{
    const struct route_match *m = aux;
    if (!m->next_hop) {
        return true;
    }
    return r->nh[0].type == DP_NH_CONNECTED ? m->next_hop->v4 == 0 : r->nh[0].ip == m->next_hop->v4;
}

size_t
store_route_del(struct store *st, uint32_t tenant, const struct hnvgw_prefix *prefix,
                const struct hnvgw_ip *next_hop)
{
    struct route_match m = {.next_hop = next_hop};
    return rib_del_matching(st->rib, (uint16_t)tenant, prefix->addr.v4, prefix->plen,
                            RIB_SRC_CUSTOMER, route_matches, &m);
}

void
store_begin(struct store *st)
{
    st->recording = true;
    forget(st);
    rib_begin(st->rib);
}

void
store_commit(struct store *st)
{
    st->recording = false;
    forget(st);
    rib_commit(st->rib);
}

void
store_rollback(struct store *st)
{
    st->recording = false;
    rib_rollback(st->rib);
    while (st->n_undo) {
        const struct undo *u = &st->undo[--st->n_undo];

        if (u->is_subnet) {
            struct vsid_entry *ve = vsid_find(st, u->key.vsid, true);
            if (!ve) {
                continue;
            }
            if (u->old_configured) {
                ve->configured = true;
                ve->sn.vsid = 0; /* Forces the write. */
                subnet_sync(st, ve, u->osn);
            } else if (ve->configured) {
                dp_subnet_del(st->dp, u->key.vsid);
                ve->configured = false;
            }
        } else {
            lk_put(st, &u->key, u->had_old ? &u->old : NULL);
        }
        free(u->osn);
    }
}

/* The data-plane subnet of 's' in tenant 't' of 'cfg', without its replication list. */
static void
subnet_base(const struct hnvgw_config *cfg, const struct config_tenant *t,
            const struct config_subnet *s, struct dp_subnet *out)
{
    memset(out, 0, sizeof *out);
    out->vsid = s->vsid;
    out->tenant = (uint16_t)t->id;
    out->prefix = s->prefix.addr.v4;
    out->plen = s->prefix.plen;
    out->gw_ip = s->gateway_ip.v4;
    memcpy(out->gw_mac, s->gateway_mac.b, 6);
    for (size_t i = 0; i < cfg->n_ports; i++) {
        if (cfg->ports[i].kind == CONFIG_PORT_VM && cfg->ports[i].vsid == s->vsid) {
            out->local_ports |= 1ull << policy_port_id(i);
        }
    }
}

/* Installs every subnet of st->cfg. */
static int
apply_subnets(struct store *st, const char **failed)
{
    const struct hnvgw_config *cfg = st->cfg;

    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const struct config_tenant *t = &cfg->tenants[i];
        for (size_t j = 0; j < t->n_subnets; j++) {
            struct vsid_entry *ve = vsid_find(st, t->subnets[j].vsid, true);
            struct dp_subnet base;
            struct undo u = {.is_subnet = true};
            int ret;

            if (!ve) {
                *failed = "the VSID index";
                return ENOMEM;
            }
            u.key.vsid = t->subnets[j].vsid;
            u.old_configured = ve->configured;
            if (record(st, &u, &ve->sn)) {
                return ENOMEM;
            }
            subnet_base(cfg, t, &t->subnets[j], &base);
            if (!ve->configured) {
                ve->configured = true;
                ve->sn.vsid = 0; /* Differs from anything: written below. */
            }
            ve->gen = st->gen;
            ret = subnet_sync(st, ve, &base);
            if (ret) {
                *failed = "the VSID table";
                return ret;
            }
        }
    }
    return 0;
}

/* Puts the file's record 'rec' (origin FILE or PORT) in place, or only stamps it when it is
 * already there as it should be. */
static int
apply_one_lookup(struct store *st, const struct config_lookup *rec, enum store_origin origin,
                 const struct dp_lookup *forced)
{
    struct lk_entry e = {.rec = *rec, .origin = (uint8_t)origin, .gen = st->gen};
    struct lk_key k = key_of(rec);
    void *data;

    lookup_value(st, rec, &e);
    if (forced) {
        e.v = *forced;
        e.floods = false;
    }
    if (rte_hash_lookup_data(st->lookups, &k, &data) >= 0) {
        struct lk_entry *old = data;
        if (!memcmp(&old->v, &e.v, sizeof e.v) && old->floods == e.floods) {
            old->gen = st->gen; /* A stamp needs no undo: the next apply stamps again. */
            old->origin = (uint8_t)origin;
            old->rec = *rec;
            return 0;
        }
    }
    return lk_put(st, &k, &e);
}

static int
apply_lookups(struct store *st, const char **failed)
{
    const struct hnvgw_config *cfg = st->cfg;
    int ret;

    *failed = "the lookup-record table";
    for (size_t i = 0; i < cfg->n_lookups; i++) {
        if ((ret = apply_one_lookup(st, &cfg->lookups[i], STORE_ORIGIN_FILE, NULL)) != 0) {
            return ret;
        }
    }
    /* A local VM port is policy too: its binding is the lookup record of its CA. */
    for (size_t i = 0; i < cfg->n_ports; i++) {
        const struct config_port *p = &cfg->ports[i];
        struct config_lookup rec;
        struct dp_lookup v;
        struct lk_key k = {.vsid = p->vsid, .ca = p->ca.v4};
        void *data;

        if (p->kind != CONFIG_PORT_VM) {
            continue;
        }
        if (rte_hash_lookup_data(st->lookups, &k, &data) >= 0 &&
            ((struct lk_entry *)data)->gen == st->gen &&
            ((struct lk_entry *)data)->origin == STORE_ORIGIN_FILE) {
            continue; /* The file lists it. */
        }
        memset(&rec, 0, sizeof rec);
        rec.vsid = p->vsid;
        rec.ca = p->ca;
        rec.pa = cfg->n_pas ? cfg->pas[0] : hnvgw_ip4(0);
        rec.mac = p->mac;
        memset(&v, 0, sizeof v);
        v.pa = rec.pa.v4;
        memcpy(v.mac, p->mac.b, 6);
        v.type = DP_LK_STATIC;
        v.rule = DP_LK_ENCAP;
        v.local_port = (int16_t)policy_port_id(i);
        if ((ret = apply_one_lookup(st, &rec, STORE_ORIGIN_PORT, &v)) != 0) {
            return ret;
        }
    }
    return 0;
}

/* Removes the records the file and the CLI owned that the new file does not have. */
static int
sweep_lookups(struct store *st)
{
    struct lk_key *stale = NULL;
    size_t n = 0, cap = 0;
    const void *key;
    void *data;
    uint32_t iter = 0;
    int ret = 0;

    while (rte_hash_iterate(st->lookups, &key, &data, &iter) >= 0) {
        const struct lk_entry *e = data;
        if (e->gen == st->gen || e->origin > STORE_ORIGIN_CLI) {
            continue;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            struct lk_key *grown = realloc(stale, cap * sizeof *grown);
            if (!grown) {
                free(stale);
                return ENOMEM;
            }
            stale = grown;
        }
        stale[n++] = *(const struct lk_key *)key;
    }
    for (size_t i = 0; i < n && !ret; i++) {
        ret = lk_put(st, &stale[i], NULL);
    }
    free(stale);
    return ret;
}

/* Removes the subnets the new file no longer has. */
static int
sweep_subnets(struct store *st)
{
    const void *key;
    void *data;
    uint32_t iter = 0;

    while (rte_hash_iterate(st->vsids, &key, &data, &iter) >= 0) {
        struct vsid_entry *ve = data;
        struct undo u = {.is_subnet = true, .old_configured = true};

        if (!ve->configured || ve->gen == st->gen) {
            continue;
        }
        u.key.vsid = *(const uint32_t *)key;
        if (record(st, &u, &ve->sn)) {
            return ENOMEM;
        }
        dp_subnet_del(st->dp, u.key.vsid);
        ve->configured = false;
    }
    return 0;
}

/* Sets every route 'cfg' implies and removes those of the previous file it lacks. */
static int
apply_routes(struct store *st, const char **failed)
{
    size_t n = 0;
    struct rib_route *r = policy_routes(st->cfg, &n);
    uint32_t gen;
    int ret = 0;

    *failed = "the FIB (raise node max_routes)";
    if (!r) {
        return ENOMEM;
    }
    gen = rib_next_generation(st->rib);
    for (size_t i = 0; i < n && !ret; i++) {
        ret = rib_set(st->rib, &r[i]);
    }
    free(r);
    if (!ret) {
        rib_sweep(st->rib, RIB_CONFIG_SOURCES, gen);
    }
    return ret;
}

int
store_apply_config(struct store *st, const struct hnvgw_config *cfg, char *err)
{
    const struct hnvgw_config *old = st->cfg;
    const char *failed = "memory";
    int ret;

    store_begin(st);
    /* The first config has nothing to go back to: a daemon that cannot apply it exits. Not
     * recording saves an undo entry per record at start-up (a million of them at scale). */
    st->recording = old != NULL;
    if (!old) {
        rib_commit(st->rib); /* The RIB likewise. */
    }
    st->gen++;
    st->cfg = cfg;
    /* Subnets first (records and routes refer to them), their removal last. */
    ret = apply_subnets(st, &failed);
    if (!ret) {
        ret = apply_lookups(st, &failed);
    }
    if (!ret) {
        ret = apply_routes(st, &failed);
    }
    if (!ret) {
        failed = "memory";
        ret = sweep_lookups(st);
    }
    if (!ret) {
        ret = sweep_subnets(st);
    }
    if (ret) {
        snprintf(err, DP_ERR_MAX, "cannot install the new policy: %s: %s; previous policy kept",
                 failed, strerror(ret));
        st->cfg = old;
        store_rollback(st);
        st->gen++; /* The failed generation's stamps mean nothing now. */
        return ret;
    }
    store_commit(st);
    return 0;
}
