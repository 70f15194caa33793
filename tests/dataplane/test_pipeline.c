/* SPDX-License-Identifier: Apache-2.0 */
/* Pipeline unit tests: crafted frames go through the real stage functions on a data plane with no
 * devices; what a worker would transmit is read back from its tx buffers, and what it dropped from
 * its named drop counters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <poll.h>
#include <unistd.h>
#include <rte_icmp.h>
#include <rte_malloc.h>

#include "dataplane/dp_internal.h"
#include "tests/dataplane/fixture.h"

#define PROVIDER 0
#define EXTERNAL 1
#define VM1      2

static struct dp *dp;
static struct dp_worker *w;

static const uint8_t PROV_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x01};
static const uint8_t EXT_MAC[6] = {0x02, 0, 0x0a, 0x63, 0, 0x01};
static const uint8_t PEER_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x02};
static const uint8_t EXTHOST_MAC[6] = {0x02, 0, 0x0a, 0x63, 0, 0x02};
static const uint8_t GW1_MAC[6] = {0x02, 0, 0, 0, 0x01, 0x01};
static const uint8_t GW2_MAC[6] = {0x02, 0, 0, 0, 0x02, 0x01};
static const uint8_t VM_A_MAC[6] = {0x02, 0, 0, 0, 0x10, 0x10};
static const uint8_t VM_B_MAC[6] = {0x02, 0, 0, 0, 0x20, 0x10};
static const uint8_t VM_LOCAL_MAC[6] = {0x02, 0, 0, 0, 0x40, 0x10};

/* Two tenants with the same CA subnet: contoso (1) with 5001 and 5002, fabrikam (2) with 6001. */
static int
setup(void **state)
{
    static char *argv[] = {"test", "--no-huge", "-m",
                           "512",  "--no-pci",  "--no-shconf",
                           "-l",   "0-1",       "--log-level=lib.eal:error",
                           NULL};
    struct dp_params p = {.n_workers = 1,
                          .max_lookups = 1024,
                          .max_subnets = 64,
                          .max_routes = 1024,
                          .max_neighbors = 256,
                          .n_mbufs = 4096,
                          .icmp_rate = 1000,
                          .arp_timeout_s = 300,
                          .n_pas = 1,
                          .gateway_role = true,
                          .host_role = true};
    char err[DP_ERR_MAX];
    struct dp_subnet sn;
    struct dp_lookup rec = {.type = DP_LK_STATIC, .local_port = -1};
    struct dp_nexthop nh;

    (void)state;
    p.pas[0] = ip4("10.0.0.1");
    assert_int_equal(dp_create(9, argv, &p, &dp, err), 0);
    w = &dp->workers[0];
    w->dp = dp;
    w->icmp_tokens = 1000;
    fixture_add_port(dp, PROVIDER, DP_PORT_PROVIDER, PROV_MAC, "10.0.0.1", 24);
    fixture_add_port(dp, EXTERNAL, DP_PORT_EXTERNAL, EXT_MAC, "10.99.0.1", 24);
    fixture_add_port(dp, VM1, DP_PORT_VM, VM_LOCAL_MAC, NULL, 0);
    dp->ports[VM1].conf.vsid = 5001;
    dp->ports[VM1].conf.ca = ip4("10.1.1.40");
    dp->provider_port = PROVIDER;
    dp->external_port = EXTERNAL;

    memset(&sn, 0, sizeof sn);
    sn.vsid = 5001, sn.tenant = 1, sn.prefix = ip4("10.1.1.0"), sn.plen = 24;
    sn.gw_ip = ip4("10.1.1.1"), memcpy(sn.gw_mac, GW1_MAC, 6);
    sn.local_ports = 1u << VM1;
    sn.n_flood = 1, sn.flood_pa[0] = ip4("10.0.0.2");
    assert_int_equal(dp_subnet_set(dp, &sn), 0);
    sn.vsid = 5002, sn.prefix = ip4("10.1.2.0"), sn.gw_ip = ip4("10.1.2.1");
    memcpy(sn.gw_mac, GW2_MAC, 6);
    sn.local_ports = 0;
    assert_int_equal(dp_subnet_set(dp, &sn), 0);
    sn.vsid = 6001, sn.tenant = 2, sn.prefix = ip4("10.1.1.0"), sn.gw_ip = ip4("10.1.1.1");
    memcpy(sn.gw_mac, GW1_MAC, 6); /* Overlapping tenants may even share gateway MACs. */
    assert_int_equal(dp_subnet_set(dp, &sn), 0);

    rec.pa = ip4("10.0.0.2");
    memcpy(rec.mac, VM_A_MAC, 6);
    assert_int_equal(dp_lookup_set(dp, 5001, ip4("10.1.1.10"), &rec), 0);
    memcpy(rec.mac, VM_B_MAC, 6);
    assert_int_equal(dp_lookup_set(dp, 5002, ip4("10.1.2.10"), &rec), 0);
    memcpy(rec.mac, VM_A_MAC, 6); /* Fabrikam's VM has contoso's VM A's very addresses. */
    assert_int_equal(dp_lookup_set(dp, 6001, ip4("10.1.1.10"), &rec), 0);
    rec.pa = ip4("10.0.0.1"), rec.local_port = VM1;
    memcpy(rec.mac, VM_LOCAL_MAC, 6);
    assert_int_equal(dp_lookup_set(dp, 5001, ip4("10.1.1.40"), &rec), 0);

    nh = (struct dp_nexthop){.type = DP_NH_CONNECTED, .vsid = 5001};
    assert_int_equal(dp_route_set(dp, 1, ip4("10.1.1.0"), 24, &nh), 0);
    nh.vsid = 5002;
    assert_int_equal(dp_route_set(dp, 1, ip4("10.1.2.0"), 24, &nh), 0);
    nh = (struct dp_nexthop){.type = DP_NH_LOCAL};
    assert_int_equal(dp_route_set(dp, 1, ip4("10.1.1.1"), 32, &nh), 0);
    nh = (struct dp_nexthop){.type = DP_NH_EXTERNAL, .ip = 0};
    assert_int_equal(dp_route_set(dp, 1, ip4("10.99.0.0"), 24, &nh), 0);
    nh = (struct dp_nexthop){.type = DP_NH_CONNECTED, .vsid = 6001};
    assert_int_equal(dp_route_set(dp, 2, ip4("10.1.1.0"), 24, &nh), 0);
    nh = (struct dp_nexthop){.type = DP_NH_TENANT, .tenant = 1};
    assert_int_equal(dp_route_set(dp, 0, ip4("10.1.0.0"), 16, &nh), 0);

    assert_int_equal(dp_neigh_set_static(dp, PROVIDER, ip4("10.0.0.2"), PEER_MAC), 0);
    assert_int_equal(dp_neigh_set_static(dp, EXTERNAL, ip4("10.99.0.2"), EXTHOST_MAC), 0);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    dp_destroy(dp);
    return 0;
}

/* Empties the tx buffers and punt ring and zeroes the counters between tests. */
static int
reset(void **state)
{
    struct rte_mbuf *m;

    (void)state;
    for (unsigned p = 0; p < DP_MAX_PORTS; p++) {
        for (unsigned i = 0; i < w->tx[p].n; i++) {
            rte_pktmbuf_free(w->tx[p].pkts[i]);
        }
        w->tx[p].n = 0;
    }
    while (rte_ring_dequeue(dp->punt, (void **)&m) == 0) {
        rte_pktmbuf_free(m);
    }
    memset(&w->stats, 0, sizeof w->stats);
    return 0;
}

/* ---- Frame builders ---- */

static uint8_t *
put(struct rte_mbuf *m, const void *data, size_t len)
{
    uint8_t *p = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
    assert_non_null(p);
    if (data) {
        memcpy(p, data, len);
    }
    return p;
}

static void
put_eth(struct rte_mbuf *m, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
    struct rte_ether_hdr e;
    memcpy(e.dst_addr.addr_bytes, dst, 6);
    memcpy(e.src_addr.addr_bytes, src, 6);
    e.ether_type = htons(type);
    put(m, &e, sizeof e);
}

/* Appends an IPv4 header and 'payload' bytes of an ICMP echo request (or raw zeros). */
static void
put_ipv4_icmp(struct rte_mbuf *m, const char *src, const char *dst, uint8_t ttl, uint16_t payload,
              bool df)
{
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)put(m, NULL, sizeof *ip);
    struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)put(m, NULL, sizeof *icmp + payload);

    memset(ip, 0, sizeof *ip);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = htons(sizeof *ip + sizeof *icmp + payload);
    ip->time_to_live = ttl;
    ip->next_proto_id = IPPROTO_ICMP;
    ip->fragment_offset = df ? htons(RTE_IPV4_HDR_DF_FLAG) : 0;
    ip->src_addr = ip4(src);
    ip->dst_addr = ip4(dst);
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    memset(icmp, 0, sizeof *icmp + payload);
    icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
    icmp->icmp_ident = htons(7);
    icmp->icmp_cksum = ~rte_raw_cksum(icmp, sizeof *icmp + payload);
}

