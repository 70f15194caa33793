/* SPDX-License-Identifier: Apache-2.0 */
/* NAT44 tables: tenants and public addresses, port blocks, mappings and sessions per worker,
 * expiry on a timer wheel, the mapping log, and the control API of nat.h.
 *
 * RFC choices (see README, "NAT44"):
 * - Mapping: endpoint-independent (RFC 4787 REQ-1); address pooling "paired" (REQ-2): one inside
 *   address always gets the same public address, chosen by hash.
 * - Ports: the inside port when it is free and in the tenant's range (port preservation), else a
 *   free port of a block the worker already holds for the tenant, else a new block. No parity.
 * - Filtering: address-dependent by default (REQ-8), endpoint-independent per tenant.
 * - Mapping refresh: outbound and inbound packets both refresh (REQ-6).
 * - TCP (RFC 5382): SYN both ways -> established (long timeout); opening, half-closed, TIME_WAIT
 *   (FIN both ways) and reset sessions use the transitory timeout. A SYN from inside on a TIME_WAIT
 *   or reset session reopens it. */
#include <errno.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_hash_crc.h>
#include <rte_malloc.h>
#include <rte_tcp.h>

#include "dp_internal.h"

#define NAT_TENANTS_MAX 4096 /* Tenants with NAT on one node. */
#define NAT_STATICS_MAX 4096 /* Static mappings on one node. */

/* Session 's' was created, changed or removed ('op', enum dp_nat_sync_op): the pair's peer must
 * hear of it, unless sync is off or the change is the peer's own. */
static inline void
nat_sync_note(struct dp_worker *w, const struct nat_session *s, uint8_t op)
{
    struct nat_worker *nw = w->nat;

    if (unlikely(__atomic_load_n(&nw->sync_out, __ATOMIC_RELAXED) != NULL) && !nw->sync_importing) {
        nat_sync_export(w, s, op);
    }
}

static unsigned
proto_index(uint8_t proto)
{
    return proto == IPPROTO_TCP ? 0 : proto == IPPROTO_UDP ? 1 : 2;
}

static uint64_t
now_s(const struct nat *nat, uint64_t tsc)
{
    return (tsc - nat->base_tsc) / nat->tsc_hz;
}

static struct rte_hash *
hash_create(const char *name, uint32_t entries, uint32_t key_len, unsigned extra_flags)
{
    struct rte_hash_parameters hp = {
        .name = name,
        .entries = entries,
        .key_len = key_len,
        .hash_func = rte_hash_crc,
        .socket_id = SOCKET_ID_ANY,
        .extra_flag = extra_flags,
    };
    return rte_hash_create(&hp);
}

int
nat_create(struct dp *dp)
{
    struct nat *nat;
    struct timespec ts;
    uint32_t bs = dp->params.nat_port_block ? dp->params.nat_port_block : 64;

    if (!dp->params.max_nat_sessions) {
        return 0;
    }
    if (bs < 8 || bs > 4096 || (bs & (bs - 1))) {
        return EINVAL;
    }
    nat = rte_zmalloc("nat", sizeof *nat, 64);
    if (!nat) {
        return ENOMEM;
    }
    dp->nat = nat;
    nat->block_size = bs;
    nat->block_shift = (uint32_t)__builtin_ctz(bs);
    nat->blocks_per_ip = 65536 / bs;
    nat->n_workers = dp->params.n_workers;
    nat->tenants = rte_zmalloc("nat_tenants", sizeof *nat->tenants * NAT_TENANTS_MAX, 64);
    nat->tenant_index = rte_zmalloc("nat_tindex", sizeof *nat->tenant_index * DP_MAX_TENANTS, 64);
    nat->block_owner = rte_zmalloc(
        "nat_owner", sizeof *nat->block_owner * DP_NAT_IPS_MAX * nat->blocks_per_ip, 64);
    nat->block_tenant = rte_zmalloc(
        "nat_btenant", sizeof *nat->block_tenant * DP_NAT_IPS_MAX * nat->blocks_per_ip, 64);
    nat->statics = rte_zmalloc("nat_statics", sizeof *nat->statics * NAT_STATICS_MAX, 64);
    nat->max_statics = NAT_STATICS_MAX;
    nat->statics_out = hash_create("nat_st_out", NAT_STATICS_MAX, sizeof(struct nat_key_ep), 0);
    nat->statics_in = hash_create("nat_st_in", NAT_STATICS_MAX, sizeof(struct nat_key_ep), 0);
    nat->log = rte_ring_create_elem("nat_log", sizeof(struct dp_nat_log), NAT_LOG_Q, SOCKET_ID_ANY,
                                    RING_F_SC_DEQ);
    if (!nat->tenants || !nat->tenant_index || !nat->block_owner || !nat->block_tenant ||
        !nat->statics || !nat->statics_out || !nat->statics_in || !nat->log) {
        return ENOMEM;
    }
    nat->tsc_hz = rte_get_tsc_hz();
    nat->base_tsc = rte_rdtsc();
    clock_gettime(CLOCK_REALTIME, &ts);
    nat->base_unix_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    return 0;
}

static void
nat_worker_free(struct nat_worker *nw)
{
    struct rte_mbuf *m;

    if (!nw) {
        return;
    }
    rte_hash_free(nw->sess_in);
    rte_hash_free(nw->sess_out);
    rte_hash_free(nw->map_in);
    rte_hash_free(nw->map_out);
    rte_free(nw->sessions);
    rte_free(nw->free_sessions);
    rte_free(nw->mappings);
    rte_free(nw->free_mappings);
    rte_free(nw->blocks);
    rte_free(nw->used);
    rte_free(nw->tenant_blocks);
    rte_free(nw->claim_cursor);
    if (nw->frag_tbl) {
        rte_ip_frag_free_death_row(&nw->death_row, 0);
        rte_ip_frag_table_destroy(nw->frag_tbl);
    }
    if (nw->handoff) {
        while (rte_ring_dequeue(nw->handoff, (void **)&m) == 0) {
            rte_pktmbuf_free(m);
        }
        rte_ring_free(nw->handoff);
    }
    rte_free(nw);
}

void
nat_destroy(struct nat *nat)
{
    if (!nat) {
        return;
    }
    for (unsigned i = 0; i < DP_MAX_WORKERS; i++) {
        nat_worker_free(nat->workers[i]);
    }
    for (unsigned i = 0; i < nat->n_ips; i++) {
        rte_free(nat->ips[i].reserved);
    }
    nat_sync_free(nat);
    rte_hash_free(nat->statics_out);
    rte_hash_free(nat->statics_in);
    rte_ring_free(nat->log);
    rte_free(nat->tenants);
    rte_free(nat->tenant_index);
    rte_free(nat->block_owner);
    rte_free(nat->block_tenant);
    rte_free(nat->statics);
    rte_free(nat);
}

