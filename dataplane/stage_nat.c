/* SPDX-License-Identifier: Apache-2.0 */
/* NAT44 stage: inside to outside after a tenant's route chose the NAT (DP_NH_NAT), outside to
 * inside for packets to a public address (DP_NH_NAT_PUBLIC in routing domain 0), hairpinning
 * between the two, ICMP errors with their quoted packet translated (RFC 5508), fragments
 * reassembled first, and the hand-off of a packet to the worker that owns its session.
 *
 * Checksums are updated incrementally (RFC 1624); only an ICMP error's own checksum is computed
 * again, since its quoted packet changes in several places. */
#include "dp_internal.h"

#include <rte_icmp.h>
#include <rte_tcp.h>
#include <rte_udp.h>
#include <stdio.h>

/* Trace events. */
enum nat_trace {
    NAT_TR_IN2OUT,
    NAT_TR_OUT2IN,
    NAT_TR_HAIRPIN,
    NAT_TR_ICMP_IN2OUT,
    NAT_TR_ICMP_OUT2IN,
    NAT_TR_HANDOFF,
    NAT_TR_FRAGMENT,
};

/* ---- Checksums (RFC 1624: HC' = ~(~HC + ~m + m')) ---- */

static inline void
csum_replace16(uint16_t *csum, uint16_t old, uint16_t new)
{
    uint32_t s = (uint16_t) ~*csum + (uint32_t)(uint16_t)~old + new;
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    *csum = (uint16_t)~s;
}

static inline void
csum_replace32(uint16_t *csum, uint32_t old, uint32_t new)
{
    csum_replace16(csum, (uint16_t)old, (uint16_t) new);
    csum_replace16(csum, (uint16_t)(old >> 16), (uint16_t)(new >> 16));
}

/* ~m + m' of a 32-bit field changing from 'old' to 'new', unfolded (at most 4 x 0xffff). */
static inline uint32_t
csum_delta32(uint32_t old, uint32_t new)
{
    return (uint32_t)(uint16_t)~old + (uint16_t) ~(old >> 16) + (uint16_t) new + (new >> 16);
}

/* Applies 'delta', a sum of ~m + m' terms below 2^20, to checksum '*csum'. */
static inline void
csum_apply(uint16_t *csum, uint32_t delta)
{
    uint32_t s = (uint32_t)(uint16_t) ~*csum + delta;
    s = (s & 0xffff) + (s >> 16);
    s = (s & 0xffff) + (s >> 16);
    *csum = (uint16_t)~s;
}

/* A packet's transport header as NAT sees it. */
struct nat_l4 {
    uint8_t proto;     /* IPPROTO_TCP, _UDP or _ICMP. */
    uint16_t *sport;   /* Source port field, or the ICMP identifier. */
    uint16_t *dport;   /* Destination port field, or the ICMP identifier. */
    uint16_t *csum;    /* Transport checksum, NULL when absent (UDP zero or truncated). */
    bool pseudo;       /* The checksum covers the IP addresses (TCP, UDP). */
    uint8_t tcp_flags; /* TCP flags. */
    uint8_t icmp_type; /* ICMP type. */
};

/* Reads the transport header at 'l4' with 'avail' bytes of it present. For a quoted packet
 * ('quoted'), 8 bytes are enough and the checksum is only used when present. */
static bool
l4_parse(uint8_t proto, uint8_t *l4, uint32_t avail, bool quoted, struct nat_l4 *out)
{
    memset(out, 0, sizeof *out);
    out->proto = proto;
    switch (proto) {
    case IPPROTO_TCP: {
        struct rte_tcp_hdr *t = (struct rte_tcp_hdr *)l4;
        if (avail < (quoted ? 8 : sizeof *t)) {
            return false;
        }
        out->sport = &t->src_port;
        out->dport = &t->dst_port;
        out->pseudo = true;
        if (avail >= 18) {
            out->csum = &t->cksum;
        }
        if (avail >= 14) {
            out->tcp_flags = t->tcp_flags;
        }
        return true;
    }
    case IPPROTO_UDP: {
        struct rte_udp_hdr *u = (struct rte_udp_hdr *)l4;
        if (avail < sizeof *u) {
            return false;
        }
        out->sport = &u->src_port;
        out->dport = &u->dst_port;
        out->pseudo = true;
        out->csum = u->dgram_cksum ? &u->dgram_cksum : NULL;
        return true;
    }
    case IPPROTO_ICMP: {
        struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)l4;
        if (avail < sizeof *ic) {
            return false;
        }
        out->icmp_type = ic->icmp_type;
        out->sport = out->dport = &ic->icmp_ident;
        out->csum = &ic->icmp_cksum;
        return true;
    }
    default:
        return false;
    }
}

