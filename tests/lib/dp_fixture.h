/* SPDX-License-Identifier: Apache-2.0 */
/* A device-less data plane for the unit tests above the data plane (routing, gateway, vpn):
 * started without hugepages on two lcores, sized by the test. Include after cmocka.h. */
#ifndef HNVGW_TESTS_LIB_DP_FIXTURE_H
#define HNVGW_TESTS_LIB_DP_FIXTURE_H

#include <arpa/inet.h>

#include "dataplane/dp.h"

/* The IPv4 address 's' in network order; fails the test when 's' is not one. */
static inline uint32_t
test_ip4(const char *s)
{
    uint32_t a;
    assert_int_equal(inet_pton(AF_INET, s, &a), 1);
    return a;
}

/* Starts the process's data plane with 'p' (fields left 0 get small defaults: one worker,
 * 1024 records and routes, 64 subnets and neighbors, 2048 mbufs, the gateway role, PA
 * 10.0.0.1). Fails the test when it cannot. */
static inline struct dp *
test_dp_start(struct dp_params p)
{
    static char *argv[] = {"test", "--no-huge", "-m",
                           "256",  "--no-pci",  "--no-shconf",
                           "-l",   "0-1",       "--log-level=lib.eal:error"};
    char err[DP_ERR_MAX];
    struct dp *dp = NULL;

    p.n_workers = p.n_workers ? p.n_workers : 1;
    p.max_lookups = p.max_lookups ? p.max_lookups : 1024;
    p.max_subnets = p.max_subnets ? p.max_subnets : 64;
    p.max_routes = p.max_routes ? p.max_routes : 1024;
    p.max_neighbors = p.max_neighbors ? p.max_neighbors : 64;
    p.n_mbufs = p.n_mbufs ? p.n_mbufs : 2048;
    p.icmp_rate = p.icmp_rate ? p.icmp_rate : 100;
    p.arp_timeout_s = p.arp_timeout_s ? p.arp_timeout_s : 300;
    p.gateway_role = true;
    if (!p.n_pas) {
        p.pas[p.n_pas++] = test_ip4("10.0.0.1");
    }
    if (dp_create(9, argv, &p, &dp, err)) {
        fail_msg("dp_create: %s", err);
    }
    return dp;
}

#endif
