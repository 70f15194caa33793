/* Configuration: the libconfuse schema, conversion into struct hnvgw_config and every validation
 * rule. See config.h for the contract and conf/README.md for the reference. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <confuse.h>

/* ---- Schema ---- */

static cfg_opt_t node_opts[] = {
    CFG_STR("name", "hnvgw", CFGF_NONE),
    CFG_STR_LIST("roles", NULL, CFGF_NODEFAULT),
    CFG_STR_LIST("eal_args", "{--in-memory,--no-pci}", CFGF_NONE),
    CFG_INT("workers", 1, CFGF_NONE),
    CFG_STR("control_socket", "/run/hnvgw/hnvgwd.sock", CFGF_NONE),
    CFG_STR_LIST("provider_addresses", NULL, CFGF_NODEFAULT),
    CFG_INT("arp_timeout", 300, CFGF_NONE),
    CFG_INT("icmp_rate", 100, CFGF_NONE),
    CFG_INT("max_lookup_records", 65536, CFGF_NONE),
    CFG_INT("max_routes", 65536, CFGF_NONE),
    CFG_INT("max_subnets", 8192, CFGF_NONE),
    CFG_INT("mbufs", 0, CFGF_NONE),
    CFG_END(),
};

static cfg_opt_t port_opts[] = {
    CFG_STR("kind", NULL, CFGF_NODEFAULT),
    CFG_STR("devargs", NULL, CFGF_NODEFAULT),
    CFG_STR("mac", NULL, CFGF_NODEFAULT),
    CFG_STR("address", NULL, CFGF_NODEFAULT),
    CFG_INT("vlan", 0, CFGF_NONE),
    CFG_INT("mtu", 1500, CFGF_NONE),
    CFG_STR("gateway", NULL, CFGF_NODEFAULT),
    CFG_INT("vsid", 0, CFGF_NODEFAULT),
    CFG_STR("ca", NULL, CFGF_NODEFAULT),
    CFG_STR_LIST("static_neighbors", NULL, CFGF_NODEFAULT),
    CFG_END(),
};

static cfg_opt_t subnet_opts[] = {
    CFG_INT("vsid", 0, CFGF_NODEFAULT),
    CFG_STR("prefix", NULL, CFGF_NODEFAULT),
    CFG_STR("gateway_ip", NULL, CFGF_NODEFAULT),
    CFG_STR("gateway_mac", NULL, CFGF_NODEFAULT),
    CFG_END(),
};

static cfg_opt_t ext_route_opts[] = {
    CFG_STR("prefix", NULL, CFGF_NODEFAULT),
    CFG_STR("next_hop", "0.0.0.0", CFGF_NONE),
    CFG_INT("metric", 0, CFGF_NONE),
    CFG_END(),
};

