/* SPDX-License-Identifier: Apache-2.0 */
/* The state sync of a pair, put together: the channel (sync.h) to the peer named by the cluster
 * section, and on it the NAT sessions (nat_sync_glue.h), the ESP sequence numbers
 * (esp_sync_glue.h), the neighbors (neigh_sync_glue.h) and, on a node with VPN, the IKE and
 * CHILD_SAs (ike_sync_glue.h).
 *
 * The module promises:
 * - Without a cluster section it does nothing (pair_sync_start() gives NULL).
 * - "show cluster" gets the channel's state and counters, and the NAT, ESP, neighbor and IKE
 *   parts, under "sync".
 * - A node that joins with preempt on does not preempt before it has the peer's state: a bulk
 *   resync received to its end and, with VPN, the peer's SAs in its IKE daemon
 *   (cluster_wait_for_sync()).
 * - Just before this node's data plane becomes active, the ESP sequence numbers jump past the
 *   peer's (never reused after a takeover).
 * - Every glue reads the data plane's role itself: a passive node sends nothing and imports
 *   what the active one sends. */
#ifndef HNVGW_PAIR_SYNC_H
#define HNVGW_PAIR_SYNC_H

#include <systemd/sd-event.h>

struct cluster;
struct dp;
struct hnvgw_config;
struct ike_ha;
struct pair_sync;

/* Starts the sync of 'cfg''s cluster section on 'event' (after dp_start() and vpn_start()), and
 * hooks it into 'cluster'; 'ike' is the VPN service's relay (NULL on a node without VPN).
 * Returns 0 and '*out' (NULL for a standalone node), or a positive errno with a message in 'err'
 * (DP_ERR_MAX bytes). 'dp', 'event', 'cluster' and 'ike' must outlive it. */
int pair_sync_start(const struct hnvgw_config *cfg, struct dp *dp, sd_event *event,
                    struct cluster *cluster, struct ike_ha *ike, struct pair_sync **out, char *err);

/* Stops it and unhooks it from the cluster. Accepts NULL. */
void pair_sync_stop(struct pair_sync *ps);

#endif
