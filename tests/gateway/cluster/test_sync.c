/* SPDX-License-Identifier: Apache-2.0 */
/* The state-sync channel: two endpoints in this process on 127.0.0.1, on one sd-event loop,
 * talking over real UDP sockets. Loss is injected with the send hook; forged, replayed and
 * corrupted datagrams are fed with sync_test_input(). */
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

#include "gateway/cluster/sync.h"

#define REC_TYPE   7   /* The test's record type. */
#define TABLE_SIZE 300 /* Entries of the bulk source table. */

/* One endpoint and what its client saw. */
struct ep {
    struct sync *s;                 /* The channel. */
    uint16_t port;                  /* Its UDP port. */
    uint32_t got[4096];             /* Record numbers received, in order. */
    size_t n_got;                   /* Entries used. */
    bool table[TABLE_SIZE];         /* Bulk: entries received. */
    unsigned begins, dones, aborts; /* Incoming bulk events. */
    unsigned cursor;                /* Outgoing bulk walk position. */
    unsigned fills;                 /* bulk_tx_fill calls. */
    bool has_table;                 /* Serves TABLE_SIZE entries in a bulk. */
    /* Send hook: datagrams of type 'drop_type' dropped while drop_n > 0. */
    uint8_t drop_type;
    unsigned drop_n;
    unsigned drop_all;      /* Drops every DATA datagram when set. */
    bool mute;              /* Drops every datagram. */
    uint8_t captured[1500]; /* The last DATA datagram sent. */
    size_t captured_len;
};

static sd_event *event;
static struct ep a, b;
static const char SECRET[] = "a shared secret of the pair, 32b";

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

static void
loopback(struct sockaddr_storage *ss, uint16_t port)
{
    struct sockaddr_in *sa = (struct sockaddr_in *)ss;

    memset(ss, 0, sizeof *ss);
    sa->sin_family = AF_INET;
    sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa->sin_port = htons(port);
}

static bool
tx_hook(void *aux, const uint8_t *d, size_t len)
{
    struct ep *e = aux;

    if (e->mute) {
        return false;
    }
    if (d[1] == 2) {
        memcpy(e->captured, d, len);
        e->captured_len = len;
        if (e->drop_all) {
            return false;
        }
    }
    if (e->drop_n && d[1] == e->drop_type) {
        e->drop_n--;
        return false;
    }
    return true;
}

static void
on_recv(void *aux, uint16_t type, const void *val, size_t len)
{
    struct ep *e = aux;
    uint32_t n;

    assert_int_equal(type, REC_TYPE);
    assert_true(len >= 4);
    memcpy(&n, val, 4);
    /* The rest of the value is the number's low byte repeated: checks the bytes arrived. */
    for (size_t i = 4; i < len; i++) {
        assert_int_equal(((const uint8_t *)val)[i], (uint8_t)n);
    }
    if (n >= 100000) {
        e->table[n - 100000] = true;
        return;
    }
    assert_true(e->n_got < sizeof e->got / sizeof e->got[0]);
    e->got[e->n_got++] = n;
}

static void
on_bulk_rx(void *aux, enum sync_bulk_event ev)
{
    struct ep *e = aux;

    if (ev == SYNC_BULK_BEGIN) {
        e->begins++;
    } else if (ev == SYNC_BULK_DONE) {
        e->dones++;
    } else {
        e->aborts++;
    }
}

static void
on_bulk_start(void *aux)
{
    ((struct ep *)aux)->cursor = 0;
}

/* Sends up to 50 table entries per call, so that a bulk takes several calls. */
static bool
on_bulk_fill(void *aux, struct sync *s)
{
    struct ep *e = aux;
    uint8_t val[40];

    e->fills++;
    if (!e->has_table) {
        return true;
    }
    for (unsigned k = 0; k < 50 && e->cursor < TABLE_SIZE && sync_has_room(s); k++) {
        uint32_t n = 100000 + e->cursor++;
        memcpy(val, &n, 4);
        memset(val + 4, (uint8_t)n, sizeof val - 4);
        assert_int_equal(sync_send(s, REC_TYPE, val, sizeof val), 0);
    }
    return e->cursor == TABLE_SIZE;
}

