/* SPDX-License-Identifier: Apache-2.0 */
/* The state-sync channel of an active/passive pair: records (NAT sessions, ESP sequence numbers,
 * neighbors...) from one node to the other over UDP on a dedicated link, authenticated and
 * encrypted with the pair's shared secret.
 *
 * The module promises:
 * - One UDP socket bound to the local sync address and port, talking to the peer's. It runs from
 *   the daemon's sd-event loop: the socket is an I/O source; a defer source sends what this loop
 *   iteration queued (records are batched per iteration, not on a timer); a resend timer is armed
 *   only while batches wait for their ACK; the only periodic source is the HELLO timer
 *   (conf.hello_ms, 1 s by default), which is the peer-liveness keepalive of the sync link (a
 *   link can die alone: the election runs on its own adverts).
 * - Every datagram is sealed with ChaCha20-Poly1305 (OpenSSL EVP) under a key that is
 *   HKDF-SHA256 of the secret and of the SENDER'S BOOT ID, a random 64-bit number drawn when
 *   the channel is created. Nonces are a per-key 64-bit counter. See sync.c for why nonces never
 *   repeat and why a replayed, forged, truncated, reflected or wrong-key datagram can do nothing
 *   but be counted as a drop.
 * - Records are TLVs (16-bit type, 16-bit length, value). They travel in batches with a
 *   sequence number, at most SYNC_WINDOW batches unacknowledged; the receiver acknowledges
 *   cumulatively with a selective bitmap, buffers what arrives out of order and delivers every
 *   record exactly once and in the order sync_send() queued them. A batch not acknowledged is
 *   resent after conf.rto_ms (20 ms), doubling up to conf.rto_max_ms, and counted lost after
 *   conf.max_tries transmissions. A receiver that learns it missed records (a lost batch, records
 *   dropped while the link was down, the peer restarted, or it joined) asks for a bulk resync.
 * - Bulk resync: on a BULK_REQUEST, every client's bulk walk runs (bulk_tx_start, then
 *   bulk_tx_fill whenever the queue has room), bracketed by BULK_BEGIN and BULK_DONE in the same
 *   ordered stream, so that incremental records queued during the walk stay in order with it.
 * - The module knows nothing of what records mean: producers queue records with sync_send();
 *   consumers register a client for a range of record types and get a callback per record.
 * Control thread only; every function returns 0 or a positive errno. */
#ifndef HNVGW_CLUSTER_SYNC_H
#define HNVGW_CLUSTER_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <sys/socket.h>
#include <systemd/sd-event.h>

#define SYNC_SECRET_MIN 16   /* Bytes of shared secret, at least. */
#define SYNC_SECRET_MAX 256  /* At most. */
#define SYNC_WINDOW     64   /* Batches sent and not yet acknowledged, at most. */
#define SYNC_QUEUE      4096 /* Batches queued or unacknowledged, at most (~5.5 MiB). */
#define SYNC_RECORD_MAX 1024 /* Bytes of one record's value, at most. */
#define SYNC_CLIENTS    8    /* Clients of one channel. */

/* Record types on the wire, for the whole project: numbers never change meaning. Types from
 * SYNC_REC_INTERNAL up are the channel's own. */
enum sync_record_type {
    /* 0 is no record's: a client of type 0..0 only hears of bulks (bulk_rx). */
    SYNC_REC_NAT_SESSION = 1, /* A NAT44 session (gateway/cluster/nat_sync_glue.h). */
    SYNC_REC_ESP_SEQ = 2,     /* An ESP SA's outbound sequence number. */
    SYNC_REC_NEIGH = 3,       /* A neighbor (ARP) entry. */
    SYNC_REC_IKE_HA = 4,      /* A message of strongSwan's ha plugin (ike_sync_glue.h). */
    SYNC_REC_INTERNAL = 0xff00,
};

/* How to reach the peer. Plain data: the caller fills it from its config. */
struct sync_conf {
    struct sockaddr_storage local;   /* Address and port to bind (AF_INET or AF_INET6). */
    struct sockaddr_storage peer;    /* The peer's; datagrams from elsewhere are dropped. */
    uint8_t secret[SYNC_SECRET_MAX]; /* The shared secret (any bytes). */
    size_t secret_len;               /* SYNC_SECRET_MIN..SYNC_SECRET_MAX. */
    unsigned rto_ms;                 /* First resend timeout; 0: 20 ms. */
    unsigned rto_max_ms;             /* Resend timeout ceiling; 0: 1000 ms. */
    unsigned max_tries;              /* Transmissions of a batch before it counts as lost; 0: 8. */
    unsigned hello_ms;               /* HELLO (keepalive) period; 0: 1000 ms. */
    unsigned dead_ms;                /* Peer silent this long: down; 0: 3 HELLO periods + 500 ms. */
};

