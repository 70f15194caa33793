/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the metrics module (gateway/metrics.c): the text format (HELP and TYPE once per
 * family, label escaping), the whole exposition of a device-less data plane checked line by line,
 * bgpd's summary, node metrics_listen in the config, and the HTTP listener on an sd-event loop
 * (paths, methods, and the BGP state read through a stand-in vtysh while the scrape waits). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "tests/gateway/config/config_fixture.h"
#include "tests/lib/dp_fixture.h"
#include "tests/lib/prom_check.h"
#include "gateway/metrics.h"
#include "gateway/policy.h"
#include "routing/rib.h"

/* ---- The text format ---- */

/* Runs 'fn' with a writer over a memory stream; returns the text (free it). */
static char *
text_of(void (*fn)(struct metrics_text *t))
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct metrics_text t;

    assert_non_null(f);
    metrics_text_init(&t, f);
    fn(&t);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void
write_two_families(struct metrics_text *t)
{
    metrics_family(t, "hnvgw_a_total", METRICS_COUNTER, "First.");
    metrics_sample(t, 1, "worker", "0", NULL);
    metrics_family(t, "hnvgw_a_total", METRICS_COUNTER, "First.");
    metrics_sample(t, 2, "worker", "1", NULL);
    metrics_family(t, "hnvgw_b", METRICS_GAUGE, "Second.");
    metrics_sample(t, 18446744073709551615ull, NULL);
}

static void
test_help_type_once(void **state)
{
    char *s = text_of(write_two_families);

    (void)state;
    assert_string_equal(s, "# HELP hnvgw_a_total First.\n"
                           "# TYPE hnvgw_a_total counter\n"
                           "hnvgw_a_total{worker=\"0\"} 1\n"
                           "hnvgw_a_total{worker=\"1\"} 2\n"
                           "# HELP hnvgw_b Second.\n"
                           "# TYPE hnvgw_b gauge\n"
                           "hnvgw_b 18446744073709551615\n");
    free(s);
}

static void
write_escapes(struct metrics_text *t)
{
    metrics_family(t, "hnvgw_esc", METRICS_GAUGE, "A \"quoted\" back\\slash and\na newline.");
    metrics_sample(t, 7, "a", "x\"y", "b", "c:\\d", "c", "l1\nl2", NULL);
    metrics_sample(t, 0, "empty", "", NULL);
}

/* Label values escape backslash, double quote and newline; HELP only backslash and newline. */
static void
test_escaping(void **state)
{
    char *s = text_of(write_escapes);

    (void)state;
    assert_string_equal(s, "# HELP hnvgw_esc A \"quoted\" back\\\\slash and\\na newline.\n"
                           "# TYPE hnvgw_esc gauge\n"
                           "hnvgw_esc{a=\"x\\\"y\",b=\"c:\\\\d\",c=\"l1\\nl2\"} 7\n"
                           "hnvgw_esc{empty=\"\"} 0\n");
    free(s);
}

static void
write_names_and_floats(struct metrics_text *t)
{
    metrics_family(t, "hnvgw_tx.sent-x_total", METRICS_COUNTER, "Dots become underscores.");
    metrics_sample(t, 3, NULL);
    metrics_family(t, "9lives", METRICS_GAUGE, "A leading digit is not a name.");
    metrics_sample_f(t, 0.25, NULL);
    metrics_sample_f(t, NAN, "k", "nan", NULL);
    metrics_sample_f(t, INFINITY, "k", "inf", NULL);
    metrics_sample_f(t, -INFINITY, "k", "-inf", NULL);
    metrics_sample_f(t, -3, "k", "neg", NULL);
}

static void
test_names_and_floats(void **state)
{
    char *s = text_of(write_names_and_floats);

    (void)state;
    assert_string_equal(s, "# HELP hnvgw_tx_sent_x_total Dots become underscores.\n"
                           "# TYPE hnvgw_tx_sent_x_total counter\n"
                           "hnvgw_tx_sent_x_total 3\n"
                           "# HELP _lives A leading digit is not a name.\n"
                           "# TYPE _lives gauge\n"
                           "_lives 0.25\n"
                           "_lives{k=\"nan\"} NaN\n"
                           "_lives{k=\"inf\"} +Inf\n"
                           "_lives{k=\"-inf\"} -Inf\n"
                           "_lives{k=\"neg\"} -3\n");
    free(s);
}

/* ---- bgpd's summary ---- */

#define SUMMARY                                                                                    \
    "{\"ipv4Unicast\":{\"routerId\":\"10.1.1.1\",\"as\":65001,\"peerCount\":2,\"peers\":{"         \
    "\"10.99.0.2\":{\"remoteAs\":65002,\"state\":\"Established\",\"peerUptimeMsec\":5000,"         \
    "\"pfxRcd\":3,\"pfxSnt\":2},"                                                                  \
    "\"10.99.0.3\":{\"remoteAs\":65003,\"state\":\"Active\"}}},"                                   \
    "\"ipv6Unicast\":{\"peers\":{\"fd00::2\":{\"remoteAs\":65002,\"state\":\"Idle\"}}},"           \
    "\"totalPeers\":3}"

