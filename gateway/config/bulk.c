/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration, lookup records and customer routes: the "lookup_record" and "customer_route"
 * sections, the bulk files named by lookup_records_file and customer_routes_file, and the same
 * checks run against a loaded config for the CLI's adds (config_check_lookup(),
 * config_check_route()). */
#include "gateway/config/config_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

cfg_opt_t config_lookup_opts[] = {
    CONFIG_LINE_OPT,
    CFG_STR("ca", NULL, CFGF_NODEFAULT),
    CFG_INT("vsid", 0, CFGF_NODEFAULT),
    CFG_STR("pa", NULL, CFGF_NODEFAULT),
    CFG_STR("mac", NULL, CFGF_NODEFAULT),
    CFG_STR("rule", "encap", CFGF_NONE),
    CFG_STR("type", "static", CFGF_NONE),
    CFG_END(),
};

cfg_opt_t config_route_opts[] = {
    CONFIG_LINE_OPT,
    CFG_STR("tenant", NULL, CFGF_NODEFAULT),
    CFG_INT("vsid", 0, CFGF_NODEFAULT),
    CFG_STR("prefix", NULL, CFGF_NODEFAULT),
    CFG_STR("next_hop", NULL, CFGF_NODEFAULT),
    CFG_INT("metric", 0, CFGF_NONE),
    CFG_END(),
};

/* Spellings of the enums in the file (and in messages). "l2only" is spelled so that it is
 * refused by name (check_type()). */
static const char *const rule_keys[] = {"encap", "nat"};
static const char *const type_keys[] = {"static", "dynamic", "l2only", "gatewaywildcard"};

const char *
config_rule_name(enum config_lookup_rule rule)
{
    return rule == CONFIG_RULE_NAT ? "NAT" : rule == CONFIG_RULE_ENCAP ? "Encap" : "?";
}

const char *
config_type_name(enum config_lookup_type type)
{
    static const char *const names[] = {"Static", "Dynamic", "L2Only", "GatewayWildcard"};
    return (unsigned)type < 4 ? names[type] : "?";
}

/* ---- Per-entry checks, shared by config_load() and the run-time checks ---- */

/* Refuses the lookup-record types this gateway cannot honour. An L2Only record (CA 0.0.0.0)
 * matches by MAC alone, but the data plane finds lookup records by (VSID, CA): stored there, it
 * would silently take the place of the VSID's gatewaywildcard record. */
static int
check_type(const struct where *w, enum config_lookup_type type)
{
    if (type == CONFIG_TYPE_L2ONLY) {
        return config_report(w, EINVAL, "type", 0,
                             "L2Only records are not supported (they would match by MAC; this "
                             "gateway matches lookup records by CA)");
    }
    return 0;
}

/* Checks one lookup record on its own and against the ports of ck->cfg: type supported, VSID
 * known, CA inside its subnet (or 0.0.0.0 for gatewaywildcard), PA and MAC sane, and no clash
 * with a local VM port. Returns 0, EINVAL, or EEXIST for a clash. */
