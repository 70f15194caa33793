/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the data plane's side of an active/passive pair (dataplane/ha.h): what each role
 * forwards and answers, VRRP handed to the election, frames sent for it, gratuitous ARP out and
 * in. Crafted frames go through the real stage functions and the control thread's poll on a data
 * plane with no devices, as in test_pipeline.c; what worker 0 would transmit is read back from
 * its tx buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <poll.h>
#include <unistd.h>
#include <rte_icmp.h>

#include "dataplane/dp_internal.h"
#include "dataplane/ha.h"
#include "tests/dataplane/fixture.h"

#define PROVIDER  0
#define EXTERNAL  1
#define EXCEPTION 2
#define VM1       3
#define VLAN_ID   7

static struct dp *dp;
static struct dp_worker *w;

static const uint8_t PROV_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x0b};
static const uint8_t EXT_MAC[6] = {0x02, 0, 0x0a, 0x63, 0, 0x01};
static const uint8_t EXC_MAC[6] = {0x02, 0, 0x0e, 0, 0, 0x01};
static const uint8_t EXC_PEER_MAC[6] = {0x02, 0, 0x0e, 0, 0, 0x02};
static const uint8_t PEER_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x02};
static const uint8_t EXTHOST_MAC[6] = {0x02, 0, 0x0a, 0x63, 0, 0x02};
static const uint8_t GW1_MAC[6] = {0x02, 0, 0, 0, 0x01, 0x01};
static const uint8_t VM_A_MAC[6] = {0x02, 0, 0, 0, 0x10, 0x10};
static const uint8_t VM_C_MAC[6] = {0x02, 0, 0, 0, 0x30, 0x10};
static const uint8_t VM_LOCAL_MAC[6] = {0x02, 0, 0, 0, 0x40, 0x10};
static const uint8_t VRRP_MAC[6] = {0x00, 0x00, 0x5e, 0x00, 0x01, 0x01}; /* VRID 1. */
static const uint8_t VRRP_GROUP_MAC[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x12};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* A gateway with two PAs (10.0.0.1, 10.0.0.5: the pair's virtual ones) on a provider port whose
 * own address is 10.0.0.11 (this node's), an uplink 10.99.0.1 with a NAT public address and a
 * tunnel address, contoso's compartment, and a local VM (host role). */
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
                          .n_pas = 2,
                          .gateway_role = true,
                          .host_role = true,
                          .max_nat_sessions = 1024,
                          .nat_port_block = 64,
                          .max_esp_sas = 16};
    struct dp_nat_conf nat = {.tenant = 1,
                              .n_public = 1,
                              .port_min = 1024,
                              .port_max = 65535,
                              .n_inside = 1,
                              .max_sessions = 8,
                              .max_ports = 8,
                              .timeout_s = {7440, 240, 30, 60}};
    char err[DP_ERR_MAX];
    struct dp_subnet sn;
    struct dp_lookup rec = {.pa = 0, .type = DP_LK_STATIC, .local_port = -1};
    struct dp_nexthop nh;

    (void)state;
    p.pas[0] = ip4("10.0.0.1");
    p.pas[1] = ip4("10.0.0.5");
    if (dp_create(9, argv, &p, &dp, err) != 0) {
        fail_msg("dp_create: %s", err);
    }
    w = &dp->workers[0];
    w->dp = dp;
    w->icmp_tokens = 1000;
    fixture_add_port(dp, PROVIDER, DP_PORT_PROVIDER, PROV_MAC, "10.0.0.11", 24);
    fixture_add_port(dp, EXTERNAL, DP_PORT_EXTERNAL, EXT_MAC, "10.99.0.1", 24);
    fixture_add_port(dp, EXCEPTION, DP_PORT_EXCEPTION, EXC_MAC, NULL, 0);
    dp->ports[EXCEPTION].conf.tenant = 1;
    memcpy(dp->ports[EXCEPTION].conf.peer_mac, EXC_PEER_MAC, 6);
    if (dp_compartment_attach(dp, EXCEPTION, 1, 0, EXC_PEER_MAC) != 0) {
        fail_msg("dp_compartment_attach");
    }
    fixture_add_port(dp, VM1, DP_PORT_VM, VM_LOCAL_MAC, NULL, 0);
    dp->ports[VM1].conf.vsid = 5001;
    dp->ports[VM1].conf.ca = ip4("10.1.1.40");
    dp->provider_port = PROVIDER;
    dp->external_port = EXTERNAL;

    memset(&sn, 0, sizeof sn);
    sn.vsid = 5001, sn.tenant = 1, sn.prefix = ip4("10.1.1.0"), sn.plen = 24;
    sn.gw_ip = ip4("10.1.1.1"), memcpy(sn.gw_mac, GW1_MAC, 6);
    sn.local_ports = 1u << VM1;
    assert_int_equal(dp_subnet_set(dp, &sn), 0);
    rec.pa = ip4("10.0.0.2");
    memcpy(rec.mac, VM_C_MAC, 6);
    assert_int_equal(dp_lookup_set(dp, 5001, ip4("10.1.1.20"), &rec), 0);
    rec.pa = ip4("10.0.0.1"), rec.local_port = VM1;
    memcpy(rec.mac, VM_LOCAL_MAC, 6);
    assert_int_equal(dp_lookup_set(dp, 5001, ip4("10.1.1.40"), &rec), 0);

    nh = (struct dp_nexthop){.type = DP_NH_CONNECTED, .vsid = 5001};
    assert_int_equal(dp_route_set(dp, 1, ip4("10.1.1.0"), 24, &nh), 0);
    nh = (struct dp_nexthop){.type = DP_NH_TENANT, .tenant = 1};
    assert_int_equal(dp_route_set(dp, 0, ip4("10.1.0.0"), 16, &nh), 0);
    assert_int_equal(dp_neigh_set_static(dp, PROVIDER, ip4("10.0.0.2"), PEER_MAC), 0);
    assert_int_equal(dp_neigh_set_static(dp, EXTERNAL, ip4("10.99.0.2"), EXTHOST_MAC), 0);

    nat.public_ips[0] = ip4("198.18.0.10");
    nat.inside_prefix[0] = ip4("10.1.0.0"), nat.inside_plen[0] = 16;
    assert_int_equal(dp_nat_tenant_set(dp, &nat), 0);
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

/* What a worker round begins with: the role, as worker_main() takes it. */
static void
role(enum dp_ha_role r)
{
    assert_int_equal(dp_ha_set_role(dp, r), 0);
    dp_ha_worker_sync(w);
}

/* Frees every frame in the tx buffers, the punt ring and the control thread's ring, zeroes the
 * counters, and puts back what tests change: the ports' addresses and VLAN, the standalone role,
 * no VRRP handler. */
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
    while (rte_ring_dequeue(dp->ctl_tx, (void **)&m) == 0) {
        rte_pktmbuf_free(m);
    }
    for (unsigned k = 0; k < DP_PENDING_MAX; k++) {
        for (unsigned j = 0; j < dp->pending[k].n; j++) {
            rte_pktmbuf_free(dp->pending[k].held[j]);
        }
        memset(&dp->pending[k], 0, sizeof dp->pending[k]);
    }
    memset(&w->stats, 0, sizeof w->stats);
    memset(&dp->control_stats, 0, sizeof dp->control_stats);
    w->trace->n = 0;
    dp->ports[PROVIDER].conf.ip = ip4("10.0.0.11");
    dp->ports[PROVIDER].conf.vlan = 0;
    dp->ports[EXTERNAL].conf.ip = ip4("10.99.0.1");
    dp_ha_set_vrrp_handler(dp, NULL, NULL);
    role(DP_HA_STANDALONE);
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

/* Appends an IPv4 header with protocol 'proto' and 'payload' bytes after it ('fill' or zeros). */
static void
put_ipv4(struct rte_mbuf *m, const char *src, const char *dst, uint8_t proto, uint8_t ttl,
         const void *fill, uint16_t payload)
{
    struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)put(m, NULL, sizeof *ip);
    uint8_t *body = put(m, fill, payload);

    memset(ip, 0, sizeof *ip);
    ip->version_ihl = RTE_IPV4_VHL_DEF;
    ip->total_length = htons(sizeof *ip + payload);
    ip->time_to_live = ttl;
    ip->next_proto_id = proto;
    ip->src_addr = ip4(src);
    ip->dst_addr = ip4(dst);
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    if (!fill) {
        memset(body, 0, payload);
    }
}

