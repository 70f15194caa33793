/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration, "tenant" sections: a routing domain with its virtual subnets, forward prefixes
 * and external routes, and the indexes of tenants and VSIDs that later sections look up in. The
 * nat, routing and vpn sections inside a tenant are nat.c's, routing.c's and vpn.c's. */
#include "gateway/config/config_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cfg_opt_t subnet_opts[] = {
    CONFIG_LINE_OPT,
    CFG_INT("vsid", 0, CFGF_NODEFAULT),
    CFG_STR("prefix", NULL, CFGF_NODEFAULT),
    CFG_STR("gateway_ip", NULL, CFGF_NODEFAULT),
    CFG_STR("gateway_mac", NULL, CFGF_NODEFAULT),
    CFG_END(),
};

static cfg_opt_t ext_route_opts[] = {
    CONFIG_LINE_OPT,
    CFG_STR("prefix", NULL, CFGF_NODEFAULT),
    CFG_STR("next_hop", NULL, CFGF_NODEFAULT),
    CFG_INT("metric", 0, CFGF_NONE),
    CFG_END(),
};

/* "nat", "routing" and "vpn" are CFGF_MULTI so that a repeated section is refused rather than
 * merged. */
cfg_opt_t config_tenant_opts[] = {
    CONFIG_LINE_OPT,
    CFG_INT("id", 0, CFGF_NODEFAULT),
    CFG_SEC("subnet", subnet_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
    CFG_STR_LIST("forward_prefixes", NULL, CFGF_NONE),
    CFG_SEC("external_route", ext_route_opts, CFGF_MULTI),
    CFG_SEC("nat", config_nat_opts, CFGF_MULTI),
    CFG_SEC("routing", config_routing_opts, CFGF_MULTI),
    CFG_SEC("vpn", config_vpn_opts, CFGF_MULTI),
    CFG_END(),
};

/* The keys of subnet 'sn', the 'i'-th of tenant 't' at 'w', checked against the earlier ones. */
static int
load_subnet(const struct where *w, const struct config_tenant *t, unsigned i,
            struct config_subnet *sn)
{
    char b[HNVGW_PFX_STRLEN], p[HNVGW_PFX_STRLEN];
    const char *s;
    long v = 0;
    int ret;

    if ((ret = config_get_int(w, "vsid", CONFIG_VSID_MIN, CONFIG_VSID_MAX, &v)) != 0) {
        return ret;
    }
    sn->vsid = (uint32_t)v;
    if ((ret = config_get_str(w, "prefix", true, &s)) != 0 ||
        (ret = config_parse_prefix4(w, "prefix", 0, s, true, &sn->prefix)) != 0) {
        return ret;
    }
    if (sn->prefix.plen > 30) {
        return config_report(w, EINVAL, "prefix", 0,
                             "/%u leaves no room for a gateway and VMs (at most /30)",
                             sn->prefix.plen);
    }
    if ((ret = config_get_str(w, "gateway_ip", true, &s)) != 0 ||
        (ret = config_parse_ip4(w, "gateway_ip", 0, s, &sn->gateway_ip)) != 0) {
        return ret;
    }
    if (!hnvgw_prefix_contains(&sn->prefix, &sn->gateway_ip) ||
        config_is_net_or_bcast(&sn->prefix, &sn->gateway_ip)) {
        return config_report(w, EINVAL, "gateway_ip", 0, "%s is not a host address of %s", s,
                             hnvgw_prefix_format(&sn->prefix, p));
    }
    if ((ret = config_get_str(w, "gateway_mac", true, &s)) != 0 ||
        (ret = config_parse_mac(w, "gateway_mac", 0, s, &sn->gateway_mac)) != 0) {
        return ret;
    }
    for (unsigned k = 0; k < i; k++) {
        if (hnvgw_prefix_overlaps(&t->subnets[k].prefix, &sn->prefix)) {
            return config_report(w, EINVAL, "prefix", 0,
                                 "%s overlaps subnet \"%s\" (%s) of the same tenant, line %d",
                                 hnvgw_prefix_format(&sn->prefix, p), t->subnets[k].name,
                                 hnvgw_prefix_format(&t->subnets[k].prefix, b), t->subnets[k].line);
        }
    }
    return 0;
}

/* The subnets of tenant 't' (section 'sec'). */
static int
load_subnets(struct loader *ld, cfg_t *sec, struct config_tenant *t)
{
    unsigned n = cfg_size(sec, "subnet");
    struct where w;

    if (n == 0) {
        config_where_sec(&w, ld, sec, "tenant \"%s\"", t->name);
        return config_report(&w, EINVAL, "subnet", 0, "a tenant needs at least one subnet");
    }
    t->subnets = calloc(n, sizeof *t->subnets);
    if (!t->subnets) {
        config_where_sec(&w, ld, sec, "tenant \"%s\"", t->name);
        return config_report(&w, ENOMEM, NULL, 0, "out of memory");
    }
    for (unsigned i = 0; i < n; i++) {
        cfg_t *ss = cfg_getnsec(sec, "subnet", i);
        struct config_subnet *sn = &t->subnets[i];
        int ret;

        config_where_sec(&w, ld, ss, "tenant \"%s\" subnet \"%s\"", t->name, cfg_title(ss));
        t->n_subnets++;
        sn->line = w.line;
        if ((ret = config_check_name(&w, ss)) != 0) {
            return ret;
        }
        snprintf(sn->name, sizeof sn->name, "%s", cfg_title(ss));
        if ((ret = load_subnet(&w, t, i, sn)) != 0) {
            return ret;
        }
    }
    return 0;
}

/* The forward prefixes of tenant 't' (section 'w->sec'), each canonical and listed once. */
static int
load_forward_prefixes(const struct where *w, struct config_tenant *t)
{
    unsigned nf = cfg_size(w->sec, "forward_prefixes");
    char b[HNVGW_PFX_STRLEN];
    int ret;

    t->forward_prefixes = calloc(nf ? nf : 1, sizeof *t->forward_prefixes);
    if (!t->forward_prefixes) {
        return config_report(w, ENOMEM, NULL, 0, "out of memory");
    }
    for (unsigned k = 0; k < nf; k++) {
        struct hnvgw_prefix *fp = &t->forward_prefixes[k];
        const char *s = cfg_getnstr(w->sec, "forward_prefixes", k);
        if ((ret = config_parse_prefix4(w, "forward_prefixes", k, s, true, fp)) != 0) {
            return ret;
        }
        for (unsigned j = 0; j < k; j++) {
            if (!memcmp(&t->forward_prefixes[j], fp, sizeof *fp)) {
                return config_report(w, EINVAL, "forward_prefixes", k, "%s is listed twice",
                                     hnvgw_prefix_format(fp, b));
            }
        }
        t->n_forward_prefixes++;
    }
    return 0;
}

int
config_load_tenants(struct loader *ld)
{
    struct hnvgw_config *cfg = ld->cfg;
    unsigned n = cfg_size(ld->root, "tenant");
    struct where w;

    cfg->tenants = calloc(n ? n : 1, sizeof *cfg->tenants);
    if (!cfg->tenants) {
        config_where_line(&w, ld, ld->path, 0, "tenant");
        return config_report(&w, ENOMEM, NULL, 0, "out of memory");
    }
    for (unsigned i = 0; i < n; i++) {
        cfg_t *sec = cfg_getnsec(ld->root, "tenant", i);
        struct config_tenant *t = &cfg->tenants[i];
        long id = 0;
        int ret;

        config_where_sec(&w, ld, sec, "tenant \"%s\"", cfg_title(sec));
        cfg->n_tenants++;
        t->line = w.line;
        if ((ret = config_check_name(&w, sec)) != 0) {
            return ret;
        }
        snprintf(t->name, sizeof t->name, "%s", cfg_title(sec));
        if ((ret = config_get_int(&w, "id", 1, CONFIG_TENANT_ID_MAX, &id)) != 0) {
            return ret;
        }
        if (ld->by_id[id]) {
            const struct config_tenant *o = ld->by_id[id];
            return config_report(&w, EINVAL, "id", 0,
                                 "%ld is already the id of tenant \"%s\", line %d", id, o->name,
                                 o->line);
        }
        ld->by_id[id] = t;
        t->id = (uint32_t)id;
        if ((ret = load_subnets(ld, sec, t)) != 0 || (ret = load_forward_prefixes(&w, t)) != 0) {
            return ret;
        }
    }
    return 0;
}

/* qsort() order of the VSID index: by VSID, then tenant and subnet (file order). */
static int
vsid_ref_cmp(const void *a_, const void *b_)
{
    const struct vsid_ref *a = a_, *b = b_;

    if (a->vsid != b->vsid) {
        return a->vsid < b->vsid ? -1 : 1;
    }
    if (a->tenant != b->tenant) {
        return a->tenant < b->tenant ? -1 : 1;
    }
    return (a->subnet > b->subnet) - (a->subnet < b->subnet);
}

int
config_index_vsids(struct loader *ld)
{
    const struct hnvgw_config *cfg = ld->cfg;
    size_t n = 0;
    struct where w;

    for (size_t i = 0; i < cfg->n_tenants; i++) {
        n += cfg->tenants[i].n_subnets;
    }
    ld->vsids = calloc(n ? n : 1, sizeof *ld->vsids);
    if (!ld->vsids) {
        config_where_line(&w, ld, ld->path, 0, "tenant");
        return config_report(&w, ENOMEM, NULL, 0, "out of memory");
    }
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        for (size_t j = 0; j < cfg->tenants[i].n_subnets; j++) {
            ld->vsids[ld->n_vsids++] = (struct vsid_ref){.vsid = cfg->tenants[i].subnets[j].vsid,
                                                         .tenant = (uint32_t)i,
                                                         .subnet = (uint32_t)j};
        }
    }
    qsort(ld->vsids, n, sizeof *ld->vsids, vsid_ref_cmp);
    for (size_t i = 1; i < n; i++) {
        const struct vsid_ref *a = &ld->vsids[i - 1], *b = &ld->vsids[i];
        if (a->vsid == b->vsid) {
            const struct config_tenant *ta = &cfg->tenants[a->tenant];
            const struct config_tenant *tb = &cfg->tenants[b->tenant];
            cfg_t *tsec = cfg_getnsec(ld->root, "tenant", b->tenant);
            cfg_t *ssec = cfg_getnsec(tsec, "subnet", b->subnet);
            config_where_sec(&w, ld, ssec, "tenant \"%s\" subnet \"%s\"", tb->name,
                             tb->subnets[b->subnet].name);
            return config_report(&w, EINVAL, "vsid", 0,
                                 "%u is already used by tenant \"%s\" subnet \"%s\", line %d "
                                 "(VSIDs are unique across all tenants)",
                                 b->vsid, ta->name, ta->subnets[a->subnet].name,
                                 ta->subnets[a->subnet].line);
        }
    }
    if (n > cfg->max_subnets) {
        cfg_t *node = cfg_getnsec(ld->root, "node", 0);
        config_where_sec(&w, ld, node, "node");
        return config_report(&w, EINVAL, "max_subnets", 0, "%zu subnets do not fit in %u", n,
                             cfg->max_subnets);
    }
    return 0;
}