/* Outer Ethernet + IPv4 (to 'outer_dst') + a GRE header with the given fields. */
static struct rte_mbuf *
nvgre(const char *outer_dst, uint16_t flags, uint16_t proto, uint32_t key)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);
    struct rte_ipv4_hdr *ip;
    uint8_t gre[8] = {flags >> 8, flags & 0xff, proto >> 8, proto & 0xff,
                      key >> 24,  key >> 16,    key >> 8,   key & 0xff};

    assert_non_null(m);
    m->port = PROVIDER;
    put_eth(m, PROV_MAC, PEER_MAC, RTE_ETHER_TYPE_IPV4);
    ip = (struct rte_ipv4_hdr *)put(m, NULL, sizeof *ip);
    memset(ip, 0, sizeof *ip);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_GRE;
    ip->src_addr = ip4("10.0.0.2");
    ip->dst_addr = ip4(outer_dst);
    put(m, gre, 8);
    return m;
}

/* Fixes the outer IPv4 length and checksum once the inner frame is in place. */
static struct rte_mbuf *
nvgre_done(struct rte_mbuf *m)
{
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
    ip->total_length = htons(rte_pktmbuf_data_len(m) - 14);
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    return m;
}

/* A well-formed NVGRE ping from VM A (10.1.1.10, VSID 5001) to 'dst' via the gateway MAC. */
static struct rte_mbuf *
nvgre_ping(const char *dst, uint8_t ttl, uint16_t payload, bool df)
{
    struct rte_mbuf *m = nvgre("10.0.0.1", 0x2000, 0x6558, 5001u << 8 | 0x42);
    put_eth(m, GW1_MAC, VM_A_MAC, RTE_ETHER_TYPE_IPV4);
    put_ipv4_icmp(m, "10.1.1.10", dst, ttl, payload, df);
    return nvgre_done(m);
}

/* Checks that exactly one frame is queued on 'port' and returns it. */
static struct rte_mbuf *
only_tx(unsigned port)
{
    for (unsigned p = 0; p < DP_MAX_PORTS; p++) {
        assert_int_equal(w->tx[p].n, p == port ? 1 : 0);
    }
    return w->tx[port].pkts[0];
}

static uint64_t
total_drops(void)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < DP_N_DROPS; i++) {
        n += w->stats.drop[i];
    }
    return n;
}

/* Parses an emitted NVGRE frame: returns the inner Ethernet header and the VSID. */
static const struct rte_ether_hdr *
parse_nvgre(struct rte_mbuf *m, const char *outer_dst, uint32_t *vsid)
{
    const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
    const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);
    const uint8_t *gre = (const uint8_t *)(ip + 1);

    assert_memory_equal(eth->dst_addr.addr_bytes, PEER_MAC, 6);
    assert_memory_equal(eth->src_addr.addr_bytes, PROV_MAC, 6);
    assert_int_equal(ntohs(eth->ether_type), RTE_ETHER_TYPE_IPV4);
    assert_int_equal(ip->next_proto_id, IPPROTO_GRE);
    assert_int_equal(ip->src_addr, ip4("10.0.0.1"));
    assert_int_equal(ip->dst_addr, ip4(outer_dst));
    assert_int_equal(rte_ipv4_cksum(ip), 0);
    assert_int_equal(ntohs(ip->total_length), rte_pktmbuf_pkt_len(m) - 14);
    assert_int_equal(gre[0] << 8 | gre[1], 0x2000);
    assert_int_equal(gre[2] << 8 | gre[3], 0x6558);
    *vsid = (uint32_t)gre[4] << 16 | gre[5] << 8 | gre[6];
    return (const struct rte_ether_hdr *)(gre + 8);
}

/* ---- Tests ---- */

static void
test_routes_between_subnets(void **state)
{
    uint32_t vsid;
    const struct rte_ether_hdr *inner;
    const struct rte_ipv4_hdr *ip;

    (void)state;
    dp_provider_input(w, nvgre_ping("10.1.2.10", 64, 32, false));
    assert_int_equal(total_drops(), 0);
    inner = parse_nvgre(only_tx(PROVIDER), "10.0.0.2", &vsid);
    assert_int_equal(vsid, 5002);
    assert_memory_equal(inner->dst_addr.addr_bytes, VM_B_MAC, 6);
    assert_memory_equal(inner->src_addr.addr_bytes, GW2_MAC, 6);
    ip = (const struct rte_ipv4_hdr *)(inner + 1);
    assert_int_equal(ip->time_to_live, 63);
    assert_int_equal(rte_ipv4_cksum(ip), 0);
    assert_int_equal(w->stats.counter[DP_decap_nvgre], 1);
    assert_int_equal(w->stats.counter[DP_route_routed], 1);
    assert_int_equal(w->stats.counter[DP_encap_nvgre], 1);
}

static void
test_flow_id_is_stable_per_flow(void **state)
{
    const uint8_t *gre1, *gre2;

    (void)state;
    dp_provider_input(w, nvgre_ping("10.1.2.10", 64, 32, false));
    dp_provider_input(w, nvgre_ping("10.1.2.10", 64, 32, false));
    assert_int_equal(w->tx[PROVIDER].n, 2);
    gre1 = rte_pktmbuf_mtod_offset(w->tx[PROVIDER].pkts[0], const uint8_t *, 34);
    gre2 = rte_pktmbuf_mtod_offset(w->tx[PROVIDER].pkts[1], const uint8_t *, 34);
    assert_memory_equal(gre1 + 4, gre2 + 4, 4);
}

static void
test_tenants_are_isolated(void **state)
{
    struct rte_mbuf *m;

    (void)state;
    /* Fabrikam's VM (6001, same CA and MAC as contoso's VM A) sends to 10.1.2.10, which is
     * contoso's VM B: fabrikam's routing domain has no such route, so it gets unreachable. */
    m = nvgre("10.0.0.1", 0x2000, 0x6558, 6001u << 8);
    put_eth(m, GW1_MAC, VM_A_MAC, RTE_ETHER_TYPE_IPV4);
    put_ipv4_icmp(m, "10.1.1.10", "10.1.2.10", 64, 8, false);
    dp_provider_input(w, nvgre_done(m));
    assert_int_equal(w->stats.drop[DP_route_no_route], 1);
    assert_int_equal(w->stats.counter[DP_encap_nvgre], 1); /* Only the ICMP unreachable. */
    {
        uint32_t vsid;
        const struct rte_ether_hdr *inner = parse_nvgre(only_tx(PROVIDER), "10.0.0.2", &vsid);
        const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(inner + 1);
        const struct rte_icmp_hdr *icmp = (const struct rte_icmp_hdr *)(ip + 1);
        assert_int_equal(vsid, 6001);
        assert_int_equal(icmp->icmp_type, 3);
        assert_int_equal(icmp->icmp_code, 0);
    }
}

static void
test_ttl_expired_sends_time_exceeded(void **state)
{
    uint32_t vsid;
    const struct rte_ether_hdr *inner;
    const struct rte_ipv4_hdr *ip;
    const struct rte_icmp_hdr *icmp;

    (void)state;
    dp_provider_input(w, nvgre_ping("10.1.2.10", 1, 32, false));
    assert_int_equal(w->stats.drop[DP_route_ttl_expired], 1);
    inner = parse_nvgre(only_tx(PROVIDER), "10.0.0.2", &vsid);
    assert_int_equal(vsid, 5001);
    assert_memory_equal(inner->dst_addr.addr_bytes, VM_A_MAC, 6);
    ip = (const struct rte_ipv4_hdr *)(inner + 1);
    icmp = (const struct rte_icmp_hdr *)(ip + 1);
    assert_int_equal(ip->src_addr, ip4("10.1.1.1"));
    assert_int_equal(ip->dst_addr, ip4("10.1.1.10"));
    assert_int_equal(icmp->icmp_type, 11);
    assert_int_equal(rte_raw_cksum(icmp, ntohs(ip->total_length) - 20), 0xffff);
}

