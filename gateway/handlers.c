/* SPDX-License-Identifier: Apache-2.0 */
/* Control commands. Each builds its reply with jansson; none blocks the data plane. Changes go
 * through a copy of the running configuration and policy_apply(), so that a run-time add follows
 * exactly the rules (validation, precedence, rollback) that a reload does. */
#include "handlers.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <rte_ethdev.h>

#include "lib/log.h"
#include "gateway/cluster/cluster.h"
#include "gateway/nat/nat_commands.h"
#include "gateway/policy.h"

static const char *
mac_str(const uint8_t *b, char buf[HNVGW_MAC_STRLEN])
{
    struct hnvgw_mac m;
    memcpy(m.b, b, 6);
    return hnvgw_mac_format(&m, buf);
}

static const char *
arg(json_t *args, const char *key)
{
    json_t *v = json_object_get(args, key);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Parses an unsigned decimal argument; returns false (and writes err) when present but invalid. */
static bool
arg_uint(json_t *args, const char *key, uint32_t *out, bool *present, char *err)
{
    const char *s = arg(args, key);
    char *end;
    unsigned long v;

    *present = s != NULL;
    if (!s) {
        return true;
    }
    errno = 0;
    v = strtoul(s, &end, 10);
    if (!*s || *end || errno || v > UINT32_MAX) {
        snprintf(err, CTL_ERR_MAX, "%s: '%s' is not a number", key, s);
        return false;
    }
    *out = (uint32_t)v;
    return true;
}

static const char *
kind_name(enum dp_port_kind k)
{
    return k == DP_PORT_PROVIDER   ? "provider"
           : k == DP_PORT_EXTERNAL ? "external"
           : k == DP_PORT_VM       ? "vm"
                                   : "exception";
}

static int
show_ports(json_t *args, json_t **result, char *err, void *aux)
{
    struct gw_state *gw = aux;
    json_t *arr = json_array();
    char b1[HNVGW_IP_STRLEN], b2[HNVGW_MAC_STRLEN];

    (void)args;
    (void)err;
    for (unsigned i = 0; i < dp_port_count(gw->dp); i++) {
        uint16_t id;
        const struct dp_port_conf *pc = dp_port_conf(gw->dp, i, &id);
        struct rte_eth_stats st;
        struct rte_eth_link link;
        json_t *o = json_object();
        char addr[HNVGW_PFX_STRLEN];

        memset(&st, 0, sizeof st);
        rte_eth_stats_get(id, &st);
        rte_eth_link_get_nowait(id, &link);
        json_object_set_new(o, "name", json_string(pc->name));
        json_object_set_new(o, "kind", json_string(kind_name(pc->kind)));
        json_object_set_new(o, "port_id", json_integer(id));
        json_object_set_new(o, "link", json_string(link.link_status ? "up" : "down"));
        json_object_set_new(o, "mac", json_string(mac_str(pc->mac, b2)));
        if (pc->kind == DP_PORT_VM) {
            snprintf(addr, sizeof addr, "%s (vsid %u)", hnvgw_ip4_format(pc->ca, b1), pc->vsid);
        } else {
            snprintf(addr, sizeof addr, "%s/%u", hnvgw_ip4_format(pc->ip, b1), pc->plen);
        }
        json_object_set_new(o, "address", json_string(addr));
        json_object_set_new(o, "vlan", json_integer(pc->vlan));
        json_object_set_new(o, "mtu", json_integer(pc->mtu));
        json_object_set_new(o, "rx_packets", json_integer((json_int_t)st.ipackets));
        json_object_set_new(o, "tx_packets", json_integer((json_int_t)st.opackets));
        json_object_set_new(o, "rx_missed", json_integer((json_int_t)st.imissed));
        json_object_set_new(o, "rx_errors", json_integer((json_int_t)st.ierrors));
        json_object_set_new(o, "tx_errors", json_integer((json_int_t)st.oerrors));
        json_object_set_new(o, "devargs", json_string(pc->devargs));
        json_array_append_new(arr, o);
    }
    *result = arr;
    return 0;
}

static int
show_stats(json_t *args, json_t **result, char *err, void *aux)
{
    struct gw_state *gw = aux;
    struct dp_stats st;
    const char *all = arg(args, "all");
    bool show_all = all && (!strcmp(all, "yes") || !strcmp(all, "1") || !strcmp(all, "true"));
    json_t *counters, *drops, *o;
    uint64_t total_drops = 0;
    uint32_t worker;
    bool one_worker;

    if (!arg_uint(args, "worker", &worker, &one_worker, err)) {
        return EINVAL;
    }
    if (!one_worker) {
        dp_stats_sum(gw->dp, &st);
    } else if (dp_stats_worker(gw->dp, worker, &st) != 0) {
        snprintf(err, CTL_ERR_MAX, "worker: %u is not a worker (this node has %u)", worker,
                 dp_worker_count(gw->dp));
        return ENOENT;
    }
    counters = json_array();
    drops = json_array();
    o = json_object();
    for (unsigned i = 0; i < DP_N_COUNTERS; i++) {
        if (st.counter[i] || show_all) {
            json_t *c = json_object();
            json_object_set_new(c, "counter", json_string(dp_counter_names[i]));
            json_object_set_new(c, "value", json_integer((json_int_t)st.counter[i]));
            json_object_set_new(c, "meaning", json_string(dp_counter_help[i]));
            json_array_append_new(counters, c);
        }
    }
    for (unsigned i = 0; i < DP_N_DROPS; i++) {
        total_drops += st.drop[i];
        if (st.drop[i] || show_all) {
            json_t *d = json_object();
            json_object_set_new(d, "drop", json_string(dp_drop_names[i]));
            json_object_set_new(d, "count", json_integer((json_int_t)st.drop[i]));
            json_object_set_new(d, "meaning", json_string(dp_drop_help[i]));
            json_array_append_new(drops, d);
        }
    }
    json_object_set_new(o, "total_drops", json_integer((json_int_t)total_drops));
    json_object_set_new(o, "counters", counters);
    json_object_set_new(o, "drops", drops);
    *result = o;
    return 0;
}

static int
show_tenants(json_t *args, json_t **result, char *err, void *aux)
{
    struct gw_state *gw = aux;
    const struct hnvgw_config *cfg = gw->cfg;
    json_t *arr = json_array();
    char b[HNVGW_PFX_STRLEN], g[HNVGW_IP_STRLEN], m[HNVGW_MAC_STRLEN];

    (void)args;
    (void)err;
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const struct config_tenant *t = &cfg->tenants[i];
        for (size_t j = 0; j < t->n_subnets; j++) {
            const struct config_subnet *s = &t->subnets[j];
            struct dp_subnet ds;
            json_t *o = json_object();

            json_object_set_new(o, "tenant", json_string(t->name));
            json_object_set_new(o, "id", json_integer(t->id));
            json_object_set_new(o, "subnet", json_string(s->name));
            json_object_set_new(o, "vsid", json_integer(s->vsid));
            json_object_set_new(o, "prefix", json_string(hnvgw_prefix_format(&s->prefix, b)));
            json_object_set_new(o, "gateway", json_string(hnvgw_ip_format(&s->gateway_ip, g)));
            json_object_set_new(o, "gateway_mac",
                                json_string(hnvgw_mac_format(&s->gateway_mac, m)));
            if (dp_subnet_get(gw->dp, s->vsid, &ds) == 0) {
                json_object_set_new(o, "local_ports",
                                    json_integer(__builtin_popcountll(ds.local_ports)));
                json_object_set_new(o, "flood_pas", json_integer(ds.n_flood));
            }
            json_array_append_new(arr, o);
        }
    }
    *result = arr;
    return 0;
}

