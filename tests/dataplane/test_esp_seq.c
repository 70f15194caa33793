/* SPDX-License-Identifier: Apache-2.0 */
/* ESP sequence numbers for an active/passive pair: an outbound SA installed to start at a given
 * number starts there, dp_esp_sa_seq() reads how far it went, dp_esp_sa_seq_jump() moves it on
 * without losing its keys or counters; an inbound SA installed with a starting number refuses
 * what lies behind its window. Frames go through the real route, ESP and external stages with
 * real crypto devices (as in test_esp.c); the inbound ones are sealed by esp_vector.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <rte_esp.h>
#include <rte_udp.h>

#include "dataplane/dp_internal.h"
#include "tests/dataplane/fixture.h"

#define PROVIDER 0
#define EXTERNAL 1
#define REQID    17

static struct dp *dp;
static struct dp_worker *w;

static const uint8_t PROV_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x01};
static const uint8_t EXT_MAC[6] = {0x02, 0, 0x0a, 0x63, 0, 0x01};
static const uint8_t PEER_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x02};
static const uint8_t ROUTER_MAC[6] = {0x02, 0, 0x0a, 0x63, 0, 0x02};
static const uint8_t GW_MAC[6] = {0x02, 0, 0, 0, 0x01, 0x01};
static const char *const KEY = "000102030405060708090a0b0c0d0e0fcafebabe"; /* GCM-128 + salt. */

/* contoso (1): 10.1.1.0/24 (VM 10.1.1.10), 172.16.1.0/24 through tunnel REQID from 198.18.0.100
 * to 198.18.2.2 behind the router 10.99.0.2. */
static int
setup(void **state)
{
    static char *argv[] = {"test",
                           "--no-huge",
                           "-m",
                           "512",
                           "--no-pci",
                           "--no-shconf",
                           "--lcores=(0-1)@(0-1)",
                           "--log-level=lib.eal:error",
                           NULL};
    struct dp_params p = {.n_workers = 1,
                          .max_lookups = 64,
                          .max_subnets = 16,
                          .max_routes = 64,
                          .max_neighbors = 16,
                          .n_mbufs = 2048,
                          .icmp_rate = 1000,
                          .arp_timeout_s = 300,
                          .n_pas = 1,
                          .gateway_role = true,
                          .max_esp_sas = 16};
    struct dp_subnet sn = {.vsid = 5001, .tenant = 1, .plen = 24};
    struct dp_lookup rec = {.type = DP_LK_STATIC, .local_port = -1};
    struct dp_nexthop nh = {.type = DP_NH_CONNECTED, .vsid = 5001};
    char err[DP_ERR_MAX];

    (void)state;
    p.pas[0] = ip4("10.0.0.1");
    assert_int_equal(dp_create(8, argv, &p, &dp, err), 0);
    w = &dp->workers[0];
    w->dp = dp;
    w->icmp_tokens = 1000;
    fixture_add_port(dp, PROVIDER, DP_PORT_PROVIDER, PROV_MAC, "10.0.0.1", 24);
    fixture_add_port(dp, EXTERNAL, DP_PORT_EXTERNAL, EXT_MAC, "10.99.0.1", 24);
    dp->ports[EXTERNAL].conf.gateway = ip4("10.99.0.2");
    dp->provider_port = PROVIDER;
    dp->external_port = EXTERNAL;
    sn.prefix = ip4("10.1.1.0");
    sn.gw_ip = sn.prefix | htonl(1);
    memcpy(sn.gw_mac, GW_MAC, 6);
    assert_int_equal(dp_subnet_set(dp, &sn), 0);
    rec.pa = ip4("10.0.0.2");
    memcpy(rec.mac, PEER_MAC, 6);
    assert_int_equal(dp_lookup_set(dp, 5001, ip4("10.1.1.10"), &rec), 0);
    assert_int_equal(dp_route_set(dp, 1, sn.prefix, 24, &nh), 0);
    nh = (struct dp_nexthop){.type = DP_NH_IPSEC, .reqid = REQID};
    assert_int_equal(dp_route_set(dp, 1, ip4("172.16.1.0"), 24, &nh), 0);
    assert_int_equal(dp_neigh_set_static(dp, PROVIDER, ip4("10.0.0.2"), PEER_MAC), 0);
    assert_int_equal(dp_neigh_set_static(dp, EXTERNAL, ip4("10.99.0.2"), ROUTER_MAC), 0);
    assert_int_equal(dp_esp_local_add(dp, ip4("198.18.0.100")), 0);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    dp_destroy(dp);
    return 0;
}

