/* SPDX-License-Identifier: Apache-2.0 */
/* NAT44 mapping-log lines (see natlog.h). */
#include "gateway/nat/nat_log.h"

#include <stdio.h>
#include <time.h>

#include <netinet/in.h>

#include "dataplane/addr.h"

const char *
natlog_proto_name(uint8_t proto)
{
    switch (proto) {
    case IPPROTO_TCP:
        return "tcp";
    case IPPROTO_UDP:
        return "udp";
    case IPPROTO_ICMP:
        return "icmp";
    default:
        return NULL;
    }
}

const char *
natlog_format_time(uint64_t unix_ns, char buf[NATLOG_TIME_STRLEN])
{
    time_t secs = (time_t)(unix_ns / 1000000000u);
    unsigned ms = (unsigned)(unix_ns % 1000000000u / 1000000u);
    struct tm tm;
    char date[24];

    if (!gmtime_r(&secs, &tm) || !strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm)) {
        snprintf(buf, NATLOG_TIME_STRLEN, "?");
    } else {
        snprintf(buf, NATLOG_TIME_STRLEN, "%s.%03uZ", date, ms);
    }
    return buf;
}

/* Writes "IP" for the network-order IPv4 'be' into 'buf'. */
static const char *
ip_str(uint32_t be, char buf[HNVGW_IP_STRLEN])
{
    struct hnvgw_ip ip = hnvgw_ip4(be);
    return hnvgw_ip_format(&ip, buf);
}

size_t
natlog_format(const struct dp_nat_log *rec, const char *tenant_name, char *buf, size_t len)
{
    char tbuf[NATLOG_TIME_STRLEN], in[HNVGW_IP_STRLEN], pub[HNVGW_IP_STRLEN], pbuf[4];
    const char *time = natlog_format_time(rec->unix_ns, tbuf);
    const char *name = tenant_name ? tenant_name : "?";
    const char *proto = natlog_proto_name(rec->proto);
    int n;

    if (!proto) {
        snprintf(pbuf, sizeof pbuf, "%u", rec->proto);
        proto = pbuf;
    }
    ip_str(rec->in_ip, in);
    ip_str(rec->pub_ip, pub);
    switch (rec->event) {
    case DP_NAT_EV_MAPPING_ADD:
    case DP_NAT_EV_MAPPING_DEL:
        n = snprintf(buf, len,
                     "nat mapping %s tenant=%s(%u) proto=%s inside=%s:%u public=%s:%u time=%s",
                     rec->event == DP_NAT_EV_MAPPING_ADD ? "add" : "del", name, rec->tenant, proto,
                     in, rec->in_port, pub, rec->pub_port, time);
        break;
    case DP_NAT_EV_BLOCK_ALLOC:
    case DP_NAT_EV_BLOCK_FREE:
        n = snprintf(buf, len, "nat block %s tenant=%s(%u) public=%s:%u-%u time=%s",
                     rec->event == DP_NAT_EV_BLOCK_ALLOC ? "alloc" : "free", name, rec->tenant, pub,
                     rec->pub_port, rec->pub_port_last, time);
        break;
    default:
        n = snprintf(buf, len, "nat event %u tenant=%s(%u) time=%s", rec->event, name, rec->tenant,
                     time);
        break;
    }
    return n > 0 ? (size_t)n : 0;
}
