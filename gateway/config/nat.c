/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration, a tenant's "nat" section: NAT44 toward the external port, its static mappings,
 * and the rules between the NAT sections of different tenants. */
#include "gateway/config/config_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#define NAT_INSIDE_MAX 64  /* DP_NAT_INSIDE_MAX: inside prefixes of one tenant's NAT. */
#define NAT_IPS_MAX    256 /* DP_NAT_IPS_MAX: distinct NAT public addresses on one node. */

static cfg_opt_t nat_static_opts[] = {
    CONFIG_LINE_OPT,
    CFG_STR("protocol", NULL, CFGF_NODEFAULT),
    CFG_STR("public", NULL, CFGF_NODEFAULT),
    CFG_STR("inside", NULL, CFGF_NODEFAULT),
    CFG_END(),
};

cfg_opt_t config_nat_opts[] = {
    CONFIG_LINE_OPT,
    CFG_STR_LIST("public_addresses", NULL, CFGF_NONE),
    CFG_STR("ports", "1024-65535", CFGF_NONE),
    CFG_STR_LIST("inside_prefixes", NULL, CFGF_NONE),
    CFG_STR_LIST("destinations", NULL, CFGF_NONE),
    CFG_STR("next_hop", NULL, CFGF_NODEFAULT),
    CFG_STR("filtering", "address-dependent", CFGF_NONE),
    CFG_INT("max_sessions", 65536, CFGF_NONE),
    CFG_INT("max_ports", 16384, CFGF_NONE),
    CFG_INT("tcp_established_timeout", 7440, CFGF_NONE),
    CFG_INT("tcp_transitory_timeout", 240, CFGF_NONE),
    CFG_INT("udp_timeout", 300, CFGF_NONE),
    CFG_INT("icmp_timeout", 60, CFGF_NONE),
    CFG_STR("log", "mappings", CFGF_NONE),
    CFG_SEC("static_mapping", nat_static_opts, CFGF_MULTI),
    CFG_END(),
};

/* Spellings of the enums in the file (and in messages). */
static const char *const filtering_keys[] = {"address-dependent", "endpoint-independent"};
static const char *const nat_log_keys[] = {"mappings", "blocks", "none"};
static const char *const protocol_keys[] = {"tcp", "udp"};

/* Parses 's', "A-B" with 1 <= A <= B <= 65535, into '*lo' and '*hi'. */
static int
parse_port_range(const struct where *w, const char *field, const char *s, uint16_t *lo,
                 uint16_t *hi)
{
    unsigned long a = 0, b = 0;
    char *end = NULL;

    if (isdigit((unsigned char)s[0])) {
        a = strtoul(s, &end, 10);
        if (*end == '-' && isdigit((unsigned char)end[1])) {
            b = strtoul(end + 1, &end, 10);
        } else {
            end = NULL;
        }
    }
    if (!end || *end || a < 1 || a > b || b > 65535) {
        return config_report(w, EINVAL, field, 0,
                             "'%s' is not a port range A-B with 1 <= A <= B <= 65535", s);
    }
    *lo = (uint16_t)a;
    *hi = (uint16_t)b;
    return 0;
}

/* Parses 's', "ADDRESS:PORT" with an IPv4 address and a port 1..65535, into '*ip' and '*port'. */
static int
parse_ip4_port(const struct where *w, const char *field, const char *s, struct hnvgw_ip *ip,
               uint16_t *port)
{
    const char *colon = strrchr(s, ':');
    unsigned long v = 0;
    char addr[64], *end = NULL;

    if (!colon || colon == s || (size_t)(colon - s) >= sizeof addr ||
        !isdigit((unsigned char)colon[1])) {
        return config_report(w, EINVAL, field, 0, "'%s' is not ADDRESS:PORT, e.g. 198.18.0.10:8080",
                             s);
    }
    memcpy(addr, s, colon - s);
    addr[colon - s] = '\0';
    v = strtoul(colon + 1, &end, 10);
    if (*end) {
        return config_report(w, EINVAL, field, 0, "'%s' is not ADDRESS:PORT, e.g. 198.18.0.10:8080",
                             s);
    }
    if (v < 1 || v > 65535) {
        return config_report(w, EINVAL, field, 0, "port '%s' of '%s' is out of range 1..65535",
                             colon + 1, s);
    }
    *port = (uint16_t)v;
    return config_parse_ip4(w, field, 0, addr, ip);
}

