/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the NAT44 mapping-log lines (gateway/nat/nat_log.c): the exact text of every event,
 * the UTC timestamp with milliseconds, unknown tenants, protocols and events, and truncation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "gateway/nat/nat_log.h"

/* 2026-11-23T22:41:07.123456789Z in nanoseconds since the epoch. */
#define T_NS (1795473667ull * 1000000000ull + 123456789ull)

/* A mapping record of contoso(1): 10.1.1.10:43210 -> 198.18.0.10:43210. */
static struct dp_nat_log
mapping(uint8_t event, uint8_t proto)
{
    struct dp_nat_log r;

    memset(&r, 0, sizeof r);
    r.unix_ns = T_NS;
    r.event = event;
    r.proto = proto;
    r.tenant = 1;
    r.in_ip = inet_addr("10.1.1.10");
    r.in_port = 43210;
    r.pub_ip = inet_addr("198.18.0.10");
    r.pub_port = 43210;
    return r;
}

/* A block record of contoso(1): 198.18.0.10:43200-43263. */
static struct dp_nat_log
block(uint8_t event)
{
    struct dp_nat_log r;

    memset(&r, 0, sizeof r);
    r.unix_ns = T_NS;
    r.event = event;
    r.tenant = 1;
    r.pub_ip = inet_addr("198.18.0.10");
    r.pub_port = 43200;
    r.pub_port_last = 43263;
    return r;
}

/* Formats 'r' for 'name' and checks the line and the returned length. */
static void
check_line(const struct dp_nat_log *r, const char *name, const char *want)
{
    char buf[NATLOG_LINE_MAX];
    size_t n = natlog_format(r, name, buf, sizeof buf);

    assert_string_equal(buf, want);
    assert_int_equal(n, strlen(want));
}

static void
test_mapping_add_del(void **state)
{
    struct dp_nat_log r = mapping(DP_NAT_EV_MAPPING_ADD, IPPROTO_TCP);

    (void)state;
    check_line(&r, "contoso",
               "nat mapping add tenant=contoso(1) proto=tcp inside=10.1.1.10:43210 "
               "public=198.18.0.10:43210 time=2026-11-23T22:41:07.123Z");
    r = mapping(DP_NAT_EV_MAPPING_DEL, IPPROTO_TCP);
    check_line(&r, "contoso",
               "nat mapping del tenant=contoso(1) proto=tcp inside=10.1.1.10:43210 "
               "public=198.18.0.10:43210 time=2026-11-23T22:41:07.123Z");
}

static void
test_mapping_protocols(void **state)
{
    struct dp_nat_log r = mapping(DP_NAT_EV_MAPPING_ADD, IPPROTO_UDP);

    (void)state;
    r.pub_port = 1024;
    check_line(&r, "contoso",
               "nat mapping add tenant=contoso(1) proto=udp inside=10.1.1.10:43210 "
               "public=198.18.0.10:1024 time=2026-11-23T22:41:07.123Z");
    r = mapping(DP_NAT_EV_MAPPING_DEL, IPPROTO_ICMP);
    r.in_port = 7;
    r.pub_port = 7;
    check_line(&r, "contoso",
               "nat mapping del tenant=contoso(1) proto=icmp inside=10.1.1.10:7 "
               "public=198.18.0.10:7 time=2026-11-23T22:41:07.123Z");
    r = mapping(DP_NAT_EV_MAPPING_ADD, 132); /* SCTP: never from the data plane, still readable. */
    check_line(&r, "contoso",
               "nat mapping add tenant=contoso(1) proto=132 inside=10.1.1.10:43210 "
               "public=198.18.0.10:43210 time=2026-11-23T22:41:07.123Z");
}

static void
test_block_alloc_free(void **state)
{
    struct dp_nat_log r = block(DP_NAT_EV_BLOCK_ALLOC);

    (void)state;
    check_line(&r, "contoso",
               "nat block alloc tenant=contoso(1) public=198.18.0.10:43200-43263 "
               "time=2026-11-23T22:41:07.123Z");
    r = block(DP_NAT_EV_BLOCK_FREE);
    check_line(&r, "contoso",
               "nat block free tenant=contoso(1) public=198.18.0.10:43200-43263 "
               "time=2026-11-23T22:41:07.123Z");
}

