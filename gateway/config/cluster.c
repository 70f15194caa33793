/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration, the node's "cluster" section: one node of an active/passive pair. The election
 * (VRRPv3 on the provider network) and the state-sync channel (UDP on a kernel interface) run
 * from what it sets; gateway/cluster/cluster_config.h describes each field.
 *
 * In a pair the provider port's own address is the node's (the VRRP source, distinct per node)
 * and node.provider_addresses are the virtual PAs, owned by the active node: the two must differ,
 * or the passive node would answer for the address it is meant to give up. */
#include "gateway/config/config_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>

cfg_opt_t config_cluster_opts[] = {
    CONFIG_LINE_OPT,
    CFG_INT("vrid", 0, CFGF_NODEFAULT),
    CFG_INT("priority", CLUSTER_DEFAULT_PRIORITY, CFGF_NONE),
    CFG_BOOL("preempt", cfg_true, CFGF_NONE),
    CFG_INT("advert_interval_ms", CLUSTER_DEFAULT_ADVERT_MS, CFGF_NONE),
    CFG_INT("switchover_hold", CLUSTER_DEFAULT_SWITCHOVER_S, CFGF_NONE),
    CFG_STR("peer", NULL, CFGF_NODEFAULT),
    CFG_STR("sync_address", NULL, CFGF_NODEFAULT),
    CFG_INT("sync_port", CLUSTER_DEFAULT_SYNC_PORT, CFGF_NONE),
    CFG_STR("secret", NULL, CFGF_NODEFAULT),
    CFG_STR("secret_file", NULL, CFGF_NODEFAULT),
    CFG_END(),
};

/* Reads the numeric keys of the section at 'w' into 'c'. */
static int
load_numbers(const struct where *w, struct config_cluster *c)
{
    long v = 0;
    int ret;

    if ((ret = config_get_int(w, "vrid", 1, 255, &v)) != 0) {
        return ret;
    }
    c->vrid = (uint8_t)v;
    /* 255 is the address owner's priority (RFC 5798 5.2.4): in a pair neither node owns the
     * virtual addresses, so that both always go through Backup first. */
    if ((ret = config_get_int(w, "priority", 1, 254, &v)) != 0) {
        return ret;
    }
    c->priority = (uint8_t)v;
    if ((ret = config_get_int(w, "advert_interval_ms", 10, 1000, &v)) != 0) {
        return ret;
    }
    if (v % 10) {
        return config_report(w, EINVAL, "advert_interval_ms", 0,
                             "%ld is not a multiple of 10 (VRRPv3 counts centiseconds)", v);
    }
    c->advert_interval_ms = (uint16_t)v;
    if ((ret = config_get_u32(w, "switchover_hold", 0, 86400, &c->switchover_hold_s)) != 0 ||
        (ret = config_get_int(w, "sync_port", 1, 65535, &v)) != 0) {
        return ret;
    }
    c->sync_port = (uint16_t)v;
    c->preempt = cfg_getbool(w->sec, "preempt");
    return 0;
}

/* Reads the unicast IPv4 address of key 'key' into '*ip'. */
static int
get_address(const struct where *w, const char *key, struct hnvgw_ip *ip)
{
    const char *s;
    int ret;

    if ((ret = config_get_str(w, key, true, &s)) != 0 ||
        (ret = config_parse_ip4(w, key, 0, s, ip)) != 0) {
        return ret;
    }
    if (!config_is_unicast4(ip)) {
        return config_report(w, EINVAL, key, 0, "%s is not a unicast address", s);
    }
    return 0;
}

/* Refuses sync address 'ip' (key 'key') when the data plane owns it: the sync channel runs over
 * a kernel interface, which cannot carry an address of a DPDK port or a PA. */
static int
check_not_dataplane(const struct loader *ld, const struct where *w, const char *key,
                    const struct hnvgw_ip *ip)
{
    const struct hnvgw_config *cfg = ld->cfg;
    char b[HNVGW_IP_STRLEN];

    for (size_t i = 0; i < cfg->n_ports; i++) {
        const struct config_port *p = &cfg->ports[i];

        if (p->has_address && hnvgw_ip_equal(&p->address.addr, ip)) {
            return config_report(w, EINVAL, key, 0,
                                 "%s is the address of port \"%s\": the sync channel needs a "
                                 "kernel interface",
                                 hnvgw_ip_format(ip, b), p->name);
        }
    }
    if (config_is_my_pa(cfg, ip)) {
        return config_report(w, EINVAL, key, 0,
                             "%s is a provider address: the sync channel needs a kernel interface",
                             hnvgw_ip_format(ip, b));
    }
    return 0;
}

/* Reads the secret file 'path' into 'c': its bytes, less one final newline (so that a file made
 * with echo holds what was typed). The file must not be readable by others. */