/* The inside session key of a packet from inside (the inside endpoint is its source), or of a
 * quoted packet that came from outside ('quoted': the inside endpoint is its destination). */
static inline struct nat_key_in
key_in(uint16_t tenant, const struct rte_ipv4_hdr *ip, const struct nat_l4 *l4, bool quoted)
{
    return (struct nat_key_in){.tenant = tenant,
                               .proto = l4->proto,
                               .in_ip = quoted ? ip->dst_addr : ip->src_addr,
                               .rem_ip = quoted ? ip->src_addr : ip->dst_addr,
                               .in_port = quoted ? *l4->dport : *l4->sport,
                               .rem_port = l4->proto == IPPROTO_ICMP ? 0
                                           : quoted                  ? *l4->sport
                                                                     : *l4->dport};
}

/* The outside session key of a packet to a public endpoint (its destination), or of a quoted
 * packet we sent out ('quoted': the public endpoint is its source). */
static inline struct nat_key_out
key_out(const struct rte_ipv4_hdr *ip, const struct nat_l4 *l4, bool quoted)
{
    return (struct nat_key_out){.pub_ip = quoted ? ip->src_addr : ip->dst_addr,
                                .rem_ip = quoted ? ip->dst_addr : ip->src_addr,
                                .pub_port = quoted ? *l4->sport : *l4->dport,
                                .rem_port = l4->proto == IPPROTO_ICMP ? 0
                                            : quoted                  ? *l4->dport
                                                                      : *l4->sport,
                                .proto = l4->proto};
}

static bool
icmp_is_error(uint8_t type)
{
    return type == DP_ICMP_DEST_UNREACH || type == DP_ICMP_TIME_EXCEEDED ||
           type == 12 /* parameter problem */;
}

/* Rewrites the source (or destination) address and port of a packet, with its checksums. */
static void
rewrite(struct rte_ipv4_hdr *ip, struct nat_l4 *l4, bool source, uint32_t addr, uint16_t port)
{
    uint32_t *a = source ? &ip->src_addr : &ip->dst_addr;
    uint16_t *p = source ? l4->sport : l4->dport;
    uint32_t da = csum_delta32(*a, addr); /* Shared by both checksums. */

    if (l4->csum) {
        csum_apply(l4->csum, (l4->pseudo ? da : 0) + (uint16_t) ~*p + port);
        if (l4->proto == IPPROTO_UDP && *l4->csum == 0) {
            *l4->csum = 0xffff; /* 0 would mean "no checksum" (RFC 768). */
        }
    }
    csum_apply(&ip->hdr_checksum, da);
    *a = addr;
    *p = port;
}

/* Recomputes the ICMP checksum of the message after 'ihl' bytes of IPv4 header. */
static void
icmp_recompute(struct rte_mbuf *m, struct rte_ipv4_hdr *ip, unsigned ihl)
{
    struct rte_icmp_hdr *ic = (struct rte_icmp_hdr *)((uint8_t *)ip + ihl);
    uint32_t len = rte_be_to_cpu_16(ip->total_length) - ihl;
    uint16_t sum = 0;

    ic->icmp_cksum = 0;
    rte_raw_cksum_mbuf(m, (uint32_t)((uint8_t *)ic - rte_pktmbuf_mtod(m, uint8_t *)), len, &sum);
    ic->icmp_cksum = (uint16_t)~sum;
}

static void
trace_nat(struct dp_worker *w, struct rte_mbuf *m, enum nat_trace what, uint32_t from_ip,
          uint16_t from_port, uint32_t to_ip, uint16_t to_port)
{
    DP_TRACE(w, m, nat, what, from_ip, to_ip,
             ((uint32_t)rte_be_to_cpu_16(from_port) << 16) | rte_be_to_cpu_16(to_port));
}

/* ---- Hand-off and fragments ---- */

