/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the neighbor import (dp_neigh_learn(), for the pair's neighbor sync) on a data
 * plane with no devices: what it takes and refuses and why, that an imported entry is a learned
 * one (it ages out, ARP moves it, it releases the packets waiting for it), and the own-address
 * test and the generation it rests on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>

#include "dataplane/dp_internal.h"
#include "dataplane/ha.h"
#include "tests/dataplane/fixture.h"

#define PROVIDER 0
#define EXTERNAL 1
#define VM1      2

static struct dp *dp;
static struct dp_worker *w;

static const uint8_t PROV_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x0b};
static const uint8_t EXT_MAC[6] = {0x02, 0, 0x0a, 0x63, 0, 0x01};
static const uint8_t VM_MAC[6] = {0x02, 0, 0, 0, 0x40, 0x10};
static const uint8_t STATIC_MAC[6] = {0x02, 0, 0x0a, 0, 0, 0x02};
static const uint8_t MAC_A[6] = {0x02, 0, 0x0a, 0, 0, 0x07};
static const uint8_t MAC_B[6] = {0x02, 0, 0x0a, 0, 0, 0x17};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* A gateway of a pair: virtual PA 10.0.0.1 on a provider port of its own address 10.0.0.11/24,
 * an uplink 10.99.0.1/24 with a NAT public address and a tunnel address on its network, a VM
 * port, a static neighbor 10.0.0.2; ARP timeout 300 s. */
static int
setup(void **state)
{
    static char *argv[] = {"test", "--no-huge", "-m",
                           "256",  "--no-pci",  "--no-shconf",
                           "-l",   "0-1",       "--log-level=lib.eal:error",
                           NULL};
    struct dp_params p = {.n_workers = 1,
                          .max_lookups = 64,
                          .max_subnets = 16,
                          .max_routes = 64,
                          .max_neighbors = 64,
                          .n_mbufs = 2048,
                          .icmp_rate = 100,
                          .arp_timeout_s = 300,
                          .n_pas = 1,
                          .gateway_role = true,
                          .max_nat_sessions = 64,
                          .nat_port_block = 64,
                          .max_esp_sas = 4};
    struct dp_nat_conf nat = {.tenant = 1,
                              .n_public = 1,
                              .port_min = 1024,
                              .port_max = 65535,
                              .n_inside = 1,
                              .max_sessions = 8,
                              .max_ports = 8,
                              .timeout_s = {7440, 240, 30, 60}};
    char err[DP_ERR_MAX];

    (void)state;
    p.pas[0] = ip4("10.0.0.1");
    if (dp_create(9, argv, &p, &dp, err) != 0) {
        fail_msg("dp_create: %s", err);
    }
    w = &dp->workers[0];
    w->dp = dp;
    fixture_add_port(dp, PROVIDER, DP_PORT_PROVIDER, PROV_MAC, "10.0.0.11", 24);
    fixture_add_port(dp, EXTERNAL, DP_PORT_EXTERNAL, EXT_MAC, "10.99.0.1", 24);
    fixture_add_port(dp, VM1, DP_PORT_VM, VM_MAC, NULL, 0);
    dp->provider_port = PROVIDER;
    dp->external_port = EXTERNAL;
    assert_int_equal(dp_neigh_set_static(dp, PROVIDER, ip4("10.0.0.2"), STATIC_MAC), 0);
    nat.public_ips[0] = ip4("10.99.0.10");
    nat.inside_prefix[0] = ip4("10.1.0.0"), nat.inside_plen[0] = 16;
    assert_int_equal(dp_nat_tenant_set(dp, &nat), 0);
    assert_int_equal(dp_esp_local_add(dp, ip4("10.99.0.100")), 0);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    dp_destroy(dp);
    return 0;
}

/* What the cache says of one neighbor. */
struct seen {
    bool found;     /* It is there. */
    uint8_t mac[6]; /* Its MAC. */
    unsigned age_s; /* Its age, UINT32_MAX for a static one. */
};

struct find_ctx {
    uint16_t port;    /* Looked for. */
    uint32_t ip;      /* Looked for. */
    struct seen seen; /* Found. */
};

static bool
find_cb(uint16_t port, uint32_t ip, const uint8_t mac[6], unsigned age_s, void *aux)
{
    struct find_ctx *c = aux;

    if (port == c->port && ip == c->ip) {
        c->seen.found = true;
        memcpy(c->seen.mac, mac, 6);
        c->seen.age_s = age_s;
        return false;
    }
    return true;
}

