/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration values: parsers and section key readers shared by the sections, the bulk files and
 * the run-time checks. Each reports against a 'struct where' and returns 0 or an errno. */
#include "gateway/config/config_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>

/* Network-order mask of a prefix length 0..32. */
static uint32_t
mask4(unsigned plen)
{
    return plen ? htonl(~0u << (32 - plen)) : 0;
}

bool
config_is_net_or_bcast(const struct hnvgw_prefix *p, const struct hnvgw_ip *ip)
{
    uint32_t host = ip->v4 & ~mask4(p->plen);

    return p->plen <= 30 && (host == 0 || host == ~mask4(p->plen));
}

bool
config_is_unicast4(const struct hnvgw_ip *ip)
{
    uint32_t a = ntohl(ip->v4) >> 24;

    return ip->family == HNVGW_AF_INET && a != 0 && a != 127 && a < 224;
}

static bool
is_unicast_mac(const struct hnvgw_mac *m)
{
    return !hnvgw_mac_is_zero(m) && !(m->b[0] & 1);
}

int
config_need_ip4(const struct where *w, const char *field, unsigned idx, const struct hnvgw_ip *ip)
{
    char b[HNVGW_IP_STRLEN];

    if (ip->family == HNVGW_AF_INET6) {
        return config_report(w, EINVAL, field, idx, "IPv6 is not supported yet (%s)",
                             hnvgw_ip_format(ip, b));
    }
    if (ip->family != HNVGW_AF_INET) {
        return config_report(w, EINVAL, field, idx, "is required");
    }
    return 0;
}

int
config_parse_ip4(const struct where *w, const char *field, unsigned idx, const char *s,
                 struct hnvgw_ip *ip)
{
    if (!hnvgw_ip_parse(s, ip)) {
        return config_report(w, EINVAL, field, idx, "'%s' is not an IPv4 address", s);
    }
    return config_need_ip4(w, field, idx, ip);
}

int
config_parse_prefix4(const struct where *w, const char *field, unsigned idx, const char *s,
                     bool canonical, struct hnvgw_prefix *p)
{
    struct hnvgw_prefix tmp;
    char b[HNVGW_PFX_STRLEN];

    if (!hnvgw_prefix_parse(s, &tmp)) {
        return config_report(w, EINVAL, field, idx, "'%s' is not a prefix (ADDRESS/LENGTH)", s);
    }
    if (tmp.addr.family != HNVGW_AF_INET) {
        return config_report(w, EINVAL, field, idx, "IPv6 is not supported yet (%s)", s);
    }
    memset(p, 0, sizeof *p);
    p->addr = tmp.addr;
    p->plen = tmp.plen;
    if (canonical && !hnvgw_prefix_is_canonical(p)) {
        struct hnvgw_prefix fixed = *p;
        fixed.addr.v4 &= mask4(p->plen);
        return config_report(w, EINVAL, field, idx, "'%s' has host bits set (did you mean %s?)", s,
                             hnvgw_prefix_format(&fixed, b));
    }
    return 0;
}

int
config_check_mac(const struct where *w, const char *field, unsigned idx, const struct hnvgw_mac *m)
{
    char b[HNVGW_MAC_STRLEN];

    if (hnvgw_mac_is_zero(m)) {
        return config_report(w, EINVAL, field, idx, "the all-zero MAC is not allowed");
    }
    if (!is_unicast_mac(m)) {
        return config_report(w, EINVAL, field, idx, "%s is a multicast or broadcast MAC",
                             hnvgw_mac_format(m, b));
    }
    return 0;
}

int
config_parse_mac(const struct where *w, const char *field, unsigned idx, const char *s,
                 struct hnvgw_mac *m)
{
    if (!hnvgw_mac_parse(s, m)) {
        return config_report(w, EINVAL, field, idx, "'%s' is not a MAC address (aa:bb:cc:dd:ee:ff)",
                             s);
    }
    return config_check_mac(w, field, idx, m);
}