static void
test_df_too_big_sends_frag_needed(void **state)
{
    uint32_t vsid;
    const struct rte_ether_hdr *inner;
    const struct rte_icmp_hdr *icmp;

    (void)state;
    dp_provider_input(w, nvgre_ping("10.1.2.10", 64, 1472, true)); /* 1500 bytes inner. */
    assert_int_equal(w->stats.drop[DP_route_too_big], 1);
    inner = parse_nvgre(only_tx(PROVIDER), "10.0.0.2", &vsid);
    icmp = (const struct rte_icmp_hdr *)((const uint8_t *)(inner + 1) + 20);
    assert_int_equal(icmp->icmp_type, 3);
    assert_int_equal(icmp->icmp_code, 4);
    assert_int_equal(ntohs(icmp->icmp_seq_nb), 1458);
}

static void
test_too_big_without_df_is_fragmented(void **state)
{
    uint32_t payload = 0, vsid;

    (void)state;
    dp_provider_input(w, nvgre_ping("10.1.2.10", 64, 1472, false)); /* 1500 bytes inner. */
    assert_int_equal(w->stats.counter[DP_route_fragmented], 1);
    assert_int_equal(w->tx[PROVIDER].n, 2);
    for (unsigned i = 0; i < 2; i++) {
        struct rte_mbuf *m = w->tx[PROVIDER].pkts[i];
        const struct rte_ether_hdr *inner = parse_nvgre(m, "10.0.0.2", &vsid);
        const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(inner + 1);
        const struct rte_ipv4_hdr *outer =
            (const struct rte_ipv4_hdr *)(rte_pktmbuf_mtod(m, uint8_t *) + 14);
        uint16_t off = ntohs(ip->fragment_offset);

        assert_int_equal(vsid, 5002);
        assert_true(ntohs(outer->total_length) <= 1500);
        assert_int_equal(ntohs(outer->total_length), rte_pktmbuf_pkt_len(m) - 14);
        assert_true(ntohs(ip->total_length) <= 1458);
        assert_int_equal(rte_ipv4_cksum(ip), 0);
        assert_int_equal(ip->time_to_live, 63);
        assert_int_equal((off & RTE_IPV4_HDR_OFFSET_MASK) * 8, payload);
        assert_int_equal(!!(off & RTE_IPV4_HDR_MF_FLAG), i == 0);
        payload += ntohs(ip->total_length) - 20;
    }
    assert_int_equal(payload, 1480);
}

static void
test_no_lookup_record_sends_unreachable(void **state)
{
    (void)state;
    dp_provider_input(w, nvgre_ping("10.1.2.99", 64, 8, false));
    assert_int_equal(w->stats.drop[DP_route_no_lookup_record], 1);
    assert_int_equal(w->stats.counter[DP_route_icmp_sent], 1);
}

static void
test_ping_gateway_ca(void **state)
{
    uint32_t vsid;
    const struct rte_ether_hdr *inner;
    const struct rte_ipv4_hdr *ip;

    (void)state;
    dp_provider_input(w, nvgre_ping("10.1.1.1", 64, 8, false));
    inner = parse_nvgre(only_tx(PROVIDER), "10.0.0.2", &vsid);
    ip = (const struct rte_ipv4_hdr *)(inner + 1);
    assert_int_equal(vsid, 5001);
    assert_int_equal(ip->src_addr, ip4("10.1.1.1"));
    assert_int_equal(((const struct rte_icmp_hdr *)(ip + 1))->icmp_type, 0);
}

static void
test_inner_arp_answered_from_policy(void **state)
{
    struct rte_mbuf *m = nvgre("10.0.0.1", 0x2000, 0x6558, 5001u << 8);
    struct rte_arp_hdr arp = {.arp_hardware = htons(1),
                              .arp_protocol = htons(0x0800),
                              .arp_hlen = 6,
                              .arp_plen = 4,
                              .arp_opcode = htons(1)};
    uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    uint32_t vsid;
    const struct rte_ether_hdr *inner;
    const struct rte_arp_hdr *reply;

    (void)state;
    memcpy(arp.arp_data.arp_sha.addr_bytes, VM_A_MAC, 6);
    arp.arp_data.arp_sip = ip4("10.1.1.10");
    arp.arp_data.arp_tip = ip4("10.1.1.1");
    put_eth(m, bcast, VM_A_MAC, RTE_ETHER_TYPE_ARP);
    put(m, &arp, sizeof arp);
    dp_provider_input(w, nvgre_done(m));
    inner = parse_nvgre(only_tx(PROVIDER), "10.0.0.2", &vsid);
    reply = (const struct rte_arp_hdr *)(inner + 1);
    assert_int_equal(ntohs(reply->arp_opcode), 2);
    assert_memory_equal(reply->arp_data.arp_sha.addr_bytes, GW1_MAC, 6);
    assert_int_equal(reply->arp_data.arp_sip, ip4("10.1.1.1"));
    assert_memory_equal(inner->dst_addr.addr_bytes, VM_A_MAC, 6);

    /* A CA nobody has is not answered, and nothing is flooded. */
    reset(NULL);
    m = nvgre("10.0.0.1", 0x2000, 0x6558, 5001u << 8);
    arp.arp_data.arp_tip = ip4("10.1.1.77");
    put_eth(m, bcast, VM_A_MAC, RTE_ETHER_TYPE_ARP);
    put(m, &arp, sizeof arp);
    dp_provider_input(w, nvgre_done(m));
    assert_int_equal(w->stats.drop[DP_tenant_arp_no_policy], 1);
    assert_int_equal(w->tx[PROVIDER].n + w->tx[VM1].n, 0);
}

/* One malformed-NVGRE case per drop reason: each is counted under its name and forwards nothing. */
static void
expect_only_drop(enum dp_drop reason)
{
    for (unsigned i = 0; i < DP_N_DROPS; i++) {
        assert_int_equal(w->stats.drop[i], i == reason ? 1 : 0);
    }
    for (unsigned p = 0; p < DP_MAX_PORTS; p++) {
        assert_int_equal(w->tx[p].n, 0);
    }
}

static struct rte_mbuf *
nvgre_inner(struct rte_mbuf *m)
{
    put_eth(m, GW1_MAC, VM_A_MAC, RTE_ETHER_TYPE_IPV4);
    put_ipv4_icmp(m, "10.1.1.10", "10.1.2.10", 64, 8, false);
    return nvgre_done(m);
}

static void
test_bad_gre_flags(void **state)
{
    (void)state;
    dp_provider_input(w, nvgre_inner(nvgre("10.0.0.1", 0x3000, 0x6558, 5001u << 8)));
    expect_only_drop(DP_decap_bad_gre_flags);
}

static void
test_bad_gre_version(void **state)
{
    (void)state;
    dp_provider_input(w, nvgre_inner(nvgre("10.0.0.1", 0x2001, 0x6558, 5001u << 8)));
    expect_only_drop(DP_decap_bad_gre_flags);
}

static void
test_bad_gre_proto(void **state)
{
    (void)state;
    dp_provider_input(w, nvgre_inner(nvgre("10.0.0.1", 0x2000, 0x0800, 5001u << 8)));
    expect_only_drop(DP_decap_bad_gre_proto);
}

static void
test_vsid_out_of_range(void **state)
{
    (void)state;
    dp_provider_input(w, nvgre_inner(nvgre("10.0.0.1", 0x2000, 0x6558, 100u << 8)));
    expect_only_drop(DP_decap_vsid_out_of_range);
    reset(NULL);
    dp_provider_input(w, nvgre_inner(nvgre("10.0.0.1", 0x2000, 0x6558, 0xffffffu << 8)));
    expect_only_drop(DP_decap_vsid_out_of_range);
}

static void
test_unknown_vsid(void **state)
{
    (void)state;
    dp_provider_input(w, nvgre_inner(nvgre("10.0.0.1", 0x2000, 0x6558, 7777u << 8)));
    expect_only_drop(DP_decap_unknown_vsid);
}

static void
test_inner_vlan(void **state)
{
    struct rte_mbuf *m = nvgre("10.0.0.1", 0x2000, 0x6558, 5001u << 8);
    uint8_t tag[4] = {0, 10, 0x08, 0x00};

    (void)state;
    put_eth(m, GW1_MAC, VM_A_MAC, RTE_ETHER_TYPE_VLAN);
    put(m, tag, 4);
    put_ipv4_icmp(m, "10.1.1.10", "10.1.2.10", 64, 8, false);
    dp_provider_input(w, nvgre_done(m));
    expect_only_drop(DP_decap_inner_vlan);
}

static void
test_inner_runt(void **state)
{
    struct rte_mbuf *m = nvgre("10.0.0.1", 0x2000, 0x6558, 5001u << 8);

    (void)state;
    put(m, "\x02\x00\x00\x00\x01", 5);
    dp_provider_input(w, nvgre_done(m));
    expect_only_drop(DP_decap_inner_runt);
}

static void
test_not_my_pa(void **state)
{
    (void)state;
    dp_provider_input(w, nvgre_inner(nvgre("10.0.0.9", 0x2000, 0x6558, 5001u << 8)));
    expect_only_drop(DP_provider_not_my_pa);
}

