/* SPDX-License-Identifier: Apache-2.0 */
/* ESP unit tests: packets go through the real route, ESP and external stages of a data plane
 * with no devices but real crypto devices (intel-ipsec-mb). What the gateway encrypts is opened,
 * and what it decrypts was sealed, by an independent implementation (esp_vector.py, OpenSSL
 * through python3-cryptography), so these prove interoperability, not only symmetry. */
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

#define PROVIDER  0
#define EXTERNAL  1
#define EXCEPTION 2
#define REQID_A   17 /* contoso's tunnel to site A. */
#define REQID_B   33 /* fabrikam's tunnel to site B. */
#define NVGRE_HDR (14 + 20 + 8 + 14)

static struct dp *dp;
static struct dp_worker *w;

static const uint8_t PROV_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x01};
static const uint8_t EXT_MAC[6] = {0x02, 0, 0x0a, 0x63, 0, 0x01};
static const uint8_t EXC_MAC[6] = {0x02, 0, 0xee, 0, 0, 0};
static const uint8_t PEER_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x02};
static const uint8_t ROUTER_MAC[6] = {0x02, 0, 0x0a, 0x63, 0, 0x02};
static const uint8_t GW_MAC[6] = {0x02, 0, 0, 0, 0x01, 0x01};

/* Keys: GCM-128 + salt, GCM-256 + salt, AES-128-CBC and its HMAC-SHA-256 key. */
static const char *const KEY_GCM128 = "000102030405060708090a0b0c0d0e0fcafebabe";
static const char *const KEY_GCM256 =
    "101112131415161718191a1b1c1d1e1f202122232425262728292a2b2c2d2e2fdeadbeef";
static const char *const KEY_CBC = "303132333435363738393a3b3c3d3e3f";
static const char *const KEY_HMAC =
    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f";

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

/* contoso (1) and fabrikam (2) both have 10.1.1.0/24, and both send 172.16.1.0/24 into a tunnel
 * of their own: tunnel addresses 198.18.0.100 and 198.18.0.101, peers 198.18.2.2 and 198.18.3.2
 * behind the uplink's router 10.99.0.2. */
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
                          .max_esp_sas = 64};
    char err[DP_ERR_MAX];
    struct dp_nexthop nh = {.type = DP_NH_IPSEC};

    (void)state;
    p.pas[0] = ip4("10.0.0.1");
    assert_int_equal(dp_create(8, argv, &p, &dp, err), 0);
    assert_non_null(dp->esp);
    w = &dp->workers[0];
    w->dp = dp;
    w->icmp_tokens = 1000;
    fixture_add_port(dp, PROVIDER, DP_PORT_PROVIDER, PROV_MAC, "10.0.0.1", 24);
    fixture_add_port(dp, EXTERNAL, DP_PORT_EXTERNAL, EXT_MAC, "10.99.0.1", 24);
    fixture_add_port(dp, EXCEPTION, DP_PORT_EXCEPTION, EXC_MAC, NULL, 0);
    dp->ports[EXTERNAL].conf.gateway = ip4("10.99.0.2");
    dp->ports[EXCEPTION].conf.peer_mac[5] = 1;
    dp->provider_port = PROVIDER;
    dp->external_port = EXTERNAL;
    assert_int_equal(dp_compartment_attach(dp, EXCEPTION, 0, 0, dp->ports[EXCEPTION].conf.peer_mac),
                     0);
    subnet(5001, 1, "10.1.1.0", "10.1.1.10");
    subnet(6001, 2, "10.1.1.0", "10.1.1.10");
    nh.reqid = REQID_A;
    assert_int_equal(dp_route_set(dp, 1, ip4("172.16.1.0"), 24, &nh), 0);
    nh.reqid = REQID_B;
    assert_int_equal(dp_route_set(dp, 2, ip4("172.16.1.0"), 24, &nh), 0);
    assert_int_equal(dp_neigh_set_static(dp, PROVIDER, ip4("10.0.0.2"), PEER_MAC), 0);
    assert_int_equal(dp_neigh_set_static(dp, EXTERNAL, ip4("10.99.0.2"), ROUTER_MAC), 0);
    assert_int_equal(dp_esp_local_add(dp, ip4("198.18.0.100")), 0);
    assert_int_equal(dp_esp_local_add(dp, ip4("198.18.0.101")), 0);
    assert_int_equal(dp_esp_local_add(dp, ip4("198.18.0.101")), EEXIST);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    dp_destroy(dp);
    return 0;
}

/* Removes every SA and sent frame, zeroes the counters. */
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

/* ---- Helpers ---- */