/* Appends an ICMP echo request from 'src' to 'dst'. */
static void
put_ping(struct rte_mbuf *m, const char *src, const char *dst)
{
    uint8_t icmp[16] = {RTE_IP_ICMP_ECHO_REQUEST, 0, 0, 0, 0, 7, 0, 1};
    uint16_t sum = (uint16_t)~rte_raw_cksum(icmp, sizeof icmp);

    memcpy(icmp + 2, &sum, 2);
    put_ipv4(m, src, dst, IPPROTO_ICMP, 64, icmp, sizeof icmp);
}

static struct rte_mbuf *
frame_on(uint16_t port)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);

    assert_non_null(m);
    m->port = port;
    return m;
}

/* NVGRE from PA 10.0.0.2 to 'outer_dst': VM A (10.1.1.10, VSID 5001) pings 10.1.1.20, through
 * the gateway, which sends it back to 10.0.0.2 (VM C's host). */
static struct rte_mbuf *
nvgre_to(const char *outer_dst)
{
    struct rte_mbuf *m = frame_on(PROVIDER);
    struct rte_mbuf *inner = frame_on(PROVIDER);
    uint8_t payload[8 + 128] = {0x20, 0, 0x65, 0x58, 0, 5001 >> 8, 5001 & 0xff, 0x42};
    uint16_t n;

    put_eth(inner, GW1_MAC, VM_A_MAC, RTE_ETHER_TYPE_IPV4);
    put_ping(inner, "10.1.1.10", "10.1.1.20");
    n = rte_pktmbuf_data_len(inner);
    assert_true(n <= sizeof payload - 8);
    memcpy(payload + 8, rte_pktmbuf_mtod(inner, void *), n);
    rte_pktmbuf_free(inner);
    put_eth(m, PROV_MAC, PEER_MAC, RTE_ETHER_TYPE_IPV4);
    put_ipv4(m, "10.0.0.2", outer_dst, IPPROTO_GRE, 64, payload, (uint16_t)(8 + n));
    return m;
}

/* An ARP packet on 'port' from 'sha'/'sip' about 'tip', to Ethernet 'dst'. */
static struct rte_mbuf *
arp_frame(uint16_t port, uint16_t op, const uint8_t *dst, const uint8_t *sha, const char *sip,
          const char *tip)
{
    struct rte_mbuf *m = frame_on(port);
    struct rte_arp_hdr arp = {.arp_hardware = htons(RTE_ARP_HRD_ETHER),
                              .arp_protocol = htons(RTE_ETHER_TYPE_IPV4),
                              .arp_hlen = 6,
                              .arp_plen = 4,
                              .arp_opcode = htons(op)};

    memcpy(arp.arp_data.arp_sha.addr_bytes, sha, 6);
    arp.arp_data.arp_sip = ip4(sip);
    arp.arp_data.arp_tip = ip4(tip);
    put_eth(m, dst, sha, RTE_ETHER_TYPE_ARP);
    put(m, &arp, sizeof arp);
    return m;
}

/* A VRRPv3 advert (RFC 5798) for VRID 1, priority 100, of virtual address 10.0.0.1, as a peer
 * node (10.0.0.12) multicasts it; copied into 'bytes' ('*len' bytes) when not NULL. */
