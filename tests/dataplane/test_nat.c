/* SPDX-License-Identifier: Apache-2.0 */
/* NAT44 unit tests: packets built here go through the real route, NAT and external stages of a
 * data plane with no devices; what would be transmitted is read from the worker's tx buffers and
 * checked field by field, checksums recomputed from scratch. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <rte_icmp.h>
#include <rte_ip_frag.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "dataplane/dp_internal.h"
#include "tests/dataplane/fixture.h"

#define PROVIDER 0
#define EXTERNAL 1

static struct dp *dp;
static struct dp_worker *w;  /* Worker 0: every packet enters here. */
static struct dp_worker *w1; /* Worker 1: owns some sessions; gets packets by hand-off. */
static uint64_t clock_tsc;   /* The NAT clock the workers see. */
static bool burst;           /* send_in() and send_out() go through the workers' burst paths. */

static const uint8_t PROV_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x01};
static const uint8_t EXT_MAC[6] = {0x02, 0, 0x0a, 0x63, 0, 0x01};
static const uint8_t PEER_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x02};
static const uint8_t ROUTER_MAC[6] = {0x02, 0, 0x0a, 0x63, 0, 0x02};
static const uint8_t GW_MAC[6] = {0x02, 0, 0, 0, 0x01, 0x01};

static void
subnet(uint32_t vsid, uint16_t tenant, const char *prefix, const char *ca)
{
    struct dp_subnet sn = {.vsid = vsid, .tenant = tenant, .plen = 24};
    struct dp_lookup rec = {.type = DP_LK_STATIC, .local_port = -1};
    struct dp_nexthop nh = {.type = DP_NH_CONNECTED, .vsid = vsid};

    sn.prefix = ip4(prefix);
    sn.gw_ip = sn.prefix | htonl(1);
    memcpy(sn.gw_mac, GW_MAC, 6);
    assert_int_equal(dp_subnet_set(dp, &sn), 0);
    rec.pa = ip4("10.0.0.2");
    memcpy(rec.mac, PEER_MAC, 6);
    assert_int_equal(dp_lookup_set(dp, vsid, ip4(ca), &rec), 0);
    assert_int_equal(dp_route_set(dp, tenant, sn.prefix, 24, &nh), 0);
}

/* contoso (1): 10.1.1.0/24 and 10.1.2.0/24, public 198.18.0.10, address-dependent filtering,
 * quota of 8 sessions, a static TCP mapping 198.18.0.10:8080 -> 10.1.1.10:80.
 * fabrikam (2): the same 10.1.1.0/24, public 198.18.0.20 ports 1024-1151 (two blocks),
 * endpoint-independent. */
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
    char err[DP_ERR_MAX];
    struct dp_nexthop nh;
    struct dp_nat_conf c = {.tenant = 1,
                            .n_public = 1,
                            .port_min = 1024,
                            .port_max = 65535,
                            .n_inside = 1,
                            .max_sessions = 8,
                            .max_ports = 8,
                            .timeout_s = {7440, 240, 30, 60}};
    struct dp_nat_static st = {.tenant = 1, .proto = IPPROTO_TCP, .pub_port = 8080, .in_port = 80};

    (void)state;
    p.pas[0] = ip4("10.0.0.1");
    assert_int_equal(dp_create(8, argv, &p, &dp, err), 0);
    w = &dp->workers[0];
    w1 = &dp->workers[1];
    w->dp = w1->dp = dp;
    w1->id = 1;
    w->icmp_tokens = w1->icmp_tokens = 1000;
    fixture_add_port(dp, PROVIDER, DP_PORT_PROVIDER, PROV_MAC, "10.0.0.1", 24);
    fixture_add_port(dp, EXTERNAL, DP_PORT_EXTERNAL, EXT_MAC, "10.99.0.1", 24);
    dp->provider_port = PROVIDER;
    dp->external_port = EXTERNAL;
    subnet(5001, 1, "10.1.1.0", "10.1.1.10");
    subnet(5002, 1, "10.1.2.0", "10.1.2.10");
    subnet(6001, 2, "10.1.1.0", "10.1.1.10");
    for (uint32_t host = 11; host < 20; host++) {
        struct dp_lookup rec = {.pa = ip4("10.0.0.2"), .local_port = -1};
        memcpy(rec.mac, PEER_MAC, 6);
        assert_int_equal(dp_lookup_set(dp, 5001, ip4("10.1.1.0") | htonl(host), &rec), 0);
    }

    nh = (struct dp_nexthop){.type = DP_NH_NAT, .ip = ip4("10.99.0.2")};
    assert_int_equal(dp_route_set(dp, 1, 0, 0, &nh), 0);
    assert_int_equal(dp_route_set(dp, 2, 0, 0, &nh), 0);
    assert_int_equal(dp_neigh_set_static(dp, PROVIDER, ip4("10.0.0.2"), PEER_MAC), 0);
    assert_int_equal(dp_neigh_set_static(dp, EXTERNAL, ip4("10.99.0.2"), ROUTER_MAC), 0);

    c.public_ips[0] = ip4("198.18.0.10");
    c.inside_prefix[0] = ip4("10.1.0.0"), c.inside_plen[0] = 16;
    assert_int_equal(dp_nat_tenant_set(dp, &c), 0);
    assert_int_equal(dp_nat_tenant_set(dp, &c), EEXIST);
    c.tenant = 2, c.public_ips[0] = ip4("198.18.0.20"), c.port_max = 1151;
    c.endpoint_independent_filtering = true;
    c.max_sessions = c.max_ports = 1000;
    assert_int_equal(dp_nat_tenant_set(dp, &c), 0);
    /* A third tenant may share 198.18.0.20 only outside fabrikam's range, on block bounds. */
    c.tenant = 3, c.port_min = 2000, c.port_max = 4095;
    assert_int_equal(dp_nat_tenant_set(dp, &c), EINVAL);
    c.port_min = 1088;
    assert_int_equal(dp_nat_tenant_set(dp, &c), EEXIST);
    st.pub_ip = ip4("198.18.0.10"), st.in_ip = ip4("10.1.1.10");
    assert_int_equal(dp_nat_static_add(dp, &st), 0);
    assert_int_equal(dp_nat_static_add(dp, &st), EEXIST);
    st.pub_ip = ip4("198.18.0.20");
    assert_int_equal(dp_nat_static_add(dp, &st), ENOENT);
    /* The public addresses' routes carry their NAT index: only for addresses the NAT has. */
    nh = (struct dp_nexthop){.type = DP_NH_NAT_PUBLIC};
    assert_int_equal(dp_route_set(dp, 0, ip4("198.18.0.99"), 32, &nh), ENOENT);
    assert_int_equal(dp_route_set(dp, 0, ip4("198.18.0.10"), 32, &nh), 0);
    assert_int_equal(dp_route_set(dp, 0, ip4("198.18.0.20"), 32, &nh), 0);
    assert_int_equal(dp_route_lookup(dp, 0, ip4("198.18.0.20")).tenant, 1);
    assert_int_equal(nat_start(dp), 0);
    assert_non_null(w->nat);
    assert_non_null(w1->nat);
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

static void
drain_log(void)
{
    struct rte_ring *r = dp->nat->log;
    struct dp_nat_log rec;
    while (rte_ring_dequeue_elem(r, &rec, sizeof rec) == 0) {
    }
}

/* The NAT clock: the TSC, or later when a test moved it ahead (it never goes back, or the timer
 * wheel would wait for the TSC to catch up). */
static uint64_t
clock_now(void)
{
    uint64_t now = rte_rdtsc();
    return now > clock_tsc ? now : clock_tsc;
}