static void
hex_of(const uint8_t *b, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        sprintf(out + 2 * i, "%02x", b[i]);
    }
    out[2 * n] = '\0';
}

/* Runs esp_vector.py; returns the bytes it printed in 'out' (their count), or -1 when it
 * refused (authentication or trailer). */
static int
vector(const char *op, const char *alg, const char *key, uint32_t spi, uint32_t seq,
       const uint8_t *in, size_t n, uint8_t *out)
{
    static char cmd[16384], line[8192];
    char *hex = malloc(2 * n + 1);
    FILE *f;
    int len = 0;

    hex_of(in, n, hex);
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 tests/dataplane/esp_vector.py %s %s %s %u %u %s",
             op, alg, key, spi, seq, hex);
    free(hex);
    f = popen(cmd, "r");
    assert_non_null(f);
    if (!fgets(line, sizeof line, f)) {
        line[0] = '\0';
    }
    if (pclose(f) != 0) {
        return -1;
    }
    for (char *p = line; p[0] && p[1] && p[0] != '\n'; p += 2) {
        unsigned v;
        sscanf(p, "%2x", &v);
        out[len++] = (uint8_t)v;
    }
    return len;
}

/* An IPv4 UDP packet src -> dst with 'payload' bytes of a counting pattern, in 'buf'. */
static size_t
inner_packet(uint8_t *buf, const char *src, const char *dst, uint16_t payload)
{
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)buf;
    struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);
    uint16_t total = (uint16_t)(sizeof *ip + sizeof *u + payload);

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
    u->dgram_len = htons((uint16_t)(sizeof *u + payload));
    for (uint16_t i = 0; i < payload; i++) {
        ((uint8_t *)(u + 1))[i] = (uint8_t)i;
    }
    return total;
}

/* A tenant's packet, routed in 'tenant' as if it came from its VM. */
static void
send_tenant(uint16_t tenant, const uint8_t *pkt, size_t n)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);
    memcpy(rte_pktmbuf_append(m, (uint16_t)n), pkt, n);
    dp_route_input(w, m, tenant, NULL);
}

/* An Ethernet frame on the external port: IPv4 'src' -> 'dst' carrying 'esp' (n bytes) as ESP,
 * or in UDP 4500 when 'natt'. */
static struct rte_mbuf *
external_frame(const char *src, const char *dst, bool natt, const uint8_t *esp, size_t n)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);
    uint16_t l4 = natt ? 8 : 0, total = (uint16_t)(20 + l4 + n);
    uint8_t *f = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(14 + total));
    struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

    memset(f, 0, 14 + 20 + l4);
    memcpy(eth->dst_addr.addr_bytes, EXT_MAC, 6);
    memcpy(eth->src_addr.addr_bytes, ROUTER_MAC, 6);
    eth->ether_type = htons(RTE_ETHER_TYPE_IPV4);
    ip->version_ihl = 0x45;
    ip->total_length = htons(total);
    ip->time_to_live = 60;
    ip->next_proto_id = natt ? IPPROTO_UDP : IPPROTO_ESP;
    ip->src_addr = ip4(src);
    ip->dst_addr = ip4(dst);
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    if (natt) {
        struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);
        u->src_port = htons(4500);
        u->dst_port = htons(4500);
        u->dgram_len = htons((uint16_t)(8 + n));
    }
    memcpy(f + 14 + 20 + l4, esp, n);
    m->port = EXTERNAL;
    return m;
}

/* external_frame(), received alone, through the burst path when 'burst'. */
static void
send_external(const char *src, const char *dst, bool natt, const uint8_t *esp, size_t n, bool burst)
{
    struct rte_mbuf *m = external_frame(src, dst, natt, esp, n);

    if (burst) {
        dp_external_burst(w, &m, 1);
    } else {
        dp_external_input(w, m);
    }
}

/* Takes the only frame sent on 'port'; fails when there is not exactly one. */
static struct rte_mbuf *
sent_one(unsigned port)
{
    assert_int_equal(w->tx[port].n, 1);
    w->tx[port].n = 0;
    return w->tx[port].pkts[0];
}

/* Writes the bytes of hex string 'hex' into 'out'; returns how many. */
static size_t
unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;

    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

static struct dp_esp_sa
sa_gcm(uint32_t spi, bool inbound, uint16_t tenant, const char *key_hex)
{
    struct dp_esp_sa sa = {.spi = spi,
                           .inbound = inbound,
                           .tenant = tenant,
                           .cipher = DP_ESP_AES_GCM_16,
                           .replay_window = 64};

    sa.key_len = (uint8_t)unhex(key_hex, sa.key);
    sa.reqid = tenant == 1 ? REQID_A : REQID_B;
    sa.local = ip4(tenant == 1 ? "198.18.0.100" : "198.18.0.101");
    sa.remote = ip4(tenant == 1 ? "198.18.2.2" : "198.18.3.2");
    if (inbound) {
        sa.n_local_ts = 1;
        sa.local_ts[0] = (struct dp_esp_ts){ip4("10.1.1.0"), 24};
        sa.n_remote_ts = 1;
        sa.remote_ts[0] = (struct dp_esp_ts){ip4("172.16.1.0"), 24};
    }
    return sa;
}

