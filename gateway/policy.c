/* The policy agent: desired data-plane state computed from a configuration, and the difference
 * between two such states applied to the data plane. See policy.h. */
#include "policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

/* DPDK port id of each configured port, by config index, as dp_port_add() assigned them (PCI
 * devices probed by the EAL come first, so ids need not follow config order). Ports are fixed
 * for the life of the process; until policy_add_ports() runs, ids are taken to be the index. */
static uint16_t port_ids[64];
static policy_fallback_fn *route_fallback; /* See policy_set_fallback(). */
static void *route_fallback_aux;           /* Its argument. */

void
policy_set_fallback(policy_fallback_fn *fn, void *aux)
{
    route_fallback = fn;
    route_fallback_aux = aux;
}
static bool port_ids_known;

/* True when the IPv4 address 'ip' (network order) is one of this node's PAs. */
static bool
is_my_pa(const struct hnvgw_config *cfg, uint32_t ip)
{
    struct hnvgw_ip a = hnvgw_ip4(ip);
    return config_is_my_pa(cfg, &a);
}

void
policy_dp_params(const struct hnvgw_config *cfg, struct dp_params *p)
{
    memset(p, 0, sizeof *p);
    p->n_workers = cfg->workers;
    p->max_lookups = cfg->max_lookups;
    p->max_subnets = cfg->max_subnets;
    p->max_routes = cfg->max_routes;
    p->max_neighbors = 4096;
    p->n_mbufs = cfg->mbufs;
    p->icmp_rate = cfg->icmp_rate_per_s;
    p->arp_timeout_s = cfg->arp_timeout_s;
    for (size_t i = 0; i < cfg->n_pas && i < DP_MAX_PAS; i++) {
        p->pas[p->n_pas++] = cfg->pas[i].v4;
    }
    p->gateway_role = cfg->roles & CONFIG_ROLE_GATEWAY;
    p->host_role = cfg->roles & CONFIG_ROLE_HOST;
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        if (cfg->tenants[i].nat) {
            /* Session tables only when some tenant uses NAT. */
            p->max_nat_sessions = cfg->max_nat_sessions;
        }
        if (cfg->tenants[i].vpn) {
            /* SA tables and crypto devices only when some tenant has tunnels. */
            p->max_esp_sas = DP_ESP_SA_MAX;
        }
    }
    p->nat_port_block = (uint16_t)cfg->nat_port_block;
}

/* The router NAT'ed traffic of 'nat' leaves through: its next_hop, else the external port's
 * gateway, else 0 (destinations on-link). */
static uint32_t
nat_next_hop(const struct hnvgw_config *cfg, const struct config_nat *nat)
{
    if (nat->has_next_hop) {
        return nat->next_hop.v4;
    }
    for (size_t i = 0; i < cfg->n_ports; i++) {
        if (cfg->ports[i].kind == CONFIG_PORT_EXTERNAL && cfg->ports[i].has_gateway) {
            return cfg->ports[i].gateway.v4;
        }
    }
    return 0;
}

int
policy_nat_setup(struct dp *dp, const struct hnvgw_config *cfg, char *err)
{
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const struct config_tenant *t = &cfg->tenants[i];
        const struct config_nat *n = t->nat;
        struct dp_nat_conf c;
        int ret;

        if (!n) {
            continue;
        }
        memset(&c, 0, sizeof c);
        c.tenant = (uint16_t)t->id;
        for (size_t j = 0; j < n->n_public_ips && j < DP_NAT_PUBLIC_MAX; j++) {
            c.public_ips[c.n_public++] = n->public_ips[j].v4;
        }
        c.port_min = n->port_min;
        c.port_max = n->port_max;
        for (size_t j = 0; j < n->n_inside_prefixes && j < DP_NAT_INSIDE_MAX; j++) {
            c.inside_prefix[c.n_inside] = n->inside_prefixes[j].addr.v4;
            c.inside_plen[c.n_inside++] = n->inside_prefixes[j].plen;
        }
        c.endpoint_independent_filtering = n->filtering == CONFIG_NAT_FILTER_ENDPOINT;
        c.max_sessions = n->max_sessions;
        c.max_ports = n->max_ports;
        c.timeout_s[DP_NAT_T_TCP_EST] = n->tcp_established_timeout;
        c.timeout_s[DP_NAT_T_TCP_TRANS] = n->tcp_transitory_timeout;
        c.timeout_s[DP_NAT_T_UDP] = n->udp_timeout;
        c.timeout_s[DP_NAT_T_ICMP] = n->icmp_timeout;
        c.log = n->log == CONFIG_NAT_LOG_NONE     ? DP_NAT_LOG_NONE
                : n->log == CONFIG_NAT_LOG_BLOCKS ? DP_NAT_LOG_BLOCKS
                                                  : DP_NAT_LOG_MAPPINGS;
        ret = dp_nat_tenant_set(dp, &c);
        if (ret) {
            snprintf(err, DP_ERR_MAX, "tenant %s: cannot enable NAT: %s", t->name, strerror(ret));
            return ret;
        }
        for (size_t j = 0; j < n->n_statics; j++) {
            const struct config_nat_static *s = &n->statics[j];
            struct dp_nat_static st = {.tenant = c.tenant,
                                       .proto = s->protocol,
                                       .pub_ip = s->public_ip.v4,
                                       .pub_port = s->public_port,
                                       .in_ip = s->inside_ip.v4,
                                       .in_port = s->inside_port};
            ret = dp_nat_static_add(dp, &st);
            if (ret) {
                snprintf(err, DP_ERR_MAX, "tenant %s: static mapping at line %d: %s", t->name,
                         s->line, strerror(ret));
                return ret;
            }
        }
    }
    return 0;
}