/* Moves the NAT clock to 'now' and lets the workers catch up with their timer wheels. */
static void
tick(uint64_t now)
{
    clock_tsc = now;
    for (unsigned i = 0; i < 10000; i++) {
        nat_worker_tick(w, now);
        nat_worker_tick(w1, now);
    }
}

/* Lets both workers serve their hand-off rings until nothing moves, then queues what worker 1
 * transmitted behind worker 0's frames, so that the tests read one output per port. */
static void
settle(void)
{
    for (unsigned i = 0; i < 4; i++) {
        nat_worker_tick(w1, clock_tsc);
        nat_worker_tick(w, clock_tsc);
    }
    for (unsigned p = 0; p < DP_MAX_PORTS; p++) {
        for (unsigned i = 0; i < w1->tx[p].n; i++) {
            assert_true(w->tx[p].n < DP_BURST);
            w->tx[p].pkts[w->tx[p].n++] = w1->tx[p].pkts[i];
        }
        w1->tx[p].n = 0;
    }
}

static uint64_t
ctr(enum dp_counter c)
{
    return w->stats.counter[c] + w1->stats.counter[c];
}

static uint64_t
drp(enum dp_drop d)
{
    return w->stats.drop[d] + w1->stats.drop[d];
}

static int
reset(void **state)
{
    struct dp_nat_filter all = {0};

    (void)state;
    settle();
    for (unsigned p = 0; p < DP_MAX_PORTS; p++) {
        for (unsigned i = 0; i < w->tx[p].n; i++) {
            rte_pktmbuf_free(w->tx[p].pkts[i]);
        }
        w->tx[p].n = 0;
    }
    dp_nat_clear(dp, &all);
    tick(clock_now());
    drain_log();
    memset(&w->stats, 0, sizeof w->stats);
    memset(&w1->stats, 0, sizeof w1->stats);
    burst = false;
    return 0;
}

/* reset(), then every packet through the burst paths. */
static int
reset_burst(void **state)
{
    reset(state);
    burst = true;
    return 0;
}

/* ---- Packet builders ---- */

struct flow {
    const char *src, *dst;
    uint16_t sport, dport;
};

/* A bare IPv4 packet of 'proto' with 'payload' bytes after the transport header. */
static struct rte_mbuf *
packet(uint8_t proto, struct flow f, uint8_t tcp_flags, uint16_t payload)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);
    unsigned l4len = proto == IPPROTO_TCP ? 20 : 8;
    uint16_t total = (uint16_t)(20 + l4len + payload);
    struct rte_ipv4_hdr *ip;
    uint8_t *l4;

    assert_non_null(m);
    ip = (struct rte_ipv4_hdr *)rte_pktmbuf_append(m, total);
    assert_non_null(ip);
    memset(ip, 0, total);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = htons(total);
    ip->time_to_live = 64;
    ip->next_proto_id = proto;
    ip->src_addr = ip4(f.src);
    ip->dst_addr = ip4(f.dst);
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    l4 = (uint8_t *)(ip + 1);
    for (unsigned i = 0; i < payload; i++) {
        l4[l4len + i] = (uint8_t)(i * 7);
    }
    if (proto == IPPROTO_TCP) {
        struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)l4;
        t->src_port = htons(f.sport), t->dst_port = htons(f.dport);
        t->data_off = 5 << 4, t->tcp_flags = tcp_flags, t->rx_win = htons(1000);
        t->cksum = rte_ipv4_udptcp_cksum(ip, t);
    } else if (proto == IPPROTO_UDP) {
        struct rte_udp_hdr *u = (struct rte_udp_hdr *)l4;
        u->src_port = htons(f.sport), u->dst_port = htons(f.dport);
        u->dgram_len = htons(8 + payload);
        u->dgram_cksum = rte_ipv4_udptcp_cksum(ip, u);
    } else {
        struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)l4;
        ic->icmp_type = tcp_flags; /* The ICMP type, for ICMP. */
        ic->icmp_ident = htons(f.sport);
        ic->icmp_seq_nb = htons(1);
        ic->icmp_cksum = ~rte_raw_cksum(ic, 8 + payload);
    }
    return m;
}

/* An ICMP error of 'type'/'code' from 'src' to 'dst' quoting the first 28 bytes of 'orig'. */
static struct rte_mbuf *
icmp_error(const char *src, const char *dst, uint8_t type, uint8_t code, struct rte_mbuf *orig)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);
    uint8_t raw[56] = {0};
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)raw;
    struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)(raw + 20);

    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = htons(56);
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_ICMP;
    ip->src_addr = ip4(src);
    ip->dst_addr = ip4(dst);
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    ic->icmp_type = type;
    ic->icmp_code = code;
    memcpy(ic + 1, rte_pktmbuf_mtod(orig, void *), 28);
    ic->icmp_cksum = ~rte_raw_cksum(ic, 36);
    rte_pktmbuf_free(orig);
    assert_non_null(m);
    memcpy(rte_pktmbuf_append(m, sizeof raw), raw, sizeof raw);
    return m;
}

/* Wraps a bare IPv4 packet into a frame received on the external port. */
static struct rte_mbuf *
from_outside(struct rte_mbuf *m)
{
    struct rte_ether_hdr *e = (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof *e);
    memcpy(e->dst_addr.addr_bytes, EXT_MAC, 6);
    memcpy(e->src_addr.addr_bytes, ROUTER_MAC, 6);
    e->ether_type = htons(RTE_ETHER_TYPE_IPV4);
    m->port = EXTERNAL;
    return m;
}

/* Wraps a bare IPv4 packet from a host of 'vsid' (to its gateway) into an NVGRE frame from PA
 * 10.0.0.2, received on the provider port. */
static struct rte_mbuf *
nvgre(uint32_t vsid, struct rte_mbuf *m)
{
    uint16_t inner = (uint16_t)rte_pktmbuf_pkt_len(m) + 14;
    uint8_t *p = (uint8_t *)rte_pktmbuf_prepend(m, 14 + 20 + 8 + 14);
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + 14);
    uint8_t *gre = p + 14 + 20;
    uint32_t key = vsid << 8;

    if (!p) {
        fail_msg("no headroom");
        return m;
    }
    memset(p, 0, 14 + 20 + 8 + 14);
    memcpy(p, PROV_MAC, 6);
    memcpy(p + 6, PEER_MAC, 6);
    p[12] = 0x08;
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = htons(20 + 8 + inner);
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_GRE;
    ip->src_addr = ip4("10.0.0.2");
    ip->dst_addr = ip4("10.0.0.1");
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    gre[0] = 0x20, gre[2] = 0x65, gre[3] = 0x58;
    gre[4] = key >> 24, gre[5] = key >> 16, gre[6] = key >> 8, gre[7] = key;
    memcpy(gre + 8, GW_MAC, 6);
    memcpy(gre + 8 + 6, PEER_MAC, 6);
    gre[8 + 12] = 0x08;
    m->port = PROVIDER;
    return m;
}

/* Sends a packet from an inside host of 'vsid' through its tenant's router: straight to the
 * route stage, or NVGRE-encapsulated through the provider port's burst path. */
static void
send_in(uint32_t vsid, struct rte_mbuf *m)
{
    const struct dp_subnet *sn = dp_subnet_find(dp, vsid);
    assert_non_null(sn);
    if (burst) {
        m = nvgre(vsid, m);
        dp_provider_burst(w, &m, 1);
    } else {
        dp_route_input(w, m, sn->tenant, sn);
    }
    settle();
}

static void
send_out(struct rte_mbuf *m)
{
    m = from_outside(m);
    if (burst) {
        dp_external_burst(w, &m, 1);
    } else {
        dp_external_input(w, m);
    }
    settle();
}

