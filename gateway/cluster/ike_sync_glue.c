/* SPDX-License-Identifier: Apache-2.0 */
/* IKE and CHILD_SAs on the sync channel (ike_sync_glue.h). */
#include "gateway/cluster/ike_sync_glue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/ha.h"
#include "gateway/cluster/cluster.h"
#include "gateway/cluster/sync.h"
#include "lib/event_timer.h"
#include "lib/log.h"
#include "vpn/ike_ha.h"

struct ike_sync_glue {
    struct ike_ha *ha;                  /* The VPN service's relay (borrowed). */
    sd_event *event;                    /* The loop (borrowed). */
    sd_event_source *settle;            /* Timer: the peer's resync has gone quiet; NULL before. */
    ike_sync_glue_synced_fn *synced_fn; /* Told when synced, or NULL. */
    void *synced_aux;                   /* For synced_fn. */
    bool daemon_ready;                  /* The local daemon has its tunnels loaded. */
    bool bulk_after_ready;              /* The bulk being received began once it was. */
    bool settling;                      /* That bulk ended: waiting for the resync to go quiet. */
    bool synced;                        /* The peer's SAs are here. */
    struct sync *sync;                  /* The channel (borrowed). */
    struct cluster *cluster;            /* The election (borrowed). */
    uint64_t resyncs_given;     /* Bulk requests of the peer answered with a daemon resync. */
    uint64_t resyncs_asked;     /* Bulk resyncs asked because the local daemon became ready. */
    uint64_t resync_ask_failed; /* Of those, refused by the channel (no peer yet). */
};

static void settle_later(struct ike_sync_glue *g);

/* Timer: the peer's resync went quiet. */
static int
on_settled(sd_event_source *src, uint64_t usec, void *g_)
{
    struct ike_sync_glue *g = g_;

    (void)src;
    (void)usec;
    g->settling = false;
    g->synced = true;
    log_info("cluster: the peer's IKE and CHILD_SAs are here");
    if (g->synced_fn) {
        g->synced_fn(g->synced_aux);
    }
    return 0;
}

/* (Re)arms the settle timer. */
static void
settle_later(struct ike_sync_glue *g)
{
    int ret = event_timer_in(g->event, &g->settle, IKE_SYNC_SETTLE_MS * 1000, 10000, on_settled, g);

    if (ret < 0) {
        log_err("cluster: IKE sync: cannot arm a timer: %s", strerror(-ret));
    }
}

/* ike_ha forward callback: a message of the local daemon for the peer's. */
static int
forward(void *g_, const void *msg, size_t len)
{
    struct ike_sync_glue *g = g_;

    return sync_send(g->sync, SYNC_REC_IKE_HA, msg, len);
}

/* ike_ha ready callback: the local daemon has its tunnels loaded. */
static void
daemon_ready(void *g_)
{
    struct ike_sync_glue *g = g_;

    g->daemon_ready = true;
    if (cluster_role(g->cluster) != DP_HA_PASSIVE) {
        return; /* Its own SAs are the ones that count; the peer asks when it needs them. */
    }
    g->resyncs_asked++;
    if (sync_request_bulk(g->sync)) {
        g->resync_ask_failed++; /* No peer yet: the channel asks by itself when one comes. */
    }
}

/* sync client: a message of the peer's daemon. */
static void
recv_record(void *g_, uint16_t type, const void *val, size_t len)
{
    struct ike_sync_glue *g = g_;

    (void)type;
    ike_ha_deliver(g->ha, val, len); /* Counted by the relay. */
    if (g->settling) {
        settle_later(g);
    }
}

/* sync client: a bulk of the peer begins or ends. */
static void
bulk_rx(void *g_, enum sync_bulk_event ev)
{
    struct ike_sync_glue *g = g_;

    if (ev == SYNC_BULK_BEGIN) {
        g->bulk_after_ready = g->daemon_ready;
    } else if (ev == SYNC_BULK_DONE && g->bulk_after_ready && !g->synced) {
        g->settling = true;
        settle_later(g);
    }
}

/* sync client: the peer wants everything. */
static void
bulk_tx_start(void *g_)
{
    struct ike_sync_glue *g = g_;

    if (cluster_role(g->cluster) == DP_HA_PASSIVE) {
        return; /* The passive daemon's SAs are copies of the peer's own. */
    }
    g->resyncs_given++;
    log_info("cluster: the peer asked for a bulk resync: the IKE daemon sends its SAs again");
    ike_ha_resync(g->ha);
}

/* sync client: the daemon's messages come on their own, after the walk. */
static bool
bulk_tx_fill(void *g_, struct sync *s)
{
    (void)g_;
    (void)s;
    return true;
}

int
ike_sync_glue_create(struct ike_ha *ha, struct sync *s, struct cluster *c, sd_event *event,
                     ike_sync_glue_synced_fn *synced, void *aux, struct ike_sync_glue **out)
{
    struct ike_sync_glue *g = calloc(1, sizeof *g);
    struct sync_client client = {
        .type_min = SYNC_REC_IKE_HA,
        .type_max = SYNC_REC_IKE_HA,
        .recv = recv_record,
        .bulk_rx = bulk_rx,
        .bulk_tx_start = bulk_tx_start,
        .bulk_tx_fill = bulk_tx_fill,
    };
    int ret;

    *out = NULL;
    if (!g) {
        return ENOMEM;
    }
    g->ha = ha;
    g->sync = s;
    g->cluster = c;
    g->event = event;
    g->synced_fn = synced;
    g->synced_aux = aux;
    client.aux = g;
    ret = sync_client_add(s, &client);
    if (ret) {
        free(g);
        return ret;
    }
    ike_ha_set_peer(ha, forward, daemon_ready, g);
    *out = g;
    return 0;
}

void
ike_sync_glue_destroy(struct ike_sync_glue *g)
{
    if (!g) {
        return;
    }
    ike_ha_set_peer(g->ha, NULL, NULL, NULL);
    sync_client_del(g->sync, g);
    sd_event_source_disable_unref(g->settle);
    free(g);
}

/* ike_ha_counters() callback. */
static void
add_counter(void *obj, const char *name, uint64_t v)
{
    json_object_set_new(obj, name, json_integer((json_int_t)v));
}

bool
ike_sync_glue_synced(const struct ike_sync_glue *g)
{
    return g->synced;
}

int
ike_sync_glue_to_json(const struct ike_sync_glue *g, json_t *obj)
{
    json_t *ike = json_object();
    int fail = !ike;

    if (ike) {
        ike_ha_counters(g->ha, add_counter, ike);
        fail |=
            json_object_set_new(ike, "resyncs_given", json_integer((json_int_t)g->resyncs_given));
        fail |=
            json_object_set_new(ike, "resyncs_asked", json_integer((json_int_t)g->resyncs_asked));
        fail |= json_object_set_new(ike, "synced", json_boolean(g->synced));
        fail |= json_object_set_new(ike, "resync_ask_failed",
                                    json_integer((json_int_t)g->resync_ask_failed));
    }
    fail |= json_object_set_new(obj, "ike", ike);
    return fail ? ENOMEM : 0;
}
