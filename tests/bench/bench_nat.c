/* SPDX-License-Identifier: Apache-2.0 */
/* NAT44 on one worker with many live sessions: session setup rate, packet rate both ways, and
 * the memory a session costs.
 *
 * The real stage functions run on a device-less data plane, as in bench_pipeline.c and the NAT
 * unit tests, on the main lcore: no worker is launched. Ports 0 (provider) and 1 (external) are
 * net_null devices, so what the pipeline transmits is freed by a real PMD's tx burst, as a NIC's
 * tx completion would.
 *
 * Scale: 16 tenants, tenant t with VSID 5000 + t, inside prefix 10.t.0.0/16 and its own public
 * address 198.18.0.t (ports 1024-65535). Each tenant gets N/16 flows from 250 hosts x 250 ports,
 * every source port unique within the tenant (1024 + flow index), so every mapping keeps its
 * port; all go to 198.18.1.2:53 (beyond 64,512 flows per tenant the remote port grows, 53 + k, as
 * the public port space is exhausted). The NAT next hop is 10.99.0.2 behind the external port
 * 10.99.0.1/24; inside hosts sit behind PA 10.0.0.2.
 *
 * Frames are built once per tenant; for every burst, mbufs are allocated in bulk and the
 * template copied in with the flow's fields and checksums patched, as a NIC's rx would leave
 * them. That work is inside the measured cycles, with the pipeline, the tx flush and the NAT's
 * per-burst housekeeping (nat_worker_poll). Flows are visited in a random permutation, so that
 * table accesses miss the caches as they would with real traffic.
 *
 * Prints four lines:
 *   BENCH name=nat44_setup sessions=<n> sessions_per_s=<x> cycles_per_session=<y>
 *   BENCH name=nat44_in2out mpps=<x> cycles_per_pkt=<y> sessions=<n>
 *   BENCH name=nat44_out2in mpps=<x> cycles_per_pkt=<y> sessions=<n>
 *   BENCH name=nat44_memory sessions=<capacity> bytes_per_session=<b> gib_for_10m=<g>
 * and a "bench: ..." warning line for anything that went wrong (drops, sessions missing, ports
 * not preserved). Exits 1 after such a warning.
 *
 * usage: bench_nat [SESSIONS [PASSES [huge]]]
 *   default 1000000 sessions, 8 passes over them, on 4 KiB pages (--no-huge); "huge" runs on
 *   hugepages instead, as hnvgwd does. With BENCH_NAT_SYNC=1 in the environment, the session
 *   sync export of a pair is on (dp_nat_sync_enable()); its ring is drained between bursts, out
 *   of the measured cycles, as the control thread would. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>

#include <rte_ethdev.h>
#include <rte_udp.h>

#include "dataplane/dp_internal.h"
#include "tests/bench/bench_util.h"

#define PROVIDER     0
#define EXTERNAL     1
#define N_TENANTS    16
#define HOST_PORTS   250   /* Flows (source ports) per inside host. */
#define MAPPINGS_MAX 64512 /* Public ports 1024-65535 of one tenant's address. */
#define I2O_LEN      102   /* NVGRE: 42 bytes of outer headers + a 60-byte (64 with FCS) frame. */
#define O2I_LEN      60    /* Ethernet/IPv4/UDP, 64 bytes with FCS. */

static const uint8_t PROV_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x01};
static const uint8_t PEER_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x02};
static const uint8_t EXT_MAC[6] = {0x02, 0, 0x0a, 0x63, 0, 0x01};
static const uint8_t ROUTER_MAC[6] = {0x02, 0, 0x0a, 0x63, 0, 0x02};

/* One flow as the packet builder needs it, stored in visiting order so that it is read
 * sequentially. Addresses and ports in network order. */
struct bflow {
    uint32_t in_ip;    /* Inside host. */
    uint32_t pub_ip;   /* Its public address (known once the session exists). */
    uint16_t in_port;  /* Inside port. */
    uint16_t pub_port; /* Public port (likewise). */
    uint16_t rem_port; /* Remote port. */
    uint16_t tenant;   /* 1..N_TENANTS. */
};

