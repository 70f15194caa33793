/* SPDX-License-Identifier: Apache-2.0 */
/* The state sync of a pair, put together (pair_sync.h). */
#include "gateway/cluster/pair_sync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "dataplane/dp.h"
#include "gateway/cluster/cluster.h"
#include "gateway/cluster/esp_sync_glue.h"
#include "gateway/cluster/ike_sync_glue.h"
#include "gateway/cluster/nat_sync_glue.h"
#include "gateway/cluster/neigh_sync_glue.h"
#include "gateway/cluster/sync.h"
#include "gateway/config.h"
#include "lib/log.h"

struct pair_sync {
    struct cluster *cluster;       /* Hooked into; not owned. */
    struct sync *sync;             /* The channel to the peer. */
    struct nat_sync_glue *nat;     /* NAT sessions on it, NULL on a node without NAT. */
    struct esp_sync_glue *esp;     /* ESP sequence numbers on it. */
    struct neigh_sync_glue *neigh; /* Neighbors (ARP) on it. */
    struct ike_sync_glue *ike;     /* IKE and CHILD_SAs on it, NULL on a node without VPN. */
    bool bulk_done;                /* A bulk resync of the peer was received to the end. */
    bool synced_told;              /* The cluster heard that the peer's state is here. */
};

/* The "sync" part of "show cluster": the channel, then NAT, ESP, the neighbors and IKE. */
static json_t *
show_sync(void *aux)
{
    const struct pair_sync *ps = aux;
    json_t *obj = json_object();

    if (!obj) {
        return NULL;
    }
    sync_to_json(ps->sync, obj);
    if (ps->nat) {
        nat_sync_glue_to_json(ps->nat, obj);
    }
    if (ps->esp) {
        esp_sync_glue_to_json(ps->esp, obj);
    }
    if (ps->neigh) {
        neigh_sync_glue_to_json(ps->neigh, obj);
    }
    if (ps->ike) {
        ike_sync_glue_to_json(ps->ike, obj);
    }
    return obj;
}

/* Tells the election, once, when the peer's state is here: a bulk received to its end and, with
 * VPN, the peer's SAs in the IKE daemon. */
static void
check_synced(void *aux)
{
    struct pair_sync *ps = aux;

    if (ps->synced_told || !ps->bulk_done || (ps->ike && !ike_sync_glue_synced(ps->ike))) {
        return;
    }
    ps->synced_told = true;
    cluster_synced(ps->cluster);
}

/* sync client (no records of its own): a bulk of the peer ended. */
static void
pair_bulk_rx(void *aux, enum sync_bulk_event ev)
{
    struct pair_sync *ps = aux;

    if (ev == SYNC_BULK_DONE) {
        ps->bulk_done = true;
        check_synced(ps);
    }
}

/* Before the data plane becomes active: outbound ESP past the peer's numbers. */
static void
on_takeover(void *aux)
{
    struct pair_sync *ps = aux;

    if (ps->esp) {
        unsigned moved = esp_sync_glue_takeover(ps->esp);
        if (moved) {
            log_info("cluster: %u ESP SA(s) moved past the peer's sequence numbers", moved);
        }
    }
}

int
pair_sync_start(const struct hnvgw_config *cfg, struct dp *dp, sd_event *event,
                struct cluster *cluster, struct ike_ha *ike, struct pair_sync **out, char *err)
{
    const struct config_cluster *cc = &cfg->cluster;
    struct sync_conf sc;
    struct pair_sync *ps;
    int ret;

    *out = NULL;
    if (!cc->enabled) {
        return 0;
    }
    if (cc->secret_len > sizeof sc.secret) {
        snprintf(err, DP_ERR_MAX, "cluster: the secret is longer than the sync channel takes");
        return EINVAL;
    }
    ps = calloc(1, sizeof *ps);
    if (!ps) {
        snprintf(err, DP_ERR_MAX, "cluster: out of memory");
        return ENOMEM;
    }
    ps->cluster = cluster;
    memset(&sc, 0, sizeof sc);
    hnvgw_ip_sockaddr(&cc->sync_address, cc->sync_port, &sc.local);
    hnvgw_ip_sockaddr(&cc->peer, cc->sync_port, &sc.peer);
    memcpy(sc.secret, cc->secret, cc->secret_len);
    sc.secret_len = cc->secret_len;
    ret = sync_create(&sc, event, &ps->sync, err);
    memset(sc.secret, 0, sizeof sc.secret);
    if (ret) {
        free(ps);
        return ret;
    }
    ret = nat_sync_glue_create(dp, ps->sync, event, &ps->nat);
    if (ret == ENOTSUP) {
        ps->nat = NULL; /* A node without NAT has no sessions to share. */
    } else if (ret) {
        snprintf(err, DP_ERR_MAX, "cluster: NAT session sync: %s", strerror(ret));
        goto fail;
    }
    ret = esp_sync_glue_create(dp, ps->sync, event, &ps->esp);
    if (ret) {
        snprintf(err, DP_ERR_MAX, "cluster: ESP sequence sync: %s", strerror(ret));
        goto fail;
    }
    ret = neigh_sync_glue_create(dp, ps->sync, event, &ps->neigh);
    if (ret) {
        snprintf(err, DP_ERR_MAX, "cluster: neighbor sync: %s", strerror(ret));
        goto fail;
    }
    /* Type 0 is no record's: this client only hears of bulks. */
    ret = sync_client_add(ps->sync, &(struct sync_client){.bulk_rx = pair_bulk_rx, .aux = ps});
    if (ret) {
        snprintf(err, DP_ERR_MAX, "cluster: sync client: %s", strerror(ret));
        goto fail;
    }
    if (ike) {
        ret = ike_sync_glue_create(ike, ps->sync, cluster, event, check_synced, ps, &ps->ike);
        if (ret) {
            snprintf(err, DP_ERR_MAX, "cluster: IKE SA sync: %s", strerror(ret));
            goto fail;
        }
    }
    cluster_set_sync_show(cluster, show_sync, ps);
    cluster_set_takeover_hook(cluster, on_takeover, ps);
    cluster_wait_for_sync(cluster);
    *out = ps;
    return 0;

fail:
    neigh_sync_glue_destroy(ps->neigh);
    esp_sync_glue_destroy(ps->esp);
    nat_sync_glue_destroy(ps->nat);
    sync_destroy(ps->sync);
    free(ps);
    return ret;
}

void
pair_sync_stop(struct pair_sync *ps)
{
    if (!ps) {
        return;
    }
    cluster_set_sync_show(ps->cluster, NULL, NULL);
    cluster_set_takeover_hook(ps->cluster, NULL, NULL);
    ike_sync_glue_destroy(ps->ike);
    neigh_sync_glue_destroy(ps->neigh);
    esp_sync_glue_destroy(ps->esp);
    nat_sync_glue_destroy(ps->nat);
    sync_destroy(ps->sync);
    free(ps);
}
