/* SPDX-License-Identifier: Apache-2.0 */
/* hnvgwd's client of charon's VICI socket: loads each tenant's tunnels (gateway/config.h, struct
 * config_vpn) into charon, brings them up and down, lists their SAs for the CLI, and turns
 * charon's events into journal lines.
 *
 * The module promises:
 * - Every tunnel becomes one IKEv2 connection and one CHILD_SA configuration, both named
 *   "<tenant>-<tunnel>", with the tunnel's reqid and its if_id (the tenant id) on the CHILD_SA
 *   (reqid, if_id_in, if_id_out) and the if_id on the IKE_SA too: every SA charon hands to the
 *   data plane names its tenant and tunnel.
 * - Secrets and keys go to charon only over the socket: PSKs with load-shared (id "<tenant>-
 *   <tunnel>", owners local_id and remote_id); certificates inline in the connection (local certs,
 *   remote cacerts), private keys with load-key from the PEM files, read by this module.
 * - Requests are synchronous and for one thread (hnvgwd's control thread). Each returns 0 or a
 *   positive errno with one line in 'err' (VICI_ERR_MAX bytes): charon's errmsg, or why the socket
 *   failed.
 * - Events arrive on a second connection. libvici runs their callback on one of its own threads;
 *   this module formats each into a struct vici_event there and writes it, whole, to a pipe. The
 *   control thread polls vici_client_event_fd() and reads events with vici_client_read_event(),
 *   so nothing of the caller ever runs on libvici's threads. A full pipe drops events (counted),
 *   never blocks charon's event delivery.
 *
 * libvici is linked from /usr/lib/ipsec/libvici.so.0 (strongswan-swanctl); its declarations are
 * our own (gateway/libvici_decl.h). */
#ifndef HNVGW_VICI_H
#define HNVGW_VICI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vpn/vpn_config.h"

#define VICI_ERR_MAX     256                           /* One error line. */
#define VICI_DEFAULT_URI "unix:///var/run/charon.vici" /* charon's default socket. */
#define VICI_NAME_LEN    (2 * VPN_NAME_MAX)            /* "<tenant>-<tunnel>" and NUL. */
#define VICI_TS_LEN      48                            /* A selector as charon prints it. */
#define VICI_LIST_TS_MAX 8                             /* Selectors kept per side. */
#define VICI_EVENT_LINE  400                           /* One journal line. */

struct vici_client;

/* Connects to charon at 'uri' (NULL: VICI_DEFAULT_URI). Returns 0 and a new client in '*out', or
 * a positive errno with a message. */
int vici_client_open(const char *uri, struct vici_client **out, char *err);

/* Disconnects both connections and frees 'vc'. Accepts NULL. */
void vici_client_close(struct vici_client *vc);

/* With 'defer' true, tunnels with start_action = initiate are loaded without starting: the caller
 * initiates them (the passive node of a pair must not; the active one does on takeover). */
void vici_client_defer_start(struct vici_client *vc, bool defer);

/* Loads every tunnel of 't' (which must have a vpn section): secrets, keys, then connections.
 * Loading again replaces them. Stops at the first failure (what was loaded stays loaded: unload
 * the tenant to clean up). Tunnels with start_action = initiate start at once. */
int vici_client_load_tenant(struct vici_client *vc, const struct vpn_tenant *t, char *err);

/* Terminates the SAs of every tunnel of 't', then unloads its connections, PSKs and private keys
 * (a key that another loaded tunnel also uses stays). Missing pieces are not errors. */
int vici_client_unload_tenant(struct vici_client *vc, const struct vpn_tenant *t, char *err);

/* Brings tunnel 'tunnel' of tenant 'tenant' up (its CHILD_SA, and the IKE_SA if needed).
 * 'timeout_ms' as in VICI: 0 waits for the outcome, -1 returns at once. */
int vici_client_initiate(struct vici_client *vc, const char *tenant, const char *tunnel,
                         int timeout_ms, char *err);

