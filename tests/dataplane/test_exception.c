/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the exception stage (dataplane/stage_exception.c) on a shared port: the 802.1Q
 * tag, or untagged the source MAC, alone says whose a frame is, the data plane sets the tag or
 * the destination on the way out, frames with neither bound are dropped and counted, and each
 * compartment has its own counters. Crafted frames go
 * through the real stage functions on a data plane with no devices; what worker 0 would transmit
 * is read back from its tx buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <rte_icmp.h>

#include "dataplane/dp_internal.h"
#include "tests/dataplane/fixture.h"

#define SHARED  3 /* The tagged port. */
#define OWN     4 /* An untagged port of one compartment. */
#define CONTOSO 7 /* Routing domain on tag 1. */
#define FABRIK  9 /* Routing domain on tag 2 (the same CA space as contoso). */
#define LONE    11
#define BRIDGED 13 /* Routing domain known by its MAC, untagged, on the shared port. */

static struct dp *dp;
static struct dp_worker *w;

static const uint8_t PORT_MAC[6] = {0x02, 0, 0xee, 0, 0xff, 0};
static const uint8_t OWN_MAC[6] = {0x02, 0, 0xee, 0, 0xff, 1};
static const uint8_t CONTOSO_MAC[6] = {0x02, 0, 0xee, 1, 0, CONTOSO};
static const uint8_t FABRIK_MAC[6] = {0x02, 0, 0xee, 1, 0, FABRIK};
static const uint8_t LONE_MAC[6] = {0x02, 0, 0xee, 1, 0, LONE};
static const uint8_t BRIDGED_MAC[6] = {0x02, 0, 0xee, 1, 0, BRIDGED};
static const uint8_t STRANGER_MAC[6] = {0x02, 0, 0xee, 1, 0, 99};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* contoso and fabrikam share the tagged port; "lone" has a port of its own. contoso has a
 * blackhole route to 198.18.5.0/24, fabrikam none: where a packet dies says whose it was. */
static int
setup(void **state)
{
    struct dp_nexthop nh = {.type = DP_NH_BLACKHOLE};
    char err[DP_ERR_MAX];

    (void)state;
    dp = test_dp_start((struct dp_params){.n_workers = 1});
    w = &dp->workers[0];
    w->dp = dp;
    w->icmp_tokens = 1000;
    fixture_add_port(dp, SHARED, DP_PORT_EXCEPTION, PORT_MAC, NULL, 0);
    dp->ports[SHARED].conf.tagged = true;
    assert_int_equal(dp_compartment_attach(dp, SHARED, DP_MAX_TENANTS, 0, PORT_MAC), 0);
    assert_int_equal(dp_compartment_bind(dp, SHARED, CONTOSO, 1, CONTOSO_MAC, err), 0);
    assert_int_equal(dp_compartment_bind(dp, SHARED, FABRIK, 2, FABRIK_MAC, err), 0);
    assert_int_equal(dp_compartment_bind(dp, SHARED, BRIDGED, 0, BRIDGED_MAC, err), 0);
    fixture_add_port(dp, OWN, DP_PORT_EXCEPTION, OWN_MAC, NULL, 0);
    dp->ports[OWN].conf.tenant = LONE;
    assert_int_equal(dp_compartment_attach(dp, OWN, LONE, 0, LONE_MAC), 0);
    assert_int_equal(dp_route_set(dp, CONTOSO, ip4("198.18.5.0"), 24, &nh), 0);
    assert_int_equal(dp_route_set(dp, BRIDGED, ip4("198.18.5.0"), 24, &nh), 0);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    dp_destroy(dp);
    return 0;
}

/* Frees what the tests left in the tx buffers and zeroes the counters. */
static int
reset(void **state)
{
    (void)state;
    for (unsigned p = 0; p < DP_MAX_PORTS; p++) {
        for (unsigned i = 0; i < w->tx[p].n; i++) {
            rte_pktmbuf_free(w->tx[p].pkts[i]);
        }
        w->tx[p].n = 0;
    }
    memset(&w->stats, 0, sizeof w->stats);
    memset(w->compartment_stats, 0, sizeof *w->compartment_stats * DP_COMPARTMENTS_MAX);
    return 0;
}

