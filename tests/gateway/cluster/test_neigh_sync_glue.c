/* SPDX-License-Identifier: Apache-2.0 */
/* The neighbors on the sync channel: the record's wire form, then a glue on a device-less data
 * plane talking over a real channel (127.0.0.1) to a bare channel endpoint that plays the peer:
 * what the diff tells it (learned entries only, on the provider and external ports, never our
 * own addresses; changes, moves and confirmations; nothing while passive), what a bulk walk
 * serves, and how the peer's records are imported or refused, each refusal counted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/dp_internal.h"
#include "dataplane/ha.h"
#include "gateway/cluster/neigh_sync_glue.h"
#include "tests/lib/dp_fixture.h"

/* DPDK port ids that are not the wire's port numbers: the ids need not match between nodes. */
#define VM_ID       0
#define EXTERNAL_ID 1
#define PROVIDER_ID 3

static struct dp *dp;
static sd_event *event;
static struct sync *node;             /* The gateway's channel end. */
static struct sync *peer;             /* The peer's, with the test's client. */
static struct neigh_sync_glue *glue;  /* On 'node'. */
static struct neigh_sync_rec got[64]; /* What the peer received, in order. */
static size_t n_got;
static unsigned bulk_dones;

static const char SECRET[] = "the pair's sync secret, 32 bytes";
static const uint8_t MAC_A[6] = {0x02, 0, 0x0a, 0, 0, 0x07};
static const uint8_t MAC_B[6] = {0x02, 0, 0x0a, 0, 0, 0x17};
static const uint8_t MAC_C[6] = {0x02, 0, 0x0a, 0x63, 0, 0xfe};

/* ---- The wire form ---- */

static void
test_wire(void **state)
{
    struct neigh_sync_rec r = {.port = NEIGH_SYNC_EXTERNAL,
                               .mac = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55},
                               .age_s = 0x01020304},
                          back;
    static const uint8_t want[NEIGH_SYNC_WIRE_LEN] = {2,  0,  0x02, 0x11, 0x22, 0x33, 0x44, 0x55,
                                                      10, 99, 0,    254,  1,    2,    3,    4};
    uint8_t wire[NEIGH_SYNC_WIRE_LEN + 1] = {0};

    (void)state;
    r.ip = test_ip4("10.99.0.254");
    neigh_sync_encode(&r, wire);
    assert_memory_equal(wire, want, sizeof want);
    assert_int_equal(neigh_sync_decode(wire, NEIGH_SYNC_WIRE_LEN, &back), 0);
    assert_memory_equal(&back, &r, sizeof r);
    r.port = NEIGH_SYNC_PROVIDER, r.age_s = 0;
    neigh_sync_encode(&r, wire);
    assert_int_equal(neigh_sync_decode(wire, NEIGH_SYNC_WIRE_LEN, &back), 0);
    assert_memory_equal(&back, &r, sizeof r);
    /* A wrong length, an unknown port, the reserved byte set. */
    assert_int_equal(neigh_sync_decode(wire, NEIGH_SYNC_WIRE_LEN - 1, &back), EINVAL);
    assert_int_equal(neigh_sync_decode(wire, NEIGH_SYNC_WIRE_LEN + 1, &back), EINVAL);
    wire[0] = 0;
    assert_int_equal(neigh_sync_decode(wire, NEIGH_SYNC_WIRE_LEN, &back), EINVAL);
    wire[0] = 3;
    assert_int_equal(neigh_sync_decode(wire, NEIGH_SYNC_WIRE_LEN, &back), EINVAL);
    wire[0] = 1, wire[1] = 1;
    assert_int_equal(neigh_sync_decode(wire, NEIGH_SYNC_WIRE_LEN, &back), EINVAL);
}

/* ---- The glue on a channel ---- */

static void
peer_recv(void *aux, uint16_t type, const void *val, size_t len)
{
    (void)aux;
    assert_int_equal(type, SYNC_REC_NEIGH);
    assert_true(n_got < sizeof got / sizeof got[0]);
    assert_int_equal(neigh_sync_decode(val, len, &got[n_got++]), 0);
}

