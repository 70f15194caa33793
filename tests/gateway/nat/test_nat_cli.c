/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the NAT44 operator commands without a data plane: argument parsing and the JSON
 * rows (gateway/nat/nat_cli.c), and the tables hnvgwctl makes of them (gateway/nat/nat_view.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "gateway/ctl.h"
#include "gateway/nat/nat_cli.h"
#include "gateway/nat/nat_view.h"

/* contoso(1) and "42"(7) have NAT, fabrikam(2) has not. */
static struct config_nat nat;
static struct config_tenant tenants[] = {
    {.name = "contoso", .id = 1, .nat = &nat},
    {.name = "fabrikam", .id = 2},
    {.name = "42", .id = 7, .nat = &nat},
};
static struct hnvgw_config cfg = {.tenants = tenants, .n_tenants = 3};

/* Parses the arguments in the JSON text 'text' as "show nat sessions" ('with_limit') or "clear
 * nat sessions" would; returns the error, and the results in the outputs. */
static int
parse(const char *text, bool with_limit, struct dp_nat_filter *f, uint32_t *limit, char *err)
{
    json_t *args = json_loads(text, 0, NULL);
    int ret;

    assert_non_null(args);
    err[0] = '\0';
    ret = natcli_parse_query(&cfg, args, with_limit, f, limit, err);
    json_decref(args);
    return ret;
}

/* Checks that 'text' fails with 'want' and an error message containing 'msg'. */
static void
check_error(const char *text, bool with_limit, int want, const char *msg)
{
    struct dp_nat_filter f;
    uint32_t limit;
    char err[CTL_ERR_MAX];

    assert_int_equal(parse(text, with_limit, &f, &limit, err), want);
    if (!strstr(err, msg)) {
        fail_msg("%s: error '%s' lacks '%s'", text, err, msg);
    }
}

static void
test_query_defaults(void **state)
{
    struct dp_nat_filter f;
    uint32_t limit = 0;
    char err[CTL_ERR_MAX];

    (void)state;
    assert_int_equal(parse("{}", true, &f, &limit, err), 0);
    assert_int_equal(f.tenant, 0);
    assert_int_equal(f.addr, 0);
    assert_int_equal(limit, NATCLI_LIMIT_DEFAULT);
    assert_int_equal(parse("{}", false, &f, NULL, err), 0);
    assert_int_equal(f.tenant, 0);
    assert_int_equal(f.addr, 0);
}

static void
test_query_tenant(void **state)
{
    struct dp_nat_filter f;
    uint32_t limit;
    char err[CTL_ERR_MAX];

    (void)state;
    assert_int_equal(parse("{\"tenant\": \"contoso\"}", true, &f, &limit, err), 0);
    assert_int_equal(f.tenant, 1);
    assert_int_equal(parse("{\"tenant\": \"1\"}", false, &f, NULL, err), 0);
    assert_int_equal(f.tenant, 1);
    /* A name wins over an id: "42" is tenant 7; "7" is its id. */
    assert_int_equal(parse("{\"tenant\": \"42\"}", true, &f, &limit, err), 0);
    assert_int_equal(f.tenant, 7);
    assert_int_equal(parse("{\"tenant\": \"7\"}", true, &f, &limit, err), 0);
    assert_int_equal(f.tenant, 7);

    check_error("{\"tenant\": \"fabrikam\"}", true, ENOENT, "fabrikam(2) has no NAT");
    check_error("{\"tenant\": \"2\"}", false, ENOENT, "fabrikam(2) has no NAT");
    check_error("{\"tenant\": \"nobody\"}", true, ENOENT, "'nobody' is not a configured tenant");
    check_error("{\"tenant\": \"99\"}", true, ENOENT, "'99' is not a configured tenant");
    check_error("{\"tenant\": \"1x\"}", true, ENOENT, "'1x' is not a configured tenant");
    check_error("{\"tenant\": \"\"}", true, ENOENT, "'' is not a configured tenant");
    check_error("{\"tenant\": \"4294967297\"}", true, ENOENT, "is not a configured tenant");
    check_error("{\"tenant\": 1}", true, EINVAL, "tenant: must be a name or an id");
}

static void
test_find_tenant(void **state)
{
    const struct config_tenant *t = NULL;
    char err[CTL_ERR_MAX];

    (void)state;
    assert_int_equal(natcli_find_tenant(&cfg, "fabrikam", false, &t, err), 0);
    assert_ptr_equal(t, &tenants[1]);
    assert_int_equal(natcli_find_tenant(&cfg, "2", false, &t, err), 0);
    assert_ptr_equal(t, &tenants[1]);
    assert_int_equal(natcli_find_tenant(&cfg, "fabrikam", true, &t, err), ENOENT);
    assert_int_equal(natcli_find_tenant(&cfg, "0", false, &t, err), ENOENT);
    assert_int_equal(natcli_find_tenant(&cfg, "-1", false, &t, err), ENOENT);
    assert_int_equal(natcli_find_tenant(&cfg, " 1", false, &t, err), ENOENT);
}

static void
test_query_address(void **state)
{
    struct dp_nat_filter f;
    uint32_t limit;
    char err[CTL_ERR_MAX];

    (void)state;
    assert_int_equal(
        parse("{\"address\": \"198.18.0.10\", \"tenant\": \"contoso\"}", true, &f, &limit, err), 0);
    assert_int_equal(f.addr, inet_addr("198.18.0.10"));
    assert_int_equal(f.tenant, 1);
    assert_int_equal(parse("{\"address\": \"10.1.1.10\"}", false, &f, NULL, err), 0);
    assert_int_equal(f.addr, inet_addr("10.1.1.10"));

    check_error("{\"address\": \"0.0.0.0\"}", true, EINVAL, "address: '0.0.0.0' is not an IPv4");
    check_error("{\"address\": \"::1\"}", true, EINVAL, "address: '::1' is not an IPv4");
    check_error("{\"address\": \"10.1.1\"}", false, EINVAL, "address: '10.1.1' is not an IPv4");
    check_error("{\"address\": \"10.1.1.0/24\"}", true, EINVAL, "is not an IPv4");
    check_error("{\"address\": \"\"}", true, EINVAL, "address: '' is not an IPv4");
    check_error("{\"address\": 5}", true, EINVAL, "is not an IPv4");
}

static void
test_query_limit(void **state)
{
    struct dp_nat_filter f;
    uint32_t limit;
    char err[CTL_ERR_MAX];

    (void)state;
    assert_int_equal(parse("{\"limit\": \"0\"}", true, &f, &limit, err), 0);
    assert_int_equal(limit, 0);
    assert_int_equal(parse("{\"limit\": \"25\"}", true, &f, &limit, err), 0);
    assert_int_equal(limit, 25);
    assert_int_equal(parse("{\"limit\": \"100000\"}", true, &f, &limit, err), 0);
    assert_int_equal(limit, NATCLI_LIMIT_MAX);

    check_error("{\"limit\": \"100001\"}", true, EINVAL, "limit: '100001' is not a number in 0..");
    check_error("{\"limit\": \"-1\"}", true, EINVAL, "limit: '-1'");
    check_error("{\"limit\": \" 5\"}", true, EINVAL, "limit: ' 5'");
    check_error("{\"limit\": \"5x\"}", true, EINVAL, "limit: '5x'");
    check_error("{\"limit\": \"\"}", true, EINVAL, "limit: ''");
    check_error("{\"limit\": \"99999999999999999999999\"}", true, EINVAL, "limit:");
    check_error("{\"limit\": 5}", true, EINVAL, "limit:");
    /* A clear has no limit: ignoring one would clear more than the operator meant. */
    check_error("{\"limit\": \"5\"}", false, EINVAL, "limit: not an argument of clear");
}

/* Checks that 'v' (consumed) dumps compactly as 'want'. */
static void
check_json(json_t *v, const char *want)
{
    char *s;

    assert_non_null(v);
    s = json_dumps(v, JSON_COMPACT);
    assert_non_null(s);
    assert_string_equal(s, want);
    free(s);
    json_decref(v);
}

/* contoso's settings: two public addresses, address-dependent filtering, default timeouts. */
static struct dp_nat_conf
contoso_conf(void)
{
    struct dp_nat_conf c;

    memset(&c, 0, sizeof c);
    c.tenant = 1;
    c.public_ips[0] = inet_addr("198.18.0.10");
    c.public_ips[1] = inet_addr("198.18.0.11");
    c.n_public = 2;
    c.port_min = 1024;
    c.port_max = 65535;
    c.max_sessions = 65536;
    c.max_ports = 16384;
    c.timeout_s[DP_NAT_T_TCP_EST] = 7440;
    c.timeout_s[DP_NAT_T_TCP_TRANS] = 240;
    c.timeout_s[DP_NAT_T_UDP] = 300;
    c.timeout_s[DP_NAT_T_ICMP] = 60;
    return c;
}

static const struct dp_nat_usage contoso_usage = {
    .sessions = 12,
    .max_sessions = 65536,
    .ports = 10,
    .max_ports = 16384,
    .blocks = 3,
    .blocks_total = 2016,
};

#define CONTOSO_JSON                                                                               \
    "{\"tenant\":\"contoso\",\"id\":1,\"public_addresses\":[\"198.18.0.10\",\"198.18.0.11\"],"     \
    "\"sessions\":12,\"max_sessions\":65536,\"ports\":10,\"max_ports\":16384,\"blocks\":3,"        \
    "\"blocks_total\":2016,\"filtering\":\"address-dependent\",\"timeouts\":{\"tcp_established\":" \
    "7440,\"tcp_transitory\":240,\"udp\":300,\"icmp\":60}}"

static void
test_tenant_json(void **state)
{
    struct dp_nat_conf c = contoso_conf();

    (void)state;
    check_json(natcli_tenant_json("contoso", &c, &contoso_usage), CONTOSO_JSON);
    c.endpoint_independent_filtering = true;
    c.n_public = 1;
    check_json(natcli_tenant_json(NULL, &c, &contoso_usage),
               "{\"tenant\":\"?\",\"id\":1,\"public_addresses\":[\"198.18.0.10\"],"
               "\"sessions\":12,\"max_sessions\":65536,\"ports\":10,\"max_ports\":16384,"
               "\"blocks\":3,\"blocks_total\":2016,\"filtering\":\"endpoint-independent\","
               "\"timeouts\":{\"tcp_established\":7440,\"tcp_transitory\":240,\"udp\":300,"
               "\"icmp\":60}}");
}

static const struct dp_nat_pool_info pool = {
    .tenant = 1,
    .port_min = 1024,
    .port_max = 65535,
    .blocks_total = 1008,
    .blocks_used = 3,
    .statics = 2,
};

#define POOL_JSON                                                                                  \
    "{\"public_address\":\"198.18.0.10\",\"tenant\":\"contoso\",\"tenant_id\":1,"                  \
    "\"port_min\":1024,\"port_max\":65535,\"blocks_used\":3,\"blocks_total\":1008,\"statics\":2}"

static void
test_pool_json(void **state)
{
    struct dp_nat_pool_info p = pool;

    (void)state;
    p.ip = inet_addr("198.18.0.10");
    check_json(natcli_pool_json("contoso", &p), POOL_JSON);
}

/* A TCP session of contoso and an ICMP one. */
static struct dp_nat_session_info
session(uint8_t proto)
{
    struct dp_nat_session_info s;

    memset(&s, 0, sizeof s);
    s.tenant = 1;
    s.proto = proto;
    s.tcp_state = proto == IPPROTO_TCP ? DP_NAT_TCP_ESTABLISHED : DP_NAT_TCP_NONE;
    s.in_ip = inet_addr("10.1.1.10");
    s.in_port = proto == IPPROTO_ICMP ? 7 : 43210;
    s.pub_ip = inet_addr("198.18.0.10");
    s.pub_port = proto == IPPROTO_ICMP ? 7 : 43210;
    s.rem_ip = inet_addr("203.0.113.5");
    s.rem_port = proto == IPPROTO_ICMP ? 0 : 443;
    s.worker = 1;
    s.idle_s = 3;
    s.expires_s = 7437;
    s.pkts_out = 10;
    s.pkts_in = 8;
    return s;
}

#define TCP_JSON                                                                                   \
    "{\"tenant\":\"contoso\",\"tenant_id\":1,\"proto\":\"tcp\",\"inside\":\"10.1.1.10:43210\","    \
    "\"public\":\"198.18.0.10:43210\",\"remote\":\"203.0.113.5:443\",\"state\":\"established\","   \
    "\"idle_s\":3,\"expires_s\":7437,\"pkts_out\":10,\"pkts_in\":8,\"worker\":1}"
#define ICMP_JSON                                                                                  \
    "{\"tenant\":\"contoso\",\"tenant_id\":1,\"proto\":\"icmp\",\"inside\":\"10.1.1.10:7\","       \
    "\"public\":\"198.18.0.10:7\",\"remote\":\"203.0.113.5:0\",\"state\":\"-\",\"idle_s\":3,"      \
    "\"expires_s\":7437,\"pkts_out\":10,\"pkts_in\":8,\"worker\":1}"

static void
test_session_json(void **state)
{
    struct dp_nat_session_info s = session(IPPROTO_TCP);

    (void)state;
    check_json(natcli_session_json("contoso", &s), TCP_JSON);
    s = session(IPPROTO_ICMP);
    check_json(natcli_session_json("contoso", &s), ICMP_JSON);
    /* A state left over on a UDP session is not shown: only TCP has states. */
    s = session(IPPROTO_UDP);
    s.tcp_state = DP_NAT_TCP_RESET;
    s.pkts_in = 0;
    s.tenant = 9;
    check_json(natcli_session_json(NULL, &s),
               "{\"tenant\":\"?\",\"tenant_id\":9,\"proto\":\"udp\",\"inside\":\"10.1.1.10:43210\","
               "\"public\":\"198.18.0.10:43210\",\"remote\":\"203.0.113.5:443\",\"state\":\"-\","
               "\"idle_s\":3,\"expires_s\":7437,\"pkts_out\":10,\"pkts_in\":0,\"worker\":1}");
    s.proto = IPPROTO_TCP;
    s.tcp_state = 200;
    s.tenant = 1;
    s.pkts_in = UINT32_MAX + 1ull;
    json_t *o = natcli_session_json("contoso", &s);
    assert_string_equal(json_string_value(json_object_get(o, "state")), "?");
    assert_int_equal(json_integer_value(json_object_get(o, "pkts_in")), UINT32_MAX + 1ull);
    json_decref(o);
}

/* Renders the JSON text 'result' of 'cmd' and checks the table (compact JSON, or NULL) and the
 * footer (or NULL). */
static void
check_view(const char *cmd, const char *result, const char *want_table, const char *want_footer)
{
    json_t *r = json_loads(result, 0, NULL), *table = (json_t *)1;
    char *footer = (char *)1;

    assert_non_null(r);
    assert_true(natview_render(cmd, r, &table, &footer));
    if (want_table) {
        check_json(table, want_table);
    } else {
        assert_null(table);
    }
    if (want_footer) {
        assert_non_null(footer);
        assert_string_equal(footer, want_footer);
    } else {
        assert_null(footer);
    }
    free(footer);
    json_decref(r);
}

/* Checks that 'cmd' with the JSON text 'result' has no table of its own. */
static void
check_no_view(const char *cmd, const char *result)
{
    json_t *r = json_loads(result, JSON_DECODE_ANY, NULL), *table = (json_t *)1;
    char *footer = (char *)1;

    assert_non_null(r);
    assert_false(natview_render(cmd, r, &table, &footer));
    assert_null(table);
    assert_null(footer);
    json_decref(r);
}

static void
test_view_nat(void **state)
{
    (void)state;
    check_view("show nat", "[" CONTOSO_JSON "]",
               "{\"columns\":[\"tenant\",\"id\",\"public addresses\",\"sessions\",\"ports\","
               "\"blocks\",\"filtering\",\"timeouts (s)\"],\"rows\":[[\"contoso\",1,"
               "\"198.18.0.10, 198.18.0.11\",\"12/65536\",\"10/16384\",\"3/2016\","
               "\"address-dependent\",\"tcp 7440/240 udp 300 icmp 60\"]]}",
               NULL);
    check_view("show nat", "[{}]",
               "{\"columns\":[\"tenant\",\"id\",\"public addresses\",\"sessions\",\"ports\","
               "\"blocks\",\"filtering\",\"timeouts (s)\"],\"rows\":[[\"-\",\"-\",\"-\",\"-/-\","
               "\"-/-\",\"-/-\",\"-\",\"tcp -/- udp - icmp -\"]]}",
               NULL);
    check_view("show nat", "[]",
               "{\"columns\":[\"tenant\",\"id\",\"public addresses\",\"sessions\",\"ports\","
               "\"blocks\",\"filtering\",\"timeouts (s)\"],\"rows\":[]}",
               NULL);
}

static void
test_view_pools(void **state)
{
    (void)state;
    check_view("show nat pools", "[" POOL_JSON "]",
               "{\"columns\":[\"public address\",\"tenant\",\"ports\",\"blocks\",\"statics\"],"
               "\"rows\":[[\"198.18.0.10\",\"contoso(1)\",\"1024-65535\",\"3/1008\",2]]}",
               NULL);
}

static void
test_view_sessions(void **state)
{
    (void)state;
    check_view("show nat sessions", "{\"total\": 57, \"sessions\": [" TCP_JSON "," ICMP_JSON "]}",
               "{\"columns\":[\"tenant\",\"proto\",\"inside\",\"public\",\"remote\",\"state\","
               "\"idle s\",\"expires s\",\"pkts out\",\"pkts in\",\"worker\"],\"rows\":["
               "[\"contoso\",\"tcp\",\"10.1.1.10:43210\",\"198.18.0.10:43210\","
               "\"203.0.113.5:443\",\"established\",3,7437,10,8,1],"
               "[\"contoso\",\"icmp\",\"10.1.1.10:7\",\"198.18.0.10:7\",\"203.0.113.5:0\",\"-\","
               "3,7437,10,8,1]]}",
               "2 of 57 sessions shown");
    check_view("show nat sessions", "{\"total\": 0, \"sessions\": []}", NULL,
               "0 of 0 sessions shown");
    check_view("show nat sessions", "{\"total\": 4, \"sessions\": []}", NULL,
               "0 of 4 sessions shown");
}

static void
test_view_clear(void **state)
{
    (void)state;
    check_view("clear nat sessions", "{\"cleared\": 3}", NULL, "3 sessions cleared");
    check_view("clear nat sessions", "{\"cleared\": 0}", NULL, "0 sessions cleared");
}

static void
test_view_other(void **state)
{
    (void)state;
    check_no_view("show stats", "{\"total_drops\": 0}");
    check_no_view("show nat", "{}");
    check_no_view("show nat", "[1]");
    check_no_view("show nat pools", "\"x\"");
    check_no_view("show nat sessions", "[]");
    check_no_view("show nat sessions", "{\"total\": 1, \"sessions\": [2]}");
    check_no_view("clear nat sessions", "{\"cleared\": \"3\"}");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_defaults), cmocka_unit_test(test_query_tenant),
        cmocka_unit_test(test_find_tenant),    cmocka_unit_test(test_query_address),
        cmocka_unit_test(test_query_limit),    cmocka_unit_test(test_tenant_json),
        cmocka_unit_test(test_pool_json),      cmocka_unit_test(test_session_json),
        cmocka_unit_test(test_view_nat),       cmocka_unit_test(test_view_pools),
        cmocka_unit_test(test_view_sessions),  cmocka_unit_test(test_view_clear),
        cmocka_unit_test(test_view_other),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
