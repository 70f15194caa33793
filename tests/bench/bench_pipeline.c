/* Instructions per packet of the NVGRE hairpin, a figure machine noise cannot move.
 *
 * The real stage functions run on a device-less data plane (as in the unit tests), loaded with a
 * few thousand tenants and many lookup records and routes. Frames are copied into fresh mbufs
 * outside the measured function; run_burst() is the only code counted when this runs under
 * `valgrind --tool=callgrind --toggle-collect=run_burst` (tests/bench/run.sh does). Run natively,
 * it prints the packets it processed and checks that every one came out encapsulated.
 *
 * usage: bench_pipeline [TENANTS RECORDS ROUTES ITERATIONS] */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_ethdev.h>

#include "dataplane/dp_internal.h"

#define PROVIDER 0
#define N_FLOWS  1024

static const uint8_t PROV_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x01};
static const uint8_t PEER_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x02};
static const uint8_t GW1_MAC[6] = {0x02, 0, 0, 0, 0x01, 0x01};

/* The measured work: one burst through the provider path. Not inlined, so that callgrind can
 * toggle on it. */
__attribute__((noinline)) void run_burst(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n);

void
run_burst(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
    dp_provider_burst(w, pkts, n);
    dp_tx_flush(w);
}

static void
die(const char *what)
{
    fprintf(stderr, "bench_pipeline: %s\n", what);
    exit(1);
}

/* Writes the NVGRE frame of flow i (VSID 5001 -> a CA of VSID 5002) into buf; returns its length.
 */
static uint16_t
build_frame(uint8_t *buf, unsigned i, unsigned n_targets)
{
    struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
    uint8_t *gre = (uint8_t *)(ip + 1);
    struct rte_ether_hdr *ieth = (struct rte_ether_hdr *)(gre + 8);
    struct rte_ipv4_hdr *iip = (struct rte_ipv4_hdr *)(ieth + 1);
    uint8_t *udp = (uint8_t *)(iip + 1);
    uint32_t key = 5001u << 8 | (i & 0xff);

    memset(buf, 0, 102);
    memcpy(eth->dst_addr.addr_bytes, PROV_MAC, 6);
    memcpy(eth->src_addr.addr_bytes, PEER_MAC, 6);
    eth->ether_type = htons(RTE_ETHER_TYPE_IPV4);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = htons(102 - 14);
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_GRE;
    ip->src_addr = inet_addr("10.0.0.2");
    ip->dst_addr = inet_addr("10.0.0.1");
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    gre[0] = 0x20, gre[2] = 0x65, gre[3] = 0x58;
    gre[4] = key >> 24, gre[5] = key >> 16, gre[6] = key >> 8, gre[7] = key;
    memcpy(ieth->dst_addr.addr_bytes, GW1_MAC, 6);
    ieth->src_addr.addr_bytes[0] = 2, ieth->src_addr.addr_bytes[5] = (uint8_t)i;
    ieth->ether_type = htons(RTE_ETHER_TYPE_IPV4);
    iip->version_ihl = RTE_IPV4_VHL_DEF;
    iip->total_length = htons(46);
    iip->time_to_live = 64;
    iip->next_proto_id = IPPROTO_UDP;
    iip->src_addr = htonl(0x0a010002 + i % 60000);
    iip->dst_addr = htonl(0x0a020002 + (i * 7919) % n_targets);
    iip->hdr_checksum = rte_ipv4_cksum(iip);
    udp[0] = (uint8_t)(i >> 8), udp[1] = (uint8_t)i, udp[3] = 53, udp[5] = 26;
    return 102;
}