/* Creates worker 'id's tables once every tenant and public address is known. */
static struct nat_worker *
nat_worker_create(struct nat *nat, unsigned id, uint32_t capacity)
{
    struct nat_worker *nw = rte_zmalloc("nat_worker", sizeof *nw, 64);
    char name[RTE_HASH_NAMESIZE];
    size_t n_blocks = (size_t)nat->n_ips * nat->blocks_per_ip;

    if (!nw) {
        return NULL;
    }
    nw->id = id;
    nw->capacity = capacity;
    snprintf(name, sizeof name, "nat_si%u", id);
    nw->sess_in = hash_create(name, capacity, sizeof(struct nat_key_in), 0);
    snprintf(name, sizeof name, "nat_so%u", id);
    nw->sess_out = hash_create(name, capacity, sizeof(struct nat_key_out), 0);
    snprintf(name, sizeof name, "nat_mi%u", id);
    nw->map_in = hash_create(name, capacity, sizeof(struct nat_key_ep), 0);
    snprintf(name, sizeof name, "nat_mo%u", id);
    nw->map_out = hash_create(name, capacity, sizeof(struct nat_key_ep), 0);
    /* Zeroed: the bulk walk tells a never-used slot (tenant 0) from a live session. */
    nw->sessions = rte_zmalloc("nat_sessions", sizeof *nw->sessions * capacity, 64);
    nw->free_sessions = rte_malloc("nat_sfree", sizeof *nw->free_sessions * capacity, 64);
    nw->mappings = rte_malloc("nat_mappings", sizeof *nw->mappings * capacity, 64);
    nw->free_mappings = rte_malloc("nat_mfree", sizeof *nw->free_mappings * capacity, 64);
    nw->blocks = rte_zmalloc("nat_wblocks", sizeof *nw->blocks * (n_blocks ? n_blocks : 1), 64);
    nw->used = rte_zmalloc(
        "nat_used", sizeof(uint64_t) * NAT_N_PROTOS * (nat->n_ips ? nat->n_ips : 1) * 1024, 64);
    nw->tenant_blocks =
        rte_malloc("nat_tblocks", sizeof(uint32_t) * (nat->n_tenants ? nat->n_tenants : 1), 64);
    nw->claim_cursor =
        rte_zmalloc("nat_cursor", sizeof(uint32_t) * (nat->n_tenants ? nat->n_tenants : 1), 64);
    nw->frag_tbl = rte_ip_frag_table_create(1024, 16, 4096, nat->tsc_hz * 5, SOCKET_ID_ANY);
    snprintf(name, sizeof name, "nat_ho%u", id);
    nw->handoff = rte_ring_create(name, NAT_HANDOFF_Q, SOCKET_ID_ANY, RING_F_SC_DEQ);
    if (!nw->sess_in || !nw->sess_out || !nw->map_in || !nw->map_out || !nw->sessions ||
        !nw->free_sessions || !nw->mappings || !nw->free_mappings || !nw->blocks || !nw->used ||
        !nw->tenant_blocks || !nw->claim_cursor || !nw->frag_tbl || !nw->handoff) {
        nat_worker_free(nw);
        return NULL;
    }
    for (uint32_t i = 0; i < capacity; i++) {
        nw->free_sessions[i] = capacity - 1 - i;
        nw->free_mappings[i] = capacity - 1 - i;
    }
    nw->n_free_sessions = nw->n_free_mappings = capacity;
    for (unsigned t = 0; t < nat->n_tenants; t++) {
        nw->tenant_blocks[t] = NAT_NONE;
    }
    for (unsigned i = 0; i < NAT_WHEEL_SLOTS; i++) {
        nw->wheel[i] = NAT_NONE;
    }
    nw->expiring = NAT_NONE;
    nw->now_tsc = rte_rdtsc();
    nw->wheel_s = now_s(nat, nw->now_tsc);
    return nw;
}

int
nat_start(struct dp *dp)
{
    struct nat *nat = dp->nat;
    uint32_t capacity;

    if (!nat || nat->workers[0]) {
        return 0;
    }
    /* Sessions spread over workers by inside address; a quarter more than an even share absorbs
     * the skew of a few busy hosts. */
    capacity = dp->params.max_nat_sessions / nat->n_workers;
    if (nat->n_workers > 1) {
        capacity += capacity / 4;
    }
    if (capacity < 1024) {
        capacity = 1024;
    }
    for (unsigned i = 0; i < nat->n_workers; i++) {
        nat->workers[i] = nat_worker_create(nat, i, capacity);
        if (!nat->workers[i]) {
            return ENOMEM;
        }
        dp->workers[i].nat = nat->workers[i];
    }
    return 0;
}

int
nat_ip_index(const struct nat *nat, uint32_t ip)
{
    for (unsigned i = 0; i < nat->n_ips; i++) {
        if (nat->ips[i].ip == ip) {
            return (int)i;
        }
    }
    return -1;
}

int
dp_nat_tenant_set(struct dp *dp, const struct dp_nat_conf *conf)
{
    struct nat *nat = dp->nat;
    struct nat_tenant *t;
    uint32_t bmin, bmax;
    unsigned new_ips = 0, idx[DP_NAT_PUBLIC_MAX];

    if (!nat || dp->started || nat->workers[0]) {
        return nat ? EBUSY : ENOTSUP;
    }
    if (!conf->tenant || nat->tenant_index[conf->tenant]) {
        return conf->tenant ? EEXIST : EINVAL;
    }
    if (!conf->n_public || conf->n_public > DP_NAT_PUBLIC_MAX ||
        conf->n_inside > DP_NAT_INSIDE_MAX || !conf->port_min || conf->port_min > conf->port_max ||
        conf->port_min % nat->block_size || (conf->port_max + 1u) % nat->block_size ||
        !conf->max_sessions || !conf->max_ports) {
        return EINVAL;
    }
    if (nat->n_tenants == NAT_TENANTS_MAX) {
        return ENOSPC;
    }
    bmin = conf->port_min >> nat->block_shift;
    bmax = conf->port_max >> nat->block_shift;
    /* Check everything before changing anything. */
    for (unsigned i = 0; i < conf->n_public; i++) {
        int k = nat_ip_index(nat, conf->public_ips[i]);
        if (k < 0) {
            k = (int)(nat->n_ips + new_ips++);
            if ((unsigned)k >= DP_NAT_IPS_MAX) {
                return ENOSPC;
            }
            for (unsigned j = 0; j < i; j++) {
                if (conf->public_ips[j] == conf->public_ips[i]) {
                    return EINVAL;
                }
            }
        } else {
            for (uint32_t b = bmin; b <= bmax; b++) {
                if (nat->block_tenant[(size_t)k * nat->blocks_per_ip + b]) {
                    return EEXIST; /* Another tenant's range on a shared address. */
                }
            }
        }
        idx[i] = (unsigned)k;
    }
    for (unsigned i = 0; i < conf->n_public; i++) {
        if (idx[i] >= nat->n_ips) {
            struct nat_ip *pip = &nat->ips[idx[i]];
            pip->ip = conf->public_ips[i];
            pip->reserved = rte_zmalloc("nat_reserved", 65536 / 8, 64);
            if (!pip->reserved) {
                return ENOMEM;
            }
            nat->n_ips = idx[i] + 1;
            nat->public_filter[nat_filter_bit(pip->ip) / 64] |= 1ull
                                                                << (nat_filter_bit(pip->ip) % 64);
        }
    }
    t = &nat->tenants[nat->n_tenants];
    memset(t, 0, sizeof *t);
    t->conf = *conf;
    for (unsigned i = 0; i < conf->n_public; i++) {
        t->ip_idx[i] = (uint8_t)idx[i];
        for (uint32_t b = bmin; b <= bmax; b++) {
            nat->block_tenant[(size_t)idx[i] * nat->blocks_per_ip + b] =
                (uint16_t)(nat->n_tenants + 1);
        }
    }
    for (unsigned c = 0; c < DP_NAT_T_N; c++) {
        t->timeout_tsc[c] = (uint64_t)(conf->timeout_s[c] ? conf->timeout_s[c] : 1) * nat->tsc_hz;
    }
    nat->n_tenants++;
    nat->tenant_index[conf->tenant] = (uint16_t)nat->n_tenants;
    return 0;
}

