/* Unit tests of the configuration module (gateway/config.c) and the address helpers it uses.
 *
 * Every invalid-config case is a whole file written from a string literal. The line the error must
 * name is marked in the literal with a "#<<" comment (comments must not shift line numbers), or
 * given explicitly for errors about the file as a whole (line 0). */
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
#include "gateway/config.h"
#include "gateway/policy.h"

/* ---- Building blocks of test configs ---- */

#define NODE_GW                                                                                    \
    "node {\n"                                                                                     \
    "  name = \"gw1\"\n"                                                                           \
    "  roles = {\"gateway\"}\n"                                                                    \
    "  provider_addresses = {\"10.0.0.1\"}\n"                                                      \
    "}\n"
#define NODE_HOST                                                                                  \
    "node {\n"                                                                                     \
    "  name = \"host1\"\n"                                                                         \
    "  roles = {\"host\"}\n"                                                                       \
    "  provider_addresses = {\"10.0.0.2\"}\n"                                                      \
    "}\n"
#define PORT_PA                                                                                    \
    "port \"pa0\" {\n"                                                                             \
    "  kind = \"provider\"\n"                                                                      \
    "  devargs = \"net_tap0,iface=hnvpa0\"\n"                                                      \
    "  mac = \"02:00:0a:00:00:01\"\n"                                                              \
    "  address = \"10.0.0.1/24\"\n"                                                                \
    "}\n"
#define PORT_PA_HOST                                                                               \
    "port \"pa0\" {\n"                                                                             \
    "  kind = \"provider\"\n"                                                                      \
    "  devargs = \"net_tap0,iface=hpa0\"\n"                                                        \
    "  mac = \"02:00:0a:00:00:02\"\n"                                                              \
    "  address = \"10.0.0.2/24\"\n"                                                                \
    "}\n"
#define PORT_EXT                                                                                   \
    "port \"ext0\" {\n"                                                                            \
    "  kind = \"external\"\n"                                                                      \
    "  devargs = \"net_tap1,iface=hnvext0\"\n"                                                     \
    "  mac = \"02:00:0a:63:00:01\"\n"                                                              \
    "  address = \"10.99.0.1/24\"\n"                                                               \
    "}\n"
#define SUBNET_WEB                                                                                 \
    "  subnet \"web\" {\n"                                                                         \
    "    vsid = 5001\n"                                                                            \
    "    prefix = \"10.1.1.0/24\"\n"                                                               \
    "    gateway_ip = \"10.1.1.1\"\n"                                                              \
    "    gateway_mac = \"02:00:00:00:01:01\"\n"                                                    \
    "  }\n"
#define SUBNET_DB                                                                                  \
    "  subnet \"db\" {\n"                                                                          \
    "    vsid = 5002\n"                                                                            \
    "    prefix = \"10.1.2.0/24\"\n"                                                               \
    "    gateway_ip = \"10.1.2.1\"\n"                                                              \
    "    gateway_mac = \"02:00:00:00:02:01\"\n"                                                    \
    "  }\n"
#define TENANT_A "tenant \"contoso\" {\n  id = 1\n" SUBNET_WEB SUBNET_DB "}\n"
#define TENANT_B                                                                                   \
    "tenant \"fabrikam\" {\n"                                                                      \
    "  id = 2\n"                                                                                   \
    "  subnet \"web\" {\n"                                                                         \
    "    vsid = 6001\n"                                                                            \
    "    prefix = \"10.1.1.0/24\"\n"                                                               \
    "    gateway_ip = \"10.1.1.1\"\n"                                                              \
    "    gateway_mac = \"02:00:00:00:03:01\"\n"                                                    \
    "  }\n"                                                                                        \
    "}\n"
/* A valid gateway config to append cases to. */
#define BASE NODE_GW PORT_PA PORT_EXT TENANT_A
/* A valid host config (vm ports allowed). */
#define BASE_HOST NODE_HOST PORT_PA_HOST TENANT_A
#define Q(s)      "\"" s "\""
/* A lookup record from the four values as written (quoted where needed; may end in "#<<"). */
#define LREC(ca, vsid, pa, mac)                                                                    \
    "lookup_record {\n  ca = " ca "\n  vsid = " vsid "\n  pa = " pa "\n  mac = " mac "\n}\n"
#define LOOKUP(ca, vsid, pa, mac) LREC(Q(ca), vsid, Q(pa), Q(mac))

/* NAT: node, provider and external port (lines 1..17), then tenants with a nat section. Tenant
 * "contoso" opens at line 18 and its 'nat' text starts at line 32. */
#define NAT_BASE          NODE_GW PORT_PA PORT_EXT
#define TENANT_A_NAT(nat) "tenant \"contoso\" {\n  id = 1\n" SUBNET_WEB SUBNET_DB nat "}\n"
/* Tenant "fabrikam" (subnet 10.1.1.0/24, vsid 6001) with 'nat' starting 8 lines after it. */
#define TENANT_B_NAT(nat)                                                                          \
    "tenant \"fabrikam\" {\n"                                                                      \
    "  id = 2\n"                                                                                   \
    "  subnet \"web\" {\n"                                                                         \
    "    vsid = 6001\n"                                                                            \
    "    prefix = \"10.1.1.0/24\"\n"                                                               \
    "    gateway_ip = \"10.1.1.1\"\n"                                                              \
    "    gateway_mac = \"02:00:00:00:03:01\"\n"                                                    \
    "  }\n" nat "}\n"
#define NAT(keys) "  nat {\n" keys "  }\n"
#define NAT_PUB   "    public_addresses = {\"198.18.0.10\"}\n"
/* A static_mapping from the three values as written (quoted where needed; may end in "#<<"). */
#define NAT_STATIC(proto, pub, in)                                                                 \
    "    static_mapping {\n      protocol = " proto "\n      public = " pub "\n      inside = " in \
    "\n    }\n"
/* A config whose tenant "contoso" has a nat section with 'keys'. */
#define NAT_CFG(keys) NAT_BASE TENANT_A_NAT(NAT(keys))
/* A config whose tenant "contoso" has a routing section with 'keys' (from line 32). */
#define ROUTING_CFG(keys) NAT_BASE TENANT_A_NAT("  routing {\n" keys "  }\n")
#define ROUTING_MIN       "    asn = 65001\n    router_id = \"10.1.1.1\"\n"
/* VPN: tenant "contoso" gets a vpn section from line 32: local_address on 33, the first tunnel
 * opens at line 34 and its keys start at line 35. */
#define VPN(tunnels)     "  vpn {\n    local_address = \"198.18.0.20\"\n" tunnels "  }\n"
#define TUN(title, keys) "    tunnel " title " {\n" keys "    }\n"
#define TUN_PSK          "      psk = \"Zx8-kQ2!mP5#tR7w\"\n"
#define TUN_REMOTE       "      remote_address = \"198.18.1.1\"\n"
#define TUN_RTS          "      remote_ts = {\"172.16.1.0/24\"}\n"
#define TUN_MIN          TUN_REMOTE TUN_PSK TUN_RTS
/* A config whose tenant "contoso" has a vpn section with one tunnel "site1" of 'keys'. */
#define VPN_CFG(keys) NAT_BASE TENANT_A_NAT(VPN(TUN("\"site1\"", keys)))
/* Same, with the tunnel's keys after the minimal ones. */
#define VPN_CFG_MIN(keys) VPN_CFG(TUN_MIN keys)
#define TUN_M(title)      TUN(title, TUN_MIN)
#define TUN_R(title)      TUN(title, TUN_REMOTE TUN_PSK "      mode = route\n")
/* Fifteen tunnels t1..t15 made by T(title). */
/* clang-format off */
#define TUN15(T) T("t1") T("t2") T("t3") T("t4") T("t5") T("t6") T("t7") T("t8") T("t9") \
    T("t10") T("t11") T("t12") T("t13") T("t14") T("t15")
/* clang-format on */

/* ---- Helpers ---- */

