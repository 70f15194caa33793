/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the configuration module: syntax, the file as a whole, a full config, the shipped
 * config, the enum names and the address helpers. */
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

#include "dataplane/addr.h"
#include "tests/gateway/config/config_fixture.h"

/* ---- Invalid configurations: one case per rule ---- */

static const struct bad_case bad_cases[] = {
    /* Syntax and structure, as reported by libconfuse. */
    {"unknown_key", BASE "port \"vm9\" {\n  speed = 10 #<<\n}\n", "port \"vm9\" speed: unknown key",
     -1},
    {"unknown_section", BASE "router { #<<\n}\n", "router: unknown key or section", -1},
    {"unknown_root_key", BASE "bogus_key = 1 #<<\n", "bogus_key: unknown key or section", -1},
    {"unknown_key_in_subnet",
     NODE_GW PORT_PA
     "tenant \"t\" {\n  id = 3\n  subnet \"s\" {\n    colour = \"red\" #<<\n  }\n}\n",
     "tenant \"t\" subnet \"s\" colour: unknown key", -1},
    {"premature_eof", BASE "tenant \"x\" {\n  id = 4\n#<<",
     "syntax: premature end of file: the '{' at line 33 is not closed", -1},
    {"premature_eof_list",
     BASE "tenant \"x\" {\n  id = 4\n  forward_prefixes = {\"10.0.0.0/8\",\n}\n#<<",
     "syntax: premature end of file: the '{' at line 33 is not closed", -1},
    {"unexpected_brace", BASE "} #<<\n", "unexpected closing brace", -1},
    {"not_an_integer", "node {\n  roles = {\"gateway\"}\n  workers = two #<<\n}\n" PORT_PA,
     "node workers: not an integer", -1},
    {"missing_equal", "node {\n  roles {\"gateway\"} #<<\n}\n", "node roles: expected '='", -1},
    {"key_twice",
     "# comment\nnode {\n  roles = {\"gateway\"}\n  workers = 1\n  workers = 2 #<<\n}\n",
     "node workers: set twice (first at line 4)", -1},
    {"unterminated_string",
     BASE "tenant \"x\" {\n  id = 4\n}\nlookup_records_file = \"/tmp/x #<<\n",
     "syntax: unterminated string", -1},
    {"unterminated_comment", BASE "/* never closed #<<\n", "unterminated /* comment", -1},
    {"hidden_line_key", BASE "tenant \"x\" {\n  __line__ = 3 #<<\n}\n", "__line__: unknown key",
     -1},
    {"lines_after_comments",
     "# one\n// two\n/* three\n   four */\nnode {\n  roles = {\"gateway\"}\n  # five\n"
     "  icmp_rate = 0 #<<\n}\n",
     "node icmp_rate: 0 is out of range 1..100000", -1},

};

