/* SPDX-License-Identifier: Apache-2.0 */
/* VRRPv3 for IPv4 (RFC 5798): the packet and the state machine. See vrrp.h. */
#include "gateway/cluster/vrrp.h"

#include <errno.h>
#include <string.h>

#include <arpa/inet.h>

#define VRRP_VERSION     3
#define VRRP_TYPE_ADVERT 1
#define US_PER_CS        10000u /* Microseconds per centisecond. */

/* ---- The packet ---- */

static uint16_t
get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static void
put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Adds 'len' bytes at 'p' to the one's complement sum 'sum' (not folded). */
static uint32_t
sum_bytes(uint32_t sum, const uint8_t *p, size_t len)
{
    for (; len > 1; p += 2, len -= 2) {
        sum += get16(p);
    }
    if (len) {
        sum += (uint32_t)p[0] << 8;
    }
    return sum;
}

/* Folds 'sum' into 16 bits and complements it. */
static uint16_t
fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t)~sum;
}

uint16_t
vrrp_checksum(uint32_t src, uint32_t dst, const uint8_t *vrrp, size_t len)
{
    uint8_t pseudo[12];

    /* RFC 5798 5.2.8 names IPv6's pseudo-header; for IPv4 it is the same fields in IPv4's
     * layout (source, destination, zero, protocol, length), as keepalived and FRR compute it. */
    memcpy(pseudo, &src, 4);
    memcpy(pseudo + 4, &dst, 4);
    pseudo[8] = 0;
    pseudo[9] = VRRP_PROTO;
    put16(pseudo + 10, (uint16_t)len);
    return fold(sum_bytes(sum_bytes(0, pseudo, sizeof pseudo), vrrp, len));
}

size_t
vrrp_encode(const struct vrrp_advert *a, uint16_t ip_id, uint8_t *buf, size_t size)
{
    size_t n = a->count < VRRP_ADDRS_MAX ? a->count : VRRP_ADDRS_MAX;
    size_t vlen = VRRP_HDR_LEN + 4 * n, len = 20 + vlen;
    uint8_t *ip = buf, *vr = buf + 20;

    if (size < len) {
        return 0;
    }
    memset(buf, 0, len);
    ip[0] = 0x45;
    ip[1] = VRRP_TOS;
    put16(ip + 2, (uint16_t)len);
    put16(ip + 4, ip_id);
    ip[8] = a->ttl;
    ip[9] = VRRP_PROTO;
    memcpy(ip + 12, &a->src, 4);
    memcpy(ip + 16, &a->dst, 4);
    put16(ip + 10, fold(sum_bytes(0, ip, 20)));

    vr[0] = (uint8_t)(a->version << 4 | (a->type & 0x0f));
    vr[1] = a->vrid;
    vr[2] = a->priority;
    vr[3] = a->count;
    put16(vr + 4, a->interval_cs & 0x0fff);
    memcpy(vr + 8, a->addrs, 4 * n);
    put16(vr + 6, vrrp_checksum(a->src, a->dst, vr, vlen));
    return len;
}

