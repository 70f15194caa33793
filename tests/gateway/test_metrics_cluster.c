/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the pair's metrics (gateway/metrics.c, hnvgw_cluster_*): a real election and a
 * real sync channel (gateway/cluster/) on a device-less data plane, rendered as a scrape would:
 * a standalone node, then a node of a pair before and after it takes over (its peer's VRRP is
 * silent) with a bare channel endpoint on 127.0.0.2 playing the peer's sync side. The values are
 * the ones "show cluster" gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "gateway/cluster/cluster.h"
#include "gateway/cluster/neigh_sync_glue.h"
#include "gateway/cluster/pair_sync.h"
#include "gateway/cluster/sync.h"
#include "gateway/metrics.h"
#include "gateway/policy.h"
#include "tests/gateway/config/config_fixture.h"
#include "tests/lib/dp_fixture.h"
#include "tests/lib/prom_check.h"

#define SECRET "the pair's sync secret, 32 bytes"

/* A gateway of a pair (provider port 10.0.0.11, virtual PA 10.0.0.1) whose sync channel runs
 * on UDP port %u; or, with an empty cluster section, the same node standalone. */
#define CONF_FMT                                                                                   \
    "node { name = \"gw-a\" roles = {\"gateway\"} provider_addresses = {\"10.0.0.1\"}\n"           \
    "%s}\n"                                                                                        \
    "port \"pa0\" { kind = \"provider\" devargs = \"net_null0\" mac = \"02:00:0a:00:00:0b\" "      \
    "address = \"10.0.0.11/24\" }\n"                                                               \
    "port \"ext0\" { kind = \"external\" devargs = \"net_null1\" mac = \"02:00:0a:63:00:01\" "     \
    "address = \"10.99.0.1/24\" }\n"                                                               \
    "tenant \"contoso\" { id = 1\n"                                                                \
    "  subnet \"web\" { vsid = 5001 prefix = \"10.1.1.0/24\" gateway_ip = \"10.1.1.1\" "           \
    "gateway_mac = \"02:00:00:00:01:01\" } }\n"
#define CLUSTER_FMT                                                                                \
    "  cluster { vrid = 51 advert_interval_ms = 100 peer = \"10.20.0.12\" sync_address = "         \
    "\"10.20.0.11\" sync_port = %u secret = \"" SECRET "\" }\n"

static struct dp *dp;
static sd_event *event;
static struct gw_state gw;
static struct hnvgw_config *pair_cfg, *alone_cfg;
static uint16_t sync_port;

static uint16_t
free_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static int
setup(void **state)
{
    char cluster[256], text[2048], err[DP_ERR_MAX];

    (void)state;
    sync_port = free_port();
    snprintf(cluster, sizeof cluster, CLUSTER_FMT, sync_port);
    snprintf(text, sizeof text, CONF_FMT, cluster);
    pair_cfg = load_ok(text);
    /* The config wants the sync link on a real interface; here it runs on loopback, the peer
     * on 127.0.0.2. */
    pair_cfg->cluster.sync_address.v4 = htonl(INADDR_LOOPBACK);
    pair_cfg->cluster.peer.v4 = htonl(0x7f000002);
    snprintf(text, sizeof text, CONF_FMT, "");
    alone_cfg = load_ok(text);
    dp = test_dp_start((struct dp_params){.n_workers = 1});
    if (policy_add_ports(dp, pair_cfg, err)) {
        fail_msg("%s", err);
    }
    assert_true(sd_event_new(&event) >= 0);
    memset(&gw, 0, sizeof gw);
    gw.dp = dp;
    gw.cfg = pair_cfg;
    gw.started = time(NULL);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    sd_event_unref(event);
    config_destroy(pair_cfg);
    config_destroy(alone_cfg);
    dp_destroy(dp);
    return 0;
}

/* The whole exposition, checked as a parser would. */
static char *
render(void)
{
    char *buf = NULL;
    size_t len = 0, samples;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    assert_int_equal(metrics_render(NULL, &gw, f), 0);
    assert_int_equal(fclose(f), 0);
    assert_true(check_exposition(buf, &samples) > 0);
    return buf;
}

/* The value of the sample whose line starts with 'sample' (name and labels) and a space;
 * fails the test when there is none. */
static double
value(const char *text, const char *sample)
{
    size_t n = strlen(sample);

    for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        if (!strncmp(l, sample, n) && l[n] == ' ') {
            return strtod(l + n + 1, NULL);
        }
    }
    fail_msg("no sample %s", sample);
    return NAN;
}