static void
test_outer_fragment(void **state)
{
    struct rte_mbuf *m = nvgre_inner(nvgre("10.0.0.1", 0x2000, 0x6558, 5001u << 8));
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);

    (void)state;
    ip->fragment_offset = htons(RTE_IPV4_HDR_MF_FLAG);
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    dp_provider_input(w, m);
    expect_only_drop(DP_provider_outer_fragment);
}

static void
test_truncated_outer_ipv4(void **state)
{
    struct rte_mbuf *m = nvgre_inner(nvgre("10.0.0.1", 0x2000, 0x6558, 5001u << 8));
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);

    (void)state;
    ip->total_length = htons(2000); /* Claims more than the frame holds. */
    dp_provider_input(w, m);
    expect_only_drop(DP_provider_bad_ipv4);
}

/* ---- Outer IPv4 checksum and NVGRE header validation, on both provider paths ---- */

/* The outer IPv4 header of the frame at m's data. */
static struct rte_ipv4_hdr *
outer_ip(struct rte_mbuf *m)
{
    return rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, sizeof(struct rte_ether_hdr));
}

/* Makes the outer IPv4 checksum of m wrong (never into its other zero, 0x0000 <-> 0xffff). */
static struct rte_mbuf *
corrupt_outer_cksum(struct rte_mbuf *m)
{
    outer_ip(m)->hdr_checksum ^= htons(0x0101);
    return m;
}

/* Hands m to the burst path (as a burst of one) or to the per-packet path. */
static void
provider_rx(struct rte_mbuf *m, bool burst)
{
    if (burst) {
        dp_provider_burst(w, &m, 1);
    } else {
        dp_provider_input(w, m);
    }
}

/* Checks that one routed frame (VM A -> VM B) left, and nothing was dropped. */
static void
expect_routed(void)
{
    uint32_t vsid;

    assert_int_equal(total_drops(), 0);
    parse_nvgre(only_tx(PROVIDER), "10.0.0.2", &vsid);
    assert_int_equal(vsid, 5002);
    assert_int_equal(w->stats.counter[DP_route_routed], 1);
}

static void
test_bad_outer_checksum_dropped(void **state)
{
    struct rte_mbuf *m;

    (void)state;
    for (int burst = 0; burst < 2; burst++) {
        reset(NULL);
        provider_rx(corrupt_outer_cksum(nvgre_ping("10.1.2.10", 64, 32, false)), burst);
        expect_only_drop(DP_provider_bad_ip_checksum);
        assert_int_equal(w->stats.counter[DP_decap_nvgre], 0);

        reset(NULL);
        provider_rx(nvgre_ping("10.1.2.10", 64, 32, false), burst);
        expect_routed();

        /* A ping to our PA with a wrong checksum is not answered either. */
        reset(NULL);
        m = rte_pktmbuf_alloc(dp->pool);
        assert_non_null(m);
        m->port = PROVIDER;
        put_eth(m, PROV_MAC, PEER_MAC, RTE_ETHER_TYPE_IPV4);
        put_ipv4_icmp(m, "10.0.0.2", "10.0.0.1", 64, 8, false);
        provider_rx(corrupt_outer_cksum(m), burst);
        expect_only_drop(DP_provider_bad_ip_checksum);
        assert_int_equal(w->stats.counter[DP_provider_ping_replied], 0);
    }
}

/* With checksum offload the NIC's verdict decides: it is not summed again. */
static void
test_outer_checksum_rx_offload_verdict(void **state)
{
    struct rte_mbuf *m;

    (void)state;
    for (int burst = 0; burst < 2; burst++) {
        reset(NULL);
        m = nvgre_ping("10.1.2.10", 64, 32, false); /* Sums right, but the NIC says BAD. */
        m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_BAD;
        provider_rx(m, burst);
        expect_only_drop(DP_provider_bad_ip_checksum);

        reset(NULL);
        m = corrupt_outer_cksum(nvgre_ping("10.1.2.10", 64, 32, false));
        m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_GOOD;
        provider_rx(m, burst);
        expect_routed();

        /* NONE: the NIC checked the header, though the field is not filled in. */
        reset(NULL);
        m = corrupt_outer_cksum(nvgre_ping("10.1.2.10", 64, 32, false));
        m->ol_flags |= RTE_MBUF_F_RX_IP_CKSUM_NONE;
        provider_rx(m, burst);
        expect_routed();
    }
}

/* An NVGRE frame whose outer IPv4 header carries 4 bytes of options (four NOPs). */
static struct rte_mbuf *
nvgre_ping_with_options(void)
{
    struct rte_mbuf *m = nvgre_ping("10.1.2.10", 64, 32, false);
    uint8_t *frame;
    struct rte_ipv4_hdr *ip;

    assert_non_null(rte_pktmbuf_prepend(m, 4));
    frame = rte_pktmbuf_mtod(m, uint8_t *);
    memmove(frame, frame + 4, 14 + 20);
    memset(frame + 14 + 20, 1, 4);
    ip = outer_ip(m);
    ip->version_ihl = 0x46;
    ip->total_length = htons(ntohs(ip->total_length) + 4);
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    return m;
}

/* Options are part of the checksummed header. */
static void
test_outer_checksum_covers_options(void **state)
{
    struct rte_mbuf *m;

    (void)state;
    for (int burst = 0; burst < 2; burst++) {
        reset(NULL);
        provider_rx(nvgre_ping_with_options(), burst);
        expect_routed();

        reset(NULL);
        m = nvgre_ping_with_options();
        rte_pktmbuf_mtod(m, uint8_t *)[14 + 20 + 3] = 0; /* An option byte changed in flight. */
        provider_rx(m, burst);
        expect_only_drop(DP_provider_bad_ip_checksum);
    }
}

/* The fast check of a 20-byte header agrees with DPDK's checksum on any header. */
static void
test_ipv4_hdr20_check_matches_dpdk(void **state)
{
    uint8_t buf[2 + 20] __attribute__((aligned(4)));
    struct rte_ipv4_hdr *h = (struct rte_ipv4_hdr *)(buf + 2); /* As after an Ethernet header. */
    uint32_t x = 2463534242u, valid = 0;

    (void)state;
    memset(h, 0, 20);
    assert_false(dp_ipv4_hdr20_ok(h)); /* All zero: sums to 0, not 0xffff. */
    memset(h, 0xff, 20);
    assert_true(dp_ipv4_hdr20_ok(h)); /* All ones: 0xffff, the other zero. */
    for (unsigned i = 0; i < 200000; i++) {
        for (unsigned b = 0; b < 20; b++) {
            x ^= x << 13, x ^= x >> 17, x ^= x << 5; /* xorshift32: the same headers each run. */
            ((uint8_t *)h)[b] = (uint8_t)x;
        }
        h->version_ihl = 0x45;
        if (i % 2) {
            h->hdr_checksum = 0;
            h->hdr_checksum = rte_ipv4_cksum(h);
            if (i % 4 == 3) {
                ((uint8_t *)h)[x % 20] ^= (uint8_t)(1u << ((x >> 8) % 8)); /* One bit flipped. */
            }
        }
        assert_int_equal(dp_ipv4_hdr20_ok(h), rte_raw_cksum(h, 20) == 0xffff);
        assert_int_equal(dp_ipv4_sum20(h), rte_raw_cksum(h, 20));
        valid += dp_ipv4_hdr20_ok(h);
    }
    assert_true(valid >= 50000 && valid < 100000); /* Both outcomes were exercised. */
}

