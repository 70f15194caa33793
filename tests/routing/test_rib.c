/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the RIB (routing/rib.c) on a device-less data plane: precedence between sources,
 * ECMP coming back whole, transactions, generation sweeps, a full FIB, next-hop resolution and
 * malformed routes. The FIB is read back through the data plane's own lookups. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dataplane/dp.h"
#include "tests/lib/dp_fixture.h"
#include "routing/rib.h"

#define FIB_SLOTS 64 /* The data plane's FIB capacity in these tests. */

static struct dp *dp;
static struct rib *rib;

static int
setup(void **state)
{
    (void)state;
    dp = test_dp_start((struct dp_params){.max_routes = FIB_SLOTS});
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    dp_destroy(dp);
    return 0;
}

/* A fresh RIB per test; the FIB entries a test leaves are removed with it. */
static int
rib_up(void **state)
{
    (void)state;
    rib = rib_create(dp, 1024);
    assert_non_null(rib);
    return 0;
}

/* The best routes of the RIB (rib_down()). */
struct routes {
    struct rib_route r[65536]; /* Them. */
    unsigned n;                /* Entries. */
};

static bool
collect(const struct rib_route *best, void *aux)
{
    struct routes *all = aux;
    if (all->n == 65536) {
        return false;
    }
    all->r[all->n++] = *best;
    return true;
}

static int
rib_down(void **state)
{
    static struct routes all;

    (void)state;
    all.n = 0;
    rib_iterate_best(rib, -1, collect, &all);
    for (unsigned i = 0; i < all.n; i++) {
        dp_route_del(dp, all.r[i].tenant, all.r[i].prefix, all.r[i].plen);
    }
    rib_destroy(rib);
    rib = NULL;
    return 0;
}

/* A route of 'source' with one next hop: a CA 'via' of VSID 5001. */
static struct rib_route
ca_route(uint16_t tenant, const char *prefix, uint8_t plen, enum rib_source source, uint32_t id,
         uint32_t metric, const char *via)
{
    struct rib_route r;

    memset(&r, 0, sizeof r);
    r.tenant = tenant;
    r.prefix = test_ip4(prefix);
    r.plen = plen;
    r.source = (uint8_t)source;
    r.id = id;
    r.metric = metric;
    r.n_nh = 1;
    r.nh[0] = (struct dp_nexthop){.type = DP_NH_CA, .vsid = 5001, .ip = test_ip4(via)};
    return r;
}

static struct dp_nexthop
fib(uint16_t tenant, const char *addr)
{
    return dp_route_lookup(dp, tenant, test_ip4(addr));
}

/* Lower distance wins whatever the metric; the loser takes over, ECMP and all, when the winner
 * goes. */
static void
test_precedence_and_ecmp_back(void **state)
{
    struct rib_route learned = ca_route(1, "172.16.0.0", 16, RIB_SRC_LEARNED, 0, 0, "10.1.1.7");
    struct rib_route cust = ca_route(1, "172.16.0.0", 16, RIB_SRC_CUSTOMER, 9, 500, "10.1.1.9");
    struct rib_route best;

    (void)state;
    learned.n_nh = 2;
    learned.nh[1] = (struct dp_nexthop){.type = DP_NH_CA, .vsid = 5001, .ip = test_ip4("10.1.1.8")};
    assert_int_equal(rib_set(rib, &learned), 0);
    assert_int_equal(fib(1, "172.16.3.4").type, DP_NH_ECMP);

    assert_int_equal(rib_set(rib, &cust), 0);
    assert_int_equal(fib(1, "172.16.3.4").type, DP_NH_CA);
    assert_int_equal(fib(1, "172.16.3.4").ip, test_ip4("10.1.1.9"));
    assert_true(rib_best(rib, 1, test_ip4("172.16.0.0"), 16, &best));
    assert_int_equal(best.source, RIB_SRC_CUSTOMER);
    assert_int_equal(rib_distance(RIB_SRC_CUSTOMER), 1);
    assert_int_equal(rib_distance(RIB_SRC_LEARNED), 20);

    assert_int_equal(rib_del(rib, 1, test_ip4("172.16.0.0"), 16, RIB_SRC_CUSTOMER, 9), 0);
    assert_int_equal(fib(1, "172.16.3.4").type, DP_NH_ECMP);
    assert_int_equal(fib(1, "172.16.3.4").n_members, 2);
    assert_int_equal(rib_del(rib, 1, test_ip4("172.16.0.0"), 16, RIB_SRC_CUSTOMER, 9), ENOENT);

    assert_int_equal(rib_del(rib, 1, test_ip4("172.16.0.0"), 16, RIB_SRC_LEARNED, 0), 0);
    assert_int_equal(fib(1, "172.16.3.4").type, DP_NH_NONE);
    assert_int_equal(rib_count(rib), 0);
}