/* A standalone node: its role, and nothing of an election or a channel. */
static void
test_standalone(void **state)
{
    char err[CONFIG_ERR_MAX];
    char *s;

    (void)state;
    gw.cfg = alone_cfg;
    assert_int_equal(cluster_start(alone_cfg, dp, event, &gw.cluster, err), 0);
    s = render();
    assert_int_equal(value(s, "hnvgw_cluster_role{role=\"standalone\"}"), 1);
    assert_int_equal(value(s, "hnvgw_cluster_role{role=\"active\"}"), 0);
    assert_int_equal(value(s, "hnvgw_cluster_role{role=\"passive\"}"), 0);
    assert_int_equal(lines_with(s, "hnvgw_cluster_"), 3);
    free(s);
    cluster_stop(gw.cluster);
    gw.cluster = NULL;
    gw.cfg = pair_cfg;
}

static struct sync *peer;

static struct sync *
peer_channel(void)
{
    struct sync_conf c;
    struct sockaddr_in *l = (struct sockaddr_in *)&c.local, *p = (struct sockaddr_in *)&c.peer;
    struct sync *s;
    char err[256];

    memset(&c, 0, sizeof c);
    l->sin_family = p->sin_family = AF_INET;
    l->sin_addr.s_addr = htonl(0x7f000002);
    p->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l->sin_port = p->sin_port = htons(sync_port);
    memcpy(c.secret, SECRET, sizeof SECRET - 1);
    c.secret_len = sizeof SECRET - 1;
    assert_int_equal(sync_create(&c, event, &s, err), 0);
    return s;
}

/* Active, the peer's sync side up with the bulk it asked for received, and the peer's (empty)
 * state here. */
static bool
taken_over(void)
{
    struct sync_stats st;
    json_t *show = cluster_show(gw.cluster);
    bool waiting = json_is_true(json_object_get(show, "waiting_for_sync"));

    json_decref(show);
    sync_get_stats(peer, &st);
    return cluster_role(gw.cluster) == DP_HA_ACTIVE && sync_peer_up(peer) &&
           st.bulk_in == SYNC_BULK_COMPLETE && !waiting;
}

/* A node of a pair: passive and alone at first, then active (its VRRP peer is silent) with the
 * peer's sync side up; each family as "show cluster" says. */