/* ---- Checkers ---- */

/* Pops the next frame queued on 'port' (FIFO); fails when there is none. */
static struct rte_mbuf *
pop(unsigned port)
{
    struct rte_mbuf *m;
    assert_true(w->tx[port].n > 0);
    m = w->tx[port].pkts[0];
    memmove(&w->tx[port].pkts[0], &w->tx[port].pkts[1], (w->tx[port].n - 1) * sizeof m);
    w->tx[port].n--;
    return m;
}

static unsigned
queued(unsigned port)
{
    return w->tx[port].n;
}

/* Checks every checksum of the IPv4 packet at 'ip' from scratch. */
static void
check_sums(struct rte_ipv4_hdr *ip)
{
    uint8_t *l4 = (uint8_t *)ip + 20;
    uint16_t l4len = ntohs(ip->total_length) - 20;

    assert_int_equal(rte_ipv4_cksum(ip), 0);
    if (ip->next_proto_id == IPPROTO_ICMP) {
        assert_int_equal(rte_raw_cksum(l4, l4len), 0xffff);
    } else {
        assert_int_equal(rte_ipv4_udptcp_cksum_verify(ip, l4), 0);
    }
}

/* The IPv4 packet of a frame sent out of the external port, checked. */
static struct rte_ipv4_hdr *
outside_ip(struct rte_mbuf *m)
{
    struct rte_ether_hdr *e = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(e + 1);

    assert_memory_equal(e->dst_addr.addr_bytes, ROUTER_MAC, 6);
    assert_memory_equal(e->src_addr.addr_bytes, EXT_MAC, 6);
    check_sums(ip);
    return ip;
}

/* The inner IPv4 packet of an NVGRE frame sent to the PA network, checked; its VSID in '*vsid'. */
static struct rte_ipv4_hdr *
inside_ip(struct rte_mbuf *m, uint32_t *vsid)
{
    uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(p + 14 + 20 + 8 + 14);

    assert_int_equal(p[14 + 9], IPPROTO_GRE);
    *vsid = (uint32_t)p[14 + 20 + 4] << 16 | p[14 + 20 + 5] << 8 | p[14 + 20 + 6];
    check_sums(ip);
    return ip;
}

/* The source port, or the identifier of an ICMP query. */
static uint16_t
sport(const struct rte_ipv4_hdr *ip)
{
    return ntohs(*((const uint16_t *)(ip + 1) + (ip->next_proto_id == IPPROTO_ICMP ? 2 : 0)));
}

static uint16_t
dport(const struct rte_ipv4_hdr *ip)
{
    return ntohs(*((const uint16_t *)(ip + 1) + 1));
}

/* ---- Tests ---- */

/* UDP out and back: source translated with the inside port kept, reply translated back into the
 * right VSID, both with valid checksums, and one session, one mapping, one block logged. */
static void
test_udp_round_trip(void **state)
{
    struct flow f = {"10.1.1.10", "198.18.1.2", 5000, 53};
    struct rte_ipv4_hdr *ip;
    struct rte_mbuf *m;
    struct dp_nat_usage u;
    struct dp_nat_log rec[4];
    uint32_t vsid;

    (void)state;
    send_in(5001, packet(IPPROTO_UDP, f, 0, 40));
    m = pop(EXTERNAL);
    ip = outside_ip(m);
    assert_int_equal(ip->src_addr, ip4("198.18.0.10"));
    assert_int_equal(ip->dst_addr, ip4("198.18.1.2"));
    assert_int_equal(sport(ip), 5000);
    assert_int_equal(ip->time_to_live, 63);
    rte_pktmbuf_free(m);
    assert_int_equal(ctr(DP_nat_port_preserved), 1);

    send_out(packet(IPPROTO_UDP, (struct flow){"198.18.1.2", "198.18.0.10", 53, 5000}, 0, 10));
    m = pop(PROVIDER);
    ip = inside_ip(m, &vsid);
    assert_int_equal(vsid, 5001);
    assert_int_equal(ip->dst_addr, ip4("10.1.1.10"));
    assert_int_equal(dport(ip), 5000);
    assert_int_equal(ip->src_addr, ip4("198.18.1.2"));
    rte_pktmbuf_free(m);
    assert_int_equal(ctr(DP_nat_in2out), 1);
    assert_int_equal(ctr(DP_nat_out2in), 1);

    assert_int_equal(dp_nat_usage(dp, 1, &u), 0);
    assert_int_equal(u.sessions, 1);
    assert_int_equal(u.ports, 1);
    assert_int_equal(u.blocks, 1);
    assert_int_equal(rte_ring_dequeue_burst_elem(dp->nat->log, rec, sizeof rec[0], 4, NULL), 2);
    assert_int_equal(rec[0].event, DP_NAT_EV_BLOCK_ALLOC);
    assert_int_equal(rec[0].pub_port, 4992);
    assert_int_equal(rec[0].pub_port_last, 5055);
    assert_int_equal(rec[1].event, DP_NAT_EV_MAPPING_ADD);
    assert_int_equal(rec[1].tenant, 1);
    assert_int_equal(rec[1].proto, IPPROTO_UDP);
    assert_int_equal(rec[1].in_ip, ip4("10.1.1.10"));
    assert_int_equal(rec[1].in_port, 5000);
    assert_int_equal(rec[1].pub_ip, ip4("198.18.0.10"));
    assert_int_equal(rec[1].pub_port, 5000);
    assert_true(rec[1].unix_ns > 1700000000ull * 1000000000ull);
}

/* Two tenants with the same inside address and port get their own public addresses, and replies
 * go back to the right tenant's VSID. */
static void
test_tenants_apart(void **state)
{
    struct flow f = {"10.1.1.10", "198.18.1.2", 6000, 80};
    struct rte_ipv4_hdr *ip;
    struct rte_mbuf *m;
    uint32_t vsid;

    (void)state;
    send_in(5001, packet(IPPROTO_TCP, f, RTE_TCP_SYN_FLAG, 0));
    send_in(6001, packet(IPPROTO_TCP, f, RTE_TCP_SYN_FLAG, 0));
    ip = outside_ip(m = pop(EXTERNAL));
    assert_int_equal(ip->src_addr, ip4("198.18.0.10"));
    assert_int_equal(sport(ip), 6000);
    rte_pktmbuf_free(m);
    ip = outside_ip(m = pop(EXTERNAL));
    assert_int_equal(ip->src_addr, ip4("198.18.0.20"));
    /* 6000 is outside fabrikam's 1024-1151: it gets a port of its range. */
    assert_true(sport(ip) >= 1024 && sport(ip) <= 1151);
    uint16_t fab_port = sport(ip);
    rte_pktmbuf_free(m);

    send_out(packet(IPPROTO_TCP, (struct flow){"198.18.1.2", "198.18.0.20", 80, fab_port},
                    RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0));
    ip = inside_ip(m = pop(PROVIDER), &vsid);
    assert_int_equal(vsid, 6001);
    assert_int_equal(dport(ip), 6000);
    rte_pktmbuf_free(m);
}

/* Endpoint-independent mapping with address-dependent filtering: a second destination reuses the
 * public port; a stranger is refused; a known address from another port is let in. Fabrikam
 * filters endpoint-independently and lets the stranger in. */
