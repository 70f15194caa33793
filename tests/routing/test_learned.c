/* SPDX-License-Identifier: Apache-2.0 */
/* Learned-route tests: FPM operations applied to a device-less data plane whose configuration
 * came in through the policy agent, checked in the FIB as the workers see it; and the FPM
 * listener that feeds them, over a real TCP connection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "dataplane/dp.h"
#include "gateway/policy.h"
#include "gateway/store.h"
#include "tests/lib/config_text.h"
#include "tests/lib/dp_fixture.h"
#include "routing/rib.h"
#include "routing/fpm_server.h"
#include "routing/learned.h"

#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>

static struct dp *dp;
static struct learned *learned;
static struct rib *rib;
static struct store *store;
static struct hnvgw_config *cfg;

/* contoso (1): subnet 10.1.1.0/24 (VSID 5001), a forwarding-gateway route 10.99.0.0/24 and a
 * customer route 172.16.5.0/24 in the config; the external port is 10.99.0.1/24. */
static const char *const CONF = "node { name = \"t\" roles = {\"gateway\"} provider_addresses = "
                                "{\"10.0.0.1\"} }\n"
                                "port \"pa0\" { kind = \"provider\" devargs = \"net_null0\" mac = "
                                "\"02:00:0a:00:00:01\" address = \"10.0.0.1/24\" }\n"
                                "port \"ext0\" { kind = \"external\" devargs = \"net_null1\" mac = "
                                "\"02:00:0a:63:00:01\" address = \"10.99.0.1/24\" }\n"
                                "tenant \"contoso\" { id = 1\n"
                                "  subnet \"web\" { vsid = 5001 prefix = \"10.1.1.0/24\" "
                                "gateway_ip = \"10.1.1.1\" gateway_mac = \"02:00:00:00:01:01\" }\n"
                                "  external_route { prefix = \"10.99.0.0/24\" next_hop = "
                                "\"0.0.0.0\" }\n"
                                "}\n"
                                "customer_route { tenant = \"contoso\" vsid = 5001 prefix = "
                                "\"172.16.5.0/24\" next_hop = \"10.1.1.20\" }\n";

static uint32_t
ip4(const char *s)
{
    return test_ip4(s);
}

static int
setup(void **state)
{
    char err[DP_ERR_MAX];

    (void)state;
    dp = test_dp_start((struct dp_params){.n_workers = 1});
    cfg = test_config_load(CONF);
    rib = rib_create(dp, 2048);
    assert_non_null(rib);
    store = store_create(dp, rib, 1024);
    assert_non_null(store);
    policy_external_networks(cfg, rib);
    assert_int_equal(store_apply_config(store, cfg, err), 0);
    learned = learned_create(rib, 1024);
    assert_non_null(learned);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    learned_destroy(learned);
    store_destroy(store);
    rib_destroy(rib);
    config_destroy(cfg);
    dp_destroy(dp);
    return 0;
}

static struct fpm_route
op(bool add, const char *prefix, uint8_t plen, const char *gw)
{
    struct fpm_route r;

    memset(&r, 0, sizeof r);
    r.add = add;
    r.prefix.addr = hnvgw_ip4(ip4(prefix));
    r.prefix.plen = plen;
    r.kind = FPM_ROUTE_UNICAST;
    r.protocol = 186;
    r.table = 254;
    if (gw) {
        r.n_nexthops = 1;
        r.nh[0].gateway = hnvgw_ip4(ip4(gw));
        r.nh[0].weight = 1;
    }
    return r;
}

static struct dp_nexthop
fib(const char *addr)
{
    return dp_route_lookup(dp, 1, ip4(addr));
}

/* The state the table holds for 'prefix', or -1. */
struct find {
    uint32_t prefix; /* What to find. */
    int state;       /* Its state. */
};

static bool
find_cb(const struct learned_info *in, void *aux)
{
    struct find *f = aux;
    if (in->route.prefix.addr.family == HNVGW_AF_INET && in->route.prefix.addr.v4 == f->prefix) {
        f->state = in->state;
        return false;
    }
    return true;
}

static int
state_of(const char *prefix)
{
    struct find f = {.prefix = ip4(prefix), .state = -1};
    learned_iterate(learned, 1, find_cb, &f);
    return f.state;
}