/* Creates endpoint 'e' on its port talking to 'peer_port' with 'secret'. */
static void
ep_start(struct ep *e, uint16_t peer_port, const char *secret, unsigned max_tries)
{
    struct sync_conf conf;
    struct sync_client c = {.type_min = REC_TYPE,
                            .type_max = REC_TYPE,
                            .recv = on_recv,
                            .bulk_rx = on_bulk_rx,
                            .bulk_tx_start = on_bulk_start,
                            .bulk_tx_fill = on_bulk_fill,
                            .aux = e};
    char err[256];

    memset(&conf, 0, sizeof conf);
    loopback(&conf.local, e->port);
    loopback(&conf.peer, peer_port);
    memcpy(conf.secret, secret, strlen(secret));
    conf.secret_len = strlen(secret);
    conf.hello_ms = 50;
    conf.dead_ms = 400;
    conf.max_tries = max_tries;
    assert_int_equal(sync_create(&conf, event, &e->s, err), 0);
    assert_int_equal(sync_client_add(e->s, &c), 0);
    sync_test_set_tx_hook(e->s, tx_hook, e);
}

static void
ep_reset(struct ep *e, uint16_t port)
{
    memset(e, 0, sizeof *e);
    e->port = port;
}

static bool
both_up(void)
{
    return sync_peer_up(a.s) && sync_peer_up(b.s);
}

static bool
quiet(struct ep *e)
{
    struct sync_stats st;
    sync_get_stats(e->s, &st);
    return st.in_flight == 0 && st.queued == 0;
}

/* Runs the loop until 'done' holds. Bounded by a number of loop wake-ups (each at most 10 ms),
 * only so that a broken channel fails the test instead of hanging it. */
static void
run_until(bool (*done)(void))
{
    for (unsigned i = 0; i < 3000 && !done(); i++) {
        assert_true(sd_event_run(event, 10000) >= 0);
    }
    assert_true(done());
}

static uint64_t
ctr(const struct ep *e, enum sync_counter c)
{
    struct sync_stats st;
    sync_get_stats(e->s, &st);
    return st.counter[c];
}

static uint64_t
drp(const struct ep *e, enum sync_drop d)
{
    struct sync_stats st;
    sync_get_stats(e->s, &st);
    return st.drop[d];
}

/* Checks the identity the counters keep on a quiet sender: every record queued was either
 * acknowledged or lost. */
static void
check_books(const struct ep *e)
{
    struct sync_stats st;

    sync_get_stats(e->s, &st);
    assert_int_equal(st.in_flight, 0);
    assert_int_equal(st.queued, 0);
    assert_int_equal(st.counter[SYNC_records_queued],
                     st.counter[SYNC_records_acked] + st.counter[SYNC_records_lost]);
    assert_int_equal(st.counter[SYNC_batches_sent],
                     st.counter[SYNC_batches_acked] + st.counter[SYNC_batches_lost]);
}

static int
setup(void **state)
{
    (void)state;
    assert_true(sd_event_new(&event) >= 0);
    ep_reset(&a, free_port());
    ep_reset(&b, free_port());
    ep_start(&a, b.port, SECRET, 4);
    ep_start(&b, a.port, SECRET, 0);
    run_until(both_up);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    sync_destroy(a.s);
    sync_destroy(b.s);
    sd_event_unref(event);
    return 0;
}

/* Sends records first..last-1 from 'e', each 'len' bytes. */
static void
send_range(struct ep *e, uint32_t first, uint32_t last, size_t len)
{
    uint8_t val[SYNC_RECORD_MAX];

    for (uint32_t n = first; n < last; n++) {
        memcpy(val, &n, 4);
        memset(val + 4, (uint8_t)n, len - 4);
        assert_int_equal(sync_send(e->s, REC_TYPE, val, len), 0);
    }
}

static size_t want_got;
static bool
b_got_all(void)
{
    return b.n_got >= want_got && quiet(&a);
}

static void
check_in_order(const struct ep *e, uint32_t first, size_t n)
{
    assert_int_equal(e->n_got, n);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(e->got[i], first + i);
    }
}

/* The handshake: each side adopted the other's boot id and asked for a bulk (which came back
 * empty at once: the sides have no table). */
static void
test_handshake(void **state)
{
    struct sync_stats sa, sb;

    (void)state;
    sync_get_stats(a.s, &sa);
    sync_get_stats(b.s, &sb);
    assert_int_equal(sa.peer_boot_id, sb.boot_id);
    assert_int_equal(sb.peer_boot_id, sa.boot_id);
    assert_int_not_equal(sa.boot_id, sb.boot_id);
    assert_true(sa.counter[SYNC_bulk_requests_sent] >= 1);
    run_until(both_up);
    for (unsigned i = 0; i < 20 && (a.dones == 0 || b.dones == 0); i++) {
        assert_true(sd_event_run(event, 10000) >= 0);
    }
    assert_true(a.dones >= 1 && b.dones >= 1);
    assert_int_equal(a.aborts + b.aborts, 0);
}