/* The name of DPDK port 'id', or "?". */
static const char *
port_name(const struct dp *dp, uint16_t id)
{
    for (unsigned i = 0; i < dp_port_count(dp); i++) {
        uint16_t k;
        const struct dp_port_conf *pc = dp_port_conf(dp, i, &k);

        if (k == id) {
            return pc->name;
        }
    }
    return "?";
}

/* "show compartments": each tenant compartment the data plane reaches (and the IKE daemon's,
 * domain 0), where (port and 802.1Q tag) and what went each way. */
static int
show_compartments(json_t *args, json_t **result, char *err, void *aux)
{
    struct gw_state *gw = aux;
    const struct hnvgw_config *cfg = gw->cfg;
    json_t *arr = json_array();

    (void)args;
    (void)err;
    for (size_t i = 0; i <= cfg->n_tenants; i++) {
        const struct config_tenant *t = i < cfg->n_tenants ? &cfg->tenants[i] : NULL;
        uint16_t domain = t ? (uint16_t)t->id : 0;
        struct dp_compartment_stats st;
        json_t *o;

        if (dp_compartment_stats(gw->dp, domain, &st) != 0) {
            continue;
        }
        o = json_object();
        json_object_set_new(o, "tenant", json_string(t ? t->name : "(IKE daemon)"));
        json_object_set_new(o, "id", json_integer(domain));
        json_object_set_new(o, "port", json_string(port_name(gw->dp, st.port)));
        json_object_set_new(o, "tag", json_integer(st.tag));
        json_object_set_new(o, "punted", json_integer((json_int_t)st.punted));
        json_object_set_new(o, "injected", json_integer((json_int_t)st.injected));
        json_array_append_new(arr, o);
    }
    *result = arr;
    return 0;
}

/* Filter and output state for "show lookup". */
struct lookup_show {
    json_t *arr;               /* Rows. */
    bool has_vsid;             /* Filter by vsid. */
    uint32_t vsid;             /* The VSID filter. */
    bool has_ca;               /* Filter by CA. */
    uint32_t ca;               /* The CA filter. */
    uint32_t limit;            /* Rows at most. */
    uint32_t matched;          /* Rows matching the filter, shown or not. */
    const struct store *store; /* Where each record's origin is. */
};

