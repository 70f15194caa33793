/* SPDX-License-Identifier: Apache-2.0 */
/* FPM listeners: one per tenant compartment, where that tenant's zebra connects.
 *
 * zebra connects to 127.0.0.1:2620 inside its own network namespace, so each listener is opened
 * inside the tenant's netns (setns() there and back): the connection itself says which tenant it
 * serves. One connection per tenant at a time; a new one replaces the old.
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

/* Copies up to 'max' listeners into 'out'; returns how many there are. */
size_t fpm_server_listeners(const struct fpm_server *s, struct fpm_listener_info *out, size_t max);

/* Closes every listener and connection and removes their event sources. Accepts NULL. Learned
 * routes stay. */
void fpm_server_destroy(struct fpm_server *s);

#endif
