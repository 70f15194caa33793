/* SPDX-License-Identifier: Apache-2.0 */
/* High availability in the data plane (ha.h): the node's role, VRRP in and out, gratuitous ARP.
 *
 * The role is one word in struct dp. Each worker loads it once per poll round into
 * dp_worker.ha_passive (dp_ha_worker_sync()), so that the forwarding path tests a byte of its own
 * worker, once per burst on the provider port, and a packet is handled under one role from start
 * to end. dp_ha_set_role() waits for every worker to pass a quiescent state, so that when it
 * returns no worker forwards under the old role any more.
 *
 * What a passive node refuses is decided where each port's input begins: stage_provider.c (IPv4
 * to a PA), stage_external.c (everything but ARP) and stage_exception.c (everything the
 * compartments send but their ARP, which the data plane answers itself); control.c decides which
 * ARP requests are answered. VRRP is punted by stage_provider.c in every role.
 *
 * The frames of this file (VRRP adverts, gratuitous ARP) leave through dp->ctl_tx and worker 0,
 * like the control thread's ARP requests. */
#include <errno.h>
#include <stdio.h>

#include "dp_internal.h"
#include "ha.h"

#define HA_FRAME_MAX 1514 /* An untagged Ethernet frame of 1500 bytes of payload. */

int
dp_ha_set_role(struct dp *dp, enum dp_ha_role role)
{
    if (role != DP_HA_STANDALONE && role != DP_HA_ACTIVE && role != DP_HA_PASSIVE) {
        return EINVAL;
    }
    if (dp_ha_role_now(dp) == role) {
        return 0;
    }
    __atomic_store_n(&dp->ha_role, (uint32_t)role, __ATOMIC_RELEASE);
    /* Each worker takes the role at the top of its next round; a sleeping (offline) worker takes
     * it when it wakes. Once all passed a quiescent state, none runs under the old one. */
    rte_rcu_qsbr_synchronize(dp->qsbr, RTE_QSBR_THRID_INVALID);
    return 0;
}

enum dp_ha_role
dp_ha_role(const struct dp *dp)
{
    return dp_ha_role_now(dp);
}

const char *
dp_ha_role_name(enum dp_ha_role role)
{
    switch (role) {
    case DP_HA_STANDALONE:
        return "standalone";
    case DP_HA_ACTIVE:
        return "active";
    case DP_HA_PASSIVE:
        return "passive";
    }
    return "unknown";
}

/* Queues m for worker 0 to send on 'port'. Returns 0, or ENOBUFS (m freed) when the ring is
 * full. */
static int
ha_queue(struct dp *dp, struct rte_mbuf *m, uint16_t port)
{
    ((struct dp_mbuf_priv *)rte_mbuf_to_priv(m))->out_port = port;
    if (rte_ring_sp_enqueue(dp->ctl_tx, m) != 0) {
        rte_pktmbuf_free(m);
        return ENOBUFS;
    }
    dp_ctl_tx_wake(dp);
    return 0;
}

/* The virtual addresses of one port, each once. */
struct ha_addrs {
    uint32_t ip[DP_MAX_PAS + 1 + DP_NAT_IPS_MAX + ESP_LOCAL_MAX]; /* The addresses. */
    unsigned n;                                                   /* Entries in ip. */
};

/* Adds 'ip' to 'a' unless it is 0 or there already. */
static void
ha_addrs_add(struct ha_addrs *a, uint32_t ip)
{
    if (!ip) {
        return;
    }
    for (unsigned i = 0; i < a->n; i++) {
        if (a->ip[i] == ip) {
            return;
        }
    }
    if (a->n < RTE_DIM(a->ip)) {
        a->ip[a->n++] = ip;
    }
}

/* Sends a gratuitous ARP for each address of 'a' on 'port_id'; adds the number queued to '*sent'.
 * Returns 0 or EAGAIN. */
static int
ha_garp(struct dp *dp, int port_id, const struct ha_addrs *a, unsigned *sent)
{
    for (unsigned i = 0; port_id >= 0 && i < a->n; i++) {
        const struct dp_port *port = &dp->ports[port_id];
        struct rte_mbuf *m = dp_arp_request_build(dp, port, a->ip[i], a->ip[i]);

        if (!m || ha_queue(dp, m, (uint16_t)port_id) != 0) {
            return EAGAIN;
        }
        dp->control_stats.counter[DP_ha_garp_sent]++;
        (*sent)++;
    }
    return 0;
}

int
dp_ha_announce(struct dp *dp, unsigned *sent)
{
    struct ha_addrs provider = {.n = 0}, external = {.n = 0};
    unsigned n = 0;
    int ret;

    /* Where control.c answers them: the PAs on the provider port; the uplink's address, the NAT
     * public addresses and the tunnel addresses on the external port. */
    for (unsigned i = 0; i < dp->params.n_pas; i++) {
        ha_addrs_add(&provider, dp->params.pas[i]);
    }
    if (dp->external_port >= 0) {
        ha_addrs_add(&external, dp->ports[dp->external_port].conf.ip);
        for (unsigned i = 0; dp->nat && i < dp->nat->n_ips; i++) {
            ha_addrs_add(&external, dp->nat->ips[i].ip);
        }
        for (unsigned i = 0; dp->esp && i < __atomic_load_n(&dp->esp->n_local, __ATOMIC_ACQUIRE);
             i++) {
            ha_addrs_add(&external, dp->esp->local[i]);
        }
    }
    ret = ha_garp(dp, dp->provider_port, &provider, &n);
    if (!ret) {
        ret = ha_garp(dp, dp->external_port, &external, &n);
    }
    if (sent) {
        *sent = n;
    }
    return ret;
}

