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

/* The MACs of tenant 'id's exception port: the data plane's side (peer false) and the
 * compartment's. */
static void
exception_mac(uint32_t id, bool peer, uint8_t mac[6])
{
    const uint8_t m[6] = {0x02, 0x00, 0xee, peer, (uint8_t)(id >> 8), (uint8_t)id};
    memcpy(mac, m, 6);
}

int
tenant_routing_add_ports(struct dp *dp, const struct hnvgw_config *cfg, char *err)
{
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const struct config_tenant *t = &cfg->tenants[i];
        struct dp_port_conf pc;
        uint16_t id;
        int ret;

        if (!t->routing) {
            continue;
        }
        memset(&pc, 0, sizeof pc);
        pc.kind = DP_PORT_EXCEPTION;
        snprintf(pc.name, sizeof pc.name, "exc-%.24s", t->name);
        snprintf(pc.devargs, sizeof pc.devargs, "net_tap_x%u,iface=hnvx%u", t->id, t->id);
        exception_mac(t->id, false, pc.mac);
        exception_mac(t->id, true, pc.peer_mac);
        pc.tenant = (uint16_t)t->id;
        pc.mtu = 1500;
        ret = dp_port_add(dp, &pc, &id, err);
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
        int ret;

        if (!t->routing) {
            continue;
        }
        compartment_name(t, name, sizeof name);
        ret = compartment_create(name, path, err);
        if (!ret) {
            /* The exception port's kernel side carries the tenant gateway's own addresses. */
            struct hnvgw_prefix addrs[64];
            size_t n_addrs = 0;
            uint8_t mac[6];
            char ifname[16];

            for (size_t s = 0; s < t->n_subnets && n_addrs < 64; s++) {
                addrs[n_addrs].addr = t->subnets[s].gateway_ip;
                addrs[n_addrs++].plen = t->subnets[s].prefix.plen;
            }
            exception_mac(t->id, true, mac);
            snprintf(ifname, sizeof ifname, "hnvx%u", t->id);
            ret = compartment_adopt_link(path, ifname, mac, addrs, n_addrs, err);
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
        log_info("tenant %s: compartment %s, FPM on 127.0.0.1:%u inside, FRR state in %s", t->name,
                 path, t->routing->fpm_port, fi->dir);
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
    fpm_server_destroy(tr->fpm);
    learned_destroy(tr->learned);
    free(tr->frr);
    memset(tr, 0, sizeof *tr);
}
