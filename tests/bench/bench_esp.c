/* SPDX-License-Identifier: Apache-2.0 */
/* ESP on one worker: AES-GCM-128 encryption and decryption through the whole gateway path, at
 * 1400-byte and 64-byte inner packets.
 *
 * The real stage functions run on a device-less data plane, as in bench_nat.c, on the main lcore.
 * Ports 0 (provider) and 1 (external) are net_null devices, so what the pipeline transmits is
 * freed by a real PMD's tx burst.
 *
 * Encrypt: NVGRE frames from contoso's VM 10.1.1.10 (VSID 5001, PA 10.0.0.2) to 172.16.1.10,
 * which contoso routes into its tunnel: decapsulation, the tenant's route, ESP (rte_ipsec on
 * intel-ipsec-mb's AES-GCM), UDP encapsulation (NAT-T) and transmission on the external port.
 * Decrypt: the ESP-in-UDP frames a peer would send to 198.18.0.100 (made once by the same code
 * from another tenant's tunnel, so they are genuine), through the external port's burst path,
 * ESP (anti-replay included), contoso's route and NVGRE encapsulation toward the VM's PA. The
 * 4,096 frames carry sequence numbers 1..4096; after each round the inbound SA is installed
 * again (outside the measured cycles), so that the next round is not a replay.
 *
 * Frames are copied from templates into freshly allocated mbufs for every burst, as a NIC's rx
 * would leave them; that copy is inside the measured cycles.
 *
 * Gbit/s count the inner IPv4 packets' bytes (1400, or 46 for a 64-byte Ethernet frame).
 * Prints one line per measurement:
 *   BENCH name=esp_encrypt_gcm128_1400 gbps=<x> mpps=<y> cycles_per_pkt=<z>
 * and the same for esp_decrypt_gcm128_1400, esp_encrypt_gcm128_64, esp_decrypt_gcm128_64; a
 * "bench: ..." line and exit status 1 when packets were dropped.
 *
 * usage: bench_esp [SECONDS [huge]] */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_ethdev.h>
#include <rte_udp.h>

#include "dataplane/dp_internal.h"
#include "tests/bench/bench_util.h"

#define PROVIDER   0
#define EXTERNAL   1
#define TEMPLATES  64   /* NVGRE frames to encrypt. */
#define ESP_FRAMES 4096 /* ESP frames to decrypt: sequence numbers 1..4096. */
#define REQID_OUT  17
#define REQID_GEN  33

static const uint8_t PROV_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x01};
static const uint8_t PEER_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x02};
static const uint8_t EXT_MAC[6] = {0x02, 0, 0x0a, 0x63, 0, 0x01};
static const uint8_t ROUTER_MAC[6] = {0x02, 0, 0x0a, 0x63, 0, 0x02};
static const uint8_t KEY[20] = {0,  1,  2,  3,  4,  5,  6,    7,    8,    9,
                                10, 11, 12, 13, 14, 15, 0xca, 0xfe, 0xba, 0xbe};

static struct dp *dp;
static struct dp_worker *w;

/* A frame to replay: bytes and length. */
struct tmpl {
    uint8_t b[1600]; /* The frame. */
    uint16_t len;    /* Its length. */
};

static void
die(const char *msg)
{
    fprintf(stderr, "bench_esp: %s\n", msg);
    exit(1);
}

static uint32_t
ip4(const char *s)
{
    uint32_t a;
    if (inet_pton(AF_INET, s, &a) != 1) {
        die("bad address");
    }
    return a;
}

/* VSID 'vsid' of 'tenant' with 'prefix'/24, its CA .10 behind PA 10.0.0.2. */
static void
subnet(uint32_t vsid, uint16_t tenant, const char *prefix)
{
    struct dp_subnet sn = {.vsid = vsid, .tenant = tenant, .plen = 24};
    struct dp_lookup rec = {.type = DP_LK_STATIC, .local_port = -1, .pa = ip4("10.0.0.2")};
    struct dp_nexthop nh = {.type = DP_NH_CONNECTED, .vsid = vsid};

    sn.prefix = ip4(prefix);
    sn.gw_ip = sn.prefix | htonl(1);
    sn.gw_mac[0] = 0x02, sn.gw_mac[4] = (uint8_t)tenant, sn.gw_mac[5] = 1;
    memcpy(nh.mac, sn.gw_mac, 6);
    memcpy(rec.mac, PEER_MAC, 6);
    if (dp_subnet_set(dp, &sn) || dp_route_set(dp, tenant, sn.prefix, 24, &nh) ||
        dp_lookup_set(dp, vsid, sn.prefix | htonl(10), &rec)) {
        die("cannot add a subnet");
    }
}