int
policy_add_ports(struct dp *dp, const struct hnvgw_config *cfg, char *err)
{
    port_ids_known = true;
    for (size_t i = 0; i < cfg->n_ports; i++) {
        const struct config_port *cp = &cfg->ports[i];
        struct dp_port_conf pc;
        uint16_t id;
        int ret;

        memset(&pc, 0, sizeof pc);
        pc.kind = cp->kind == CONFIG_PORT_PROVIDER   ? DP_PORT_PROVIDER
                  : cp->kind == CONFIG_PORT_EXTERNAL ? DP_PORT_EXTERNAL
                                                     : DP_PORT_VM;
        snprintf(pc.name, sizeof pc.name, "%s", cp->name);
        snprintf(pc.devargs, sizeof pc.devargs, "%s", cp->devargs);
        memcpy(pc.mac, cp->mac.b, 6);
        if (cp->has_address) {
            pc.ip = cp->address.addr.v4;
            pc.plen = cp->address.plen;
        }
        pc.vlan = cp->vlan;
        pc.gateway = cp->has_gateway ? cp->gateway.v4 : 0;
        pc.vsid = cp->vsid;
        pc.ca = cp->ca.v4;
        pc.mtu = cp->mtu;
        ret = dp_port_add(dp, &pc, &id, err);
        if (ret) {
            return ret;
        }
        if (i < 64) {
            port_ids[i] = id;
        }
        for (size_t k = 0; k < cp->n_static_neighbors; k++) {
            dp_neigh_set_static(dp, id, cp->static_neighbors[k].ip.v4,
                                cp->static_neighbors[k].mac.b);
        }
    }
    return 0;
}

/* ---- Desired state ---- */

/* A lookup record as the data plane stores it, with its key. */
struct want_lookup {
    uint32_t vsid;      /* Key part. */
    uint32_t ca;        /* Key part (0 for wildcard records). */
    struct dp_lookup v; /* Value. */
};

static int
want_lookup_cmp(const void *a, const void *b)
{
    const struct want_lookup *x = a, *y = b;

    if (x->vsid != y->vsid) {
        return x->vsid < y->vsid ? -1 : 1;
    }
    if (x->ca != y->ca) {
        return ntohl(x->ca) < ntohl(y->ca) ? -1 : 1;
    }
    return 0;
}

static uint16_t
port_id_of(size_t config_index)
{
    return port_ids_known && config_index < 64 ? port_ids[config_index] : (uint16_t)config_index;
}

/* DPDK port id of the VM port bound to (vsid, ca), or -1. */
static int
vm_port_of(const struct hnvgw_config *cfg, uint32_t vsid, uint32_t ca)
{
    for (size_t i = 0; i < cfg->n_ports; i++) {
        const struct config_port *p = &cfg->ports[i];
        if (p->kind == CONFIG_PORT_VM && p->vsid == vsid && p->ca.v4 == ca) {
            return port_id_of(i);
        }
    }
    return -1;
}

static struct want_lookup *
want_lookups(const struct hnvgw_config *cfg, size_t *n)
{
    struct want_lookup *w = calloc(cfg->n_lookups + cfg->n_ports + 1, sizeof *w);
    size_t k = 0;

    if (!w) {
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_lookups; i++) {
        const struct config_lookup *l = &cfg->lookups[i];
        struct want_lookup *e = &w[k++];

        e->vsid = l->vsid;
        e->ca =
            l->type == CONFIG_TYPE_L2ONLY || l->type == CONFIG_TYPE_GATEWAY_WILDCARD ? 0 : l->ca.v4;
        e->v.pa = l->pa.v4;
        memcpy(e->v.mac, l->mac.b, 6);
        e->v.type = l->type == CONFIG_TYPE_STATIC    ? DP_LK_STATIC
                    : l->type == CONFIG_TYPE_DYNAMIC ? DP_LK_DYNAMIC
                    : l->type == CONFIG_TYPE_L2ONLY  ? DP_LK_L2ONLY
                                                     : DP_LK_WILDCARD;
        e->v.rule = l->rule == CONFIG_RULE_NAT ? DP_LK_NAT : DP_LK_ENCAP;
        e->v.local_port =
            is_my_pa(cfg, l->pa.v4) ? (int16_t)vm_port_of(cfg, l->vsid, l->ca.v4) : -1;
    }
    /* A local VM port is policy too: its binding is the lookup record of its CA. */
    for (size_t i = 0; i < cfg->n_ports; i++) {
        const struct config_port *p = &cfg->ports[i];
        bool listed = false;

        if (p->kind != CONFIG_PORT_VM) {
            continue;
        }
        for (size_t j = 0; j < cfg->n_lookups && !listed; j++) {
            listed = cfg->lookups[j].vsid == p->vsid && cfg->lookups[j].ca.v4 == p->ca.v4;
        }
        if (!listed) {
            struct want_lookup *e = &w[k++];
            e->vsid = p->vsid;
            e->ca = p->ca.v4;
            e->v.pa = cfg->n_pas ? cfg->pas[0].v4 : 0;
            memcpy(e->v.mac, p->mac.b, 6);
            e->v.type = DP_LK_STATIC;
            e->v.rule = DP_LK_ENCAP;
            e->v.local_port = (int16_t)port_id_of(i);
        }
    }
    qsort(w, k, sizeof *w, want_lookup_cmp);
    *n = k;
    return w;
}