static int
check_lookup_entry(const struct checker *ck, const struct config_lookup *rec, const struct where *w)
{
    const struct hnvgw_config *cfg = ck->cfg;
    const struct config_tenant *t;
    const struct config_subnet *sn;
    char b[HNVGW_IP_STRLEN], c[HNVGW_IP_STRLEN], m[HNVGW_MAC_STRLEN];
    bool wild = rec->type == CONFIG_TYPE_GATEWAY_WILDCARD;
    int ret;

    if ((unsigned)rec->rule > CONFIG_RULE_NAT) {
        return config_report(w, EINVAL, "rule", 0, "unknown rule %d", (int)rec->rule);
    }
    if ((unsigned)rec->type > CONFIG_TYPE_GATEWAY_WILDCARD) {
        return config_report(w, EINVAL, "type", 0, "unknown type %d", (int)rec->type);
    }
    if ((ret = check_type(w, rec->type)) != 0 ||
        (ret = config_check_vsid(ck, w, rec->vsid, &t, &sn)) != 0) {
        return ret;
    }
    if (rec->ca.family == HNVGW_AF_INET6 || (!wild && rec->ca.family != HNVGW_AF_INET)) {
        return config_need_ip4(w, "ca", 0, &rec->ca);
    }
    if (wild && !hnvgw_ip_is_zero(&rec->ca)) {
        return config_report(w, EINVAL, "ca", 0, "must be 0.0.0.0 for a %s record, not %s",
                             type_keys[rec->type], hnvgw_ip_format(&rec->ca, b));
    }
    if (!wild && hnvgw_ip_is_zero(&rec->ca)) {
        return config_report(w, EINVAL, "ca", 0,
                             "0.0.0.0 is only valid for gatewaywildcard records");
    }
    if (!wild && (ret = config_check_ca(w, "ca", sn, &rec->ca)) != 0) {
        return ret;
    }
    if ((ret = config_need_ip4(w, "pa", 0, &rec->pa)) != 0) {
        return ret;
    }
    if (!config_is_unicast4(&rec->pa)) {
        return config_report(w, EINVAL, "pa", 0, "%s is not a unicast address",
                             hnvgw_ip_format(&rec->pa, b));
    }
    if ((ret = config_check_mac(w, "mac", 0, &rec->mac)) != 0) {
        return ret;
    }
    for (size_t i = 0; !wild && i < cfg->n_ports; i++) {
        const struct config_port *p = &cfg->ports[i];

        if (p->kind != CONFIG_PORT_VM || p->vsid != rec->vsid ||
            !hnvgw_ip_equal(&p->ca, &rec->ca)) {
            continue;
        }
        if (!config_is_my_pa(cfg, &rec->pa)) {
            return config_report(w, EEXIST, "pa", 0,
                                 "%s is not a provider address of this node, but vm port \"%s\" "
                                 "holds vsid %u ca %s here",
                                 hnvgw_ip_format(&rec->pa, b), p->name, rec->vsid,
                                 hnvgw_ip_format(&rec->ca, c));
        }
        if (memcmp(&p->mac, &rec->mac, sizeof p->mac)) {
            return config_report(w, EEXIST, "mac", 0, "differs from the MAC %s of vm port \"%s\"",
                                 hnvgw_mac_format(&p->mac, m), p->name);
        }
    }
    return 0;
}

/* Checks one customer route on its own: tenant known, VSID one of its subnets, prefix canonical,
 * next hop inside the VSID's subnet unless on-link. */
static int
check_route_entry(const struct checker *ck, const struct config_route *rt, const struct where *w)
{
    const struct config_tenant *t = config_find_tenant(ck->cfg, rt->tenant_id), *owner;
    const struct config_subnet *sn;
    char b[HNVGW_IP_STRLEN], p[HNVGW_PFX_STRLEN];
    int ret;

    if (!t) {
        return config_report(w, EINVAL, "tenant", 0, "id %u is not a configured tenant",
                             rt->tenant_id);
    }
    if ((ret = config_check_vsid(ck, w, rt->vsid, &owner, &sn)) != 0) {
        return ret;
    }
    if (owner != t) {
        return config_report(w, EINVAL, "vsid", 0, "%u belongs to tenant \"%s\", not \"%s\"",
                             rt->vsid, owner->name, t->name);
    }
    if ((ret = config_need_ip4(w, "prefix", 0, &rt->prefix.addr)) != 0) {
        return ret;
    }
    if (rt->prefix.plen > 32 || !hnvgw_prefix_is_canonical(&rt->prefix)) {
        return config_report(w, EINVAL, "prefix", 0,
                             "%s is not a canonical prefix (host bits zero)",
                             hnvgw_prefix_format(&rt->prefix, p));
    }
    if (rt->next_hop.family == HNVGW_AF_INET6 || (!rt->on_link && !rt->next_hop.family)) {
        return config_need_ip4(w, "next_hop", 0, &rt->next_hop);
    }
    if (rt->on_link && rt->next_hop.family && !hnvgw_ip_is_zero(&rt->next_hop)) {
        return config_report(w, EINVAL, "next_hop", 0, "must be 0.0.0.0 for an on-link route");
    }
    if (!rt->on_link && !hnvgw_ip_is_zero(&rt->next_hop) &&
        !hnvgw_prefix_contains(&sn->prefix, &rt->next_hop)) {
        return config_report(w, EINVAL, "next_hop", 0,
                             "%s is outside subnet \"%s\" (%s) of vsid %u",
                             hnvgw_ip_format(&rt->next_hop, b), sn->name,
                             hnvgw_prefix_format(&sn->prefix, p), rt->vsid);
    }
    return 0;
}

