/* SPDX-License-Identifier: Apache-2.0 */
/* The node's site-to-site VPN service, as the daemon runs it: the IKE compartment (network
 * namespace "hnvgw-ike") behind the exception port of routing domain 0, the IKE daemon
 * (hnvgw-iked, charon on libcharon) inside it, the kipsec socket through which its SAs reach the
 * data plane, and the VICI connection that loads every tenant's tunnels and follows their events.
 *
 * The module promises:
 * - vpn_start() builds all of it or nothing (an error leaves no compartment, socket or process),
 *   starts the IKE daemon, and from then on runs from the daemon's sd-event loop: the kipsec
 *   socket, the VICI event pipe and the IKE daemon's pidfd are I/O sources of it, and the
 *   restart back-off and the VICI connection retries are timers.
 * - The IKE daemon is restarted with back-off when it exits; its SAs die with it (HELLO flushes
 *   them) and the tunnels are loaded again once its VICI socket answers.
 * - Nothing blocks the loop for long: VICI requests are the only synchronous calls, and only
 *   after the daemon (re)starts or when the operator asks.
 * - Tenant traffic for a tunnel whose SA is gone is dropped by the data plane (DP_NH_IPSEC with no
 *   SA), never routed in clear. Control thread only. */
#ifndef HNVGW_VPN_H
#define HNVGW_VPN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "dataplane/dp.h"
#include "routing/compartment.h"
#include "vpn/vpn_config.h"
#include "vpn/kipsec_server.h"

#define VPN_STATE_DIR   "/run/hnvgw/ike"
#define VPN_COMPARTMENT "hnvgw-ike"
#define VPN_IFNAME      "hnvx0"

struct ike_ha;
struct vici_client;

/* What the service knows of one tunnel, from the IKE daemon's events (never asked for
 * synchronously: charon's answers to a listing need hnvgwd's counters, which this thread serves).
 */
struct vpn_tunnel_state {
    const struct vpn_tenant *tenant;      /* Its tenant (in vpn_service.tenants). */
    const struct config_vpn_tunnel *conf; /* Its configuration. */
    char ike_state[24];                   /* IKE_SA: DOWN, CONNECTING, ESTABLISHED, ... */
    char child_state[24];                 /* CHILD_SA: DOWN, INSTALLED, ... */
    uint32_t spi_in;                      /* Current CHILD_SA's SPIs (host order), 0: none. */
    uint32_t spi_out;                     /* */
    time_t ike_since;                     /* When the IKE_SA was last established. */
    time_t child_since;                   /* When the current CHILD_SA was installed. */
    unsigned ike_ups;                     /* IKE_SAs established. */
    unsigned child_rekeys;                /* CHILD_SA rekeys. */
    unsigned ike_rekeys;                  /* IKE_SA rekeys. */
    bool held_down;                       /* Terminated by the operator: not brought back up
                                           * until "vpn initiate". */
    uint64_t next_try_ms;                 /* Down and initiating: when to initiate again. */
    unsigned retry_ms;                    /* The wait before the try after that. */
    unsigned retries;                     /* Initiations the service made after a failure. */
};

