/* SPDX-License-Identifier: Apache-2.0 */
/* Address types shared by the config, the control plane and the data plane tables.
 *
 * IPv4 is what forwards today; every key already carries a family and 16 bytes so that IPv6 CAs can
 * be added without changing table layouts. All multi-byte values are kept in network byte order. */
#ifndef HNVGW_ADDR_H
#define HNVGW_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define HNVGW_AF_INET  4
#define HNVGW_AF_INET6 6

/* An IPv4 or IPv6 address. */
struct hnvgw_ip {
    uint8_t family; /* HNVGW_AF_INET or HNVGW_AF_INET6; 0 means unset. */
    uint8_t pad[3]; /* Zero, so that the struct can be hashed and compared as bytes. */
    union {
        uint32_t v4;    /* IPv4 address, network order. */
        uint8_t v6[16]; /* IPv6 address. */
    };
};

/* An address with a prefix length. */
struct hnvgw_prefix {
    struct hnvgw_ip addr; /* Address (host bits may be set for an interface address). */
    uint8_t plen;         /* Prefix length, 0..32 or 0..128. */
};

/* An Ethernet MAC address. */
struct hnvgw_mac {
    uint8_t b[6]; /* Octets in wire order. */
};

#define HNVGW_IP_STRLEN  46 /* Enough for any formatted address. */
#define HNVGW_PFX_STRLEN 50 /* Address plus "/128". */
#define HNVGW_MAC_STRLEN 18 /* "aa:bb:cc:dd:ee:ff". */

/* Parsers return true on success and leave the output untouched on failure. */
bool hnvgw_ip_parse(const char *s, struct hnvgw_ip *ip);
bool hnvgw_prefix_parse(const char *s, struct hnvgw_prefix *pfx);
bool hnvgw_mac_parse(const char *s, struct hnvgw_mac *mac);

/* Formatters write a NUL-terminated string into 'buf' and return it. */
const char *hnvgw_ip_format(const struct hnvgw_ip *ip, char buf[HNVGW_IP_STRLEN]);
const char *hnvgw_prefix_format(const struct hnvgw_prefix *pfx, char buf[HNVGW_PFX_STRLEN]);
const char *hnvgw_mac_format(const struct hnvgw_mac *mac, char buf[HNVGW_MAC_STRLEN]);

/* Formats the IPv4 address 'be' (network order) into 'buf' and returns it. */
const char *hnvgw_ip4_format(uint32_t be, char buf[HNVGW_IP_STRLEN]);

struct sockaddr_storage;

/* Fills 'ss' with 'ip' and 'port' (host order) as a sockaddr_in or sockaddr_in6, for bind() or
 * sendto(); the rest of 'ss' is zeroed. */
void hnvgw_ip_sockaddr(const struct hnvgw_ip *ip, uint16_t port, struct sockaddr_storage *ss);

/* Builds an IPv4 address from a network-order value. */
static inline struct hnvgw_ip
hnvgw_ip4(uint32_t be)
{
    struct hnvgw_ip ip;
    memset(&ip, 0, sizeof ip);
    ip.family = HNVGW_AF_INET;
    ip.v4 = be;
    return ip;
}

static inline bool
hnvgw_ip_is_zero(const struct hnvgw_ip *ip)
{
    static const uint8_t zero[16];
    return ip->family == HNVGW_AF_INET ? ip->v4 == 0 : memcmp(ip->v6, zero, 16) == 0;
}

static inline bool
hnvgw_ip_equal(const struct hnvgw_ip *a, const struct hnvgw_ip *b)
{
    return a->family == b->family &&
           (a->family == HNVGW_AF_INET ? a->v4 == b->v4 : memcmp(a->v6, b->v6, 16) == 0);
}

static inline bool
hnvgw_mac_is_zero(const struct hnvgw_mac *m)
{
    return !(m->b[0] | m->b[1] | m->b[2] | m->b[3] | m->b[4] | m->b[5]);
}

/* True when the host bits of 'pfx' beyond its length are all zero. */
bool hnvgw_prefix_is_canonical(const struct hnvgw_prefix *pfx);

/* True when 'ip' lies inside 'pfx' (same family). */
bool hnvgw_prefix_contains(const struct hnvgw_prefix *pfx, const struct hnvgw_ip *ip);

/* True when the two prefixes share any address (same family). */
bool hnvgw_prefix_overlaps(const struct hnvgw_prefix *a, const struct hnvgw_prefix *b);

#endif