static cfg_opt_t tenant_opts[] = {
    CFG_INT("id", 0, CFGF_NODEFAULT),
    CFG_SEC("subnet", subnet_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
    CFG_STR_LIST("forward_prefixes", NULL, CFGF_NODEFAULT),
    CFG_SEC("external_route", ext_route_opts, CFGF_MULTI),
    CFG_END(),
};

static cfg_opt_t lookup_opts[] = {
    CFG_STR("ca", NULL, CFGF_NODEFAULT),
    CFG_INT("vsid", 0, CFGF_NODEFAULT),
    CFG_STR("pa", NULL, CFGF_NODEFAULT),
    CFG_STR("mac", NULL, CFGF_NODEFAULT),
    CFG_STR("rule", "encap", CFGF_NONE),
    CFG_STR("type", "static", CFGF_NONE),
    CFG_END(),
};

static cfg_opt_t route_opts[] = {
    CFG_STR("tenant", NULL, CFGF_NODEFAULT), CFG_INT("vsid", 0, CFGF_NODEFAULT),
    CFG_STR("prefix", NULL, CFGF_NODEFAULT), CFG_STR("next_hop", NULL, CFGF_NODEFAULT),
    CFG_INT("metric", 0, CFGF_NONE),         CFG_END(),
};

static cfg_opt_t root_opts[] = {
    CFG_SEC("node", node_opts, CFGF_NONE),
    CFG_SEC("port", port_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
    CFG_SEC("tenant", tenant_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
    CFG_SEC("lookup_record", lookup_opts, CFGF_MULTI),
    CFG_SEC("customer_route", route_opts, CFGF_MULTI),
    CFG_STR("lookup_records_file", NULL, CFGF_NODEFAULT),
    CFG_STR("customer_routes_file", NULL, CFGF_NODEFAULT),
    CFG_END(),
};

/* ---- Error reporting ---- */

/* Where errors go while one file is processed. */
struct ctx {
    char *err;        /* CONFIG_ERR_MAX bytes. */
    const char *file; /* File being read. */
    bool failed;      /* An error has been recorded (the first one wins). */
};

/* Records "file:line: what" unless an error is already recorded. Returns false for chaining. */
static bool __attribute__((format(printf, 3, 4)))
fail(struct ctx *c, int line, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (c->failed) {
        return false;
    }
    c->failed = true;
    n = snprintf(c->err, CONFIG_ERR_MAX, "%s:%d: ", c->file, line);
    va_start(ap, fmt);
    vsnprintf(c->err + n, CONFIG_ERR_MAX - n, fmt, ap);
    va_end(ap);
    return false;
}

/* libconfuse's own messages (syntax errors, unknown keys) become ours, with its line. */
static struct ctx *confuse_ctx;

static void
confuse_error(cfg_t *cfg, const char *fmt, va_list ap)
{
    char msg[CONFIG_ERR_MAX];

    vsnprintf(msg, sizeof msg, fmt, ap);
    if (confuse_ctx) {
        fail(confuse_ctx, cfg ? cfg->line : 0, "%s", msg);
    }
}

/* ---- Field helpers. 'what' names the field for messages, e.g. port "pa0" mac. ---- */

static bool
need(struct ctx *c, cfg_t *sec, const char *key, const char *what)
{
    if (cfg_size(sec, key) == 0) {
        return fail(c, sec->line, "%s %s: missing (required)", what, key);
    }
    return true;
}

static bool
get_int(struct ctx *c, cfg_t *sec, const char *key, const char *what, long lo, long hi,
        uint32_t *out)
{
    long v = cfg_getint(sec, key);

    if (v < lo || v > hi) {
        return fail(c, sec->line, "%s %s: %ld is out of range %ld..%ld", what, key, v, lo, hi);
    }
    *out = (uint32_t)v;
    return true;
}

static bool
ipv4_ok(struct ctx *c, int line, const char *what, const char *key, const char *s,
        struct hnvgw_ip *ip)
{
    if (!hnvgw_ip_parse(s, ip)) {
        return fail(c, line, "%s %s: '%s' is not an IP address", what, key, s);
    }
    if (ip->family != HNVGW_AF_INET) {
        return fail(c, line, "%s %s: '%s': IPv6 is not supported yet", what, key, s);
    }
    return true;
}

static bool
get_ip(struct ctx *c, cfg_t *sec, const char *key, const char *what, struct hnvgw_ip *ip)
{
    return need(c, sec, key, what) && ipv4_ok(c, sec->line, what, key, cfg_getstr(sec, key), ip);
}

static bool
prefix_ok(struct ctx *c, int line, const char *what, const char *key, const char *s, bool canonical,
          struct hnvgw_prefix *p)
{
    char buf[HNVGW_PFX_STRLEN];

    if (!hnvgw_prefix_parse(s, p)) {
        return fail(c, line, "%s %s: '%s' is not a prefix (ADDRESS/LENGTH)", what, key, s);
    }
    if (p->addr.family != HNVGW_AF_INET) {
        return fail(c, line, "%s %s: '%s': IPv6 is not supported yet", what, key, s);
    }
    if (canonical && !hnvgw_prefix_is_canonical(p)) {
        uint32_t mask = p->plen ? htonl(~0u << (32 - p->plen)) : 0;
        struct hnvgw_prefix fixed = *p;
        fixed.addr.v4 &= mask;
        return fail(c, line, "%s %s: '%s' has host bits set (did you mean %s?)", what, key, s,
                    hnvgw_prefix_format(&fixed, buf));
    }
    return true;
}

static bool
get_prefix(struct ctx *c, cfg_t *sec, const char *key, const char *what, bool canonical,
           struct hnvgw_prefix *p)
{
    return need(c, sec, key, what) &&
           prefix_ok(c, sec->line, what, key, cfg_getstr(sec, key), canonical, p);
}

static bool
mac_ok(struct ctx *c, int line, const char *what, const char *key, const char *s,
       struct hnvgw_mac *m)
{
    if (!hnvgw_mac_parse(s, m)) {
        return fail(c, line, "%s %s: '%s' is not a MAC address", what, key, s);
    }
    if (m->b[0] & 1) {
        return fail(c, line, "%s %s: '%s' is a multicast or broadcast MAC", what, key, s);
    }
    if (hnvgw_mac_is_zero(m)) {
        return fail(c, line, "%s %s: the all-zero MAC is not allowed", what, key);
    }
    return true;
}

static bool
get_mac(struct ctx *c, cfg_t *sec, const char *key, const char *what, struct hnvgw_mac *m)
{
    return need(c, sec, key, what) && mac_ok(c, sec->line, what, key, cfg_getstr(sec, key), m);
}

static bool
forbid(struct ctx *c, cfg_t *sec, const char *key, const char *what, const char *why)
{
    if (cfg_size(sec, key) > 0) {
        return fail(c, sec->line, "%s %s: not allowed %s", what, key, why);
    }
    return true;
}

/* ---- Lookups used by validation and by the rest of the daemon ---- */

const struct config_tenant *
config_find_vsid(const struct hnvgw_config *cfg, uint32_t vsid, const struct config_subnet **subnet)
{
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        for (size_t j = 0; j < cfg->tenants[i].n_subnets; j++) {
            if (cfg->tenants[i].subnets[j].vsid == vsid) {
                if (subnet) {
                    *subnet = &cfg->tenants[i].subnets[j];
                }
                return &cfg->tenants[i];
            }
        }
    }
    return NULL;
}

const struct config_tenant *
config_find_tenant(const struct hnvgw_config *cfg, uint32_t id)
{
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        if (cfg->tenants[i].id == id) {
            return &cfg->tenants[i];
        }
    }
    return NULL;
}

static bool
is_my_pa(const struct hnvgw_config *cfg, const struct hnvgw_ip *ip)
{
    for (size_t i = 0; i < cfg->n_pas; i++) {
        if (hnvgw_ip_equal(&cfg->pas[i], ip)) {
            return true;
        }
    }
    return false;
}

static const struct config_port *
port_of_kind(const struct hnvgw_config *cfg, enum config_port_kind kind)
{
    for (size_t i = 0; i < cfg->n_ports; i++) {
        if (cfg->ports[i].kind == kind) {
            return &cfg->ports[i];
        }
    }
    return NULL;
}

const char *
config_rule_name(enum config_lookup_rule rule)
{
    return rule == CONFIG_RULE_NAT ? "NAT" : "Encap";
}

const char *
config_type_name(enum config_lookup_type type)
{
    static const char *const names[] = {"Static", "Dynamic", "L2Only", "GatewayWildcard"};
    return type <= CONFIG_TYPE_GATEWAY_WILDCARD ? names[type] : "?";
}

const char *
config_port_kind_name(enum config_port_kind kind)
{
    static const char *const names[] = {"provider", "external", "vm"};
    return kind <= CONFIG_PORT_VM ? names[kind] : "?";
}

/* ---- Per-entry checks shared by the file and the CLI ---- */

/* Checks one lookup record's own fields against the tenants (not duplicates). */
static bool
lookup_valid(struct ctx *c, const struct hnvgw_config *cfg, const struct config_lookup *rec,
             const char *what)
{
    const struct config_subnet *sn;
    char b[HNVGW_IP_STRLEN];
    bool wildcard = rec->type == CONFIG_TYPE_L2ONLY || rec->type == CONFIG_TYPE_GATEWAY_WILDCARD;

    if (rec->vsid < CONFIG_VSID_MIN || rec->vsid > CONFIG_VSID_MAX) {
        return fail(c, rec->line, "%s vsid: %u is out of range %u..%u", what, rec->vsid,
                    CONFIG_VSID_MIN, CONFIG_VSID_MAX);
    }
    if (!config_find_vsid(cfg, rec->vsid, &sn)) {
        return fail(c, rec->line, "%s vsid: %u is not a virtual subnet of any tenant", what,
                    rec->vsid);
    }
    if (wildcard && !hnvgw_ip_is_zero(&rec->ca)) {
        return fail(c, rec->line, "%s ca: must be 0.0.0.0 for type %s", what,
                    config_type_name(rec->type));
    }
    if (!wildcard && !hnvgw_prefix_contains(&sn->prefix, &rec->ca)) {
        return fail(c, rec->line, "%s ca: %s is outside subnet %s of vsid %u", what,
                    hnvgw_ip_format(&rec->ca, b), sn->name, rec->vsid);
    }
    if (!wildcard && hnvgw_ip_equal(&rec->ca, &sn->gateway_ip)) {
        return fail(c, rec->line, "%s ca: %s is the subnet's gateway address", what,
                    hnvgw_ip_format(&rec->ca, b));
    }
    if (hnvgw_ip_is_zero(&rec->pa)) {
        return fail(c, rec->line, "%s pa: 0.0.0.0 is not a provider address", what);
    }
    return true;
}

/* Orders lookup records by their key: (vsid, ca) or, for L2Only, (vsid, mac). */
static int
lookup_key_cmp(const void *a, const void *b)
{
    const struct config_lookup *x = a, *y = b;

    if (x->vsid != y->vsid) {
        return x->vsid < y->vsid ? -1 : 1;
    }
    if ((x->type == CONFIG_TYPE_GATEWAY_WILDCARD) != (y->type == CONFIG_TYPE_GATEWAY_WILDCARD)) {
        return x->type == CONFIG_TYPE_GATEWAY_WILDCARD ? -1 : 1;
    }
    if (x->ca.v4 != y->ca.v4) {
        return ntohl(x->ca.v4) < ntohl(y->ca.v4) ? -1 : 1;
    }
    if (x->type == CONFIG_TYPE_L2ONLY && y->type == CONFIG_TYPE_L2ONLY) {
        return memcmp(&x->mac, &y->mac, sizeof x->mac);
    }
    return 0;
}

/* Two records that share a key conflict; '*a' and '*b' are the pair found. */
static bool
lookup_find_dup(struct config_lookup *sorted, size_t n, const struct config_lookup **a,
                const struct config_lookup **b)
{
    for (size_t i = 1; i < n; i++) {
        if (lookup_key_cmp(&sorted[i - 1], &sorted[i]) == 0) {
            *a = &sorted[i - 1];
            *b = &sorted[i];
            return true;
        }
    }
    return false;
}

int
config_check_lookup(const struct hnvgw_config *cfg, const struct config_lookup *rec, char *err)
{
    struct ctx c = {.err = err, .file = cfg->path};
    char b[HNVGW_IP_STRLEN];

    if (!lookup_valid(&c, cfg, rec, "lookup record")) {
        return EINVAL;
    }
    for (size_t i = 0; i < cfg->n_lookups; i++) {
        if (lookup_key_cmp(&cfg->lookups[i], rec) == 0) {
            snprintf(err, CONFIG_ERR_MAX, "lookup record vsid %u ca %s already exists", rec->vsid,
                     hnvgw_ip_format(&rec->ca, b));
            return EEXIST;
        }
    }
    return 0;
}

/* Checks one customer route's own fields. */
static bool
route_valid(struct ctx *c, const struct hnvgw_config *cfg, const struct config_route *rt,
            const char *what)
{
    const struct config_subnet *sn;
    const struct config_tenant *t = config_find_vsid(cfg, rt->vsid, &sn);
    char b[HNVGW_IP_STRLEN];

    if (!config_find_tenant(cfg, rt->tenant_id)) {
        return fail(c, rt->line, "%s tenant: id %u is not configured", what, rt->tenant_id);
    }
    if (!t || t->id != rt->tenant_id) {
        return fail(c, rt->line, "%s vsid: %u is not a virtual subnet of this tenant", what,
                    rt->vsid);
    }
    if (!hnvgw_prefix_is_canonical(&rt->prefix)) {
        return fail(c, rt->line, "%s prefix: host bits set", what);
    }
    if (!rt->on_link && !hnvgw_prefix_contains(&sn->prefix, &rt->next_hop)) {
        return fail(c, rt->line, "%s next_hop: %s is outside subnet %s of vsid %u", what,
                    hnvgw_ip_format(&rt->next_hop, b), sn->name, rt->vsid);
    }
    return true;
}

static int
route_key_cmp(const void *a, const void *b)
{
    const struct config_route *x = a, *y = b;

    if (x->tenant_id != y->tenant_id) {
        return x->tenant_id < y->tenant_id ? -1 : 1;
    }
    if (x->prefix.addr.v4 != y->prefix.addr.v4) {
        return ntohl(x->prefix.addr.v4) < ntohl(y->prefix.addr.v4) ? -1 : 1;
    }
    if (x->prefix.plen != y->prefix.plen) {
        return x->prefix.plen < y->prefix.plen ? -1 : 1;
    }
    if (x->next_hop.v4 != y->next_hop.v4) {
        return ntohl(x->next_hop.v4) < ntohl(y->next_hop.v4) ? -1 : 1;
    }
    return 0;
}

int
config_check_route(const struct hnvgw_config *cfg, const struct config_route *rt, char *err)
{
    struct ctx c = {.err = err, .file = cfg->path};

    if (!route_valid(&c, cfg, rt, "customer route")) {
        return EINVAL;
    }
    for (size_t i = 0; i < cfg->n_routes; i++) {
        if (route_key_cmp(&cfg->routes[i], rt) == 0) {
            snprintf(err, CONFIG_ERR_MAX, "this customer route already exists");
            return EEXIST;
        }
    }
    return 0;
}

/* ---- Sections ---- */

static bool
parse_node(struct ctx *c, cfg_t *root, struct hnvgw_config *cfg)
{
    cfg_t *n = cfg_getsec(root, "node");
    const char *what = "node";

    if (!n || cfg_size(root, "node") == 0) {
        return fail(c, 1, "node: section missing (required)");
    }
    snprintf(cfg->node_name, sizeof cfg->node_name, "%s", cfg_getstr(n, "name"));
    if (strlen(cfg_getstr(n, "name")) >= CONFIG_NAME_MAX) {
        return fail(c, n->line, "node name: longer than %d characters", CONFIG_NAME_MAX - 1);
    }
    if (!need(c, n, "roles", what)) {
        return false;
    }
    for (unsigned i = 0; i < cfg_size(n, "roles"); i++) {
        const char *r = cfg_getnstr(n, "roles", i);
        if (!strcasecmp(r, "gateway")) {
            cfg->roles |= CONFIG_ROLE_GATEWAY;
        } else if (!strcasecmp(r, "host")) {
            cfg->roles |= CONFIG_ROLE_HOST;
        } else {
            return fail(c, n->line, "node roles: '%s' is not gateway or host", r);
        }
    }
    if (cfg_size(n, "eal_args") > CONFIG_EAL_ARGS_MAX) {
        return fail(c, n->line, "node eal_args: more than %d arguments", CONFIG_EAL_ARGS_MAX);
    }
    for (unsigned i = 0; i < cfg_size(n, "eal_args"); i++) {
        cfg->eal_args[cfg->n_eal_args] = strdup(cfg_getnstr(n, "eal_args", i));
        if (!cfg->eal_args[cfg->n_eal_args]) {
            return fail(c, n->line, "out of memory");
        }
        cfg->n_eal_args++;
    }
    if (!get_int(c, n, "workers", what, 1, 16, &cfg->workers) ||
        !get_int(c, n, "arp_timeout", what, 10, 86400, &cfg->arp_timeout_s) ||
        !get_int(c, n, "icmp_rate", what, 1, 100000, &cfg->icmp_rate_per_s) ||
        !get_int(c, n, "max_lookup_records", what, 64, 64 << 20, &cfg->max_lookups) ||
        !get_int(c, n, "max_routes", what, 64, 16 << 20, &cfg->max_routes) ||
        !get_int(c, n, "max_subnets", what, 64, 1 << 20, &cfg->max_subnets) ||
        !get_int(c, n, "mbufs", what, 0, 16 << 20, &cfg->mbufs)) {
        return false;
    }
    if (strlen(cfg_getstr(n, "control_socket")) >= sizeof cfg->control_socket) {
        return fail(c, n->line, "node control_socket: path too long");
    }
    snprintf(cfg->control_socket, sizeof cfg->control_socket, "%s",
             cfg_getstr(n, "control_socket"));
    if (cfg_size(n, "provider_addresses") > CONFIG_PAS_MAX) {
        return fail(c, n->line, "node provider_addresses: more than %d", CONFIG_PAS_MAX);
    }
    for (unsigned i = 0; i < cfg_size(n, "provider_addresses"); i++) {
        struct hnvgw_ip *pa = &cfg->pas[cfg->n_pas];
        if (!ipv4_ok(c, n->line, what, "provider_addresses",
                     cfg_getnstr(n, "provider_addresses", i), pa)) {
            return false;
        }
        for (size_t k = 0; k < cfg->n_pas; k++) {
            if (hnvgw_ip_equal(&cfg->pas[k], pa)) {
                return fail(c, n->line, "node provider_addresses: %s listed twice",
                            cfg_getnstr(n, "provider_addresses", i));
            }
        }
        cfg->n_pas++;
    }
    return true;
}

static bool
parse_port(struct ctx *c, cfg_t *s, const struct hnvgw_config *cfg, struct config_port *p)
{
    char what[64];
    const char *kind;

    snprintf(what, sizeof what, "port \"%s\"", cfg_title(s));
    p->line = s->line;
    if (strlen(cfg_title(s)) >= CONFIG_NAME_MAX) {
        return fail(c, s->line, "%s: name longer than %d characters", what, CONFIG_NAME_MAX - 1);
    }
    snprintf(p->name, sizeof p->name, "%s", cfg_title(s));
    if (!need(c, s, "kind", what) || !need(c, s, "devargs", what)) {
        return false;
    }
    kind = cfg_getstr(s, "kind");
    if (!strcmp(kind, "provider")) {
        p->kind = CONFIG_PORT_PROVIDER;
    } else if (!strcmp(kind, "external")) {
        p->kind = CONFIG_PORT_EXTERNAL;
    } else if (!strcmp(kind, "vm")) {
        p->kind = CONFIG_PORT_VM;
    } else {
        return fail(c, s->line, "%s kind: '%s' is not provider, external or vm", what, kind);
    }
    if (strlen(cfg_getstr(s, "devargs")) >= sizeof p->devargs) {
        return fail(c, s->line, "%s devargs: too long", what);
    }
    snprintf(p->devargs, sizeof p->devargs, "%s", cfg_getstr(s, "devargs"));
    if (!get_mac(c, s, "mac", what, &p->mac)) {
        return false;
    }
    uint32_t v = 0;
    if (!get_int(c, s, "vlan", what, 0, 4094, &v)) {
        return false;
    }
    p->vlan = (uint16_t)v;
    if (!get_int(c, s, "mtu", what, 576, 9000, &v)) {
        return false;
    }
    p->mtu = (uint16_t)v;
    if (p->kind == CONFIG_PORT_VM) {
        if (!(cfg->roles & CONFIG_ROLE_HOST)) {
            return fail(c, s->line, "%s kind: vm ports need the host role in node roles", what);
        }
        if (!forbid(c, s, "address", what, "on a vm port (the VM's CA is 'ca')") ||
            !forbid(c, s, "gateway", what, "on a vm port") ||
            !forbid(c, s, "static_neighbors", what, "on a vm port") || !need(c, s, "vsid", what) ||
            !get_int(c, s, "vsid", what, CONFIG_VSID_MIN, CONFIG_VSID_MAX, &p->vsid) ||
            !get_ip(c, s, "ca", what, &p->ca)) {
            return false;
        }
        return true;
    }
    if (!forbid(c, s, "vsid", what, "except on a vm port") ||
        !forbid(c, s, "ca", what, "except on a vm port") ||
        !get_prefix(c, s, "address", what, false, &p->address)) {
        return false;
    }
    p->has_address = true;
    if (cfg_size(s, "gateway")) {
        if (!get_ip(c, s, "gateway", what, &p->gateway)) {
            return false;
        }
        if (!hnvgw_prefix_contains(&p->address, &p->gateway)) {
            return fail(c, s->line, "%s gateway: %s is not on-link for address %s", what,
                        cfg_getstr(s, "gateway"), cfg_getstr(s, "address"));
        }
        p->has_gateway = true;
    }
    p->n_static_neighbors = cfg_size(s, "static_neighbors");
    p->static_neighbors = calloc(p->n_static_neighbors + 1, sizeof *p->static_neighbors);
    if (!p->static_neighbors) {
        return fail(c, s->line, "out of memory");
    }
    for (size_t i = 0; i < p->n_static_neighbors; i++) {
        char buf[80];
        const char *e = cfg_getnstr(s, "static_neighbors", (unsigned)i);
        char *eq;

        snprintf(buf, sizeof buf, "%s", e);
        eq = strchr(buf, '=');
        if (!eq) {
            return fail(c, s->line, "%s static_neighbors: '%s' is not IP=MAC", what, e);
        }
        *eq = '\0';
        if (!ipv4_ok(c, s->line, what, "static_neighbors", buf, &p->static_neighbors[i].ip) ||
            !mac_ok(c, s->line, what, "static_neighbors", eq + 1, &p->static_neighbors[i].mac)) {
            return false;
        }
        if (!hnvgw_prefix_contains(&p->address, &p->static_neighbors[i].ip)) {
            return fail(c, s->line, "%s static_neighbors: %s is not on-link", what, buf);
        }
    }
    return true;
}

static bool
parse_tenant(struct ctx *c, cfg_t *s, struct config_tenant *t)
{
    char what[96];

    snprintf(what, sizeof what, "tenant \"%s\"", cfg_title(s));
    t->line = s->line;
    if (strlen(cfg_title(s)) >= CONFIG_NAME_MAX) {
        return fail(c, s->line, "%s: name longer than %d characters", what, CONFIG_NAME_MAX - 1);
    }
    snprintf(t->name, sizeof t->name, "%s", cfg_title(s));
    if (!need(c, s, "id", what) || !get_int(c, s, "id", what, 1, 65535, &t->id)) {
        return false;
    }
    t->n_subnets = cfg_size(s, "subnet");
    if (t->n_subnets == 0) {
        return fail(c, s->line, "%s subnet: at least one virtual subnet is required", what);
    }
    t->subnets = calloc(t->n_subnets, sizeof *t->subnets);
    t->n_forward_prefixes = cfg_size(s, "forward_prefixes");
    t->forward_prefixes = calloc(t->n_forward_prefixes + 1, sizeof *t->forward_prefixes);
    t->n_ext_routes = cfg_size(s, "external_route");
    t->ext_routes = calloc(t->n_ext_routes + 1, sizeof *t->ext_routes);
    if (!t->subnets || !t->forward_prefixes || !t->ext_routes) {
        return fail(c, s->line, "out of memory");
    }
    for (size_t i = 0; i < t->n_subnets; i++) {
        cfg_t *ss = cfg_getnsec(s, "subnet", (unsigned)i);
        struct config_subnet *sn = &t->subnets[i];
        char swhat[160];

        snprintf(swhat, sizeof swhat, "%s subnet \"%s\"", what, cfg_title(ss));
        sn->line = ss->line;
        snprintf(sn->name, sizeof sn->name, "%s", cfg_title(ss));
        if (!need(c, ss, "vsid", swhat) ||
            !get_int(c, ss, "vsid", swhat, CONFIG_VSID_MIN, CONFIG_VSID_MAX, &sn->vsid) ||
            !get_prefix(c, ss, "prefix", swhat, true, &sn->prefix) ||
            !get_ip(c, ss, "gateway_ip", swhat, &sn->gateway_ip) ||
            !get_mac(c, ss, "gateway_mac", swhat, &sn->gateway_mac)) {
            return false;
        }
        if (!hnvgw_prefix_contains(&sn->prefix, &sn->gateway_ip)) {
            return fail(c, ss->line, "%s gateway_ip: %s is outside prefix %s", swhat,
                        cfg_getstr(ss, "gateway_ip"), cfg_getstr(ss, "prefix"));
        }
        for (size_t k = 0; k < i; k++) {
            if (hnvgw_prefix_overlaps(&t->subnets[k].prefix, &sn->prefix)) {
                return fail(c, ss->line, "%s prefix: overlaps subnet \"%s\" of the same tenant",
                            swhat, t->subnets[k].name);
            }
        }
    }
    for (size_t i = 0; i < t->n_forward_prefixes; i++) {
        if (!prefix_ok(c, s->line, what, "forward_prefixes",
                       cfg_getnstr(s, "forward_prefixes", (unsigned)i), true,
                       &t->forward_prefixes[i])) {
            return false;
        }
    }
    for (size_t i = 0; i < t->n_ext_routes; i++) {
        cfg_t *rs = cfg_getnsec(s, "external_route", (unsigned)i);
        struct config_external_route *r = &t->ext_routes[i];
        char rwhat[128];

        snprintf(rwhat, sizeof rwhat, "%s external_route", what);
        r->line = rs->line;
        if (!get_prefix(c, rs, "prefix", rwhat, true, &r->prefix) ||
            !ipv4_ok(c, rs->line, rwhat, "next_hop", cfg_getstr(rs, "next_hop"), &r->next_hop) ||
            !get_int(c, rs, "metric", rwhat, 0, 1 << 30, &r->metric)) {
            return false;
        }
        r->on_link = hnvgw_ip_is_zero(&r->next_hop);
    }
    return true;
}

static bool
parse_type(struct ctx *c, int line, const char *what, const char *rule, const char *type,
           struct config_lookup *l)
{
    static const char *const types[] = {"static", "dynamic", "l2only", "gatewaywildcard"};
    size_t i;

    if (!strcasecmp(rule, "encap")) {
        l->rule = CONFIG_RULE_ENCAP;
    } else if (!strcasecmp(rule, "nat")) {
        l->rule = CONFIG_RULE_NAT;
    } else {
        return fail(c, line, "%s rule: '%s' is not encap or nat", what, rule);
    }
    for (i = 0; i < 4 && strcasecmp(type, types[i]); i++) {
    }
    if (i == 4) {
        return fail(c, line, "%s type: '%s' is not static, dynamic, l2only or gatewaywildcard",
                    what, type);
    }
    l->type = (enum config_lookup_type)i;
    return true;
}

static bool
parse_lookup(struct ctx *c, cfg_t *s, struct config_lookup *l)
{
    const char *what = "lookup_record";

    l->line = s->line;
    return need(c, s, "vsid", what) && get_int(c, s, "vsid", what, 0, UINT32_MAX, &l->vsid) &&
           get_ip(c, s, "ca", what, &l->ca) && get_ip(c, s, "pa", what, &l->pa) &&
           get_mac(c, s, "mac", what, &l->mac) &&
           parse_type(c, s->line, what, cfg_getstr(s, "rule"), cfg_getstr(s, "type"), l);
}

static bool
tenant_by_name(struct ctx *c, const struct hnvgw_config *cfg, int line, const char *what,
               const char *name, uint32_t *id)
{
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        if (!strcmp(cfg->tenants[i].name, name)) {
            *id = cfg->tenants[i].id;
            return true;
        }
    }
    return fail(c, line, "%s tenant: '%s' is not a configured tenant", what, name);
}