static struct seen
seen(uint16_t port, const char *ip)
{
    struct find_ctx c = {.port = port, .ip = ip4(ip)};

    dp_neigh_iterate(dp, find_cb, &c);
    return c.seen;
}

static bool
count_cb(uint16_t port, uint32_t ip, const uint8_t mac[6], unsigned age_s, void *aux)
{
    (void)port, (void)ip, (void)mac, (void)age_s;
    ++*(unsigned *)aux;
    return true;
}

static unsigned
n_neighbors(void)
{
    unsigned n = 0;

    dp_neigh_iterate(dp, count_cb, &n);
    return n;
}

/* Removes a learned neighbor the test put there. */
static void
forget(uint16_t port, const char *ip)
{
    struct dp_neigh_key k = {.port = port, .ip = ip4(ip)};

    assert_int_equal(rcu_table_del(dp->neighbors, &k), 0);
    __atomic_fetch_add(&dp->neigh_gen, 1, __ATOMIC_RELEASE);
}

/* Imports on the provider port from text. */
static int
learn(const char *ip, const uint8_t *mac, unsigned age_s)
{
    return dp_neigh_learn(dp, PROVIDER, ip4(ip), mac, age_s);
}

/* ---- Tests ---- */

/* An import becomes a learned entry of the age it was given; an older word is refused and a
 * newer one replaces it; each takes effect for the workers (the generation moves). */
static void
test_import_and_newer_wins(void **state)
{
    uint32_t gen = dp_neigh_generation(dp);
    struct seen s;

    (void)state;
    assert_int_equal(learn("10.0.0.7", MAC_A, 10), 0);
    assert_int_not_equal(dp_neigh_generation(dp), gen);
    s = seen(PROVIDER, "10.0.0.7");
    assert_true(s.found);
    assert_memory_equal(s.mac, MAC_A, 6);
    assert_int_equal(s.age_s, 10);

    /* An older confirmation, whatever its MAC, changes nothing. */
    gen = dp_neigh_generation(dp);
    assert_int_equal(learn("10.0.0.7", MAC_B, 20), EALREADY);
    assert_int_equal(learn("10.0.0.7", MAC_A, 11), EALREADY);
    assert_int_equal(dp_neigh_generation(dp), gen);
    s = seen(PROVIDER, "10.0.0.7");
    assert_memory_equal(s.mac, MAC_A, 6);
    assert_int_equal(s.age_s, 10);

    /* A newer one moves it (the peer saw it change MAC). */
    assert_int_equal(learn("10.0.0.7", MAC_B, 0), 0);
    assert_int_not_equal(dp_neigh_generation(dp), gen);
    s = seen(PROVIDER, "10.0.0.7");
    assert_memory_equal(s.mac, MAC_B, 6);
    assert_int_equal(s.age_s, 0);

    /* On the external port too; the youngest age that would have expired is refused. */
    assert_int_equal(dp_neigh_learn(dp, EXTERNAL, ip4("10.99.0.254"), MAC_A, 299), 0);
    assert_int_equal(seen(EXTERNAL, "10.99.0.254").age_s, 299);
    assert_int_equal(dp_neigh_learn(dp, EXTERNAL, ip4("10.99.0.253"), MAC_A, 300), ESTALE);
    assert_int_equal(dp_neigh_learn(dp, EXTERNAL, ip4("10.99.0.253"), MAC_A, UINT32_MAX), ESTALE);
    assert_false(seen(EXTERNAL, "10.99.0.253").found);
    forget(PROVIDER, "10.0.0.7");
    forget(EXTERNAL, "10.99.0.254");
}

/* What is refused, with nothing changed: a static neighbor, our own addresses, what is not
 * another host of the port's network, bad MACs, ports that have no ARP. */