int
vrrp_parse(const uint8_t *ip, size_t len, struct vrrp_advert *a)
{
    size_t ihl, total, vlen;
    const uint8_t *vr;

    memset(a, 0, sizeof *a);
    if (len < 20 || ip[0] >> 4 != 4) {
        return VRRP_DROP_ip_header + 1;
    }
    ihl = (size_t)(ip[0] & 0x0f) * 4;
    total = get16(ip + 2);
    /* The frame may carry Ethernet padding after the packet: the IPv4 length rules. */
    if (ihl < 20 || total < ihl || total > len || (get16(ip + 6) & 0x3fff) ||
        fold(sum_bytes(0, ip, ihl)) != 0) {
        return VRRP_DROP_ip_header + 1;
    }
    memcpy(&a->src, ip + 12, 4);
    memcpy(&a->dst, ip + 16, 4);
    a->ttl = ip[8];
    if (ip[9] != VRRP_PROTO) {
        return VRRP_DROP_not_vrrp + 1;
    }
    if (a->ttl != VRRP_TTL) {
        return VRRP_DROP_ttl + 1;
    }
    vr = ip + ihl;
    vlen = total - ihl;
    if (vlen < VRRP_HDR_LEN) {
        return VRRP_DROP_length + 1;
    }
    a->version = vr[0] >> 4;
    a->type = vr[0] & 0x0f;
    a->vrid = vr[1];
    a->priority = vr[2];
    a->count = vr[3];
    a->interval_cs = get16(vr + 4) & 0x0fff; /* The 4 reserved bits are ignored (5.2.6). */
    a->checksum = get16(vr + 6);
    if (a->version != VRRP_VERSION) {
        return VRRP_DROP_version + 1;
    }
    if (a->type != VRRP_TYPE_ADVERT) {
        return VRRP_DROP_type + 1;
    }
    if (a->count == 0 || vlen != VRRP_HDR_LEN + 4 * (size_t)a->count) {
        return VRRP_DROP_length + 1;
    }
    if (vrrp_checksum(a->src, a->dst, vr, vlen) != 0) {
        return VRRP_DROP_checksum + 1;
    }
    if (a->interval_cs == 0) {
        return VRRP_DROP_interval + 1;
    }
    memcpy(a->addrs, vr + VRRP_HDR_LEN,
           4 * (size_t)(a->count < VRRP_ADDRS_MAX ? a->count : VRRP_ADDRS_MAX));
    return 0;
}

size_t
vrrp_build(struct vrrp *v, uint8_t priority, uint8_t *buf)
{
    struct vrrp_advert a = {
        .src = v->cfg.primary,
        .dst = htonl(VRRP_GROUP),
        .ttl = VRRP_TTL,
        .version = VRRP_VERSION,
        .type = VRRP_TYPE_ADVERT,
        .vrid = v->cfg.vrid,
        .priority = priority,
        .count = (uint8_t)v->cfg.n_addrs,
        .interval_cs = v->cfg.advert_cs,
    };

    memcpy(a.addrs, v->cfg.addrs, sizeof a.addrs);
    return vrrp_encode(&a, v->ip_id++, buf, VRRP_PKT_MAX);
}

/* ---- Timers ---- */

uint64_t
vrrp_skew_us(uint8_t priority, uint64_t master_adver_us)
{
    return (256 - (uint64_t)priority) * master_adver_us / 256;
}

uint64_t
vrrp_master_down_us(uint8_t priority, uint64_t master_adver_us)
{
    return 3 * master_adver_us + vrrp_skew_us(priority, master_adver_us);
}

uint64_t
vrrp_deadline(const struct vrrp *v)
{
    return v->state == VRRP_INITIALIZE ? VRRP_NO_DEADLINE : v->deadline_us;
}

/* Our own Advertisement_Interval in microseconds. */
static uint64_t
advert_us(const struct vrrp *v)
{
    return (uint64_t)v->cfg.advert_cs * US_PER_CS;
}

/* ---- The machine ---- */

static void
event_clear(const struct vrrp *v, struct vrrp_event *ev)
{
    memset(ev, 0, sizeof *ev);
    ev->state = v->state;
}

/* Moves to 'state' for 'reason' and says so in 'ev'. */
static void
change(struct vrrp *v, enum vrrp_state state, enum vrrp_reason reason, uint64_t cause,
       struct vrrp_event *ev)
{
    v->state = state;
    ev->changed = true;
    ev->state = state;
    ev->reason = reason;
    ev->cause_us = cause;
    v->stats.to_master += state == VRRP_MASTER;
    v->stats.to_backup += state == VRRP_BACKUP;
}

/* Asks for an advert with 'priority' now and re-arms the Adver_Timer. */
static void
send_advert(struct vrrp *v, uint8_t priority, uint64_t now, struct vrrp_event *ev)
{
    ev->send = true;
    ev->advert_priority = priority;
    v->deadline_us = now + advert_us(v);
}

