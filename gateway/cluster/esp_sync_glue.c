/* SPDX-License-Identifier: Apache-2.0 */
/* ESP sequence numbers on the sync channel (esp_sync_glue.h).
 *
 * Two tables of SAs, each an array kept sorted by (direction, SPI) and searched with bsearch():
 * 'ours' (what we last reported of each of our SAs) and 'peers' (what the peer last reported).
 * A few thousand SAs at most, changed a few times a second. */
#include "gateway/cluster/esp_sync_glue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataplane/dp.h"
#include "dataplane/esp.h"
#include "dataplane/ha.h"
#include "lib/log.h"

/* One SA in a table. */
struct esp_sync_entry {
    uint32_t spi;      /* Key, with 'inbound'. */
    bool inbound;      /* Direction. */
    bool seen;         /* Found by the current report (ours). */
    uint64_t seq;      /* Last number reported. */
    uint64_t at_us;    /* When (our clock). */
    uint32_t rate_pps; /* Rate reported with it (peers'). */
};

/* A table sorted by (inbound, spi). */
struct esp_sync_table {
    struct esp_sync_entry *e; /* Entries. */
    size_t n;                 /* Used. */
    size_t cap;               /* Allocated. */
};

struct esp_sync_glue {
    struct dp *dp;                              /* The data plane (borrowed). */
    struct sync *sync;                          /* The channel (borrowed). */
    sd_event_source *timer;                     /* Report timer. */
    struct esp_sync_table ours;                 /* Our SAs as last reported. */
    struct esp_sync_table peers;                /* The peer's SAs as last reported. */
    uint64_t counter[ESP_SYNC_GLUE_N_COUNTERS]; /* enum esp_sync_glue_counter. */
};

static uint64_t
now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- Wire form ---- */

static void
put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t
get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void
esp_sync_encode(const struct esp_sync_rec *r, uint8_t out[ESP_SYNC_WIRE_LEN])
{
    out[0] = r->op;
    out[1] = r->inbound;
    out[2] = out[3] = 0;
    put32(out + 4, r->spi);
    put32(out + 8, (uint32_t)(r->seq >> 32));
    put32(out + 12, (uint32_t)r->seq);
    put32(out + 16, r->rate_pps);
    put32(out + 20, 0);
}

int
esp_sync_decode(const void *in, size_t len, struct esp_sync_rec *r)
{
    const uint8_t *p = in;

    if (len != ESP_SYNC_WIRE_LEN || (p[0] != ESP_SYNC_SEQ && p[0] != ESP_SYNC_GONE) || p[1] > 1 ||
        p[2] || p[3] || get32(p + 20)) {
        return EINVAL;
    }
    memset(r, 0, sizeof *r);
    r->op = p[0];
    r->inbound = p[1];
    r->spi = get32(p + 4);
    r->seq = (uint64_t)get32(p + 8) << 32 | get32(p + 12);
    r->rate_pps = get32(p + 16);
    return 0;
}

/* ---- Tables ---- */

static int
entry_cmp(const void *a, const void *b)
{
    const struct esp_sync_entry *x = a, *y = b;

    if (x->inbound != y->inbound) {
        return x->inbound ? 1 : -1;
    }
    return x->spi < y->spi ? -1 : x->spi > y->spi;
}

static struct esp_sync_entry *
table_find(const struct esp_sync_table *t, uint32_t spi, bool inbound)
{
    struct esp_sync_entry key = {.spi = spi, .inbound = inbound};
    return t->n ? bsearch(&key, t->e, t->n, sizeof *t->e, entry_cmp) : NULL;
}

/* The entry of (spi, inbound), added (zeroed) if new; NULL when the table is full. */
static struct esp_sync_entry *
table_get(struct esp_sync_table *t, uint32_t spi, bool inbound)
{
    struct esp_sync_entry key = {.spi = spi, .inbound = inbound}, *e = table_find(t, spi, inbound);
    size_t i = 0;

    if (e) {
        return e;
    }
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        struct esp_sync_entry *n;

        if (cap > ESP_SYNC_SAS_MAX || !(n = realloc(t->e, cap * sizeof *n))) {
            return NULL;
        }
        t->e = n;
        t->cap = cap;
    }
    while (i < t->n && entry_cmp(&t->e[i], &key) < 0) {
        i++;
    }
    memmove(&t->e[i + 1], &t->e[i], (t->n - i) * sizeof *t->e);
    t->n++;
    t->e[i] = key;
    return &t->e[i];
}

static void
table_del(struct esp_sync_table *t, struct esp_sync_entry *e)
{
    size_t i = (size_t)(e - t->e);

    memmove(&t->e[i], &t->e[i + 1], (t->n - i - 1) * sizeof *t->e);
    t->n--;
}