static void
peer_bulk(void *aux, enum sync_bulk_event ev)
{
    (void)aux;
    bulk_dones += ev == SYNC_BULK_DONE;
}

static uint16_t
free_port(void)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof sa;
    int fd = socket(AF_INET, SOCK_DGRAM, 0);

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

static struct sync *
channel(uint16_t port, uint16_t peer_port)
{
    struct sync_conf c;
    struct sockaddr_in *l = (struct sockaddr_in *)&c.local, *p = (struct sockaddr_in *)&c.peer;
    struct sync *s;
    char err[256];

    memset(&c, 0, sizeof c);
    l->sin_family = p->sin_family = AF_INET;
    l->sin_addr.s_addr = p->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    l->sin_port = htons(port);
    p->sin_port = htons(peer_port);
    memcpy(c.secret, SECRET, sizeof SECRET - 1);
    c.secret_len = sizeof SECRET - 1;
    c.hello_ms = 50;
    assert_int_equal(sync_create(&c, event, &s, err), 0);
    return s;
}

/* Runs the loop until 'done' holds; bounded by a number of wake-ups, only so that a broken
 * channel fails instead of hanging. */
static void
run_until(bool (*done)(void))
{
    for (unsigned i = 0; i < 3000 && !done(); i++) {
        assert_true(sd_event_run(event, 10000) >= 0);
    }
    assert_true(done());
}

static bool
up(void)
{
    return sync_peer_up(node) && sync_peer_up(peer);
}

/* The channel is up and the bulk resync the peer asks for when it joins is over. */
static bool
joined(void)
{
    return up() && bulk_dones >= 1;
}

/* Makes DPDK port 'id' a port of 'kind', as dp_port_add() would, in the order of the calls. */
static void
add_port(uint16_t id, enum dp_port_kind kind, const char *ip, uint8_t plen)
{
    struct dp_port *p = &dp->ports[id];

    memset(p, 0, sizeof *p);
    p->conf.kind = kind;
    p->conf.ip = ip ? test_ip4(ip) : 0;
    p->conf.plen = plen;
    p->mask = plen ? htonl(~0u << (32 - plen)) : 0;
    p->port_id = id;
    p->used = true;
    dp->port_order[dp->n_ports++] = id;
}

/* Puts a learned entry in the cache behind the import's back (what ARP could learn and the
 * import refuses). */
static void
plant(uint16_t port, const char *ip, const uint8_t *mac)
{
    struct dp_neigh_key k = {.port = port, .ip = test_ip4(ip)};
    struct dp_neigh n = {.learned_tsc = rte_rdtsc()};

    memcpy(n.mac.addr_bytes, mac, 6);
    assert_int_equal(rcu_table_set(dp->neighbors, &k, &n), 0);
    __atomic_fetch_add(&dp->neigh_gen, 1, __ATOMIC_RELEASE);
}

/* A gateway of PA 10.0.0.1 with a VM port, an uplink 10.99.0.1/24 and a provider port
 * 10.0.0.11/24 (added in that order), and a static neighbor 10.0.0.2. */
static int
setup(void **state)
{
    struct sync_client pc = {.type_min = SYNC_REC_NEIGH,
                             .type_max = SYNC_REC_NEIGH,
                             .recv = peer_recv,
                             .bulk_rx = peer_bulk};
    uint16_t a = free_port(), b = free_port();

    (void)state;
    dp = test_dp_start((struct dp_params){.max_neighbors = 64});
    add_port(VM_ID, DP_PORT_VM, NULL, 0);
    add_port(EXTERNAL_ID, DP_PORT_EXTERNAL, "10.99.0.1", 24);
    add_port(PROVIDER_ID, DP_PORT_PROVIDER, "10.0.0.11", 24);
    dp->provider_port = PROVIDER_ID;
    dp->external_port = EXTERNAL_ID;
    assert_int_equal(dp_neigh_set_static(dp, PROVIDER_ID, test_ip4("10.0.0.2"), MAC_C), 0);
    assert_true(sd_event_new(&event) >= 0);
    node = channel(a, b);
    peer = channel(b, a);
    assert_int_equal(sync_client_add(peer, &pc), 0);
    assert_int_equal(neigh_sync_glue_create(dp, node, event, &glue), 0);
    run_until(joined);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    neigh_sync_glue_destroy(glue);
    sync_destroy(node);
    sync_destroy(peer);
    sd_event_unref(event);
    dp_destroy(dp);
    return 0;
}

