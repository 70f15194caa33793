/* SPDX-License-Identifier: Apache-2.0 */
/* Policy-store changes at scale, while traffic flows: what a controller's stream of moves costs.
 *
 * A device-less data plane (as bench_pipeline) is loaded the way hnvgwd loads it: a config with
 * one tenant, a source subnet (VSID 5001) and enough target subnets (VSID 5002 onward, 62,500 CAs
 * each) for RECORDS lookup records read from a lookup_records_file, applied by the policy store
 * (gateway/store.h) on a RIB. A second EAL lcore then runs the real provider path on worker 0, as
 * a worker does (RCU-registered, quiescent after each burst): NVGRE frames from VSID 5001 routed to
 * CAs among the records the main lcore is moving. Meanwhile the main lcore makes:
 *   (a) SINGLES moves, each its own store_lookup_set() of an existing (VSID, CA) to a new PA and
 *       MAC, timed one by one with the TSC;
 *   (b) one batch of BATCH moves between store_begin() and store_commit().
 * Moves pick records at random (fixed seed). Every packet must come out encapsulated (a move is one
 * update, so no packet may meet a missing record), and afterwards every record must read back
 * what it was last moved to, from the store and from the data plane's own table. Prints
 *   BENCH name=policy_update records=<n> usec_per_change=<mean> changes_per_s=<y> p99_usec=<p99>
 *   BENCH name=policy_update_traffic mpps=<during changes> mpps_singles=<> mpps_batch=<>
 *         mpps_idle=<before any change> packets=<n>
 * and exits 1 on any wrong result or a figure it could not measure.
 *
 * usage: bench_policy [RECORDS [SINGLES [BATCH [huge]]]]
 *   default 1000000 records, 10000 single moves, a batch of 100000; 4 KiB pages (--no-huge)
 *   unless "huge" (hugepages, --in-memory, as hnvgwd runs). */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "dataplane/dp_internal.h"
#include "gateway/config.h"
#include "gateway/policy.h"
#include "gateway/store.h"
#include "routing/rib.h"
#include "tests/bench/bench_util.h"

#define PROVIDER   0
#define N_PAS      16    /* Remote PAs the records move between: 10.0.0.2 onward. */
#define PER_SUBNET 62500 /* Records per target subnet (a /16). */
#define MAX_SUBNET 200   /* Target subnets: 10.16.0.0/16 .. 10.215.0.0/16. */
#define N_FRAMES   4096  /* Traffic templates: half to single-move targets, half to batch ones. */
#define FRAME_LEN  102

static const uint8_t PROV_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x01};
static const uint8_t PEER_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x02};
static const uint8_t SRC_GW_MAC[6] = {0x02, 0, 0, 0, 0x01, 0x01};

/* What the traffic lcore works on and reports. */
struct traffic {
    struct dp_worker *w;                 /* Worker 0's state, driven as worker_main does. */
    uint8_t frames[N_FRAMES][FRAME_LEN]; /* NVGRE frames to copy into each burst. */
    volatile bool stop;                  /* Set by the main lcore to end the run. */
    uint64_t packets;                    /* Packets pushed so far (atomic, relaxed). */
    int failed;                          /* Non-zero: out of mbufs. */
};

static void
die(const char *what)
{
    fprintf(stderr, "bench_policy: %s\n", what);
    exit(1);
}

/* Something could not be measured: the one line run.sh reports, and a failure. */
static void
cannot(const char *why)
{
    printf("bench: policy_update could not measure: %s\n", why);
    exit(1);
}

/* The directory of the generated config and records, removed at exit. */
static char tmp_dir[] = "/tmp/hnvgw-bench-policy-XXXXXX";

