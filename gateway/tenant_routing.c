/* SPDX-License-Identifier: Apache-2.0 */
/* Dynamic routing per tenant (see tenant_routing.h). */
#include "gateway/tenant_routing.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
tenant_routing_start(struct tenant_routing *tr, struct rib *rib, const struct hnvgw_config *cfg,
                     sd_event *event, char *err)
{
    size_t n = 0;

    memset(tr, 0, sizeof *tr);
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        n += cfg->tenants[i].routing != NULL;
    }
    tr->learned = learned_create(rib, cfg->max_routes);
    tr->fpm = fpm_server_create(tr->learned, TENANT_ROUTING_SETTLE_MS, TENANT_ROUTING_HOLD_MS,
                                event, log_fpm_trouble, tr);
    tr->frr = calloc(n ? n : 1, sizeof *tr->frr);
    if (!tr->learned || !tr->fpm || !tr->frr) {
        snprintf(err, 256, "out of memory for dynamic routing");
        tenant_routing_stop(tr);
        return ENOMEM;
    }
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const struct config_tenant *t = &cfg->tenants[i];
        char name[64], path[COMPARTMENT_PATH_MAX];
        struct frr_instance *fi = &tr->frr[tr->n_frr];
        unsigned port = compartment_port(tr->n_frr);
        int ret;

        if (!t->routing) {
            continue;
        }
        if (tr->n_frr % DP_COMPARTMENT_TAGS == 0) {
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
        compartment_name(t, name, sizeof name);
        ret = compartment_create(name, path, err);
        if (!ret) {
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
            ret = compartment_add_veth(path, bridge, hub, ifname, mac, addrs, n_addrs, err);
        }
        if (!ret) {
            ret =
                fpm_server_listen(tr->fpm, (uint16_t)t->id, path, t->routing->fpm_port, NULL, err);
        }
        if (!ret) {
            struct hnvgw_prefix *subnets = calloc(t->n_subnets + 1, sizeof *subnets);
            struct routing_tenant rt = {.name = t->name,
                                        .id = t->id,
                                        .routing = t->routing,
                                        .subnets = subnets,
                                        .n_subnets = t->n_subnets};
            for (size_t s = 0; subnets && s < t->n_subnets; s++) {
                subnets[s] = t->subnets[s].prefix;
            }
            frr_init(fi, &rt, path);
            ret = subnets ? frr_write_config(fi, &rt, err) : ENOMEM;
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
        tr->n_frr++;
        log_info("tenant %s: compartment %s on bridge hnvxbr%u, FPM on 127.0.0.1:%u inside, FRR "
                 "state in %s",
                 t->name, path, port, t->routing->fpm_port, fi->dir);
    }
    for (size_t i = 0; i < tr->n_frr; i++) {
        frr_start(&tr->frr[i], event, frr_log);
    }
    return 0;
}

/* fpm_server notify callback: logs what went wrong on the FPM connections, and new connections,
 * since the last call. */
static void
log_fpm_trouble(void *tr_)
{
    struct tenant_routing *tr = tr_;
    struct fpm_listener_info info[64];
    size_t n = fpm_server_listeners(tr->fpm, info, 64);

    for (size_t i = 0; i < n && i < 64; i++) {
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
            log_warn("fpm tenant %u: %llu malformed frame(s) refused (%s)", in->tenant,
                     (unsigned long long)(in->refused_total - last->refused_total),
                     why[0] ? why : "see show fpm");
        }
        if (in->closed_bad > last->closed_bad) {
            log_warn("fpm tenant %u: connection closed, its stream could not be trusted",
                     in->tenant);
        }
        if (in->connects > last->connects) {
            log_info("fpm tenant %u: zebra connected (%llu connection(s) so far)", in->tenant,
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
        n += frr_bgp_clear(&tr->frr[i], "node passive");
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
    for (size_t i = 0; i < tr->n_frr; i++) {
        char name[64];
        frr_stop(&tr->frr[i]);
        snprintf(name, sizeof name, "hnvgw-%s", tr->frr[i].tenant_name);
        compartment_destroy(name);
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
    memset(tr, 0, sizeof *tr);
}