static void
test_import_refusals(void **state)
{
    static const uint8_t ZERO[6] = {0};
    static const uint8_t MCAST[6] = {0x01, 0x00, 0x5e, 0, 0, 1};
    unsigned before = n_neighbors();
    uint32_t gen = dp_neigh_generation(dp);
    struct seen s;

    (void)state;
    assert_int_equal(learn("10.0.0.2", MAC_A, 0), EPERM);
    s = seen(PROVIDER, "10.0.0.2");
    assert_memory_equal(s.mac, STATIC_MAC, 6);
    assert_int_equal(s.age_s, UINT32_MAX);

    /* Own: the PA, the provider port's own address, the uplink's, a NAT public address and a
     * tunnel address. */
    assert_int_equal(learn("10.0.0.1", MAC_A, 0), EADDRINUSE);
    assert_int_equal(learn("10.0.0.11", MAC_A, 0), EADDRINUSE);
    assert_int_equal(dp_neigh_learn(dp, EXTERNAL, ip4("10.99.0.1"), MAC_A, 0), EADDRINUSE);
    assert_int_equal(dp_neigh_learn(dp, EXTERNAL, ip4("10.99.0.10"), MAC_A, 0), EADDRINUSE);
    assert_int_equal(dp_neigh_learn(dp, EXTERNAL, ip4("10.99.0.100"), MAC_A, 0), EADDRINUSE);

    /* Not another host of the network: zero, off-link, the network and broadcast addresses, an
     * uplink host offered on the provider port. */
    assert_int_equal(learn("0.0.0.0", MAC_A, 0), EINVAL);
    assert_int_equal(learn("10.5.0.7", MAC_A, 0), EINVAL);
    assert_int_equal(learn("10.0.0.0", MAC_A, 0), EINVAL);
    assert_int_equal(learn("10.0.0.255", MAC_A, 0), EINVAL);
    assert_int_equal(learn("10.99.0.7", MAC_A, 0), EINVAL);
    assert_int_equal(learn("10.0.0.7", ZERO, 0), EINVAL);
    assert_int_equal(learn("10.0.0.7", MCAST, 0), EINVAL);
    assert_int_equal(learn("10.0.0.7", BCAST, 0), EINVAL);

    /* No ARP on a VM port, and no such port. */
    assert_int_equal(dp_neigh_learn(dp, VM1, ip4("10.0.0.7"), MAC_A, 0), ENODEV);
    assert_int_equal(dp_neigh_learn(dp, 9, ip4("10.0.0.7"), MAC_A, 0), ENODEV);
    assert_int_equal(dp_neigh_learn(dp, DP_MAX_PORTS, ip4("10.0.0.7"), MAC_A, 0), ENODEV);

    assert_int_equal(n_neighbors(), before);
    assert_int_equal(dp_neigh_generation(dp), gen);
}

/* A /31 has no network or broadcast address (RFC 3021): both are hosts. */
static void
test_import_slash31(void **state)
{
    (void)state;
    dp->ports[EXTERNAL].conf.plen = 31;
    dp->ports[EXTERNAL].mask = htonl(~0u << 1);
    assert_int_equal(dp_neigh_learn(dp, EXTERNAL, ip4("10.99.0.0"), MAC_A, 0), 0);
    forget(EXTERNAL, "10.99.0.0");
    dp->ports[EXTERNAL].conf.plen = 24;
    dp->ports[EXTERNAL].mask = htonl(~0u << 8);
}

/* An imported entry ages like a learned one: it goes when its confirmation is older than the
 * ARP timeout (here an old one and a young one, with the timeout brought down to what the old
 * one's age will be past within a second), and a static one stays. */
static void
test_import_ages_out(void **state)
{
    (void)state;
    assert_int_equal(learn("10.0.0.7", MAC_A, 298), 0);
    assert_int_equal(learn("10.0.0.8", MAC_A, 5), 0);
    dp->params.arp_timeout_s = 298;
    dp->last_age_tsc = 0; /* The aging pass is due. */
    dp_control_poll(dp);
    dp->params.arp_timeout_s = 300;
    assert_false(seen(PROVIDER, "10.0.0.7").found);
    assert_true(seen(PROVIDER, "10.0.0.8").found);
    assert_true(seen(PROVIDER, "10.0.0.2").found);
    forget(PROVIDER, "10.0.0.8");
}

/* An imported entry is one ARP keeps up to date: a passive node that hears the neighbor ask for
 * another host (it knows the sender) moves it to its new MAC and confirms it anew. */
