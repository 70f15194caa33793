/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration, "node" section: what this node is, its EAL arguments, its provider addresses and
 * the capacities of its tables. */
#include "gateway/config/config_internal.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#define WORKERS_MAX       16 /* DP_MAX_WORKERS. */
#define DEFAULT_NODE_NAME "hnvgw"
#define DEFAULT_SOCKET    "/run/hnvgw/hnvgwd.sock"

cfg_opt_t config_node_opts[] = {
    CONFIG_LINE_OPT,
    CFG_STR("name", DEFAULT_NODE_NAME, CFGF_NONE),
    CFG_STR_LIST("roles", NULL, CFGF_NONE),
    CFG_STR_LIST("eal_args", NULL, CFGF_NONE),
    CFG_INT("workers", 1, CFGF_NONE),
    CFG_STR("control_socket", DEFAULT_SOCKET, CFGF_NONE),
    CFG_STR("metrics_listen", NULL, CFGF_NODEFAULT),
    CFG_STR_LIST("provider_addresses", NULL, CFGF_NONE),
    CFG_INT("arp_timeout", 300, CFGF_NONE),
    CFG_INT("icmp_rate", 100, CFGF_NONE),
    CFG_INT("max_lookup_records", 65536, CFGF_NONE),
    CFG_INT("max_routes", 65536, CFGF_NONE),
    CFG_INT("max_subnets", 8192, CFGF_NONE),
    CFG_INT("mbufs", 0, CFGF_NONE),
    CFG_INT("max_nat_sessions", 262144, CFGF_NONE),
    CFG_INT("nat_port_block", 64, CFGF_NONE),
    CFG_STR("routing_daemons", "auto", CFGF_NONE),
    CFG_SEC("cluster", config_cluster_opts, CFGF_MULTI),
    CFG_END(),
};

/* The EAL arguments: as listed, or the defaults when the key is absent. */
static int
load_eal_args(const struct where *w, struct hnvgw_config *cfg)
{
    static const char *const default_eal[] = {"--in-memory", "--no-pci"};
    cfg_opt_t *eal = config_find_opt(w->sec, "eal_args");

    if (eal && (eal->flags & CFGF_MODIFIED)) {
        unsigned n = cfg_size(w->sec, "eal_args");

        if (n > CONFIG_EAL_ARGS_MAX) {
            return config_report(w, EINVAL, "eal_args", CONFIG_EAL_ARGS_MAX,
                                 "more than %d arguments", CONFIG_EAL_ARGS_MAX);
        }
        for (unsigned i = 0; i < n; i++) {
            cfg->eal_args[i] = strdup(cfg_getnstr(w->sec, "eal_args", i));
            if (!cfg->eal_args[i]) {
                return config_report(w, ENOMEM, "eal_args", i, "out of memory");
            }
            cfg->n_eal_args++;
        }
        return 0;
    }
    for (size_t i = 0; i < 2; i++) {
        cfg->eal_args[i] = strdup(default_eal[i]);
        if (!cfg->eal_args[i]) {
            return config_report(w, ENOMEM, "eal_args", 0, "out of memory");
        }
        cfg->n_eal_args++;
    }
    return 0;
}

/* The numeric keys: workers, timers and table capacities. */
static int
load_numbers(const struct where *w, struct hnvgw_config *cfg)
{
    long v = 0;
    int ret;

    if ((ret = config_get_int(w, "workers", 1, WORKERS_MAX, &v)) != 0) {
        return ret;
    }
    cfg->workers = (unsigned)v;
    if ((ret = config_get_int(w, "arp_timeout", 10, 86400, &v)) != 0) {
        return ret;
    }
    cfg->arp_timeout_s = (unsigned)v;
    if ((ret = config_get_int(w, "icmp_rate", 1, 100000, &v)) != 0) {
        return ret;
    }
    cfg->icmp_rate_per_s = (unsigned)v;
    if ((ret = config_get_u32(w, "max_lookup_records", 64, 64L << 20, &cfg->max_lookups)) != 0 ||
        (ret = config_get_u32(w, "max_routes", 64, 16L << 20, &cfg->max_routes)) != 0 ||
        (ret = config_get_u32(w, "max_subnets", 64, 1L << 20, &cfg->max_subnets)) != 0 ||
        (ret = config_get_u32(w, "mbufs", 0, 16L << 20, &cfg->mbufs)) != 0) {
        return ret;
    }
    if (cfg->mbufs && cfg->mbufs < 1024) {
        return config_report(w, EINVAL, "mbufs", 0, "%u is neither 0 (automatic) nor 1024..%ld",
                             cfg->mbufs, 16L << 20);
    }
    if ((ret = config_get_u32(w, "max_nat_sessions", 1024, 64L << 20, &cfg->max_nat_sessions)) !=
            0 ||
        (ret = config_get_u32(w, "nat_port_block", 8, 4096, &cfg->nat_port_block)) != 0) {
        return ret;
    }
    if (cfg->nat_port_block & (cfg->nat_port_block - 1)) {
        return config_report(w, EINVAL, "nat_port_block", 0, "%u is not a power of two (8..4096)",
                             cfg->nat_port_block);
    }
    return 0;
}

