/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the policy store (gateway/store.c) on a device-less data plane: records from the
 * file, the CLI and a controller; a move in one update; a reload that makes the file the truth;
 * all-or-nothing reloads and batches; replication lists; customer routes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/dp.h"
#include "tests/lib/config_text.h"
#include "tests/lib/dp_fixture.h"
#include "gateway/config.h"
#include "gateway/policy.h"
#include "gateway/store.h"
#include "routing/rib.h"

static struct dp *dp;

/* Two tenants with the same CA prefix; VSID 5001 carries two records on two remote PAs. */
#define NODE                                                                                       \
    "node { name = \"t\" roles = {\"gateway\"} provider_addresses = {\"10.0.0.1\"} }\n"            \
    "port \"pa0\" { kind = \"provider\" devargs = \"net_null0\" mac = \"02:00:0a:00:00:01\" "      \
    "address = \"10.0.0.1/24\" }\n"                                                                \
    "tenant \"contoso\" { id = 1\n"                                                                \
    "  subnet \"web\" { vsid = 5001 prefix = \"10.1.1.0/24\" gateway_ip = \"10.1.1.1\" "           \
    "gateway_mac = \"02:00:00:00:01:01\" } }\n"                                                    \
    "tenant \"fabrikam\" { id = 2\n"                                                               \
    "  subnet \"web\" { vsid = 6001 prefix = \"10.1.1.0/24\" gateway_ip = \"10.1.1.1\" "           \
    "gateway_mac = \"02:00:00:00:02:01\" } }\n"
#define REC(vsid, ca, pa, mac)                                                                     \
    "lookup_record { vsid = " #vsid " ca = \"" ca "\" pa = \"" pa "\" mac = \"" mac "\" }\n"

static const char *const BASE = NODE REC(5001, "10.1.1.10", "10.0.0.2", "02:00:00:00:10:10")
    REC(5001, "10.1.1.11", "10.0.0.3", "02:00:00:00:10:11")
        REC(6001, "10.1.1.10", "10.0.0.4",
            "02:00:00:00:20:10") "customer_route { tenant = \"contoso\" vsid = 5001 prefix = "
                                 "\"172.16.5.0/24\" "
                                 "next_hop = \"10.1.1.10\" }\n";

/* BASE without 10.1.1.11 and the customer route, with a new record. */
static const char *const CHANGED = NODE REC(5001, "10.1.1.10", "10.0.0.2", "02:00:00:00:10:10")
    REC(5001, "10.1.1.12", "10.0.0.2", "02:00:00:00:10:12")
        REC(6001, "10.1.1.10", "10.0.0.4", "02:00:00:00:20:10");

static int
setup(void **state)
{
    (void)state;
    dp = test_dp_start((struct dp_params){.n_workers = 1});
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    dp_destroy(dp);
    return 0;
}

/* One store with its RIB and the config it runs, per test. */
struct env {
    struct rib *rib;           /* Routes. */
    struct store *st;          /* The store under test. */
    struct hnvgw_config *cfg;  /* What it runs (freed at the end). */
    struct hnvgw_config *prev; /* The config before the last reload. */
};

static struct env env;

static int
env_up(void **state)
{
    char err[DP_ERR_MAX];

    (void)state;
    memset(&env, 0, sizeof env);
    env.rib = rib_create(dp, 1024);
    env.st = env.rib ? store_create(dp, env.rib, 1024) : NULL;
    assert_non_null(env.st);
    env.cfg = test_config_load(BASE);
    if (store_apply_config(env.st, env.cfg, err)) {
        fail_msg("%s", err);
    }
    return 0;
}

static int
env_down(void **state)
{
    char err[DP_ERR_MAX];
    struct hnvgw_config *empty = test_config_load(NODE);

    (void)state;
    /* The empty file removes everything the tests left in the shared data plane. */
    store_apply_config(env.st, empty, err);
    store_destroy(env.st);
    rib_destroy(env.rib);
    config_destroy(env.cfg);
    config_destroy(env.prev);
    config_destroy(empty);
    return 0;
}

