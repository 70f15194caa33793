/* SPDX-License-Identifier: Apache-2.0 */
/* ESP sequence numbers on the sync channel: the record's wire form, then a glue on a data plane
 * with ESP (real crypto devices, no traffic: the SAs' numbers are set by their install) talking
 * over a real channel to a bare endpoint that plays the peer. */
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

#include "dataplane/esp.h"
#include "dataplane/ha.h"
#include "gateway/cluster/esp_sync_glue.h"
#include "tests/lib/dp_fixture.h"

static struct dp *dp;
static sd_event *event;
static struct sync *node, *peer;
static struct esp_sync_glue *glue;
static struct esp_sync_rec got[32]; /* What the peer received, in order. */
static size_t n_got;

static const char SECRET[] = "the pair's sync secret, 32 bytes";

static void
test_wire(void **state)
{
    struct esp_sync_rec r = {.op = ESP_SYNC_SEQ,
                             .inbound = true,
                             .spi = 0xc0ffee01,
                             .seq = 0x0102030405060708ull,
                             .rate_pps = 5000},
                        back;
    static const uint8_t want[ESP_SYNC_WIRE_LEN] = {1, 1, 0, 0, 0xc0, 0xff, 0xee, 0x01, 1, 2, 3, 4,
                                                    5, 6, 7, 8, 0,    0,    0x13, 0x88, 0, 0, 0, 0};
    uint8_t wire[ESP_SYNC_WIRE_LEN];

    (void)state;
    esp_sync_encode(&r, wire);
    assert_memory_equal(wire, want, sizeof want);
    assert_int_equal(esp_sync_decode(wire, sizeof wire, &back), 0);
    assert_int_equal(back.op, r.op);
    assert_int_equal(back.inbound, r.inbound);
    assert_int_equal(back.spi, r.spi);
    assert_int_equal(back.seq, r.seq);
    assert_int_equal(back.rate_pps, r.rate_pps);
    assert_int_equal(esp_sync_decode(wire, sizeof wire - 1, &back), EINVAL);
    wire[0] = 3;
    assert_int_equal(esp_sync_decode(wire, sizeof wire, &back), EINVAL);
    wire[0] = 1, wire[1] = 2;
    assert_int_equal(esp_sync_decode(wire, sizeof wire, &back), EINVAL);
    wire[1] = 1, wire[22] = 1;
    assert_int_equal(esp_sync_decode(wire, sizeof wire, &back), EINVAL);
}

