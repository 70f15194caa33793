/* SPDX-License-Identifier: Apache-2.0 */
/* Site-to-site IPsec (ESP, tunnel mode) in the data plane: what the control plane may configure
 * and read.
 *
 * The module promises:
 * - SAs are what charon negotiated, handed over by the IKE daemon's kernel_ipsec_t backend through
 *   hnvgwd. Each SA belongs to exactly one tenant, which the control plane takes from the
 *   connection (its if_id), never from addresses.
 * - Inbound: an ESP packet (IP protocol 50, or UDP 4500 with a non-zero first word: NAT-T) on the
 *   external port, addressed to a local tunnel address, is looked up by SPI alone (SPIs are unique
 *   on the node: dp_esp_spi_alloc() hands them out), authenticated, checked against the anti-replay
 *   window, decrypted, checked against the SA's traffic selectors, and routed in the SA's tenant.
 * - Outbound: a tenant route of type DP_NH_IPSEC names a tunnel (charon's reqid). The tunnel's
 *   current outbound SA encrypts the packet, which leaves the external port to the SA's peer. A
 *   tunnel with no outbound SA drops (esp.no_sa) and never sends in clear. The newest outbound SA
 *   of a tunnel wins, so a rekey is make-before-break; deleting it falls back to the next newest.
 * - Per-SA byte and packet counters, summed over workers, for query (charon rekeys by volume).
 * - Ciphers: AES-GCM-128/256 (RFC 4106) and AES-CBC-128/256 with HMAC-SHA-256-128 (RFC 4868);
 *   ESN; anti-replay window; NAT-T (RFC 3948) both ways.
 * - Every update below is for the control thread, applied while traffic flows (RCU), and returns
 *   0 or a positive errno with nothing changed on failure.
 * Addresses are IPv4 in network byte order; SPIs, ports and reqids are in host order. */
#ifndef HNVGW_ESP_H
#define HNVGW_ESP_H

#include <stdbool.h>
#include <stdint.h>

struct dp;

#define DP_ESP_KEY_MAX  36   /* Cipher key bytes, GCM salt included (AES-256 + 4). */
#define DP_ESP_AUTH_MAX 32   /* Integrity key bytes (HMAC-SHA-256). */
#define DP_ESP_TS_MAX   8    /* Traffic selectors (prefixes) per side of an SA. */
#define DP_ESP_SA_MAX   8192 /* SAs on one node. */

enum dp_esp_cipher {
    DP_ESP_AES_GCM_16,          /* AES-GCM, 16-byte ICV; key 16 or 32 bytes + 4 bytes salt. */
    DP_ESP_AES_CBC_HMAC_SHA256, /* AES-CBC (key 16 or 32) + HMAC-SHA-256-128 (key 32). */
};

/* A traffic selector: an IPv4 prefix (any protocol and port). */
struct dp_esp_ts {
    uint32_t prefix; /* Network address. */
    uint8_t plen;    /* Prefix length, 0..32. */
};

/* An SA as the control plane installs it. */
struct dp_esp_sa {
    uint32_t spi;                      /* Key. For inbound SAs, one dp_esp_spi_alloc() gave. */
    bool inbound;                      /* Direction. */
    uint16_t tenant;                   /* Routing domain the SA serves, 1..65535. */
    uint32_t reqid;                    /* Tunnel (charon's reqid) an outbound SA serves. */
    uint32_t local;                    /* Our tunnel address (outer source when outbound). */
    uint32_t remote;                   /* The peer's tunnel address. */
    uint16_t encap_local_port;         /* NAT-T: our UDP port (4500); 0: plain ESP. */
    uint16_t encap_remote_port;        /* NAT-T: the peer's UDP port. */
    uint8_t cipher;                    /* enum dp_esp_cipher. */
    uint8_t key[DP_ESP_KEY_MAX];       /* Cipher key; for GCM, the 4-byte salt at its end. */
    uint8_t key_len;                   /* Bytes of key used. */
    uint8_t auth_key[DP_ESP_AUTH_MAX]; /* Integrity key (CBC only). */
    uint8_t auth_key_len;              /* Bytes of auth_key used. */
    bool esn;                          /* 64-bit extended sequence numbers. */
    uint32_t replay_window;            /* Anti-replay window in packets (0: none; inbound). */
    uint64_t seq_start; /* Outbound: the sequence number of its first packet (0: 1). Inbound:
                         * the highest one taken as received already (0: none): older ones
                         * than the window are replays. A node taking over its pair's tunnels
                         * starts past its peer's (gateway/cluster/). Below 2^32 without ESN. */
    struct dp_esp_ts local_ts[DP_ESP_TS_MAX];  /* Our side's selectors (inbound: the inner dst). */
    uint8_t n_local_ts;                        /* Entries in local_ts (0: any). */
    struct dp_esp_ts remote_ts[DP_ESP_TS_MAX]; /* The peer's selectors (inbound: the inner src). */
    uint8_t n_remote_ts;                       /* Entries in remote_ts (0: any). */
};