static bool
lookup_row(uint32_t vsid, uint32_t ca, const struct dp_lookup *rec, void *aux)
{
    static const char *const types[] = {"Static", "Dynamic", "L2Only", "GatewayWildcard"};
    struct lookup_show *ls = aux;
    char b1[HNVGW_IP_STRLEN], b2[HNVGW_IP_STRLEN], b3[HNVGW_MAC_STRLEN];
    json_t *o;

    if ((ls->has_vsid && vsid != ls->vsid) || (ls->has_ca && ca != ls->ca)) {
        return true;
    }
    if (ls->matched++ >= ls->limit) {
        return true;
    }
    o = json_object();
    json_object_set_new(o, "vsid", json_integer(vsid));
    json_object_set_new(o, "ca", json_string(hnvgw_ip4_format(ca, b1)));
    json_object_set_new(o, "pa", json_string(hnvgw_ip4_format(rec->pa, b2)));
    json_object_set_new(o, "mac", json_string(mac_str(rec->mac, b3)));
    json_object_set_new(o, "rule", json_string(rec->rule == DP_LK_NAT ? "NAT" : "Encap"));
    json_object_set_new(o, "type", json_string(types[rec->type & 3]));
    json_object_set_new(o, "local", json_string(rec->local_port >= 0 ? "yes" : "no"));
    struct config_lookup held;
    enum store_origin origin;
    json_object_set_new(o, "origin",
                        json_string(store_lookup_get(ls->store, vsid, ca, &held, &origin)
                                        ? store_origin_name(origin)
                                        : "?"));
    json_array_append_new(ls->arr, o);
    return true;
}

static int
show_lookup(json_t *args, json_t **result, char *err, void *aux)
{
    struct gw_state *gw = aux;
    struct lookup_show ls = {.limit = 1000, .store = gw->store};
    const char *ca = arg(args, "ca");
    bool has_limit;

    if (!arg_uint(args, "vsid", &ls.vsid, &ls.has_vsid, err) ||
        !arg_uint(args, "limit", &ls.limit, &has_limit, err)) {
        return EINVAL;
    }
    if (ca) {
        struct hnvgw_ip ip;
        if (!hnvgw_ip_parse(ca, &ip) || ip.family != HNVGW_AF_INET) {
            snprintf(err, CTL_ERR_MAX, "ca: '%s' is not an IPv4 address", ca);
            return EINVAL;
        }
        ls.has_ca = true;
        ls.ca = ip.v4;
    }
    ls.arr = json_array();
    dp_lookup_iterate(gw->dp, lookup_row, &ls);
    json_t *o = json_object();
    json_object_set_new(o, "total", json_integer(dp_lookup_count(gw->dp)));
    json_object_set_new(o, "matched", json_integer(ls.matched));
    json_object_set_new(o, "records", ls.arr);
    *result = o;
    return 0;
}

/* How a next hop reads in "show routes". */
static void
nh_text(const struct gw_state *gw, const struct dp_nexthop *n, char *nh, size_t len)
{
    char b[HNVGW_IP_STRLEN];

    switch (n->type) {
    case DP_NH_CONNECTED:
        snprintf(nh, len, "vsid %u (on-link)", n->vsid);
        break;
    case DP_NH_CA:
        snprintf(nh, len, "%s vsid %u", hnvgw_ip4_format(n->ip, b), n->vsid);
        break;
    case DP_NH_EXTERNAL:
        snprintf(nh, len, "external %s", n->ip ? hnvgw_ip4_format(n->ip, b) : "on-link");
        break;
    case DP_NH_LOCAL:
        snprintf(nh, len, "local");
        break;
    case DP_NH_TENANT:
        snprintf(nh, len, "tenant %s", config_tenant_name(gw->cfg, n->tenant));
        break;
    case DP_NH_NAT:
        snprintf(nh, len, "nat, external %s", n->ip ? hnvgw_ip4_format(n->ip, b) : "on-link");
        break;
    case DP_NH_NAT_PUBLIC:
        snprintf(nh, len, "nat public address");
        break;
    case DP_NH_UNREACHABLE:
        snprintf(nh, len, "unreachable");
        break;
    case DP_NH_ECMP:
        snprintf(nh, len, "ecmp over %u next hops", n->n_members);
        break;
    case DP_NH_IPSEC: {
        const struct config_tenant *t = NULL;
        const struct config_vpn_tunnel *tun = config_find_vpn_tunnel(gw->cfg, n->reqid, &t);
        snprintf(nh, len, "tunnel %s (reqid %u)", tun ? tun->name : "?", n->reqid);
        break;
    }
    default:
        snprintf(nh, len, "drop");
    }
}

/* Adds the learned routes to "show routes". */
struct learned_rows {
    const struct gw_state *gw; /* For names. */
    const char *tname;         /* Tenant filter, or NULL. */
    json_t *arr;               /* Rows. */
};

static bool
learned_row(const struct learned_info *in, void *aux)
{
    struct learned_rows *lr = aux;
    const char *name = config_tenant_name(lr->gw->cfg, in->tenant);
    char p[HNVGW_PFX_STRLEN], nh[64], b[HNVGW_IP_STRLEN];
    json_t *o;

    /* Those in the FIB are the RIB's rows already. */
    if (in->state == LEARNED_INSTALLED || (lr->tname && strcmp(lr->tname, name))) {
        return true;
    }
    snprintf(nh, sizeof nh, "%s (%s)",
             in->route.n_nexthops ? hnvgw_ip_format(&in->route.nh[0].gateway, b) : "-",
             learned_state_name(in->state));
    o = json_object();
    json_object_set_new(o, "tenant", json_string(name));
    json_object_set_new(o, "prefix", json_string(hnvgw_prefix_format(&in->route.prefix, p)));
    json_object_set_new(o, "source", json_string(rib_source_name(RIB_SRC_LEARNED)));
    json_object_set_new(o, "distance", json_integer(rib_distance(RIB_SRC_LEARNED)));
    json_object_set_new(o, "metric", json_integer(in->route.metric));
    json_object_set_new(o, "next_hop", json_string(nh));
    json_object_set_new(o, "installed", json_boolean(false));
    json_array_append_new(lr->arr, o);
    return true;
}

