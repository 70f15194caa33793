/* SPDX-License-Identifier: Apache-2.0 */
/* ESP stage: site-to-site tunnels (esp.h). Inbound, ESP (or ESP in UDP 4500) to a local tunnel
 * address is authenticated, checked against replay and the SA's selectors, decrypted with
 * rte_ipsec on CPU crypto (intel-ipsec-mb), and routed in the SA's tenant; IKE goes to the IKE
 * compartment. Outbound, a tenant's packet routed into a tunnel is encrypted with the tunnel's
 * current SA and leaves the external port; a tunnel without one drops, never sends in clear. */
#include "esp_internal.h"

#include <stdio.h>

#include <rte_esp.h>
#include <rte_udp.h>

#include "dp_internal.h"

#define ESP_NATT_PORT 4500
#define ESP_IKE_PORT  500

/* The SA of 'spi' as the workers see it, or NULL. */
static inline struct esp_sa *
sa_by_spi(const struct esp *esp, uint32_t spi)
{
    struct esp_sa *const *sp = rcu_table_lookup(esp->by_spi, &spi);
    return sp ? *sp : NULL;
}

/* True when 'addr' is inside one of 'n' selectors (none: any). */
static inline bool
ts_match(const struct dp_esp_ts *ts, uint8_t n, uint32_t addr)
{
    if (!n) {
        return true;
    }
    for (uint8_t i = 0; i < n; i++) {
        uint32_t mask = ts[i].plen ? rte_cpu_to_be_32(~0u << (32 - ts[i].plen)) : 0;
        if (((addr ^ ts[i].prefix) & mask) == 0) {
            return true;
        }
    }
    return false;
}

/* The next hop toward 'dst' on the external port: itself on-link, else the port's gateway (or
 * itself again when there is none: a proxy-ARP uplink). */
static inline uint32_t
external_next_hop(const struct dp *dp, uint32_t dst)
{
    const struct dp_port *p = &dp->ports[dp->external_port];

    if (((dst ^ p->conf.ip) & p->mask) == 0 || !p->conf.gateway) {
        return dst;
    }
    return p->conf.gateway;
}

/* Hands an IKE (or ICMP) packet for a tunnel address to the IKE compartment. */
static void
ike_punt(struct dp_worker *w, struct rte_mbuf *m)
{
    struct dp *dp = w->dp;
    const struct dp_compartment *c = &dp->compartments[0];
    uint16_t id = __atomic_load_n(&c->port, __ATOMIC_ACQUIRE);
    const struct dp_port *port;

    if (!id) {
        dp_drop(w, m, DP_esp_no_ike_compartment);
        return;
    }
    port = &dp->ports[id - 1];
    if (!dp_l2_prepend_tag(m, port, &c->peer_mac, RTE_ETHER_TYPE_IPV4, c->tag)) {
        dp_drop(w, m, DP_encap_no_headroom);
        return;
    }
    dp_count(w, DP_esp_ike_punted);
    w->compartment_stats[c->index].punted++;
    dp_tx_frame(w, m, port->port_id);
}

/* Counts a packet on SA 's' for this worker. */
static inline void
sa_count(struct dp_worker *w, struct esp_sa *s, uint32_t bytes)
{
    struct esp_sa_worker *st = &s->st[w->id];

    st->packets++;
    st->bytes += bytes;
    st->last_tsc = rte_rdtsc();
}

/* First half of inbound: IKE and ICMP go to the IKE compartment, ESP in UDP loses its UDP
 * header, and an ESP packet finds its SA by SPI. Returns the SA, with m ready for rte_ipsec and
 * its sequence number in the mbuf's private area (nh_ip); NULL when m was consumed. */