/* Builds the data-plane view of subnet 's' of 'tenant'. 'wl' is the configuration's lookup
 * records sorted by VSID (want_lookups()), from which the broadcast replication list comes. */
static void
subnet_build(const struct hnvgw_config *cfg, const struct config_tenant *t,
             const struct config_subnet *s, const struct want_lookup *wl, size_t n_wl,
             struct dp_subnet *out)
{
    size_t lo = 0, hi = n_wl;

    memset(out, 0, sizeof *out);
    out->vsid = s->vsid;
    out->tenant = (uint16_t)t->id;
    out->prefix = s->prefix.addr.v4;
    out->plen = s->prefix.plen;
    out->gw_ip = s->gateway_ip.v4;
    memcpy(out->gw_mac, s->gateway_mac.b, 6);
    for (size_t i = 0; i < cfg->n_ports; i++) {
        if (cfg->ports[i].kind == CONFIG_PORT_VM && cfg->ports[i].vsid == s->vsid) {
            out->local_ports |= 1ull << port_id_of(i);
        }
    }
    /* Binary search for the first record of this VSID. */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (wl[mid].vsid < s->vsid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    /* Every distinct remote PA with a record in this VSID gets a copy of its broadcast. */
    for (size_t i = lo; i < n_wl && wl[i].vsid == s->vsid && out->n_flood < DP_FLOOD_MAX; i++) {
        bool dup = false;

        if (wl[i].v.local_port >= 0 || is_my_pa(cfg, wl[i].v.pa) ||
            wl[i].v.type == DP_LK_WILDCARD) {
            continue;
        }
        for (unsigned k = 0; k < out->n_flood && !dup; k++) {
            dup = out->flood_pa[k] == wl[i].v.pa;
        }
        if (!dup) {
            out->flood_pa[out->n_flood++] = wl[i].v.pa;
        }
    }
}

static int route_key_cmp(const struct policy_route *x, const struct policy_route *y);

/* Orders candidates by key, then best first: lower distance, then lower metric. */
static int
route_cmp(const void *a, const void *b)
{
    const struct policy_route *x = a, *y = b;
    int c = route_key_cmp(x, y);

    if (c) {
        return c;
    }
    if (x->distance != y->distance) {
        return x->distance < y->distance ? -1 : 1;
    }
    if (x->metric != y->metric) {
        return x->metric < y->metric ? -1 : 1;
    }
    return 0;
}

static uint32_t
mask_of(uint8_t plen)
{
    return plen ? htonl(~0u << (32 - plen)) : 0;
}

/* Writes the routes into tunnel 'tun' of tenant 'id' at 'r' and returns how many: its remote
 * selectors (policy mode; a route mode tunnel's are 0.0.0.0/0, which its routes replace). They
 * stay while the tunnel is down, so that its traffic is dropped rather than sent in clear by a
 * shorter route. */
static size_t
vpn_routes(const struct config_vpn_tunnel *tun, uint16_t id, struct policy_route *r)
{
    const struct hnvgw_prefix *p =
        tun->mode == CONFIG_VPN_MODE_POLICY ? tun->remote_ts : tun->routes;
    size_t n = tun->mode == CONFIG_VPN_MODE_POLICY ? tun->n_remote_ts : tun->n_routes;

    for (size_t i = 0; i < n; i++) {
        r[i] = (struct policy_route){.tenant = id,
                                     .prefix = p[i].addr.v4 & mask_of(p[i].plen),
                                     .plen = p[i].plen,
                                     .distance = POLICY_DIST_STATIC,
                                     .source = POLICY_SRC_VPN,
                                     .nh = {.type = DP_NH_IPSEC, .reqid = tun->reqid}};
    }
    return n;
}

struct policy_route *
policy_routes(const struct hnvgw_config *cfg, size_t *n)
{
    size_t cap = cfg->n_routes + 1, k = 0, out = 0;
    struct policy_route *r;
    bool gateway = cfg->roles & CONFIG_ROLE_GATEWAY;

    for (size_t i = 0; i < cfg->n_tenants; i++) {
        cap += cfg->tenants[i].n_subnets * 2 + cfg->tenants[i].n_ext_routes +
               cfg->tenants[i].n_forward_prefixes;
        if (cfg->tenants[i].nat) {
            cap += cfg->tenants[i].nat->n_destinations + cfg->tenants[i].nat->n_public_ips;
        }
        for (size_t j = 0; cfg->tenants[i].vpn && j < cfg->tenants[i].vpn->n_tunnels; j++) {
            const struct config_vpn_tunnel *tun = &cfg->tenants[i].vpn->tunnels[j];
            cap += tun->n_remote_ts + tun->n_routes;
        }
    }
    r = calloc(cap, sizeof *r);
    if (!r) {
        return NULL;
    }
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const struct config_tenant *t = &cfg->tenants[i];
        uint16_t id = (uint16_t)t->id;

        for (size_t j = 0; j < t->n_subnets; j++) {
            const struct config_subnet *s = &t->subnets[j];
            r[k++] = (struct policy_route){.tenant = id,
                                           .prefix = s->prefix.addr.v4,
                                           .plen = s->prefix.plen,
                                           .distance = POLICY_DIST_CONNECTED,
                                           .source = POLICY_SRC_CONNECTED,
                                           .nh = {.type = DP_NH_CONNECTED, .vsid = s->vsid}};
            memcpy(r[k - 1].nh.mac, s->gateway_mac.b, 6);
            if (gateway) {
                r[k++] = (struct policy_route){.tenant = id,
                                               .prefix = s->gateway_ip.v4,
                                               .plen = 32,
                                               .distance = POLICY_DIST_CONNECTED,
                                               .source = POLICY_SRC_LOCAL,
                                               .nh = {.type = DP_NH_LOCAL}};
            }
        }
        for (size_t j = 0; gateway && j < t->n_ext_routes; j++) {
            const struct config_external_route *e = &t->ext_routes[j];
            r[k++] = (struct policy_route){
                .tenant = id,
                .prefix = e->prefix.addr.v4,
                .plen = e->prefix.plen,
                .distance = POLICY_DIST_STATIC,
                .source = POLICY_SRC_EXTERNAL,
                .metric = e->metric,
                .nh = {.type = DP_NH_EXTERNAL, .ip = e->on_link ? 0 : e->next_hop.v4}};
        }
        for (size_t j = 0; gateway && t->nat && j < t->nat->n_destinations; j++) {
            const struct hnvgw_prefix *p = &t->nat->destinations[j];
            /* The highest metric: an explicit route to the same prefix wins over NAT. */
            r[k++] =
                (struct policy_route){.tenant = id,
                                      .prefix = p->addr.v4 & mask_of(p->plen),
                                      .plen = p->plen,
                                      .distance = POLICY_DIST_STATIC,
                                      .source = POLICY_SRC_NAT,
                                      .metric = UINT32_MAX,
                                      .nh = {.type = DP_NH_NAT, .ip = nat_next_hop(cfg, t->nat)}};
        }
        for (size_t j = 0; gateway && t->nat && j < t->nat->n_public_ips; j++) {
            r[k++] = (struct policy_route){.tenant = 0,
                                           .prefix = t->nat->public_ips[j].v4,
                                           .plen = 32,
                                           .distance = POLICY_DIST_STATIC,
                                           .source = POLICY_SRC_NAT_PUBLIC,
                                           .nh = {.type = DP_NH_NAT_PUBLIC}};
        }
        for (size_t j = 0; gateway && t->vpn && j < t->vpn->n_tunnels; j++) {
            k += vpn_routes(&t->vpn->tunnels[j], id, &r[k]);
        }
        for (size_t j = 0; gateway && j < t->n_forward_prefixes; j++) {
            const struct hnvgw_prefix *p = &t->forward_prefixes[j];
            r[k++] = (struct policy_route){.tenant = 0,
                                           .prefix = p->addr.v4,
                                           .plen = p->plen,
                                           .distance = POLICY_DIST_STATIC,
                                           .source = POLICY_SRC_FORWARD,
                                           .nh = {.type = DP_NH_TENANT, .tenant = id}};
        }
    }
    for (size_t i = 0; i < cfg->n_routes; i++) {
        const struct config_route *c = &cfg->routes[i];
        const struct config_subnet *sn = NULL;

        config_find_vsid(cfg, c->vsid, &sn);
        r[k++] = (struct policy_route){
            .tenant = (uint16_t)c->tenant_id,
            .prefix = c->prefix.addr.v4 & mask_of(c->prefix.plen),
            .plen = c->prefix.plen,
            .distance = POLICY_DIST_STATIC,
            .source = POLICY_SRC_CUSTOMER,
            .metric = c->metric,
            .nh = c->on_link ? (struct dp_nexthop){.type = DP_NH_CONNECTED, .vsid = c->vsid}
                             : (struct dp_nexthop){
                                   .type = DP_NH_CA, .vsid = c->vsid, .ip = c->next_hop.v4}};
    }
    qsort(r, k, sizeof *r, route_cmp);
    /* Keep the best candidate of each prefix: the first after sorting. */
    for (size_t i = 0; i < k; i++) {
        if (out && route_key_cmp(&r[out - 1], &r[i]) == 0) {
            continue;
        }
        r[out++] = r[i];
    }
    *n = out;
    return r;
}