/* Next hops on the external network and inside a virtual subnet, a withdraw, and an update that
 * arrives as DEL+NEW. */
static void
test_next_hop_kinds(void **state)
{
    struct fpm_route ops[2];

    (void)state;
    ops[0] = op(true, "192.168.10.0", 24, "10.99.0.2");
    ops[1] = op(true, "192.168.20.0", 24, "10.1.1.30");
    assert_int_equal(learned_apply(learned, 1, ops, 2), 0);
    assert_int_equal(fib("192.168.10.7").type, DP_NH_EXTERNAL);
    assert_int_equal(fib("192.168.10.7").ip, ip4("10.99.0.2"));
    assert_int_equal(fib("192.168.20.7").type, DP_NH_CA);
    assert_int_equal(fib("192.168.20.7").vsid, 5001);
    assert_int_equal(fib("192.168.20.7").ip, ip4("10.1.1.30"));
    /* Another tenant never sees them. */
    assert_int_equal(dp_route_lookup(dp, 2, ip4("192.168.10.7")).type, DP_NH_NONE);

    ops[0] = op(false, "192.168.10.0", 24, NULL);
    ops[1] = op(true, "192.168.10.0", 24, "10.99.0.3");
    assert_int_equal(learned_apply(learned, 1, ops, 2), 0);
    assert_int_equal(fib("192.168.10.7").ip, ip4("10.99.0.3"));
    assert_int_equal(state_of("192.168.10.0"), LEARNED_INSTALLED);

    ops[0] = op(false, "192.168.10.0", 24, NULL);
    ops[1] = op(false, "192.168.20.0", 24, NULL);
    assert_int_equal(learned_apply(learned, 1, ops, 2), 0);
    assert_int_equal(fib("192.168.10.7").type, DP_NH_NONE);
    assert_int_equal(fib("192.168.20.7").type, DP_NH_NONE);
    assert_int_equal(learned_count(learned), 0);
}

/* Drop routes, unresolvable next hops, IPv6. */
static void
test_kinds_and_refusals(void **state)
{
    struct fpm_route ops[4];

    (void)state;
    ops[0] = op(true, "192.168.30.0", 24, NULL);
    ops[0].kind = FPM_ROUTE_BLACKHOLE;
    ops[1] = op(true, "192.168.31.0", 24, NULL);
    ops[1].kind = FPM_ROUTE_UNREACHABLE;
    ops[2] = op(true, "192.168.32.0", 24, "203.0.113.9"); /* Neither a CA nor external. */
    ops[3] = op(true, "192.168.33.0", 24, "10.99.0.2");
    ops[3].prefix.addr.family = HNVGW_AF_INET6;
    memset(ops[3].prefix.addr.v6, 0, 16);
    ops[3].prefix.addr.v6[0] = 0x20;
    assert_int_equal(learned_apply(learned, 1, ops, 4), 0);
    assert_int_equal(fib("192.168.30.1").type, DP_NH_BLACKHOLE);
    assert_int_equal(fib("192.168.31.1").type, DP_NH_UNREACHABLE);
    assert_int_equal(fib("192.168.32.1").type, DP_NH_NONE);
    assert_int_equal(state_of("192.168.32.0"), LEARNED_NO_NEXTHOP);
    assert_int_equal(learned_count(learned), 4); /* The IPv6 route is kept. */
    for (unsigned i = 0; i < 4; i++) {
        ops[i].add = false;
    }
    assert_int_equal(learned_apply(learned, 1, ops, 4), 0);
    assert_int_equal(learned_count(learned), 0);
    assert_int_equal(fib("192.168.30.1").type, DP_NH_NONE);
}

/* The configuration wins for a prefix it routes; when the route leaves the configuration on a
 * reload, the learned one takes over, and comes back under it when it returns. */