/* ---- Reporting ---- */

static void
send_rec(struct esp_sync_glue *g, const struct esp_sync_rec *r)
{
    uint8_t wire[ESP_SYNC_WIRE_LEN];

    esp_sync_encode(r, wire);
    if (sync_send(g->sync, SYNC_REC_ESP_SEQ, wire, sizeof wire)) {
        g->counter[ESP_SYNC_GLUE_not_sent]++;
        return;
    }
    g->counter[ESP_SYNC_GLUE_sent]++;
}

/* What one report pass does with each SA. */
struct report_ctx {
    struct esp_sync_glue *g; /* The glue. */
    uint64_t now;            /* This pass's time. */
    bool all;                /* Send every SA, moved or not (bulk). */
};

static bool
report_sa(const struct dp_esp_sa *sa, const struct dp_esp_sa_stats *st, void *aux)
{
    struct report_ctx *c = aux;
    struct esp_sync_glue *g = c->g;
    struct dp_esp_sa_seq q;
    struct esp_sync_entry *e;
    struct esp_sync_rec r;
    bool is_new;

    (void)st;
    if (dp_esp_sa_seq(g->dp, sa->spi, &q)) {
        return true;
    }
    is_new = !table_find(&g->ours, sa->spi, sa->inbound);
    e = table_get(&g->ours, sa->spi, sa->inbound);
    if (!e) {
        g->counter[ESP_SYNC_GLUE_table_full]++;
        return true;
    }
    e->seen = true;
    if (!c->all && !is_new && q.seq == e->seq) {
        return true;
    }
    memset(&r, 0, sizeof r);
    r.op = ESP_SYNC_SEQ;
    r.inbound = sa->inbound;
    r.spi = sa->spi;
    r.seq = q.seq;
    if (!is_new && q.seq > e->seq && c->now > e->at_us) {
        uint64_t rate = (q.seq - e->seq) * 1000000u / (c->now - e->at_us);
        r.rate_pps = rate > UINT32_MAX ? UINT32_MAX : (uint32_t)rate;
    }
    send_rec(g, &r);
    e->seq = q.seq;
    e->at_us = c->now;
    return true;
}

/* Reports what moved (or everything, 'all'), and the SAs that are gone. */
static void
report(struct esp_sync_glue *g, bool all)
{
    struct report_ctx c = {.g = g, .now = now_us(), .all = all};

    for (size_t i = 0; i < g->ours.n; i++) {
        g->ours.e[i].seen = false;
    }
    dp_esp_sa_iterate(g->dp, report_sa, &c);
    for (size_t i = g->ours.n; i-- > 0;) {
        if (!g->ours.e[i].seen) {
            struct esp_sync_rec r = {
                .op = ESP_SYNC_GONE, .inbound = g->ours.e[i].inbound, .spi = g->ours.e[i].spi};
            send_rec(g, &r);
            table_del(&g->ours, &g->ours.e[i]);
        }
    }
}

void
esp_sync_glue_report(struct esp_sync_glue *g)
{
    /* A passive node's SAs carry no traffic: its numbers are nobody's truth. */
    if (dp_ha_role(g->dp) != DP_HA_PASSIVE && sync_peer_up(g->sync)) {
        report(g, false);
    }
}

static int
on_timer(sd_event_source *src, uint64_t usec, void *aux)
{
    (void)usec;
    esp_sync_glue_report(aux);
    sd_event_source_set_time_relative(src, ESP_SYNC_MS * 1000);
    sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
    return 0;
}

/* ---- The channel's client ---- */

static void
on_recv(void *aux, uint16_t type, const void *val, size_t len)
{
    struct esp_sync_glue *g = aux;
    struct esp_sync_entry *e;
    struct esp_sync_rec r;

    (void)type;
    g->counter[ESP_SYNC_GLUE_received]++;
    if (esp_sync_decode(val, len, &r)) {
        g->counter[ESP_SYNC_GLUE_decode_errors]++;
        return;
    }
    if (r.op == ESP_SYNC_GONE) {
        e = table_find(&g->peers, r.spi, r.inbound);
        if (e) {
            table_del(&g->peers, e);
        }
        return;
    }
    e = table_get(&g->peers, r.spi, r.inbound);
    if (!e) {
        g->counter[ESP_SYNC_GLUE_table_full]++;
        return;
    }
    /* Numbers only go up (a record resent after a newer one must not take it back). */
    if (r.seq >= e->seq) {
        e->seq = r.seq;
        e->rate_pps = r.rate_pps;
        e->at_us = now_us();
    }
}

