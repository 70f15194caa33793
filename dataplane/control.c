/* SPDX-License-Identifier: Apache-2.0 */
/* The control thread's share of the data plane: ARP on the provider and external ports (learning,
 * answering for our own addresses, resolving next hops while holding the packets that wait for
 * them), VRRP adverts for the pair's election (ha.c), neighbor aging and RCU reclamation. It
 * transmits through worker 0's tx queues.
 *
 * Waking the control thread (dp_control_fd()): the control thread sleeps in its event loop, so a
 * punt must wake it, but a syscall per punted packet would slow a punt storm down. The protocol is
 * Dekker's: after draining the ring the control thread sets dp->control_armed, then (full fence)
 * looks at the ring again; a worker enqueues, then (full fence) looks at control_armed and, if it
 * is set, clears it and writes the eventfd. Either the control thread sees the packet or the worker
 * sees the flag, so no punt is left waiting, and there is one write per wake-up. */
#include "dp_internal.h"

#include <unistd.h>

/* Wakes the control thread if it drained the ring and may be asleep. Any thread. */
static void
control_wake(struct dp *dp)
{
    uint64_t one = 1;

    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* The enqueue before the look at the flag. */
    if (__atomic_load_n(&dp->control_armed, __ATOMIC_RELAXED) &&
        __atomic_exchange_n(&dp->control_armed, 0, __ATOMIC_ACQ_REL)) {
        /* Cannot fail short of a bad fd: the counter is far from overflowing. */
        ssize_t n = write(dp->control_fd, &one, sizeof one);
        (void)n;
    }
}

void
dp_punt(struct dp_worker *w, struct rte_mbuf *m, enum dp_punt_reason reason, uint16_t port,
        uint32_t nh_ip)
{
    struct dp_mbuf_priv *priv = rte_mbuf_to_priv(m);

    priv->reason = reason;
    priv->out_port = port;
    priv->nh_ip = nh_ip;
    if (rte_ring_mp_enqueue(w->dp->punt, m) != 0) {
        dp_drop(w, m, reason == DP_PUNT_VRRP ? DP_provider_vrrp_punt_full : DP_tx_neigh_queue_full);
        return;
    }
    control_wake(w->dp);
}

int
dp_control_fd(const struct dp *dp)
{
    return dp->control_fd;
}

void
dp_ctl_tx_wake(struct dp *dp)
{
    uint64_t one = 1;

    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* The enqueue before the look at the flag. */
    if (__atomic_load_n(&dp->ctl_tx_asleep, __ATOMIC_RELAXED) &&
        __atomic_exchange_n(&dp->ctl_tx_asleep, 0, __ATOMIC_ACQ_REL)) {
        ssize_t n = write(dp->ctl_tx_fd, &one, sizeof one);
        (void)n;
    }
}

/* Sends one frame on 'port' through worker 0's queue (the control thread owns no tx queue). */
static void
control_tx(struct dp *dp, struct rte_mbuf *m, uint16_t port)
{
    ((struct dp_mbuf_priv *)rte_mbuf_to_priv(m))->out_port = port;
    if (rte_ring_sp_enqueue(dp->ctl_tx, m) != 0) {
        dp->control_stats.drop[DP_tx_port_full]++;
        rte_pktmbuf_free(m);
        return;
    }
    dp_ctl_tx_wake(dp);
}

/* True when 'ip' is one of the addresses 'port' answers ARP for in the node's role (ha.h). A
 * standalone node answers its PAs on the provider port; a pair's node also its own (per-node)
 * provider address, and a passive one that alone: every other address is virtual, the active
 * node's to answer. */
static bool
port_owns(const struct dp *dp, const struct dp_port *port, uint32_t ip)
{
    enum dp_ha_role role = dp_ha_role_now(dp);

    if (role == DP_HA_PASSIVE) {
        return port->conf.kind == DP_PORT_PROVIDER && ip && ip == port->conf.ip &&
               !dp_is_my_pa(dp, ip);
    }
    if (port->conf.kind == DP_PORT_PROVIDER) {
        return dp_is_my_pa(dp, ip) || (role == DP_HA_ACTIVE && ip && ip == port->conf.ip);
    }
    if (port->conf.kind == DP_PORT_EXTERNAL && dp->nat && nat_ip_index(dp->nat, ip) >= 0) {
        return true; /* A NAT public address on the uplink's own network. */
    }
    if (port->conf.kind == DP_PORT_EXTERNAL && esp_is_local(dp->esp, ip)) {
        return true; /* A tunnel address, likewise. */
    }
    return port->conf.ip == ip;
}