/* Duplicate keys of lookup records: class 0 is (vsid, ca), 1 the one gatewaywildcard of a
 * VSID. */
static unsigned
lookup_class(const struct config_lookup *l)
{
    return l->type == CONFIG_TYPE_GATEWAY_WILDCARD;
}

/* The key of 'l' within its class and VSID. */
static uint64_t
lookup_key(const struct config_lookup *l)
{
    return lookup_class(l) ? 0 : ntohl(l->ca.v4);
}

/* True when records 'a' and 'b' may not both exist. */
static bool
lookup_same_key(const struct config_lookup *a, const struct config_lookup *b)
{
    return a->vsid == b->vsid && lookup_class(a) == lookup_class(b) &&
           lookup_key(a) == lookup_key(b);
}

/* Reports record 'later' as a duplicate of 'first', found at 'at' ("line N" or "FILE:N"). */
static int
report_lookup_dup(const struct where *w, int ret, const struct config_lookup *later, const char *at)
{
    char b[HNVGW_IP_STRLEN];

    if (lookup_class(later)) {
        return config_report(w, ret, "type", 0, "vsid %u already has a gatewaywildcard record%s",
                             later->vsid, at);
    }
    return config_report(w, ret, "ca", 0, "vsid %u already has a lookup record for %s%s",
                         later->vsid, hnvgw_ip_format(&later->ca, b), at);
}

/* True when routes 'a' and 'b' may not both exist: same tenant, prefix and next hop. */
static bool
route_same_key(const struct config_route *a, const struct config_route *b)
{
    return a->tenant_id == b->tenant_id && a->prefix.plen == b->prefix.plen &&
           a->prefix.addr.v4 == b->prefix.addr.v4 && a->next_hop.v4 == b->next_hop.v4;
}

int
config_check_lookup(const struct hnvgw_config *cfg, const struct config_lookup *rec, char *err)
{
    struct checker ck = {.cfg = cfg};
    struct where w;
    int ret;

    config_where_runtime(&w, err);
    ret = check_lookup_entry(&ck, rec, &w);
    if (ret) {
        return ret;
    }
    for (size_t i = 0; i < cfg->n_lookups; i++) {
        if (lookup_same_key(&cfg->lookups[i], rec)) {
            return report_lookup_dup(&w, EEXIST, rec, "");
        }
    }
    return 0;
}

int
config_check_route(const struct hnvgw_config *cfg, const struct config_route *rt, char *err)
{
    struct checker ck = {.cfg = cfg};
    char b[HNVGW_IP_STRLEN], p[HNVGW_PFX_STRLEN];
    struct where w;
    int ret;

    config_where_runtime(&w, err);
    ret = check_route_entry(&ck, rt, &w);
    if (ret) {
        return ret;
    }
    for (size_t i = 0; i < cfg->n_routes; i++) {
        if (route_same_key(&cfg->routes[i], rt)) {
            return config_report(
                &w, EEXIST, "prefix", 0, "tenant \"%s\" already has a route to %s via %s",
                config_find_tenant(cfg, rt->tenant_id)->name, hnvgw_prefix_format(&rt->prefix, p),
                hnvgw_ip_format(&rt->next_hop, b));
        }
    }
    return 0;
}

/* ---- Bulk files ---- */