/* An NVGRE frame from CA .10 of 'vsid' ('src') to 'dst', its inner IPv4 packet 'ip_len' long. */
static void
nvgre_frame(struct tmpl *t, uint32_t vsid, uint16_t tenant, const char *src, const char *dst,
            uint16_t ip_len)
{
    uint8_t *b = t->b;
    struct rte_ether_hdr *eth = (struct rte_ether_hdr *)b;
    struct rte_ipv4_hdr *oip = (struct rte_ipv4_hdr *)(eth + 1);
    uint8_t *gre = (uint8_t *)(oip + 1);
    struct rte_ether_hdr *ieth = (struct rte_ether_hdr *)(gre + 8);
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(ieth + 1);
    struct rte_udp_hdr *u = (struct rte_udp_hdr *)(ip + 1);
    uint32_t key = htonl(vsid << 8);

    memset(b, 0, sizeof t->b);
    memcpy(eth->dst_addr.addr_bytes, PROV_MAC, 6);
    memcpy(eth->src_addr.addr_bytes, PEER_MAC, 6);
    eth->ether_type = htons(RTE_ETHER_TYPE_IPV4);
    oip->version_ihl = 0x45;
    oip->total_length = htons((uint16_t)(20 + 8 + 14 + ip_len));
    oip->time_to_live = 64;
    oip->next_proto_id = IPPROTO_GRE;
    oip->src_addr = ip4("10.0.0.2");
    oip->dst_addr = ip4("10.0.0.1");
    oip->hdr_checksum = rte_ipv4_cksum(oip);
    gre[0] = 0x20, gre[2] = 0x65, gre[3] = 0x58;
    memcpy(gre + 4, &key, 4);
    ieth->dst_addr.addr_bytes[0] = 0x02, ieth->dst_addr.addr_bytes[4] = (uint8_t)tenant;
    ieth->dst_addr.addr_bytes[5] = 1;
    memcpy(ieth->src_addr.addr_bytes, PEER_MAC, 6);
    ieth->ether_type = htons(RTE_ETHER_TYPE_IPV4);
    ip->version_ihl = 0x45;
    ip->total_length = htons(ip_len);
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_UDP;
    ip->src_addr = ip4(src);
    ip->dst_addr = ip4(dst);
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    u->src_port = htons(40000);
    u->dst_port = htons(5001);
    u->dgram_len = htons((uint16_t)(ip_len - 20));
    t->len = (uint16_t)(14 + 20 + 8 + 14 + ip_len);
}

static struct dp_esp_sa
sa(uint32_t spi, bool inbound, uint16_t tenant, uint32_t reqid, const char *local,
   const char *remote)
{
    struct dp_esp_sa s = {.spi = spi,
                          .inbound = inbound,
                          .tenant = tenant,
                          .reqid = reqid,
                          .cipher = DP_ESP_AES_GCM_16,
                          .key_len = sizeof KEY,
                          .encap_local_port = 4500,
                          .encap_remote_port = 4500};

    memcpy(s.key, KEY, sizeof KEY);
    s.local = ip4(local);
    s.remote = ip4(remote);
    return s;
}

/* Sends the templates once, a burst at a time ('n_t' a multiple of DP_BURST); the frames enter
 * on 'port' (provider: NVGRE; external: ESP). Returns the cycles. Not inlined, for profilers. */
__attribute__((noinline)) static uint64_t
run_round(const struct tmpl *t, unsigned n_t, uint16_t port)
{
    uint64_t t0 = rte_rdtsc();
    struct rte_mbuf *pkts[DP_BURST];

    for (unsigned k = 0; k < n_t;) {
        if (rte_pktmbuf_alloc_bulk(dp->pool, pkts, DP_BURST)) {
            die("out of mbufs");
        }
        for (unsigned i = 0; i < DP_BURST; i++, k++) {
            rte_memcpy(rte_pktmbuf_mtod(pkts[i], void *), t[k].b, t[k].len);
            pkts[i]->data_len = pkts[i]->pkt_len = t[k].len;
            pkts[i]->port = port;
        }
        if (port == PROVIDER) {
            dp_provider_burst(w, pkts, DP_BURST);
        } else {
            dp_external_burst(w, pkts, DP_BURST);
        }
        dp_tx_flush(w);
    }
    return rte_rdtsc() - t0;
}