/* The best routes of the RIB, gathered for sorting. */
struct best_rows {
    struct rib_route *r; /* Owned array. */
    size_t n, cap;       /* Entries used and allocated. */
    int tenant;          /* Filter (-1: all). */
    bool oom;            /* An allocation failed. */
};

static bool
best_row(const struct rib_route *best, void *aux)
{
    struct best_rows *br = aux;

    if (br->n == br->cap) {
        size_t cap = br->cap ? br->cap * 2 : 256;
        struct rib_route *grown = realloc(br->r, cap * sizeof *grown);
        if (!grown) {
            br->oom = true;
            return false;
        }
        br->r = grown;
        br->cap = cap;
    }
    br->r[br->n++] = *best;
    return true;
}

static int
best_cmp(const void *a, const void *b)
{
    const struct rib_route *x = a, *y = b;

    if (x->tenant != y->tenant) {
        return x->tenant < y->tenant ? -1 : 1;
    }
    if (x->prefix != y->prefix) {
        return ntohl(x->prefix) < ntohl(y->prefix) ? -1 : 1;
    }
    return x->plen < y->plen ? -1 : x->plen > y->plen;
}

static int
show_routes(json_t *args, json_t **result, char *err, void *aux)
{
    struct gw_state *gw = aux;
    const char *tname = arg(args, "tenant");
    struct best_rows br = {.tenant = -1};
    json_t *arr = json_array();

    if (tname) {
        br.tenant = -2; /* No such tenant: no rows. */
        for (size_t i = 0; i < gw->cfg->n_tenants; i++) {
            if (!strcmp(gw->cfg->tenants[i].name, tname)) {
                br.tenant = (int)gw->cfg->tenants[i].id;
            }
        }
        if (!strcmp(tname, "(external)")) {
            br.tenant = 0;
        }
    }
    if (br.tenant != -2) {
        rib_iterate_best(gw->rib, br.tenant, best_row, &br);
    }
    if (br.oom) {
        free(br.r);
        json_decref(arr);
        snprintf(err, CTL_ERR_MAX, "out of memory");
        return ENOMEM;
    }
    qsort(br.r, br.n, sizeof *br.r, best_cmp);
    for (size_t i = 0; i < br.n; i++) {
        const struct rib_route *r = &br.r[i];
        char p[HNVGW_PFX_STRLEN], nh[64];
        struct hnvgw_prefix pfx = {.addr = hnvgw_ip4(r->prefix), .plen = r->plen};
        json_t *o;

        if (r->n_nh > 1) {
            snprintf(nh, sizeof nh, "ecmp over %u next hops", r->n_nh);
        } else {
            nh_text(gw, &r->nh[0], nh, sizeof nh);
        }
        o = json_object();
        json_object_set_new(o, "tenant", json_string(config_tenant_name(gw->cfg, r->tenant)));
        json_object_set_new(o, "prefix", json_string(hnvgw_prefix_format(&pfx, p)));
        json_object_set_new(o, "source", json_string(rib_source_name(r->source)));
        json_object_set_new(o, "distance", json_integer(rib_distance(r->source)));
        json_object_set_new(o, "metric", json_integer(r->metric));
        json_object_set_new(o, "next_hop", json_string(nh));
        json_object_set_new(o, "installed", json_true());
        json_array_append_new(arr, o);
    }
    free(br.r);
    if (gw->routing.learned) {
        struct learned_rows lr = {.gw = gw, .tname = tname, .arr = arr};
        learned_iterate(gw->routing.learned, 0, learned_row, &lr);
    }
    *result = arr;
    return 0;
}

/* "show bgp": the BGP neighbors of a tenant's FRR, read from its bgpd ("show bgp summary json"
 * through vtysh on the instance's own vty socket; "show bgp vrf NAME summary json" in the shared
 * instance). */
static int
show_bgp(json_t *args, json_t **result, char *err, void *aux)
{
    struct gw_state *gw = aux;
    const char *tname = arg(args, "tenant");
    const struct tenant_routing_tenant *rt = tenant_routing_find(&gw->routing, tname);
    const struct frr_instance *fi = rt ? rt->fi : NULL;
    char cmd[512];
    json_error_t jerr;
    json_t *summary, *arr, *af;
    const char *af_name;
    FILE *p;

    if (!fi) {
        snprintf(err, CTL_ERR_MAX, "tenant=%s: no such tenant with a routing section",
                 tname ? tname : "(missing)");
        return ENOENT;
    }
    snprintf(cmd, sizeof cmd, "vtysh --vty_socket '%s' -d bgpd -c 'show bgp%s%s summary json' 2>&1",
             fi->dir, rt->vrf[0] ? " vrf " : "", rt->vrf);
    p = popen(cmd, "r");
    summary = p ? json_loadf(p, JSON_DISABLE_EOF_CHECK, &jerr) : NULL;
    if (p) {
        pclose(p);
    }
    if (!summary) {
        snprintf(err, CTL_ERR_MAX, "tenant %s: no answer from bgpd (is it running?)", rt->name);
        return EIO;
    }
    arr = json_array();
    json_object_foreach(summary, af_name, af)
    {
        json_t *peers = json_object_get(af, "peers"), *pv;
        const char *peer;

        json_object_foreach(peers, peer, pv)
        {
            json_t *o = json_object();
            json_object_set_new(o, "tenant", json_string(rt->name));
            json_object_set_new(o, "family", json_string(af_name));
            json_object_set_new(o, "neighbor", json_string(peer));
            json_object_set(o, "remote_as", json_object_get(pv, "remoteAs"));
            json_object_set(o, "state", json_object_get(pv, "state"));
            json_object_set(o, "uptime", json_object_get(pv, "peerUptime"));
            json_object_set(o, "prefixes_received", json_object_get(pv, "pfxRcd"));
            json_object_set(o, "prefixes_sent", json_object_get(pv, "pfxSnt"));
            json_array_append_new(arr, o);
        }
    }
    json_decref(summary);
    *result = arr;
    return 0;
}