static const struct metrics_bgp_peer *
find_peer(const struct metrics_bgp_peer *p, size_t n, const char *family, const char *neighbor)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(p[i].family, family) && !strcmp(p[i].neighbor, neighbor)) {
            return &p[i];
        }
    }
    fail_msg("no peer %s %s", family, neighbor);
    return NULL;
}

static void
test_bgp_parse(void **state)
{
    struct metrics_bgp_peer *p = NULL;
    const struct metrics_bgp_peer *q;
    size_t n = 99;

    (void)state;
    assert_int_equal(metrics_bgp_parse(SUMMARY, strlen(SUMMARY), &p, &n), 0);
    assert_int_equal(n, 3);
    q = find_peer(p, n, "ipv4Unicast", "10.99.0.2");
    assert_string_equal(q->state, "Established");
    assert_int_equal(q->remote_as, 65002);
    assert_int_equal(q->pfx_rcd, 3);
    assert_int_equal(q->pfx_snt, 2);
    assert_int_equal(q->uptime_ms, 5000);
    q = find_peer(p, n, "ipv4Unicast", "10.99.0.3");
    assert_string_equal(q->state, "Active");
    assert_int_equal(q->pfx_rcd, -1);
    assert_int_equal(q->uptime_ms, -1);
    q = find_peer(p, n, "ipv6Unicast", "fd00::2");
    assert_string_equal(q->state, "Idle");
    free(p);

    /* No neighbors: an empty answer, not an error. */
    assert_int_equal(metrics_bgp_parse("{}", 2, &p, &n), 0);
    assert_int_equal(n, 0);
    assert_null(p);
    /* What vtysh prints when bgpd is not there is no summary. */
    assert_int_equal(metrics_bgp_parse("bgpd is not running\n", 20, &p, &n), EINVAL);
    assert_int_equal(metrics_bgp_parse("", 0, &p, &n), EINVAL);
    assert_int_equal(metrics_bgp_parse("[1]", 3, &p, &n), EINVAL);
    assert_null(p);
    assert_int_equal(n, 0);
}

/* ---- node metrics_listen ---- */

#define NODE_METRICS(v) "node {\n  roles = {\"gateway\"}\n  metrics_listen = " v "\n}\n" PORT_EXT

static void
test_config_listen(void **state)
{
    struct hnvgw_config *cfg = load_ok("node {\n  roles = {\"gateway\"}\n}\n" PORT_EXT);
    struct hnvgw_config *other;
    char b[HNVGW_IP_STRLEN];

    (void)state;
    assert_false(cfg->metrics); /* Off by default. */
    other = load_ok(NODE_METRICS("\"10.20.0.5:9469\""));
    assert_true(other->metrics);
    assert_string_equal(hnvgw_ip_format(&other->metrics_ip, b), "10.20.0.5");
    assert_int_equal(other->metrics_port, 9469);
    /* Turning metrics on, or moving them, needs a restart: a reload refuses it. */
    assert_string_equal(policy_restart_needed(cfg, other), "node metrics_listen");
    config_destroy(cfg);
    cfg = load_ok(NODE_METRICS("\"10.20.0.6:9469\""));
    assert_string_equal(policy_restart_needed(cfg, other), "node metrics_listen");
    config_destroy(cfg);
    cfg = load_ok(NODE_METRICS("\"10.20.0.5:9470\""));
    assert_string_equal(policy_restart_needed(cfg, other), "node metrics_listen");
    config_destroy(cfg);
    cfg = load_ok(NODE_METRICS("\"10.20.0.5:9469\""));
    assert_null(policy_restart_needed(cfg, other));
    config_destroy(cfg);
    config_destroy(other);

    cfg = load_ok(NODE_METRICS("\"[fd00::5]:9469\""));
    assert_int_equal(cfg->metrics_ip.family, HNVGW_AF_INET6);
    assert_string_equal(hnvgw_ip_format(&cfg->metrics_ip, b), "fd00::5");
    assert_int_equal(cfg->metrics_port, 9469);
    config_destroy(cfg);
    /* Loopback and, written out, every address. */
    cfg = load_ok(NODE_METRICS("\"127.0.0.1:1\""));
    assert_int_equal(cfg->metrics_port, 1);
    config_destroy(cfg);
    cfg = load_ok(NODE_METRICS("\"0.0.0.0:65535\""));
    assert_true(hnvgw_ip_is_zero(&cfg->metrics_ip));
    assert_int_equal(cfg->metrics_port, 65535);
    config_destroy(cfg);
}

