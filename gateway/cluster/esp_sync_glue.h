/* SPDX-License-Identifier: Apache-2.0 */
/* ESP sequence numbers on the sync channel: the active node reports how far each SA went, the
 * passive one remembers, and on takeover moves its own SAs past what its peer may have used.
 *
 * The module promises:
 * - Every ESP_SYNC_MS a node that is not passive reads every SA's sequence number
 *   (dp_esp_sa_seq()) and sends a SYNC_REC_ESP_SEQ record for each that moved since its last
 *   one, with the rate it moved at; an SA that is gone is reported gone. A bulk resync sends
 *   them all. (This timer is periodic: sequence numbers move with every packet, and the data
 *   plane tells nobody.)
 * - Every node keeps the peer's latest numbers. esp_sync_glue_takeover(), called when this node
 *   becomes active, moves each of its outbound SAs the peer reported to the peer's number plus
 *   a margin: what the peer may have sent since its last record (the rate times the record's
 *   age and two periods) and at least ESP_SEQ_MARGIN_MIN, so that no number is ever used twice
 *   (RFC 4303 3.3.3). Each inbound SA's replay window is moved to the peer's highest received,
 *   so that what the peer took cannot be replayed here.
 * - SAs are matched by SPI: the IKE side installs the same SAs on both nodes.
 * Control thread only. */
#ifndef HNVGW_CLUSTER_ESP_SYNC_GLUE_H
#define HNVGW_CLUSTER_ESP_SYNC_GLUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <systemd/sd-event.h>

#include "gateway/cluster/sync.h"

#define ESP_SYNC_MS        200   /* Report period. */
#define ESP_SEQ_MARGIN_MIN 65536 /* Least jump past the peer's number on takeover. */
#define ESP_SYNC_WIRE_LEN  24    /* Bytes of a SYNC_REC_ESP_SEQ value. */
#define ESP_SYNC_SAS_MAX   16384 /* SAs remembered per direction. */

/* What a record says. */
enum esp_sync_op {
    ESP_SYNC_SEQ = 1,  /* The SA reached 'seq'. */
    ESP_SYNC_GONE = 2, /* The SA is gone. */
};

/* One record. */
struct esp_sync_rec {
    uint8_t op;        /* enum esp_sync_op. */
    bool inbound;      /* The SA's direction. */
    uint32_t spi;      /* The SA. */
    uint64_t seq;      /* Outbound: the highest number used; inbound: the highest received. */
    uint32_t rate_pps; /* How fast it moved since the last record, packets per second. */
};

/* The wire form: u8 op, u8 inbound, u16 zero, u32 spi, u64 seq, u32 rate_pps, u32 zero; big-
 * endian. */
void esp_sync_encode(const struct esp_sync_rec *r, uint8_t out[ESP_SYNC_WIRE_LEN]);

/* Decodes 'len' bytes at 'in'. Returns 0 or EINVAL (length, op, reserved bits). */
int esp_sync_decode(const void *in, size_t len, struct esp_sync_rec *r);

/* Counters: X(name, help). */
#define ESP_SYNC_GLUE_COUNTER_LIST(X)                                                              \
    X(sent, "sequence records sent")                                                               \
    X(not_sent, "sequence records the channel refused (peer down, queue full)")                    \
    X(received, "sequence records received")                                                       \
    X(decode_errors, "sequence records of a wrong length or format")                               \
    X(table_full, "SAs not remembered: ESP_SYNC_SAS_MAX reached")                                  \
    X(takeovers, "takeovers run")                                                                  \
    X(jumped, "SAs moved past the peer's numbers on takeover")                                     \
    X(jump_failed, "SAs that could not be moved on takeover (see the log)")

#define ESP_SYNC_GLUE_ENUM_(name, help) ESP_SYNC_GLUE_##name,
enum esp_sync_glue_counter {
    ESP_SYNC_GLUE_COUNTER_LIST(ESP_SYNC_GLUE_ENUM_) ESP_SYNC_GLUE_N_COUNTERS
};
#undef ESP_SYNC_GLUE_ENUM_

struct dp;
struct esp_sync_glue;

/* Registers a client on channel 's' and starts the report timer on 'event'; 'dp', 's' and
 * 'event' must outlive the glue. Returns 0 and the glue in '*out', or an errno. */
int esp_sync_glue_create(struct dp *dp, struct sync *s, sd_event *event,
                         struct esp_sync_glue **out);

/* Stops the timer and leaves the channel. Accepts NULL. */
void esp_sync_glue_destroy(struct esp_sync_glue *g);

/* This node becomes active: moves its SAs past the peer's numbers (see the top). Returns how
 * many SAs were moved. */
unsigned esp_sync_glue_takeover(struct esp_sync_glue *g);

/* Reports now, as the timer would (tests). */
void esp_sync_glue_report(struct esp_sync_glue *g);

/* Counter 'c'. */
uint64_t esp_sync_glue_counter(const struct esp_sync_glue *g, enum esp_sync_glue_counter c);

/* Sets in 'obj' an "esp" object of the counters and the number of peer SAs known. Returns
 * ENOMEM if jansson fails. */
int esp_sync_glue_to_json(const struct esp_sync_glue *g, json_t *obj);

#endif
