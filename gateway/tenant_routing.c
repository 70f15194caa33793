/* SPDX-License-Identifier: Apache-2.0 */
/* Dynamic routing per tenant (see tenant_routing.h). */
#include "gateway/tenant_routing.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "gateway/policy.h"
#include "routing/compartment.h"

static void
frr_log(const char *msg)
{
    log_info("%s", msg);
}

/* The compartment name of tenant 't'. */
static void
compartment_name(const struct config_tenant *t, char *buf, size_t len)
{
    snprintf(buf, len, "hnvgw-%s", t->name);
}

/* The MAC of tenant 'id's side of the exception port (its VLAN device in the compartment). */
static void
compartment_mac(uint32_t id, uint8_t mac[6])
{
    const uint8_t m[6] = {0x02, 0x00, 0xee, 0x01, (uint8_t)(id >> 8), (uint8_t)id};
    memcpy(mac, m, 6);
}

/* Which shared port the 'n'-th routed tenant's compartment is on. */
static unsigned
compartment_port(size_t n)
{
    return (unsigned)(n / DP_COMPARTMENT_TAGS);
}

int
tenant_routing_add_ports(struct dp *dp, const struct hnvgw_config *cfg, char *err)
{
    uint16_t ids[DP_COMPARTMENTS_MAX / DP_COMPARTMENT_TAGS + 1];
    unsigned n_ports = 0;
    size_t n = 0;

    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const struct config_tenant *t = &cfg->tenants[i];
        uint8_t mac[6];
        unsigned port;
        int ret;

        if (!t->routing) {
            continue;
        }
        port = compartment_port(n++);
        if (port >= sizeof ids / sizeof *ids) {
            snprintf(err, DP_ERR_MAX, "tenant %s: more than %u routed tenants", t->name,
                     DP_COMPARTMENTS_MAX);
            return ENOSPC;
        }
        if (port == n_ports) {
            struct dp_port_conf pc = {.kind = DP_PORT_EXCEPTION, .tagged = true, .mtu = 1500};
            const uint8_t own[6] = {0x02, 0x00, 0xef, 0x00, 0x00, (uint8_t)port};

            snprintf(pc.name, sizeof pc.name, "compartments%u", port);
            snprintf(pc.devargs, sizeof pc.devargs, "net_tap_xc%u,iface=hnvxc%u", port, port);
            memcpy(pc.mac, own, 6);
            ret = dp_port_add(dp, &pc, &ids[n_ports++], err);
            if (ret) {
                return ret;
            }
        }
        /* Known by its MAC, which its locked bridge port vouches for (compartment.h). */
        compartment_mac(t->id, mac);
        ret = dp_compartment_bind(dp, ids[port], (uint16_t)t->id, 0, mac, err);
        if (ret) {
            return ret;
        }
    }
    return 0;
}

static void log_fpm_trouble(void *tr_);

int
tenant_routing_choose(const struct hnvgw_config *cfg, size_t n_routed, bool *shared, char *err)
{
    char why[256];
    int ret;

    *shared = false;
    if (!n_routed || cfg->routing_daemons == CONFIG_ROUTING_PER_TENANT) {
        return 0;
    }
    ret = compartment_vrf_probe(why);
    if (!ret) {
        *shared = true;
        return 0;
    }
    if (cfg->routing_daemons == CONFIG_ROUTING_SHARED) {
        snprintf(err, 256,
                 "%.60s:%d: node routing_daemons: \"shared\", but %.120s; set \"auto\" or "
                 "\"per_tenant\"",
                 cfg->path, cfg->routing_daemons_line, why);
        return ret;
    }
    log_info("tenant routing: %s: one FRR per routed tenant", why);
    return 0;
}

/* The prefixes of 't''s subnets (owned by the caller), or NULL when out of memory. */
static struct hnvgw_prefix *
subnet_prefixes(const struct config_tenant *t)
{
    struct hnvgw_prefix *p = calloc(t->n_subnets + 1, sizeof *p);

    for (size_t s = 0; p && s < t->n_subnets; s++) {
        p[s] = t->subnets[s].prefix;
    }
    return p;
}

/* Connects the compartment at 'path' to the bridge of shared port 'port' by the veth pair of
 * tenant 't', its end in VRF 'vrf' (NULL: none) with table 'table'. */
