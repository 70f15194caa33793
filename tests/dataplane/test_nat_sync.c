/* SPDX-License-Identifier: Apache-2.0 */
/* NAT44 session sync: sessions made by real packets through the route, NAT and external stages
 * of a device-less data plane (as in test_nat.c) are exported, cleared and imported again, and
 * the same flows must then get the same public ports both ways; bad records are refused and
 * counted, expiry exports deletes, and the peer's records win over conflicting local state. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <unistd.h>

#include <rte_icmp.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dataplane/dp_internal.h"
#include "tests/dataplane/fixture.h"

#define PROVIDER 0
#define EXTERNAL 1
#define MAX_RECS 256

static struct dp *dp;
static struct dp_worker *w0, *w1;
static uint64_t clock_tsc; /* The NAT clock the workers see (only moves forward). */

static const uint8_t PROV_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x01};
static const uint8_t EXT_MAC[6] = {0x02, 0, 0x0a, 0x63, 0, 0x01};
static const uint8_t PEER_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x02};
static const uint8_t ROUTER_MAC[6] = {0x02, 0, 0x0a, 0x63, 0, 0x02};
static const uint8_t GW_MAC[6] = {0x02, 0, 0, 0, 0x01, 0x01};

/* contoso (1): 10.1.0.0/16 inside (hosts 10.1.1.10-29 known), public 198.18.0.10 ports
 * 1024-65535, a static TCP mapping 198.18.0.10:8080 -> 10.1.1.10:80. fabrikam (2): the same
 * inside, public 198.18.0.20 ports 1024-1151. Timeouts: TCP 7440/240, UDP 30, ICMP 60. */
static int
setup(void **state)
{
    static char *argv[] = {"test",
                           "--no-huge",
                           "-m",
                           "512",
                           "--no-pci",
                           "--no-shconf",
                           "--lcores=(0-2)@(0-1)",
                           "--log-level=lib.eal:error",
                           NULL};
    struct dp_params p = {.n_workers = 2,
                          .max_lookups = 1024,
                          .max_subnets = 64,
                          .max_routes = 1024,
                          .max_neighbors = 256,
                          .n_mbufs = 4096,
                          .icmp_rate = 1000,
                          .arp_timeout_s = 300,
                          .n_pas = 1,
                          .gateway_role = true,
                          .max_nat_sessions = 4096,
                          .nat_port_block = 64};
    struct dp_nat_conf c = {.tenant = 1,
                            .n_public = 1,
                            .port_min = 1024,
                            .port_max = 65535,
                            .n_inside = 1,
                            .max_sessions = 1000,
                            .max_ports = 1000,
                            .timeout_s = {7440, 240, 30, 60}};
    struct dp_nat_static st = {.tenant = 1, .proto = IPPROTO_TCP, .pub_port = 8080, .in_port = 80};
    struct dp_subnet sn = {.vsid = 5001, .tenant = 1, .plen = 24};
    struct dp_nexthop nh = {.type = DP_NH_CONNECTED, .vsid = 5001};
    char err[DP_ERR_MAX];

    (void)state;
    p.pas[0] = ip4("10.0.0.1");
    assert_int_equal(dp_create(8, argv, &p, &dp, err), 0);
    w0 = &dp->workers[0];
    w1 = &dp->workers[1];
    w0->dp = w1->dp = dp;
    w1->id = 1;
    w0->icmp_tokens = w1->icmp_tokens = 1000;
    fixture_add_port(dp, PROVIDER, DP_PORT_PROVIDER, PROV_MAC, "10.0.0.1", 24);
    fixture_add_port(dp, EXTERNAL, DP_PORT_EXTERNAL, EXT_MAC, "10.99.0.1", 24);
    dp->provider_port = PROVIDER;
    dp->external_port = EXTERNAL;
    for (uint16_t t = 1; t <= 2; t++) {
        sn.vsid = nh.vsid = t == 1 ? 5001 : 6001;
        sn.tenant = t;
        sn.prefix = ip4("10.1.1.0");
        sn.gw_ip = sn.prefix | htonl(1);
        memcpy(sn.gw_mac, GW_MAC, 6);
        assert_int_equal(dp_subnet_set(dp, &sn), 0);
        assert_int_equal(dp_route_set(dp, t, sn.prefix, 24, &nh), 0);
        for (uint32_t host = 10; host < 30; host++) {
            struct dp_lookup rec = {.pa = ip4("10.0.0.2"), .local_port = -1};
            memcpy(rec.mac, PEER_MAC, 6);
            assert_int_equal(dp_lookup_set(dp, sn.vsid, sn.prefix | htonl(host), &rec), 0);
        }
    }
    nh = (struct dp_nexthop){.type = DP_NH_NAT, .ip = ip4("10.99.0.2")};
    assert_int_equal(dp_route_set(dp, 1, 0, 0, &nh), 0);
    assert_int_equal(dp_route_set(dp, 2, 0, 0, &nh), 0);
    assert_int_equal(dp_neigh_set_static(dp, PROVIDER, ip4("10.0.0.2"), PEER_MAC), 0);
    assert_int_equal(dp_neigh_set_static(dp, EXTERNAL, ip4("10.99.0.2"), ROUTER_MAC), 0);
    c.public_ips[0] = ip4("198.18.0.10");
    c.inside_prefix[0] = ip4("10.1.0.0"), c.inside_plen[0] = 16;
    assert_int_equal(dp_nat_tenant_set(dp, &c), 0);
    c.tenant = 2, c.public_ips[0] = ip4("198.18.0.20"), c.port_max = 1151;
    assert_int_equal(dp_nat_tenant_set(dp, &c), 0);
    st.pub_ip = ip4("198.18.0.10"), st.in_ip = ip4("10.1.1.10");
    assert_int_equal(dp_nat_static_add(dp, &st), 0);
    nh = (struct dp_nexthop){.type = DP_NH_NAT_PUBLIC};
    assert_int_equal(dp_route_set(dp, 0, ip4("198.18.0.10"), 32, &nh), 0);
    assert_int_equal(dp_route_set(dp, 0, ip4("198.18.0.20"), 32, &nh), 0);
    assert_int_equal(dp_nat_sync_enable(dp), EAGAIN); /* No tables yet. */
    assert_int_equal(nat_start(dp), 0);
    assert_int_equal(dp_nat_sync_enable(dp), 0);
    assert_int_equal(dp_nat_sync_enable(dp), 0);
    assert_true(dp_nat_sync_fd(dp) >= 0);
    clock_tsc = rte_rdtsc();
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    dp_destroy(dp);
    return 0;
}

