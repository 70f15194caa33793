/* SPDX-License-Identifier: Apache-2.0 */
/* A tenant's FRR instance: zebra (with dplane_fpm_nl), staticd and bgpd, run inside the tenant's
 * compartment from a config generated out of the tenant's `routing` section, and supervised.
 *
 * The module promises:
 * - frr_write_config() writes zebra.conf, staticd.conf and bgpd.conf for the tenant into its state
 *   directory (owned by user frr): ASN, router-id, neighbors with password and timers, the
 *   tenant's subnets plus its configured networks, FPM toward 127.0.0.1:fpm_port without
 *   next-hop groups, and the operator's extra_config verbatim.
 * - frr_start() starts the daemons and supervises them from the daemon's event loop: a daemon's
 *   exit is seen on its pidfd, and it is restarted with back-off (1 s doubling to 30 s) by a
 *   timer; every start, exit and restart is logged. frr_stop() stops them by pid.
 * - The vty sockets are in the state directory: `vtysh --vty_socket DIR` reaches them.
 * Control thread only. */
#ifndef HNVGW_FRR_H
#define HNVGW_FRR_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "routing/compartment.h"
#include "routing/routing_config.h"

#define FRR_STATE_ROOT "/run/hnvgw/frr"
#define FRR_BIN_DIR    "/usr/lib/frr"
#define FRR_N_DAEMONS  3 /* zebra, staticd, bgpd. */

struct frr_instance;

/* One supervised daemon. */
struct frr_daemon {
    const char *name;              /* "zebra", "staticd" or "bgpd". */
    struct frr_instance *fi;       /* Its instance. */
    pid_t pid;                     /* Running pid, 0 when not running. */
    unsigned restarts;             /* Restarts after an exit. */
    unsigned backoff_ms;           /* Wait before the next restart. */
    struct compartment_watch exit; /* Tells the loop when it exits. */
    sd_event_source *restart;      /* Timer of the next start after an exit (owned), or NULL. */
};

/* Logs one supervision event (the daemon's own log line function). */
typedef void frr_log_fn(const char *msg);

/* One tenant's instance. */
struct frr_instance {
    uint16_t tenant;                          /* Routing domain. */
    char tenant_name[32];                     /* For logs. */
    char netns[128];                          /* Compartment path. */
    char dir[160];                            /* State dir: configs, pids, sockets. */
    struct frr_daemon daemons[FRR_N_DAEMONS]; /* zebra first: the others need its socket. */
    sd_event *event;                          /* The supervising loop (a reference), or NULL. */
    frr_log_fn *log;                          /* Where supervision events go. */
};

/* Prepares 'fi' for tenant 't' in compartment 'netns' (no process started). 'fi' must then stay
 * put: its daemons point back at it. */
void frr_init(struct frr_instance *fi, const struct routing_tenant *t, const char *netns);

/* Writes the three daemon configs of 't' into fi->dir. Returns 0 or a positive errno with a
 * message in 'err' (256 bytes). */
int frr_write_config(struct frr_instance *fi, const struct routing_tenant *t, char *err);

/* Starts the three daemons and supervises them from 'event', logging through 'log'. A daemon that
 * cannot be started is logged and tried again after its back-off. */
void frr_start(struct frr_instance *fi, sd_event *event, frr_log_fn *log);

/* Ends the supervision and stops every daemon (SIGTERM, then waits for it). Accepts an instance
 * that was only initialised. */
void frr_stop(struct frr_instance *fi);

#endif
