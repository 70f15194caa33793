/* SPDX-License-Identifier: Apache-2.0 */
/* What a node's "cluster" section (inside "node") configures: the election (VRRPv3, RFC 5798, on
 * the provider network) and the state-sync channel (UDP over a kernel interface). The config
 * loader (gateway/config/cluster.c) fills it, fully validated; the election (gateway/cluster/
 * cluster.c) and the sync channel (gateway/cluster/sync.c) run from it.
 *
 * The struct owns no memory (it is copied with the config by value) and is zeroed before it is
 * filled. */
#ifndef HNVGW_CLUSTER_CONFIG_H
#define HNVGW_CLUSTER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "dataplane/addr.h"

#define CLUSTER_SECRET_MIN           16   /* Bytes of the shared secret, at least. */
#define CLUSTER_SECRET_MAX           256  /* Bytes of the shared secret, at most. */
#define CLUSTER_PATH_LEN             256  /* secret_file, resolved, including the NUL. */
#define CLUSTER_DEFAULT_PRIORITY     100  /* keepalived's and RFC 5798's default. */
#define CLUSTER_DEFAULT_ADVERT_MS    100  /* A dead master is then declared in about 0.35 s. */
#define CLUSTER_DEFAULT_SYNC_PORT    4797 /* UDP port of the sync channel, both ends. */
#define CLUSTER_DEFAULT_SWITCHOVER_S 60   /* How long a switchover holds preemption back. */

/* A node's cluster section. Without one ('enabled' false) the node is standalone. */
struct config_cluster {
    bool enabled;                 /* The section is present: the node is one of a pair. */
    uint8_t vrid;                 /* VRRP virtual router id, 1..255, the same on both nodes. */
    uint8_t priority;             /* This node's VRRP priority, 1..254 (the higher wins). */
    bool preempt;                 /* A backup of higher priority takes over from a live master. */
    uint16_t advert_interval_ms;  /* VRRP advert interval, 10..1000 ms, a multiple of 10. */
    uint32_t switchover_hold_s;   /* After "cluster switchover", the seconds during which this
                                   * node does not preempt, 0..86400. */
    struct hnvgw_ip peer;         /* The peer's sync address (IPv4). */
    struct hnvgw_ip sync_address; /* This node's sync address (IPv4), on a kernel interface. */
    uint16_t sync_port;           /* UDP port of the sync channel, 1..65535. */
    uint8_t secret[CLUSTER_SECRET_MAX]; /* The shared secret of the sync channel (key material,
                                         * not a string: any bytes). */
    size_t secret_len;                  /* Bytes of 'secret', CLUSTER_SECRET_MIN..MAX. */
    char secret_file[CLUSTER_PATH_LEN]; /* Where 'secret' was read from (resolved against the
                                         * config's folder), or "" for an inline secret. */
    int line;                           /* Line of the section, for diagnostics. */
};

/* True when going from 'a' to 'b' needs a restart: anything but priority, preempt and
 * switchover_hold, which the election takes on the fly (cluster_reconfigure()), and the line. */
static inline bool
cluster_restart_needed(const struct config_cluster *a, const struct config_cluster *b)
{
    return a->enabled != b->enabled || a->vrid != b->vrid ||
           a->advert_interval_ms != b->advert_interval_ms || !hnvgw_ip_equal(&a->peer, &b->peer) ||
           !hnvgw_ip_equal(&a->sync_address, &b->sync_address) || a->sync_port != b->sync_port ||
           a->secret_len != b->secret_len || memcmp(a->secret, b->secret, a->secret_len) ||
           strcmp(a->secret_file, b->secret_file);
}

#endif