/* A full gateway config: every parsed value. */
static void
test_full_config(void **state)
{
    static const char text[] =
        "# A full config.\n"
        "node {\n"
        "  name = \"gw1\"\n"
        "  roles = {\"gateway\", \"HOST\"}\n"
        "  eal_args = {\"--in-memory\", \"--no-pci\", \"-l\", \"0-1\"}\n"
        "  workers = 2\n"
        "  control_socket = \"/tmp/hnvgw-test.sock\"\n"
        "  provider_addresses = {\"10.0.0.1\", \"10.0.0.3\"}\n"
        "  arp_timeout = 60\n"
        "  icmp_rate = 50\n"
        "  max_lookup_records = 1024\n"
        "  max_routes = 2048\n"
        "  max_subnets = 128\n"
        "  mbufs = 16384\n"
        "}\n"
        "port \"pa0\" {\n"
        "  kind = \"provider\"\n"
        "  devargs = \"net_tap0,iface=hnvpa0\"\n"
        "  mac = \"02:00:0a:00:00:01\"\n"
        "  address = \"10.0.0.1/24\"\n"
        "  vlan = 100\n"
        "  mtu = 9000\n"
        "  gateway = \"10.0.0.254\"\n"
        "  static_neighbors = {\"10.0.0.2=02:00:0a:00:00:02\"}\n"
        "}\n"
        "port \"ext0\" {\n"
        "  kind = \"External\"\n"
        "  devargs = \"net_tap1,iface=hnvext0\"\n"
        "  mac = \"02:00:0a:63:00:01\"\n"
        "  address = \"10.99.0.1/24\"\n"
        "}\n"
        "port \"vm1\" {\n"
        "  kind = \"vm\"\n"
        "  devargs = \"net_tap2,iface=vm1\"\n"
        "  mac = \"02:00:00:00:10:20\"\n"
        "  vsid = 5001\n"
        "  ca = \"10.1.1.20\"\n"
        "}\n" TENANT_A /* lines 39..53 */
        "tenant \"fabrikam\" {\n"
        "  id = 2\n"
        "  subnet \"web\" { vsid = 6001  prefix = \"10.1.1.0/24\"  gateway_ip = \"10.1.1.1\"  "
        "gateway_mac = \"02:00:00:00:03:01\" }\n"
        "  forward_prefixes = {\"10.2.0.0/16\"}\n"
        "  external_route {\n"
        "    prefix = \"10.99.0.0/24\"\n"
        "    next_hop = \"0.0.0.0\"\n"
        "  }\n"
        "  external_route {\n"
        "    prefix = \"0.0.0.0/0\"\n"
        "    next_hop = \"10.99.0.254\"\n"
        "    metric = 7\n"
        "  }\n"
        "}\n" /* line 67 */
        "lookup_record {\n"
        "  ca = \"10.1.1.10\"\n"
        "  vsid = 5001\n"
        "  pa = \"10.0.0.2\"\n"
        "  mac = \"02:00:00:00:10:10\"\n"
        "  rule = \"NAT\"\n"
        "  type = \"Dynamic\"\n"
        "}\n" /* 75 */
        "lookup_record {\n"
        "  ca = \"10.1.1.11\"\n"
        "  vsid = 5001\n"
        "  pa = \"10.0.0.2\"\n"
        "  mac = \"02:00:00:00:10:10\"\n"
        "}\n" /* 81: same MAC, another CA: allowed */
        "lookup_record {\n"
        "  vsid = 6001\n"
        "  pa = \"10.0.0.7\"\n"
        "  mac = \"02:00:00:00:70:01\"\n"
        "  type = \"gatewaywildcard\"\n"
        "}\n" /* 87 */
        "lookup_record {\n"
        "  ca = \"10.1.1.20\"\n"
        "  vsid = 5001\n"
        "  pa = \"10.0.0.3\"\n"
        "  mac = \"02:00:00:00:10:20\"\n"
        "}\n" /* 93: the local VM's own record, on one of this node's PAs */
        "customer_route {\n"
        "  tenant = \"contoso\"\n"
        "  vsid = 5001\n"
        "  prefix = \"0.0.0.0/0\"\n"
        "  next_hop = \"10.1.1.1\"\n"
        "  metric = 10\n"
        "}\n"
        "customer_route {\n"
        "  tenant = \"contoso\"\n"
        "  vsid = 5002\n"
        "  prefix = \"192.168.0.0/16\"\n"
        "  next_hop = \"0.0.0.0\"\n"
        "}\n";
    struct hnvgw_config *cfg = load_ok(text);
    char b[HNVGW_PFX_STRLEN];
    const struct config_subnet *sn = NULL;

    (void)state;
    assert_string_equal(cfg->node_name, "gw1");
    assert_int_equal(cfg->roles, CONFIG_ROLE_GATEWAY | CONFIG_ROLE_HOST);
    assert_int_equal(cfg->n_eal_args, 4);
    assert_string_equal(cfg->eal_args[2], "-l");
    assert_string_equal(cfg->eal_args[3], "0-1");
    assert_int_equal(cfg->workers, 2);
    assert_string_equal(cfg->control_socket, "/tmp/hnvgw-test.sock");
    assert_int_equal(cfg->n_pas, 2);
    assert_int_equal(cfg->pas[1].v4, htonl(0x0a000003));
    assert_int_equal(cfg->arp_timeout_s, 60);
    assert_int_equal(cfg->icmp_rate_per_s, 50);
    assert_int_equal(cfg->max_lookups, 1024);
    assert_int_equal(cfg->max_routes, 2048);
    assert_int_equal(cfg->max_subnets, 128);
    assert_int_equal(cfg->mbufs, 16384);

    assert_int_equal(cfg->n_ports, 3);
    assert_string_equal(cfg->ports[0].name, "pa0");
    assert_int_equal(cfg->ports[0].kind, CONFIG_PORT_PROVIDER);
    assert_string_equal(cfg->ports[0].devargs, "net_tap0,iface=hnvpa0");
    assert_int_equal(cfg->ports[0].mac.b[5], 1);
    assert_true(cfg->ports[0].has_address);
    assert_string_equal(hnvgw_prefix_format(&cfg->ports[0].address, b), "10.0.0.1/24");
    assert_int_equal(cfg->ports[0].vlan, 100);
    assert_int_equal(cfg->ports[0].mtu, 9000);
    assert_true(cfg->ports[0].has_gateway);
    assert_int_equal(cfg->ports[0].gateway.v4, htonl(0x0a0000fe));
    assert_int_equal(cfg->ports[0].n_static_neighbors, 1);
    assert_int_equal(cfg->ports[0].static_neighbors[0].ip.v4, htonl(0x0a000002));
    assert_int_equal(cfg->ports[0].static_neighbors[0].mac.b[5], 2);
    assert_int_equal(cfg->ports[0].line, 16);
    assert_int_equal(cfg->ports[1].kind, CONFIG_PORT_EXTERNAL);
    assert_int_equal(cfg->ports[1].mtu, 1500);
    assert_int_equal(cfg->ports[1].vlan, 0);
    assert_false(cfg->ports[1].has_gateway);
    assert_int_equal(cfg->ports[2].kind, CONFIG_PORT_VM);
    assert_int_equal(cfg->ports[2].vsid, 5001);
    assert_int_equal(cfg->ports[2].ca.v4, htonl(0x0a010114));
    assert_false(cfg->ports[2].has_address);

    assert_int_equal(cfg->n_tenants, 2);
    assert_string_equal(cfg->tenants[0].name, "contoso");
    assert_int_equal(cfg->tenants[0].id, 1);
    assert_int_equal(cfg->tenants[0].line, 39);
    assert_int_equal(cfg->tenants[0].n_subnets, 2);
    assert_string_equal(cfg->tenants[0].subnets[1].name, "db");
    assert_int_equal(cfg->tenants[0].subnets[1].vsid, 5002);
    assert_int_equal(cfg->tenants[0].subnets[1].line, 47);
    assert_string_equal(hnvgw_prefix_format(&cfg->tenants[0].subnets[1].prefix, b), "10.1.2.0/24");
    assert_int_equal(cfg->tenants[0].subnets[1].gateway_ip.v4, htonl(0x0a010201));
    assert_int_equal(cfg->tenants[0].subnets[1].gateway_mac.b[4], 2);
    assert_int_equal(cfg->tenants[0].n_forward_prefixes, 0);
    assert_int_equal(cfg->tenants[1].n_forward_prefixes, 1);
    assert_string_equal(hnvgw_prefix_format(&cfg->tenants[1].forward_prefixes[0], b),
                        "10.2.0.0/16");
    assert_int_equal(cfg->tenants[1].n_ext_routes, 2);
    assert_true(cfg->tenants[1].ext_routes[0].on_link);
    assert_false(cfg->tenants[1].ext_routes[1].on_link);
    assert_int_equal(cfg->tenants[1].ext_routes[1].next_hop.v4, htonl(0x0a6300fe));
    assert_int_equal(cfg->tenants[1].ext_routes[1].metric, 7);
    assert_int_equal(cfg->tenants[1].ext_routes[1].line, 62);

    assert_int_equal(cfg->n_lookups, 4);
    assert_int_equal(cfg->lookups[0].rule, CONFIG_RULE_NAT);
    assert_int_equal(cfg->lookups[0].type, CONFIG_TYPE_DYNAMIC);
    assert_int_equal(cfg->lookups[0].pa.v4, htonl(0x0a000002));
    assert_int_equal(cfg->lookups[0].line, 68);
    assert_false(cfg->lookups[0].bulk);
    assert_int_equal(cfg->lookups[1].rule, CONFIG_RULE_ENCAP);
    assert_int_equal(cfg->lookups[1].type, CONFIG_TYPE_STATIC);
    assert_int_equal(cfg->lookups[2].type, CONFIG_TYPE_GATEWAY_WILDCARD);
    assert_true(hnvgw_ip_is_zero(&cfg->lookups[2].ca));
    assert_int_equal(cfg->lookups[2].ca.family, HNVGW_AF_INET);

    assert_int_equal(cfg->n_routes, 2);
    assert_int_equal(cfg->routes[0].tenant_id, 1);
    assert_int_equal(cfg->routes[0].vsid, 5001);
    assert_int_equal(cfg->routes[0].prefix.plen, 0);
    assert_false(cfg->routes[0].on_link);
    assert_int_equal(cfg->routes[0].metric, 10);
    assert_true(cfg->routes[1].on_link);
    assert_int_equal(cfg->routes[1].metric, 0);
    assert_memory_equal(cfg->path, "/tmp/hnvgw_test_", 16);

    assert_ptr_equal(config_find_vsid(cfg, 6001, &sn), &cfg->tenants[1]);
    assert_ptr_equal(sn, &cfg->tenants[1].subnets[0]);
    assert_null(config_find_vsid(cfg, 4242, NULL));
    assert_ptr_equal(config_find_tenant(cfg, 2), &cfg->tenants[1]);
    assert_null(config_find_tenant(cfg, 3));
    config_destroy(cfg);
}

