/* SPDX-License-Identifier: Apache-2.0 */
/* The neighbors on the sync channel (neigh_sync_glue.h).
 *
 * What the peer was told is kept as an array sorted by (port, address): each diff collects the
 * data plane's learned entries into another array, sorts it, and merges the two. A few thousand
 * entries at most (node max_neighbors), once a second at most. */
#include "gateway/cluster/neigh_sync_glue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>

#include "dataplane/dp.h"
#include "dataplane/ha.h"

/* A neighbor as the diff sees it. */
struct neigh_sync_entry {
    uint8_t port;          /* enum neigh_sync_port; key, with 'ip'. */
    uint8_t mac[6];        /* Its MAC. */
    uint32_t ip;           /* Its address, network order. */
    uint64_t confirmed_ms; /* When ARP last confirmed it (CLOCK_MONOTONIC, to the second). */
};

/* An array of entries, sorted by (port, ip) once collected. */
struct neigh_sync_list {
    struct neigh_sync_entry *e; /* Entries. */
    size_t n;                   /* Used. */
    size_t cap;                 /* Allocated. */
};

struct neigh_sync_glue {
    struct dp *dp;                        /* The data plane (borrowed). */
    struct sync *sync;                    /* The channel (borrowed). */
    sd_event_source *timer;               /* The diff timer. */
    uint8_t kind_of[DP_MAX_PORTS];        /* DPDK port id -> enum neigh_sync_port, 0: none. */
    int port_of[NEIGH_SYNC_EXTERNAL + 1]; /* enum neigh_sync_port -> DPDK port id, -1: none. */
    struct neigh_sync_list told;          /* What the peer was told, as told. */
    struct neigh_sync_list scan;          /* The current diff's collection (scratch). */
    struct neigh_sync_list bulk;          /* The bulk walk's snapshot. */
    size_t bulk_pos;                      /* Next entry of 'bulk' to send. */
    bool bulk_ready;                      /* 'bulk' holds the current walk's snapshot. */
    uint32_t gen;                         /* dp_neigh_generation() of the last full diff, */
    bool gen_valid;                       /* when that diff sent all it had to. */
    uint64_t counter[NEIGH_SYNC_GLUE_N_COUNTERS]; /* enum neigh_sync_glue_counter. */
};

static uint64_t
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* ---- Wire form ---- */

void
neigh_sync_encode(const struct neigh_sync_rec *r, uint8_t out[NEIGH_SYNC_WIRE_LEN])
{
    out[0] = r->port;
    out[1] = 0;
    memcpy(out + 2, r->mac, 6);
    memcpy(out + 8, &r->ip, 4);
    out[12] = (uint8_t)(r->age_s >> 24);
    out[13] = (uint8_t)(r->age_s >> 16);
    out[14] = (uint8_t)(r->age_s >> 8);
    out[15] = (uint8_t)r->age_s;
}

int
neigh_sync_decode(const void *in, size_t len, struct neigh_sync_rec *r)
{
    const uint8_t *p = in;

    if (len != NEIGH_SYNC_WIRE_LEN ||
        (p[0] != NEIGH_SYNC_PROVIDER && p[0] != NEIGH_SYNC_EXTERNAL) || p[1]) {
        return EINVAL;
    }
    memset(r, 0, sizeof *r);
    r->port = p[0];
    memcpy(r->mac, p + 2, 6);
    memcpy(&r->ip, p + 8, 4);
    r->age_s = (uint32_t)p[12] << 24 | (uint32_t)p[13] << 16 | (uint32_t)p[14] << 8 | p[15];
    return 0;
}

/* ---- Collecting ---- */

static int
entry_cmp(const void *a, const void *b)
{
    const struct neigh_sync_entry *x = a, *y = b;
    uint32_t xi = ntohl(x->ip), yi = ntohl(y->ip);

    if (x->port != y->port) {
        return x->port < y->port ? -1 : 1;
    }
    return xi < yi ? -1 : xi > yi;
}

/* What one collection walk needs. */
struct collect_ctx {
    struct neigh_sync_glue *g;   /* The glue. */
    struct neigh_sync_list *out; /* Where the entries go. */
    uint64_t now;                /* now_ms() of the walk. */
};

static bool
collect_one(uint16_t port, uint32_t ip, const uint8_t mac[6], unsigned age_s, void *aux)
{
    struct collect_ctx *c = aux;
    struct neigh_sync_list *l = c->out;
    struct neigh_sync_entry *e;
    uint64_t age_ms = (uint64_t)age_s * 1000u;

    /* Static entries are configuration, the same on both nodes; our own addresses are never a
     * neighbor worth telling (see the header). */
    if (port >= DP_MAX_PORTS || !c->g->kind_of[port] || age_s == UINT32_MAX ||
        dp_addr_is_own(c->g->dp, port, ip)) {
        return true;
    }
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct neigh_sync_entry *grown;

        if (cap > NEIGH_SYNC_MAX || !(grown = realloc(l->e, cap * sizeof *grown))) {
            c->g->counter[NEIGH_SYNC_GLUE_not_followed]++;
            return true;
        }
        l->e = grown;
        l->cap = cap;
    }
    e = &l->e[l->n++];
    e->port = c->g->kind_of[port];
    memcpy(e->mac, mac, 6);
    e->ip = ip;
    e->confirmed_ms = c->now > age_ms ? c->now - age_ms : 0;
    return true;
}