static int
show_fpm(json_t *args, json_t **result, char *err, void *aux)
{
    struct gw_state *gw = aux;
    /* Every tenant's listener, however many (a fixed array would hide those beyond it). */
    size_t max = gw->routing.fpm ? fpm_server_listeners(gw->routing.fpm, NULL, 0) : 0, n;
    struct fpm_listener_info *info = calloc(max ? max : 1, sizeof *info);
    json_t *arr;

    (void)args;
    if (!info) {
        snprintf(err, CTL_ERR_MAX, "out of memory");
        return ENOMEM;
    }
    n = max ? fpm_server_listeners(gw->routing.fpm, info, max) : 0;
    arr = json_array();
    for (size_t i = 0; i < n && i < max; i++) {
        json_t *o = json_object(), *errs = json_object();

        json_object_set_new(
            o, "tenant",
            json_string(info[i].shared ? "(shared)" : config_tenant_name(gw->cfg, info[i].tenant)));
        json_object_set_new(o, "shared", json_boolean(info[i].shared));
        json_object_set_new(o, "tenants", json_integer((json_int_t)info[i].n_tenants));
        json_object_set_new(o, "unknown_table", json_integer((json_int_t)info[i].unknown_table));
        json_object_set_new(o, "port", json_integer(info[i].port));
        json_object_set_new(o, "connected", json_boolean(info[i].connected));
        json_object_set_new(o, "connects", json_integer((json_int_t)info[i].connects));
        json_object_set_new(o, "frames", json_integer((json_int_t)info[i].frames_total));
        json_object_set_new(o, "frames_refused", json_integer((json_int_t)info[i].refused_total));
        json_object_set_new(o, "closed_bad_stream", json_integer((json_int_t)info[i].closed_bad));
        json_object_set_new(o, "routes_added",
                            json_integer((json_int_t)info[i].stats.routes_added));
        json_object_set_new(o, "routes_deleted",
                            json_integer((json_int_t)info[i].stats.routes_deleted));
        json_object_set_new(o, "ignored", json_integer((json_int_t)info[i].stats.ignored));
        json_object_set_new(o, "sweeps", json_integer((json_int_t)info[i].sweeps));
        json_object_set_new(o, "swept", json_integer((json_int_t)info[i].swept));
        for (unsigned e = 0; e < FPM_N_ERRORS; e++) {
            json_object_set_new(errs, fpm_error_names[e],
                                json_integer((json_int_t)info[i].stats.error[e]));
        }
        json_object_set_new(o, "errors", errs);
        json_array_append_new(arr, o);
    }
    free(info);
    *result = arr;
    return 0;
}

static bool
neigh_row(uint16_t port, uint32_t ip, const uint8_t mac[6], unsigned age, void *aux)
{
    json_t *arr = aux, *o = json_object();
    char b1[HNVGW_IP_STRLEN], b2[HNVGW_MAC_STRLEN];

    json_object_set_new(o, "port_id", json_integer(port));
    json_object_set_new(o, "ip", json_string(hnvgw_ip4_format(ip, b1)));
    json_object_set_new(o, "mac", json_string(mac_str(mac, b2)));
    json_object_set_new(o, "age", age == UINT32_MAX ? json_string("static") : json_integer(age));
    json_array_append_new(arr, o);
    return true;
}

static int
show_neighbors(json_t *args, json_t **result, char *err, void *aux)
{
    struct gw_state *gw = aux;
    json_t *arr = json_array();

    (void)args;
    (void)err;
    dp_neigh_iterate(gw->dp, neigh_row, arr);
    *result = arr;
    return 0;
}

/* Replaces the running config with 'next' after the store applied the difference; frees the
 * loser. */
static int
commit(struct gw_state *gw, struct hnvgw_config *next, char *err)
{
    char dperr[DP_ERR_MAX];
    int ret = store_apply_config(gw->store, next, dperr);

    if (ret) {
        snprintf(err, CTL_ERR_MAX, "%s", dperr);
        config_destroy(next);
        return ret;
    }
    /* Subnets and tunnels may have moved: learned next hops resolve again. */
    tenant_routing_reconfigure(&gw->routing);
    struct vpn_tenant *vt = gw_vpn_tenants(next);
    if (vt) {
        vpn_reconfigure(&gw->vpn, vt, next->n_tenants);
    } else {
        log_err("vpn: out of memory for the tenant table");
    }
    free(vt);
    config_destroy(gw->cfg);
    gw->cfg = next;
    return 0;
}