/* Lets both workers serve their rings (hand-offs, imports, walks) at the current clock, then
 * moves what worker 1 transmitted behind worker 0's frames. */
static void
settle(void)
{
    for (unsigned i = 0; i < 4; i++) {
        nat_worker_tick(w1, clock_tsc);
        nat_worker_tick(w0, clock_tsc);
    }
    for (unsigned p = 0; p < DP_MAX_PORTS; p++) {
        for (unsigned i = 0; i < w1->tx[p].n; i++) {
            assert_true(w0->tx[p].n < DP_BURST);
            w0->tx[p].pkts[w0->tx[p].n++] = w1->tx[p].pkts[i];
        }
        w1->tx[p].n = 0;
    }
}

/* Moves the NAT clock 'secs' ahead and lets the timer wheels catch up. */
static void
advance(unsigned secs)
{
    clock_tsc += (uint64_t)secs * rte_get_tsc_hz();
    for (unsigned i = 0; i < 20000; i++) {
        nat_worker_tick(w0, clock_tsc);
        nat_worker_tick(w1, clock_tsc);
    }
}

static uint64_t
ctr(enum dp_counter c)
{
    return w0->stats.counter[c] + w1->stats.counter[c];
}

static uint64_t
drp(enum dp_drop d)
{
    return w0->stats.drop[d] + w1->stats.drop[d] + dp->control_stats.drop[d];
}

/* Everything exported since the last call, into 'out'. */
static size_t
drain(struct dp_nat_sync_rec *out)
{
    size_t n = dp_nat_sync_drain(dp, out, MAX_RECS);
    assert_true(n < MAX_RECS);
    assert_true(dp_nat_sync_arm(dp));
    return n;
}

static uint32_t
sessions(uint16_t tenant)
{
    struct dp_nat_usage u;
    assert_int_equal(dp_nat_usage(dp, tenant, &u), 0);
    return u.sessions;
}

static int
reset(void **state)
{
    struct dp_nat_filter all = {0};
    struct dp_nat_sync_rec recs[MAX_RECS];
    struct dp_nat_log log;

    (void)state;
    settle();
    for (unsigned p = 0; p < DP_MAX_PORTS; p++) {
        for (unsigned i = 0; i < w0->tx[p].n; i++) {
            rte_pktmbuf_free(w0->tx[p].pkts[i]);
        }
        w0->tx[p].n = 0;
    }
    dp_nat_clear(dp, &all);
    advance(1);
    while (dp_nat_sync_drain(dp, recs, MAX_RECS) > 0) {
    }
    while (rte_ring_dequeue_elem(dp->nat->log, &log, sizeof log) == 0) {
    }
    memset(&w0->stats, 0, sizeof w0->stats);
    memset(&w1->stats, 0, sizeof w1->stats);
    memset(&dp->control_stats, 0, sizeof dp->control_stats);
    assert_int_equal(sessions(1) + sessions(2), 0);
    return 0;
}