static void
add_sa(const struct dp_esp_sa *sa)
{
    assert_int_equal(dp_esp_sa_add(dp, sa), 0);
}

/* Checks an encrypted frame from the external port: Ethernet to the router, outer IPv4 from
 * 'local' to 'remote' (in UDP 4500 when 'natt'), SPI 'spi', sequence 'seq'; opens it with
 * esp_vector.py and compares the inner packet with 'inner' (TTL one lower). */
static void
check_encrypted(struct rte_mbuf *m, const char *local, const char *remote, bool natt, uint32_t spi,
                uint32_t seq, const char *alg, const char *key, const uint8_t *inner, size_t n)
{
    uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *), out[2048], want[2048];
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + 14);
    unsigned esp_off = 14 + 20 + (natt ? 8 : 0);
    struct rte_esp_hdr *esph = (struct rte_esp_hdr *)(f + esp_off);
    int len;

    assert_memory_equal(f, ROUTER_MAC, 6);
    assert_int_equal(ip->src_addr, ip4(local));
    assert_int_equal(ip->dst_addr, ip4(remote));
    assert_int_equal(rte_ipv4_cksum(ip), 0);
    assert_int_equal(ntohs(ip->total_length), rte_pktmbuf_pkt_len(m) - 14);
    if (natt) {
        struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);
        assert_int_equal(ip->next_proto_id, IPPROTO_UDP);
        assert_int_equal(ntohs(u->src_port), 4500);
        assert_int_equal(ntohs(u->dst_port), 4500);
        assert_int_equal(u->dgram_cksum, 0);
        assert_int_equal(ntohs(u->dgram_len), ntohs(ip->total_length) - 20);
    } else {
        assert_int_equal(ip->next_proto_id, IPPROTO_ESP);
    }
    assert_int_equal(ntohl(esph->spi), spi);
    assert_int_equal(ntohl(esph->seq), seq);
    len = vector("open", alg, key, spi, seq, f + esp_off, rte_pktmbuf_pkt_len(m) - esp_off, out);
    assert_int_equal(len, (int)n);
    memcpy(want, inner, n);
    ((struct rte_ipv4_hdr *)want)->time_to_live--;
    ((struct rte_ipv4_hdr *)want)->hdr_checksum = 0;
    ((struct rte_ipv4_hdr *)want)->hdr_checksum = rte_ipv4_cksum((struct rte_ipv4_hdr *)want);
    assert_memory_equal(out, want, n);
}

/* ---- Tests ---- */

static void
test_outbound_gcm128(void **state)
{
    struct dp_esp_sa sa = sa_gcm(0x1001, false, 1, KEY_GCM128);
    uint8_t pkt[1500];
    size_t n = inner_packet(pkt, "10.1.1.10", "172.16.1.10", 100);
    struct dp_esp_sa_stats st;

    (void)state;
    add_sa(&sa);
    for (uint32_t seq = 1; seq <= 3; seq++) {
        struct rte_mbuf *m;
        send_tenant(1, pkt, n);
        m = sent_one(EXTERNAL);
        check_encrypted(m, "198.18.0.100", "198.18.2.2", false, 0x1001, seq, "gcm", KEY_GCM128, pkt,
                        n);
        rte_pktmbuf_free(m);
    }
    assert_int_equal(w->stats.counter[DP_esp_encrypted], 3);
    assert_int_equal(dp_esp_sa_query(dp, 0x1001, &st), 0);
    assert_int_equal(st.packets, 3);
    assert_int_equal(st.bytes, 3 * n);
    assert_true(st.last_used != 0);
}

static void
test_outbound_natt_gcm256(void **state)
{
    struct dp_esp_sa sa = sa_gcm(0x1002, false, 1, KEY_GCM256);
    uint8_t pkt[1500];
    size_t n = inner_packet(pkt, "10.1.1.10", "172.16.1.10", 1000);
    struct rte_mbuf *m;

    (void)state;
    sa.encap_local_port = sa.encap_remote_port = 4500;
    add_sa(&sa);
    send_tenant(1, pkt, n);
    m = sent_one(EXTERNAL);
    check_encrypted(m, "198.18.0.100", "198.18.2.2", true, 0x1002, 1, "gcm", KEY_GCM256, pkt, n);
    rte_pktmbuf_free(m);
}

