/* SPDX-License-Identifier: Apache-2.0 */
/* IKE and CHILD_SAs on the sync channel: the messages of strongSwan's ha plugin between the two
 * nodes' IKE daemons (vpn/ike_ha.h), carried as SYNC_REC_IKE_HA records, sealed, acknowledged and
 * in order.
 *
 * The module promises:
 * - Each plugin message of the local daemon becomes one record for the peer; each record of the
 *   peer goes to the local daemon. A message the channel refuses (no peer, queue full) is lost
 *   as it would be on the plugin's own UDP; the bulk resync below makes up for it.
 * - Bulk resync: when the peer asks for everything, a node that is not passive makes its daemon
 *   push every SA again (the plugin's resync); its messages follow on the channel. A passive node
 *   whose daemon (re)starts, once its tunnels are loaded, asks the peer for a bulk resync: before
 *   that, the plugin could not have placed the peer's SAs (it finds their connection by name).
 * - "Synced": a bulk resync that began once the local daemon was ready has ended, and the peer's
 *   daemon has then been quiet for IKE_SYNC_SETTLE_MS (its resync follows the bulk on the
 *   channel, as fast as it sends it); the synced callback hears of it once.
 * Control thread only. */
#ifndef HNVGW_CLUSTER_IKE_SYNC_GLUE_H
#define HNVGW_CLUSTER_IKE_SYNC_GLUE_H

#include <stdbool.h>

#include <jansson.h>
#include <systemd/sd-event.h>

#define IKE_SYNC_SETTLE_MS 300 /* Quiet after a bulk before the IKE state counts as synced. */

struct cluster;
struct ike_ha;
struct ike_sync_glue;
struct sync;

/* Told once when the local daemon has the peer's SAs (see "Synced" above). */
typedef void ike_sync_glue_synced_fn(void *aux);

/* Joins 'ha' (the VPN service's relay) to channel 's'; the election 'c' says whether this node is
 * passive; 'synced' (may be NULL) with 'aux' hears when the peer's SAs are here. 'ha', 's', 'c'
 * and 'event' must outlive the glue. Returns 0 and '*out', or an errno. */
int ike_sync_glue_create(struct ike_ha *ha, struct sync *s, struct cluster *c, sd_event *event,
                         ike_sync_glue_synced_fn *synced, void *aux, struct ike_sync_glue **out);

/* True once the peer's SAs are here (see "Synced" above). */
bool ike_sync_glue_synced(const struct ike_sync_glue *g);

/* Leaves the channel and the relay. Accepts NULL. */
void ike_sync_glue_destroy(struct ike_sync_glue *g);

/* Sets in 'obj' an "ike" object of the relay's counters and the resyncs asked and given. Returns
 * ENOMEM if jansson fails. */
int ike_sync_glue_to_json(const struct ike_sync_glue *g, json_t *obj);

#endif