/* The shipped demo config loads. */
static void
test_shipped_config(void **state)
{
    char path[512], err[CONFIG_ERR_MAX];
    const char *src = __FILE__, *tail = strstr(src, "tests/gateway/config/");
    struct hnvgw_config *cfg = NULL;
    int ret;

    (void)state;
    snprintf(path, sizeof path, "%.*sconf/hnvgw.conf", tail ? (int)(tail - src) : 0, src);
    if (access(path, R_OK)) {
        fail_msg("%s: the shipped config is missing", path);
    }
    ret = config_load(path, &cfg, err);
    if (ret) {
        print_error("%s\n", err);
    }
    assert_int_equal(ret, 0);
    assert_string_equal(cfg->node_name, "gw1");
    assert_int_equal(cfg->n_ports, 2);
    assert_int_equal(cfg->n_tenants, 2);
    assert_int_equal(cfg->tenants[0].n_subnets, 2);
    assert_int_equal(cfg->tenants[1].n_subnets, 2);
    assert_int_equal(cfg->n_lookups, 4);
    config_destroy(cfg);
}

/* Files that cannot be read. */
static void
test_unreadable(void **state)
{
    char err[CONFIG_ERR_MAX];
    struct hnvgw_config *cfg = NULL;

    (void)state;
    assert_int_equal(config_load("/nonexistent/hnvgw.conf", &cfg, err), ENOENT);
    assert_null(cfg);
    assert_string_equal(err,
                        "/nonexistent/hnvgw.conf:0: file: cannot read: No such file or directory");
    config_destroy(NULL);
}

