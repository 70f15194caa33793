/* SPDX-License-Identifier: Apache-2.0 */
/* hnvgwd's end of the IKE daemon's kernel_ipsec_t (vpn/kipsec_msg.h): SAs charon negotiated go
 * into the data plane's ESP tables, under the tenant their connection belongs to.
 *
 * The module promises:
 * - The tenant of an SA or policy comes from its if_id, looked up among the tunnels the
 *   configuration declares (kipsec_server_set_tunnels()), and the reqid must be one of that
 *   tenant's tunnels. Anything else is refused (EPERM) and logged; no address ever picks a tenant.
 * - A daemon that (re)connects says HELLO; every SA and policy of the daemon before is dropped,
 *   so a restarted charon never leaves keys behind.
 * - A malformed message is refused (EPROTO) and counted; it changes nothing.
 * - The socket and the daemon's connection are I/O sources of the daemon's sd-event loop; serving
 *   them never blocks. Control thread only. */
#ifndef HNVGW_KIPSEC_SERVER_H
#define HNVGW_KIPSEC_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "vpn/kipsec_msg.h"

struct dp;
struct kipsec_server;

#define KIPSEC_POLICIES_MAX 4096 /* Policies remembered for the CLI. */

/* A tunnel as the configuration declares it: the only (if_id, reqid) pairs accepted. */
struct kipsec_tunnel {
    uint32_t if_id;  /* The connection's if_id (the tenant id). */
    uint32_t reqid;  /* The tunnel's reqid. */
    uint16_t tenant; /* The routing domain its SAs serve. */
};

/* What the server has seen, for "show vpn". */
struct kipsec_server_stats {
    uint64_t connects;    /* Daemon connections accepted (each one a HELLO and a flush). */
    uint64_t requests;    /* Requests answered. */
    uint64_t refused;     /* Requests answered with an error. */
    uint64_t malformed;   /* Of those, malformed or out of protocol. */
    uint64_t sas_added;   /* SAs installed. */
    uint64_t sas_deleted; /* SAs removed (by the daemon or by a flush). */
    int connected;        /* 1 while a daemon is connected. */
};

/* Listens on the unix socket 'path' (replacing a stale one; mode 0600) for 'dp', served from
 * 'event' (a reference is kept until destroyed). Returns 0 and '*out', or a positive errno with a
 * message in 'err' (256 bytes). */
int kipsec_server_open(const char *path, struct dp *dp, sd_event *event, struct kipsec_server **out,
                       char *err);

/* Replaces the accepted tunnels with a copy of 'tunnels' (n of them). */
int kipsec_server_set_tunnels(struct kipsec_server *srv, const struct kipsec_tunnel *tunnels,
                              size_t n);

/* Copies up to 'max' recorded policies into 'out'; returns how many there are. */
size_t kipsec_server_policies(const struct kipsec_server *srv, struct kipsec_policy *out,
                              size_t max);

/* Told after the daemon installed (added true) or deleted an SA: its reqid, SPI and direction.
 * Not told of the SAs a flush removes. */
typedef void kipsec_sa_hook(void *aux, uint32_t reqid, uint32_t spi, bool inbound, bool added);

/* Sets (or with NULL clears) the SA hook. */
void kipsec_server_set_sa_hook(struct kipsec_server *srv, kipsec_sa_hook *fn, void *aux);

/* The counters. */
void kipsec_server_stats(const struct kipsec_server *srv, struct kipsec_server_stats *out);

/* Removes every SA the daemon installed (as a HELLO does). */
void kipsec_server_flush(struct kipsec_server *srv);

/* Removes the event sources, closes the socket, removes every SA the daemon installed, frees
 * 'srv'. Accepts NULL. */
void kipsec_server_destroy(struct kipsec_server *srv);

#endif