bool
config_nat_has_public(const struct config_nat *nat, const struct hnvgw_ip *ip)
{
    for (size_t i = 0; i < nat->n_public_ips; i++) {
        if (hnvgw_ip_equal(&nat->public_ips[i], ip)) {
            return true;
        }
    }
    return false;
}

/* True when 'ip' lies inside one of the inside prefixes of 'nat'. */
static bool
nat_is_inside(const struct config_nat *nat, const struct hnvgw_ip *ip)
{
    for (size_t i = 0; i < nat->n_inside_prefixes; i++) {
        if (hnvgw_prefix_contains(&nat->inside_prefixes[i], ip)) {
            return true;
        }
    }
    return false;
}

/* The file's spelling of IPPROTO_TCP or IPPROTO_UDP. */
static const char *
nat_protocol_name(uint8_t protocol)
{
    return protocol_keys[protocol == IPPROTO_UDP];
}

/* Checks public address 'ip', element 'idx' of public_addresses: unicast, not an address of this
 * node's ports or provider addresses, and outside every tenant's forward prefixes. */
static int
check_public_ip(const struct loader *ld, const struct where *w, unsigned idx,
                const struct hnvgw_ip *ip)
{
    const struct hnvgw_config *cfg = ld->cfg;
    char b[HNVGW_IP_STRLEN], p[HNVGW_PFX_STRLEN];

    hnvgw_ip_format(ip, b);
    if (!config_is_unicast4(ip)) {
        return config_report(w, EINVAL, "public_addresses", idx, "%s is not a unicast address", b);
    }
    for (size_t i = 0; i < cfg->n_ports; i++) {
        const struct config_port *port = &cfg->ports[i];
        if (port->has_address && hnvgw_ip_equal(&port->address.addr, ip)) {
            return config_report(w, EINVAL, "public_addresses", idx,
                                 "%s is the address of port \"%s\"", b, port->name);
        }
    }
    if (config_is_my_pa(cfg, ip)) {
        return config_report(w, EINVAL, "public_addresses", idx,
                             "%s is a provider address of this node", b);
    }
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const struct config_tenant *o = &cfg->tenants[i];
        for (size_t k = 0; k < o->n_forward_prefixes; k++) {
            if (hnvgw_prefix_contains(&o->forward_prefixes[k], ip)) {
                return config_report(w, EINVAL, "public_addresses", idx,
                                     "%s is inside forward prefix %s of tenant \"%s\", line %d", b,
                                     hnvgw_prefix_format(&o->forward_prefixes[k], p), o->name,
                                     o->line);
            }
        }
    }
    return 0;
}

/* The public addresses of nat section 'w->sec', 1..CONFIG_NAT_PUBLIC_MAX, each listed once. */
static int
load_public_ips(const struct loader *ld, const struct where *w, struct config_nat *nat)
{
    unsigned n = cfg_size(w->sec, "public_addresses");
    char b[HNVGW_IP_STRLEN];
    int ret;

    if (n == 0) {
        return config_report(w, EINVAL, "public_addresses", 0, "is required: 1..%d IPv4 addresses",
                             CONFIG_NAT_PUBLIC_MAX);
    }
    if (n > CONFIG_NAT_PUBLIC_MAX) {
        return config_report(w, EINVAL, "public_addresses", CONFIG_NAT_PUBLIC_MAX,
                             "more than %d addresses", CONFIG_NAT_PUBLIC_MAX);
    }
    for (unsigned i = 0; i < n; i++) {
        struct hnvgw_ip *ip = &nat->public_ips[i];

        if ((ret = config_parse_ip4(w, "public_addresses", i,
                                    cfg_getnstr(w->sec, "public_addresses", i), ip)) != 0 ||
            (ret = check_public_ip(ld, w, i, ip)) != 0) {
            return ret;
        }
        if (config_nat_has_public(nat, ip)) {
            return config_report(w, EINVAL, "public_addresses", i, "%s is listed twice",
                                 hnvgw_ip_format(ip, b));
        }
        nat->n_public_ips++;
    }
    return 0;
}