static bool
parse_route(struct ctx *c, cfg_t *s, const struct hnvgw_config *cfg, struct config_route *r)
{
    const char *what = "customer_route";

    r->line = s->line;
    if (!need(c, s, "tenant", what) ||
        !tenant_by_name(c, cfg, s->line, what, cfg_getstr(s, "tenant"), &r->tenant_id) ||
        !need(c, s, "vsid", what) || !get_int(c, s, "vsid", what, 0, UINT32_MAX, &r->vsid) ||
        !get_prefix(c, s, "prefix", what, true, &r->prefix) ||
        !get_ip(c, s, "next_hop", what, &r->next_hop) ||
        !get_int(c, s, "metric", what, 0, 1 << 30, &r->metric)) {
        return false;
    }
    r->on_link = hnvgw_ip_is_zero(&r->next_hop);
    return true;
}

/* ---- Bulk files: one record per line, for tables too large for the main file ---- */

/* Splits 'line' into at most 'max' whitespace-separated fields; returns the count. */
static int
split(char *line, char **f, int max)
{
    int n = 0;
    char *save = NULL;

    for (char *t = strtok_r(line, " \t\r\n", &save); t && n < max;
         t = strtok_r(NULL, " \t\r\n", &save)) {
        f[n++] = t;
    }
    return n;
}

