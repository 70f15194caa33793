/* SPDX-License-Identifier: Apache-2.0 */
/* The pair's metrics (metrics_render_cluster(), metrics.h): read from "show cluster"
 * (cluster_show(), with its "sync" part from gateway/cluster/pair_sync.c), so that the scrape
 * and the CLI always agree; the counter families of the sync channel and of its glues follow
 * their X-macro lists, names and help. */
#include "gateway/metrics.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "dataplane/ha.h"
#include "gateway/cluster/cluster.h"
#include "gateway/cluster/esp_sync_glue.h"
#include "gateway/cluster/nat_sync_glue.h"
#include "gateway/cluster/neigh_sync_glue.h"
#include "gateway/cluster/sync.h"
#include "gateway/cluster/vrrp.h"

#define METRICS_NAME_(name, help) #name,
#define METRICS_HELP_(name, help) help,
/* A list of counters (an X-macro list of "show cluster"'s names, with their help). */
struct counter_list {
    const char *const *names; /* Names, as "show cluster" keys them. */
    const char *const *helps; /* Their help. */
    size_t n;                 /* Entries. */
};
#define COUNTER_LIST(list)                                                                         \
    {                                                                                              \
        (const char *const[]){list(METRICS_NAME_)}, (const char *const[]){list(METRICS_HELP_)},    \
            sizeof((const char *const[]){list(METRICS_NAME_)}) / sizeof(const char *)              \
    }

/* The non-negative integer 'key' of 'o', 0 when absent. */
static uint64_t
jnum(const json_t *o, const char *key)
{
    json_int_t v = json_integer_value(json_object_get(o, key));
    return v > 0 ? (uint64_t)v : 0;
}

/* The string 'key' of 'o', "" when absent. */
static const char *
jstr(const json_t *o, const char *key)
{
    const char *v = json_string_value(json_object_get(o, key));
    return v ? v : "";
}

/* Milliseconds 'key' of 'o' as seconds, NaN when absent. */
static double
jms(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) / 1000.0 : NAN;
}

/* One counter family "<prefix>_<name>_total" per entry of 'l', read from 'o'. */
static void
counter_families(struct metrics_text *t, const char *prefix, const json_t *o, struct counter_list l)
{
    char name[128];

    for (size_t i = 0; i < l.n; i++) {
        snprintf(name, sizeof name, "%s_%s_total", prefix, l.names[i]);
        metrics_family(t, name, METRICS_COUNTER, l.helps[i]);
        metrics_sample(t, jnum(o, l.names[i]), NULL);
    }
}

/* Seconds since the epoch of "show cluster"'s "2026-11-23T22:41:07.123Z", NaN if not one. */
static double
wall_seconds(const char *s)
{
    struct tm tm;
    const char *rest;

    memset(&tm, 0, sizeof tm);
    rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest) {
        return NAN;
    }
    return (double)timegm(&tm) + (*rest == '.' ? strtod(rest, NULL) : 0.0);
}

/* The IKE part: the relay's counters (vpn/ike_ha.h names them; no list here to follow) and
 * whether the peer's SAs are here. */
static void
ike_families(struct metrics_text *t, const json_t *ike)
{
    char name[128], help[160];
    const char *key;
    json_t *v;

    json_object_foreach((json_t *)ike, key, v)
    {
        if (json_is_integer(v)) {
            snprintf(name, sizeof name, "hnvgw_cluster_sync_ike_%s_total", key);
            snprintf(help, sizeof help, "IKE SA sync: %s (show cluster, sync.ike).", key);
            metrics_family(t, name, METRICS_COUNTER, help);
            metrics_sample(t, jnum(ike, key), NULL);
        } else if (json_is_boolean(v)) {
            snprintf(name, sizeof name, "hnvgw_cluster_sync_ike_%s", key);
            snprintf(help, sizeof help, "IKE SA sync: 1 when %s (show cluster, sync.ike).", key);
            metrics_family(t, name, METRICS_GAUGE, help);
            metrics_sample(t, json_is_true(v), NULL);
        }
    }
}

