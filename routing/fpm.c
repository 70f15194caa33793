/* SPDX-License-Identifier: Apache-2.0 */
/* FPM stream decoding with libmnl (see fpm.h). */
#include "routing/fpm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>

#define FPM_VERSION      1
#define FPM_TYPE_NETLINK 1
#define RT_TABLE_MAIN_ID 254

#define FPM_NAME(name, help) #name,
#define FPM_HELP(name, help) help,
const char *const fpm_error_names[FPM_N_ERRORS] = {FPM_ERROR_LIST(FPM_NAME)};
const char *const fpm_error_help[FPM_N_ERRORS] = {FPM_ERROR_LIST(FPM_HELP)};
#undef FPM_NAME
#undef FPM_HELP

void
fpm_decoder_init(struct fpm_decoder *d)
{
    memset(&d->stats, 0, sizeof d->stats);
    d->len = 0;
}

void
fpm_decoder_destroy(struct fpm_decoder *d)
{
    if (!d) {
        return;
    }
    free(d->buf);
    free(d->ops);
    d->buf = NULL;
    d->ops = NULL;
    d->len = d->cap = d->ops_cap = 0;
}

/* The attributes of one route message (or of one multipath entry), indexed by RTA_*. */
struct attrs {
    const struct nlattr *tb[RTA_MAX + 1]; /* NULL when absent. */
};

static int
attr_cb(const struct nlattr *a, void *data)
{
    struct attrs *at = data;
    int type = mnl_attr_get_type(a);

    if (mnl_attr_type_valid(a, RTA_MAX) < 0) {
        return MNL_CB_OK; /* Newer than our headers: of no interest. */
    }
    switch (type) {
    case RTA_TABLE:
    case RTA_PRIORITY:
    case RTA_OIF:
        if (mnl_attr_validate(a, MNL_TYPE_U32) < 0) {
            return MNL_CB_ERROR;
        }
        break;
    default:
        break;
    }
    at->tb[type] = a;
    return MNL_CB_OK;
}

/* Reads an address attribute of family 'af' into 'ip'; false when its size is wrong. */
static bool
attr_ip(const struct nlattr *a, int af, struct hnvgw_ip *ip)
{
    uint16_t len = mnl_attr_get_payload_len(a);

    memset(ip, 0, sizeof *ip);
    if (af == AF_INET && len == 4) {
        ip->family = HNVGW_AF_INET;
        memcpy(&ip->v4, mnl_attr_get_payload(a), 4);
        return true;
    }
    if (af == AF_INET6 && len == 16) {
        ip->family = HNVGW_AF_INET6;
        memcpy(ip->v6, mnl_attr_get_payload(a), 16);
        return true;
    }
    return false;
}

/* Reads a next hop's gateway from RTA_GATEWAY (of the route's family) or RTA_VIA (any family,
 * RFC 5549). False when either is malformed. */
static bool
nexthop_gateway(const struct attrs *at, int af, struct fpm_nexthop *nh)
{
    if (at->tb[RTA_GATEWAY]) {
        return attr_ip(at->tb[RTA_GATEWAY], af, &nh->gateway);
    }
    if (at->tb[RTA_VIA]) {
        const struct rtvia *via = mnl_attr_get_payload(at->tb[RTA_VIA]);
        uint16_t len = mnl_attr_get_payload_len(at->tb[RTA_VIA]);
        size_t want = len >= sizeof *via && via->rtvia_family == AF_INET    ? 4
                      : len >= sizeof *via && via->rtvia_family == AF_INET6 ? 16
                                                                            : 0;

        if (!want || len != sizeof *via + want) {
            return false;
        }
        nh->gateway.family = want == 4 ? HNVGW_AF_INET : HNVGW_AF_INET6;
        memcpy(want == 4 ? (void *)&nh->gateway.v4 : (void *)nh->gateway.v6, via->rtvia_addr, want);
    }
    return true;
}

/* Reads RTA_MULTIPATH into r->nh. Returns 0 or the refusal reason. */
static int
multipath(const struct nlattr *mp, int af, struct fpm_route *r)
{
    const uint8_t *p = mnl_attr_get_payload(mp);
    size_t left = mnl_attr_get_payload_len(mp);

    while (left > 0) {
        const struct rtnexthop *rtnh = (const struct rtnexthop *)p;
        struct attrs at;
        struct fpm_nexthop *nh;

        if (left < sizeof *rtnh || rtnh->rtnh_len < sizeof *rtnh || rtnh->rtnh_len > left) {
            return FPM_ERR_bad_nexthop;
        }
        if (r->n_nexthops == FPM_MAX_NEXTHOPS) {
            return FPM_ERR_too_many_nexthops;
        }
        memset(&at, 0, sizeof at);
        if (rtnh->rtnh_len > sizeof *rtnh &&
            mnl_attr_parse_payload(p + RTNH_ALIGN(sizeof *rtnh),
                                   rtnh->rtnh_len - RTNH_ALIGN(sizeof *rtnh), attr_cb,
                                   &at) != MNL_CB_OK) {
            return FPM_ERR_bad_nexthop;
        }
        nh = &r->nh[r->n_nexthops++];
        memset(nh, 0, sizeof *nh);
        nh->ifindex = (uint32_t)rtnh->rtnh_ifindex;
        nh->weight = (uint16_t)(rtnh->rtnh_hops + 1);
        if (!nexthop_gateway(&at, af, nh) || (!nh->ifindex && !nh->gateway.family)) {
            return FPM_ERR_bad_nexthop;
        }
        if ((size_t)RTNH_ALIGN(rtnh->rtnh_len) >= left) {
            break;
        }
        left -= RTNH_ALIGN(rtnh->rtnh_len);
        p += RTNH_ALIGN(rtnh->rtnh_len);
    }
    return r->n_nexthops ? -1 : FPM_ERR_bad_nexthop;
}