/* ---- Packets ---- */

struct flow {
    const char *src, *dst;
    uint16_t sport, dport;
};

/* A bare IPv4 packet of 'proto' (for ICMP, 'flags' is the type and sport the identifier). */
static struct rte_mbuf *
packet(uint8_t proto, struct flow f, uint8_t flags)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);
    unsigned l4len = proto == IPPROTO_TCP ? 20 : 8;
    uint16_t total = (uint16_t)(20 + l4len + 8);
    struct rte_ipv4_hdr *ip;
    uint8_t *l4;

    assert_non_null(m);
    ip = (struct rte_ipv4_hdr *)rte_pktmbuf_append(m, total);
    memset(ip, 0, total);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = htons(total);
    ip->time_to_live = 64;
    ip->next_proto_id = proto;
    ip->src_addr = ip4(f.src);
    ip->dst_addr = ip4(f.dst);
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    l4 = (uint8_t *)(ip + 1);
    if (proto == IPPROTO_TCP) {
        struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)l4;
        t->src_port = htons(f.sport), t->dst_port = htons(f.dport);
        t->data_off = 5 << 4, t->tcp_flags = flags, t->rx_win = htons(1000);
        t->cksum = rte_ipv4_udptcp_cksum(ip, t);
    } else if (proto == IPPROTO_UDP) {
        struct rte_udp_hdr *u = (struct rte_udp_hdr *)l4;
        u->src_port = htons(f.sport), u->dst_port = htons(f.dport);
        u->dgram_len = htons(16);
        u->dgram_cksum = rte_ipv4_udptcp_cksum(ip, u);
    } else {
        struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)l4;
        ic->icmp_type = flags;
        ic->icmp_ident = htons(f.sport);
        ic->icmp_seq_nb = htons(1);
        ic->icmp_cksum = ~rte_raw_cksum(ic, 16);
    }
    return m;
}

static struct rte_mbuf *
pop(unsigned port)
{
    struct rte_mbuf *m;
    assert_true(w0->tx[port].n > 0);
    m = w0->tx[port].pkts[0];
    memmove(&w0->tx[port].pkts[0], &w0->tx[port].pkts[1], (w0->tx[port].n - 1) * sizeof m);
    w0->tx[port].n--;
    return m;
}

/* Sends an inside packet of 'tenant' and returns the public source port it left with (ICMP:
 * the identifier), checking the public address. */
static uint16_t
out_port(uint16_t tenant, uint8_t proto, struct flow f, uint8_t flags)
{
    struct rte_mbuf *m;
    struct rte_ipv4_hdr *ip;
    uint16_t port;

    dp_route_input(w0, packet(proto, f, flags), tenant,
                   dp_subnet_find(dp, tenant == 1 ? 5001 : 6001));
    settle();
    m = pop(EXTERNAL);
    ip = (struct rte_ipv4_hdr *)(rte_pktmbuf_mtod(m, uint8_t *) + 14);
    assert_int_equal(rte_ipv4_cksum(ip), 0);
    assert_int_equal(ip->src_addr, ip4(tenant == 1 ? "198.18.0.10" : "198.18.0.20"));
    port = ntohs(*((uint16_t *)(ip + 1) + (proto == IPPROTO_ICMP ? 2 : 0)));
    rte_pktmbuf_free(m);
    return port;
}

/* Sends an outside packet and checks it reaches 'vsid' addressed to 'in_ip':'in_port'. */
static void
in_ok(uint8_t proto, struct flow f, uint8_t flags, uint32_t vsid, const char *in_ip,
      uint16_t in_port)
{
    struct rte_mbuf *m = packet(proto, f, flags);
    struct rte_ether_hdr *e = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof *e);
    uint8_t *p;
    struct rte_ipv4_hdr *ip;

    memcpy(e->dst_addr.addr_bytes, EXT_MAC, 6);
    memcpy(e->src_addr.addr_bytes, ROUTER_MAC, 6);
    e->ether_type = htons(RTE_ETHER_TYPE_IPV4);
    m->port = EXTERNAL;
    dp_external_input(w0, m);
    settle();
    m = pop(PROVIDER);
    p = rte_pktmbuf_mtod(m, uint8_t *);
    ip = (struct rte_ipv4_hdr *)(p + 14 + 20 + 8 + 14);
    assert_int_equal((uint32_t)p[14 + 20 + 4] << 16 | p[14 + 20 + 5] << 8 | p[14 + 20 + 6], vsid);
    assert_int_equal(ip->dst_addr, ip4(in_ip));
    assert_int_equal(ntohs(*((uint16_t *)(ip + 1) + (proto == IPPROTO_ICMP ? 2 : 1))), in_port);
    rte_pktmbuf_free(m);
}