/* Appends 'len' bytes to 'm'. */
static void
put(struct rte_mbuf *m, const void *data, size_t len)
{
    void *p = rte_pktmbuf_append(m, (uint16_t)len);

    assert_non_null(p);
    memcpy(p, data, len);
}

/* A frame from a compartment's side on 'port': Ethernet from 'src' to the port, with VLAN id
 * 'tag' unless it is negative, then 'type'. */
static struct rte_mbuf *
frame(uint16_t port, const uint8_t *src, int tag, uint16_t type)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);
    struct rte_ether_hdr e;

    assert_non_null(m);
    m->port = port;
    memcpy(e.dst_addr.addr_bytes, dp->ports[port].conf.mac, 6);
    memcpy(e.src_addr.addr_bytes, src, 6);
    e.ether_type = htons(tag >= 0 ? RTE_ETHER_TYPE_VLAN : type);
    put(m, &e, sizeof e);
    if (tag >= 0) {
        struct rte_vlan_hdr vh = {.vlan_tci = htons((uint16_t)tag), .eth_proto = htons(type)};
        put(m, &vh, sizeof vh);
    }
    return m;
}

/* Appends an ICMP echo request from 'src' to 'dst' (IPv4, TTL 64). */
static void
put_ping(struct rte_mbuf *m, const char *src, const char *dst)
{
    struct rte_ipv4_hdr ip = {.version_ihl = 0x45,
                              .total_length = htons(sizeof ip + 8),
                              .time_to_live = 64,
                              .next_proto_id = IPPROTO_ICMP,
                              .src_addr = ip4(src),
                              .dst_addr = ip4(dst)};
    uint8_t icmp[8] = {RTE_IP_ICMP_ECHO_REQUEST, 0, 0, 0, 0, 1, 0, 1};
    uint16_t sum = (uint16_t)~rte_raw_cksum(icmp, sizeof icmp);

    memcpy(icmp + 2, &sum, 2);
    ip.hdr_checksum = rte_ipv4_cksum(&ip);
    put(m, &ip, sizeof ip);
    put(m, icmp, sizeof icmp);
}

/* Appends an ARP request for 'tip' from 'sha'/'sip'. */
static void
put_arp_request(struct rte_mbuf *m, const uint8_t *sha, const char *sip, const char *tip)
{
    struct rte_arp_hdr arp = {.arp_hardware = htons(RTE_ARP_HRD_ETHER),
                              .arp_protocol = htons(RTE_ETHER_TYPE_IPV4),
                              .arp_hlen = 6,
                              .arp_plen = 4,
                              .arp_opcode = htons(RTE_ARP_OP_REQUEST)};

    memcpy(arp.arp_data.arp_sha.addr_bytes, sha, 6);
    arp.arp_data.arp_sip = ip4(sip);
    arp.arp_data.arp_tip = ip4(tip);
    put(m, &arp, sizeof arp);
}

static uint64_t
injected(uint16_t tenant)
{
    struct dp_compartment_stats s;

    assert_int_equal(dp_compartment_stats(dp, tenant, &s), 0);
    return s.injected;
}

static uint64_t
punted(uint16_t tenant)
{
    struct dp_compartment_stats s;

    assert_int_equal(dp_compartment_stats(dp, tenant, &s), 0);
    return s.punted;
}