const char *
policy_source_name(enum policy_source src)
{
    static const char *const names[] = {"connected", "local", "customer",   "external",
                                        "forward",   "nat",   "nat-public", "vpn"};
    return src < sizeof names / sizeof names[0] ? names[src] : "?";
}

/* ---- Applying a difference ---- */

/* Everything one configuration wants installed. */
struct want {
    struct want_lookup *lookups; /* Sorted by key. */
    size_t n_lookups;            /* Entries. */
    struct dp_subnet *subnets;   /* Sorted by VSID (config order is not). */
    size_t n_subnets;            /* Entries. */
    struct policy_route *routes; /* Sorted by (tenant, prefix, plen). */
    size_t n_routes;             /* Entries. */
};

static int
subnet_cmp(const void *a, const void *b)
{
    const struct dp_subnet *x = a, *y = b;
    return x->vsid < y->vsid ? -1 : x->vsid > y->vsid;
}

static void
want_free(struct want *w)
{
    free(w->lookups);
    free(w->subnets);
    free(w->routes);
    memset(w, 0, sizeof *w);
}

static int
want_build(const struct hnvgw_config *cfg, struct want *w)
{
    size_t n = 0;

    memset(w, 0, sizeof *w);
    if (!cfg) {
        return 0;
    }
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        n += cfg->tenants[i].n_subnets;
    }
    w->subnets = calloc(n + 1, sizeof *w->subnets);
    w->lookups = want_lookups(cfg, &w->n_lookups);
    w->routes = policy_routes(cfg, &w->n_routes);
    if (!w->subnets || !w->lookups || !w->routes) {
        want_free(w);
        return ENOMEM;
    }
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        for (size_t j = 0; j < cfg->tenants[i].n_subnets; j++) {
            subnet_build(cfg, &cfg->tenants[i], &cfg->tenants[i].subnets[j], w->lookups,
                         w->n_lookups, &w->subnets[w->n_subnets++]);
        }
    }
    qsort(w->subnets, w->n_subnets, sizeof *w->subnets, subnet_cmp);
    return 0;
}

