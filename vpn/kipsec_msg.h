/* SPDX-License-Identifier: Apache-2.0 */
/* The wire protocol between the IKE daemon's kernel_ipsec_t backend (hnvgw-iked) and hnvgwd.
 *
 * The protocol promises:
 * - One SOCK_SEQPACKET unix socket (hnvgwd listens, mode 0600); one datagram is one message.
 * - The daemon sends a request and waits for its reply (same 'seq') before the next one: charon's
 *   threads are serialised by the backend. hnvgwd never sends unasked.
 * - The first request on a connection is KIPSEC_HELLO. hnvgwd then forgets every SA a previous
 *   daemon installed: a new charon knows none of them.
 * - Every reply carries 'err': 0, or a positive errno (EPROTO for a malformed or out-of-order
 *   message, EPERM for an if_id or reqid that names no tenant's tunnel).
 * - Both sides are built from this header in one tree; 'version' guards against a stale binary.
 * Addresses are IPv4 in network byte order; SPIs, ports, reqids and if_ids in host order. */
#ifndef HNVGW_KIPSEC_MSG_H
#define HNVGW_KIPSEC_MSG_H

#include <stdint.h>

#include "dataplane/esp.h"

#define KIPSEC_VERSION 1

enum kipsec_op {
    KIPSEC_HELLO = 1,  /* Daemon (re)started: no payload. */
    KIPSEC_GET_SPI,    /* Allocate an inbound SPI: reply spi. */
    KIPSEC_ADD_SA,     /* Install an SA: payload sa. */
    KIPSEC_UPDATE_SA,  /* Move an SA: payload update. */
    KIPSEC_QUERY_SA,   /* Counters of an SA: payload id, reply stats. */
    KIPSEC_DEL_SA,     /* Remove an SA: payload id. */
    KIPSEC_ADD_POLICY, /* Record a policy: payload policy. */
    KIPSEC_DEL_POLICY, /* Forget a policy: payload policy. */
};

/* Identifies an SA. */
struct kipsec_sa_id {
    uint32_t spi;   /* The SA's SPI. */
    uint32_t if_id; /* The connection's if_id: the tenant the daemon thinks owns it. */
};

/* KIPSEC_ADD_SA. The daemon leaves sa.tenant zero: hnvgwd derives it from if_id and checks that
 * the tenant owns sa.reqid. */
struct kipsec_add_sa {
    struct dp_esp_sa sa; /* Keys, addresses, selectors. */
    uint32_t if_id;      /* The connection's if_id (= tenant id, set by hnvgwd's config). */
    uint64_t soft_bytes; /* Volume limits charon asked for (0: none), for display. */
    uint64_t hard_bytes; /* As above. */
};

/* KIPSEC_UPDATE_SA. */
struct kipsec_update_sa {
    struct kipsec_sa_id id;     /* Which SA. */
    uint32_t local;             /* New tunnel addresses. */
    uint32_t remote;            /* As above. */
    uint16_t encap_local_port;  /* New NAT-T ports (0: plain ESP). */
    uint16_t encap_remote_port; /* As above. */
};

enum kipsec_dir { KIPSEC_DIR_IN, KIPSEC_DIR_OUT, KIPSEC_DIR_FWD };

/* KIPSEC_ADD_POLICY / KIPSEC_DEL_POLICY. */
struct kipsec_policy {
    uint8_t dir;      /* enum kipsec_dir. */
    uint8_t src_plen; /* Source selector prefix length. */
    uint8_t dst_plen; /* Destination selector prefix length. */
    uint8_t reserved; /* Zero. */
    uint32_t src;     /* Source selector prefix. */
    uint32_t dst;     /* Destination selector prefix. */
    uint32_t if_id;   /* The connection's if_id. */
    uint32_t reqid;   /* The tunnel. */
    uint32_t spi;     /* The SA the policy uses (0 if none yet). */
};

struct kipsec_request {
    uint16_t version; /* KIPSEC_VERSION. */
    uint16_t op;      /* enum kipsec_op. */
    uint32_t seq;     /* Echoed in the reply. */
    union {
        struct kipsec_sa_id id;
        struct kipsec_add_sa sa;
        struct kipsec_update_sa update;
        struct kipsec_policy policy;
    };
};

struct kipsec_reply {
    uint16_t version;             /* KIPSEC_VERSION. */
    uint16_t op;                  /* The request's op. */
    uint32_t seq;                 /* The request's seq. */
    int32_t err;                  /* 0 or a positive errno. */
    uint32_t spi;                 /* KIPSEC_GET_SPI: the SPI. */
    struct dp_esp_sa_stats stats; /* KIPSEC_QUERY_SA: the counters. */
};

#endif