static void
test_mapping_and_filtering(void **state)
{
    struct rte_ipv4_hdr *ip;
    struct rte_mbuf *m;
    uint32_t vsid;

    (void)state;
    send_in(5001, packet(IPPROTO_UDP, (struct flow){"10.1.1.10", "198.18.1.2", 7000, 53}, 0, 0));
    send_in(5001, packet(IPPROTO_UDP, (struct flow){"10.1.1.10", "198.18.1.3", 7000, 53}, 0, 0));
    for (int i = 0; i < 2; i++) {
        ip = outside_ip(m = pop(EXTERNAL));
        assert_int_equal(sport(ip), 7000);
        rte_pktmbuf_free(m);
    }
    assert_int_equal(ctr(DP_nat_mappings_created), 1);
    assert_int_equal(ctr(DP_nat_sessions_created), 2);

    send_out(packet(IPPROTO_UDP, (struct flow){"198.18.1.9", "198.18.0.10", 53, 7000}, 0, 0));
    assert_int_equal(drp(DP_nat_filtered), 1);
    send_out(packet(IPPROTO_UDP, (struct flow){"198.18.1.2", "198.18.0.10", 999, 7000}, 0, 0));
    ip = inside_ip(m = pop(PROVIDER), &vsid);
    assert_int_equal(dport(ip), 7000);
    rte_pktmbuf_free(m);

    send_in(6001, packet(IPPROTO_UDP, (struct flow){"10.1.1.10", "198.18.1.2", 1100, 53}, 0, 0));
    ip = outside_ip(m = pop(EXTERNAL));
    assert_int_equal(sport(ip), 1100);
    rte_pktmbuf_free(m);
    send_out(packet(IPPROTO_UDP, (struct flow){"198.18.1.9", "198.18.0.20", 53, 1100}, 0, 0));
    ip = inside_ip(m = pop(PROVIDER), &vsid);
    assert_int_equal(vsid, 6001);
    rte_pktmbuf_free(m);
    assert_int_equal(drp(DP_nat_filtered), 1);
}

/* Two inside hosts with the same source port: the second cannot keep it. */
static void
test_port_collision(void **state)
{
    struct rte_ipv4_hdr *ip;
    struct rte_mbuf *m;

    (void)state;
    send_in(5001, packet(IPPROTO_UDP, (struct flow){"10.1.1.10", "198.18.1.2", 8000, 53}, 0, 0));
    send_in(5002, packet(IPPROTO_UDP, (struct flow){"10.1.2.10", "198.18.1.2", 8000, 53}, 0, 0));
    ip = outside_ip(m = pop(EXTERNAL));
    assert_int_equal(sport(ip), 8000);
    rte_pktmbuf_free(m);
    ip = outside_ip(m = pop(EXTERNAL));
    assert_int_not_equal(sport(ip), 8000);
    /* From a block its own worker holds: the one of 8000 when both hosts share a worker. */
    assert_int_equal(nat_block_owner(dp->nat, 0, sport(ip)),
                     nat_owner(dp->nat, 1, ip4("10.1.2.10")));
    if (nat_owner(dp->nat, 1, ip4("10.1.2.10")) == nat_owner(dp->nat, 1, ip4("10.1.1.10"))) {
        assert_true(sport(ip) > 8000 && sport(ip) < 8064);
    }
    rte_pktmbuf_free(m);
    assert_int_equal(ctr(DP_nat_port_preserved), 1);
}

/* Inbound TCP without SYN, SYN to no mapping, and other protocols: counted drops. */
static void
test_inbound_refusals(void **state)
{
    (void)state;
    send_out(packet(IPPROTO_TCP, (struct flow){"198.18.1.2", "198.18.0.10", 80, 40000},
                    RTE_TCP_ACK_FLAG, 0));
    assert_int_equal(drp(DP_nat_tcp_no_syn), 1);
    send_out(packet(IPPROTO_TCP, (struct flow){"198.18.1.2", "198.18.0.10", 80, 40000},
                    RTE_TCP_SYN_FLAG, 0));
    assert_int_equal(drp(DP_nat_no_mapping), 1);
    send_out(packet(IPPROTO_UDP, (struct flow){"198.18.1.2", "198.18.0.10", 80, 45555}, 0, 0));
    assert_int_equal(drp(DP_nat_no_mapping), 2);
    struct rte_mbuf *m =
        packet(IPPROTO_UDP, (struct flow){"198.18.1.2", "198.18.0.10", 1, 2}, 0, 0);
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
    ip->next_proto_id = IPPROTO_GRE;
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    send_out(m);
    assert_int_equal(drp(DP_nat_unsupported_proto), 1);
    /* A truncated TCP header. */
    m = packet(IPPROTO_UDP, (struct flow){"198.18.1.2", "198.18.0.10", 1, 2}, 0, 0);
    ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
    ip->next_proto_id = IPPROTO_TCP;
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    send_out(m);
    assert_int_equal(drp(DP_nat_bad_l4), 1);
    assert_int_equal(queued(PROVIDER) + queued(EXTERNAL), 0);
}

/* TCP states (RFC 5382): SYN both ways is established with the long timeout, FIN both ways is
 * TIME_WAIT with the short one, and a new SYN reopens it. */
static void
test_tcp_states(void **state)
{
    struct flow out = {"10.1.1.10", "198.18.1.2", 9000, 443};
    struct flow in = {"198.18.1.2", "198.18.0.10", 443, 9000};
    struct dp_nat_session_info info[4];
    struct dp_nat_filter f = {.tenant = 1};

    (void)state;
    send_in(5001, packet(IPPROTO_TCP, out, RTE_TCP_SYN_FLAG, 0));
    assert_int_equal(dp_nat_sessions(dp, &f, info, 4), 1);
    assert_int_equal(info[0].tcp_state, DP_NAT_TCP_SYN_SENT);
    assert_true(info[0].expires_s <= 240);
    send_out(packet(IPPROTO_TCP, in, RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0));
    dp_nat_sessions(dp, &f, info, 4);
    assert_int_equal(info[0].tcp_state, DP_NAT_TCP_ESTABLISHED);
    assert_true(info[0].expires_s > 7000);
    assert_int_equal(info[0].pkts_out, 1);
    assert_int_equal(info[0].pkts_in, 1);
    send_in(5001, packet(IPPROTO_TCP, out, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, 0));
    dp_nat_sessions(dp, &f, info, 4);
    assert_int_equal(info[0].tcp_state, DP_NAT_TCP_FIN_WAIT);
    send_out(packet(IPPROTO_TCP, in, RTE_TCP_FIN_FLAG | RTE_TCP_ACK_FLAG, 0));
    dp_nat_sessions(dp, &f, info, 4);
    assert_int_equal(info[0].tcp_state, DP_NAT_TCP_TIME_WAIT);
    assert_true(info[0].expires_s <= 240);
    send_in(5001, packet(IPPROTO_TCP, out, RTE_TCP_SYN_FLAG, 0));
    dp_nat_sessions(dp, &f, info, 4);
    assert_int_equal(info[0].tcp_state, DP_NAT_TCP_SYN_SENT);
    assert_int_equal(queued(EXTERNAL), 3);
    assert_int_equal(queued(PROVIDER), 2);
}

/* ICMP echo: the identifier is the port (RFC 5508 REQ-2/3). */
static void
test_icmp_echo(void **state)
{
    struct rte_ipv4_hdr *ip;
    struct rte_mbuf *m;
    uint32_t vsid;

    (void)state;
    send_in(5001, packet(IPPROTO_ICMP, (struct flow){"10.1.1.10", "198.18.1.2", 77, 0},
                         RTE_IP_ICMP_ECHO_REQUEST, 16));
    ip = outside_ip(m = pop(EXTERNAL));
    assert_int_equal(ip->src_addr, ip4("198.18.0.10"));
    uint16_t id = sport(ip);
    rte_pktmbuf_free(m);
    send_out(packet(IPPROTO_ICMP, (struct flow){"198.18.1.2", "198.18.0.10", id, 0},
                    RTE_IP_ICMP_ECHO_REPLY, 16));
    ip = inside_ip(m = pop(PROVIDER), &vsid);
    assert_int_equal(ip->dst_addr, ip4("10.1.1.10"));
    assert_int_equal(sport(ip), 77);
    rte_pktmbuf_free(m);
    /* An echo request to the public address opens nothing. */
    send_out(packet(IPPROTO_ICMP, (struct flow){"198.18.1.2", "198.18.0.10", 5, 0},
                    RTE_IP_ICMP_ECHO_REQUEST, 0));
    assert_int_equal(drp(DP_nat_icmp_unsupported), 1);
}