/* A frame template with the flow's fields zero, and the ones'-complement sums (folded, not
 * inverted) of its IPv4 header and of its UDP checksum's coverage. */
struct tmpl {
    uint8_t frame[128];
    uint32_t ip_sum;
    uint32_t udp_sum;
};

static struct tmpl i2o_tmpl[N_TENANTS + 1]; /* NVGRE from tenant t's inside hosts. */
static struct tmpl o2i_tmpl[N_TENANTS + 1]; /* From the remote server to tenant t's address. */

static void
die(const char *what)
{
    fprintf(stderr, "bench_nat: %s\n", what);
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

static uint64_t
rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Folds a 32-bit ones'-complement sum to 16 bits. */
static inline uint16_t
fold(uint32_t s)
{
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

/* Fills in the IPv4 and UDP headers at 'ip' (the flow's fields zero) and their sums. */
static void
l3_fill(struct tmpl *t, struct rte_ipv4_hdr *ip, uint32_t src, uint32_t dst, uint16_t sport,
        uint16_t dport)
{
    struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);

    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = htons(46);
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_UDP;
    ip->src_addr = src;
    ip->dst_addr = dst;
    udp->src_port = sport;
    udp->dst_port = dport;
    udp->dgram_len = htons(26);
    for (unsigned i = 0; i < 18; i++) {
        ((uint8_t *)(udp + 1))[i] = (uint8_t)(i * 7);
    }
    t->ip_sum = rte_raw_cksum(ip, sizeof *ip);
    t->udp_sum = fold((uint32_t)rte_ipv4_phdr_cksum(ip, 0) + rte_raw_cksum(udp, 26));
}

static void
build_templates(void)
{
    for (unsigned t = 1; t <= N_TENANTS; t++) {
        uint8_t *b = i2o_tmpl[t].frame;
        struct rte_ether_hdr *eth = (struct rte_ether_hdr *)b;
        struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
        uint8_t *gre = (uint8_t *)(ip + 1);
        struct rte_ether_hdr *ieth = (struct rte_ether_hdr *)(gre + 8);
        uint32_t key = (5000u + t) << 8;

        memcpy(eth->dst_addr.addr_bytes, PROV_MAC, 6);
        memcpy(eth->src_addr.addr_bytes, PEER_MAC, 6);
        eth->ether_type = htons(RTE_ETHER_TYPE_IPV4);
        ip->version_ihl = RTE_IPV4_VHL_DEF;
        ip->total_length = htons(I2O_LEN - 14);
        ip->time_to_live = 64;
        ip->next_proto_id = IPPROTO_GRE;
        ip->src_addr = ip4("10.0.0.2");
        ip->dst_addr = ip4("10.0.0.1");
        ip->hdr_checksum = rte_ipv4_cksum(ip);
        gre[0] = 0x20, gre[2] = 0x65, gre[3] = 0x58;
        gre[4] = key >> 24, gre[5] = key >> 16, gre[6] = key >> 8, gre[7] = key;
        ieth->dst_addr.addr_bytes[0] = 0x02, ieth->dst_addr.addr_bytes[4] = (uint8_t)t;
        ieth->dst_addr.addr_bytes[5] = 1; /* The subnet's gateway MAC. */
        ieth->src_addr.addr_bytes[0] = 0x02, ieth->src_addr.addr_bytes[2] = (uint8_t)t;
        ieth->ether_type = htons(RTE_ETHER_TYPE_IPV4);
        l3_fill(&i2o_tmpl[t], (struct rte_ipv4_hdr *)(ieth + 1), 0, ip4("198.18.1.2"), 0, 0);

        b = o2i_tmpl[t].frame;
        eth = (struct rte_ether_hdr *)b;
        memcpy(eth->dst_addr.addr_bytes, EXT_MAC, 6);
        memcpy(eth->src_addr.addr_bytes, ROUTER_MAC, 6);
        eth->ether_type = htons(RTE_ETHER_TYPE_IPV4);
        l3_fill(&o2i_tmpl[t], (struct rte_ipv4_hdr *)(eth + 1), ip4("198.18.1.2"), 0, 0, 0);
    }
}

/* Writes flow f's inside-to-outside NVGRE frame into m. */
static inline void
fill_i2o(struct rte_mbuf *m, const struct bflow *f)
{
    const struct tmpl *t = &i2o_tmpl[f->tenant];
    uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + 42 + 14);
    struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
    uint32_t a = (f->in_ip & 0xffff) + (f->in_ip >> 16);
    uint16_t c;

    memcpy(d, t->frame, I2O_LEN);
    ip->src_addr = f->in_ip;
    ip->hdr_checksum = (uint16_t)~fold(t->ip_sum + a);
    udp->src_port = f->in_port;
    udp->dst_port = f->rem_port;
    c = (uint16_t)~fold(t->udp_sum + a + f->in_port + f->rem_port);
    udp->dgram_cksum = c ? c : 0xffff;
    m->data_len = I2O_LEN;
    m->pkt_len = I2O_LEN;
    m->port = PROVIDER;
}

