/* FRR-learned routes of every tenant and their place in the FIB (see learned.h). */
#include "routing/learned.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash.h>
#include <rte_hash_crc.h>

#include "gateway/policy.h"

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

/* A prefix the configuration routes (what shadows a learned route). */
struct cfg_key {
    uint16_t tenant; /* Routing domain. */
    uint8_t plen;    /* Prefix length. */
    uint32_t prefix; /* Network address, network order. */
};

struct learned {
    struct dp *dp;                  /* Where routes are installed. */
    struct rte_hash *table;         /* struct learned_key -> struct learned_entry *. */
    const struct hnvgw_config *cfg; /* Borrowed: judges next hops and precedence. */
    struct cfg_key *cfg_routes;     /* Owned: the prefixes cfg routes, sorted. */
    size_t n_cfg_routes;            /* Entries. */
    uint32_t *gen;                  /* Owned: current generation per routing domain. */
};

static int
cfg_key_cmp(const void *a, const void *b)
{
    const struct cfg_key *x = a, *y = b;
    if (x->tenant != y->tenant) {
        return x->tenant < y->tenant ? -1 : 1;
    }
    if (x->prefix != y->prefix) {
        return x->prefix < y->prefix ? -1 : 1;
    }
    return x->plen < y->plen ? -1 : x->plen > y->plen;
}

struct learned *
learned_create(struct dp *dp, uint32_t capacity)
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
    l->dp = dp;
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
    free(l->cfg_routes);
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

static bool
shadowed(const struct learned *l, uint16_t tenant, uint32_t prefix, uint8_t plen)
{
    struct cfg_key k = {.tenant = tenant, .plen = plen, .prefix = prefix};
    return l->n_cfg_routes &&
           bsearch(&k, l->cfg_routes, l->n_cfg_routes, sizeof k, cfg_key_cmp) != NULL;
}

static bool
in_prefix(uint32_t ip, uint32_t prefix, uint8_t plen)
{
    uint32_t mask = plen ? htonl(~0u << (32 - plen)) : 0;
    return (ip & mask) == (prefix & mask);
}

/* One next hop of a learned route as the data plane sees it; false when it resolves to neither
 * a CA of the tenant, the tenant's route-based tunnels (a gateway inside one of a tunnel's
 * configured routes, e.g. the on-premises BGP peer's address) nor the external network. */
static bool
resolve_one(const struct learned *l, const struct config_tenant *t, const struct hnvgw_ip *gw,
            struct dp_nexthop *nh)
{
    memset(nh, 0, sizeof *nh);
    if (gw->family != HNVGW_AF_INET) {
        return false;
    }
    for (size_t s = 0; s < t->n_subnets; s++) {
        const struct config_subnet *sn = &t->subnets[s];
        if (in_prefix(gw->v4, sn->prefix.addr.v4, sn->prefix.plen)) {
            nh->type = DP_NH_CA;
            nh->vsid = sn->vsid;
            nh->ip = gw->v4;
            return true;
        }
    }
    for (size_t i = 0; t->vpn && i < t->vpn->n_tunnels; i++) {
        const struct config_vpn_tunnel *tun = &t->vpn->tunnels[i];
        for (size_t r = 0; tun->mode == CONFIG_VPN_MODE_ROUTE && r < tun->n_routes; r++) {
            if (in_prefix(gw->v4, tun->routes[r].addr.v4, tun->routes[r].plen)) {
                nh->type = DP_NH_IPSEC;
                nh->reqid = tun->reqid;
                return true;
            }
        }
    }
    for (size_t p = 0; p < l->cfg->n_ports; p++) {
        const struct config_port *port = &l->cfg->ports[p];
        if (port->kind == CONFIG_PORT_EXTERNAL &&
            in_prefix(gw->v4, port->address.addr.v4, port->address.plen)) {
            nh->type = DP_NH_EXTERNAL;
            nh->ip = gw->v4;
            return true;
        }
    }
    return false;
}

/* The data-plane next hops of an IPv4 learned route in 'tenant' (ECMP: up to DP_ECMP_MAX, in
 * zebra's order, duplicates dropped); returns how many (0: none resolves). */
static unsigned
resolve(const struct learned *l, uint16_t tenant, const struct fpm_route *r,
        struct dp_nexthop nhs[DP_ECMP_MAX])
{
    const struct config_tenant *t = l->cfg ? config_find_tenant(l->cfg, tenant) : NULL;
    unsigned n = 0;

