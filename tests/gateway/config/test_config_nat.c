/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the configuration module: the nat section of a tenant and its static mappings. */
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
    /* nat */
    {"nat_needs_external_port", NODE_GW PORT_PA TENANT_A_NAT("  nat { #<<\n" NAT_PUB "  }\n"),
     "tenant \"contoso\" nat: NAT needs an external port", -1},
    {"nat_needs_gateway_role",
     NODE_HOST PORT_PA_HOST PORT_EXT TENANT_A_NAT("  nat { #<<\n" NAT_PUB "  }\n"),
     "tenant \"contoso\" nat: NAT needs \"gateway\" in node roles", -1},
    {"nat_twice", NAT_BASE TENANT_A_NAT(NAT(NAT_PUB) "  nat { #<<\n" NAT_PUB "  }\n"),
     "tenant \"contoso\" nat: defined twice (first at line 32)", -1},
    {"nat_unknown_key", NAT_CFG(NAT_PUB "    colour = 1 #<<\n"),
     "tenant \"contoso\" nat colour: unknown key", -1},
    {"nat_key_twice", NAT_CFG(NAT_PUB "    max_ports = 10\n    max_ports = 20 #<<\n"),
     "tenant \"contoso\" nat max_ports: set twice (first at line 34)", -1},
    {"nat_public_missing", NAT_BASE TENANT_A_NAT("  nat { #<<\n    ports = \"1024-2047\"\n  }\n"),
     "tenant \"contoso\" nat public_addresses: is required", -1},
    {"nat_public_too_many",
     NAT_CFG("    public_addresses = {\"198.18.0.1\", \"198.18.0.2\", \"198.18.0.3\", "
             "\"198.18.0.4\",\n \"198.18.0.5\", \"198.18.0.6\", \"198.18.0.7\", \"198.18.0.8\", "
             "\"198.18.0.9\",\n \"198.18.0.10\", \"198.18.0.11\", \"198.18.0.12\", "
             "\"198.18.0.13\",\n \"198.18.0.14\", \"198.18.0.15\", \"198.18.0.16\",\n"
             " \"198.18.0.17\"} #<<\n"),
     "tenant \"contoso\" nat public_addresses: more than 16 addresses", -1},
    {"nat_public_bad", NAT_CFG("    public_addresses = {\"198.18.0\"} #<<\n"),
     "tenant \"contoso\" nat public_addresses: '198.18.0' is not an IPv4 address", -1},
    {"nat_public_loopback",
     NAT_CFG("    public_addresses = {\"198.18.0.10\",\n      \"127.0.0.1\"} #<<\n"),
     "tenant \"contoso\" nat public_addresses: 127.0.0.1 is not a unicast address", -1},
    {"nat_public_this_network", NAT_CFG("    public_addresses = {\"0.1.2.3\"} #<<\n"),
     "tenant \"contoso\" nat public_addresses: 0.1.2.3 is not a unicast address", -1},
    {"nat_public_multicast", NAT_CFG("    public_addresses = {\"239.1.2.3\"} #<<\n"),
     "tenant \"contoso\" nat public_addresses: 239.1.2.3 is not a unicast address", -1},
    {"nat_public_broadcast", NAT_CFG("    public_addresses = {\"255.255.255.255\"} #<<\n"),
     "tenant \"contoso\" nat public_addresses: 255.255.255.255 is not a unicast address", -1},
    {"nat_public_twice",
     NAT_CFG("    public_addresses = {\"198.18.0.10\", \"198.18.0.11\",\n"
             "      \"198.18.0.10\"} #<<\n"),
     "tenant \"contoso\" nat public_addresses: 198.18.0.10 is listed twice", -1},
    {"nat_public_external_port_address", NAT_CFG("    public_addresses = {\"10.99.0.1\"} #<<\n"),
     "tenant \"contoso\" nat public_addresses: 10.99.0.1 is the address of port \"ext0\"", -1},
    {"nat_public_provider_port_address", NAT_CFG("    public_addresses = {\"10.0.0.1\"} #<<\n"),
     "tenant \"contoso\" nat public_addresses: 10.0.0.1 is the address of port \"pa0\"", -1},
    {"nat_public_provider_address",
     "node {\n  roles = {\"gateway\"}\n  provider_addresses = {\"10.0.0.1\", \"10.0.0.5\"}\n}\n"
     "\n" PORT_PA PORT_EXT TENANT_A_NAT(NAT("    public_addresses = {\"10.0.0.5\"} #<<\n")),
     "tenant \"contoso\" nat public_addresses: 10.0.0.5 is a provider address of this node", -1},
    /* The forward prefix is another tenant's, later in the file. */
    {"nat_public_in_forward_prefix",
     NAT_BASE TENANT_A_NAT(NAT("    public_addresses = {\"198.18.0.10\"} #<<\n"))
         TENANT_B_NAT("  forward_prefixes = {\"198.18.0.0/24\"}\n"),
     "tenant \"contoso\" nat public_addresses: 198.18.0.10 is inside forward prefix 198.18.0.0/24 "
     "of tenant \"fabrikam\", line 36",
     -1},
    {"nat_public_shared_overlapping_ports",
     NAT_BASE TENANT_A_NAT(NAT(NAT_PUB "    ports = \"1024-33791\"\n"))
         TENANT_B_NAT(NAT("    public_addresses = {\"198.18.0.11\",\n"
                          "      \"198.18.0.10\"} #<<\n    ports = \"32768-65535\"\n")),
     "tenant \"fabrikam\" nat public_addresses: 198.18.0.10 is also a public address of tenant "
     "\"contoso\" (nat at line 32), and ports 32768-65535 overlap its ports 1024-33791",
     -1},
    {"nat_ports_syntax", NAT_CFG(NAT_PUB "    ports = \"1024\" #<<\n"),
     "tenant \"contoso\" nat ports: '1024' is not a port range A-B with 1 <= A <= B <= 65535", -1},
    {"nat_ports_reversed", NAT_CFG(NAT_PUB "    ports = \"2048-1024\" #<<\n"),
     "tenant \"contoso\" nat ports: '2048-1024' is not a port range", -1},
    {"nat_ports_zero", NAT_CFG(NAT_PUB "    ports = \"0-1023\" #<<\n"),
     "tenant \"contoso\" nat ports: '0-1023' is not a port range", -1},
    {"nat_ports_too_high", NAT_CFG(NAT_PUB "    ports = \"1024-65536\" #<<\n"),
     "tenant \"contoso\" nat ports: '1024-65536' is not a port range", -1},
    {"nat_ports_block_start", NAT_CFG(NAT_PUB "    ports = \"1000-65535\" #<<\n"),
     "tenant \"contoso\" nat ports: '1000-65535' must start and end on a port-block boundary "
     "(nat_port_block = 64, e.g. 1024-65535)",
     -1},
    {"nat_ports_block_end",
     "node {\n  roles = {\"gateway\"}\n  provider_addresses = {\"10.0.0.1\"}\n"
     "  nat_port_block = 1024\n}\n" PORT_PA PORT_EXT TENANT_A_NAT(
         NAT(NAT_PUB "    ports = \"2048-65534\" #<<\n")),
     "tenant \"contoso\" nat ports: '2048-65534' must start and end on a port-block boundary "
     "(nat_port_block = 1024, e.g. 2048-64511)",
     -1},
    {"nat_port_block_not_power_of_two",
     "node {\n  roles = {\"gateway\"}\n  nat_port_block = 100 #<<\n}\n" PORT_EXT,
     "node nat_port_block: 100 is not a power of two (8..4096)", -1},
    {"nat_port_block_range",
     "node {\n  roles = {\"gateway\"}\n  nat_port_block = 4 #<<\n}\n" PORT_EXT,
     "node nat_port_block: 4 is out of range 8..4096", -1},
    {"max_nat_sessions_range",
     "node {\n  roles = {\"gateway\"}\n  max_nat_sessions = 1000 #<<\n}\n" PORT_EXT,
     "node max_nat_sessions: 1000 is out of range 1024..67108864", -1},
    {"nat_inside_not_canonical",
     NAT_CFG(NAT_PUB "    inside_prefixes = {\"10.1.0.0/16\",\n      \"10.2.3.0/16\"} #<<\n"),
     "tenant \"contoso\" nat inside_prefixes: '10.2.3.0/16' has host bits set (did you mean "
     "10.2.0.0/16?)",
     -1},
    {"nat_inside_empty",
     NAT_BASE TENANT_A_NAT("  nat { #<<\n" NAT_PUB "    inside_prefixes = {}\n  }\n"),
     "tenant \"contoso\" nat inside_prefixes: must list at least one prefix", -1},
    {"nat_inside_twice",
     NAT_CFG(NAT_PUB "    inside_prefixes = {\"10.1.0.0/16\", \"10.1.0.0/16\"} #<<\n"),
     "tenant \"contoso\" nat inside_prefixes: 10.1.0.0/16 is listed twice", -1},
    {"nat_destinations_bad", NAT_CFG(NAT_PUB "    destinations = {\"0.0.0.0\"} #<<\n"),
     "tenant \"contoso\" nat destinations: '0.0.0.0' is not a prefix", -1},
    {"nat_destinations_ipv6", NAT_CFG(NAT_PUB "    destinations = {\"::/0\"} #<<\n"),
     "tenant \"contoso\" nat destinations: IPv6 is not supported yet", -1},
    {"nat_next_hop_outside", NAT_CFG(NAT_PUB "    next_hop = \"10.98.0.2\" #<<\n"),
     "tenant \"contoso\" nat next_hop: 10.98.0.2 is not another host of 10.99.0.1/24 of external "
     "port \"ext0\"",
     -1},
    {"nat_next_hop_own_address", NAT_CFG(NAT_PUB "    next_hop = \"10.99.0.1\" #<<\n"),
     "tenant \"contoso\" nat next_hop: 10.99.0.1 is not another host", -1},
    {"nat_filtering_bad", NAT_CFG(NAT_PUB "    filtering = \"full-cone\" #<<\n"),
     "tenant \"contoso\" nat filtering: 'full-cone' is not address-dependent or "
     "endpoint-independent",
     -1},
    {"nat_log_bad", NAT_CFG(NAT_PUB "    log = \"all\" #<<\n"),
     "tenant \"contoso\" nat log: 'all' is not mappings, blocks or none", -1},
    {"nat_max_sessions_zero", NAT_CFG(NAT_PUB "    max_sessions = 0 #<<\n"),
     "tenant \"contoso\" nat max_sessions: 0 is out of range 1..16777216", -1},
    {"nat_max_ports_range", NAT_CFG(NAT_PUB "    max_ports = 16777217 #<<\n"),
     "tenant \"contoso\" nat max_ports: 16777217 is out of range 1..16777216", -1},
    {"nat_tcp_established_range", NAT_CFG(NAT_PUB "    tcp_established_timeout = 604801 #<<\n"),
     "tenant \"contoso\" nat tcp_established_timeout: 604801 is out of range 1..604800", -1},
    {"nat_tcp_transitory_zero", NAT_CFG(NAT_PUB "    tcp_transitory_timeout = 0 #<<\n"),
     "tenant \"contoso\" nat tcp_transitory_timeout: 0 is out of range 1..86400", -1},
    {"nat_udp_timeout_range", NAT_CFG(NAT_PUB "    udp_timeout = 86401 #<<\n"),
     "tenant \"contoso\" nat udp_timeout: 86401 is out of range 1..86400", -1},
    {"nat_icmp_timeout_zero", NAT_CFG(NAT_PUB "    icmp_timeout = 0 #<<\n"),
     "tenant \"contoso\" nat icmp_timeout: 0 is out of range 1..86400", -1},

    /* nat static_mapping */
    {"nat_static_unknown_key",
     NAT_CFG(NAT_PUB "    static_mapping {\n      port = 80 #<<\n    }\n"),
     "tenant \"contoso\" nat static_mapping port: unknown key", -1},
    {"nat_static_key_twice",
     NAT_CFG(NAT_PUB "    static_mapping {\n      protocol = \"tcp\"\n"
                     "      protocol = \"udp\" #<<\n    }\n"),
     "tenant \"contoso\" nat static_mapping protocol: set twice (first at line 35)", -1},
    {"nat_static_protocol_missing",
     NAT_CFG(NAT_PUB "    static_mapping { #<<\n      public = \"198.18.0.10:80\"\n"
                     "      inside = \"10.1.1.10:80\"\n    }\n"),
     "tenant \"contoso\" nat static_mapping protocol: is required", -1},
    {"nat_static_protocol_bad",
     NAT_CFG(NAT_PUB NAT_STATIC("\"icmp\" #<<", "\"198.18.0.10:80\"", "\"10.1.1.10:80\"")),
     "tenant \"contoso\" nat static_mapping protocol: 'icmp' is not tcp or udp", -1},
    {"nat_static_public_missing",
     NAT_CFG(NAT_PUB "    static_mapping { #<<\n      protocol = \"tcp\"\n"
                     "      inside = \"10.1.1.10:80\"\n    }\n"),
     "tenant \"contoso\" nat static_mapping public: is required", -1},
    {"nat_static_public_no_port",
     NAT_CFG(NAT_PUB NAT_STATIC("\"tcp\"", "\"198.18.0.10\" #<<", "\"10.1.1.10:80\"")),
     "tenant \"contoso\" nat static_mapping public: '198.18.0.10' is not ADDRESS:PORT", -1},
    {"nat_static_public_port_zero",
     NAT_CFG(NAT_PUB NAT_STATIC("\"tcp\"", "\"198.18.0.10:0\" #<<", "\"10.1.1.10:80\"")),
     "tenant \"contoso\" nat static_mapping public: port '0' of '198.18.0.10:0' is out of range "
     "1..65535",
     -1},
    {"nat_static_inside_port_range",
     NAT_CFG(NAT_PUB NAT_STATIC("\"udp\"", "\"198.18.0.10:53\"", "\"10.1.1.10:65536\" #<<")),
     "tenant \"contoso\" nat static_mapping inside: port '65536' of '10.1.1.10:65536' is out of "
     "range 1..65535",
     -1},
    {"nat_static_public_not_tenants",
     NAT_CFG(NAT_PUB NAT_STATIC("\"tcp\"", "\"198.18.0.99:80\" #<<", "\"10.1.1.10:80\"")),
     "tenant \"contoso\" nat static_mapping public: 198.18.0.99 is not one of the tenant's "
     "public_addresses",
     -1},
    {"nat_static_inside_outside",
     NAT_CFG(NAT_PUB NAT_STATIC("\"tcp\"", "\"198.18.0.10:80\"", "\"10.9.9.9:80\" #<<")),
     "tenant \"contoso\" nat static_mapping inside: 10.9.9.9 is not inside the tenant's "
     "inside_prefixes",
     -1},
    {"nat_static_inside_duplicate",
     NAT_CFG(NAT_PUB NAT_STATIC("\"tcp\"", "\"198.18.0.10:80\"", "\"10.1.1.10:8080\"")
                 NAT_STATIC("\"tcp\"", "\"198.18.0.10:81\"", "\"10.1.1.10:8080\" #<<")),
     "tenant \"contoso\" nat static_mapping inside: tcp 10.1.1.10:8080 already has the "
     "static_mapping at line 34",
     -1},
    {"nat_static_public_duplicate",
     NAT_CFG(NAT_PUB NAT_STATIC("\"udp\"", "\"198.18.0.10:53\"", "\"10.1.1.10:53\"")
                 NAT_STATIC("\"UDP\"", "\"198.18.0.10:53\" #<<", "\"10.1.2.10:53\"")),
     "tenant \"contoso\" nat static_mapping public: udp 198.18.0.10:53 is already mapped by "
     "tenant \"contoso\" static_mapping at line 34",
     -1},
    {"nat_static_public_duplicate_across_tenants",
     NAT_BASE TENANT_A_NAT(NAT(NAT_PUB "    ports = \"1024-32767\"\n" NAT_STATIC(
         "\"tcp\"", "\"198.18.0.10:80\"", "\"10.1.1.10:80\"")))
         TENANT_B_NAT(NAT(NAT_PUB "    ports = \"32768-65535\"\n" NAT_STATIC(
             "\"tcp\"", "\"198.18.0.10:80\" #<<", "\"10.1.1.20:80\""))),
     "tenant \"fabrikam\" nat static_mapping public: tcp 198.18.0.10:80 is already mapped by "
     "tenant \"contoso\" static_mapping at line 35",
     -1},
    /* The static of the first tenant falls in the range of the second, defined later. */
    {"nat_static_in_other_tenants_ports",
     NAT_BASE TENANT_A_NAT(NAT(NAT_PUB "    ports = \"1024-32767\"\n" NAT_STATIC(
         "\"tcp\"", "\"198.18.0.10:40000\" #<<", "\"10.1.1.10:80\"")))
         TENANT_B_NAT(NAT(NAT_PUB "    ports = \"32768-65535\"\n")),
     "tenant \"contoso\" nat static_mapping public: port 40000 of 198.18.0.10 is in the ports "
     "32768-65535 of tenant \"fabrikam\" (nat at line 50) on that address",
     -1},

};