/* The dynamic port range of nat section 'w->sec': whole port blocks of the node's size. */
static int
load_ports_range(const struct loader *ld, const struct where *w, struct config_nat *nat)
{
    uint32_t block = ld->cfg->nat_port_block;
    const char *s;
    int ret;

    if ((ret = config_get_str(w, "ports", true, &s)) != 0 ||
        (ret = parse_port_range(w, "ports", s, &nat->port_min, &nat->port_max)) != 0) {
        return ret;
    }
    if (nat->port_min % block || (nat->port_max + 1u) % block) {
        uint32_t lo = (nat->port_min + block - 1) / block * block;
        uint32_t hi = (nat->port_max + 1u) / block * block;
        char hint[48] = "";

        if (lo < hi) {
            snprintf(hint, sizeof hint, ", e.g. %u-%u", lo, hi - 1);
        }
        return config_report(
            w, EINVAL, "ports", 0,
            "'%s' must start and end on a port-block boundary (nat_port_block = %u%s)", s, block,
            hint);
    }
    return 0;
}

/* The inside prefixes and destinations of nat section 'w->sec' of tenant 't', or their
 * defaults: the tenant's subnets, and 0.0.0.0/0. */
static int
load_nat_prefixes(const struct where *w, const struct config_tenant *t, struct config_nat *nat)
{
    int ret;

    if (config_list_given(w->sec, "inside_prefixes")) {
        ret = config_get_prefix_list(w, "inside_prefixes", NAT_INSIDE_MAX, &nat->inside_prefixes,
                                     &nat->n_inside_prefixes);
        if (ret) {
            return ret;
        }
    } else {
        /* The tenant's subnets: they never overlap, so there are no duplicates. */
        if (t->n_subnets > NAT_INSIDE_MAX) {
            return config_report(w, EINVAL, "inside_prefixes", 0,
                                 "the default, the tenant's %zu subnet prefixes, is more than %d: "
                                 "list the inside prefixes",
                                 t->n_subnets, NAT_INSIDE_MAX);
        }
        nat->inside_prefixes = calloc(t->n_subnets, sizeof *nat->inside_prefixes);
        if (!nat->inside_prefixes) {
            return config_report(w, ENOMEM, NULL, 0, "out of memory");
        }
        for (size_t i = 0; i < t->n_subnets; i++) {
            nat->inside_prefixes[nat->n_inside_prefixes++] = t->subnets[i].prefix;
        }
    }

    if (config_list_given(w->sec, "destinations")) {
        return config_get_prefix_list(w, "destinations", SIZE_MAX, &nat->destinations,
                                      &nat->n_destinations);
    }
    nat->destinations = calloc(1, sizeof *nat->destinations);
    if (!nat->destinations) {
        return config_report(w, ENOMEM, NULL, 0, "out of memory");
    }
    nat->destinations[0].addr = hnvgw_ip4(0);
    nat->n_destinations = 1;
    return 0;
}

/* The keys of nat section 'w->sec' of tenant 't' that are single values. Needs the external
 * port and the node. */
static int
load_nat_keys(struct loader *ld, const struct where *w, const struct config_tenant *t,
              struct config_nat *nat)
{
    const struct config_port *ext = ld->external;
    char p[HNVGW_PFX_STRLEN];
    unsigned filtering = 0, log = 0;
    const char *s;
    int ret;

    if ((ret = load_public_ips(ld, w, nat)) != 0 || (ret = load_ports_range(ld, w, nat)) != 0 ||
        (ret = load_nat_prefixes(w, t, nat)) != 0) {
        return ret;
    }