/* The sync channel and the state on it. */
static void
render_sync(struct metrics_text *t, const json_t *sy)
{
    static const char *const dirs[2] = {"in", "out"};
    const json_t *peer = json_object_get(sy, "peer"), *bulk = json_object_get(sy, "bulk");
    const json_t *drops = json_object_get(sy, "drops"), *part;
    const char *drop_names[] = {SYNC_DROP_LIST(METRICS_NAME_)};
    uint64_t srtt_us = jnum(sy, "srtt_us");

    metrics_family(t, "hnvgw_cluster_sync_peer_up", METRICS_GAUGE,
                   "1 while the peer is heard on the sync channel.");
    metrics_sample(t, !strcmp(jstr(peer, "state"), "up"), NULL);
    metrics_family(t, "hnvgw_cluster_sync_peer_state", METRICS_GAUGE,
                   "The peer's state on the sync channel (1 for the current one).");
    for (int st = SYNC_PEER_UNKNOWN; st <= SYNC_PEER_DOWN; st++) {
        const char *name = sync_peer_state_name((enum sync_peer_state)st);
        metrics_sample(t, !strcmp(jstr(peer, "state"), name), "state", name, NULL);
    }
    counter_families(t, "hnvgw_cluster_sync", json_object_get(sy, "counters"),
                     (struct counter_list)COUNTER_LIST(SYNC_COUNTER_LIST));
    metrics_family(t, "hnvgw_cluster_sync_drops_total", METRICS_COUNTER,
                   "Sync datagrams and records dropped, by reason (show cluster, sync.drops).");
    for (size_t i = 0; i < sizeof drop_names / sizeof drop_names[0]; i++) {
        metrics_sample(t, jnum(drops, drop_names[i]), "reason", drop_names[i], NULL);
    }
    metrics_family(t, "hnvgw_cluster_sync_bulk_state", METRICS_GAUGE,
                   "The state of the bulk resync received (in) and sent (out), 1 for the current "
                   "one.");
    for (int d = 0; d < 2; d++) {
        for (int st = SYNC_BULK_IDLE; st <= SYNC_BULK_COMPLETE; st++) {
            const char *name = sync_bulk_state_name((enum sync_bulk_state)st);
            /* Each direction has its own states: in is never sending, out never asks. */
            if (d == 0 ? st == SYNC_BULK_SENDING
                       : st == SYNC_BULK_REQUESTED || st == SYNC_BULK_RECEIVING) {
                continue;
            }
            metrics_sample(t, !strcmp(jstr(bulk, dirs[d]), name), "direction", dirs[d], "state",
                           name, NULL);
        }
    }
    metrics_family(t, "hnvgw_cluster_sync_bulk_records", METRICS_GAUGE,
                   "Records of the current or last bulk resync received (in) and sent (out).");
    metrics_sample(t, jnum(bulk, "in_records"), "direction", "in", NULL);
    metrics_sample(t, jnum(bulk, "out_records"), "direction", "out", NULL);
    metrics_family(t, "hnvgw_cluster_sync_batches_in_flight", METRICS_GAUGE,
                   "Batches sent and not acknowledged yet.");
    metrics_sample(t, jnum(sy, "in_flight"), NULL);
    metrics_family(t, "hnvgw_cluster_sync_batches_queued", METRICS_GAUGE,
                   "Batches waiting for room in the window.");
    metrics_sample(t, jnum(sy, "queued"), NULL);
    metrics_family(t, "hnvgw_cluster_sync_srtt_seconds", METRICS_GAUGE,
                   "Smoothed round-trip time of the sync channel (NaN before a sample).");
    metrics_sample_f(t, srtt_us ? (double)srtt_us / 1e6 : NAN, NULL);
    if ((part = json_object_get(sy, "nat")) != NULL) {
        counter_families(t, "hnvgw_cluster_sync_nat", part,
                         (struct counter_list)COUNTER_LIST(NAT_SYNC_GLUE_COUNTER_LIST));
    }
    if ((part = json_object_get(sy, "esp")) != NULL) {
        counter_families(t, "hnvgw_cluster_sync_esp", part,
                         (struct counter_list)COUNTER_LIST(ESP_SYNC_GLUE_COUNTER_LIST));
        metrics_family(t, "hnvgw_cluster_sync_esp_peer_sas", METRICS_GAUGE,
                       "ESP SAs whose sequence numbers the peer reported.");
        metrics_sample(t, jnum(part, "peer_sas"), NULL);
    }
    if ((part = json_object_get(sy, "ike")) != NULL) {
        ike_families(t, part);
    }
    if ((part = json_object_get(sy, "neigh")) != NULL) {
        counter_families(t, "hnvgw_cluster_sync_neigh", part,
                         (struct counter_list)COUNTER_LIST(NEIGH_SYNC_GLUE_COUNTER_LIST));
        metrics_family(t, "hnvgw_cluster_sync_neigh_told", METRICS_GAUGE,
                       "Neighbors the peer was told of.");
        metrics_sample(t, jnum(part, "told"), NULL);
    }
}