static struct rte_mbuf *
vrrp_frame(uint8_t *bytes, size_t *len)
{
    struct rte_mbuf *m = frame_on(PROVIDER);
    uint8_t advert[12] = {0x31, 1, 100, 1, 0, 10, 0x12, 0x34, 10, 0, 0, 1};

    put_eth(m, VRRP_GROUP_MAC, VRRP_MAC, RTE_ETHER_TYPE_IPV4);
    put_ipv4(m, "10.0.0.12", "224.0.0.18", DP_IPPROTO_VRRP, 255, advert, sizeof advert);
    if (bytes) {
        *len = rte_pktmbuf_data_len(m);
        memcpy(bytes, rte_pktmbuf_mtod(m, void *), *len);
    }
    return m;
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

/* ---- Checks ---- */

/* The frames queued for transmission on 'port', after worker 0 took the control thread's. */
static unsigned
tx_count(unsigned port)
{
    return w->tx[port].n;
}

static unsigned
tx_total(void)
{
    unsigned n = 0;

    for (unsigned p = 0; p < DP_MAX_PORTS; p++) {
        n += w->tx[p].n;
    }
    return n;
}

static uint64_t
drops_total(void)
{
    uint64_t n = 0;

    for (unsigned i = 0; i < DP_N_DROPS; i++) {
        n += w->stats.drop[i] + dp->control_stats.drop[i];
    }
    return n;
}

/* Checks that 'reason' is the only drop, counted 'n' times, and that nothing was sent. */
static void
expect_only_drop(enum dp_drop reason, uint64_t n)
{
    assert_int_equal(w->stats.drop[reason] + dp->control_stats.drop[reason], n);
    assert_int_equal(drops_total(), n);
    assert_int_equal(tx_total(), 0);
}

/* The outer destination PA of the NVGRE frame m. */
static uint32_t
nvgre_dst(struct rte_mbuf *m)
{
    const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
    const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(eth + 1);

    assert_int_equal(ntohs(eth->ether_type), RTE_ETHER_TYPE_IPV4);
    assert_int_equal(ip->next_proto_id, IPPROTO_GRE);
    return ip->dst_addr;
}

/* Runs the control thread's poll and lets worker 0 take what it queued. */
static void
control_round(void)
{
    dp_control_poll(dp);
    dp_tx_control(w);
}

/* Sends an ARP request for 'tip' on the provider port and returns true when it was answered
 * (with the port's MAC, for 'tip'). */
static bool
provider_answers(const char *tip)
{
    struct rte_mbuf *m = arp_frame(PROVIDER, RTE_ARP_OP_REQUEST, BCAST, PEER_MAC, "10.0.0.2", tip);
    const struct rte_arp_hdr *arp;
    bool answered;

    dp_provider_burst(w, &m, 1);
    assert_int_equal(rte_ring_count(dp->punt), 1); /* ARP is learned from in every role. */
    control_round();
    answered = tx_count(PROVIDER) == 1;
    if (answered) {
        m = w->tx[PROVIDER].pkts[0];
        arp = rte_pktmbuf_mtod_offset(m, const struct rte_arp_hdr *, 14);
        assert_int_equal(ntohs(arp->arp_opcode), RTE_ARP_OP_REPLY);
        assert_memory_equal(arp->arp_data.arp_sha.addr_bytes, PROV_MAC, 6);
        assert_int_equal(arp->arp_data.arp_sip, ip4(tip));
        assert_int_equal(arp->arp_data.arp_tip, ip4("10.0.0.2"));
        rte_pktmbuf_free(m);
        w->tx[PROVIDER].n = 0;
    }
    assert_int_equal(tx_total(), 0);
    return answered;
}

/* ---- Tests ---- */

static void
test_role_set_and_names(void **state)
{
    (void)state;
    assert_int_equal(dp_ha_role(dp), DP_HA_STANDALONE); /* The default. */
    assert_string_equal(dp_ha_role_name(DP_HA_STANDALONE), "standalone");
    assert_string_equal(dp_ha_role_name(DP_HA_ACTIVE), "active");
    assert_string_equal(dp_ha_role_name(DP_HA_PASSIVE), "passive");
    assert_string_equal(dp_ha_role_name((enum dp_ha_role)9), "unknown");
    assert_int_equal(dp_ha_set_role(dp, DP_HA_PASSIVE), 0);
    assert_int_equal(dp_ha_role(dp), DP_HA_PASSIVE);
    assert_int_equal(dp_ha_set_role(dp, (enum dp_ha_role)3), EINVAL);
    assert_int_equal(dp_ha_set_role(dp, (enum dp_ha_role) - 1), EINVAL);
    assert_int_equal(dp_ha_role(dp), DP_HA_PASSIVE); /* Unchanged by the bad value. */
    assert_int_equal(dp_ha_set_role(dp, DP_HA_ACTIVE), 0);
    assert_int_equal(dp_ha_role(dp), DP_HA_ACTIVE);
    /* A worker takes the role at the top of its round, not before. */
    w->ha_passive = false;
    assert_int_equal(dp_ha_set_role(dp, DP_HA_PASSIVE), 0);
    assert_false(w->ha_passive);
    dp_ha_worker_sync(w);
    assert_true(w->ha_passive);
}

/* NVGRE to a PA: forwarded standalone and active, on the burst path and the per-packet one alike;
 * dropped and counted passive, where NVGRE to an address that is no PA keeps its own reason. */
static void
test_nvgre_to_pa_by_role(void **state)
{
    static const enum dp_ha_role forwarding[] = {DP_HA_STANDALONE, DP_HA_ACTIVE};
    struct rte_mbuf *m;

    (void)state;
    for (unsigned r = 0; r < 2; r++) {
        reset(NULL);
        role(forwarding[r]);
        m = nvgre_to("10.0.0.1");
        dp_provider_burst(w, &m, 1);
        dp_provider_input(w, nvgre_to("10.0.0.5"));
        assert_int_equal(tx_count(PROVIDER), 2);
        assert_int_equal(nvgre_dst(w->tx[PROVIDER].pkts[0]), ip4("10.0.0.2"));
        assert_int_equal(nvgre_dst(w->tx[PROVIDER].pkts[1]), ip4("10.0.0.2"));
        assert_int_equal(w->stats.counter[DP_encap_nvgre], 2);
        assert_int_equal(drops_total(), 0);
    }

    reset(NULL);
    role(DP_HA_PASSIVE);
    m = nvgre_to("10.0.0.1");
    dp_provider_burst(w, &m, 1);
    dp_provider_input(w, nvgre_to("10.0.0.5"));
    expect_only_drop(DP_provider_ha_passive, 2);
    assert_int_equal(w->stats.counter[DP_decap_nvgre], 0);

    /* Ping to a PA is not answered either; a stranger's address is still not ours. */
    reset(NULL);
    role(DP_HA_PASSIVE);
    m = frame_on(PROVIDER);
    put_eth(m, PROV_MAC, PEER_MAC, RTE_ETHER_TYPE_IPV4);
    put_ping(m, "10.0.0.2", "10.0.0.1");
    dp_provider_burst(w, &m, 1);
    expect_only_drop(DP_provider_ha_passive, 1);
    reset(NULL);
    role(DP_HA_PASSIVE);
    dp_provider_input(w, nvgre_to("10.0.0.9"));
    expect_only_drop(DP_provider_not_my_pa, 1);

    /* Back to active: forwarded again. */
    reset(NULL);
    role(DP_HA_ACTIVE);
    dp_provider_input(w, nvgre_to("10.0.0.1"));
    assert_int_equal(tx_count(PROVIDER), 1);
}

/* ARP for a PA: answered standalone and active, not passive. For the node's own provider address
 * (10.0.0.11): answered active and passive, not standalone (as before pairs). */
static void
test_arp_by_role(void **state)
{
    (void)state;
    role(DP_HA_STANDALONE);
    assert_true(provider_answers("10.0.0.1"));
    assert_true(provider_answers("10.0.0.5"));
    assert_false(provider_answers("10.0.0.11"));
    role(DP_HA_ACTIVE);
    assert_true(provider_answers("10.0.0.1"));
    assert_true(provider_answers("10.0.0.5"));
    assert_true(provider_answers("10.0.0.11"));
    role(DP_HA_PASSIVE);
    assert_false(provider_answers("10.0.0.1"));
    assert_false(provider_answers("10.0.0.5"));
    assert_true(provider_answers("10.0.0.11"));
    assert_int_equal(dp->control_stats.counter[DP_provider_arp_replied], 6);

    /* An own address that is also a PA is virtual: the passive node leaves it to the active. */
    dp->ports[PROVIDER].conf.ip = ip4("10.0.0.1");
    assert_false(provider_answers("10.0.0.1"));
    role(DP_HA_ACTIVE);
    assert_true(provider_answers("10.0.0.1"));
    dp->ports[PROVIDER].conf.ip = ip4("10.0.0.11");
}

/* The uplink: a passive node drops all but ARP, which it learns from and does not answer. */
static void
test_external_by_role(void **state)
{
    struct rte_mbuf *m;

    (void)state;
    role(DP_HA_ACTIVE);
    m = frame_on(EXTERNAL);
    put_eth(m, EXT_MAC, EXTHOST_MAC, RTE_ETHER_TYPE_IPV4);
    put_ping(m, "10.99.0.2", "10.1.1.20");
    dp_external_burst(w, &m, 1);
    assert_int_equal(tx_count(PROVIDER), 1);
    assert_int_equal(nvgre_dst(w->tx[PROVIDER].pkts[0]), ip4("10.0.0.2"));

    reset(NULL);
    role(DP_HA_PASSIVE);
    m = frame_on(EXTERNAL);
    put_eth(m, EXT_MAC, EXTHOST_MAC, RTE_ETHER_TYPE_IPV4);
    put_ping(m, "10.99.0.2", "10.1.1.20");
    dp_external_burst(w, &m, 1);
    m = frame_on(EXTERNAL); /* Ping to the uplink's (virtual) address. */
    put_eth(m, EXT_MAC, EXTHOST_MAC, RTE_ETHER_TYPE_IPV4);
    put_ping(m, "10.99.0.2", "10.99.0.1");
    dp_external_input(w, m);
    m = frame_on(EXTERNAL); /* ESP to the tunnel address. */
    put_eth(m, EXT_MAC, EXTHOST_MAC, RTE_ETHER_TYPE_IPV4);
    put_ipv4(m, "10.99.0.2", "198.18.0.100", IPPROTO_ESP, 64, NULL, 64);
    dp_external_burst(w, &m, 1);
    m = frame_on(EXTERNAL); /* UDP to the NAT public address. */
    put_eth(m, EXT_MAC, EXTHOST_MAC, RTE_ETHER_TYPE_IPV4);
    put_ipv4(m, "10.99.0.2", "198.18.0.10", IPPROTO_UDP, 64, NULL, 16);
    dp_external_burst(w, &m, 1);
    m = frame_on(EXTERNAL); /* Not even IPv4. */
    put_eth(m, EXT_MAC, EXTHOST_MAC, RTE_ETHER_TYPE_IPV6);
    put(m, NULL, 40);
    dp_external_input(w, m);
    expect_only_drop(DP_external_ha_passive, 5);

    /* ARP for the uplink's, the NAT's and the tunnel's addresses: unanswered passive... */
    static const char *const virtual[] = {"10.99.0.1", "198.18.0.10", "198.18.0.100"};
    for (unsigned i = 0; i < 3; i++) {
        m = arp_frame(EXTERNAL, RTE_ARP_OP_REQUEST, BCAST, EXTHOST_MAC, "10.99.0.2", virtual[i]);
        dp_external_burst(w, &m, 1);
    }
    assert_int_equal(rte_ring_count(dp->punt), 3);
    control_round();
    assert_int_equal(tx_total(), 0);
    /* ...answered active. */
    role(DP_HA_ACTIVE);
    for (unsigned i = 0; i < 3; i++) {
        m = arp_frame(EXTERNAL, RTE_ARP_OP_REQUEST, BCAST, EXTHOST_MAC, "10.99.0.2", virtual[i]);
        dp_external_burst(w, &m, 1);
    }
    control_round();
    assert_int_equal(tx_count(EXTERNAL), 3);
    assert_int_equal(dp->control_stats.counter[DP_external_arp_replied], 3);
}

/* A passive node's compartments send nothing out, though their ARP is still answered (it never
 * leaves the node); active, they are routed. A host's VM ports work in every role. */
static void
test_exception_and_vm_by_role(void **state)
{
    struct rte_mbuf *m;

    (void)state;
    role(DP_HA_PASSIVE);
    m = frame_on(EXCEPTION);
    put_eth(m, EXC_MAC, EXC_PEER_MAC, RTE_ETHER_TYPE_IPV4);
    put_ping(m, "10.1.1.1", "10.1.1.20");
    dp_exception_input(w, m, &dp->ports[EXCEPTION]);
    expect_only_drop(DP_exception_ha_passive, 1);
    dp_exception_input(
        w, arp_frame(EXCEPTION, RTE_ARP_OP_REQUEST, BCAST, EXC_PEER_MAC, "10.1.1.1", "10.1.1.20"),
        &dp->ports[EXCEPTION]);
    assert_int_equal(tx_count(EXCEPTION), 1);
    assert_int_equal(w->stats.counter[DP_exception_arp_replied], 1);

    /* VM C's host sends to the local VM: delivered, and the VM's answer encapsulated. */
    reset(NULL);
    role(DP_HA_PASSIVE);
    m = frame_on(VM1);
    put_eth(m, VM_C_MAC, VM_LOCAL_MAC, RTE_ETHER_TYPE_IPV4);
    put_ping(m, "10.1.1.40", "10.1.1.20");
    dp_vm_input(w, m, &dp->ports[VM1]);
    assert_int_equal(tx_count(PROVIDER), 1);
    assert_int_equal(nvgre_dst(w->tx[PROVIDER].pkts[0]), ip4("10.0.0.2"));
    assert_int_equal(drops_total(), 0);

    reset(NULL);
    role(DP_HA_ACTIVE);
    m = frame_on(EXCEPTION);
    put_eth(m, EXC_MAC, EXC_PEER_MAC, RTE_ETHER_TYPE_IPV4);
    put_ping(m, "10.1.1.1", "10.1.1.20");
    dp_exception_input(w, m, &dp->ports[EXCEPTION]);
    assert_int_equal(tx_count(PROVIDER), 1);
    assert_int_equal(w->stats.counter[DP_exception_routed], 1);
}

/* What the VRRP handler saw. */
struct vrrp_seen {
    unsigned calls;     /* Times called. */
    uint16_t port;      /* The last call's port. */
    size_t len;         /* Its length. */
    uint8_t frame[128]; /* Its frame. */
};

static void
vrrp_cb(const uint8_t *frame, size_t len, uint16_t port, void *aux)
{
    struct vrrp_seen *s = aux;

    s->calls++;
    s->port = port;
    s->len = len;
    assert_true(len <= sizeof s->frame);
    memcpy(s->frame, frame, len);
}

/* VRRP is handed whole to the handler in every role, from the burst entry point as the worker
 * calls it; without a handler it is dropped and counted. */
static void
test_vrrp_to_handler_in_every_role(void **state)
{
    static const enum dp_ha_role roles[] = {DP_HA_STANDALONE, DP_HA_ACTIVE, DP_HA_PASSIVE};
    struct vrrp_seen seen = {.calls = 0};
    uint8_t sent[128];
    size_t len;
    struct rte_mbuf *m;

    (void)state;
    dp_ha_set_vrrp_handler(dp, vrrp_cb, &seen);
    for (unsigned r = 0; r < 3; r++) {
        role(roles[r]);
        memset(&seen.frame, 0, sizeof seen.frame);
        m = vrrp_frame(sent, &len);
        dp_provider_burst(w, &m, 1);
        assert_int_equal(w->stats.counter[DP_provider_vrrp_punted], r + 1);
        assert_int_equal(seen.calls, r); /* Not before the control thread runs. */
        control_round();
        assert_int_equal(seen.calls, r + 1);
        assert_int_equal(seen.port, PROVIDER);
        assert_int_equal(seen.len, len);
        assert_memory_equal(seen.frame, sent, len);
        assert_int_equal(tx_total(), 0);
    }
    assert_int_equal(dp->control_stats.counter[DP_ha_vrrp_received], 3);
    assert_int_equal(drops_total(), 0);

    dp_ha_set_vrrp_handler(dp, NULL, NULL);
    m = vrrp_frame(NULL, NULL);
    dp_provider_burst(w, &m, 1);
    control_round();
    assert_int_equal(seen.calls, 3);
    expect_only_drop(DP_ha_vrrp_no_handler, 1);
}

/* On a tagged provider port, the handler gets the frame untagged and dp_ha_send() tags it. */
static void
test_vrrp_on_vlan_port(void **state)
{
    struct vrrp_seen seen = {.calls = 0};
    uint8_t plain[128];
    size_t len;
    struct rte_mbuf *m;
    const uint8_t *out;

    (void)state;
    dp->ports[PROVIDER].conf.vlan = VLAN_ID;
    dp_ha_set_vrrp_handler(dp, vrrp_cb, &seen);
    m = vrrp_frame(plain, &len);
    add_vlan_tag(m, VLAN_ID);
    dp_provider_input(w, m);
    control_round();
    assert_int_equal(seen.calls, 1);
    assert_int_equal(seen.len, len);
    assert_memory_equal(seen.frame, plain, len);

    assert_int_equal(dp_ha_send(dp, PROVIDER, plain, len), 0);
    dp_tx_control(w);
    assert_int_equal(tx_count(PROVIDER), 1);
    m = w->tx[PROVIDER].pkts[0];
    out = rte_pktmbuf_mtod(m, const uint8_t *);
    assert_int_equal(rte_pktmbuf_data_len(m), len + 4);
    assert_memory_equal(out, plain, 12);
    assert_int_equal(out[12] << 8 | out[13], RTE_ETHER_TYPE_VLAN);
    assert_int_equal((out[14] << 8 | out[15]) & 0xfff, VLAN_ID);
    assert_memory_equal(out + 16, plain + 12, len - 12);
    dp->ports[PROVIDER].conf.vlan = 0;
}

/* A full punt ring drops VRRP under its own reason rather than blocking the worker. */
static void
test_vrrp_punt_ring_full(void **state)
{
    static uint8_t placeholder;
    struct rte_mbuf *m;
    unsigned n = 0;
    void *obj;

    (void)state;
    while (rte_ring_mp_enqueue(dp->punt, &placeholder) == 0) {
        n++;
    }
    assert_true(n > 0);
    m = vrrp_frame(NULL, NULL);
    dp_provider_burst(w, &m, 1);
    assert_int_equal(w->stats.drop[DP_provider_vrrp_punt_full], 1);
    while (rte_ring_dequeue(dp->punt, &obj) == 0) {
        assert_ptr_equal(obj, &placeholder);
        n--;
    }
    assert_int_equal(n, 0);
}

/* dp_ha_send() hands worker 0 exactly the bytes given, for the port given; bad arguments change
 * nothing. */
static void
test_send_exact_bytes(void **state)
{
    uint8_t frame[1514];
    size_t len;
    struct rte_mbuf *m;

    (void)state;
    m = vrrp_frame(frame, &len);
    rte_pktmbuf_free(m);
    assert_int_equal(dp_ha_send(dp, PROVIDER, frame, len), 0);
    for (unsigned i = 0; i < sizeof frame; i++) {
        frame[i] = (uint8_t)(i * 7 + 1);
    }
    assert_int_equal(dp_ha_send(dp, EXTERNAL, frame, sizeof frame), 0);
    assert_int_equal(dp_ha_send(dp, 30, frame, 60), ENODEV);
    assert_int_equal(dp_ha_send(dp, DP_MAX_PORTS, frame, 60), ENODEV);
    assert_int_equal(dp_ha_send(dp, PROVIDER, frame, 13), EINVAL);
    assert_int_equal(dp_ha_send(dp, PROVIDER, frame, 1515), EINVAL);
    assert_int_equal(dp_ha_send(dp, PROVIDER, NULL, 60), EINVAL);
    assert_int_equal(rte_ring_count(dp->ctl_tx), 2);
    assert_int_equal(dp->control_stats.counter[DP_ha_frames_sent], 2);

    assert_int_equal(dp_tx_control(w), 2);
    assert_int_equal(tx_count(PROVIDER), 1);
    assert_int_equal(tx_count(EXTERNAL), 1);
    m = w->tx[EXTERNAL].pkts[0];
    assert_int_equal(rte_pktmbuf_pkt_len(m), sizeof frame);
    assert_memory_equal(rte_pktmbuf_mtod(m, void *), frame, sizeof frame);
    m = vrrp_frame(frame, &len); /* The same advert again, to compare. */
    rte_pktmbuf_free(m);
    m = w->tx[PROVIDER].pkts[0];
    assert_int_equal(rte_pktmbuf_pkt_len(m), len);
    assert_memory_equal(rte_pktmbuf_mtod(m, void *), frame, len);
    assert_int_equal(drops_total(), 0);
}

/* The count ctl_tx_fd holds (reading it resets it), 0 when it is not readable. */
static uint64_t
ctl_tx_fd_count(void)
{
    struct pollfd pfd = {.fd = dp->ctl_tx_fd, .events = POLLIN};
    uint64_t count = 0;
    int ready = poll(&pfd, 1, 0);

    assert_true(ready == 0 || ready == 1);
    if (ready) {
        assert_int_equal(read(pfd.fd, &count, sizeof count), (ssize_t)sizeof count);
    }
    return count;
}

/* A frame for a sleeping worker 0 wakes it, once per sleep; an awake one is left alone. */
static void
test_send_wakes_sleeping_worker0(void **state)
{
    uint8_t frame[60] = {0};

    (void)state;
    assert_int_equal(ctl_tx_fd_count(), 0);
    assert_int_equal(dp_ha_send(dp, PROVIDER, frame, sizeof frame), 0);
    assert_int_equal(ctl_tx_fd_count(), 0); /* Awake: no syscall. */
    dp->ctl_tx_asleep = 1;
    assert_int_equal(dp_ha_send(dp, PROVIDER, frame, sizeof frame), 0);
    assert_int_equal(dp_ha_announce(dp, NULL), 0);
    assert_int_equal(ctl_tx_fd_count(), 1); /* One write for all of them. */
    assert_int_equal(dp->ctl_tx_asleep, 0);
    dp->ctl_tx_asleep = 1; /* The control thread's own frames (ARP requests) wake it too. */
    dp_punt(w, frame_on(PROVIDER), DP_PUNT_NEIGH_MISS, PROVIDER, ip4("10.0.0.9"));
    dp_control_poll(dp);
    assert_int_equal(ctl_tx_fd_count(), 1);
    assert_int_equal(rte_ring_count(dp->ctl_tx), 2 + 5 + 1);
}

/* Checks that 'm' is a gratuitous ARP for 'ip' from 'mac'. */
static void
expect_garp(struct rte_mbuf *m, const uint8_t *mac, uint32_t ip)
{
    const struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
    const struct rte_arp_hdr *arp = (const struct rte_arp_hdr *)(eth + 1);
    static const uint8_t zero[6];

    assert_int_equal(rte_pktmbuf_pkt_len(m), sizeof *eth + sizeof *arp);
    assert_memory_equal(eth->dst_addr.addr_bytes, BCAST, 6);
    assert_memory_equal(eth->src_addr.addr_bytes, mac, 6);
    assert_int_equal(ntohs(eth->ether_type), RTE_ETHER_TYPE_ARP);
    assert_true(dp_arp_is_ether_ipv4(arp));
    assert_int_equal(ntohs(arp->arp_opcode), RTE_ARP_OP_REQUEST);
    assert_memory_equal(arp->arp_data.arp_sha.addr_bytes, mac, 6);
    assert_int_equal(arp->arp_data.arp_sip, ip);
    assert_int_equal(arp->arp_data.arp_tip, ip);
    assert_memory_equal(arp->arp_data.arp_tha.addr_bytes, zero, 6);
}

/* One gratuitous ARP per virtual address, on the port that answers for it: the PAs on the
 * provider port (not the node's own address), the uplink's address, the NAT public address and the
 * tunnel address on the external port; each address once. */
static void
test_announce(void **state)
{
    unsigned sent = 99;

    (void)state;
    role(DP_HA_ACTIVE);
    assert_int_equal(dp_ha_announce(dp, &sent), 0);
    assert_int_equal(sent, 5);
    assert_int_equal(dp->control_stats.counter[DP_ha_garp_sent], 5);
    assert_int_equal(dp_tx_control(w), 5);
    assert_int_equal(tx_count(PROVIDER), 2);
    expect_garp(w->tx[PROVIDER].pkts[0], PROV_MAC, ip4("10.0.0.1"));
    expect_garp(w->tx[PROVIDER].pkts[1], PROV_MAC, ip4("10.0.0.5"));
    assert_int_equal(tx_count(EXTERNAL), 3);
    expect_garp(w->tx[EXTERNAL].pkts[0], EXT_MAC, ip4("10.99.0.1"));
    expect_garp(w->tx[EXTERNAL].pkts[1], EXT_MAC, ip4("198.18.0.10"));
    expect_garp(w->tx[EXTERNAL].pkts[2], EXT_MAC, ip4("198.18.0.100"));
    assert_int_equal(tx_total(), 5);

    /* An address both the uplink's and the NAT's is announced once; a NULL count is allowed. */
    reset(NULL);
    dp->ports[EXTERNAL].conf.ip = ip4("198.18.0.10");
    assert_int_equal(dp_ha_announce(dp, NULL), 0);
    assert_int_equal(dp_tx_control(w), 4);
    assert_int_equal(tx_count(EXTERNAL), 2);
    expect_garp(w->tx[EXTERNAL].pkts[0], EXT_MAC, ip4("198.18.0.10"));
    expect_garp(w->tx[EXTERNAL].pkts[1], EXT_MAC, ip4("198.18.0.100"));
    dp->ports[EXTERNAL].conf.ip = ip4("10.99.0.1");
}
/* The MAC the neighbor table holds for 'ip' on the provider port (NULL: none). */
static const uint8_t *
neigh_mac(const char *ip)
{
    struct dp_neigh_key k = {.port = PROVIDER, .ip = ip4(ip)};
    const struct dp_neigh *n = rcu_table_lookup(dp->neighbors, &k);

    return n ? n->mac.addr_bytes : NULL;
}

/* A gratuitous ARP (a request for its own address, or an unsolicited reply) moves a known
 * neighbor to its new MAC at once, and the next packet to it goes there; a stranger's is not
 * learned. What a host does when a pair's PA moves, in every role. */
static void
test_garp_moves_known_neighbor(void **state)
{
    static const uint8_t OLD_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x07};
    static const uint8_t NEW_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x17};
    static const uint8_t THIRD_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x27};
    struct rte_mbuf *m;

    (void)state;
    role(DP_HA_PASSIVE); /* Learning goes on in every role. */
    /* 10.0.0.7 asks for our own address: learned. */
    m = arp_frame(PROVIDER, RTE_ARP_OP_REQUEST, BCAST, OLD_MAC, "10.0.0.7", "10.0.0.11");
    dp_provider_burst(w, &m, 1);
    control_round();
    assert_non_null(neigh_mac("10.0.0.7"));
    assert_memory_equal(neigh_mac("10.0.0.7"), OLD_MAC, 6);
    reset(NULL);

    /* A packet to it fills the worker's one-entry neighbor cache with the old MAC. */
    m = frame_on(PROVIDER);
    put_ping(m, "10.0.0.11", "10.0.0.7");
    dp_tx_ip(w, m, PROVIDER, ip4("10.0.0.7"));
    assert_memory_equal(
        rte_pktmbuf_mtod(w->tx[PROVIDER].pkts[0], struct rte_ether_hdr *)->dst_addr.addr_bytes,
        OLD_MAC, 6);
    reset(NULL);

    /* Its gratuitous ARP from a new MAC: moved at once, not answered. */
    m = arp_frame(PROVIDER, RTE_ARP_OP_REQUEST, BCAST, NEW_MAC, "10.0.0.7", "10.0.0.7");
    dp_provider_burst(w, &m, 1);
    control_round();
    assert_memory_equal(neigh_mac("10.0.0.7"), NEW_MAC, 6);
    assert_int_equal(tx_total(), 0);
    m = frame_on(PROVIDER);
    put_ping(m, "10.0.0.11", "10.0.0.7");
    dp_tx_ip(w, m, PROVIDER, ip4("10.0.0.7"));
    assert_memory_equal(
        rte_pktmbuf_mtod(w->tx[PROVIDER].pkts[0], struct rte_ether_hdr *)->dst_addr.addr_bytes,
        NEW_MAC, 6);
    reset(NULL);

    /* An unsolicited broadcast reply does the same. */
    role(DP_HA_STANDALONE);
    m = arp_frame(PROVIDER, RTE_ARP_OP_REPLY, BCAST, THIRD_MAC, "10.0.0.7", "10.0.0.7");
    dp_provider_burst(w, &m, 1);
    control_round();
    assert_memory_equal(neigh_mac("10.0.0.7"), THIRD_MAC, 6);

    /* A stranger's gratuitous ARP fills nothing; a static neighbor is not moved. */
    m = arp_frame(PROVIDER, RTE_ARP_OP_REQUEST, BCAST, NEW_MAC, "10.0.0.8", "10.0.0.8");
    dp_provider_burst(w, &m, 1);
    m = arp_frame(PROVIDER, RTE_ARP_OP_REQUEST, BCAST, NEW_MAC, "10.0.0.2", "10.0.0.2");
    dp_provider_burst(w, &m, 1);
    control_round();
    assert_null(neigh_mac("10.0.0.8"));
    assert_memory_equal(neigh_mac("10.0.0.2"), PEER_MAC, 6);
    assert_int_equal(tx_total(), 0);

    struct dp_neigh_key k = {.port = PROVIDER, .ip = ip4("10.0.0.7")};
    assert_int_equal(rcu_table_del(dp->neighbors, &k), 0);
    __atomic_fetch_add(&dp->neigh_gen, 1, __ATOMIC_RELEASE);
}

