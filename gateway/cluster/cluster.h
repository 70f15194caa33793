/* SPDX-License-Identifier: Apache-2.0 */
/* The pair's election on the daemon's event loop: the VRRPv3 machine (vrrp.h) fed with the
 * adverts the data plane hands over (dp_ha_set_vrrp_handler()) and a timer re-armed from its
 * next deadline, its adverts sent on the provider port (dp_ha_send()), and its decisions carried
 * out in the data plane (dp_ha_set_role(), dp_ha_announce()).
 *
 * The module promises:
 * - Without a cluster section the node stays standalone: no source, no role change, and "show
 *   cluster" says so.
 * - With one, the node is passive from before the workers start (cluster_early_role()) until it
 *   wins the election: it never forwards for the pair's virtual addresses before that.
 * - On becoming master: the data plane becomes active, an advert goes out, then gratuitous ARPs
 *   for every virtual address at once and again CLUSTER_GARP_REPEAT_MS later (like keepalived's
 *   garp_master_repeat). On becoming backup: passive at once.
 * - cluster_stop() (SIGTERM) on a master sends priority 0 first, so that the peer takes over
 *   after its Skew_Time rather than its Master_Down_Interval.
 * - Every transition is logged (role, why, the peer) and recorded for "show cluster" with the
 *   wall-clock time and how long it took; every advert sent, received or dropped is counted.
 * - The sync channel (gateway/cluster/sync.c) plugs in with cluster_set_sync_show() for its part
 *   of "show cluster" and cluster_set_role_hook() to hear of role changes.
 * Control thread only. */
#ifndef HNVGW_CLUSTER_H
#define HNVGW_CLUSTER_H

#include <jansson.h>
#include <systemd/sd-event.h>

#include "dataplane/dp.h"
#include "dataplane/ha.h"
#include "gateway/config.h"
#include "gateway/ctl.h"

struct cluster;

/* Returns the "sync" part of "show cluster" (a new reference to any JSON value). */
typedef json_t *cluster_sync_show_fn(void *aux);

/* Called after each role change of the data plane, with the new role and the VRRP reason's name
 * (e.g. "master down"). */
typedef void cluster_role_fn(enum dp_ha_role role, const char *why, void *aux);

/* Called just before the data plane becomes active, so that state synced from the peer is in
 * force before the first packet (e.g. ESP sequence numbers moved past the peer's). */
typedef void cluster_takeover_fn(void *aux);

/* Makes a node of a pair passive before its workers start (call it after dp_create(), before
 * dp_start()); a standalone node is left alone. Returns 0 or a positive errno. */
int cluster_early_role(struct dp *dp, const struct hnvgw_config *cfg);

/* Starts the election of 'cfg' (its cluster section; without one the cluster is standalone and
 * adds nothing to 'event') on data plane 'dp', whose provider port it speaks on. Returns 0 and a
 * new cluster in '*out', or a positive errno with a message in 'err' (CONFIG_ERR_MAX bytes). */
int cluster_start(const struct hnvgw_config *cfg, struct dp *dp, sd_event *event,
                  struct cluster **out, char *err);

/* Leaves the election (a master sends priority 0 first and turns passive), removes the event
 * sources and the VRRP handler, and frees 'c'. Accepts NULL. */
void cluster_stop(struct cluster *c);

/* Takes priority, preempt and switchover_hold from a reloaded 'cfg' (the rest of the section
 * needs a restart: see cluster_restart_needed()). */
void cluster_reconfigure(struct cluster *c, const struct hnvgw_config *cfg);

/* Hands the active role over: priority 0, passive at once, no preemption for switchover_hold
 * seconds. Returns 0, or EINVAL with a message in 'err' (CTL_ERR_MAX bytes) when this node is
 * not the master. */
int cluster_switchover(struct cluster *c, char *err);

/* The "show cluster" object (a new reference). */
json_t *cluster_show(const struct cluster *c);

/* Registers "show cluster" and "cluster switchover" on 'ctl'. */
void cluster_register_commands(struct cluster *c, struct ctl_server *ctl);

#define CLUSTER_SYNC_WAIT_MAX_S 30 /* Longest wait for the peer's state before preempting. */

/* A node that (re)joins with preempt on takes the active role back only once it has the peer's
 * state (sessions, SAs): call this at start, then cluster_synced() when the state is here. The
 * hold ends after CLUSTER_SYNC_WAIT_MAX_S anyway, so that a broken sync cannot keep the
 * preferred node passive for good. Nothing changes without preempt. */
void cluster_wait_for_sync(struct cluster *c);

/* The peer's state is synced: preemption may go ahead (see cluster_wait_for_sync()). */
void cluster_synced(struct cluster *c);

/* Sets (or with NULL clears) the provider of the "sync" part of "show cluster". */
void cluster_set_sync_show(struct cluster *c, cluster_sync_show_fn *fn, void *aux);

/* Sets (or with NULL clears) the role-change hook. */
void cluster_set_role_hook(struct cluster *c, cluster_role_fn *fn, void *aux);

/* The data plane role the election last set (DP_HA_STANDALONE without a cluster section). */
/* Sets (or with NULL clears) the hook called before each takeover. */
void cluster_set_takeover_hook(struct cluster *c, cluster_takeover_fn *fn, void *aux);

enum dp_ha_role cluster_role(const struct cluster *c);

#endif