struct sync;

/* Incoming bulk resync events, for a consumer that wants to know what a bulk covered. */
enum sync_bulk_event {
    SYNC_BULK_BEGIN,   /* The peer starts sending everything it has. */
    SYNC_BULK_DONE,    /* It has sent everything (records since are incremental again). */
    SYNC_BULK_ABORTED, /* The peer restarted or went down mid-bulk: a new one will follow. */
};

/* A producer and/or consumer of records. Any callback may be NULL. */
struct sync_client {
    uint16_t type_min; /* Record types delivered to recv(): type_min..type_max. */
    uint16_t type_max;
    /* A record of the peer, 'len' bytes at 'val' (valid during the call). */
    void (*recv)(void *aux, uint16_t type, const void *val, size_t len);
    /* An incoming bulk resync begins, ends or is aborted. */
    void (*bulk_rx)(void *aux, enum sync_bulk_event ev);
    /* The peer wants everything: restart the walk from the beginning. */
    void (*bulk_tx_start)(void *aux);
    /* Send the next part of the walk with sync_send() while sync_has_room(); return true when
     * the walk is finished. Called again (from the loop) while it returns false. */
    bool (*bulk_tx_fill)(void *aux, struct sync *s);
    void *aux; /* Passed to the callbacks. */
};

/* Creates the channel described by 'conf' on 'event' (which must outlive it): binds the socket,
 * draws a boot id and says HELLO. Returns 0 and the channel in '*out', or EINVAL (bad secret
 * length, address families that differ or are not IP), ENOMEM, or the socket's errno, with a
 * message in 'err' (256 bytes). */
int sync_create(const struct sync_conf *conf, sd_event *event, struct sync **out, char *err);

/* Closes the socket and removes the sources. Accepts NULL. */
void sync_destroy(struct sync *s);

/* Adds a client (copied). Returns ENOSPC beyond SYNC_CLIENTS, EINVAL for a type range that
 * reaches SYNC_REC_INTERNAL or overlaps another client's. */
int sync_client_add(struct sync *s, const struct sync_client *c);

/* Removes the clients whose aux is 'aux' (a bulk walk of theirs in progress counts as done). */
void sync_client_del(struct sync *s, void *aux);

/* Queues record 'type' of 'len' bytes for the peer. Returns 0; EINVAL for an internal type or
 * a value over SYNC_RECORD_MAX; ENOTCONN when no peer is up, ENOBUFS when SYNC_QUEUE batches
 * wait already (both counted as records_refused; the peer will ask for a bulk resync). */
int sync_send(struct sync *s, uint16_t type, const void *val, size_t len);

/* True when the queue has room for a bulk walk to go on (half the queue is kept for incremental
 * records) and a peer is up. */
bool sync_has_room(const struct sync *s);

/* True when a peer is up (heard within dead_ms, with this boot id known to it). */
bool sync_peer_up(const struct sync *s);

/* Asks the peer for a bulk resync (the channel does so by itself when it needs one). Returns
 * ENOTCONN when no peer is up. */
int sync_request_bulk(struct sync *s);

/* Counters: X(name, help). */
#define SYNC_COUNTER_LIST(X)                                                                       \
    X(records_queued, "records accepted by sync_send()")                                           \
    X(records_refused, "records refused by sync_send(): no peer up, or the queue full")            \
    X(records_sent, "records sent (first transmission)")                                           \
    X(records_resent, "records sent again (resent batches)")                                       \
    X(records_acked, "records the peer acknowledged")                                              \
    X(records_lost, "queued records never acknowledged: resends exhausted, peer down/restarted")   \
    X(records_received, "records received and delivered")                                          \
    X(batches_sent, "batches sent (first transmission)")                                           \
    X(batches_resent, "batches sent again after their resend timeout")                             \
    X(batches_acked, "batches the peer acknowledged")                                              \
    X(batches_lost, "batches given up")                                                            \
    X(batches_received, "batches received and delivered")                                          \
    X(batches_duplicate, "batches received again (already delivered or buffered)")                 \
    X(batches_skipped, "batches the peer gave up on, never received")                              \
    X(hellos_sent, "HELLO datagrams sent")                                                         \
    X(hellos_received, "HELLO datagrams received")                                                 \
    X(acks_sent, "ACK datagrams sent")                                                             \
    X(acks_received, "ACK datagrams received")                                                     \
    X(send_errors, "datagrams the socket refused (resent later if data)")                          \
    X(peer_restarts, "new peer boot ids adopted")                                                  \
    X(peer_downs, "times the peer went silent for dead_ms")                                        \
    X(bulk_requests_sent, "bulk resyncs asked of the peer")                                        \
    X(bulk_requests_received, "bulk resyncs the peer asked for")                                   \
    X(bulks_sent, "bulk resyncs sent to the end")                                                  \
    X(bulks_received, "bulk resyncs received to the end")                                          \
    X(bulk_records_sent, "records queued by bulk walks")                                           \
    X(bulk_records_received, "records received inside a bulk resync")