static int
connect_tenant(const struct config_tenant *t, unsigned port, const char *path, const char *vrf,
               uint32_t table, char *err)
{
    /* The compartment's end of its veth to the shared port's bridge carries the tenant
     * gateway's own addresses. */
    struct hnvgw_prefix addrs[64];
    size_t n_addrs = 0;
    uint8_t mac[6];
    char ifname[24], hub[24], bridge[24];

    for (size_t s = 0; s < t->n_subnets && n_addrs < 64; s++) {
        addrs[n_addrs].addr = t->subnets[s].gateway_ip;
        addrs[n_addrs++].plen = t->subnets[s].prefix.plen;
    }
    compartment_mac(t->id, mac);
    snprintf(ifname, sizeof ifname, "hnvx%u", t->id);
    snprintf(hub, sizeof hub, "hnvxh%u", t->id);
    snprintf(bridge, sizeof bridge, "hnvxbr%u", port);
    return compartment_add_veth_vrf(path, bridge, hub, ifname, mac, addrs, n_addrs, vrf, table,
                                    err);
}

/* The shared FRR of the 'n' routed tenants of 'cfg' in the compartment at 'path': the FPM
 * listener with their tables, and the instance's configs. */
static int
start_shared(struct tenant_routing *tr, const struct hnvgw_config *cfg, const char *path, char *err)
{
    size_t n = tr->n_tenants, k = 0;
    struct fpm_table_map *map = calloc(n ? n : 1, sizeof *map);
    struct routing_tenant *rts = calloc(n ? n : 1, sizeof *rts);
    int ret = map && rts ? 0 : ENOMEM;

    for (size_t i = 0; !ret && i < cfg->n_tenants; i++) {
        const struct config_tenant *t = &cfg->tenants[i];

        if (!t->routing) {
            continue;
        }
        map[k].table = frr_vrf_table(t->id);
        map[k].tenant = (uint16_t)t->id;
        rts[k] = (struct routing_tenant){.name = t->name,
                                         .id = t->id,
                                         .routing = t->routing,
                                         .subnets = subnet_prefixes(t),
                                         .n_subnets = t->n_subnets};
        ret = rts[k++].subnets ? 0 : ENOMEM;
    }
    if (ret) {
        snprintf(err, 256, "out of memory for the shared FRR");
    }
    if (!ret) {
        ret = fpm_server_listen_shared(tr->fpm, path, FPM_DEFAULT_PORT, map, n, NULL, err);
    }
    if (!ret && frr_init_shared(&tr->frr[0], rts, n, path, FPM_DEFAULT_PORT)) {
        snprintf(err, 256, "out of memory for the shared FRR");
        ret = ENOMEM;
    }
    if (!ret) {
        tr->n_frr = 1; /* From here, tenant_routing_stop() stops it. */
        ret = frr_write_config_shared(&tr->frr[0], rts, n, err);
    }
    for (size_t i = 0; rts && i < k; i++) {
        free((void *)rts[i].subnets);
    }
    free(rts);
    free(map);
    return ret;
}