/* The sender address of our ARP requests on 'port'. A passive node must not claim a virtual
 * address: hosts would move it to this node (it asks from its own provider address, or as a probe
 * from 0.0.0.0, RFC 5227, which no one learns from). */
static uint32_t
arp_sender(const struct dp *dp, const struct dp_port *port)
{
    if (dp_ha_role_now(dp) == DP_HA_PASSIVE) {
        return port->conf.kind == DP_PORT_PROVIDER && !dp_is_my_pa(dp, port->conf.ip)
                   ? port->conf.ip
                   : 0;
    }
    return port->conf.kind == DP_PORT_PROVIDER && dp->params.n_pas ? dp->params.pas[0]
                                                                   : port->conf.ip;
}

static struct dp_neigh_pending *
pending_find(struct dp *dp, uint16_t port, uint32_t ip)
{
    for (unsigned i = 0; i < DP_PENDING_MAX; i++) {
        struct dp_neigh_pending *p = &dp->pending[i];
        if (p->used && p->key.port == port && p->key.ip == ip) {
            return p;
        }
    }
    return NULL;
}

/* Sends an ARP request for 'ip' on 'port'. */
static void
arp_request(struct dp *dp, uint16_t port_id, uint32_t ip)
{
    const struct dp_port *port = &dp->ports[port_id];
    struct rte_mbuf *m = dp_arp_request_build(dp, port, arp_sender(dp, port), ip);

    if (m) {
        control_tx(dp, m, port_id);
    }
}

/* Releases a pending entry: sends its held packets to 'mac', or drops them when mac is NULL. */
static void
pending_release(struct dp *dp, struct dp_neigh_pending *p, const struct rte_ether_addr *mac)
{
    for (unsigned i = 0; i < p->n; i++) {
        struct rte_mbuf *m = p->held[i];
        if (mac && dp_l2_prepend(m, &dp->ports[p->key.port], mac, RTE_ETHER_TYPE_IPV4)) {
            control_tx(dp, m, p->key.port);
        } else {
            dp->control_stats.drop[DP_tx_neigh_queue_full]++;
            rte_pktmbuf_free(m);
        }
    }
    memset(p, 0, sizeof *p);
}

/* Records 'ip' -> 'mac' on 'port' and releases packets waiting for it. */
static void
neigh_learn(struct dp *dp, uint16_t port, uint32_t ip, const struct rte_ether_addr *mac)
{
    struct dp_neigh_key k = {.port = port, .ip = ip};
    const struct dp_neigh *cur = rcu_table_lookup(dp->neighbors, &k);
    struct dp_neigh_pending *p;

    if (cur && cur->learned_tsc == 0) {
        return; /* Static entries are not overridden by what the wire says. */
    }
    if (!cur || !rte_is_same_ether_addr(&cur->mac, mac) ||
        rte_rdtsc() - cur->learned_tsc > rte_get_tsc_hz()) {
        struct dp_neigh n = {.mac = *mac, .learned_tsc = rte_rdtsc()};
        rcu_table_set(dp->neighbors, &k, &n);
        __atomic_fetch_add(&dp->neigh_gen, 1, __ATOMIC_RELEASE);
    }
    p = pending_find(dp, port, ip);
    if (p) {
        pending_release(dp, p, mac);
    }
}

bool
dp_addr_is_own(const struct dp *dp, uint16_t port_id, uint32_t ip)
{
    const struct dp_port *port;

    if (dp_is_my_pa(dp, ip)) {
        return true;
    }
    if (port_id >= DP_MAX_PORTS || !dp->ports[port_id].used) {
        return false;
    }
    port = &dp->ports[port_id];
    if (ip && ip == port->conf.ip) {
        return true;
    }
    return port->conf.kind == DP_PORT_EXTERNAL &&
           ((dp->nat && nat_ip_index(dp->nat, ip) >= 0) || esp_is_local(dp->esp, ip));
}