static struct esp_sa *
esp_classify(struct dp_worker *w, struct rte_mbuf *m)
{
    struct esp *esp = w->dp->esp;
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
    unsigned ihl = (ip->version_ihl & 0xf) * 4;
    uint32_t len = rte_pktmbuf_data_len(m), spi, seq;
    const struct rte_esp_hdr *esph;
    struct esp_sa *s;

    dp_count(w, DP_esp_rx);
    if (ip->next_proto_id == IPPROTO_UDP) {
        const struct rte_udp_hdr *u = (const struct rte_udp_hdr *)((uint8_t *)ip + ihl);
        uint32_t marker;

        if (len < ihl + sizeof *u) {
            dp_drop(w, m, DP_esp_bad_packet);
            return NULL;
        }
        if (u->dst_port == rte_cpu_to_be_16(ESP_IKE_PORT)) {
            ike_punt(w, m);
            return NULL;
        }
        if (u->dst_port != rte_cpu_to_be_16(ESP_NATT_PORT)) {
            dp_drop(w, m, DP_esp_not_esp);
            return NULL;
        }
        /* RFC 3948: a zero first word is IKE (non-ESP marker), anything else an SPI. */
        if (len < ihl + sizeof *u + 4) {
            dp_drop(w, m, DP_esp_bad_packet);
            return NULL;
        }
        memcpy(&marker, u + 1, 4);
        if (marker == 0) {
            ike_punt(w, m);
            return NULL;
        }
        /* Strip the UDP header: ESP follows the outer IPv4 header as rte_ipsec expects. */
        memmove((uint8_t *)ip + sizeof *u, ip, ihl);
        rte_pktmbuf_adj(m, sizeof *u);
        ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
        ip->next_proto_id = IPPROTO_ESP;
        ip->total_length = rte_cpu_to_be_16((uint16_t)(len - sizeof *u));
        len -= sizeof *u;
        dp_count(w, DP_esp_udp_decapsulated);
    } else if (ip->next_proto_id == IPPROTO_ICMP) {
        ike_punt(w, m); /* The compartment's kernel answers ping and reads PMTU errors. */
        return NULL;
    } else if (ip->next_proto_id != IPPROTO_ESP) {
        dp_drop(w, m, DP_esp_not_esp);
        return NULL;
    }
    if (len < ihl + sizeof *esph + 16 || dp_ipv4_is_fragment(ip)) {
        dp_drop(w, m, DP_esp_bad_packet);
        return NULL;
    }
    esph = (const struct rte_esp_hdr *)((uint8_t *)ip + ihl);
    spi = rte_be_to_cpu_32(esph->spi);
    seq = rte_be_to_cpu_32(esph->seq);
    s = sa_by_spi(esp, spi);
    if (!s || !s->conf.inbound || s->conf.local != ip->dst_addr) {
        DP_TRACE(w, m, esp, 2, spi, seq, 0);
        dp_drop(w, m, DP_esp_unknown_spi);
        return NULL;
    }
    m->l2_len = 0;
    m->l3_len = ihl;
    ((struct dp_mbuf_priv *)rte_mbuf_to_priv(m))->nh_ip = seq;
    return s;
}

/* The sequence number esp_classify() left in m. */
static inline uint32_t
esp_seq(struct rte_mbuf *m)
{
    return ((struct dp_mbuf_priv *)rte_mbuf_to_priv(m))->nh_ip;
}

/* Authenticates, checks replay and decrypts the 'n' packets of SA 's' in 'pkts' (all of the
 * same SA) in one rte_ipsec call. Returns how many succeeded, now first in 'pkts'; the others,
 * after them, are dropped and counted here. */
static uint16_t
esp_decrypt_run(struct dp_worker *w, struct esp_sa *s, struct rte_mbuf **pkts, uint16_t n)
{
    uint16_t k;

    rte_spinlock_lock(&s->inbound_lock);
    k = rte_ipsec_pkt_cpu_prepare(&s->ss, pkts, n);
    if (k) {
        k = rte_ipsec_pkt_process(&s->ss, pkts, k);
    }
    for (uint16_t i = 0; i < k; i++) {
        if (esp_seq(pkts[i]) > s->highest_seq) {
            s->highest_seq = esp_seq(pkts[i]);
        }
    }
    rte_spinlock_unlock(&s->inbound_lock);
    for (uint16_t i = k; i < n; i++) {
        uint32_t seq = esp_seq(pkts[i]);

        /* rte_ipsec does not say why; a sequence number at or below the highest authenticated
         * one is a replay (or too old for the window), anything else failed authentication. */
        s->st[w->id].drops++;
        DP_TRACE(w, pkts[i], esp, 3, s->conf.spi, seq, s->conf.tenant);
        dp_drop(w, pkts[i],
                s->highest_seq && seq <= s->highest_seq ? DP_esp_replay : DP_esp_auth_failed);
    }
    return k;
}