/* Rounds of the templates for 'seconds' of measured time; before each round, 'reset' (if any)
 * runs unmeasured. Returns packets and cycles. */
static uint64_t
run(const struct tmpl *t, unsigned n_t, uint16_t port, double seconds, void (*reset)(void),
    uint64_t *cycles)
{
    uint64_t budget = (uint64_t)(seconds * (double)rte_get_tsc_hz()), n = 0;

    *cycles = 0;
    while (*cycles < budget) {
        if (reset) {
            reset();
        }
        *cycles += run_round(t, n_t, port);
        n += n_t;
    }
    return n;
}

/* A fresh inbound SA for contoso: its replay window forgets the last round. */
static void
reinstall_inbound(void)
{
    struct dp_esp_sa in = sa(0x5002, true, 1, 0, "198.18.0.100", "198.18.2.2");

    if (dp_esp_sa_del(dp, 0x5002) || dp_esp_sa_add(dp, &in)) {
        die("cannot reinstall contoso's inbound SA");
    }
}

static uint64_t
drops(void)
{
    uint64_t d = 0;
    for (unsigned i = 0; i < DP_N_DROPS; i++) {
        d += w->stats.drop[i];
    }
    return d;
}

static void
report(const char *name, uint16_t ip_len, uint64_t n, uint64_t cycles)
{
    double s = (double)cycles / (double)rte_get_tsc_hz(), pps = (double)n / s;

    printf("BENCH name=%s gbps=%.2f mpps=%.3f cycles_per_pkt=%.1f\n", name, pps * ip_len * 8 / 1e9,
           pps / 1e6, (double)cycles / (double)n);
}

/* Makes the ESP frames a peer would send for contoso: tenant 2 (VSID 6001, 172.16.1.0/24)
 * tunnels to 10.1.1.0/24 through an SA from 198.18.2.2 to 198.18.0.100; what it transmits is
 * captured before the external port, then that SA makes way for contoso's inbound twin. */
static void
make_esp_frames(struct tmpl *esp, uint16_t ip_len)
{
    struct dp_esp_sa out = sa(0x5002, false, 2, REQID_GEN, "198.18.2.2", "198.18.0.100");
    struct dp_esp_sa in = sa(0x5002, true, 1, 0, "198.18.0.100", "198.18.2.2");

    if (dp_esp_sa_add(dp, &out)) {
        die("cannot add the generator's SA");
    }
    for (unsigned i = 0; i < ESP_FRAMES; i++) {
        struct tmpl f;
        struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);

        nvgre_frame(&f, 6001, 2, "172.16.1.10", "10.1.1.10", ip_len);
        memcpy(rte_pktmbuf_append(m, f.len), f.b, f.len);
        m->port = PROVIDER;
        dp_provider_burst(w, &m, 1);
        if (w->tx[EXTERNAL].n != 1) {
            die("the generator's tunnel sent nothing");
        }
        m = w->tx[EXTERNAL].pkts[0];
        w->tx[EXTERNAL].n = 0;
        esp[i].len = (uint16_t)rte_pktmbuf_pkt_len(m);
        memcpy(esp[i].b, rte_pktmbuf_mtod(m, void *), esp[i].len);
        memcpy(esp[i].b, EXT_MAC, 6); /* Sent to us by the router. */
        memcpy(esp[i].b + 6, ROUTER_MAC, 6);
        rte_pktmbuf_free(m);
    }
    if (dp_esp_sa_del(dp, 0x5002) || dp_esp_sa_add(dp, &in)) {
        die("cannot swap the generator's SA for contoso's inbound one");
    }
}