static int
reset(void **state)
{
    (void)state;
    while (dp->esp->n_sas) {
        assert_int_equal(dp_esp_sa_del(dp, dp->esp->sas[0]->conf.spi), 0);
    }
    for (unsigned p = 0; p < DP_MAX_PORTS; p++) {
        for (unsigned i = 0; i < w->tx[p].n; i++) {
            rte_pktmbuf_free(w->tx[p].pkts[i]);
        }
        w->tx[p].n = 0;
    }
    memset(&w->stats, 0, sizeof w->stats);
    return 0;
}

static struct dp_esp_sa
sa(uint32_t spi, bool inbound, uint64_t seq_start)
{
    struct dp_esp_sa s = {.spi = spi,
                          .inbound = inbound,
                          .tenant = 1,
                          .reqid = REQID,
                          .cipher = DP_ESP_AES_GCM_16,
                          .replay_window = 64,
                          .seq_start = seq_start};

    for (size_t i = 0; i < strlen(KEY) / 2; i++) {
        unsigned v;
        sscanf(KEY + 2 * i, "%2x", &v);
        s.key[i] = (uint8_t)v;
    }
    s.key_len = (uint8_t)(strlen(KEY) / 2);
    s.local = ip4("198.18.0.100");
    s.remote = ip4("198.18.2.2");
    return s;
}

/* An IPv4 UDP packet src -> dst, 20 bytes of payload, in 'buf'. */
static size_t
inner_packet(uint8_t *buf, const char *src, const char *dst)
{
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)buf;
    struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);
    uint16_t total = (uint16_t)(sizeof *ip + sizeof *u + 20);

    memset(buf, 0, total);
    ip->version_ihl = 0x45;
    ip->total_length = htons(total);
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_UDP;
    ip->src_addr = ip4(src);
    ip->dst_addr = ip4(dst);
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    u->src_port = htons(40000);
    u->dst_port = htons(7);
    u->dgram_len = htons(28);
    return total;
}

/* Sends one tenant packet into the tunnel; returns the sequence number of the ESP frame sent. */
static uint32_t
send_out(void)
{
    uint8_t pkt[64];
    size_t n = inner_packet(pkt, "10.1.1.10", "172.16.1.5");
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);
    const struct rte_esp_hdr *esph;
    uint32_t seq;

    memcpy(rte_pktmbuf_append(m, (uint16_t)n), pkt, n);
    dp_route_input(w, m, 1, NULL);
    assert_int_equal(w->tx[EXTERNAL].n, 1);
    m = w->tx[EXTERNAL].pkts[0];
    w->tx[EXTERNAL].n = 0;
    esph = (const struct rte_esp_hdr *)(rte_pktmbuf_mtod(m, uint8_t *) + 14 + 20);
    assert_int_equal(ntohl(esph->spi), 0x2001);
    seq = ntohl(esph->seq);
    rte_pktmbuf_free(m);
    return seq;
}

static uint64_t
seq_of(uint32_t spi)
{
    struct dp_esp_sa_seq q;
    assert_int_equal(dp_esp_sa_seq(dp, spi, &q), 0);
    return q.seq;
}

/* Outbound: from 1 by default, read back as the last number used; a jump goes on from the
 * number given, keeps the counters, and refuses to go back. */
static void
test_outbound_jump(void **state)
{
    struct dp_esp_sa out = sa(0x2001, false, 0);
    struct dp_esp_sa_stats st;

    (void)state;
    assert_int_equal(dp_esp_sa_add(dp, &out), 0);
    assert_int_equal(seq_of(0x2001), 0);
    for (uint32_t i = 1; i <= 3; i++) {
        assert_int_equal(send_out(), i);
    }
    assert_int_equal(seq_of(0x2001), 3);
    assert_int_equal(dp_esp_sa_seq_jump(dp, 0x2001, 3), EINVAL);
    assert_int_equal(dp_esp_sa_seq_jump(dp, 0x2001, 1ull << 32), EINVAL); /* No ESN. */
    assert_int_equal(dp_esp_sa_seq_jump(dp, 0x9999, 100), ENOENT);
    assert_int_equal(dp_esp_sa_seq_jump(dp, 0x2001, 1000), 0);
    assert_int_equal(seq_of(0x2001), 999);
    assert_int_equal(send_out(), 1000);
    assert_int_equal(send_out(), 1001);
    assert_int_equal(seq_of(0x2001), 1001);
    assert_int_equal(dp_esp_sa_query(dp, 0x2001, &st), 0);
    assert_int_equal(st.packets, 5);
    assert_int_equal(dp_esp_sa_seq_jump(dp, 0x2001, 5000), 0);
    assert_int_equal(send_out(), 5000);
}