/* At equal distance the lower metric wins; the same source may hold several candidates. */
static void
test_metric_and_ids(void **state)
{
    struct rib_route a = ca_route(1, "172.17.0.0", 16, RIB_SRC_CUSTOMER, 1, 20, "10.1.1.20");
    struct rib_route b = ca_route(1, "172.17.0.0", 16, RIB_SRC_CUSTOMER, 2, 10, "10.1.1.10");

    (void)state;
    assert_int_equal(rib_set(rib, &a), 0);
    assert_int_equal(rib_set(rib, &b), 0);
    assert_int_equal(fib(1, "172.17.1.1").ip, test_ip4("10.1.1.10"));
    b.metric = 30; /* A change of one candidate re-decides. */
    assert_int_equal(rib_set(rib, &b), 0);
    assert_int_equal(fib(1, "172.17.1.1").ip, test_ip4("10.1.1.20"));
    /* Another tenant's same prefix is another route. */
    assert_int_equal(fib(2, "172.17.1.1").type, DP_NH_NONE);
}

/* A rollback puts back the FIB and the candidates as they were before rib_begin(). */
static void
test_rollback(void **state)
{
    struct rib_route keep = ca_route(1, "10.50.0.0", 16, RIB_SRC_CUSTOMER, 0, 0, "10.1.1.5");
    struct rib_route gone = ca_route(1, "10.51.0.0", 16, RIB_SRC_CUSTOMER, 0, 0, "10.1.1.6");
    struct rib_route neu = ca_route(1, "10.52.0.0", 16, RIB_SRC_CUSTOMER, 0, 0, "10.1.1.7");
    struct rib_route got;

    (void)state;
    assert_int_equal(rib_set(rib, &keep), 0);
    assert_int_equal(rib_set(rib, &gone), 0);
    rib_begin(rib);
    keep.nh[0].ip = test_ip4("10.1.1.55");
    assert_int_equal(rib_set(rib, &keep), 0);
    assert_int_equal(rib_del(rib, 1, test_ip4("10.51.0.0"), 16, RIB_SRC_CUSTOMER, 0), 0);
    assert_int_equal(rib_set(rib, &neu), 0);
    assert_int_equal(fib(1, "10.50.0.1").ip, test_ip4("10.1.1.55"));
    assert_int_equal(fib(1, "10.51.0.1").type, DP_NH_NONE);
    rib_rollback(rib);
    assert_int_equal(fib(1, "10.50.0.1").ip, test_ip4("10.1.1.5"));
    assert_int_equal(fib(1, "10.51.0.1").ip, test_ip4("10.1.1.6"));
    assert_int_equal(fib(1, "10.52.0.1").type, DP_NH_NONE);
    assert_true(rib_get(rib, 1, test_ip4("10.50.0.0"), 16, RIB_SRC_CUSTOMER, 0, &got));
    assert_int_equal(got.nh[0].ip, test_ip4("10.1.1.5"));
    assert_false(rib_get(rib, 1, test_ip4("10.52.0.0"), 16, RIB_SRC_CUSTOMER, 0, &got));
    assert_int_equal(rib_count(rib), 2);
    /* After a commit, nothing is undone. */
    rib_begin(rib);
    assert_int_equal(rib_set(rib, &neu), 0);
    rib_commit(rib);
    rib_rollback(rib);
    assert_int_equal(fib(1, "10.52.0.1").ip, test_ip4("10.1.1.7"));
}