/* Parses the arguments of a lookup record ("add lookup"). */
static bool
parse_lookup(json_t *args, struct config_lookup *rec, char *err)
{
    const char *ca = arg(args, "ca"), *pa = arg(args, "pa"), *mac = arg(args, "mac");
    const char *rule = arg(args, "rule"), *type = arg(args, "type");
    bool has_vsid;

    memset(rec, 0, sizeof *rec);
    if (!arg_uint(args, "vsid", &rec->vsid, &has_vsid, err)) {
        return false;
    }
    if (!has_vsid || !ca || !pa || !mac) {
        snprintf(err, CTL_ERR_MAX, "add lookup needs vsid=, ca=, pa= and mac=");
        return false;
    }
    if (!hnvgw_ip_parse(ca, &rec->ca) || rec->ca.family != HNVGW_AF_INET) {
        snprintf(err, CTL_ERR_MAX, "ca: '%s' is not an IPv4 address", ca);
        return false;
    }
    if (!hnvgw_ip_parse(pa, &rec->pa) || rec->pa.family != HNVGW_AF_INET) {
        snprintf(err, CTL_ERR_MAX, "pa: '%s' is not an IPv4 address", pa);
        return false;
    }
    if (!hnvgw_mac_parse(mac, &rec->mac)) {
        snprintf(err, CTL_ERR_MAX, "mac: '%s' is not a MAC address", mac);
        return false;
    }
    rec->rule = CONFIG_RULE_ENCAP;
    if (rule && !strcasecmp(rule, "nat")) {
        rec->rule = CONFIG_RULE_NAT;
    } else if (rule && strcasecmp(rule, "encap")) {
        snprintf(err, CTL_ERR_MAX, "rule: '%s' is not encap or nat", rule);
        return false;
    }
    rec->type = CONFIG_TYPE_STATIC;
    if (type) {
        static const char *const names[] = {"static", "dynamic", "l2only", "gatewaywildcard"};
        size_t i;
        for (i = 0; i < 4 && strcasecmp(type, names[i]); i++) {
        }
        if (i == 4) {
            snprintf(err, CTL_ERR_MAX,
                     "type: '%s' is not static, dynamic, l2only or gatewaywildcard", type);
            return false;
        }
        rec->type = (enum config_lookup_type)i;
    }
    return true;
}

static int
add_lookup(json_t *args, json_t **result, char *err, void *aux)
{
    struct gw_state *gw = aux;
    struct config_lookup rec, old;
    char b[HNVGW_IP_STRLEN];
    int ret;

    if (!parse_lookup(args, &rec, err)) {
        return EINVAL;
    }
    if (store_lookup_get(gw->store, rec.vsid, rec.ca.v4, &old, NULL)) {
        snprintf(err, CTL_ERR_MAX,
                 "vsid %u ca %s already has a lookup record (move lookup changes it)", rec.vsid,
                 hnvgw_ip_format(&rec.ca, b));
        return EEXIST;
    }
    ret = store_lookup_set(gw->store, &rec, STORE_ORIGIN_CLI, err);
    if (!ret) {
        log_info("lookup record added: vsid %u ca %s", rec.vsid, hnvgw_ip_format(&rec.ca, b));
        *result = json_string("lookup record added");
    }
    return ret;
}

/* "move lookup": the CA of an existing record moves to a new PA and MAC in one update. */
static int
move_lookup(json_t *args, json_t **result, char *err, void *aux)
{
    struct gw_state *gw = aux;
    struct config_lookup rec, old;
    enum store_origin origin;
    char b[HNVGW_IP_STRLEN], p[HNVGW_IP_STRLEN];
    int ret;

    if (!parse_lookup(args, &rec, err)) {
        return EINVAL;
    }
    if (!store_lookup_get(gw->store, rec.vsid, rec.ca.v4, &old, &origin)) {
        snprintf(err, CTL_ERR_MAX, "no lookup record for vsid %u ca %s", rec.vsid,
                 hnvgw_ip_format(&rec.ca, b));
        return ENOENT;
    }
    /* The move keeps the record's origin: a file record moved by hand is still the file's,
     * and the next reload puts it back where the file says. */
    ret = store_lookup_set(gw->store, &rec, origin, err);
    if (!ret) {
        log_info("lookup record moved: vsid %u ca %s to pa %s", rec.vsid,
                 hnvgw_ip_format(&rec.ca, b), hnvgw_ip_format(&rec.pa, p));
        *result = json_string("lookup record moved");
    }
    return ret;
}

static int
remove_lookup(json_t *args, json_t **result, char *err, void *aux)
{
    struct gw_state *gw = aux;
    const char *ca = arg(args, "ca");
    struct hnvgw_ip ip = {0};
    uint32_t vsid;
    bool has_vsid;

    if (!arg_uint(args, "vsid", &vsid, &has_vsid, err)) {
        return EINVAL;
    }
    if (!has_vsid || !ca || !hnvgw_ip_parse(ca, &ip) || ip.family != HNVGW_AF_INET) {
        snprintf(err, CTL_ERR_MAX, "remove lookup needs vsid= and an IPv4 ca=");
        return EINVAL;
    }
    if (store_lookup_del(gw->store, vsid, ip.v4)) {
        snprintf(err, CTL_ERR_MAX, "no lookup record for vsid %u ca %s", vsid, ca);
        return ENOENT;
    }
    log_info("lookup record removed: vsid %u ca %s", vsid, ca);
    *result = json_string("lookup record removed");
    return 0;
}