static const struct bad_case bad_cases[] = {
    {"listen_no_port", NODE_METRICS("\"10.20.0.5\" #<<"),
     "node metrics_listen: '10.20.0.5' is not ADDRESS:PORT", -1},
    {"listen_empty", NODE_METRICS("\"\" #<<"), "node metrics_listen: '' is not ADDRESS:PORT", -1},
    {"listen_port_zero", NODE_METRICS("\"10.20.0.5:0\" #<<"),
     "node metrics_listen: port '0' is not 1..65535", -1},
    {"listen_port_big", NODE_METRICS("\"10.20.0.5:65536\" #<<"),
     "node metrics_listen: port '65536' is not 1..65535", -1},
    {"listen_port_word", NODE_METRICS("\"10.20.0.5:http\" #<<"),
     "node metrics_listen: port 'http' is not 1..65535", -1},
    {"listen_port_sign", NODE_METRICS("\"10.20.0.5:+80\" #<<"),
     "node metrics_listen: port '+80' is not 1..65535", -1},
    {"listen_port_empty", NODE_METRICS("\"10.20.0.5:\" #<<"),
     "node metrics_listen: port '' is not 1..65535", -1},
    {"listen_hostname", NODE_METRICS("\"mgmt.example:9469\" #<<"),
     "node metrics_listen: 'mgmt.example' is not an IPv4 address, nor an IPv6 address in brackets",
     -1},
    {"listen_bad_ip", NODE_METRICS("\"10.20.0.300:9469\" #<<"),
     "node metrics_listen: '10.20.0.300' is not an IPv4 address", -1},
    {"listen_v6_unbracketed", NODE_METRICS("\"fd00::5:9469\" #<<"),
     "node metrics_listen: 'fd00::5:9469' is not ADDRESS:PORT", -1},
    {"listen_v4_bracketed", NODE_METRICS("\"[10.20.0.5]:9469\" #<<"),
     "node metrics_listen: '10.20.0.5' is not an IPv4 address, nor an IPv6 address in brackets",
     -1},
    {"listen_v6_no_port", NODE_METRICS("\"[fd00::5]\" #<<"),
     "node metrics_listen: '[fd00::5]' is not ADDRESS:PORT", -1},
    {"listen_multicast", NODE_METRICS("\"239.1.2.3:9469\" #<<"),
     "node metrics_listen: 239.1.2.3 is a multicast or broadcast address", -1},
    {"listen_broadcast", NODE_METRICS("\"255.255.255.255:9469\" #<<"),
     "node metrics_listen: 255.255.255.255 is a multicast or broadcast address", -1},
    {"listen_v6_multicast", NODE_METRICS("\"[ff02::1]:9469\" #<<"),
     "node metrics_listen: ff02::1 is a multicast or broadcast address", -1},
    {"listen_twice",
     "node {\n  roles = {\"gateway\"}\n  metrics_listen = \"10.20.0.5:9469\"\n"
     "  metrics_listen = \"10.20.0.6:9469\" #<<\n}\n" PORT_EXT,
     "metrics_listen", -1},
};

/* ---- The whole exposition of a device-less data plane ---- */

static struct dp *dp;

#define GW_CONF                                                                                    \
    "node { name = \"m1\" roles = {\"gateway\"} provider_addresses = {\"10.0.0.1\"}\n"             \
    "  max_nat_sessions = 4096 }\n"                                                                \
    "port \"pa0\" { kind = \"provider\" devargs = \"net_null0\" mac = \"02:00:0a:00:00:01\" "      \
    "address = \"10.0.0.1/24\" }\n"                                                                \
    "port \"ext0\" { kind = \"external\" devargs = \"net_null1\" mac = \"02:00:0a:63:00:01\" "     \
    "address = \"10.99.0.1/24\" }\n"                                                               \
    "tenant \"contoso\" { id = 1\n"                                                                \
    "  subnet \"web\" { vsid = 5001 prefix = \"10.1.1.0/24\" gateway_ip = \"10.1.1.1\" "           \
    "gateway_mac = \"02:00:00:00:01:01\" }\n"                                                      \
    "  nat { public_addresses = {\"198.18.0.10\", \"198.18.0.11\"} max_sessions = 100 } }\n"       \
    "tenant \"fabrikam\" { id = 2\n"                                                               \
    "  subnet \"web\" { vsid = 6001 prefix = \"10.1.1.0/24\" gateway_ip = \"10.1.1.1\" "           \
    "gateway_mac = \"02:00:00:00:02:01\" }\n"                                                      \
    "  nat { public_addresses = {\"198.18.0.20\"} } }\n"

/* The daemon state the metrics read, as main() builds it, with one tenant's FRR and one VPN
 * tunnel standing in for the real ones. */
static struct gw_state gw;
static struct frr_instance frr;
static struct tenant_routing_tenant frr_tenant = {.name = "contoso", .id = 1, .fi = &frr};
static struct vpn_tenant vpn_tenant = {.name = "contoso", .id = 1};
static struct config_vpn_tunnel vpn_conf = {.name = "site1", .reqid = 17};
static struct vpn_tunnel_state tunnel;
static char frr_dir[64];