/* The same packet on tag 1 and on tag 2 is routed in contoso's and in fabrikam's domain. */
static void
test_tag_selects_the_domain(void **state)
{
    struct rte_mbuf *m;

    (void)state;
    m = frame(SHARED, CONTOSO_MAC, 1, RTE_ETHER_TYPE_IPV4);
    put_ping(m, "10.1.1.1", "198.18.5.9");
    dp_exception_input(w, m, &dp->ports[SHARED]);
    assert_int_equal(w->stats.drop[DP_route_blackhole], 1);
    assert_int_equal(w->stats.drop[DP_route_no_route], 0);
    assert_int_equal(injected(CONTOSO), 1);
    assert_int_equal(injected(FABRIK), 0);

    m = frame(SHARED, FABRIK_MAC, 2, RTE_ETHER_TYPE_IPV4);
    put_ping(m, "10.1.1.1", "198.18.5.9");
    dp_exception_input(w, m, &dp->ports[SHARED]);
    assert_int_equal(w->stats.drop[DP_route_blackhole], 1);
    assert_int_equal(w->stats.drop[DP_route_no_route], 1);
    assert_int_equal(injected(FABRIK), 1);
    assert_int_equal(w->stats.counter[DP_exception_routed], 2);

    /* The priority bits do not matter, only the VLAN id: PCP 5 on tag 1 is contoso's. */
    m = frame(SHARED, CONTOSO_MAC, (5 << 13) | 1, RTE_ETHER_TYPE_IPV4);
    put_ping(m, "10.1.1.1", "198.18.5.9");
    dp_exception_input(w, m, &dp->ports[SHARED]);
    assert_int_equal(w->stats.drop[DP_route_blackhole], 2);
    assert_int_equal(injected(CONTOSO), 2);
}

/* A compartment bound by its MAC alone: its untagged frames are its domain's, and what the data
 * plane sends it goes untagged to its MAC. */
static void
test_known_by_mac(void **state)
{
    struct rte_mbuf *m;
    const struct rte_ether_hdr *eth;

    (void)state;
    m = frame(SHARED, BRIDGED_MAC, -1, RTE_ETHER_TYPE_IPV4);
    put_ping(m, "10.1.1.1", "198.18.5.9");
    dp_exception_input(w, m, &dp->ports[SHARED]);
    assert_int_equal(w->stats.drop[DP_route_blackhole], 1);
    assert_int_equal(injected(BRIDGED), 1);
    assert_int_equal(injected(CONTOSO), 0);

    m = rte_pktmbuf_alloc(dp->pool);
    assert_non_null(m);
    put_ping(m, "10.1.9.9", "10.1.1.1");
    assert_true(dp_exception_punt(w, m, BRIDGED));
    assert_int_equal(w->tx[SHARED].n, 1);
    eth = rte_pktmbuf_mtod(w->tx[SHARED].pkts[0], const struct rte_ether_hdr *);
    assert_int_equal(ntohs(eth->ether_type), RTE_ETHER_TYPE_IPV4);
    assert_memory_equal(eth->dst_addr.addr_bytes, BRIDGED_MAC, 6);
    assert_memory_equal(eth->src_addr.addr_bytes, PORT_MAC, 6);
    assert_int_equal(punted(BRIDGED), 1);
}

/* An untagged frame, a tag bound to nobody and a tag cut short are dropped and counted, and
 * nobody's counters move. */