static bool
read_lines(struct ctx *c, const char *path, const char *what,
           bool (*fn)(struct ctx *, char **, int, int, void *), void *aux)
{
    struct ctx fc = {.err = c->err, .file = path};
    FILE *fp = fopen(path, "r");
    char buf[512];
    int lineno = 0;

    if (!fp) {
        return fail(c, 0, "%s: cannot open '%s': %s", what, path, strerror(errno));
    }
    while (fgets(buf, sizeof buf, fp)) {
        char *f[8];
        int n;

        lineno++;
        if (buf[0] == '#') {
            continue;
        }
        n = split(buf, f, 8);
        if (n && !fn(&fc, f, n, lineno, aux)) {
            fclose(fp);
            c->failed = true;
            return false;
        }
    }
    fclose(fp);
    return true;
}

/* Growable array of lookup records or routes. */
struct grow {
    void **arr;                     /* Points at the config's array pointer. */
    size_t *n;                      /* Points at its count. */
    size_t cap;                     /* Allocated elements. */
    size_t size;                    /* Element size. */
    const struct hnvgw_config *cfg; /* For tenant names. */
};

static void *
grow_next(struct grow *g)
{
    if (*g->n == g->cap) {
        size_t cap = g->cap ? g->cap * 2 : 1024;
        void *p = realloc(*g->arr, cap * g->size);
        if (!p) {
            return NULL;
        }
        *g->arr = p;
        g->cap = cap;
    }
    return memset((char *)*g->arr + (*g->n)++ * g->size, 0, g->size);
}