/* Writes the remote server's reply to flow f (to its public endpoint) into m. */
static inline void
fill_o2i(struct rte_mbuf *m, const struct bflow *f)
{
    const struct tmpl *t = &o2i_tmpl[f->tenant];
    uint8_t *d = rte_pktmbuf_mtod(m, uint8_t *);
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(d + 14);
    struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
    uint32_t a = (f->pub_ip & 0xffff) + (f->pub_ip >> 16);
    uint16_t c;

    memcpy(d, t->frame, O2I_LEN);
    ip->dst_addr = f->pub_ip;
    ip->hdr_checksum = (uint16_t)~fold(t->ip_sum + a);
    udp->src_port = f->rem_port;
    udp->dst_port = f->pub_port;
    c = (uint16_t)~fold(t->udp_sum + a + f->pub_port + f->rem_port);
    udp->dgram_cksum = c ? c : 0xffff;
    m->data_len = O2I_LEN;
    m->pkt_len = O2I_LEN;
    m->port = EXTERNAL;
}

/* Checks the checksums fill_i2o() and fill_o2i() patch, on one flow. */
static void
check_fill(struct rte_mempool *pool, const struct bflow *f)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
    struct rte_ipv4_hdr *ip;

    if (!m) {
        die("out of mbufs");
    }
    for (int dir = 0; dir < 2; dir++) {
        if (dir == 0) {
            fill_i2o(m, f);
            ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 42 + 14);
        } else {
            fill_o2i(m, f);
            ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv4_hdr *, 14);
        }
        if (rte_ipv4_cksum(ip) != 0 || rte_ipv4_udptcp_cksum_verify(ip, ip + 1) != 0) {
            die("bad checksum in a built frame");
        }
    }
    rte_pktmbuf_free(m);
}

static uint64_t
drops(const struct dp_worker *w)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < DP_N_DROPS; i++) {
        n += w->stats.drop[i];
    }
    return n;
}

static void
count_log(const struct dp_nat_log *rec, void *aux)
{
    (void)rec;
    ++*(uint64_t *)aux;
}

/* One burst of flows [f, f + n), inside to outside or back: what a worker's loop does for one
 * rx burst. */
static inline void
run_burst(struct dp_worker *w, const struct bflow *f, unsigned n, bool in2out)
{
    struct rte_mbuf *pkts[DP_BURST];

    if (rte_pktmbuf_alloc_bulk(w->dp->pool, pkts, n) != 0) {
        die("out of mbufs");
    }
    if (in2out) {
        for (unsigned j = 0; j < n; j++) {
            fill_i2o(pkts[j], &f[j]);
        }
        dp_provider_burst(w, pkts, (uint16_t)n);
    } else {
        for (unsigned j = 0; j < n; j++) {
            fill_o2i(pkts[j], &f[j]);
        }
        dp_external_burst(w, pkts, (uint16_t)n); /* As the worker does for an external port. */
    }
    dp_tx_flush(w);
    nat_worker_poll(w);
}

/* Sends every flow of 'flows' once per pass; returns the TSC cycles it took. Not inlined, so
 * that callgrind can toggle on it. */