/* Orders routes by (tenant, prefix, plen) alone. */
static int
route_key_cmp(const struct policy_route *x, const struct policy_route *y)
{
    if (x->tenant != y->tenant) {
        return x->tenant < y->tenant ? -1 : 1;
    }
    if (x->prefix != y->prefix) {
        return ntohl(x->prefix) < ntohl(y->prefix) ? -1 : 1;
    }
    return x->plen < y->plen ? -1 : x->plen > y->plen;
}

/* Installs what 'to' has and 'from' lacks or has differently ('adds'), or removes what 'from' has
 * and 'to' lacks ('!adds'). The same merge walk serves both phases and the rollback. */
static int
apply_phase(struct dp *dp, const struct want *from, const struct want *to, bool adds,
            const char **failed)
{
    size_t i = 0, j = 0;
    int ret;

    /* Subnets first on add (routes and records refer to them), last on delete. */
    if (adds) {
        for (i = 0, j = 0; j < to->n_subnets; j++) {
            while (i < from->n_subnets && from->subnets[i].vsid < to->subnets[j].vsid) {
                i++;
            }
            if (i < from->n_subnets && from->subnets[i].vsid == to->subnets[j].vsid &&
                !memcmp(&from->subnets[i], &to->subnets[j], sizeof to->subnets[j])) {
                continue;
            }
            if ((ret = dp_subnet_set(dp, &to->subnets[j])) != 0) {
                *failed = "the VSID table";
                return ret;
            }
        }
    }
    for (i = 0, j = 0; i < from->n_lookups || j < to->n_lookups;) {
        int c = i == from->n_lookups ? 1
                : j == to->n_lookups ? -1
                                     : want_lookup_cmp(&from->lookups[i], &to->lookups[j]);
        if (c < 0) {
            if (!adds) {
                dp_lookup_del(dp, from->lookups[i].vsid, from->lookups[i].ca);
            }
            i++;
        } else if (c > 0 ||
                   memcmp(&from->lookups[i].v, &to->lookups[j].v, sizeof(struct dp_lookup))) {
            if (adds && (ret = dp_lookup_set(dp, to->lookups[j].vsid, to->lookups[j].ca,
                                             &to->lookups[j].v)) != 0) {
                *failed = "the lookup-record table";
                return ret;
            }
            i += c == 0;
            j++;
        } else {
            i++;
            j++;
        }
    }
    for (i = 0, j = 0; i < from->n_routes || j < to->n_routes;) {
        const struct policy_route *f = i < from->n_routes ? &from->routes[i] : NULL;
        const struct policy_route *t = j < to->n_routes ? &to->routes[j] : NULL;
        int c = !f ? 1 : !t ? -1 : route_key_cmp(f, t);

        if (c < 0) {
            if (!adds) {
                struct dp_nexthop nh;
                /* A route FRR learned for the prefix takes over from the config's. */
                if (route_fallback &&
                    route_fallback(f->tenant, f->prefix, f->plen, &nh, route_fallback_aux)) {
                    dp_route_set(dp, f->tenant, f->prefix, f->plen, &nh);
                } else {
                    dp_route_del(dp, f->tenant, f->prefix, f->plen);
                }
            }
            i++;
        } else if (c > 0 || memcmp(&f->nh, &t->nh, sizeof t->nh)) {
            if (adds && (ret = dp_route_set(dp, t->tenant, t->prefix, t->plen, &t->nh)) != 0) {
                *failed = "the FIB (raise node max_routes)";
                return ret;
            }
            i += c == 0;
            j++;
        } else {
            i++;
            j++;
        }
    }
    if (!adds) {
        for (i = 0, j = 0; i < from->n_subnets; i++) {
            while (j < to->n_subnets && to->subnets[j].vsid < from->subnets[i].vsid) {
                j++;
            }
            if (j == to->n_subnets || to->subnets[j].vsid != from->subnets[i].vsid) {
                dp_subnet_del(dp, from->subnets[i].vsid);
            }
        }
    }
    return 0;
}