static size_t want;
static bool
peer_has(void)
{
    return n_got >= want;
}

static unsigned want_dones;
static bool
peer_bulk_done(void)
{
    return bulk_dones >= want_dones;
}

static uint64_t
counter(enum neigh_sync_glue_counter c)
{
    return neigh_sync_glue_counter(glue, c);
}

/* Checks a record; its age within [age_min, age_max] (seconds pass while the loop runs). */
static void
expect(const struct neigh_sync_rec *r, uint8_t port, const char *ip, const uint8_t *mac,
       uint32_t age_min, uint32_t age_max)
{
    assert_int_equal(r->port, port);
    assert_int_equal(r->ip, test_ip4(ip));
    assert_memory_equal(r->mac, mac, 6);
    assert_in_range(r->age_s, age_min, age_max);
}

/* Imports on the provider port. */
static int
learn(const char *ip, const uint8_t *mac, unsigned age_s)
{
    return dp_neigh_learn(dp, PROVIDER_ID, test_ip4(ip), mac, age_s);
}

/* What the diff tells the peer, and what it does not. */
static void
test_diff(void **state)
{
    uint64_t sent;

    (void)state;
    /* Learned: a host node's PA and the uplink's next hop. Not told: the static neighbor, our
     * own PA (a peer's gratuitous ARP can put it in the cache) and an entry of the VM port. */
    assert_int_equal(learn("10.0.0.7", MAC_A, 5), 0);
    assert_int_equal(dp_neigh_learn(dp, EXTERNAL_ID, test_ip4("10.99.0.254"), MAC_C, 100), 0);
    plant(PROVIDER_ID, "10.0.0.1", MAC_B);
    plant(VM_ID, "10.1.1.5", MAC_B);
    /* Sorted by port then address, each with its age. */
    neigh_sync_glue_diff(glue);
    want = 2;
    run_until(peer_has);
    assert_int_equal(n_got, 2);
    expect(&got[0], NEIGH_SYNC_PROVIDER, "10.0.0.7", MAC_A, 5, 5);
    expect(&got[1], NEIGH_SYNC_EXTERNAL, "10.99.0.254", MAC_C, 100, 100);
    assert_int_equal(counter(NEIGH_SYNC_GLUE_sent), 2);

    /* A change elsewhere in the table (a new static neighbor) tells nothing new; neither does a
     * confirmation within the slack. */
    sent = counter(NEIGH_SYNC_GLUE_sent);
    assert_int_equal(dp_neigh_set_static(dp, PROVIDER_ID, test_ip4("10.0.0.3"), MAC_C), 0);
    neigh_sync_glue_diff(glue);
    assert_int_equal(learn("10.0.0.7", MAC_A, 4), 0);
    neigh_sync_glue_diff(glue);
    assert_int_equal(counter(NEIGH_SYNC_GLUE_sent), sent);

    /* Confirmed again past the slack, so that the peer's copy lives on. */
    n_got = 0;
    assert_int_equal(learn("10.0.0.7", MAC_A, 2), 0);
    neigh_sync_glue_diff(glue);
    want = 1;
    run_until(peer_has);
    expect(&got[0], NEIGH_SYNC_PROVIDER, "10.0.0.7", MAC_A, 2, 2);
    /* Moved to a new MAC: the timer tells it (within its period). */
    assert_int_equal(dp_neigh_learn(dp, EXTERNAL_ID, test_ip4("10.99.0.254"), MAC_B, 0), 0);
    want = 2;
    run_until(peer_has);
    expect(&got[1], NEIGH_SYNC_EXTERNAL, "10.99.0.254", MAC_B, 0, 2);
    assert_int_equal(n_got, 2);
    assert_int_equal(counter(NEIGH_SYNC_GLUE_sent), sent + 2);

    /* Passive: a new neighbor is not told, and a bulk is empty. */
    assert_int_equal(dp_ha_set_role(dp, DP_HA_PASSIVE), 0);
    n_got = 0;
    assert_int_equal(learn("10.0.0.8", MAC_B, 0), 0);
    neigh_sync_glue_diff(glue);
    want_dones = bulk_dones + 1;
    assert_int_equal(sync_request_bulk(peer), 0);
    run_until(peer_bulk_done);
    assert_int_equal(n_got, 0);
    assert_int_equal(counter(NEIGH_SYNC_GLUE_sent), sent + 2);

    /* Active again: the peer may lack anything, so it is told everything. */
    assert_int_equal(dp_ha_set_role(dp, DP_HA_ACTIVE), 0);
    neigh_sync_glue_diff(glue);
    want = 3;
    run_until(peer_has);
    assert_int_equal(n_got, 3);
    expect(&got[0], NEIGH_SYNC_PROVIDER, "10.0.0.7", MAC_A, 2, 6);
    expect(&got[1], NEIGH_SYNC_PROVIDER, "10.0.0.8", MAC_B, 0, 4);
    expect(&got[2], NEIGH_SYNC_EXTERNAL, "10.99.0.254", MAC_B, 0, 4);

    /* A bulk walk serves the same. */
    n_got = 0;
    want_dones = bulk_dones + 1;
    assert_int_equal(sync_request_bulk(peer), 0);
    run_until(peer_bulk_done);
    assert_int_equal(n_got, 3);
    expect(&got[0], NEIGH_SYNC_PROVIDER, "10.0.0.7", MAC_A, 2, 6);
    expect(&got[1], NEIGH_SYNC_PROVIDER, "10.0.0.8", MAC_B, 0, 4);
    expect(&got[2], NEIGH_SYNC_EXTERNAL, "10.99.0.254", MAC_B, 0, 4);
    assert_int_equal(counter(NEIGH_SYNC_GLUE_bulk_sent), 3);
    /* The join's walk (of an empty cache) and this one: the passive one walked nothing. */
    assert_int_equal(counter(NEIGH_SYNC_GLUE_bulk_walks), 2);
    assert_int_equal(dp_ha_set_role(dp, DP_HA_STANDALONE), 0);
}