void
metrics_render_cluster(struct metrics_text *t, const struct gw_state *gw)
{
    /* The peer as the election sees it, from "show cluster"'s sentence: its first words. */
    static const char *const peer_states[][2] = {{"never heard", "never_heard"},
                                                 {"master", "master"},
                                                 {"left", "left"},
                                                 {"silent", "silent"}};
    static const struct {
        const char *key, *name, *help; /* "show cluster" counter, family, HELP. */
    } vrrp_counters[] = {
        {"adverts_sent", "hnvgw_cluster_adverts_sent_total", "VRRP adverts sent."},
        {"adverts_received", "hnvgw_cluster_adverts_received_total",
         "VRRP adverts received and taken."},
        {"priority0_sent", "hnvgw_cluster_priority0_sent_total",
         "Priority-0 adverts sent (leaving: stop, switchover)."},
        {"priority0_received", "hnvgw_cluster_priority0_received_total",
         "Priority-0 adverts received from the peer."},
        {"send_failed", "hnvgw_cluster_advert_send_failures_total",
         "Adverts the data plane could not queue."},
        {"interval_mismatch", "hnvgw_cluster_interval_mismatches_total",
         "Adverts with another interval than this node's."},
        {"addresses_mismatch", "hnvgw_cluster_addresses_mismatches_total",
         "Adverts with other virtual addresses than this node's."},
        {"garps_sent", "hnvgw_cluster_garps_sent_total",
         "Gratuitous ARPs sent for the virtual addresses on takeovers."},
        {"garp_failed", "hnvgw_cluster_garp_failures_total",
         "Gratuitous ARP bursts that could not all be queued."},
        {"lower_master_heard", "hnvgw_cluster_lower_master_adverts_total",
         "Adverts of a lower master heard while master (a split brain healing), answered."},
        {"reannounced", "hnvgw_cluster_reannounced_total",
         "Gratuitous ARPs sent again after hearing a lower master."},
    };
    json_t *show = gw->cluster ? cluster_show(gw->cluster) : NULL;
    const json_t *peer = json_object_get(show, "peer"), *cnt = json_object_get(show, "counters");
    const json_t *last = json_object_get(show, "last_failover"), *v;
    const char *role = json_string_value(json_object_get(show, "role")), *key;

    role = role ? role : dp_ha_role_name(dp_ha_role(gw->dp));
    metrics_family(t, "hnvgw_cluster_role", METRICS_GAUGE,
                   "The node's role (1 for the current one): standalone without a cluster "
                   "section, else active or passive.");
    for (int r = DP_HA_STANDALONE; r <= DP_HA_PASSIVE; r++) {
        const char *name = dp_ha_role_name((enum dp_ha_role)r);
        metrics_sample(t, !strcmp(role, name), "role", name, NULL);
    }
    if (!json_object_get(show, "vrrp_state")) {
        json_decref(show);
        return; /* Standalone. */
    }
    metrics_family(t, "hnvgw_cluster_vrrp_state", METRICS_GAUGE,
                   "The node's VRRP state (1 for the current one).");
    for (int st = VRRP_INITIALIZE; st <= VRRP_MASTER; st++) {
        const char *name = vrrp_state_name((enum vrrp_state)st);
        metrics_sample(t, !strcmp(jstr(show, "vrrp_state"), name), "state", name, NULL);
    }
    metrics_family(t, "hnvgw_cluster_priority", METRICS_GAUGE, "The node's VRRP priority.");
    metrics_sample(t, jnum(show, "priority"), NULL);
    if (json_object_get(show, "waiting_for_sync")) {
        metrics_family(t, "hnvgw_cluster_waiting_for_sync", METRICS_GAUGE,
                       "1 while a rejoining node holds its preemption back until it has the "
                       "peer's state.");
        metrics_sample(t, json_is_true(json_object_get(show, "waiting_for_sync")), NULL);
    }
    metrics_family(t, "hnvgw_cluster_peer_state", METRICS_GAUGE,
                   "The peer as the election sees it (1 for the current state): never heard, "
                   "master, left (sent priority 0), silent (a backup, or down).");
    for (size_t i = 0; i < sizeof peer_states / sizeof peer_states[0]; i++) {
        metrics_sample(t,
                       !strncmp(jstr(peer, "state"), peer_states[i][0], strlen(peer_states[i][0])),
                       "state", peer_states[i][1], NULL);
    }
    if (json_object_get(peer, "last_advert_ms_ago")) {
        metrics_family(t, "hnvgw_cluster_peer_last_advert_seconds", METRICS_GAUGE,
                       "Seconds since the peer's last advert.");
        metrics_sample_f(t, jms(peer, "last_advert_ms_ago"), NULL);
    }
    metrics_family(
        t, "hnvgw_cluster_failovers_total", METRICS_COUNTER,
        "Changes of role between active and passive, either way (starting passive is not one).");
    metrics_sample(t, jnum(cnt, "failovers"), NULL);
    metrics_family(t, "hnvgw_cluster_takeovers_total", METRICS_COUNTER,
                   "Times this node became the active one (VRRP master).");
    metrics_sample(t, jnum(cnt, "to_master"), NULL);
    for (size_t i = 0; i < sizeof vrrp_counters / sizeof vrrp_counters[0]; i++) {
        metrics_family(t, vrrp_counters[i].name, METRICS_COUNTER, vrrp_counters[i].help);
        metrics_sample(t, jnum(cnt, vrrp_counters[i].key), NULL);
    }
    metrics_family(t, "hnvgw_cluster_vrrp_drops_total", METRICS_COUNTER,
                   "VRRP adverts and frames dropped, by reason (show cluster, drops).");
    json_object_foreach((json_t *)json_object_get(show, "drops"), key, v)
    {
        metrics_sample(t, jnum(json_object_get(show, "drops"), key), "reason", key, NULL);
    }
    if (json_is_object(last)) {
        metrics_family(t, "hnvgw_cluster_last_failover_seconds", METRICS_GAUGE,
                       "The last failover: from its cause to the decision (detect), from the "
                       "decision to the data plane's new role (switch), and both (total).");
        metrics_sample_f(t, jms(last, "detect_ms"), "phase", "detect", NULL);
        metrics_sample_f(t, jms(last, "switch_ms"), "phase", "switch", NULL);
        metrics_sample_f(t, jms(last, "total_ms"), "phase", "total", NULL);
        metrics_family(t, "hnvgw_cluster_last_failover_timestamp_seconds", METRICS_GAUGE,
                       "When the last failover happened, in seconds since the epoch.");
        metrics_sample_f(t, wall_seconds(jstr(last, "time")), NULL);
        metrics_family(t, "hnvgw_cluster_last_failover_info", METRICS_GAUGE,
                       "The last failover: the change of VRRP state and why.");
        metrics_sample(t, 1, "change", jstr(last, "change"), "reason", jstr(last, "reason"), NULL);
    }
    if (json_is_object(json_object_get(show, "sync"))) {
        render_sync(t, json_object_get(show, "sync"));
    }
    json_decref(show);
}
#undef METRICS_NAME_
#undef METRICS_HELP_
