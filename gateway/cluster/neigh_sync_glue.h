/* SPDX-License-Identifier: Apache-2.0 */
/* The neighbors (ARP cache) on the sync channel: the active node tells the passive one what it
 * learned on the provider and external ports, so that after a takeover the first packets to the
 * host nodes' PAs and to the external next hop go out without waiting for an ARP round trip.
 *
 * The module promises:
 * - Only learned entries travel: never a static one, never one of the node's own addresses
 *   (dp_addr_is_own(): e.g. a PA that a peer's gratuitous ARP put in the cache), never one of
 *   another port. Ports travel as their kind (provider, external): a node has one of each, and
 *   their DPDK ids need not match between the nodes.
 * - Only a node that is not passive sends, as NAT does (nat_sync_glue.h): a passive node's cache
 *   holds the active one's copies. A bulk resync sends every entry; a passive node's bulk is
 *   empty.
 * - Changes go by a periodic diff every NEIGH_SYNC_MS. A timer, because the data plane learns on
 *   its own (dp_control_poll()) and tells nobody; a coarse one, because an entry that misses a
 *   takeover only costs the one ARP round trip it would have cost anyway. A tick is cheap: it
 *   does nothing while the peer is down (the peer asks for a bulk when it comes back) or while
 *   dp_neigh_generation() has not moved, and otherwise walks a table of a few thousand entries
 *   at most. An entry is sent when it is new, moved to another MAC, or confirmed again by ARP
 *   (NEIGH_SYNC_SLACK_MS later than what the peer was told), so that the copy ages with it.
 * - Each record carries the entry's age: the peer installs it with dp_neigh_learn() as a learned
 *   entry confirmed that long ago, so that it expires when the original does unless ARP
 *   confirms it there, and it never overrides a static entry or a fresher one. There is no
 *   delete record: an entry gone here expires there by the same clock, and a delete could take
 *   away what the peer learned itself.
 * - Every record the data plane refuses is counted by reason (see the list below).
 * Control thread only. */
#ifndef HNVGW_CLUSTER_NEIGH_SYNC_GLUE_H
#define HNVGW_CLUSTER_NEIGH_SYNC_GLUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <systemd/sd-event.h>

#include "gateway/cluster/sync.h"

#define NEIGH_SYNC_MS       1000  /* Diff period. */
#define NEIGH_SYNC_SLACK_MS 2000  /* A confirmation this much newer is sent (ages are seconds). */
#define NEIGH_SYNC_WIRE_LEN 16    /* Bytes of a SYNC_REC_NEIGH value. */
#define NEIGH_SYNC_MAX      65536 /* Entries followed at most. */

/* Which port a neighbor is on, on the wire. */
enum neigh_sync_port {
    NEIGH_SYNC_PROVIDER = 1, /* The provider port. */
    NEIGH_SYNC_EXTERNAL = 2, /* The external port. */
};

/* One record. */
struct neigh_sync_rec {
    uint8_t port;   /* enum neigh_sync_port. */
    uint8_t mac[6]; /* Its MAC. */
    uint32_t ip;    /* Its IPv4 address, network order. */
    uint32_t age_s; /* Seconds since ARP last confirmed it. */
};

/* The wire form: u8 port, u8 zero, 6 bytes MAC, 4 bytes address (network order), u32 age_s
 * big-endian. */
void neigh_sync_encode(const struct neigh_sync_rec *r, uint8_t out[NEIGH_SYNC_WIRE_LEN]);

/* Decodes 'len' bytes at 'in'. Returns 0, or EINVAL for a wrong length, an unknown port or a
 * reserved byte set (the data plane checks the address and the MAC). */
int neigh_sync_decode(const void *in, size_t len, struct neigh_sync_rec *r);

/* Counters: X(name, help). */
#define NEIGH_SYNC_GLUE_COUNTER_LIST(X)                                                            \
    X(sent, "neighbor records queued by the diff")                                                 \
    X(not_sent, "neighbor records the channel refused (peer down, queue full)")                    \
    X(bulk_sent, "neighbor records sent by bulk walks")                                            \
    X(bulk_walks, "bulk walks run to the end")                                                     \
    X(not_followed, "neighbors not followed: NEIGH_SYNC_MAX reached")                              \
    X(received, "neighbor records received")                                                       \
    X(imported, "neighbors installed or refreshed from the peer's records")                        \
    X(kept_newer, "records older than the entry here (kept: the newer word wins)")                 \
    X(decode_errors, "records of a wrong length or format")                                        \
    X(refused_port, "records for a port kind this node does not have")                             \
    X(refused_address, "records of an address that is not another host of the port's network, "    \
                       "or a zero or multicast MAC")                                               \
    X(refused_own, "records of one of this node's own addresses")                                  \
    X(refused_static, "records of an address with a static neighbor here (never overridden)")      \
    X(refused_stale, "records older than the ARP timeout here")                                    \
    X(refused_full, "records refused for want of room in the neighbor table")

#define NEIGH_SYNC_GLUE_ENUM_(name, help) NEIGH_SYNC_GLUE_##name,
enum neigh_sync_glue_counter {
    NEIGH_SYNC_GLUE_COUNTER_LIST(NEIGH_SYNC_GLUE_ENUM_) NEIGH_SYNC_GLUE_N_COUNTERS
};
#undef NEIGH_SYNC_GLUE_ENUM_

struct dp;
struct neigh_sync_glue;

/* Registers a client on channel 's' and starts the diff timer on 'event'; 'dp' (started, its
 * ports added), 's' and 'event' must outlive the glue. Returns 0 and the glue in '*out', or an
 * errno. */
int neigh_sync_glue_create(struct dp *dp, struct sync *s, sd_event *event,
                           struct neigh_sync_glue **out);

/* Stops the timer and leaves the channel. Accepts NULL. */
void neigh_sync_glue_destroy(struct neigh_sync_glue *g);

/* Runs the diff now, as the timer would (tests). */
void neigh_sync_glue_diff(struct neigh_sync_glue *g);

/* Counter 'c'. */
uint64_t neigh_sync_glue_counter(const struct neigh_sync_glue *g, enum neigh_sync_glue_counter c);

/* Sets in 'obj' a "neigh" object of the counters and the number of neighbors the peer was told
 * of. Returns ENOMEM if jansson fails. */
int neigh_sync_glue_to_json(const struct neigh_sync_glue *g, json_t *obj);

#endif
