/* SPDX-License-Identifier: Apache-2.0 */
/* FPM route installation: from the bytes zebra sends to FIB entries the workers see.
 *
 * Builds the FPM stream of N routes the way dplane_fpm_nl writes it (one RTM_NEWROUTE per frame,
 * via a router on the external network), then times fpm_decoder_feed() over it in 64 KiB reads,
 * as the socket would deliver it, with learned_apply() installing each frame into a device-less
 * data plane's FIB. Checks every route is installed, then prints
 *   BENCH name=fpm_install routes=<n> routes_per_s=<x> seconds=<y>
 *
 * usage: bench_fpm [ROUTES]   (default 100000) */
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "dataplane/dp.h"
#include "gateway/policy.h"
#include "gateway/store.h"
#include "routing/rib.h"
#include "routing/fpm.h"
#include "routing/learned.h"

static const char *const CONF =
    "node { name = \"bench\" roles = {\"gateway\"} provider_addresses = {\"10.0.0.1\"} }\n"
    "port \"pa0\" { kind = \"provider\" devargs = \"net_null0\" mac = \"02:00:0a:00:00:01\" "
    "address = \"10.0.0.1/24\" }\n"
    "port \"ext0\" { kind = \"external\" devargs = \"net_null1\" mac = \"02:00:0a:63:00:01\" "
    "address = \"10.99.0.1/24\" }\n"
    "tenant \"contoso\" { id = 1 subnet \"web\" { vsid = 5001 prefix = \"10.1.1.0/24\" "
    "gateway_ip = \"10.1.1.1\" gateway_mac = \"02:00:00:00:01:01\" } }\n";

static void
die(const char *what)
{
    fprintf(stderr, "bench_fpm: %s\n", what);
    exit(1);
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Appends the frame of route number 'i' (11.0.0.0/24 onward) to 'out'; returns its length. */
static size_t
put_frame(uint8_t *out, uint32_t i, uint32_t gw)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(out + FPM_HEADER_LEN);
    struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
    uint32_t dst = htonl(0x0b000000u + (i << 8));
    size_t len;

    nlh->nlmsg_type = RTM_NEWROUTE;
    rtm->rtm_family = AF_INET;
    rtm->rtm_dst_len = 24;
    rtm->rtm_table = RT_TABLE_MAIN;
    rtm->rtm_protocol = 186;
    rtm->rtm_type = RTN_UNICAST;
    mnl_attr_put(nlh, RTA_DST, 4, &dst);
    mnl_attr_put_u32(nlh, RTA_PRIORITY, 20);
    mnl_attr_put(nlh, RTA_GATEWAY, 4, &gw);
    mnl_attr_put_u32(nlh, RTA_OIF, 2);
    len = FPM_HEADER_LEN + nlh->nlmsg_len;
    out[0] = 1;
    out[1] = 1;
    out[2] = (uint8_t)(len >> 8);
    out[3] = (uint8_t)len;
    return len;
}

/* Hands every frame's routes to the learned table of tenant 1. */
static void
on_frame(const struct fpm_route *ops, size_t n, void *aux)
{
    if (learned_apply(aux, 1, ops, n) != 0) {
        die("the learned table is full");
    }
}

int
main(int argc, char **argv)
{
    static char *eal[] = {"bench", "--no-huge", "-m",
                          "2048",  "--no-pci",  "--no-shconf",
                          "-l",    "0-1",       "--log-level=lib.eal:error"};
    uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 100000;
    struct dp_params p = {.n_workers = 1,
                          .max_lookups = 1024,
                          .max_subnets = 64,
                          .max_routes = n + 1024,
                          .max_neighbors = 64,
                          .n_mbufs = 2048,
                          .icmp_rate = 100,
                          .arp_timeout_s = 300,
                          .n_pas = 1,
                          .gateway_role = true};
    char path[] = "/tmp/hnvgw-bench-fpm-XXXXXX", err[CONFIG_ERR_MAX];
    struct hnvgw_config *cfg = NULL;
    struct fpm_decoder dec = {0};
    struct learned *learned;
    struct rib *rib;
    struct store *store;
    struct dp *dp;
    uint8_t *stream;
    size_t len = 0;
    uint32_t gw = inet_addr("10.99.0.2");
    double t0, t1;
    FILE *f;
    int fd;

    p.pas[0] = inet_addr("10.0.0.1");
    if (dp_create(9, eal, &p, &dp, err)) {
        die(err);
    }
    fd = mkstemp(path);
    f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        die("cannot write the config");
    }
    fputs(CONF, f);
    fclose(f);
    if (config_load(path, &cfg, err)) {
        die(err);
    }
    rib = rib_create(dp, n + 1024);
    store = rib ? store_create(dp, rib, 1024) : NULL;
    if (!store) {
        die("out of memory");
    }
    policy_external_networks(cfg, rib);
    if (store_apply_config(store, cfg, err)) {
        die(err);
    }
    unlink(path);
    learned = learned_create(rib, n + 1024);
    stream = malloc((size_t)n * 64);
    if (!learned || !stream) {
        die("out of memory");
    }
    for (uint32_t i = 0; i < n; i++) {
        len += put_frame(stream + len, i, gw);
    }
    fpm_decoder_init(&dec);

    t0 = now_s();
    for (size_t off = 0; off < len; off += 65536) {
        size_t chunk = len - off < 65536 ? len - off : 65536;
        if (fpm_decoder_feed(&dec, stream + off, chunk, on_frame, learned)) {
            die("the decoder refused the stream");
        }
    }
    t1 = now_s();

    for (uint32_t i = 0; i < n; i++) {
        struct dp_nexthop nh = dp_route_lookup(dp, 1, htonl(0x0b000000u + (i << 8) + 7));
        if (nh.type != DP_NH_EXTERNAL || nh.ip != gw) {
            fprintf(stderr, "bench: route %u is not in the FIB\n", i);
            return 1;
        }
    }
    printf("BENCH name=fpm_install routes=%u routes_per_s=%.0f seconds=%.3f\n", n, n / (t1 - t0),
           t1 - t0);
    fpm_decoder_destroy(&dec);
    learned_destroy(learned);
    config_destroy(cfg);
    free(stream);
    dp_destroy(dp);
    return 0;
}