/* Makes 'text' the running file, as a reload does. Returns the store's answer. */
static int
reload(const char *text, char *err)
{
    struct hnvgw_config *next = test_config_load(text);
    int ret = store_apply_config(env.st, next, err);

    if (ret) {
        config_destroy(next);
        return ret;
    }
    config_destroy(env.prev);
    env.prev = env.cfg;
    env.cfg = next;
    return 0;
}

/* The data plane's record of (vsid, ca): returns false if it has none. */
struct dp_find {
    uint32_t vsid, ca;  /* Looked for. */
    struct dp_lookup v; /* Found. */
    bool found;         /* Whether it was. */
};

static bool
dp_find_one(uint32_t vsid, uint32_t ca, const struct dp_lookup *v, void *aux)
{
    struct dp_find *f = aux;
    if (vsid == f->vsid && ca == f->ca) {
        f->v = *v;
        f->found = true;
        return false;
    }
    return true;
}

static bool
dp_record(uint32_t vsid, const char *ca, struct dp_lookup *out)
{
    struct dp_find f = {.vsid = vsid, .ca = test_ip4(ca)};
    dp_lookup_iterate(dp, dp_find_one, &f);
    if (out) {
        *out = f.v;
    }
    return f.found;
}

static struct config_lookup
cli_rec(uint32_t vsid, const char *ca, const char *pa, uint8_t mac_last)
{
    struct config_lookup r;

    memset(&r, 0, sizeof r);
    r.vsid = vsid;
    r.ca = hnvgw_ip4(test_ip4(ca));
    r.pa = hnvgw_ip4(test_ip4(pa));
    r.mac = (struct hnvgw_mac){{0x02, 0, 0, 0, 0x30, mac_last}};
    r.type = CONFIG_TYPE_STATIC;
    r.rule = CONFIG_RULE_ENCAP;
    return r;
}

static bool
floods_to(uint32_t vsid, const char *pa)
{
    struct dp_subnet sn;
    assert_int_equal(dp_subnet_get(dp, vsid, &sn), 0);
    for (unsigned i = 0; i < sn.n_flood; i++) {
        if (sn.flood_pa[i] == test_ip4(pa)) {
            return true;
        }
    }
    return false;
}

/* The file's records are in the data plane, per tenant, with their origin. */
static void
test_file_records(void **state)
{
    struct config_lookup got;
    enum store_origin origin;
    struct dp_lookup v;

    (void)state;
    assert_int_equal(store_lookup_count(env.st), 3);
    assert_true(store_lookup_get(env.st, 5001, test_ip4("10.1.1.10"), &got, &origin));
    assert_int_equal(origin, STORE_ORIGIN_FILE);
    assert_true(dp_record(5001, "10.1.1.10", &v));
    assert_int_equal(v.pa, test_ip4("10.0.0.2"));
    assert_true(dp_record(6001, "10.1.1.10", &v));
    assert_int_equal(v.pa, test_ip4("10.0.0.4"));
    assert_true(floods_to(5001, "10.0.0.2"));
    assert_true(floods_to(5001, "10.0.0.3"));
    assert_false(floods_to(5001, "10.0.0.4")); /* Another tenant's host. */
    assert_int_equal(dp_route_lookup(dp, 1, test_ip4("172.16.5.9")).type, DP_NH_CA);
}

/* A move changes the PA and MAC in place: same count, new value, the origin it was given. */
static void
test_move(void **state)
{
    char err[DP_ERR_MAX];
    struct config_lookup rec = cli_rec(5001, "10.1.1.11", "10.0.0.9", 0x11), got;
    enum store_origin origin;
    struct dp_lookup v;
    uint32_t before = dp_lookup_count(dp);

    (void)state;
    assert_int_equal(store_lookup_set(env.st, &rec, STORE_ORIGIN_FILE, err), 0);
    assert_int_equal(dp_lookup_count(dp), before);
    assert_true(dp_record(5001, "10.1.1.11", &v));
    assert_int_equal(v.pa, test_ip4("10.0.0.9"));
    assert_int_equal(v.mac[5], 0x11);
    assert_true(store_lookup_get(env.st, 5001, test_ip4("10.1.1.11"), &got, &origin));
    assert_int_equal(origin, STORE_ORIGIN_FILE);
    /* The replication list follows: 10.0.0.3 hosted nothing else of the VSID. */
    assert_true(floods_to(5001, "10.0.0.9"));
    assert_false(floods_to(5001, "10.0.0.3"));
}

