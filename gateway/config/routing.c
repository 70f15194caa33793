/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration, a tenant's "routing" section: its FRR instance, BGP neighbors and the networks
 * it advertises. */
#include "gateway/config/config_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROUTING_EXTRA_MAX 16384 /* Bytes of a routing section's extra_config. */

static cfg_opt_t bgp_neighbor_opts[] = {
    CONFIG_LINE_OPT,
    CFG_INT("remote_as", 0, CFGF_NODEFAULT),
    CFG_STR("password", "", CFGF_NONE),
    CFG_INT("keepalive", 60, CFGF_NONE),
    CFG_INT("hold", 180, CFGF_NONE),
    CFG_BOOL("ebgp_multihop", cfg_false, CFGF_NONE),
    CFG_END(),
};

cfg_opt_t config_routing_opts[] = {
    CONFIG_LINE_OPT,
    CFG_INT("asn", 0, CFGF_NODEFAULT),
    CFG_STR("router_id", NULL, CFGF_NODEFAULT),
    CFG_STR_LIST("networks", NULL, CFGF_NONE),
    CFG_STR("extra_config", NULL, CFGF_NODEFAULT),
    CFG_INT("fpm_port", 2620, CFGF_NONE),
    CFG_SEC("neighbor", bgp_neighbor_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
    CFG_END(),
};

/* The keys of BGP neighbor 'nb' (section 'w->sec', titled with its address). */
static int
load_neighbor(const struct where *w, struct config_bgp_neighbor *nb)
{
    const char *pw;
    long v;
    int ret;

    nb->line = w->line;
    if ((ret = config_parse_ip4(w, "neighbor", 0, cfg_title(w->sec), &nb->address)) != 0 ||
        (ret = config_get_u32(w, "remote_as", 1, 4294967295L, &nb->remote_as)) != 0 ||
        (ret = config_get_int(w, "keepalive", 1, 65535, &v)) != 0) {
        return ret;
    }
    nb->keepalive = (unsigned)v;
    if ((ret = config_get_int(w, "hold", 0, 65535, &v)) != 0) {
        return ret;
    }
    nb->hold = (unsigned)v;
    if (nb->hold && (nb->hold < 3 || nb->hold < nb->keepalive)) {
        return config_report(w, EINVAL, "hold", 0, "%u must be 0, or 3 or more and >= keepalive %u",
                             nb->hold, nb->keepalive);
    }
    nb->ebgp_multihop = cfg_getbool(w->sec, "ebgp_multihop");
    pw = cfg_getstr(w->sec, "password");
    if (strlen(pw) >= sizeof nb->password) {
        return config_report(w, EINVAL, "password", 0, "longer than %zu characters",
                             sizeof nb->password - 1);
    }
    for (const char *c = pw; *c; c++) {
        if (*c <= ' ' || *c > '~' || *c == '"' || *c == '\'') {
            return config_report(w, EINVAL, "password", 0,
                                 "only printable characters without spaces or quotes");
        }
    }
    snprintf(nb->password, sizeof nb->password, "%s", pw);
    return 0;
}

/* The BGP neighbors of a routing section. */
static int
load_neighbors(struct loader *ld, cfg_t *sec, const struct config_tenant *t,
               struct config_routing *r)
{
    unsigned n = cfg_size(sec, "neighbor");
    struct where w;
    int ret;

    if (n > CONFIG_BGP_NEIGHBORS_MAX) {
        config_where_sec(&w, ld, cfg_getnsec(sec, "neighbor", CONFIG_BGP_NEIGHBORS_MAX),
                         "tenant \"%s\" routing neighbor", t->name);
        return config_report(&w, EINVAL, NULL, 0, "more than %d neighbors",
                             CONFIG_BGP_NEIGHBORS_MAX);
    }
    r->neighbors = calloc(n ? n : 1, sizeof *r->neighbors);
    if (!r->neighbors) {
        return ENOMEM;
    }
    for (unsigned i = 0; i < n; i++) {
        cfg_t *ns = cfg_getnsec(sec, "neighbor", i);

        config_where_sec(&w, ld, ns, "tenant \"%s\" routing neighbor \"%s\"", t->name,
                         cfg_title(ns));
        if ((ret = load_neighbor(&w, &r->neighbors[i])) != 0) {
            return ret;
        }
        r->n_neighbors++;
    }
    return 0;
}

/* The networks of routing section 'w->sec': canonical prefixes, each listed once. */
static int
load_networks(const struct where *w, struct config_routing *r)
{
    unsigned n = cfg_size(w->sec, "networks");
    int ret;

    r->networks = calloc(n ? n : 1, sizeof *r->networks);
    if (!r->networks) {
        return config_report(w, ENOMEM, NULL, 0, "out of memory");
    }
    for (unsigned k = 0; k < n; k++) {
        struct hnvgw_prefix *p = &r->networks[k];
        if ((ret = config_parse_prefix4(w, "networks", k, cfg_getnstr(w->sec, "networks", k), true,
                                        p)) != 0) {
            return ret;
        }
        for (unsigned j = 0; j < k; j++) {
            if (!memcmp(&r->networks[j], p, sizeof *p)) {
                return config_report(w, EINVAL, "networks", k, "%s is listed twice",
                                     cfg_getnstr(w->sec, "networks", k));
            }
        }
        r->n_networks++;
    }
    return 0;
}

/* The keys of routing section 'w->sec' of tenant 't' into 'r', its neighbors included. */
static int
load_routing(struct loader *ld, const struct where *w, const struct config_tenant *t,
             struct config_routing *r)
{
    const char *s;
    long v;
    int ret;

    if ((ret = config_get_u32(w, "asn", 1, 4294967295L, &r->asn)) != 0 ||
        (ret = config_get_str(w, "router_id", true, &s)) != 0 ||
        (ret = config_parse_ip4(w, "router_id", 0, s, &r->router_id)) != 0) {
        return ret;
    }
    if (!r->router_id.v4) {
        return config_report(w, EINVAL, "router_id", 0, "0.0.0.0 is not a router id");
    }
    if ((ret = config_get_int(w, "fpm_port", 1, 65535, &v)) != 0) {
        return ret;
    }
    r->fpm_port = (uint16_t)v;
    if ((ret = load_networks(w, r)) != 0 ||
        (ret = config_get_str(w, "extra_config", false, &s)) != 0) {
        return ret;
    }
    if (s && strlen(s) > ROUTING_EXTRA_MAX) {
        return config_report(w, EINVAL, "extra_config", 0, "longer than %d bytes",
                             ROUTING_EXTRA_MAX);
    }
    if (s && !(r->extra_config = strdup(s))) {
        return config_report(w, ENOMEM, NULL, 0, "out of memory");
    }
    return load_neighbors(ld, w->sec, t, r);
}

int
config_load_routings(struct loader *ld)
{
    struct hnvgw_config *cfg = ld->cfg;
    struct where w;

    for (size_t i = 0; i < cfg->n_tenants; i++) {
        struct config_tenant *t = &cfg->tenants[i];
        cfg_t *sec;
        int ret = config_tenant_section(ld, i, "routing", &sec, &w);

        if (ret) {
            return ret;
        }
        if (!sec) {
            continue;
        }
        t->routing = calloc(1, sizeof *t->routing);
        if (!t->routing) {
            return config_report(&w, ENOMEM, NULL, 0, "out of memory");
        }
        t->routing->line = w.line;
        if (!(cfg->roles & CONFIG_ROLE_GATEWAY)) {
            return config_report(&w, EINVAL, NULL, 0, "routing needs \"gateway\" in node roles");
        }
        if ((ret = load_routing(ld, &w, t, t->routing)) != 0) {
            return ret;
        }
    }
    return 0;
}

void
config_routing_free(struct config_routing *r)
{
    if (r) {
        free(r->neighbors);
        free(r->networks);
        free(r->extra_config);
        free(r);
    }
}
