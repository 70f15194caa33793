/* SPDX-License-Identifier: Apache-2.0 */
/* FPM listeners: one per tenant compartment, where that tenant's zebra connects; or one shared
 * by every tenant, where the one zebra of many VRFs connects.
 *
 * zebra connects to 127.0.0.1:2620 inside its own network namespace, so each listener is opened
 * inside the tenant's netns (setns() there and back): the connection itself says which tenant it
 * serves. One connection per listener at a time; a new one replaces the old.
 *
 * A shared listener (fpm_server_listen_shared()) serves a zebra with one VRF per tenant: a route
 * is the tenant's whose table it is in (rtm_table, or RTA_TABLE above 255), by the table map it
 * was given. A route of a table no tenant has (the default VRF's, a VRF made by hand, a delete
 * that names no table) is refused and counted (unknown_table), never guessed.
 *
 * The module promises:
 * - Frames go to learned_apply() for the listener's tenant as they arrive (fpm.h, learned.h).
 * - Reconnects: a connection starts a new generation of the tenant's routes; when it has been
 *   quiet for 'settle' after its last frame, the routes the replay did not renew are swept. A
 *   zebra that goes away sends no deletes, so its routes stay until it comes back and replays,
 *   or until 'hold' passes without a connection (then they are all swept).
 * - A stream that cannot be trusted closes the connection (counted); malformed frames are
 *   counted and skipped.
 * - Nothing here blocks: listeners and connections are I/O sources of the daemon's sd-event loop,
 *   and the settle and hold times are timers of it.
 * Control thread only. */
#ifndef HNVGW_FPM_SERVER_H
#define HNVGW_FPM_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-event.h>

#include "routing/fpm.h"
#include "routing/learned.h"

#define FPM_DEFAULT_PORT 2620

struct fpm_server;

/* One listener as the CLI shows it. */
struct fpm_listener_info {
    uint16_t tenant;        /* Routing domain. */
    uint16_t port;          /* TCP port it listens on (127.0.0.1). */
    bool connected;         /* zebra is connected. */
    uint64_t connects;      /* Connections accepted. */
    uint64_t closed_bad;    /* Connections closed for an untrustworthy stream. */
    uint64_t sweeps;        /* Sweeps run. */
    uint64_t swept;         /* Routes they removed. */
    struct fpm_stats stats; /* Of the current (or last) connection. */
    uint64_t frames_total;  /* Frames over all connections. */
    uint64_t refused_total; /* Frames refused over all connections. */
    bool shared;            /* Serves every tenant of its table map ('tenant' is then 0). */
    size_t n_tenants;       /* Tenants it serves: 1, or the entries of its table map. */
    uint64_t unknown_table; /* Route operations refused: their table is no tenant's. */
};

/* One entry of a shared listener's table map: the kernel table of a tenant's VRF. */
struct fpm_table_map {
    uint32_t table;  /* Kernel table id (never 0: zebra's "no table"). */
    uint16_t tenant; /* Routing domain whose routes that table holds. */
};

/* Called after the server served an event (a connection, frames, a close, a sweep): the
 * listeners' counters may have moved. */
typedef void fpm_server_notify_fn(void *aux);

/* Creates a server feeding 'learned', served from 'event' (a reference is kept until destroyed).
 * 'settle_ms' and 'hold_ms' are the quiet time before a replay's sweep and how long routes of a
 * vanished zebra are kept. 'notify' (may be NULL) is called with 'aux' after each event served.
 * Returns NULL on failure. */
struct fpm_server *fpm_server_create(struct learned *learned, unsigned settle_ms, unsigned hold_ms,
                                     sd_event *event, fpm_server_notify_fn *notify, void *aux);

/* Opens the listener of 'tenant' on 127.0.0.1:'port' (0: any free port) inside the network
 * namespace at 'netns_path' (NULL: the current one). Stores the port in '*bound' if not NULL.
 * Returns 0 or a positive errno with a message in 'err' (256 bytes). */
int fpm_server_listen(struct fpm_server *s, uint16_t tenant, const char *netns_path, uint16_t port,
                      uint16_t *bound, char *err);

/* Opens the shared listener on 127.0.0.1:'port' (0: any free port) inside the network namespace
 * at 'netns_path' (NULL: the current one), for the 'n' tenants of 'map' (copied): each route it
 * receives goes to the tenant whose table it is in. Tables and tenants must each appear once.
 * Stores the port in '*bound' if not NULL. Returns 0 or a positive errno (EINVAL for a bad map)
 * with a message in 'err' (256 bytes). */
int fpm_server_listen_shared(struct fpm_server *s, const char *netns_path, uint16_t port,
                             const struct fpm_table_map *map, size_t n, uint16_t *bound, char *err);

/* The tenant of table 'table' in a table map sorted by table ('n' entries), or 0 when no tenant
 * has it. Exposed for tests. */
uint16_t fpm_table_tenant(const struct fpm_table_map *sorted, size_t n, uint32_t table);

/* Copies up to 'max' listeners into 'out'; returns how many there are. */
size_t fpm_server_listeners(const struct fpm_server *s, struct fpm_listener_info *out, size_t max);

/* Closes every listener and connection and removes their event sources. Accepts NULL. Learned
 * routes stay. */
void fpm_server_destroy(struct fpm_server *s);

#endif