/* Grows '*arr' (of '*cap' elements of 'size' bytes) to hold 'need' elements. */
static bool
grow(void **arr, size_t *cap, size_t need, size_t size)
{
    size_t cap2 = *cap ? *cap : 1024;
    void *p;

    if (need <= *cap) {
        return true;
    }
    while (cap2 < need) {
        cap2 *= 2;
    }
    p = realloc(*arr, cap2 * size);
    if (!p) {
        return false;
    }
    *arr = p;
    *cap = cap2;
    return true;
}

/* Parses a decimal number 0..UINT32_MAX. */
static int
parse_u32(const struct where *w, const char *field, const char *s, uint32_t *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (!isdigit((unsigned char)s[0]) || *end || errno || v > UINT32_MAX) {
        return config_report(w, EINVAL, field, 0, "'%s' is not a number 0..%u", s, UINT32_MAX);
    }
    *out = (uint32_t)v;
    return 0;
}

/* Resolves bulk file key 'key' (relative to the config's directory) into 'out'. Returns 0 with
 * out[0] == '\0' when the key is absent. */
static int
bulk_path(struct loader *ld, const char *key, char out[256])
{
    const char *s = cfg_size(ld->root, key) ? cfg_getstr(ld->root, key) : NULL;
    const char *slash = strrchr(ld->path, '/');
    struct where w;
    int n;

    out[0] = '\0';
    if (!s) {
        return 0;
    }
    config_where_sec(&w, ld, ld->root, "%s", "");
    w.line = config_key_line(ld, ld->root, key, 0);
    if (s[0] == '/' || !slash) {
        n = snprintf(out, 256, "%s", s);
    } else {
        n = snprintf(out, 256, "%.*s/%s", (int)(slash - ld->path), ld->path, s);
    }
    if (!s[0] || n >= 256) {
        return config_report(&w, EINVAL, key, 0, "'%s' is not a path of at most 255 characters", s);
    }
    return 0;
}

/* Calls 'fn' on every non-empty, non-comment line of bulk file 'file' (named by root key 'key')
 * with its fields split at white space. */