/* ---- Tests ---- */

/* The flows of the round trip. */
static const struct flow UDP1 = {"10.1.1.10", "198.18.1.2", 5000, 53};
static const struct flow UDP2 = {"10.1.1.13", "198.18.1.2", 5000, 53}; /* Port 5000 taken. */
static const struct flow TCP1 = {"10.1.1.11", "198.18.1.3", 40000, 443};
static const struct flow ICMP1 = {"10.1.1.12", "198.18.1.4", 77, 0};
static const struct flow FAB1 = {"10.1.1.10", "198.18.1.2", 6000, 53};

/* Finds the UPSERT record of inside endpoint (tenant, proto, ip, port) in 'r'; NULL if none. */
static const struct dp_nat_sync_rec *
find(const struct dp_nat_sync_rec *r, size_t n, uint16_t tenant, uint8_t proto, const char *ip,
     uint16_t port)
{
    const struct dp_nat_sync_rec *last = NULL;

    for (size_t i = 0; i < n; i++) {
        if (r[i].op == DP_NAT_SYNC_UPSERT && r[i].tenant == tenant && r[i].proto == proto &&
            r[i].in_ip == ip4(ip) && r[i].in_port == port) {
            last = &r[i];
        }
    }
    return last;
}

/* Sessions of every kind are exported as they are made (TCP again when established), the bulk
 * walk finds the same, a clear exports their deletes; imported back, they translate the same
 * flows with the same public ports both ways, new flows never take an imported port, and the
 * import itself exports nothing. */