static void
test_outbound_cbc_sha256(void **state)
{
    struct dp_esp_sa sa = sa_gcm(0x1003, false, 1, KEY_CBC);
    char key[256];
    uint8_t pkt[1500];
    size_t n = inner_packet(pkt, "10.1.1.10", "172.16.1.10", 333);
    struct rte_mbuf *m;

    (void)state;
    sa.cipher = DP_ESP_AES_CBC_HMAC_SHA256;
    sa.auth_key_len = (uint8_t)unhex(KEY_HMAC, sa.auth_key);
    add_sa(&sa);
    send_tenant(1, pkt, n);
    m = sent_one(EXTERNAL);
    snprintf(key, sizeof key, "%s:%s", KEY_CBC, KEY_HMAC);
    check_encrypted(m, "198.18.0.100", "198.18.2.2", false, 0x1003, 1, "cbc", key, pkt, n);
    rte_pktmbuf_free(m);
}

/* Seals 'inner' as site A would (SPI, sequence) and sends it to contoso's tunnel address. */
static void
site_sends(const char *alg, const char *key, uint32_t spi, uint32_t seq, const uint8_t *inner,
           size_t n, bool natt, bool burst)
{
    uint8_t esp[2048];
    int len = vector("seal", alg, key, spi, seq, inner, n, esp);

    assert_true(len > 0);
    send_external("198.18.2.2", "198.18.0.100", natt, esp, (size_t)len, burst);
}

/* Checks that the packet decrypted from the tunnel reached CA 10.1.1.10 of VSID 'vsid' over
 * NVGRE, byte for byte but its TTL. */
static void
check_delivered(uint32_t vsid, const uint8_t *inner, size_t n)
{
    struct rte_mbuf *m = sent_one(PROVIDER);
    uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
    const struct rte_ipv4_hdr *got = (const struct rte_ipv4_hdr *)(f + NVGRE_HDR);
    uint32_t key;

    memcpy(&key, f + 14 + 20 + 4, 4);
    assert_int_equal(ntohl(key) >> 8, vsid);
    assert_int_equal(rte_pktmbuf_pkt_len(m), NVGRE_HDR + n);
    assert_int_equal(got->time_to_live, ((const struct rte_ipv4_hdr *)inner)->time_to_live - 1);
    assert_memory_equal((const uint8_t *)got + 12, inner + 12, n - 12);
    rte_pktmbuf_free(m);
}

/* Extended sequence numbers (RFC 4304): the ICV covers the sequence number's high half too. */
static void
test_esn(void **state)
{
    struct dp_esp_sa out_sa = sa_gcm(0x1004, false, 1, KEY_GCM128);
    struct dp_esp_sa in_sa = sa_gcm(0x1005, true, 1, KEY_GCM128);
    uint8_t out_pkt[1500], in_pkt[1500], esp[2048];
    size_t n_out = inner_packet(out_pkt, "10.1.1.10", "172.16.1.10", 50);
    size_t n_in = inner_packet(in_pkt, "172.16.1.10", "10.1.1.10", 50);
    struct rte_mbuf *m;
    int len;

    (void)state;
    out_sa.esn = in_sa.esn = true;
    add_sa(&out_sa);
    add_sa(&in_sa);
    send_tenant(1, out_pkt, n_out);
    m = sent_one(EXTERNAL);
    check_encrypted(m, "198.18.0.100", "198.18.2.2", false, 0x1004, 1, "gcm-esn", KEY_GCM128,
                    out_pkt, n_out);
    rte_pktmbuf_free(m);
    /* A packet sealed without the high half in its ICV fails; with it, it passes. */
    len = vector("seal", "gcm", KEY_GCM128, 0x1005, 1, in_pkt, n_in, esp);
    send_external("198.18.2.2", "198.18.0.100", false, esp, (size_t)len, false);
    assert_int_equal(w->tx[PROVIDER].n, 0);
    assert_int_equal(w->stats.drop[DP_esp_auth_failed], 1);
    len = vector("seal", "gcm-esn", KEY_GCM128, 0x1005, 2, in_pkt, n_in, esp);
    send_external("198.18.2.2", "198.18.0.100", false, esp, (size_t)len, false);
    check_delivered(5001, in_pkt, n_in);
}