/* The provider addresses, each unicast and listed once. */
static int
load_pas(const struct where *w, struct hnvgw_config *cfg)
{
    unsigned n = cfg_size(w->sec, "provider_addresses");
    int ret;

    if (n > CONFIG_PAS_MAX) {
        return config_report(w, EINVAL, "provider_addresses", CONFIG_PAS_MAX,
                             "more than %d addresses", CONFIG_PAS_MAX);
    }
    for (unsigned i = 0; i < n; i++) {
        struct hnvgw_ip *pa = &cfg->pas[i];
        const char *s = cfg_getnstr(w->sec, "provider_addresses", i);

        if ((ret = config_parse_ip4(w, "provider_addresses", i, s, pa)) != 0) {
            return ret;
        }
        if (!config_is_unicast4(pa)) {
            return config_report(w, EINVAL, "provider_addresses", i, "%s is not a unicast address",
                                 s);
        }
        for (size_t k = 0; k < i; k++) {
            if (hnvgw_ip_equal(&cfg->pas[k], pa)) {
                return config_report(w, EINVAL, "provider_addresses", i, "%s is listed twice", s);
            }
        }
        cfg->n_pas++;
    }
    return 0;
}

/* metrics_listen, when given: "ADDRESS:PORT" for IPv4, "[ADDRESS]:PORT" for IPv6. The address is
 * taken as written, a wildcard included; only what no listener can bind (multicast, broadcast)
 * is refused. */
static int
load_metrics_listen(const struct where *w, struct hnvgw_config *cfg)
{
    char addr[HNVGW_IP_STRLEN], b[HNVGW_IP_STRLEN];
    const char *s, *a, *port;
    struct hnvgw_ip ip;
    bool v6;
    size_t alen;
    char *end;
    long v;
    int ret;

    if ((ret = config_get_str(w, "metrics_listen", false, &s)) != 0 || !s) {
        return ret;
    }
    v6 = s[0] == '[';
    a = s + v6;
    port = v6 ? strstr(a, "]:") : strrchr(a, ':');
    if (!port || (!v6 && strchr(a, ':') != port)) {
        return config_report(w, EINVAL, "metrics_listen", 0,
                             "'%s' is not ADDRESS:PORT (e.g. \"10.20.0.5:9469\" or "
                             "\"[fd00::5]:9469\")",
                             s);
    }
    alen = (size_t)(port - a);
    port += v6 ? 2 : 1;
    snprintf(addr, sizeof addr, "%.*s", (int)(alen < sizeof addr ? alen : sizeof addr - 1), a);
    if (alen >= sizeof addr || !hnvgw_ip_parse(addr, &ip) || (ip.family == HNVGW_AF_INET6) != v6) {
        return config_report(w, EINVAL, "metrics_listen", 0,
                             "'%.*s' is not an IPv4 address, nor an IPv6 address in brackets",
                             (int)alen, a);
    }
    errno = 0;
    v = strtol(port, &end, 10);
    if (port[0] < '0' || port[0] > '9' || *end || errno || v < 1 || v > 65535) {
        return config_report(w, EINVAL, "metrics_listen", 0, "port '%s' is not 1..65535", port);
    }
    if (ip.family == HNVGW_AF_INET ? (ntohl(ip.v4) >> 28) == 0xe || ip.v4 == 0xffffffff
                                   : ip.v6[0] == 0xff) {
        return config_report(w, EINVAL, "metrics_listen", 0,
                             "%s is a multicast or broadcast address, not the management address",
                             hnvgw_ip_format(&ip, b));
    }
    cfg->metrics = true;
    cfg->metrics_ip = ip;
    cfg->metrics_port = (uint16_t)v;
    return 0;
}

static const char *const routing_daemons_names[] = {"auto", "shared", "per_tenant"};