__attribute__((noinline)) static uint64_t
run_passes(struct dp_worker *w, const struct bflow *flows, size_t n, unsigned passes, bool in2out)
{
    uint64_t t0 = rte_rdtsc();

    for (unsigned p = 0; p < passes; p++) {
        for (size_t i = 0; i < n; i += DP_BURST) {
            run_burst(w, &flows[i], n - i < DP_BURST ? (unsigned)(n - i) : DP_BURST, in2out);
        }
    }
    return rte_rdtsc() - t0;
}

int
main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000;
    unsigned passes = argc > 2 ? (unsigned)atoi(argv[2]) : 8;
    bool huge = argc > 3 && !strcmp(argv[3], "huge");
    uint32_t per_tenant = (n + N_TENANTS - 1) / N_TENANTS;
    uint32_t n_map = per_tenant < MAPPINGS_MAX ? per_tenant : MAPPINGS_MAX;
    uint32_t n_hosts = (n_map + HOST_PORTS - 1) / HOST_PORTS;
    /* The heap: about 400 bytes per session of capacity, 64 MiB of FIB, buffers; generously. */
    char mem[32];
    /* 4 KiB pages by default, as bench_pipeline; "huge" swaps "--no-huge -m <mem>" for
     * "--in-memory" (hugepages, as hnvgwd runs). */
    char *eal[] = {"bench_nat",
                   "--no-huge",
                   "-m",
                   mem,
                   "--no-pci",
                   "--no-shconf",
                   "-l",
                   "0-1",
                   "--log-level=lib.eal:error",
                   "--log-level=user1:warning",
                   "--no-telemetry",
                   "--vdev=net_null0,no-rx=1",
                   "--vdev=net_null1,no-rx=1",
                   NULL};
    struct dp_params p = {.n_workers = 1,
                          .max_lookups = N_TENANTS * n_hosts + 1024,
                          .max_subnets = 64,
                          .max_routes = 1024,
                          .max_neighbors = 64,
                          .n_mbufs = 8192,
                          .icmp_rate = 100,
                          .arp_timeout_s = 300,
                          .n_pas = 1,
                          .gateway_role = true,
                          .max_nat_sessions = n + n / 8,
                          .nat_port_block = 64};
    char err[DP_ERR_MAX];
    struct dp *dp;
    struct dp_worker *w;
    struct bflow *flows;
    uint64_t seed = 0x9e3779b97f4a7c15ull, hz, cycles, d0, c0, logged = 0, exported = 0;
    struct dp_nat_sync_rec recs[DP_BURST * 2];
    size_t got;
    bool sync;
    size_t heap0;
    double bytes;
    int bad = 0;

    if (!n || !passes) {
        die("usage: bench_nat [SESSIONS [PASSES [huge]]]");
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    snprintf(mem, sizeof mem, "%u", 1024 + (unsigned)((uint64_t)n * 1024 / (1 << 20)));
    if (huge) {
        eal[2] = "bench_nat", eal[3] = "--in-memory";
    }
    p.pas[0] = ip4("10.0.0.1");
    if (dp_create(huge ? 11 : 13, huge ? eal + 2 : eal, &p, &dp, err)) {
        die(err);
    }
    hz = rte_get_tsc_hz();
    w = &dp->workers[0];
    w->dp = dp;
    w->icmp_tokens = 100;
    bench_add_port(dp, PROVIDER, DP_PORT_PROVIDER, PROV_MAC, ip4("10.0.0.1"), 1500);
    bench_add_port(dp, EXTERNAL, DP_PORT_EXTERNAL, EXT_MAC, ip4("10.99.0.1"), 1500);
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

    for (unsigned t = 1; t <= N_TENANTS; t++) {
        struct dp_subnet sn = {.vsid = 5000 + t, .tenant = (uint16_t)t, .plen = 16};
        struct dp_nexthop nh = {.type = DP_NH_CONNECTED, .vsid = sn.vsid};
        struct dp_nat_conf c = {.tenant = (uint16_t)t,
                                .n_public = 1,
                                .port_min = 1024,
                                .port_max = 65535,
                                .n_inside = 1,
                                .max_sessions = per_tenant + per_tenant / 4 + 64,
                                .max_ports = n_map + n_map / 4 + 64,
                                .timeout_s = {7440, 240, 3600, 60},
                                .log = DP_NAT_LOG_MAPPINGS};

        sn.prefix = htonl(0x0a000000 | t << 16);
        sn.gw_ip = sn.prefix | htonl(1);
        sn.gw_mac[0] = 0x02, sn.gw_mac[4] = (uint8_t)t, sn.gw_mac[5] = 1;
        if (dp_subnet_set(dp, &sn) || dp_route_set(dp, (uint16_t)t, sn.prefix, 16, &nh)) {
            die("cannot load tenants");
        }
        nh = (struct dp_nexthop){.type = DP_NH_NAT, .ip = ip4("10.99.0.2")};
        if (dp_route_set(dp, (uint16_t)t, 0, 0, &nh)) {
            die("cannot route to the NAT");
        }
        c.public_ips[0] = htonl(0xc6120000 | t); /* 198.18.0.t */
        c.inside_prefix[0] = sn.prefix, c.inside_plen[0] = 16;
        nh = (struct dp_nexthop){.type = DP_NH_NAT_PUBLIC};
        if (dp_nat_tenant_set(dp, &c) || dp_route_set(dp, 0, c.public_ips[0], 32, &nh)) {
            die("cannot set the tenant's NAT");
        }
        /* Lookup records of the inside hosts: out2in delivers to them. */
        for (uint32_t h = 0; h < n_hosts; h++) {
            struct dp_lookup rec = {.pa = ip4("10.0.0.2"), .type = DP_LK_STATIC, .local_port = -1};
            rec.mac[0] = 0x02, rec.mac[2] = (uint8_t)t, rec.mac[3] = (uint8_t)(h >> 8);
            rec.mac[4] = (uint8_t)h;
            if (dp_lookup_set(dp, sn.vsid,
                              htonl(0x0a000000 | t << 16 | (h / 250) << 8 | (h % 250 + 2)), &rec)) {
                die("cannot load lookup records");
            }
        }
    }
    heap0 = dp_heap_used();
    if (nat_start(dp)) {
        die("cannot create the NAT tables");
    }
    bytes = (double)(dp_heap_used() - heap0) / w->nat->capacity;
    sync = getenv("BENCH_NAT_SYNC") && !strcmp(getenv("BENCH_NAT_SYNC"), "1");
    if (sync && dp_nat_sync_enable(dp)) {
        die("cannot enable the NAT session sync");
    }

    /* The flows in a random order: flow i is tenant i % 16 + 1's flow j = i / 16, from host
     * m / 250 and port 1024 + m, m = j % n_map. */
    flows = malloc(sizeof *flows * n);
    uint32_t *perm = malloc(sizeof *perm * n);
    if (!flows || !perm) {
        die("out of memory");
    }
    for (uint32_t i = 0; i < n; i++) {
        perm[i] = i;
    }
    for (uint32_t i = n - 1; i > 0; i--) {
        uint32_t k = (uint32_t)(rnd(&seed) % (i + 1)), tmp = perm[i];
        perm[i] = perm[k], perm[k] = tmp;
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t f = perm[i], t = f % N_TENANTS + 1, j = f / N_TENANTS, m = j % n_map;
        uint32_t h = m / HOST_PORTS;

        flows[i] =
            (struct bflow){.in_ip = htonl(0x0a000000 | t << 16 | (h / 250) << 8 | (h % 250 + 2)),
                           .in_port = htons((uint16_t)(1024 + m)),
                           .rem_port = htons((uint16_t)(53 + j / n_map)),
                           .tenant = (uint16_t)t};
    }
    free(perm);
    build_templates();
    flows[0].pub_ip = htonl(0xc6120001), flows[0].pub_port = htons(4242);
    check_fill(dp->pool, &flows[0]);

    /* 1. Session setup: the first packet of every flow. The mapping log is drained between
     *    bursts, out of the measured cycles, as the control thread would. */
    d0 = drops(w);
    cycles = 0;
    for (size_t i = 0; i < n; i += DP_BURST) {
        uint64_t t0 = rte_rdtsc();
        run_burst(w, &flows[i], n - i < DP_BURST ? (unsigned)(n - i) : DP_BURST, true);
        cycles += rte_rdtsc() - t0;
        if (rte_ring_count(dp->nat->log) > NAT_LOG_Q / 2) {
            dp_nat_log_drain(dp, count_log, &logged);
        }
        while (sync && (got = dp_nat_sync_drain(dp, recs, DP_BURST * 2)) > 0) {
            exported += got;
        }
    }
    dp_nat_log_drain(dp, count_log, &logged);
    printf("BENCH name=nat44_setup sessions=%u sessions_per_s=%.0f cycles_per_session=%.1f\n", n,
           (double)n * (double)hz / (double)cycles, (double)cycles / n);
    if (drops(w) != d0) {
        printf("bench: %" PRIu64 " drops\n", drops(w) - d0);
        bad = 1;
    }
    if (w->stats.counter[DP_nat_sessions_created] != n) {
        printf("bench: %" PRIu64 " sessions created, %u expected\n",
               w->stats.counter[DP_nat_sessions_created], n);
        bad = 1;
    }
    if (sync && exported != n) {
        printf("bench: %" PRIu64 " sessions exported for sync, %u expected\n", exported, n);
        bad = 1;
    }
    if (w->stats.counter[DP_nat_port_preserved] != w->stats.counter[DP_nat_mappings_created]) {
        printf("bench: nat.port_preserved=%" PRIu64 " of %" PRIu64 " mappings\n",
               w->stats.counter[DP_nat_port_preserved], w->stats.counter[DP_nat_mappings_created]);
        bad = 1;
    }

    /* The public endpoint of every flow, for the return traffic. */
    for (uint32_t i = 0; i < n; i++) {
        struct nat_key_in k = {.tenant = flows[i].tenant,
                               .proto = IPPROTO_UDP,
                               .in_ip = flows[i].in_ip,
                               .rem_ip = ip4("198.18.1.2"),
                               .in_port = flows[i].in_port,
                               .rem_port = flows[i].rem_port};
        const struct nat_session *s = nat_find_in(w->nat, &k);
        if (!s) {
            die("a flow has no session");
        }
        flows[i].pub_ip = s->pub_ip;
        flows[i].pub_port = s->pub_port;
    }

    /* 2. and 3. Both directions over the live sessions. */
    for (int dir = 0; dir < 2; dir++) {
        uint64_t tx0 = w->stats.counter[DP_tx_sent], pkts = (uint64_t)n * passes;
        double cpp;

        d0 = drops(w);
        c0 = w->stats.counter[DP_nat_sessions_created];
        cycles = run_passes(w, flows, n, passes, dir == 0);
        cpp = (double)cycles / (double)pkts;
        printf("BENCH name=nat44_%s mpps=%.2f cycles_per_pkt=%.1f sessions=%u\n",
               dir == 0 ? "in2out" : "out2in", (double)hz / cpp / 1e6, cpp, n);
        if (drops(w) != d0 || w->stats.counter[DP_tx_sent] - tx0 != pkts ||
            w->stats.counter[DP_nat_sessions_created] != c0) {
            printf("bench: %" PRIu64 " drops, %" PRIu64 " of %" PRIu64 " sent, %" PRIu64
                   " new sessions\n",
                   drops(w) - d0, w->stats.counter[DP_tx_sent] - tx0, pkts,
                   w->stats.counter[DP_nat_sessions_created] - c0);
            bad = 1;
        }
    }

    /* 4. Memory: the heap nat_start() took, over the sessions it can hold. */
    printf("BENCH name=nat44_memory sessions=%u bytes_per_session=%.0f gib_for_10m=%.2f\n",
           w->nat->capacity, bytes, bytes * 1e7 / (1 << 30));

    free(flows);
    rte_eth_dev_stop(PROVIDER);
    rte_eth_dev_stop(EXTERNAL);
    dp_destroy(dp);
    return bad;
}