/* The validator itself, at the edges of what it accepts. */
static void
test_nvgre_validator(void **state)
{
    static const struct {
        uint16_t word, proto;
        uint32_t vsid;
        bool ok;
        enum dp_drop why;
    } cases[] = {
        {0x2000, 0x6558, DP_VSID_MIN, true, 0},
        {0x2000, 0x6558, DP_VSID_MAX, true, 0},
        {0x2000, 0x6558, DP_VSID_MIN - 1, false, DP_decap_vsid_out_of_range},
        {0x2000, 0x6558, DP_VSID_MAX + 1, false, DP_decap_vsid_out_of_range},
        {0x2000, 0x6558, 0, false, DP_decap_vsid_out_of_range},
        {0x3000, 0x6558, 5001, false, DP_decap_bad_gre_flags}, /* C and K. */
        {0x2001, 0x6558, 5001, false, DP_decap_bad_gre_flags}, /* Version 1. */
        {0x0000, 0x6558, 5001, false, DP_decap_bad_gre_flags}, /* No key. */
        {0x3000, 0x0800, 5001, false, DP_decap_bad_gre_flags}, /* The word is checked first. */
        {0x2000, 0x0800, 5001, false, DP_decap_bad_gre_proto},
        {0x2000, 0x6559, 5001, false, DP_decap_bad_gre_proto},
    };
    char help[64];

    (void)state;
    /* [MS-NVGREE] 2.2.1: 0x000-0xFFF and 0xFFFFFF are reserved. */
    assert_int_equal(DP_VSID_MIN, 0x1000);
    assert_int_equal(DP_VSID_MAX, 0xfffffe);
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t key = cases[i].vsid << 8 | 0x42;
        uint8_t gre[8] = {cases[i].word >> 8,
                          cases[i].word & 0xff,
                          cases[i].proto >> 8,
                          cases[i].proto & 0xff,
                          key >> 24,
                          key >> 16,
                          key >> 8,
                          key & 0xff};
        uint32_t got = 0;
        enum dp_drop why = DP_N_DROPS;

        assert_int_equal(dp_nvgre_check(gre, sizeof gre, &got, &why), cases[i].ok);
        if (cases[i].ok) {
            assert_int_equal(got, key);
            assert_int_equal(why, DP_N_DROPS);
        } else {
            assert_int_equal(why, cases[i].why);
        }
    }
    {
        const uint8_t gre[8] = {0x20, 0, 0x65, 0x58, 0, 0x13, 0x89, 0};
        uint32_t got;
        enum dp_drop why = DP_N_DROPS;

        assert_true(dp_nvgre_check(gre, 8, &got, &why));
        assert_false(dp_nvgre_check(gre, 7, &got, &why));
        assert_int_equal(why, DP_provider_runt);
    }
    /* The drop reason's help text quotes the same constants. */
    snprintf(help, sizeof help, "VSID outside %u..%u", DP_VSID_MIN, DP_VSID_MAX);
    assert_string_equal(dp_drop_help[DP_decap_vsid_out_of_range], help);
}

/* A frame whose GRE header is cut short: 4 of its 8 bytes. */
static struct rte_mbuf *
nvgre_gre_runt(void)
{
    struct rte_mbuf *m = nvgre("10.0.0.1", 0x2000, 0x6558, 5001u << 8);

    assert_int_equal(rte_pktmbuf_trim(m, 4), 0);
    return nvgre_done(m);
}

/* Every NVGRE reject is counted under its own reason whichever path the frame takes. */
static void
test_nvgre_rejects_on_both_paths(void **state)
{
    static const struct {
        uint16_t word, proto;
        uint32_t vsid;
        enum dp_drop why;
    } cases[] = {
        {0x3000, 0x6558, 5001, DP_decap_bad_gre_flags},
        {0x2001, 0x6558, 5001, DP_decap_bad_gre_flags},
        {0x2000, 0x0800, 5001, DP_decap_bad_gre_proto},
        {0x2000, 0x6558, 100, DP_decap_vsid_out_of_range},
        {0x2000, 0x6558, DP_VSID_MIN - 1, DP_decap_vsid_out_of_range},
        {0x2000, 0x6558, DP_VSID_MAX + 1, DP_decap_vsid_out_of_range},
        {0x2000, 0x6558, 7777, DP_decap_unknown_vsid},
    };

    (void)state;
    for (int burst = 0; burst < 2; burst++) {
        for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
            reset(NULL);
            provider_rx(
                nvgre_inner(nvgre("10.0.0.1", cases[i].word, cases[i].proto, cases[i].vsid << 8)),
                burst);
            expect_only_drop(cases[i].why);
        }
        reset(NULL);
        provider_rx(nvgre_gre_runt(), burst);
        expect_only_drop(DP_provider_runt);
    }
}

static void
test_pa_ping_answered(void **state)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);
    const struct rte_ipv4_hdr *ip;

    (void)state;
    m->port = PROVIDER;
    put_eth(m, PROV_MAC, PEER_MAC, RTE_ETHER_TYPE_IPV4);
    put_ipv4_icmp(m, "10.0.0.2", "10.0.0.1", 64, 8, false);
    dp_provider_input(w, m);
    m = only_tx(PROVIDER);
    ip = rte_pktmbuf_mtod_offset(m, const struct rte_ipv4_hdr *, 14);
    assert_int_equal(ip->src_addr, ip4("10.0.0.1"));
    assert_int_equal(ip->dst_addr, ip4("10.0.0.2"));
    assert_int_equal(((const struct rte_icmp_hdr *)(ip + 1))->icmp_type, 0);
    assert_int_equal(w->stats.counter[DP_provider_ping_replied], 1);
}

static void
test_arp_goes_to_control(void **state)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);
    uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    struct rte_arp_hdr arp = {.arp_hardware = htons(1),
                              .arp_protocol = htons(0x0800),
                              .arp_hlen = 6,
                              .arp_plen = 4,
                              .arp_opcode = htons(1)};

    (void)state;
    m->port = PROVIDER;
    memcpy(arp.arp_data.arp_sha.addr_bytes, PEER_MAC, 6);
    arp.arp_data.arp_sip = ip4("10.0.0.2");
    arp.arp_data.arp_tip = ip4("10.0.0.1");
    put_eth(m, bcast, PEER_MAC, RTE_ETHER_TYPE_ARP);
    put(m, &arp, sizeof arp);
    dp_provider_input(w, m);
    assert_int_equal(rte_ring_count(dp->punt), 1);
}

static void
test_vm_anti_spoofing(void **state)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);

    (void)state;
    m->port = VM1;
    put_eth(m, GW1_MAC, VM_A_MAC, RTE_ETHER_TYPE_IPV4); /* Someone else's MAC. */
    put_ipv4_icmp(m, "10.1.1.40", "10.1.2.10", 64, 8, false);
    dp_vm_input(w, m, &dp->ports[VM1]);
    expect_only_drop(DP_vm_spoofed_mac);

    reset(NULL);
    m = rte_pktmbuf_alloc(dp->pool);
    m->port = VM1;
    put_eth(m, GW1_MAC, VM_LOCAL_MAC, RTE_ETHER_TYPE_IPV4);
    put_ipv4_icmp(m, "10.1.1.41", "10.1.2.10", 64, 8, false); /* Someone else's CA. */
    dp_vm_input(w, m, &dp->ports[VM1]);
    expect_only_drop(DP_vm_spoofed_ip);
}

static void
test_vm_routed_and_encapsulated(void **state)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);
    uint32_t vsid;
    const struct rte_ether_hdr *inner;

    (void)state;
    m->port = VM1;
    put_eth(m, GW1_MAC, VM_LOCAL_MAC, RTE_ETHER_TYPE_IPV4);
    put_ipv4_icmp(m, "10.1.1.40", "10.1.2.10", 64, 8, false);
    dp_vm_input(w, m, &dp->ports[VM1]);
    inner = parse_nvgre(only_tx(PROVIDER), "10.0.0.2", &vsid);
    assert_int_equal(vsid, 5002);
    assert_memory_equal(inner->dst_addr.addr_bytes, VM_B_MAC, 6);
}

static void
test_decap_delivers_to_local_vm(void **state)
{
    struct rte_mbuf *m = nvgre("10.0.0.1", 0x2000, 0x6558, 5001u << 8);

    (void)state;
    put_eth(m, VM_LOCAL_MAC, VM_A_MAC, RTE_ETHER_TYPE_IPV4);
    put_ipv4_icmp(m, "10.1.1.10", "10.1.1.40", 64, 8, false);
    dp_provider_input(w, nvgre_done(m));
    m = only_tx(VM1);
    assert_memory_equal(rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr.addr_bytes,
                        VM_LOCAL_MAC, 6);
}

static void
test_vm_broadcast_replicated(void **state)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);
    uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    uint32_t vsid;

    (void)state;
    m->port = VM1;
    put_eth(m, bcast, VM_LOCAL_MAC, 0x88b5); /* Any non-IP, non-ARP broadcast. */
    put(m, "hello broadcast", 15);
    dp_vm_input(w, m, &dp->ports[VM1]);
    parse_nvgre(only_tx(PROVIDER), "10.0.0.2", &vsid);
    assert_int_equal(vsid, 5001);
    assert_int_equal(w->stats.counter[DP_replicate_copies], 1);
}