static void
handoff(struct dp_worker *w, struct rte_mbuf *m, enum nat_handoff_kind kind, uint16_t tenant,
        uint32_t nh_ip, unsigned owner)
{
    struct dp_mbuf_priv *priv = rte_mbuf_to_priv(m);

    priv->nat_kind = (uint8_t)kind;
    priv->tenant = tenant;
    priv->nh_ip = nh_ip;
    DP_TRACE(w, m, nat, NAT_TR_HANDOFF, owner, kind, 0);
    if (rte_ring_mp_enqueue(w->dp->nat->workers[owner]->handoff, m) != 0) {
        dp_drop(w, m, DP_nat_handoff_full);
        return;
    }
    dp_count(w, DP_nat_handoffs);
}

/* Reassembles fragment m on the worker that owns its datagram. Returns the whole datagram
 * (possibly a chain of segments) or NULL when the fragment was kept, handed off or dropped. */
static struct rte_mbuf *
reassemble(struct dp_worker *w, struct rte_mbuf *m, enum nat_handoff_kind kind, uint16_t tenant,
           uint32_t nh_ip)
{
    struct nat *nat = w->dp->nat;
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
    uint32_t h = rte_hash_crc_4byte(ip->src_addr ^ ip->dst_addr,
                                    (uint32_t)ip->packet_id << 8 | ip->next_proto_id);
    unsigned owner = nat->n_workers == 1 ? 0 : h % nat->n_workers;
    struct rte_mbuf *r;

    if (owner != w->id) {
        handoff(w, m, kind, tenant, nh_ip, owner);
        return NULL;
    }
    dp_count(w, DP_nat_fragments);
    DP_TRACE(w, m, nat, NAT_TR_FRAGMENT, ip->src_addr, ip->dst_addr,
             rte_be_to_cpu_16(ip->packet_id));
    m->l2_len = 0;
    m->l3_len = (ip->version_ihl & 0xf) * 4;
    r = rte_ipv4_frag_reassemble_packet(w->nat->frag_tbl, &w->nat->death_row, m, w->nat->now_tsc,
                                        ip);
    if (!r) {
        return NULL; /* Kept until the datagram is complete (or freed as invalid). */
    }
    ip = rte_pktmbuf_mtod(r, struct rte_ipv4_hdr *);
    ip->hdr_checksum = 0; /* The library rewrote the header without it. */
    ip->hdr_checksum = rte_ipv4_cksum(ip);
    dp_count(w, DP_nat_reassembled);
    return r;
}

/* ---- Output ---- */

static void out2in(struct dp_worker *w, struct rte_mbuf *m);

/* Sends a translated packet on: turned around when it is for a public address (hairpin, RFC
 * 4787 REQ-9), else out of the external port toward 'nh_ip' (0: the destination itself). */
static void
in2out_output(struct dp_worker *w, struct rte_mbuf *m, uint32_t nh_ip)
{
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);

    /* The public-address filter spares nearly every packet the route lookup. */
    if (unlikely(nat_maybe_public(w->dp->nat, ip->dst_addr))) {
        const struct dp_nexthop *nh = dp_fib_lookup(w->dp, 0, ip->dst_addr);

        if (nh && nh->type == DP_NH_NAT_PUBLIC) {
            dp_count(w, DP_nat_hairpinned);
            trace_nat(w, m, NAT_TR_HAIRPIN, ip->dst_addr, 0, ip->dst_addr, 0);
            out2in(w, m); /* Routing in the tenant decrements the TTL, once for the whole turn. */
            return;
        }
    }
    dp_route_send_external(w, m, nh_ip ? nh_ip : ip->dst_addr);
}

/* Drops a packet that could not get a session, with ICMP "administratively prohibited" to its
 * sender (RFC 5508 REQ-8) for resource limits. */
static void
create_failed(struct dp_worker *w, struct rte_mbuf *m, uint16_t tenant, enum nat_create_err err)
{
    static const enum dp_drop reasons[] = {
        [NAT_ERR_SESSION_QUOTA] = DP_nat_session_quota,
        [NAT_ERR_PORT_QUOTA] = DP_nat_port_quota,
        [NAT_ERR_OUT_OF_PORTS] = DP_nat_out_of_ports,
        [NAT_ERR_TABLE_FULL] = DP_nat_table_full,
    };
    struct dp *dp = w->dp;

    dp_icmp_error(w, m, DP_ICMP_DEST_UNREACH, 13, 0, tenant,
                  dp->external_port >= 0 ? dp->ports[dp->external_port].conf.ip : 0);
    dp_drop(w, m, reasons[err]);
}

/* ---- Inside to outside ---- */

/* The packet an ICMP error (after 'ihl' bytes of IPv4 header in m) quotes, with its transport
 * header in '*ql'; NULL when it is too short or malformed. */