static int
read_secret_file(const struct where *w, const char *path, struct config_cluster *c)
{
    uint8_t buf[CLUSTER_SECRET_MAX + 3];
    struct stat st;
    size_t n;
    FILE *fp = fopen(path, "r");

    if (!fp) {
        return config_report(w, errno == ENOENT ? ENOENT : EACCES, "secret_file", 0,
                             "cannot read %s: %s", path, strerror(errno));
    }
    if (fstat(fileno(fp), &st) || !S_ISREG(st.st_mode)) {
        fclose(fp);
        return config_report(w, EINVAL, "secret_file", 0, "%s is not a regular file", path);
    }
    if (st.st_mode & S_IROTH) {
        fclose(fp);
        return config_report(w, EACCES, "secret_file", 0,
                             "%s is readable by every user: chmod o-r it (the secret guards the "
                             "state sync)",
                             path);
    }
    n = fread(buf, 1, sizeof buf, fp);
    fclose(fp);
    if (n && buf[n - 1] == '\n') {
        n--;
        n -= n && buf[n - 1] == '\r';
    }
    if (n < CLUSTER_SECRET_MIN || n > CLUSTER_SECRET_MAX) {
        explicit_bzero(buf, sizeof buf);
        return config_report(w, EINVAL, "secret_file", 0, "%s holds %s%zu bytes, not %d..%d", path,
                             n > CLUSTER_SECRET_MAX ? "more than " : "",
                             n > CLUSTER_SECRET_MAX ? (size_t)CLUSTER_SECRET_MAX : n,
                             CLUSTER_SECRET_MIN, CLUSTER_SECRET_MAX);
    }
    memcpy(c->secret, buf, n);
    c->secret_len = n;
    explicit_bzero(buf, sizeof buf);
    return 0;
}

/* The shared secret: exactly one of secret (inline) and secret_file. Never echoes the secret. */
static int
load_secret(const struct loader *ld, const struct where *w, struct config_cluster *c)
{
    const char *s, *file, *slash = strrchr(ld->path, '/');
    size_t len;
    int ret, n;

    if ((ret = config_get_str(w, "secret", false, &s)) != 0 ||
        (ret = config_get_str(w, "secret_file", false, &file)) != 0) {
        return ret;
    }
    if (s && file) {
        return config_report(w, EINVAL, "secret_file", 0, "set together with secret: use one");
    }
    if (!s && !file) {
        return config_report(w, EINVAL, "secret", 0,
                             "is required (or secret_file): it authenticates and encrypts the "
                             "state sync");
    }
    if (s) {
        len = strlen(s);
        if (len < CLUSTER_SECRET_MIN || len > CLUSTER_SECRET_MAX) {
            return config_report(w, EINVAL, "secret", 0, "%zu characters, not %d..%d", len,
                                 CLUSTER_SECRET_MIN, CLUSTER_SECRET_MAX);
        }
        memcpy(c->secret, s, len);
        c->secret_len = len;
        return 0;
    }
    if (file[0] == '/' || !slash) {
        n = snprintf(c->secret_file, sizeof c->secret_file, "%s", file);
    } else {
        n = snprintf(c->secret_file, sizeof c->secret_file, "%.*s/%s", (int)(slash - ld->path),
                     ld->path, file);
    }
    if (!file[0] || n >= (int)sizeof c->secret_file) {
        return config_report(w, EINVAL, "secret_file", 0,
                             "'%s' is not a path of at most %zu characters", file,
                             sizeof c->secret_file - 1);
    }
    return read_secret_file(w, c->secret_file, c);
}

/* The rules between the section and the rest of the node: a provider port to elect on, whose
 * own address is not a virtual PA. */
static int
check_provider(const struct loader *ld, const struct where *w)
{
    const struct hnvgw_config *cfg = ld->cfg;
    char b[HNVGW_IP_STRLEN];

    if (!ld->provider) {
        return config_report(w, EINVAL, NULL, 0,
                             "needs a provider port: the pair elects its active node there");
    }
    if (config_is_my_pa(cfg, &ld->provider->address.addr)) {
        return config_report(w, EINVAL, NULL, 0,
                             "the address %s of provider port \"%s\" is one of provider_addresses: "
                             "in a pair the port's address is the node's own (distinct on each "
                             "node) and provider_addresses are the pair's virtual PAs",
                             hnvgw_ip_format(&ld->provider->address.addr, b), ld->provider->name);
    }
    return 0;
}

int
config_load_cluster(struct loader *ld)
{
    struct config_cluster *c = &ld->cfg->cluster;
    cfg_t *node = cfg_getnsec(ld->root, "node", 0);
    unsigned n = cfg_size(node, "cluster");
    cfg_t *sec = n ? cfg_getnsec(node, "cluster", 0) : NULL;
    char b[HNVGW_IP_STRLEN];
    struct where w;
    int ret;

    memset(c, 0, sizeof *c);
    if (!sec) {
        return 0;
    }
    if (n > 1) {
        config_where_sec(&w, ld, cfg_getnsec(node, "cluster", 1), "node cluster");
        return config_report(&w, EINVAL, NULL, 0, "defined twice (first at line %d)",
                             config_section_line(sec));
    }
    config_where_sec(&w, ld, sec, "node cluster");
    c->line = w.line;
    if ((ret = check_provider(ld, &w)) != 0 || (ret = load_numbers(&w, c)) != 0 ||
        (ret = get_address(&w, "sync_address", &c->sync_address)) != 0 ||
        (ret = check_not_dataplane(ld, &w, "sync_address", &c->sync_address)) != 0 ||
        (ret = get_address(&w, "peer", &c->peer)) != 0 ||
        (ret = check_not_dataplane(ld, &w, "peer", &c->peer)) != 0) {
        return ret;
    }
    if (hnvgw_ip_equal(&c->peer, &c->sync_address)) {
        return config_report(&w, EINVAL, "peer", 0, "%s is this node's own sync_address",
                             hnvgw_ip_format(&c->peer, b));
    }
    if ((ret = load_secret(ld, &w, c)) != 0) {
        return ret;
    }
    c->enabled = true;
    return 0;
}