/* Parses "add route"/"remove route" arguments; 'need_nh' requires next_hop. */
static bool
parse_route(struct gw_state *gw, json_t *args, struct config_route *rt, bool need_nh, char *err)
{
    const char *tenant = arg(args, "tenant"), *prefix = arg(args, "prefix");
    const char *nh = arg(args, "next_hop");
    const struct config_tenant *t = NULL;
    bool has_vsid, has_metric;

    memset(rt, 0, sizeof *rt);
    if (!arg_uint(args, "vsid", &rt->vsid, &has_vsid, err) ||
        !arg_uint(args, "metric", &rt->metric, &has_metric, err)) {
        return false;
    }
    for (size_t i = 0; tenant && i < gw->cfg->n_tenants; i++) {
        if (!strcmp(gw->cfg->tenants[i].name, tenant)) {
            t = &gw->cfg->tenants[i];
        }
    }
    if (!t) {
        snprintf(err, CTL_ERR_MAX, "tenant: '%s' is not a configured tenant", tenant ? tenant : "");
        return false;
    }
    rt->tenant_id = t->id;
    if (!prefix || !hnvgw_prefix_parse(prefix, &rt->prefix) ||
        rt->prefix.addr.family != HNVGW_AF_INET || !hnvgw_prefix_is_canonical(&rt->prefix)) {
        snprintf(err, CTL_ERR_MAX, "prefix: '%s' is not a canonical IPv4 prefix",
                 prefix ? prefix : "");
        return false;
    }
    if (nh) {
        if (!hnvgw_ip_parse(nh, &rt->next_hop) || rt->next_hop.family != HNVGW_AF_INET) {
            snprintf(err, CTL_ERR_MAX, "next_hop: '%s' is not an IPv4 address", nh);
            return false;
        }
        rt->on_link = rt->next_hop.v4 == 0;
    } else if (need_nh) {
        snprintf(err, CTL_ERR_MAX, "add route needs tenant=, vsid=, prefix= and next_hop=");
        return false;
    }
    if (need_nh && !has_vsid) {
        snprintf(err, CTL_ERR_MAX, "add route needs tenant=, vsid=, prefix= and next_hop=");
        return false;
    }
    return true;
}

static int
add_route(json_t *args, json_t **result, char *err, void *aux)
{
    struct gw_state *gw = aux;
    struct config_route rt;
    int ret;

    if (!parse_route(gw, args, &rt, true, err)) {
        return EINVAL;
    }
    ret = store_route_add(gw->store, &rt, err);
    if (!ret) {
        *result = json_string("customer route added");
    }
    return ret;
}

static int
remove_route(json_t *args, json_t **result, char *err, void *aux)
{
    struct gw_state *gw = aux;
    struct config_route rt;
    size_t removed;

    if (!parse_route(gw, args, &rt, false, err)) {
        return EINVAL;
    }
    removed = store_route_del(gw->store, rt.tenant_id, &rt.prefix,
                              rt.next_hop.family ? &rt.next_hop : NULL);
    if (!removed) {
        snprintf(err, CTL_ERR_MAX, "no such customer route");
        return ENOENT;
    }
    *result = json_sprintf("%zu customer route(s) removed", removed);
    return 0;
}

struct vpn_tenant *
gw_vpn_tenants(const struct hnvgw_config *cfg)
{
    struct vpn_tenant *vt = calloc(cfg->n_tenants ? cfg->n_tenants : 1, sizeof *vt);

    for (size_t i = 0; vt && i < cfg->n_tenants; i++) {
        snprintf(vt[i].name, sizeof vt[i].name, "%s", cfg->tenants[i].name);
        vt[i].id = cfg->tenants[i].id;
        vt[i].vpn = cfg->tenants[i].vpn;
    }
    return vt;
}

int
gw_reload(struct gw_state *gw, char *err)
{
    struct hnvgw_config *next = NULL;
    const char *why;
    int ret = config_load(gw->path, &next, err);

    if (ret) {
        log_err("reload rejected, running state kept: %s", err);
        return ret;
    }
    why = policy_restart_needed(gw->cfg, next);
    if (why) {
        snprintf(err, CONFIG_ERR_MAX, "%s: changing %s needs a restart; running state kept",
                 gw->path, why);
        log_err("reload rejected: %s", err);
        config_destroy(next);
        return EINVAL;
    }
    ret = commit(gw, next, err);
    if (ret) {
        log_err("reload failed, running state kept: %s", err);
        return ret;
    }
    cluster_reconfigure(gw->cluster, gw->cfg);
    gw->reloads++;
    log_info("reloaded %s: %zu tenants, %zu lookup records, %zu customer routes", gw->path,
             gw->cfg->n_tenants, gw->cfg->n_lookups, gw->cfg->n_routes);
    return 0;
}

static int
do_reload(json_t *args, json_t **result, char *err, void *aux)
{
    struct gw_state *gw = aux;
    char cerr[CONFIG_ERR_MAX];
    int ret;

    (void)args;
    ret = gw_reload(gw, cerr);
    if (ret) {
        snprintf(err, CTL_ERR_MAX, "%s", cerr);
        return ret;
    }
    *result = json_string("reloaded");
    return 0;
}