    if (r->kind == FPM_ROUTE_BLACKHOLE || r->kind == FPM_ROUTE_UNREACHABLE) {
        memset(&nhs[0], 0, sizeof nhs[0]);
        nhs[0].type = r->kind == FPM_ROUTE_BLACKHOLE ? DP_NH_BLACKHOLE : DP_NH_UNREACHABLE;
        return 1;
    }
    for (unsigned i = 0; t && i < r->n_nexthops && n < DP_ECMP_MAX; i++) {
        bool dup = false;

        if (!resolve_one(l, t, &r->nh[i].gateway, &nhs[n])) {
            continue;
        }
        for (unsigned j = 0; j < n; j++) {
            dup |= !memcmp(&nhs[j], &nhs[n], sizeof nhs[n]);
        }
        n += !dup;
    }
    return n;
}

/* Puts 'e' where it belongs: into the FIB, or only into the table with the reason. */
static void
install(struct learned *l, struct learned_entry *e)
{
    struct learned_info *in = &e->info;
    const struct hnvgw_prefix *p = &in->route.prefix;
    bool was = in->state == LEARNED_INSTALLED;
    struct dp_nexthop nhs[DP_ECMP_MAX];
    unsigned n;

    if (p->addr.family != HNVGW_AF_INET) {
        in->state = LEARNED_IPV6;
        return;
    }
    if (shadowed(l, in->tenant, p->addr.v4, p->plen)) {
        in->state = LEARNED_SHADOWED; /* The config's route already sits in the FIB. */
        return;
    }
    n = resolve(l, in->tenant, &in->route, nhs);
    if (!n) {
        if (was) {
            dp_route_del(l->dp, in->tenant, p->addr.v4, p->plen);
        }
        in->state = LEARNED_NO_NEXTHOP;
        return;
    }
    if (dp_route_set_multi(l->dp, in->tenant, p->addr.v4, p->plen, nhs, n) != 0) {
        if (was) {
            dp_route_del(l->dp, in->tenant, p->addr.v4, p->plen);
        }
        in->state = LEARNED_FIB_FULL;
        return;
    }
    in->nh = nhs[0];
    in->n_paths = (uint8_t)n;
    in->state = LEARNED_INSTALLED;
}

/* Removes 'e' (found under 'k') from the table, and from the FIB unless 'keep_fib' (a
 * replacement follows). */
static void
remove_entry(struct learned *l, const struct learned_key *k, struct learned_entry *e, bool keep_fib)
{
    const struct hnvgw_prefix *p = &e->info.route.prefix;

    if (e->info.state == LEARNED_INSTALLED && !keep_fib) {
        dp_route_del(l->dp, e->info.tenant, p->addr.v4, p->plen);
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

int
learned_set_config(struct learned *l, const struct hnvgw_config *cfg)
{
    size_t n = 0;
    struct policy_route *r = cfg ? policy_routes(cfg, &n) : NULL;
    struct cfg_key *keys = calloc(n + 1, sizeof *keys);
    const void *key;
    void *data;
    uint32_t iter = 0;

    if ((cfg && !r) || !keys) {
        free(r);
        free(keys);
        return ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        keys[i] = (struct cfg_key){.tenant = r[i].tenant, .plen = r[i].plen, .prefix = r[i].prefix};
    }
    free(r);
    qsort(keys, n, sizeof *keys, cfg_key_cmp);
    free(l->cfg_routes);
    l->cfg_routes = keys;
    l->n_cfg_routes = n;
    l->cfg = cfg;
    while (rte_hash_iterate(l->table, &key, &data, &iter) >= 0) {
        struct learned_entry *e = data;
        if (e->info.state == LEARNED_SHADOWED) {
            e->info.state = LEARNED_NO_NEXTHOP; /* Not in the FIB: nothing to delete. */
        }
        install(l, e);
    }
    return 0;
}

bool
learned_fallback(uint16_t tenant, uint32_t prefix, uint8_t plen, struct dp_nexthop *nh, void *aux)
{
    struct learned *l = aux;
    struct hnvgw_prefix p = {.addr = hnvgw_ip4(prefix), .plen = plen};
    struct learned_key k = key_of(tenant, &p);
    void *data;

    if (!l || rte_hash_lookup_data(l->table, &k, &data) < 0) {
        return false;
    }
    /* policy_apply() installs one next hop; the next update of the route restores ECMP. */
    struct dp_nexthop nhs[DP_ECMP_MAX];
    if (!resolve(l, tenant, &((struct learned_entry *)data)->info.route, nhs)) {
        return false;
    }
    *nh = nhs[0];
    return true;
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
        if ((!tenant || e->info.tenant == tenant) && !fn(&e->info, aux)) {
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