static int
read_bulk(struct loader *ld, const char *key, const char *file,
          int (*fn)(struct loader *, const struct where *, char **, int))
{
    FILE *fp = fopen(file, "r");
    char *buf = NULL;
    size_t cap = 0;
    int lineno = 0, ret = 0;
    struct where w;

    if (!fp) {
        int e = errno;
        config_where_sec(&w, ld, ld->root, "%s", "");
        return config_report(&w, e, key, 0, "cannot open %s: %s", file, strerror(e));
    }
    while (!ret && getline(&buf, &cap, fp) != -1) {
        char *f[8], *save = NULL, *hash = strchr(buf, '#');
        int n = 0;

        lineno++;
        if (hash) {
            *hash = '\0';
        }
        for (char *t = strtok_r(buf, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
            if (n < 8) {
                f[n] = t;
            }
            n++;
        }
        if (n) {
            config_where_line(&w, ld, file, lineno,
                              key[0] == 'l' ? "lookup_record" : "customer_route");
            ret = fn(ld, &w, f, n);
        }
    }
    free(buf);
    fclose(fp);
    return ret;
}

/* One line of lookup_records_file: "vsid ca pa mac [rule [type]]". */
static int
bulk_lookup(struct loader *ld, const struct where *w, char **f, int n)
{
    struct hnvgw_config *cfg = ld->cfg;
    struct config_lookup *l;
    unsigned rule = 0, type = 0;
    int ret;

    if (n < 4 || n > 6) {
        return config_report(w, EINVAL, NULL, 0,
                             "expected 'vsid ca pa mac [rule [type]]', found %d fields", n);
    }
    if (!grow((void **)&cfg->lookups, &ld->cap_lookups, cfg->n_lookups + 1, sizeof *l)) {
        return config_report(w, ENOMEM, NULL, 0, "out of memory");
    }
    l = memset(&cfg->lookups[cfg->n_lookups], 0, sizeof *l);
    l->line = w->line;
    l->bulk = true;
    if ((ret = parse_u32(w, "vsid", f[0], &l->vsid)) != 0 ||
        (ret = config_parse_ip4(w, "ca", 0, f[1], &l->ca)) != 0 ||
        (ret = config_parse_ip4(w, "pa", 0, f[2], &l->pa)) != 0 ||
        (ret = config_parse_mac(w, "mac", 0, f[3], &l->mac)) != 0 ||
        (n > 4 && (ret = config_parse_enum(w, "rule", 0, f[4], rule_keys, 2, &rule)) != 0) ||
        (n > 5 && (ret = config_parse_enum(w, "type", 0, f[5], type_keys, 4, &type)) != 0)) {
        return ret;
    }
    l->rule = (enum config_lookup_rule)rule;
    l->type = (enum config_lookup_type)type;
    cfg->n_lookups++;
    return 0;
}

/* Fills the tenant part of route 'r' from tenant name 's'. */
static int
route_tenant(const struct loader *ld, const struct where *w, const char *s, struct config_route *r)
{
    const struct config_tenant *t = config_tenant_by_name(ld, s);

    if (!t) {
        return config_report(w, EINVAL, "tenant", 0, "'%s' is not a configured tenant", s);
    }
    r->tenant_id = t->id;
    return 0;
}

/* One line of customer_routes_file: "tenant vsid prefix next_hop [metric]". */
static int
bulk_route(struct loader *ld, const struct where *w, char **f, int n)
{
    struct hnvgw_config *cfg = ld->cfg;
    struct checker ck = {.cfg = cfg, .vsids = ld->vsids, .n_vsids = ld->n_vsids};
    struct config_route *r;
    int ret;

    if (n < 4 || n > 5) {
        return config_report(w, EINVAL, NULL, 0,
                             "expected 'tenant vsid prefix next_hop [metric]', found %d fields", n);
    }
    if (!grow((void **)&cfg->routes, &ld->cap_routes, cfg->n_routes + 1, sizeof *r)) {
        return config_report(w, ENOMEM, NULL, 0, "out of memory");
    }
    r = memset(&cfg->routes[cfg->n_routes], 0, sizeof *r);
    r->line = w->line;
    r->bulk = true;
    if ((ret = route_tenant(ld, w, f[0], r)) != 0 ||
        (ret = parse_u32(w, "vsid", f[1], &r->vsid)) != 0 ||
        (ret = config_parse_prefix4(w, "prefix", 0, f[2], true, &r->prefix)) != 0 ||
        (ret = config_parse_ip4(w, "next_hop", 0, f[3], &r->next_hop)) != 0 ||
        (n > 4 && (ret = parse_u32(w, "metric", f[4], &r->metric)) != 0)) {
        return ret;
    }
    r->on_link = hnvgw_ip_is_zero(&r->next_hop);
    cfg->n_routes++;
    return check_route_entry(&ck, r, w);
}

/* Checks bulk lookup record 'n_lookups - 1' once bulk_lookup() parsed it. */
static int
bulk_lookup_checked(struct loader *ld, const struct where *w, char **f, int n)
{
    struct checker ck = {.cfg = ld->cfg, .vsids = ld->vsids, .n_vsids = ld->n_vsids};
    int ret = bulk_lookup(ld, w, f, n);

    return ret ? ret : check_lookup_entry(&ck, &ld->cfg->lookups[ld->cfg->n_lookups - 1], w);
}

/* ---- Sections ---- */

/* Reads the "vsid" key of a lookup record or customer route section (checked later). */
static int
get_vsid_raw(const struct where *w, uint32_t *vsid)
{
    long v = 0;
    int ret = config_get_int(w, "vsid", 0, UINT32_MAX, &v);

    if (ret && cfg_size(w->sec, "vsid")) {
        return config_report(w, EINVAL, "vsid", 0, "%ld is out of range %u..%u",
                             cfg_getint(w->sec, "vsid"), CONFIG_VSID_MIN, CONFIG_VSID_MAX);
    }
    *vsid = (uint32_t)v;
    return ret;
}

/* One lookup_record section. An unsupported type is refused before the keys it would need. */
static int
load_lookup_section(struct loader *ld, const struct where *w, struct config_lookup *l)
{
    struct checker ck = {.cfg = ld->cfg, .vsids = ld->vsids, .n_vsids = ld->n_vsids};
    unsigned rule = 0, type = 0;
    const char *s;
    int ret;

    l->line = w->line;
    if ((ret = config_parse_enum(w, "rule", 0, cfg_getstr(w->sec, "rule"), rule_keys, 2, &rule)) !=
            0 ||
        (ret = config_parse_enum(w, "type", 0, cfg_getstr(w->sec, "type"), type_keys, 4, &type)) !=
            0 ||
        (ret = check_type(w, (enum config_lookup_type)type)) != 0 ||
        (ret = get_vsid_raw(w, &l->vsid)) != 0) {
        return ret;
    }
    l->rule = (enum config_lookup_rule)rule;
    l->type = (enum config_lookup_type)type;
    if ((ret = config_get_str(w, "ca", l->type != CONFIG_TYPE_GATEWAY_WILDCARD, &s)) != 0 ||
        (ret = s ? config_parse_ip4(w, "ca", 0, s, &l->ca) : 0) != 0) {
        return ret;
    }
    if (!s) {
        l->ca = hnvgw_ip4(0);
    }
    if ((ret = config_get_str(w, "pa", true, &s)) != 0 ||
        (ret = config_parse_ip4(w, "pa", 0, s, &l->pa)) != 0 ||
        (ret = config_get_str(w, "mac", true, &s)) != 0 ||
        (ret = config_parse_mac(w, "mac", 0, s, &l->mac)) != 0) {
        return ret;
    }
    return check_lookup_entry(&ck, l, w);
}

/* One customer_route section. */
static int
load_route_section(struct loader *ld, const struct where *w, struct config_route *r)
{
    struct checker ck = {.cfg = ld->cfg, .vsids = ld->vsids, .n_vsids = ld->n_vsids};
    const char *s;
    int ret;

    r->line = w->line;
    if ((ret = config_get_str(w, "tenant", true, &s)) != 0 ||
        (ret = route_tenant(ld, w, s, r)) != 0 || (ret = get_vsid_raw(w, &r->vsid)) != 0 ||
        (ret = config_get_str(w, "prefix", true, &s)) != 0 ||
        (ret = config_parse_prefix4(w, "prefix", 0, s, true, &r->prefix)) != 0 ||
        (ret = config_get_str(w, "next_hop", true, &s)) != 0 ||
        (ret = config_parse_ip4(w, "next_hop", 0, s, &r->next_hop)) != 0 ||
        (ret = config_get_u32(w, "metric", 0, UINT32_MAX, &r->metric)) != 0) {
        return ret;
    }
    r->on_link = hnvgw_ip_is_zero(&r->next_hop);
    return check_route_entry(&ck, r, w);
}

/* ---- Duplicates, across the file and the bulk files ---- */

/* Points 'w' at lookup record 'i' (or customer route, with 'routes') of the loaded config. */
static void
where_entry(struct where *w, const struct loader *ld, bool routes, size_t i)
{
    const struct hnvgw_config *cfg = ld->cfg;
    const char *key = routes ? "customer_route" : "lookup_record";
    bool bulk = routes ? cfg->routes[i].bulk : cfg->lookups[i].bulk;
    int line = routes ? cfg->routes[i].line : cfg->lookups[i].line;

    if (bulk) {
        config_where_line(w, ld, routes ? cfg->route_file : cfg->lookup_file, line, key);
    } else {
        config_where_sec(w, ld, cfg_getnsec(ld->root, key, (unsigned)i), "%s", key);
    }
}

/* Writes where entry 'i' is, as seen from entry 'from': ", first at line N" or ", first at
 * FILE:N" when they are in different files. */
static void
first_at(const struct loader *ld, bool routes, size_t i, size_t from, char *buf, size_t size)
{
    const struct hnvgw_config *cfg = ld->cfg;
    bool bulk = routes ? cfg->routes[i].bulk : cfg->lookups[i].bulk;
    bool from_bulk = routes ? cfg->routes[from].bulk : cfg->lookups[from].bulk;
    int line = routes ? cfg->routes[i].line : cfg->lookups[i].line;
    const char *file = !bulk ? cfg->path : routes ? cfg->route_file : cfg->lookup_file;

    if (bulk == from_bulk) {
        snprintf(buf, size, ", first at line %d", line);
    } else {
        snprintf(buf, size, ", first at %s:%d", file, line);
    }
}

/* Sort key of a lookup record or customer route, for finding duplicates. */
struct dup_key {
    uint64_t a, b; /* The entry's key. */
    size_t idx;    /* Its index: the first of equal keys is the one defined first. */
};

/* qsort() order of dup_keys; equal keys stay in definition order. */
static int
dup_key_cmp(const void *x_, const void *y_)
{
    const struct dup_key *x = x_, *y = y_;

    if (x->a != y->a) {
        return x->a < y->a ? -1 : 1;
    }
    if (x->b != y->b) {
        return x->b < y->b ? -1 : 1;
    }
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Sorts 'keys' and returns the index into 'keys' of the first entry whose key equals that of
 * its predecessor, or 0 when all keys differ. */
static size_t
find_dup(struct dup_key *keys, size_t n)
{
    qsort(keys, n, sizeof *keys, dup_key_cmp);
    for (size_t i = 1; i < n; i++) {
        if (keys[i].a == keys[i - 1].a && keys[i].b == keys[i - 1].b) {
            return i;
        }
    }
    return 0;
}

int
config_load_lookups(struct loader *ld)
{
    struct hnvgw_config *cfg = ld->cfg;
    unsigned n = cfg_size(ld->root, "lookup_record");
    size_t vm_ports = 0, d;
    struct dup_key *keys;
    char at[300];
    struct where w;
    int ret;

    ld->cap_lookups = n ? n : 1;
    cfg->lookups = calloc(ld->cap_lookups, sizeof *cfg->lookups);
    if (!cfg->lookups) {
        config_where_line(&w, ld, ld->path, 0, "lookup_record");
        return config_report(&w, ENOMEM, NULL, 0, "out of memory");
    }
    for (unsigned i = 0; i < n; i++) {
        config_where_sec(&w, ld, cfg_getnsec(ld->root, "lookup_record", i), "lookup_record");
        cfg->n_lookups++;
        if ((ret = load_lookup_section(ld, &w, &cfg->lookups[i])) != 0) {
            return ret;
        }
    }
    if ((ret = bulk_path(ld, "lookup_records_file", cfg->lookup_file)) != 0 ||
        (cfg->lookup_file[0] && (ret = read_bulk(ld, "lookup_records_file", cfg->lookup_file,
                                                 bulk_lookup_checked)) != 0)) {
        return ret;
    }
    for (size_t i = 0; i < cfg->n_ports; i++) {
        vm_ports += cfg->ports[i].kind == CONFIG_PORT_VM;
    }
    if (cfg->n_lookups + vm_ports > cfg->max_lookups) {
        config_where_sec(&w, ld, cfg_getnsec(ld->root, "node", 0), "node");
        return config_report(&w, EINVAL, "max_lookup_records", 0,
                             "%zu lookup records (with %zu vm ports) do not fit in %u",
                             cfg->n_lookups + vm_ports, vm_ports, cfg->max_lookups);
    }
    if (cfg->n_lookups < 2) {
        return 0;
    }
    keys = malloc(cfg->n_lookups * sizeof *keys);
    if (!keys) {
        config_where_line(&w, ld, ld->path, 0, "lookup_record");
        return config_report(&w, ENOMEM, NULL, 0, "out of memory");
    }
    for (size_t i = 0; i < cfg->n_lookups; i++) {
        const struct config_lookup *l = &cfg->lookups[i];
        keys[i] = (struct dup_key){(uint64_t)l->vsid << 2 | lookup_class(l), lookup_key(l), i};
    }
    d = find_dup(keys, cfg->n_lookups);
    if (d) {
        size_t later = keys[d].idx, first = keys[d - 1].idx;
        first_at(ld, false, first, later, at, sizeof at);
        where_entry(&w, ld, false, later);
        ret = report_lookup_dup(&w, EINVAL, &cfg->lookups[later], at);
    }
    free(keys);
    return ret;
}

int
config_load_routes(struct loader *ld)
{
    struct hnvgw_config *cfg = ld->cfg;
    unsigned n = cfg_size(ld->root, "customer_route");
    size_t fib = 0, d;
    struct dup_key *keys;
    char at[300], b[HNVGW_IP_STRLEN], p[HNVGW_PFX_STRLEN];
    struct where w;
    int ret;

    ld->cap_routes = n ? n : 1;
    cfg->routes = calloc(ld->cap_routes, sizeof *cfg->routes);
    if (!cfg->routes) {
        config_where_line(&w, ld, ld->path, 0, "customer_route");
        return config_report(&w, ENOMEM, NULL, 0, "out of memory");
    }
    for (unsigned i = 0; i < n; i++) {
        config_where_sec(&w, ld, cfg_getnsec(ld->root, "customer_route", i), "customer_route");
        cfg->n_routes++;
        if ((ret = load_route_section(ld, &w, &cfg->routes[i])) != 0) {
            return ret;
        }
    }
    if ((ret = bulk_path(ld, "customer_routes_file", cfg->route_file)) != 0 ||
        (cfg->route_file[0] &&
         (ret = read_bulk(ld, "customer_routes_file", cfg->route_file, bulk_route)) != 0)) {
        return ret;
    }
    /* The FIB also holds each subnet and its gateway address, external routes and forward
     * prefixes; this bound is what policy_routes() can ask for. */
    fib = cfg->n_routes;
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        fib += 2 * cfg->tenants[i].n_subnets + cfg->tenants[i].n_ext_routes +
               cfg->tenants[i].n_forward_prefixes;
    }
    if (fib > cfg->max_routes) {
        config_where_sec(&w, ld, cfg_getnsec(ld->root, "node", 0), "node");
        return config_report(&w, EINVAL, "max_routes", 0,
                             "up to %zu routes (%zu customer routes plus subnets, external routes "
                             "and forward prefixes) do not fit in %u",
                             fib, cfg->n_routes, cfg->max_routes);
    }
    if (cfg->n_routes < 2) {
        return 0;
    }
    keys = malloc(cfg->n_routes * sizeof *keys);
    if (!keys) {
        config_where_line(&w, ld, ld->path, 0, "customer_route");
        return config_report(&w, ENOMEM, NULL, 0, "out of memory");
    }
    for (size_t i = 0; i < cfg->n_routes; i++) {
        const struct config_route *r = &cfg->routes[i];
        keys[i] = (struct dup_key){(uint64_t)r->tenant_id << 40 |
                                       (uint64_t)ntohl(r->prefix.addr.v4) << 8 | r->prefix.plen,
                                   ntohl(r->next_hop.v4), i};
    }
    d = find_dup(keys, cfg->n_routes);
    if (d) {
        size_t later = keys[d].idx, first = keys[d - 1].idx;
        const struct config_route *r = &cfg->routes[later];
        first_at(ld, true, first, later, at, sizeof at);
        where_entry(&w, ld, true, later);
        ret = config_report(&w, EINVAL, "prefix", 0,
                            "tenant \"%s\" already has a route to %s via %s%s",
                            ld->by_id[r->tenant_id]->name, hnvgw_prefix_format(&r->prefix, p),
                            hnvgw_ip_format(&r->next_hop, b), at);
    }
    free(keys);
    return ret;
}