static bool
lookup_line(struct ctx *c, char **f, int n, int line, void *aux)
{
    struct grow *g = aux;
    struct config_lookup *l;
    char *end;
    unsigned long vsid;

    if (n < 4 || n > 6) {
        return fail(c, line, "lookup record: expected 'vsid ca pa mac [rule] [type]'");
    }
    l = grow_next(g);
    if (!l) {
        return fail(c, line, "out of memory");
    }
    l->line = line;
    vsid = strtoul(f[0], &end, 10);
    if (*end || vsid > UINT32_MAX) {
        return fail(c, line, "lookup record vsid: '%s' is not a number", f[0]);
    }
    l->vsid = (uint32_t)vsid;
    return ipv4_ok(c, line, "lookup record", "ca", f[1], &l->ca) &&
           ipv4_ok(c, line, "lookup record", "pa", f[2], &l->pa) &&
           mac_ok(c, line, "lookup record", "mac", f[3], &l->mac) &&
           parse_type(c, line, "lookup record", n > 4 ? f[4] : "encap", n > 5 ? f[5] : "static", l);
}

static bool
route_line(struct ctx *c, char **f, int n, int line, void *aux)
{
    struct grow *g = aux;
    struct config_route *r;
    char *end;
    unsigned long v;

    if (n < 4 || n > 5) {
        return fail(c, line, "customer route: expected 'tenant vsid prefix next_hop [metric]'");
    }
    r = grow_next(g);
    if (!r) {
        return fail(c, line, "out of memory");
    }
    r->line = line;
    if (!tenant_by_name(c, g->cfg, line, "customer route", f[0], &r->tenant_id)) {
        return false;
    }
    v = strtoul(f[1], &end, 10);
    if (*end || v > UINT32_MAX) {
        return fail(c, line, "customer route vsid: '%s' is not a number", f[1]);
    }
    r->vsid = (uint32_t)v;
    if (!prefix_ok(c, line, "customer route", "prefix", f[2], true, &r->prefix) ||
        !ipv4_ok(c, line, "customer route", "next_hop", f[3], &r->next_hop)) {
        return false;
    }
    r->on_link = hnvgw_ip_is_zero(&r->next_hop);
    if (n == 5) {
        v = strtoul(f[4], &end, 10);
        if (*end || v > (1u << 30)) {
            return fail(c, line, "customer route metric: '%s' is out of range 0..%u", f[4],
                        1u << 30);
        }
        r->metric = (uint32_t)v;
    }
    return true;
}