/* True when 'ip' is another host of 'port''s network: what ARP learning accepts as a sender,
 * less the network and broadcast addresses of a prefix that has them (not /31, RFC 3021). */
static bool
neigh_is_host(const struct dp_port *port, uint32_t ip)
{
    uint32_t host = ip & ~port->mask;

    if (!ip || !port->conf.ip || ((ip ^ port->conf.ip) & port->mask)) {
        return false;
    }
    return port->conf.plen > 30 || (host != 0 && host != ~port->mask);
}

int
dp_neigh_learn(struct dp *dp, uint16_t port_id, uint32_t ip, const uint8_t mac[6], unsigned age_s)
{
    struct dp_neigh_key k = {.port = port_id, .ip = ip};
    const struct dp_neigh *cur;
    struct dp_neigh_pending *p;
    struct dp_neigh n;
    uint64_t now = rte_rdtsc(), back;
    const struct dp_port *port;

    if (port_id >= DP_MAX_PORTS || !dp->ports[port_id].used ||
        (dp->ports[port_id].conf.kind != DP_PORT_PROVIDER &&
         dp->ports[port_id].conf.kind != DP_PORT_EXTERNAL)) {
        return ENODEV;
    }
    port = &dp->ports[port_id];
    memcpy(n.mac.addr_bytes, mac, sizeof n.mac.addr_bytes);
    if (!neigh_is_host(port, ip) || rte_is_zero_ether_addr(&n.mac) ||
        rte_is_multicast_ether_addr(&n.mac)) {
        return EINVAL;
    }
    if (dp_addr_is_own(dp, port_id, ip)) {
        return EADDRINUSE;
    }
    if (age_s >= dp->params.arp_timeout_s) {
        return ESTALE;
    }
    /* Confirmed age_s ago on this node's clock; never 0, which marks a static entry. */
    back = (uint64_t)age_s * rte_get_tsc_hz();
    n.learned_tsc = now > back ? now - back : 1;
    cur = rcu_table_lookup(dp->neighbors, &k);
    if (cur && cur->learned_tsc == 0) {
        return EPERM;
    }
    if (cur && cur->learned_tsc >= n.learned_tsc) {
        return EALREADY;
    }
    if (rcu_table_set(dp->neighbors, &k, &n)) {
        return ENOSPC;
    }
    __atomic_fetch_add(&dp->neigh_gen, 1, __ATOMIC_RELEASE);
    p = pending_find(dp, port_id, ip);
    if (p) {
        pending_release(dp, p, &n.mac);
    }
    return 0;
}

uint32_t
dp_neigh_generation(const struct dp *dp)
{
    return __atomic_load_n(&dp->neigh_gen, __ATOMIC_ACQUIRE);
}