static void
test_unbound_frames_dropped(void **state)
{
    struct rte_mbuf *m;

    (void)state;
    /* Untagged from a stranger's MAC, and from contoso's (known by its tag, never its MAC). */
    m = frame(SHARED, STRANGER_MAC, -1, RTE_ETHER_TYPE_IPV4);
    put_ping(m, "10.1.1.1", "198.18.5.9");
    dp_exception_input(w, m, &dp->ports[SHARED]);
    assert_int_equal(w->stats.drop[DP_exception_unknown_source], 1);
    m = frame(SHARED, CONTOSO_MAC, -1, RTE_ETHER_TYPE_IPV4);
    put_ping(m, "10.1.1.1", "198.18.5.9");
    dp_exception_input(w, m, &dp->ports[SHARED]);
    assert_int_equal(w->stats.drop[DP_exception_unknown_source], 2);

    m = frame(SHARED, BRIDGED_MAC, 3, RTE_ETHER_TYPE_IPV4); /* BRIDGED has no tag. */
    put_ping(m, "10.1.1.1", "198.18.5.9");
    dp_exception_input(w, m, &dp->ports[SHARED]);
    assert_int_equal(w->stats.drop[DP_exception_unknown_tag], 1);

    m = frame(SHARED, CONTOSO_MAC, 0, RTE_ETHER_TYPE_IPV4); /* Priority-tagged: VLAN id 0. */
    put_ping(m, "10.1.1.1", "198.18.5.9");
    dp_exception_input(w, m, &dp->ports[SHARED]);
    assert_int_equal(w->stats.drop[DP_exception_unknown_tag], 2);

    m = frame(SHARED, CONTOSO_MAC, -1, RTE_ETHER_TYPE_VLAN);
    put(m, "\x00", 1); /* A tag cut short. */
    dp_exception_input(w, m, &dp->ports[SHARED]);
    assert_int_equal(w->stats.drop[DP_exception_runt], 1);

    /* A tag inside the tag (QinQ from a compartment) is no IPv4: dropped in contoso's name. */
    m = frame(SHARED, CONTOSO_MAC, 1, RTE_ETHER_TYPE_VLAN);
    put(m, "\x00\x02\x08\x00", 4);
    put_ping(m, "10.1.1.1", "198.18.5.9");
    dp_exception_input(w, m, &dp->ports[SHARED]);
    assert_int_equal(w->stats.drop[DP_exception_unsupported], 1);

    assert_int_equal(w->stats.drop[DP_route_blackhole] + w->stats.drop[DP_route_no_route], 0);
    assert_int_equal(injected(FABRIK), 0);
    assert_int_equal(injected(CONTOSO), 1); /* The QinQ frame only. */
    assert_int_equal(injected(BRIDGED), 0);
    for (unsigned p = 0; p < DP_MAX_PORTS; p++) {
        assert_int_equal(w->tx[p].n, 0);
    }
}

/* ARP from a compartment is answered on its own tag, with the port's MAC. */
static void
test_arp_answered_on_its_tag(void **state)
{
    struct rte_mbuf *m = frame(SHARED, FABRIK_MAC, 2, RTE_ETHER_TYPE_ARP);
    const struct rte_ether_hdr *eth;
    const struct rte_vlan_hdr *vh;
    const struct rte_arp_hdr *arp;

    (void)state;
    memcpy(rte_pktmbuf_mtod(m, struct rte_ether_hdr *)->dst_addr.addr_bytes, BCAST, 6);
    put_arp_request(m, FABRIK_MAC, "10.1.1.1", "10.1.1.77");
    dp_exception_input(w, m, &dp->ports[SHARED]);
    assert_int_equal(w->tx[SHARED].n, 1);
    eth = rte_pktmbuf_mtod(w->tx[SHARED].pkts[0], const struct rte_ether_hdr *);
    vh = (const struct rte_vlan_hdr *)(eth + 1);
    arp = (const struct rte_arp_hdr *)(vh + 1);
    assert_memory_equal(eth->dst_addr.addr_bytes, FABRIK_MAC, 6);
    assert_memory_equal(eth->src_addr.addr_bytes, PORT_MAC, 6);
    assert_int_equal(ntohs(eth->ether_type), RTE_ETHER_TYPE_VLAN);
    assert_int_equal(ntohs(vh->vlan_tci), 2);
    assert_int_equal(ntohs(vh->eth_proto), RTE_ETHER_TYPE_ARP);
    assert_int_equal(ntohs(arp->arp_opcode), RTE_ARP_OP_REPLY);
    assert_memory_equal(arp->arp_data.arp_sha.addr_bytes, PORT_MAC, 6);
    assert_int_equal(arp->arp_data.arp_sip, ip4("10.1.1.77"));
    assert_int_equal(w->stats.counter[DP_exception_arp_replied], 1);
    assert_int_equal(injected(FABRIK), 1);
}

/* What the data plane sends a compartment carries that compartment's tag and MAC, and counts as
 * its own; a compartment on a port of its own gets it untagged. */