int
policy_apply(struct dp *dp, const struct hnvgw_config *old, const struct hnvgw_config *new,
             char *err)
{
    struct want a, b;
    const char *failed = "";
    int ret;

    if ((ret = want_build(old, &a)) != 0 || (ret = want_build(new, &b)) != 0) {
        want_free(&a);
        snprintf(err, DP_ERR_MAX, "out of memory computing the policy difference");
        return ret;
    }
    if (b.n_lookups > new->max_lookups) {
        snprintf(err, DP_ERR_MAX, "%zu lookup records exceed the table capacity %u", b.n_lookups,
                 new->max_lookups);
        ret = ENOSPC;
        goto out;
    }
    ret = apply_phase(dp, &a, &b, true, &failed);
    if (ret) {
        /* Undo: put back what 'old' had, then remove what only 'new' added. */
        snprintf(err, DP_ERR_MAX, "cannot install the new policy: %s: %s; previous policy kept",
                 failed, strerror(ret));
        apply_phase(dp, &b, &a, true, &failed);
        apply_phase(dp, &b, &a, false, &failed);
        goto out;
    }
    apply_phase(dp, &a, &b, false, &failed);
out:
    want_free(&a);
    want_free(&b);
    return ret;
}

/* True when two nat sections (either may be NULL) configure the same NAT. */
static bool
nat_equal(const struct config_nat *a, const struct config_nat *b)
{
    if (!a || !b) {
        return a == b;
    }
    if (a->n_public_ips != b->n_public_ips ||
        memcmp(a->public_ips, b->public_ips, sizeof a->public_ips[0] * a->n_public_ips) ||
        a->port_min != b->port_min || a->port_max != b->port_max ||
        a->n_inside_prefixes != b->n_inside_prefixes ||
        memcmp(a->inside_prefixes, b->inside_prefixes,
               sizeof a->inside_prefixes[0] * a->n_inside_prefixes) ||
        a->filtering != b->filtering || a->max_sessions != b->max_sessions ||
        a->max_ports != b->max_ports || a->tcp_established_timeout != b->tcp_established_timeout ||
        a->tcp_transitory_timeout != b->tcp_transitory_timeout ||
        a->udp_timeout != b->udp_timeout || a->icmp_timeout != b->icmp_timeout ||
        a->log != b->log || a->n_statics != b->n_statics) {
        return false;
    }
    for (size_t i = 0; i < a->n_statics; i++) {
        const struct config_nat_static *x = &a->statics[i], *y = &b->statics[i];
        if (x->protocol != y->protocol || !hnvgw_ip_equal(&x->public_ip, &y->public_ip) ||
            x->public_port != y->public_port || !hnvgw_ip_equal(&x->inside_ip, &y->inside_ip) ||
            x->inside_port != y->inside_port) {
            return false;
        }
    }
    return true;
}