    if ((ret = config_get_str(w, "next_hop", false, &s)) != 0) {
        return ret;
    }
    if (s) {
        if ((ret = config_parse_ip4(w, "next_hop", 0, s, &nat->next_hop)) != 0) {
            return ret;
        }
        if (!hnvgw_prefix_contains(&ext->address, &nat->next_hop) ||
            hnvgw_ip_equal(&nat->next_hop, &ext->address.addr) ||
            config_is_net_or_bcast(&ext->address, &nat->next_hop)) {
            return config_report(w, EINVAL, "next_hop", 0,
                                 "%s is not another host of %s of external port \"%s\"", s,
                                 hnvgw_prefix_format(&ext->address, p), ext->name);
        }
        nat->has_next_hop = true;
    }

    if ((ret = config_parse_enum(w, "filtering", 0, cfg_getstr(w->sec, "filtering"), filtering_keys,
                                 2, &filtering)) != 0 ||
        (ret = config_parse_enum(w, "log", 0, cfg_getstr(w->sec, "log"), nat_log_keys, 3, &log)) !=
            0) {
        return ret;
    }
    nat->filtering = (enum config_nat_filtering)filtering;
    nat->log = (enum config_nat_log)log;
    if ((ret = config_get_u32(w, "max_sessions", 1, 16L << 20, &nat->max_sessions)) != 0 ||
        (ret = config_get_u32(w, "max_ports", 1, 16L << 20, &nat->max_ports)) != 0 ||
        (ret = config_get_u32(w, "tcp_established_timeout", 1, 604800,
                              &nat->tcp_established_timeout)) != 0 ||
        (ret = config_get_u32(w, "tcp_transitory_timeout", 1, 86400,
                              &nat->tcp_transitory_timeout)) != 0 ||
        (ret = config_get_u32(w, "udp_timeout", 1, 86400, &nat->udp_timeout)) != 0 ||
        (ret = config_get_u32(w, "icmp_timeout", 1, 86400, &nat->icmp_timeout)) != 0) {
        return ret;
    }
    return 0;
}

/* One static_mapping 'st', the 'j'-th of 'nat' at 'w', checked against the NAT's own settings and
 * its earlier mappings. */
static int
load_nat_static(const struct where *w, const struct config_nat *nat, unsigned j,
                struct config_nat_static *st)
{
    char b[HNVGW_IP_STRLEN];
    unsigned proto = 0;
    const char *s;
    int ret;

    if ((ret = config_get_str(w, "protocol", true, &s)) != 0 ||
        (ret = config_parse_enum(w, "protocol", 0, s, protocol_keys, 2, &proto)) != 0) {
        return ret;
    }
    st->protocol = proto ? IPPROTO_UDP : IPPROTO_TCP;
    if ((ret = config_get_str(w, "public", true, &s)) != 0 ||
        (ret = parse_ip4_port(w, "public", s, &st->public_ip, &st->public_port)) != 0) {
        return ret;
    }
    if (!config_nat_has_public(nat, &st->public_ip)) {
        return config_report(w, EINVAL, "public", 0,
                             "%s is not one of the tenant's public_addresses",
                             hnvgw_ip_format(&st->public_ip, b));
    }
    if ((ret = config_get_str(w, "inside", true, &s)) != 0 ||
        (ret = parse_ip4_port(w, "inside", s, &st->inside_ip, &st->inside_port)) != 0) {
        return ret;
    }
    if (!nat_is_inside(nat, &st->inside_ip)) {
        return config_report(w, EINVAL, "inside", 0,
                             "%s is not inside the tenant's inside_prefixes",
                             hnvgw_ip_format(&st->inside_ip, b));
    }
    for (unsigned k = 0; k < j; k++) {
        const struct config_nat_static *o = &nat->statics[k];
        if (o->protocol == st->protocol && o->inside_port == st->inside_port &&
            hnvgw_ip_equal(&o->inside_ip, &st->inside_ip)) {
            return config_report(w, EINVAL, "inside", 0,
                                 "%s %s:%u already has the static_mapping at line %d",
                                 nat_protocol_name(st->protocol),
                                 hnvgw_ip_format(&st->inside_ip, b), st->inside_port, o->line);
        }
    }
    return 0;
}