/* Every key of a nat section set, with two static mappings. Tenant "fabrikam" has no NAT. */
static const char nat_full_text[] =
    "node {\n"
    "  roles = {\"gateway\"}\n"
    "  provider_addresses = {\"10.0.0.1\"}\n"
    "  max_nat_sessions = 1048576\n"
    "  nat_port_block = 256\n"
    "}\n" PORT_PA PORT_EXT /* lines 7..18 */
    "tenant \"contoso\" {\n"
    "  id = 1\n" SUBNET_WEB SUBNET_DB /* lines 21..32 */
    "  nat {\n"                       /* 33 */
    "    public_addresses = {\"198.18.0.10\", \"198.18.0.11\"}\n"
    "    ports = \"4096-8191\"\n"
    "    inside_prefixes = {\"10.1.0.0/16\", \"192.168.0.0/24\"}\n"
    "    destinations = {\"203.0.113.0/24\", \"0.0.0.0/0\"}\n"
    "    next_hop = \"10.99.0.2\"\n"
    "    filtering = \"Endpoint-Independent\"\n"
    "    max_sessions = 1000\n" /* 40 */
    "    max_ports = 500\n"
    "    tcp_established_timeout = 60\n"
    "    tcp_transitory_timeout = 30\n"
    "    udp_timeout = 20\n"
    "    icmp_timeout = 10\n"
    "    log = \"blocks\"\n"
    "    static_mapping {\n" /* 47: its public port is inside the tenant's own range */
    "      protocol = \"tcp\"\n"
    "      public = \"198.18.0.10:8080\"\n"
    "      inside = \"10.1.1.10:80\"\n"
    "    }\n"
    "    static_mapping {\n" /* 52 */
    "      protocol = \"udp\"\n"
    "      public = \"198.18.0.11:53\"\n"
    "      inside = \"192.168.0.5:5353\"\n"
    "    }\n"
    "  }\n"
    "}\n" TENANT_B;