/* Becomes backup of a master whose advert interval is 'interval_cs', heard at 'now'. */
static void
follow_master(struct vrrp *v, uint16_t interval_cs, uint64_t now)
{
    v->master_adver_us = (uint32_t)interval_cs * US_PER_CS;
    v->deadline_us = now + vrrp_master_down_us(v->cfg.priority, v->master_adver_us);
    v->master_us = now;
    v->priority0_us = 0;
    v->lower_first_us = v->lower_last_us = 0;
}

void
vrrp_init(struct vrrp *v, const struct vrrp_config *cfg)
{
    struct vrrp_config c = *cfg; /* 'cfg' may be v->cfg itself (a restart). */

    memset(v, 0, sizeof *v);
    v->cfg = c;
    v->state = VRRP_INITIALIZE;
    v->ip_id = 1;
    v->master_adver_us = (uint32_t)advert_us(v);
}

void
vrrp_start(struct vrrp *v, uint64_t now, struct vrrp_event *ev)
{
    event_clear(v, ev);
    v->master_adver_us = (uint32_t)advert_us(v);
    v->deadline_us = now + vrrp_master_down_us(v->cfg.priority, v->master_adver_us);
    v->start_us = now;
    v->master_us = v->priority0_us = v->lower_first_us = v->lower_last_us = 0;
    change(v, VRRP_BACKUP, VRRP_REASON_STARTUP, now, ev);
}

void
vrrp_timer(struct vrrp *v, uint64_t now, struct vrrp_event *ev)
{
    enum vrrp_reason why;
    uint64_t cause;

    event_clear(v, ev);
    if (v->state == VRRP_INITIALIZE || now < v->deadline_us) {
        return;
    }
    if (v->state == VRRP_MASTER) {
        send_advert(v, v->cfg.priority, now, ev);
        return;
    }
    /* Backup: the Master_Down_Timer ran out. Say why, and since when. */
    if (v->priority0_us) {
        why = VRRP_REASON_PRIORITY0;
        cause = v->priority0_us;
    } else if (v->lower_last_us &&
               now - v->lower_last_us < vrrp_master_down_us(v->cfg.priority, v->master_adver_us)) {
        why = VRRP_REASON_PREEMPT;
        cause = v->lower_first_us;
    } else if (v->master_us || v->lower_last_us) {
        why = VRRP_REASON_MASTER_DOWN;
        cause = v->master_us > v->lower_last_us ? v->master_us : v->lower_last_us;
    } else {
        why = VRRP_REASON_NO_MASTER;
        cause = v->start_us;
    }
    v->priority0_us = v->lower_first_us = v->lower_last_us = 0;
    v->announce_us = now; /* The caller announces the addresses on becoming master. */
    change(v, VRRP_MASTER, why, cause, ev);
    send_advert(v, v->cfg.priority, now, ev);
}