int
config_parse_enum(const struct where *w, const char *field, unsigned idx, const char *s,
                  const char *const *names, size_t n, unsigned *out)
{
    char list[128] = "";

    for (size_t i = 0; i < n; i++) {
        if (!strcasecmp(s, names[i])) {
            *out = (unsigned)i;
            return 0;
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s", i ? (i + 1 == n ? " or " : ", ") : "",
                 names[i]);
    }
    return config_report(w, EINVAL, field, idx, "'%s' is not %s", s, list);
}

bool
config_name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= CONFIG_NAME_MAX) {
        return false;
    }
    for (; *s; s++) {
        if (!isalnum((unsigned char)*s) && !strchr("-_.:", *s)) {
            return false;
        }
    }
    return true;
}

int
config_check_name(const struct where *w, cfg_t *sec)
{
    if (!config_name_ok(cfg_title(sec))) {
        return config_report(w, EINVAL, NULL, 0,
                             "a name is 1..%d letters, digits, '-', '_', '.' or ':' characters",
                             CONFIG_NAME_MAX - 1);
    }
    return 0;
}

int
config_get_str(const struct where *w, const char *key, bool required, const char **out)
{
    *out = cfg_size(w->sec, key) ? cfg_getstr(w->sec, key) : NULL;
    if (!*out && required) {
        return config_report(w, EINVAL, key, 0, "is required");
    }
    return 0;
}

int
config_get_int(const struct where *w, const char *key, long lo, long hi, long *out)
{
    long v = 0;

    if (!cfg_size(w->sec, key)) {
        return config_report(w, EINVAL, key, 0, "is required");
    }
    v = cfg_getint(w->sec, key);
    if (v < lo || v > hi) {
        return config_report(w, EINVAL, key, 0, "%ld is out of range %ld..%ld", v, lo, hi);
    }
    *out = v;
    return 0;
}

int
config_get_u32(const struct where *w, const char *key, long lo, long hi, uint32_t *out)
{
    long v = 0;
    int ret = config_get_int(w, key, lo, hi, &v);

    *out = (uint32_t)v;
    return ret;
}

int
config_forbid(const struct where *w, const char *key, const char *why)
{
    if (cfg_size(w->sec, key)) {
        return config_report(w, EINVAL, key, 0, "not allowed %s", why);
    }
    return 0;
}

bool
config_list_given(cfg_t *sec, const char *key)
{
    cfg_opt_t *opt = config_find_opt(sec, key);

    return opt && (opt->flags & CFGF_MODIFIED);
}

int
config_get_prefix_list(const struct where *w, const char *key, size_t max,
                       struct hnvgw_prefix **out, size_t *n)
{
    unsigned cnt = cfg_size(w->sec, key);
    char b[HNVGW_PFX_STRLEN];
    int ret;

    *out = NULL;
    *n = 0;
    if (cnt == 0) {
        return config_report(w, EINVAL, key, 0, "must list at least one prefix");
    }
    if (cnt > max) {
        return config_report(w, EINVAL, key, (unsigned)max, "more than %zu prefixes", max);
    }
    *out = calloc(cnt, sizeof **out);
    if (!*out) {
        return config_report(w, ENOMEM, key, 0, "out of memory");
    }
    for (unsigned i = 0; i < cnt; i++) {
        struct hnvgw_prefix *p = &(*out)[i];

        if ((ret = config_parse_prefix4(w, key, i, cfg_getnstr(w->sec, key, i), true, p)) != 0) {
            return ret;
        }
        for (unsigned k = 0; k < i; k++) {
            if (!memcmp(&(*out)[k], p, sizeof *p)) {
                return config_report(w, EINVAL, key, i, "%s is listed twice",
                                     hnvgw_prefix_format(p, b));
            }
        }
        ++*n;
    }
    return 0;
}