/* ICMP errors both ways (RFC 5508): the quoted packet and the outer address are translated, every
 * checksum stays right, and an error quoting an unknown session is dropped. */
static void
test_icmp_errors(void **state)
{
    struct flow f = {"10.1.1.10", "198.18.1.2", 10000, 33434};
    struct rte_ipv4_hdr *ip, *q;
    struct rte_mbuf *m;
    uint32_t vsid;

    (void)state;
    send_in(5001, packet(IPPROTO_UDP, f, 0, 12));
    m = pop(EXTERNAL);
    rte_pktmbuf_adj(m, 14);
    /* A router on the way: time exceeded to the public address, quoting what we sent. */
    send_out(icmp_error("198.18.5.5", "198.18.0.10", DP_ICMP_TIME_EXCEEDED, 0, m));
    ip = inside_ip(m = pop(PROVIDER), &vsid);
    assert_int_equal(vsid, 5001);
    assert_int_equal(ip->dst_addr, ip4("10.1.1.10"));
    assert_int_equal(ip->src_addr, ip4("198.18.5.5"));
    q = (struct rte_ipv4_hdr *)((uint8_t *)ip + 28);
    assert_int_equal(q->src_addr, ip4("10.1.1.10"));
    assert_int_equal(sport(q), 10000);
    assert_int_equal(rte_ipv4_cksum(q), 0);
    assert_int_equal(ctr(DP_nat_icmp_errors_translated), 1);
    rte_pktmbuf_free(m);

    /* The inside host's own error about a packet that came in: port unreachable. */
    send_out(packet(IPPROTO_UDP, (struct flow){"198.18.1.2", "198.18.0.10", 33434, 10000}, 0, 4));
    m = pop(PROVIDER);
    rte_pktmbuf_adj(m, 14 + 20 + 8 + 14);
    send_in(5001, icmp_error("10.1.1.10", "198.18.1.2", DP_ICMP_DEST_UNREACH, 3, m));
    ip = outside_ip(m = pop(EXTERNAL));
    assert_int_equal(ip->src_addr, ip4("198.18.0.10"));
    q = (struct rte_ipv4_hdr *)((uint8_t *)ip + 28);
    assert_int_equal(q->dst_addr, ip4("198.18.0.10"));
    assert_int_equal(dport(q), 10000);
    assert_int_equal(rte_ipv4_cksum(q), 0);
    rte_pktmbuf_free(m);

    /* Errors about sessions that do not exist. */
    send_out(icmp_error(
        "198.18.1.2", "198.18.0.10", DP_ICMP_DEST_UNREACH, 3,
        packet(IPPROTO_UDP, (struct flow){"198.18.0.10", "198.18.1.2", 45555, 53}, 0, 0)));
    assert_int_equal(drp(DP_nat_icmp_unknown_session), 1);
    send_in(5001,
            icmp_error("10.1.1.10", "198.18.1.2", DP_ICMP_DEST_UNREACH, 3,
                       packet(IPPROTO_UDP, (struct flow){"198.18.1.2", "10.1.1.10", 53, 1}, 0, 0)));
    assert_int_equal(drp(DP_nat_icmp_unknown_session), 2);
    assert_int_equal(queued(PROVIDER) + queued(EXTERNAL), 0);
}

/* A static mapping serves an inbound connection, and the same inside endpoint going out uses it
 * too; hairpinning reaches it from another VM of the tenant with the public source (REQ-9). */
static void
test_static_and_hairpin(void **state)
{
    struct rte_ipv4_hdr *ip;
    struct rte_mbuf *m;
    uint32_t vsid;

    (void)state;
    send_out(packet(IPPROTO_TCP, (struct flow){"198.18.1.2", "198.18.0.10", 5555, 8080},
                    RTE_TCP_SYN_FLAG, 0));
    ip = inside_ip(m = pop(PROVIDER), &vsid);
    assert_int_equal(vsid, 5001);
    assert_int_equal(ip->dst_addr, ip4("10.1.1.10"));
    assert_int_equal(dport(ip), 80);
    rte_pktmbuf_free(m);
    assert_int_equal(ctr(DP_nat_static_hits), 1);
    send_in(5001, packet(IPPROTO_TCP, (struct flow){"10.1.1.10", "198.18.1.2", 80, 5555},
                         RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0));
    ip = outside_ip(m = pop(EXTERNAL));
    assert_int_equal(ip->src_addr, ip4("198.18.0.10"));
    assert_int_equal(sport(ip), 8080);
    rte_pktmbuf_free(m);

    send_in(5002, packet(IPPROTO_TCP, (struct flow){"10.1.2.10", "198.18.0.10", 41000, 8080},
                         RTE_TCP_SYN_FLAG, 0));
    ip = inside_ip(m = pop(PROVIDER), &vsid);
    assert_int_equal(vsid, 5001);
    assert_int_equal(ip->dst_addr, ip4("10.1.1.10"));
    assert_int_equal(dport(ip), 80);
    assert_int_equal(ip->src_addr, ip4("198.18.0.10"));
    assert_int_equal(sport(ip), 41000);
    assert_int_equal(ip->time_to_live, 63);
    rte_pktmbuf_free(m);
    assert_int_equal(ctr(DP_nat_hairpinned), 1);
    assert_int_equal(queued(EXTERNAL), 0);
}

/* A tenant at its session quota gets drops and ICMP prohibited; the other tenant carries on. */
static void
test_quota(void **state)
{
    struct rte_ipv4_hdr *ip;
    struct rte_mbuf *m;
    uint32_t vsid;

    (void)state;
    for (uint16_t i = 0; i < 10; i++) {
        send_in(5001,
                packet(IPPROTO_UDP, (struct flow){"10.1.1.10", "198.18.1.2", 20000 + i, 53}, 0, 0));
    }
    assert_int_equal(queued(EXTERNAL), 8);
    assert_int_equal(drp(DP_nat_port_quota), 2);
    /* The prohibited errors go back to the sender inside. */
    assert_int_equal(queued(PROVIDER), 2);
    ip = inside_ip(m = pop(PROVIDER), &vsid);
    assert_int_equal(ip->next_proto_id, IPPROTO_ICMP);
    assert_int_equal(((uint8_t *)ip)[20], DP_ICMP_DEST_UNREACH);
    assert_int_equal(((uint8_t *)ip)[21], 13);
    rte_pktmbuf_free(m);
    /* More sessions on existing mappings hit the session quota instead. */
    send_in(5001, packet(IPPROTO_UDP, (struct flow){"10.1.1.10", "198.18.1.9", 20000, 53}, 0, 0));
    assert_int_equal(drp(DP_nat_session_quota), 1);

    send_in(6001, packet(IPPROTO_UDP, (struct flow){"10.1.1.10", "198.18.1.2", 1024, 53}, 0, 0));
    assert_int_equal(queued(EXTERNAL), 9);
    struct dp_nat_usage u;
    assert_int_equal(dp_nat_usage(dp, 1, &u), 0);
    assert_int_equal(u.sessions, 8);
    assert_int_equal(dp_nat_usage(dp, 2, &u), 0);
    assert_int_equal(u.sessions, 1);
}

