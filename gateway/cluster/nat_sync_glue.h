/* SPDX-License-Identifier: Apache-2.0 */
/* The NAT44 sessions on the sync channel: drains the data plane's export (dataplane/nat_sync.h)
 * into SYNC_REC_NAT_SESSION records, imports the peer's, and serves bulk resyncs from the data
 * plane's walk.
 *
 * The module promises:
 * - Only a node that is not passive (dp_ha_role() says active or standalone) sends: a passive
 *   node's sessions are copies, and its bulk is empty, so that a stale copy never overwrites the
 *   active node's newer state. Every node imports what it receives (in a switchover, the new
 *   active still receives the old one's last records; they are the newest there are).
 * - Event loop: the data plane's wake-up eventfd is an I/O source. When it fires, the export is
 *   drained and a NAT_SYNC_DRAIN_MS timer set; while drains find records the timer goes on (no
 *   syscall in the workers meanwhile), and the first drain that finds none re-arms the eventfd
 *   and stops the timer: no tick while no session changes, a record waits at most one period
 *   under load, and the first change after a quiet spell is sent at once.
 * - A bulk walk takes at most NAT_SYNC_WALK_PAGES pages of NAT_SYNC_PAGE sessions per loop
 *   iteration; each page waits for its worker (about a millisecond at most), like
 *   dp_nat_sessions().
 * - Imported sessions that the peer no longer has but whose delete was lost are not swept after
 *   a bulk resync: they expire by their timeout.
 * Control thread only. */
#ifndef HNVGW_CLUSTER_NAT_SYNC_GLUE_H
#define HNVGW_CLUSTER_NAT_SYNC_GLUE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <systemd/sd-event.h>

#include "dataplane/nat_sync.h"
#include "gateway/cluster/sync.h"

#define NAT_SYNC_WIRE_LEN   32  /* Bytes of a SYNC_REC_NAT_SESSION value. */
#define NAT_SYNC_DRAIN_MS   10  /* Export drain period while sessions change. */
#define NAT_SYNC_PAGE       256 /* Sessions per bulk walk page. */
#define NAT_SYNC_WALK_PAGES 4   /* Pages per loop iteration. */

/* The wire form of a record: u8 op, u8 proto, u8 tcp_state, u8 tcp_flags, u16 tenant,
 * u16 in_port, 4 bytes in_ip, 4 bytes pub_ip, 4 bytes rem_ip, u16 pub_port, u16 rem_port,
 * u32 lifetime_s, u32 zero. Numbers big-endian, addresses in network order as they are. */
void nat_sync_encode(const struct dp_nat_sync_rec *r, uint8_t out[NAT_SYNC_WIRE_LEN]);

/* Decodes 'len' bytes at 'in' into '*r'. Returns 0, or EINVAL for a wrong length or a non-zero
 * reserved word (the data plane checks the rest). */
int nat_sync_decode(const void *in, size_t len, struct dp_nat_sync_rec *r);

struct dp;
struct nat_sync_glue;

/* Counters: X(name, help). */
#define NAT_SYNC_GLUE_COUNTER_LIST(X)                                                              \
    X(exported, "session changes drained from the data plane")                                     \
    X(sent, "session records queued on the channel")                                               \
    X(not_sent_passive, "session changes not sent: this node is passive")                          \
    X(not_sent_channel, "session changes the channel refused (peer down, queue full)")             \
    X(received, "session records received")                                                        \
    X(imported, "session records handed to the data plane")                                        \
    X(import_refused, "session records the data plane refused (see nat.sync_* drops)")             \
    X(decode_errors, "session records of a wrong length or format")                                \
    X(bulk_sent, "session records sent by bulk walks")                                             \
    X(bulk_walks, "bulk walks run to the end")

#define NAT_SYNC_GLUE_ENUM_(name, help) NAT_SYNC_GLUE_##name,
enum nat_sync_glue_counter {
    NAT_SYNC_GLUE_COUNTER_LIST(NAT_SYNC_GLUE_ENUM_) NAT_SYNC_GLUE_N_COUNTERS
};
#undef NAT_SYNC_GLUE_ENUM_

/* Enables the data plane's NAT sync on 'dp' (after dp_start()), registers a client on channel
 * 's' and adds its sources to 'event'; all three must outlive the glue. Returns 0 and the glue
 * in '*out', ENOTSUP when 'dp' has no NAT, or another errno. */
int nat_sync_glue_create(struct dp *dp, struct sync *s, sd_event *event,
                         struct nat_sync_glue **out);

/* Removes its sources and its client of the channel. Accepts NULL. */
void nat_sync_glue_destroy(struct nat_sync_glue *g);

/* Counter 'c'. */
uint64_t nat_sync_glue_counter(const struct nat_sync_glue *g, enum nat_sync_glue_counter c);

/* Sets in 'obj' a "nat" object of the counters. Returns ENOMEM if jansson fails. */
int nat_sync_glue_to_json(const struct nat_sync_glue *g, json_t *obj);

/* Drains the export and sends it now, as the timer would (tests). */
void nat_sync_glue_flush(struct nat_sync_glue *g);

#endif