static struct nat_key_ep
ep_key(uint32_t ip, uint16_t port_be, uint16_t tenant, uint8_t proto)
{
    struct nat_key_ep k;
    memset(&k, 0, sizeof k);
    k.ip = ip;
    k.port = port_be;
    k.tenant = tenant;
    k.proto = proto;
    return k;
}

int
dp_nat_static_add(struct dp *dp, const struct dp_nat_static *st)
{
    struct nat *nat = dp->nat;
    struct nat_key_ep ko, ki;
    struct nat_static_entry *e;
    unsigned nt;
    int ip_idx = -1;

    if (!nat || dp->started || nat->workers[0]) {
        return nat ? EBUSY : ENOTSUP;
    }
    nt = nat_tenant_of(nat, st->tenant);
    if (!nt || (st->proto != IPPROTO_TCP && st->proto != IPPROTO_UDP) || !st->pub_port ||
        !st->in_port) {
        return nt ? EINVAL : ENOENT;
    }
    for (unsigned i = 0; i < nat->tenants[nt - 1].conf.n_public; i++) {
        if (nat->tenants[nt - 1].conf.public_ips[i] == st->pub_ip) {
            ip_idx = nat->tenants[nt - 1].ip_idx[i];
        }
    }
    if (ip_idx < 0) {
        return ENOENT;
    }
    if (nat->n_statics == nat->max_statics) {
        return ENOSPC;
    }
    ko = ep_key(st->pub_ip, rte_cpu_to_be_16(st->pub_port), 0, st->proto);
    ki = ep_key(st->in_ip, rte_cpu_to_be_16(st->in_port), st->tenant, st->proto);
    if (rte_hash_lookup(nat->statics_out, &ko) >= 0 || rte_hash_lookup(nat->statics_in, &ki) >= 0) {
        return EEXIST;
    }
    e = &nat->statics[nat->n_statics];
    e->st = *st;
    e->nt = (uint16_t)(nt - 1);
    e->ip_idx = (uint8_t)ip_idx;
    if (rte_hash_add_key_data(nat->statics_out, &ko, (void *)(uintptr_t)nat->n_statics) < 0 ||
        rte_hash_add_key_data(nat->statics_in, &ki, (void *)(uintptr_t)nat->n_statics) < 0) {
        rte_hash_del_key(nat->statics_out, &ko);
        return ENOSPC;
    }
    nat->ips[ip_idx].reserved[st->pub_port / 64] |= 1ull << (st->pub_port % 64);
    nat->n_statics++;
    return 0;
}

int
nat_static_find_out(const struct nat *nat, uint32_t pub_ip, uint16_t pub_port, uint8_t proto)
{
    struct nat_key_ep k = ep_key(pub_ip, pub_port, 0, proto);
    void *data;

    if (!nat->n_statics || rte_hash_lookup_data(nat->statics_out, &k, &data) < 0) {
        return -1;
    }
    return (int)(uintptr_t)data;
}

/* ---- The mapping log ---- */

static void
nat_log(struct dp_worker *w, const struct nat_tenant *t, enum dp_nat_event ev, uint8_t proto,
        uint32_t in_ip, uint16_t in_port, uint32_t pub_ip, uint16_t pub_port, uint16_t last)
{
    struct nat *nat = w->dp->nat;
    struct dp_nat_log rec;
    uint64_t dt = w->nat->now_tsc - nat->base_tsc;

    if (t->conf.log == DP_NAT_LOG_NONE ||
        (t->conf.log == DP_NAT_LOG_BLOCKS &&
         (ev == DP_NAT_EV_MAPPING_ADD || ev == DP_NAT_EV_MAPPING_DEL))) {
        return;
    }
    memset(&rec, 0, sizeof rec);
    rec.unix_ns = nat->base_unix_ns + (uint64_t)((__uint128_t)dt * 1000000000u / nat->tsc_hz);
    rec.event = (uint8_t)ev;
    rec.proto = proto;
    rec.tenant = t->conf.tenant;
    rec.in_ip = in_ip;
    rec.in_port = in_port;
    rec.pub_ip = pub_ip;
    rec.pub_port = pub_port;
    rec.pub_port_last = last;
    if (rte_ring_mp_enqueue_elem(nat->log, &rec, sizeof rec) != 0) {
        __atomic_fetch_add(&nat->log_lost, 1, __ATOMIC_RELAXED);
        w->stats.drop[DP_nat_log_lost]++;
    }
}

uint64_t
dp_nat_log_drain(struct dp *dp, void (*fn)(const struct dp_nat_log *, void *aux), void *aux)
{
    static uint64_t reported;
    struct dp_nat_log recs[64];
    unsigned n;
    uint64_t lost;

    if (!dp->nat) {
        return 0;
    }
    do {
        n = rte_ring_sc_dequeue_burst_elem(dp->nat->log, recs, sizeof recs[0], 64, NULL);
        for (unsigned i = 0; i < n; i++) {
            fn(&recs[i], aux);
        }
    } while (n == 64);
    lost = __atomic_load_n(&dp->nat->log_lost, __ATOMIC_RELAXED);
    n = (unsigned)(lost - reported);
    reported = lost;
    return n;
}

/* ---- Ports and blocks ---- */

static uint64_t *
used_words(const struct nat *nat, struct nat_worker *nw, unsigned pi, unsigned ip_idx)
{
    return nw->used + ((size_t)pi * nat->n_ips + ip_idx) * 1024;
}