static void
test_config_precedence(void **state)
{
    struct fpm_route r = op(true, "172.16.5.0", 24, "10.99.0.2");
    char err[DP_ERR_MAX];
    struct hnvgw_config *without;
    const char *cut = strstr(CONF, "customer_route");
    char *text = strndup(CONF, (size_t)(cut - CONF));

    (void)state;
    assert_int_equal(learned_apply(learned, 1, &r, 1), 0);
    assert_int_equal(state_of("172.16.5.0"), LEARNED_SHADOWED);
    assert_int_equal(fib("172.16.5.1").type, DP_NH_CA);

    without = test_config_load(text);
    free(text);
    assert_int_equal(store_apply_config(store, without, err), 0);
    learned_resolve_again(learned);
    assert_int_equal(fib("172.16.5.1").type, DP_NH_EXTERNAL);
    assert_int_equal(state_of("172.16.5.0"), LEARNED_INSTALLED);

    assert_int_equal(store_apply_config(store, cfg, err), 0);
    learned_resolve_again(learned);
    config_destroy(without);
    assert_int_equal(fib("172.16.5.1").type, DP_NH_CA);
    assert_int_equal(state_of("172.16.5.0"), LEARNED_SHADOWED);
    /* Withdrawn while shadowed: the config's route stays. */
    r.add = false;
    assert_int_equal(learned_apply(learned, 1, &r, 1), 0);
    assert_int_equal(fib("172.16.5.1").type, DP_NH_CA);
}

/* ECMP: three next hops (one twice, one unresolvable) install a group of two; flows spread over
 * both and each keeps its own; an update to one path replaces the group in place. */
static void
test_ecmp(void **state)
{
    struct fpm_route r = op(true, "192.168.60.0", 24, "10.99.0.2");
    unsigned seen2 = 0, seen3 = 0;

    (void)state;
    r.n_nexthops = 4;
    r.nh[1].gateway = hnvgw_ip4(ip4("10.99.0.3"));
    r.nh[2].gateway = hnvgw_ip4(ip4("10.99.0.2"));
    r.nh[3].gateway = hnvgw_ip4(ip4("203.0.113.1"));
    assert_int_equal(learned_apply(learned, 1, &r, 1), 0);
    assert_int_equal(fib("192.168.60.1").type, DP_NH_ECMP);
    assert_int_equal(fib("192.168.60.1").n_members, 2);
    for (uint16_t port = 1000; port < 1200; port++) {
        struct dp_nexthop a = dp_route_lookup_flow(dp, 1, ip4("10.1.1.10"), ip4("192.168.60.1"), 17,
                                                   htons(port), htons(53));
        struct dp_nexthop b = dp_route_lookup_flow(dp, 1, ip4("10.1.1.10"), ip4("192.168.60.1"), 17,
                                                   htons(port), htons(53));
        assert_int_equal(a.type, DP_NH_EXTERNAL);
        assert_int_equal(a.ip, b.ip);
        seen2 += a.ip == ip4("10.99.0.2");
        seen3 += a.ip == ip4("10.99.0.3");
    }
    assert_int_equal(seen2 + seen3, 200);
    assert_true(seen2 > 50 && seen3 > 50);
    /* One path left: a plain route again. */
    r.n_nexthops = 1;
    r.nh[0].gateway = hnvgw_ip4(ip4("10.99.0.3"));
    assert_int_equal(learned_apply(learned, 1, &r, 1), 0);
    assert_int_equal(fib("192.168.60.1").type, DP_NH_EXTERNAL);
    assert_int_equal(fib("192.168.60.1").ip, ip4("10.99.0.3"));
    r.add = false;
    assert_int_equal(learned_apply(learned, 1, &r, 1), 0);
    assert_int_equal(fib("192.168.60.1").type, DP_NH_NONE);
}

/* ECMP survives a reload: a learned ECMP route under a config route takes the FIB whole when a
 * reload removes the config route, and a reload that changes nothing leaves it as it is. */