static int
setup(void **state)
{
    char err[DP_ERR_MAX];
    static const char *const daemons[FRR_N_DAEMONS] = {"zebra", "staticd", "bgpd"};

    (void)state;
    dp = test_dp_start(
        (struct dp_params){.n_workers = 1, .max_nat_sessions = 4096, .nat_port_block = 64});
    memset(&gw, 0, sizeof gw);
    gw.cfg = load_ok(GW_CONF);
    gw.dp = dp;
    gw.rib = rib_create(dp, 1024);
    gw.started = time(NULL) - 5;
    gw.reloads = 2;
    if (policy_add_ports(dp, gw.cfg, err) || policy_nat_setup(dp, gw.cfg, err)) {
        fail_msg("%s", err);
    }
    /* contoso's compartment on a shared exception port (a null device stands for the TAP). */
    {
        struct dp_port_conf pc = {.kind = DP_PORT_EXCEPTION, .tagged = true, .mtu = 1500};
        const uint8_t peer[6] = {0x02, 0, 0xee, 1, 0, 1};
        uint16_t id;

        snprintf(pc.name, sizeof pc.name, "compartments0");
        snprintf(pc.devargs, sizeof pc.devargs, "net_null_cmp0");
        if (dp_port_add(dp, &pc, &id, err) || dp_compartment_bind(dp, id, 1, 0, peer, err)) {
            fail_msg("%s", err);
        }
    }
    /* A tenant with routing: its state directory is where vtysh is pointed. */
    strcpy(frr_dir, "/tmp/test_metrics.XXXXXX");
    assert_non_null(mkdtemp(frr_dir));
    frr.tenant = 1;
    snprintf(frr.tenant_name, sizeof frr.tenant_name, "contoso");
    snprintf(frr.dir, sizeof frr.dir, "%s", frr_dir);
    for (int d = 0; d < FRR_N_DAEMONS; d++) {
        frr.daemons[d].name = daemons[d];
        frr.daemons[d].pid = d == 2 ? 0 : 1000 + d; /* bgpd down. */
        frr.daemons[d].restarts = (unsigned)d;
    }
    frr.daemons[1].off = true; /* No static routes: staticd is not run. */
    gw.routing.frr = &frr;
    gw.routing.n_frr = 1;
    gw.routing.tenants = &frr_tenant;
    gw.routing.n_tenants = 1;
    tunnel.tenant = &vpn_tenant;
    tunnel.conf = &vpn_conf;
    snprintf(tunnel.ike_state, sizeof tunnel.ike_state, "ESTABLISHED");
    snprintf(tunnel.child_state, sizeof tunnel.child_state, "INSTALLED");
    tunnel.spi_in = 0x1234;
    tunnel.spi_out = 0x5678;
    tunnel.child_rekeys = 4;
    gw.vpn.enabled = true;
    gw.vpn.pid = 42;
    gw.vpn.restarts = 1;
    gw.vpn.tunnels = &tunnel;
    gw.vpn.n_tunnels = 1;
    return 0;
}

static int
teardown(void **state)
{
    char path[128];

    (void)state;
    snprintf(path, sizeof path, "%s/vtysh", frr_dir);
    unlink(path);
    rmdir(frr_dir);
    rib_destroy(gw.rib);
    config_destroy(gw.cfg);
    dp_destroy(dp);
    return 0;
}

static char *
render(const struct metrics_server *srv)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    assert_int_equal(metrics_render(srv, &gw, f), 0);
    assert_int_equal(fclose(f), 0);
    return buf;
}