static void
test_inbound_gcm128(void **state)
{
    struct dp_esp_sa sa = sa_gcm(0x2001, true, 1, KEY_GCM128);
    uint8_t pkt[1500];
    size_t n = inner_packet(pkt, "172.16.1.10", "10.1.1.10", 200);
    struct dp_esp_sa_stats st;

    (void)state;
    add_sa(&sa);
    for (uint32_t seq = 1; seq <= 4; seq++) {
        site_sends("gcm", KEY_GCM128, 0x2001, seq, pkt, n, seq % 2 == 0, seq > 2);
        check_delivered(5001, pkt, n);
    }
    assert_int_equal(w->stats.counter[DP_esp_decrypted], 4);
    assert_int_equal(w->stats.counter[DP_esp_udp_decapsulated], 2);
    assert_int_equal(dp_esp_sa_query(dp, 0x2001, &st), 0);
    assert_int_equal(st.packets, 4);
    assert_int_equal(st.bytes, 4 * n);
}

static void
test_inbound_cbc_sha256(void **state)
{
    struct dp_esp_sa sa = sa_gcm(0x2002, true, 1, KEY_CBC);
    char key[256];
    uint8_t pkt[1500];
    size_t n = inner_packet(pkt, "172.16.1.10", "10.1.1.10", 77);

    (void)state;
    sa.cipher = DP_ESP_AES_CBC_HMAC_SHA256;
    sa.auth_key_len = (uint8_t)unhex(KEY_HMAC, sa.auth_key);
    add_sa(&sa);
    snprintf(key, sizeof key, "%s:%s", KEY_CBC, KEY_HMAC);
    site_sends("cbc", key, 0x2002, 1, pkt, n, false, false);
    check_delivered(5001, pkt, n);
}

/* A captured packet sent again is dropped as a replay; so is one older than the window. */
static void
test_replay(void **state)
{
    struct dp_esp_sa sa = sa_gcm(0x2003, true, 1, KEY_GCM128);
    uint8_t pkt[1500], esp[2048];
    size_t n = inner_packet(pkt, "172.16.1.10", "10.1.1.10", 64);
    int len = vector("seal", "gcm", KEY_GCM128, 0x2003, 5, pkt, n, esp);

    (void)state;
    add_sa(&sa);
    send_external("198.18.2.2", "198.18.0.100", false, esp, (size_t)len, false);
    check_delivered(5001, pkt, n);
    send_external("198.18.2.2", "198.18.0.100", false, esp, (size_t)len, true);
    assert_int_equal(w->tx[PROVIDER].n, 0);
    assert_int_equal(w->stats.drop[DP_esp_replay], 1);
    /* Sequence 200 moves the window past 5..135; then 100 is too old, 190 still fine. */
    site_sends("gcm", KEY_GCM128, 0x2003, 200, pkt, n, false, false);
    check_delivered(5001, pkt, n);
    site_sends("gcm", KEY_GCM128, 0x2003, 100, pkt, n, false, false);
    assert_int_equal(w->tx[PROVIDER].n, 0);
    assert_int_equal(w->stats.drop[DP_esp_replay], 2);
    site_sends("gcm", KEY_GCM128, 0x2003, 190, pkt, n, false, false);
    check_delivered(5001, pkt, n);
}

/* An SA that asks for no replay window (charon's replay_window = 0) still gets one, the RFC's
 * 64 packets: rte_ipsec has no inbound SA without. */
static void
test_replay_window_zero(void **state)
{
    struct dp_esp_sa sa = sa_gcm(0x2006, true, 1, KEY_GCM128);
    uint8_t pkt[1500], esp[2048];
    size_t n = inner_packet(pkt, "172.16.1.10", "10.1.1.10", 64);
    int len = vector("seal", "gcm", KEY_GCM128, 0x2006, 1, pkt, n, esp);

    (void)state;
    sa.replay_window = 0;
    add_sa(&sa);
    send_external("198.18.2.2", "198.18.0.100", false, esp, (size_t)len, false);
    check_delivered(5001, pkt, n);
    send_external("198.18.2.2", "198.18.0.100", false, esp, (size_t)len, false);
    assert_int_equal(w->stats.drop[DP_esp_replay], 1);
    assert_int_equal(w->tx[PROVIDER].n, 0);
}

/* A flipped bit fails authentication; a packet for an SPI the node does not have, or for the
 * wrong tunnel address, goes nowhere; nothing of these reaches a tenant. */
