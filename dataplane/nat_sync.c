/* SPDX-License-Identifier: Apache-2.0 */
/* NAT44 session sync (nat_sync.h): the workers' export rings and wake-up, the bulk walk, and the
 * import of the pair's peer's sessions.
 *
 * Import and ownership: a session belongs to the worker hash(tenant, inside address) names, and
 * only that worker touches its tables. So the control thread checks a record against the
 * configuration (which is fixed after dp_start()) and hands it to that worker's import ring; the
 * worker applies it between bursts, with nw->sync_importing set, which keeps the change from
 * being exported back and the tenant's quotas from refusing it.
 *
 * Lifetime: an imported session must not expire before the peer's copy tells it more. The peer
 * re-exports a live session when its timer-wheel slot comes round, that is when the copy we hold
 * would expire; so the copy is given DP_NAT_SYNC_GRACE_S more. That may put its last-seen time
 * (from which the NAT computes expiry) a little in the future; the CLI shows idle 0 then. */
#include <errno.h>
#include <unistd.h>

#include <sys/eventfd.h>

#include "dp_internal.h"

#define NAT_SYNC_WALK_SLOTS 65536 /* Session slots one walk call looks at, at most. */
#define NAT_SYNC_APPLY      256   /* Records a worker applies per poll, at most. */

/* The sync state of a NAT. */
struct nat_sync {
    int fd;               /* Wake-up eventfd. */
    uint32_t armed;       /* The control thread may sleep: the next export writes fd (atomic). */
    unsigned next_worker; /* Where the next drain starts (fairness). */
};

static unsigned
proto_index(uint8_t proto)
{
    return proto == IPPROTO_TCP ? 0 : proto == IPPROTO_UDP ? 1 : 2;
}

/* Session flags <-> record flags. */
static uint8_t
flags_out(uint8_t f)
{
    return (uint8_t)((f & NAT_S_SYN_OUT ? DP_NAT_SYNC_SYN_OUT : 0) |
                     (f & NAT_S_SYN_IN ? DP_NAT_SYNC_SYN_IN : 0) |
                     (f & NAT_S_FIN_OUT ? DP_NAT_SYNC_FIN_OUT : 0) |
                     (f & NAT_S_FIN_IN ? DP_NAT_SYNC_FIN_IN : 0));
}

static uint8_t
flags_in(uint8_t f)
{
    return (uint8_t)((f & DP_NAT_SYNC_SYN_OUT ? NAT_S_SYN_OUT : 0) |
                     (f & DP_NAT_SYNC_SYN_IN ? NAT_S_SYN_IN : 0) |
                     (f & DP_NAT_SYNC_FIN_OUT ? NAT_S_FIN_OUT : 0) |
                     (f & DP_NAT_SYNC_FIN_IN ? NAT_S_FIN_IN : 0));
}

/* Fills 'r' from session 's' at time 'now_tsc'. */
static void
rec_fill(const struct nat *nat, const struct nat_session *s, uint8_t op, uint64_t now_tsc,
         struct dp_nat_sync_rec *r)
{
    const struct nat_tenant *t = &nat->tenants[nat_tenant_of(nat, s->tenant) - 1];
    uint64_t exp = s->last_tsc + t->timeout_tsc[s->tclass];

    memset(r, 0, sizeof *r);
    r->op = op;
    r->proto = s->proto;
    r->tcp_state = s->tcp_state;
    r->tcp_flags = flags_out(s->flags);
    r->tenant = s->tenant;
    r->in_ip = s->in_ip;
    r->in_port = rte_be_to_cpu_16(s->in_port);
    r->pub_ip = s->pub_ip;
    r->pub_port = rte_be_to_cpu_16(s->pub_port);
    r->rem_ip = s->rem_ip;
    r->rem_port = rte_be_to_cpu_16(s->rem_port);
    if (op == DP_NAT_SYNC_UPSERT && exp > now_tsc) {
        r->lifetime_s = (uint32_t)((exp - now_tsc + nat->tsc_hz - 1) / nat->tsc_hz);
    }
}

/* ---- Export ---- */