/* Tears the tunnel's IKE_SA (and so its CHILD_SAs) down; 'timeout_ms' as above. ENOENT when
 * nothing matched. */
int vici_client_terminate(struct vici_client *vc, const char *tenant, const char *tunnel,
                          int timeout_ms, char *err);

/* A CHILD_SA as charon lists it. */
struct vici_child_info {
    char name[VICI_NAME_LEN];                      /* CHILD_SA config name. */
    unsigned uniqueid;                             /* charon's id of the CHILD_SA. */
    char state[24];                                /* INSTALLED, REKEYING, ... */
    uint32_t reqid;                                /* The tunnel. */
    uint32_t spi_in;                               /* Inbound SPI (host order). */
    uint32_t spi_out;                              /* Outbound SPI. */
    uint32_t if_id_in;                             /* Inbound if_id: the tenant. */
    uint32_t if_id_out;                            /* Outbound if_id. */
    bool encap;                                    /* UDP encapsulation (NAT-T). */
    char encr_alg[32];                             /* e.g. AES_GCM_16. */
    unsigned encr_keysize;                         /* Bits. */
    char integ_alg[32];                            /* e.g. HMAC_SHA2_256_128, "" with AEAD. */
    char dh_group[32];                             /* PFS group of the last rekey, or "". */
    uint64_t bytes_in, packets_in;                 /* Inbound traffic. */
    uint64_t bytes_out, packets_out;               /* Outbound traffic. */
    uint64_t rekey_time;                           /* Seconds to the rekey. */
    uint64_t life_time;                            /* Seconds to the expiry. */
    uint64_t install_time;                         /* Seconds since installed. */
    char local_ts[VICI_LIST_TS_MAX][VICI_TS_LEN];  /* Our side, as charon prints it. */
    size_t n_local_ts;                             /* Entries kept (at most 8). */
    char remote_ts[VICI_LIST_TS_MAX][VICI_TS_LEN]; /* The peer's side. */
    size_t n_remote_ts;                            /* Entries kept. */
};

/* An IKE_SA with its CHILD_SAs, as charon lists it. */
struct vici_ike_info {
    char name[VICI_NAME_LEN];         /* Connection name, "<tenant>-<tunnel>". */
    char tenant[VPN_NAME_MAX];        /* The tenant, when this client loaded the connection. */
    char tunnel[VPN_NAME_MAX];        /* The tunnel, likewise; "" otherwise. */
    unsigned uniqueid;                /* charon's id of the IKE_SA. */
    char state[24];                   /* CONNECTING, ESTABLISHED, ... */
    char local_host[48];              /* Our IKE address. */
    unsigned local_port;              /* Our IKE port. */
    char remote_host[48];             /* The peer's. */
    unsigned remote_port;             /* The peer's port. */
    char local_id[128];               /* Identities. */
    char remote_id[128];              /* */
    bool initiator;                   /* We initiated it. */
    uint32_t if_id_in, if_id_out;     /* The IKE_SA's if_ids (the tenant). */
    char encr_alg[32];                /* IKE encryption algorithm. */
    unsigned encr_keysize;            /* Bits. */
    char prf_alg[32];                 /* IKE PRF. */
    char dh_group[32];                /* IKE DH group. */
    uint64_t established;             /* Seconds since established (0 while connecting). */
    uint64_t rekey_time;              /* Seconds to the IKE rekey. */
    struct vici_child_info *children; /* The CHILD_SAs. */
    size_t n_children;                /* Entries. */
};

/* Calls 'fn' for each IKE_SA charon has ('ike' NULL), or those of connection 'ike', on the
 * calling thread, after charon has listed them all. 'fn' may not keep the pointer. */
int vici_client_list_sas(struct vici_client *vc, const char *ike,
                         void (*fn)(const struct vici_ike_info *sa, void *aux), void *aux,
                         char *err);