int
tenant_routing_start(struct tenant_routing *tr, struct rib *rib, const struct hnvgw_config *cfg,
                     sd_event *event, char *err)
{
    char shared_path[COMPARTMENT_PATH_MAX];
    size_t n = 0;
    int ret;

    memset(tr, 0, sizeof *tr);
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        n += cfg->tenants[i].routing != NULL;
    }
    tr->learned = learned_create(rib, cfg->max_routes);
    tr->fpm = fpm_server_create(tr->learned, TENANT_ROUTING_SETTLE_MS, TENANT_ROUTING_HOLD_MS,
                                event, log_fpm_trouble, tr);
    tr->frr = calloc(n ? n : 1, sizeof *tr->frr);
    tr->tenants = calloc(n ? n : 1, sizeof *tr->tenants);
    /* Every tenant's listener, however many: a fixed array would leave the logs of those
     * beyond it unwritten. */
    tr->last_fpm = calloc(n ? n : 1, sizeof *tr->last_fpm);
    tr->cur_fpm = calloc(n ? n : 1, sizeof *tr->cur_fpm);
    tr->n_fpm = n;
    if (!tr->learned || !tr->fpm || !tr->frr || !tr->tenants || !tr->last_fpm || !tr->cur_fpm) {
        snprintf(err, 256, "out of memory for dynamic routing");
        tenant_routing_stop(tr);
        return ENOMEM;
    }
    ret = tenant_routing_choose(cfg, n, &tr->shared, err);
    if (!ret && tr->shared) {
        /* A new namespace each start: nothing of an earlier daemon's (VRFs of tenants gone from
         * the config, their routes) lingers in it. */
        compartment_destroy(TENANT_ROUTING_SHARED_NS);
        ret = compartment_create(TENANT_ROUTING_SHARED_NS, shared_path, err);
    }
    if (ret) {
        tenant_routing_stop(tr);
        return ret;
    }
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const struct config_tenant *t = &cfg->tenants[i];
        struct tenant_routing_tenant *rt = &tr->tenants[tr->n_tenants];
        char name[64], path[COMPARTMENT_PATH_MAX], vrf[FRR_VRF_NAME_MAX];
        struct frr_instance *fi = &tr->frr[tr->n_frr];
        unsigned port = compartment_port(tr->n_tenants);

        if (!t->routing) {
            continue;
        }
        if (tr->n_tenants % DP_COMPARTMENT_TAGS == 0) {
            const uint8_t tap_mac[6] = {0x02, 0x00, 0xef, 0x01, 0x00, (uint8_t)port};
            char bridge[24], tap[24];

            snprintf(bridge, sizeof bridge, "hnvxbr%u", port);
            snprintf(tap, sizeof tap, "hnvxc%u", port);
            ret = compartment_hub_create(bridge, tap, tap_mac, err);
            if (ret) {
                tenant_routing_stop(tr);
                return ret;
            }
            tr->n_hubs++;
        }
        snprintf(rt->name, sizeof rt->name, "%s", t->name);
        rt->id = (uint16_t)t->id;
        if (tr->shared) {
            frr_vrf_name(t->id, vrf);
            snprintf(rt->vrf, sizeof rt->vrf, "%s", vrf);
            ret = connect_tenant(t, port, shared_path, vrf, frr_vrf_table(t->id), err);
            if (ret) {
                tenant_routing_stop(tr);
                return ret;
            }
            tr->n_tenants++;
            log_info("tenant %s: VRF %s (table %u) in compartment %s on bridge hnvxbr%u", t->name,
                     vrf, frr_vrf_table(t->id), shared_path, port);
            continue;
        }
        compartment_name(t, name, sizeof name);
        ret = compartment_create(name, path, err);
        if (!ret) {
            ret = connect_tenant(t, port, path, NULL, 0, err);
        }
        if (!ret) {
            ret =
                fpm_server_listen(tr->fpm, (uint16_t)t->id, path, t->routing->fpm_port, NULL, err);
        }
        if (!ret) {
            struct hnvgw_prefix *subnets = subnet_prefixes(t);
            struct routing_tenant rtn = {.name = t->name,
                                         .id = t->id,
                                         .routing = t->routing,
                                         .subnets = subnets,
                                         .n_subnets = t->n_subnets};
            frr_init(fi, &rtn, path);
            ret = subnets ? frr_write_config(fi, &rtn, err) : ENOMEM;
            if (!subnets) {
                snprintf(err, 256, "tenant %s: out of memory", t->name);
            }
            free(subnets);
        }
        if (ret) {
            compartment_destroy(name);
            tenant_routing_stop(tr);
            return ret;
        }
        rt->fi = fi;
        tr->n_frr++;
        tr->n_tenants++;
        log_info("tenant %s: compartment %s on bridge hnvxbr%u, FPM on 127.0.0.1:%u inside, FRR "
                 "state in %s",
                 t->name, path, port, t->routing->fpm_port, fi->dir);
    }
    if (tr->shared) {
        ret = start_shared(tr, cfg, shared_path, err);
        if (ret) {
            tenant_routing_stop(tr);
            return ret;
        }
        for (size_t k = 0; k < tr->n_tenants; k++) {
            tr->tenants[k].fi = &tr->frr[0];
        }
        log_info("tenant routing: one FRR for %zu routed tenant(s), a VRF each, in compartment %s "
                 "(FPM on 127.0.0.1:%u inside, FRR state in %s)",
                 tr->n_tenants, shared_path, FPM_DEFAULT_PORT, tr->frr[0].dir);
    }
    for (size_t i = 0; i < tr->n_frr; i++) {
        frr_start(&tr->frr[i], event, frr_log);
    }
    return 0;
}

const struct tenant_routing_tenant *
tenant_routing_find(const struct tenant_routing *tr, const char *name)
{
    for (size_t i = 0; name && i < tr->n_tenants; i++) {
        if (!strcmp(tr->tenants[i].name, name)) {
            return &tr->tenants[i];
        }
    }
    return NULL;
}

/* fpm_server notify callback: logs what went wrong on the FPM connections, and new connections,
 * since the last call. */