/* A tenant whose public ports are all taken gets counted drops and ICMP prohibited (RFC 5508
 * REQ-8) for new mappings, while its existing sessions and the other tenant carry on. */
static void
test_out_of_ports(void **state)
{
    struct rte_ipv4_hdr *ip;
    struct rte_mbuf *m;
    uint32_t vsid;

    (void)state;
    for (uint16_t i = 0; i < 130; i++) {
        send_in(6001,
                packet(IPPROTO_UDP, (struct flow){"10.1.1.10", "198.18.1.2", 40000 + i, 53}, 0, 0));
        if (i < 128) {
            ip = outside_ip(m = pop(EXTERNAL));
            assert_true(sport(ip) >= 1024 && sport(ip) <= 1151);
            rte_pktmbuf_free(m);
        }
    }
    assert_int_equal(drp(DP_nat_out_of_ports), 2);
    assert_int_equal(queued(EXTERNAL), 0);
    assert_int_equal(queued(PROVIDER), 2);
    ip = inside_ip(m = pop(PROVIDER), &vsid);
    assert_int_equal(vsid, 6001);
    assert_int_equal(((uint8_t *)ip)[20], DP_ICMP_DEST_UNREACH);
    assert_int_equal(((uint8_t *)ip)[21], 13);
    rte_pktmbuf_free(m);
    rte_pktmbuf_free(pop(PROVIDER));
    /* An existing mapping still opens sessions to new destinations. */
    send_in(6001, packet(IPPROTO_UDP, (struct flow){"10.1.1.10", "198.18.1.7", 40000, 53}, 0, 0));
    rte_pktmbuf_free(pop(EXTERNAL));
    send_in(5001, packet(IPPROTO_UDP, (struct flow){"10.1.1.10", "198.18.1.2", 40000, 53}, 0, 0));
    ip = outside_ip(m = pop(EXTERNAL));
    assert_int_equal(ip->src_addr, ip4("198.18.0.10"));
    rte_pktmbuf_free(m);
    struct dp_nat_usage u;
    assert_int_equal(dp_nat_usage(dp, 2, &u), 0);
    assert_int_equal(u.ports, 128);
    assert_int_equal(u.blocks, u.blocks_total);
}

/* Sessions expire at their timeout (UDP 30 s here), and then the mapping, the port and the block
 * go back, logged. Clear removes sessions at once. */
static void
test_expiry_and_clear(void **state)
{
    uint64_t hz = rte_get_tsc_hz(), t0 = clock_now();
    struct dp_nat_filter f = {.tenant = 1};
    struct dp_nat_usage u;
    struct dp_nat_log rec[8];
    unsigned n;

    (void)state;
    tick(t0);
    send_in(5001, packet(IPPROTO_UDP, (struct flow){"10.1.1.10", "198.18.1.2", 30000, 53}, 0, 0));
    send_in(5001, packet(IPPROTO_TCP, (struct flow){"10.1.1.10", "198.18.1.2", 30001, 53},
                         RTE_TCP_SYN_FLAG, 0));
    drain_log();
    tick(t0 + 20 * hz);
    assert_int_equal(dp_nat_sessions(dp, &f, NULL, 0), 2);
    tick(t0 + 32 * hz);
    assert_int_equal(dp_nat_sessions(dp, &f, NULL, 0), 1);
    assert_int_equal(ctr(DP_nat_sessions_expired), 1);
    n = rte_ring_dequeue_burst_elem(dp->nat->log, rec, sizeof rec[0], 8, NULL);
    assert_int_equal(n, 1);
    assert_int_equal(rec[0].event, DP_NAT_EV_MAPPING_DEL);
    assert_int_equal(rec[0].in_port, 30000);
    /* The TCP one is opening: transitory, 240 s. */
    tick(t0 + 245 * hz);
    assert_int_equal(dp_nat_sessions(dp, &f, NULL, 0), 0);
    n = rte_ring_dequeue_burst_elem(dp->nat->log, rec, sizeof rec[0], 8, NULL);
    assert_int_equal(n, 2);
    assert_int_equal(rec[0].event, DP_NAT_EV_MAPPING_DEL);
    assert_int_equal(rec[1].event, DP_NAT_EV_BLOCK_FREE);
    assert_int_equal(dp_nat_usage(dp, 1, &u), 0);
    assert_int_equal(u.sessions + u.ports + u.blocks, 0);

    send_in(5001, packet(IPPROTO_UDP, (struct flow){"10.1.1.10", "198.18.1.2", 30002, 53}, 0, 0));
    send_in(6001, packet(IPPROTO_UDP, (struct flow){"10.1.1.10", "198.18.1.2", 1030, 53}, 0, 0));
    f.tenant = 0, f.addr = ip4("198.18.0.20");
    assert_int_equal(dp_nat_clear(dp, &f), 1);
    assert_int_equal(dp_nat_usage(dp, 2, &u), 0);
    assert_int_equal(u.sessions + u.ports + u.blocks, 0);
    assert_int_equal(dp_nat_usage(dp, 1, &u), 0);
    assert_int_equal(u.sessions, 1);
}

/* Fragments are reassembled before NAT and the datagram fragmented again for the uplink. */
static void
test_fragments(void **state)
{
    struct rte_mbuf *m =
        packet(IPPROTO_UDP, (struct flow){"10.1.1.10", "198.18.1.2", 31000, 9}, 0, 1400);
    struct rte_mbuf *frags[4];
    int n;

    (void)state;
    n = rte_ipv4_fragment_packet(m, frags, 4, 1000, dp->pool, dp->indirect_pool);
    rte_pktmbuf_free(m);
    assert_int_equal(n, 2);
    /* The second fragment arrives first. */
    for (int i = n - 1; i >= 0; i--) {
        struct rte_mbuf *c = rte_pktmbuf_alloc(dp->pool);
        struct rte_ipv4_hdr *ip;
        rte_pktmbuf_append(c, (uint16_t)rte_pktmbuf_pkt_len(frags[i]));
        rte_pktmbuf_read(frags[i], 0, rte_pktmbuf_pkt_len(frags[i]), rte_pktmbuf_mtod(c, void *));
        rte_pktmbuf_free(frags[i]);
        ip = rte_pktmbuf_mtod(c, struct rte_ipv4_hdr *);
        ip->hdr_checksum = 0;
        ip->hdr_checksum = rte_ipv4_cksum(ip);
        send_in(5001, c);
    }
    assert_int_equal(ctr(DP_nat_fragments), 2);
    assert_int_equal(ctr(DP_nat_reassembled), 1);
    assert_int_equal(queued(EXTERNAL), 1); /* 1428 bytes fit the uplink's 1500. */
    m = pop(EXTERNAL);
    assert_int_equal(rte_pktmbuf_linearize(m), 0);
    struct rte_ipv4_hdr *ip = outside_ip(m);
    assert_int_equal(ntohs(ip->total_length), 1428);
    assert_int_equal(ip->src_addr, ip4("198.18.0.10"));
    assert_int_equal(sport(ip), 31000);
    assert_false(dp_ipv4_is_fragment(ip));
    rte_pktmbuf_free(m);
}

static void
count_record(const struct dp_nat_log *r, void *aux)
{
    (void)r;
    (*(uint64_t *)aux)++;
}

/* The mapping log is drained through the API. */
static void
test_log_drain(void **state)
{
    uint64_t got = 0;

    (void)state;
    send_in(5001, packet(IPPROTO_UDP, (struct flow){"10.1.1.11", "198.18.1.2", 32000, 53}, 0, 0));
    assert_int_equal(dp_nat_log_drain(dp, count_record, &got), 0);
    assert_int_equal(got, 2); /* Block and mapping. */
}