static void
test_render(void **state)
{
    char *s = render(NULL);
    size_t samples, families = check_exposition(s, &samples);
    char want[256];

    (void)state;
    /* The process, its tables, every counter and the drops, NAT, VPN and FRR. */
    assert_true(families > DP_N_COUNTERS + 20);
    for (unsigned c = 0; c < DP_N_COUNTERS; c++) {
        char name[96];
        snprintf(name, sizeof name, "hnvgw_%s_total", dp_counter_names[c]);
        for (char *p = name; *p; p++) {
            *p = *p == '.' ? '_' : *p;
        }
        snprintf(want, sizeof want, "# TYPE %s counter\n", name);
        assert_non_null(strstr(s, want));
        /* Per worker, and the control thread's own. */
        snprintf(want, sizeof want, "%s{worker=\"0\"} 0\n", name);
        assert_non_null(strstr(s, want));
        snprintf(want, sizeof want, "%s{worker=\"control\"} 0\n", name);
        assert_non_null(strstr(s, want));
        strcat(name, "{");
        assert_int_equal(lines_with(s, name), 2);
    }
    assert_non_null(strstr(s, "# TYPE hnvgw_drops_total counter\n"));
    assert_int_equal(lines_with(s, "hnvgw_drops_total{"), DP_N_DROPS * 2);
    assert_non_null(
        strstr(s, "hnvgw_drops_total{stage=\"decap\",reason=\"bad_gre_flags\",worker=\"0\"} 0\n"));
    assert_non_null(
        strstr(s, "hnvgw_drops_total{stage=\"nat\",reason=\"log_lost\",worker=\"control\"} 0\n"));
    assert_non_null(strstr(s, "hnvgw_build_info{version=\"" HNVGW_VERSION "\"} 1\n"));
    assert_non_null(strstr(s, "hnvgw_node_info{node=\"m1\",roles=\"gateway\"} 1\n"));
    assert_non_null(strstr(s, "hnvgw_config_reloads_total 2\n"));
    assert_non_null(strstr(s, "hnvgw_workers 1\n"));
    assert_non_null(strstr(s, "hnvgw_tenants 2\n"));
    assert_non_null(strstr(s, "hnvgw_table_capacity{table=\"lookup_records\"} 65536\n"));
    assert_non_null(strstr(s, "hnvgw_table_entries{table=\"subnets\"} 2\n"));
    /* NAT usage against the quotas, per tenant and per public address. */
    assert_non_null(strstr(s, "# TYPE hnvgw_compartment_punted_total counter\n"));
    assert_non_null(strstr(s, "hnvgw_compartment_punted_total{tenant=\"contoso\"} 0\n"));
    assert_non_null(strstr(s, "hnvgw_compartment_injected_total{tenant=\"contoso\"} 0\n"));
    assert_int_equal(lines_with(s, "hnvgw_compartment_punted_total{"), 1); /* Not fabrikam. */
    assert_non_null(strstr(s, "hnvgw_nat_session_capacity 4096\n"));
    assert_non_null(strstr(s, "hnvgw_nat_sessions{tenant=\"contoso\"} 0\n"));
    assert_non_null(strstr(s, "hnvgw_nat_sessions_max{tenant=\"contoso\"} 100\n"));
    assert_non_null(strstr(s, "hnvgw_nat_sessions_max{tenant=\"fabrikam\"} 65536\n"));
    assert_non_null(strstr(s, "hnvgw_nat_ports_max{tenant=\"fabrikam\"} 16384\n"));
    /* 1024-65535 in blocks of 64: 1008 blocks per address. */
    assert_non_null(strstr(s, "hnvgw_nat_port_blocks_max{tenant=\"contoso\"} 2016\n"));
    assert_non_null(strstr(s, "hnvgw_nat_address_port_blocks_max{tenant=\"contoso\",address="
                              "\"198.18.0.11\"} 1008\n"));
    assert_non_null(strstr(
        s, "hnvgw_nat_address_port_blocks{tenant=\"fabrikam\",address=\"198.18.0.20\"} 0\n"));
    /* The VPN tunnel and the IKE daemon. */
    assert_non_null(strstr(s, "hnvgw_vpn_ike_daemon_up 1\n"));
    assert_non_null(strstr(s, "hnvgw_vpn_ike_daemon_restarts_total 1\n"));
    assert_non_null(strstr(s, "hnvgw_vpn_tunnel_up{tenant=\"contoso\",tunnel=\"site1\"} 1\n"));
    assert_non_null(strstr(s, "hnvgw_vpn_tunnel_child_rekeys_total{tenant=\"contoso\",tunnel="
                              "\"site1\"} 4\n"));
    assert_non_null(strstr(s, "hnvgw_vpn_tunnel_packets_total{tenant=\"contoso\",tunnel="
                              "\"site1\",direction=\"out\"} 0\n"));
    assert_non_null(strstr(s, "hnvgw_vpn_tunnel_info{tenant=\"contoso\",tunnel=\"site1\","
                              "ike_state=\"ESTABLISHED\",child_state=\"INSTALLED\",mode="));
    /* The ports, by name and kind. */
    assert_non_null(strstr(s, "hnvgw_port_link_up{port=\"pa0\",kind=\"provider\"} "));
    assert_non_null(strstr(s, "hnvgw_port_rx_packets_total{port=\"ext0\",kind=\"external\"} "));
    assert_non_null(
        strstr(s, "hnvgw_port_rx_packets_total{port=\"compartments0\",kind=\"exception\"} "));
    assert_int_equal(lines_with(s, "hnvgw_port_tx_bytes_total{"), 3);
    /* FRR's daemons: bgpd is the one not running. */
    assert_non_null(strstr(s, "hnvgw_frr_daemon_up{tenant=\"contoso\",daemon=\"zebra\"} 1\n"));
    assert_non_null(strstr(s, "hnvgw_frr_daemon_up{tenant=\"contoso\",daemon=\"bgpd\"} 0\n"));
    assert_non_null(
        strstr(s, "hnvgw_frr_daemon_restarts_total{tenant=\"contoso\",daemon=\"bgpd\"} 2\n"));
    /* staticd, not run by design, is not reported as a daemon that is down. */
    assert_null(strstr(s, "daemon=\"staticd\""));
    /* A node without a pair: standalone, and nothing of an election or a sync channel. */
    assert_non_null(strstr(s, "# TYPE hnvgw_cluster_role gauge\n"
                              "hnvgw_cluster_role{role=\"standalone\"} 1\n"
                              "hnvgw_cluster_role{role=\"active\"} 0\n"
                              "hnvgw_cluster_role{role=\"passive\"} 0\n"));
    assert_null(strstr(s, "hnvgw_cluster_vrrp_"));
    assert_null(strstr(s, "hnvgw_cluster_sync_"));
    /* Without a server, no BGP state and no scrape count. */
    assert_null(strstr(s, "hnvgw_bgp_"));
    assert_null(strstr(s, "hnvgw_metrics_scrapes_total"));
    free(s);

    /* A tunnel going down reads 0. */
    snprintf(tunnel.child_state, sizeof tunnel.child_state, "DOWN");
    s = render(NULL);
    assert_non_null(strstr(s, "hnvgw_vpn_tunnel_up{tenant=\"contoso\",tunnel=\"site1\"} 0\n"));
    snprintf(tunnel.child_state, sizeof tunnel.child_state, "INSTALLED");
    free(s);
}

/* ---- The listener on an sd-event loop ---- */

/* A stand-in vtysh in frr_dir, first in PATH: 'body' is its shell script after the #! line. */
static void
fake_vtysh(const char *body)
{
    char path[128], env[4096];
    FILE *f;

    snprintf(path, sizeof path, "%s/vtysh", frr_dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, 0755), 0);
    snprintf(env, sizeof env, "%s:%s", frr_dir, getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    if (!strstr(getenv("PATH") ? getenv("PATH") : "", frr_dir)) {
        assert_int_equal(setenv("PATH", env, 1), 0);
    }
}

#define MAX_REQS 4

