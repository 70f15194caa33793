/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration, "port" sections: the provider and external ports with their addresses, gateways
 * and static neighbors, and the vm ports of a host. */
#include "gateway/config/config_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PORTS_MAX 32 /* DP_MAX_PORTS: ports one node may use. */

cfg_opt_t config_port_opts[] = {
    CONFIG_LINE_OPT,
    CFG_STR("kind", NULL, CFGF_NODEFAULT),
    CFG_STR("devargs", NULL, CFGF_NODEFAULT),
    CFG_STR("mac", NULL, CFGF_NODEFAULT),
    CFG_STR("address", NULL, CFGF_NODEFAULT),
    CFG_INT("vlan", 0, CFGF_NONE),
    CFG_INT("mtu", 1500, CFGF_NONE),
    CFG_STR("gateway", NULL, CFGF_NODEFAULT),
    CFG_INT("vsid", 0, CFGF_NODEFAULT),
    CFG_STR("ca", NULL, CFGF_NODEFAULT),
    CFG_STR_LIST("static_neighbors", NULL, CFGF_NONE),
    CFG_END(),
};

/* Spellings of enum config_port_kind in the file (and in messages). */
static const char *const kind_keys[] = {"provider", "external", "vm"};

const char *
config_port_kind_name(enum config_port_kind kind)
{
    return (unsigned)kind < 3 ? kind_keys[kind] : "?";
}

/* The static neighbors of a provider or external port, "IP=MAC", each another host of its
 * network and listed once. */
static int
load_static_neighbors(const struct where *w, struct config_port *p)
{
    unsigned n = cfg_size(w->sec, "static_neighbors");
    char b[HNVGW_IP_STRLEN], pb[HNVGW_PFX_STRLEN];
    int ret;

    p->static_neighbors = calloc(n ? n : 1, sizeof *p->static_neighbors);
    if (!p->static_neighbors) {
        return config_report(w, ENOMEM, NULL, 0, "out of memory");
    }
    for (unsigned i = 0; i < n; i++) {
        struct config_neighbor *nb = &p->static_neighbors[i];
        const char *s = cfg_getnstr(w->sec, "static_neighbors", i);
        const char *eq = strchr(s, '=');
        char ip[64];

        if (!eq || (size_t)(eq - s) >= sizeof ip) {
            return config_report(w, EINVAL, "static_neighbors", i, "'%s' is not IP=MAC", s);
        }
        memcpy(ip, s, eq - s);
        ip[eq - s] = '\0';
        if ((ret = config_parse_ip4(w, "static_neighbors", i, ip, &nb->ip)) != 0 ||
            (ret = config_parse_mac(w, "static_neighbors", i, eq + 1, &nb->mac)) != 0) {
            return ret;
        }
        if (!hnvgw_prefix_contains(&p->address, &nb->ip) ||
            hnvgw_ip_equal(&nb->ip, &p->address.addr)) {
            return config_report(w, EINVAL, "static_neighbors", i, "%s is not another host of %s",
                                 ip, hnvgw_prefix_format(&p->address, pb));
        }
        for (unsigned k = 0; k < i; k++) {
            if (hnvgw_ip_equal(&p->static_neighbors[k].ip, &nb->ip)) {
                return config_report(w, EINVAL, "static_neighbors", i, "%s is listed twice",
                                     hnvgw_ip_format(&nb->ip, b));
            }
        }
        p->n_static_neighbors++;
    }
    return 0;
}

/* The keys of a provider or external port: its address, gateway and static neighbors. */
static int
load_port_l3(const struct where *w, struct config_port *p)
{
    char pb[HNVGW_PFX_STRLEN];
    const char *s;
    int ret;

    if ((ret = config_forbid(w, "vsid", "on a provider or external port")) != 0 ||
        (ret = config_forbid(w, "ca", "on a provider or external port")) != 0 ||
        (ret = config_get_str(w, "address", true, &s)) != 0 ||
        (ret = config_parse_prefix4(w, "address", 0, s, false, &p->address)) != 0) {
        return ret;
    }
    if (p->address.plen == 0 || !config_is_unicast4(&p->address.addr) ||
        config_is_net_or_bcast(&p->address, &p->address.addr)) {
        return config_report(w, EINVAL, "address", 0,
                             "'%s' is not a host address with its prefix length, e.g. 10.0.0.1/24",
                             s);
    }
    p->has_address = true;
    if ((ret = config_get_str(w, "gateway", false, &s)) != 0) {
        return ret;
    }
    if (s) {
        if ((ret = config_parse_ip4(w, "gateway", 0, s, &p->gateway)) != 0) {
            return ret;
        }
        if (!hnvgw_prefix_contains(&p->address, &p->gateway) ||
            hnvgw_ip_equal(&p->gateway, &p->address.addr) ||
            config_is_net_or_bcast(&p->address, &p->gateway)) {
            return config_report(w, EINVAL, "gateway", 0, "%s is not another host of %s", s,
                                 hnvgw_prefix_format(&p->address, pb));
        }
        p->has_gateway = true;
    }
    return load_static_neighbors(w, p);
}

/* The keys of a vm port: the VM's VSID and CA. */
static int
load_port_vm(struct loader *ld, const struct checker *ck, const struct where *w,
             struct config_port *p)
{
    const struct config_tenant *t;
    const struct config_subnet *sn;
    const char *s;
    long v = 0;
    int ret;