/* True when two routing sections (either may be NULL) configure the same FRR instance. */
static bool
routing_equal(const struct config_routing *a, const struct config_routing *b)
{
    if (!a || !b) {
        return a == b;
    }
    if (a->asn != b->asn || !hnvgw_ip_equal(&a->router_id, &b->router_id) ||
        a->fpm_port != b->fpm_port || a->n_networks != b->n_networks ||
        a->n_neighbors != b->n_neighbors ||
        memcmp(a->networks, b->networks, sizeof *a->networks * a->n_networks) ||
        (!a->extra_config != !b->extra_config) ||
        (a->extra_config && strcmp(a->extra_config, b->extra_config))) {
        return false;
    }
    for (size_t i = 0; i < a->n_neighbors; i++) {
        const struct config_bgp_neighbor *x = &a->neighbors[i], *y = &b->neighbors[i];
        if (!hnvgw_ip_equal(&x->address, &y->address) || x->remote_as != y->remote_as ||
            strcmp(x->password, y->password) || x->keepalive != y->keepalive ||
            x->hold != y->hold || x->ebgp_multihop != y->ebgp_multihop) {
            return false;
        }
    }
    return true;
}

/* True when two vpn sections (either may be NULL) configure the same tunnels. The loader zeroes
 * every tunnel before filling it, so tunnels compare as bytes but for their 'routes' array. */
static bool
vpn_equal(const struct config_vpn *a, const struct config_vpn *b)
{
    if (!a || !b) {
        return a == b;
    }
    if (!hnvgw_ip_equal(&a->local_address, &b->local_address) || a->n_tunnels != b->n_tunnels) {
        return false;
    }
    for (size_t i = 0; i < a->n_tunnels; i++) {
        struct config_vpn_tunnel x = a->tunnels[i], y = b->tunnels[i];

        if (x.n_routes != y.n_routes ||
            (x.n_routes && memcmp(x.routes, y.routes, sizeof *x.routes * x.n_routes))) {
            return false;
        }
        x.routes = y.routes = NULL;
        x.line = y.line = 0;
        if (memcmp(&x, &y, sizeof x)) {
            return false;
        }
    }
    return true;
}

const char *
policy_restart_needed(const struct hnvgw_config *a, const struct hnvgw_config *b)
{
    if (a->roles != b->roles) {
        return "node roles";
    }
    if (a->workers != b->workers) {
        return "node workers";
    }
    if (a->n_eal_args != b->n_eal_args) {
        return "node eal_args";
    }
    for (size_t i = 0; i < a->n_eal_args; i++) {
        if (strcmp(a->eal_args[i], b->eal_args[i])) {
            return "node eal_args";
        }
    }
    if (a->n_pas != b->n_pas || memcmp(a->pas, b->pas, sizeof a->pas[0] * a->n_pas)) {
        return "node provider_addresses";
    }
    if (strcmp(a->control_socket, b->control_socket)) {
        return "node control_socket";
    }
    if (a->max_lookups != b->max_lookups || a->max_routes != b->max_routes ||
        a->max_subnets != b->max_subnets) {
        return "node table sizes";
    }
    if (a->max_nat_sessions != b->max_nat_sessions || a->nat_port_block != b->nat_port_block) {
        return "node NAT sizes";
    }
    for (size_t i = 0; i < a->n_tenants; i++) {
        const struct config_tenant *t = config_find_tenant(b, a->tenants[i].id);
        if (t && !nat_equal(a->tenants[i].nat, t->nat)) {
            return "a tenant's nat section";
        }
        if (t && !routing_equal(a->tenants[i].routing, t->routing)) {
            return "a tenant's routing section";
        }
        if (!t && a->tenants[i].routing) {
            return "the set of tenants with routing";
        }
        if (!t && a->tenants[i].nat) {
            return "the set of tenants with NAT";
        }
        if (t && !vpn_equal(a->tenants[i].vpn, t->vpn)) {
            return "a tenant's vpn section";
        }
        if (!t && a->tenants[i].vpn) {
            return "the set of tenants with VPN";
        }
    }
    for (size_t i = 0; i < b->n_tenants; i++) {
        if (b->tenants[i].routing && !config_find_tenant(a, b->tenants[i].id)) {
            return "the set of tenants with routing";
        }
        if (b->tenants[i].nat && !config_find_tenant(a, b->tenants[i].id)) {
            return "the set of tenants with NAT";
        }
        if (b->tenants[i].vpn && !config_find_tenant(a, b->tenants[i].id)) {
            return "the set of tenants with VPN";
        }
    }
    if (a->n_ports != b->n_ports) {
        return "the set of ports";
    }
    for (size_t i = 0; i < a->n_ports; i++) {
        const struct config_port *p = &a->ports[i], *q = &b->ports[i];
        if (strcmp(p->name, q->name) || p->kind != q->kind || strcmp(p->devargs, q->devargs) ||
            memcmp(&p->mac, &q->mac, sizeof p->mac) || p->vlan != q->vlan ||
            memcmp(&p->address, &q->address, sizeof p->address) || p->vsid != q->vsid ||
            !hnvgw_ip_equal(&p->ca, &q->ca) || p->mtu != q->mtu ||
            !hnvgw_ip_equal(&p->gateway, &q->gateway)) {
            return "a port's settings";
        }
    }
    return NULL;
}