/* 2,000 records of mixed sizes arrive once each, in order, and are all acknowledged. */
static void
test_in_order_acked(void **state)
{
    (void)state;
    b.n_got = 0;
    for (uint32_t n = 0; n < 2000; n += 100) {
        send_range(&a, n, n + 100, 4 + n % 300);
    }
    want_got = 2000;
    run_until(b_got_all);
    check_in_order(&b, 0, 2000);
    assert_true(ctr(&a, SYNC_batches_sent) > 20); /* Several batches, several windows. */
    assert_int_equal(ctr(&a, SYNC_records_acked), ctr(&a, SYNC_records_queued));
    assert_int_equal(ctr(&b, SYNC_records_received), 2000);
    assert_int_equal(ctr(&a, SYNC_batches_resent), 0);
    check_books(&a);
}

/* The first two DATA datagrams are lost: they are resent after the timeout, the batches behind
 * them wait at the receiver, and everything is delivered in order. */
static void
test_loss_resent(void **state)
{
    uint64_t resent = ctr(&a, SYNC_batches_resent);

    (void)state;
    b.n_got = 0;
    a.drop_type = 2;
    a.drop_n = 2;
    send_range(&a, 0, 300, 200); /* About 50 batches. */
    want_got = 300;
    run_until(b_got_all);
    check_in_order(&b, 0, 300);
    assert_true(ctr(&a, SYNC_batches_resent) >= resent + 2);
    assert_true(ctr(&a, SYNC_records_resent) > 0);
    assert_int_equal(ctr(&a, SYNC_batches_lost), 0);
    check_books(&a);
}

/* Lost ACKs: the receiver gets the resent batch twice, delivers it once. */
static void
test_ack_lost(void **state)
{
    uint64_t dup = ctr(&b, SYNC_batches_duplicate);

    (void)state;
    b.n_got = 0;
    b.drop_type = 3;
    b.drop_n = 1;
    send_range(&a, 0, 10, 10);
    want_got = 10;
    run_until(b_got_all);
    check_in_order(&b, 0, 10);
    assert_int_equal(ctr(&b, SYNC_batches_duplicate), dup + 1);
    check_books(&a);
}

static bool
a_quiet(void)
{
    return quiet(&a);
}

static bool
b_bulk_done(void)
{
    struct sync_stats st;
    sync_get_stats(b.s, &st);
    return st.bulk_in == SYNC_BULK_COMPLETE && quiet(&a) && quiet(&b);
}

/* A batch that never gets through is given up after max_tries and counted lost; the receiver
 * skips it, sees that records were lost, and asks for a bulk resync. */
static void
test_given_up(void **state)
{
    uint64_t req = ctr(&b, SYNC_bulk_requests_sent), lost = ctr(&a, SYNC_records_lost);
    uint64_t resent = ctr(&a, SYNC_batches_resent);

    (void)state;
    a.drop_all = 1;
    send_range(&a, 0, 5, 10);
    run_until(a_quiet);
    a.drop_all = 0;
    assert_int_equal(ctr(&a, SYNC_batches_lost), 1);
    assert_int_equal(ctr(&a, SYNC_records_lost), lost + 5);
    assert_int_equal(ctr(&a, SYNC_batches_resent), resent + 3); /* max_tries 4. */
    b.n_got = 0;
    send_range(&a, 5, 10, 10);
    want_got = 5;
    run_until(b_got_all);
    check_in_order(&b, 5, 5);
    assert_true(ctr(&b, SYNC_batches_skipped) >= 1);
    run_until(b_bulk_done);
    assert_true(ctr(&b, SYNC_bulk_requests_sent) > req);
    check_books(&a);
}

static bool
a_captured(void)
{
    return a.captured_len > 0;
}

/* Tampered datagrams: a flipped bit in the ciphertext, in the header, in the tag, a truncated
 * one, another version, another sender boot id, a replay, our own datagram reflected back: each
 * a counted drop, none delivered. The genuine datagram is delivered once. */