void
dp_ha_set_vrrp_handler(struct dp *dp, dp_ha_vrrp_fn *fn, void *aux)
{
    dp->vrrp_fn = fn;
    dp->vrrp_aux = fn ? aux : NULL;
}

void
dp_ha_vrrp_input(struct dp *dp, struct rte_mbuf *m)
{
    const struct dp_port *port = &dp->ports[m->port];
    uint8_t *frame;

    if (!dp->vrrp_fn) {
        dp->control_stats.drop[DP_ha_vrrp_no_handler]++;
        rte_pktmbuf_free(m);
        return;
    }
    if (rte_pktmbuf_linearize(m) != 0) {
        dp->control_stats.drop[DP_ha_vrrp_bad]++;
        rte_pktmbuf_free(m);
        return;
    }
    frame = rte_pktmbuf_mtod(m, uint8_t *);
    if (port->conf.vlan) {
        /* The election sees plain Ethernet on every port: the port's tag (checked by the
         * provider stage) comes out, as dp_ha_send() puts it in. */
        memmove(frame + sizeof(struct rte_vlan_hdr), frame, 2 * RTE_ETHER_ADDR_LEN);
        frame = (uint8_t *)rte_pktmbuf_adj(m, sizeof(struct rte_vlan_hdr));
    }
    dp->control_stats.counter[DP_ha_vrrp_received]++;
    dp->vrrp_fn(frame, rte_pktmbuf_data_len(m), m->port, dp->vrrp_aux);
    rte_pktmbuf_free(m);
}

int
dp_ha_send(struct dp *dp, uint16_t port, const uint8_t *frame, size_t len)
{
    const struct dp_port *p;
    struct rte_mbuf *m;
    uint8_t *data;

    if (port >= DP_MAX_PORTS || !dp->ports[port].used) {
        return ENODEV;
    }
    if (!frame || len < sizeof(struct rte_ether_hdr) || len > HA_FRAME_MAX) {
        return EINVAL;
    }
    p = &dp->ports[port];
    m = rte_pktmbuf_alloc(dp->pool);
    if (!m) {
        return ENOBUFS;
    }
    if (p->conf.vlan) {
        /* The frame comes untagged (see dp_ha_vrrp_input()): the port's tag goes in after the
         * MAC addresses. */
        uint16_t tag[2] = {rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN), rte_cpu_to_be_16(p->conf.vlan)};

        data = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)(len + sizeof tag));
        if (data) {
            memcpy(data, frame, 2 * RTE_ETHER_ADDR_LEN);
            memcpy(data + 2 * RTE_ETHER_ADDR_LEN, tag, sizeof tag);
            memcpy(data + 2 * RTE_ETHER_ADDR_LEN + sizeof tag, frame + 2 * RTE_ETHER_ADDR_LEN,
                   len - 2 * RTE_ETHER_ADDR_LEN);
        }
    } else {
        data = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)len);
        if (data) {
            memcpy(data, frame, len);
        }
    }
    if (!data) {
        rte_pktmbuf_free(m);
        return ENOBUFS;
    }
    if (ha_queue(dp, m, port) != 0) {
        return ENOBUFS;
    }
    dp->control_stats.counter[DP_ha_frames_sent]++;
    return 0;
}

void
dp_ha_passive_drop(struct dp_worker *w, struct rte_mbuf *m, unsigned l2, enum dp_drop why)
{
    if (unlikely(dp_traced(m))) {
        const uint8_t *frame = rte_pktmbuf_mtod(m, const uint8_t *);
        const struct rte_ipv4_hdr *ip = (const struct rte_ipv4_hdr *)(frame + l2);
        /* The ethertype: the last two bytes of the L2 header, tagged or not. */
        bool ipv4 = rte_pktmbuf_data_len(m) >= l2 + sizeof *ip &&
                    (frame[l2 - 2] << 8 | frame[l2 - 1]) == RTE_ETHER_TYPE_IPV4;

        dp_trace_add(w->trace, m, DP_TRACE_ha, 0, ipv4 ? ip->src_addr : 0, ipv4 ? ip->dst_addr : 0,
                     w->dp->ports[m->port].conf.kind);
    }
    dp_drop(w, m, why);
}

void
dp_trace_fmt_ha(const struct dp_trace_rec *r, char *buf, size_t len)
{
    static const char *const kinds[] = {
        [DP_PORT_PROVIDER] = "provider",
        [DP_PORT_EXTERNAL] = "external",
        [DP_PORT_VM] = "VM",
        [DP_PORT_EXCEPTION] = "compartment",
    };
    const uint8_t *s = (const uint8_t *)&r->a, *d = (const uint8_t *)&r->b;

    if (r->what == 1) {
        snprintf(buf, len, "ha: VRRP %u.%u.%u.%u -> %u.%u.%u.%u to the pair's election", s[0], s[1],
                 s[2], s[3], d[0], d[1], d[2], d[3]);
    } else if (r->a || r->b) {
        snprintf(buf, len,
                 "ha: passive node: IPv4 %u.%u.%u.%u -> %u.%u.%u.%u from the %s port is the "
                 "active node's",
                 s[0], s[1], s[2], s[3], d[0], d[1], d[2], d[3],
                 r->c < RTE_DIM(kinds) ? kinds[r->c] : "?");
    } else {
        snprintf(buf, len, "ha: passive node: a frame from the %s port is the active node's",
                 r->c < RTE_DIM(kinds) ? kinds[r->c] : "?");
    }
}
