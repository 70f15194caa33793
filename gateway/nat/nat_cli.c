/* SPDX-License-Identifier: Apache-2.0 */
/* NAT44 operator commands: arguments and rows (see natcli.h). */
#include "gateway/nat/nat_cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "gateway/ctl.h"
#include "gateway/nat/nat_log.h"

int
natcli_find_tenant(const struct hnvgw_config *cfg, const char *s, bool need_nat,
                   const struct config_tenant **out, char *err)
{
    const struct config_tenant *t = NULL;

    for (size_t i = 0; i < cfg->n_tenants && !t; i++) {
        if (!strcmp(cfg->tenants[i].name, s)) {
            t = &cfg->tenants[i];
        }
    }
    if (!t && *s >= '0' && *s <= '9') {
        char *end;
        unsigned long id;

        errno = 0;
        id = strtoul(s, &end, 10);
        if (!*end && !errno && id <= UINT32_MAX) {
            t = config_find_tenant(cfg, (uint32_t)id);
        }
    }
    if (!t) {
        snprintf(err, CTL_ERR_MAX, "tenant: '%s' is not a configured tenant name or id", s);
        return ENOENT;
    }
    if (need_nat && !t->nat) {
        snprintf(err, CTL_ERR_MAX, "tenant: %s(%u) has no NAT", t->name, t->id);
        return ENOENT;
    }
    *out = t;
    return 0;
}

int
natcli_parse_query(const struct hnvgw_config *cfg, json_t *args, bool with_limit,
                   struct dp_nat_filter *f, uint32_t *limit, char *err)
{
    json_t *tenant = json_object_get(args, "tenant");
    json_t *address = json_object_get(args, "address");
    json_t *lim = json_object_get(args, "limit");

    memset(f, 0, sizeof *f);
    if (tenant) {
        const struct config_tenant *t;
        int ret;

        if (!json_is_string(tenant)) {
            snprintf(err, CTL_ERR_MAX, "tenant: must be a name or an id");
            return EINVAL;
        }
        ret = natcli_find_tenant(cfg, json_string_value(tenant), true, &t, err);
        if (ret) {
            return ret;
        }
        f->tenant = (uint16_t)t->id;
    }
    if (address) {
        const char *s = json_is_string(address) ? json_string_value(address) : "";
        struct hnvgw_ip ip;

        if (!hnvgw_ip_parse(s, &ip) || ip.family != HNVGW_AF_INET || !ip.v4) {
            snprintf(err, CTL_ERR_MAX, "address: '%s' is not an IPv4 address", s);
            return EINVAL;
        }
        f->addr = ip.v4;
    }
    if (!with_limit) {
        if (lim) {
            snprintf(err, CTL_ERR_MAX, "limit: not an argument of clear (it clears every match)");
            return EINVAL;
        }
        return 0;
    }
    *limit = NATCLI_LIMIT_DEFAULT;
    if (lim) {
        const char *s = json_is_string(lim) ? json_string_value(lim) : "";
        char *end;
        unsigned long v;

        errno = 0;
        v = strtoul(s, &end, 10);
        if (*s < '0' || *s > '9' || *end || errno || v > NATCLI_LIMIT_MAX) {
            snprintf(err, CTL_ERR_MAX, "limit: '%s' is not a number in 0..%u", s, NATCLI_LIMIT_MAX);
            return EINVAL;
        }
        *limit = (uint32_t)v;
    }
    return 0;
}

const char *
natcli_proto_str(uint8_t proto, char buf[4])
{
    const char *name = natlog_proto_name(proto);

    if (name) {
        return name;
    }
    snprintf(buf, 4, "%u", proto);
    return buf;
}

/* Returns a new JSON string "IP" for the network-order IPv4 'be'. */
static json_t *
ip_json(uint32_t be)
{
    struct hnvgw_ip ip = hnvgw_ip4(be);
    char b[HNVGW_IP_STRLEN];

    return json_string(hnvgw_ip_format(&ip, b));
}

/* Returns a new JSON string "IP:PORT". */
static json_t *
endpoint_json(uint32_t be, uint16_t port)
{
    struct hnvgw_ip ip = hnvgw_ip4(be);
    char b[HNVGW_IP_STRLEN];

    return json_sprintf("%s:%u", hnvgw_ip_format(&ip, b), port);
}

json_t *
natcli_tenant_json(const char *name, const struct dp_nat_conf *conf,
                   const struct dp_nat_usage *usage)
{
    json_t *addrs = json_array();
    unsigned n = conf->n_public < DP_NAT_PUBLIC_MAX ? conf->n_public : DP_NAT_PUBLIC_MAX;

    for (unsigned i = 0; addrs && i < n; i++) {
        json_array_append_new(addrs, ip_json(conf->public_ips[i]));
    }
    return json_pack(
        "{s:s, s:i, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:{s:I, s:I, s:I, s:I}}", "tenant",
        name ? name : "?", "id", (int)conf->tenant, "public_addresses", addrs, "sessions",
        (json_int_t)usage->sessions, "max_sessions", (json_int_t)usage->max_sessions, "ports",
        (json_int_t)usage->ports, "max_ports", (json_int_t)usage->max_ports, "blocks",
        (json_int_t)usage->blocks, "blocks_total", (json_int_t)usage->blocks_total, "filtering",
        conf->endpoint_independent_filtering ? "endpoint-independent" : "address-dependent",
        "timeouts", "tcp_established", (json_int_t)conf->timeout_s[DP_NAT_T_TCP_EST],
        "tcp_transitory", (json_int_t)conf->timeout_s[DP_NAT_T_TCP_TRANS], "udp",
        (json_int_t)conf->timeout_s[DP_NAT_T_UDP], "icmp",
        (json_int_t)conf->timeout_s[DP_NAT_T_ICMP]);
}

json_t *
natcli_pool_json(const char *name, const struct dp_nat_pool_info *pool)
{
    return json_pack("{s:o, s:s, s:i, s:i, s:i, s:I, s:I, s:I}", "public_address",
                     ip_json(pool->ip), "tenant", name ? name : "?", "tenant_id", (int)pool->tenant,
                     "port_min", (int)pool->port_min, "port_max", (int)pool->port_max,
                     "blocks_used", (json_int_t)pool->blocks_used, "blocks_total",
                     (json_int_t)pool->blocks_total, "statics", (json_int_t)pool->statics);
}

json_t *
natcli_session_json(const char *name, const struct dp_nat_session_info *s)
{
    char pbuf[4];
    const char *state =
        s->proto == IPPROTO_TCP ? dp_nat_tcp_state_name((enum dp_nat_tcp_state)s->tcp_state) : "-";

    return json_pack(
        "{s:s, s:i, s:s, s:o, s:o, s:o, s:s, s:I, s:I, s:I, s:I, s:i}", "tenant", name ? name : "?",
        "tenant_id", (int)s->tenant, "proto", natcli_proto_str(s->proto, pbuf), "inside",
        endpoint_json(s->in_ip, s->in_port), "public", endpoint_json(s->pub_ip, s->pub_port),
        "remote", endpoint_json(s->rem_ip, s->rem_port), "state", state, "idle_s",
        (json_int_t)s->idle_s, "expires_s", (json_int_t)s->expires_s, "pkts_out",
        (json_int_t)s->pkts_out, "pkts_in", (json_int_t)s->pkts_in, "worker", (int)s->worker);
}