/* qsort() order of the name index. */
static int
tenant_name_cmp(const void *a_, const void *b_)
{
    const struct config_tenant *const *a = a_, *const *b = b_;

    return strcmp((*a)->name, (*b)->name);
}

int
config_index_tenants(struct loader *ld)
{
    const struct hnvgw_config *cfg = ld->cfg;
    struct where w;

    ld->names = calloc(cfg->n_tenants ? cfg->n_tenants : 1, sizeof *ld->names);
    if (!ld->names) {
        config_where_line(&w, ld, ld->path, 0, "tenant");
        return config_report(&w, ENOMEM, NULL, 0, "out of memory");
    }
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        ld->names[ld->n_names++] = &cfg->tenants[i];
    }
    qsort(ld->names, ld->n_names, sizeof *ld->names, tenant_name_cmp);
    return 0;
}

/* Binary search in the loader's name index. */
const struct config_tenant *
config_tenant_by_name(const struct loader *ld, const char *name)
{
    size_t lo = 0, hi = ld->n_names;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ld->names[mid]->name, name);
        if (c == 0) {
            return ld->names[mid];
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

/* The external port could not tell which tenant a packet is for. */
int
config_check_forward_overlaps(struct loader *ld)
{
    const struct hnvgw_config *cfg = ld->cfg;
    char a[HNVGW_PFX_STRLEN], b[HNVGW_PFX_STRLEN];
    struct where w;

    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const struct config_tenant *t = &cfg->tenants[i];
        for (size_t j = 0; j < t->n_forward_prefixes; j++) {
            for (size_t k = 0; k < i; k++) {
                const struct config_tenant *o = &cfg->tenants[k];
                for (size_t m = 0; m < o->n_forward_prefixes; m++) {
                    if (!hnvgw_prefix_overlaps(&t->forward_prefixes[j], &o->forward_prefixes[m])) {
                        continue;
                    }
                    config_where_sec(&w, ld, cfg_getnsec(ld->root, "tenant", (unsigned)i),
                                     "tenant \"%s\"", t->name);
                    return config_report(&w, EINVAL, "forward_prefixes", (unsigned)j,
                                         "%s overlaps %s of tenant \"%s\", line %d",
                                         hnvgw_prefix_format(&t->forward_prefixes[j], a),
                                         hnvgw_prefix_format(&o->forward_prefixes[m], b), o->name,
                                         o->line);
                }
            }
        }
    }
    return 0;
}