/* Handles a punted ARP frame: learns from it and answers requests for our own addresses. */
static void
control_arp(struct dp *dp, struct rte_mbuf *m)
{
    uint16_t port_id = m->port;
    const struct dp_port *port = &dp->ports[port_id];
    struct rte_arp_hdr *arp;
    bool vlan_bad;
    uint32_t sip, tip;
    enum dp_drop bad =
        port->conf.kind == DP_PORT_PROVIDER ? DP_provider_bad_arp : DP_external_bad_arp;

    if (dp_l2_strip(m, port, &vlan_bad) != RTE_ETHER_TYPE_ARP ||
        rte_pktmbuf_data_len(m) < sizeof *arp) {
        dp->control_stats.drop[bad]++;
        rte_pktmbuf_free(m);
        return;
    }
    arp = rte_pktmbuf_mtod(m, struct rte_arp_hdr *);
    sip = arp->arp_data.arp_sip;
    tip = arp->arp_data.arp_tip;
    if (!dp_arp_is_ether_ipv4(arp) || rte_is_multicast_ether_addr(&arp->arp_data.arp_sha)) {
        dp->control_stats.drop[bad]++;
        rte_pktmbuf_free(m);
        return;
    }
    /* Learn only on-link senders, and only when the ARP concerns us or updates a known entry:
     * a stranger's ARP must not fill the cache. */
    if (sip && ((sip ^ port->conf.ip) & port->mask) == 0) {
        struct dp_neigh_key k = {.port = port_id, .ip = sip};
        if (port_owns(dp, port, tip) || rcu_table_lookup(dp->neighbors, &k) ||
            pending_find(dp, port_id, sip)) {
            neigh_learn(dp, port_id, sip, &arp->arp_data.arp_sha);
        }
    }
    if (arp->arp_opcode == rte_cpu_to_be_16(RTE_ARP_OP_REQUEST) && port_owns(dp, port, tip)) {
        struct rte_ether_addr requester = arp->arp_data.arp_sha;
        arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
        arp->arp_data.arp_tha = requester;
        arp->arp_data.arp_tip = sip;
        arp->arp_data.arp_sha = port->mac;
        arp->arp_data.arp_sip = tip;
        if (dp_l2_prepend(m, port, &requester, RTE_ETHER_TYPE_ARP)) {
            dp->control_stats
                .counter[port->conf.kind == DP_PORT_PROVIDER ? DP_provider_arp_replied
                                                             : DP_external_arp_replied]++;
            control_tx(dp, m, port_id);
            return;
        }
    }
    rte_pktmbuf_free(m);
}

/* Holds a packet whose next hop has no MAC yet and asks for it. */
static void
control_neigh_miss(struct dp *dp, struct rte_mbuf *m)
{
    struct dp_mbuf_priv *priv = rte_mbuf_to_priv(m);
    struct dp_neigh_key k = {.port = priv->out_port, .ip = priv->nh_ip};
    const struct dp_neigh *n = rcu_table_lookup(dp->neighbors, &k);
    struct dp_neigh_pending *p;

    if (n) { /* Resolved since the worker looked. */
        if (dp_l2_prepend(m, &dp->ports[k.port], &n->mac, RTE_ETHER_TYPE_IPV4)) {
            control_tx(dp, m, k.port);
        } else {
            rte_pktmbuf_free(m);
        }
        return;
    }
    p = pending_find(dp, k.port, k.ip);
    if (!p) {
        for (unsigned i = 0; i < DP_PENDING_MAX && !p; i++) {
            if (!dp->pending[i].used) {
                p = &dp->pending[i];
            }
        }
        if (!p) {
            dp->control_stats.drop[DP_tx_neigh_queue_full]++;
            rte_pktmbuf_free(m);
            return;
        }
        p->used = true;
        p->key = k;
        p->tries = 1;
        p->last_request_tsc = rte_rdtsc();
        arp_request(dp, k.port, k.ip);
    }
    if (p->n == DP_NEIGH_HOLD) {
        dp->control_stats.drop[DP_tx_neigh_queue_full]++;
        rte_pktmbuf_free(m);
        return;
    }
    p->held[p->n++] = m;
}

/* Re-asks unresolved neighbors once a second and gives up after three tries. */
static void
pending_retry(struct dp *dp, uint64_t now)
{
    for (unsigned i = 0; i < DP_PENDING_MAX; i++) {
        struct dp_neigh_pending *p = &dp->pending[i];
        /* 'now' may predate a request sent during this very poll: never retry early. */
        if (!p->used || now < p->last_request_tsc || now - p->last_request_tsc < rte_get_tsc_hz()) {
            continue;
        }
        if (p->tries >= 3) {
            pending_release(dp, p, NULL);
            continue;
        }
        p->tries++;
        p->last_request_tsc = now;
        arp_request(dp, p->key.port, p->key.ip);
    }
}

/* Collects expired learned neighbors (static ones never expire). */
struct neigh_age {
    struct dp_neigh_key expired[256]; /* Keys to delete. */
    unsigned n;                       /* Entries in expired. */
    uint64_t now;                     /* Current TSC. */
    uint64_t lifetime;                /* Lifetime in TSC cycles. */
};

static bool
neigh_age_cb(const void *key, const void *val, void *aux)
{
    const struct dp_neigh *n = val;
    struct neigh_age *a = aux;

    if (n->learned_tsc && a->now - n->learned_tsc > a->lifetime) {
        memcpy(&a->expired[a->n++], key, sizeof a->expired[0]);
    }
    return a->n < RTE_DIM(a->expired);
}