static void
test_export_clear_import(void **state)
{
    struct dp_nat_sync_rec ex[MAX_RECS], walk[MAX_RECS], del[MAX_RECS];
    struct dp_nat_sync_cursor cur = {0};
    struct dp_nat_filter all = {0};
    const struct dp_nat_sync_rec *r;
    uint16_t p_udp1, p_udp2, p_tcp, p_icmp, p_fab, p_new;
    size_t n_ex, n_walk = 0, n_del;
    bool done = false;

    (void)state;
    p_udp1 = out_port(1, IPPROTO_UDP, UDP1, 0);
    p_udp2 = out_port(1, IPPROTO_UDP, UDP2, 0);
    p_tcp = out_port(1, IPPROTO_TCP, TCP1, RTE_TCP_SYN_FLAG);
    in_ok(IPPROTO_TCP, (struct flow){"198.18.1.3", "198.18.0.10", 443, p_tcp},
          RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 5001, "10.1.1.11", 40000);
    p_icmp = out_port(1, IPPROTO_ICMP, ICMP1, RTE_IP_ICMP_ECHO_REQUEST);
    p_fab = out_port(2, IPPROTO_UDP, FAB1, 0);
    in_ok(IPPROTO_TCP, (struct flow){"198.18.1.9", "198.18.0.10", 1234, 8080}, RTE_TCP_SYN_FLAG,
          5001, "10.1.1.10", 80); /* Through the static mapping. */
    assert_int_equal(p_udp1, 5000);
    assert_int_not_equal(p_udp2, 5000);
    assert_true(p_fab >= 1024 && p_fab <= 1151);
    assert_int_equal(sessions(1), 5);
    assert_int_equal(sessions(2), 1);

    /* Export: one record per UDP and ICMP session, and one per TCP state: the outbound one
     * opened and established, the static one opened. */
    n_ex = drain(ex);
    assert_int_equal(n_ex, 4 + 2 + 1);
    assert_int_equal(ctr(DP_nat_sync_exported), n_ex);
    r = find(ex, n_ex, 1, IPPROTO_UDP, "10.1.1.13", 5000);
    assert_non_null(r);
    assert_int_equal(r->pub_ip, ip4("198.18.0.10"));
    assert_int_equal(r->pub_port, p_udp2);
    assert_int_equal(r->rem_ip, ip4("198.18.1.2"));
    assert_int_equal(r->rem_port, 53);
    assert_true(r->lifetime_s >= 29 && r->lifetime_s <= 30);
    r = find(ex, n_ex, 1, IPPROTO_TCP, "10.1.1.11", 40000);
    assert_non_null(r);
    assert_int_equal(r->tcp_state, DP_NAT_TCP_ESTABLISHED);
    assert_int_equal(r->tcp_flags, DP_NAT_SYNC_SYN_OUT | DP_NAT_SYNC_SYN_IN);
    assert_true(r->lifetime_s > 7400);
    r = find(ex, n_ex, 1, IPPROTO_ICMP, "10.1.1.12", 77);
    assert_non_null(r);
    assert_int_equal(r->pub_port, p_icmp);
    assert_int_equal(r->rem_port, 0);

    /* The bulk walk: every live session, once, in its latest state. */
    while (!done) {
        n_walk += dp_nat_sync_walk(dp, &cur, walk + n_walk, MAX_RECS - n_walk, &done);
    }
    assert_int_equal(n_walk, 6);
    for (size_t i = 0; i < n_walk; i++) {
        r = find(ex, n_ex, walk[i].tenant, walk[i].proto,
                 inet_ntoa((struct in_addr){walk[i].in_ip}), walk[i].in_port);
        assert_non_null(r);
        assert_int_equal(walk[i].pub_port, r->pub_port);
        assert_int_equal(walk[i].pub_ip, r->pub_ip);
        assert_int_equal(walk[i].rem_ip, r->rem_ip);
        assert_int_equal(walk[i].tcp_state, r->tcp_state);
    }

    /* Clear: a delete per session, and nothing left of ports or blocks. */
    assert_int_equal(dp_nat_clear(dp, &all), 6);
    n_del = drain(del);
    assert_int_equal(n_del, 6);
    for (size_t i = 0; i < n_del; i++) {
        assert_int_equal(del[i].op, DP_NAT_SYNC_DELETE);
    }
    advance(1);
    assert_int_equal(sessions(1) + sessions(2), 0);

    /* Import the walk: the same sessions, and no export of them. */
    for (size_t i = 0; i < n_walk; i++) {
        assert_int_equal(dp_nat_sync_import(dp, &walk[i]), 0);
    }
    settle();
    assert_int_equal(ctr(DP_nat_sync_imported), 6);
    assert_int_equal(sessions(1), 5);
    assert_int_equal(sessions(2), 1);
    assert_int_equal(drain(ex), 0);

    /* Both ways as before: replies first (an established TCP flow needs no SYN), then the inside
     * packets keep their ports. */
    in_ok(IPPROTO_UDP, (struct flow){"198.18.1.2", "198.18.0.10", 53, p_udp2}, 0, 5001, "10.1.1.13",
          5000);
    in_ok(IPPROTO_TCP, (struct flow){"198.18.1.3", "198.18.0.10", 443, p_tcp}, RTE_TCP_ACK_FLAG,
          5001, "10.1.1.11", 40000);
    in_ok(IPPROTO_ICMP, (struct flow){"198.18.1.4", "198.18.0.10", p_icmp, 0},
          RTE_IP_ICMP_ECHO_REPLY, 5001, "10.1.1.12", 77);
    in_ok(IPPROTO_UDP, (struct flow){"198.18.1.2", "198.18.0.20", 53, p_fab}, 0, 6001, "10.1.1.10",
          6000);
    in_ok(IPPROTO_TCP, (struct flow){"198.18.1.9", "198.18.0.10", 1234, 8080}, RTE_TCP_ACK_FLAG,
          5001, "10.1.1.10", 80);
    assert_int_equal(drp(DP_nat_tcp_no_syn) + drp(DP_nat_no_mapping) + drp(DP_nat_filtered), 0);
    assert_int_equal(out_port(1, IPPROTO_UDP, UDP1, 0), p_udp1);
    assert_int_equal(out_port(1, IPPROTO_UDP, UDP2, 0), p_udp2);
    assert_int_equal(out_port(1, IPPROTO_TCP, TCP1, RTE_TCP_ACK_FLAG), p_tcp);
    assert_int_equal(out_port(1, IPPROTO_ICMP, ICMP1, RTE_IP_ICMP_ECHO_REQUEST), p_icmp);
    assert_int_equal(out_port(2, IPPROTO_UDP, FAB1, 0), p_fab);
    assert_int_equal(sessions(1), 5);

    /* A new host asking for the imported ports as its own (port preservation) gets others. */
    p_new = out_port(1, IPPROTO_UDP, (struct flow){"10.1.1.14", "198.18.1.2", p_udp2, 53}, 0);
    assert_int_not_equal(p_new, p_udp2);
    assert_int_not_equal(p_new, p_udp1);
    p_new = out_port(1, IPPROTO_UDP, (struct flow){"10.1.1.15", "198.18.1.2", 5000, 53}, 0);
    assert_int_not_equal(p_new, p_udp1);
    assert_int_not_equal(p_new, p_udp2);
    p_new = out_port(2, IPPROTO_UDP, (struct flow){"10.1.1.16", "198.18.1.2", p_fab, 53}, 0);
    assert_int_not_equal(p_new, p_fab);
}