/* Defaults of every nat key, and of the node's NAT keys. */
static void
test_nat_defaults(void **state)
{
    struct hnvgw_config *cfg = load_ok(NAT_CFG(NAT_PUB) TENANT_B);
    const struct config_nat *nat;
    char b[HNVGW_PFX_STRLEN];

    (void)state;
    assert_int_equal(cfg->max_nat_sessions, 262144);
    assert_int_equal(cfg->nat_port_block, 64);
    nat = cfg->tenants[0].nat;
    assert_non_null(nat);
    assert_null(cfg->tenants[1].nat);
    assert_int_equal(nat->line, 32);
    assert_int_equal(nat->n_public_ips, 1);
    assert_int_equal(nat->public_ips[0].family, HNVGW_AF_INET);
    assert_int_equal(nat->public_ips[0].v4, htonl(0xc612000a));
    assert_int_equal(nat->port_min, 1024);
    assert_int_equal(nat->port_max, 65535);
    /* The inside prefixes default to the tenant's subnets. */
    assert_int_equal(nat->n_inside_prefixes, 2);
    assert_string_equal(hnvgw_prefix_format(&nat->inside_prefixes[0], b), "10.1.1.0/24");
    assert_string_equal(hnvgw_prefix_format(&nat->inside_prefixes[1], b), "10.1.2.0/24");
    assert_int_equal(nat->n_destinations, 1);
    assert_string_equal(hnvgw_prefix_format(&nat->destinations[0], b), "0.0.0.0/0");
    assert_int_equal(nat->destinations[0].addr.family, HNVGW_AF_INET);
    assert_false(nat->has_next_hop);
    assert_int_equal(nat->filtering, CONFIG_NAT_FILTER_ADDRESS);
    assert_int_equal(nat->max_sessions, 65536);
    assert_int_equal(nat->max_ports, 16384);
    assert_int_equal(nat->tcp_established_timeout, 7440);
    assert_int_equal(nat->tcp_transitory_timeout, 240);
    assert_int_equal(nat->udp_timeout, 300);
    assert_int_equal(nat->icmp_timeout, 60);
    assert_int_equal(nat->log, CONFIG_NAT_LOG_MAPPINGS);
    assert_int_equal(nat->n_statics, 0);
    config_destroy(cfg);

    /* "none" and the smallest legal block. */
    cfg =
        load_ok("node {\n  roles = {\"gateway\"}\n  nat_port_block = 8\n}\n" PORT_EXT TENANT_A_NAT(
            NAT(NAT_PUB "    ports = \"8-15\"\n    log = \"NONE\"\n")));
    assert_int_equal(cfg->nat_port_block, 8);
    assert_int_equal(cfg->tenants[0].nat->port_min, 8);
    assert_int_equal(cfg->tenants[0].nat->port_max, 15);
    assert_int_equal(cfg->tenants[0].nat->log, CONFIG_NAT_LOG_NONE);
    config_destroy(cfg);
}