/* Handles every punted packet, then arms the wake-up (see the top of the file). */
static void
punt_drain(struct dp *dp)
{
    struct rte_mbuf *pkts[DP_BURST];
    uint64_t count;
    unsigned n;

    /* Consume the wake-up first: a punt after this point writes the eventfd again or is seen by
     * the drain below. */
    if (read(dp->control_fd, &count, sizeof count) < 0) {
        count = 0; /* EAGAIN: woken by the timer, or nothing written. */
    }
    do {
        __atomic_store_n(&dp->control_armed, 0, __ATOMIC_RELAXED); /* Awake: no writes needed. */
        while ((n = rte_ring_sc_dequeue_burst(dp->punt, (void **)pkts, DP_BURST, NULL)) > 0) {
            for (unsigned i = 0; i < n; i++) {
                struct dp_mbuf_priv *priv = rte_mbuf_to_priv(pkts[i]);
                switch (priv->reason) {
                case DP_PUNT_ARP:
                    control_arp(dp, pkts[i]);
                    break;
                case DP_PUNT_VRRP:
                    dp_ha_vrrp_input(dp, pkts[i]);
                    break;
                default:
                    control_neigh_miss(dp, pkts[i]);
                    break;
                }
            }
        }
        __atomic_store_n(&dp->control_armed, 1, __ATOMIC_RELAXED);
        __atomic_thread_fence(__ATOMIC_SEQ_CST); /* The flag before the look at the ring. */
    } while (!rte_ring_empty(dp->punt));
}

void
dp_control_poll(struct dp *dp)
{
    uint64_t now = rte_rdtsc();

    punt_drain(dp);
    pending_retry(dp, now);
    if (now - dp->last_age_tsc > rte_get_tsc_hz()) {
        struct neigh_age a = {.now = now,
                              .lifetime = (uint64_t)dp->params.arp_timeout_s * rte_get_tsc_hz()};
        dp->last_age_tsc = now;
        rcu_table_iterate(dp->neighbors, neigh_age_cb, &a);
        for (unsigned i = 0; i < a.n; i++) {
            rcu_table_del(dp->neighbors, &a.expired[i]);
        }
        if (a.n) {
            __atomic_fetch_add(&dp->neigh_gen, 1, __ATOMIC_RELEASE);
        }
    }
    rcu_table_reclaim(dp->lookups);
    rcu_table_reclaim(dp->subnets);
    rcu_table_reclaim(dp->neighbors);
}

int
dp_neigh_set_static(struct dp *dp, uint16_t port, uint32_t ip, const uint8_t mac[6])
{
    struct dp_neigh_key k = {.port = port, .ip = ip};
    struct dp_neigh n = {.learned_tsc = 0};

    memcpy(n.mac.addr_bytes, mac, 6);
    int ret = rcu_table_set(dp->neighbors, &k, &n);
    __atomic_fetch_add(&dp->neigh_gen, 1, __ATOMIC_RELEASE);
    return ret;
}

/* Adapter from rcu_table_iterate() to the caller's neighbor callback. */
struct neigh_iter {
    bool (*fn)(uint16_t, uint32_t, const uint8_t *, unsigned, void *); /* Caller's callback. */
    void *aux;                                                         /* Its argument. */
};

static bool
neigh_iter_cb(const void *key, const void *val, void *aux)
{
    const struct dp_neigh_key *k = key;
    const struct dp_neigh *n = val;
    struct neigh_iter *it = aux;
    unsigned age =
        n->learned_tsc ? (unsigned)((rte_rdtsc() - n->learned_tsc) / rte_get_tsc_hz()) : UINT32_MAX;

    return it->fn(k->port, k->ip, n->mac.addr_bytes, age, it->aux);
}

void
dp_neigh_iterate(struct dp *dp, bool (*fn)(uint16_t, uint32_t, const uint8_t *, unsigned, void *),
                 void *aux)
{
    struct neigh_iter it = {fn, aux};
    rcu_table_iterate(dp->neighbors, neigh_iter_cb, &it);
}