/* Sends 'r' from the peer. */
static void
peer_send(uint8_t port, const char *ip, const uint8_t *mac, uint32_t age_s)
{
    struct neigh_sync_rec r = {.port = port, .age_s = age_s};
    uint8_t wire[NEIGH_SYNC_WIRE_LEN];

    r.ip = test_ip4(ip);
    memcpy(r.mac, mac, 6);
    neigh_sync_encode(&r, wire);
    assert_int_equal(sync_send(peer, SYNC_REC_NEIGH, wire, sizeof wire), 0);
}

static bool
glue_has(void)
{
    return counter(NEIGH_SYNC_GLUE_received) >= want;
}

/* What a neighbor's entry says: its MAC in 'mac', the age returned (UINT32_MAX: static, 0 and
 * 'mac' untouched: absent). */
struct find_ctx {
    uint16_t port;  /* Looked for. */
    uint32_t ip;    /* Looked for. */
    bool found;     /* Found. */
    uint8_t mac[6]; /* Its MAC. */
    unsigned age;   /* Its age. */
};

static bool
find_cb(uint16_t port, uint32_t ip, const uint8_t mac[6], unsigned age_s, void *aux)
{
    struct find_ctx *c = aux;

    if (port == c->port && ip == c->ip) {
        c->found = true;
        memcpy(c->mac, mac, 6);
        c->age = age_s;
        return false;
    }
    return true;
}

static struct find_ctx
find(uint16_t port, const char *ip)
{
    struct find_ctx c = {.port = port, .ip = test_ip4(ip)};

    dp_neigh_iterate(dp, find_cb, &c);
    return c;
}

/* The peer's records: installed on the right port as learned entries of their age, or refused
 * and counted, with nothing changed. */