static void
peer_recv(void *aux, uint16_t type, const void *val, size_t len)
{
    (void)aux;
    assert_int_equal(type, SYNC_REC_ESP_SEQ);
    assert_true(n_got < sizeof got / sizeof got[0]);
    assert_int_equal(esp_sync_decode(val, len, &got[n_got++]), 0);
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

static struct dp_esp_sa
sa(uint32_t spi, bool inbound, uint64_t seq_start)
{
    struct dp_esp_sa s = {.spi = spi,
                          .inbound = inbound,
                          .tenant = 1,
                          .reqid = 17,
                          .cipher = DP_ESP_AES_GCM_16,
                          .key_len = 20,
                          .replay_window = 64,
                          .seq_start = seq_start};

    for (unsigned i = 0; i < s.key_len; i++) {
        s.key[i] = (uint8_t)(i + 1);
    }
    s.local = test_ip4("198.18.0.100");
    s.remote = test_ip4("198.18.2.2");
    return s;
}

static int
setup(void **state)
{
    struct sync_client pc = {
        .type_min = SYNC_REC_ESP_SEQ, .type_max = SYNC_REC_ESP_SEQ, .recv = peer_recv};
    uint16_t a = free_port(), b = free_port();
    struct dp_esp_sa out = sa(0x2001, false, 5000), in = sa(0x3001, true, 700);

    (void)state;
    dp = test_dp_start((struct dp_params){.max_esp_sas = 16});
    assert_int_equal(dp_esp_sa_add(dp, &out), 0);
    assert_int_equal(dp_esp_sa_add(dp, &in), 0);
    assert_true(sd_event_new(&event) >= 0);
    node = channel(a, b);
    peer = channel(b, a);
    assert_int_equal(sync_client_add(peer, &pc), 0);
    assert_int_equal(esp_sync_glue_create(dp, node, event, &glue), 0);
    run_until(up);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    esp_sync_glue_destroy(glue);
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

static bool
glue_has(void)
{
    return esp_sync_glue_counter(glue, ESP_SYNC_GLUE_received) >= want;
}

/* Finds the last record of (spi) the peer got. */
static const struct esp_sync_rec *
last(uint32_t spi)
{
    for (size_t i = n_got; i-- > 0;) {
        if (got[i].spi == spi) {
            return &got[i];
        }
    }
    return NULL;
}

static uint64_t
seq_of(uint32_t spi)
{
    struct dp_esp_sa_seq q;
    assert_int_equal(dp_esp_sa_seq(dp, spi, &q), 0);
    return q.seq;
}

/* Reports reach the peer (once per change), a takeover moves the SAs past the peer's numbers by
 * the margin, and the move is reported in turn; an SA removed is reported gone; a passive node
 * reports nothing. */
static void
test_report_and_takeover(void **state)
{
    struct esp_sync_rec r = {.op = ESP_SYNC_SEQ, .rate_pps = 1000};
    uint8_t wire[ESP_SYNC_WIRE_LEN];
    const struct esp_sync_rec *g;
    uint64_t sent;

    (void)state;
    want = 2;
    run_until(peer_has);
    g = last(0x2001);
    assert_non_null(g);
    assert_false(g->inbound);
    assert_int_equal(g->seq, 4999); /* Nothing sent: the number before its first. */
    g = last(0x3001);
    assert_non_null(g);
    assert_true(g->inbound);
    assert_int_equal(g->seq, 700);
    sent = esp_sync_glue_counter(glue, ESP_SYNC_GLUE_sent);
    esp_sync_glue_report(glue);
    assert_int_equal(esp_sync_glue_counter(glue, ESP_SYNC_GLUE_sent), sent); /* No change. */

    /* The peer's numbers, then the takeover. */
    r.spi = 0x2001, r.seq = 100000;
    esp_sync_encode(&r, wire);
    assert_int_equal(sync_send(peer, SYNC_REC_ESP_SEQ, wire, sizeof wire), 0);
    r.spi = 0x3001, r.inbound = true, r.seq = 9000;
    esp_sync_encode(&r, wire);
    assert_int_equal(sync_send(peer, SYNC_REC_ESP_SEQ, wire, sizeof wire), 0);
    r.spi = 0x4001, r.inbound = false; /* Not installed here: nothing to move. */
    esp_sync_encode(&r, wire);
    assert_int_equal(sync_send(peer, SYNC_REC_ESP_SEQ, wire, sizeof wire), 0);
    want = 3;
    run_until(glue_has);
    assert_int_equal(esp_sync_glue_takeover(glue), 2);
    /* 1000 pps for well under a second plus two periods: the floor wins. */
    assert_int_equal(seq_of(0x2001), 100000 + ESP_SEQ_MARGIN_MIN);
    assert_int_equal(seq_of(0x3001), 9000);
    assert_int_equal(esp_sync_glue_takeover(glue), 0); /* Past them already. */

    n_got = 0;
    want = 2;
    run_until(peer_has);
    assert_int_equal(last(0x2001)->seq, 100000 + ESP_SEQ_MARGIN_MIN);
    assert_int_equal(last(0x3001)->seq, 9000);

    /* Gone. */
    assert_int_equal(dp_esp_sa_del(dp, 0x3001), 0);
    n_got = 0;
    want = 1;
    run_until(peer_has);
    assert_int_equal(got[0].op, ESP_SYNC_GONE);
    assert_int_equal(got[0].spi, 0x3001);

    /* Passive: silent. */
    assert_int_equal(dp_ha_set_role(dp, DP_HA_PASSIVE), 0);
    assert_int_equal(dp_esp_sa_seq_jump(dp, 0x2001, 200000), 0);
    sent = esp_sync_glue_counter(glue, ESP_SYNC_GLUE_sent);
    esp_sync_glue_report(glue);
    assert_int_equal(esp_sync_glue_counter(glue, ESP_SYNC_GLUE_sent), sent);
    assert_int_equal(dp_ha_set_role(dp, DP_HA_STANDALONE), 0);
}

static void
test_json(void **state)
{
    json_t *o = json_object();

    (void)state;
    assert_int_equal(esp_sync_glue_to_json(glue, o), 0);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "esp"), "takeovers")),
                     2);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "esp"), "peer_sas")), 3);
    json_decref(o);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wire),
        cmocka_unit_test(test_report_and_takeover),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