/* Drop reasons of received datagrams: X(name, help). */
#define SYNC_DROP_LIST(X)                                                                          \
    X(wrong_source, "datagram from an address or port other than the peer's")                      \
    X(short, "datagram shorter than its header and tag, or longer than the maximum")               \
    X(bad_header, "unknown version or message type")                                               \
    X(reflected, "datagram carrying our own boot id as its sender")                                \
    X(auth, "authentication failed: forged, corrupted, truncated or another secret")               \
    X(replay, "sequence counter already seen or older than the replay window")                     \
    X(stale_boot, "authentic datagram of a peer boot that was replaced")                           \
    X(not_for_me, "authentic datagram addressed to another boot of this node")                     \
    X(bad_message, "authentic message of the wrong length or with malformed records")              \
    X(out_of_window, "batch too far ahead of the next expected one")                               \
    X(no_client, "record of a type no client receives")

#define SYNC_ENUM_(name, help) SYNC_##name,
enum sync_counter { SYNC_COUNTER_LIST(SYNC_ENUM_) SYNC_N_COUNTERS };
enum sync_drop { SYNC_DROP_LIST(SYNC_ENUM_) SYNC_N_DROPS };
#undef SYNC_ENUM_

/* Peer states. */
enum sync_peer_state {
    SYNC_PEER_UNKNOWN, /* Never heard (with our boot id known to it). */
    SYNC_PEER_UP,      /* Heard within dead_ms. */
    SYNC_PEER_DOWN,    /* Silent for dead_ms since it was up. */
};

/* Bulk resync states, per direction. */
enum sync_bulk_state {
    SYNC_BULK_IDLE,      /* None yet. */
    SYNC_BULK_REQUESTED, /* Incoming: asked, BULK_BEGIN not seen yet. */
    SYNC_BULK_RECEIVING, /* Incoming: between BULK_BEGIN and BULK_DONE. */
    SYNC_BULK_SENDING,   /* Outgoing: the walks run. */
    SYNC_BULK_COMPLETE,  /* The last one went to the end. */
};

/* A snapshot of the channel. */
struct sync_stats {
    uint64_t counter[SYNC_N_COUNTERS]; /* Indexed by enum sync_counter. */
    uint64_t drop[SYNC_N_DROPS];       /* Indexed by enum sync_drop. */
    uint64_t boot_id;                  /* Ours. */
    uint64_t peer_boot_id;             /* The peer's, 0 when unknown. */
    uint8_t peer_state;                /* enum sync_peer_state. */
    uint8_t bulk_in;                   /* enum sync_bulk_state of the bulk we receive. */
    uint8_t bulk_out;                  /* enum sync_bulk_state of the bulk we send. */
    uint64_t bulk_in_records;          /* Records of the current or last bulk received. */
    uint64_t bulk_out_records;         /* Records of the current or last bulk sent. */
    uint32_t in_flight;                /* Batches sent and not acknowledged. */
    uint32_t queued;                   /* Batches waiting for the window (not sent yet). */
    uint32_t srtt_us;                  /* Smoothed round-trip time, 0 before a sample. */
};

/* Fills '*st'. */
void sync_get_stats(const struct sync *s, struct sync_stats *st);

/* Names for the CLI: "unknown", "up", "down"; "idle", "requested", "receiving", "sending",
 * "complete". */
const char *sync_peer_state_name(enum sync_peer_state st);
const char *sync_bulk_state_name(enum sync_bulk_state st);

/* Sets in 'obj' (a JSON object) the channel's state and counters: "peer" {state, boot_id,
 * address}, "boot_id", "bulk" {in, in_records, out, out_records}, "in_flight", "queued",
 * "srtt_us", "counters" {name: n}, "drops" {name: n}. Returns ENOMEM if jansson fails. */
int sync_to_json(const struct sync *s, json_t *obj);

/* ---- Tests only ---- */

/* Called with every datagram about to be sent; returning false drops it (loss injection). */
typedef bool sync_tx_hook(void *aux, const uint8_t *dgram, size_t len);
void sync_test_set_tx_hook(struct sync *s, sync_tx_hook *fn, void *aux);

/* Handles 'dgram' as if it had arrived from the peer's address. */
void sync_test_input(struct sync *s, const uint8_t *dgram, size_t len);

#endif