static void
test_forged_and_unknown(void **state)
{
    struct dp_esp_sa sa = sa_gcm(0x2004, true, 1, KEY_GCM128);
    uint8_t pkt[1500], esp[2048];
    size_t n = inner_packet(pkt, "172.16.1.10", "10.1.1.10", 64);
    int len = vector("seal", "gcm", KEY_GCM128, 0x2004, 1, pkt, n, esp);

    (void)state;
    add_sa(&sa);
    esp[30] ^= 0x01;
    send_external("198.18.2.2", "198.18.0.100", false, esp, (size_t)len, false);
    assert_int_equal(w->stats.drop[DP_esp_auth_failed], 1);
    esp[30] ^= 0x01;
    send_external("198.18.2.2", "198.18.0.101", false, esp, (size_t)len, false);
    assert_int_equal(w->stats.drop[DP_esp_unknown_spi], 1);
    len = vector("seal", "gcm", KEY_GCM128, 0x9999, 1, pkt, n, esp);
    send_external("198.18.2.2", "198.18.0.100", false, esp, (size_t)len, false);
    assert_int_equal(w->stats.drop[DP_esp_unknown_spi], 2);
    send_external("198.18.2.2", "198.18.0.100", false, esp, 12, false);
    assert_int_equal(w->stats.drop[DP_esp_bad_packet], 1);
    assert_int_equal(w->tx[PROVIDER].n, 0);
    /* The genuine packet still passes: failures did not move the window. */
    len = vector("seal", "gcm", KEY_GCM128, 0x2004, 1, pkt, n, esp);
    send_external("198.18.2.2", "198.18.0.100", false, esp, (size_t)len, false);
    check_delivered(5001, pkt, n);
}

/* What comes out of an SA must match its selectors. */
static void
test_selector_mismatch(void **state)
{
    struct dp_esp_sa sa = sa_gcm(0x2005, true, 1, KEY_GCM128);
    uint8_t pkt[1500];
    size_t n = inner_packet(pkt, "172.16.9.10", "10.1.1.10", 64);

    (void)state;
    add_sa(&sa);
    site_sends("gcm", KEY_GCM128, 0x2005, 1, pkt, n, false, false);
    assert_int_equal(w->stats.drop[DP_esp_selector_mismatch], 1);
    assert_int_equal(w->tx[PROVIDER].n, 0);
}

/* Without an outbound SA the tunnel's traffic is dropped, never sent in clear. Rekeys are
 * make-before-break: the newest SA of the tunnel takes over, and its deletion falls back. */
static void
test_no_sa_and_rekey(void **state)
{
    struct dp_esp_sa old_sa = sa_gcm(0x3001, false, 1, KEY_GCM128);
    struct dp_esp_sa new_sa = sa_gcm(0x3002, false, 1, KEY_GCM256);
    uint8_t pkt[1500];
    size_t n = inner_packet(pkt, "10.1.1.10", "172.16.1.10", 64);
    struct rte_mbuf *m;

    (void)state;
    send_tenant(1, pkt, n);
    assert_int_equal(w->stats.drop[DP_esp_no_sa], 1);
    assert_int_equal(w->tx[EXTERNAL].n, 0);
    add_sa(&old_sa);
    send_tenant(1, pkt, n);
    m = sent_one(EXTERNAL);
    check_encrypted(m, "198.18.0.100", "198.18.2.2", false, 0x3001, 1, "gcm", KEY_GCM128, pkt, n);
    rte_pktmbuf_free(m);
    add_sa(&new_sa);
    send_tenant(1, pkt, n);
    m = sent_one(EXTERNAL);
    check_encrypted(m, "198.18.0.100", "198.18.2.2", false, 0x3002, 1, "gcm", KEY_GCM256, pkt, n);
    rte_pktmbuf_free(m);
    assert_int_equal(dp_esp_sa_del(dp, 0x3002), 0);
    send_tenant(1, pkt, n);
    m = sent_one(EXTERNAL);
    check_encrypted(m, "198.18.0.100", "198.18.2.2", false, 0x3001, 2, "gcm", KEY_GCM128, pkt, n);
    rte_pktmbuf_free(m);
    assert_int_equal(dp_esp_sa_del(dp, 0x3001), 0);
    assert_int_equal(dp_esp_sa_del(dp, 0x3001), ENOENT);
    send_tenant(1, pkt, n);
    assert_int_equal(w->stats.drop[DP_esp_no_sa], 2);
    assert_int_equal(w->tx[EXTERNAL].n, 0);
}

/* One burst mixing two tenants' SAs, a replay within the burst, a forgery and IKE: each packet
 * meets its own fate, as if it had come alone. */