static void
test_names(void **state)
{
    (void)state;
    assert_string_equal(config_rule_name(CONFIG_RULE_ENCAP), "Encap");
    assert_string_equal(config_rule_name(CONFIG_RULE_NAT), "NAT");
    assert_string_equal(config_type_name(CONFIG_TYPE_STATIC), "Static");
    assert_string_equal(config_type_name(CONFIG_TYPE_GATEWAY_WILDCARD), "GatewayWildcard");
    assert_string_equal(config_type_name((enum config_lookup_type)9), "?");
    assert_string_equal(config_port_kind_name(CONFIG_PORT_PROVIDER), "provider");
    assert_string_equal(config_port_kind_name(CONFIG_PORT_VM), "vm");
}

/* ---- Address helpers ---- */

static void
test_addr_ip(void **state)
{
    struct hnvgw_ip ip, untouched = hnvgw_ip4(htonl(0x01020304));
    char b[HNVGW_IP_STRLEN];

    (void)state;
    assert_true(hnvgw_ip_parse("10.1.2.3", &ip));
    assert_int_equal(ip.family, HNVGW_AF_INET);
    assert_int_equal(ip.v4, htonl(0x0a010203));
    assert_string_equal(hnvgw_ip_format(&ip, b), "10.1.2.3");
    assert_true(hnvgw_ip_parse("fd00::1", &ip));
    assert_int_equal(ip.family, HNVGW_AF_INET6);
    assert_string_equal(hnvgw_ip_format(&ip, b), "fd00::1");
    ip = untouched;
    assert_false(hnvgw_ip_parse("10.1.2", &ip));
    assert_false(hnvgw_ip_parse("10.1.2.256", &ip));
    assert_false(hnvgw_ip_parse("", &ip));
    assert_memory_equal(&ip, &untouched, sizeof ip);
    assert_true(hnvgw_ip_is_zero(&(struct hnvgw_ip){.family = HNVGW_AF_INET}));
}