/* Writes 'text' to a new temporary file; returns its path (free it) or NULL. */
static char *
write_tmp(const char *text)
{
    char *path = strdup("/tmp/hnvgw_test_XXXXXX");
    int fd;
    size_t len = strlen(text);

    assert_non_null(path);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

/* Loads 'text' as a config file; returns config_load()'s result. 'path_out', if not NULL,
 * receives the file's name (the file is removed either way). */
static int
load_text(const char *text, struct hnvgw_config **cfg, char *err, char *path_out)
{
    char *path = write_tmp(text);
    int ret = config_load(path, cfg, err);

    if (path_out) {
        snprintf(path_out, 64, "%s", path);
    }
    unlink(path);
    free(path);
    return ret;
}

/* Loads 'text', which must be valid, and returns the config. */
static struct hnvgw_config *
load_ok(const char *text)
{
    char err[CONFIG_ERR_MAX];
    struct hnvgw_config *cfg = NULL;
    int ret = load_text(text, &cfg, err, NULL);

    if (ret) {
        print_error("unexpected error: %s\n", err);
    }
    assert_int_equal(ret, 0);
    assert_non_null(cfg);
    return cfg;
}

/* Line of the "#<<" marker in 'text', or -1. */
static int
marker_line(const char *text)
{
    const char *m = strstr(text, "#<<");
    int line = 1;

    if (!m) {
        return -1;
    }
    for (const char *p = text; p < m; p++) {
        line += *p == '\n';
    }
    return line;
}

/* One invalid configuration. */
struct bad_case {
    const char *name;   /* Test name. */
    const char *text;   /* The file. */
    const char *needle; /* Must appear in the message after "file:line: ", e.g. the field. */
    int line;           /* Expected line when the text has no "#<<" marker. */
};

/* Asserts that 'text' fails to load with "FILE:LINE: " then 'needle' in the message. */
static void
expect_bad(const char *text, int line, const char *needle)
{
    char err[CONFIG_ERR_MAX], path[64], prefix[96];
    struct hnvgw_config *cfg = (struct hnvgw_config *)&cfg; /* Must be reset to NULL. */
    int ret = load_text(text, &cfg, err, path);
    int mark = marker_line(text);

    if (mark >= 0) {
        line = mark;
    }
    snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
    if (ret == 0 || strncmp(err, prefix, strlen(prefix)) || !strstr(err, needle) ||
        strchr(err, '\n')) {
        print_error("expected \"%s...%s\"\n     got \"%s\" (ret %d)\n", prefix, needle,
                    ret ? err : "success", ret);
        if (ret == 0) {
            config_destroy(cfg);
        }
        fail();
    }
    assert_null(cfg);
}

static void
run_bad_case(void **state)
{
    const struct bad_case *c = *state;

    expect_bad(c->text, c->line, c->needle);
}

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

    /* port */
    {"no_port", NODE_GW TENANT_A, "port: at least one port is required", 0},
    {"port_kind_missing", BASE "port \"p1\" { #<<\n  devargs = \"net_null0\"\n}\n",
     "port \"p1\" kind: is required", -1},
    {"port_kind_bad", BASE "port \"p1\" {\n  kind = \"uplink\" #<<\n}\n",
     "port \"p1\" kind: 'uplink' is not provider, external or vm", -1},
    {"port_devargs_missing", BASE "port \"p1\" { #<<\n  kind = \"vm\"\n}\n",
     "port \"p1\" devargs: is required", -1},
    {"port_devargs_duplicate",
     BASE "port \"p1\" {\n  kind = \"vm\"\n  devargs = \"net_tap0,iface=hnvpa0\" #<<\n}\n",
     "port \"p1\" devargs: already used by port \"pa0\"", -1},
    {"port_name_duplicate", BASE "port \"pa0\" { #<<\n  kind = \"vm\"\n}\n",
     "port \"pa0\": name already used by the port at line 6", -1},
    {"port_name_bad", BASE "port \"p 1\" { #<<\n  kind = \"vm\"\n}\n", "port \"p 1\": a name is",
     -1},
    {"two_providers",
     BASE "port \"pa1\" {\n  kind = \"provider\" #<<\n  devargs = \"net_null0\"\n}\n",
     "port \"pa1\" kind: only one provider port is allowed; port \"pa0\" (line 6) is one", -1},
    {"two_externals",
     BASE "port \"ext1\" {\n  kind = \"external\" #<<\n  devargs = \"net_null0\"\n}\n",
     "port \"ext1\" kind: only one external port is allowed", -1},
    {"vm_port_needs_host_role",
     BASE "port \"vm1\" {\n  kind = \"vm\" #<<\n  devargs = \"net_null0\"\n"
          "  mac = \"02:00:00:00:10:10\"\n  vsid = 5001\n  ca = \"10.1.1.10\"\n}\n",
     "port \"vm1\" kind: vm ports need \"host\" in node roles", -1},
    {"port_mac_missing", BASE "port \"p1\" { #<<\n  kind = \"vm\"\n  devargs = \"net_null0\"\n}\n",
     "port \"p1\" mac: is required", -1},
    {"port_mac_bad",
     NODE_GW "port \"pa0\" {\n  kind = \"provider\"\n  devargs = \"x\"\n  mac = \"02:00:0a:00:01\" "
             "#<<\n}\n",
     "port \"pa0\" mac: '02:00:0a:00:01' is not a MAC address", -1},
    {"port_mac_multicast",
     NODE_GW "port \"pa0\" {\n  kind = \"provider\"\n  devargs = \"x\"\n  mac = "
             "\"01:00:5e:00:00:01\" #<<\n}\n",
     "port \"pa0\" mac: 01:00:5e:00:00:01 is a multicast or broadcast MAC", -1},
    {"port_mac_broadcast",
     NODE_GW "port \"pa0\" {\n  kind = \"provider\"\n  devargs = \"x\"\n  mac = "
             "\"ff:ff:ff:ff:ff:ff\" #<<\n}\n",
     "port \"pa0\" mac: ff:ff:ff:ff:ff:ff is a multicast or broadcast MAC", -1},
    {"port_vlan_range",
     NODE_GW
     "port \"pa0\" {\n  kind = \"provider\"\n  devargs = \"x\"\n  mac = \"02:00:0a:00:00:01\"\n"
     "  vlan = 4095 #<<\n}\n",
     "port \"pa0\" vlan: 4095 is out of range 0..4094", -1},
    {"port_mtu_range",
     NODE_GW
     "port \"pa0\" {\n  kind = \"provider\"\n  devargs = \"x\"\n  mac = \"02:00:0a:00:00:01\"\n"
     "  mtu = 100 #<<\n}\n",
     "port \"pa0\" mtu: 100 is out of range 576..9000", -1},
    {"port_address_missing",
     NODE_GW "port \"pa0\" { #<<\n  kind = \"provider\"\n  devargs = \"x\"\n  mac = "
             "\"02:00:0a:00:00:01\"\n}\n",
     "port \"pa0\" address: is required", -1},
    {"port_address_bad",
     NODE_GW
     "port \"pa0\" {\n  kind = \"provider\"\n  devargs = \"x\"\n  mac = \"02:00:0a:00:00:01\"\n"
     "  address = \"10.0.0.1\" #<<\n}\n",
     "port \"pa0\" address: '10.0.0.1' is not a prefix", -1},
    {"port_address_network",
     NODE_GW
     "port \"pa0\" {\n  kind = \"provider\"\n  devargs = \"x\"\n  mac = \"02:00:0a:00:00:01\"\n"
     "  address = \"10.0.0.0/24\" #<<\n}\n",
     "port \"pa0\" address: '10.0.0.0/24' is not a host address", -1},
    {"port_gateway_outside",
     NODE_GW
     "port \"pa0\" {\n  kind = \"provider\"\n  devargs = \"x\"\n  mac = \"02:00:0a:00:00:01\"\n"
     "  address = \"10.0.0.1/24\"\n  gateway = \"10.0.1.254\" #<<\n}\n",
     "port \"pa0\" gateway: 10.0.1.254 is not another host of 10.0.0.1/24", -1},
    {"port_vsid_on_provider",
     NODE_GW
     "port \"pa0\" {\n  kind = \"provider\"\n  devargs = \"x\"\n  mac = \"02:00:0a:00:00:01\"\n"
     "  vsid = 5001 #<<\n  address = \"10.0.0.1/24\"\n}\n",
     "port \"pa0\" vsid: not allowed on a provider or external port", -1},
    {"port_static_neighbor_bad",
     NODE_GW
     "port \"pa0\" {\n  kind = \"provider\"\n  devargs = \"x\"\n  mac = \"02:00:0a:00:00:01\"\n"
     "  address = \"10.0.0.1/24\"\n  static_neighbors = {\"10.0.0.2=02:00:0a:00:00:02\",\n"
     "    \"10.0.0.3\"} #<<\n}\n",
     "port \"pa0\" static_neighbors: '10.0.0.3' is not IP=MAC", -1},
    {"vm_address_forbidden",
     BASE_HOST "port \"vm1\" {\n  kind = \"vm\"\n  devargs = \"net_null0\"\n"
               "  mac = \"02:00:00:00:10:10\"\n  address = \"10.1.1.10/24\" #<<\n}\n",
     "port \"vm1\" address: not allowed on a vm port", -1},
    {"vm_vsid_missing",
     BASE_HOST "port \"vm1\" { #<<\n  kind = \"vm\"\n  devargs = \"net_null0\"\n"
               "  mac = \"02:00:00:00:10:10\"\n  ca = \"10.1.1.10\"\n}\n",
     "port \"vm1\" vsid: is required", -1},
    {"vm_vsid_unknown",
     BASE_HOST "port \"vm1\" {\n  kind = \"vm\"\n  devargs = \"net_null0\"\n"
               "  mac = \"02:00:00:00:10:10\"\n  vsid = 7777 #<<\n  ca = \"10.1.1.10\"\n}\n",
     "port \"vm1\" vsid: 7777 is not the VSID of any tenant's subnet", -1},
    {"vm_ca_outside",
     BASE_HOST "port \"vm1\" {\n  kind = \"vm\"\n  devargs = \"net_null0\"\n"
               "  mac = \"02:00:00:00:10:10\"\n  vsid = 5001\n  ca = \"10.1.2.10\" #<<\n}\n",
     "port \"vm1\" ca: 10.1.2.10 is outside subnet \"web\" (10.1.1.0/24) of vsid 5001", -1},
    {"vm_ca_twice",
     BASE_HOST "port \"vm1\" {\n  kind = \"vm\"\n  devargs = \"net_null0\"\n"
               "  mac = \"02:00:00:00:10:10\"\n  vsid = 5001\n  ca = \"10.1.1.10\"\n}\n"
               "port \"vm2\" {\n  kind = \"vm\"\n  devargs = \"net_null1\"\n"
               "  mac = \"02:00:00:00:10:11\"\n  vsid = 5001\n  ca = \"10.1.1.10\" #<<\n}\n",
     "port \"vm2\" ca: vsid 5001 ca 10.1.1.10 is already port \"vm1\"", -1},
    {"vm_record_foreign_pa",
     BASE_HOST "port \"vm1\" {\n  kind = \"vm\"\n  devargs = \"net_null0\"\n"
               "  mac = \"02:00:00:00:10:10\"\n  vsid = 5001\n  ca = \"10.1.1.10\"\n}\n"
               "lookup_record {\n  ca = \"10.1.1.10\"\n  vsid = 5001\n  pa = \"10.0.0.9\" #<<\n"
               "  mac = \"02:00:00:00:10:10\"\n}\n",
     "lookup_record pa: 10.0.0.9 is not a provider address of this node, but vm port \"vm1\"", -1},

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

    /* nat */
    {"nat_needs_external_port", NODE_GW PORT_PA TENANT_A_NAT("  nat { #<<\n" NAT_PUB "  }\n"),
     "tenant \"contoso\" nat: NAT needs an external port", -1},
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

    /* vpn */
    {"vpn_needs_external_port", NODE_GW PORT_PA TENANT_A_NAT("  vpn { #<<\n  }\n"),
     "tenant \"contoso\" vpn: VPN needs an external port", -1},
    {"vpn_needs_gateway_role", NODE_HOST PORT_PA_HOST PORT_EXT TENANT_A_NAT("  vpn { #<<\n  }\n"),
     "tenant \"contoso\" vpn: VPN needs \"gateway\" in node roles", -1},
    {"vpn_twice", NAT_BASE TENANT_A_NAT(VPN(TUN("s", TUN_MIN)) "  vpn { #<<\n  }\n"),
     "tenant \"contoso\" vpn: defined twice (first at line 32)", -1},
    {"vpn_unknown_key", NAT_BASE TENANT_A_NAT("  vpn {\n    ike = 2 #<<\n  }\n"),
     "tenant \"contoso\" vpn ike: unknown key", -1},
    {"vpn_local_address_missing", NAT_BASE TENANT_A_NAT("  vpn { #<<\n" TUN("s", TUN_MIN) "  }\n"),
     "tenant \"contoso\" vpn local_address: is required", -1},
    {"vpn_local_address_bad",
     NAT_BASE TENANT_A_NAT("  vpn {\n    local_address = \"198.18.0\" #<<\n  }\n"),
     "tenant \"contoso\" vpn local_address: '198.18.0' is not an IPv4 address", -1},
    {"vpn_local_address_ipv6",
     NAT_BASE TENANT_A_NAT("  vpn {\n    local_address = \"2001:db8::1\" #<<\n  }\n"),
     "tenant \"contoso\" vpn local_address: IPv6 is not supported yet", -1},
    {"vpn_local_address_multicast",
     NAT_BASE TENANT_A_NAT("  vpn {\n    local_address = \"239.1.1.1\" #<<\n  }\n"),
     "tenant \"contoso\" vpn local_address: 239.1.1.1 is not a unicast address", -1},
    {"vpn_local_address_port",
     NAT_BASE TENANT_A_NAT("  vpn {\n    local_address = \"10.99.0.1\" #<<\n  }\n"),
     "tenant \"contoso\" vpn local_address: 10.99.0.1 is the address of port \"ext0\"", -1},
    {"vpn_local_address_pa",
     NAT_BASE TENANT_A_NAT("  vpn {\n    local_address = \"10.0.0.1\" #<<\n  }\n"),
     "tenant \"contoso\" vpn local_address: 10.0.0.1 is", -1},
    {"vpn_local_address_nat_public",
     NAT_BASE TENANT_A_NAT(NAT(NAT_PUB) "  vpn {\n    local_address = \"198.18.0.10\" #<<\n  }\n"),
     "tenant \"contoso\" vpn local_address: 198.18.0.10 is a NAT public address of tenant "
     "\"contoso\" (nat at line 32)",
     -1},
    {"vpn_local_address_forward_prefix",
     NAT_BASE TENANT_A_NAT("  forward_prefixes = {\"198.18.0.0/24\"}\n"
                           "  vpn {\n    local_address = \"198.18.0.20\" #<<\n  }\n"),
     "tenant \"contoso\" vpn local_address: 198.18.0.20 is inside forward prefix 198.18.0.0/24 of "
     "tenant \"contoso\"",
     -1},
    {"vpn_local_address_shared",
     NAT_BASE TENANT_A_NAT(VPN(TUN("s", TUN_MIN)))
         TENANT_B_NAT("  vpn {\n    local_address = \"198.18.0.20\" #<<\n  }\n"),
     "tenant \"fabrikam\" vpn local_address: 198.18.0.20 is already the local_address of tenant "
     "\"contoso\" (vpn at line 32): IKE could not tell the tenants apart",
     -1},
    {"vpn_no_tunnel",
     NAT_BASE TENANT_A_NAT("  vpn { #<<\n    local_address = \"198.18.0.20\"\n  }\n"),
     "tenant \"contoso\" vpn: a vpn section needs at least one tunnel", -1},
    {"vpn_too_many_tunnels",
     NAT_BASE TENANT_A_NAT(VPN(TUN15(TUN_M) "    tunnel t16 { #<<\n" TUN_MIN "    }\n")),
     "tenant \"contoso\" vpn tunnel \"t16\": more than 15 tunnels in a tenant", -1},
    {"vpn_tunnel_duplicate",
     NAT_BASE TENANT_A_NAT(VPN(TUN("s", TUN_MIN) "    tunnel s { #<<\n" TUN_MIN "    }\n")),
     "tenant \"contoso\" vpn tunnel \"s\": name already used by the tunnel at line 34", -1},
    {"vpn_tunnel_bad_name",
     NAT_BASE TENANT_A_NAT(VPN("    tunnel \"a b\" { #<<\n" TUN_MIN "    }\n")),
     "tenant \"contoso\" vpn tunnel \"a b\": a name is 1..31", -1},
    {"vpn_tunnel_unknown_key", VPN_CFG_MIN("      ikev1 = true #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" ikev1: unknown key", -1},
    {"vpn_tunnel_key_twice", VPN_CFG_MIN("      dpd_delay = 10\n      dpd_delay = 20 #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" dpd_delay: set twice (first at line 38)", -1},
    {"vpn_remote_missing",
     NAT_BASE TENANT_A_NAT(VPN("    tunnel \"site1\" { #<<\n" TUN_PSK TUN_RTS "    }\n")),
     "tenant \"contoso\" vpn tunnel \"site1\" remote_address: is required", -1},
    {"vpn_remote_bad", VPN_CFG("      remote_address = \"peer.example\" #<<\n" TUN_PSK TUN_RTS),
     "tenant \"contoso\" vpn tunnel \"site1\" remote_address: 'peer.example' is not an IPv4 "
     "address",
     -1},
    {"vpn_remote_multicast", VPN_CFG("      remote_address = \"224.0.0.1\" #<<\n" TUN_PSK TUN_RTS),
     "tenant \"contoso\" vpn tunnel \"site1\" remote_address: 224.0.0.1 is not a unicast address",
     -1},
    {"vpn_remote_is_local", VPN_CFG("      remote_address = \"198.18.0.20\" #<<\n" TUN_PSK TUN_RTS),
     "tenant \"contoso\" vpn tunnel \"site1\" remote_address: 198.18.0.20 is the tenant's own "
     "local_address",
     -1},
    {"vpn_remote_any_initiate", VPN_CFG("      remote_address = \"%any\" #<<\n" TUN_PSK TUN_RTS),
     "tenant \"contoso\" vpn tunnel \"site1\" remote_address: %any needs start_action = respond",
     -1},
    {"vpn_remote_any_psk_needs_id",
     NAT_BASE TENANT_A_NAT(VPN("    tunnel site1 { #<<\n      remote_address = \"%any\"\n" TUN_PSK
                               "      start_action = respond\n" TUN_RTS "    }\n")),
     "tenant \"contoso\" vpn tunnel \"site1\" remote_id: is required with remote_address = "
     "\"%any\" and auth = psk",
     -1},
    {"vpn_local_id_empty", VPN_CFG_MIN("      local_id = \"\" #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" local_id: an identity is 1..255 characters", -1},
    {"vpn_remote_id_quote", VPN_CFG_MIN("      remote_id = 'C=DE, CN=\"x\"' #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" remote_id: only printable characters without", -1},
    {"vpn_auth_bad", VPN_CFG_MIN("      auth = eap #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" auth: 'eap' is not psk or pubkey", -1},
    {"vpn_psk_missing",
     NAT_BASE TENANT_A_NAT(VPN("    tunnel site1 { #<<\n" TUN_REMOTE TUN_RTS "    }\n")),
     "tenant \"contoso\" vpn tunnel \"site1\" psk: is required", -1},
    {"vpn_psk_short", VPN_CFG(TUN_REMOTE TUN_RTS "      psk = \"Sh0rt!key\" #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" psk: 9 characters is too weak: at least 16", -1},
    {"vpn_psk_weak", VPN_CFG(TUN_REMOTE TUN_RTS "      psk = \"1234123412341234\" #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" psk: too weak: only 4 different characters, at least "
     "8 are needed",
     -1},
    {"vpn_psk_with_pubkey", VPN_CFG_MIN("      auth = pubkey\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" psk: not allowed with auth = pubkey", 36},
    {"vpn_certificate_with_psk", VPN_CFG_MIN("      certificate = \"/etc/hostname\" #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" certificate: not allowed with auth = psk", -1},
    {"vpn_pubkey_certificate_missing",
     NAT_BASE TENANT_A_NAT(
         VPN("    tunnel site1 { #<<\n" TUN_REMOTE TUN_RTS "      auth = pubkey\n    }\n")),
     "tenant \"contoso\" vpn tunnel \"site1\" certificate: is required", -1},
    {"vpn_pubkey_certificate_unreadable",
     VPN_CFG(TUN_REMOTE TUN_RTS "      auth = pubkey\n"
                                "      certificate = \"/nonexistent/gw.pem\" #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" certificate: cannot read /nonexistent/gw.pem: No "
     "such "
     "file or directory",
     -1},
    {"vpn_pubkey_key_unreadable",
     VPN_CFG(TUN_REMOTE TUN_RTS "      auth = pubkey\n      certificate = \"/dev/null\"\n"
                                "      private_key = \"nonexistent-key.pem\" #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" private_key: cannot read /tmp/nonexistent-key.pem",
     -1},
    {"vpn_pubkey_ca_missing",
     NAT_BASE TENANT_A_NAT(VPN("    tunnel site1 { #<<\n" TUN_REMOTE TUN_RTS
                               "      auth = pubkey\n      certificate = \"/dev/null\"\n"
                               "      private_key = \"/dev/null\"\n    }\n")),
     "tenant \"contoso\" vpn tunnel \"site1\" ca_certificate: is required", -1},
    {"vpn_ike_proposal_weak",
     VPN_CFG_MIN("      ike_proposals = {\"aes256-sha256-modp2048\",\n"
                 "        \"3des-sha1-modp1024\"} #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" ike_proposals: '3des' in '3des-sha1-modp1024' is not "
     "allowed",
     -1},
    {"vpn_ike_proposal_modp1024",
     VPN_CFG_MIN("      ike_proposals = {\"aes256-sha256-modp1024\"} #<<\n"),
     "ike_proposals: 'modp1024' in 'aes256-sha256-modp1024' is not allowed", -1},
    {"vpn_ike_proposal_no_dh", VPN_CFG_MIN("      ike_proposals = {\"aes256-sha256\"} #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" ike_proposals: 'aes256-sha256' has no DH group", -1},
    {"vpn_ike_proposal_aead_no_prf",
     VPN_CFG_MIN("      ike_proposals = {\"aes256gcm16-ecp384\"} #<<\n"),
     "ike_proposals: 'aes256gcm16-ecp384': an AEAD IKE proposal needs a PRF", -1},
    {"vpn_ike_proposal_empty_token",
     VPN_CFG_MIN("      ike_proposals = {\"aes256--ecp384\"} #<<\n"),
     "ike_proposals: '' in 'aes256--ecp384' is not allowed", -1},
    /* An empty list has no element line: the message names the section's. */
    {"vpn_ike_proposals_empty",
     NAT_BASE TENANT_A_NAT(
         VPN("    tunnel site1 { #<<\n" TUN_MIN "      ike_proposals = {}\n    }\n")),
     "tenant \"contoso\" vpn tunnel \"site1\" ike_proposals: must list at least one proposal", -1},
    {"vpn_ike_proposals_too_many",
     VPN_CFG_MIN("      ike_proposals = {\"aes256-sha256-modp2048\", \"aes256-sha384-modp2048\",\n"
                 "        \"aes256-sha512-modp2048\", \"aes128-sha256-modp2048\",\n"
                 "        \"aes128-sha384-modp2048\", \"aes128-sha512-modp2048\",\n"
                 "        \"aes192-sha256-modp2048\", \"aes192-sha384-modp2048\",\n"
                 "        \"aes192-sha512-modp2048\"} #<<\n"),
     "ike_proposals: more than 8 proposals", -1},
    {"vpn_ike_proposal_twice",
     VPN_CFG_MIN("      ike_proposals = {\"aes256-sha256-ecp256\",\n"
                 "        \"aes256-sha256-ecp256\"} #<<\n"),
     "ike_proposals: 'aes256-sha256-ecp256' is listed twice", -1},
    {"vpn_ike_proposal_too_long",
     VPN_CFG_MIN(
         "      ike_proposals = {\"aes256-sha256-ecp256-ecp256-ecp256-ecp256-ecp256-ecp256-"
         "ecp256-ecp256-ecp256-ecp256-ecp256-ecp256-ecp256-ecp256-ecp256-ecp256-x25519\"} #<<\n"),
     "ike_proposals: 'aes256-sha256-ecp256-", -1},
    {"vpn_esp_proposal_chacha", VPN_CFG_MIN("      esp_proposals = {\"chacha20poly1305\"} #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" esp_proposals: 'chacha20poly1305' in "
     "'chacha20poly1305' is not allowed: the data plane has aes128gcm16, aes256gcm16, and aes128 "
     "or "
     "aes256 with sha256",
     -1},
    {"vpn_esp_proposal_sha1", VPN_CFG_MIN("      esp_proposals = {\"aes128-sha1\"} #<<\n"),
     "esp_proposals: 'sha1' in 'aes128-sha1' is not allowed", -1},
    {"vpn_esp_proposal_aes192", VPN_CFG_MIN("      esp_proposals = {\"aes192gcm16\"} #<<\n"),
     "esp_proposals: 'aes192gcm16' in 'aes192gcm16' is not allowed", -1},
    {"vpn_esp_proposal_cbc_no_integ",
     VPN_CFG_MIN("      esp_proposals = {\"aes256-ecp256\"} #<<\n"),
     "esp_proposals: 'aes256-ecp256': a CBC cipher needs an integrity algorithm (sha256)", -1},
    {"vpn_esp_proposal_gcm_integ",
     VPN_CFG_MIN("      esp_proposals = {\"aes256gcm16-sha256\"} #<<\n"),
     "esp_proposals: 'aes256gcm16-sha256': an AEAD cipher takes no integrity algorithm", -1},
    {"vpn_esp_proposal_mixed",
     VPN_CFG_MIN("      esp_proposals = {\"aes256gcm16-aes256-sha256\"} #<<\n"),
     "esp_proposals: 'aes256gcm16-aes256-sha256' mixes AEAD (GCM) and CBC ciphers", -1},
    {"vpn_esp_proposal_no_cipher", VPN_CFG_MIN("      esp_proposals = {\"ecp384\"} #<<\n"),
     "esp_proposals: 'ecp384' has no encryption algorithm", -1},
    {"vpn_ike_lifetime_range", VPN_CFG_MIN("      ike_lifetime = 100 #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" ike_lifetime: 100 is out of range 300..86400", -1},
    {"vpn_child_lifetime_range", VPN_CFG_MIN("      child_lifetime = 86401 #<<\n"),
     "child_lifetime: 86401 is out of range 60..86400", -1},
    {"vpn_child_life_bytes_small", VPN_CFG_MIN("      child_life_bytes = 1000 #<<\n"),
     "child_life_bytes: 1000 must be 0 (none) or at least 1048576", -1},
    {"vpn_child_life_bytes_negative", VPN_CFG_MIN("      child_life_bytes = -1 #<<\n"),
     "child_life_bytes: -1 is out of range 0..", -1},
    {"vpn_dpd_delay_range", VPN_CFG_MIN("      dpd_delay = 3601 #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" dpd_delay: 3601 is out of range 0..3600", -1},
    {"vpn_start_action_bad", VPN_CFG_MIN("      start_action = trap #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" start_action: 'trap' is not initiate or respond", -1},
    {"vpn_mode_bad", VPN_CFG_MIN("      mode = transport #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" mode: 'transport' is not policy or route", -1},
    {"vpn_remote_ts_missing",
     NAT_BASE TENANT_A_NAT(VPN("    tunnel site1 { #<<\n" TUN_REMOTE TUN_PSK "    }\n")),
     "tenant \"contoso\" vpn tunnel \"site1\" remote_ts: is required with mode = policy", -1},
    {"vpn_remote_ts_empty",
     NAT_BASE TENANT_A_NAT(
         VPN("    tunnel site1 { #<<\n" TUN_REMOTE TUN_PSK "      remote_ts = {}\n    }\n")),
     "remote_ts: must list at least one prefix", -1},
    {"vpn_remote_ts_too_many",
     VPN_CFG(TUN_REMOTE TUN_PSK "      remote_ts = {\"172.16.1.0/24\", \"172.16.2.0/24\",\n"
                                "        \"172.16.3.0/24\", \"172.16.4.0/24\", \"172.16.5.0/24\",\n"
                                "        \"172.16.6.0/24\", \"172.16.7.0/24\", \"172.16.8.0/24\",\n"
                                "        \"172.16.9.0/24\"} #<<\n"),
     "remote_ts: more than 8 prefixes", -1},
    {"vpn_remote_ts_host_bits",
     VPN_CFG(TUN_REMOTE TUN_PSK "      remote_ts = {\"172.16.1.1/24\"} #<<\n"),
     "remote_ts: '172.16.1.1/24' has host bits set (did you mean 172.16.1.0/24?)", -1},
    {"vpn_local_ts_bad", VPN_CFG_MIN("      local_ts = {\"10.1.0.0/33\"} #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" local_ts: '10.1.0.0/33' is not a prefix", -1},
    {"vpn_local_ts_ipv6", VPN_CFG_MIN("      local_ts = {\"fd00::/8\"} #<<\n"),
     "local_ts: IPv6 is not supported yet", -1},
    {"vpn_remote_ts_overlap",
     NAT_BASE TENANT_A_NAT(
         VPN(TUN("a", TUN_MIN) TUN("b", TUN_REMOTE TUN_PSK "      remote_ts = {\"10.200.0.0/16\",\n"
                                                           "        \"172.16.0.0/16\"} #<<\n"))),
     "tenant \"contoso\" vpn tunnel \"b\" remote_ts: 172.16.0.0/16 overlaps 172.16.1.0/24 of "
     "tunnel "
     "\"a\" (line 34)",
     -1},
    {"vpn_route_with_ts",
     VPN_CFG(TUN_REMOTE TUN_PSK "      mode = route\n      local_ts = {\"10.1.0.0/16\"} #<<\n"),
     "local_ts: not allowed with mode = route (selectors are 0.0.0.0/0)", -1},
    {"vpn_route_with_remote_ts", VPN_CFG_MIN("      mode = route\n"),
     "remote_ts: not allowed with mode = route", 37},
    {"vpn_policy_with_routes", VPN_CFG_MIN("      routes = {\"172.16.0.0/16\"} #<<\n"),
     "tenant \"contoso\" vpn tunnel \"site1\" routes: not allowed with mode = policy", -1},
    {"vpn_routes_bad",
     VPN_CFG(TUN_REMOTE TUN_PSK "      mode = route\n      routes = {\"172.16.0.0/16\",\n"
                                "        \"172.16.0.0/16\"} #<<\n"),
     "routes: 172.16.0.0/16 is listed twice", -1},

    /* lookup_record */
    {"lookup_vsid_missing",
     BASE "lookup_record { #<<\n  ca = \"10.1.1.10\"\n  pa = \"10.0.0.2\"\n"
          "  mac = \"02:00:00:00:10:10\"\n}\n",
     "lookup_record vsid: is required", -1},
    {"lookup_vsid_range", BASE LOOKUP("10.1.1.10", "12 #<<", "10.0.0.2", "02:00:00:00:10:10"),
     "lookup_record vsid: 12 is out of range 4096..16777214", -1},
    {"lookup_vsid_unknown", BASE LOOKUP("10.1.1.10", "7001 #<<", "10.0.0.2", "02:00:00:00:10:10"),
     "lookup_record vsid: 7001 is not the VSID of any tenant's subnet", -1},
    {"lookup_ca_outside",
     BASE LREC(Q("10.1.2.10") " #<<", "5001", Q("10.0.0.2"), Q("02:00:00:00:10:10")),
     "lookup_record ca: 10.1.2.10 is outside subnet \"web\" (10.1.1.0/24) of vsid 5001", -1},
    {"lookup_ca_gateway",
     BASE LREC(Q("10.1.1.1") " #<<", "5001", Q("10.0.0.2"), Q("02:00:00:00:10:10")),
     "lookup_record ca: 10.1.1.1 is the gateway address of subnet \"web\"", -1},
    {"lookup_ca_zero_static",
     BASE LREC(Q("0.0.0.0") " #<<", "5001", Q("10.0.0.2"), Q("02:00:00:00:10:10")),
     "lookup_record ca: 0.0.0.0 is only valid for l2only and gatewaywildcard records", -1},
    {"lookup_ca_ipv6",
     BASE LREC(Q("fd00::10") " #<<", "5001", Q("10.0.0.2"), Q("02:00:00:00:10:10")),
     "lookup_record ca: IPv6 is not supported yet", -1},
    {"lookup_ca_missing",
     BASE
     "lookup_record { #<<\n  vsid = 5001\n  pa = \"10.0.0.2\"\n  mac = \"02:00:00:00:10:10\"\n}\n",
     "lookup_record ca: is required", -1},
    {"lookup_wildcard_ca_set",
     BASE "lookup_record {\n  ca = \"10.1.1.10\" #<<\n  vsid = 5001\n  pa = \"10.0.0.2\"\n"
          "  mac = \"02:00:00:00:10:10\"\n  type = \"GatewayWildcard\"\n}\n",
     "lookup_record ca: must be 0.0.0.0 for a gatewaywildcard record", -1},
    {"lookup_pa_missing",
     BASE
     "lookup_record { #<<\n  ca = \"10.1.1.10\"\n  vsid = 5001\n  mac = \"02:00:00:00:10:10\"\n}\n",
     "lookup_record pa: is required", -1},
    {"lookup_pa_multicast",
     BASE LREC(Q("10.1.1.10"), "5001", Q("224.0.0.5") " #<<", Q("02:00:00:00:10:10")),
     "lookup_record pa: 224.0.0.5 is not a unicast address", -1},
    {"lookup_mac_broadcast",
     BASE LREC(Q("10.1.1.10"), "5001", Q("10.0.0.2"), Q("ff:ff:ff:ff:ff:ff") " #<<"),
     "lookup_record mac: ff:ff:ff:ff:ff:ff is a multicast or broadcast MAC", -1},
    {"lookup_mac_bad", BASE LREC(Q("10.1.1.10"), "5001", Q("10.0.0.2"), Q("02:00:00:00:10") " #<<"),
     "lookup_record mac: '02:00:00:00:10' is not a MAC address", -1},
    {"lookup_rule_bad",
     BASE "lookup_record {\n  ca = \"10.1.1.10\"\n  vsid = 5001\n  pa = \"10.0.0.2\"\n"
          "  mac = \"02:00:00:00:10:10\"\n  rule = \"tunnel\" #<<\n}\n",
     "lookup_record rule: 'tunnel' is not encap or nat", -1},
    {"lookup_type_bad",
     BASE "lookup_record {\n  ca = \"10.1.1.10\"\n  vsid = 5001\n  pa = \"10.0.0.2\"\n"
          "  mac = \"02:00:00:00:10:10\"\n  type = \"learned\" #<<\n}\n",
     "lookup_record type: 'learned' is not static, dynamic, l2only or gatewaywildcard", -1},
    {"lookup_duplicate_ca",
     BASE LOOKUP("10.1.1.10", "5001", "10.0.0.2", "02:00:00:00:10:10")
         LREC(Q("10.1.1.10") " #<<", "5001", Q("10.0.0.3"), Q("02:00:00:00:10:11")),
     "lookup_record ca: vsid 5001 already has a lookup record for 10.1.1.10, first at line 33", -1},
    {"lookup_two_wildcards",
     BASE "lookup_record {\n  vsid = 5001\n  pa = \"10.0.0.5\"\n  mac = \"02:00:00:00:50:01\"\n"
          "  type = \"gatewaywildcard\"\n}\n"
          "lookup_record {\n  vsid = 5001\n  pa = \"10.0.0.6\"\n  mac = \"02:00:00:00:50:02\"\n"
          "  type = \"gatewaywildcard\" #<<\n}\n",
     "lookup_record type: vsid 5001 already has a gatewaywildcard record, first at line 33", -1},
    {"lookup_l2only_same_mac",
     BASE "lookup_record {\n  ca = \"0.0.0.0\"\n  vsid = 5001\n  pa = \"10.0.0.5\"\n"
          "  mac = \"02:00:00:00:50:01\"\n  type = \"l2only\"\n}\n"
          "lookup_record {\n  ca = \"0.0.0.0\"\n  vsid = 5001\n  pa = \"10.0.0.6\"\n"
          "  mac = \"02:00:00:00:50:01\" #<<\n  type = \"L2Only\"\n}\n",
     "lookup_record mac: vsid 5001 already has an l2only record for 02:00:00:00:50:01", -1},

    /* customer_route */
    {"route_tenant_missing",
     BASE "customer_route { #<<\n  vsid = 5001\n  prefix = \"0.0.0.0/0\"\n"
          "  next_hop = \"10.1.1.1\"\n}\n",
     "customer_route tenant: is required", -1},
    {"route_tenant_unknown",
     BASE "customer_route {\n  tenant = \"nobody\" #<<\n  vsid = 5001\n"
          "  prefix = \"0.0.0.0/0\"\n  next_hop = \"10.1.1.1\"\n}\n",
     "customer_route tenant: 'nobody' is not a configured tenant", -1},
    {"route_vsid_other_tenant",
     BASE TENANT_B "customer_route {\n  tenant = \"contoso\"\n  vsid = 6001 #<<\n"
                   "  prefix = \"0.0.0.0/0\"\n  next_hop = \"10.1.1.1\"\n}\n",
     "customer_route vsid: 6001 belongs to tenant \"fabrikam\", not \"contoso\"", -1},
    {"route_prefix_not_canonical",
     BASE "customer_route {\n  tenant = \"contoso\"\n  vsid = 5001\n"
          "  prefix = \"192.168.1.1/24\" #<<\n  next_hop = \"10.1.1.20\"\n}\n",
     "customer_route prefix: '192.168.1.1/24' has host bits set", -1},
    {"route_next_hop_outside",
     BASE "customer_route {\n  tenant = \"contoso\"\n  vsid = 5001\n"
          "  prefix = \"192.168.1.0/24\"\n  next_hop = \"10.1.2.20\" #<<\n}\n",
     "customer_route next_hop: 10.1.2.20 is outside subnet \"web\" (10.1.1.0/24) of vsid 5001", -1},
    {"route_next_hop_missing",
     BASE "customer_route { #<<\n  tenant = \"contoso\"\n  vsid = 5001\n"
          "  prefix = \"192.168.1.0/24\"\n}\n",
     "customer_route next_hop: is required", -1},
    {"route_metric_negative",
     BASE "customer_route {\n  tenant = \"contoso\"\n  vsid = 5001\n"
          "  prefix = \"192.168.1.0/24\"\n  next_hop = \"10.1.1.20\"\n  metric = -1 #<<\n}\n",
     "customer_route metric: -1 is out of range 0..4294967295", -1},
    {"route_duplicate",
     BASE "customer_route {\n  tenant = \"contoso\"\n  vsid = 5001\n"
          "  prefix = \"192.168.1.0/24\"\n  next_hop = \"10.1.1.20\"\n}\n"
          "customer_route {\n  tenant = \"contoso\"\n  vsid = 5001\n"
          "  prefix = \"192.168.1.0/24\" #<<\n  next_hop = \"10.1.1.20\"\n  metric = 5\n}\n",
     "customer_route prefix: tenant \"contoso\" already has a route to 192.168.1.0/24 via "
     "10.1.1.20, first at line 33",
     -1},
};

/* ---- Valid configurations ---- */

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
    assert_null(cfg->tenants[0].nat);
    config_destroy(cfg);

    /* An explicitly empty eal_args stays empty. */
    cfg = load_ok("node {\n  roles = {\"gateway\"}\n  eal_args = {}\n}\n" PORT_EXT TENANT_A);
    assert_int_equal(cfg->n_eal_args, 0);
    config_destroy(cfg);
}

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

/* A host node with a VM port and its own record. */
static void
test_host_config(void **state)
{
    static const char text[] =
        BASE_HOST "port \"vm1\" {\n  kind = \"vm\"\n  devargs = \"net_tap1,iface=vm1\"\n"
                  "  mac = \"02:00:00:00:10:10\"\n  vsid = 5001\n  ca = \"10.1.1.10\"\n}\n" LOOKUP(
                      "10.1.1.10", "5001", "10.0.0.2",
                      "02:00:00:00:10:10") "lookup_record {\n  vsid = 5001\n  pa = \"10.0.0.1\"\n  "
                                           "mac = \"02:00:0a:00:00:01\"\n"
                                           "  type = \"gatewaywildcard\"\n}\n";
    struct hnvgw_config *cfg = load_ok(text);

    (void)state;
    assert_int_equal(cfg->roles, CONFIG_ROLE_HOST);
    assert_int_equal(cfg->n_ports, 2);
    assert_int_equal(cfg->ports[1].kind, CONFIG_PORT_VM);
    assert_int_equal(cfg->n_lookups, 2);
    config_destroy(cfg);
}

/* The shipped demo config loads. */
static void
test_shipped_config(void **state)
{
    char path[512], err[CONFIG_ERR_MAX];
    const char *src = __FILE__, *tail = strstr(src, "tests/gateway/test_config.c");
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

/* Lookup records and customer routes from the bulk files. */
static void
test_bulk_files(void **state)
{
    char *rec = write_tmp("# vsid ca pa mac rule type\n"
                          "5001 10.1.1.10 10.0.0.2 02:00:00:00:10:10\n"
                          "\n"
                          "5002 10.1.2.10 10.0.0.2 02:00:00:00:20:10 nat dynamic # trailing\n");
    char *rt = write_tmp("contoso 5001 192.168.0.0/16 10.1.1.10 5\n");
    char text[1024];
    struct hnvgw_config *cfg;

    (void)state;
    snprintf(
        text, sizeof text,
        BASE LOOKUP(
            "10.1.1.20", "5001", "10.0.0.2",
            "02:00:00:00:10:20") "lookup_records_file = \"%s\"\ncustomer_routes_file = \"%s\"\n",
        rec, rt);
    cfg = load_ok(text);
    assert_int_equal(cfg->n_lookups, 3);
    assert_false(cfg->lookups[0].bulk);
    assert_true(cfg->lookups[1].bulk);
    assert_int_equal(cfg->lookups[1].line, 2);
    assert_int_equal(cfg->lookups[2].line, 4);
    assert_int_equal(cfg->lookups[2].rule, CONFIG_RULE_NAT);
    assert_int_equal(cfg->lookups[2].type, CONFIG_TYPE_DYNAMIC);
    assert_string_equal(cfg->lookup_file, rec);
    assert_int_equal(cfg->n_routes, 1);
    assert_true(cfg->routes[0].bulk);
    assert_int_equal(cfg->routes[0].metric, 5);
    config_destroy(cfg);
    unlink(rec);
    unlink(rt);
    free(rec);
    free(rt);
}

/* Errors in bulk files name the bulk file and its line; duplicates across files name both. */
static void
test_bulk_errors(void **state)
{
    char *rec = write_tmp("5001 10.1.1.10 10.0.0.2 02:00:00:00:10:10\n"
                          "5001 10.1.2.10 10.0.0.2 02:00:00:00:10:11\n");
    char *dup = write_tmp("# header\n5001 10.1.1.10 10.0.0.2 02:00:00:00:10:10\n");
    char *rt = write_tmp("contoso 5001 192.168.0.0/16\n");
    char text[1024], err[CONFIG_ERR_MAX], expect[512];
    struct hnvgw_config *cfg = NULL;

    (void)state;
    snprintf(text, sizeof text, BASE "lookup_records_file = \"%s\"\n", rec);
    assert_int_equal(load_text(text, &cfg, err, NULL), EINVAL);
    snprintf(
        expect, sizeof expect,
        "%s:2: lookup_record ca: 10.1.2.10 is outside subnet \"web\" (10.1.1.0/24) of vsid 5001",
        rec);
    assert_string_equal(err, expect);

    snprintf(text, sizeof text,
             BASE LOOKUP("10.1.1.10", "5001", "10.0.0.2",
                         "02:00:00:00:10:10") "lookup_records_file = \"%s\"\n",
             dup);
    assert_int_equal(load_text(text, &cfg, err, NULL), EINVAL);
    snprintf(expect, sizeof expect, "%s:2: lookup_record ca: vsid 5001 already has a lookup ", dup);
    assert_memory_equal(err, expect, strlen(expect));
    assert_non_null(strstr(err, ", first at /tmp/hnvgw_test_"));

    snprintf(text, sizeof text, BASE "customer_routes_file = \"%s\"\n", rt);
    assert_int_equal(load_text(text, &cfg, err, NULL), EINVAL);
    snprintf(
        expect, sizeof expect,
        "%s:1: customer_route: expected 'tenant vsid prefix next_hop [metric]', found 3 fields",
        rt);
    assert_string_equal(err, expect);

    expect_bad(BASE "lookup_records_file = \"/nonexistent/records.tsv\" #<<\n", 0,
               "lookup_records_file: cannot open /nonexistent/records.tsv");
    assert_null(cfg);
    unlink(rec);
    unlink(dup);
    unlink(rt);
    free(rec);
    free(dup);
    free(rt);
}

/* ---- Run-time checks ---- */

#define CHECK_BASE                                                                                 \
    BASE TENANT_B LOOKUP("10.1.1.10", "5001", "10.0.0.2",                                          \
                         "02:00:00:00:10:10") "customer_route {\n  tenant = \"contoso\"\n  vsid "  \
                                              "= 5001\n  prefix = \"0.0.0.0/0\"\n"                 \
                                              "  next_hop = \"10.1.1.1\"\n}\n"

static struct config_lookup
mk_lookup(uint32_t vsid, uint32_t ca, uint32_t pa, uint8_t mac_last, enum config_lookup_type type)
{
    struct config_lookup l;

    memset(&l, 0, sizeof l);
    l.vsid = vsid;
    l.ca = hnvgw_ip4(htonl(ca));
    l.pa = hnvgw_ip4(htonl(pa));
    l.mac = (struct hnvgw_mac){{0x02, 0, 0, 0, 0x10, mac_last}};
    l.type = type;
    return l;
}

static void
test_check_lookup(void **state)
{
    struct hnvgw_config *cfg = load_ok(CHECK_BASE);
    char err[CONFIG_ERR_MAX];
    struct config_lookup l;

    (void)state;
    l = mk_lookup(5001, 0x0a01010b, 0x0a000002, 0x11, CONFIG_TYPE_STATIC);
    assert_int_equal(config_check_lookup(cfg, &l, err), 0);
    /* Same MAC as an existing record, another CA: allowed (several IPs per NIC). */
    l = mk_lookup(5001, 0x0a01010b, 0x0a000002, 0x10, CONFIG_TYPE_STATIC);
    assert_int_equal(config_check_lookup(cfg, &l, err), 0);
    /* The same CA in another tenant's VSID: allowed. */
    l = mk_lookup(6001, 0x0a01010a, 0x0a000002, 0x10, CONFIG_TYPE_STATIC);
    assert_int_equal(config_check_lookup(cfg, &l, err), 0);

    l = mk_lookup(5001, 0x0a01010a, 0x0a000003, 0x12, CONFIG_TYPE_STATIC);
    assert_int_equal(config_check_lookup(cfg, &l, err), EEXIST);
    assert_string_equal(err, "ca: vsid 5001 already has a lookup record for 10.1.1.10");
    l = mk_lookup(7001, 0x0a01010a, 0x0a000002, 0x10, CONFIG_TYPE_STATIC);
    assert_int_equal(config_check_lookup(cfg, &l, err), EINVAL);
    assert_string_equal(err, "vsid: 7001 is not the VSID of any tenant's subnet");
    l = mk_lookup(99, 0x0a01010a, 0x0a000002, 0x10, CONFIG_TYPE_STATIC);
    assert_int_equal(config_check_lookup(cfg, &l, err), EINVAL);
    assert_string_equal(err, "vsid: 99 is out of range 4096..16777214");
    l = mk_lookup(5001, 0x0a070707, 0x0a000002, 0x10, CONFIG_TYPE_STATIC);
    assert_int_equal(config_check_lookup(cfg, &l, err), EINVAL);
    assert_string_equal(err, "ca: 10.7.7.7 is outside subnet \"web\" (10.1.1.0/24) of vsid 5001");
    l = mk_lookup(5001, 0x0a01010b, 0x0a000002, 0xff, CONFIG_TYPE_STATIC);
    l.mac.b[0] = 0xff;
    assert_int_equal(config_check_lookup(cfg, &l, err), EINVAL);
    assert_non_null(strstr(err, "mac: "));
    l = mk_lookup(5001, 0, 0x0a000002, 0x10, CONFIG_TYPE_STATIC);
    assert_int_equal(config_check_lookup(cfg, &l, err), EINVAL);
    assert_non_null(strstr(err, "ca: 0.0.0.0 is only valid"));

    /* One gatewaywildcard per VSID. */
    l = mk_lookup(5002, 0, 0x0a000005, 0x20, CONFIG_TYPE_GATEWAY_WILDCARD);
    assert_int_equal(config_check_lookup(cfg, &l, err), 0);
    l = mk_lookup(5002, 0x0a01020a, 0x0a000005, 0x20, CONFIG_TYPE_GATEWAY_WILDCARD);
    assert_int_equal(config_check_lookup(cfg, &l, err), EINVAL);
    assert_string_equal(err, "ca: must be 0.0.0.0 for a gatewaywildcard record, not 10.1.2.10");
    config_destroy(cfg);

    cfg = load_ok(CHECK_BASE "lookup_record {\n  vsid = 5002\n  pa = \"10.0.0.5\"\n"
                             "  mac = \"02:00:00:00:50:01\"\n  type = \"gatewaywildcard\"\n}\n");
    l = mk_lookup(5002, 0, 0x0a000006, 0x20, CONFIG_TYPE_GATEWAY_WILDCARD);
    assert_int_equal(config_check_lookup(cfg, &l, err), EEXIST);
    assert_string_equal(err, "type: vsid 5002 already has a gatewaywildcard record");
    config_destroy(cfg);
}

/* A record for a local VM's (vsid, ca) must point at this node. */
static void
test_check_lookup_vm_port(void **state)
{
    struct hnvgw_config *cfg = load_ok(
        BASE_HOST "port \"vm1\" {\n  kind = \"vm\"\n  devargs = \"net_tap1,iface=vm1\"\n"
                  "  mac = \"02:00:00:00:10:10\"\n  vsid = 5001\n  ca = \"10.1.1.10\"\n}\n");
    char err[CONFIG_ERR_MAX];
    struct config_lookup l;

    (void)state;
    l = mk_lookup(5001, 0x0a01010a, 0x0a000009, 0x10, CONFIG_TYPE_STATIC);
    assert_int_equal(config_check_lookup(cfg, &l, err), EEXIST);
    assert_non_null(strstr(err, "pa: 10.0.0.9 is not a provider address of this node"));
    l = mk_lookup(5001, 0x0a01010a, 0x0a000002, 0x99, CONFIG_TYPE_STATIC);
    assert_int_equal(config_check_lookup(cfg, &l, err), EEXIST);
    assert_non_null(strstr(err, "mac: differs from the MAC 02:00:00:00:10:10 of vm port \"vm1\""));
    l = mk_lookup(5001, 0x0a01010a, 0x0a000002, 0x10, CONFIG_TYPE_STATIC);
    assert_int_equal(config_check_lookup(cfg, &l, err), 0);
    config_destroy(cfg);
}

static struct config_route
mk_route(uint32_t tenant, uint32_t vsid, uint32_t prefix, uint8_t plen, uint32_t nh)
{
    struct config_route r;

    memset(&r, 0, sizeof r);
    r.tenant_id = tenant;
    r.vsid = vsid;
    r.prefix.addr = hnvgw_ip4(htonl(prefix));
    r.prefix.plen = plen;
    r.next_hop = hnvgw_ip4(htonl(nh));
    r.on_link = nh == 0;
    return r;
}

static void
test_check_route(void **state)
{
    struct hnvgw_config *cfg = load_ok(CHECK_BASE);
    char err[CONFIG_ERR_MAX];
    struct config_route r;

    (void)state;
    r = mk_route(1, 5002, 0xc0a80000, 16, 0x0a010214);
    assert_int_equal(config_check_route(cfg, &r, err), 0);
    r = mk_route(1, 5002, 0xc0a80000, 16, 0);
    assert_int_equal(config_check_route(cfg, &r, err), 0);
    /* Same prefix, another next hop: allowed (metrics decide). */
    r = mk_route(1, 5001, 0, 0, 0x0a01010b);
    assert_int_equal(config_check_route(cfg, &r, err), 0);

    r = mk_route(1, 5001, 0, 0, 0x0a010101);
    assert_int_equal(config_check_route(cfg, &r, err), EEXIST);
    assert_string_equal(err,
                        "prefix: tenant \"contoso\" already has a route to 0.0.0.0/0 via 10.1.1.1");
    r = mk_route(1, 5001, 0xc0a80000, 16, 0x0a010214);
    assert_int_equal(config_check_route(cfg, &r, err), EINVAL);
    assert_string_equal(err,
                        "next_hop: 10.1.2.20 is outside subnet \"web\" (10.1.1.0/24) of vsid 5001");
    r = mk_route(9, 5001, 0xc0a80000, 16, 0x0a01010b);
    assert_int_equal(config_check_route(cfg, &r, err), EINVAL);
    assert_string_equal(err, "tenant: id 9 is not a configured tenant");
    r = mk_route(1, 6001, 0xc0a80000, 16, 0x0a01010b);
    assert_int_equal(config_check_route(cfg, &r, err), EINVAL);
    assert_string_equal(err, "vsid: 6001 belongs to tenant \"fabrikam\", not \"contoso\"");
    r = mk_route(1, 5001, 0xc0a80101, 16, 0x0a01010b);
    assert_int_equal(config_check_route(cfg, &r, err), EINVAL);
    assert_string_equal(err, "prefix: 192.168.1.1/16 is not a canonical prefix (host bits zero)");
    config_destroy(cfg);
}

/* ---- NAT ---- */

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

/* ---- vpn ---- */

/* Defaults of every tunnel key, reqid and if_id. */
static void
test_vpn_defaults(void **state)
{
    struct hnvgw_config *cfg = load_ok(VPN_CFG_MIN(""));
    const struct config_vpn *vpn = cfg->tenants[0].vpn;
    const struct config_vpn_tunnel *t;
    char b[HNVGW_PFX_STRLEN];

    (void)state;
    assert_non_null(vpn);
    assert_int_equal(vpn->line, 32);
    assert_int_equal(vpn->local_address.v4, htonl(0xc6120014));
    assert_int_equal(vpn->n_tunnels, 1);
    t = &vpn->tunnels[0];
    assert_string_equal(t->name, "site1");
    assert_int_equal(t->line, 34);
    assert_int_equal(t->reqid, 1 * 16 + 1);
    assert_int_equal(t->if_id, 1);
    assert_false(t->remote_any);
    assert_int_equal(t->remote_address.v4, htonl(0xc6120101));
    assert_string_equal(t->local_id, "198.18.0.20");
    assert_string_equal(t->remote_id, "198.18.1.1");
    assert_int_equal(t->auth, CONFIG_VPN_AUTH_PSK);
    assert_string_equal(t->psk, "Zx8-kQ2!mP5#tR7w");
    assert_string_equal(t->certificate, "");
    assert_int_equal(t->n_ike_proposals, 3);
    assert_string_equal(t->ike_proposals[0], "aes256gcm16-prfsha384-ecp384");
    assert_string_equal(t->ike_proposals[1], "aes128gcm16-prfsha256-ecp256");
    assert_string_equal(t->ike_proposals[2], "aes256-sha256-modp2048");
    assert_int_equal(t->n_esp_proposals, 3);
    assert_string_equal(t->esp_proposals[0], "aes256gcm16-ecp384");
    assert_string_equal(t->esp_proposals[1], "aes128gcm16-ecp256");
    assert_string_equal(t->esp_proposals[2], "aes256-sha256-modp2048");
    assert_int_equal(t->ike_lifetime, 14400);
    assert_int_equal(t->child_lifetime, 3600);
    assert_int_equal(t->child_life_bytes, 0);
    assert_int_equal(t->dpd_delay, 30);
    assert_int_equal(t->start_action, CONFIG_VPN_START_INITIATE);
    assert_int_equal(t->mode, CONFIG_VPN_MODE_POLICY);
    /* local_ts defaults to the tenant's subnets. */
    assert_int_equal(t->n_local_ts, 2);
    assert_string_equal(hnvgw_prefix_format(&t->local_ts[0], b), "10.1.1.0/24");
    assert_string_equal(hnvgw_prefix_format(&t->local_ts[1], b), "10.1.2.0/24");
    assert_int_equal(t->n_remote_ts, 1);
    assert_string_equal(hnvgw_prefix_format(&t->remote_ts[0], b), "172.16.1.0/24");
    assert_null(t->routes);
    assert_int_equal(t->n_routes, 0);
    assert_null(cfg->tenants[0].nat);
    assert_string_equal(config_vpn_auth_name(t->auth), "psk");
    assert_string_equal(config_vpn_start_name(t->start_action), "initiate");
    assert_string_equal(config_vpn_mode_name(t->mode), "policy");
    config_destroy(cfg);
}

/* Writes a small file for the pubkey keys; returns its path (free it, unlink it). */
static char *
vpn_file(const char *what)
{
    return write_tmp(what);
}

/* Every key set, over two tenants: pubkey, responder with %any, route mode. */
static void
test_vpn_full(void **state)
{
    char *cert = vpn_file("cert"), *key = vpn_file("key"), *ca = vpn_file("ca");
    char text[8192], b[HNVGW_PFX_STRLEN];
    struct hnvgw_config *cfg;
    const struct config_vpn_tunnel *t, *u, *r;
    const struct config_tenant *owner = NULL;

    (void)state;
    snprintf(
        text, sizeof text,
        NAT_BASE TENANT_A_NAT(NAT(NAT_PUB) "  vpn {\n"
                                           "    local_address = \"198.18.0.20\"\n"
                                           "    tunnel site1 {\n"
                                           "      remote_address = \"198.18.1.1\"\n"
                                           "      local_id = \"gw.contoso.example\"\n"
                                           "      remote_id = \"C=DE, O=site1, CN=peer\"\n"
                                           "      auth = PubKey\n"
                                           "      certificate = \"%s\"\n"
                                           "      private_key = \"%s\"\n"
                                           "      ca_certificate = \"%s\"\n"
                                           "      ike_proposals = {\"aes128-sha256-ecp256\",\n"
                                           "        \"chacha20poly1305-prfsha512-curve25519\"}\n"
                                           "      esp_proposals = {\"aes128-sha256-esn\", "
                                           "\"aes256gcm16\"}\n"
                                           "      ike_lifetime = 28800\n"
                                           "      child_lifetime = 1800\n"
                                           "      child_life_bytes = 4294967296\n"
                                           "      dpd_delay = 0\n"
                                           "      start_action = initiate\n"
                                           "      mode = policy\n"
                                           "      local_ts = {\"10.1.0.0/16\"}\n"
                                           "      remote_ts = {\"172.16.1.0/24\", "
                                           "\"172.16.9.0/24\"}\n"
                                           "    }\n"
                                           "    tunnel \"roadwarrior-hub\" {\n"
                                           "      remote_address = \"%%any\"\n"
                                           "      remote_id = \"hub.example\"\n"
                                           "      psk = \"Zx8-kQ2!mP5#tR7w\"\n"
                                           "      start_action = respond\n"
                                           "      remote_ts = {\"172.17.0.0/16\"}\n"
                                           "    }\n"
                                           "  }\n")
            TENANT_B_NAT("  vpn {\n    local_address = \"198.18.0.21\"\n"
                         "    tunnel dc {\n      remote_address = \"198.18.1.1\"\n" TUN_PSK
                         "      mode = route\n"
                         "      routes = {\"172.16.0.0/16\", \"0.0.0.0/0\"}\n"
                         "    }\n  }\n"),
        cert, key, ca);
    cfg = load_ok(text);
    unlink(cert);
    unlink(key);
    unlink(ca);

    assert_non_null(cfg->tenants[0].vpn);
    assert_int_equal(cfg->tenants[0].vpn->n_tunnels, 2);
    t = &cfg->tenants[0].vpn->tunnels[0];
    assert_int_equal(t->reqid, 17);
    assert_int_equal(t->if_id, 1);
    assert_string_equal(t->local_id, "gw.contoso.example");
    assert_string_equal(t->remote_id, "C=DE, O=site1, CN=peer");
    assert_int_equal(t->auth, CONFIG_VPN_AUTH_PUBKEY);
    assert_string_equal(t->psk, "");
    assert_string_equal(t->certificate, cert);
    assert_string_equal(t->private_key, key);
    assert_string_equal(t->ca_certificate, ca);
    assert_int_equal(t->n_ike_proposals, 2);
    assert_string_equal(t->ike_proposals[1], "chacha20poly1305-prfsha512-curve25519");
    assert_int_equal(t->n_esp_proposals, 2);
    assert_string_equal(t->esp_proposals[0], "aes128-sha256-esn");
    assert_string_equal(t->esp_proposals[1], "aes256gcm16");
    assert_int_equal(t->ike_lifetime, 28800);
    assert_int_equal(t->child_lifetime, 1800);
    assert_true(t->child_life_bytes == 4294967296ull);
    assert_int_equal(t->dpd_delay, 0);
    assert_int_equal(t->n_local_ts, 1);
    assert_string_equal(hnvgw_prefix_format(&t->local_ts[0], b), "10.1.0.0/16");
    assert_int_equal(t->n_remote_ts, 2);
    assert_string_equal(hnvgw_prefix_format(&t->remote_ts[1], b), "172.16.9.0/24");

    u = &cfg->tenants[0].vpn->tunnels[1];
    assert_string_equal(u->name, "roadwarrior-hub");
    assert_int_equal(u->reqid, 18);
    assert_true(u->remote_any);
    assert_int_equal(u->remote_address.family, 0);
    assert_string_equal(u->remote_id, "hub.example");
    assert_int_equal(u->start_action, CONFIG_VPN_START_RESPOND);

    r = &cfg->tenants[1].vpn->tunnels[0];
    assert_int_equal(r->reqid, 2 * 16 + 1);
    assert_int_equal(r->if_id, 2);
    assert_int_equal(r->mode, CONFIG_VPN_MODE_ROUTE);
    assert_int_equal(r->n_local_ts, 1);
    assert_int_equal(r->n_remote_ts, 1);
    assert_string_equal(hnvgw_prefix_format(&r->local_ts[0], b), "0.0.0.0/0");
    assert_string_equal(hnvgw_prefix_format(&r->remote_ts[0], b), "0.0.0.0/0");
    assert_int_equal(r->n_routes, 2);
    assert_string_equal(hnvgw_prefix_format(&r->routes[0], b), "172.16.0.0/16");
    assert_string_equal(hnvgw_prefix_format(&r->routes[1], b), "0.0.0.0/0");

    assert_ptr_equal(config_find_vpn_tunnel(cfg, 18, &owner), u);
    assert_ptr_equal(owner, &cfg->tenants[0]);
    assert_ptr_equal(config_find_vpn_tunnel(cfg, 33, NULL), r);
    assert_null(config_find_vpn_tunnel(cfg, 19, NULL));
    assert_null(config_find_vpn_tunnel(cfg, 16, NULL));
    assert_null(config_find_vpn_tunnel(cfg, 3 * 16 + 1, NULL));
    config_destroy(cfg);
    free(cert);
    free(key);
    free(ca);
}

/* Fifteen tunnels fit, numbered 1..15 in file order; route-mode tunnels may share selectors. */
static void
test_vpn_limits(void **state)
{
    struct hnvgw_config *cfg =
        load_ok(NAT_BASE TENANT_A_NAT(VPN(TUN("r1", TUN_REMOTE TUN_PSK "      mode = route\n") TUN(
            "r2", TUN_REMOTE TUN_PSK "      mode = route\n") TUN("p", TUN_MIN))));
    (void)state;
    assert_int_equal(cfg->tenants[0].vpn->n_tunnels, 3);
    assert_int_equal(cfg->tenants[0].vpn->tunnels[2].reqid, 19);
    config_destroy(cfg);

    /* Fifteen policy tunnels with the same remote_ts would overlap: make them route mode. */
    cfg = load_ok(NAT_BASE TENANT_A_NAT(VPN(TUN15(TUN_R))));
    assert_int_equal(cfg->tenants[0].vpn->n_tunnels, 15);
    assert_int_equal(cfg->tenants[0].vpn->tunnels[14].reqid, 31);
    assert_string_equal(cfg->tenants[0].vpn->tunnels[14].name, "t15");
    config_destroy(cfg);
}

/* policy_config_clone() deep-copies the vpn section; any change to it needs a restart. */
static void
test_vpn_clone_restart(void **state)
{
    static const char text[] = NAT_BASE TENANT_A_NAT(VPN(TUN("p", TUN_MIN) TUN(
        "r", TUN_REMOTE TUN_PSK "      mode = route\n      routes = {\"172.20.0.0/16\"}\n")))
        TENANT_B;
    struct hnvgw_config *cfg = load_ok(text), *c = policy_config_clone(cfg), *d;
    const struct config_vpn *a = cfg->tenants[0].vpn, *b;

    (void)state;
    assert_non_null(c);
    b = c->tenants[0].vpn;
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    assert_null(c->tenants[1].vpn);
    assert_ptr_not_equal(a->tunnels, b->tunnels);
    assert_ptr_not_equal(a->tunnels[1].routes, b->tunnels[1].routes);
    assert_memory_equal(a->tunnels[1].routes, b->tunnels[1].routes, sizeof *a->tunnels[1].routes);
    assert_null(policy_restart_needed(cfg, c));

    /* The same file loaded twice compares equal too. */
    d = load_ok(text);
    assert_null(policy_restart_needed(cfg, d));
    config_destroy(d);

    c->tenants[0].vpn->tunnels[0].psk[0] = 'Y';
    assert_string_equal(policy_restart_needed(cfg, c), "a tenant's vpn section");
    c->tenants[0].vpn->tunnels[0].psk[0] = 'Z';
    assert_null(policy_restart_needed(cfg, c));
    c->tenants[0].vpn->tunnels[1].routes[0].plen = 12;
    assert_string_equal(policy_restart_needed(cfg, c), "a tenant's vpn section");
    c->tenants[0].vpn->tunnels[1].routes[0].plen = 16;
    c->tenants[0].vpn->local_address.v4 ^= htonl(1);
    assert_string_equal(policy_restart_needed(cfg, c), "a tenant's vpn section");
    c->tenants[0].vpn->local_address.v4 ^= htonl(1);
    assert_null(policy_restart_needed(cfg, c));

    /* Adding a tenant with a VPN, or removing one, needs a restart as well. */
    d = load_ok(NAT_BASE TENANT_A);
    assert_string_equal(policy_restart_needed(d, cfg), "a tenant's vpn section");
    config_destroy(d);
    d = load_ok(NAT_BASE TENANT_B);
    assert_string_equal(policy_restart_needed(cfg, d), "the set of tenants with VPN");
    assert_string_equal(policy_restart_needed(d, cfg), "the set of tenants with VPN");
    config_destroy(d);

    /* The copy outlives the original. */
    config_destroy(cfg);
    assert_string_equal(b->tunnels[0].psk, "Zx8-kQ2!mP5#tR7w");
    assert_int_equal(b->tunnels[1].routes[0].plen, 16);
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
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_full_config),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_overlapping_tenants),
        cmocka_unit_test(test_host_config),
        cmocka_unit_test(test_shipped_config),
        cmocka_unit_test(test_unreadable),
        cmocka_unit_test(test_bulk_files),
        cmocka_unit_test(test_bulk_errors),
        cmocka_unit_test(test_check_lookup),
        cmocka_unit_test(test_check_lookup_vm_port),
        cmocka_unit_test(test_check_route),
        cmocka_unit_test(test_routing),
        cmocka_unit_test(test_nat_defaults),
        cmocka_unit_test(test_nat_full),
        cmocka_unit_test(test_nat_shared_address),
        cmocka_unit_test(test_nat_clone),
        cmocka_unit_test(test_nat_limits),
        cmocka_unit_test(test_vpn_defaults),
        cmocka_unit_test(test_vpn_full),
        cmocka_unit_test(test_vpn_limits),
        cmocka_unit_test(test_vpn_clone_restart),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_addr_ip),
        cmocka_unit_test(test_addr_prefix),
        cmocka_unit_test(test_addr_mac),
    };
    size_t n_fixed = sizeof fixed / sizeof fixed[0];
    size_t n_bad = sizeof bad_cases / sizeof bad_cases[0];
    struct CMUnitTest *tests = calloc(n_fixed + n_bad, sizeof *tests);
    int failed;

    if (!tests) {
        return 1;
    }
    memcpy(tests, fixed, sizeof fixed);
    /* One test per invalid-config case, named after it. */
    for (size_t i = 0; i < n_bad; i++) {
        tests[n_fixed + i] = (struct CMUnitTest){.name = bad_cases[i].name,
                                                 .test_func = run_bad_case,
                                                 .initial_state = (void *)&bad_cases[i]};
    }
    failed = _cmocka_run_group_tests("config", tests, n_fixed + n_bad, NULL, NULL);
    free(tests);
    return failed;
}
