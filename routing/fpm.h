/* SPDX-License-Identifier: Apache-2.0 */
/* FPM stream decoding: what a tenant's zebra (dplane_fpm_nl) sends, turned into route operations.
 *
 * The wire format (FRR 8.4, measured): frames of a 4-byte header, version 1, type 1 (netlink), and
 * a 16-bit length in network order that counts the header, followed by one or more rtnetlink
 * messages. An update of a route arrives as RTM_DELROUTE + RTM_NEWROUTE in one frame, so a frame
 * is the unit the caller applies atomically.
 *
 * The module promises:
 * - fpm_decoder_feed() accepts the byte stream in pieces of any size and calls back once per
 *   complete frame with every route operation in it, in order.
 * - A frame with any malformed message yields no operation at all (counted, reason kept in the
 *   stats), so a bad frame never half-applies. Messages that are well formed but of no interest
 *   (neighbors, other tables, local and broadcast routes) are counted and skipped. Only the main
 *   table's routes are delivered, unless the decoder is set to deliver every table's
 *   (all_tables): a shared zebra streams one VRF table per tenant.
 * - A frame header that cannot be trusted (wrong version or type, impossible length) ends the
 *   stream: the caller closes the connection and zebra reconnects and replays its RIB.
 * Parsing uses libmnl; nothing here touches the data plane. */
#ifndef HNVGW_FPM_H
#define HNVGW_FPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/addr.h"

#define FPM_HEADER_LEN   4
#define FPM_FRAME_MAX    65535 /* The length field is 16 bits. */
#define FPM_MAX_NEXTHOPS 16    /* Next hops of one ECMP route. */

/* What a route does with its packets. */
enum fpm_route_kind {
    FPM_ROUTE_UNICAST,     /* Forward to its next hops. */
    FPM_ROUTE_BLACKHOLE,   /* Drop silently. */
    FPM_ROUTE_UNREACHABLE, /* Drop with ICMP unreachable (also "prohibit"). */
};

/* One next hop of a route. */
struct fpm_nexthop {
    struct hnvgw_ip gateway; /* Gateway address; family 0 when the route is on-link. */
    uint32_t ifindex;        /* Outgoing interface in the compartment's netns, 0 if absent. */
    uint16_t weight;         /* ECMP weight, 1..256 (rtnh_hops + 1). */
};

/* One route operation. */
struct fpm_route {
    bool add;                                /* RTM_NEWROUTE, else RTM_DELROUTE. */
    struct hnvgw_prefix prefix;              /* Destination, host bits zero. */
    uint8_t kind;                            /* enum fpm_route_kind. */
    uint8_t protocol;                        /* rtm_protocol (e.g. RTPROT_BGP = 186). */
    uint32_t table;                          /* Kernel table id (RTA_TABLE or rtm_table). */
    uint32_t metric;                         /* RTA_PRIORITY, 0 if absent. */
    unsigned n_nexthops;                     /* Entries in nh (0 for drop kinds). */
    struct fpm_nexthop nh[FPM_MAX_NEXTHOPS]; /* Next hops. */
};

/* Why a frame or a stream was refused, as counters (X(name, help)). */
#define FPM_ERROR_LIST(X)                                                                          \
    X(bad_header, "frame header with a wrong version, type or length (stream closed)")             \
    X(bad_netlink, "netlink message header truncated or inconsistent")                             \
    X(bad_route, "route message too short, or an attribute malformed")                             \
    X(bad_prefix, "destination missing, of the wrong size, or with an impossible length")          \
    X(bad_nexthop, "gateway of the wrong size, or a malformed multipath list")                     \
    X(too_many_nexthops, "more next hops than FPM_MAX_NEXTHOPS")                                   \
    X(no_memory, "no memory for a frame's routes")

#define FPM_ENUM(name, help) FPM_ERR_##name,
enum fpm_error { FPM_ERROR_LIST(FPM_ENUM) FPM_N_ERRORS };
#undef FPM_ENUM

/* Counters of one decoder. */
struct fpm_stats {
    uint64_t frames;              /* Frames decoded (good or not). */
    uint64_t routes_added;        /* RTM_NEWROUTE operations delivered. */
    uint64_t routes_deleted;      /* RTM_DELROUTE operations delivered. */
    uint64_t frames_refused;      /* Frames dropped whole for a malformed message. */
    uint64_t ignored;             /* Well-formed messages of no interest. */
    uint64_t error[FPM_N_ERRORS]; /* Refusals by reason. */
};

/* The decoder of one connection's stream. Its buffers grow to the largest frame seen, so that
 * thousands of idle tenants cost little. */
struct fpm_decoder {
    struct fpm_stats stats; /* Counters. */
    uint8_t *buf;           /* Owned: the incomplete frame. */
    size_t len;             /* Bytes in buf. */
    size_t cap;             /* Size of buf. */
    struct fpm_route *ops;  /* Owned: the operations of the frame being decoded. */
    size_t ops_cap;         /* Entries of ops. */
    bool all_tables;        /* Deliver routes of every table (a zebra of many VRFs: the caller
                             * maps tables to tenants), not only the main table's. Kept by
                             * fpm_decoder_init(). */
};

/* Called once per good frame with its operations in order ('n' may be 0). */
typedef void fpm_frame_fn(const struct fpm_route *ops, size_t n, void *aux);

/* Makes 'd' empty with zeroed counters (for a new connection). */
void fpm_decoder_init(struct fpm_decoder *d);

/* Frees what 'd' owns (it may be inited again). Accepts NULL. */
void fpm_decoder_destroy(struct fpm_decoder *d);

/* Decodes 'len' bytes of the stream. Returns 0, or EPROTO once the stream cannot be trusted any
 * more (counted as bad_header; the caller closes the connection and re-inits the decoder). */
int fpm_decoder_feed(struct fpm_decoder *d, const void *data, size_t len, fpm_frame_fn *fn,
                     void *aux);

/* Decodes one frame's netlink payload (after the FPM header) into d->ops. Returns the number of
 * operations, or -1 with the reason counted in d->stats when the frame must be refused whole.
 * Exposed for tests and the bench. */
int fpm_decode_frame(struct fpm_decoder *d, const uint8_t *payload, size_t len);

/* Names and help of the refusal counters, indexed by enum fpm_error. */
extern const char *const fpm_error_names[FPM_N_ERRORS];
extern const char *const fpm_error_help[FPM_N_ERRORS];

#endif