static void
remove_files(void)
{
    char path[sizeof tmp_dir + 32];

    snprintf(path, sizeof path, "%s/records.tsv", tmp_dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/bench.conf", tmp_dir);
    unlink(path);
    rmdir(tmp_dir);
}

static uint32_t
ip4(const char *s)
{
    return inet_addr(s);
}

static uint64_t
rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* The (VSID, CA) of record 'i', CA in network order. */
static uint32_t
rec_vsid(uint32_t i)
{
    return 5002 + i / PER_SUBNET;
}

static uint32_t
rec_ca(uint32_t i)
{
    uint32_t h = i % PER_SUBNET + 2; /* .0.2 onward: never the network or gateway address. */
    return htonl(0x0a000000u | (16 + i / PER_SUBNET) << 16 | h);
}

static uint32_t
pa_of(unsigned idx)
{
    return htonl(0x0a000002u + idx);
}

/* The MAC of record 'i' after 'gen' moves. */
static void
mac_of(uint32_t i, uint8_t gen, uint8_t mac[6])
{
    mac[0] = 0x02, mac[1] = gen, mac[2] = (uint8_t)(i >> 16), mac[3] = (uint8_t)(i >> 8);
    mac[4] = (uint8_t)i, mac[5] = 0x01;
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Writes the config and its bulk file of 'n' records into 'dir'; returns the config's path. */
static void
write_config(const char *dir, uint32_t n, char *conf, size_t len)
{
    unsigned n_subnets = (n + PER_SUBNET - 1) / PER_SUBNET;
    char recs[512];
    FILE *f;

    snprintf(recs, sizeof recs, "%s/records.tsv", dir);
    snprintf(conf, len, "%s/bench.conf", dir);
    if (!(f = fopen(recs, "w"))) {
        die("cannot write the records file");
    }
    for (uint32_t i = 0; i < n; i++) {
        uint32_t ca = ntohl(rec_ca(i)), pa = ntohl(pa_of(i % N_PAS));
        uint8_t m[6];
        mac_of(i, 0, m);
        fprintf(f, "%u %u.%u.%u.%u %u.%u.%u.%u %02x:%02x:%02x:%02x:%02x:%02x encap static\n",
                rec_vsid(i), ca >> 24, ca >> 16 & 0xff, ca >> 8 & 0xff, ca & 0xff, pa >> 24,
                pa >> 16 & 0xff, pa >> 8 & 0xff, pa & 0xff, m[0], m[1], m[2], m[3], m[4], m[5]);
    }
    if (fclose(f)) {
        die("cannot write the records file");
    }
    if (!(f = fopen(conf, "w"))) {
        die("cannot write the config");
    }
    fprintf(
        f,
        "node { name = \"bench\" roles = {\"gateway\"} provider_addresses = {\"10.0.0.1\"}\n"
        "  max_lookup_records = %u max_subnets = 1024 mbufs = 8192 }\n"
        "port \"pa0\" { kind = \"provider\" devargs = \"net_null0\" mac = \"02:00:0a:00:00:01\" "
        "address = \"10.0.0.1/24\" }\n"
        "tenant \"bench\" {\n  id = 1\n"
        "  subnet \"src\" { vsid = 5001 prefix = \"10.1.0.0/16\" gateway_ip = \"10.1.0.1\" "
        "gateway_mac = \"02:00:00:00:01:01\" }\n",
        n + n / 8 + 1024);
    for (unsigned s = 0; s < n_subnets; s++) {
        fprintf(f,
                "  subnet \"d%u\" { vsid = %u prefix = \"10.%u.0.0/16\" gateway_ip = \"10.%u.0.1\" "
                "gateway_mac = \"02:00:00:00:02:%02x\" }\n",
                s, 5002 + s, 16 + s, 16 + s, s);
    }
    fprintf(f, "}\nlookup_records_file = \"%s\"\n", recs);
    if (fclose(f)) {
        die("cannot write the config");
    }
}

/* Writes the NVGRE frame of flow 'i' into 'buf': VSID 5001 to the gateway, routed to record
 * 'target' (a CA of its target subnet). */
static void
build_frame(uint8_t *buf, unsigned i, uint32_t target)
{
    struct rte_ether_hdr *eth = (struct rte_ether_hdr *)buf;
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
    uint8_t *gre = (uint8_t *)(ip + 1);
    struct rte_ether_hdr *ieth = (struct rte_ether_hdr *)(gre + 8);
    struct rte_ipv4_hdr *iip = (struct rte_ipv4_hdr *)(ieth + 1);
    uint8_t *udp = (uint8_t *)(iip + 1);
    uint32_t key = 5001u << 8 | (i & 0xff);

    memset(buf, 0, FRAME_LEN);
    memcpy(eth->dst_addr.addr_bytes, PROV_MAC, 6);
    memcpy(eth->src_addr.addr_bytes, PEER_MAC, 6);
    eth->ether_type = htons(RTE_ETHER_TYPE_IPV4);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = htons(FRAME_LEN - 14);
    ip->time_to_live = 64;
    ip->next_proto_id = IPPROTO_GRE;
    ip->src_addr = ip4("10.0.0.2");
    ip->dst_addr = ip4("10.0.0.1");
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    gre[0] = 0x20, gre[2] = 0x65, gre[3] = 0x58;
    gre[4] = key >> 24, gre[5] = key >> 16, gre[6] = key >> 8, gre[7] = key;
    memcpy(ieth->dst_addr.addr_bytes, SRC_GW_MAC, 6);
    ieth->src_addr.addr_bytes[0] = 2, ieth->src_addr.addr_bytes[4] = (uint8_t)(i >> 8);
    ieth->src_addr.addr_bytes[5] = (uint8_t)i;
    ieth->ether_type = htons(RTE_ETHER_TYPE_IPV4);
    iip->version_ihl = RTE_IPV4_VHL_DEF;
    iip->total_length = htons(FRAME_LEN - 14 - 20 - 8 - 14);
    iip->time_to_live = 64;
    iip->next_proto_id = IPPROTO_UDP;
    iip->src_addr = htonl(0x0a010002u + i % 60000);
    iip->dst_addr = rec_ca(target);
    iip->hdr_checksum = rte_ipv4_cksum(iip);
    udp[0] = (uint8_t)(i >> 8), udp[1] = (uint8_t)i, udp[3] = 53, udp[5] = 26;
}

/* The traffic lcore: bursts of the templates through dp_provider_burst() and out to the
 * net_null port, quiescent after each burst, as worker_main() runs them. */
static int
traffic_main(void *arg)
{
    struct traffic *t = arg;
    struct dp_worker *w = t->w;
    struct dp *dp = w->dp;
    unsigned f = 0;

    rte_rcu_qsbr_thread_register(dp->qsbr, w->id);
    rte_rcu_qsbr_thread_online(dp->qsbr, w->id);
    while (!t->stop) {
        struct rte_mbuf *pkts[DP_BURST];

        if (rte_pktmbuf_alloc_bulk(dp->pool, pkts, DP_BURST)) {
            t->failed = 1;
            break;
        }
        for (unsigned j = 0; j < DP_BURST; j++, f = (f + 1) % N_FRAMES) {
            memcpy(rte_pktmbuf_append(pkts[j], FRAME_LEN), t->frames[f], FRAME_LEN);
            pkts[j]->port = PROVIDER;
        }
        dp_provider_burst(w, pkts, DP_BURST);
        dp_tx_flush(w);
        rte_rcu_qsbr_quiescent(dp->qsbr, w->id);
        __atomic_fetch_add(&t->packets, DP_BURST, __ATOMIC_RELAXED);
    }
    rte_rcu_qsbr_thread_offline(dp->qsbr, w->id);
    rte_rcu_qsbr_thread_unregister(dp->qsbr, w->id);
    return 0;
}

/* Packets the traffic lcore has pushed, and when (TSC). */
static void
sample(struct traffic *t, uint64_t *pkts, uint64_t *tsc)
{
    *tsc = rte_rdtsc();
    *pkts = __atomic_load_n(&t->packets, __ATOMIC_RELAXED);
}

static double
mpps(uint64_t p0, uint64_t t0, uint64_t p1, uint64_t t1, uint64_t hz)
{
    return t1 > t0 ? (double)(p1 - p0) * hz / (t1 - t0) / 1e6 : 0;
}

/* The records, as the bench last moved them. */
struct expect {
    uint8_t *pa;  /* PA index per record. */
    uint8_t *gen; /* Moves per record (its MAC's second byte). */
    bool *moved;  /* Moved at least once (then its origin is the controller). */
};

/* Writes into 'rec' the move of record 'i' to another PA and a new MAC, and expects it. */
static void
plan_move(struct expect *x, uint32_t i, uint64_t *seed, struct config_lookup *rec)
{
    memset(rec, 0, sizeof *rec);
    x->pa[i] = (uint8_t)((x->pa[i] + 1 + rnd(seed) % (N_PAS - 1)) % N_PAS);
    x->gen[i]++;
    x->moved[i] = true;
    rec->vsid = rec_vsid(i);
    rec->ca = hnvgw_ip4(rec_ca(i));
    rec->pa = hnvgw_ip4(pa_of(x->pa[i]));
    mac_of(i, x->gen[i], rec->mac.b);
    rec->rule = CONFIG_RULE_ENCAP;
    rec->type = CONFIG_TYPE_STATIC;
}

static int
cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Every record, from the store and from the data plane's table, against what the bench last set.
 * Returns the number of wrong ones (the first few are printed). */
static uint32_t
verify(struct store *st, struct dp *dp, const struct expect *x, uint32_t n)
{
    uint32_t bad = 0;

    for (uint32_t i = 0; i < n; i++) {
        struct config_lookup got;
        enum store_origin origin;
        const struct dp_lookup *v = dp_lookup_find(dp, rec_vsid(i), rec_ca(i));
        uint8_t mac[6];
        bool ok;

        mac_of(i, x->gen[i], mac);
        ok = store_lookup_get(st, rec_vsid(i), rec_ca(i), &got, &origin) &&
             got.pa.v4 == pa_of(x->pa[i]) && !memcmp(got.mac.b, mac, 6) &&
             origin == (x->moved[i] ? STORE_ORIGIN_CONTROLLER : STORE_ORIGIN_FILE) && v &&
             v->pa == pa_of(x->pa[i]) && !memcmp(v->mac, mac, 6) && v->type == DP_LK_STATIC &&
             v->local_port == -1;
        if (!ok && bad++ < 5) {
            fprintf(stderr, "bench_policy: record %u (vsid %u) reads back wrong: store %s, dp %s\n",
                    i, rec_vsid(i),
                    store_lookup_get(st, rec_vsid(i), rec_ca(i), &got, NULL) ? "has it"
                                                                             : "lacks it",
                    v ? "has it" : "lacks it");
        }
    }
    return bad;
}

int
main(int argc, char **argv)
{
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 1000000;
    uint32_t singles = argc > 2 ? (uint32_t)strtoul(argv[2], NULL, 10) : 10000;
    uint32_t batch = argc > 3 ? (uint32_t)strtoul(argv[3], NULL, 10) : 100000;
    bool huge = argc > 4 && !strcmp(argv[4], "huge");
    char mem[32];
    /* 4 KiB pages by default, as bench_nat; "huge" swaps "--no-huge -m <mem>" for
     * "--in-memory". */
    char *eal[] = {"bench_policy",
                   "--no-huge",
                   "-m",
                   mem,
                   "--no-pci",
                   "--no-shconf",
                   "-l",
                   "0-1",
                   "--log-level=lib.eal:error",
                   "--no-telemetry",
                   "--vdev=net_null0,no-rx=1",
                   NULL};
    char conf[512], err[CONFIG_ERR_MAX];
    struct hnvgw_config *cfg = NULL;
    struct dp_params p;
    struct dp *dp;
    struct rib *rib;
    struct store *st;
    struct traffic *t;
    struct expect x;
    uint64_t *cycles, seed = 0x9e3779b97f4a7c15ull, hz, sum = 0;
    uint32_t *targets;
    struct config_lookup *moves;
    uint64_t p0, c0, p1, c1, p2, c2, p3, c3;
    double l0, l1, l2, us_mean, us_p99, per_s, mp_idle, mp_single, mp_batch, mp_all;
    struct dp_stats stats;
    uint64_t drops = 0;
    int status = 0;
    unsigned lcore;

    if (!n || n > (uint32_t)PER_SUBNET * MAX_SUBNET || !singles || !batch) {
        die("usage: bench_policy [RECORDS (1..12500000) [SINGLES [BATCH [huge]]]]");
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!mkdtemp(tmp_dir)) {
        die("cannot create a directory in /tmp");
    }
    atexit(remove_files);
    write_config(tmp_dir, n, conf, sizeof conf);
    l0 = now_s();
    if (config_load(conf, &cfg, err)) {
        die(err);
    }
    l1 = now_s();
    remove_files(); /* Parsed: the records now live in 'cfg'. */

    /* As hnvgwd sizes it, on two lcores: this one (control) and one worker. */
    policy_dp_params(cfg, &p);
    p.max_neighbors = 64;
    snprintf(mem, sizeof mem, "%u", 1024 + (unsigned)((uint64_t)n * 1024 / (1 << 20)));
    if (huge) {
        eal[2] = "bench_policy", eal[3] = "--in-memory";
    }
    if (dp_create(huge ? 9 : 11, huge ? eal + 2 : eal, &p, &dp, err)) {
        die(err);
    }
    hz = rte_get_tsc_hz();
    bench_add_port(dp, PROVIDER, DP_PORT_PROVIDER, PROV_MAC, ip4("10.0.0.1"), 1500);
    dp->provider_port = PROVIDER;
    if (!bench_start_null_port(dp, PROVIDER)) {
        die("cannot start the net_null port");
    }
    for (unsigned i = 0; i < N_PAS; i++) {
        uint8_t mac[6] = {0x02, 0, 0x0a, 0, 1, (uint8_t)i};
        if (dp_neigh_set_static(dp, PROVIDER, pa_of(i), mac)) {
            die("cannot add the PAs' neighbors");
        }
    }
    rib = rib_create(dp, cfg->max_routes * 2);
    st = rib ? store_create(dp, rib, cfg->max_lookups) : NULL;
    if (!st) {
        die("out of memory for the policy store");
    }
    policy_external_networks(cfg, rib);
    l2 = now_s();
    if (store_apply_config(st, cfg, err)) {
        die(err);
    }
    if (store_lookup_count(st) != n) {
        cannot("the store does not hold every record of the file");
    }
    printf("bench_policy: %u records: config_load %.2f s, store_apply_config %.2f s\n", n, l1 - l0,
           now_s() - l2);

    /* The moves, chosen up front so that the traffic can aim at them. */
    x.pa = malloc(n);
    x.gen = calloc(n, 1);
    x.moved = calloc(n, sizeof *x.moved);
    targets = malloc(((size_t)singles + batch) * sizeof *targets);
    moves = malloc(((size_t)singles + batch) * sizeof *moves);
    cycles = malloc(singles * sizeof *cycles);
    t = rte_zmalloc("bench_traffic", sizeof *t, 64);
    if (!x.pa || !x.gen || !x.moved || !targets || !moves || !cycles || !t) {
        die("out of memory");
    }
    for (uint32_t i = 0; i < n; i++) {
        x.pa[i] = (uint8_t)(i % N_PAS);
    }
    /* Built before the clock starts: only the store is timed. */
    for (uint32_t i = 0; i < singles + batch; i++) {
        targets[i] = (uint32_t)(rnd(&seed) % n);
        plan_move(&x, targets[i], &seed, &moves[i]);
    }
    for (unsigned i = 0; i < N_FRAMES; i++) {
        uint32_t k = i < N_FRAMES / 2 ? i % singles : singles + i % batch;
        build_frame(t->frames[i], i, targets[k]);
    }

    t->w = &dp->workers[0];
    t->w->dp = dp;
    t->w->id = 0;
    t->w->icmp_tokens = 100;
    lcore = rte_get_next_lcore(-1, 1, 0);
    if (lcore >= RTE_MAX_LCORE || rte_eal_remote_launch(traffic_main, t, lcore)) {
        cannot("no second lcore for the traffic");
    }
    /* Traffic before any change, once it has run a while: the baseline. */
    while (!__atomic_load_n(&t->packets, __ATOMIC_RELAXED) && !t->failed) {
        rte_pause();
    }
    rte_delay_ms(100);
    sample(t, &p0, &c0);
    rte_delay_ms(200);

    /* (a) Single changes, each timed. */
    sample(t, &p1, &c1);
    for (uint32_t k = 0; k < singles; k++) {
        uint64_t a = rte_rdtsc_precise();
        int ret = store_lookup_set(st, &moves[k], STORE_ORIGIN_CONTROLLER, err);
        cycles[k] = rte_rdtsc_precise() - a;
        if (ret) {
            fprintf(stderr, "bench_policy: move %u: %s\n", k, err);
            status = 1;
            break;
        }
        sum += cycles[k];
    }
    sample(t, &p2, &c2);

    /* (b) One batch. */
    store_begin(st);
    for (uint32_t k = 0; k < batch && !status; k++) {
        if (store_lookup_set(st, &moves[singles + k], STORE_ORIGIN_CONTROLLER, err)) {
            fprintf(stderr, "bench_policy: batch move %u: %s\n", k, err);
            status = 1;
        }
    }
    if (status) {
        store_rollback(st);
    } else {
        store_commit(st);
    }
    sample(t, &p3, &c3);

    t->stop = true;
    rte_eal_wait_lcore(lcore);
    if (status) {
        cannot("a move was refused");
    }
    if (t->failed) {
        cannot("the traffic lcore ran out of mbufs");
    }

    /* Every packet encapsulated to some PA: none met a missing record. */
    dp_stats_worker(dp, 0, &stats);
    for (unsigned i = 0; i < DP_N_DROPS; i++) {
        if (stats.drop[i]) {
            fprintf(stderr, "bench_policy: traffic dropped %" PRIu64 " on %s\n", stats.drop[i],
                    dp_drop_names[i]);
        }
        drops += stats.drop[i];
    }
    if (!t->packets) {
        cannot("the traffic lcore processed no packet");
    }
    if (stats.counter[DP_encap_nvgre] != t->packets || drops) {
        fprintf(stderr,
                "bench_policy: traffic: %" PRIu64 " packets, %" PRIu64 " encapsulated, %" PRIu64
                " dropped\n",
                t->packets, stats.counter[DP_encap_nvgre], drops);
        status = 1;
    }
    {
        uint32_t bad = verify(st, dp, &x, n);
        if (bad) {
            fprintf(stderr, "bench_policy: %u of %u records read back wrong\n", bad, n);
            status = 1;
        }
    }

    qsort(cycles, singles, sizeof *cycles, cmp_u64);
    us_mean = (double)sum / singles * 1e6 / hz;
    us_p99 = (double)cycles[(size_t)singles * 99 / 100] * 1e6 / hz;
    per_s = c3 > c2 ? (double)batch * hz / (c3 - c2) : 0;
    mp_idle = mpps(p0, c0, p1, c1, hz);
    mp_single = mpps(p1, c1, p2, c2, hz);
    mp_batch = mpps(p2, c2, p3, c3, hz);
    mp_all = mpps(p1, c1, p3, c3, hz);
    if (!status) {
        if (!sum || !per_s) {
            cannot("a change took no time on the TSC");
        }
        if (!mp_single || !mp_batch || !mp_idle) {
            cannot("no packet went through while the changes were made");
        }
        printf("BENCH name=policy_update records=%u usec_per_change=%.2f changes_per_s=%.0f "
               "p99_usec=%.2f\n",
               n, us_mean, per_s, us_p99);
        printf("BENCH name=policy_update_traffic mpps=%.2f mpps_singles=%.2f mpps_batch=%.2f "
               "mpps_idle=%.2f packets=%" PRIu64 "\n",
               mp_all, mp_single, mp_batch, mp_idle, t->packets);
        printf("bench_policy: %u single moves in %.3f s, max %.1f us; batch of %u in %.3f s; "
               "%" PRIu64 " packets checked, %u records verified\n",
               singles, (double)(c2 - c1) / hz, (double)cycles[singles - 1] * 1e6 / hz, batch,
               (double)(c3 - c2) / hz, t->packets, n);
    } else {
        printf("bench: policy_update failed: wrong results (see above)\n");
    }

    rte_eth_dev_stop(PROVIDER);
    store_destroy(st);
    rib_destroy(rib);
    config_destroy(cfg);
    rte_free(t);
    free(x.pa), free(x.gen), free(x.moved), free(targets), free(moves), free(cycles);
    dp_destroy(dp);
    return status;
}