static void
test_external_forwarding(void **state)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);
    const struct rte_ether_hdr *eth;
    uint32_t vsid;

    (void)state;
    /* Outbound: VM A to the external host 10.99.0.2, on-link on the external port. */
    dp_provider_input(w, nvgre_ping("10.99.0.2", 64, 8, false));
    m = only_tx(EXTERNAL);
    eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
    assert_memory_equal(eth->dst_addr.addr_bytes, EXTHOST_MAC, 6);
    assert_int_equal(w->stats.counter[DP_route_to_external], 1);

    /* Inbound: the external host to VM B, classified to contoso by its forwarded prefix. */
    reset(NULL);
    m = rte_pktmbuf_alloc(dp->pool);
    m->port = EXTERNAL;
    put_eth(m, EXT_MAC, EXTHOST_MAC, RTE_ETHER_TYPE_IPV4);
    put_ipv4_icmp(m, "10.99.0.2", "10.1.2.10", 64, 8, false);
    dp_external_input(w, m);
    parse_nvgre(only_tx(PROVIDER), "10.0.0.2", &vsid);
    assert_int_equal(vsid, 5002);

    /* Nothing else is let in. */
    reset(NULL);
    m = rte_pktmbuf_alloc(dp->pool);
    m->port = EXTERNAL;
    put_eth(m, EXT_MAC, EXTHOST_MAC, RTE_ETHER_TYPE_IPV4);
    put_ipv4_icmp(m, "10.99.0.2", "172.16.0.1", 64, 8, false);
    dp_external_input(w, m);
    expect_only_drop(DP_external_no_tenant);
}

static void
test_neighbor_miss_is_held(void **state)
{
    struct rte_mbuf *m = NULL;
    struct dp_lookup rec = {.pa = ip4("10.0.0.5"), .type = DP_LK_STATIC, .local_port = -1};

    (void)state;
    memcpy(rec.mac, VM_B_MAC, 6);
    assert_int_equal(dp_lookup_set(dp, 5002, ip4("10.1.2.11"), &rec), 0);
    dp_provider_input(w, nvgre_ping("10.1.2.11", 64, 8, false));
    assert_int_equal(rte_ring_count(dp->punt), 1);
    assert_int_equal(w->stats.counter[DP_tx_neigh_punted], 1);
    assert_int_equal(rte_ring_dequeue(dp->punt, (void **)&m), 0);
    assert_int_equal(((struct dp_mbuf_priv *)rte_mbuf_to_priv(m))->nh_ip, ip4("10.0.0.5"));
    rte_pktmbuf_free(m);
    assert_int_equal(dp_lookup_del(dp, 5002, ip4("10.1.2.11")), 0);
}

static void
test_fib_longest_prefix_and_isolation(void **state)
{
    struct dp_nexthop nh = {.type = DP_NH_CA, .vsid = 5001, .ip = ip4("10.1.1.10")};
    struct dp_nexthop got;

    (void)state;
    assert_int_equal(dp_route_set(dp, 1, ip4("172.16.0.0"), 16, &nh), 0);
    nh.ip = ip4("10.1.1.11");
    assert_int_equal(dp_route_set(dp, 1, ip4("172.16.5.0"), 24, &nh), 0);
    got = dp_route_lookup(dp, 1, ip4("172.16.5.9"));
    assert_int_equal(got.type, DP_NH_CA);
    assert_int_equal(got.ip, ip4("10.1.1.11"));
    got = dp_route_lookup(dp, 1, ip4("172.16.6.9"));
    assert_int_equal(got.ip, ip4("10.1.1.10"));
    got = dp_route_lookup(dp, 2, ip4("172.16.5.9"));
    assert_int_equal(got.type, DP_NH_NONE);
    assert_int_equal(dp_route_del(dp, 1, ip4("172.16.5.0"), 24), 0);
    got = dp_route_lookup(dp, 1, ip4("172.16.5.9"));
    assert_int_equal(got.ip, ip4("10.1.1.10"));
    assert_int_equal(dp_route_del(dp, 1, ip4("172.16.0.0"), 16), 0);
    assert_int_equal(dp_route_del(dp, 1, ip4("172.16.0.0"), 16), ENOENT);
    assert_int_equal(dp_route_lookup(dp, 1, ip4("172.16.6.9")).type, DP_NH_NONE);
}

static void
test_lookup_table_replace_and_capacity(void **state)
{
    struct dp_lookup rec = {.pa = ip4("10.0.0.7"), .type = DP_LK_STATIC, .local_port = -1};
    uint32_t before = dp_lookup_count(dp);
    const struct dp_lookup *got;
    unsigned added = 0;

    (void)state;
    assert_int_equal(dp_lookup_set(dp, 5001, ip4("10.1.1.200"), &rec), 0);
    rec.pa = ip4("10.0.0.8");
    assert_int_equal(dp_lookup_set(dp, 5001, ip4("10.1.1.200"), &rec), 0);
    got = dp_lookup_find(dp, 5001, ip4("10.1.1.200"));
    assert_non_null(got);
    assert_int_equal(got->pa, ip4("10.0.0.8"));
    assert_int_equal(dp_lookup_count(dp), before + 1);
    assert_int_equal(dp_lookup_del(dp, 5001, ip4("10.1.1.200")), 0);
    assert_null(dp_lookup_find(dp, 5001, ip4("10.1.1.200")));
    assert_int_equal(dp_lookup_del(dp, 5001, ip4("10.1.1.200")), ENOENT);

    /* Fill to capacity: the next add is refused, nothing half-done. */
    for (uint32_t i = 0; dp_lookup_set(dp, 9999, htonl(i + 1), &rec) == 0; i++) {
        added++;
    }
    assert_int_equal(dp_lookup_count(dp), 1024);
    assert_int_equal(dp_lookup_set(dp, 9999, htonl(0x7fffffff), &rec), ENOSPC);
    for (uint32_t i = 0; i < added; i++) {
        assert_int_equal(dp_lookup_del(dp, 9999, htonl(i + 1)), 0);
    }
    assert_int_equal(dp_lookup_count(dp), before);
}

/* A mixed burst through dp_provider_burst() gives exactly what the per-packet stages give. */
static struct rte_mbuf *
mixed_frame(unsigned i)
{
    switch (i % 8) {
    case 0:
        return nvgre_ping("10.1.2.10", 64, 32 + i, false); /* Routed: the common case. */
    case 1:
        return nvgre_ping("10.1.2.10", 1, 8, false); /* TTL expired. */
    case 2:
        return nvgre_inner(nvgre("10.0.0.1", 0x3000, 0x6558, 5001u << 8)); /* Bad flags. */
    case 3:
        return nvgre_ping("10.1.1.40", 64, 8, false); /* Routed to the local VM. */
    case 4:
        return nvgre_ping("10.99.0.2", 64, 8, false); /* Out of the external port. */
    case 5:
        return nvgre_ping("10.1.2.10", 64, 1472, true); /* Too big. */
    case 6:
        return corrupt_outer_cksum(nvgre_ping("10.1.2.10", 64, 8, false)); /* Bad outer sum. */
    default:
        return nvgre_inner(nvgre("10.0.0.1", 0x2000, 0x6558, (DP_VSID_MAX + 1u) << 8));
    }
}

/* Clears the fields that depend on transmission order (outer IPv4 id and checksum). */
static void
normalise(struct dp_txbuf *tx)
{
    for (unsigned p = 0; p < DP_MAX_PORTS; p++) {
        for (unsigned i = 0; i < tx[p].n; i++) {
            struct rte_ether_hdr *eth = rte_pktmbuf_mtod(tx[p].pkts[i], struct rte_ether_hdr *);
            struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
            if (eth->ether_type == htons(RTE_ETHER_TYPE_IPV4) && ip->next_proto_id == IPPROTO_GRE) {
                ip->packet_id = 0;
                ip->hdr_checksum = 0;
            }
        }
    }
}

static void
test_burst_path_matches_scalar(void **state)
{
    struct rte_mbuf *burst[32];
    struct dp_txbuf scalar_tx[DP_MAX_PORTS];
    struct dp_stats scalar_stats;

    (void)state;
    for (unsigned i = 0; i < 32; i++) {
        dp_provider_input(w, mixed_frame(i));
    }
    memcpy(scalar_tx, w->tx, sizeof scalar_tx);
    memset(w->tx, 0, sizeof w->tx);
    scalar_stats = w->stats;
    memset(&w->stats, 0, sizeof w->stats);
    w->icmp_tokens = 1000;

    for (unsigned i = 0; i < 32; i++) {
        burst[i] = mixed_frame(i);
    }
    dp_provider_burst(w, burst, 32);
    normalise(scalar_tx);
    normalise(w->tx);
    assert_memory_equal(&scalar_stats, &w->stats, sizeof scalar_stats);
    for (unsigned p = 0; p < DP_MAX_PORTS; p++) {
        assert_int_equal(scalar_tx[p].n, w->tx[p].n);
    }
    /* Same frames on every port; the order within a port may differ (fast ones first). */
    for (unsigned p = 0; p < DP_MAX_PORTS; p++) {
        for (unsigned i = 0; i < w->tx[p].n; i++) {
            struct rte_mbuf *a = w->tx[p].pkts[i];
            bool found = false;
            for (unsigned j = 0; j < scalar_tx[p].n && !found; j++) {
                struct rte_mbuf *b = scalar_tx[p].pkts[j];
                found = b && rte_pktmbuf_data_len(a) == rte_pktmbuf_data_len(b) &&
                        !memcmp(rte_pktmbuf_mtod(a, void *), rte_pktmbuf_mtod(b, void *),
                                rte_pktmbuf_data_len(a));
                if (found) {
                    rte_pktmbuf_free(b);
                    scalar_tx[p].pkts[j] = NULL;
                }
            }
            assert_true(found);
        }
    }
    assert_true(w->stats.counter[DP_route_routed] >= 4);
    assert_int_equal(w->stats.drop[DP_provider_bad_ip_checksum], 4);
    assert_int_equal(w->stats.drop[DP_decap_vsid_out_of_range], 4);
}

