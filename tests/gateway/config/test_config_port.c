/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the configuration module: the port sections. */
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

};

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

int
main(void)
{
    /* clang-format off */
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_host_config),
    };
    /* clang-format on */

    return config_fixture_run("config_port", fixed, sizeof fixed / sizeof fixed[0], bad_cases,
                              sizeof bad_cases / sizeof bad_cases[0]);
}