/* External route 'r', the 'k'-th of tenant 't' at 'w', toward external port 'ext' (NULL when
 * there is none), checked against the tenant's earlier ones. */
static int
load_ext_route(const struct where *w, const struct config_port *ext, const struct config_tenant *t,
               unsigned k, struct config_external_route *r)
{
    char b[HNVGW_IP_STRLEN], p[HNVGW_PFX_STRLEN];
    const char *s;
    int ret;

    if (!ext) {
        return config_report(w, EINVAL, NULL, 0, "there is no external port");
    }
    if ((ret = config_get_str(w, "prefix", true, &s)) != 0 ||
        (ret = config_parse_prefix4(w, "prefix", 0, s, true, &r->prefix)) != 0 ||
        (ret = config_get_str(w, "next_hop", true, &s)) != 0 ||
        (ret = config_parse_ip4(w, "next_hop", 0, s, &r->next_hop)) != 0 ||
        (ret = config_get_u32(w, "metric", 0, UINT32_MAX, &r->metric)) != 0) {
        return ret;
    }
    r->on_link = hnvgw_ip_is_zero(&r->next_hop);
    if (!r->on_link && (!hnvgw_prefix_contains(&ext->address, &r->next_hop) ||
                        hnvgw_ip_equal(&r->next_hop, &ext->address.addr))) {
        return config_report(w, EINVAL, "next_hop", 0,
                             "%s is not another host of %s of external port \"%s\" "
                             "(0.0.0.0 means on-link)",
                             s, hnvgw_prefix_format(&ext->address, p), ext->name);
    }
    for (unsigned j = 0; j < k; j++) {
        const struct config_external_route *o = &t->ext_routes[j];
        if (!memcmp(&o->prefix, &r->prefix, sizeof r->prefix) &&
            hnvgw_ip_equal(&o->next_hop, &r->next_hop)) {
            return config_report(w, EINVAL, "prefix", 0, "route to %s via %s is already at line %d",
                                 hnvgw_prefix_format(&r->prefix, p),
                                 hnvgw_ip_format(&r->next_hop, b), o->line);
        }
    }
    return 0;
}

