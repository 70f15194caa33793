/* SPDX-License-Identifier: Apache-2.0 */
/* ESP internals shared by esp.c (tables, crypto devices, control) and stage_esp.c (packets). */
#ifndef HNVGW_ESP_INTERNAL_H
#define HNVGW_ESP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ipsec.h>
#include <rte_spinlock.h>

#include "dp.h"

struct dp;
struct dp_worker;
struct rte_mbuf;
struct rcu_table;

#define ESP_LOCAL_MAX 256 /* Local tunnel addresses of one node. */
/* The most ESP adds to an inner packet: outer IPv4 20, UDP 8, ESP 8, IV 16 (CBC), padding 15,
 * trailer 2, ICV 16; rounded up to a multiple of 8, so that fragments stay 8-byte aligned. */
#define DP_ESP_OVERHEAD_MAX 88

/* One worker's traffic on one SA; a cache line of its own. */
struct esp_sa_worker {
    uint64_t bytes;    /* Inner bytes. */
    uint64_t packets;  /* Packets. */
    uint64_t drops;    /* Packets dropped on this SA. */
    uint64_t last_tsc; /* The last packet's time stamp. */
} __attribute__((aligned(64)));

/* An installed SA. Immutable once published, except the counters and the replay state inside
 * the rte_ipsec SA; a dp_esp_sa_update() publishes a new one. */
struct esp_sa {
    struct dp_esp_sa conf;       /* As installed, keys zeroed. */
    uint64_t seq_installed;      /* Install order: the newest outbound SA of a reqid wins. */
    struct rte_ipsec_sa *ipsec;  /* rte_ipsec's SA: sequence numbers, replay window. */
    struct rte_ipsec_session ss; /* Its CPU-crypto session. */
    void *crypto_ses;            /* The cryptodev session. */
    uint8_t crypto_dev;          /* The device that serves it. */
    uint16_t overhead;           /* Outer bytes over the inner packet at most. */
    uint32_t highest_seq;        /* Highest sequence number authenticated (inbound): tells
                                  * a replay from a forgery among failures. */
    uint64_t seq_first;          /* Outbound: the number rte_ipsec gave its first packet;
                                  * inbound: the replay window's first top. */
    uint64_t seq_count0;         /* Outbound: packets and drops counted before seq_first
                                  * took effect (dp_esp_sa_seq_jump() keeps the counters). */
    uint32_t salt;               /* AES-GCM: the salt (the keys are not kept). */
    rte_spinlock_t inbound_lock; /* rte_ipsec wants one thread at a time processing an
                                  * inbound SA; its packets share one outer 5-tuple, so
                                  * they normally come to one worker and it never spins. */
    struct esp_sa_worker st[DP_MAX_WORKERS]; /* Per-worker counters. */
    uint8_t outer[28];                       /* Outbound: the outer IPv4 header template. */
};

/* The ESP state of a node. */
struct esp {
    struct rcu_table *by_spi;      /* SPI -> struct esp_sa * (every SA). */
    struct rcu_table *by_reqid;    /* reqid -> struct esp_sa * (the current outbound SA). */
    struct esp_sa **sas;           /* Installed SAs (control thread's list), DP_ESP_SA_MAX. */
    uint32_t n_sas;                /* Entries in sas. */
    uint64_t install_seq;          /* Next seq_installed. */
    uint32_t *held_spis;           /* SPIs allocated and not yet installed. */
    uint32_t n_held;               /* Entries in held_spis. */
    uint32_t local[ESP_LOCAL_MAX]; /* Local tunnel addresses; workers read n_local first. */
    uint32_t n_local;              /* Entries in local (atomic). */
    struct rte_mempool *ses_pool;  /* Cryptodev sessions. */
    int dev_gcm;                   /* Crypto device for AES-GCM, -1 if none. */
    int dev_cbc;                   /* Crypto device for AES-CBC + HMAC-SHA-256, -1 if none. */
};

/* Creates dp->esp when dp->params.max_esp_sas is set (crypto devices included). 0 or errno. */
int esp_create(struct dp *dp, char *err);
/* Frees dp->esp and everything it holds. Accepts a dp without ESP. */
void esp_destroy(struct dp *dp);

/* True when 'addr' is one of the node's local tunnel addresses. */
static inline bool
esp_is_local(const struct esp *esp, uint32_t addr)
{
    uint32_t n;

    if (!esp) {
        return false;
    }
    n = __atomic_load_n(&esp->n_local, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < n; i++) {
        if (esp->local[i] == addr) {
            return true;
        }
    }
    return false;
}

/* stage_esp.c: the IPv4 packet at m's data (L2 removed, trimmed to its length) is addressed to a
 * local tunnel address: ESP is decrypted and routed in its SA's tenant, IKE goes to the IKE
 * compartment, ping is answered, the rest dropped. Consumes m. */
void dp_esp_input(struct dp_worker *w, struct rte_mbuf *m);

/* stage_esp.c: dp_esp_input() for a burst (n <= DP_BURST): packets of one SA that arrive
 * together are authenticated and decrypted in one rte_ipsec call, and routed in bulk. Consumes
 * the packets. */
void dp_esp_input_burst(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n);

/* stage_esp.c: encrypts the IPv4 packet at m's data (routed in 'tenant' to DP_NH_IPSEC 'reqid')
 * with the tunnel's current outbound SA and sends it out of the external port. Consumes m. */
void dp_esp_output(struct dp_worker *w, struct rte_mbuf *m, uint16_t tenant, uint32_t reqid);

/* stage_esp.c: sends an IPv4 packet from the IKE compartment (routing domain 0's exception port)
 * out of the external port. Consumes m. */
void dp_esp_ike_output(struct dp_worker *w, struct rte_mbuf *m);

#endif