/* A reload makes the file the truth for the file's and the CLI's records, and keeps a
 * controller's. */
static void
test_reload_truth(void **state)
{
    char err[DP_ERR_MAX];
    struct config_lookup cli = cli_rec(5001, "10.1.1.50", "10.0.0.5", 0x50);
    struct config_lookup ctl = cli_rec(5001, "10.1.1.51", "10.0.0.6", 0x51);
    struct config_lookup moved = cli_rec(5001, "10.1.1.10", "10.0.0.7", 0x10), got;

    (void)state;
    assert_int_equal(store_lookup_set(env.st, &cli, STORE_ORIGIN_CLI, err), 0);
    assert_int_equal(store_lookup_set(env.st, &ctl, STORE_ORIGIN_CONTROLLER, err), 0);
    assert_int_equal(store_lookup_set(env.st, &moved, STORE_ORIGIN_FILE, err), 0);
    assert_true(dp_record(5001, "10.1.1.50", NULL));
    if (reload(CHANGED, err)) {
        fail_msg("%s", err);
    }
    assert_false(dp_record(5001, "10.1.1.50", NULL)); /* The CLI's: not in the file. */
    assert_true(dp_record(5001, "10.1.1.51", NULL));  /* The controller's: kept. */
    assert_false(dp_record(5001, "10.1.1.11", NULL)); /* Gone from the file. */
    assert_true(dp_record(5001, "10.1.1.12", NULL));  /* New in the file. */
    assert_true(store_lookup_get(env.st, 5001, test_ip4("10.1.1.10"), &got, NULL));
    assert_int_equal(got.pa.v4, test_ip4("10.0.0.2")); /* The file's PA again. */
    assert_false(floods_to(5001, "10.0.0.3"));
    assert_false(floods_to(5001, "10.0.0.5"));
    assert_true(floods_to(5001, "10.0.0.6"));
    assert_int_equal(dp_route_lookup(dp, 1, test_ip4("172.16.5.9")).type, DP_NH_NONE);
    assert_int_equal(store_lookup_count(env.st), 4);
}

/* A reload that cannot be applied whole changes nothing: here the new subnet's VSID does not
 * fit the data plane's table of 64. */
static void
test_reload_all_or_nothing(void **state)
{
    char err[DP_ERR_MAX];
    size_t len = strlen(CHANGED) + 70 * 200;
    char *text = malloc(len);
    size_t off;

    (void)state;
    assert_non_null(text);
    off = (size_t)snprintf(text, len, "%s", CHANGED);
    for (unsigned i = 0; i < 70; i++) {
        off += (size_t)snprintf(text + off, len - off,
                                "tenant \"t%u\" { id = %u subnet \"s\" { vsid = %u prefix = "
                                "\"10.9.%u.0/24\" gateway_ip = \"10.9.%u.1\" gateway_mac = "
                                "\"02:00:00:00:09:01\" } }\n",
                                i, 10 + i, 9000 + i, i, i);
    }
    assert_int_not_equal(reload(text, err), 0);
    assert_non_null(strstr(err, "previous policy kept"));
    free(text);
    /* Everything as BASE left it. */
    assert_true(dp_record(5001, "10.1.1.11", NULL));
    assert_false(dp_record(5001, "10.1.1.12", NULL));
    assert_int_equal(dp_route_lookup(dp, 1, test_ip4("172.16.5.9")).type, DP_NH_CA);
    assert_int_equal(store_lookup_count(env.st), 3);
    assert_true(floods_to(5001, "10.0.0.3"));
    struct dp_subnet sn;
    assert_int_equal(dp_subnet_get(dp, 9000, &sn), ENOENT);
}