static void
test_tampered(void **state)
{
    uint8_t orig[1500], d[1500];
    size_t len;
    uint64_t auth = drp(&b, SYNC_auth), dup = ctr(&b, SYNC_batches_duplicate);

    (void)state;
    /* A DATA datagram B has not seen: its first transmission is captured and dropped. */
    b.n_got = 0;
    a.captured_len = 0;
    a.drop_all = 1;
    send_range(&a, 0, 1, 10);
    run_until(a_captured);
    a.drop_all = 0;
    len = a.captured_len;
    memcpy(orig, a.captured, len);
    assert_true(len > 44);

    memcpy(d, orig, len);
    d[40] ^= 0x10; /* Ciphertext. */
    sync_test_input(b.s, d, len);
    assert_int_equal(drp(&b, SYNC_auth), auth + 1);

    memcpy(d, orig, len);
    d[21] ^= 0x01; /* The counter (up by 2^48: not a replay), in the authenticated header. */
    sync_test_input(b.s, d, len);
    assert_int_equal(drp(&b, SYNC_auth), auth + 2);

    memcpy(d, orig, len);
    d[len - 1] ^= 0x80; /* The tag. */
    sync_test_input(b.s, d, len);
    assert_int_equal(drp(&b, SYNC_auth), auth + 3);

    sync_test_input(b.s, orig, len - 1); /* Truncated by a byte. */
    assert_int_equal(drp(&b, SYNC_auth), auth + 4);
    sync_test_input(b.s, orig, 20); /* Shorter than a header. */
    assert_int_equal(drp(&b, SYNC_short), 1);

    memcpy(d, orig, len);
    d[0] = 9; /* Another version. */
    sync_test_input(b.s, d, len);
    assert_int_equal(drp(&b, SYNC_bad_header), 1);

    memcpy(d, orig, len);
    d[4] ^= 0x01; /* Another sender boot id: another key, so the tag fails. */
    sync_test_input(b.s, d, len);
    assert_int_equal(drp(&b, SYNC_auth), auth + 5);
    assert_int_equal(b.n_got, 0);

    sync_test_input(b.s, orig, len); /* Genuine: delivered. */
    assert_int_equal(b.n_got, 1);
    sync_test_input(b.s, orig, len); /* Replayed. */
    assert_int_equal(drp(&b, SYNC_replay), 1);
    sync_test_input(a.s, orig, len); /* Reflected to its sender. */
    assert_int_equal(drp(&a, SYNC_reflected), 1);

    /* A resends it (its ACK may be older than the resend): delivered once all the same. */
    want_got = 1;
    run_until(b_got_all);
    assert_int_equal(b.n_got, 1);
    assert_true(ctr(&b, SYNC_batches_duplicate) <= dup + 1);
    run_until(both_up);
    check_books(&a);
}

static bool
wrong_secret_seen(void)
{
    return drp(&b, SYNC_auth) >= 3 && drp(&a, SYNC_auth) >= 3;
}

static bool
b_bulk_table(void)
{
    struct sync_stats st;
    unsigned n = 0;

    sync_get_stats(b.s, &st);
    for (unsigned i = 0; i < TABLE_SIZE; i++) {
        n += b.table[i];
    }
    return n == TABLE_SIZE && st.bulk_in == SYNC_BULK_COMPLETE && quiet(&a) && quiet(&b);
}

/* A peer with another secret: every datagram either way fails authentication, nobody adopts
 * anybody, nothing is delivered. Then the right peer comes (a new boot): it is adopted, asks
 * for a bulk, and gets the whole table in pages. */
static void
test_wrong_secret_then_bulk(void **state)
{
    uint64_t auth_a = drp(&a, SYNC_auth), auth_b;
    struct sync_stats st;
    uint64_t boot_a, restarts;
    unsigned begins;

    (void)state;
    sync_get_stats(a.s, &st);
    boot_a = st.boot_id;
    restarts = st.counter[SYNC_peer_restarts];
    sync_destroy(b.s);
    ep_reset(&b, b.port);
    ep_start(&b, a.port, "not the pair's secret, but long", 0);
    auth_b = drp(&b, SYNC_auth);
    assert_int_equal(auth_b, 0);
    run_until(wrong_secret_seen);
    assert_true(drp(&a, SYNC_auth) > auth_a);
    sync_get_stats(b.s, &st);
    assert_int_equal(st.peer_boot_id, 0);
    assert_int_equal(st.peer_state, SYNC_PEER_UNKNOWN);
    assert_int_equal(b.n_got, 0);
    assert_int_equal(sync_send(b.s, REC_TYPE, "abcd", 4), ENOTCONN);
    assert_int_equal(ctr(&b, SYNC_records_refused), 1);

    /* The right peer, restarted. */
    sync_destroy(b.s);
    ep_reset(&b, b.port);
    ep_start(&b, a.port, SECRET, 0);
    a.has_table = true;
    begins = a.begins;
    run_until(b_bulk_table);
    sync_get_stats(b.s, &st);
    assert_int_equal(st.peer_boot_id, boot_a);
    assert_int_equal(st.bulk_in_records, TABLE_SIZE);
    assert_int_equal(b.begins, 1);
    assert_int_equal(b.dones, 1);
    sync_get_stats(a.s, &st);
    assert_int_equal(st.counter[SYNC_peer_restarts], restarts + 1);
    assert_int_equal(st.bulk_out, SYNC_BULK_COMPLETE);
    assert_int_equal(st.bulk_out_records, TABLE_SIZE);
    assert_true(a.fills >= TABLE_SIZE / 50);
    assert_true(a.begins >= begins); /* A asked B too: B had nothing. */
    a.has_table = false;
    check_books(&a);
    check_books(&b);
}