int
config_load_ext_routes(struct loader *ld)
{
    const struct config_port *ext = ld->external;
    struct where w;

    for (size_t i = 0; i < ld->cfg->n_tenants; i++) {
        struct config_tenant *t = &ld->cfg->tenants[i];
        cfg_t *sec = cfg_getnsec(ld->root, "tenant", (unsigned)i);
        unsigned n = cfg_size(sec, "external_route");

        if (t->n_forward_prefixes && !ext) {
            config_where_sec(&w, ld, sec, "tenant \"%s\"", t->name);
            return config_report(&w, EINVAL, "forward_prefixes", 0,
                                 "there is no external port to forward from");
        }
        t->ext_routes = calloc(n ? n : 1, sizeof *t->ext_routes);
        if (!t->ext_routes) {
            config_where_sec(&w, ld, sec, "tenant \"%s\"", t->name);
            return config_report(&w, ENOMEM, NULL, 0, "out of memory");
        }
        for (unsigned k = 0; k < n; k++) {
            cfg_t *rs = cfg_getnsec(sec, "external_route", k);
            struct config_external_route *r = &t->ext_routes[k];
            int ret;

            config_where_sec(&w, ld, rs, "tenant \"%s\" external_route", t->name);
            t->n_ext_routes++;
            r->line = w.line;
            if ((ret = load_ext_route(&w, ext, t, k, r)) != 0) {
                return ret;
            }
        }
    }
    return 0;
}

