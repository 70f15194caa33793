/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the configuration module: the node section. */
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
    /* node */
    {"node_missing", PORT_PA TENANT_A, "node: section is required", 0},
    {"node_twice", BASE "node { #<<\n  roles = {\"host\"}\n}\n",
     "node: defined twice (first at line 1)", -1},
    {"roles_missing", "node { #<<\n  name = \"gw1\"\n}\n" PORT_EXT, "node roles: is required", -1},
    /* An empty list leaves no line behind: the message names the section's line. */
    {"roles_empty", "node { #<<\n  roles = {}\n}\n" PORT_EXT, "node roles: is required", -1},
    {"roles_bad", "node {\n  roles = {\"gateway\",\n    \"router\"} #<<\n}\n" PORT_EXT,
     "node roles: 'router' is not gateway or host", -1},
    {"name_bad", "node {\n  name = \"gw 1\" #<<\n  roles = {\"gateway\"}\n}\n" PORT_EXT,
     "node name: 'gw 1' is not", -1},
    {"workers_zero", "node {\n  roles = {\"gateway\"}\n  workers = 0 #<<\n}\n" PORT_EXT,
     "node workers: 0 is out of range 1..16", -1},
    {"workers_too_many", "node {\n  roles = {\"gateway\"}\n  workers = 17 #<<\n}\n" PORT_EXT,
     "node workers: 17 is out of range 1..16", -1},
    {"arp_timeout_range", "node {\n  roles = {\"gateway\"}\n  arp_timeout = 5 #<<\n}\n" PORT_EXT,
     "node arp_timeout: 5 is out of range 10..86400", -1},
    {"icmp_rate_range", "node {\n  roles = {\"gateway\"}\n  icmp_rate = 100001 #<<\n}\n" PORT_EXT,
     "node icmp_rate: 100001 is out of range 1..100000", -1},
    {"mbufs_range", "node {\n  roles = {\"gateway\"}\n  mbufs = 10 #<<\n}\n" PORT_EXT,
     "node mbufs: 10 is neither 0", -1},
    {"control_socket_long",
     "node {\n  roles = {\"gateway\"}\n  control_socket = \"/run/"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxx.sock\" #<<\n}\n" PORT_EXT,
     "node control_socket: must be a path", -1},
    {"eal_args_too_many",
     "node {\n  roles = {\"gateway\"}\n  eal_args = {\"a\", \"a\", \"a\", \"a\", \"a\", \"a\", "
     "\"a\", \"a\", \"a\", \"a\",\n \"a\", \"a\", \"a\", \"a\", \"a\", \"a\", \"a\", \"a\", \"a\", "
     "\"a\",\n \"a\", \"a\", \"a\", \"a\", \"a\", \"a\", \"a\", \"a\", \"a\", \"a\",\n \"a\", "
     "\"a\", "
     "\"a\" #<<\n }\n}\n" PORT_EXT,
     "node eal_args: more than 32 arguments", -1},
    {"pa_bad",
     "node {\n  roles = {\"gateway\"}\n  provider_addresses = {\"10.0.0.300\"} #<<\n}\n" PORT_PA,
     "node provider_addresses: '10.0.0.300' is not an IPv4 address", -1},
    {"pa_ipv6",
     "node {\n  roles = {\"gateway\"}\n  provider_addresses = {\"fd00::1\"} #<<\n}\n" PORT_PA,
     "node provider_addresses: IPv6 is not supported yet", -1},
    {"pa_outside_provider",
     "node {\n  roles = {\"gateway\"}\n  provider_addresses = {\"10.0.0.1\",\n"
     "    \"10.5.0.1\"} #<<\n}\n" PORT_PA,
     "node provider_addresses: 10.5.0.1 is not inside 10.0.0.1/24 of provider port \"pa0\"", -1},
    {"pa_twice",
     "node {\n  roles = {\"gateway\"}\n  provider_addresses = {\"10.0.0.1\", \"10.0.0.1\"} "
     "#<<\n}\n" PORT_PA,
     "node provider_addresses: 10.0.0.1 is listed twice", -1},
    {"pa_missing", "node { #<<\n  roles = {\"gateway\"}\n}\n" PORT_PA,
     "node provider_addresses: is required: port \"pa0\" is a provider port", -1},
    {"pa_without_provider",
     "node {\n  roles = {\"gateway\"}\n  provider_addresses = {\"10.0.0.1\"} #<<\n}\n" PORT_EXT,
     "node provider_addresses: set, but there is no provider port", -1},
    {"routing_daemons_bad",
     "node {\n  roles = {\"gateway\"}\n  routing_daemons = \"vrf\" #<<\n}\n" PORT_EXT,
     "node routing_daemons: 'vrf' is not auto, shared or per_tenant", -1},

};

/* Defaults of every optional key. */
static void
test_defaults(void **state)
{
    struct hnvgw_config *cfg = load_ok("node {\n  roles = {\"gateway\"}\n}\n" PORT_EXT TENANT_A);

    (void)state;
    assert_string_equal(cfg->node_name, "hnvgw");
    assert_int_equal(cfg->n_eal_args, 2);
    assert_string_equal(cfg->eal_args[0], "--in-memory");
    assert_string_equal(cfg->eal_args[1], "--no-pci");
    assert_int_equal(cfg->workers, 1);
    assert_string_equal(cfg->control_socket, "/run/hnvgw/hnvgwd.sock");
    assert_int_equal(cfg->n_pas, 0);
    assert_int_equal(cfg->arp_timeout_s, 300);
    assert_int_equal(cfg->icmp_rate_per_s, 100);
    assert_int_equal(cfg->max_lookups, 65536);
    assert_int_equal(cfg->max_routes, 65536);
    assert_int_equal(cfg->max_subnets, 8192);
    assert_int_equal(cfg->mbufs, 0);
    assert_int_equal(cfg->n_lookups, 0);
    assert_int_equal(cfg->n_routes, 0);
    assert_int_equal(cfg->max_nat_sessions, 262144);
    assert_int_equal(cfg->nat_port_block, 64);
    assert_int_equal(cfg->routing_daemons, CONFIG_ROUTING_AUTO);
    assert_int_equal(cfg->routing_daemons_line, 0);
    assert_null(cfg->tenants[0].nat);
    config_destroy(cfg);

    /* Each spelling, and the line it is on (for the start's refusal of "shared"). */
    for (unsigned d = CONFIG_ROUTING_AUTO; d <= CONFIG_ROUTING_PER_TENANT; d++) {
        char text[1024];

        snprintf(
            text, sizeof text,
            "node {\n  roles = {\"gateway\"}\n\n  routing_daemons = \"%s\"\n}\n" PORT_EXT TENANT_A,
            config_routing_daemons_name(d));
        cfg = load_ok(text);
        assert_int_equal(cfg->routing_daemons, d);
        assert_int_equal(cfg->routing_daemons_line, 4);
        config_destroy(cfg);
    }

    /* An explicitly empty eal_args stays empty. */
    cfg = load_ok("node {\n  roles = {\"gateway\"}\n  eal_args = {}\n}\n" PORT_EXT TENANT_A);
    assert_int_equal(cfg->n_eal_args, 0);
    config_destroy(cfg);
}

int
main(void)
{
    /* clang-format off */
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_defaults),
    };
    /* clang-format on */

    return config_fixture_run("config_node", fixed, sizeof fixed / sizeof fixed[0], bad_cases,
                              sizeof bad_cases / sizeof bad_cases[0]);
}