/* Last half of inbound: a decrypted packet of SA 's' must be IPv4 inside the SA's selectors.
 * Returns true when it may be routed in the SA's tenant; false when it was dropped. */
static bool
esp_accept(struct dp_worker *w, struct esp_sa *s, struct rte_mbuf *m)
{
    const struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, const struct rte_ipv4_hdr *);

    if (rte_pktmbuf_data_len(m) < sizeof *ip || (ip->version_ihl >> 4) != 4) {
        s->st[w->id].drops++;
        dp_drop(w, m, DP_esp_bad_inner);
        return false;
    }
    /* Only what the SA was negotiated for may come out of it (RFC 4301 5.2). */
    if (!ts_match(s->conf.remote_ts, s->conf.n_remote_ts, ip->src_addr) ||
        !ts_match(s->conf.local_ts, s->conf.n_local_ts, ip->dst_addr)) {
        s->st[w->id].drops++;
        dp_drop(w, m, DP_esp_selector_mismatch);
        return false;
    }
    sa_count(w, s, rte_be_to_cpu_16(ip->total_length));
    dp_count(w, DP_esp_decrypted);
    DP_TRACE(w, m, esp, 0, s->conf.spi, esp_seq(m), s->conf.tenant);
    return true;
}

void
dp_esp_input(struct dp_worker *w, struct rte_mbuf *m)
{
    struct esp_sa *s = esp_classify(w, m);

    if (s && esp_decrypt_run(w, s, &m, 1) == 1 && esp_accept(w, s, m)) {
        dp_route_input(w, m, s->conf.tenant, NULL);
    }
}

void
dp_esp_input_burst(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
    struct rte_mbuf *run[DP_BURST], *routed[DP_BURST];
    struct esp_sa *sas[DP_BURST];
    uint16_t tenants[DP_BURST], k = 0, nr = 0;

    for (uint16_t i = 0; i < n; i++) {
        sas[k] = esp_classify(w, pkts[i]);
        if (sas[k]) {
            pkts[k++] = pkts[i];
        }
    }
    /* Runs of packets of one SA (a tunnel's packets arrive together) share one rte_ipsec call. */
    for (uint16_t i = 0; i < k;) {
        struct esp_sa *s = sas[i];
        uint16_t cnt = 0, good;

        while (i < k && sas[i] == s) {
            run[cnt++] = pkts[i++];
        }
        good = esp_decrypt_run(w, s, run, cnt);
        for (uint16_t j = 0; j < good; j++) {
            if (esp_accept(w, s, run[j])) {
                tenants[nr] = s->conf.tenant;
                routed[nr++] = run[j];
            }
        }
    }
    if (nr) {
        dp_route_burst(w, routed, tenants, nr);
    }
}

/* Wraps the ESP packet at m's data (outer IPv4 first) in UDP for NAT-T (RFC 3948). */
static inline bool
udp_encapsulate(struct rte_mbuf *m, const struct esp_sa *s)
{
    struct rte_ipv4_hdr *ip;
    struct rte_udp_hdr *u;
    uint16_t len;

    if (!rte_pktmbuf_prepend(m, sizeof *u)) {
        return false;
    }
    memmove(rte_pktmbuf_mtod(m, uint8_t *), rte_pktmbuf_mtod_offset(m, uint8_t *, sizeof *u),
            sizeof *ip);
    ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
    u = (struct rte_udp_hdr *)(ip + 1);
    len = (uint16_t)(rte_be_to_cpu_16(ip->total_length) + sizeof *u);
    ip->total_length = rte_cpu_to_be_16(len);
    ip->next_proto_id = IPPROTO_UDP;
    u->src_port = rte_cpu_to_be_16(s->conf.encap_local_port);
    u->dst_port = rte_cpu_to_be_16(s->conf.encap_remote_port);
    u->dgram_len = rte_cpu_to_be_16((uint16_t)(len - sizeof *ip));
    u->dgram_cksum = 0; /* RFC 3948 2.1: zero for IPv4. */
    return true;
}