int
config_tenant_section(struct loader *ld, size_t i, const char *name, cfg_t **sec, struct where *w)
{
    const struct config_tenant *t = &ld->cfg->tenants[i];
    cfg_t *tsec = cfg_getnsec(ld->root, "tenant", (unsigned)i);
    unsigned n = cfg_size(tsec, name);

    *sec = n ? cfg_getnsec(tsec, name, 0) : NULL;
    if (n > 1) {
        config_where_sec(w, ld, cfg_getnsec(tsec, name, 1), "tenant \"%s\" %s", t->name, name);
        return config_report(w, EINVAL, NULL, 0, "defined twice (first at line %d)",
                             config_section_line(*sec));
    }
    if (*sec) {
        config_where_sec(w, ld, *sec, "tenant \"%s\" %s", t->name, name);
    }
    return 0;
}

/* Returns the tenant of 'vsid' and its subnet in '*subnet', or NULL. */
static const struct config_tenant *
checker_vsid(const struct checker *ck, uint32_t vsid, const struct config_subnet **subnet)
{
    size_t lo = 0, hi = ck->n_vsids;

    if (!ck->vsids) {
        return config_find_vsid(ck->cfg, vsid, subnet);
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ck->vsids[mid].vsid < vsid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == ck->n_vsids || ck->vsids[lo].vsid != vsid) {
        return NULL;
    }
    *subnet = &ck->cfg->tenants[ck->vsids[lo].tenant].subnets[ck->vsids[lo].subnet];
    return &ck->cfg->tenants[ck->vsids[lo].tenant];
}

int
config_check_vsid(const struct checker *ck, const struct where *w, uint32_t vsid,
                  const struct config_tenant **t, const struct config_subnet **sn)
{
    if (vsid < CONFIG_VSID_MIN || vsid > CONFIG_VSID_MAX) {
        return config_report(w, EINVAL, "vsid", 0, "%u is out of range %u..%u", vsid,
                             CONFIG_VSID_MIN, CONFIG_VSID_MAX);
    }
    *t = checker_vsid(ck, vsid, sn);
    if (!*t) {
        return config_report(w, EINVAL, "vsid", 0, "%u is not the VSID of any tenant's subnet",
                             vsid);
    }
    return 0;
}

int
config_check_ca(const struct where *w, const char *field, const struct config_subnet *sn,
                const struct hnvgw_ip *ca)
{
    char b[HNVGW_IP_STRLEN], p[HNVGW_PFX_STRLEN];

    if (!hnvgw_prefix_contains(&sn->prefix, ca)) {
        return config_report(w, EINVAL, field, 0, "%s is outside subnet \"%s\" (%s) of vsid %u",
                             hnvgw_ip_format(ca, b), sn->name, hnvgw_prefix_format(&sn->prefix, p),
                             sn->vsid);
    }
    if (hnvgw_ip_equal(ca, &sn->gateway_ip)) {
        return config_report(w, EINVAL, field, 0, "%s is the gateway address of subnet \"%s\"",
                             hnvgw_ip_format(ca, b), sn->name);
    }
    if (config_is_net_or_bcast(&sn->prefix, ca)) {
        return config_report(w, EINVAL, field, 0,
                             "%s is the network or broadcast address of subnet \"%s\"",
                             hnvgw_ip_format(ca, b), sn->name);
    }
    return 0;
}

void
config_tenant_clear(struct config_tenant *t)
{
    free(t->subnets);
    free(t->forward_prefixes);
    free(t->ext_routes);
    config_nat_free(t->nat);
    config_routing_free(t->routing);
    config_vpn_free(t->vpn);
}