/* What the client thread asks and gets. */
struct client {
    uint16_t port;              /* The listener's. */
    const char *reqs[MAX_REQS]; /* Requests, each sent on a connection of its own. */
    size_t n_reqs;              /* Entries. */
    char *resps[MAX_REQS];      /* The whole responses (malloc'd), NULL if none came. */
    int efd;                    /* Written when done: the loop then exits. */
};

/* Sends 'req' on a new connection to 127.0.0.1:'port' and reads the reply to its end. */
static char *
http_ask(uint16_t port, const char *req)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    size_t len = 0, cap = 1 << 16;
    char *buf = malloc(cap + 1);
    ssize_t got;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || !buf || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
        if (fd >= 0) {
            close(fd);
        }
        free(buf);
        return NULL;
    }
    while ((got = recv(fd, buf + len, cap - len, 0)) > 0) {
        len += (size_t)got;
        if (len == cap) {
            char *grown = realloc(buf, cap * 2 + 1);
            if (!grown) {
                break;
            }
            buf = grown;
            cap *= 2;
        }
    }
    close(fd);
    buf[len] = '\0';
    return buf;
}

static void *
client_main(void *aux)
{
    struct client *c = aux;
    uint64_t one = 1;

    for (size_t i = 0; i < c->n_reqs; i++) {
        c->resps[i] = http_ask(c->port, c->reqs[i]);
    }
    if (write(c->efd, &one, sizeof one) != sizeof one) {
        abort();
    }
    return NULL;
}

static int
on_client_done(sd_event_source *src, int fd, uint32_t revents, void *aux)
{
    (void)fd;
    (void)revents;
    (void)aux;
    return sd_event_exit(sd_event_source_get_event(src), 0);
}

/* Opens a listener on 127.0.0.1 (a free port) on a new loop, lets a client thread send 'reqs'
 * while the loop runs, and returns the responses in 'c'. 'srv_out' (if not NULL) keeps the
 * server open for the caller, who destroys it. */