/* ---- Whole-config validation ---- */

static bool
validate(struct ctx *c, struct hnvgw_config *cfg)
{
    const struct config_port *provider = port_of_kind(cfg, CONFIG_PORT_PROVIDER);
    const struct config_port *external = port_of_kind(cfg, CONFIG_PORT_EXTERNAL);
    char b[HNVGW_IP_STRLEN];

    if (cfg->n_ports == 0) {
        return fail(c, 1, "port: at least one port is required");
    }
    for (size_t i = 0; i < cfg->n_ports; i++) {
        const struct config_port *p = &cfg->ports[i];
        for (size_t k = 0; k < i; k++) {
            if (p->kind != CONFIG_PORT_VM && p->kind == cfg->ports[k].kind) {
                return fail(c, p->line, "port \"%s\" kind: a second %s port (\"%s\" is one)",
                            p->name, config_port_kind_name(p->kind), cfg->ports[k].name);
            }
            if (!strcmp(p->devargs, cfg->ports[k].devargs)) {
                return fail(c, p->line, "port \"%s\" devargs: same device as port \"%s\"", p->name,
                            cfg->ports[k].name);
            }
        }
    }
    if (cfg->n_ports > 32) {
        return fail(c, cfg->ports[32].line, "port: more than 32 ports");
    }
    if (provider && cfg->n_pas == 0) {
        return fail(c, provider->line, "node provider_addresses: required with a provider port");
    }
    for (size_t i = 0; provider && i < cfg->n_pas; i++) {
        if (!hnvgw_prefix_contains(&provider->address, &cfg->pas[i])) {
            return fail(c, provider->line,
                        "node provider_addresses: %s is not on the provider port's network",
                        hnvgw_ip_format(&cfg->pas[i], b));
        }
    }
    if (!provider && cfg->n_pas) {
        return fail(c, 1, "node provider_addresses: given but there is no provider port");
    }
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const struct config_tenant *t = &cfg->tenants[i];
        for (size_t k = 0; k < i; k++) {
            if (cfg->tenants[k].id == t->id) {
                return fail(c, t->line, "tenant \"%s\" id: %u is already tenant \"%s\"", t->name,
                            t->id, cfg->tenants[k].name);
            }
        }
        for (size_t j = 0; j < t->n_ext_routes; j++) {
            const struct config_external_route *r = &t->ext_routes[j];
            if (!external) {
                return fail(c, r->line, "tenant \"%s\" external_route: there is no external port",
                            t->name);
            }
            if (!r->on_link && !hnvgw_prefix_contains(&external->address, &r->next_hop)) {
                return fail(c, r->line,
                            "tenant \"%s\" external_route next_hop: %s is not on the external "
                            "port's network",
                            t->name, hnvgw_ip_format(&r->next_hop, b));
            }
        }
        for (size_t j = 0; j < t->n_forward_prefixes; j++) {
            if (!external) {
                return fail(c, t->line, "tenant \"%s\" forward_prefixes: there is no external port",
                            t->name);
            }
            for (size_t k = 0; k < i; k++) {
                for (size_t m = 0; m < cfg->tenants[k].n_forward_prefixes; m++) {
                    if (hnvgw_prefix_overlaps(&t->forward_prefixes[j],
                                              &cfg->tenants[k].forward_prefixes[m])) {
                        return fail(c, t->line,
                                    "tenant \"%s\" forward_prefixes: overlaps those of tenant "
                                    "\"%s\" on the same external port",
                                    t->name, cfg->tenants[k].name);
                    }
                }
            }
        }
    }
    /* VSIDs are unique across all tenants; sort a copy to find duplicates in O(n log n). */
    {
        size_t n = 0, k = 0;
        for (size_t i = 0; i < cfg->n_tenants; i++) {
            n += cfg->tenants[i].n_subnets;
        }
        if (n > cfg->max_subnets) {
            return fail(c, 1, "node max_subnets: %zu virtual subnets exceed %u", n,
                        cfg->max_subnets);
        }
        for (size_t i = 0; i < cfg->n_tenants; i++) {
            for (size_t j = 0; j < cfg->tenants[i].n_subnets; j++) {
                const struct config_subnet *s = &cfg->tenants[i].subnets[j];
                const struct config_subnet *other = NULL;
                const struct config_tenant *t = config_find_vsid(cfg, s->vsid, &other);
                if (other != s) {
                    return fail(c, s->line,
                                "tenant \"%s\" subnet \"%s\" vsid: %u is already "
                                "subnet \"%s\" of tenant \"%s\"",
                                cfg->tenants[i].name, s->name, s->vsid, other->name, t->name);
                }
                k++;
            }
        }
    }
    for (size_t i = 0; i < cfg->n_ports; i++) {
        const struct config_port *p = &cfg->ports[i];
        const struct config_subnet *sn;
        if (p->kind != CONFIG_PORT_VM) {
            continue;
        }
        if (!config_find_vsid(cfg, p->vsid, &sn)) {
            return fail(c, p->line, "port \"%s\" vsid: %u is not a virtual subnet of any tenant",
                        p->name, p->vsid);
        }
        if (!hnvgw_prefix_contains(&sn->prefix, &p->ca)) {
            return fail(c, p->line, "port \"%s\" ca: %s is outside subnet \"%s\"", p->name,
                        hnvgw_ip_format(&p->ca, b), sn->name);
        }
        for (size_t k = 0; k < i; k++) {
            const struct config_port *q = &cfg->ports[k];
            if (q->kind == CONFIG_PORT_VM && q->vsid == p->vsid && hnvgw_ip_equal(&q->ca, &p->ca)) {
                return fail(c, p->line, "port \"%s\" ca: same VSID and CA as port \"%s\"", p->name,
                            q->name);
            }
        }
    }
    for (size_t i = 0; i < cfg->n_lookups; i++) {
        const struct config_lookup *l = &cfg->lookups[i];
        struct ctx lc = {.err = c->err, .file = l->bulk ? cfg->lookup_file : c->file};

        if (!lookup_valid(&lc, cfg, l, "lookup_record")) {
            c->failed = true;
            return false;
        }
        for (size_t k = 0; k < cfg->n_ports; k++) {
            const struct config_port *p = &cfg->ports[k];
            if (p->kind == CONFIG_PORT_VM && p->vsid == l->vsid && hnvgw_ip_equal(&p->ca, &l->ca) &&
                !is_my_pa(cfg, &l->pa)) {
                fail(&lc, l->line,
                     "lookup_record pa: %s is not this node's, but vm port \"%s\" holds vsid %u "
                     "ca %s here",
                     hnvgw_ip_format(&l->pa, b), p->name, l->vsid, hnvgw_ip_format(&l->ca, b));
                c->failed = true;
                return false;
            }
        }
    }
    if (cfg->n_lookups > cfg->max_lookups) {
        return fail(c, 1, "node max_lookup_records: %zu lookup records exceed %u", cfg->n_lookups,
                    cfg->max_lookups);
    }
    /* Duplicates and conflicts: sort a copy by key. */
    if (cfg->n_lookups > 1) {
        struct config_lookup *sorted = malloc(cfg->n_lookups * sizeof *sorted);
        const struct config_lookup *a, *d;
        if (!sorted) {
            return fail(c, 1, "out of memory");
        }
        memcpy(sorted, cfg->lookups, cfg->n_lookups * sizeof *sorted);
        qsort(sorted, cfg->n_lookups, sizeof *sorted, lookup_key_cmp);
        if (lookup_find_dup(sorted, cfg->n_lookups, &a, &d)) {
            const struct config_lookup *later = a->bulk == d->bulk ? (a->line > d->line ? a : d)
                                                : a->bulk          ? a
                                                                   : d;
            const struct config_lookup *first = later == a ? d : a;
            struct ctx lc = {.err = c->err, .file = later->bulk ? cfg->lookup_file : c->file};
            fail(&lc, later->line, "lookup_record: vsid %u ca %s %s the record at %s:%d",
                 later->vsid, hnvgw_ip_format(&later->ca, b),
                 memcmp(&a->pa, &d->pa, sizeof a->pa) || memcmp(&a->mac, &d->mac, sizeof a->mac)
                     ? "conflicts with"
                     : "duplicates",
                 first->bulk ? cfg->lookup_file : c->file, first->line);
            c->failed = true;
            free(sorted);
            return false;
        }
        free(sorted);
    }
    for (size_t i = 0; i < cfg->n_routes; i++) {
        const struct config_route *r = &cfg->routes[i];
        struct ctx rc = {.err = c->err, .file = r->bulk ? cfg->route_file : c->file};
        if (!route_valid(&rc, cfg, r, "customer_route")) {
            c->failed = true;
            return false;
        }
    }
    if (cfg->n_routes > 1) {
        struct config_route *sorted = malloc(cfg->n_routes * sizeof *sorted);
        if (!sorted) {
            return fail(c, 1, "out of memory");
        }
        memcpy(sorted, cfg->routes, cfg->n_routes * sizeof *sorted);
        qsort(sorted, cfg->n_routes, sizeof *sorted, route_key_cmp);
        for (size_t i = 1; i < cfg->n_routes; i++) {
            if (route_key_cmp(&sorted[i - 1], &sorted[i]) == 0) {
                struct ctx rc = {.err = c->err, .file = sorted[i].bulk ? cfg->route_file : c->file};
                char p[HNVGW_PFX_STRLEN];
                fail(&rc, sorted[i].line > sorted[i - 1].line ? sorted[i].line : sorted[i - 1].line,
                     "customer_route: %s via %s is listed twice",
                     hnvgw_prefix_format(&sorted[i].prefix, p),
                     hnvgw_ip_format(&sorted[i].next_hop, b));
                c->failed = true;
                free(sorted);
                return false;
            }
        }
        free(sorted);
    }
    return true;
}