void
dp_esp_output(struct dp_worker *w, struct rte_mbuf *m, uint16_t tenant, uint32_t reqid)
{
    struct dp *dp = w->dp;
    struct esp_sa *const *sp = dp->esp ? rcu_table_lookup(dp->esp->by_reqid, &reqid) : NULL;
    struct esp_sa *s = sp ? *sp : NULL;
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
    uint32_t inner_len = rte_be_to_cpu_16(ip->total_length);
    uint16_t k;

    if (!s || s->conf.tenant != tenant) {
        /* The tunnel is down (or not up yet): its traffic never leaves in clear. */
        DP_TRACE(w, m, esp, 4, reqid, 0, tenant);
        dp_drop(w, m, DP_esp_no_sa);
        return;
    }
    if (unlikely(m->nb_segs > 1) && rte_pktmbuf_linearize(m) != 0) {
        dp_drop(w, m, DP_esp_bad_packet);
        return;
    }
    dp_ipv4_dec_ttl(ip);
    m->l2_len = 0;
    m->l3_len = (ip->version_ihl & 0xf) * 4;
    k = rte_ipsec_pkt_cpu_prepare(&s->ss, &m, 1);
    if (k == 1) {
        k = rte_ipsec_pkt_process(&s->ss, &m, 1);
    }
    if (k != 1) {
        s->st[w->id].drops++;
        dp_drop(w, m, DP_esp_crypto_error);
        return;
    }
    if (s->conf.encap_local_port && !udp_encapsulate(m, s)) {
        s->st[w->id].drops++; /* It had a sequence number (dp_esp_sa_seq() counts it). */
        dp_drop(w, m, DP_encap_no_headroom);
        return;
    }
    ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
    /* rte_ipsec keeps its own copy of the header template: the addresses come from the SA as
     * dp_esp_sa_update() last left them (MOBIKE, NAT rebinding). */
    ip->src_addr = __atomic_load_n(&s->conf.local, __ATOMIC_RELAXED);
    ip->dst_addr = __atomic_load_n(&s->conf.remote, __ATOMIC_RELAXED);
    ip->packet_id = rte_cpu_to_be_16(w->ip_id++);
    ip->hdr_checksum = 0;
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    sa_count(w, s, inner_len);
    dp_count(w, DP_esp_encrypted);
    DP_TRACE(w, m, esp, 1, s->conf.spi, reqid, tenant);
    dp_tx_ip(w, m, (uint16_t)dp->external_port, external_next_hop(dp, ip->dst_addr));
}

void
dp_esp_ike_output(struct dp_worker *w, struct rte_mbuf *m)
{
    struct dp *dp = w->dp;
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);

    /* The compartment speaks for the tunnel addresses only. */
    if (dp->external_port < 0 || !esp_is_local(dp->esp, ip->src_addr)) {
        dp_drop(w, m, DP_esp_ike_bad_source);
        return;
    }
    dp_count(w, DP_esp_ike_sent);
    dp_tx_ip(w, m, (uint16_t)dp->external_port, external_next_hop(dp, ip->dst_addr));
}

void
dp_trace_fmt_esp(const struct dp_trace_rec *r, char *buf, size_t len)
{
    switch (r->what) {
    case 0:
        snprintf(buf, len, "esp: decrypted spi 0x%08x seq %u, routed in domain %u", r->a, r->b,
                 r->c);
        break;
    case 1:
        snprintf(buf, len, "esp: encrypted with spi 0x%08x (tunnel reqid %u) from domain %u", r->a,
                 r->b, r->c);
        break;
    case 2:
        snprintf(buf, len, "esp: spi 0x%08x seq %u: no such inbound SA here", r->a, r->b);
        break;
    case 3:
        snprintf(buf, len,
                 "esp: spi 0x%08x seq %u of domain %u: authentication or replay check "
                 "failed",
                 r->a, r->b, r->c);
        break;
    default:
        snprintf(buf, len, "esp: tunnel reqid %u of domain %u has no SA: dropped", r->a, r->c);
        break;
    }
}
