/* SPDX-License-Identifier: Apache-2.0 */
/* Instructions per packet of the NVGRE hairpin, a figure machine noise cannot move.
 *
 * The real stage functions run on a device-less data plane (as in the unit tests), loaded with a
 * few thousand tenants and many lookup records and routes. Frames are copied into fresh mbufs
 * outside the measured function; run_burst() is the only code counted when this runs under
 * `valgrind --tool=callgrind --toggle-collect=run_burst` (tests/bench/run.sh does). It prints the
 * packets it processed and checks that every one came out encapsulated.
 *
 * TRAFFIC "connected" (the default) sends the flows to CAs of the hairpin's target subnet, as the
 * nvgre_hairpin pcap does; "routes" sends each flow into a different one of the ROUTES routes
 * (100.64.x.0/24, next hop a CA of VSID 5002), which nothing else covers, so that a figure taken
 * "with routes" is one of traffic that matches them. After the measured bursts, one more pass of
 * every flow (not counted by callgrind) checks each frame the pipeline sends: the record's MAC of
 * the CA its route dictates; the "check:" line reports how many frames passed and how many went
 * through one of the ROUTES routes. Any failed check makes the exit status non-zero.
 *
 * usage: bench_pipeline [TENANTS RECORDS ROUTES ITERATIONS [connected|routes]]
 *        bench_pipeline tsc_hz     prints tsc_hz=<rte_get_tsc_hz()> for tests/bench/run.sh */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>

#include "dataplane/dp_internal.h"

#define PROVIDER    0
#define N_FLOWS     1024
#define ROUTE_BASE  0x64400000u /* 100.64.0.0: route i is ROUTE_BASE + (i << 8), a /24. */
#define TARGET_BASE 0x0a020002u /* 10.2.0.2: the CA of lookup record i (i < n_targets). */
#define ROUTE_NHS   250         /* Route i's next hop is the CA of record i % ROUTE_NHS. */

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

/* The work of run_burst() for the checking pass, under another name so that callgrind does not
 * count it; 'bursts' is counted so that the compiler cannot fold the two functions into one. */
__attribute__((noinline)) static void
check_burst(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n, uint64_t *bursts)
{
    dp_provider_burst(w, pkts, n);
    dp_tx_flush(w);
    ++*bursts;
}

/* What the checking pass saw leave the provider port. */
struct check {
    unsigned n_targets;  /* Lookup records of VSID 5002 (CAs TARGET_BASE + 0..n_targets-1). */
    unsigned routes;     /* Routes loaded (ROUTE_BASE + (i << 8), /24). */
    uint8_t *route_hit;  /* One byte per route: a frame went through it. */
    uint64_t bursts;     /* Bursts of the checking pass. */
    uint64_t frames;     /* Frames transmitted. */
    uint64_t verified;   /* Frames to the PA and VSID 5002 with the right record's MAC. */
    uint64_t via_routes; /* Verified frames whose destination only a loaded route covers. */
    uint64_t routes_hit; /* Distinct routes that carried a verified frame. */
};

/* Tx callback of the checking pass: verifies each NVGRE frame the pipeline sends against the
 * route (or connected subnet) its inner destination falls in; counts into the struct check at
 * 'arg'. The frames still go to the net_null device, which frees them. */