void
config_destroy(struct hnvgw_config *cfg)
{
    if (!cfg) {
        return;
    }
    for (size_t i = 0; i < cfg->n_eal_args; i++) {
        free(cfg->eal_args[i]);
    }
    for (size_t i = 0; cfg->ports && i < cfg->n_ports; i++) {
        free(cfg->ports[i].static_neighbors);
    }
    for (size_t i = 0; cfg->tenants && i < cfg->n_tenants; i++) {
        free(cfg->tenants[i].subnets);
        free(cfg->tenants[i].forward_prefixes);
        free(cfg->tenants[i].ext_routes);
    }
    free(cfg->ports);
    free(cfg->tenants);
    free(cfg->lookups);
    free(cfg->routes);
    free(cfg);
}

/* Fills 'cfg' from the parsed tree 'root'. */
static bool
convert(struct ctx *c, cfg_t *root, struct hnvgw_config *cfg)
{
    size_t n;

    if (!parse_node(c, root, cfg)) {
        return false;
    }
    n = cfg_size(root, "port");
    cfg->ports = calloc(n + 1, sizeof *cfg->ports);
    if (!cfg->ports) {
        return fail(c, 1, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        cfg->n_ports++;
        if (!parse_port(c, cfg_getnsec(root, "port", (unsigned)i), cfg, &cfg->ports[i])) {
            return false;
        }
    }
    n = cfg_size(root, "tenant");
    cfg->tenants = calloc(n + 1, sizeof *cfg->tenants);
    if (!cfg->tenants) {
        return fail(c, 1, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        cfg->n_tenants++;
        if (!parse_tenant(c, cfg_getnsec(root, "tenant", (unsigned)i), &cfg->tenants[i])) {
            return false;
        }
    }
    n = cfg_size(root, "lookup_record");
    cfg->lookups = calloc(n + 1, sizeof *cfg->lookups);
    if (!cfg->lookups) {
        return fail(c, 1, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        cfg->n_lookups++;
        if (!parse_lookup(c, cfg_getnsec(root, "lookup_record", (unsigned)i), &cfg->lookups[i])) {
            return false;
        }
    }
    n = cfg_size(root, "customer_route");
    cfg->routes = calloc(n + 1, sizeof *cfg->routes);
    if (!cfg->routes) {
        return fail(c, 1, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        cfg->n_routes++;
        if (!parse_route(c, cfg_getnsec(root, "customer_route", (unsigned)i), cfg,
                         &cfg->routes[i])) {
            return false;
        }
    }
    if (cfg_size(root, "lookup_records_file")) {
        struct grow g = {(void **)&cfg->lookups, &cfg->n_lookups, cfg->n_lookups + 1,
                         sizeof *cfg->lookups, cfg};
        size_t first = cfg->n_lookups;
        snprintf(cfg->lookup_file, sizeof cfg->lookup_file, "%s",
                 cfg_getstr(root, "lookup_records_file"));
        if (!read_lines(c, cfg->lookup_file, "lookup_records_file", lookup_line, &g)) {
            return false;
        }
        for (size_t i = first; i < cfg->n_lookups; i++) {
            cfg->lookups[i].bulk = true;
        }
    }
    if (cfg_size(root, "customer_routes_file")) {
        struct grow g = {(void **)&cfg->routes, &cfg->n_routes, cfg->n_routes + 1,
                         sizeof *cfg->routes, cfg};
        size_t first = cfg->n_routes;
        snprintf(cfg->route_file, sizeof cfg->route_file, "%s",
                 cfg_getstr(root, "customer_routes_file"));
        if (!read_lines(c, cfg->route_file, "customer_routes_file", route_line, &g)) {
            return false;
        }
        for (size_t i = first; i < cfg->n_routes; i++) {
            cfg->routes[i].bulk = true;
        }
    }
    return validate(c, cfg);
}

int
config_load(const char *path, struct hnvgw_config **out, char *err)
{
    struct ctx c = {.err = err, .file = path};
    struct hnvgw_config *cfg;
    cfg_t *root;
    int ret;

    *out = NULL;
    err[0] = '\0';
    cfg = calloc(1, sizeof *cfg);
    root = cfg_init(root_opts, CFGF_NONE);
    if (!cfg || !root) {
        free(cfg);
        if (root) {
            cfg_free(root);
        }
        snprintf(err, CONFIG_ERR_MAX, "%s: out of memory", path);
        return ENOMEM;
    }
    snprintf(cfg->path, sizeof cfg->path, "%s", path);
    confuse_ctx = &c;
    cfg_set_error_function(root, confuse_error);
    ret = cfg_parse(root, path);
    if (ret == CFG_FILE_ERROR) {
        snprintf(err, CONFIG_ERR_MAX, "%s: cannot read: %s", path, strerror(errno));
        ret = ENOENT;
    } else if (ret != CFG_SUCCESS) {
        if (!c.failed) {
            fail(&c, 0, "syntax error");
        }
        ret = EINVAL;
    } else {
        ret = convert(&c, root, cfg) ? 0 : EINVAL;
    }
    confuse_ctx = NULL;
    cfg_free(root);
    if (ret) {
        config_destroy(cfg);
        return ret;
    }
    *out = cfg;
    return 0;
}