/* The static_mapping sections of nat section 'sec' of tenant 't'. */
static int
load_nat_statics(struct loader *ld, cfg_t *sec, const struct config_tenant *t,
                 struct config_nat *nat)
{
    unsigned n = cfg_size(sec, "static_mapping");
    struct where w;

    nat->statics = calloc(n ? n : 1, sizeof *nat->statics);
    if (!nat->statics) {
        config_where_sec(&w, ld, sec, "tenant \"%s\" nat", t->name);
        return config_report(&w, ENOMEM, NULL, 0, "out of memory");
    }
    for (unsigned j = 0; j < n; j++) {
        cfg_t *ss = cfg_getnsec(sec, "static_mapping", j);
        struct config_nat_static *st = &nat->statics[j];
        int ret;

        config_where_sec(&w, ld, ss, "tenant \"%s\" nat static_mapping", t->name);
        nat->n_statics++;
        st->line = w.line;
        if ((ret = load_nat_static(&w, nat, j, st)) != 0) {
            return ret;
        }
    }
    return 0;
}

/* Its keys and static mappings, checked on their own. */
int
config_load_nats(struct loader *ld)
{
    struct hnvgw_config *cfg = ld->cfg;
    struct where w;

    for (size_t i = 0; i < cfg->n_tenants; i++) {
        struct config_tenant *t = &cfg->tenants[i];
        cfg_t *sec;
        int ret = config_tenant_section(ld, i, "nat", &sec, &w);

        if (ret) {
            return ret;
        }
        if (!sec) {
            continue;
        }
        t->nat = calloc(1, sizeof *t->nat);
        if (!t->nat) {
            return config_report(&w, ENOMEM, NULL, 0, "out of memory");
        }
        t->nat->line = w.line;
        if (!(cfg->roles & CONFIG_ROLE_GATEWAY)) {
            return config_report(&w, EINVAL, NULL, 0, "NAT needs \"gateway\" in node roles");
        }
        if (!ld->external) {
            return config_report(&w, EINVAL, NULL, 0, "NAT needs an external port");
        }
        if ((ret = load_nat_keys(ld, &w, t, t->nat)) != 0 ||
            (ret = load_nat_statics(ld, sec, t, t->nat)) != 0) {
            return ret;
        }
    }
    return 0;
}

/* The public addresses of tenant 'i' (nat section at 'w'): at most NAT_IPS_MAX distinct ones over
 * all tenants ('seen' of '*n_seen' so far), and one shared with an earlier tenant only with
 * disjoint port ranges. */
static int
check_shared_publics(const struct hnvgw_config *cfg, const struct where *w, size_t i,
                     struct hnvgw_ip *seen, size_t *n_seen)
{
    const struct config_nat *nat = cfg->tenants[i].nat;
    char b[HNVGW_IP_STRLEN];

    for (size_t a = 0; a < nat->n_public_ips; a++) {
        const struct hnvgw_ip *ip = &nat->public_ips[a];
        size_t s = 0;

        while (s < *n_seen && !hnvgw_ip_equal(&seen[s], ip)) {
            s++;
        }
        if (s == *n_seen && *n_seen == NAT_IPS_MAX) {
            return config_report(w, EINVAL, "public_addresses", (unsigned)a,
                                 "%s is more than the %d distinct public addresses a node supports",
                                 hnvgw_ip_format(ip, b), NAT_IPS_MAX);
        }
        if (s == *n_seen) {
            seen[(*n_seen)++] = *ip;
        }
        for (size_t k = 0; k < i; k++) {
            const struct config_tenant *o = &cfg->tenants[k];
            if (o->nat && config_nat_has_public(o->nat, ip) && nat->port_min <= o->nat->port_max &&
                o->nat->port_min <= nat->port_max) {
                return config_report(w, EINVAL, "public_addresses", (unsigned)a,
                                     "%s is also a public address of tenant \"%s\" (nat at line "
                                     "%d), and ports %u-%u overlap its ports %u-%u",
                                     hnvgw_ip_format(ip, b), o->name, o->nat->line, nat->port_min,
                                     nat->port_max, o->nat->port_min, o->nat->port_max);
            }
        }
    }
    return 0;
}