/* Records that do not fit the configuration are refused on the control thread, counted, and
 * change nothing. */
static void
test_bad_records(void **state)
{
    struct dp_nat_sync_rec good = {.op = DP_NAT_SYNC_UPSERT,
                                   .proto = IPPROTO_UDP,
                                   .tenant = 1,
                                   .in_port = 5555,
                                   .pub_port = 5555,
                                   .rem_port = 53,
                                   .lifetime_s = 30};
    struct dp_nat_sync_rec r;

    (void)state;
    good.in_ip = ip4("10.1.1.20");
    good.pub_ip = ip4("198.18.0.10");
    good.rem_ip = ip4("198.18.1.2");

    r = good, r.tenant = 9;
    assert_int_equal(dp_nat_sync_import(dp, &r), ENOENT);
    r = good, r.tenant = 0;
    assert_int_equal(dp_nat_sync_import(dp, &r), ENOENT);
    assert_int_equal(drp(DP_nat_sync_bad_tenant), 2);

    r = good, r.pub_ip = ip4("198.18.0.20"); /* fabrikam's. */
    assert_int_equal(dp_nat_sync_import(dp, &r), EINVAL);
    r = good, r.tenant = 2, r.pub_ip = ip4("198.18.0.20"), r.pub_port = 2000; /* Out of range. */
    assert_int_equal(dp_nat_sync_import(dp, &r), EINVAL);
    r = good, r.pub_port = 80; /* Below port_min. */
    assert_int_equal(dp_nat_sync_import(dp, &r), EINVAL);
    r = good, r.proto = IPPROTO_GRE;
    assert_int_equal(dp_nat_sync_import(dp, &r), EINVAL);
    r = good, r.op = 7;
    assert_int_equal(dp_nat_sync_import(dp, &r), EINVAL);
    r = good, r.proto = IPPROTO_TCP, r.tcp_state = 9;
    assert_int_equal(dp_nat_sync_import(dp, &r), EINVAL);
    r = good, r.tcp_state = DP_NAT_TCP_ESTABLISHED; /* A state for UDP. */
    assert_int_equal(dp_nat_sync_import(dp, &r), EINVAL);
    r = good, r.in_ip = ip4("10.9.9.9"); /* Not inside. */
    assert_int_equal(dp_nat_sync_import(dp, &r), EINVAL);
    r = good, r.proto = IPPROTO_TCP, r.pub_port = 8080; /* The static's port, another inside. */
    assert_int_equal(dp_nat_sync_import(dp, &r), EINVAL);
    r = good, r.pub_port = 8080; /* Reserved for the static: no dynamic UDP mapping has it. */
    assert_int_equal(dp_nat_sync_import(dp, &r), EINVAL);
    r = good, r.proto = IPPROTO_ICMP; /* ICMP with a remote port. */
    assert_int_equal(dp_nat_sync_import(dp, &r), EINVAL);
    assert_int_equal(drp(DP_nat_sync_bad_record), 11);
    settle();
    assert_int_equal(sessions(1) + sessions(2), 0);
    assert_int_equal(ctr(DP_nat_sync_imported), 0);

    /* The good one, and the static one with its own inside endpoint, are taken. */
    assert_int_equal(dp_nat_sync_import(dp, &good), 0);
    r = good, r.proto = IPPROTO_TCP, r.tcp_state = DP_NAT_TCP_ESTABLISHED, r.pub_port = 8080;
    r.in_ip = ip4("10.1.1.10"), r.in_port = 80, r.lifetime_s = 7000;
    assert_int_equal(dp_nat_sync_import(dp, &r), 0);
    settle();
    assert_int_equal(sessions(1), 2);
}

/* A record whose port lies in a block another worker holds cannot be applied (the pair runs
 * different worker counts, or a stale state): refused, counted, nothing changed. */