/* A batch rolled back leaves nothing of itself. */
static void
test_batch_rollback(void **state)
{
    char err[DP_ERR_MAX];
    struct config_lookup a = cli_rec(5001, "10.1.1.60", "10.0.0.8", 0x60);
    struct config_lookup b = cli_rec(5001, "10.1.1.10", "10.0.0.8", 0x61);
    struct dp_lookup v;

    (void)state;
    store_begin(env.st);
    assert_int_equal(store_lookup_set(env.st, &a, STORE_ORIGIN_CLI, err), 0);
    assert_int_equal(store_lookup_set(env.st, &b, STORE_ORIGIN_CLI, err), 0);
    assert_int_equal(store_lookup_del(env.st, 6001, test_ip4("10.1.1.10")), 0);
    store_rollback(env.st);
    assert_false(dp_record(5001, "10.1.1.60", NULL));
    assert_true(dp_record(5001, "10.1.1.10", &v));
    assert_int_equal(v.pa, test_ip4("10.0.0.2"));
    assert_true(dp_record(6001, "10.1.1.10", NULL));
    assert_false(floods_to(5001, "10.0.0.8"));
    assert_int_equal(store_lookup_count(env.st), 3);
}

/* Bad records are refused with a message and change nothing. */
static void
test_bad_records(void **state)
{
    char err[DP_ERR_MAX] = "";
    struct config_lookup unknown = cli_rec(7777, "10.1.1.70", "10.0.0.8", 0x70);
    struct config_lookup outside = cli_rec(5001, "10.2.2.2", "10.0.0.8", 0x71);

    (void)state;
    assert_int_equal(store_lookup_set(env.st, &unknown, STORE_ORIGIN_CLI, err), EINVAL);
    assert_true(err[0] != 0);
    assert_int_equal(store_lookup_set(env.st, &outside, STORE_ORIGIN_CLI, err), EINVAL);
    assert_int_equal(store_lookup_del(env.st, 5001, test_ip4("10.1.1.99")), ENOENT);
    assert_int_equal(store_lookup_count(env.st), 3);
}

/* Customer routes from the CLI: added, refused twice, removed by next hop; a reload drops what
 * the file does not have. */
static void
test_customer_routes(void **state)
{
    char err[DP_ERR_MAX];
    struct config_route rt;
    struct hnvgw_ip nh = hnvgw_ip4(test_ip4("10.1.1.11"));

    (void)state;
    memset(&rt, 0, sizeof rt);
    rt.tenant_id = 1;
    rt.vsid = 5001;
    rt.prefix = (struct hnvgw_prefix){.addr = hnvgw_ip4(test_ip4("172.20.0.0")), .plen = 16};
    rt.next_hop = nh;
    assert_int_equal(store_route_add(env.st, &rt, err), 0);
    assert_int_equal(dp_route_lookup(dp, 1, test_ip4("172.20.1.1")).ip, test_ip4("10.1.1.11"));
    assert_int_equal(dp_route_lookup(dp, 2, test_ip4("172.20.1.1")).type, DP_NH_NONE);
    assert_int_equal(store_route_add(env.st, &rt, err), EEXIST);
    struct hnvgw_ip other = hnvgw_ip4(test_ip4("10.1.1.12"));
    assert_int_equal(store_route_del(env.st, 1, &rt.prefix, &other), 0);
    assert_int_equal(store_route_del(env.st, 1, &rt.prefix, &nh), 1);
    assert_int_equal(dp_route_lookup(dp, 1, test_ip4("172.20.1.1")).type, DP_NH_NONE);
    assert_int_equal(store_route_add(env.st, &rt, err), 0);
    if (reload(BASE, err)) {
        fail_msg("%s", err);
    }
    assert_int_equal(dp_route_lookup(dp, 1, test_ip4("172.20.1.1")).type, DP_NH_NONE);
    assert_int_equal(dp_route_lookup(dp, 1, test_ip4("172.16.5.9")).type, DP_NH_CA);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_file_records, env_up, env_down),
        cmocka_unit_test_setup_teardown(test_move, env_up, env_down),
        cmocka_unit_test_setup_teardown(test_reload_truth, env_up, env_down),
        cmocka_unit_test_setup_teardown(test_reload_all_or_nothing, env_up, env_down),
        cmocka_unit_test_setup_teardown(test_batch_rollback, env_up, env_down),
        cmocka_unit_test_setup_teardown(test_bad_records, env_up, env_down),
        cmocka_unit_test_setup_teardown(test_customer_routes, env_up, env_down),
    };
    return cmocka_run_group_tests_name("store", tests, setup, teardown);
}
