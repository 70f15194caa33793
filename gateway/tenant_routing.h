/* SPDX-License-Identifier: Apache-2.0 */
/* Dynamic routing per tenant, as the daemon runs it: for every tenant with a `routing` section, a
 * compartment (network namespace "hnvgw-NAME"), its FPM listener inside, and its FRR instance;
 * the routes FRR learns go into the tenant's FIB below the configuration's (learned.h).
 * Or, where the kernel makes VRF devices (node.routing_daemons "auto" or "shared"), one
 * compartment "hnvgw-routing" with one FRR for every routed tenant: a VRF per tenant ("vrf<ID>",
 * table frr_vrf_table(ID)) holding its end of the veth to the shared port ("hnvx<ID>", with its
 * addresses and a default route in the VRF's table), and one FPM listener that names the tenant
 * of each route by its table.
 *
 * The module promises: tenant_routing_start() sets everything up or nothing (returns an error
 * with the state it built torn down) and from then on runs from the daemon's event loop (FPM
 * sockets, settle and hold timers, FRR exits and restarts), never blocking it;
 * tenant_routing_stop() removes its event sources, stops FRR, closes the listeners and removes the
 * compartments. */
#ifndef HNVGW_TENANT_ROUTING_H
#define HNVGW_TENANT_ROUTING_H

#include <stdbool.h>
#include <stddef.h>
#include <systemd/sd-event.h>

#include "dataplane/dp.h"
#include "gateway/config.h"
#include "routing/fpm_server.h"
#include "routing/frr.h"
#include "routing/learned.h"

#define TENANT_ROUTING_SETTLE_MS 3000            /* Quiet time after a replay before its sweep. */
#define TENANT_ROUTING_HOLD_MS   120000          /* How long a vanished zebra's routes are kept. */
#define TENANT_ROUTING_SHARED_NS "hnvgw-routing" /* The shared FRR's compartment. */

/* Where a routed tenant's BGP runs. */
struct tenant_routing_tenant {
    char name[CONFIG_NAME_MAX];    /* The tenant's name. */
    uint16_t id;                   /* Its routing domain. */
    const struct frr_instance *fi; /* Its FRR: its own, or the shared one (in tr->frr). */
    char vrf[FRR_VRF_NAME_MAX];    /* Its VRF in the shared FRR; "" in its own. */
};

/* The dynamic routing of a node. */
struct tenant_routing {
    struct learned *learned;               /* Learned routes of every tenant. */
    struct fpm_server *fpm;                /* The FPM listeners. */
    struct frr_instance *frr;              /* Owned array: one per tenant with routing, or the
                                            * shared one. */
    size_t n_frr;                          /* Entries. */
    bool shared;                           /* One FRR for every routed tenant, a VRF each. */
    struct tenant_routing_tenant *tenants; /* Owned: the routed tenants, in config order. */
    size_t n_tenants;                      /* Entries. */
    unsigned n_hubs;                       /* Bridges "hnvxbr<k>" made for the shared ports. */
    struct fpm_listener_info *last_fpm;    /* Owned, n_fpm: FPM counters last logged. */
    struct fpm_listener_info *cur_fpm;     /* Owned, n_fpm: scratch for the current ones. */
    size_t n_fpm;                          /* Entries of both: at least the FPM listeners. */
    bool active;                           /* The node forwards (not the passive one of a pair). */
    bool role_known;                       /* tenant_routing_set_active() was called. */
};

/* Adds the shared exception ports of the tenants with routing to 'dp' (before dp_start()): TAPs
 * "hnvxc0", "hnvxc1"... of DP_COMPARTMENT_TAGS compartments each, the n-th routed tenant (in
 * config order) on port n / DP_COMPARTMENT_TAGS, known there by its MAC. tenant_routing_start()
 * puts each TAP on a bridge "hnvxbr<k>" and connects each compartment to it by a veth pair
 * ("hnvxh<id>" on the bridge, locked to that MAC; "hnvx<id>" in the compartment). No routed
 * tenant, no port. Returns 0 or a positive errno with a message in 'err' (DP_ERR_MAX bytes). */
int tenant_routing_add_ports(struct dp *dp, const struct hnvgw_config *cfg, char *err);

/* Builds the dynamic routing of 'cfg', feeding 'rib', into '*tr' (a node without routing
 * sections gets a learned table and nothing else), served from 'event' (which must outlive it).
 * Chooses the shared FRR or one per tenant by node.routing_daemons: "auto" probes once whether
 * the kernel makes a VRF device (compartment_vrf_probe()); "shared" where it does not is refused
 * (the message names the line). Starts the FRR instance(s). Returns 0 or a positive errno with a
 * message in 'err' (256 bytes). */
int tenant_routing_start(struct tenant_routing *tr, struct rib *rib, const struct hnvgw_config *cfg,
                         sd_event *event, char *err);

/* Whether a node of 'n_routed' routed tenants runs the shared FRR: never without routed tenants or
 * with node.routing_daemons "per_tenant"; with "auto" or "shared", when the kernel makes VRF
 * devices (compartment_vrf_probe(), run here). "shared" without them is refused: returns a
 * positive errno with "FILE:LINE: node routing_daemons: ..." in 'err' (256 bytes). */
int tenant_routing_choose(const struct hnvgw_config *cfg, size_t n_routed, bool *shared, char *err);

/* After a reload: resolves the learned routes' next hops again (subnets, tunnels may have
 * changed). */
void tenant_routing_reconfigure(struct tenant_routing *tr);

/* A node of a pair changes role: 'active' true when it is the one that forwards (or it is alone).
 * Called by the daemon from the cluster's role hook (after the data plane took the role), once at
 * start too. The first call only records the role: FRR has just been started for it.
 * - Becoming active resets nothing: bgpd tries its sessions again every FRR_CONNECT_RETRY_S, so
 *   they come up through the data plane that now forwards within about a second (the peers keep
 *   our routes meanwhile: graceful restart). A reset then could land on a session that has just
 *   come up and end the peer's graceful restart with a NOTIFICATION, flushing what it kept.
 * - Becoming passive resets every tenant's BGP sessions at once (frr_bgp_clear(), which never
 *   blocks and logs what it did), because they died with the data plane (which drops their packets,
 * the reset's NOTIFICATION too, so the peers see nothing of it): bgpd stops claiming a session that
 * is gone (`show bgp` on the passive node tells the truth) and drops the routes learned over it,
 *   instead of holding both until its hold timer runs out. */
void tenant_routing_set_active(struct tenant_routing *tr, bool active);

/* The routed tenant 'name' (NULL: none): its FRR instance and VRF; NULL when it has no routing
 * section. */
const struct tenant_routing_tenant *tenant_routing_find(const struct tenant_routing *tr,
                                                        const char *name);

/* Stops everything tenant_routing_start() built. Accepts a zeroed struct. */
void tenant_routing_stop(struct tenant_routing *tr);

#endif