int
main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 3;
    bool huge = argc > 2 && !strcmp(argv[2], "huge");
    char *eal[] = {"bench_esp",
                   "--no-huge",
                   "-m",
                   "1024",
                   "--no-pci",
                   "--no-shconf",
                   "--lcores=(0-1)@(0-1)",
                   "--log-level=lib.eal:error",
                   "--log-level=pmd.crypto.*:error",
                   "--vdev=net_null0,no-rx=1",
                   "--vdev=net_null1,no-rx=1",
                   NULL};
    struct dp_params p = {.n_workers = 1,
                          .max_lookups = 1024,
                          .max_subnets = 64,
                          .max_routes = 1024,
                          .max_neighbors = 64,
                          .n_mbufs = 8192,
                          .icmp_rate = 100,
                          .arp_timeout_s = 300,
                          .n_pas = 1,
                          .gateway_role = true,
                          .max_esp_sas = 16};
    static struct tmpl nvgre[TEMPLATES], esp[ESP_FRAMES];
    static const uint16_t sizes[2] = {1400, 46};
    char err[DP_ERR_MAX];
    struct dp_nexthop nh = {.type = DP_NH_IPSEC};
    int status = 0;

    setvbuf(stdout, NULL, _IOLBF, 0);
    if (huge) {
        eal[2] = "bench_esp", eal[3] = "--in-memory";
    }
    p.pas[0] = ip4("10.0.0.1");
    if (dp_create(huge ? 9 : 11, huge ? eal + 2 : eal, &p, &dp, err)) {
        die(err);
    }
    w = &dp->workers[0];
    w->dp = dp;
    w->icmp_tokens = 100;
    bench_add_port(dp, PROVIDER, DP_PORT_PROVIDER, PROV_MAC, ip4("10.0.0.1"), 9000);
    bench_add_port(dp, EXTERNAL, DP_PORT_EXTERNAL, EXT_MAC, ip4("10.99.0.1"), 9000);
    dp->ports[EXTERNAL].conf.gateway = ip4("10.99.0.2");
    dp->provider_port = PROVIDER;
    dp->external_port = EXTERNAL;
    if (!bench_start_null_port(dp, PROVIDER)) {
        die("cannot start a net_null port");
    }
    if (!bench_start_null_port(dp, EXTERNAL)) {
        die("cannot start a net_null port");
    }
    if (dp_neigh_set_static(dp, PROVIDER, ip4("10.0.0.2"), PEER_MAC) ||
        dp_neigh_set_static(dp, EXTERNAL, ip4("10.99.0.2"), ROUTER_MAC)) {
        die("cannot add neighbors");
    }
    subnet(5001, 1, "10.1.1.0");
    subnet(6001, 2, "172.16.1.0");
    nh.reqid = REQID_OUT;
    if (dp_route_set(dp, 1, ip4("172.16.1.0"), 24, &nh)) {
        die("cannot route into the tunnel");
    }
    nh.reqid = REQID_GEN;
    if (dp_route_set(dp, 2, ip4("10.1.1.0"), 24, &nh) ||
        dp_esp_local_add(dp, ip4("198.18.0.100"))) {
        die("cannot set the generator's tunnel up");
    }
    for (unsigned s = 0; s < 2; s++) {
        struct dp_esp_sa out = sa(0x5001, false, 1, REQID_OUT, "198.18.0.100", "198.18.2.2");
        uint64_t n, cycles;
        char name[64];

        if (dp_esp_sa_add(dp, &out)) {
            die("cannot add contoso's outbound SA");
        }
        for (unsigned i = 0; i < TEMPLATES; i++) {
            nvgre_frame(&nvgre[i], 5001, 1, "10.1.1.10", "172.16.1.10", sizes[s]);
        }
        make_esp_frames(esp, sizes[s]);
        memset(&w->stats, 0, sizeof w->stats);

        n = run(nvgre, TEMPLATES, PROVIDER, seconds, NULL, &cycles);
        snprintf(name, sizeof name, "esp_encrypt_gcm128_%u", sizes[s] == 46 ? 64 : sizes[s]);
        report(name, sizes[s], n, cycles);
        if (w->stats.counter[DP_esp_encrypted] != n || drops()) {
            printf("bench: %s: %llu of %llu packets encrypted, %llu dropped\n", name,
                   (unsigned long long)w->stats.counter[DP_esp_encrypted], (unsigned long long)n,
                   (unsigned long long)drops());
            status = 1;
        }
        memset(&w->stats, 0, sizeof w->stats);
        n = run(esp, ESP_FRAMES, EXTERNAL, seconds, reinstall_inbound, &cycles);
        snprintf(name, sizeof name, "esp_decrypt_gcm128_%u", sizes[s] == 46 ? 64 : sizes[s]);
        report(name, sizes[s], n, cycles);
        if (w->stats.counter[DP_esp_decrypted] != n || drops()) {
            printf("bench: %s: %llu of %llu packets decrypted, %llu dropped\n", name,
                   (unsigned long long)w->stats.counter[DP_esp_decrypted], (unsigned long long)n,
                   (unsigned long long)drops());
            status = 1;
        }
        dp_esp_sa_del(dp, 0x5001);
        dp_esp_sa_del(dp, 0x5002);
    }
    rte_eth_dev_stop(PROVIDER);
    rte_eth_dev_stop(EXTERNAL);
    dp_destroy(dp);
    return status;
}