/* Fills 'l' with the data plane's learned neighbors, sorted. */
static void
collect(struct neigh_sync_glue *g, struct neigh_sync_list *l)
{
    struct collect_ctx c = {.g = g, .out = l, .now = now_ms()};

    l->n = 0;
    dp_neigh_iterate(g->dp, collect_one, &c);
    if (l->n > 1) {
        qsort(l->e, l->n, sizeof *l->e, entry_cmp);
    }
}

/* ---- Sending ---- */

/* True when this node's neighbors are the ones to send (see the header). */
static bool
may_send(const struct neigh_sync_glue *g)
{
    return dp_ha_role(g->dp) != DP_HA_PASSIVE;
}

/* Queues 'e' with its age as of now. Returns true when the channel took it. */
static bool
send_entry(struct neigh_sync_glue *g, const struct neigh_sync_entry *e, bool bulk)
{
    struct neigh_sync_rec r = {.port = e->port, .ip = e->ip};
    uint8_t wire[NEIGH_SYNC_WIRE_LEN];
    uint64_t now = now_ms(), age = now > e->confirmed_ms ? (now - e->confirmed_ms) / 1000u : 0;

    memcpy(r.mac, e->mac, 6);
    r.age_s = age > UINT32_MAX ? UINT32_MAX : (uint32_t)age;
    neigh_sync_encode(&r, wire);
    if (sync_send(g->sync, SYNC_REC_NEIGH, wire, sizeof wire)) {
        g->counter[NEIGH_SYNC_GLUE_not_sent]++;
        return false;
    }
    g->counter[bulk ? NEIGH_SYNC_GLUE_bulk_sent : NEIGH_SYNC_GLUE_sent]++;
    return true;
}

void
neigh_sync_glue_diff(struct neigh_sync_glue *g)
{
    struct neigh_sync_list *cur = &g->scan, swap;
    uint32_t gen = dp_neigh_generation(g->dp);
    bool all_sent = true;
    size_t j = 0, w = 0;

    if (!may_send(g)) {
        /* Whatever the peer holds, a node that turns active tells it everything it has. */
        g->told.n = 0;
        g->gen_valid = false;
        return;
    }
    if (!sync_peer_up(g->sync) || (g->gen_valid && gen == g->gen)) {
        return;
    }
    collect(g, cur);
    /* Merge: 'cur' becomes what the peer will have been told. */
    for (size_t i = 0; i < cur->n; i++) {
        struct neigh_sync_entry *e = &cur->e[i];
        const struct neigh_sync_entry *p = NULL;

        while (j < g->told.n && entry_cmp(&g->told.e[j], e) < 0) {
            j++;
        }
        if (j < g->told.n && entry_cmp(&g->told.e[j], e) == 0) {
            p = &g->told.e[j];
        }
        if (p && !memcmp(p->mac, e->mac, 6) &&
            e->confirmed_ms <= p->confirmed_ms + NEIGH_SYNC_SLACK_MS) {
            *e = *p; /* Nothing new: the peer's copy stays as told. */
        } else if (!send_entry(g, e, false)) {
            all_sent = false;
            if (!p) {
                continue; /* Never told: not kept. */
            }
            *e = *p;
        }
        cur->e[w++] = *e;
    }
    cur->n = w;
    swap = g->told;
    g->told = *cur;
    *cur = swap;
    /* A diff that could not send everything runs again at the next tick. */
    g->gen = gen;
    g->gen_valid = all_sent;
}

static int
on_timer(sd_event_source *src, uint64_t usec, void *aux)
{
    (void)usec;
    neigh_sync_glue_diff(aux);
    sd_event_source_set_time_relative(src, NEIGH_SYNC_MS * 1000);
    sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
    return 0;
}

/* ---- The channel's client ---- */