/* A loaded CHILD_SA configuration, as list-conns shows it. */
struct vici_child_conf {
    char name[VICI_NAME_LEN];                      /* Name. */
    char mode[16];                                 /* TUNNEL, ... */
    uint64_t rekey_time;                           /* Seconds. */
    uint64_t rekey_bytes;                          /* Bytes, 0 for none. */
    char dpd_action[16];                           /* clear, trap, restart. */
    char close_action[16];                         /* Likewise. */
    char local_ts[VICI_LIST_TS_MAX][VICI_TS_LEN];  /* Our side. */
    size_t n_local_ts;                             /* */
    char remote_ts[VICI_LIST_TS_MAX][VICI_TS_LEN]; /* The peer's side. */
    size_t n_remote_ts;                            /* */
};

/* A loaded connection, as list-conns shows it (charon does not list proposals, reqids or
 * if_ids there: list_sas shows them on live SAs). */
struct vici_conn_info {
    char name[VICI_NAME_LEN];         /* Name. */
    char local_addr[48];              /* First of local_addrs. */
    char remote_addr[48];             /* First of remote_addrs. */
    char version[8];                  /* IKEv2. */
    uint64_t rekey_time;              /* IKE rekey time, seconds. */
    uint64_t dpd_delay;               /* Seconds, 0 for none. */
    char local_auth[16];              /* Auth class: pre-shared key, public key, ... */
    char local_id[128];               /* Our identity. */
    size_t n_local_certs;             /* Certificates of ours. */
    char remote_auth[16];             /* The peer's auth class. */
    char remote_id[128];              /* The peer's identity. */
    size_t n_remote_cacerts;          /* CA certificates the peer's must chain to. */
    struct vici_child_conf *children; /* CHILD_SA configurations. */
    size_t n_children;                /* Entries. */
};

/* Calls 'fn' for each loaded connection ('ike' NULL) or for connection 'ike'. */
int vici_client_list_conns(struct vici_client *vc, const char *ike,
                           void (*fn)(const struct vici_conn_info *c, void *aux), void *aux,
                           char *err);

/* Events to watch. */
enum vici_event_kind {
    VICI_EV_IKE_UPDOWN = 1 << 0,   /* An IKE_SA was established or went away. */
    VICI_EV_CHILD_UPDOWN = 1 << 1, /* A CHILD_SA was installed or went away. */
    VICI_EV_IKE_REKEY = 1 << 2,    /* An IKE_SA was rekeyed. */
    VICI_EV_CHILD_REKEY = 1 << 3,  /* A CHILD_SA was rekeyed. */
    VICI_EV_LOG = 1 << 4,          /* A charon log line about authentication or negotiation
                                    * failing (groups IKE and CFG, level <= 1, filtered). */
};
#define VICI_EV_ALL 0x1f

/* One event, as read from the pipe. */
struct vici_event {
    enum vici_event_kind kind;  /* What happened. */
    bool up;                    /* *_UPDOWN: up (true) or down. */
    char ike[VICI_NAME_LEN];    /* Connection name, or "" (a log line without an IKE_SA). */
    char tenant[VPN_NAME_MAX];  /* The tenant and tunnel, when this client loaded the */
    char tunnel[VPN_NAME_MAX];  /* connection; "" otherwise. */
    uint32_t reqid;             /* CHILD_* events: the CHILD_SA's (the new one's on rekey). */
    uint32_t spi_in, spi_out;   /* CHILD_* events: its SPIs. */
    char state[24];             /* IKE_SA (or CHILD_SA) state. */
    char line[VICI_EVENT_LINE]; /* For the journal: "vpn: tenant contoso tunnel site1 ...". */
};

/* Opens the event connection and registers the 'events' (enum vici_event_kind bits). Once only. */
int vici_client_watch(struct vici_client *vc, unsigned events, char *err);

/* The read end of the event pipe (non-blocking), to poll for POLLIN; -1 before watch. */
int vici_client_event_fd(const struct vici_client *vc);

/* Reads one event: 1 with '*ev' filled, 0 when none is pending, or -errno. */
int vici_client_read_event(struct vici_client *vc, struct vici_event *ev);

/* Events dropped because the pipe was full. */
uint64_t vici_client_events_dropped(const struct vici_client *vc);

#endif