static struct rte_ipv4_hdr *
quoted_packet(struct rte_mbuf *m, unsigned ihl, struct nat_l4 *ql)
{
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
    uint32_t avail = rte_pktmbuf_data_len(m) - ihl - sizeof(struct rte_icmp_hdr);
    struct rte_ipv4_hdr *q = (struct rte_ipv4_hdr *)((uint8_t *)ip + ihl + 8);
    unsigned qihl;

    if (avail < sizeof *q || (q->version_ihl >> 4) != 4 ||
        (qihl = (q->version_ihl & 0xf) * 4u) < sizeof *q || qihl > avail ||
        !l4_parse(q->next_proto_id, (uint8_t *)q + qihl, avail - qihl, true, ql)) {
        return NULL;
    }
    return q;
}

/* Translates an ICMP error both in its quoted packet 'q' and outside (RFC 5508 section 4.2):
 * going out ('inbound' false), the quoted destination and the outer source become the public
 * endpoint; coming in, the quoted source and the outer destination become the inside one. */
static void
icmp_error_rewrite(struct rte_mbuf *m, unsigned ihl, struct rte_ipv4_hdr *q, struct nat_l4 *ql,
                   bool inbound, uint32_t addr, uint16_t port)
{
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
    uint32_t *outer = inbound ? &ip->dst_addr : &ip->src_addr;

    rewrite(q, ql, inbound, addr, port);
    csum_replace32(&ip->hdr_checksum, *outer, addr);
    *outer = addr;
    icmp_recompute(m, ip, ihl);
}

/* An ICMP error from inside about a packet that came in through the NAT: the quoted packet is
 * (remote -> inside), so its destination goes back to the public endpoint, and so does the outer
 * source (RFC 5508 section 4.2). */
static void
in2out_icmp_error(struct dp_worker *w, struct rte_mbuf *m, uint16_t tenant, uint32_t nh_ip,
                  unsigned ihl)
{
    struct nat *nat = w->dp->nat;
    struct nat_l4 ql;
    struct rte_ipv4_hdr *q = quoted_packet(m, ihl, &ql);
    struct nat_session *s;
    unsigned owner;

    if (!q) {
        dp_drop(w, m, DP_nat_bad_l4);
        return;
    }
    owner = nat_owner(nat, tenant, q->dst_addr);
    if (owner != w->id) {
        handoff(w, m, NAT_HO_IN2OUT, tenant, nh_ip, owner);
        return;
    }
    struct nat_key_in k = key_in(tenant, q, &ql, true);
    s = nat_find_in(w->nat, &k);
    if (!s) {
        dp_drop(w, m, DP_nat_icmp_unknown_session);
        return;
    }
    trace_nat(w, m, NAT_TR_ICMP_IN2OUT, q->dst_addr, *ql.dport, s->pub_ip, s->pub_port);
    icmp_error_rewrite(m, ihl, q, &ql, false, s->pub_ip, s->pub_port);
    dp_count(w, DP_nat_icmp_errors_translated);
    dp_count(w, DP_nat_in2out);
    in2out_output(w, m, nh_ip);
}

/* Translates packet m (transport header 'l4') of session 's' and sends it on toward 'nh_ip'. */
static inline void
in2out_session(struct dp_worker *w, struct rte_mbuf *m, struct nat_l4 *l4, struct nat_session *s,
               uint32_t nh_ip)
{
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);

    if (l4->proto == IPPROTO_TCP) {
        nat_tcp_track(w, s, l4->tcp_flags, true);
    }
    nat_touch(w->nat, s, true);
    trace_nat(w, m, NAT_TR_IN2OUT, ip->src_addr, *l4->sport, s->pub_ip, s->pub_port);
    rewrite(ip, l4, true, s->pub_ip, s->pub_port);
    dp_count(w, DP_nat_in2out);
    in2out_output(w, m, nh_ip);
}