/* A passive node asks for next hops from its own provider address, never from a PA (which would
 * move the PA to it in every host's cache); active, from the first PA as before. */
static void
test_arp_requests_from_own_address_when_passive(void **state)
{
    static const struct {
        enum dp_ha_role role;
        const char *own, *sender;
    } cases[] = {
        {DP_HA_STANDALONE, "10.0.0.11", "10.0.0.1"},
        {DP_HA_ACTIVE, "10.0.0.11", "10.0.0.1"},
        {DP_HA_PASSIVE, "10.0.0.11", "10.0.0.11"},
        {DP_HA_PASSIVE, "10.0.0.1", "0.0.0.0"}, /* Own address a PA: a probe. */
    };

    (void)state;
    for (unsigned i = 0; i < RTE_DIM(cases); i++) {
        struct rte_mbuf *m = frame_on(PROVIDER);
        const struct rte_arp_hdr *arp;

        reset(NULL);
        role(cases[i].role);
        dp->ports[PROVIDER].conf.ip = ip4(cases[i].own);
        put_ping(m, "10.0.0.11", "10.0.0.9");
        dp_punt(w, m, DP_PUNT_NEIGH_MISS, PROVIDER, ip4("10.0.0.9"));
        control_round();
        assert_int_equal(tx_count(PROVIDER), 1);
        arp = rte_pktmbuf_mtod_offset(w->tx[PROVIDER].pkts[0], const struct rte_arp_hdr *, 14);
        assert_int_equal(ntohs(arp->arp_opcode), RTE_ARP_OP_REQUEST);
        assert_int_equal(arp->arp_data.arp_tip, ip4("10.0.0.9"));
        assert_int_equal(arp->arp_data.arp_sip, ip4(cases[i].sender));
    }
    dp->ports[PROVIDER].conf.ip = ip4("10.0.0.11");
}