    if (!(ld->cfg->roles & CONFIG_ROLE_HOST)) {
        return config_report(w, EINVAL, "kind", 0, "vm ports need \"host\" in node roles");
    }
    if ((ret = config_forbid(w, "address", "on a vm port (the VM's address is 'ca')")) != 0 ||
        (ret = config_forbid(w, "gateway", "on a vm port")) != 0 ||
        (ret = config_forbid(w, "static_neighbors", "on a vm port")) != 0 ||
        (ret = config_get_int(w, "vsid", CONFIG_VSID_MIN, CONFIG_VSID_MAX, &v)) != 0) {
        return ret;
    }
    p->vsid = (uint32_t)v;
    if ((ret = config_check_vsid(ck, w, p->vsid, &t, &sn)) != 0 ||
        (ret = config_get_str(w, "ca", true, &s)) != 0 ||
        (ret = config_parse_ip4(w, "ca", 0, s, &p->ca)) != 0 ||
        (ret = config_check_ca(w, "ca", sn, &p->ca)) != 0) {
        return ret;
    }
    return 0;
}

/* The keys every kind of port has, and the rules against the earlier ports 'cfg->ports[0..i)':
 * devargs used once, one provider and one external port. */
static int
load_port_common(const struct where *w, const struct hnvgw_config *cfg, unsigned i,
                 struct config_port *p)
{
    const char *s;
    unsigned kind = 0;
    long v = 0;
    int ret;

    if ((ret = config_get_str(w, "kind", true, &s)) != 0 ||
        (ret = config_parse_enum(w, "kind", 0, s, kind_keys, 3, &kind)) != 0) {
        return ret;
    }
    p->kind = (enum config_port_kind)kind;
    if ((ret = config_get_str(w, "devargs", true, &s)) != 0) {
        return ret;
    }
    if (!s[0] || strlen(s) >= sizeof p->devargs) {
        return config_report(w, EINVAL, "devargs", 0, "must be 1..%zu characters",
                             sizeof p->devargs - 1);
    }
    snprintf(p->devargs, sizeof p->devargs, "%s", s);
    for (unsigned k = 0; k < i; k++) {
        const struct config_port *o = &cfg->ports[k];
        if (!strcmp(o->devargs, p->devargs)) {
            return config_report(w, EINVAL, "devargs", 0, "already used by port \"%s\", line %d",
                                 o->name, o->line);
        }
        if (p->kind != CONFIG_PORT_VM && o->kind == p->kind) {
            return config_report(w, EINVAL, "kind", 0,
                                 "only one %s port is allowed; port \"%s\" (line %d) is one",
                                 kind_keys[kind], o->name, o->line);
        }
    }
    if ((ret = config_get_str(w, "mac", true, &s)) != 0 ||
        (ret = config_parse_mac(w, "mac", 0, s, &p->mac)) != 0 ||
        (ret = config_get_int(w, "vlan", 0, 4094, &v)) != 0) {
        return ret;
    }
    p->vlan = (uint16_t)v;
    if ((ret = config_get_int(w, "mtu", 576, 9000, &v)) != 0) {
        return ret;
    }
    p->mtu = (uint16_t)v;
    return 0;
}

int
config_load_ports(struct loader *ld)
{
    struct hnvgw_config *cfg = ld->cfg;
    struct checker ck = {.cfg = cfg, .vsids = ld->vsids, .n_vsids = ld->n_vsids};
    unsigned n = cfg_size(ld->root, "port");
    struct where w;

    if (n == 0) {
        config_where_line(&w, ld, ld->path, 0, "");
        return config_report(&w, EINVAL, "port", 0, "at least one port is required");
    }
    if (n > PORTS_MAX) {
        cfg_t *sec = cfg_getnsec(ld->root, "port", PORTS_MAX);
        config_where_sec(&w, ld, sec, "port \"%s\"", cfg_title(sec));
        return config_report(&w, EINVAL, NULL, 0, "more than %d ports", PORTS_MAX);
    }
    cfg->ports = calloc(n, sizeof *cfg->ports);
    if (!cfg->ports) {
        config_where_line(&w, ld, ld->path, 0, "port");
        return config_report(&w, ENOMEM, NULL, 0, "out of memory");
    }
    for (unsigned i = 0; i < n; i++) {
        cfg_t *sec = cfg_getnsec(ld->root, "port", i);
        struct config_port *p = &cfg->ports[i];
        int ret;

        config_where_sec(&w, ld, sec, "port \"%s\"", cfg_title(sec));
        cfg->n_ports++;
        p->line = w.line;
        if ((ret = config_check_name(&w, sec)) != 0) {
            return ret;
        }
        snprintf(p->name, sizeof p->name, "%s", cfg_title(sec));
        if ((ret = load_port_common(&w, cfg, i, p)) != 0) {
            return ret;
        }
        ret = p->kind == CONFIG_PORT_VM ? load_port_vm(ld, &ck, &w, p) : load_port_l3(&w, p);
        if (ret) {
            return ret;
        }
        if (p->kind == CONFIG_PORT_PROVIDER) {
            ld->provider = p;
        } else if (p->kind == CONFIG_PORT_EXTERNAL) {
            ld->external = p;
        }
        for (unsigned k = 0; p->kind == CONFIG_PORT_VM && k < i; k++) {
            const struct config_port *o = &cfg->ports[k];
            if (o->kind == CONFIG_PORT_VM && o->vsid == p->vsid && hnvgw_ip_equal(&o->ca, &p->ca)) {
                char b[HNVGW_IP_STRLEN];
                return config_report(&w, EINVAL, "ca", 0,
                                     "vsid %u ca %s is already port \"%s\", line %d", p->vsid,
                                     hnvgw_ip_format(&p->ca, b), o->name, o->line);
            }
        }
    }
    return 0;
}

void
config_port_clear(struct config_port *p)
{
    free(p->static_neighbors);
}