static void
test_import_then_arp(void **state)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool);
    struct rte_arp_hdr *arp;
    struct rte_ether_hdr *eth;
    struct seen s;

    (void)state;
    assert_int_equal(dp_ha_set_role(dp, DP_HA_PASSIVE), 0);
    dp_ha_worker_sync(w);
    assert_int_equal(learn("10.0.0.9", MAC_A, 100), 0);
    assert_non_null(m);
    m->port = PROVIDER;
    eth = (struct rte_ether_hdr *)rte_pktmbuf_append(m, sizeof *eth + sizeof *arp);
    assert_non_null(eth);
    memcpy(eth->dst_addr.addr_bytes, BCAST, 6);
    memcpy(eth->src_addr.addr_bytes, MAC_B, 6);
    eth->ether_type = htons(RTE_ETHER_TYPE_ARP);
    arp = (struct rte_arp_hdr *)(eth + 1);
    memset(arp, 0, sizeof *arp);
    arp->arp_hardware = htons(RTE_ARP_HRD_ETHER);
    arp->arp_protocol = htons(RTE_ETHER_TYPE_IPV4);
    arp->arp_hlen = 6;
    arp->arp_plen = 4;
    arp->arp_opcode = htons(RTE_ARP_OP_REQUEST);
    memcpy(arp->arp_data.arp_sha.addr_bytes, MAC_B, 6);
    arp->arp_data.arp_sip = ip4("10.0.0.9");
    arp->arp_data.arp_tip = ip4("10.0.0.1"); /* The PA: not this passive node's to answer. */
    dp_provider_burst(w, &m, 1);
    dp_control_poll(dp);
    s = seen(PROVIDER, "10.0.0.9");
    assert_memory_equal(s.mac, MAC_B, 6);
    assert_int_equal(s.age_s, 0);
    assert_int_equal(rte_ring_count(dp->ctl_tx), 0); /* Not answered. */
    assert_int_equal(dp_ha_set_role(dp, DP_HA_STANDALONE), 0);
    dp_ha_worker_sync(w);
    forget(PROVIDER, "10.0.0.9");
}

/* Packets held for a neighbor ARP has not resolved yet go out to the imported MAC. */
static void
test_import_releases_held(void **state)
{
    struct dp_neigh_pending *p = &dp->pending[0];
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp->pool), *out = NULL;

    (void)state;
    assert_non_null(m);
    assert_non_null(rte_pktmbuf_append(m, 40));
    memset(p, 0, sizeof *p);
    p->used = true;
    p->key.port = PROVIDER;
    p->key.ip = ip4("10.0.0.20");
    p->tries = 1;
    p->last_request_tsc = rte_rdtsc();
    p->held[p->n++] = m;
    assert_int_equal(learn("10.0.0.20", MAC_A, 3), 0);
    assert_false(p->used);
    assert_int_equal(rte_ring_dequeue(dp->ctl_tx, (void **)&out), 0);
    assert_ptr_equal(out, m);
    assert_memory_equal(rte_pktmbuf_mtod(out, struct rte_ether_hdr *)->dst_addr.addr_bytes, MAC_A,
                        6);
    rte_pktmbuf_free(out);
    forget(PROVIDER, "10.0.0.20");
}

/* The own addresses, in any role; another host is not. */
static void
test_addr_is_own(void **state)
{
    (void)state;
    for (int r = DP_HA_STANDALONE; r <= DP_HA_PASSIVE; r++) {
        assert_int_equal(dp_ha_set_role(dp, (enum dp_ha_role)r), 0);
        assert_true(dp_addr_is_own(dp, PROVIDER, ip4("10.0.0.1")));
        assert_true(dp_addr_is_own(dp, PROVIDER, ip4("10.0.0.11")));
        assert_true(dp_addr_is_own(dp, EXTERNAL, ip4("10.99.0.1")));
        assert_true(dp_addr_is_own(dp, EXTERNAL, ip4("10.99.0.10")));
        assert_true(dp_addr_is_own(dp, EXTERNAL, ip4("10.99.0.100")));
        assert_false(dp_addr_is_own(dp, PROVIDER, ip4("10.0.0.7")));
        assert_false(dp_addr_is_own(dp, PROVIDER, ip4("10.99.0.10"))); /* NAT: the uplink's. */
        assert_false(dp_addr_is_own(dp, EXTERNAL, ip4("10.99.0.7")));
    }
    assert_int_equal(dp_ha_set_role(dp, DP_HA_STANDALONE), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_import_and_newer_wins), cmocka_unit_test(test_import_refusals),
        cmocka_unit_test(test_import_slash31),        cmocka_unit_test(test_import_ages_out),
        cmocka_unit_test(test_import_then_arp),       cmocka_unit_test(test_import_releases_held),
        cmocka_unit_test(test_addr_is_own),
    };
    return cmocka_run_group_tests_name("dataplane neighbor import", tests, setup, teardown);
}