static void
test_mixed_burst(void **state)
{
    struct dp_esp_sa sa_a = sa_gcm(0x6001, true, 1, KEY_GCM128);
    struct dp_esp_sa sa_b = sa_gcm(0x6002, true, 2, KEY_GCM256);
    uint8_t pkt[1500], esp[2048], ike[16] = {0};
    size_t n = inner_packet(pkt, "172.16.1.10", "10.1.1.10", 100);
    struct rte_mbuf *burst[8];
    unsigned nb = 0, to_a = 0, to_b = 0;
    int len;

    (void)state;
    add_sa(&sa_a);
    add_sa(&sa_b);
    for (uint32_t seq = 1; seq <= 3; seq++) {
        len = vector("seal", "gcm", KEY_GCM128, 0x6001, seq, pkt, n, esp);
        burst[nb++] = external_frame("198.18.2.2", "198.18.0.100", seq == 2, esp, (size_t)len);
    }
    len = vector("seal", "gcm", KEY_GCM128, 0x6001, 2, pkt, n, esp); /* A replay of seq 2. */
    burst[nb++] = external_frame("198.18.2.2", "198.18.0.100", false, esp, (size_t)len);
    len = vector("seal", "gcm", KEY_GCM128, 0x6001, 9, pkt, n, esp);
    esp[len - 1] ^= 0x80; /* A forged ICV. */
    burst[nb++] = external_frame("198.18.2.2", "198.18.0.100", false, esp, (size_t)len);
    for (uint32_t seq = 1; seq <= 2; seq++) {
        len = vector("seal", "gcm", KEY_GCM256, 0x6002, seq, pkt, n, esp);
        burst[nb++] = external_frame("198.18.3.2", "198.18.0.101", true, esp, (size_t)len);
    }
    burst[nb++] = external_frame("198.18.2.2", "198.18.0.100", true, ike, sizeof ike);
    dp_external_burst(w, burst, (uint16_t)nb);
    assert_int_equal(w->tx[PROVIDER].n, 5);
    for (unsigned i = 0; i < w->tx[PROVIDER].n; i++) {
        uint8_t *f = rte_pktmbuf_mtod(w->tx[PROVIDER].pkts[i], uint8_t *);
        uint32_t key;

        memcpy(&key, f + 14 + 20 + 4, 4);
        to_a += ntohl(key) >> 8 == 5001;
        to_b += ntohl(key) >> 8 == 6001;
        assert_memory_equal(f + NVGRE_HDR + 12, pkt + 12, n - 12);
    }
    assert_int_equal(to_a, 3);
    assert_int_equal(to_b, 2);
    assert_int_equal(w->stats.drop[DP_esp_replay], 1);
    assert_int_equal(w->stats.drop[DP_esp_auth_failed], 1);
    assert_int_equal(w->stats.counter[DP_esp_ike_punted], 1);
    assert_int_equal(w->stats.counter[DP_esp_decrypted], 5);
    rte_pktmbuf_free(sent_one(EXCEPTION));
}

/* MOBIKE or a NAT rebinding moves an SA (update_sa): the next packets leave to the new address
 * and port, with the sequence numbers going on. Moving into or out of UDP needs a new SA. */
static void
test_update_sa(void **state)
{
    struct dp_esp_sa sa = sa_gcm(0x3003, false, 1, KEY_GCM128);
    uint8_t pkt[1500];
    size_t n = inner_packet(pkt, "10.1.1.10", "172.16.1.10", 64);
    struct rte_mbuf *m;

    (void)state;
    sa.encap_local_port = sa.encap_remote_port = 4500;
    add_sa(&sa);
    send_tenant(1, pkt, n);
    rte_pktmbuf_free(sent_one(EXTERNAL));
    assert_int_equal(
        dp_esp_sa_update(dp, 0x3003, ip4("198.18.0.100"), ip4("198.18.4.4"), 4500, 31000), 0);
    send_tenant(1, pkt, n);
    m = sent_one(EXTERNAL);
    assert_int_equal(ntohs(rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, 34)->dst_port), 31000);
    /* The rest as usual (check_encrypted() expects port 4500 on both sides). */
    rte_pktmbuf_mtod_offset(m, struct rte_udp_hdr *, 34)->dst_port = htons(4500);
    check_encrypted(m, "198.18.0.100", "198.18.4.4", true, 0x3003, 2, "gcm", KEY_GCM128, pkt, n);
    rte_pktmbuf_free(m);
    assert_int_equal(dp_esp_sa_update(dp, 0x3003, ip4("198.18.0.100"), ip4("198.18.4.4"), 0, 0),
                     EINVAL);
    assert_int_equal(dp_esp_sa_update(dp, 0x9999, 0, 0, 0, 0), ENOENT);
}

/* Two tenants with the same inside and the same remote prefix: each tenant's packets take its
 * own SA, and each SA's packets reach only its own tenant. */