/* The gateway answers ARP on the uplink for its NAT public addresses, so that they may sit on
 * the external port's own network; other addresses stay unanswered. */
static void
test_arp_for_public_addresses(void **state)
{
    const char *targets[] = {"198.18.0.10", "198.18.0.99"};
    struct rte_mbuf *m;

    (void)state;
    for (unsigned i = 0; i < 2; i++) {
        struct rte_arp_hdr arp = {.arp_hardware = htons(RTE_ARP_HRD_ETHER),
                                  .arp_protocol = htons(RTE_ETHER_TYPE_IPV4),
                                  .arp_hlen = 6,
                                  .arp_plen = 4,
                                  .arp_opcode = htons(RTE_ARP_OP_REQUEST)};
        struct rte_ether_hdr *e;

        memcpy(arp.arp_data.arp_sha.addr_bytes, ROUTER_MAC, 6);
        arp.arp_data.arp_sip = ip4("10.99.0.2");
        arp.arp_data.arp_tip = ip4(targets[i]);
        m = rte_pktmbuf_alloc(dp->pool);
        e = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof *e + sizeof arp);
        memset(e->dst_addr.addr_bytes, 0xff, 6);
        memcpy(e->src_addr.addr_bytes, ROUTER_MAC, 6);
        e->ether_type = htons(RTE_ETHER_TYPE_ARP);
        memcpy(e + 1, &arp, sizeof arp);
        m->port = EXTERNAL;
        dp_external_input(w, m);
        dp_control_poll(dp);
    }
    assert_int_equal(rte_ring_count(dp->ctl_tx), 1);
    assert_int_equal(rte_ring_dequeue(dp->ctl_tx, (void **)&m), 0);
    const struct rte_arp_hdr *reply =
        rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, sizeof(struct rte_ether_hdr));
    assert_int_equal(ntohs(reply->arp_opcode), RTE_ARP_OP_REPLY);
    assert_int_equal(reply->arp_data.arp_sip, ip4("198.18.0.10"));
    assert_memory_equal(reply->arp_data.arp_sha.addr_bytes, EXT_MAC, 6);
    rte_pktmbuf_free(m);
}

/* A session belongs to one worker: packets of it that arrive on the other are handed over, both
 * ways, and come out translated exactly as if they had arrived on the owner. */
static void
test_handoff(void **state)
{
    char ca[2][16];
    unsigned found = 0;
    struct rte_ipv4_hdr *ip;
    struct rte_mbuf *m;
    struct dp_nat_session_info info[4];
    struct dp_nat_filter f = {.tenant = 1};
    uint32_t vsid;

    (void)state;
    /* One inside host owned by each worker. */
    for (unsigned host = 10; host < 20 && found < 3; host++) {
        unsigned owner = nat_owner(dp->nat, 1, ip4("10.1.1.0") | htonl(host));
        if (!(found & (1u << owner))) {
            snprintf(ca[owner], sizeof ca[owner], "10.1.1.%u", host);
            found |= 1u << owner;
        }
    }
    assert_int_equal(found, 3);
    for (unsigned owner = 0; owner < 2; owner++) {
        /* Ports in different blocks: a block serves one worker only. */
        uint16_t port = (uint16_t)(33000 + 1000 * owner);
        struct flow f_out = {ca[owner], "198.18.1.2", port, 53};
        struct flow f_in = {"198.18.1.2", "198.18.0.10", 53, port};

        send_in(5001, packet(IPPROTO_UDP, f_out, 0, 0));
        ip = outside_ip(m = pop(EXTERNAL));
        assert_int_equal(sport(ip), port);
        rte_pktmbuf_free(m);
        send_out(packet(IPPROTO_UDP, f_in, 0, 0));
        ip = inside_ip(m = pop(PROVIDER), &vsid);
        assert_int_equal(ip->dst_addr, ip4(ca[owner]));
        rte_pktmbuf_free(m);
    }
    /* Worker 0 received all four packets; two belonged to worker 1. */
    assert_int_equal(w->stats.counter[DP_nat_handoffs], 2);
    assert_int_equal(w1->stats.counter[DP_nat_in2out], 1);
    assert_int_equal(w1->stats.counter[DP_nat_out2in], 1);
    assert_int_equal(w->stats.counter[DP_nat_in2out], 1);
    assert_int_equal(dp_nat_sessions(dp, &f, info, 4), 2);
    assert_int_not_equal(info[0].worker, info[1].worker);
    /* The blocks behind the two ports belong to the two workers. */
    assert_int_equal(nat_block_owner(dp->nat, 0, 33000), nat_owner(dp->nat, 1, ip4(ca[0])));
    assert_int_equal(nat_block_owner(dp->nat, 0, 34000), nat_owner(dp->nat, 1, ip4(ca[1])));
}

/* A burst mixing new and known flows, twice the same new flow, and a packet the NAT refuses, both
 * ways: each packet is translated as it would be alone (ports in separate blocks, so that each is
 * kept whichever worker owns its host). */
static void
test_burst_mix(void **state)
{
    struct flow known = {"10.1.1.10", "198.18.1.2", 33000, 53};
    struct flow fresh = {"10.1.1.11", "198.18.1.2", 34000, 53};
    struct flow fresh2 = {"10.1.2.10", "198.18.1.2", 35000, 53};
    struct rte_mbuf *pkts[5];
    struct rte_ipv4_hdr *ip;
    struct rte_mbuf *m;
    uint32_t vsid;

    (void)state;
    send_in(5001, packet(IPPROTO_UDP, known, 0, 10));
    rte_pktmbuf_free(pop(EXTERNAL));
    pkts[0] = nvgre(5001, packet(IPPROTO_UDP, fresh, 0, 10));
    pkts[1] = nvgre(5001, packet(IPPROTO_UDP, known, 0, 10));
    pkts[2] = nvgre(5001, packet(IPPROTO_UDP, fresh, 0, 10));
    pkts[3] = nvgre(5002, packet(IPPROTO_UDP, (struct flow){"10.9.9.9", "198.18.1.2", 1, 53}, 0,
                                 10)); /* Not inside. */
    pkts[4] = nvgre(5002, packet(IPPROTO_TCP, fresh2, RTE_TCP_SYN_FLAG, 0));
    dp_provider_burst(w, pkts, 5);
    settle();
    assert_int_equal(drp(DP_nat_not_inside), 1);
    assert_int_equal(ctr(DP_nat_sessions_created), 3);
    assert_int_equal(ctr(DP_nat_in2out), 5);
    assert_int_equal(queued(EXTERNAL), 4);
    /* Packets handed to the other worker come out after worker 0's: compare as a set. */
    unsigned seen[3] = {0};
    for (unsigned i = 0; i < 4; i++) {
        ip = outside_ip(m = pop(EXTERNAL));
        assert_int_equal(ip->src_addr, ip4("198.18.0.10"));
        assert_true(sport(ip) == 33000 || sport(ip) == 34000 || sport(ip) == 35000);
        seen[(sport(ip) - 33000) / 1000]++;
        assert_int_equal(ip->time_to_live, 63);
        rte_pktmbuf_free(m);
    }
    assert_int_equal(seen[0], 1);
    assert_int_equal(seen[1], 2);
    assert_int_equal(seen[2], 1);

    pkts[0] = from_outside(
        packet(IPPROTO_UDP, (struct flow){"198.18.1.2", "198.18.0.10", 53, 34000}, 0, 10));
    pkts[1] = from_outside(
        packet(IPPROTO_UDP, (struct flow){"198.18.1.2", "198.18.0.10", 53, 39999}, 0, 10));
    pkts[2] =
        from_outside(packet(IPPROTO_TCP, (struct flow){"198.18.1.2", "198.18.0.10", 53, 35000},
                            RTE_TCP_SYN_FLAG | RTE_TCP_ACK_FLAG, 0));
    pkts[3] = from_outside(
        packet(IPPROTO_UDP, (struct flow){"198.18.1.2", "198.18.0.10", 53, 33000}, 0, 10));
    dp_external_burst(w, pkts, 4);
    settle();
    assert_int_equal(drp(DP_nat_no_mapping), 1);
    assert_int_equal(ctr(DP_nat_out2in), 3);
    const uint16_t ports[] = {34000, 35000, 33000};
    const char *const dsts[] = {"10.1.1.11", "10.1.2.10", "10.1.1.10"};
    unsigned got = 0;
    for (unsigned k = 0; k < 3; k++) {
        ip = inside_ip(m = pop(PROVIDER), &vsid);
        for (unsigned i = 0; i < 3; i++) {
            if (dport(ip) == ports[i]) {
                assert_int_equal(vsid, i == 1 ? 5002 : 5001);
                assert_int_equal(ip->dst_addr, ip4(dsts[i]));
                got |= 1u << i;
            }
        }
        rte_pktmbuf_free(m);
    }
    assert_int_equal(got, 7);
    assert_int_equal(queued(PROVIDER), 0);
}

