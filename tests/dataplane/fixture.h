/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the data-plane unit tests: addresses from text and ports filled in directly,
 * for a data plane without devices. Include after cmocka.h and dataplane/dp_internal.h. */
#ifndef HNVGW_TESTS_FIXTURE_H
#define HNVGW_TESTS_FIXTURE_H

#include "tests/lib/dp_fixture.h"

/* The IPv4 address 's' in network order; fails the test when 's' is not one. */
static inline uint32_t
ip4(const char *s)
{
    return test_ip4(s);
}

/* Makes DPDK port 'id' of 'dp' a port of 'kind' with 'mac' and address 'ip'/'plen' (NULL: none),
 * MTU 1500, as dp_port_add() and dp_start() would leave it. */
static inline void
fixture_add_port(struct dp *dp, uint16_t id, enum dp_port_kind kind, const uint8_t *mac,
                 const char *ip, uint8_t plen)
{
    struct dp_port *p = &dp->ports[id];

    memset(p, 0, sizeof *p);
    p->conf.kind = kind;
    memcpy(p->conf.mac, mac, 6);
    memcpy(p->mac.addr_bytes, mac, 6);
    p->conf.ip = ip ? ip4(ip) : 0;
    p->conf.plen = plen;
    p->conf.mtu = 1500;
    p->mask = plen ? htonl(~0u << (32 - plen)) : 0;
    p->port_id = id;
    p->used = true;
}

#endif