/* Every nat key parsed. */
static void
test_nat_full(void **state)
{
    struct hnvgw_config *cfg = load_ok(nat_full_text);
    const struct config_nat *nat = cfg->tenants[0].nat;
    char b[HNVGW_PFX_STRLEN];

    (void)state;
    assert_int_equal(cfg->max_nat_sessions, 1048576);
    assert_int_equal(cfg->nat_port_block, 256);
    assert_non_null(nat);
    assert_null(cfg->tenants[1].nat);
    assert_int_equal(nat->line, 33);
    assert_int_equal(nat->n_public_ips, 2);
    assert_int_equal(nat->public_ips[1].v4, htonl(0xc612000b));
    assert_int_equal(nat->port_min, 4096);
    assert_int_equal(nat->port_max, 8191);
    assert_int_equal(nat->n_inside_prefixes, 2);
    assert_string_equal(hnvgw_prefix_format(&nat->inside_prefixes[0], b), "10.1.0.0/16");
    assert_string_equal(hnvgw_prefix_format(&nat->inside_prefixes[1], b), "192.168.0.0/24");
    assert_int_equal(nat->n_destinations, 2);
    assert_string_equal(hnvgw_prefix_format(&nat->destinations[0], b), "203.0.113.0/24");
    assert_string_equal(hnvgw_prefix_format(&nat->destinations[1], b), "0.0.0.0/0");
    assert_true(nat->has_next_hop);
    assert_int_equal(nat->next_hop.v4, htonl(0x0a630002));
    assert_int_equal(nat->filtering, CONFIG_NAT_FILTER_ENDPOINT);
    assert_int_equal(nat->max_sessions, 1000);
    assert_int_equal(nat->max_ports, 500);
    assert_int_equal(nat->tcp_established_timeout, 60);
    assert_int_equal(nat->tcp_transitory_timeout, 30);
    assert_int_equal(nat->udp_timeout, 20);
    assert_int_equal(nat->icmp_timeout, 10);
    assert_int_equal(nat->log, CONFIG_NAT_LOG_BLOCKS);
    assert_int_equal(nat->n_statics, 2);
    assert_int_equal(nat->statics[0].protocol, IPPROTO_TCP);
    assert_int_equal(nat->statics[0].public_ip.v4, htonl(0xc612000a));
    assert_int_equal(nat->statics[0].public_port, 8080);
    assert_int_equal(nat->statics[0].inside_ip.v4, htonl(0x0a01010a));
    assert_int_equal(nat->statics[0].inside_port, 80);
    assert_int_equal(nat->statics[0].line, 47);
    assert_int_equal(nat->statics[1].protocol, IPPROTO_UDP);
    assert_int_equal(nat->statics[1].public_ip.v4, htonl(0xc612000b));
    assert_int_equal(nat->statics[1].public_port, 53);
    assert_int_equal(nat->statics[1].inside_ip.v4, htonl(0xc0a80005));
    assert_int_equal(nat->statics[1].inside_port, 5353);
    assert_int_equal(nat->statics[1].line, 52);
    config_destroy(cfg);
}