static void
serve(struct client *c, struct metrics_server **srv_out)
{
    struct hnvgw_config cfg;
    struct metrics_server *srv = NULL;
    sd_event *event = NULL;
    sd_event_source *done = NULL;
    pthread_t th;
    char err[256];

    memset(&cfg, 0, sizeof cfg);
    cfg.metrics = true;
    cfg.metrics_ip = hnvgw_ip4(htonl(INADDR_LOOPBACK));
    cfg.metrics_port = 0; /* Any free port (a file must name one). */
    assert_int_equal(sd_event_new(&event), 0);
    if (metrics_server_open(&cfg, &gw, event, &srv, err)) {
        fail_msg("%s", err);
    }
    c->port = metrics_server_port(srv);
    assert_int_not_equal(c->port, 0);
    c->efd = eventfd(0, EFD_CLOEXEC);
    assert_true(c->efd >= 0);
    assert_true(sd_event_add_io(event, &done, c->efd, EPOLLIN, on_client_done, NULL) >= 0);
    assert_int_equal(pthread_create(&th, NULL, client_main, c), 0);
    assert_int_equal(sd_event_loop(event), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    sd_event_source_disable_unref(done);
    close(c->efd);
    if (srv_out) {
        *srv_out = srv;
    } else {
        metrics_server_destroy(srv);
    }
    sd_event_unref(event);
}

static void
client_free(struct client *c)
{
    for (size_t i = 0; i < c->n_reqs; i++) {
        free(c->resps[i]);
    }
}

#define GET(path) "GET " path " HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"

/* The body of response 'r' (after the headers). */
static const char *
body_of(const char *r)
{
    const char *b = strstr(r, "\r\n\r\n");
    assert_non_null(b);
    return b + 4;
}

/* Paths and methods; bgpd answers through vtysh while the scrape waits. */
static void
test_http(void **state)
{
    struct client c = {.reqs = {GET("/metrics"), GET("/"),
                                "POST /metrics HTTP/1.1\r\nHost: t\r\n"
                                "Content-Length: 2\r\nConnection: "
                                "close\r\n\r\nab",
                                GET("/metrics")},
                       .n_reqs = 4};
    size_t samples;
    const char *b;

    (void)state;
    /* It checks that it is asked as bgpd should be, and answers like bgpd. */
    fake_vtysh("[ \"$1 $2 $3 $4 $5 $6\" = \"--vty_socket $(dirname \"$0\") -d bgpd -c show bgp "
               "summary json\" ] || exit 1\n"
               "echo '" SUMMARY "'");
    serve(&c, NULL);
    assert_non_null(c.resps[0]);
    assert_non_null(strstr(c.resps[0], "HTTP/1.1 200 OK\r\n"));
    assert_non_null(strstr(c.resps[0], "Content-Type: " METRICS_CONTENT_TYPE "\r\n"));
    b = body_of(c.resps[0]);
    check_exposition(b, &samples);
    assert_non_null(strstr(b, "hnvgw_metrics_scrapes_total 1\n"));
    assert_non_null(strstr(b, "hnvgw_bgp_summary_ok{tenant=\"contoso\"} 1\n"));
    assert_non_null(strstr(b, "hnvgw_bgp_asks_total 1\n"));
    assert_non_null(strstr(b, "hnvgw_bgp_ask_failures_total 0\n"));
    assert_non_null(strstr(b, "hnvgw_bgp_neighbor_up{tenant=\"contoso\",neighbor=\"10.99.0.2\","
                              "family=\"ipv4Unicast\"} 1\n"));
    assert_non_null(strstr(b, "hnvgw_bgp_neighbor_up{tenant=\"contoso\",neighbor=\"10.99.0.3\","
                              "family=\"ipv4Unicast\"} 0\n"));
    assert_non_null(strstr(b, "hnvgw_bgp_neighbor_info{tenant=\"contoso\",neighbor=\"10.99.0.3\","
                              "family=\"ipv4Unicast\",state=\"Active\",remote_as=\"65003\"} 1\n"));
    assert_non_null(strstr(b, "hnvgw_bgp_neighbor_prefixes_received{tenant=\"contoso\",neighbor="
                              "\"10.99.0.2\",family=\"ipv4Unicast\"} 3\n"));
    assert_non_null(strstr(b, "hnvgw_bgp_neighbor_state_seconds{tenant=\"contoso\",neighbor="
                              "\"10.99.0.2\",family=\"ipv4Unicast\"} 5\n"));

    assert_non_null(c.resps[1]);
    assert_non_null(strstr(c.resps[1], "HTTP/1.1 404 Not Found\r\n"));
    assert_null(strstr(c.resps[1], "hnvgw_"));
    assert_non_null(c.resps[2]);
    assert_non_null(strstr(c.resps[2], "HTTP/1.1 405 Method Not Allowed\r\n"));
    assert_non_null(strstr(c.resps[2], "Allow: GET, HEAD\r\n"));
    assert_null(strstr(c.resps[2], "hnvgw_"));
    /* The last scrape came soon after the first: served from the state read then, or after
     * asking again (on a slow machine); either way with bgpd's answer. */
    assert_non_null(c.resps[3]);
    b = body_of(c.resps[3]);
    assert_non_null(strstr(b, "hnvgw_metrics_scrapes_total 2\n"));
    assert_non_null(strstr(b, "hnvgw_bgp_summary_ok{tenant=\"contoso\"} 1\n"));
    assert_non_null(strstr(b, "hnvgw_bgp_ask_failures_total 0\n"));
    client_free(&c);
}

/* A tenant of the shared FRR: its neighbors are read from its VRF of the one bgpd. */
static void
test_http_shared_vrf(void **state)
{
    struct client c = {.reqs = {GET("/metrics")}, .n_reqs = 1};
    const char *b;
    size_t samples;

    (void)state;
    snprintf(frr_tenant.vrf, sizeof frr_tenant.vrf, "vrf1");
    fake_vtysh("[ \"$1 $2 $3 $4 $5 $6\" = \"--vty_socket $(dirname \"$0\") -d bgpd -c show bgp "
               "vrf vrf1 summary json\" ] || exit 1\n"
               "echo '" SUMMARY "'");
    serve(&c, NULL);
    frr_tenant.vrf[0] = '\0';
    assert_non_null(c.resps[0]);
    b = body_of(c.resps[0]);
    check_exposition(b, &samples);
    assert_non_null(strstr(b, "hnvgw_bgp_summary_ok{tenant=\"contoso\"} 1\n"));
    assert_non_null(strstr(b, "hnvgw_bgp_neighbor_up{tenant=\"contoso\",neighbor=\"10.99.0.2\","
                              "family=\"ipv4Unicast\"} 1\n"));
    client_free(&c);
}

/* A bgpd that does not answer in time: the scrape is served at the deadline, without it. */
static void
test_http_bgp_timeout(void **state)
{
    struct client c = {.reqs = {GET("/metrics")}, .n_reqs = 1};
    const char *b;
    size_t samples;

    (void)state;
    fake_vtysh("exec sleep 30");
    serve(&c, NULL);
    assert_non_null(c.resps[0]);
    assert_non_null(strstr(c.resps[0], "HTTP/1.1 200 OK\r\n"));
    b = body_of(c.resps[0]);
    check_exposition(b, &samples);
    assert_non_null(strstr(b, "hnvgw_bgp_summary_ok{tenant=\"contoso\"} 0\n"));
    assert_non_null(strstr(b, "hnvgw_bgp_asks_total 1\n"));
    assert_non_null(strstr(b, "hnvgw_bgp_ask_failures_total 1\n"));
    assert_null(strstr(b, "hnvgw_bgp_neighbor_up{"));
    client_free(&c);
}

/* A vtysh that fails (no bgpd): the neighbors it knew read as down, not as they were. */
static void
test_http_bgp_fails(void **state)
{
    struct client c = {.reqs = {GET("/metrics")}, .n_reqs = 1};
    struct metrics_server *srv = NULL;
    const char *b;
    char *s;

    (void)state;
    fake_vtysh("echo 'bgpd is not running'; exit 1");
    serve(&c, &srv);
    b = body_of(c.resps[0]);
    assert_non_null(strstr(b, "hnvgw_bgp_summary_ok{tenant=\"contoso\"} 0\n"));
    assert_null(strstr(b, "hnvgw_bgp_neighbor_up{"));
    client_free(&c);
    /* The state stays with the server: rendered later, it is the same. */
    s = render(srv);
    assert_non_null(strstr(s, "hnvgw_bgp_summary_ok{tenant=\"contoso\"} 0\n"));
    assert_non_null(strstr(s, "hnvgw_bgp_ask_failures_total 1\n"));
    free(s);
    metrics_server_destroy(srv);
    metrics_server_destroy(NULL);
}

/* What the client of test_http_stop_waiting does and sees. */
struct stopper {
    uint16_t port;    /* The listener's. */
    char marker[128]; /* The stand-in vtysh writes its pid here once it runs. */
    int efd;          /* Written once the scrape waits: the loop then exits. */
    ssize_t got;      /* Bytes of reply read before the connection closed. */
};

/* Sends a scrape, waits until vtysh runs (the scrape is then suspended), ends the loop, and reads
 * whatever comes until the server closes the connection. */
static void *
stopper_main(void *aux)
{
    struct stopper *st = aux;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(st->port)};
    const char *req = GET("/metrics");
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    uint64_t one = 1;
    char buf[4096];
    ssize_t n;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    st->got = -1;
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
        send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
        abort();
    }
    while (access(st->marker, R_OK) != 0) {
        usleep(1000);
    }
    if (write(st->efd, &one, sizeof one) != sizeof one) {
        abort();
    }
    st->got = 0;
    while ((n = recv(fd, buf, sizeof buf, 0)) > 0) {
        st->got += n;
    }
    close(fd);
    return NULL;
}