/* A whole (reassembled if need be) datagram from inside 'tenant'. */
static void
in2out(struct dp_worker *w, struct rte_mbuf *m, uint16_t tenant, uint32_t nh_ip)
{
    struct nat *nat = w->dp->nat;
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
    unsigned ihl = (ip->version_ihl & 0xf) * 4, owner;
    struct nat_l4 l4;
    struct nat_session *s;
    enum nat_create_err err = NAT_OK;

    if (!l4_parse(ip->next_proto_id, (uint8_t *)ip + ihl, rte_pktmbuf_data_len(m) - ihl, false,
                  &l4)) {
        dp_drop(w, m,
                ip->next_proto_id == IPPROTO_TCP || ip->next_proto_id == IPPROTO_UDP ||
                        ip->next_proto_id == IPPROTO_ICMP
                    ? DP_nat_bad_l4
                    : DP_nat_unsupported_proto);
        return;
    }
    if (l4.proto == IPPROTO_ICMP && l4.icmp_type != RTE_IP_ICMP_ECHO_REQUEST) {
        if (icmp_is_error(l4.icmp_type)) {
            in2out_icmp_error(w, m, tenant, nh_ip, ihl);
        } else {
            dp_drop(w, m, DP_nat_icmp_unsupported);
        }
        return;
    }
    owner = nat_owner(nat, tenant, ip->src_addr);
    if (owner != w->id) {
        handoff(w, m, NAT_HO_IN2OUT, tenant, nh_ip, owner);
        return;
    }
    struct nat_key_in k = key_in(tenant, ip, &l4, false);
    s = nat_find_in(w->nat, &k);
    if (!s) {
        s = nat_session_outbound(w, w->nat, &k, &err);
        if (!s) {
            create_failed(w, m, tenant, err);
            return;
        }
    }
    in2out_session(w, m, &l4, s, nh_ip);
}

void
dp_nat_in2out(struct dp_worker *w, struct rte_mbuf *m, uint16_t tenant, uint32_t nh_ip)
{
    struct nat *nat = w->dp->nat;
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
    unsigned nt = nat && w->nat ? nat_tenant_of(nat, tenant) : 0;

    if (!nt) {
        dp_drop(w, m, DP_route_no_route);
        return;
    }
    /* An ICMP error may come from any inside address (even the gateway's): its quoted packet
     * decides. Everything else must come from the tenant's inside prefixes. */
    if (!nat_is_inside(&nat->tenants[nt - 1], ip->src_addr) && ip->next_proto_id != IPPROTO_ICMP) {
        dp_drop(w, m, DP_nat_not_inside);
        return;
    }
    if (dp_ipv4_is_fragment(ip)) {
        m = reassemble(w, m, NAT_HO_REASS_IN, tenant, nh_ip);
        if (!m) {
            return;
        }
    }
    in2out(w, m, tenant, nh_ip);
}

/* Looks the 'k' keys of 'kp' up in session table 'h' at once and prefetches the sessions found:
 * the hash prefetches every bucket and key before comparing, so the cache misses of a large table
 * overlap instead of adding up. Returns the hit mask; data[j] holds session indexes. */
static inline uint64_t
sessions_bulk(struct nat_worker *nw, const struct rte_hash *h, const void **kp, uint16_t k,
              void **data)
{
    uint64_t hits = 0;

    rte_hash_lookup_bulk_data(h, kp, k, &hits, data);
    for (uint16_t j = 0; j < k; j++) {
        if (hits & (1ull << j)) {
            rte_prefetch0(&nw->sessions[(uintptr_t)data[j]]);
        }
    }
    return hits;
}

void
dp_nat_in2out_burst(struct dp_worker *w, struct rte_mbuf **pkts, const uint16_t *tenants,
                    const uint32_t *nh_ips, uint16_t n)
{
    struct nat *nat = w->dp->nat;
    struct nat_worker *nw = w->nat;
    struct nat_key_in keys[DP_BURST];
    const void *kp[DP_BURST];
    void *data[DP_BURST];
    struct nat_l4 l4[DP_BURST];
    uint16_t idx[DP_BURST], k = 0;
    uint64_t hits;

    /* 1. The common case, a whole TCP or UDP datagram or an echo request from an inside address
     *    of a tenant with NAT, owned by this worker: its key. Anything else, dp_nat_in2out(). */
    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];
        struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
        unsigned nt = nat && nw ? nat_tenant_of(nat, tenants[i]) : 0;

        if (!nt || ip->version_ihl != 0x45 || dp_ipv4_is_fragment(ip) ||
            !nat_is_inside(&nat->tenants[nt - 1], ip->src_addr) ||
            !l4_parse(ip->next_proto_id, (uint8_t *)(ip + 1), rte_pktmbuf_data_len(m) - sizeof *ip,
                      false, &l4[k]) ||
            (l4[k].proto == IPPROTO_ICMP && l4[k].icmp_type != RTE_IP_ICMP_ECHO_REQUEST) ||
            nat_owner(nat, tenants[i], ip->src_addr) != w->id) {
            dp_nat_in2out(w, m, tenants[i], nh_ips[i]);
            continue;
        }
        keys[k] = key_in(tenants[i], ip, &l4[k], false);
        kp[k] = &keys[k];
        idx[k++] = i;
    }
    if (!k) {
        return;
    }
    /* 2. The sessions, in bulk. */
    hits = sessions_bulk(nw, nw->sess_in, kp, k, data);
    /* 3. Translate. A miss takes the per-packet path, which creates the session (or finds the
     *    one an earlier packet of the burst just created). */
    for (uint16_t j = 0; j < k; j++) {
        uint16_t i = idx[j];

        if (!(hits & (1ull << j))) {
            in2out(w, pkts[i], tenants[i], nh_ips[i]);
            continue;
        }
        in2out_session(w, pkts[i], &l4[j], &nw->sessions[(uintptr_t)data[j]], nh_ips[i]);
    }
}

