/* SPDX-License-Identifier: Apache-2.0 */
/* NAT44 sessions on the sync channel (nat_sync_glue.h). */
#include "gateway/cluster/nat_sync_glue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sys/epoll.h>

#include "dataplane/dp.h"
#include "dataplane/ha.h"

#define NAT_SYNC_DRAIN_BATCH 512 /* Records drained per call. */
#define NAT_SYNC_DRAIN_MAX   8   /* Calls per wake-up: the rest waits for the timer. */

struct nat_sync_glue {
    struct dp *dp;                              /* The data plane (borrowed). */
    struct sync *sync;                          /* The channel (borrowed). */
    sd_event_source *wake;                      /* I/O: dp_nat_sync_fd(). */
    sd_event_source *timer;                     /* Drain timer, on only while sessions change. */
    struct dp_nat_sync_cursor cursor;           /* The bulk walk's position. */
    uint64_t counter[NAT_SYNC_GLUE_N_COUNTERS]; /* enum nat_sync_glue_counter. */
};

/* ---- Wire form ---- */

static void
put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void
put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

static uint16_t
get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

void
nat_sync_encode(const struct dp_nat_sync_rec *r, uint8_t out[NAT_SYNC_WIRE_LEN])
{
    out[0] = r->op;
    out[1] = r->proto;
    out[2] = r->tcp_state;
    out[3] = r->tcp_flags;
    put16(out + 4, r->tenant);
    put16(out + 6, r->in_port);
    memcpy(out + 8, &r->in_ip, 4);
    memcpy(out + 12, &r->pub_ip, 4);
    memcpy(out + 16, &r->rem_ip, 4);
    put16(out + 20, r->pub_port);
    put16(out + 22, r->rem_port);
    put32(out + 24, r->lifetime_s);
    put32(out + 28, 0);
}

int
nat_sync_decode(const void *in, size_t len, struct dp_nat_sync_rec *r)
{
    const uint8_t *p = in;

    if (len != NAT_SYNC_WIRE_LEN || get32(p + 28)) {
        return EINVAL;
    }
    memset(r, 0, sizeof *r);
    r->op = p[0];
    r->proto = p[1];
    r->tcp_state = p[2];
    r->tcp_flags = p[3];
    r->tenant = get16(p + 4);
    r->in_port = get16(p + 6);
    memcpy(&r->in_ip, p + 8, 4);
    memcpy(&r->pub_ip, p + 12, 4);
    memcpy(&r->rem_ip, p + 16, 4);
    r->pub_port = get16(p + 20);
    r->rem_port = get16(p + 22);
    r->lifetime_s = get32(p + 24);
    return 0;
}

/* ---- Sending ---- */

/* True when this node's sessions are the ones to send (see the header). */
static bool
may_send(const struct nat_sync_glue *g)
{
    return dp_ha_role(g->dp) != DP_HA_PASSIVE;
}

static void
send_rec(struct nat_sync_glue *g, const struct dp_nat_sync_rec *r, bool bulk)
{
    uint8_t wire[NAT_SYNC_WIRE_LEN];

    nat_sync_encode(r, wire);
    if (sync_send(g->sync, SYNC_REC_NAT_SESSION, wire, sizeof wire) != 0) {
        g->counter[NAT_SYNC_GLUE_not_sent_channel]++;
        return;
    }
    g->counter[bulk ? NAT_SYNC_GLUE_bulk_sent : NAT_SYNC_GLUE_sent]++;
}

/* Drains a bounded amount of the export and sends it. Returns how many records it drained.
 * The data plane's wake-up is disarmed after it (the drainer is awake): the caller must rearm(). */
static size_t
drain(struct nat_sync_glue *g)
{
    struct dp_nat_sync_rec recs[NAT_SYNC_DRAIN_BATCH];
    bool send = may_send(g);
    size_t total = 0, n;

    for (unsigned k = 0; k < NAT_SYNC_DRAIN_MAX; k++) {
        n = dp_nat_sync_drain(g->dp, recs, NAT_SYNC_DRAIN_BATCH);
        g->counter[NAT_SYNC_GLUE_exported] += n;
        for (size_t i = 0; i < n; i++) {
            if (send) {
                send_rec(g, &recs[i], false);
            } else {
                g->counter[NAT_SYNC_GLUE_not_sent_passive]++;
            }
        }
        total += n;
        if (n < NAT_SYNC_DRAIN_BATCH) {
            break;
        }
    }
    return total;
}

/* After a drain: the timer again while records came, else the eventfd (see the header). */
static void
rearm(struct nat_sync_glue *g, size_t drained)
{
    if (!drained && dp_nat_sync_arm(g->dp)) {
        sd_event_source_set_enabled(g->timer, SD_EVENT_OFF);
        return;
    }
    sd_event_source_set_time_relative(g->timer, NAT_SYNC_DRAIN_MS * 1000);
    sd_event_source_set_enabled(g->timer, SD_EVENT_ONESHOT);
}

static int
on_wake(sd_event_source *src, int fd, uint32_t revents, void *aux)
{
    struct nat_sync_glue *g = aux;

    (void)src;
    (void)fd;
    (void)revents;
    /* Not re-armed here: the workers stay quiet until a drain finds nothing. */
    drain(g);
    rearm(g, 1);
    return 0;
}