/* Two tenants may share a public address when their port ranges do not overlap; static mappings
 * may use the same public port under another protocol. */
static void
test_nat_shared_address(void **state)
{
    struct hnvgw_config *cfg = load_ok(
        NAT_BASE TENANT_A_NAT(NAT("    public_addresses = {\"198.18.0.10\", \"198.18.0.11\"}\n"
                                  "    ports = \"1024-32767\"\n" NAT_STATIC(
                                      "\"tcp\"", "\"198.18.0.10:80\"", "\"10.1.1.10:80\"")))
            TENANT_B_NAT(NAT(NAT_PUB "    ports = \"32768-65535\"\n" NAT_STATIC(
                "\"udp\"", "\"198.18.0.10:80\"", "\"10.1.1.10:80\"") NAT_STATIC("\"tcp\"",
                                                                                "\"198.18.0.10:"
                                                                                "40000\"",
                                                                                "\"10.1.1.10:"
                                                                                "80\""))));

    (void)state;
    assert_non_null(cfg->tenants[0].nat);
    assert_non_null(cfg->tenants[1].nat);
    assert_int_equal(cfg->tenants[0].nat->port_max, 32767);
    assert_int_equal(cfg->tenants[1].nat->port_min, 32768);
    assert_int_equal(cfg->tenants[1].nat->n_statics, 2);
    assert_int_equal(cfg->tenants[1].nat->statics[1].public_port, 40000);
    config_destroy(cfg);
}