/* ---- Outside to inside ---- */

/* The NAT index of public address 'ip' as routing domain 0 knows it, or -1. */
static int
public_index(const struct dp *dp, uint32_t ip)
{
    const struct dp_nexthop *nh;

    if (!nat_maybe_public(dp->nat, ip)) {
        return -1;
    }
    nh = dp_fib_lookup(dp, 0, ip);
    return nh && nh->type == DP_NH_NAT_PUBLIC ? nh->tenant : -1;
}

/* The worker owning public endpoint (addr, port) of 'proto', where 'ip_idx' is the NAT index of
 * 'addr' (-1: not a public address), or -1; '*si' is the static mapping that serves it, or -1. */
static int
public_owner(const struct nat *nat, int ip_idx, uint32_t addr, uint16_t port_be, uint8_t proto,
             int *si)
{
    uint16_t port = rte_be_to_cpu_16(port_be);

    *si = -1;
    if (ip_idx < 0) {
        return -1;
    }
    if (proto != IPPROTO_ICMP && (nat->ips[ip_idx].reserved[port / 64] & (1ull << (port % 64)))) {
        *si = nat_static_find_out(nat, addr, port_be, proto);
        if (*si >= 0) {
            const struct dp_nat_static *st = &nat->statics[*si].st;
            return (int)nat_owner(nat, st->tenant, st->in_ip);
        }
    }
    return nat_block_owner(nat, (unsigned)ip_idx, port);
}

/* An ICMP error from outside about a packet we sent out: the quoted packet is (public ->
 * remote); both it and the outer destination go back to the inside endpoint. */
static void
out2in_icmp_error(struct dp_worker *w, struct rte_mbuf *m, unsigned ihl)
{
    struct nat *nat = w->dp->nat;
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
    struct nat_l4 ql;
    struct rte_ipv4_hdr *q = quoted_packet(m, ihl, &ql);
    struct nat_session *s;
    int owner, si;

    if (!q) {
        dp_drop(w, m, DP_nat_bad_l4);
        return;
    }
    owner = q->src_addr == ip->dst_addr ? public_owner(nat, public_index(w->dp, q->src_addr),
                                                       q->src_addr, *ql.sport, ql.proto, &si)
                                        : -1;
    if (owner < 0) {
        dp_drop(w, m, DP_nat_icmp_unknown_session);
        return;
    }
    if ((unsigned)owner != w->id) {
        handoff(w, m, NAT_HO_OUT2IN, 0, 0, (unsigned)owner);
        return;
    }
    struct nat_key_out k = key_out(q, &ql, true);
    s = nat_find_out(w->nat, &k);
    if (!s) {
        dp_drop(w, m, DP_nat_icmp_unknown_session);
        return;
    }
    /* Errors do not refresh the session: only the flow's own packets do. */
    trace_nat(w, m, NAT_TR_ICMP_OUT2IN, q->src_addr, *ql.sport, s->in_ip, s->in_port);
    icmp_error_rewrite(m, ihl, q, &ql, true, s->in_ip, s->in_port);
    dp_count(w, DP_nat_icmp_errors_translated);
    dp_count(w, DP_nat_out2in);
    dp_route_input(w, m, s->tenant, NULL);
}

/* Drops an inbound packet that matches no session and may not open one. */
static void
no_session(struct dp_worker *w, struct rte_mbuf *m, const struct nat_l4 *l4)
{
    if (l4->proto == IPPROTO_TCP && !(l4->tcp_flags & RTE_TCP_SYN_FLAG)) {
        dp_drop(w, m, DP_nat_tcp_no_syn);
    } else {
        dp_drop(w, m, DP_nat_no_mapping);
    }
}