static void
test_unknown_tenant_and_event(void **state)
{
    struct dp_nat_log r = block(DP_NAT_EV_BLOCK_ALLOC);

    (void)state;
    r.tenant = 42;
    check_line(&r, NULL,
               "nat block alloc tenant=?(42) public=198.18.0.10:43200-43263 "
               "time=2026-11-23T22:41:07.123Z");
    r.event = 9;
    check_line(&r, "contoso", "nat event 9 tenant=contoso(42) time=2026-11-23T22:41:07.123Z");
}

static void
test_time(void **state)
{
    char b[NATLOG_TIME_STRLEN];

    (void)state;
    assert_string_equal(natlog_format_time(0, b), "1970-01-01T00:00:00.000Z");
    assert_string_equal(natlog_format_time(999999999, b), "1970-01-01T00:00:00.999Z");
    assert_string_equal(natlog_format_time(1000000000, b), "1970-01-01T00:00:01.000Z");
    assert_string_equal(natlog_format_time(T_NS, b), "2026-11-23T22:41:07.123Z");
    /* 2028-02-29T23:59:59.5Z: a leap day, milliseconds truncated. */
    assert_string_equal(natlog_format_time(1835481599ull * 1000000000ull + 500999999ull, b),
                        "2028-02-29T23:59:59.500Z");
    /* The largest time a record can carry, in 2554: still a well-formed stamp. */
    assert_string_equal(natlog_format_time(UINT64_MAX, b), "2554-07-21T23:34:33.709Z");
}

static void
test_longest_line_fits(void **state)
{
    char name[32], buf[NATLOG_LINE_MAX], want[512];
    struct dp_nat_log r = mapping(DP_NAT_EV_MAPPING_ADD, IPPROTO_ICMP);

    (void)state;
    memset(name, 'n', sizeof name - 1); /* CONFIG_NAME_MAX - 1 characters. */
    name[sizeof name - 1] = '\0';
    r.tenant = 65535;
    r.in_ip = r.pub_ip = inet_addr("255.255.255.255");
    r.in_port = r.pub_port = 65535;
    snprintf(want, sizeof want,
             "nat mapping add tenant=%s(65535) proto=icmp inside=255.255.255.255:65535 "
             "public=255.255.255.255:65535 time=2026-11-23T22:41:07.123Z",
             name);
    assert_true(strlen(want) < sizeof buf);
    check_line(&r, name, want);
    r.proto = 255;
    assert_true(natlog_format(&r, name, buf, sizeof buf) < sizeof buf);
}

static void
test_truncation(void **state)
{
    struct dp_nat_log r = block(DP_NAT_EV_BLOCK_FREE);
    char buf[16];

    (void)state;
    memset(buf, 'x', sizeof buf);
    assert_int_equal(natlog_format(&r, "contoso", buf, sizeof buf),
                     strlen("nat block free tenant=contoso(1) public=198.18.0.10:43200-43263 "
                            "time=2026-11-23T22:41:07.123Z"));
    assert_string_equal(buf, "nat block free ");
    assert_int_equal(natlog_format(&r, "contoso", NULL, 0), 93);
}

static void
test_proto_name(void **state)
{
    (void)state;
    assert_string_equal(natlog_proto_name(IPPROTO_TCP), "tcp");
    assert_string_equal(natlog_proto_name(IPPROTO_UDP), "udp");
    assert_string_equal(natlog_proto_name(IPPROTO_ICMP), "icmp");
    assert_null(natlog_proto_name(0));
    assert_null(natlog_proto_name(IPPROTO_GRE));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mapping_add_del),
        cmocka_unit_test(test_mapping_protocols),
        cmocka_unit_test(test_block_alloc_free),
        cmocka_unit_test(test_unknown_tenant_and_event),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_longest_line_fits),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_proto_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