/* xorshift64: the same "random" packets in every run. */
static uint64_t
rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static uint64_t
all_drops(void)
{
    uint64_t n = 0;
    for (unsigned d = 0; d < DP_N_DROPS; d++) {
        n += drp(d);
    }
    return n;
}

/* Frees whatever the last packet produced and returns how many frames that was. */
static unsigned
flush_outputs(void)
{
    unsigned n = 0;
    for (unsigned p = 0; p < DP_MAX_PORTS; p++) {
        n += queued(p);
        while (queued(p)) {
            rte_pktmbuf_free(pop(p));
        }
    }
    return n;
}

/* Garbage after a valid IPv4 header, both ways: mutated transport headers, ICMP errors quoting
 * mangled packets (bad lengths, options, protocols), truncations. Every packet must come out or
 * be counted as a drop, and nothing may crash or read out of bounds (the sanitizer build runs
 * this too). Sessions for the ICMP errors to quote exist first. */
static void
test_mangled_packets(void **state)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    struct flow f = {"10.1.1.10", "198.18.1.2", 36000, 53};

    (void)state;
    send_in(5001, packet(IPPROTO_UDP, f, 0, 0));
    send_in(5001, packet(IPPROTO_TCP, (struct flow){"10.1.1.10", "198.18.1.2", 36001, 80},
                         RTE_TCP_SYN_FLAG, 0));
    flush_outputs();
    for (unsigned i = 0; i < 4000; i++) {
        struct rte_mbuf *m;
        struct rte_ipv4_hdr *ip;
        bool inbound = i & 1;
        unsigned kind = (i >> 1) % 4, len;
        uint64_t before = all_drops();

        switch (kind) {
        case 0: /* A datagram with a mangled transport header. */
            m = inbound ? packet(IPPROTO_UDP, (struct flow){"198.18.1.2", "198.18.0.10", 53, 36000},
                                 0, 16)
                        : packet(IPPROTO_UDP, f, 0, 16);
            break;
        case 1: /* TCP. */
            m = packet(IPPROTO_TCP,
                       inbound ? (struct flow){"198.18.1.2", "198.18.0.10", 80, 36001}
                               : (struct flow){"10.1.1.10", "198.18.1.2", 36001, 80},
                       RTE_TCP_ACK_FLAG, 8);
            break;
        default: /* An ICMP error quoting a packet of the UDP session. */
            m = inbound
                    ? icmp_error("198.18.5.5", "198.18.0.10", DP_ICMP_DEST_UNREACH, 3,
                                 packet(IPPROTO_UDP,
                                        (struct flow){"198.18.0.10", "198.18.1.2", 36000, 53}, 0,
                                        0))
                    : icmp_error("10.1.1.10", "198.18.1.2", DP_ICMP_DEST_UNREACH, 3,
                                 packet(IPPROTO_UDP,
                                        (struct flow){"198.18.1.2", "10.1.1.10", 53, 36000}, 0, 0));
        }
        ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
        len = rte_pktmbuf_data_len(m);
        for (unsigned k = 0, flips = 1 + rnd(&seed) % 4; k < flips; k++) {
            rte_pktmbuf_mtod(m, uint8_t *)[20 + rnd(&seed) % (len - 20)] = (uint8_t)rnd(&seed);
        }
        if (rnd(&seed) % 3 == 0) { /* Cut it short, header kept consistent. */
            unsigned cut = 20 + (unsigned)(rnd(&seed) % (len - 20));
            rte_pktmbuf_trim(m, (uint16_t)(len - cut));
            ip->total_length = htons((uint16_t)cut);
        }
        ip->hdr_checksum = 0;
        ip->hdr_checksum = rte_ipv4_cksum(ip);
        if (inbound) {
            send_out(m);
        } else {
            send_in(5001, m);
        }
        unsigned out = flush_outputs();
        assert_true(out + (all_drops() - before) >= 1);
    }
    /* The state is still sound: the UDP session still translates. */
    send_in(5001, packet(IPPROTO_UDP, f, 0, 0));
    struct rte_mbuf *m = pop(EXTERNAL);
    assert_int_equal(outside_ip(m)->src_addr, ip4("198.18.0.10"));
    rte_pktmbuf_free(m);
    flush_outputs();
}

/* Every test again, its packets through the burst paths. */
#define BURST_TEST(t)                                                                              \
    {                                                                                              \
#t " (burst)", t, reset_burst, NULL, NULL                                                  \
    }

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_udp_round_trip, reset),
        cmocka_unit_test_setup(test_tenants_apart, reset),
        cmocka_unit_test_setup(test_mapping_and_filtering, reset),
        cmocka_unit_test_setup(test_port_collision, reset),
        cmocka_unit_test_setup(test_inbound_refusals, reset),
        cmocka_unit_test_setup(test_tcp_states, reset),
        cmocka_unit_test_setup(test_icmp_echo, reset),
        cmocka_unit_test_setup(test_icmp_errors, reset),
        cmocka_unit_test_setup(test_static_and_hairpin, reset),
        cmocka_unit_test_setup(test_quota, reset),
        cmocka_unit_test_setup(test_expiry_and_clear, reset),
        cmocka_unit_test_setup(test_fragments, reset),
        cmocka_unit_test_setup(test_log_drain, reset),
        cmocka_unit_test_setup(test_arp_for_public_addresses, reset),
        cmocka_unit_test_setup(test_handoff, reset),
        cmocka_unit_test_setup(test_out_of_ports, reset),
        cmocka_unit_test_setup(test_mangled_packets, reset),
        cmocka_unit_test_setup(test_burst_mix, reset),
        BURST_TEST(test_udp_round_trip),
        BURST_TEST(test_tenants_apart),
        BURST_TEST(test_mapping_and_filtering),
        BURST_TEST(test_port_collision),
        BURST_TEST(test_inbound_refusals),
        BURST_TEST(test_tcp_states),
        BURST_TEST(test_icmp_echo),
        BURST_TEST(test_icmp_errors),
        BURST_TEST(test_static_and_hairpin),
        BURST_TEST(test_quota),
        BURST_TEST(test_expiry_and_clear),
        BURST_TEST(test_fragments),
        BURST_TEST(test_log_drain),
        BURST_TEST(test_handoff),
        BURST_TEST(test_out_of_ports),
        BURST_TEST(test_mangled_packets),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