static int
show_status(json_t *args, json_t **result, char *err, void *aux)
{
    struct gw_state *gw = aux;
    json_t *o = json_object();
    const struct hnvgw_config *cfg = gw->cfg;

    (void)args;
    (void)err;
    json_object_set_new(o, "node", json_string(cfg->node_name));
    json_object_set_new(
        o, "roles",
        json_string((cfg->roles & CONFIG_ROLE_GATEWAY) && (cfg->roles & CONFIG_ROLE_HOST)
                        ? "gateway,host"
                    : cfg->roles & CONFIG_ROLE_GATEWAY ? "gateway"
                                                       : "host"));
    json_object_set_new(o, "config", json_string(gw->path));
    json_object_set_new(o, "uptime_s", json_integer(time(NULL) - gw->started));
    json_object_set_new(o, "reloads", json_integer(gw->reloads));
    json_object_set_new(o, "workers", json_integer(cfg->workers));
    json_object_set_new(o, "tenants", json_integer((json_int_t)cfg->n_tenants));
    json_object_set_new(o, "lookup_records", json_integer(dp_lookup_count(gw->dp)));
    json_object_set_new(o, "table_memory_mib", json_integer((json_int_t)(dp_heap_used() >> 20)));
    *result = o;
    return 0;
}

static int
trace_start(json_t *args, json_t **result, char *err, void *aux)
{
    struct gw_state *gw = aux;
    uint32_t count = 10;
    bool given;

    if (!arg_uint(args, "count", &count, &given, err)) {
        return EINVAL;
    }
    if (count < 1 || count > 1000) {
        snprintf(err, CTL_ERR_MAX, "count: %u is out of range 1..1000", count);
        return EINVAL;
    }
    dp_trace_start(gw->dp, count);
    *result = json_sprintf("tracing the next %u packets; see 'show trace'", count);
    return 0;
}

static void
trace_row(unsigned worker, uint32_t pkt, const char *line, void *aux)
{
    json_t *o = json_object();

    json_object_set_new(o, "worker", json_integer(worker));
    json_object_set_new(o, "packet", json_integer(pkt));
    json_object_set_new(o, "event", json_string(line));
    json_array_append_new(aux, o);
}

static int
show_trace(json_t *args, json_t **result, char *err, void *aux)
{
    struct gw_state *gw = aux;
    json_t *arr = json_array();

    (void)args;
    (void)err;
    dp_trace_lines(gw->dp, trace_row, arr);
    *result = arr;
    return 0;
}

void
handlers_register(struct gw_state *gw)
{
    ctl_server_register(gw->ctl, "trace start",
                        "trace the next packets through every stage [count=N, default 10]",
                        trace_start, gw);
    ctl_server_register(gw->ctl, "show trace", "what each traced packet met, stage by stage",
                        show_trace, gw);
    ctl_server_register(gw->ctl, "show status", "node, roles, uptime and table sizes", show_status,
                        gw);
    ctl_server_register(gw->ctl, "show ports", "ports with link state and packet counters",
                        show_ports, gw);
    ctl_server_register(gw->ctl, "show stats",
                        "per-stage counters and named drop reasons [all=yes] [worker=N]",
                        show_stats, gw);
    ctl_server_register(gw->ctl, "show tenants", "tenants and their virtual subnets", show_tenants,
                        gw);
    ctl_server_register(gw->ctl, "show compartments",
                        "tenant compartments: exception port, 802.1Q tag, packets punted to and "
                        "injected by each",
                        show_compartments, gw);
    ctl_server_register(gw->ctl, "show lookup", "lookup records [vsid=N] [ca=IP] [limit=N]",
                        show_lookup, gw);
    ctl_server_register(gw->ctl, "show routes", "selected routes per tenant [tenant=NAME]",
                        show_routes, gw);
    ctl_server_register(gw->ctl, "show bgp",
                        "BGP neighbors of a tenant's FRR, read from its bgpd: tenant=NAME",
                        show_bgp, gw);
    ctl_server_register(gw->ctl, "show fpm",
                        "FPM connections of the tenants' zebras, with frame and error counters",
                        show_fpm, gw);
    ctl_server_register(gw->ctl, "show neighbors", "ARP cache of provider and external ports",
                        show_neighbors, gw);
    nat_commands_register(gw);
    ctl_server_register(gw->ctl, "add lookup",
                        "vsid= ca= pa= mac= [rule=encap|nat] [type=static|...]", add_lookup, gw);
    ctl_server_register(gw->ctl, "remove lookup", "vsid= ca=", remove_lookup, gw);
    ctl_server_register(gw->ctl, "move lookup",
                        "a CA moves to a new PA/MAC in one update: vsid= ca= pa= mac= [rule=] "
                        "[type=]",
                        move_lookup, gw);
    ctl_server_register(gw->ctl, "add route", "tenant= vsid= prefix= next_hop= [metric=]",
                        add_route, gw);
    ctl_server_register(gw->ctl, "remove route", "tenant= prefix= [next_hop=]", remove_route, gw);
    ctl_server_register(gw->ctl, "reload", "re-read the config file and apply the difference",
                        do_reload, gw);
}