/* policy_config_clone() copies the nat section and its arrays; no nat stays NULL. */
static void
test_nat_clone(void **state)
{
    struct hnvgw_config *cfg = load_ok(nat_full_text), *c = policy_config_clone(cfg);
    const struct config_nat *a = cfg->tenants[0].nat, *b;

    (void)state;
    assert_non_null(c);
    b = c->tenants[0].nat;
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    assert_null(c->tenants[1].nat);
    assert_int_equal(b->n_public_ips, a->n_public_ips);
    assert_memory_equal(b->public_ips, a->public_ips, sizeof a->public_ips);
    assert_int_equal(b->port_min, a->port_min);
    assert_int_equal(b->port_max, a->port_max);
    assert_true(b->has_next_hop);
    assert_memory_equal(&b->next_hop, &a->next_hop, sizeof a->next_hop);
    assert_int_equal(b->filtering, a->filtering);
    assert_int_equal(b->max_sessions, a->max_sessions);
    assert_int_equal(b->udp_timeout, a->udp_timeout);
    assert_int_equal(b->log, a->log);
    assert_int_equal(b->line, a->line);
    assert_int_equal(b->n_inside_prefixes, 2);
    assert_ptr_not_equal(b->inside_prefixes, a->inside_prefixes);
    assert_memory_equal(b->inside_prefixes, a->inside_prefixes, 2 * sizeof *a->inside_prefixes);
    assert_int_equal(b->n_destinations, 2);
    assert_ptr_not_equal(b->destinations, a->destinations);
    assert_memory_equal(b->destinations, a->destinations, 2 * sizeof *a->destinations);
    assert_int_equal(b->n_statics, 2);
    assert_ptr_not_equal(b->statics, a->statics);
    assert_memory_equal(b->statics, a->statics, 2 * sizeof *a->statics);
    assert_int_equal(c->max_nat_sessions, cfg->max_nat_sessions);
    assert_int_equal(c->nat_port_block, cfg->nat_port_block);
    /* The copy outlives the original. */
    config_destroy(cfg);
    assert_int_equal(b->statics[1].public_port, 53);
    assert_int_equal(b->inside_prefixes[1].plen, 24);
    config_destroy(c);
}