void
nat_sync_export(struct dp_worker *w, const struct nat_session *s, uint8_t op)
{
    struct nat *nat = w->dp->nat;
    struct nat_worker *nw = w->nat;
    struct nat_sync *sync = nat->sync;
    struct dp_nat_sync_rec r;
    uint64_t one = 1;

    rec_fill(nat, s, op, nw->now_tsc, &r);
    if (rte_ring_sp_enqueue_elem(nw->sync_out, &r, sizeof r) != 0) {
        w->stats.drop[DP_nat_sync_export_lost]++;
        return;
    }
    dp_count(w, DP_nat_sync_exported);
    /* The wake-up protocol of dp_control_fd() (control.c): the enqueue, then the flag. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&sync->armed, __ATOMIC_RELAXED) &&
        __atomic_exchange_n(&sync->armed, 0, __ATOMIC_ACQ_REL)) {
        ssize_t n = write(sync->fd, &one, sizeof one);
        (void)n; /* Cannot fail short of a bad fd: the counter is far from overflowing. */
    }
}

int
dp_nat_sync_enable(struct dp *dp)
{
    struct nat *nat = dp->nat;
    struct rte_ring *out[DP_MAX_WORKERS] = {NULL}, *in[DP_MAX_WORKERS] = {NULL};
    struct nat_sync *sync;
    char name[RTE_RING_NAMESIZE];
    bool ok = true;

    if (!nat) {
        return ENOTSUP;
    }
    if (!nat->workers[0]) {
        return EAGAIN;
    }
    if (nat->sync) {
        return 0;
    }
    sync = rte_zmalloc("nat_sync", sizeof *sync, 64);
    if (!sync) {
        return ENOMEM;
    }
    sync->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    sync->armed = 1; /* The first export wakes a control thread that has not drained yet. */
    for (unsigned i = 0; i < nat->n_workers && ok; i++) {
        snprintf(name, sizeof name, "nat_sx%u", i);
        out[i] = rte_ring_create_elem(name, sizeof(struct dp_nat_sync_rec), DP_NAT_SYNC_RING,
                                      SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
        snprintf(name, sizeof name, "nat_sy%u", i);
        in[i] = rte_ring_create_elem(name, sizeof(struct dp_nat_sync_rec), DP_NAT_SYNC_RING,
                                     SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
        ok = out[i] && in[i];
    }
    if (!ok || sync->fd < 0) {
        for (unsigned i = 0; i < nat->n_workers; i++) {
            rte_ring_free(out[i]);
            rte_ring_free(in[i]);
        }
        if (sync->fd >= 0) {
            close(sync->fd);
        }
        rte_free(sync);
        return ENOMEM;
    }
    nat->sync = sync;
    /* The workers may be running: each ring is whole before they can see it. */
    for (unsigned i = 0; i < nat->n_workers; i++) {
        __atomic_store_n(&nat->workers[i]->sync_in, in[i], __ATOMIC_RELEASE);
        __atomic_store_n(&nat->workers[i]->sync_out, out[i], __ATOMIC_RELEASE);
    }
    return 0;
}

void
nat_sync_free(struct nat *nat)
{
    if (!nat->sync) {
        return;
    }
    for (unsigned i = 0; i < nat->n_workers; i++) {
        if (nat->workers[i]) {
            rte_ring_free(nat->workers[i]->sync_out);
            rte_ring_free(nat->workers[i]->sync_in);
            nat->workers[i]->sync_out = nat->workers[i]->sync_in = NULL;
        }
    }
    close(nat->sync->fd);
    rte_free(nat->sync);
    nat->sync = NULL;
}

int
dp_nat_sync_fd(const struct dp *dp)
{
    return dp->nat && dp->nat->sync ? dp->nat->sync->fd : -1;
}

size_t
dp_nat_sync_drain(struct dp *dp, struct dp_nat_sync_rec *out, size_t max)
{
    struct nat *nat = dp->nat;
    struct nat_sync *sync = nat ? nat->sync : NULL;
    uint64_t count;
    size_t n = 0;

    if (!sync) {
        return 0;
    }
    if (read(sync->fd, &count, sizeof count) < 0) {
        count = 0; /* EAGAIN: nobody wrote it. */
    }
    __atomic_store_n(&sync->armed, 0, __ATOMIC_RELAXED); /* Awake: no writes needed. */
    for (unsigned k = 0; k < nat->n_workers && n < max; k++) {
        unsigned i = (sync->next_worker + k) % nat->n_workers;
        n += rte_ring_sc_dequeue_burst_elem(nat->workers[i]->sync_out, out + n, sizeof *out,
                                            (unsigned)(max - n), NULL);
    }
    sync->next_worker = (sync->next_worker + 1) % nat->n_workers;
    return n;
}

bool
dp_nat_sync_arm(struct dp *dp)
{
    struct nat *nat = dp->nat;
    struct nat_sync *sync = nat ? nat->sync : NULL;

    if (!sync) {
        return true;
    }
    __atomic_store_n(&sync->armed, 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* The flag, then the look at the rings. */
    for (unsigned i = 0; i < nat->n_workers; i++) {
        if (!rte_ring_empty(nat->workers[i]->sync_out)) {
            __atomic_store_n(&sync->armed, 0, __ATOMIC_RELAXED);
            return false;
        }
    }
    return true;
}

/* ---- Bulk walk ---- */

void
nat_sync_serve_walk(struct dp_worker *w, struct nat_cmd *cmd)
{
    struct nat *nat = w->dp->nat;
    struct nat_worker *nw = w->nat;
    uint32_t i = cmd->index;
    uint32_t end = nw->capacity - i > NAT_SYNC_WALK_SLOTS ? i + NAT_SYNC_WALK_SLOTS : nw->capacity;

    for (; i < end && cmd->n_out < cmd->max; i++) {
        const struct nat_session *s = &nw->sessions[i];

        /* Never used (zeroed), or removed. */
        if (!s->tenant || (s->flags & NAT_S_DEAD)) {
            continue;
        }
        rec_fill(nat, s, DP_NAT_SYNC_UPSERT, nw->now_tsc, &cmd->sync_out[cmd->n_out++]);
    }
    cmd->index = i;
}

size_t
dp_nat_sync_walk(struct dp *dp, struct dp_nat_sync_cursor *c, struct dp_nat_sync_rec *out,
                 size_t max, bool *done)
{
    struct nat *nat = dp->nat;

    *done = false;
    while (nat && nat->workers[0] && c->worker < nat->n_workers) {
        struct nat_cmd cmd = {
            .op = NAT_CMD_SYNC_WALK, .sync_out = out, .max = max, .index = c->index};

        nat_cmd_run_on(dp, c->worker, &cmd);
        c->index = cmd.index;
        if (c->index >= nat->workers[c->worker]->capacity) {
            c->worker++;
            c->index = 0;
        }
        if (cmd.n_out || c->index) {
            return cmd.n_out; /* A page, or a bounded look at a sparse pool. */
        }
    }
    *done = true;
    return 0;
}

/* ---- Import: checks on the control thread ---- */

/* The index (into nat->ips) of public address 'ip' of tenant 't', or -1. */
static int
tenant_ip_index(const struct nat_tenant *t, uint32_t ip)
{
    for (unsigned i = 0; i < t->conf.n_public; i++) {
        if (t->conf.public_ips[i] == ip) {
            return t->ip_idx[i];
        }
    }
    return -1;
}

/* Checks 'r' against the configuration: 0, ENOENT (no NAT for its tenant) or EINVAL. */
static int
rec_check(const struct nat *nat, const struct dp_nat_sync_rec *r)
{
    unsigned nt = r->tenant ? nat_tenant_of(nat, r->tenant) : 0;
    const struct nat_tenant *t;
    int ip_idx, si;

    if (!nt) {
        return ENOENT;
    }
    t = &nat->tenants[nt - 1];
    if ((r->op != DP_NAT_SYNC_UPSERT && r->op != DP_NAT_SYNC_DELETE) || r->pad ||
        (r->proto != IPPROTO_TCP && r->proto != IPPROTO_UDP && r->proto != IPPROTO_ICMP) ||
        r->tcp_state > DP_NAT_TCP_RESET || (r->tcp_flags & ~0x0f) ||
        (r->proto != IPPROTO_TCP && (r->tcp_state || r->tcp_flags)) ||
        (r->proto == IPPROTO_ICMP && r->rem_port)) {
        return EINVAL;
    }
    ip_idx = tenant_ip_index(t, r->pub_ip);
    if (ip_idx < 0) {
        return EINVAL;
    }
    if (r->op == DP_NAT_SYNC_DELETE) {
        return 0;
    }
    if (nat->ips[ip_idx].reserved[r->pub_port / 64] & (1ull << (r->pub_port % 64))) {
        /* A static mapping's port: only that mapping's own inside endpoint may hold it. */
        si = r->proto == IPPROTO_ICMP
                 ? -1
                 : nat_static_find_out(nat, r->pub_ip, rte_cpu_to_be_16(r->pub_port), r->proto);
        if (si < 0 || nat->statics[si].st.in_ip != r->in_ip ||
            nat->statics[si].st.in_port != r->in_port || nat->statics[si].st.tenant != r->tenant) {
            return EINVAL;
        }
        return 0;
    }
    if (r->pub_port < t->conf.port_min || r->pub_port > t->conf.port_max ||
        (r->proto != IPPROTO_ICMP && !nat_is_inside(t, r->in_ip))) {
        return EINVAL;
    }
    return 0;
}

int
dp_nat_sync_import(struct dp *dp, const struct dp_nat_sync_rec *rec)
{
    struct nat *nat = dp->nat;
    int ret;

    if (!nat || !nat->sync) {
        return ENOTSUP;
    }
    ret = rec_check(nat, rec);
    if (ret) {
        dp->control_stats.drop[ret == ENOENT ? DP_nat_sync_bad_tenant : DP_nat_sync_bad_record]++;
        return ret;
    }
    struct dp_nat_sync_rec copy = *rec; /* The ring takes no const. */
    if (rte_ring_sp_enqueue_elem(nat->workers[nat_owner(nat, rec->tenant, rec->in_ip)]->sync_in,
                                 &copy, sizeof copy) != 0) {
        dp->control_stats.drop[DP_nat_sync_import_full]++;
        return ENOBUFS;
    }
    return 0;
}

/* ---- Import: applied by the owning worker ---- */

/* Removes every session of mapping 'mi' (and with the last, the mapping). Returns how many. */
static unsigned
mapping_clear(struct dp_worker *w, uint32_t mi)
{
    struct nat_worker *nw = w->nat;
    unsigned n = nw->mappings[mi].n_sessions;

    for (unsigned k = 0; k < n; k++) {
        nat_session_remove(w, nw->mappings[mi].sessions, false);
    }
    return n;
}

/* The TSC at which an imported session of lifetime 'lifetime_s' is to expire here. */
static uint64_t
import_expiry(const struct nat *nat, const struct nat_worker *nw, uint32_t lifetime_s,
              uint64_t timeout_tsc)
{
    uint64_t life = (uint64_t)lifetime_s * nat->tsc_hz;

    /* Never longer than the timeout says, whatever the record claims. */
    if (life > timeout_tsc) {
        life = timeout_tsc;
    }
    return nw->now_tsc + life + (uint64_t)DP_NAT_SYNC_GRACE_S * nat->tsc_hz;
}

/* Sets the TCP state and timer of existing session 's' as 'r' says. The session stays in its
 * wheel slot: a later expiry is found there and the session put further; an earlier one waits
 * for that slot (the peer's DELETE comes before). */
static void
session_update(struct nat *nat, struct nat_worker *nw, struct nat_session *s,
               const struct dp_nat_sync_rec *r)
{
    const struct nat_tenant *t = &nat->tenants[nat_tenant_of(nat, s->tenant) - 1];

    s->tcp_state = r->tcp_state;
    s->flags = (uint8_t)((s->flags & NAT_S_DEAD) | flags_in(r->tcp_flags));
    s->tclass = (uint8_t)nat_timeout_class(s);
    s->last_tsc = import_expiry(nat, nw, r->lifetime_s, t->timeout_tsc[s->tclass]) -
                  t->timeout_tsc[s->tclass];
}

/* Finds or makes the mapping of 'r' once conflicts are gone: NAT_NONE with the drop reason in
 * '*why' when it cannot. */
static uint32_t
import_mapping(struct dp_worker *w, const struct dp_nat_sync_rec *r, unsigned nt, int ip_idx,
               int si, enum dp_drop *why)
{
    struct nat *nat = w->dp->nat;
    struct nat_worker *nw = w->nat;
    struct nat_key_ep ki;
    struct nat_mapping m;
    enum nat_create_err err = NAT_OK;
    unsigned pi = proto_index(r->proto);
    uint32_t g = (uint32_t)ip_idx * nat->blocks_per_ip + (r->pub_port >> nat->block_shift);
    uint32_t mi, owner;
    void *data;

    memset(&ki, 0, sizeof ki);
    ki.ip = r->in_ip;
    ki.port = rte_cpu_to_be_16(r->in_port);
    ki.tenant = r->tenant;
    ki.proto = r->proto;
    if (rte_hash_lookup_data(nw->map_in, &ki, &data) >= 0) {
        return (uint32_t)(uintptr_t)data; /* Conflicts are gone: it is the record's. */
    }
    if (si >= 0) {
        mi = nat_mapping_static(w, nw, (unsigned)si, &err);
        *why = DP_nat_sync_import_full;
        return mi;
    }
    owner = __atomic_load_n(&nat->block_owner[g], __ATOMIC_ACQUIRE);
    if ((owner && owner != nw->id + 1) || (!owner && !nat_block_claim(w, nt, g))) {
        *why = DP_nat_sync_conflict;
        return NAT_NONE;
    }
    /* The port is free in this worker's bitmap: whoever held it is gone with the conflicts. */
    nat_port_take(nat, nw, pi, (unsigned)ip_idx, r->pub_port);
    memset(&m, 0, sizeof m);
    m.in_ip = r->in_ip;
    m.in_port = rte_cpu_to_be_16(r->in_port);
    m.pub_ip = r->pub_ip;
    m.pub_port = rte_cpu_to_be_16(r->pub_port);
    m.tenant = r->tenant;
    m.proto = r->proto;
    m.nt = (uint16_t)nt;
    m.ip_idx = (uint8_t)ip_idx;
    mi = nat_mapping_insert(nw, &m);
    if (mi == NAT_NONE) {
        nat_port_give(w, nt, pi, (unsigned)ip_idx, r->pub_port); /* And the block if new. */
        *why = DP_nat_sync_import_full;
        return NAT_NONE;
    }
    __atomic_fetch_add(&nat->tenants[nt].ports, 1, __ATOMIC_RELAXED);
    dp_count(w, DP_nat_mappings_created);
    return mi;
}

/* Removes the mapping 'mi' that stands in the way of a record, with its sessions. False when it
 * cannot be (a mapping without sessions is not removed that way). */
static bool
mapping_evict(struct dp_worker *w, uint32_t mi)
{
    unsigned n = w->nat->mappings[mi].n_sessions;

    if (!n) {
        return false;
    }
    mapping_clear(w, mi);
    w->stats.counter[DP_nat_sync_replaced] += n;
    return true;
}

static void
import_upsert(struct dp_worker *w, const struct dp_nat_sync_rec *r)
{
    struct nat *nat = w->dp->nat;
    struct nat_worker *nw = w->nat;
    unsigned nt = nat_tenant_of(nat, r->tenant) - 1;
    const struct nat_tenant *t = &nat->tenants[nt];
    int ip_idx = tenant_ip_index(t, r->pub_ip), si = -1;
    uint16_t in_be = rte_cpu_to_be_16(r->in_port), pub_be = rte_cpu_to_be_16(r->pub_port);
    uint16_t rem_be = rte_cpu_to_be_16(r->rem_port);
    struct nat_key_in ki = {.tenant = r->tenant,
                            .proto = r->proto,
                            .in_ip = r->in_ip,
                            .rem_ip = r->rem_ip,
                            .in_port = in_be,
                            .rem_port = rem_be};
    struct nat_key_out ko = {.pub_ip = r->pub_ip,
                             .rem_ip = r->rem_ip,
                             .pub_port = pub_be,
                             .rem_port = rem_be,
                             .proto = r->proto};
    struct nat_session *s = nat_find_in(nw, &ki), tmp;
    enum nat_create_err err = NAT_OK;
    enum dp_drop why = DP_nat_sync_import_full;
    uint64_t now = nw->now_tsc, exp;
    uint32_t mi, created_class, real_class;

    if (s && s->pub_ip == r->pub_ip && s->pub_port == pub_be) {
        session_update(nat, nw, s, r);
        dp_count(w, DP_nat_sync_imported);
        return;
    }
    /* What can refuse the record is checked before anything is removed. */
    if (r->proto != IPPROTO_ICMP &&
        (nat->ips[ip_idx].reserved[r->pub_port / 64] & (1ull << (r->pub_port % 64)))) {
        si = nat_static_find_out(nat, r->pub_ip, pub_be, r->proto);
    } else {
        uint32_t g = (uint32_t)ip_idx * nat->blocks_per_ip + (r->pub_port >> nat->block_shift);
        uint32_t owner = __atomic_load_n(&nat->block_owner[g], __ATOMIC_ACQUIRE);

        if (owner && owner != nw->id + 1) {
            w->stats.drop[DP_nat_sync_conflict]++;
            return;
        }
    }
    if (!nw->n_free_sessions || !nw->n_free_mappings) {
        w->stats.drop[DP_nat_sync_import_full]++;
        return;
    }
    /* Conflicts: this 5-tuple on another public endpoint; this public endpoint and remote in
     * another session; this inside endpoint mapped elsewhere; this public endpoint mapped from
     * elsewhere. The peer's record wins. */
    if (s) {
        nat_session_remove(w, (uint32_t)(s - nw->sessions), false);
        dp_count(w, DP_nat_sync_replaced);
    }
    s = nat_find_out(nw, &ko);
    if (s) {
        nat_session_remove(w, (uint32_t)(s - nw->sessions), false);
        dp_count(w, DP_nat_sync_replaced);
    }
    {
        struct nat_key_ep kep;
        void *data;

        memset(&kep, 0, sizeof kep);
        kep.ip = r->in_ip;
        kep.port = in_be;
        kep.tenant = r->tenant;
        kep.proto = r->proto;
        if (rte_hash_lookup_data(nw->map_in, &kep, &data) >= 0) {
            const struct nat_mapping *m = &nw->mappings[(uintptr_t)data];
            if ((m->pub_ip != r->pub_ip || m->pub_port != pub_be) &&
                !mapping_evict(w, (uint32_t)(uintptr_t)data)) {
                w->stats.drop[DP_nat_sync_conflict]++;
                return;
            }
        }
    }
    mi = nat_mapping_find_out(nw, r->pub_ip, pub_be, r->proto);
    if (mi != NAT_NONE &&
        (nw->mappings[mi].in_ip != r->in_ip || nw->mappings[mi].in_port != in_be ||
         nw->mappings[mi].tenant != r->tenant) &&
        !mapping_evict(w, mi)) {
        w->stats.drop[DP_nat_sync_conflict]++;
        return;
    }
    mi = import_mapping(w, r, nt, ip_idx, si, &why);
    if (mi == NAT_NONE) {
        w->stats.drop[why]++;
        return;
    }
    /* The session is created as if its last packet had come at the time that files it in the
     * timer-wheel slot of its expiry here (a new session's class is its protocol's, or TCP's
     * transitory one); then it gets its real state and last-seen time. */
    memset(&tmp, 0, sizeof tmp);
    tmp.proto = r->proto;
    created_class = nat_timeout_class(&tmp);
    tmp.tcp_state = r->tcp_state;
    real_class = nat_timeout_class(&tmp);
    exp = import_expiry(nat, nw, r->lifetime_s, t->timeout_tsc[real_class]);
    nw->now_tsc = exp - t->timeout_tsc[created_class];
    s = nat_session_on_mapping(w, nw, mi, r->rem_ip, rem_be, &err);
    nw->now_tsc = now;
    if (!s) {
        if (nw->mappings[mi].n_sessions == 0) {
            nat_mapping_delete(w, mi);
        }
        w->stats.drop[DP_nat_sync_import_full]++;
        return;
    }
    s->created_tsc = now;
    s->tcp_state = r->tcp_state;
    s->flags |= flags_in(r->tcp_flags);
    s->tclass = (uint8_t)real_class;
    s->last_tsc = exp - t->timeout_tsc[real_class];
    dp_count(w, DP_nat_sync_imported);
}

static void
import_delete(struct dp_worker *w, const struct dp_nat_sync_rec *r)
{
    struct nat_worker *nw = w->nat;
    struct nat_key_in ki = {.tenant = r->tenant,
                            .proto = r->proto,
                            .in_ip = r->in_ip,
                            .rem_ip = r->rem_ip,
                            .in_port = rte_cpu_to_be_16(r->in_port),
                            .rem_port = rte_cpu_to_be_16(r->rem_port)};
    struct nat_session *s = nat_find_in(nw, &ki);

    /* Only the session the record names: the same 5-tuple may have a newer one here. */
    if (s && s->pub_ip == r->pub_ip && s->pub_port == rte_cpu_to_be_16(r->pub_port)) {
        nat_session_remove(w, (uint32_t)(s - nw->sessions), false);
        dp_count(w, DP_nat_sync_deleted);
    }
}

unsigned
nat_sync_worker_poll(struct dp_worker *w)
{
    struct nat_worker *nw = w->nat;
    struct dp_nat_sync_rec recs[NAT_SYNC_APPLY];
    unsigned n;

    n = rte_ring_sc_dequeue_burst_elem(__atomic_load_n(&nw->sync_in, __ATOMIC_ACQUIRE), recs,
                                       sizeof recs[0], NAT_SYNC_APPLY, NULL);
    nw->sync_importing = true;
    for (unsigned i = 0; i < n; i++) {
        if (recs[i].op == DP_NAT_SYNC_UPSERT) {
            import_upsert(w, &recs[i]);
        } else {
            import_delete(w, &recs[i]);
        }
    }
    nw->sync_importing = false;
    return n;
}