/* The VPN service of a node. */
struct vpn_service {
    bool enabled;                     /* Some tenant has a vpn section. */
    struct dp *dp;                    /* The data plane. */
    struct vpn_tenant *tenants;       /* Owned copy: the tenants, with their vpn sections
                                       * borrowed from the running config (vpn_reconfigure()). */
    size_t n_tenants;                 /* Entries in tenants. */
    struct kipsec_server *kipsec;     /* SAs from the IKE daemon. */
    struct vici_client *vici;         /* Requests to and events from the IKE daemon, NULL until
                                       * it answers. */
    char netns[128];                  /* The IKE compartment's path. */
    char iked[256];                   /* The IKE daemon binary. */
    pid_t pid;                        /* The daemon's pid, 0 when not running. */
    unsigned restarts;                /* Restarts after an exit. */
    unsigned backoff_ms;              /* Wait before the next restart. */
    sd_event *event;                  /* The loop it runs from (a reference), NULL if disabled. */
    struct compartment_watch exit;    /* Tells the loop when the daemon exits. */
    sd_event_source *restart;         /* Timer: the next start of the daemon (owned), or NULL. */
    sd_event_source *vici_retry;      /* Timer: the next try of its VICI socket (owned), or NULL. */
    sd_event_source *vici_events;     /* I/O source of the VICI event pipe (owned), or NULL. */
    sd_event_source *keepup;          /* Timer: brings initiating tunnels that are down back up
                                       * (owned), or NULL. */
    bool loaded;                      /* The tunnels are loaded into the running daemon. */
    struct vpn_tunnel_state *tunnels; /* Owned: one per configured tunnel. */
    bool paired;                      /* The node is one of a pair: strongSwan's ha plugin in
                                       * the daemon, tunnels started only by the active node. */
    bool active;                      /* The node forwards (not the passive one of a pair). */
    struct ike_ha *ha;                /* The daemon's SA sync with the peer's (owned), NULL
                                       * unless paired. */
    size_t n_tunnels;                 /* Entries. */
};

/* Adds the exception port of routing domain 0 (TAP "hnvx0", whose kernel side becomes the IKE
 * compartment's) when some tenant has a vpn section. Before dp_start(). Returns 0 or a positive
 * errno with a message in 'err' (DP_ERR_MAX bytes). */
int vpn_add_ports(struct dp *dp, const struct vpn_tenant *tenants, size_t n_tenants, char *err);

/* Declares every tenant's tunnel address to the data plane and routes each tunnel's remote
 * selectors (policy mode) or routes (route mode) into it. Part of the policy, applied before
 * dp_start() like the rest. Returns 0 or a positive errno with a message in 'err'. */
int vpn_dp_setup(struct dp *dp, const struct vpn_tenant *tenants, size_t n_tenants, char *err);

/* Starts the service of the 'n_tenants' 'tenants' on 'dp' into '*vs' (a node without vpn sections
 * gets nothing), served from 'event' (which must outlive it; '*vs' must stay put). A 'paired'
 * node (one of a pair) starts passive, with strongSwan's ha plugin in its IKE daemon and its
 * relay (vs->ha, vpn/ike_ha.h) for the pair's sync channel to carry. Returns 0 or a positive
 * errno with a message in 'err' (256 bytes). */
int vpn_start(struct vpn_service *vs, struct dp *dp, const struct vpn_tenant *tenants,
              size_t n_tenants, bool paired, sd_event *event, char *err);

/* The tunnel 'name' of tenant 'tenant' (names), or NULL. */
struct vpn_tunnel_state *vpn_find_tunnel(struct vpn_service *vs, const char *tenant,
                                         const char *name);

/* Asks the IKE daemon to bring a tunnel up or down, without waiting for the outcome (the events
 * tell it). A tunnel the operator terminates stays down (the service does not initiate it again)
 * until vpn_initiate(). Returns 0 or a positive errno with a message in 'err' (256 bytes). */
int vpn_initiate(struct vpn_service *vs, struct vpn_tunnel_state *t, char *err);
int vpn_terminate(struct vpn_service *vs, struct vpn_tunnel_state *t, char *err);

/* After a reload: the new running configuration (the vpn sections are unchanged: a change there
 * needs a restart). */
void vpn_reconfigure(struct vpn_service *vs, const struct vpn_tenant *tenants, size_t n_tenants);

/* A node of a pair changes role: 'active' true when it is the one that forwards (or it is alone).
 * Called by the daemon from the cluster's role hook, once at start too. The passive node's IKE
 * daemon keeps the IKE and CHILD_SAs its peer syncs, initiates nothing and answers nothing; the
 * active one owns them. */
void vpn_set_active(struct vpn_service *vs, bool active);

/* Removes the event sources, stops the daemon, removes its SAs, the compartment and the sockets.
 * Accepts a zeroed struct. */
void vpn_stop(struct vpn_service *vs);

#endif