/* True when 'a' lists exactly our virtual addresses, in any order. */
static bool
same_addresses(const struct vrrp *v, const struct vrrp_advert *a)
{
    if (a->count != v->cfg.n_addrs) {
        return false;
    }
    for (size_t i = 0; i < v->cfg.n_addrs; i++) {
        bool found = false;

        for (size_t k = 0; k < a->count && !found; k++) {
            found = a->addrs[k] == v->cfg.addrs[i];
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

/* Reports note 'bit' in 'ev' when 'now_set' and not reported since it was last clear. */
static void
note(struct vrrp *v, unsigned bit, bool now_set, struct vrrp_event *ev)
{
    if (now_set && !(v->noted & bit)) {
        ev->notes |= bit;
        v->noted |= bit;
    } else if (!now_set) {
        v->noted &= ~bit;
    }
}

/* RFC 5798 6.4.2: an advert in Backup. */
static void
backup_receive(struct vrrp *v, const struct vrrp_advert *a, uint64_t now)
{
    bool preempt = v->cfg.preempt && now >= v->preempt_hold_until;

    if (a->priority == 0) {
        /* The master leaves: take over after Skew_Time, the node of highest priority first. */
        v->deadline_us = now + vrrp_skew_us(v->cfg.priority, v->master_adver_us);
        v->priority0_us = now;
    } else if (!preempt || a->priority >= v->cfg.priority) {
        follow_master(v, a->interval_cs, now);
    } else {
        /* A lower master: let the Master_Down_Timer run out, and take over then. */
        v->lower_first_us = v->lower_first_us ? v->lower_first_us : now;
        v->lower_last_us = now;
    }
}

/* RFC 5798 6.4.3: an advert in Master. */
static void
master_receive(struct vrrp *v, const struct vrrp_advert *a, uint64_t now, struct vrrp_event *ev)
{
    if (a->priority == 0) {
        /* Another master leaves (both were masters for a moment): tell the backups at once
         * that this one is here. */
        send_advert(v, v->cfg.priority, now, ev);
    } else if (a->priority > v->cfg.priority ||
               (a->priority == v->cfg.priority && ntohl(a->src) > ntohl(v->cfg.primary))) {
        enum vrrp_reason why =
            a->priority > v->cfg.priority ? VRRP_REASON_PREEMPTED : VRRP_REASON_TIEBREAK;

        follow_master(v, a->interval_cs, now);
        change(v, VRRP_BACKUP, why, now, ev);
        /* Both were masters. One last advert of ours (keepalived's higher_prio_send_advert)
         * tells the winner it had a rival, whose claims hosts may have followed: it would
         * learn nothing if its advert crossed first. The caller sends it once passive. */
        ev->send = true;
        ev->advert_priority = v->cfg.priority;
    } else {
        /* A lower master: both claim the addresses, after a partition healed (or while a
         * takeover races the old master's last advert). RFC 5798 discards its advert and lets
         * it step down at our next one, up to an interval later: answer now instead. Hosts
         * that followed its gratuitous ARPs or answers during the split must come back too,
         * and nothing else would tell them: say so, not more than once a VRRP_REANNOUNCE_US
         * (a lower master that cannot hear us would otherwise make us announce 10 times a
         * second). */
        v->stats.lower_master++;
        send_advert(v, v->cfg.priority, now, ev);
        if (now - v->announce_us >= VRRP_REANNOUNCE_US) {
            ev->announce = true;
            v->announce_us = now;
        }
    }
}

int
vrrp_receive(struct vrrp *v, const uint8_t *ip, size_t len, uint64_t now, struct vrrp_event *ev)
{
    struct vrrp_advert a;
    int drop;

    event_clear(v, ev);
    drop = vrrp_parse(ip, len, &a);
    if (!drop && a.vrid != v->cfg.vrid) {
        drop = VRRP_DROP_vrid + 1;
    }
    if (!drop && a.src == v->cfg.primary) {
        drop = VRRP_DROP_own_address + 1;
    }
    note(v, VRRP_NOTE_CONFLICT, drop == VRRP_DROP_own_address + 1, ev);
    if (drop) {
        v->stats.drops[drop - 1]++;
        return drop;
    }

    v->stats.received++;
    v->stats.received_priority0 += a.priority == 0;
    v->peer.seen = true;
    v->peer.addr = a.src;
    v->peer.priority = a.priority;
    v->peer.interval_cs = a.interval_cs;
    v->peer.last_us = now;
    /* RFC 5798 7.1: another interval is learned (6.4.2), other addresses are the master's
     * business; both are worth an operator's look, not a second master. */
    v->stats.interval_mismatch += a.interval_cs != v->cfg.advert_cs;
    note(v, VRRP_NOTE_INTERVAL, a.interval_cs != v->cfg.advert_cs, ev);
    v->stats.addresses_mismatch += !same_addresses(v, &a);
    note(v, VRRP_NOTE_ADDRESSES, !same_addresses(v, &a), ev);

    if (v->state == VRRP_BACKUP) {
        backup_receive(v, &a, now);
    } else if (v->state == VRRP_MASTER) {
        master_receive(v, &a, now, ev);
    }
    return 0;
}

void
vrrp_shutdown(struct vrrp *v, uint64_t now, struct vrrp_event *ev)
{
    event_clear(v, ev);
    if (v->state == VRRP_INITIALIZE) {
        return;
    }
    if (v->state == VRRP_MASTER) {
        ev->send = true;
        ev->advert_priority = 0;
    }
    change(v, VRRP_INITIALIZE, VRRP_REASON_SHUTDOWN, now, ev);
}

int
vrrp_switchover(struct vrrp *v, uint64_t now, uint64_t hold_until, struct vrrp_event *ev)
{
    event_clear(v, ev);
    if (v->state != VRRP_MASTER) {
        return EINVAL;
    }
    ev->send = true;
    ev->advert_priority = 0;
    /* Our own interval until the new master's adverts teach us its own. If no master shows
     * up, the Master_Down_Timer brings this node back: someone must forward. */
    follow_master(v, v->cfg.advert_cs, now);
    v->master_us = 0;
    v->preempt_hold_until = hold_until;
    change(v, VRRP_BACKUP, VRRP_REASON_SWITCHOVER, now, ev);
    return 0;
}

int
vrrp_reconfigure(struct vrrp *v, uint8_t priority, bool preempt, uint64_t now,
                 struct vrrp_event *ev)
{
    event_clear(v, ev);
    if (priority < 1 || priority > 254) {
        return EINVAL;
    }
    v->cfg.priority = priority;
    v->cfg.preempt = preempt;
    if (v->state == VRRP_MASTER) {
        send_advert(v, priority, now, ev);
    }
    return 0;
}

void
vrrp_hold_preemption(struct vrrp *v, uint64_t until)
{
    v->preempt_hold_until = until;
}

/* ---- Names ---- */

const char *
vrrp_state_name(enum vrrp_state s)
{
    switch (s) {
    case VRRP_INITIALIZE:
        return "initialize";
    case VRRP_BACKUP:
        return "backup";
    case VRRP_MASTER:
        return "master";
    }
    return "?";
}

const char *
vrrp_reason_name(enum vrrp_reason r)
{
    switch (r) {
    case VRRP_REASON_NONE:
        return "none";
    case VRRP_REASON_STARTUP:
        return "startup";
    case VRRP_REASON_NO_MASTER:
        return "no master heard";
    case VRRP_REASON_MASTER_DOWN:
        return "master down";
    case VRRP_REASON_PRIORITY0:
        return "priority 0 received";
    case VRRP_REASON_PREEMPT:
        return "preempted a lower master";
    case VRRP_REASON_PREEMPTED:
        return "preempted by a higher priority";
    case VRRP_REASON_TIEBREAK:
        return "same priority, higher peer address";
    case VRRP_REASON_SWITCHOVER:
        return "switchover";
    case VRRP_REASON_SHUTDOWN:
        return "shutdown";
    }
    return "?";
}

static const char *const drop_names[] = {
#define VRRP_DROP_NAME(name, help) #name,
    VRRP_DROP_LIST(VRRP_DROP_NAME)
#undef VRRP_DROP_NAME
};

static const char *const drop_helps[] = {
#define VRRP_DROP_HELP(name, help) help,
    VRRP_DROP_LIST(VRRP_DROP_HELP)
#undef VRRP_DROP_HELP
};

const char *
vrrp_drop_name(enum vrrp_drop d)
{
    return d < VRRP_DROP_N ? drop_names[d] : "?";
}

const char *
vrrp_drop_help(enum vrrp_drop d)
{
    return d < VRRP_DROP_N ? drop_helps[d] : "?";
}