static void
test_ecmp_survives_reload(void **state)
{
    struct fpm_route r = op(true, "172.16.5.0", 24, "10.99.0.2");
    const char *cut = strstr(CONF, "customer_route");
    char *text = strndup(CONF, (size_t)(cut - CONF));
    struct hnvgw_config *without;
    char err[DP_ERR_MAX];

    (void)state;
    r.n_nexthops = 2;
    r.nh[1].gateway = hnvgw_ip4(ip4("10.99.0.3"));
    assert_int_equal(learned_apply(learned, 1, &r, 1), 0);
    assert_int_equal(fib("172.16.5.1").type, DP_NH_CA); /* The customer route wins. */
    without = test_config_load(text);
    free(text);
    assert_int_equal(store_apply_config(store, without, err), 0);
    learned_resolve_again(learned);
    assert_int_equal(fib("172.16.5.1").type, DP_NH_ECMP);
    assert_int_equal(fib("172.16.5.1").n_members, 2);
    /* The same file again: nothing moves. */
    assert_int_equal(store_apply_config(store, without, err), 0);
    learned_resolve_again(learned);
    assert_int_equal(fib("172.16.5.1").type, DP_NH_ECMP);
    assert_int_equal(fib("172.16.5.1").n_members, 2);
    /* The customer route back: it wins again; its removal gives the ECMP route back. */
    assert_int_equal(store_apply_config(store, cfg, err), 0);
    learned_resolve_again(learned);
    config_destroy(without);
    assert_int_equal(fib("172.16.5.1").type, DP_NH_CA);
    r.add = false;
    assert_int_equal(learned_apply(learned, 1, &r, 1), 0);
    assert_int_equal(fib("172.16.5.1").type, DP_NH_CA);
}

/* With a route-based tunnel whose routes hold the on-premises BGP peer (172.16.255.1/32),
 * routes learned from that peer go into the tunnel; the tunnel's own route is there from the
 * configuration, before any BGP. */
static void
test_tunnel_next_hop(void **state)
{
    static const char *const vpn =
        "  vpn { local_address = \"198.18.0.100\"\n"
        "    tunnel \"siteA\" { remote_address = \"198.18.2.2\" auth = \"psk\"\n"
        "      psk = \"contoso-site-a-0123456789\" mode = \"route\"\n"
        "      routes = {\"172.16.255.1/32\"} } }\n";
    char text[4096];
    const char *at = strstr(CONF, "  external_route");
    struct hnvgw_config *with;
    char err[DP_ERR_MAX];
    struct fpm_route r = op(true, "192.168.91.0", 24, "172.16.255.1");

    (void)state;
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - CONF), CONF, vpn, at);
    with = test_config_load(text);
    assert_int_equal(store_apply_config(store, with, err), 0);
    learned_resolve_again(learned);
    assert_int_equal(fib("172.16.255.1").type, DP_NH_IPSEC);
    assert_int_equal(fib("172.16.255.1").reqid, 17);
    assert_int_equal(learned_apply(learned, 1, &r, 1), 0);
    assert_int_equal(fib("192.168.91.10").type, DP_NH_IPSEC);
    assert_int_equal(fib("192.168.91.10").reqid, 17);
    /* Without the tunnel, the same route resolves to nothing and leaves the FIB. */
    assert_int_equal(store_apply_config(store, cfg, err), 0);
    learned_resolve_again(learned);
    assert_int_equal(fib("192.168.91.10").type, DP_NH_NONE);
    r.add = false;
    assert_int_equal(learned_apply(learned, 1, &r, 1), 0);
    config_destroy(with);
}

/* A replay after zebra reconnects renews what it sends; the sweep removes the rest. */
static void
test_replay_sweep(void **state)
{
    struct fpm_route ops[3];
    uint32_t gen;

    (void)state;
    ops[0] = op(true, "192.168.40.0", 24, "10.99.0.2");
    ops[1] = op(true, "192.168.41.0", 24, "10.99.0.2");
    ops[2] = op(true, "192.168.42.0", 24, "10.99.0.2");
    assert_int_equal(learned_apply(learned, 1, ops, 3), 0);
    gen = learned_replay_begin(learned, 1);
    assert_int_equal(learned_apply(learned, 1, &ops[1], 1), 0);
    assert_int_equal(learned_sweep(learned, 1, gen), 2);
    assert_int_equal(fib("192.168.40.1").type, DP_NH_NONE);
    assert_int_equal(fib("192.168.41.1").type, DP_NH_EXTERNAL);
    assert_int_equal(fib("192.168.42.1").type, DP_NH_NONE);
    ops[1].add = false;
    assert_int_equal(learned_apply(learned, 1, &ops[1], 1), 0);
    assert_int_equal(learned_count(learned), 0);
}

/* ---- The FPM listener ---- */

/* One FPM frame with a route message 'type' of 'prefix'/24 via 10.99.0.2 in table 'table' into
 * 'buf', as zebra encodes it: rtm_table below 256, else RT_TABLE_UNSPEC and RTA_TABLE; a delete
 * has no type. Returns its length. */
