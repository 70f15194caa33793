/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the configuration module: lookup records and customer routes, in the file and in
 * the bulk files, and the run-time checks of the CLI's adds. */
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

/* The one message for a refused L2Only record, after "FILE:LINE: lookup_record type: ". */
#define L2ONLY_REFUSED                                                                             \
    "L2Only records are not supported (they would match by MAC; this gateway matches lookup "      \
    "records by CA)"

/* ---- Invalid configurations: one case per rule ---- */

static const struct bad_case bad_cases[] = {
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
     "lookup_record ca: 0.0.0.0 is only valid for gatewaywildcard records", -1},
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
    /* L2Only records match by MAC; this gateway finds records by CA, where one would take the
     * place of the VSID's gatewaywildcard record. They are refused, whatever their other keys. */
    {"lookup_l2only",
     BASE "lookup_record {\n  ca = \"0.0.0.0\"\n  vsid = 5001\n  pa = \"10.0.0.5\"\n"
          "  mac = \"02:00:00:00:50:01\"\n  type = \"L2Only\" #<<\n}\n",
     "lookup_record type: " L2ONLY_REFUSED, -1},
    {"lookup_l2only_after_wildcard",
     BASE "lookup_record {\n  vsid = 5001\n  pa = \"10.0.0.5\"\n  mac = \"02:00:00:00:50:01\"\n"
          "  type = \"gatewaywildcard\"\n}\n"
          "lookup_record {\n  vsid = 5001\n  pa = \"10.0.0.6\"\n  mac = \"02:00:00:00:50:02\"\n"
          "  type = \"l2only\" #<<\n}\n",
     "lookup_record type: " L2ONLY_REFUSED, -1},
    {"lookup_l2only_without_keys", BASE "lookup_record {\n  type = \"l2only\" #<<\n}\n",
     "lookup_record type: " L2ONLY_REFUSED, -1},
    {"lookup_l2only_with_ca",
     BASE LREC(Q("10.1.1.10"), "5001", Q("10.0.0.2"),
               Q("02:00:00:00:10:10") "\n  type = \"l2only\" #<<"),
     "lookup_record type: " L2ONLY_REFUSED, -1},

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

/* An L2Only line of lookup_records_file is refused with one message naming the bulk file and its
 * line, with the CA 0.0.0.0 and with a CA, next to a gatewaywildcard record of the same VSID. */
static void
test_bulk_l2only(void **state)
{
    static const char *const lines[] = {"5001 0.0.0.0 10.0.0.6 02:00:00:00:50:02 encap L2Only\n",
                                        "5001 10.1.1.11 10.0.0.6 02:00:00:00:50:02 nat l2only\n"};
    char text[1024], err[CONFIG_ERR_MAX], expect[512];

    (void)state;
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        char body[256];
        char *rec;
        struct hnvgw_config *cfg = NULL;

        snprintf(body, sizeof body, "5001 10.1.1.10 10.0.0.2 02:00:00:00:10:10\n%s", lines[i]);
        rec = write_tmp(body);
        snprintf(text, sizeof text,
                 BASE "lookup_record {\n  vsid = 5001\n  pa = \"10.0.0.5\"\n"
                      "  mac = \"02:00:00:00:50:01\"\n  type = \"gatewaywildcard\"\n}\n"
                      "lookup_records_file = \"%s\"\n",
                 rec);
        assert_int_equal(load_text(text, &cfg, err, NULL), EINVAL);
        assert_null(cfg);
        snprintf(expect, sizeof expect, "%s:2: lookup_record type: " L2ONLY_REFUSED, rec);
        assert_string_equal(err, expect);
        unlink(rec);
        free(rec);
    }
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

/* The CLI's "add lookup" of an L2Only record is refused before any other check, with or without
 * a CA, and whether or not the VSID has a gatewaywildcard record it would replace. */
static void
test_check_lookup_l2only(void **state)
{
    struct hnvgw_config *cfg =
        load_ok(CHECK_BASE "lookup_record {\n  vsid = 5002\n  pa = \"10.0.0.5\"\n"
                           "  mac = \"02:00:00:00:50:01\"\n  type = \"gatewaywildcard\"\n}\n");
    char err[CONFIG_ERR_MAX];
    struct config_lookup l;

    (void)state;
    l = mk_lookup(5002, 0, 0x0a000006, 0x20, CONFIG_TYPE_L2ONLY);
    assert_int_equal(config_check_lookup(cfg, &l, err), EINVAL);
    assert_string_equal(err, "type: " L2ONLY_REFUSED);
    l = mk_lookup(5001, 0, 0x0a000006, 0x21, CONFIG_TYPE_L2ONLY);
    assert_int_equal(config_check_lookup(cfg, &l, err), EINVAL);
    assert_string_equal(err, "type: " L2ONLY_REFUSED);
    l = mk_lookup(5001, 0x0a01010b, 0x0a000002, 0x11, CONFIG_TYPE_L2ONLY);
    assert_int_equal(config_check_lookup(cfg, &l, err), EINVAL);
    assert_string_equal(err, "type: " L2ONLY_REFUSED);
    /* The same record as Static is fine: the refusal is the type's. */
    l.type = CONFIG_TYPE_STATIC;
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

int
main(void)
{
    /* clang-format off */
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_bulk_files),
        cmocka_unit_test(test_bulk_errors),
        cmocka_unit_test(test_bulk_l2only),
        cmocka_unit_test(test_check_lookup),
        cmocka_unit_test(test_check_lookup_vm_port),
        cmocka_unit_test(test_check_lookup_l2only),
        cmocka_unit_test(test_check_route),
    };
    /* clang-format on */

    return config_fixture_run("config_bulk", fixed, sizeof fixed / sizeof fixed[0], bad_cases,
                              sizeof bad_cases / sizeof bad_cases[0]);
}