/* A traced packet dropped for the role says so, then names the drop. */
static void
test_trace_passive_drop(void **state)
{
    struct rte_mbuf *m = nvgre_to("10.0.0.1");
    char line[160];

    (void)state;
    role(DP_HA_PASSIVE);
    m->ol_flags |= dp_trace_flag;
    *RTE_MBUF_DYNFIELD(m, dp_trace_field, uint32_t *) = 1;
    dp_provider_burst(w, &m, 1);
    assert_int_equal(w->trace->n, 3);
    dp_trace_format(&w->trace->rec[1], line, sizeof line);
    assert_string_equal(line, "ha: passive node: IPv4 10.0.0.2 -> 10.0.0.1 from the provider "
                              "port is the active node's");
    dp_trace_format(&w->trace->rec[2], line, sizeof line);
    assert_string_equal(line, "drop: provider.ha_passive (IPv4 to a PA on a passive node (the "
                              "pair's active node answers))");

    w->trace->n = 0;
    m = frame_on(EXTERNAL);
    put_eth(m, EXT_MAC, EXTHOST_MAC, RTE_ETHER_TYPE_IPV6);
    put(m, NULL, 40);
    m->ol_flags |= dp_trace_flag;
    *RTE_MBUF_DYNFIELD(m, dp_trace_field, uint32_t *) = 2;
    dp_external_input(w, m);
    dp_trace_format(&w->trace->rec[0], line, sizeof line);
    assert_string_equal(line, "ha: passive node: a frame from the external port is the active "
                              "node's");

    w->trace->n = 0;
    m = vrrp_frame(NULL, NULL);
    m->ol_flags |= dp_trace_flag;
    *RTE_MBUF_DYNFIELD(m, dp_trace_field, uint32_t *) = 3;
    dp_provider_input(w, m);
    dp_trace_format(&w->trace->rec[w->trace->n - 1], line, sizeof line);
    assert_string_equal(line, "ha: VRRP 10.0.0.12 -> 224.0.0.18 to the pair's election");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_role_set_and_names, reset),
        cmocka_unit_test_setup(test_nvgre_to_pa_by_role, reset),
        cmocka_unit_test_setup(test_arp_by_role, reset),
        cmocka_unit_test_setup(test_external_by_role, reset),
        cmocka_unit_test_setup(test_exception_and_vm_by_role, reset),
        cmocka_unit_test_setup(test_vrrp_to_handler_in_every_role, reset),
        cmocka_unit_test_setup(test_vrrp_on_vlan_port, reset),
        cmocka_unit_test_setup(test_vrrp_punt_ring_full, reset),
        cmocka_unit_test_setup(test_send_exact_bytes, reset),
        cmocka_unit_test_setup(test_send_wakes_sleeping_worker0, reset),
        cmocka_unit_test_setup(test_announce, reset),
        cmocka_unit_test_setup(test_garp_moves_known_neighbor, reset),
        cmocka_unit_test_setup(test_arp_requests_from_own_address_when_passive, reset),
        cmocka_unit_test_setup(test_trace_passive_drop, reset),
    };
    return cmocka_run_group_tests_name("dataplane ha", tests, setup, teardown);
}