static size_t
table_frame(uint8_t *buf, uint16_t type, const char *prefix, uint32_t table)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf + FPM_HEADER_LEN);
    struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
    uint32_t dst = ip4(prefix), gw = ip4("10.99.0.2");
    size_t len;

    nlh->nlmsg_type = type;
    rtm->rtm_family = AF_INET;
    rtm->rtm_dst_len = 24;
    rtm->rtm_table = table < 256 ? (uint8_t)table : RT_TABLE_UNSPEC;
    rtm->rtm_type = type == RTM_NEWROUTE ? RTN_UNICAST : RTN_UNSPEC;
    mnl_attr_put(nlh, RTA_DST, 4, &dst);
    if (table >= 256) {
        mnl_attr_put_u32(nlh, RTA_TABLE, table);
    }
    if (type == RTM_NEWROUTE) {
        mnl_attr_put(nlh, RTA_GATEWAY, 4, &gw);
    }
    len = FPM_HEADER_LEN + nlh->nlmsg_len;
    buf[0] = 1, buf[1] = 1, buf[2] = (uint8_t)(len >> 8), buf[3] = (uint8_t)len;
    return len;
}

/* One FPM frame with an RTM_NEWROUTE of 'prefix'/24 via 10.99.0.2 into 'buf'; returns its
 * length. */
static size_t
route_frame(uint8_t *buf, const char *prefix)
{
    return table_frame(buf, RTM_NEWROUTE, prefix, RT_TABLE_MAIN);
}