/* Outbound installed to start at a number (a node taking over), and that number out of range
 * without ESN. */
static void
test_outbound_start(void **state)
{
    struct dp_esp_sa out = sa(0x2001, false, 70000);

    (void)state;
    assert_int_equal(dp_esp_sa_add(dp, &out), 0);
    assert_int_equal(send_out(), 70000);
    assert_int_equal(seq_of(0x2001), 70000);
    assert_int_equal(dp_esp_sa_del(dp, 0x2001), 0);
    out.seq_start = 1ull << 32;
    assert_int_equal(dp_esp_sa_add(dp, &out), EINVAL);
    out.esn = true;
    assert_int_equal(dp_esp_sa_add(dp, &out), 0);
    assert_int_equal(send_out(), 0); /* The low half of 2^32 on the wire. */
    assert_int_equal(seq_of(0x2001), 1ull << 32);
}

/* Seals 'inner' as ESP of SPI 0x3001 with sequence 'seq' and receives it on the external port. */
static void
receive(uint32_t seq)
{
    uint8_t inner[64], esp[256], *f;
    size_t n = inner_packet(inner, "172.16.1.5", "10.1.1.10");
    char cmd[1024], line[1024], hex[256];
    struct rte_mbuf *m;
    struct rte_ipv4_hdr *ip;
    size_t len = 0;
    FILE *p;

    for (size_t i = 0; i < n; i++) {
        sprintf(hex + 2 * i, "%02x", inner[i]);
    }
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/dataplane/esp_vector.py seal gcm %s %u %u %s",
             KEY, 0x3001, seq, hex);
    p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(line, sizeof line, p));
    assert_int_equal(pclose(p), 0);
    for (char *c = line; c[0] && c[1] && c[0] != '\n'; c += 2) {
        unsigned v;
        sscanf(c, "%2x", &v);
        esp[len++] = (uint8_t)v;
    }
    m = rte_pktmbuf_alloc(dp->pool);
    f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(14 + 20 + len));
    if (!f) {
        fail_msg("no room in the mbuf");
        return;
    }
    memset(f, 0, 14 + 20);
    memcpy(f, EXT_MAC, 6);
    memcpy(f + 6, ROUTER_MAC, 6);
    f[12] = 0x08;
    ip = (struct rte_ipv4_hdr *)(f + 14);
    ip->version_ihl = 0x45;
    ip->total_length = htons((uint16_t)(20 + len));
    ip->time_to_live = 60;
    ip->next_proto_id = IPPROTO_ESP;
    ip->src_addr = ip4("198.18.2.2");
    ip->dst_addr = ip4("198.18.0.100");
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    memcpy(f + 14 + 20, esp, len);
    m->port = EXTERNAL;
    dp_external_input(w, m);
}

/* Inbound installed with a starting number: behind its window is a replay; past it is taken and
 * read back; a jump moves the window up. */
static void
test_inbound_start(void **state)
{
    struct dp_esp_sa in = sa(0x3001, true, 1000);
    struct dp_esp_sa_seq q;

    (void)state;
    assert_int_equal(dp_esp_sa_add(dp, &in), 0);
    assert_int_equal(dp_esp_sa_seq(dp, 0x3001, &q), 0);
    assert_true(q.inbound);
    assert_int_equal(q.seq, 1000);
    assert_int_equal(q.replay_window, 64);
    receive(900); /* 900 + 64 < 1000: a replay of what the peer's node took. */
    assert_int_equal(w->stats.drop[DP_esp_replay], 1);
    assert_int_equal(w->stats.counter[DP_esp_decrypted], 0);
    receive(1200);
    assert_int_equal(w->stats.counter[DP_esp_decrypted], 1);
    assert_int_equal(seq_of(0x3001), 1200);

    /* Moved up as a takeover would: 1300 is now behind the window, 5100 is taken. */
    assert_int_equal(dp_esp_sa_seq_jump(dp, 0x3001, 1200), EINVAL);
    assert_int_equal(dp_esp_sa_seq_jump(dp, 0x3001, 5000), 0);
    assert_int_equal(seq_of(0x3001), 5000);
    receive(1300);
    assert_int_equal(w->stats.drop[DP_esp_replay], 2);
    receive(5100);
    assert_int_equal(w->stats.counter[DP_esp_decrypted], 2);
    assert_int_equal(seq_of(0x3001), 5100);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_outbound_jump, reset),
        cmocka_unit_test_setup(test_outbound_start, reset),
        cmocka_unit_test_setup(test_inbound_start, reset),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
