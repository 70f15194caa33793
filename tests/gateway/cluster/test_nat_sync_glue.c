/* SPDX-License-Identifier: Apache-2.0 */
/* The NAT sessions on the sync channel: the record's wire form, then a glue on a device-less data
 * plane talking over a real channel (127.0.0.1) to a bare channel endpoint that plays the peer:
 * its records are imported, the data plane's changes reach it, a bulk walk serves it, and a
 * passive node sends nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include "dataplane/dp_internal.h"
#include "dataplane/ha.h"
#include "gateway/cluster/nat_sync_glue.h"
#include "tests/lib/dp_fixture.h"

static struct dp *dp;
static sd_event *event;
static struct sync *node;              /* The gateway's channel end. */
static struct sync *peer;              /* The peer's, with the test's client. */
static struct nat_sync_glue *glue;     /* On 'node'. */
static struct dp_nat_sync_rec got[64]; /* What the peer received, in order. */
static size_t n_got;
static unsigned bulk_dones;

static const char SECRET[] = "the pair's sync secret, 32 bytes";

/* ---- The wire form ---- */

static struct dp_nat_sync_rec
sample(void)
{
    struct dp_nat_sync_rec r = {.op = DP_NAT_SYNC_UPSERT,
                                .proto = IPPROTO_TCP,
                                .tcp_state = DP_NAT_TCP_ESTABLISHED,
                                .tcp_flags = DP_NAT_SYNC_SYN_OUT | DP_NAT_SYNC_SYN_IN,
                                .tenant = 0x1234,
                                .in_port = 40000,
                                .pub_port = 4321,
                                .rem_port = 443,
                                .lifetime_s = 0x01020304};
    r.in_ip = test_ip4("10.1.1.11");
    r.pub_ip = test_ip4("198.18.0.10");
    r.rem_ip = test_ip4("198.18.1.3");
    return r;
}

/* Every field at its place, big-endian, addresses as they are on the wire. */
static void
test_encode_layout(void **state)
{
    struct dp_nat_sync_rec r = sample();
    static const uint8_t want[NAT_SYNC_WIRE_LEN] = {
        1,   6,  2, 0x03, 0x12, 0x34, 0x9c, 0x40, 10, 1, 1, 11, 198, 18, 0, 10,
        198, 18, 1, 3,    0x10, 0xe1, 0x01, 0xbb, 1,  2, 3, 4,  0,   0,  0, 0};
    uint8_t wire[NAT_SYNC_WIRE_LEN];

    (void)state;
    nat_sync_encode(&r, wire);
    assert_memory_equal(wire, want, sizeof want);
}

/* Decode(encode(r)) == r; a wrong length or a reserved word set is refused. */
static void
test_decode(void **state)
{
    struct dp_nat_sync_rec r = sample(), back;
    uint8_t wire[NAT_SYNC_WIRE_LEN + 1] = {0};

    (void)state;
    nat_sync_encode(&r, wire);
    assert_int_equal(nat_sync_decode(wire, NAT_SYNC_WIRE_LEN, &back), 0);
    assert_memory_equal(&back, &r, sizeof r);
    r.op = DP_NAT_SYNC_DELETE, r.proto = IPPROTO_ICMP, r.tcp_state = 0, r.tcp_flags = 0;
    r.rem_port = 0, r.lifetime_s = 0;
    nat_sync_encode(&r, wire);
    assert_int_equal(nat_sync_decode(wire, NAT_SYNC_WIRE_LEN, &back), 0);
    assert_memory_equal(&back, &r, sizeof r);
    assert_int_equal(nat_sync_decode(wire, NAT_SYNC_WIRE_LEN - 1, &back), EINVAL);
    assert_int_equal(nat_sync_decode(wire, NAT_SYNC_WIRE_LEN + 1, &back), EINVAL);
    wire[30] = 1;
    assert_int_equal(nat_sync_decode(wire, NAT_SYNC_WIRE_LEN, &back), EINVAL);
}

/* ---- The glue on a channel ---- */