static bool
a_sees_down(void)
{
    struct sync_stats st;
    sync_get_stats(a.s, &st);
    return st.peer_state == SYNC_PEER_DOWN;
}

static uint64_t bulks_before;
static bool
b_back_and_bulk(void)
{
    return both_up() && ctr(&b, SYNC_bulks_received) > bulks_before && quiet(&a) && quiet(&b);
}

/* The peer goes silent: after dead_ms it is down and records are refused (counted); when it
 * speaks again it is up, and learns from the changed 'drops' that it missed records: it asks
 * for a bulk resync and gets one. */
static void
test_peer_down_and_back(void **state)
{
    (void)state;
    bulks_before = ctr(&b, SYNC_bulks_received);
    b.mute = true;
    send_range(&a, 0, 5, 10); /* Never acknowledged: lost one way or another. */
    run_until(a_sees_down);
    assert_int_equal(sync_send(a.s, REC_TYPE, "abcd", 4), ENOTCONN);
    assert_true(ctr(&a, SYNC_records_refused) >= 1);
    assert_int_equal(ctr(&a, SYNC_peer_downs), 1);
    check_books(&a);
    b.mute = false;
    run_until(b_back_and_bulk);
    check_books(&a);
}

/* The JSON view carries the state and the same counters. */
static void
test_json(void **state)
{
    json_t *o = json_object();
    struct sync_stats st;

    (void)state;
    assert_int_equal(sync_to_json(a.s, o), 0);
    sync_get_stats(a.s, &st);
    assert_string_equal(json_string_value(json_object_get(json_object_get(o, "peer"), "state")),
                        "up");
    assert_int_equal(
        json_integer_value(json_object_get(json_object_get(o, "counters"), "records_acked")),
        st.counter[SYNC_records_acked]);
    assert_int_equal(json_integer_value(json_object_get(json_object_get(o, "drops"), "reflected")),
                     1);
    assert_non_null(json_object_get(json_object_get(o, "bulk"), "in"));
    json_decref(o);
}

/* Bad arguments. */
static void
test_bad_args(void **state)
{
    struct sync_conf conf;
    struct sync *s = NULL;
    struct sync_client c = {.type_min = REC_TYPE, .type_max = REC_TYPE};
    uint8_t big[SYNC_RECORD_MAX + 1] = {0};
    char err[256];

    (void)state;
    memset(&conf, 0, sizeof conf);
    loopback(&conf.local, 0);
    loopback(&conf.peer, 1);
    conf.secret_len = SYNC_SECRET_MIN - 1;
    assert_int_equal(sync_create(&conf, event, &s, err), EINVAL);
    assert_null(s);
    assert_int_equal(sync_client_add(a.s, &c), EINVAL); /* Overlaps the test's client. */
    c.type_min = c.type_max = SYNC_REC_INTERNAL;
    assert_int_equal(sync_client_add(a.s, &c), EINVAL);
    assert_int_equal(sync_send(a.s, SYNC_REC_INTERNAL + 1, "x", 1), EINVAL);
    assert_int_equal(sync_send(a.s, REC_TYPE, big, sizeof big), EINVAL);
    sync_destroy(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_handshake),
        cmocka_unit_test(test_in_order_acked),
        cmocka_unit_test(test_loss_resent),
        cmocka_unit_test(test_ack_lost),
        cmocka_unit_test(test_given_up),
        cmocka_unit_test(test_tampered),
        cmocka_unit_test(test_wrong_secret_then_bulk),
        cmocka_unit_test(test_peer_down_and_back),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_bad_args),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