static bool
on_bulk_fill(void *aux, struct sync *s)
{
    struct esp_sync_glue *g = aux;

    (void)s;
    if (dp_ha_role(g->dp) != DP_HA_PASSIVE) {
        report(g, true);
    }
    return true;
}

/* ---- Takeover ---- */

unsigned
esp_sync_glue_takeover(struct esp_sync_glue *g)
{
    uint64_t now = now_us();
    unsigned jumped = 0;

    g->counter[ESP_SYNC_GLUE_takeovers]++;
    /* dp_esp_sa_seq_jump() rebuilds SAs: not from inside dp_esp_sa_iterate(). */
    for (size_t i = 0; i < g->peers.n; i++) {
        const struct esp_sync_entry *e = &g->peers.e[i];
        struct dp_esp_sa_seq q;
        uint64_t next, age_us = now - e->at_us, margin;
        int ret;

        if (dp_esp_sa_seq(g->dp, e->spi, &q) || q.inbound != e->inbound) {
            continue; /* Not installed here (yet): installing it is the IKE side's. */
        }
        if (e->inbound) {
            next = e->seq; /* What the peer received: below the window is a replay. */
        } else {
            /* What the peer may have sent since: its rate for the record's age and two more
             * periods, and never less than the floor. */
            margin = (uint64_t)e->rate_pps * (age_us + 2 * ESP_SYNC_MS * 1000) / 1000000u;
            margin = margin > ESP_SEQ_MARGIN_MIN ? margin : ESP_SEQ_MARGIN_MIN;
            next = e->seq + margin + 1;
        }
        if (next <= q.seq + !e->inbound) {
            continue; /* Already there (outbound: it would send q.seq + 1 next). */
        }
        ret = dp_esp_sa_seq_jump(g->dp, e->spi, next);
        if (ret) {
            g->counter[ESP_SYNC_GLUE_jump_failed]++;
            log_warn("cluster: cannot move ESP SA 0x%08x to sequence %llu: %s (rekey it)", e->spi,
                     (unsigned long long)next, strerror(ret));
            continue;
        }
        jumped++;
    }
    g->counter[ESP_SYNC_GLUE_jumped] += jumped;
    return jumped;
}

/* ---- API ---- */

int
esp_sync_glue_create(struct dp *dp, struct sync *s, sd_event *event, struct esp_sync_glue **out)
{
    struct esp_sync_glue *g = calloc(1, sizeof *g);
    struct sync_client c = {.type_min = SYNC_REC_ESP_SEQ,
                            .type_max = SYNC_REC_ESP_SEQ,
                            .recv = on_recv,
                            .bulk_tx_fill = on_bulk_fill};
    int ret;

    *out = NULL;
    if (!g) {
        return ENOMEM;
    }
    g->dp = dp;
    g->sync = s;
    ret = sd_event_add_time_relative(event, &g->timer, CLOCK_MONOTONIC, ESP_SYNC_MS * 1000,
                                     10 * 1000, on_timer, g);
    if (ret < 0) {
        free(g);
        return -ret;
    }
    c.aux = g;
    ret = sync_client_add(s, &c);
    if (ret) {
        sd_event_source_disable_unref(g->timer);
        free(g);
        return ret;
    }
    *out = g;
    return 0;
}

void
esp_sync_glue_destroy(struct esp_sync_glue *g)
{
    if (!g) {
        return;
    }
    sync_client_del(g->sync, g);
    sd_event_source_disable_unref(g->timer);
    free(g->ours.e);
    free(g->peers.e);
    free(g);
}

uint64_t
esp_sync_glue_counter(const struct esp_sync_glue *g, enum esp_sync_glue_counter c)
{
    return (unsigned)c < ESP_SYNC_GLUE_N_COUNTERS ? g->counter[c] : 0;
}

int
esp_sync_glue_to_json(const struct esp_sync_glue *g, json_t *obj)
{
    static const char *const names[] = {
#define ESP_SYNC_GLUE_NAME_(name, help) #name,
        ESP_SYNC_GLUE_COUNTER_LIST(ESP_SYNC_GLUE_NAME_)
#undef ESP_SYNC_GLUE_NAME_
    };
    json_t *esp = json_object();
    int fail = !esp;

    for (unsigned i = 0; esp && i < ESP_SYNC_GLUE_N_COUNTERS; i++) {
        fail |= json_object_set_new(esp, names[i], json_integer((json_int_t)g->counter[i]));
    }
    if (esp) {
        fail |= json_object_set_new(esp, "peer_sas", json_integer((json_int_t)g->peers.n));
    }
    fail |= json_object_set_new(obj, "esp", esp);
    return fail ? ENOMEM : 0;
}