static void
peer_recv(void *aux, uint16_t type, const void *val, size_t len)
{
    (void)aux;
    assert_int_equal(type, SYNC_REC_NAT_SESSION);
    assert_true(n_got < sizeof got / sizeof got[0]);
    assert_int_equal(nat_sync_decode(val, len, &got[n_got++]), 0);
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

/* Runs the loop (and the worker, which applies imports) until 'done' holds; bounded by a
 * number of wake-ups, only so that a broken channel fails instead of hanging. */
static void
run_until(bool (*done)(void))
{
    for (unsigned i = 0; i < 3000 && !done(); i++) {
        assert_true(sd_event_run(event, 10000) >= 0);
        nat_worker_tick(&dp->workers[0], rte_rdtsc());
    }
    assert_true(done());
}

static bool
up(void)
{
    return sync_peer_up(node) && sync_peer_up(peer);
}

static int
setup(void **state)
{
    struct dp_nat_conf c = {.tenant = 1,
                            .n_public = 1,
                            .port_min = 1024,
                            .port_max = 65535,
                            .n_inside = 1,
                            .max_sessions = 100,
                            .max_ports = 100,
                            .timeout_s = {7440, 240, 30, 60}};
    struct sync_client pc = {.type_min = SYNC_REC_NAT_SESSION,
                             .type_max = SYNC_REC_NAT_SESSION,
                             .recv = peer_recv,
                             .bulk_rx = peer_bulk};
    uint16_t a = free_port(), b = free_port();

    (void)state;
    dp = test_dp_start((struct dp_params){.max_nat_sessions = 1024, .nat_port_block = 64});
    dp->workers[0].dp = dp;
    c.public_ips[0] = test_ip4("198.18.0.10");
    c.inside_prefix[0] = test_ip4("10.1.0.0"), c.inside_plen[0] = 16;
    assert_int_equal(dp_nat_tenant_set(dp, &c), 0);
    assert_int_equal(nat_start(dp), 0);
    assert_true(sd_event_new(&event) >= 0);
    node = channel(a, b);
    peer = channel(b, a);
    assert_int_equal(sync_client_add(peer, &pc), 0);
    assert_int_equal(nat_sync_glue_create(dp, node, event, &glue), 0);
    run_until(up);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    nat_sync_glue_destroy(glue);
    sync_destroy(node);
    sync_destroy(peer);
    sd_event_unref(event);
    dp_destroy(dp);
    return 0;
}

static uint32_t
live(void)
{
    struct dp_nat_usage u;
    assert_int_equal(dp_nat_usage(dp, 1, &u), 0);
    return u.sessions;
}

static bool
imported3(void)
{
    return live() == 3;
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

/* The peer's records become sessions; a clear here reaches the peer as deletes; a bulk resync
 * serves the peer every session; a passive node sends nothing and serves an empty bulk. */
static void
test_glue_round_trip(void **state)
{
    struct dp_nat_sync_rec r = sample();
    struct dp_nat_filter all = {0};
    uint8_t wire[NAT_SYNC_WIRE_LEN];

    (void)state;
    r.tenant = 1;
    for (uint16_t i = 0; i < 3; i++) {
        r.in_port = (uint16_t)(40000 + i), r.pub_port = (uint16_t)(40000 + i);
        nat_sync_encode(&r, wire);
        assert_int_equal(sync_send(peer, SYNC_REC_NAT_SESSION, wire, sizeof wire), 0);
    }
    wire[30] = 1; /* A malformed one. */
    assert_int_equal(sync_send(peer, SYNC_REC_NAT_SESSION, wire, sizeof wire), 0);
    run_until(imported3);
    assert_int_equal(nat_sync_glue_counter(glue, NAT_SYNC_GLUE_received), 4);
    assert_int_equal(nat_sync_glue_counter(glue, NAT_SYNC_GLUE_imported), 3);
    assert_int_equal(nat_sync_glue_counter(glue, NAT_SYNC_GLUE_decode_errors), 1);

    /* The imports are not sent back; a clear here is. */
    n_got = 0;
    assert_int_equal(dp_nat_clear(dp, &all), 3);
    want = 3;
    run_until(peer_has);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(got[i].op, DP_NAT_SYNC_DELETE);
        assert_int_equal(got[i].pub_ip, r.pub_ip);
    }
    assert_int_equal(nat_sync_glue_counter(glue, NAT_SYNC_GLUE_sent), 3);

    /* Import again, then the peer asks for everything: the walk sends the three. */
    r.op = DP_NAT_SYNC_UPSERT;
    for (uint16_t i = 0; i < 3; i++) {
        r.in_port = (uint16_t)(40000 + i), r.pub_port = (uint16_t)(40000 + i);
        nat_sync_encode(&r, wire);
        assert_int_equal(sync_send(peer, SYNC_REC_NAT_SESSION, wire, sizeof wire), 0);
    }
    run_until(imported3);
    n_got = 0;
    want_dones = bulk_dones + 1;
    assert_int_equal(sync_request_bulk(peer), 0);
    run_until(peer_bulk_done);
    assert_int_equal(n_got, 3);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(got[i].op, DP_NAT_SYNC_UPSERT);
        assert_int_equal(got[i].tcp_state, DP_NAT_TCP_ESTABLISHED);
        assert_int_equal(got[i].pub_port, got[i].in_port);
        assert_true(got[i].lifetime_s > 7000);
    }
    assert_int_equal(nat_sync_glue_counter(glue, NAT_SYNC_GLUE_bulk_sent), 3);

    /* Passive: a clear is not sent, and a bulk is empty. */
    assert_int_equal(dp_ha_set_role(dp, DP_HA_PASSIVE), 0);
    n_got = 0;
    assert_int_equal(dp_nat_clear(dp, &all), 3);
    want_dones = bulk_dones + 1;
    assert_int_equal(sync_request_bulk(peer), 0);
    run_until(peer_bulk_done);
    nat_sync_glue_flush(glue);
    assert_int_equal(n_got, 0);
    assert_int_equal(nat_sync_glue_counter(glue, NAT_SYNC_GLUE_not_sent_passive), 3);
    assert_int_equal(dp_ha_set_role(dp, DP_HA_STANDALONE), 0);
}