/* Translates packet m (transport header 'l4') of session 's' back; routing in s->tenant is left
 * to the caller. */
static inline void
out2in_translate(struct dp_worker *w, struct rte_mbuf *m, struct nat_l4 *l4, struct nat_session *s)
{
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);

    if (l4->proto == IPPROTO_TCP) {
        nat_tcp_track(w, s, l4->tcp_flags, false);
    }
    nat_touch(w->nat, s, false);
    trace_nat(w, m, NAT_TR_OUT2IN, ip->dst_addr, *l4->dport, s->in_ip, s->in_port);
    rewrite(ip, l4, false, s->in_ip, s->in_port);
    dp_count(w, DP_nat_out2in);
}

static void
out2in(struct dp_worker *w, struct rte_mbuf *m)
{
    struct nat *nat = w->dp->nat;
    struct nat_worker *nw = w->nat;
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
    unsigned ihl = (ip->version_ihl & 0xf) * 4;
    struct nat_l4 l4;
    struct nat_session *s;
    enum nat_create_err err = NAT_OK;
    int owner, si;

    if (!l4_parse(ip->next_proto_id, (uint8_t *)ip + ihl, rte_pktmbuf_data_len(m) - ihl, false,
                  &l4)) {
        dp_drop(w, m,
                ip->next_proto_id == IPPROTO_TCP || ip->next_proto_id == IPPROTO_UDP ||
                        ip->next_proto_id == IPPROTO_ICMP
                    ? DP_nat_bad_l4
                    : DP_nat_unsupported_proto);
        return;
    }
    if (l4.proto == IPPROTO_ICMP && l4.icmp_type != RTE_IP_ICMP_ECHO_REPLY) {
        if (icmp_is_error(l4.icmp_type)) {
            out2in_icmp_error(w, m, ihl);
        } else {
            dp_drop(w, m, DP_nat_icmp_unsupported);
        }
        return;
    }
    owner = public_owner(nat, public_index(w->dp, ip->dst_addr), ip->dst_addr, *l4.dport, l4.proto,
                         &si);
    if (owner < 0) {
        no_session(w, m, &l4);
        return;
    }
    if ((unsigned)owner != w->id) {
        handoff(w, m, NAT_HO_OUT2IN, 0, 0, (unsigned)owner);
        return;
    }
    struct nat_key_out k = key_out(ip, &l4, false);
    s = nat_find_out(nw, &k);
    if (!s) {
        uint32_t mi = nat_mapping_find_out(nw, k.pub_ip, k.pub_port, k.proto);
        unsigned nt;

        if (l4.proto == IPPROTO_ICMP ||
            (l4.proto == IPPROTO_TCP && !(l4.tcp_flags & RTE_TCP_SYN_FLAG))) {
            no_session(w, m, &l4);
            return;
        }
        if (mi == NAT_NONE && si >= 0) {
            mi = nat_mapping_static(w, nw, (unsigned)si, &err);
        }
        if (mi == NAT_NONE) {
            if (err != NAT_OK) {
                dp_drop(w, m, DP_nat_table_full);
            } else {
                no_session(w, m, &l4);
            }
            return;
        }
        nt = nw->mappings[mi].nt;
        if (!(nw->mappings[mi].flags & NAT_M_STATIC) &&
            !nat->tenants[nt].conf.endpoint_independent_filtering &&
            !nat_mapping_knows(nw, mi, k.rem_ip)) {
            dp_drop(w, m, DP_nat_filtered);
            return;
        }
        s = nat_session_on_mapping(w, nw, mi, k.rem_ip, k.rem_port, &err);
        if (!s) {
            dp_drop(w, m, err == NAT_ERR_SESSION_QUOTA ? DP_nat_session_quota : DP_nat_table_full);
            return;
        }
        if (nw->mappings[mi].flags & NAT_M_STATIC) {
            dp_count(w, DP_nat_static_hits);
        }
    }
    out2in_translate(w, m, &l4, s);
    dp_route_input(w, m, s->tenant, NULL);
}

void
dp_nat_out2in(struct dp_worker *w, struct rte_mbuf *m)
{
    struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);

    if (!w->nat) {
        dp_drop(w, m, DP_external_no_tenant);
        return;
    }
    if (dp_ipv4_is_fragment(ip)) {
        m = reassemble(w, m, NAT_HO_REASS_OUT, 0, 0);
        if (!m) {
            return;
        }
    }
    out2in(w, m);
}