int
main(int argc, char **argv)
{
    static char *eal[] = {"bench",
                          "--no-huge",
                          "-m",
                          "2048",
                          "--no-pci",
                          "--no-shconf",
                          "-l",
                          "0-1",
                          "--log-level=lib.eal:error",
                          "--vdev=net_null0,no-rx=1",
                          NULL};
    unsigned tenants = argc > 1 ? (unsigned)atoi(argv[1]) : 4096;
    unsigned records = argc > 2 ? (unsigned)atoi(argv[2]) : 100000;
    unsigned routes = argc > 3 ? (unsigned)atoi(argv[3]) : 10000;
    unsigned iterations = argc > 4 ? (unsigned)atoi(argv[4]) : 200;
    unsigned n_targets = records < 60000 ? records : 60000;
    struct dp_params p = {.n_workers = 1,
                          .max_lookups = records + 1024,
                          .max_subnets = tenants + 16,
                          .max_routes = routes + 4 * tenants + 64,
                          .max_neighbors = 64,
                          .n_mbufs = 8192,
                          .icmp_rate = 100,
                          .arp_timeout_s = 300,
                          .n_pas = 1,
                          .gateway_role = true};
    static uint8_t frames[N_FLOWS][128];
    static uint16_t lens[N_FLOWS];
    char err[DP_ERR_MAX];
    struct dp *dp;
    struct dp_worker *w;
    struct dp_subnet sn;
    struct dp_lookup rec = {.pa = inet_addr("10.0.0.2"), .type = DP_LK_STATIC, .local_port = -1};
    struct dp_nexthop nh;
    uint64_t sent = 0, total = 0;

    p.pas[0] = inet_addr("10.0.0.1");
    if (dp_create(10, eal, &p, &dp, err)) {
        die(err);
    }
    w = &dp->workers[0];
    w->dp = dp;
    dp->ports[PROVIDER] = (struct dp_port){
        .conf = {.kind = DP_PORT_PROVIDER, .mtu = 1500, .ip = inet_addr("10.0.0.1"), .plen = 24},
        .port_id = PROVIDER,
        .mask = htonl(0xffffff00),
        .used = true};
    memcpy(dp->ports[PROVIDER].mac.addr_bytes, PROV_MAC, 6);
    dp->provider_port = PROVIDER;
    dp_neigh_set_static(dp, PROVIDER, inet_addr("10.0.0.2"), PEER_MAC);
    {
        /* Port 0 is a net_null device: what the pipeline transmits is freed by a real PMD. */
        struct rte_eth_conf conf;
        memset(&conf, 0, sizeof conf);
        if (rte_eth_dev_configure(PROVIDER, 1, 1, &conf) ||
            rte_eth_rx_queue_setup(PROVIDER, 0, 512, SOCKET_ID_ANY, NULL, dp->pool) ||
            rte_eth_tx_queue_setup(PROVIDER, 0, 512, SOCKET_ID_ANY, NULL) ||
            rte_eth_dev_start(PROVIDER)) {
            die("cannot start the net_null port");
        }
    }

    /* Tenant 1 hairpins 5001 -> 5002; tenants 2..N have one subnet each, the same CAs. */
    for (unsigned t = 1; t <= tenants; t++) {
        memset(&sn, 0, sizeof sn);
        sn.vsid = t == 1 ? 5001 : 10000 + t, sn.tenant = (uint16_t)t;
        sn.prefix = inet_addr("10.1.0.0"), sn.plen = 16, sn.gw_ip = inet_addr("10.1.0.1");
        memcpy(sn.gw_mac, GW1_MAC, 6);
        nh = (struct dp_nexthop){.type = DP_NH_CONNECTED, .vsid = sn.vsid};
        if (dp_subnet_set(dp, &sn) || dp_route_set(dp, (uint16_t)t, sn.prefix, 16, &nh)) {
            die("cannot load tenants");
        }
    }
    sn.vsid = 5002, sn.tenant = 1, sn.prefix = inet_addr("10.2.0.0"),
    sn.gw_ip = inet_addr("10.2.0.1");
    nh = (struct dp_nexthop){.type = DP_NH_CONNECTED, .vsid = 5002};
    if (dp_subnet_set(dp, &sn) || dp_route_set(dp, 1, sn.prefix, 16, &nh)) {
        die("cannot load the hairpin subnet");
    }
    for (unsigned i = 0; i < records; i++) {
        uint32_t vsid = i < n_targets ? 5002 : 10002 + i % (tenants > 1 ? tenants - 1 : 1);
        uint32_t ca = htonl((i < n_targets ? 0x0a020002 : 0x0a010002) + i % 60000);
        rec.mac[0] = 2, rec.mac[4] = (uint8_t)(i >> 8), rec.mac[5] = (uint8_t)i;
        if (dp_lookup_set(dp, vsid, ca, &rec) && i < n_targets) {
            die("cannot load lookup records");
        }
    }
    for (unsigned i = 0; i < routes; i++) {
        nh = (struct dp_nexthop){.type = DP_NH_CA, .vsid = 5002, .ip = htonl(0x0a020002 + i % 250)};
        if (dp_route_set(dp, 1, htonl(0x64400000 + (i << 8)), 24, &nh)) {
            die("cannot load routes");
        }
    }
    for (unsigned i = 0; i < N_FLOWS; i++) {
        lens[i] = build_frame(frames[i], i, n_targets);
    }

    for (unsigned it = 0; it < iterations; it++) {
        for (unsigned f = 0; f < N_FLOWS; f += DP_BURST) {
            struct rte_mbuf *pkts[DP_BURST];
            for (unsigned j = 0; j < DP_BURST; j++) {
                pkts[j] = rte_pktmbuf_alloc(dp->pool);
                if (!pkts[j]) {
                    die("out of mbufs");
                }
                memcpy(rte_pktmbuf_append(pkts[j], lens[f + j]), frames[f + j], lens[f + j]);
                pkts[j]->port = PROVIDER;
            }
            run_burst(w, pkts, DP_BURST);
            total += DP_BURST;
        }
    }
    sent = w->stats.counter[DP_encap_nvgre];
    printf("packets=%" PRIu64 " encapsulated=%" PRIu64 " tenants=%u records=%u routes=%u\n", total,
           sent, tenants, records, routes);
    rte_eth_dev_stop(PROVIDER);
    dp_destroy(dp);
    return sent == total ? 0 : 1;
}