static void
test_punt_tags_and_counts(void **state)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);
    const struct rte_ether_hdr *eth;
    const struct rte_vlan_hdr *vh;

    (void)state;
    assert_non_null(m);
    put_ping(m, "10.1.9.9", "10.1.1.1");
    assert_true(dp_exception_punt(w, m, FABRIK));
    assert_int_equal(w->tx[SHARED].n, 1);
    eth = rte_pktmbuf_mtod(w->tx[SHARED].pkts[0], const struct rte_ether_hdr *);
    vh = (const struct rte_vlan_hdr *)(eth + 1);
    assert_memory_equal(eth->dst_addr.addr_bytes, FABRIK_MAC, 6);
    assert_memory_equal(eth->src_addr.addr_bytes, PORT_MAC, 6);
    assert_int_equal(ntohs(eth->ether_type), RTE_ETHER_TYPE_VLAN);
    assert_int_equal(ntohs(vh->vlan_tci), 2);
    assert_int_equal(ntohs(vh->eth_proto), RTE_ETHER_TYPE_IPV4);
    assert_int_equal(punted(FABRIK), 1);
    assert_int_equal(punted(CONTOSO), 0);

    m = rte_pktmbuf_alloc(dp->pool);
    assert_non_null(m);
    put_ping(m, "10.1.9.9", "10.1.1.1");
    assert_true(dp_exception_punt(w, m, LONE));
    assert_int_equal(w->tx[OWN].n, 1);
    eth = rte_pktmbuf_mtod(w->tx[OWN].pkts[0], const struct rte_ether_hdr *);
    assert_int_equal(ntohs(eth->ether_type), RTE_ETHER_TYPE_IPV4);
    assert_memory_equal(eth->dst_addr.addr_bytes, LONE_MAC, 6);
    assert_int_equal(punted(LONE), 1);

    /* A domain without a compartment punts nothing: the caller goes on with the packet. */
    m = rte_pktmbuf_alloc(dp->pool);
    assert_non_null(m);
    put_ping(m, "10.1.9.9", "10.1.1.1");
    assert_false(dp_exception_punt(w, m, 12));
    rte_pktmbuf_free(m);
}

/* Binding refuses what would let two compartments share a tag or a MAC, or give a domain two
 * compartments. */
static void
test_bind_refusals(void **state)
{
    struct dp_compartment_stats s;
    char err[DP_ERR_MAX];

    (void)state;
    assert_int_equal(dp_compartment_bind(dp, SHARED, 20, 1, STRANGER_MAC, err), EEXIST);
    assert_non_null(strstr(err, "already bound"));
    assert_int_equal(dp_compartment_bind(dp, SHARED, CONTOSO, 5, CONTOSO_MAC, err), EEXIST);
    assert_int_equal(dp_compartment_bind(dp, SHARED, 20, 0, BRIDGED_MAC, err), EEXIST);
    assert_int_equal(dp_compartment_bind(dp, SHARED, 20, DP_COMPARTMENT_TAGS + 1, CONTOSO_MAC, err),
                     EINVAL);
    assert_int_equal(dp_compartment_bind(dp, SHARED, 0, 5, CONTOSO_MAC, err), EINVAL);
    assert_int_equal(dp_compartment_bind(dp, OWN, 20, 5, CONTOSO_MAC, err), EINVAL);
    assert_non_null(strstr(err, "not a tagged exception port"));
    assert_int_equal(dp_compartment_bind(dp, 30, 20, 5, CONTOSO_MAC, err), EINVAL);
    assert_int_equal(dp_compartment_stats(dp, 20, &s), ENOENT);
    /* Refused binds left nothing behind: tag 5 still belongs to nobody. */
    assert_int_equal(dp->ports[SHARED].tag_tenant[5], 0);
    assert_int_equal(dp_compartment_stats(dp, CONTOSO, &s), 0);
    assert_int_equal(s.port, SHARED);
    assert_int_equal(s.tag, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_tag_selects_the_domain, reset),
        cmocka_unit_test_setup(test_known_by_mac, reset),
        cmocka_unit_test_setup(test_unbound_frames_dropped, reset),
        cmocka_unit_test_setup(test_arp_answered_on_its_tag, reset),
        cmocka_unit_test_setup(test_punt_tags_and_counts, reset),
        cmocka_unit_test_setup(test_bind_refusals, reset),
    };
    return cmocka_run_group_tests_name("dataplane exception", tests, setup, teardown);
}