/* Duplicates 'n' elements of 'size' bytes; NULL in gives NULL out with *ok kept. */
static void *
dup_array(const void *src, size_t n, size_t size, bool *ok)
{
    void *p;

    if (!n) {
        return NULL;
    }
    p = malloc(n * size);
    if (!p) {
        *ok = false;
        return NULL;
    }
    return memcpy(p, src, n * size);
}

struct hnvgw_config *
policy_config_clone(const struct hnvgw_config *cfg)
{
    struct hnvgw_config *c = malloc(sizeof *c);
    bool ok = true;

    if (!c) {
        return NULL;
    }
    *c = *cfg;
    for (size_t i = 0; i < cfg->n_eal_args; i++) {
        c->eal_args[i] = strdup(cfg->eal_args[i]);
        ok &= c->eal_args[i] != NULL;
    }
    c->ports = dup_array(cfg->ports, cfg->n_ports, sizeof *c->ports, &ok);
    c->tenants = dup_array(cfg->tenants, cfg->n_tenants, sizeof *c->tenants, &ok);
    c->lookups = dup_array(cfg->lookups, cfg->n_lookups, sizeof *c->lookups, &ok);
    c->routes = dup_array(cfg->routes, cfg->n_routes, sizeof *c->routes, &ok);
    /* The copied ports and tenants still point at the arrays of 'cfg': clear those pointers
     * before duplicating, so that config_destroy() after a failure frees only what is ours. */
    for (size_t i = 0; c->ports && i < cfg->n_ports; i++) {
        c->ports[i].static_neighbors = NULL;
    }
    for (size_t i = 0; c->tenants && i < cfg->n_tenants; i++) {
        c->tenants[i].subnets = NULL;
        c->tenants[i].forward_prefixes = NULL;
        c->tenants[i].ext_routes = NULL;
        c->tenants[i].nat = NULL;
        c->tenants[i].routing = NULL;
        c->tenants[i].vpn = NULL;
    }
    for (size_t i = 0; ok && i < cfg->n_ports; i++) {
        c->ports[i].static_neighbors =
            dup_array(cfg->ports[i].static_neighbors, cfg->ports[i].n_static_neighbors,
                      sizeof(struct config_neighbor), &ok);
    }
    for (size_t i = 0; ok && i < cfg->n_tenants; i++) {
        const struct config_tenant *t = &cfg->tenants[i];
        struct config_nat *nat;

        c->tenants[i].subnets = dup_array(t->subnets, t->n_subnets, sizeof *t->subnets, &ok);
        c->tenants[i].forward_prefixes =
            dup_array(t->forward_prefixes, t->n_forward_prefixes, sizeof *t->forward_prefixes, &ok);
        c->tenants[i].ext_routes =
            dup_array(t->ext_routes, t->n_ext_routes, sizeof *t->ext_routes, &ok);
        if (t->routing) {
            struct config_routing *r = c->tenants[i].routing =
                dup_array(t->routing, 1, sizeof *t->routing, &ok);
            if (r) {
                r->neighbors = dup_array(t->routing->neighbors, t->routing->n_neighbors,
                                         sizeof *r->neighbors, &ok);
                r->networks = dup_array(t->routing->networks, t->routing->n_networks,
                                        sizeof *r->networks, &ok);
                r->extra_config = NULL;
                if (t->routing->extra_config &&
                    !(r->extra_config = strdup(t->routing->extra_config))) {
                    ok = false;
                }
            }
        }
        if (t->vpn) {
            struct config_vpn *v = c->tenants[i].vpn = dup_array(t->vpn, 1, sizeof *t->vpn, &ok);
            if (v) {
                v->tunnels = dup_array(t->vpn->tunnels, t->vpn->n_tunnels, sizeof *v->tunnels, &ok);
                for (size_t k = 0; k < t->vpn->n_tunnels; k++) {
                    if (v->tunnels) {
                        v->tunnels[k].routes =
                            dup_array(t->vpn->tunnels[k].routes, t->vpn->tunnels[k].n_routes,
                                      sizeof *v->tunnels[k].routes, &ok);
                    }
                }
                if (!v->tunnels) {
                    v->n_tunnels = 0; /* config_destroy() must not walk a missing array. */
                }
            }
        }
        if (!t->nat) {
            continue;
        }
        nat = c->tenants[i].nat = dup_array(t->nat, 1, sizeof *t->nat, &ok);
        if (nat) {
            nat->inside_prefixes = dup_array(t->nat->inside_prefixes, t->nat->n_inside_prefixes,
                                             sizeof *nat->inside_prefixes, &ok);
            nat->destinations = dup_array(t->nat->destinations, t->nat->n_destinations,
                                          sizeof *nat->destinations, &ok);
            nat->statics = dup_array(t->nat->statics, t->nat->n_statics, sizeof *nat->statics, &ok);
        }
    }
    if (!ok) {
        config_destroy(c);
        return NULL;
    }
    return c;
}
