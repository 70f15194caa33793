/* SPDX-License-Identifier: Apache-2.0 */
/* NAT44 session sync: what an active/passive pair needs of the NAT to carry its sessions from
 * one node to the other. The channel itself is the control plane's (gateway/cluster/).
 *
 * The module promises:
 * - Export. Once dp_nat_sync_enable() has run, each worker reports the sessions it creates,
 *   changes in a way the peer must know (a TCP state change, which changes the idle timeout) and
 *   removes, and re-reports a session whenever its timer-wheel slot comes round and finds it
 *   alive (it has been refreshed by traffic since), with its remaining lifetime. A worker writes
 *   a 32-byte record into its own single-producer ring and makes no syscall but the wake-up
 *   below; a full ring drops the record, counted as nat.sync_export_lost (a bulk resync repairs).
 *   An import is not exported back; what happens to an imported session later (traffic,
 *   expiry) is, as for any session, so that a node that took over keeps its new peer informed.
 * - Wake-up. dp_nat_sync_fd() is an eventfd a worker writes only when the control thread armed
 *   it with dp_nat_sync_arm() after finding every ring empty (the protocol of dp_control_fd()).
 *   So an idle NAT costs nothing, and a busy one no syscall while the control thread drains on a
 *   short timer of its own choosing.
 * - Bulk. dp_nat_sync_walk() copies the live sessions page by page from a cursor that survives
 *   any change of the tables (it walks each worker's session pool by index, served by the worker
 *   itself between bursts): sessions created after the cursor passed them are exported anyway.
 * - Import. dp_nat_sync_import() checks a record against the configuration on the control thread
 *   (tenant, protocol, TCP state, the public address is the tenant's, the port is in its range or
 *   is a static mapping of that very inside endpoint, the inside address is in its inside
 *   prefixes) and refuses a bad one, counted, before anything changes. A good one goes to the
 *   worker that owns the inside address, which creates or updates the session with exactly the
 *   same public address and port, claiming the port block the port lives in (so that no other
 *   flow is ever given that port) or refusing the record, counted, if another worker holds that
 *   block (the pair must run the same number of workers). A session or mapping of this node
 *   that conflicts with the record (same inside 5-tuple or endpoint with another public one, or
 *   the same public endpoint) is removed first: the peer's record is the truth. Quotas are not
 *   applied: the peer applied them. Idle timeouts are the local tenant's; the imported session
 *   expires DP_NAT_SYNC_GRACE_S after the peer's copy would, so that the peer's refresh or delete
 *   always arrives first. An imported mapping is not written to the mapping log (the peer's log
 *   has it); its end is, as any mapping's.
 * - Port blocks and static mappings are not synced as records of their own: a block is implied
 *   by the sessions whose ports it holds (claimed on import, released with the last of them),
 *   and static mappings are configuration, the same on both nodes.
 * Control thread only. Addresses are IPv4 in network order, ports in host order. */
#ifndef HNVGW_NAT_SYNC_H
#define HNVGW_NAT_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dp;

#define DP_NAT_SYNC_GRACE_S 10    /* An imported session outlives the peer's copy by this much. */
#define DP_NAT_SYNC_RING    16384 /* Export and import ring entries per worker. */

/* What a record says. */
enum dp_nat_sync_op {
    DP_NAT_SYNC_UPSERT = 1, /* The session exists, as described. */
    DP_NAT_SYNC_DELETE = 2, /* It is gone. */
};

/* TCP flags seen, as tracked (dp_nat_sync_rec.tcp_flags). */
#define DP_NAT_SYNC_SYN_OUT 0x01 /* SYN inside to outside. */
#define DP_NAT_SYNC_SYN_IN  0x02 /* SYN outside to inside. */
#define DP_NAT_SYNC_FIN_OUT 0x04 /* FIN inside to outside. */
#define DP_NAT_SYNC_FIN_IN  0x08 /* FIN outside to inside. */

/* One session as synced. 32 bytes. */
struct dp_nat_sync_rec {
    uint8_t op;          /* enum dp_nat_sync_op. */
    uint8_t proto;       /* IPPROTO_TCP, IPPROTO_UDP or IPPROTO_ICMP. */
    uint8_t tcp_state;   /* enum dp_nat_tcp_state (DP_NAT_TCP_NONE but for TCP). */
    uint8_t tcp_flags;   /* DP_NAT_SYNC_SYN_OUT... */
    uint16_t tenant;     /* Routing domain. */
    uint16_t in_port;    /* Inside port (ICMP: identifier). */
    uint32_t in_ip;      /* Inside address. */
    uint32_t pub_ip;     /* Public address. */
    uint32_t rem_ip;     /* Remote address. */
    uint16_t pub_port;   /* Public port (ICMP: identifier). */
    uint16_t rem_port;   /* Remote port (0 for ICMP). */
    uint32_t lifetime_s; /* UPSERT: seconds until it expires if idle. */
    uint32_t pad;        /* Zero. */
};

/* Creates the export and import rings and starts the export; once the NAT's tables exist (after
 * dp_start()). Returns 0 (also when enabled already), ENOTSUP without NAT, EAGAIN before the
 * tables exist, ENOMEM. */
int dp_nat_sync_enable(struct dp *dp);

/* The wake-up eventfd (see the top), -1 before dp_nat_sync_enable(). Owned by 'dp'. */
int dp_nat_sync_fd(const struct dp *dp);

/* Moves up to 'max' exported records into 'out', taking from every worker in turn (each
 * worker's records in the order it wrote them), and empties the eventfd. Returns how many. */
size_t dp_nat_sync_drain(struct dp *dp, struct dp_nat_sync_rec *out, size_t max);

/* Arms the wake-up and returns true if every export ring is empty; returns false (not armed)
 * when records wait: drain again. */
bool dp_nat_sync_arm(struct dp *dp);

/* A bulk walk's position. Zero it to start. */
struct dp_nat_sync_cursor {
    uint32_t worker; /* Worker being walked. */
    uint32_t index;  /* Next session slot of that worker. */
};

/* Copies up to 'max' live sessions from '*c' on as UPSERT records into 'out' and moves the
 * cursor past them (looking at a bounded number of slots per call: it may return 0 before the
 * end). Returns how many were copied and sets '*done' when the walk is over. Waits for the
 * worker that owns them, like dp_nat_sessions(). */
size_t dp_nat_sync_walk(struct dp *dp, struct dp_nat_sync_cursor *c, struct dp_nat_sync_rec *out,
                        size_t max, bool *done);

/* Imports one record (see the top). Returns 0 when it was handed to its worker; EINVAL for a bad
 * record and ENOENT for a tenant without NAT (both counted: nat.sync_bad_record,
 * nat.sync_bad_tenant); ENOBUFS when the worker's import ring is full (nat.sync_import_full);
 * ENOTSUP before dp_nat_sync_enable(). */
int dp_nat_sync_import(struct dp *dp, const struct dp_nat_sync_rec *rec);

#endif