/* A sweep removes the config's candidates not set since the generation began, and leaves the
 * learned ones. */
static void
test_generation_sweep(void **state)
{
    struct rib_route a = ca_route(1, "10.60.0.0", 16, RIB_SRC_CUSTOMER, 0, 0, "10.1.1.5");
    struct rib_route b = ca_route(1, "10.61.0.0", 16, RIB_SRC_EXTERNAL, 0, 0, "10.1.1.6");
    struct rib_route l = ca_route(1, "10.61.0.0", 16, RIB_SRC_LEARNED, 0, 0, "10.1.1.8");
    uint32_t gen;

    (void)state;
    assert_int_equal(rib_set(rib, &a), 0);
    assert_int_equal(rib_set(rib, &b), 0);
    assert_int_equal(rib_set(rib, &l), 0);
    gen = rib_next_generation(rib);
    assert_int_equal(rib_set(rib, &a), 0); /* Unchanged: only stamped. */
    assert_int_equal(rib_sweep(rib, RIB_CONFIG_SOURCES, gen), 1);
    assert_int_equal(fib(1, "10.60.0.1").ip, test_ip4("10.1.1.5"));
    assert_int_equal(fib(1, "10.61.0.1").ip,
                     test_ip4("10.1.1.8")); /* The learned route took over. */
}

/* A full FIB refuses the route and changes nothing. */
static void
test_fib_full(void **state)
{
    unsigned added = 0;
    int ret = 0;
    uint32_t before;
    struct rib_route got;

    (void)state;
    /* The FIB rounds its capacity up to its own sizes: fill it until it refuses. */
    for (unsigned i = 0; i < 65536 && !ret; i++) {
        char p[32];
        snprintf(p, sizeof p, "10.%u.%u.0", 128 + i / 256, i % 256);
        struct rib_route r = ca_route(3, p, 24, RIB_SRC_CUSTOMER, 0, 0, "10.1.1.5");
        ret = rib_set(rib, &r);
        added += !ret;
    }
    assert_int_equal(ret, ENOSPC);
    assert_true(added >= FIB_SLOTS && added < 65536);
    before = rib_count(rib);
    char p[32];
    snprintf(p, sizeof p, "10.%u.%u.0", 128 + added / 256, added % 256);
    assert_false(rib_get(rib, 3, test_ip4(p), 24, RIB_SRC_CUSTOMER, 0, &got));
    assert_int_equal(rib_count(rib), before);

    /* Churn: what was deleted can be added again, as often as it likes (DPDK's TRIE keeps the
     * reservations of deleted routes; the data plane rebuilds it when they fill it up). */
    struct dp_stats st0, st1;
    dp_stats_sum(dp, &st0);
    for (unsigned round = 0; round < 3; round++) {
        for (unsigned i = 0; i < added; i++) {
            snprintf(p, sizeof p, "10.%u.%u.0", 128 + i / 256, i % 256);
            assert_int_equal(rib_del(rib, 3, test_ip4(p), 24, RIB_SRC_CUSTOMER, 0), 0);
        }
        assert_int_equal(rib_count(rib), 0);
        for (unsigned i = 0; i < added; i++) {
            snprintf(p, sizeof p, "10.%u.%u.0", 128 + i / 256, i % 256);
            struct rib_route r = ca_route(3, p, 24, RIB_SRC_CUSTOMER, 0, 0, "10.1.1.5");
            assert_int_equal(rib_set(rib, &r), 0);
        }
        assert_int_equal(fib(3, "10.128.7.1").type, DP_NH_CA);
    }
    dp_stats_sum(dp, &st1);
    assert_true(st1.counter[DP_route_fib_rebuilds] > st0.counter[DP_route_fib_rebuilds]);
}