static void
test_pair(void **state)
{
    char err[CONFIG_ERR_MAX], want[160];
    struct pair_sync *ps = NULL;
    double now = (double)time(NULL), at;
    json_t *show;
    char *s;

    (void)state;
    assert_int_equal(cluster_start(pair_cfg, dp, event, &gw.cluster, err), 0);
    assert_int_equal(pair_sync_start(pair_cfg, dp, event, gw.cluster, NULL, &ps, err), 0);
    s = render();
    assert_int_equal(value(s, "hnvgw_cluster_role{role=\"passive\"}"), 1);
    assert_int_equal(value(s, "hnvgw_cluster_role{role=\"standalone\"}"), 0);
    assert_int_equal(value(s, "hnvgw_cluster_vrrp_state{state=\"backup\"}"), 1);
    assert_int_equal(value(s, "hnvgw_cluster_vrrp_state{state=\"master\"}"), 0);
    assert_int_equal(value(s, "hnvgw_cluster_priority"), 100);
    assert_int_equal(value(s, "hnvgw_cluster_waiting_for_sync"), 1);
    assert_int_equal(value(s, "hnvgw_cluster_peer_state{state=\"never_heard\"}"), 1);
    assert_int_equal(value(s, "hnvgw_cluster_failovers_total"), 0);
    assert_int_equal(value(s, "hnvgw_cluster_takeovers_total"), 0);
    assert_null(strstr(s, "hnvgw_cluster_last_failover"));
    assert_int_equal(value(s, "hnvgw_cluster_sync_peer_up"), 0);
    assert_int_equal(value(s, "hnvgw_cluster_sync_peer_state{state=\"unknown\"}"), 1);
    assert_non_null(strstr(s, "hnvgw_cluster_sync_srtt_seconds NaN\n"));
    /* Every counter of the channel and of the neighbor glue, with its help; no NAT part on a
     * node without NAT. */
#define EXPECT_FAMILY(prefix, name, help)                                                          \
    snprintf(want, sizeof want, "# HELP %s_%s_total %s\n", prefix, #name, help);                   \
    assert_non_null(strstr(s, want));
#define SYNC_FAMILY_(name, help)  EXPECT_FAMILY("hnvgw_cluster_sync", name, help)
#define NEIGH_FAMILY_(name, help) EXPECT_FAMILY("hnvgw_cluster_sync_neigh", name, help)
    SYNC_COUNTER_LIST(SYNC_FAMILY_)
    NEIGH_SYNC_GLUE_COUNTER_LIST(NEIGH_FAMILY_)
#undef NEIGH_FAMILY_
#undef SYNC_FAMILY_
#undef EXPECT_FAMILY
    assert_int_equal(lines_with(s, "hnvgw_cluster_sync_drops_total{"), SYNC_N_DROPS);
    /* In: idle, requested, receiving, complete; out: idle, sending, complete. */
    assert_int_equal(lines_with(s, "hnvgw_cluster_sync_bulk_state{"), 7);
    assert_int_equal(value(s, "hnvgw_cluster_sync_bulk_state{direction=\"out\",state=\"idle\"}"),
                     1);
    assert_non_null(strstr(s, "hnvgw_cluster_sync_esp_peer_sas 0\n"));
    assert_null(strstr(s, "hnvgw_cluster_sync_nat_"));
    free(s);

    /* The peer's sync side comes; its VRRP never does: this node takes over. */
    peer = peer_channel();
    for (unsigned i = 0; i < 3000 && !taken_over(); i++) {
        assert_true(sd_event_run(event, 10000) >= 0);
    }
    assert_true(taken_over());
    s = render();
    show = cluster_show(gw.cluster);
    assert_int_equal(value(s, "hnvgw_cluster_role{role=\"active\"}"), 1);
    assert_int_equal(value(s, "hnvgw_cluster_role{role=\"passive\"}"), 0);
    assert_int_equal(value(s, "hnvgw_cluster_vrrp_state{state=\"master\"}"), 1);
    assert_int_equal(value(s, "hnvgw_cluster_takeovers_total"), 1);
    assert_int_equal(value(s, "hnvgw_cluster_waiting_for_sync"), 0);
    assert_int_equal(value(s, "hnvgw_cluster_failovers_total"), 1);
    assert_true(fabs(value(s, "hnvgw_cluster_last_failover_seconds{phase=\"total\"}") * 1000.0 -
                     json_real_value(json_object_get(json_object_get(show, "last_failover"),
                                                     "total_ms"))) < 1e-6);
    assert_true(value(s, "hnvgw_cluster_last_failover_seconds{phase=\"detect\"}") > 0.2);
    assert_true(value(s, "hnvgw_cluster_last_failover_seconds{phase=\"switch\"}") >= 0);
    at = value(s, "hnvgw_cluster_last_failover_timestamp_seconds");
    assert_true(at >= now - 1 && at <= (double)time(NULL) + 1);
    snprintf(want, sizeof want,
             "hnvgw_cluster_last_failover_info{change=\"backup -> master\",reason=\"%s\"} 1\n",
             json_string_value(json_object_get(json_object_get(show, "last_failover"), "reason")));
    assert_non_null(strstr(s, want));
    assert_int_equal(value(s, "hnvgw_cluster_sync_peer_up"), 1);
    assert_int_equal(value(s, "hnvgw_cluster_sync_peer_state{state=\"up\"}"), 1);
    assert_int_equal(value(s, "hnvgw_cluster_sync_peer_state{state=\"unknown\"}"), 0);
    assert_true(value(s, "hnvgw_cluster_sync_hellos_received_total") >= 1);
    assert_true(value(s, "hnvgw_cluster_sync_bulk_requests_received_total") >= 1);
    assert_int_equal(
        value(s, "hnvgw_cluster_sync_bulk_state{direction=\"out\",state=\"complete\"}"), 1);
    assert_int_equal(value(s, "hnvgw_cluster_sync_bulk_state{direction=\"out\",state=\"idle\"}"),
                     0);
    assert_true(value(s, "hnvgw_cluster_adverts_sent_total") >= 1);
    assert_int_equal(value(s, "hnvgw_cluster_adverts_received_total"), 0);
    json_decref(show);
    free(s);

    pair_sync_stop(ps);
    cluster_stop(gw.cluster);
    gw.cluster = NULL;
    sync_destroy(peer);
    assert_int_equal(dp_ha_set_role(dp, DP_HA_STANDALONE), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_standalone),
        cmocka_unit_test(test_pair),
    };
    return cmocka_run_group_tests_name("metrics_cluster", tests, setup, teardown);
}
