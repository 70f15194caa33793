/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the configuration module: tenants, subnets, forward prefixes and external routes.
 */
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

#include "tests/gateway/config/config_fixture.h"

/* ---- Invalid configurations: one case per rule ---- */

static const struct bad_case bad_cases[] = {
    /* tenant and subnet */
    {"tenant_name_duplicate", BASE "tenant \"contoso\" { #<<\n  id = 9\n}\n",
     "tenant \"contoso\": name already used by the tenant at line 18", -1},
    {"tenant_id_duplicate",
     BASE "tenant \"other\" {\n  id = 1 #<<\n  subnet \"s\" {\n    vsid = 7001\n  }\n}\n",
     "tenant \"other\" id: 1 is already the id of tenant \"contoso\", line 18", -1},
    {"tenant_id_range", BASE "tenant \"other\" {\n  id = 0 #<<\n}\n",
     "tenant \"other\" id: 0 is out of range 1..65535", -1},
    {"tenant_id_missing", BASE "tenant \"other\" { #<<\n}\n", "tenant \"other\" id: is required",
     -1},
    {"tenant_without_subnet", BASE "tenant \"other\" { #<<\n  id = 7\n}\n",
     "tenant \"other\" subnet: a tenant needs at least one subnet", -1},
    {"subnet_vsid_range",
     BASE "tenant \"other\" {\n  id = 7\n  subnet \"web\" {\n    vsid = 99 #<<\n  }\n}\n",
     "tenant \"other\" subnet \"web\" vsid: 99 is out of range 4096..16777214", -1},
    {"subnet_vsid_reserved",
     BASE "tenant \"other\" {\n  id = 7\n  subnet \"web\" {\n    vsid = 16777215 #<<\n  }\n}\n",
     "tenant \"other\" subnet \"web\" vsid: 16777215 is out of range", -1},
    {"subnet_vsid_duplicate_across_tenants",
     BASE "tenant \"other\" {\n  id = 7\n  subnet \"s\" {\n    vsid = 5002 #<<\n"
          "    prefix = \"10.9.0.0/24\"\n    gateway_ip = \"10.9.0.1\"\n"
          "    gateway_mac = \"02:00:00:00:09:01\"\n  }\n}\n",
     "tenant \"other\" subnet \"s\" vsid: 5002 is already used by tenant \"contoso\" subnet \"db\"",
     -1},
    {"subnet_name_duplicate",
     NODE_GW PORT_PA "tenant \"t\" {\n  id = 7\n" SUBNET_WEB "  subnet \"web\" { #<<\n  }\n}\n",
     "tenant \"t\" subnet \"web\": name already used by the subnet at line", -1},
    {"subnet_prefix_missing",
     BASE "tenant \"t\" {\n  id = 7\n  subnet \"s\" { #<<\n    vsid = 7001\n  }\n}\n",
     "tenant \"t\" subnet \"s\" prefix: is required", -1},
    {"subnet_prefix_not_canonical",
     BASE "tenant \"t\" {\n  id = 7\n  subnet \"s\" {\n    vsid = 7001\n"
          "    prefix = \"10.1.1.5/24\" #<<\n  }\n}\n",
     "tenant \"t\" subnet \"s\" prefix: '10.1.1.5/24' has host bits set (did you mean "
     "10.1.1.0/24?)",
     -1},
    {"subnet_prefix_ipv6",
     BASE "tenant \"t\" {\n  id = 7\n  subnet \"s\" {\n    vsid = 7001\n"
          "    prefix = \"fd00:1::/64\" #<<\n  }\n}\n",
     "tenant \"t\" subnet \"s\" prefix: IPv6 is not supported yet", -1},
    {"subnet_prefix_too_long",
     BASE "tenant \"t\" {\n  id = 7\n  subnet \"s\" {\n    vsid = 7001\n"
          "    prefix = \"10.1.1.0/31\" #<<\n  }\n}\n",
     "tenant \"t\" subnet \"s\" prefix: /31 leaves no room", -1},
    {"subnet_overlap_same_tenant",
     NODE_GW PORT_PA "tenant \"t\" {\n  id = 7\n" SUBNET_WEB "  subnet \"big\" {\n    vsid = 7001\n"
                     "    prefix = \"10.1.0.0/16\" #<<\n    gateway_ip = \"10.1.0.1\"\n"
                     "    gateway_mac = \"02:00:00:00:09:01\"\n  }\n}\n",
     "tenant \"t\" subnet \"big\" prefix: 10.1.0.0/16 overlaps subnet \"web\" (10.1.1.0/24)", -1},
    {"subnet_gateway_ip_outside",
     BASE "tenant \"t\" {\n  id = 7\n  subnet \"s\" {\n    vsid = 7001\n"
          "    prefix = \"10.7.0.0/24\"\n    gateway_ip = \"10.8.0.1\" #<<\n  }\n}\n",
     "tenant \"t\" subnet \"s\" gateway_ip: 10.8.0.1 is not a host address of 10.7.0.0/24", -1},
    {"subnet_gateway_mac_missing",
     BASE "tenant \"t\" {\n  id = 7\n  subnet \"s\" { #<<\n    vsid = 7001\n"
          "    prefix = \"10.7.0.0/24\"\n    gateway_ip = \"10.7.0.1\"\n  }\n}\n",
     "tenant \"t\" subnet \"s\" gateway_mac: is required", -1},
    {"subnet_gateway_mac_multicast",
     BASE "tenant \"t\" {\n  id = 7\n  subnet \"s\" {\n    vsid = 7001\n"
          "    prefix = \"10.7.0.0/24\"\n    gateway_ip = \"10.7.0.1\"\n"
          "    gateway_mac = \"33:33:00:00:00:01\" #<<\n  }\n}\n",
     "tenant \"t\" subnet \"s\" gateway_mac: 33:33:00:00:00:01 is a multicast or broadcast MAC",
     -1},
    {"forward_prefix_not_canonical",
     NODE_GW PORT_PA PORT_EXT "tenant \"t\" {\n  id = 7\n" SUBNET_WEB
                              "  forward_prefixes = {\"10.1.0.0/16\", \"10.2.3.4/16\"} #<<\n}\n",
     "tenant \"t\" forward_prefixes: '10.2.3.4/16' has host bits set", -1},
    {"forward_prefixes_overlap_tenants",
     NODE_GW PORT_PA PORT_EXT "tenant \"a\" {\n  id = 7\n" SUBNET_WEB
                              "  forward_prefixes = {\"10.1.0.0/16\"}\n}\n"
                              "tenant \"b\" {\n  id = 8\n  subnet \"s\" {\n    vsid = 7001\n"
                              "    prefix = \"10.1.1.0/24\"\n    gateway_ip = \"10.1.1.1\"\n"
                              "    gateway_mac = \"02:00:00:00:09:01\"\n  }\n"
                              "  forward_prefixes = {\"10.1.128.0/17\"} #<<\n}\n",
     "tenant \"b\" forward_prefixes: 10.1.128.0/17 overlaps 10.1.0.0/16 of tenant \"a\"", -1},
    {"forward_prefixes_without_external",
     NODE_GW PORT_PA "tenant \"a\" {\n  id = 7\n" SUBNET_WEB
                     "  forward_prefixes = {\"10.1.0.0/16\"} #<<\n}\n",
     "tenant \"a\" forward_prefixes: there is no external port", -1},
    {"external_route_without_external",
     NODE_GW PORT_PA "tenant \"a\" {\n  id = 7\n" SUBNET_WEB
                     "  external_route { #<<\n    prefix = \"10.99.0.0/24\"\n"
                     "    next_hop = \"0.0.0.0\"\n  }\n}\n",
     "tenant \"a\" external_route: there is no external port", -1},
    {"external_route_prefix_missing",
     BASE "tenant \"a\" {\n  id = 7\n  subnet \"s\" {\n    vsid = 7001\n"
          "    prefix = \"10.7.0.0/24\"\n    gateway_ip = \"10.7.0.1\"\n"
          "    gateway_mac = \"02:00:00:00:09:01\"\n  }\n"
          "  external_route { #<<\n    next_hop = \"0.0.0.0\"\n  }\n}\n",
     "tenant \"a\" external_route prefix: is required", -1},
    {"external_route_next_hop_outside",
     BASE
     "tenant \"a\" {\n  id = 7\n  subnet \"s\" {\n    vsid = 7001\n"
     "    prefix = \"10.7.0.0/24\"\n    gateway_ip = \"10.7.0.1\"\n"
     "    gateway_mac = \"02:00:00:00:09:01\"\n  }\n"
     "  external_route {\n    prefix = \"0.0.0.0/0\"\n    next_hop = \"10.98.0.1\" #<<\n  }\n}\n",
     "tenant \"a\" external_route next_hop: 10.98.0.1 is not another host of 10.99.0.1/24", -1},

};

/* Tenants may reuse each other's CA prefixes; VSIDs and ids are what must differ. */
static void
test_overlapping_tenants(void **state)
{
    struct hnvgw_config *cfg =
        load_ok(BASE TENANT_B LOOKUP("10.1.1.10", "5001", "10.0.0.2", "02:00:00:00:10:10")
                    LOOKUP("10.1.1.10", "6001", "10.0.0.2", "02:00:00:00:30:10"));

    (void)state;
    assert_int_equal(cfg->n_tenants, 2);
    assert_int_equal(cfg->n_lookups, 2);
    config_destroy(cfg);
}

int
main(void)
{
    /* clang-format off */
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_overlapping_tenants),
    };
    /* clang-format on */

    return config_fixture_run("config_tenant", fixed, sizeof fixed / sizeof fixed[0], bad_cases,
                              sizeof bad_cases / sizeof bad_cases[0]);
}