/* An SA's traffic, summed over workers. */
struct dp_esp_sa_stats {
    uint64_t bytes;     /* Inner (plaintext) bytes processed. */
    uint64_t packets;   /* Packets processed. */
    uint64_t last_used; /* rte_get_tsc_cycles() of the last packet, 0 if none (approximate). */
    uint64_t drops;     /* Packets dropped on this SA (auth, replay, selectors). */
};

/* Allocates an inbound SPI no other SA or allocation on the node uses (0x100..0xffffffff).
 * The allocation is held until dp_esp_sa_add() uses it or dp_esp_spi_release() frees it. */
int dp_esp_spi_alloc(struct dp *dp, uint32_t *spi);
void dp_esp_spi_release(struct dp *dp, uint32_t spi);

/* Installs an SA. EEXIST if its SPI is in use by an SA; EINVAL for a bad key or cipher; ENOSPC
 * when DP_ESP_SA_MAX are installed; ENOTSUP when no crypto device serves the cipher. An outbound SA
 * becomes its reqid's current one. */
int dp_esp_sa_add(struct dp *dp, const struct dp_esp_sa *sa);

/* Moves an SA to new tunnel addresses and NAT-T ports (MOBIKE, NAT rebinding). ENOENT if none. */
int dp_esp_sa_update(struct dp *dp, uint32_t spi, uint32_t local, uint32_t remote,
                     uint16_t encap_local_port, uint16_t encap_remote_port);

/* Removes an SA; its memory is reused after the workers' grace period. ENOENT if none. */
int dp_esp_sa_del(struct dp *dp, uint32_t spi);

/* Reads an SA's counters. ENOENT if none. */
int dp_esp_sa_query(struct dp *dp, uint32_t spi, struct dp_esp_sa_stats *out);

/* An SA's sequence numbers, for an active/passive pair's sync. */
struct dp_esp_sa_seq {
    bool inbound;           /* Direction. */
    uint64_t seq;           /* Outbound: the highest sequence number given to a packet so far
                             * (from the packets counted: exact when none is being encrypted,
                             * else up to a burst per worker behind). Inbound: the highest
                             * authenticated (its low 32 bits with ESN), or seq_start if higher. */
    uint32_t replay_window; /* Inbound: the anti-replay window. */
};

/* Reads the sequence numbers of SA 'spi'. ENOENT if none. */
int dp_esp_sa_seq(struct dp *dp, uint32_t spi, struct dp_esp_sa_seq *out);

/* For a node taking over its pair's tunnel: makes outbound SA 'spi' go on from sequence number
 * 'next' (the peer's last synced number and a margin), or moves inbound SA 'spi's replay window
 * up to 'next' (the peer's highest received: below the window is a replay; the window itself
 * starts empty). Keys, addresses and counters stay. The SA is rebuilt and swapped under RCU:
 * packets being handled meanwhile use the old one. ENOENT if none; EINVAL for a 'next' not above
 * the numbers used (received) so far, or past 2^32 without ESN. */
int dp_esp_sa_seq_jump(struct dp *dp, uint32_t spi, uint64_t next);

/* Calls 'fn' for every installed SA (keys are not shown to it: key fields are zeroed). */
void dp_esp_sa_iterate(struct dp *dp,
                       bool (*fn)(const struct dp_esp_sa *sa, const struct dp_esp_sa_stats *st,
                                  void *aux),
                       void *aux);

/* Declares a local tunnel address: ESP and UDP 4500 to it are the ESP stage's, and IKE (UDP 500,
 * and UDP 4500 with a zero marker) to it is punted to the exception port of routing domain 0. */
int dp_esp_local_add(struct dp *dp, uint32_t addr);
int dp_esp_local_del(struct dp *dp, uint32_t addr);

#endif