static void
test_import(void **state)
{
    static const uint8_t MCAST[6] = {0x01, 0, 0x5e, 0, 0, 1};
    uint64_t received = counter(NEIGH_SYNC_GLUE_received);
    uint8_t junk[NEIGH_SYNC_WIRE_LEN - 1] = {1};
    struct find_ctx f;

    (void)state;
    peer_send(NEIGH_SYNC_PROVIDER, "10.0.0.30", MAC_A, 7);
    peer_send(NEIGH_SYNC_EXTERNAL, "10.99.0.30", MAC_B, 0);
    peer_send(NEIGH_SYNC_PROVIDER, "10.0.0.30", MAC_B, 50); /* Older than the first. */
    peer_send(NEIGH_SYNC_PROVIDER, "10.0.0.2", MAC_A, 0);   /* Static here. */
    peer_send(NEIGH_SYNC_PROVIDER, "10.0.0.1", MAC_A, 0);   /* Our PA. */
    peer_send(NEIGH_SYNC_EXTERNAL, "10.99.0.1", MAC_A, 0);  /* The uplink's own address. */
    peer_send(NEIGH_SYNC_PROVIDER, "10.99.0.31", MAC_A, 0); /* Off-link there. */
    peer_send(NEIGH_SYNC_PROVIDER, "10.0.0.31", MCAST, 0);
    peer_send(NEIGH_SYNC_PROVIDER, "10.0.0.32", MAC_A, 300); /* The ARP timeout. */
    assert_int_equal(sync_send(peer, SYNC_REC_NEIGH, junk, sizeof junk), 0);
    want = received + 10;
    run_until(glue_has);

    assert_int_equal(counter(NEIGH_SYNC_GLUE_imported), 2);
    assert_int_equal(counter(NEIGH_SYNC_GLUE_kept_newer), 1);
    assert_int_equal(counter(NEIGH_SYNC_GLUE_refused_static), 1);
    assert_int_equal(counter(NEIGH_SYNC_GLUE_refused_own), 2);
    assert_int_equal(counter(NEIGH_SYNC_GLUE_refused_address), 2);
    assert_int_equal(counter(NEIGH_SYNC_GLUE_refused_stale), 1);
    assert_int_equal(counter(NEIGH_SYNC_GLUE_decode_errors), 1);
    assert_int_equal(counter(NEIGH_SYNC_GLUE_refused_port), 0);

    f = find(PROVIDER_ID, "10.0.0.30");
    assert_true(f.found);
    assert_memory_equal(f.mac, MAC_A, 6);
    assert_true(f.age >= 7 && f.age <= 8);
    f = find(EXTERNAL_ID, "10.99.0.30");
    assert_true(f.found);
    assert_memory_equal(f.mac, MAC_B, 6);
    assert_true(f.age <= 1);
    f = find(PROVIDER_ID, "10.0.0.2");
    assert_memory_equal(f.mac, MAC_C, 6);
    assert_int_equal(f.age, UINT32_MAX);
    /* The PA test_diff planted keeps its MAC. */
    assert_memory_equal(find(PROVIDER_ID, "10.0.0.1").mac, MAC_B, 6);
    assert_false(find(PROVIDER_ID, "10.0.0.31").found);
    assert_false(find(PROVIDER_ID, "10.0.0.32").found);
    assert_false(find(PROVIDER_ID, "10.99.0.31").found);
}

/* The "show cluster" part. */
static void
test_json(void **state)
{
    json_t *o = json_object(), *n;

    (void)state;
    assert_int_equal(neigh_sync_glue_to_json(glue, o), 0);
    n = json_object_get(o, "neigh");
    assert_non_null(n);
    assert_int_equal(json_integer_value(json_object_get(n, "imported")),
                     counter(NEIGH_SYNC_GLUE_imported));
    assert_int_equal(json_integer_value(json_object_get(n, "refused_own")),
                     counter(NEIGH_SYNC_GLUE_refused_own));
    assert_true(json_integer_value(json_object_get(n, "told")) >= 3);
    assert_int_equal(json_object_size(n), NEIGH_SYNC_GLUE_N_COUNTERS + 1);
    json_decref(o);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wire),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_import),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