/* Appends printf-formatted text to 'buf' of 'size' bytes. */
static void __attribute__((format(printf, 3, 4)))
append(char *buf, size_t size, const char *fmt, ...)
{
    size_t len = strlen(buf);
    va_list ap;

    va_start(ap, fmt);
    assert_true((size_t)vsnprintf(buf + len, size - len, fmt, ap) < size - len);
    va_end(ap);
}

/* The data plane's limits: 64 inside prefixes per tenant (given or by default) and 256 distinct
 * public addresses per node. */
static void
test_nat_limits(void **state)
{
    enum { SIZE = 32768 };
    char *text = calloc(1, SIZE);

    (void)state;
    assert_non_null(text);

    /* 65 inside prefixes listed. */
    append(text, SIZE, "%s",
           NAT_BASE "tenant \"contoso\" {\n  id = 1\n" SUBNET_WEB SUBNET_DB "  nat {\n" NAT_PUB
                    "    inside_prefixes = {");
    for (int i = 0; i < 65; i++) {
        append(text, SIZE, "\"10.%d.0.0/16\"%s", i, i == 64 ? "} #<<\n" : ",\n");
    }
    append(text, SIZE, "  }\n}\n");
    expect_bad(text, -1, "tenant \"contoso\" nat inside_prefixes: more than 64 prefixes");

    /* 65 subnets and no inside_prefixes: the default is too long. */
    text[0] = '\0';
    append(text, SIZE, "%s", NAT_BASE "tenant \"big\" {\n  id = 9\n");
    for (int i = 0; i < 65; i++) {
        append(text, SIZE,
               "  subnet \"s%d\" { vsid = %d  prefix = \"10.200.%d.0/24\"  gateway_ip = "
               "\"10.200.%d.1\"  gateway_mac = \"02:00:00:00:09:01\" }\n",
               i, 7000 + i, i, i);
    }
    append(text, SIZE, "  nat { #<<\n" NAT_PUB "  }\n}\n");
    expect_bad(text, -1,
               "tenant \"big\" nat inside_prefixes: the default, the tenant's 65 subnet prefixes, "
               "is more than 64: list the inside prefixes");

    /* 16 tenants of 16 addresses fill the node; one more address is refused. */
    text[0] = '\0';
    append(text, SIZE, "%s", NAT_BASE);
    for (int t = 0; t < 17; t++) {
        append(text, SIZE,
               "tenant \"t%d\" {\n  id = %d\n  subnet \"s\" { vsid = %d  prefix = \"10.1.1.0/24\"  "
               "gateway_ip = \"10.1.1.1\"  gateway_mac = \"02:00:00:00:09:01\" }\n"
               "  nat {\n    public_addresses = {",
               t, t + 1, 8000 + t);
        for (int k = 0; k < (t < 16 ? 16 : 1); k++) {
            append(text, SIZE, "%s\"198.18.%d.%d\"", k ? ", " : "", t, k + 1);
        }
        append(text, SIZE, "}%s\n  }\n}\n", t == 16 ? " #<<" : "");
    }
    expect_bad(text, -1,
               "tenant \"t16\" nat public_addresses: 198.18.16.1 is more than the 256 distinct "
               "public addresses a node supports");

    /* Exactly 256, shared by a 17th tenant on other ports, load. */
    text[0] = '\0';
    append(text, SIZE, "%s", NAT_BASE);
    for (int t = 0; t < 17; t++) {
        append(text, SIZE,
               "tenant \"t%d\" {\n  id = %d\n  subnet \"s\" { vsid = %d  prefix = \"10.1.1.0/24\"  "
               "gateway_ip = \"10.1.1.1\"  gateway_mac = \"02:00:00:00:09:01\" }\n"
               "  nat {\n    ports = \"%s\"\n    public_addresses = {",
               t, t + 1, 8000 + t, t < 16 ? "1024-32767" : "32768-65535");
        for (int k = 0; k < (t < 16 ? 16 : 1); k++) {
            append(text, SIZE, "%s\"198.18.%d.%d\"", k ? ", " : "", t < 16 ? t : 0, k + 1);
        }
        append(text, SIZE, "}\n  }\n}\n");
    }
    config_destroy(load_ok(text));
    free(text);
}

int
main(void)
{
    /* clang-format off */
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_nat_defaults),
        cmocka_unit_test(test_nat_full),
        cmocka_unit_test(test_nat_shared_address),
        cmocka_unit_test(test_nat_clone),
        cmocka_unit_test(test_nat_limits),
    };
    /* clang-format on */

    return config_fixture_run("config_nat", fixed, sizeof fixed / sizeof fixed[0], bad_cases,
                              sizeof bad_cases / sizeof bad_cases[0]);
}