static void
test_tenants_apart(void **state)
{
    uint8_t out_pkt[1500], in_pkt[1500], esp[2048];
    size_t n_out = inner_packet(out_pkt, "10.1.1.10", "172.16.1.10", 64);
    size_t n_in = inner_packet(in_pkt, "172.16.1.10", "10.1.1.10", 64);
    struct dp_esp_sa sa;
    struct rte_mbuf *m;
    int len;

    (void)state;
    sa = sa_gcm(0x4001, false, 1, KEY_GCM128);
    add_sa(&sa);
    sa = sa_gcm(0x4002, false, 2, KEY_GCM256);
    add_sa(&sa);
    sa = sa_gcm(0x4003, true, 1, KEY_GCM128);
    add_sa(&sa);
    sa = sa_gcm(0x4004, true, 2, KEY_GCM256);
    add_sa(&sa);
    send_tenant(2, out_pkt, n_out);
    m = sent_one(EXTERNAL);
    check_encrypted(m, "198.18.0.101", "198.18.3.2", false, 0x4002, 1, "gcm", KEY_GCM256, out_pkt,
                    n_out);
    rte_pktmbuf_free(m);
    len = vector("seal", "gcm", KEY_GCM256, 0x4004, 1, in_pkt, n_in, esp);
    send_external("198.18.3.2", "198.18.0.101", true, esp, (size_t)len, false);
    check_delivered(6001, in_pkt, n_in);
    len = vector("seal", "gcm", KEY_GCM128, 0x4003, 1, in_pkt, n_in, esp);
    send_external("198.18.2.2", "198.18.0.100", false, esp, (size_t)len, false);
    check_delivered(5001, in_pkt, n_in);
    /* Tenant 2's SPI at tenant 1's tunnel address is no SA of that address. */
    len = vector("seal", "gcm", KEY_GCM256, 0x4004, 2, in_pkt, n_in, esp);
    send_external("198.18.3.2", "198.18.0.100", false, esp, (size_t)len, false);
    assert_int_equal(w->stats.drop[DP_esp_unknown_spi], 1);
}

/* IKE (UDP 500, and UDP 4500 with the non-ESP marker) goes to the IKE compartment; what the
 * compartment sends leaves the uplink only from a tunnel address. */
static void
test_ike_punt(void **state)
{
    uint8_t ike[40] = {0};
    struct rte_mbuf *m;

    (void)state;
    send_external("198.18.2.2", "198.18.0.100", true, ike, sizeof ike, false);
    m = sent_one(EXCEPTION);
    assert_int_equal(rte_pktmbuf_mtod(m, uint8_t *)[5], 1); /* To the compartment's MAC. */
    rte_pktmbuf_free(m);
    assert_int_equal(w->stats.counter[DP_esp_ike_punted], 1);
    /* The same frame comes back from the compartment as its answer: out of the uplink. */
    m = rte_pktmbuf_alloc(dp->pool);
    {
        uint8_t *f = (uint8_t *)rte_pktmbuf_append(m, 14 + 20 + 8);
        struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + 14);
        memset(f, 0, 14 + 20 + 8);
        ((struct rte_ether_hdr *)f)->ether_type = htons(RTE_ETHER_TYPE_IPV4);
        ip->version_ihl = 0x45;
        ip->total_length = htons(28);
        ip->time_to_live = 64;
        ip->next_proto_id = IPPROTO_UDP;
        ip->src_addr = ip4("198.18.0.100");
        ip->dst_addr = ip4("198.18.2.2");
        ip->hdr_checksum = rte_ipv4_cksum(ip);
    }
    m->port = EXCEPTION;
    dp_exception_input(w, m, &dp->ports[EXCEPTION]);
    m = sent_one(EXTERNAL);
    assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), ROUTER_MAC, 6);
    rte_pktmbuf_free(m);
    assert_int_equal(w->stats.counter[DP_esp_ike_sent], 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_outbound_gcm128, reset),
        cmocka_unit_test_setup(test_outbound_natt_gcm256, reset),
        cmocka_unit_test_setup(test_outbound_cbc_sha256, reset),
        cmocka_unit_test_setup(test_esn, reset),
        cmocka_unit_test_setup(test_inbound_gcm128, reset),
        cmocka_unit_test_setup(test_inbound_cbc_sha256, reset),
        cmocka_unit_test_setup(test_replay, reset),
        cmocka_unit_test_setup(test_replay_window_zero, reset),
        cmocka_unit_test_setup(test_forged_and_unknown, reset),
        cmocka_unit_test_setup(test_selector_mismatch, reset),
        cmocka_unit_test_setup(test_no_sa_and_rekey, reset),
        cmocka_unit_test_setup(test_mixed_burst, reset),
        cmocka_unit_test_setup(test_update_sa, reset),
        cmocka_unit_test_setup(test_tenants_apart, reset),
        cmocka_unit_test_setup(test_ike_punt, reset),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