static void
test_addr_prefix(void **state)
{
    struct hnvgw_prefix a, b2;
    struct hnvgw_ip ip = hnvgw_ip4(htonl(0x0a0101fe));
    char b[HNVGW_PFX_STRLEN];

    (void)state;
    assert_true(hnvgw_prefix_parse("10.1.1.0/24", &a));
    assert_int_equal(a.plen, 24);
    assert_string_equal(hnvgw_prefix_format(&a, b), "10.1.1.0/24");
    assert_true(hnvgw_prefix_is_canonical(&a));
    assert_true(hnvgw_prefix_contains(&a, &ip));
    ip.v4 = htonl(0x0a0102fe);
    assert_false(hnvgw_prefix_contains(&a, &ip));
    assert_true(hnvgw_prefix_parse("10.1.1.5/24", &b2));
    assert_false(hnvgw_prefix_is_canonical(&b2));
    assert_true(hnvgw_prefix_parse("10.1.0.0/16", &b2));
    assert_true(hnvgw_prefix_overlaps(&a, &b2));
    assert_true(hnvgw_prefix_parse("10.2.0.0/16", &b2));
    assert_false(hnvgw_prefix_overlaps(&a, &b2));
    assert_true(hnvgw_prefix_parse("0.0.0.0/0", &b2));
    assert_true(hnvgw_prefix_overlaps(&a, &b2));
    assert_true(hnvgw_prefix_parse("fd00::/64", &b2));
    assert_int_equal(b2.addr.family, HNVGW_AF_INET6);
    assert_false(hnvgw_prefix_overlaps(&a, &b2));
    assert_false(hnvgw_prefix_parse("10.1.1.0", &b2));
    assert_false(hnvgw_prefix_parse("10.1.1.0/33", &b2));
    assert_false(hnvgw_prefix_parse("10.1.1.0/", &b2));
    assert_false(hnvgw_prefix_parse("10.1.1.0/24x", &b2));
}

static void
test_addr_mac(void **state)
{
    struct hnvgw_mac m;
    char b[HNVGW_MAC_STRLEN];

    (void)state;
    assert_true(hnvgw_mac_parse("02:00:0A:63:00:01", &m));
    assert_string_equal(hnvgw_mac_format(&m, b), "02:00:0a:63:00:01");
    assert_true(hnvgw_mac_parse("02-00-0a-63-00-02", &m));
    assert_int_equal(m.b[5], 2);
    assert_false(hnvgw_mac_parse("02:00:0a:63:00", &m));
    assert_false(hnvgw_mac_parse("02:00:0a:63:00:01:ff", &m));
    assert_false(hnvgw_mac_parse("zz:00:0a:63:00:01", &m));
    assert_true(hnvgw_mac_is_zero(&(struct hnvgw_mac){{0}}));
}

int
main(void)
{
    /* clang-format off */
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_full_config),
        cmocka_unit_test(test_shipped_config),
        cmocka_unit_test(test_unreadable),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_addr_ip),
        cmocka_unit_test(test_addr_prefix),
        cmocka_unit_test(test_addr_mac),
    };
    /* clang-format on */

    return config_fixture_run("config_load", fixed, sizeof fixed / sizeof fixed[0], bad_cases,
                              sizeof bad_cases / sizeof bad_cases[0]);
}