/* Next hops resolve by longest match: a subnet's CA, a tunnel, the external network. */
static void
test_resolve(void **state)
{
    struct rib_route sub = ca_route(1, "10.1.1.0", 24, RIB_SRC_CONNECTED, 0, 0, "0.0.0.0");
    struct rib_route vpn = ca_route(1, "192.168.0.0", 16, RIB_SRC_VPN, 17, 0, "0.0.0.0");
    uint32_t ext = test_ip4("198.18.0.0");
    uint8_t ext_plen = 24;
    struct dp_nexthop nh;

    (void)state;
    sub.nh[0] = (struct dp_nexthop){.type = DP_NH_CONNECTED, .vsid = 5001};
    vpn.nh[0] = (struct dp_nexthop){.type = DP_NH_IPSEC, .reqid = 17};
    assert_int_equal(rib_set(rib, &sub), 0);
    assert_int_equal(rib_set(rib, &vpn), 0);
    rib_set_external_networks(rib, &ext, &ext_plen, 1);

    assert_true(rib_resolve(rib, 1, test_ip4("10.1.1.20"), &nh));
    assert_int_equal(nh.type, DP_NH_CA);
    assert_int_equal(nh.vsid, 5001);
    assert_int_equal(nh.ip, test_ip4("10.1.1.20"));
    assert_true(rib_resolve(rib, 1, test_ip4("192.168.4.4"), &nh));
    assert_int_equal(nh.type, DP_NH_IPSEC);
    assert_int_equal(nh.reqid, 17);
    assert_true(rib_resolve(rib, 1, test_ip4("198.18.0.9"), &nh));
    assert_int_equal(nh.type, DP_NH_EXTERNAL);
    assert_false(rib_resolve(rib, 1, test_ip4("8.8.8.8"), &nh));
    /* Another tenant has none of these subnets or tunnels. */
    assert_false(rib_resolve(rib, 2, test_ip4("10.1.1.20"), &nh));
    /* A learned route is no way to resolve: only connected and VPN routes are. */
    struct rib_route l = ca_route(1, "8.8.0.0", 16, RIB_SRC_LEARNED, 0, 0, "10.1.1.9");
    assert_int_equal(rib_set(rib, &l), 0);
    assert_false(rib_resolve(rib, 1, test_ip4("8.8.8.8"), &nh));
}

/* Malformed routes are refused and leave nothing behind. */
static void
test_malformed(void **state)
{
    struct rib_route r = ca_route(1, "10.70.0.0", 16, RIB_SRC_CUSTOMER, 0, 0, "10.1.1.5");
    struct rib_route bad;

    (void)state;
    bad = r;
    bad.plen = 33;
    assert_int_equal(rib_set(rib, &bad), EINVAL);
    bad = r;
    bad.n_nh = 0;
    assert_int_equal(rib_set(rib, &bad), EINVAL);
    bad = r;
    bad.n_nh = DP_ECMP_MAX + 1;
    assert_int_equal(rib_set(rib, &bad), EINVAL);
    bad = r;
    bad.source = RIB_N_SOURCES;
    assert_int_equal(rib_set(rib, &bad), EINVAL);
    bad = r;
    bad.nh[0].type = DP_NH_ECMP;
    assert_int_equal(rib_set(rib, &bad), EINVAL);
    assert_int_equal(rib_count(rib), 0);
    assert_int_equal(rib_del(rib, 1, test_ip4("10.70.0.0"), 40, RIB_SRC_CUSTOMER, 0), ENOENT);
    assert_string_equal(rib_source_name(RIB_SRC_LEARNED), "frr");
    assert_string_equal(rib_source_name(RIB_N_SOURCES), "?");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_precedence_and_ecmp_back, rib_up, rib_down),
        cmocka_unit_test_setup_teardown(test_metric_and_ids, rib_up, rib_down),
        cmocka_unit_test_setup_teardown(test_rollback, rib_up, rib_down),
        cmocka_unit_test_setup_teardown(test_generation_sweep, rib_up, rib_down),
        cmocka_unit_test_setup_teardown(test_fib_full, rib_up, rib_down),
        cmocka_unit_test_setup_teardown(test_resolve, rib_up, rib_down),
        cmocka_unit_test_setup_teardown(test_malformed, rib_up, rib_down),
    };
    return cmocka_run_group_tests_name("rib", tests, setup, teardown);
}