/* A marked packet leaves one trace record per stage, each read by its stage's formatter. */
static void
test_trace_records_each_stage(void **state)
{
    struct rte_mbuf *m = nvgre_ping("10.1.2.10", 64, 8, false);
    char line[160], all[2048] = "";

    (void)state;
    w->trace->n = 0;
    m->ol_flags |= dp_trace_flag;
    *RTE_MBUF_DYNFIELD(m, dp_trace_field, uint32_t *) = 1;
    dp_provider_input(w, m);
    for (uint32_t i = 0; i < w->trace->n; i++) {
        assert_int_equal(w->trace->rec[i].pkt, 1);
        dp_trace_format(&w->trace->rec[i], line, sizeof line);
        strcat(all, line);
        strcat(all, "\n");
    }
    assert_non_null(strstr(all, "provider: port 0"));
    assert_non_null(strstr(all, "decap: NVGRE VSID 5001 FlowID 66 -> routing domain 1"));
    assert_non_null(strstr(all, "tenant: VSID 5001, to the subnet gateway"));
    assert_non_null(strstr(all, "route: domain 1, 10.1.2.10 -> connected VSID 5002"));
    assert_non_null(strstr(all, "encap: NVGRE VSID 5002"));
    assert_non_null(strstr(all, "tx: port 0"));

    /* An unmarked packet records nothing; a marked drop names its reason. */
    w->trace->n = 0;
    dp_provider_input(w, nvgre_ping("10.1.2.10", 64, 8, false));
    assert_int_equal(w->trace->n, 0);
    m = nvgre_inner(nvgre("10.0.0.1", 0x2000, 0x6558, 7777u << 8));
    m->ol_flags |= dp_trace_flag;
    *RTE_MBUF_DYNFIELD(m, dp_trace_field, uint32_t *) = 2;
    dp_provider_input(w, m);
    dp_trace_format(&w->trace->rec[w->trace->n - 1], line, sizeof line);
    assert_string_equal(line, "drop: decap.unknown_vsid (VSID not configured on this node)");
    w->trace->n = 0;
}

/* Empties the control thread's transmit ring into 'out' (at most 8); returns how many. */
static unsigned
drain_ctl_tx(struct rte_mbuf **out)
{
    unsigned n = 0;
    while (n < 8 && rte_ring_dequeue(dp->ctl_tx, (void **)&out[n]) == 0) {
        n++;
    }
    return n;
}

/* A packet whose next hop is unknown is held, ARP asks for it, and the reply releases the packet
 * with the learned MAC; learned neighbors age out, static ones do not. */
static void
test_control_resolves_holds_and_ages(void **state)
{
    struct dp_lookup rec = {.pa = ip4("10.0.0.6"), .type = DP_LK_STATIC, .local_port = -1};
    static const uint8_t PA6_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x06};
    struct rte_mbuf *m, *out[8];
    struct rte_arp_hdr *arp;
    const struct rte_ether_hdr *eth;
    struct dp_neigh_key k = {.port = PROVIDER, .ip = ip4("10.0.0.6")};

    (void)state;
    memcpy(rec.mac, VM_B_MAC, 6);
    assert_int_equal(dp_lookup_set(dp, 5002, ip4("10.1.2.12"), &rec), 0);
    dp_provider_input(w, nvgre_ping("10.1.2.12", 64, 8, false));
    assert_int_equal(rte_ring_count(dp->punt), 1);
    dp_control_poll(dp);
    assert_int_equal(drain_ctl_tx(out), 1); /* The ARP request, broadcast from our PA. */
    eth = rte_pktmbuf_mtod(out[0], const struct rte_ether_hdr *);
    arp = (struct rte_arp_hdr *)(eth + 1);
    assert_true(rte_is_broadcast_ether_addr(&eth->dst_addr));
    assert_int_equal(ntohs(arp->arp_opcode), RTE_ARP_OP_REQUEST);
    assert_int_equal(arp->arp_data.arp_tip, ip4("10.0.0.6"));
    assert_int_equal(arp->arp_data.arp_sip, ip4("10.0.0.1"));
    rte_pktmbuf_free(out[0]);

    /* The reply: learned, and the held packet leaves with the new MAC. */
    m = rte_pktmbuf_alloc(dp->pool);
    m->port = PROVIDER;
    put_eth(m, PROV_MAC, PA6_MAC, RTE_ETHER_TYPE_ARP);
    arp = (struct rte_arp_hdr *)put(m, NULL, sizeof *arp);
    *arp = (struct rte_arp_hdr){.arp_hardware = htons(1),
                                .arp_protocol = htons(0x0800),
                                .arp_hlen = 6,
                                .arp_plen = 4,
                                .arp_opcode = htons(2)};
    memcpy(arp->arp_data.arp_sha.addr_bytes, PA6_MAC, 6);
    arp->arp_data.arp_sip = ip4("10.0.0.6");
    memcpy(arp->arp_data.arp_tha.addr_bytes, PROV_MAC, 6);
    arp->arp_data.arp_tip = ip4("10.0.0.1");
    dp_provider_input(w, m);
    dp_control_poll(dp);
    assert_int_equal(drain_ctl_tx(out), 1);
    eth = rte_pktmbuf_mtod(out[0], const struct rte_ether_hdr *);
    assert_memory_equal(eth->dst_addr.addr_bytes, PA6_MAC, 6);
    assert_int_equal(((const struct rte_ipv4_hdr *)(eth + 1))->next_proto_id, IPPROTO_GRE);
    rte_pktmbuf_free(out[0]);
    assert_non_null(rcu_table_lookup(dp->neighbors, &k));

    /* Aging: the learned entry expires, the static one (10.0.0.2) stays. */
    {
        struct dp_neigh old = {.learned_tsc = rte_rdtsc() - 400 * rte_get_tsc_hz()};
        struct dp_neigh_key st = {.port = PROVIDER, .ip = ip4("10.0.0.2")};
        memcpy(old.mac.addr_bytes, PA6_MAC, 6);
        assert_int_equal(rcu_table_set(dp->neighbors, &k, &old), 0);
        dp->last_age_tsc = 0;
        dp_control_poll(dp);
        assert_null(rcu_table_lookup(dp->neighbors, &k));
        assert_non_null(rcu_table_lookup(dp->neighbors, &st));
    }
    assert_int_equal(dp_lookup_del(dp, 5002, ip4("10.1.2.12")), 0);
}

/* Returns the count the control eventfd holds (reading it resets it), 0 when it is not readable. */
static uint64_t
control_fd_count(void)
{
    struct pollfd pfd = {.fd = dp_control_fd(dp), .events = POLLIN};
    uint64_t count = 0;
    int ready = poll(&pfd, 1, 0);

    assert_true(ready == 0 || ready == 1);
    if (ready) {
        assert_true(pfd.revents & POLLIN);
        assert_int_equal(read(pfd.fd, &count, sizeof count), (ssize_t)sizeof count);
    }
    return count;
}

/* Punts a runt ARP frame on the provider port (the control thread drops it as bad ARP). */
static void
punt_runt(void)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);

    assert_non_null(m);
    m->port = PROVIDER;
    put_eth(m, PROV_MAC, PEER_MAC, RTE_ETHER_TYPE_ARP);
    dp_punt(w, m, DP_PUNT_ARP, PROVIDER, 0);
}

/* The control eventfd: a punt into a drained ring wakes the control thread once, whatever the
 * number of packets that follow until it runs; dp_control_poll() drains the ring and re-arms. */