/* Serving a bulk resync does not stop the export: changes made after it reach the peer by the
 * data plane's wake-up alone (no flush). Issue 12: the bulk's own drain left the wake-up
 * disarmed and the timer off, so an active node that had served its peer's join bulk sent no
 * session again, and the peer took over without them. */
static void
test_glue_export_after_bulk(void **state)
{
    struct dp_nat_sync_rec r = sample();
    struct dp_nat_filter all = {0};
    uint8_t wire[NAT_SYNC_WIRE_LEN];
    unsigned seen = 0;

    (void)state;
    assert_int_equal(dp_ha_role(dp), DP_HA_STANDALONE);
    r.tenant = 1;
    for (uint16_t i = 0; i < 3; i++) {
        r.in_port = (uint16_t)(41000 + i), r.pub_port = (uint16_t)(41000 + i);
        nat_sync_encode(&r, wire);
        assert_int_equal(sync_send(peer, SYNC_REC_NAT_SESSION, wire, sizeof wire), 0);
    }
    run_until(imported3);
    /* The export idle before the bulk, as on a node up for a while: nothing waits, the
     * wake-up is armed and the drain timer off. */
    nat_sync_glue_flush(glue);
    want_dones = bulk_dones + 1;
    n_got = 0;
    assert_int_equal(sync_request_bulk(peer), 0);
    run_until(peer_bulk_done);
    assert_int_equal(n_got, 3);

    n_got = 0;
    assert_int_equal(dp_nat_clear(dp, &all), 3);
    want = 3;
    run_until(peer_has);
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(got[i].op, DP_NAT_SYNC_DELETE);
        assert_in_range(got[i].in_port, 41000, 41002);
        seen |= 1u << (got[i].in_port - 41000);
    }
    assert_int_equal(seen, 7); /* Each once (in the order the tables give them). */
}

/* The JSON view. */
static void
test_glue_json(void **state)
{
    json_t *o = json_object();

    (void)state;
    assert_int_equal(nat_sync_glue_to_json(glue, o), 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "nat"), "imported")),
                     nat_sync_glue_counter(glue, NAT_SYNC_GLUE_imported));
    json_decref(o);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_encode_layout),   cmocka_unit_test(test_decode),
        cmocka_unit_test(test_glue_round_trip), cmocka_unit_test(test_glue_export_after_bulk),
        cmocka_unit_test(test_glue_json),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