static void
on_recv(void *aux, uint16_t type, const void *val, size_t len)
{
    struct neigh_sync_glue *g = aux;
    struct neigh_sync_rec r;
    enum neigh_sync_glue_counter c;

    (void)type;
    g->counter[NEIGH_SYNC_GLUE_received]++;
    if (neigh_sync_decode(val, len, &r)) {
        g->counter[NEIGH_SYNC_GLUE_decode_errors]++;
        return;
    }
    if (g->port_of[r.port] < 0) {
        g->counter[NEIGH_SYNC_GLUE_refused_port]++;
        return;
    }
    switch (dp_neigh_learn(g->dp, (uint16_t)g->port_of[r.port], r.ip, r.mac, r.age_s)) {
    case 0:
        c = NEIGH_SYNC_GLUE_imported;
        break;
    case EALREADY:
        c = NEIGH_SYNC_GLUE_kept_newer;
        break;
    case EPERM:
        c = NEIGH_SYNC_GLUE_refused_static;
        break;
    case EADDRINUSE:
        c = NEIGH_SYNC_GLUE_refused_own;
        break;
    case ESTALE:
        c = NEIGH_SYNC_GLUE_refused_stale;
        break;
    case ENOSPC:
        c = NEIGH_SYNC_GLUE_refused_full;
        break;
    case ENODEV:
        c = NEIGH_SYNC_GLUE_refused_port;
        break;
    default:
        c = NEIGH_SYNC_GLUE_refused_address;
        break;
    }
    g->counter[c]++;
}

static void
on_bulk_start(void *aux)
{
    struct neigh_sync_glue *g = aux;

    g->bulk_ready = false;
}

static bool
on_bulk_fill(void *aux, struct sync *s)
{
    struct neigh_sync_glue *g = aux;

    if (!may_send(g)) {
        return true; /* A passive node's copies are no one's truth. */
    }
    if (!g->bulk_ready) {
        collect(g, &g->bulk);
        g->bulk_pos = 0;
        g->bulk_ready = true;
    }
    while (g->bulk_pos < g->bulk.n && sync_has_room(s)) {
        send_entry(g, &g->bulk.e[g->bulk_pos++], true);
    }
    if (g->bulk_pos < g->bulk.n) {
        return false;
    }
    g->bulk_ready = false;
    g->counter[NEIGH_SYNC_GLUE_bulk_walks]++;
    return true;
}

/* ---- API ---- */

int
neigh_sync_glue_create(struct dp *dp, struct sync *s, sd_event *event, struct neigh_sync_glue **out)
{
    struct neigh_sync_glue *g = calloc(1, sizeof *g);
    struct sync_client c = {.type_min = SYNC_REC_NEIGH,
                            .type_max = SYNC_REC_NEIGH,
                            .recv = on_recv,
                            .bulk_tx_start = on_bulk_start,
                            .bulk_tx_fill = on_bulk_fill};
    int ret;

    *out = NULL;
    if (!g) {
        return ENOMEM;
    }
    g->dp = dp;
    g->sync = s;
    for (size_t k = 0; k < sizeof g->port_of / sizeof g->port_of[0]; k++) {
        g->port_of[k] = -1;
    }
    for (unsigned i = 0; i < dp_port_count(dp); i++) {
        uint16_t id;
        const struct dp_port_conf *pc = dp_port_conf(dp, i, &id);
        uint8_t kind = pc->kind == DP_PORT_PROVIDER   ? NEIGH_SYNC_PROVIDER
                       : pc->kind == DP_PORT_EXTERNAL ? NEIGH_SYNC_EXTERNAL
                                                      : 0;

        if (kind && id < DP_MAX_PORTS && g->port_of[kind] < 0) {
            g->kind_of[id] = kind;
            g->port_of[kind] = id;
        }
    }
    ret = sd_event_add_time_relative(event, &g->timer, CLOCK_MONOTONIC, NEIGH_SYNC_MS * 1000,
                                     100 * 1000, on_timer, g);
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
neigh_sync_glue_destroy(struct neigh_sync_glue *g)
{
    if (!g) {
        return;
    }
    sync_client_del(g->sync, g);
    sd_event_source_disable_unref(g->timer);
    free(g->told.e);
    free(g->scan.e);
    free(g->bulk.e);
    free(g);
}

uint64_t
neigh_sync_glue_counter(const struct neigh_sync_glue *g, enum neigh_sync_glue_counter c)
{
    return (unsigned)c < NEIGH_SYNC_GLUE_N_COUNTERS ? g->counter[c] : 0;
}

int
neigh_sync_glue_to_json(const struct neigh_sync_glue *g, json_t *obj)
{
    static const char *const names[] = {
#define NEIGH_SYNC_GLUE_NAME_(name, help) #name,
        NEIGH_SYNC_GLUE_COUNTER_LIST(NEIGH_SYNC_GLUE_NAME_)
#undef NEIGH_SYNC_GLUE_NAME_
    };
    json_t *neigh = json_object();
    int fail = !neigh;

    for (unsigned i = 0; neigh && i < NEIGH_SYNC_GLUE_N_COUNTERS; i++) {
        fail |= json_object_set_new(neigh, names[i], json_integer((json_int_t)g->counter[i]));
    }
    if (neigh) {
        fail |= json_object_set_new(neigh, "told", json_integer((json_int_t)g->told.n));
    }
    fail |= json_object_set_new(obj, "neigh", neigh);
    return fail ? ENOMEM : 0;
}