static int
on_timer(sd_event_source *src, uint64_t usec, void *aux)
{
    struct nat_sync_glue *g = aux;

    (void)src;
    (void)usec;
    rearm(g, drain(g));
    return 0;
}

void
nat_sync_glue_flush(struct nat_sync_glue *g)
{
    rearm(g, drain(g));
}

/* ---- The channel's client ---- */

static void
on_recv(void *aux, uint16_t type, const void *val, size_t len)
{
    struct nat_sync_glue *g = aux;
    struct dp_nat_sync_rec r;
    int ret;

    (void)type;
    g->counter[NAT_SYNC_GLUE_received]++;
    if (nat_sync_decode(val, len, &r)) {
        g->counter[NAT_SYNC_GLUE_decode_errors]++;
        return;
    }
    ret = dp_nat_sync_import(g->dp, &r);
    if (ret == 0) {
        g->counter[NAT_SYNC_GLUE_imported]++;
        return;
    }
    g->counter[NAT_SYNC_GLUE_import_refused]++;
    if (ret == ENOBUFS) {
        /* Lost to a full import ring: what it said comes back with a bulk resync. */
        sync_request_bulk(g->sync);
    }
}

static void
on_bulk_start(void *aux)
{
    struct nat_sync_glue *g = aux;

    memset(&g->cursor, 0, sizeof g->cursor);
}

static bool
on_bulk_fill(void *aux, struct sync *s)
{
    struct nat_sync_glue *g = aux;
    struct dp_nat_sync_rec recs[NAT_SYNC_PAGE];
    bool done = false;

    if (!may_send(g)) {
        return true; /* A passive node's copies are no one's truth. */
    }
    /* What the walk copies is newer than what waits in the export: send that first, so that
     * the stream stays in the order things happened. That drain disarmed the wake-up, as any
     * does: the timer or the wake-up again, or the export would wait in the rings for good. */
    rearm(g, drain(g));
    for (unsigned k = 0; k < NAT_SYNC_WALK_PAGES && !done && sync_has_room(s); k++) {
        size_t n = dp_nat_sync_walk(g->dp, &g->cursor, recs, NAT_SYNC_PAGE, &done);
        for (size_t i = 0; i < n; i++) {
            send_rec(g, &recs[i], true);
        }
    }
    if (done) {
        g->counter[NAT_SYNC_GLUE_bulk_walks]++;
    }
    return done;
}

/* ---- API ---- */

int
nat_sync_glue_create(struct dp *dp, struct sync *s, sd_event *event, struct nat_sync_glue **out)
{
    struct nat_sync_glue *g;
    struct sync_client c = {.type_min = SYNC_REC_NAT_SESSION,
                            .type_max = SYNC_REC_NAT_SESSION,
                            .recv = on_recv,
                            .bulk_tx_start = on_bulk_start,
                            .bulk_tx_fill = on_bulk_fill};
    int ret;

    *out = NULL;
    ret = dp_nat_sync_enable(dp);
    if (ret) {
        return ret;
    }
    g = calloc(1, sizeof *g);
    if (!g) {
        return ENOMEM;
    }
    g->dp = dp;
    g->sync = s;
    ret = sd_event_add_io(event, &g->wake, dp_nat_sync_fd(dp), EPOLLIN, on_wake, g);
    if (ret >= 0) {
        ret = sd_event_add_time_relative(event, &g->timer, CLOCK_MONOTONIC,
                                         NAT_SYNC_DRAIN_MS * 1000, 1000, on_timer, g);
    }
    if (ret < 0) {
        nat_sync_glue_destroy(g);
        return -ret;
    }
    c.aux = g;
    ret = sync_client_add(s, &c);
    if (ret) {
        nat_sync_glue_destroy(g);
        return ret;
    }
    *out = g;
    return 0;
}

void
nat_sync_glue_destroy(struct nat_sync_glue *g)
{
    if (!g) {
        return;
    }
    sync_client_del(g->sync, g);
    sd_event_source_disable_unref(g->wake);
    sd_event_source_disable_unref(g->timer);
    free(g);
}

uint64_t
nat_sync_glue_counter(const struct nat_sync_glue *g, enum nat_sync_glue_counter c)
{
    return (unsigned)c < NAT_SYNC_GLUE_N_COUNTERS ? g->counter[c] : 0;
}

int
nat_sync_glue_to_json(const struct nat_sync_glue *g, json_t *obj)
{
    static const char *const names[] = {
#define NAT_SYNC_GLUE_NAME_(name, help) #name,
        NAT_SYNC_GLUE_COUNTER_LIST(NAT_SYNC_GLUE_NAME_)
#undef NAT_SYNC_GLUE_NAME_
    };
    json_t *nat = json_object();
    int fail = !nat;

    for (unsigned i = 0; nat && i < NAT_SYNC_GLUE_N_COUNTERS; i++) {
        fail |= json_object_set_new(nat, names[i], json_integer((json_int_t)g->counter[i]));
    }
    fail |= json_object_set_new(obj, "nat", nat);
    return fail ? ENOMEM : 0;
}