static uint16_t
check_tx(uint16_t port, uint16_t queue, struct rte_mbuf **pkts, uint16_t n, void *arg)
{
    struct check *c = arg;

    (void)port, (void)queue;
    for (uint16_t i = 0; i < n; i++) {
        const uint8_t *f = rte_pktmbuf_mtod(pkts[i], const uint8_t *);
        const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(f + 14);
        const uint8_t *gre = f + 14 + 20;
        const struct rte_ether_hdr *ieth = (const struct rte_ether_hdr *)(gre + 8);
        const struct rte_ipv4_hdr *iip = (const struct rte_ipv4_hdr *)(ieth + 1);
        uint32_t vsid = (uint32_t)gre[4] << 16 | (uint32_t)gre[5] << 8 | gre[6];
        uint32_t dst = ntohl(iip->dst_addr), route = 0, rec;
        bool routed = false;

        c->frames++;
        if (rte_pktmbuf_data_len(pkts[i]) < 14 + 20 + 8 + 14 + 20 ||
            ip->dst_addr != inet_addr("10.0.0.2") || ip->next_proto_id != IPPROTO_GRE ||
            vsid != 5002) {
            continue;
        }
        if (dst >= ROUTE_BASE && dst - ROUTE_BASE < (uint64_t)c->routes << 8) {
            route = (dst - ROUTE_BASE) >> 8;
            rec = route % ROUTE_NHS;
            routed = true;
        } else if (dst >= TARGET_BASE && dst - TARGET_BASE < c->n_targets) {
            rec = dst - TARGET_BASE;
        } else {
            continue;
        }
        const uint8_t want[6] = {2, 0, 0, 0, (uint8_t)(rec >> 8), (uint8_t)rec};
        if (memcmp(ieth->dst_addr.addr_bytes, want, 6)) {
            continue;
        }
        c->verified++;
        if (routed) {
            c->via_routes++;
            c->routes_hit += !c->route_hit[route];
            c->route_hit[route] = 1;
        }
    }
    return n;
}

static void
die(const char *what)
{
    fprintf(stderr, "bench_pipeline: %s\n", what);
    exit(1);
}

/* The inner destination of flow i: a CA of VSID 5002 or, with 'via_routes', an address in one of
 * the 'routes' routes, a different route for each flow while there are enough. */
static uint32_t
flow_dst(unsigned i, unsigned n_targets, unsigned routes, bool via_routes)
{
    if (via_routes) {
        unsigned r = (unsigned)((uint64_t)i * 7919 % routes);
        return ROUTE_BASE + (r << 8) + 1 + i % 253;
    }
    return TARGET_BASE + (i * 7919) % n_targets;
}

/* Writes the NVGRE frame of flow i (VSID 5001 -> 'dst', host order) into buf; returns its length.
 */
static uint16_t
build_frame(uint8_t *buf, unsigned i, uint32_t dst)
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
    iip->dst_addr = htonl(dst);
    iip->hdr_checksum = rte_ipv4_cksum(iip);
    udp[0] = (uint8_t)(i >> 8), udp[1] = (uint8_t)i, udp[3] = 53, udp[5] = 26;
    return 102;
}

/* Prints the TSC rate DPDK measured or read at start (what cycles per packet are computed from);
 * returns the exit status: 0 when DPDK has a rate. */
static int
print_tsc_hz(void)
{
    static char *eal[] = {"bench",
                          "--no-huge",
                          "-m",
                          "64",
                          "-l",
                          "0",
                          "--no-shconf",
                          "--no-pci",
                          "--log-level=lib.eal:error",
                          "--no-telemetry",
                          NULL};
    uint64_t hz;

    if (rte_eal_init(RTE_DIM(eal) - 1, eal) < 0) {
        die("cannot initialise DPDK");
    }
    hz = rte_get_tsc_hz();
    printf("tsc_hz=%" PRIu64 "\n", hz);
    rte_eal_cleanup();
    return hz ? 0 : 1;
}

