/* SPDX-License-Identifier: Apache-2.0 */
/* The policy agent: desired data-plane state computed from a configuration, and the difference
 * between two such states applied to the data plane. See policy.h. */
#include "gateway/policy.h"
#include "gateway/cluster/cluster_config.h"

#include "gateway/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

/* DPDK port id of each configured port, by config index, as dp_port_add() assigned them (PCI
 * devices probed by the EAL come first, so ids need not follow config order). Ports are fixed
 * for the life of the process; until policy_add_ports() runs, ids are taken to be the index. */
static uint16_t port_ids[64];
static bool port_ids_known;

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

uint16_t
policy_port_id(size_t config_index)
{
    return port_ids_known && config_index < 64 ? port_ids[config_index] : (uint16_t)config_index;
}

int
policy_vm_port_of(const struct hnvgw_config *cfg, uint32_t vsid, uint32_t ca)
{
    for (size_t i = 0; i < cfg->n_ports; i++) {
        const struct config_port *p = &cfg->ports[i];
        if (p->kind == CONFIG_PORT_VM && p->vsid == vsid && p->ca.v4 == ca) {
            return policy_port_id(i);
        }
    }
    return -1;
}

static uint32_t
mask_of(uint8_t plen)
{
    return plen ? htonl(~0u << (32 - plen)) : 0;
}

/* One candidate with a single next hop. */
static struct rib_route
one(uint16_t tenant, uint32_t prefix, uint8_t plen, enum rib_source source, uint32_t id,
    uint32_t metric, struct dp_nexthop nh)
{
    struct rib_route r;

    memset(&r, 0, sizeof r);
    r.tenant = tenant;
    r.prefix = prefix & mask_of(plen);
    r.plen = plen;
    r.source = (uint8_t)source;
    r.id = id;
    r.metric = metric;
    r.n_nh = 1;
    r.nh[0] = nh;
    return r;
}

void
policy_customer_route(const struct config_route *c, struct rib_route *out)
{
    *out = one((uint16_t)c->tenant_id, c->prefix.addr.v4, c->prefix.plen, RIB_SRC_CUSTOMER,
               store_route_id(c), c->metric,
               c->on_link
                   ? (struct dp_nexthop){.type = DP_NH_CONNECTED, .vsid = c->vsid}
                   : (struct dp_nexthop){.type = DP_NH_CA, .vsid = c->vsid, .ip = c->next_hop.v4});
}

/* Writes the routes into tunnel 'tun' of tenant 'id' at 'r' and returns how many: its remote
 * selectors (policy mode; a route mode tunnel's are 0.0.0.0/0, which its routes replace). They
 * stay while the tunnel is down, so that its traffic is dropped rather than sent in clear by a
 * shorter route. The tunnel's reqid tells two tunnels' routes to one prefix apart. */
static size_t
vpn_routes(const struct config_vpn_tunnel *tun, uint16_t id, struct rib_route *r)
{
    const struct hnvgw_prefix *p =
        tun->mode == CONFIG_VPN_MODE_POLICY ? tun->remote_ts : tun->routes;
    size_t n = tun->mode == CONFIG_VPN_MODE_POLICY ? tun->n_remote_ts : tun->n_routes;

    for (size_t i = 0; i < n; i++) {
        r[i] = one(id, p[i].addr.v4, p[i].plen, RIB_SRC_VPN, tun->reqid, 0,
                   (struct dp_nexthop){.type = DP_NH_IPSEC, .reqid = tun->reqid});
    }
    return n;
}

struct rib_route *
policy_routes(const struct hnvgw_config *cfg, size_t *n)
{
    size_t cap = cfg->n_routes + 1, k = 0;
    struct rib_route *r;
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
            struct dp_nexthop nh = {.type = DP_NH_CONNECTED, .vsid = s->vsid};

            memcpy(nh.mac, s->gateway_mac.b, 6);
            r[k++] = one(id, s->prefix.addr.v4, s->prefix.plen, RIB_SRC_CONNECTED, 0, 0, nh);
            if (gateway) {
                r[k++] = one(id, s->gateway_ip.v4, 32, RIB_SRC_LOCAL, 0, 0,
                             (struct dp_nexthop){.type = DP_NH_LOCAL});
            }
        }
        for (size_t j = 0; gateway && j < t->n_ext_routes; j++) {
            const struct config_external_route *e = &t->ext_routes[j];
            uint32_t via = e->on_link ? 0 : e->next_hop.v4;
            r[k++] = one(id, e->prefix.addr.v4, e->prefix.plen, RIB_SRC_EXTERNAL, ntohl(via),
                         e->metric, (struct dp_nexthop){.type = DP_NH_EXTERNAL, .ip = via});
        }
        for (size_t j = 0; gateway && t->nat && j < t->nat->n_destinations; j++) {
            const struct hnvgw_prefix *p = &t->nat->destinations[j];
            /* The highest metric: an explicit route to the same prefix wins over NAT. */
            r[k++] = one(id, p->addr.v4, p->plen, RIB_SRC_NAT, 0, UINT32_MAX,
                         (struct dp_nexthop){.type = DP_NH_NAT, .ip = nat_next_hop(cfg, t->nat)});
        }
        for (size_t j = 0; gateway && t->nat && j < t->nat->n_public_ips; j++) {
            r[k++] = one(0, t->nat->public_ips[j].v4, 32, RIB_SRC_NAT_PUBLIC, id, 0,
                         (struct dp_nexthop){.type = DP_NH_NAT_PUBLIC});
        }
        for (size_t j = 0; gateway && t->vpn && j < t->vpn->n_tunnels; j++) {
            k += vpn_routes(&t->vpn->tunnels[j], id, &r[k]);
        }
        for (size_t j = 0; gateway && j < t->n_forward_prefixes; j++) {
            const struct hnvgw_prefix *p = &t->forward_prefixes[j];
            r[k++] = one(0, p->addr.v4, p->plen, RIB_SRC_FORWARD, id, 0,
                         (struct dp_nexthop){.type = DP_NH_TENANT, .tenant = id});
        }
    }
    for (size_t i = 0; i < cfg->n_routes; i++) {
        policy_customer_route(&cfg->routes[i], &r[k++]);
    }
    *n = k;
    return r;
}

void
policy_external_networks(const struct hnvgw_config *cfg, struct rib *rib)
{
    uint32_t prefixes[4];
    uint8_t plens[4];
    size_t n = 0;

    for (size_t p = 0; p < cfg->n_ports && n < 4; p++) {
        const struct config_port *port = &cfg->ports[p];
        if (port->kind == CONFIG_PORT_EXTERNAL && port->has_address) {
            prefixes[n] = port->address.addr.v4;
            plens[n++] = port->address.plen;
        }
    }
    rib_set_external_networks(rib, prefixes, plens, n);
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
    if (a->metrics != b->metrics || a->metrics_port != b->metrics_port ||
        !hnvgw_ip_equal(&a->metrics_ip, &b->metrics_ip)) {
        return "node metrics_listen";
    }
    if (a->max_lookups != b->max_lookups || a->max_routes != b->max_routes ||
        a->max_subnets != b->max_subnets) {
        return "node table sizes";
    }
    if (a->max_nat_sessions != b->max_nat_sessions || a->nat_port_block != b->nat_port_block) {
        return "node NAT sizes";
    }
    if (cluster_restart_needed(&a->cluster, &b->cluster)) {
        return "node cluster (but priority, preempt and switchover_hold)";
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