static void
log_fpm_trouble(void *tr_)
{
    struct tenant_routing *tr = tr_;
    struct fpm_listener_info *info = tr->cur_fpm;
    size_t n = fpm_server_listeners(tr->fpm, info, tr->n_fpm);

    for (size_t i = 0; i < n && i < tr->n_fpm; i++) {
        struct fpm_listener_info *in = &info[i];
        struct fpm_listener_info *last = &tr->last_fpm[i];

        if (in->refused_total > last->refused_total) {
            char why[160] = "";
            for (unsigned e = 0; e < FPM_N_ERRORS; e++) {
                if (in->stats.error[e] > last->stats.error[e] && strlen(why) < 100) {
                    snprintf(why + strlen(why), sizeof why - strlen(why), "%s%s",
                             why[0] ? ", " : "", fpm_error_names[e]);
                }
            }
            log_warn("fpm %s %u: %llu malformed frame(s) refused (%s)",
                     in->shared ? "shared, tenants" : "tenant",
                     in->shared ? (unsigned)in->n_tenants : in->tenant,
                     (unsigned long long)(in->refused_total - last->refused_total),
                     why[0] ? why : "see show fpm");
        }
        if (in->unknown_table > last->unknown_table) {
            log_warn("fpm shared: %llu route operation(s) of a table no tenant has refused",
                     (unsigned long long)(in->unknown_table - last->unknown_table));
        }
        if (in->closed_bad > last->closed_bad) {
            log_warn("fpm %s %u: connection closed, its stream could not be trusted",
                     in->shared ? "shared, tenants" : "tenant",
                     in->shared ? (unsigned)in->n_tenants : in->tenant);
        }
        if (in->connects > last->connects) {
            log_info("fpm %s %u: zebra connected (%llu connection(s) so far)",
                     in->shared ? "shared, tenants" : "tenant",
                     in->shared ? (unsigned)in->n_tenants : in->tenant,
                     (unsigned long long)in->connects);
        }
        *last = *in;
    }
}

void
tenant_routing_reconfigure(struct tenant_routing *tr)
{
    if (tr->learned) {
        learned_resolve_again(tr->learned);
    }
}

void
tenant_routing_set_active(struct tenant_routing *tr, bool active)
{
    /* Only on going passive: the sessions died with the data plane (and the reset's
     * NOTIFICATION stays inside the node). Not on taking over: bgpd's own retry (every
     * FRR_CONNECT_RETRY_S) brings the sessions up, and a reset could land on a session that
     * has just come up through this node and end the peer's graceful restart with a
     * NOTIFICATION, flushing the routes it kept. */
    bool to_passive = tr->role_known && tr->active && !active;
    size_t n = 0;

    tr->active = active;
    tr->role_known = true;
    for (size_t i = 0; to_passive && i < tr->n_frr; i++) {
        if (frr_bgp_clear(&tr->frr[i], "node passive")) {
            n += tr->frr[i].shared ? tr->frr[i].n_vrfs : 1;
        }
    }
    if (n) {
        log_info("tenant routing: node passive: resetting the BGP sessions of %zu tenant(s) "
                 "(they died with the data plane; nothing of it leaves the node)",
                 n);
    }
}

void
tenant_routing_stop(struct tenant_routing *tr)
{
    uint64_t deadline;

    /* Every instance's daemons get SIGTERM first: with hundreds of tenants, stopping them one
     * after the other adds up their exits. */
    for (size_t i = 0; i < tr->n_frr; i++) {
        frr_stop_begin(&tr->frr[i]);
    }
    deadline = hnvgw_now_ms() + FRR_STOP_GRACE_MS;
    for (size_t i = 0; i < tr->n_frr; i++) {
        char name[64];
        frr_stop_wait(&tr->frr[i], deadline);
        snprintf(name, sizeof name, "hnvgw-%s", tr->frr[i].tenant_name);
        if (!tr->shared) {
            compartment_destroy(name);
        }
    }
    if (tr->shared) {
        compartment_destroy(TENANT_ROUTING_SHARED_NS);
    }
    for (unsigned k = 0; k < tr->n_hubs; k++) {
        char bridge[24];
        /* The compartments' veths go with their namespaces. */
        snprintf(bridge, sizeof bridge, "hnvxbr%u", k);
        compartment_hub_destroy(bridge);
    }
    fpm_server_destroy(tr->fpm);
    learned_destroy(tr->learned);
    free(tr->frr);
    free(tr->tenants);
    free(tr->last_fpm);
    free(tr->cur_fpm);
    memset(tr, 0, sizeof *tr);
}