/* Fills pkts with fresh mbufs holding frames f..f+DP_BURST-1, as a NIC's rx would leave them. */
static void
fill_burst(struct dp *dp, struct rte_mbuf **pkts, uint8_t (*frames)[128], const uint16_t *lens,
           unsigned f)
{
    for (unsigned j = 0; j < DP_BURST; j++) {
        pkts[j] = rte_pktmbuf_alloc(dp->pool);
        if (!pkts[j]) {
            die("out of mbufs");
        }
        memcpy(rte_pktmbuf_append(pkts[j], lens[f + j]), frames[f + j], lens[f + j]);
        pkts[j]->port = PROVIDER;
    }
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
    if (argc == 2 && !strcmp(argv[1], "tsc_hz")) {
        return print_tsc_hz();
    }
    unsigned tenants = argc > 1 ? (unsigned)atoi(argv[1]) : 4096;
    unsigned records = argc > 2 ? (unsigned)atoi(argv[2]) : 100000;
    unsigned routes = argc > 3 ? (unsigned)atoi(argv[3]) : 10000;
    unsigned iterations = argc > 4 ? (unsigned)atoi(argv[4]) : 200;
    bool via_routes = argc > 5 && !strcmp(argv[5], "routes");
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
    struct rte_mbuf *pkts[DP_BURST];
    struct check check = {.n_targets = n_targets, .routes = routes};
    uint64_t sent = 0, total = 0, want_hit = 0;
    uint8_t *hit;
    bool ok;

    if (argc > 5 && !via_routes && strcmp(argv[5], "connected")) {
        die("the traffic is \"connected\" or \"routes\"");
    }
    if (tenants < 1 || n_targets < ROUTE_NHS || (via_routes && !routes)) {
        die("needs a tenant, 250 records, and routes for \"routes\" traffic");
    }
    check.route_hit = calloc(routes ? routes : 1, 1);
    hit = calloc(routes ? routes : 1, 1);
    if (!check.route_hit || !hit) {
        die("out of memory");
    }
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
        uint32_t ca = htonl((i < n_targets ? TARGET_BASE : 0x0a010002) + i % 60000);
        rec.mac[0] = 2, rec.mac[4] = (uint8_t)(i >> 8), rec.mac[5] = (uint8_t)i;
        if (dp_lookup_set(dp, vsid, ca, &rec) && i < n_targets) {
            die("cannot load lookup records");
        }
    }
    for (unsigned i = 0; i < routes; i++) {
        nh = (struct dp_nexthop){
            .type = DP_NH_CA, .vsid = 5002, .ip = htonl(TARGET_BASE + i % ROUTE_NHS)};
        if (dp_route_set(dp, 1, htonl(ROUTE_BASE + (i << 8)), 24, &nh)) {
            die("cannot load routes");
        }
    }
    for (unsigned i = 0; i < N_FLOWS; i++) {
        uint32_t dst = flow_dst(i, n_targets, routes, via_routes);

        lens[i] = build_frame(frames[i], i, dst);
        if (via_routes) {
            want_hit += !hit[(dst - ROUTE_BASE) >> 8];
            hit[(dst - ROUTE_BASE) >> 8] = 1;
        }
    }

    for (unsigned it = 0; it < iterations; it++) {
        for (unsigned f = 0; f < N_FLOWS; f += DP_BURST) {
            fill_burst(dp, pkts, frames, lens, f);
            run_burst(w, pkts, DP_BURST);
            total += DP_BURST;
        }
    }
    sent = w->stats.counter[DP_encap_nvgre];
    printf("packets=%" PRIu64 " encapsulated=%" PRIu64 " tenants=%u records=%u routes=%u\n", total,
           sent, tenants, records, routes);

    /* The checking pass: every flow once more, each frame sent verified by check_tx(). */
    if (!rte_eth_add_tx_callback(PROVIDER, 0, check_tx, &check)) {
        die("cannot watch the net_null port");
    }
    for (unsigned f = 0; f < N_FLOWS; f += DP_BURST) {
        fill_burst(dp, pkts, frames, lens, f);
        check_burst(w, pkts, DP_BURST, &check.bursts);
    }
    printf("check: flows=%u frames=%" PRIu64 " verified=%" PRIu64 " via_routes=%" PRIu64
           " routes_hit=%" PRIu64 " traffic=%s\n",
           N_FLOWS, check.frames, check.verified, check.via_routes, check.routes_hit,
           via_routes ? "routes" : "connected");
    ok = sent == total && check.frames == N_FLOWS && check.verified == N_FLOWS &&
         check.via_routes == (via_routes ? N_FLOWS : 0) && check.routes_hit == want_hit;
    if (!ok) {
        fprintf(stderr, "bench_pipeline: not every packet was forwarded as its %s dictate\n",
                via_routes ? "routes" : "lookup records");
    }
    rte_eth_dev_stop(PROVIDER);
    dp_destroy(dp);
    free(check.route_hit);
    free(hit);
    return ok ? 0 : 1;
}