static int
connect_to(uint16_t port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static void
send_all(int fd, const void *p, size_t len)
{
    assert_int_equal(write(fd, p, len), (ssize_t)len);
}

/* Runs the loop until 'done' holds; the turns a test may take are many, never a time. */
static void
poll_until(sd_event *event, bool (*done)(void *), void *aux)
{
    for (unsigned i = 0; i < 100000 && !done(aux); i++) {
        assert_true(sd_event_run(event, 1000) >= 0);
    }
    assert_true(done(aux));
}

/* Runs the loop until nothing is left to dispatch at once. */
static void
run_ready(sd_event *event)
{
    int ret;

    while ((ret = sd_event_run(event, 0)) > 0) {
        continue;
    }
    assert_int_equal(ret, 0);
}

static bool
count_is(void *aux)
{
    return learned_count(learned) == *(uint32_t *)aux;
}

static bool
fib_has_external(void *aux)
{
    return fib(aux).type == DP_NH_EXTERNAL;
}

static bool
listener_closed(void *aux)
{
    struct fpm_listener_info in;
    fpm_server_listeners(aux, &in, 1);
    return !in.connected;
}

/* fpm_server notify callback: counts the events served. */
static void
count_notify(void *aux)
{
    (*(unsigned *)aux)++;
}

/* zebra connects, streams routes (one frame in two reads, one malformed frame), reconnects and
 * replays part of them (the rest is swept once the replay settles), sends a stream that cannot
 * be trusted (closed), and goes away (its routes are swept after the hold time). */
static void
test_fpm_listener(void **state)
{
    sd_event *event = NULL;
    unsigned notified = 0;
    struct fpm_server *srv;
    struct fpm_listener_info in;
    uint8_t buf[512];
    uint16_t port = 0;
    uint32_t want;
    char err[256];
    size_t len;
    int fd;

    (void)state;
    assert_int_equal(sd_event_new(&event), 0);
    srv = fpm_server_create(learned, 50, 200, event, count_notify, &notified);
    assert_non_null(srv);
    assert_int_equal(fpm_server_listen(srv, 1, NULL, 0, &port, err), 0);
    assert_int_not_equal(port, 0);
    assert_int_equal(fpm_server_listen(srv, 2, NULL, port, NULL, err), EADDRINUSE);

    fd = connect_to(port);
    len = route_frame(buf, "192.168.50.0");
    send_all(fd, buf, 7);
    run_ready(event);              /* Accepts, and reads the first 7 bytes alone. */
    assert_int_equal(notified, 2); /* The connection, the bytes. */
    send_all(fd, buf + 7, len - 7);
    len = route_frame(buf, "192.168.51.0");
    buf[FPM_HEADER_LEN + sizeof(struct nlmsghdr) + 1] = 40; /* rtm_dst_len 40: malformed. */
    send_all(fd, buf, len);
    len = route_frame(buf, "192.168.52.0");
    send_all(fd, buf, len);
    want = 2;
    poll_until(event, count_is, &want);
    assert_int_equal(fib("192.168.50.1").type, DP_NH_EXTERNAL);
    assert_int_equal(fib("192.168.52.1").type, DP_NH_EXTERNAL);
    fpm_server_listeners(srv, &in, 1);
    assert_true(in.connected);
    assert_int_equal(in.frames_total, 3);
    assert_int_equal(in.refused_total, 1);
    assert_int_equal(in.stats.error[FPM_ERR_bad_prefix], 1);

    /* A new connection (zebra restarted) replays 192.168.52.0 only. */
    int fd2 = connect_to(port);
    len = route_frame(buf, "192.168.52.0");
    send_all(fd2, buf, len);
    want = 1;
    poll_until(event, count_is, &want);
    assert_int_equal(fib("192.168.50.1").type, DP_NH_NONE);
    assert_int_equal(fib("192.168.52.1").type, DP_NH_EXTERNAL);
    close(fd);

    /* Garbage where a header should be: the connection is closed, the routes stay. */
    send_all(fd2, "\x07\x07\x00\x10", 4);
    poll_until(event, listener_closed, srv);
    fpm_server_listeners(srv, &in, 1);
    assert_int_equal(in.closed_bad, 1);
    assert_int_equal(in.connects, 2);
    assert_int_equal(fib("192.168.52.1").type, DP_NH_EXTERNAL);
    close(fd2);

    /* No zebra for the hold time: its routes go. */
    want = 0;
    poll_until(event, count_is, &want);
    assert_int_equal(fib("192.168.52.1").type, DP_NH_NONE);

    /* It comes back: its routes with it. */
    fd = connect_to(port);
    len = route_frame(buf, "192.168.53.0");
    send_all(fd, buf, len);
    poll_until(event, fib_has_external, "192.168.53.1");
    close(fd);
    fpm_server_destroy(srv);
    sd_event_unref(event);
}

/* learned_iterate() callback: counts the routes of '((size_t *)aux)[0]' == tenant. */
static bool
count_route(const struct learned_info *in, void *aux)
{
    (void)in;
    (*(size_t *)aux)++;
    return true;
}

/* The routes 'tenant' has learned. */
static size_t
routes_of(uint16_t tenant)
{
    size_t n = 0;
    learned_iterate(learned, tenant, count_route, &n);
    return n;
}

/* True when tenants 1 and 2 have learned ((size_t *)aux)[0] and [1] routes. */
static bool
routes_are(void *aux)
{
    const size_t *want = aux;
    return routes_of(1) == want[0] && routes_of(2) == want[1];
}

static bool
unknown_is(void *aux)
{
    struct fpm_server *srv = ((void **)aux)[0];
    struct fpm_listener_info in;

    fpm_server_listeners(srv, &in, 1);
    return in.unknown_table == *(uint64_t *)((void **)aux)[1];
}

/* The shared listener of a zebra of many VRFs: each route goes to the tenant of its table
 * (RTA_TABLE above 255, rtm_table below); a table of no tenant (another VRF's, the main table,
 * none at all) is refused and counted, never given to a tenant; a replay (one route of each
 * tenant) and the hold time sweep every tenant of the map; a map that names a table or a tenant
 * twice, or table 0, is refused. */
static void
test_fpm_shared_listener(void **state)
{
    const struct fpm_table_map map[] = {{65537, 1}, {100, 2}};
    const struct fpm_table_map dup_table[] = {{65537, 1}, {65537, 2}};
    const struct fpm_table_map dup_tenant[] = {{65537, 1}, {65538, 1}};
    const struct fpm_table_map zero[] = {{0, 1}};
    sd_event *event = NULL;
    struct fpm_server *srv;
    struct fpm_listener_info in;
    uint8_t buf[512];
    uint16_t port = 0;
    uint64_t unknown;
    void *aux[2];
    uint32_t want;
    char err[256];
    int fd;

    (void)state;
    assert_int_equal(fpm_table_tenant(map, 0, 65537), 0);
    assert_int_equal(sd_event_new(&event), 0);
    srv = fpm_server_create(learned, 50, 200, event, NULL, NULL);
    assert_non_null(srv);
    assert_int_equal(fpm_server_listen_shared(srv, NULL, 0, dup_table, 2, NULL, err), EINVAL);
    assert_int_equal(fpm_server_listen_shared(srv, NULL, 0, dup_tenant, 2, NULL, err), EINVAL);
    assert_int_equal(fpm_server_listen_shared(srv, NULL, 0, zero, 1, NULL, err), EINVAL);
    assert_int_equal(fpm_server_listeners(srv, NULL, 0), 0);
    assert_int_equal(fpm_server_listen_shared(srv, NULL, 0, map, 2, &port, err), 0);
    fpm_server_listeners(srv, &in, 1);
    assert_true(in.shared);
    assert_int_equal(in.tenant, 0);
    assert_int_equal(in.n_tenants, 2);

    fd = connect_to(port);
    send_all(fd, buf, table_frame(buf, RTM_NEWROUTE, "192.168.60.0", 65537));
    send_all(fd, buf, table_frame(buf, RTM_NEWROUTE, "192.168.61.0", 100));
    send_all(fd, buf, table_frame(buf, RTM_NEWROUTE, "192.168.62.0", 65539));
    send_all(fd, buf, table_frame(buf, RTM_NEWROUTE, "192.168.63.0", RT_TABLE_MAIN));
    send_all(fd, buf, table_frame(buf, RTM_DELROUTE, "192.168.60.0", RT_TABLE_UNSPEC));
    want = 2;
    poll_until(event, count_is, &want);
    unknown = 3;
    aux[0] = srv;
    aux[1] = &unknown;
    poll_until(event, unknown_is, aux);
    assert_int_equal(routes_of(1), 1);
    assert_int_equal(routes_of(2), 1);
    /* Tenant 1's route is in its FIB; a delete that names no table removed nothing. */
    assert_int_equal(fib("192.168.60.1").type, DP_NH_EXTERNAL);
    assert_int_equal(fib("192.168.62.1").type, DP_NH_NONE);
    assert_int_equal(fib("192.168.63.1").type, DP_NH_NONE);
    fpm_server_listeners(srv, &in, 1);
    assert_int_equal(in.frames_total, 5);
    assert_int_equal(in.refused_total, 0);

    /* A delete in tenant 2's table removes tenant 2's route only. */
    send_all(fd, buf, table_frame(buf, RTM_NEWROUTE, "192.168.61.0", 65537));
    send_all(fd, buf, table_frame(buf, RTM_DELROUTE, "192.168.61.0", 100));
    size_t per[2] = {2, 0};
    poll_until(event, routes_are, per);

    /* zebra reconnects and replays one route of each tenant: the rest is swept. */
    int fd2 = connect_to(port);
    send_all(fd2, buf, table_frame(buf, RTM_NEWROUTE, "192.168.61.0", 100));
    send_all(fd2, buf, table_frame(buf, RTM_NEWROUTE, "192.168.60.0", 65537));
    per[0] = per[1] = 1;
    poll_until(event, routes_are, per);
    assert_int_equal(fib("192.168.60.1").type, DP_NH_EXTERNAL);
    assert_int_equal(fib("192.168.61.1").type, DP_NH_NONE); /* Tenant 2's now, not 1's. */
    close(fd);

    /* Gone for the hold time: every tenant's routes go. */
    close(fd2);
    want = 0;
    poll_until(event, count_is, &want);
    assert_int_equal(fib("192.168.60.1").type, DP_NH_NONE);
    fpm_server_destroy(srv);
    sd_event_unref(event);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_next_hop_kinds),       cmocka_unit_test(test_kinds_and_refusals),
        cmocka_unit_test(test_config_precedence),    cmocka_unit_test(test_replay_sweep),
        cmocka_unit_test(test_fpm_listener),         cmocka_unit_test(test_ecmp),
        cmocka_unit_test(test_ecmp_survives_reload), cmocka_unit_test(test_tunnel_next_hop),
        cmocka_unit_test(test_fpm_shared_listener),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