/* The daemon stops while a scrape waits for bgpd: the connection is closed without a reply, and
 * vtysh is killed and reaped. */
static void
test_http_stop_waiting(void **state)
{
    struct stopper st;
    struct hnvgw_config cfg;
    struct metrics_server *srv = NULL;
    sd_event *event = NULL;
    sd_event_source *done = NULL;
    pthread_t th;
    char err[256], body[512];
    FILE *f;
    int pid = 0;

    (void)state;
    memset(&st, 0, sizeof st);
    snprintf(st.marker, sizeof st.marker, "%s/started", frr_dir);
    unlink(st.marker);
    snprintf(body, sizeof body, "echo $$ > %s.tmp && mv %s.tmp %s && exec sleep 30", st.marker,
             st.marker, st.marker);
    fake_vtysh(body);
    memset(&cfg, 0, sizeof cfg);
    cfg.metrics = true;
    cfg.metrics_ip = hnvgw_ip4(htonl(INADDR_LOOPBACK));
    assert_int_equal(sd_event_new(&event), 0);
    if (metrics_server_open(&cfg, &gw, event, &srv, err)) {
        fail_msg("%s", err);
    }
    st.port = metrics_server_port(srv);
    st.efd = eventfd(0, EFD_CLOEXEC);
    assert_true(st.efd >= 0);
    assert_true(sd_event_add_io(event, &done, st.efd, EPOLLIN, on_client_done, NULL) >= 0);
    assert_int_equal(pthread_create(&th, NULL, stopper_main, &st), 0);
    assert_int_equal(sd_event_loop(event), 0);
    metrics_server_destroy(srv); /* As hnvgwd stops: the scrape is still suspended. */
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(st.got, 0);
    f = fopen(st.marker, "r");
    assert_non_null(f);
    assert_int_equal(fscanf(f, "%d", &pid), 1);
    fclose(f);
    unlink(st.marker);
    assert_true(pid > 0);
    assert_int_equal(kill(pid, 0), -1); /* Killed and reaped: no such process. */
    assert_int_equal(errno, ESRCH);
    sd_event_source_disable_unref(done);
    close(st.efd);
    sd_event_unref(event);
}

/* The listener binds only the address it is given. */
static void
test_open_refused(void **state)
{
    struct hnvgw_config cfg;
    struct metrics_server *srv = (struct metrics_server *)&cfg;
    sd_event *event = NULL;
    char err[256];

    (void)state;
    memset(&cfg, 0, sizeof cfg);
    cfg.metrics = true;
    cfg.metrics_ip = hnvgw_ip4(htonl(0xc6120063)); /* 198.18.0.99: no interface has it. */
    cfg.metrics_port = 9469;
    assert_int_equal(sd_event_new(&event), 0);
    assert_int_not_equal(metrics_server_open(&cfg, &gw, event, &srv, err), 0);
    assert_null(srv);
    assert_non_null(strstr(err, "metrics: cannot listen on 198.18.0.99:9469"));
    sd_event_unref(event);
}

int
main(void)
{
    /* clang-format off */
    static const struct CMUnitTest text[] = {
        cmocka_unit_test(test_help_type_once),
        cmocka_unit_test(test_escaping),
        cmocka_unit_test(test_names_and_floats),
        cmocka_unit_test(test_bgp_parse),
        cmocka_unit_test(test_config_listen),
    };
    static const struct CMUnitTest daemon[] = {
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_http),
        cmocka_unit_test(test_http_shared_vrf),
        cmocka_unit_test(test_http_bgp_timeout),
        cmocka_unit_test(test_http_bgp_fails),
        cmocka_unit_test(test_http_stop_waiting),
        cmocka_unit_test(test_open_refused),
    };
    /* clang-format on */
    int failed = config_fixture_run("metrics", text, sizeof text / sizeof text[0], bad_cases,
                                    sizeof bad_cases / sizeof bad_cases[0]);

    return failed + cmocka_run_group_tests_name("metrics_daemon", daemon, setup, teardown);
}
