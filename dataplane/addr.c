/* SPDX-License-Identifier: Apache-2.0 */
/* Address parsing and formatting: thin wrappers over inet_pton/inet_ntop. */
#include "addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>

bool
hnvgw_ip_parse(const char *s, struct hnvgw_ip *ip)
{
    struct hnvgw_ip r;

    memset(&r, 0, sizeof r);
    if (inet_pton(AF_INET, s, &r.v4) == 1) {
        r.family = HNVGW_AF_INET;
    } else if (inet_pton(AF_INET6, s, r.v6) == 1) {
        r.family = HNVGW_AF_INET6;
    } else {
        return false;
    }
    *ip = r;
    return true;
}

bool
hnvgw_prefix_parse(const char *s, struct hnvgw_prefix *pfx)
{
    char buf[HNVGW_PFX_STRLEN + 1];
    const char *slash = strchr(s, '/');
    struct hnvgw_prefix r;
    char *end;
    long plen;

    memset(&r, 0, sizeof r); /* Padding too: prefixes are compared as bytes. */
    if (!slash || (size_t)(slash - s) >= sizeof buf || slash[1] == '\0') {
        return false;
    }
    memcpy(buf, s, slash - s);
    buf[slash - s] = '\0';
    if (!hnvgw_ip_parse(buf, &r.addr)) {
        return false;
    }
    plen = strtol(slash + 1, &end, 10);
    if (*end != '\0' || plen < 0 || plen > (r.addr.family == HNVGW_AF_INET ? 32 : 128)) {
        return false;
    }
    r.plen = (uint8_t)plen;
    *pfx = r;
    return true;
}

bool
hnvgw_mac_parse(const char *s, struct hnvgw_mac *mac)
{
    unsigned o[6];
    char tail;

    if (strlen(s) != 17 || sscanf(s, "%2x%*1[:-]%2x%*1[:-]%2x%*1[:-]%2x%*1[:-]%2x%*1[:-]%2x%c",
                                  &o[0], &o[1], &o[2], &o[3], &o[4], &o[5], &tail) != 6) {
        return false;
    }
    for (int i = 0; i < 6; i++) {
        mac->b[i] = (uint8_t)o[i];
    }
    return true;
}

const char *
hnvgw_ip_format(const struct hnvgw_ip *ip, char buf[HNVGW_IP_STRLEN])
{
    if (ip->family == HNVGW_AF_INET) {
        inet_ntop(AF_INET, &ip->v4, buf, HNVGW_IP_STRLEN);
    } else if (ip->family == HNVGW_AF_INET6) {
        inet_ntop(AF_INET6, ip->v6, buf, HNVGW_IP_STRLEN);
    } else {
        snprintf(buf, HNVGW_IP_STRLEN, "-");
    }
    return buf;
}

const char *
hnvgw_prefix_format(const struct hnvgw_prefix *pfx, char buf[HNVGW_PFX_STRLEN])
{
    char ip[HNVGW_IP_STRLEN];

    snprintf(buf, HNVGW_PFX_STRLEN, "%s/%u", hnvgw_ip_format(&pfx->addr, ip), pfx->plen);
    return buf;
}

const char *
hnvgw_mac_format(const struct hnvgw_mac *m, char buf[HNVGW_MAC_STRLEN])
{
    snprintf(buf, HNVGW_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", m->b[0], m->b[1], m->b[2],
             m->b[3], m->b[4], m->b[5]);
    return buf;
}

/* Compares the first 'plen' bits of two 16-byte-or-less buffers. */
static bool
prefix_bits_equal(const uint8_t *a, const uint8_t *b, unsigned plen)
{
    unsigned full = plen / 8, rem = plen % 8;

    if (memcmp(a, b, full) != 0) {
        return false;
    }
    if (rem) {
        uint8_t mask = (uint8_t)(0xFF << (8 - rem));
        return (a[full] & mask) == (b[full] & mask);
    }
    return true;
}

static const uint8_t *
ip_bytes(const struct hnvgw_ip *ip)
{
    return ip->family == HNVGW_AF_INET ? (const uint8_t *)&ip->v4 : ip->v6;
}

bool
hnvgw_prefix_is_canonical(const struct hnvgw_prefix *pfx)
{
    unsigned bits = pfx->addr.family == HNVGW_AF_INET ? 32 : 128;
    uint8_t masked[16];
    const uint8_t *b = ip_bytes(&pfx->addr);

    memcpy(masked, b, bits / 8);
    for (unsigned i = pfx->plen; i < bits; i++) {
        masked[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
    }
    return memcmp(masked, b, bits / 8) == 0;
}

bool
hnvgw_prefix_contains(const struct hnvgw_prefix *pfx, const struct hnvgw_ip *ip)
{
    return pfx->addr.family == ip->family &&
           prefix_bits_equal(ip_bytes(&pfx->addr), ip_bytes(ip), pfx->plen);
}

bool
hnvgw_prefix_overlaps(const struct hnvgw_prefix *a, const struct hnvgw_prefix *b)
{
    unsigned plen = a->plen < b->plen ? a->plen : b->plen;

    return a->addr.family == b->addr.family &&
           prefix_bits_equal(ip_bytes(&a->addr), ip_bytes(&b->addr), plen);
}

const char *
hnvgw_ip4_format(uint32_t be, char buf[HNVGW_IP_STRLEN])
{
    struct hnvgw_ip ip = hnvgw_ip4(be);
    return hnvgw_ip_format(&ip, buf);
}

void
hnvgw_ip_sockaddr(const struct hnvgw_ip *ip, uint16_t port, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    if (ip->family == HNVGW_AF_INET6) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons(port);
        memcpy(&s6->sin6_addr, ip->v6, sizeof s6->sin6_addr);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        s4->sin_family = AF_INET;
        s4->sin_port = htons(port);
        s4->sin_addr.s_addr = ip->v4;
    }
}
