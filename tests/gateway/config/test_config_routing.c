/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the configuration module: the routing section of a tenant. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "gateway/policy.h"
#include "tests/gateway/config/config_fixture.h"

/* ---- Invalid configurations: one case per rule ---- */

static const struct bad_case bad_cases[] = {
    {"routing_asn_missing", ROUTING_CFG("    router_id = \"10.1.1.1\"\n"),
     "tenant \"contoso\" routing asn: is required", 32},
    {"routing_router_id_bad", ROUTING_CFG("    asn = 65001\n    router_id = \"10.1.1\"\n"),
     "tenant \"contoso\" routing router_id: '10.1.1' is not an IPv4 address", 34},
    {"routing_twice",
     NAT_BASE TENANT_A_NAT("  routing {\n" ROUTING_MIN "  }\n  routing { #<<\n" ROUTING_MIN
                           "  }\n"),
     "tenant \"contoso\" routing: defined twice (first at line 32)", -1},
    {"routing_network_host_bits", ROUTING_CFG(ROUTING_MIN "    networks = {\"10.9.0.1/16\"} #<<\n"),
     "tenant \"contoso\" routing networks: '10.9.0.1/16' has host bits set", -1},
    {"routing_fpm_port_range", ROUTING_CFG(ROUTING_MIN "    fpm_port = 70000 #<<\n"),
     "tenant \"contoso\" routing fpm_port: 70000 is out of range", -1},
    {"routing_neighbor_not_ip",
     ROUTING_CFG(ROUTING_MIN "    neighbor \"peer1\" { #<<\n      remote_as = 65002\n    }\n"),
     "tenant \"contoso\" routing neighbor \"peer1\" neighbor: 'peer1' is not an IPv4 address", -1},
    {"routing_neighbor_no_as", ROUTING_CFG(ROUTING_MIN "    neighbor \"10.99.0.2\" { #<<\n    }\n"),
     "routing neighbor \"10.99.0.2\" remote_as: is required", -1},
    {"routing_neighbor_hold",
     ROUTING_CFG(ROUTING_MIN "    neighbor \"10.99.0.2\" {\n      remote_as = 65002\n"
                             "      keepalive = 10\n      hold = 5 #<<\n    }\n"),
     "hold: 5 must be 0, or 3 or more and >= keepalive 10", -1},
    {"routing_neighbor_password",
     ROUTING_CFG(ROUTING_MIN "    neighbor \"10.99.0.2\" {\n      remote_as = 65002\n"
                             "      password = \"two words\" #<<\n    }\n"),
     "password: only printable characters without spaces or quotes", -1},
};

/* A full routing section, its defaults, and a clone of it. */
static void
test_routing(void **state)
{
    struct hnvgw_config *cfg =
        load_ok(ROUTING_CFG(ROUTING_MIN "    networks = {\"10.9.0.0/16\"}\n"
                                        "    extra_config = \"ip route 192.168.7.0/24 10.99.0.2\"\n"
                                        "    neighbor \"10.99.0.2\" {\n      remote_as = 65002\n"
                                        "      password = \"s3cret\"\n    }\n"));
    struct hnvgw_config *copy;
    const struct config_routing *r;

    (void)state;
    r = cfg->tenants[0].routing;
    assert_non_null(r);
    assert_int_equal(r->asn, 65001);
    assert_int_equal(r->router_id.v4, htonl(0x0a010101));
    assert_int_equal(r->fpm_port, 2620);
    assert_int_equal(r->n_networks, 1);
    assert_string_equal(r->extra_config, "ip route 192.168.7.0/24 10.99.0.2");
    assert_int_equal(r->n_neighbors, 1);
    assert_int_equal(r->neighbors[0].remote_as, 65002);
    assert_string_equal(r->neighbors[0].password, "s3cret");
    assert_int_equal(r->neighbors[0].keepalive, 60);
    assert_int_equal(r->neighbors[0].hold, 180);
    assert_false(r->neighbors[0].ebgp_multihop);
    copy = policy_config_clone(cfg);
    assert_non_null(copy);
    assert_ptr_not_equal(copy->tenants[0].routing, r);
    assert_string_equal(copy->tenants[0].routing->extra_config, r->extra_config);
    assert_int_equal(copy->tenants[0].routing->neighbors[0].remote_as, 65002);
    assert_null(policy_restart_needed(cfg, copy));
    copy->tenants[0].routing->neighbors[0].hold = 90;
    assert_string_equal(policy_restart_needed(cfg, copy), "a tenant's routing section");
    config_destroy(copy);
    config_destroy(cfg);
}

int
main(void)
{
    /* clang-format off */
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_routing),
    };
    /* clang-format on */

    return config_fixture_run("config_routing", fixed, sizeof fixed / sizeof fixed[0], bad_cases,
                              sizeof bad_cases / sizeof bad_cases[0]);
}
