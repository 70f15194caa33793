/* SPDX-License-Identifier: Apache-2.0 */
/* What a tenant's site-to-site VPN is configured to be: the types the config loader (gateway/)
 * fills and the VPN service (vpn/) runs from. They live here, below the config, so that vpn/
 * never includes gateway/. */
#ifndef HNVGW_VPN_CONFIG_H
#define HNVGW_VPN_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/addr.h"

#define VPN_NAME_MAX 32 /* A tenant or tunnel name, including the NUL (VPN_NAME_MAX). */

#define CONFIG_VPN_TUNNELS_MAX   15  /* Tunnels of one tenant: reqid = id * 16 + 1..15. */
#define CONFIG_VPN_TS_MAX        8   /* Traffic selectors per side (DP_ESP_TS_MAX). */
#define CONFIG_VPN_PROPOSALS_MAX 8   /* IKE or ESP proposals of one tunnel. */
#define CONFIG_VPN_PROPOSAL_LEN  128 /* One proposal string, including the NUL. */
#define CONFIG_VPN_ID_LEN        256 /* An IKE identity, including the NUL. */
#define CONFIG_VPN_PSK_LEN       256 /* A pre-shared key, including the NUL. */
#define CONFIG_VPN_PATH_LEN      256 /* A certificate or key path, including the NUL. */
#define CONFIG_VPN_ROUTES_MAX    256 /* Static routes of one route-mode tunnel. */

enum config_vpn_auth {
    CONFIG_VPN_AUTH_PSK,    /* Pre-shared key. */
    CONFIG_VPN_AUTH_PUBKEY, /* X.509 certificate and private key, peer checked against a CA. */
};

enum config_vpn_start {
    CONFIG_VPN_START_INITIATE, /* The gateway brings the tunnel up and keeps it up. */
    CONFIG_VPN_START_RESPOND,  /* The gateway waits for the peer. */
};

enum config_vpn_mode {
    CONFIG_VPN_MODE_POLICY, /* Traffic selectors decide what enters the tunnel. */
    CONFIG_VPN_MODE_ROUTE,  /* Selectors 0.0.0.0/0 both ways; routes decide (static or BGP). */
};

/* One site-to-site tunnel of a tenant ("tunnel NAME" in its vpn section): one IKE connection
 * with one CHILD_SA configuration, both named "<tenant>-<tunnel>" in charon.
 *
 * Compared with memcmp() by policy.c (minus 'routes'): every byte, padding and the tails of the
 * strings included, is zeroed before it is filled. */
struct config_vpn_tunnel {
    char name[VPN_NAME_MAX];               /* Section title, unique in the tenant. */
    uint32_t reqid;                        /* Tenant id * 16 + index in the tenant (1..15): the
                                            * CHILD_SA's reqid, the data plane's tunnel key. */
    uint32_t if_id;                        /* The tenant id: the CHILD_SA's if_id_in/if_id_out,
                                            * which hnvgwd maps back to the tenant. */
    bool remote_any;                       /* remote_address is "%any" (responders only). */
    struct hnvgw_ip remote_address;        /* The peer's tunnel address, unset with remote_any. */
    char local_id[CONFIG_VPN_ID_LEN];      /* Our IKE identity (default: local_address). */
    char remote_id[CONFIG_VPN_ID_LEN];     /* The peer's (default: remote_address, or %any). */
    enum config_vpn_auth auth;             /* How both sides authenticate. */
    char psk[CONFIG_VPN_PSK_LEN];          /* psk: the secret, >= 16 characters; else "". */
    char certificate[CONFIG_VPN_PATH_LEN]; /* pubkey: our certificate (PEM file); else "". */
    char private_key[CONFIG_VPN_PATH_LEN]; /* pubkey: its private key (PEM file); else "". */
    char ca_certificate[CONFIG_VPN_PATH_LEN]; /* pubkey: the CA the peer's certificate must
                                               * chain to (PEM file); else "". */
    char ike_proposals[CONFIG_VPN_PROPOSALS_MAX][CONFIG_VPN_PROPOSAL_LEN]; /* strongSwan syntax. */
    size_t n_ike_proposals;                                                /* 1..8. */
    char esp_proposals[CONFIG_VPN_PROPOSALS_MAX][CONFIG_VPN_PROPOSAL_LEN]; /* Only ciphers the
                                                                            * data plane has. */
    size_t n_esp_proposals;                                                /* 1..8. */
    uint32_t ike_lifetime;              /* IKE_SA rekey time, seconds. */
    uint32_t child_lifetime;            /* CHILD_SA rekey time, seconds. */
    uint64_t child_life_bytes;          /* CHILD_SA rekey volume, bytes; 0 for none. */
    uint32_t dpd_delay;                 /* Dead peer detection interval, seconds; 0 off. */
    enum config_vpn_start start_action; /* Initiate or respond. */
    enum config_vpn_mode mode;          /* Policy or route based. */
    struct hnvgw_prefix local_ts[CONFIG_VPN_TS_MAX];  /* Our side's selectors (route: 0/0). */
    size_t n_local_ts;                                /* Entries in local_ts, >= 1. */
    struct hnvgw_prefix remote_ts[CONFIG_VPN_TS_MAX]; /* The peer's selectors (route: 0/0). */
    size_t n_remote_ts;                               /* Entries in remote_ts, >= 1. */
    struct hnvgw_prefix *routes; /* Owned: route mode: static routes into the tunnel, or NULL. */
    size_t n_routes;             /* Entries in routes. */
    int line;                    /* Line of the section. */
};

/* A tenant's site-to-site VPN ("vpn" section). */
struct config_vpn {
    struct hnvgw_ip local_address;     /* The tenant's tunnel address on the external network:
                                        * IKE and ESP endpoint; no other tenant's. */
    struct config_vpn_tunnel *tunnels; /* Owned array of n_tunnels. */
    size_t n_tunnels;                  /* 1..CONFIG_VPN_TUNNELS_MAX. */
    int line;                          /* Line of the section. */
};

/* One tenant as the VPN service sees it: enough to name it and run its tunnels. */
struct vpn_tenant {
    char name[VPN_NAME_MAX];      /* The tenant's name. */
    uint32_t id;                  /* Its routing domain id, the if_id of its CHILD_SAs. */
    const struct config_vpn *vpn; /* Its vpn section (borrowed from the running config). */
};

/* Spellings of the VPN enums, as in the file. */
static inline const char *
vpn_auth_name(enum config_vpn_auth auth)
{
    return auth == CONFIG_VPN_AUTH_PSK ? "psk" : "pubkey";
}

static inline const char *
vpn_mode_name(enum config_vpn_mode mode)
{
    return mode == CONFIG_VPN_MODE_POLICY ? "policy" : "route";
}

#endif