/* The first port of [start, start + count) free in 'used' and not reserved, or -1. */
static int
first_free(const uint64_t *used, const uint64_t *reserved, uint32_t start, uint32_t count)
{
    uint32_t end = start + count;

    for (uint32_t p = start; p < end;) {
        uint32_t wi = p / 64, bit = p % 64, span = 64 - bit;
        uint64_t busy = (used[wi] | reserved[wi]) >> bit;

        if (span > end - p) {
            span = end - p;
            busy |= ~0ull << span;
        }
        if (~busy && __builtin_ctzll(~busy) < (int)span) {
            return (int)(p + (uint32_t)__builtin_ctzll(~busy));
        }
        p += span;
    }
    return -1;
}

static void
block_link(struct nat_worker *nw, unsigned nt, uint32_t g)
{
    struct nat_wblock *b = &nw->blocks[g];

    b->n_used = 0;
    b->prev = NAT_NONE;
    b->next = nw->tenant_blocks[nt];
    if (b->next != NAT_NONE) {
        nw->blocks[b->next].prev = g;
    }
    nw->tenant_blocks[nt] = g;
}

/* Claims block 'g' (free in the owner array) for tenant 'nt' on this worker. */
bool
nat_block_claim(struct dp_worker *w, unsigned nt, uint32_t g)
{
    struct nat *nat = w->dp->nat;
    uint32_t expected = 0;
    struct nat_tenant *t = &nat->tenants[nt];
    uint32_t first;

    if (!__atomic_compare_exchange_n(&nat->block_owner[g], &expected, w->nat->id + 1, false,
                                     __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
        return false;
    }
    block_link(w->nat, nt, g);
    __atomic_fetch_add(&t->blocks, 1, __ATOMIC_RELAXED);
    dp_count(w, DP_nat_blocks_allocated);
    first = (g % nat->blocks_per_ip) << nat->block_shift;
    nat_log(w, t, DP_NAT_EV_BLOCK_ALLOC, 0, 0, 0, nat->ips[g / nat->blocks_per_ip].ip,
            (uint16_t)first, (uint16_t)(first + nat->block_size - 1));
    return true;
}

static void
block_release(struct dp_worker *w, unsigned nt, uint32_t g)
{
    struct nat *nat = w->dp->nat;
    struct nat_worker *nw = w->nat;
    struct nat_wblock *b = &nw->blocks[g];
    struct nat_tenant *t = &nat->tenants[nt];
    uint32_t first = (g % nat->blocks_per_ip) << nat->block_shift;

    if (b->prev != NAT_NONE) {
        nw->blocks[b->prev].next = b->next;
    } else {
        nw->tenant_blocks[nt] = b->next;
    }
    if (b->next != NAT_NONE) {
        nw->blocks[b->next].prev = b->prev;
    }
    __atomic_store_n(&nat->block_owner[g], 0, __ATOMIC_RELEASE);
    __atomic_fetch_sub(&t->blocks, 1, __ATOMIC_RELAXED);
    dp_count(w, DP_nat_blocks_released);
    nat_log(w, t, DP_NAT_EV_BLOCK_FREE, 0, 0, 0, nat->ips[g / nat->blocks_per_ip].ip,
            (uint16_t)first, (uint16_t)(first + nat->block_size - 1));
}

void
nat_port_take(struct nat *nat, struct nat_worker *nw, unsigned pi, unsigned ip_idx, uint32_t port)
{
    used_words(nat, nw, pi, ip_idx)[port / 64] |= 1ull << (port % 64);
    nw->blocks[ip_idx * nat->blocks_per_ip + (port >> nat->block_shift)].n_used++;
}

void
nat_port_give(struct dp_worker *w, unsigned nt, unsigned pi, unsigned ip_idx, uint32_t port)
{
    struct nat *nat = w->dp->nat;
    uint32_t g = ip_idx * nat->blocks_per_ip + (port >> nat->block_shift);

    used_words(nat, w->nat, pi, ip_idx)[port / 64] &= ~(1ull << (port % 64));
    if (--w->nat->blocks[g].n_used == 0) {
        block_release(w, nt, g);
    }
}

/* A free public port for tenant 'nt' on address 'ip_idx', preferring 'pref' (host order).
 * Returns the port or -1. */
static int
port_alloc(struct dp_worker *w, unsigned nt, unsigned ip_idx, unsigned pi, uint32_t pref)
{
    struct nat *nat = w->dp->nat;
    struct nat_worker *nw = w->nat;
    const struct nat_tenant *t = &nat->tenants[nt];
    const uint64_t *reserved = nat->ips[ip_idx].reserved;
    uint64_t *used = used_words(nat, nw, pi, ip_idx);
    uint32_t base = ip_idx * nat->blocks_per_ip, bs = nat->block_size;
    uint32_t bmin = t->conf.port_min >> nat->block_shift;
    uint32_t nblocks = ((uint32_t)t->conf.port_max + 1 - t->conf.port_min) >> nat->block_shift;
    int port;

    /* Port preservation: the inside port itself, when it is in the tenant's range and free. */
    if (pref >= t->conf.port_min && pref <= t->conf.port_max &&
        !(reserved[pref / 64] & (1ull << (pref % 64))) &&
        !(used[pref / 64] & (1ull << (pref % 64)))) {
        uint32_t g = base + (pref >> nat->block_shift);
        uint32_t o = __atomic_load_n(&nat->block_owner[g], __ATOMIC_ACQUIRE);
        if (o == nw->id + 1 || (o == 0 && nat_block_claim(w, nt, g))) {
            dp_count(w, DP_nat_port_preserved);
            return (int)pref;
        }
    }
    /* A block this worker already holds for the tenant. */
    for (uint32_t g = nw->tenant_blocks[nt]; g != NAT_NONE; g = nw->blocks[g].next) {
        if (g / nat->blocks_per_ip != ip_idx) {
            continue;
        }
        port = first_free(used, reserved, (g % nat->blocks_per_ip) << nat->block_shift, bs);
        if (port >= 0) {
            return port;
        }
    }
    /* A new block, searched from where the last search of this tenant stopped. */
    for (uint32_t i = 0; i < nblocks; i++) {
        uint32_t b = bmin + (nw->claim_cursor[nt] + i) % nblocks, g = base + b;

        if (__atomic_load_n(&nat->block_owner[g], __ATOMIC_RELAXED) || !nat_block_claim(w, nt, g)) {
            continue;
        }
        nw->claim_cursor[nt] = (b - bmin + 1) % nblocks;
        port = first_free(used, reserved, b << nat->block_shift, bs);
        if (port >= 0) {
            return port;
        }
    }
    return -1;
}

/* ---- Mappings and sessions ---- */

struct nat_session *
nat_find_in(struct nat_worker *nw, const struct nat_key_in *k)
{
    void *data;
    return rte_hash_lookup_data(nw->sess_in, k, &data) < 0 ? NULL : &nw->sessions[(uintptr_t)data];
}

struct nat_session *
nat_find_out(struct nat_worker *nw, const struct nat_key_out *k)
{
    void *data;
    return rte_hash_lookup_data(nw->sess_out, k, &data) < 0 ? NULL : &nw->sessions[(uintptr_t)data];
}

uint32_t
nat_mapping_find_out(struct nat_worker *nw, uint32_t pub_ip, uint16_t pub_port, uint8_t proto)
{
    struct nat_key_ep k = ep_key(pub_ip, pub_port, 0, proto);
    void *data;
    return rte_hash_lookup_data(nw->map_out, &k, &data) < 0 ? NAT_NONE : (uint32_t)(uintptr_t)data;
}

bool
nat_mapping_knows(const struct nat_worker *nw, uint32_t mi, uint32_t rem_ip)
{
    for (uint32_t s = nw->mappings[mi].sessions; s != NAT_NONE; s = nw->sessions[s].map_next) {
        if (nw->sessions[s].rem_ip == rem_ip) {
            return true;
        }
    }
    return false;
}

/* Takes a mapping from the pool and indexes it; NAT_NONE when the tables are full. */
uint32_t
nat_mapping_insert(struct nat_worker *nw, const struct nat_mapping *tmpl)
{
    struct nat_key_ep ki = ep_key(tmpl->in_ip, tmpl->in_port, tmpl->tenant, tmpl->proto);
    struct nat_key_ep ko = ep_key(tmpl->pub_ip, tmpl->pub_port, 0, tmpl->proto);
    uint32_t mi;

    if (!nw->n_free_mappings) {
        return NAT_NONE;
    }
    mi = nw->free_mappings[nw->n_free_mappings - 1];
    if (rte_hash_add_key_data(nw->map_in, &ki, (void *)(uintptr_t)mi) < 0) {
        return NAT_NONE;
    }
    if (rte_hash_add_key_data(nw->map_out, &ko, (void *)(uintptr_t)mi) < 0) {
        rte_hash_del_key(nw->map_in, &ki);
        return NAT_NONE;
    }
    nw->n_free_mappings--;
    nw->mappings[mi] = *tmpl;
    nw->mappings[mi].sessions = NAT_NONE;
    nw->mappings[mi].n_sessions = 0;
    return mi;
}

uint32_t
nat_mapping_static(struct dp_worker *w, struct nat_worker *nw, unsigned si,
                   enum nat_create_err *err)
{
    struct nat *nat = w->dp->nat;
    const struct nat_static_entry *e = &nat->statics[si];
    struct nat_key_ep ki =
        ep_key(e->st.in_ip, rte_cpu_to_be_16(e->st.in_port), e->st.tenant, e->st.proto);
    struct nat_mapping m;
    uint32_t mi;
    void *data;

    if (rte_hash_lookup_data(nw->map_in, &ki, &data) >= 0) {
        return (uint32_t)(uintptr_t)data;
    }
    memset(&m, 0, sizeof m);
    m.in_ip = e->st.in_ip;
    m.in_port = rte_cpu_to_be_16(e->st.in_port);
    m.pub_ip = e->st.pub_ip;
    m.pub_port = rte_cpu_to_be_16(e->st.pub_port);
    m.tenant = e->st.tenant;
    m.proto = e->st.proto;
    m.flags = NAT_M_STATIC;
    m.nt = e->nt;
    m.ip_idx = e->ip_idx;
    mi = nat_mapping_insert(nw, &m);
    if (mi == NAT_NONE) {
        *err = NAT_ERR_TABLE_FULL;
        return NAT_NONE;
    }
    dp_count(w, DP_nat_mappings_created);
    nat_log(w, &nat->tenants[e->nt], DP_NAT_EV_MAPPING_ADD, m.proto, m.in_ip, e->st.in_port,
            m.pub_ip, e->st.pub_port, 0);
    return mi;
}

/* Finds or creates the mapping of an inside endpoint. */
static uint32_t
mapping_outbound(struct dp_worker *w, struct nat_worker *nw, const struct nat_key_in *k,
                 enum nat_create_err *err)
{
    struct nat *nat = w->dp->nat;
    struct nat_key_ep ki = ep_key(k->in_ip, k->in_port, k->tenant, k->proto);
    unsigned nt = nat_tenant_of(nat, k->tenant) - 1;
    struct nat_tenant *t = &nat->tenants[nt];
    struct nat_mapping m;
    unsigned ip_sel, ip_idx, pi = proto_index(k->proto);
    uint32_t mi;
    void *data;
    int port;

    if (rte_hash_lookup_data(nw->map_in, &ki, &data) >= 0) {
        return (uint32_t)(uintptr_t)data;
    }
    if (nat->n_statics && k->proto != IPPROTO_ICMP &&
        rte_hash_lookup_data(nat->statics_in, &ki, &data) >= 0) {
        return nat_mapping_static(w, nw, (unsigned)(uintptr_t)data, err);
    }
    if (__atomic_add_fetch(&t->ports, 1, __ATOMIC_RELAXED) > t->conf.max_ports) {
        __atomic_fetch_sub(&t->ports, 1, __ATOMIC_RELAXED);
        *err = NAT_ERR_PORT_QUOTA;
        return NAT_NONE;
    }
    /* Paired pooling (RFC 4787 REQ-2): the inside address alone picks the public address. */
    ip_sel = rte_hash_crc_4byte(k->in_ip, 0x5eed) % t->conf.n_public;
    ip_idx = t->ip_idx[ip_sel];
    port = port_alloc(w, nt, ip_idx, pi, rte_be_to_cpu_16(k->in_port));
    if (port < 0) {
        __atomic_fetch_sub(&t->ports, 1, __ATOMIC_RELAXED);
        *err = NAT_ERR_OUT_OF_PORTS;
        return NAT_NONE;
    }
    nat_port_take(nat, nw, pi, ip_idx, (uint32_t)port);
    memset(&m, 0, sizeof m);
    m.in_ip = k->in_ip;
    m.in_port = k->in_port;
    m.pub_ip = nat->ips[ip_idx].ip;
    m.pub_port = rte_cpu_to_be_16((uint16_t)port);
    m.tenant = k->tenant;
    m.proto = k->proto;
    m.nt = (uint16_t)nt;
    m.ip_idx = (uint8_t)ip_idx;
    mi = nat_mapping_insert(nw, &m);
    if (mi == NAT_NONE) {
        nat_port_give(w, nt, pi, ip_idx, (uint32_t)port);
        __atomic_fetch_sub(&t->ports, 1, __ATOMIC_RELAXED);
        *err = NAT_ERR_TABLE_FULL;
        return NAT_NONE;
    }
    dp_count(w, DP_nat_mappings_created);
    nat_log(w, t, DP_NAT_EV_MAPPING_ADD, m.proto, m.in_ip, rte_be_to_cpu_16(m.in_port), m.pub_ip,
            (uint16_t)port, 0);
    return mi;
}

/* Ends mapping 'mi' (it has no session left): unindexes it and gives its port back. */
void
nat_mapping_delete(struct dp_worker *w, uint32_t mi)
{
    struct nat *nat = w->dp->nat;
    struct nat_worker *nw = w->nat;
    struct nat_mapping *m = &nw->mappings[mi];
    struct nat_key_ep ki = ep_key(m->in_ip, m->in_port, m->tenant, m->proto);
    struct nat_key_ep ko = ep_key(m->pub_ip, m->pub_port, 0, m->proto);
    struct nat_tenant *t = &nat->tenants[m->nt];

    rte_hash_del_key(nw->map_in, &ki);
    rte_hash_del_key(nw->map_out, &ko);
    nat_log(w, t, DP_NAT_EV_MAPPING_DEL, m->proto, m->in_ip, rte_be_to_cpu_16(m->in_port),
            m->pub_ip, rte_be_to_cpu_16(m->pub_port), 0);
    if (!(m->flags & NAT_M_STATIC)) {
        nat_port_give(w, m->nt, proto_index(m->proto), m->ip_idx, rte_be_to_cpu_16(m->pub_port));
        __atomic_fetch_sub(&t->ports, 1, __ATOMIC_RELAXED);
    }
    nw->free_mappings[nw->n_free_mappings++] = mi;
}

uint32_t
nat_timeout_class(const struct nat_session *s)
{
    if (s->proto == IPPROTO_TCP) {
        return s->tcp_state == DP_NAT_TCP_ESTABLISHED ? DP_NAT_T_TCP_EST : DP_NAT_T_TCP_TRANS;
    }
    return s->proto == IPPROTO_UDP ? DP_NAT_T_UDP : DP_NAT_T_ICMP;
}

/* The second (of the NAT clock) at which 's' expires if no packet refreshes it. */
static uint64_t
session_expiry_s(const struct nat *nat, const struct nat_session *s)
{
    const struct nat_tenant *t = &nat->tenants[nat_tenant_of(nat, s->tenant) - 1];
    return now_s(nat, s->last_tsc + t->timeout_tsc[s->tclass]);
}

static void
wheel_insert(struct nat_worker *nw, uint32_t si, uint64_t second)
{
    uint32_t slot = (uint32_t)(second % NAT_WHEEL_SLOTS);
    nw->sessions[si].wheel_next = nw->wheel[slot];
    nw->wheel[slot] = si;
}

struct nat_session *
nat_session_on_mapping(struct dp_worker *w, struct nat_worker *nw, uint32_t mi, uint32_t rem_ip,
                       uint16_t rem_port, enum nat_create_err *err)
{
    struct nat *nat = w->dp->nat;
    struct nat_mapping *m = &nw->mappings[mi];
    struct nat_tenant *t = &nat->tenants[m->nt];
    struct nat_key_in ki = {.tenant = m->tenant,
                            .proto = m->proto,
                            .in_ip = m->in_ip,
                            .rem_ip = rem_ip,
                            .in_port = m->in_port,
                            .rem_port = rem_port};
    struct nat_key_out ko = {.pub_ip = m->pub_ip,
                             .rem_ip = rem_ip,
                             .pub_port = m->pub_port,
                             .rem_port = rem_port,
                             .proto = m->proto};
    struct nat_session *s;
    uint32_t si;

    /* A session the pair's peer created is imported past the quota: the peer applied it. */
    if (__atomic_add_fetch(&t->sessions, 1, __ATOMIC_RELAXED) > t->conf.max_sessions &&
        !nw->sync_importing) {
        __atomic_fetch_sub(&t->sessions, 1, __ATOMIC_RELAXED);
        *err = NAT_ERR_SESSION_QUOTA;
        return NULL;
    }
    if (!nw->n_free_sessions) {
        __atomic_fetch_sub(&t->sessions, 1, __ATOMIC_RELAXED);
        *err = NAT_ERR_TABLE_FULL;
        return NULL;
    }
    si = nw->free_sessions[nw->n_free_sessions - 1];
    if (rte_hash_add_key_data(nw->sess_in, &ki, (void *)(uintptr_t)si) < 0) {
        __atomic_fetch_sub(&t->sessions, 1, __ATOMIC_RELAXED);
        *err = NAT_ERR_TABLE_FULL;
        return NULL;
    }
    if (rte_hash_add_key_data(nw->sess_out, &ko, (void *)(uintptr_t)si) < 0) {
        rte_hash_del_key(nw->sess_in, &ki);
        __atomic_fetch_sub(&t->sessions, 1, __ATOMIC_RELAXED);
        *err = NAT_ERR_TABLE_FULL;
        return NULL;
    }
    nw->n_free_sessions--;
    s = &nw->sessions[si];
    memset(s, 0, sizeof *s);
    s->in_ip = m->in_ip;
    s->pub_ip = m->pub_ip;
    s->rem_ip = rem_ip;
    s->in_port = m->in_port;
    s->pub_port = m->pub_port;
    s->rem_port = rem_port;
    s->tenant = m->tenant;
    s->proto = m->proto;
    s->mapping = mi;
    s->tclass = (uint8_t)nat_timeout_class(s);
    s->last_tsc = s->created_tsc = nw->now_tsc;
    s->map_prev = NAT_NONE;
    s->map_next = m->sessions;
    if (m->sessions != NAT_NONE) {
        nw->sessions[m->sessions].map_prev = si;
    }
    m->sessions = si;
    m->n_sessions++;
    wheel_insert(nw, si, session_expiry_s(nat, s));
    dp_count(w, DP_nat_sessions_created);
    if (s->proto != IPPROTO_TCP) {
        nat_sync_note(w, s, DP_NAT_SYNC_UPSERT); /* TCP: on its first state change, just after. */
    }
    return s;
}

struct nat_session *
nat_session_outbound(struct dp_worker *w, struct nat_worker *nw, const struct nat_key_in *k,
                     enum nat_create_err *err)
{
    uint32_t mi = mapping_outbound(w, nw, k, err);
    struct nat_session *s;

    if (mi == NAT_NONE) {
        return NULL;
    }
    s = nat_session_on_mapping(w, nw, mi, k->rem_ip, k->rem_port, err);
    if (!s && nw->mappings[mi].n_sessions == 0) {
        nat_mapping_delete(w, mi);
    }
    return s;
}

/* Removes session 'si' from the tables (and its mapping when it was the last). The slot itself
 * goes back to the pool only when the timer wheel reaches it ('free_now' when the wheel is the
 * caller). */
void
nat_session_remove(struct dp_worker *w, uint32_t si, bool free_now)
{
    struct nat *nat = w->dp->nat;
    struct nat_worker *nw = w->nat;
    struct nat_session *s = &nw->sessions[si];
    struct nat_mapping *m = &nw->mappings[s->mapping];
    struct nat_key_in ki = {.tenant = s->tenant,
                            .proto = s->proto,
                            .in_ip = s->in_ip,
                            .rem_ip = s->rem_ip,
                            .in_port = s->in_port,
                            .rem_port = s->rem_port};
    struct nat_key_out ko = {.pub_ip = s->pub_ip,
                             .rem_ip = s->rem_ip,
                             .pub_port = s->pub_port,
                             .rem_port = s->rem_port,
                             .proto = s->proto};

    if (!(s->flags & NAT_S_DEAD)) {
        rte_hash_del_key(nw->sess_in, &ki);
        rte_hash_del_key(nw->sess_out, &ko);
        if (s->map_prev != NAT_NONE) {
            nw->sessions[s->map_prev].map_next = s->map_next;
        } else {
            m->sessions = s->map_next;
        }
        if (s->map_next != NAT_NONE) {
            nw->sessions[s->map_next].map_prev = s->map_prev;
        }
        __atomic_fetch_sub(&nat->tenants[m->nt].sessions, 1, __ATOMIC_RELAXED);
        nat_sync_note(w, s, DP_NAT_SYNC_DELETE);
        if (--m->n_sessions == 0) {
            nat_mapping_delete(w, s->mapping);
        }
        s->flags |= NAT_S_DEAD;
    }
    if (free_now) {
        nw->free_sessions[nw->n_free_sessions++] = si;
    }
}

void
nat_tcp_track(struct dp_worker *w, struct nat_session *s, uint8_t tcp_flags, bool outbound)
{
    uint8_t old = s->tcp_state;

    if (tcp_flags & RTE_TCP_RST_FLAG) {
        s->tcp_state = DP_NAT_TCP_RESET;
    } else if (tcp_flags & RTE_TCP_SYN_FLAG) {
        if (s->tcp_state == DP_NAT_TCP_TIME_WAIT || s->tcp_state == DP_NAT_TCP_RESET) {
            /* A new connection on the same 5-tuple (RFC 5382 section 5, TIME_WAIT). */
            s->flags &= (uint8_t) ~(NAT_S_SYN_IN | NAT_S_SYN_OUT | NAT_S_FIN_IN | NAT_S_FIN_OUT);
            s->tcp_state = DP_NAT_TCP_SYN_SENT;
        }
        s->flags |= outbound ? NAT_S_SYN_OUT : NAT_S_SYN_IN;
        if (s->tcp_state == DP_NAT_TCP_NONE) {
            s->tcp_state = DP_NAT_TCP_SYN_SENT;
        }
        if ((s->flags & (NAT_S_SYN_IN | NAT_S_SYN_OUT)) == (NAT_S_SYN_IN | NAT_S_SYN_OUT) &&
            s->tcp_state == DP_NAT_TCP_SYN_SENT) {
            s->tcp_state = DP_NAT_TCP_ESTABLISHED;
        }
    } else if (s->tcp_state == DP_NAT_TCP_NONE) {
        /* A flow already open when the session was lost (failover, clear): take it as open. */
        s->tcp_state = DP_NAT_TCP_ESTABLISHED;
    }
    if ((tcp_flags & RTE_TCP_FIN_FLAG) && s->tcp_state != DP_NAT_TCP_RESET) {
        s->flags |= outbound ? NAT_S_FIN_OUT : NAT_S_FIN_IN;
        s->tcp_state = (s->flags & (NAT_S_FIN_IN | NAT_S_FIN_OUT)) == (NAT_S_FIN_IN | NAT_S_FIN_OUT)
                           ? DP_NAT_TCP_TIME_WAIT
                           : DP_NAT_TCP_FIN_WAIT;
    }
    if (s->tcp_state != old) {
        s->tclass = (uint8_t)nat_timeout_class(s);
        nat_sync_note(w, s, DP_NAT_SYNC_UPSERT);
    }
}

/* ---- Expiry ---- */

/* Expires at most 'budget' sessions' worth of timer-wheel work. */
static void
expire(struct dp_worker *w, unsigned budget)
{
    struct nat *nat = w->dp->nat;
    struct nat_worker *nw = w->nat;
    uint64_t now = now_s(nat, nw->now_tsc);

    while (budget--) {
        if (nw->expiring == NAT_NONE) {
            if (nw->wheel_s > now) {
                return;
            }
            /* Detach the whole slot, so that sessions put back into it wait a full turn. */
            nw->expiring = nw->wheel[nw->wheel_s % NAT_WHEEL_SLOTS];
            nw->wheel[nw->wheel_s % NAT_WHEEL_SLOTS] = NAT_NONE;
            nw->wheel_done_s = nw->wheel_s++;
            continue;
        }
        uint32_t si = nw->expiring;
        struct nat_session *s = &nw->sessions[si];
        nw->expiring = s->wheel_next;
        if (s->flags & NAT_S_DEAD) {
            nat_session_remove(w, si, true);
            continue;
        }
        uint64_t exp = session_expiry_s(nat, s);
        if (exp <= nw->wheel_done_s) {
            nat_session_remove(w, si, true);
            dp_count(w, DP_nat_sessions_expired);
        } else {
            /* Refreshed since it was put here: tell the peer, whose copy expires soon. */
            wheel_insert(nw, si, exp);
            nat_sync_note(w, s, DP_NAT_SYNC_UPSERT);
        }
    }
}

/* ---- Control requests served by the workers ---- */

static bool
filter_match(const struct dp_nat_filter *f, const struct nat_session *s)
{
    return (!f->tenant || f->tenant == s->tenant) &&
           (!f->addr || f->addr == s->in_ip || f->addr == s->pub_ip || f->addr == s->rem_ip);
}

static void
serve_cmd(struct dp_worker *w, struct nat_cmd *cmd)
{
    struct nat *nat = w->dp->nat;
    struct nat_worker *nw = w->nat;
    const void *key;
    void *data;
    uint32_t iter = 0;

    if (cmd->op == NAT_CMD_SYNC_WALK) {
        nat_sync_serve_walk(w, cmd);
        return;
    }
    while (rte_hash_iterate(nw->sess_in, &key, &data, &iter) >= 0) {
        uint32_t si = (uint32_t)(uintptr_t)data;
        struct nat_session *s = &nw->sessions[si];

        if (!filter_match(&cmd->filter, s)) {
            continue;
        }
        __atomic_fetch_add(&cmd->matched, 1, __ATOMIC_RELAXED);
        if (cmd->op == NAT_CMD_CLEAR) {
            nat_session_remove(w, si, false);
            dp_count(w, DP_nat_sessions_cleared);
            continue;
        }
        size_t k = __atomic_fetch_add(&cmd->n_out, 1, __ATOMIC_RELAXED);
        if (k >= cmd->max) {
            continue;
        }
        struct dp_nat_session_info *o = &cmd->out[k];
        uint64_t exp = session_expiry_s(nat, s), now = now_s(nat, nw->now_tsc);
        o->tenant = s->tenant;
        o->proto = s->proto;
        o->tcp_state = s->tcp_state;
        o->in_ip = s->in_ip;
        o->in_port = rte_be_to_cpu_16(s->in_port);
        o->pub_ip = s->pub_ip;
        o->pub_port = rte_be_to_cpu_16(s->pub_port);
        o->rem_ip = s->rem_ip;
        o->rem_port = rte_be_to_cpu_16(s->rem_port);
        o->worker = (uint16_t)nw->id;
        /* An imported session may be "last seen" in the future (see nat_sync.h). */
        o->idle_s =
            nw->now_tsc > s->last_tsc ? (uint32_t)((nw->now_tsc - s->last_tsc) / nat->tsc_hz) : 0;
        o->expires_s = exp > now ? (uint32_t)(exp - now) : 0;
        o->pkts_out = s->pkts_out;
        o->pkts_in = s->pkts_in;
    }
}

unsigned
nat_worker_poll(struct dp_worker *w)
{
    return nat_worker_tick(w, rte_rdtsc());
}

unsigned
nat_worker_tick(struct dp_worker *w, uint64_t now_tsc)
{
    struct nat_worker *nw = w->nat;
    struct nat_cmd *cmd;
    struct rte_mbuf *pkts[DP_BURST];
    unsigned n, n_sync = 0;

    nw->now_tsc = now_tsc;
    expire(w, 64);
    if (unlikely(__atomic_load_n(&nw->sync_in, __ATOMIC_RELAXED) != NULL)) {
        n_sync = nat_sync_worker_poll(w);
    }
    cmd = __atomic_load_n(&nw->cmd, __ATOMIC_ACQUIRE);
    if (unlikely(cmd != NULL)) {
        serve_cmd(w, cmd);
        __atomic_store_n(&nw->cmd, NULL, __ATOMIC_RELEASE);
    }
    n = rte_ring_sc_dequeue_burst(nw->handoff, (void **)pkts, DP_BURST, NULL);
    for (unsigned i = 0; i < n; i++) {
        nat_handoff_input(w, pkts[i]);
    }
    rte_ip_frag_free_death_row(&nw->death_row, 3);
    return n + n_sync; /* Imports keep the worker from its idle sleep too. */
}

void
nat_cmd_run_on(struct dp *dp, unsigned worker, struct nat_cmd *cmd)
{
    struct nat_worker *nw = dp->nat->workers[worker];

    if (!nw) {
        return;
    }
    if (!dp->started) {
        /* No worker runs: the control thread may touch the tables itself. */
        serve_cmd(&dp->workers[worker], cmd);
        return;
    }
    __atomic_store_n(&nw->cmd, cmd, __ATOMIC_RELEASE);
    /* Workers poll between bursts and sleep at most 1 ms when idle. */
    while (__atomic_load_n(&nw->cmd, __ATOMIC_ACQUIRE)) {
        usleep(50);
    }
}

/* Runs 'cmd' on every worker and waits for all of them. */
static void
run_cmd(struct dp *dp, struct nat_cmd *cmd)
{
    for (unsigned i = 0; i < dp->nat->n_workers; i++) {
        nat_cmd_run_on(dp, i, cmd);
    }
}

size_t
dp_nat_sessions(struct dp *dp, const struct dp_nat_filter *f, struct dp_nat_session_info *out,
                size_t max)
{
    struct nat_cmd cmd = {.op = NAT_CMD_LIST, .filter = *f, .out = out, .max = max};

    if (!dp->nat) {
        return 0;
    }
    run_cmd(dp, &cmd);
    return cmd.matched;
}

size_t
dp_nat_clear(struct dp *dp, const struct dp_nat_filter *f)
{
    struct nat_cmd cmd = {.op = NAT_CMD_CLEAR, .filter = *f};

    if (!dp->nat) {
        return 0;
    }
    run_cmd(dp, &cmd);
    return cmd.matched;
}

/* ---- Read-only views ---- */

int
dp_nat_usage(const struct dp *dp, uint16_t tenant, struct dp_nat_usage *out)
{
    const struct nat *nat = dp->nat;
    const struct nat_tenant *t;
    unsigned nt = nat ? nat_tenant_of(nat, tenant) : 0;

    if (!nt) {
        return ENOENT;
    }
    t = &nat->tenants[nt - 1];
    memset(out, 0, sizeof *out);
    out->sessions = __atomic_load_n(&t->sessions, __ATOMIC_RELAXED);
    out->ports = __atomic_load_n(&t->ports, __ATOMIC_RELAXED);
    out->blocks = __atomic_load_n(&t->blocks, __ATOMIC_RELAXED);
    out->max_sessions = t->conf.max_sessions;
    out->max_ports = t->conf.max_ports;
    out->blocks_total = (((uint32_t)t->conf.port_max + 1 - t->conf.port_min) >> nat->block_shift) *
                        t->conf.n_public;
    return 0;
}

size_t
dp_nat_tenants(const struct dp *dp, uint16_t *out, size_t max)
{
    const struct nat *nat = dp->nat;

    if (!nat) {
        return 0;
    }
    for (unsigned i = 0; i < nat->n_tenants && i < max; i++) {
        out[i] = nat->tenants[i].conf.tenant;
    }
    return nat->n_tenants;
}

const struct dp_nat_conf *
dp_nat_conf_get(const struct dp *dp, uint16_t tenant)
{
    unsigned nt = dp->nat ? nat_tenant_of(dp->nat, tenant) : 0;
    return nt ? &dp->nat->tenants[nt - 1].conf : NULL;
}

size_t
dp_nat_pools(const struct dp *dp, struct dp_nat_pool_info *out, size_t max)
{
    const struct nat *nat = dp->nat;
    size_t n = 0;

    if (!nat) {
        return 0;
    }
    for (unsigned t = 0; t < nat->n_tenants; t++) {
        const struct nat_tenant *nt = &nat->tenants[t];
        for (unsigned i = 0; i < nt->conf.n_public; i++, n++) {
            unsigned ip_idx = nt->ip_idx[i];
            uint32_t bmin = nt->conf.port_min >> nat->block_shift;
            uint32_t bmax = nt->conf.port_max >> nat->block_shift;
            struct dp_nat_pool_info *o;

            if (n >= max) {
                continue;
            }
            o = &out[n];
            memset(o, 0, sizeof *o);
            o->ip = nat->ips[ip_idx].ip;
            o->tenant = nt->conf.tenant;
            o->port_min = nt->conf.port_min;
            o->port_max = nt->conf.port_max;
            o->blocks_total = bmax - bmin + 1;
            for (uint32_t b = bmin; b <= bmax; b++) {
                o->blocks_used +=
                    __atomic_load_n(&nat->block_owner[(size_t)ip_idx * nat->blocks_per_ip + b],
                                    __ATOMIC_RELAXED) != 0;
            }
            for (unsigned s = 0; s < nat->n_statics; s++) {
                o->statics +=
                    nat->statics[s].st.pub_ip == o->ip && nat->statics[s].st.tenant == o->tenant;
            }
        }
    }
    return n;
}

const char *
dp_nat_tcp_state_name(enum dp_nat_tcp_state s)
{
    static const char *const names[] = {"-",        "syn-sent",  "established",
                                        "fin-wait", "time-wait", "reset"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}