static void
test_block_conflict(void **state)
{
    struct dp_nat_sync_rec r = {.op = DP_NAT_SYNC_UPSERT,
                                .proto = IPPROTO_UDP,
                                .tenant = 1,
                                .rem_port = 53,
                                .lifetime_s = 30};
    char a[16], b[16];
    uint16_t port;
    unsigned ha, hb = 0;

    (void)state;
    /* Two inside hosts owned by different workers. */
    snprintf(a, sizeof a, "10.1.1.20");
    ha = nat_owner(dp->nat, 1, ip4(a));
    for (unsigned h = 21; h < 30; h++) {
        snprintf(b, sizeof b, "10.1.1.%u", h);
        hb = nat_owner(dp->nat, 1, ip4(b));
        if (hb != ha) {
            break;
        }
    }
    assert_int_not_equal(ha, hb);
    port = out_port(1, IPPROTO_UDP, (struct flow){a, "198.18.1.2", 9000, 53}, 0);
    assert_int_equal(nat_block_owner(dp->nat, 0, port), (int)ha);
    r.in_ip = ip4(b), r.in_port = 9001;
    r.pub_ip = ip4("198.18.0.10"), r.pub_port = (uint16_t)(port + 1);
    r.rem_ip = ip4("198.18.1.2");
    assert_int_equal(dp_nat_sync_import(dp, &r), 0);
    settle();
    assert_int_equal(drp(DP_nat_sync_conflict), 1);
    assert_int_equal(sessions(1), 1);
    assert_int_equal(ctr(DP_nat_sync_imported), 0);
}

/* The peer's record wins over a local session on the same public port; updates change the TCP
 * state; a delete removes the session and gives its block back. */
static void
test_replace_update_delete(void **state)
{
    struct dp_nat_sync_rec r = {.op = DP_NAT_SYNC_UPSERT,
                                .proto = IPPROTO_TCP,
                                .tenant = 1,
                                .tcp_state = DP_NAT_TCP_ESTABLISHED,
                                .tcp_flags = DP_NAT_SYNC_SYN_OUT | DP_NAT_SYNC_SYN_IN,
                                .rem_port = 443,
                                .lifetime_s = 7000};
    struct dp_nat_session_info info[4];
    struct dp_nat_filter f = {.tenant = 1};
    struct dp_nat_usage u;
    char a[16], b[16];
    uint16_t port;
    unsigned ha;

    (void)state;
    /* Two inside hosts on the same worker. */
    snprintf(a, sizeof a, "10.1.1.20");
    ha = nat_owner(dp->nat, 1, ip4(a));
    for (unsigned h = 21; h < 30; h++) {
        snprintf(b, sizeof b, "10.1.1.%u", h);
        if (nat_owner(dp->nat, 1, ip4(b)) == ha) {
            break;
        }
    }
    assert_int_equal(nat_owner(dp->nat, 1, ip4(b)), ha);
    port = out_port(1, IPPROTO_TCP, (struct flow){a, "198.18.1.3", 7000, 443}, RTE_TCP_SYN_FLAG);
    assert_int_equal(port, 7000);
    r.in_ip = ip4(b), r.in_port = 7001;
    r.pub_ip = ip4("198.18.0.10"), r.pub_port = 7000;
    r.rem_ip = ip4("198.18.1.3");
    assert_int_equal(dp_nat_sync_import(dp, &r), 0);
    settle();
    assert_int_equal(ctr(DP_nat_sync_replaced), 1);
    assert_int_equal(dp_nat_sessions(dp, &f, info, 4), 1);
    assert_int_equal(info[0].in_ip, ip4(b));
    assert_int_equal(info[0].pub_port, 7000);
    assert_int_equal(info[0].tcp_state, DP_NAT_TCP_ESTABLISHED);
    assert_true(info[0].expires_s >= 7000 && info[0].expires_s <= 7000 + DP_NAT_SYNC_GRACE_S);
    in_ok(IPPROTO_TCP, (struct flow){"198.18.1.3", "198.18.0.10", 443, 7000}, RTE_TCP_ACK_FLAG,
          5001, b, 7001);

    r.tcp_state = DP_NAT_TCP_FIN_WAIT;
    r.tcp_flags |= DP_NAT_SYNC_FIN_OUT;
    r.lifetime_s = 200;
    assert_int_equal(dp_nat_sync_import(dp, &r), 0);
    settle();
    dp_nat_sessions(dp, &f, info, 4);
    assert_int_equal(info[0].tcp_state, DP_NAT_TCP_FIN_WAIT);
    assert_true(info[0].expires_s <= 200 + DP_NAT_SYNC_GRACE_S);
    /* The FIN from outside completes the close as tracked: TIME_WAIT. */
    in_ok(IPPROTO_TCP, (struct flow){"198.18.1.3", "198.18.0.10", 443, 7000},
          RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, 5001, b, 7001);
    dp_nat_sessions(dp, &f, info, 4);
    assert_int_equal(info[0].tcp_state, DP_NAT_TCP_TIME_WAIT);

    r.op = DP_NAT_SYNC_DELETE;
    r.pub_port = 7002; /* Not this session's public port: left alone. */
    assert_int_equal(dp_nat_sync_import(dp, &r), 0);
    settle();
    assert_int_equal(sessions(1), 1);
    r.pub_port = 7000;
    assert_int_equal(dp_nat_sync_import(dp, &r), 0);
    settle();
    assert_int_equal(ctr(DP_nat_sync_deleted), 1);
    assert_int_equal(dp_nat_usage(dp, 1, &u), 0);
    assert_int_equal(u.sessions + u.ports + u.blocks, 0);
}