void
dp_nat_out2in_burst(struct dp_worker *w, struct rte_mbuf **pkts, const uint16_t *pub_idx,
                    uint16_t n)
{
    struct nat *nat = w->dp->nat;
    struct nat_worker *nw = w->nat;
    struct nat_key_out keys[DP_BURST];
    const void *kp[DP_BURST];
    void *data[DP_BURST];
    struct nat_l4 l4[DP_BURST];
    struct rte_mbuf *routed[DP_BURST];
    uint16_t idx[DP_BURST], tenants[DP_BURST], k = 0, nr = 0;
    uint64_t hits;

    /* 1. The common case, a whole TCP or UDP datagram or an echo reply to a public endpoint this
     *    worker owns: its key. Anything else, dp_nat_out2in(). */
    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];
        struct rte_ipv4_hdr *ip = rte_pktmbuf_mtod(m, struct rte_ipv4_hdr *);
        int si;

        if (!nw || ip->version_ihl != 0x45 || dp_ipv4_is_fragment(ip) ||
            !l4_parse(ip->next_proto_id, (uint8_t *)(ip + 1), rte_pktmbuf_data_len(m) - sizeof *ip,
                      false, &l4[k]) ||
            (l4[k].proto == IPPROTO_ICMP && l4[k].icmp_type != RTE_IP_ICMP_ECHO_REPLY) ||
            public_owner(nat, pub_idx[i], ip->dst_addr, *l4[k].dport, l4[k].proto, &si) !=
                (int)w->id) {
            dp_nat_out2in(w, m);
            continue;
        }
        keys[k] = key_out(ip, &l4[k], false);
        kp[k] = &keys[k];
        idx[k++] = i;
    }
    if (!k) {
        return;
    }
    /* 2. The sessions, in bulk. */
    hits = sessions_bulk(nw, nw->sess_out, kp, k, data);
    /* 3. Translate; a miss takes the per-packet path (a new session on a mapping, or a drop).
     *    Then route the translated packets in their tenants, together. */
    for (uint16_t j = 0; j < k; j++) {
        struct nat_session *s;

        if (!(hits & (1ull << j))) {
            out2in(w, pkts[idx[j]]);
            continue;
        }
        s = &nw->sessions[(uintptr_t)data[j]];
        out2in_translate(w, pkts[idx[j]], &l4[j], s);
        routed[nr] = pkts[idx[j]];
        tenants[nr++] = s->tenant;
    }
    if (nr) {
        dp_route_burst(w, routed, tenants, nr);
    }
}

void
nat_handoff_input(struct dp_worker *w, struct rte_mbuf *m)
{
    const struct dp_mbuf_priv *priv = rte_mbuf_to_priv(m);

    switch (priv->nat_kind) {
    case NAT_HO_IN2OUT:
        in2out(w, m, priv->tenant, priv->nh_ip);
        break;
    case NAT_HO_OUT2IN:
        out2in(w, m);
        break;
    case NAT_HO_REASS_IN:
        dp_nat_in2out(w, m, priv->tenant, priv->nh_ip);
        break;
    case NAT_HO_REASS_OUT:
        dp_nat_out2in(w, m);
        break;
    default:
        rte_pktmbuf_free(m);
    }
}

void
dp_trace_fmt_nat(const struct dp_trace_rec *r, char *buf, size_t len)
{
    static const char *const what[] = {
        "in2out",   "out2in",  "hairpin", "ICMP error in2out", "ICMP error out2in",
        "hand-off", "fragment"};
    const uint8_t *a = (const uint8_t *)&r->a, *b = (const uint8_t *)&r->b;

    if (r->what == NAT_TR_HANDOFF) {
        snprintf(buf, len, "nat: hand-off to worker %u", r->a);
    } else if (r->what == NAT_TR_FRAGMENT) {
        snprintf(buf, len, "nat: fragment %u.%u.%u.%u -> %u.%u.%u.%u id %u to reassemble", a[0],
                 a[1], a[2], a[3], b[0], b[1], b[2], b[3], r->c);
    } else {
        snprintf(buf, len, "nat: %s %u.%u.%u.%u:%u -> %u.%u.%u.%u:%u",
                 r->what < 7 ? what[r->what] : "?", a[0], a[1], a[2], a[3], r->c >> 16, b[0], b[1],
                 b[2], b[3], r->c & 0xffff);
    }
}
