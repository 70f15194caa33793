/* SPDX-License-Identifier: Apache-2.0 */
/* IKE and CHILD_SAs on the sync channel (ike_sync_glue.h). */
#include "gateway/cluster/ike_sync_glue.h"

#include <errno.h>
#include <stdlib.h>

#include "dataplane/ha.h"
#include "gateway/cluster/cluster.h"
#include "gateway/cluster/sync.h"
#include "lib/log.h"
#include "vpn/ike_ha.h"

struct ike_sync_glue {
    struct ike_ha *ha;          /* The VPN service's relay (borrowed). */
    struct sync *sync;          /* The channel (borrowed). */
    struct cluster *cluster;    /* The election (borrowed). */
    uint64_t resyncs_given;     /* Bulk requests of the peer answered with a daemon resync. */
    uint64_t resyncs_asked;     /* Bulk resyncs asked because the local daemon became ready. */
    uint64_t resync_ask_failed; /* Of those, refused by the channel (no peer yet). */
};

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
ike_sync_glue_create(struct ike_ha *ha, struct sync *s, struct cluster *c,
                     struct ike_sync_glue **out)
{
    struct ike_sync_glue *g = calloc(1, sizeof *g);
    struct sync_client client = {
        .type_min = SYNC_REC_IKE_HA,
        .type_max = SYNC_REC_IKE_HA,
        .recv = recv_record,
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
    free(g);
}

/* ike_ha_counters() callback. */
static void
add_counter(void *obj, const char *name, uint64_t v)
{
    json_object_set_new(obj, name, json_integer((json_int_t)v));
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
        fail |= json_object_set_new(ike, "resync_ask_failed",
                                    json_integer((json_int_t)g->resync_ask_failed));
    }
    fail |= json_object_set_new(obj, "ike", ike);
    return fail ? ENOMEM : 0;
}