/* What one route message is. */
enum msg_verdict { MSG_ROUTE, MSG_IGNORED, MSG_BAD };

/* Decodes one RTM_NEWROUTE/RTM_DELROUTE into 'r'. On MSG_BAD, '*why' is the reason. */
static enum msg_verdict
route_msg(const struct nlmsghdr *nlh, bool all_tables, struct fpm_route *r, enum fpm_error *why)
{
    const struct rtmsg *rtm;
    struct attrs at;
    int af, ret;
    unsigned max_plen;

    if (mnl_nlmsg_get_payload_len(nlh) < sizeof *rtm) {
        *why = FPM_ERR_bad_route;
        return MSG_BAD;
    }
    rtm = mnl_nlmsg_get_payload(nlh);
    memset(&at, 0, sizeof at);
    if (mnl_attr_parse(nlh, sizeof *rtm, attr_cb, &at) != MNL_CB_OK) {
        *why = FPM_ERR_bad_route;
        return MSG_BAD;
    }
    af = rtm->rtm_family;
    if (af != AF_INET && af != AF_INET6) {
        return MSG_IGNORED; /* MPLS and the like. */
    }
    memset(r, 0, offsetof(struct fpm_route, nh));
    r->add = nlh->nlmsg_type == RTM_NEWROUTE;
    r->protocol = rtm->rtm_protocol;
    r->table = at.tb[RTA_TABLE] ? mnl_attr_get_u32(at.tb[RTA_TABLE]) : rtm->rtm_table;
    /* Only the compartment's main table is forwarded on (a shared zebra's tables are the
     * caller's to map). zebra's deletes may leave the table and the type unset (measured with
     * FRR 8.4): a delete names a prefix, nothing more. */
    if (!all_tables && r->table != RT_TABLE_MAIN_ID && (r->add || r->table != RT_TABLE_UNSPEC)) {
        return MSG_IGNORED;
    }
    if (!r->add && (rtm->rtm_type == RTN_UNSPEC || rtm->rtm_type == RTN_UNICAST)) {
        r->kind = FPM_ROUTE_UNICAST;
    } else
        switch (rtm->rtm_type) {
        case RTN_UNICAST:
            r->kind = FPM_ROUTE_UNICAST;
            break;
        case RTN_BLACKHOLE:
            r->kind = FPM_ROUTE_BLACKHOLE;
            break;
        case RTN_UNREACHABLE:
        case RTN_PROHIBIT:
            r->kind = FPM_ROUTE_UNREACHABLE;
            break;
        default:
            return MSG_IGNORED; /* Local, broadcast, multicast: the compartment's own business. */
        }
    max_plen = af == AF_INET ? 32 : 128;
    if (rtm->rtm_dst_len > max_plen || (!at.tb[RTA_DST] && rtm->rtm_dst_len) ||
        (at.tb[RTA_DST] && !attr_ip(at.tb[RTA_DST], af, &r->prefix.addr))) {
        *why = FPM_ERR_bad_prefix;
        return MSG_BAD;
    }
    if (!at.tb[RTA_DST]) {
        r->prefix.addr.family = af == AF_INET ? HNVGW_AF_INET : HNVGW_AF_INET6;
    }
    r->prefix.plen = rtm->rtm_dst_len;
    /* Clear host bits: the FIB keys on the network address. */
    for (unsigned bit = r->prefix.plen; bit < max_plen; bit++) {
        uint8_t *b = af == AF_INET ? (uint8_t *)&r->prefix.addr.v4 : r->prefix.addr.v6;
        b[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
    }
    r->metric = at.tb[RTA_PRIORITY] ? mnl_attr_get_u32(at.tb[RTA_PRIORITY]) : 0;
    if (r->kind != FPM_ROUTE_UNICAST) {
        return MSG_ROUTE;
    }
    if (at.tb[RTA_MULTIPATH]) {
        ret = multipath(at.tb[RTA_MULTIPATH], af, r);
        if (ret >= 0) {
            *why = (enum fpm_error)ret;
            return MSG_BAD;
        }
    } else if (at.tb[RTA_GATEWAY] || at.tb[RTA_VIA] || at.tb[RTA_OIF]) {
        struct fpm_nexthop *nh = &r->nh[0];
        memset(nh, 0, sizeof *nh);
        nh->weight = 1;
        nh->ifindex = at.tb[RTA_OIF] ? mnl_attr_get_u32(at.tb[RTA_OIF]) : 0;
        if (!nexthop_gateway(&at, af, nh)) {
            *why = FPM_ERR_bad_nexthop;
            return MSG_BAD;
        }
        r->n_nexthops = 1;
    } else if (r->add) {
        *why = FPM_ERR_bad_nexthop; /* A unicast route to nowhere. */
        return MSG_BAD;
    }
    return MSG_ROUTE;
}

int
fpm_decode_frame(struct fpm_decoder *d, const uint8_t *payload, size_t len)
{
    const struct nlmsghdr *nlh = (const struct nlmsghdr *)payload;
    int left = (int)len;
    size_t n = 0;

    while (left > 0) {
        enum fpm_error why = FPM_ERR_bad_netlink;

        /* mnl_nlmsg_ok() compares the length as a signed int: a length of 2^31 or more would
         * pass it and send mnl_nlmsg_next() far past the frame. */
        if (!mnl_nlmsg_ok(nlh, left) || nlh->nlmsg_len > (uint32_t)left) {
            d->stats.error[FPM_ERR_bad_netlink]++;
            return -1;
        }
        if (nlh->nlmsg_type == RTM_NEWROUTE || nlh->nlmsg_type == RTM_DELROUTE) {
            if (n == d->ops_cap) {
                size_t cap = d->ops_cap ? d->ops_cap * 2 : 4;
                struct fpm_route *ops = realloc(d->ops, cap * sizeof *ops);
                if (!ops) {
                    d->stats.error[FPM_ERR_no_memory]++;
                    return -1;
                }
                d->ops = ops;
                d->ops_cap = cap;
            }
            switch (route_msg(nlh, d->all_tables, &d->ops[n], &why)) {
            case MSG_ROUTE:
                n++;
                break;
            case MSG_IGNORED:
                d->stats.ignored++;
                break;
            case MSG_BAD:
                d->stats.error[why]++;
                return -1;
            }
        } else {
            d->stats.ignored++; /* Neighbors, next-hop objects, no-ops. */
        }
        nlh = mnl_nlmsg_next(nlh, &left);
    }
    return (int)n;
}

/* Decodes the complete frame at 'f' (header included) and hands its operations to 'fn'. */
static void
frame(struct fpm_decoder *d, const uint8_t *f, size_t len, fpm_frame_fn *fn, void *aux)
{
    int n = fpm_decode_frame(d, f + FPM_HEADER_LEN, len - FPM_HEADER_LEN);

    d->stats.frames++;
    if (n < 0) {
        d->stats.frames_refused++;
        return;
    }
    for (int i = 0; i < n; i++) {
        d->ops[i].add ? d->stats.routes_added++ : d->stats.routes_deleted++;
    }
    fn(d->ops, (size_t)n, aux);
}

/* The length of the frame whose header is at 'h', or 0 when the header cannot be trusted. */
static size_t
header_len(const uint8_t *h)
{
    size_t len = (size_t)h[2] << 8 | h[3];
    return h[0] == FPM_VERSION && h[1] == FPM_TYPE_NETLINK && len >= FPM_HEADER_LEN ? len : 0;
}

int
fpm_decoder_feed(struct fpm_decoder *d, const void *data, size_t len, fpm_frame_fn *fn, void *aux)
{
    const uint8_t *p = data;

    while (len > 0) {
        size_t need, take;

        /* Whole frames straight from the input when nothing is buffered. */
        if (d->len == 0 && len >= FPM_HEADER_LEN) {
            size_t flen = header_len(p);
            if (!flen) {
                d->stats.error[FPM_ERR_bad_header]++;
                return EPROTO;
            }
            /* Netlink headers want 4-byte alignment: a frame that starts elsewhere in the input
             * (after a frame of odd length) goes through the buffer. */
            if (flen <= len && ((uintptr_t)p & 3) == 0) {
                frame(d, p, flen, fn, aux);
                p += flen;
                len -= flen;
                continue;
            }
        }
        /* Otherwise buffer: first the header, then the rest of the frame. */
        need = d->len < FPM_HEADER_LEN ? FPM_HEADER_LEN : header_len(d->buf);
        if (need > d->cap) {
            uint8_t *buf = realloc(d->buf, need < 4096 ? 4096 : FPM_FRAME_MAX);
            if (!buf) {
                d->stats.error[FPM_ERR_no_memory]++;
                return ENOMEM;
            }
            d->buf = buf;
            d->cap = need < 4096 ? 4096 : FPM_FRAME_MAX;
        }
        take = need - d->len < len ? need - d->len : len;
        memcpy(d->buf + d->len, p, take);
        d->len += take;
        p += take;
        len -= take;
        if (d->len == FPM_HEADER_LEN && !header_len(d->buf)) {
            d->stats.error[FPM_ERR_bad_header]++;
            return EPROTO;
        }
        if (d->len >= FPM_HEADER_LEN && d->len == header_len(d->buf)) {
            frame(d, d->buf, d->len, fn, aux);
            d->len = 0;
        }
    }
    return 0;
}