/* Static mapping 'j' of tenant 'i' (at 'ws'): its public port outside other tenants' ranges on
 * that address, and its (protocol, public address, public port) not mapped before. */
static int
check_shared_static(const struct hnvgw_config *cfg, const struct where *ws, size_t i, size_t j)
{
    const struct config_nat_static *st = &cfg->tenants[i].nat->statics[j];
    char b[HNVGW_IP_STRLEN];

    for (size_t k = 0; k < cfg->n_tenants; k++) {
        const struct config_tenant *o = &cfg->tenants[k];
        if (k == i || !o->nat || !config_nat_has_public(o->nat, &st->public_ip) ||
            st->public_port < o->nat->port_min || st->public_port > o->nat->port_max) {
            continue;
        }
        return config_report(ws, EINVAL, "public", 0,
                             "port %u of %s is in the ports %u-%u of tenant \"%s\" (nat at line "
                             "%d) on that address",
                             st->public_port, hnvgw_ip_format(&st->public_ip, b), o->nat->port_min,
                             o->nat->port_max, o->name, o->nat->line);
    }
    for (size_t k = 0; k <= i; k++) {
        const struct config_tenant *o = &cfg->tenants[k];
        for (size_t m = 0; o->nat && m < (k == i ? j : o->nat->n_statics); m++) {
            const struct config_nat_static *os = &o->nat->statics[m];
            if (os->protocol != st->protocol || os->public_port != st->public_port ||
                !hnvgw_ip_equal(&os->public_ip, &st->public_ip)) {
                continue;
            }
            return config_report(ws, EINVAL, "public", 0,
                                 "%s %s:%u is already mapped by tenant \"%s\" static_mapping at "
                                 "line %d",
                                 nat_protocol_name(st->protocol),
                                 hnvgw_ip_format(&st->public_ip, b), st->public_port, o->name,
                                 os->line);
        }
    }
    return 0;
}

/* A public address shared only with disjoint port ranges, static ports outside other tenants'
 * ranges, one static mapping per (protocol, public address, public port), and at most NAT_IPS_MAX
 * public addresses in all. Quadratic in the NAT tenants and in the static mappings, which are
 * sections of the main file; each is reported at the later of the two entries. */
int
config_check_nat_shared(struct loader *ld)
{
    const struct hnvgw_config *cfg = ld->cfg;
    struct hnvgw_ip seen[NAT_IPS_MAX];
    size_t n_seen = 0;
    struct where w;

    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const struct config_tenant *t = &cfg->tenants[i];
        cfg_t *tsec = cfg_getnsec(ld->root, "tenant", (unsigned)i), *sec;
        int ret;

        if (!t->nat) {
            continue;
        }
        sec = cfg_getnsec(tsec, "nat", 0);
        config_where_sec(&w, ld, sec, "tenant \"%s\" nat", t->name);
        if ((ret = check_shared_publics(cfg, &w, i, seen, &n_seen)) != 0) {
            return ret;
        }
        for (size_t j = 0; j < t->nat->n_statics; j++) {
            struct where ws;

            config_where_sec(&ws, ld, cfg_getnsec(sec, "static_mapping", (unsigned)j),
                             "tenant \"%s\" nat static_mapping", t->name);
            if ((ret = check_shared_static(cfg, &ws, i, j)) != 0) {
                return ret;
            }
        }
    }
    return 0;
}

void
config_nat_free(struct config_nat *nat)
{
    if (nat) {
        free(nat->inside_prefixes);
        free(nat->destinations);
        free(nat->statics);
        free(nat);
    }
}