const char *
config_routing_daemons_name(enum config_routing_daemons d)
{
    return (unsigned)d < 3 ? routing_daemons_names[d] : "?";
}

int
config_load_node(struct loader *ld)
{
    static const char *const role_keys[] = {"gateway", "host"};
    struct hnvgw_config *cfg = ld->cfg;
    unsigned n = cfg_size(ld->root, "node");
    cfg_t *sec = n ? cfg_getnsec(ld->root, "node", 0) : NULL;
    const char *s;
    struct where w;
    int ret;

    if (n == 0) {
        config_where_line(&w, ld, ld->path, 0, "");
        return config_report(&w, EINVAL, "node", 0,
                             "section is required (it sets the node's roles)");
    }
    if (n > 1) {
        config_where_sec(&w, ld, cfg_getnsec(ld->root, "node", 1), "node");
        return config_report(&w, EINVAL, NULL, 0, "defined twice (first at line %d)",
                             config_section_line(sec));
    }
    config_where_sec(&w, ld, sec, "node");
    cfg->node_line = config_section_line(sec);
    cfg->mbufs_line = config_key_line(ld, sec, "mbufs", 0);
    cfg->eal_args_line = config_key_line(ld, sec, "eal_args", 0);
    cfg->routing_daemons_line = config_key_line(ld, sec, "routing_daemons", 0);

    s = cfg_getstr(sec, "name");
    if (!config_name_ok(s)) {
        return config_report(&w, EINVAL, "name", 0,
                             "'%s' is not 1..%d letters, digits, '-', '_', '.' or ':' characters",
                             s, CONFIG_NAME_MAX - 1);
    }
    snprintf(cfg->node_name, sizeof cfg->node_name, "%s", s);

    if (cfg_size(sec, "roles") == 0) {
        return config_report(&w, EINVAL, "roles", 0, "is required: gateway and/or host");
    }
    for (unsigned i = 0; i < cfg_size(sec, "roles"); i++) {
        unsigned r = 0;
        if ((ret = config_parse_enum(&w, "roles", i, cfg_getnstr(sec, "roles", i), role_keys, 2,
                                     &r))) {
            return ret;
        }
        cfg->roles |= r == 0 ? CONFIG_ROLE_GATEWAY : CONFIG_ROLE_HOST;
    }

    if ((ret = load_eal_args(&w, cfg)) != 0 || (ret = load_numbers(&w, cfg)) != 0) {
        return ret;
    }
    {
        unsigned d = 0;

        if ((ret = config_parse_enum(&w, "routing_daemons", 0, cfg_getstr(sec, "routing_daemons"),
                                     routing_daemons_names, 3, &d)) != 0) {
            return ret;
        }
        cfg->routing_daemons = (enum config_routing_daemons)d;
    }

    s = cfg_getstr(sec, "control_socket");
    if (!s[0] || strlen(s) >= sizeof cfg->control_socket) {
        return config_report(&w, EINVAL, "control_socket", 0, "must be a path of 1..%zu characters",
                             sizeof cfg->control_socket - 1);
    }
    snprintf(cfg->control_socket, sizeof cfg->control_socket, "%s", s);
    if ((ret = load_metrics_listen(&w, cfg)) != 0) {
        return ret;
    }
    return load_pas(&w, cfg);
}

int
config_check_pas(struct loader *ld)
{
    const struct hnvgw_config *cfg = ld->cfg;
    char b[HNVGW_IP_STRLEN], p[HNVGW_PFX_STRLEN];
    struct where w;

    config_where_sec(&w, ld, cfg_getnsec(ld->root, "node", 0), "node");
    if (ld->provider && cfg->n_pas == 0) {
        return config_report(&w, EINVAL, "provider_addresses", 0,
                             "is required: port \"%s\" is a provider port", ld->provider->name);
    }
    if (!ld->provider && cfg->n_pas) {
        return config_report(&w, EINVAL, "provider_addresses", 0,
                             "set, but there is no provider port");
    }
    for (size_t i = 0; i < cfg->n_pas; i++) {
        if (!hnvgw_prefix_contains(&ld->provider->address, &cfg->pas[i])) {
            return config_report(
                &w, EINVAL, "provider_addresses", (unsigned)i,
                "%s is not inside %s of provider port \"%s\"", hnvgw_ip_format(&cfg->pas[i], b),
                hnvgw_prefix_format(&ld->provider->address, p), ld->provider->name);
        }
    }
    return 0;
}