/* Expiry exports a delete; a session refreshed by traffic is exported again, with its new
 * lifetime, when its timer-wheel slot comes round; an imported session outlives the peer's
 * copy by the grace period, no more, and its expiry is exported too. */
static void
test_expiry(void **state)
{
    struct dp_nat_sync_rec ex[MAX_RECS], r;
    struct flow f = {"10.1.1.20", "198.18.1.2", 5300, 53};
    size_t n;

    (void)state;
    out_port(1, IPPROTO_UDP, f, 0);
    assert_int_equal(drain(ex), 1);
    advance(20);
    out_port(1, IPPROTO_UDP, f, 0); /* Refreshed at 20 s: expires at 50 s. */
    assert_int_equal(drain(ex), 0); /* A packet alone exports nothing. */
    advance(11);                    /* 31 s: its slot comes round, it is alive. */
    n = drain(ex);
    assert_int_equal(n, 1);
    assert_int_equal(ex[0].op, DP_NAT_SYNC_UPSERT);
    assert_true(ex[0].lifetime_s >= 18 && ex[0].lifetime_s <= 20);
    advance(20); /* 51 s: expired. */
    n = drain(ex);
    assert_int_equal(n, 1);
    assert_int_equal(ex[0].op, DP_NAT_SYNC_DELETE);
    assert_int_equal(ex[0].in_port, 5300);
    assert_int_equal(sessions(1), 0);

    /* Imported with 5 s left: there at 5 + grace - 1 s, gone at 5 + grace + 1 s. */
    r = ex[0];
    r.op = DP_NAT_SYNC_UPSERT;
    r.lifetime_s = 5;
    assert_int_equal(dp_nat_sync_import(dp, &r), 0);
    settle();
    assert_int_equal(sessions(1), 1);
    advance(5 + DP_NAT_SYNC_GRACE_S - 1);
    assert_int_equal(sessions(1), 1);
    advance(2);
    assert_int_equal(sessions(1), 0);
    /* Its expiry is exported like any session's: were this node active now, its peer would
     * hold the session from a bulk resync. */
    n = drain(ex);
    assert_int_equal(n, 1);
    assert_int_equal(ex[0].op, DP_NAT_SYNC_DELETE);
}

/* The wake-up: an armed eventfd is written by the first export and no more until re-armed. */
static void
test_wakeup(void **state)
{
    struct dp_nat_sync_rec ex[MAX_RECS];
    uint64_t v;
    int fd = dp_nat_sync_fd(dp);

    (void)state;
    assert_true(dp_nat_sync_arm(dp));
    assert_true(read(fd, &v, sizeof v) < 0); /* Nothing yet. */
    out_port(1, IPPROTO_UDP, (struct flow){"10.1.1.20", "198.18.1.2", 5400, 53}, 0);
    out_port(1, IPPROTO_UDP, (struct flow){"10.1.1.21", "198.18.1.2", 5400, 53}, 0);
    assert_false(dp_nat_sync_arm(dp)); /* Records wait. */
    assert_int_equal(dp_nat_sync_drain(dp, ex, MAX_RECS), 2);
    assert_true(dp_nat_sync_arm(dp));
    out_port(1, IPPROTO_UDP, (struct flow){"10.1.1.22", "198.18.1.2", 5400, 53}, 0);
    out_port(1, IPPROTO_UDP, (struct flow){"10.1.1.23", "198.18.1.2", 5400, 53}, 0);
    assert_int_equal(read(fd, &v, sizeof v), (ssize_t)sizeof v);
    assert_int_equal(v, 1); /* One write for two exports. */
    assert_int_equal(dp_nat_sync_drain(dp, ex, MAX_RECS), 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_export_clear_import, reset),
        cmocka_unit_test_setup(test_bad_records, reset),
        cmocka_unit_test_setup(test_block_conflict, reset),
        cmocka_unit_test_setup(test_replace_update_delete, reset),
        cmocka_unit_test_setup(test_expiry, reset),
        cmocka_unit_test_setup(test_wakeup, reset),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