static void
test_control_fd_wakes_once_per_drain(void **state)
{
    uint64_t bad = dp->control_stats.drop[DP_provider_bad_arp];

    (void)state;
    dp_control_poll(dp);
    assert_int_equal(control_fd_count(), 0);
    punt_runt();
    punt_runt();
    punt_runt();
    assert_int_equal(control_fd_count(), 1); /* One write for three packets. */
    assert_int_equal(rte_ring_count(dp->punt), 3);
    dp_control_poll(dp);
    assert_int_equal(rte_ring_count(dp->punt), 0);
    assert_int_equal(dp->control_stats.drop[DP_provider_bad_arp], bad + 3);
    assert_int_equal(control_fd_count(), 0);
    punt_runt(); /* Drained and re-armed: the next punt wakes it again. */
    assert_int_equal(control_fd_count(), 1);
    dp_control_poll(dp);
    assert_int_equal(control_fd_count(), 0);
}

/* Inserts an 802.1Q tag with 'vid' after the MAC addresses of m's frame. */
static void
add_vlan_tag(struct rte_mbuf *m, uint16_t vid)
{
    uint8_t *frame;

    assert_non_null(rte_pktmbuf_prepend(m, 4));
    frame = rte_pktmbuf_mtod(m, uint8_t *);
    memmove(frame, frame + 4, 12);
    frame[12] = 0x81, frame[13] = 0x00, frame[14] = (uint8_t)(vid >> 8), frame[15] = (uint8_t)vid;
}

/* A provider port with a VLAN accepts only frames tagged with it and tags what it sends. */
static void
test_provider_vlan(void **state)
{
    struct rte_mbuf *m;
    const struct rte_vlan_hdr *vh;

    (void)state;
    dp->ports[PROVIDER].conf.vlan = 10;

    dp_provider_input(w, nvgre_ping("10.1.2.10", 64, 8, false)); /* Untagged: refused. */
    assert_int_equal(w->stats.drop[DP_provider_bad_vlan], 1);

    m = nvgre_ping("10.1.2.10", 64, 8, false);
    add_vlan_tag(m, 10);
    dp_provider_burst(w, &m, 1);
    assert_int_equal(w->stats.counter[DP_route_routed], 1);
    m = only_tx(PROVIDER);
    vh = rte_pktmbuf_mtod_offset(m, const struct rte_vlan_hdr *, 12);
    assert_int_equal(ntohs(*rte_pktmbuf_mtod_offset(m, const uint16_t *, 12)), RTE_ETHER_TYPE_VLAN);
    assert_int_equal(ntohs(*(const uint16_t *)((const uint8_t *)vh + 2)) & 0xfff, 10);
    assert_int_equal(ntohs(*rte_pktmbuf_mtod_offset(m, const uint16_t *, 16)), RTE_ETHER_TYPE_IPV4);

    m = nvgre_ping("10.1.2.10", 64, 8, false); /* Tagged with another VLAN: refused. */
    add_vlan_tag(m, 11);
    dp_provider_input(w, m);
    assert_int_equal(w->stats.drop[DP_provider_bad_vlan], 2);
    dp->ports[PROVIDER].conf.vlan = 0;
}

/* The burst path's VSID cache forgets a subnet as soon as it changes. */
static void
test_vsid_cache_follows_subnet_changes(void **state)
{
    struct rte_mbuf *m;
    struct dp_subnet sn;
    static const uint8_t NEW_MAC[6] = {0x02, 0, 0, 0, 0x01, 0x99};

    (void)state;
    m = nvgre_ping("10.1.2.10", 64, 8, false);
    dp_provider_burst(w, &m, 1); /* Fills the cache for VSID 5001. */
    assert_int_equal(w->stats.counter[DP_route_routed], 1);

    assert_int_equal(dp_subnet_get(dp, 5001, &sn), 0);
    memcpy(sn.gw_mac, NEW_MAC, 6);
    assert_int_equal(dp_subnet_set(dp, &sn), 0);
    m = nvgre_ping("10.1.2.10", 64, 8, false); /* Still to the old gateway MAC. */
    dp_provider_burst(w, &m, 1);
    assert_int_equal(w->stats.counter[DP_route_routed], 1);
    assert_int_equal(w->stats.drop[DP_tenant_unknown_dst_mac], 1);

    memcpy(sn.gw_mac, GW1_MAC, 6);
    assert_int_equal(dp_subnet_set(dp, &sn), 0);
    m = nvgre_ping("10.1.2.10", 64, 8, false);
    dp_provider_burst(w, &m, 1);
    assert_int_equal(w->stats.counter[DP_route_routed], 2);
}

/* The burst path's inline signatures are exactly rte_hash's own, or its lookups would miss. */
static void
test_inline_hash_matches_rte_hash(void **state)
{
    struct dp_lookup_key lk = {.vsid = 5002, .family = 4};
    struct dp_neigh_key nk = {.port = 3, .ip = 0x0a00000a};
    struct dp_vsid_key vk = {.vsid = 6001};

    (void)state;
    for (uint32_t i = 0; i < 1000; i++) {
        uint32_t ca = htonl(0x0a010000 + i * 7919);
        memcpy(lk.addr, &ca, 4);
        assert_int_equal(rcu_table_hash(dp->lookups, &lk), rte_hash_hash(dp->lookups->hash, &lk));
        nk.ip = ca;
        assert_int_equal(rcu_table_hash(dp->neighbors, &nk),
                         rte_hash_hash(dp->neighbors->hash, &nk));
        vk.vsid += i;
        assert_int_equal(rcu_table_hash(dp->subnets, &vk), rte_hash_hash(dp->subnets->hash, &vk));
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_routes_between_subnets, reset),
        cmocka_unit_test_setup(test_flow_id_is_stable_per_flow, reset),
        cmocka_unit_test_setup(test_tenants_are_isolated, reset),
        cmocka_unit_test_setup(test_ttl_expired_sends_time_exceeded, reset),
        cmocka_unit_test_setup(test_df_too_big_sends_frag_needed, reset),
        cmocka_unit_test_setup(test_no_lookup_record_sends_unreachable, reset),
        cmocka_unit_test_setup(test_too_big_without_df_is_fragmented, reset),
        cmocka_unit_test_setup(test_ping_gateway_ca, reset),
        cmocka_unit_test_setup(test_inner_arp_answered_from_policy, reset),
        cmocka_unit_test_setup(test_bad_gre_flags, reset),
        cmocka_unit_test_setup(test_bad_gre_version, reset),
        cmocka_unit_test_setup(test_bad_gre_proto, reset),
        cmocka_unit_test_setup(test_vsid_out_of_range, reset),
        cmocka_unit_test_setup(test_unknown_vsid, reset),
        cmocka_unit_test_setup(test_inner_vlan, reset),
        cmocka_unit_test_setup(test_inner_runt, reset),
        cmocka_unit_test_setup(test_not_my_pa, reset),
        cmocka_unit_test_setup(test_outer_fragment, reset),
        cmocka_unit_test_setup(test_truncated_outer_ipv4, reset),
        cmocka_unit_test_setup(test_bad_outer_checksum_dropped, reset),
        cmocka_unit_test_setup(test_outer_checksum_rx_offload_verdict, reset),
        cmocka_unit_test_setup(test_outer_checksum_covers_options, reset),
        cmocka_unit_test_setup(test_ipv4_hdr20_check_matches_dpdk, reset),
        cmocka_unit_test_setup(test_nvgre_validator, reset),
        cmocka_unit_test_setup(test_nvgre_rejects_on_both_paths, reset),
        cmocka_unit_test_setup(test_pa_ping_answered, reset),
        cmocka_unit_test_setup(test_arp_goes_to_control, reset),
        cmocka_unit_test_setup(test_vm_anti_spoofing, reset),
        cmocka_unit_test_setup(test_vm_routed_and_encapsulated, reset),
        cmocka_unit_test_setup(test_decap_delivers_to_local_vm, reset),
        cmocka_unit_test_setup(test_vm_broadcast_replicated, reset),
        cmocka_unit_test_setup(test_external_forwarding, reset),
        cmocka_unit_test_setup(test_neighbor_miss_is_held, reset),
        cmocka_unit_test_setup(test_fib_longest_prefix_and_isolation, reset),
        cmocka_unit_test_setup(test_lookup_table_replace_and_capacity, reset),
        cmocka_unit_test_setup(test_burst_path_matches_scalar, reset),
        cmocka_unit_test_setup(test_trace_records_each_stage, reset),
        cmocka_unit_test_setup(test_inline_hash_matches_rte_hash, reset),
        cmocka_unit_test_setup(test_vsid_cache_follows_subnet_changes, reset),
        cmocka_unit_test_setup(test_provider_vlan, reset),
        cmocka_unit_test_setup(test_control_resolves_holds_and_ages, reset),
        cmocka_unit_test_setup(test_control_fd_wakes_once_per_drain, reset),
    };
    return cmocka_run_group_tests_name("dataplane pipeline", tests, setup, teardown);
}
