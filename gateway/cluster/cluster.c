/* SPDX-License-Identifier: Apache-2.0 */
/* The pair's election on the event loop: see cluster.h. The machine itself is vrrp.c; this file
 * gives it a clock, a wire (the data plane's provider port) and hands (the data plane's role and
 * gratuitous ARPs), and tells the operator what it did. */
#include "gateway/cluster/cluster.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>

#include "gateway/cluster/vrrp.h"
#include "lib/log.h"

#define ETH_HDR_LEN       14
#define ETHERTYPE_IP      0x0800
#define TIMER_ACCURACY_US 1000 /* sd-event's default (250 ms) would make adverts late. */

/* Gratuitous ARP bursts after becoming master, in ms from the takeover: at once, again soon for
 * a burst lost in a full queue, and once more a second later for switches that learn late
 * (keepalived sends 5 at once and 5 more after 5 s; hosts here need one that arrives). */
static const unsigned garp_after_ms[] = {0, 100, 1000};
#define GARP_BURSTS (sizeof garp_after_ms / sizeof garp_after_ms[0])

/* Frames the data plane handed over that never reached the VRRP parser. */
#define CLUSTER_FRAME_DROPS(X)                                                                     \
    X(frame, "not an untagged IPv4 frame (too short, another ethertype or VLAN)")                  \
    X(wrong_port, "received on another port than the provider port")

enum cluster_frame_drop {
#define FRAME_DROP_ENUM(name, help) FRAME_DROP_##name,
    CLUSTER_FRAME_DROPS(FRAME_DROP_ENUM)
#undef FRAME_DROP_ENUM
        FRAME_DROP_N
};

static const char *const frame_drop_names[] = {
#define FRAME_DROP_NAME(name, help) #name,
    CLUSTER_FRAME_DROPS(FRAME_DROP_NAME)
#undef FRAME_DROP_NAME
};

/* The last change of role between master and backup. */
struct failover {
    bool happened;            /* At least one since the start. */
    struct timespec wall;     /* When (CLOCK_REALTIME). */
    enum vrrp_state from, to; /* Backup -> master, or master -> backup. */
    enum vrrp_reason reason;  /* Why. */
    uint32_t peer;            /* The other router's address at the time, 0 if never heard. */
    uint8_t peer_priority;    /* Its last advertised priority. */
    uint64_t detect_us;       /* From the cause (e.g. the dead master's last advert) to the
                               * decision. */
    uint64_t switch_us;       /* From the decision to the data plane's new role (and, to
                               * master, the first gratuitous ARPs sent). */
};

struct cluster {
    bool enabled;                /* The node is one of a pair. */
    struct dp *dp;               /* The data plane. */
    sd_event *event;             /* The loop (a reference). */
    sd_event_source *timer;      /* VRRP timer, re-armed from vrrp_deadline(). */
    sd_event_source *garp_timer; /* The next gratuitous ARP burst. */
    struct vrrp vrrp;            /* The machine. */
    uint16_t port;               /* DPDK port id of the provider port. */
    uint8_t mac[6];              /* Its MAC: the source of our frames. */
    uint32_t primary;            /* Its own address: our VRRP source (network order). */
    struct config_cluster cfg;   /* The section (priority, preempt, hold as last reloaded). */
    enum dp_ha_role role;        /* The role last set in the data plane. */
    unsigned garp_next;          /* Next burst of garp_after_ms to send. */
    uint64_t garp_since_us;      /* When the bursts under way began (takeover or re-announce). */
    uint64_t master_since_us;    /* When the current Master state began. */
    uint64_t reannounced;        /* Re-announcements after hearing a lower master. */
    uint64_t reannounce_log_us;  /* When one was last logged, 0 never. */
    uint64_t switchover_us;      /* When the last "cluster switchover" ran, 0 never. */
    uint64_t sync_wait_until;    /* While the peer's state is not synced yet (a node that
                                  * (re)joins), no preemption before this time; 0: not waiting. */
    uint64_t sent;               /* Adverts handed to the data plane. */
    uint64_t sent_priority0;     /* ... of which priority 0. */
    uint64_t send_failed;        /* Adverts the data plane could not queue. */
    uint64_t garps_sent;         /* Gratuitous ARPs sent. */
    uint64_t garp_failed;        /* Bursts that could not all be queued. */
    uint64_t failovers;          /* Changes between master and backup. */
    uint64_t frame_drops[FRAME_DROP_N]; /* Frames dropped before the parser. */
    struct failover last;               /* The last failover. */
    cluster_sync_show_fn *sync_show;    /* The sync channel's part of "show cluster", or NULL. */
    void *sync_aux;                     /* Its argument. */
    cluster_role_fn *role_hook;         /* Told of role changes, or NULL. */
    cluster_takeover_fn *takeover_hook; /* Called before becoming active, or NULL. */
    void *takeover_aux;                 /* Its argument. */
    void *role_aux;                     /* Its argument. */
};

/* Monotonic microseconds: the clock of the VRRP machine and of sd-event's CLOCK_MONOTONIC. */
static uint64_t
now_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static const char *
ip4_str(uint32_t be, char buf[HNVGW_IP_STRLEN])
{
    return hnvgw_ip4_format(be, buf);
}

/* ---- The wire ---- */

/* Sends our advert with 'priority' on the provider port: Ethernet to 01:00:5e:00:00:12 from the
 * port's MAC (no virtual MAC: GARPs move the hosts' ARP entries instead), then the IPv4 packet
 * vrrp_build() makes. Untagged: dp_ha_send() adds the port's VLAN tag. */
static void
send_advert(struct cluster *c, uint8_t priority)
{
    static const uint8_t group_mac[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x12};
    uint8_t frame[ETH_HDR_LEN + VRRP_PKT_MAX];
    size_t off = 12, len;
    int ret;

    memcpy(frame, group_mac, 6);
    memcpy(frame + 6, c->mac, 6);
    frame[off++] = ETHERTYPE_IP >> 8;
    frame[off++] = ETHERTYPE_IP & 0xff;
    len = off + vrrp_build(&c->vrrp, priority, frame + off);
    ret = dp_ha_send(c->dp, c->port, frame, len);
    if (ret) {
        /* Rare (no buffer): the next advert follows within one interval. Said once per burst. */
        if (c->send_failed++ % 100 == 0) {
            log_warn("cluster: cannot send a VRRP advert: %s (%llu so far)", strerror(ret),
                     (unsigned long long)c->send_failed);
        }
        return;
    }
    c->sent++;
    c->sent_priority0 += priority == 0;
}

/* Sends one burst of gratuitous ARPs; returns how many went out. */
static unsigned
announce(struct cluster *c)
{
    unsigned n = 0;
    int ret = dp_ha_announce(c->dp, &n);

    c->garps_sent += n;
    if (ret) {
        c->garp_failed++;
        log_warn("cluster: gratuitous ARP burst incomplete (%u sent): %s", n, strerror(ret));
    }
    return n;
}

/* ---- Timers ---- */

/* Re-arms the VRRP timer at the machine's next deadline, or disables it. */
static void
arm(struct cluster *c)
{
    uint64_t d = vrrp_deadline(&c->vrrp);

    if (d == VRRP_NO_DEADLINE) {
        sd_event_source_set_enabled(c->timer, SD_EVENT_OFF);
        return;
    }
    sd_event_source_set_time(c->timer, d);
    sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
}

/* Arms the GARP timer for burst 'c->garp_next' of the bursts begun at 'c->garp_since_us'. */
static void
arm_garp(struct cluster *c)
{
    if (c->garp_next >= GARP_BURSTS) {
        sd_event_source_set_enabled(c->garp_timer, SD_EVENT_OFF);
        return;
    }
    sd_event_source_set_time(c->garp_timer,
                             c->garp_since_us + (uint64_t)garp_after_ms[c->garp_next] * 1000);
    sd_event_source_set_enabled(c->garp_timer, SD_EVENT_ONESHOT);
}

/* ---- Decisions ---- */

/* Sets the data plane's role and tells the hook. */
static void
set_role(struct cluster *c, enum dp_ha_role role, enum vrrp_reason why)
{
    int ret;

    if (role == DP_HA_ACTIVE && c->role != DP_HA_ACTIVE && c->takeover_hook) {
        c->takeover_hook(c->takeover_aux);
    }
    ret = dp_ha_set_role(c->dp, role);

    if (ret) {
        log_err("cluster: the data plane refused role %s: %s", dp_ha_role_name(role),
                strerror(ret));
        return;
    }
    c->role = role;
    if (c->role_hook) {
        c->role_hook(role, vrrp_reason_name(why), c->role_aux);
    }
}

/* Logs the notes of 'ev' (once per change, see vrrp.h). */
static void
log_notes(const struct cluster *c, const struct vrrp_event *ev)
{
    char b[HNVGW_IP_STRLEN];

    if (ev->notes & VRRP_NOTE_INTERVAL) {
        log_warn("cluster: peer %s advertises every %u ms, this node every %u ms: following "
                 "the master's (RFC 5798 6.4.2); make them equal",
                 ip4_str(c->vrrp.peer.addr, b), c->vrrp.peer.interval_cs * 10u,
                 c->cfg.advert_interval_ms);
    }
    if (ev->notes & VRRP_NOTE_ADDRESSES) {
        log_warn("cluster: peer %s advertises other virtual addresses than this node's "
                 "provider_addresses for vrid %u: check both configurations",
                 ip4_str(c->vrrp.peer.addr, b), c->cfg.vrid);
    }
    if (ev->notes & VRRP_NOTE_CONFLICT) {
        log_err("cluster: a VRRP advert for vrid %u came from this node's own address %s: "
                "another node uses it",
                c->cfg.vrid, ip4_str(c->primary, b));
    }
}

/* Carries out what the machine decided in 'ev', decided at 'now'. */
static void
apply(struct cluster *c, const struct vrrp_event *ev, uint64_t now)
{
    const struct vrrp_peer *peer = &c->vrrp.peer;
    enum vrrp_state from = c->role == DP_HA_ACTIVE ? VRRP_MASTER : VRRP_BACKUP;
    char b[HNVGW_IP_STRLEN], who[64];
    unsigned garps = 0;

    log_notes(c, ev);
    if (ev->changed && ev->state == VRRP_MASTER) {
        /* Forward first, then tell the backups and the hosts: a packet the GARPs draw here
         * finds an active data plane. */
        set_role(c, DP_HA_ACTIVE, ev->reason);
        if (ev->send) {
            send_advert(c, ev->advert_priority);
        }
        garps = announce(c);
        c->master_since_us = c->garp_since_us = now;
        c->garp_next = 1;
        arm_garp(c);
    } else if (ev->announce && c->role == DP_HA_ACTIVE) {
        /* Both were active (vrrp.h): the advert that makes the other step down goes first,
         * then the bursts start over, for the hosts that followed the other meanwhile. */
        if (ev->send) {
            send_advert(c, ev->advert_priority);
        }
        garps = announce(c);
        c->garp_since_us = now;
        c->garp_next = 1;
        arm_garp(c);
        c->reannounced++;
        if (!c->reannounce_log_us || now - c->reannounce_log_us >= 60000000) {
            log_warn("cluster: another master was heard, %s (priority %u): both nodes were "
                     "active (a split network?); it steps down at this node's advert (RFC "
                     "5798), %u GARPs sent again (logged once a minute at most)",
                     ip4_str(peer->addr, b), peer->priority, garps);
            c->reannounce_log_us = now;
        }
    } else {
        if (ev->changed) {
            set_role(c, DP_HA_PASSIVE, ev->reason);
            sd_event_source_set_enabled(c->garp_timer, SD_EVENT_OFF);
        }
        if (ev->send) {
            send_advert(c, ev->advert_priority);
        }
    }
    if (!ev->changed || ev->reason == VRRP_REASON_STARTUP || ev->state == VRRP_INITIALIZE) {
        return;
    }

    c->failovers++;
    c->last.happened = true;
    clock_gettime(CLOCK_REALTIME, &c->last.wall);
    c->last.from = from;
    c->last.to = ev->state;
    c->last.reason = ev->reason;
    c->last.peer = peer->seen ? peer->addr : 0;
    c->last.peer_priority = peer->priority;
    c->last.detect_us = now > ev->cause_us ? now - ev->cause_us : 0;
    c->last.switch_us = now_us() - now;
    if (peer->seen) {
        snprintf(who, sizeof who, "%s (priority %u)", ip4_str(peer->addr, b), peer->priority);
    } else {
        snprintf(who, sizeof who, "not heard");
    }
    if (ev->state == VRRP_MASTER) {
        char msg[384];

        snprintf(msg, sizeof msg,
                 "cluster: ACTIVE (vrrp master, vrid %u, priority %u): %s; peer %s; detected %.1f "
                 "ms after the cause, data plane switched in %.3f ms, %u GARPs sent",
                 c->cfg.vrid, c->vrrp.cfg.priority, vrrp_reason_name(ev->reason), who,
                 c->last.detect_us / 1000.0, c->last.switch_us / 1000.0, garps);
        /* Taking over from a failed master is worth a warning; winning an election is not. */
        if (ev->reason == VRRP_REASON_MASTER_DOWN || ev->reason == VRRP_REASON_PRIORITY0) {
            log_warn("%s", msg);
        } else {
            log_info("%s", msg);
        }
    } else if (ev->reason == VRRP_REASON_SWITCHOVER) {
        log_info("cluster: PASSIVE (vrrp backup, vrid %u): switchover; peer %s takes over",
                 c->cfg.vrid, who);
    } else {
        log_warn("cluster: PASSIVE (vrrp backup, vrid %u, priority %u): %s; peer %s is master",
                 c->cfg.vrid, c->vrrp.cfg.priority, vrrp_reason_name(ev->reason), who);
    }
}

/* Timer source: the machine's deadline came. */
static int
on_timer(sd_event_source *src, uint64_t usec, void *aux)
{
    struct cluster *c = aux;
    struct vrrp_event ev;
    uint64_t now = now_us();

    (void)src;
    (void)usec;
    vrrp_timer(&c->vrrp, now, &ev);
    apply(c, &ev, now);
    arm(c);
    return 0;
}

/* Timer source: the next gratuitous ARP burst. */
static int
on_garp_timer(sd_event_source *src, uint64_t usec, void *aux)
{
    struct cluster *c = aux;

    (void)src;
    (void)usec;
    if (c->role == DP_HA_ACTIVE) {
        announce(c);
        c->garp_next++;
        arm_garp(c);
    }
    return 0;
}

/* The data plane's VRRP handler: one frame from the provider port, from its Ethernet header. */
static void
on_vrrp(const uint8_t *frame, size_t len, uint16_t port, void *aux)
{
    struct cluster *c = aux;
    struct vrrp_event ev;
    size_t off = 12;
    uint64_t now = now_us();

    if (port != c->port) {
        c->frame_drops[FRAME_DROP_wrong_port]++;
        return;
    }
    /* The data plane strips the port's tag (ha.h): a tag left would be another VLAN's. */
    if (len < off + 2 || frame[off] != ETHERTYPE_IP >> 8 ||
        frame[off + 1] != (ETHERTYPE_IP & 0xff)) {
        c->frame_drops[FRAME_DROP_frame]++;
        return;
    }
    off += 2;
    if (vrrp_receive(&c->vrrp, frame + off, len - off, now, &ev) == 0 || ev.notes) {
        apply(c, &ev, now);
        arm(c);
    }
}

/* ---- Life cycle ---- */

int
cluster_early_role(struct dp *dp, const struct hnvgw_config *cfg)
{
    return cfg->cluster.enabled ? dp_ha_set_role(dp, DP_HA_PASSIVE) : 0;
}

/* Finds the provider port of 'dp' and fills the cluster's view of it. */
static int
find_provider(struct cluster *c, char *err)
{
    for (unsigned i = 0; i < dp_port_count(c->dp); i++) {
        uint16_t id;
        const struct dp_port_conf *pc = dp_port_conf(c->dp, i, &id);

        if (pc->kind == DP_PORT_PROVIDER) {
            c->port = id;
            memcpy(c->mac, pc->mac, 6);
            c->primary = pc->ip;
            return 0;
        }
    }
    snprintf(err, CONFIG_ERR_MAX, "cluster: the data plane has no provider port");
    return ENODEV;
}

int
cluster_start(const struct hnvgw_config *cfg, struct dp *dp, sd_event *event, struct cluster **out,
              char *err)
{
    struct cluster *c = calloc(1, sizeof *c);
    struct vrrp_config vc;
    struct vrrp_event ev;
    char b[HNVGW_IP_STRLEN];
    uint64_t now;
    int ret;

    *out = NULL;
    if (!c) {
        snprintf(err, CONFIG_ERR_MAX, "cluster: out of memory");
        return ENOMEM;
    }
    c->dp = dp;
    c->role = DP_HA_STANDALONE;
    c->cfg = cfg->cluster;
    if (!cfg->cluster.enabled) {
        *out = c;
        return 0;
    }
    c->enabled = true;
    if ((ret = find_provider(c, err)) != 0) {
        free(c);
        return ret;
    }
    memset(&vc, 0, sizeof vc);
    vc.vrid = cfg->cluster.vrid;
    vc.priority = cfg->cluster.priority;
    vc.preempt = cfg->cluster.preempt;
    vc.advert_cs = (uint16_t)(cfg->cluster.advert_interval_ms / 10);
    vc.primary = c->primary;
    for (size_t i = 0; i < cfg->n_pas && i < VRRP_ADDRS_MAX; i++) {
        vc.addrs[vc.n_addrs++] = cfg->pas[i].v4;
    }
    vrrp_init(&c->vrrp, &vc);

    c->event = sd_event_ref(event);
    now = now_us();
    ret = sd_event_add_time(event, &c->timer, CLOCK_MONOTONIC, now, TIMER_ACCURACY_US, on_timer, c);
    if (ret >= 0) {
        ret = sd_event_add_time(event, &c->garp_timer, CLOCK_MONOTONIC, now, TIMER_ACCURACY_US,
                                on_garp_timer, c);
    }
    if (ret < 0) {
        snprintf(err, CONFIG_ERR_MAX, "cluster: cannot add its timers: %s", strerror(-ret));
        cluster_stop(c);
        return -ret;
    }
    /* Adverts must leave on time even when the control socket or FRR are busy. */
    sd_event_source_set_priority(c->timer, SD_EVENT_PRIORITY_IMPORTANT);
    sd_event_source_set_enabled(c->garp_timer, SD_EVENT_OFF);
    c->role = dp_ha_role(dp);
    if (c->role != DP_HA_PASSIVE) {
        set_role(c, DP_HA_PASSIVE, VRRP_REASON_STARTUP);
    }
    dp_ha_set_vrrp_handler(dp, on_vrrp, c);
    vrrp_start(&c->vrrp, now, &ev);
    apply(c, &ev, now);
    arm(c);
    log_info("cluster: vrid %u, priority %u, preempt %s, adverts every %u ms from %s on the "
             "provider port; passive until elected (within %.1f ms without a master)",
             c->cfg.vrid, c->cfg.priority, c->cfg.preempt ? "on" : "off", c->cfg.advert_interval_ms,
             ip4_str(c->primary, b),
             vrrp_master_down_us(c->cfg.priority, c->cfg.advert_interval_ms * 1000ull) / 1000.0);
    *out = c;
    return 0;
}

void
cluster_stop(struct cluster *c)
{
    struct vrrp_event ev;

    if (!c) {
        return;
    }
    if (c->enabled) {
        bool master = c->vrrp.state == VRRP_MASTER;

        vrrp_shutdown(&c->vrrp, now_us(), &ev);
        if (ev.send) {
            send_advert(c, ev.advert_priority);
        }
        if (c->timer) {
            /* The workers run until dp_destroy(): the peer owns the addresses from now on. */
            set_role(c, DP_HA_PASSIVE, VRRP_REASON_SHUTDOWN);
            dp_ha_set_vrrp_handler(c->dp, NULL, NULL);
        }
        if (master) {
            log_info("cluster: leaving as master: priority 0 sent, passive");
        }
    }
    sd_event_source_disable_unref(c->timer);
    sd_event_source_disable_unref(c->garp_timer);
    sd_event_unref(c->event);
    free(c);
}

void
cluster_reconfigure(struct cluster *c, const struct hnvgw_config *cfg)
{
    const struct config_cluster *n = &cfg->cluster;
    struct vrrp_event ev;
    uint64_t now = now_us();

    if (!c || !c->enabled || !n->enabled) {
        return;
    }
    if (n->priority != c->cfg.priority || n->preempt != c->cfg.preempt) {
        log_info("cluster: priority %u -> %u, preempt %s -> %s", c->cfg.priority, n->priority,
                 c->cfg.preempt ? "on" : "off", n->preempt ? "on" : "off");
        vrrp_reconfigure(&c->vrrp, n->priority, n->preempt, now, &ev);
        apply(c, &ev, now);
        arm(c);
    }
    if (n->switchover_hold_s != c->cfg.switchover_hold_s && c->switchover_us) {
        /* A hold under way ends as the new value says, counted from the switchover. */
        vrrp_hold_preemption(&c->vrrp, c->switchover_us + (uint64_t)n->switchover_hold_s * 1000000);
    }
    c->cfg.priority = n->priority;
    c->cfg.preempt = n->preempt;
    c->cfg.switchover_hold_s = n->switchover_hold_s;
}

int
cluster_switchover(struct cluster *c, char *err)
{
    struct vrrp_event ev;
    uint64_t now = now_us();

    if (!c->enabled) {
        snprintf(err, CTL_ERR_MAX, "this node is standalone (no cluster section in node)");
        return EINVAL;
    }
    if (vrrp_switchover(&c->vrrp, now, now + (uint64_t)c->cfg.switchover_hold_s * 1000000, &ev)) {
        snprintf(err, CTL_ERR_MAX,
                 "this node is %s, not master: run the switchover on the active node",
                 vrrp_state_name(c->vrrp.state));
        return EINVAL;
    }
    c->switchover_us = now;
    apply(c, &ev, now);
    arm(c);
    return 0;
}

void
cluster_wait_for_sync(struct cluster *c)
{
    if (!c->enabled || !c->vrrp.cfg.preempt) {
        return;
    }
    c->sync_wait_until = now_us() + (uint64_t)CLUSTER_SYNC_WAIT_MAX_S * 1000000;
    vrrp_hold_preemption(&c->vrrp, c->sync_wait_until);
    log_info("cluster: no preemption before the peer's state is synced here (at most %u s)",
             CLUSTER_SYNC_WAIT_MAX_S);
}

void
cluster_synced(struct cluster *c)
{
    uint64_t now = now_us(), until = now;

    if (!c->sync_wait_until) {
        return;
    }
    c->sync_wait_until = 0;
    if (c->switchover_us) { /* A switchover's own hold still counts. */
        uint64_t sw = c->switchover_us + (uint64_t)c->cfg.switchover_hold_s * 1000000;
        until = sw > until ? sw : until;
    }
    vrrp_hold_preemption(&c->vrrp, until);
    log_info("cluster: the peer's state is synced here: preemption allowed");
}

void
cluster_set_sync_show(struct cluster *c, cluster_sync_show_fn *fn, void *aux)
{
    c->sync_show = fn;
    c->sync_aux = aux;
}

void
cluster_set_takeover_hook(struct cluster *c, cluster_takeover_fn *fn, void *aux)
{
    c->takeover_hook = fn;
    c->takeover_aux = aux;
}

void
cluster_set_role_hook(struct cluster *c, cluster_role_fn *fn, void *aux)
{
    c->role_hook = fn;
    c->role_aux = aux;
}

enum dp_ha_role
cluster_role(const struct cluster *c)
{
    return c->role;
}

/* ---- show cluster ---- */

/* "2026-11-23T22:41:07.123Z" of 'ts'. */
static json_t *
wall_json(const struct timespec *ts)
{
    char date[32];
    struct tm tm;

    if (!gmtime_r(&ts->tv_sec, &tm) || !strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm)) {
        return json_null();
    }
    return json_sprintf("%s.%03ldZ", date, ts->tv_nsec / 1000000);
}

/* Milliseconds with a tenth, as a JSON real. */
static json_t *
ms_json(uint64_t us)
{
    return json_real((double)(us / 100) / 10.0);
}

/* The peer as this node sees it. */
static json_t *
peer_json(const struct cluster *c, uint64_t now)
{
    const struct vrrp_peer *p = &c->vrrp.peer;
    json_t *o = json_object();
    char b[HNVGW_IP_STRLEN];
    const char *state;

    json_object_set_new(o, "sync_address", json_string(hnvgw_ip_format(&c->cfg.peer, b)));
    if (!p->seen) {
        json_object_set_new(o, "state",
                            json_string(c->vrrp.state == VRRP_MASTER
                                            ? "never heard (a backup sends no adverts)"
                                            : "never heard"));
        return o;
    }
    if (p->priority == 0) {
        state = "left (sent priority 0)";
    } else if (now - p->last_us <=
               vrrp_master_down_us(c->vrrp.cfg.priority, p->interval_cs * 10000ull)) {
        state = "master";
    } else {
        state = c->vrrp.state == VRRP_MASTER ? "silent: backup (a backup sends no adverts) or down"
                                             : "silent: down";
    }
    json_object_set_new(o, "address", json_string(ip4_str(p->addr, b)));
    json_object_set_new(o, "state", json_string(state));
    json_object_set_new(o, "priority", json_integer(p->priority));
    json_object_set_new(o, "advert_interval_ms", json_integer(p->interval_cs * 10));
    json_object_set_new(o, "last_advert_ms_ago", ms_json(now - p->last_us));
    return o;
}

json_t *
cluster_show(const struct cluster *c)
{
    json_t *o = json_object(), *cnt, *drops, *addrs;
    uint64_t now = now_us();
    char b[HNVGW_IP_STRLEN];

    json_object_set_new(o, "role", json_string(dp_ha_role_name(c->role)));
    if (!c->enabled) {
        json_object_set_new(o, "cluster",
                            json_string("not configured (no cluster section in node)"));
        return o;
    }
    json_object_set_new(o, "vrrp_state", json_string(vrrp_state_name(c->vrrp.state)));
    json_object_set_new(o, "vrid", json_integer(c->cfg.vrid));
    json_object_set_new(o, "priority", json_integer(c->vrrp.cfg.priority));
    json_object_set_new(o, "preempt", json_boolean(c->vrrp.cfg.preempt));
    if (c->vrrp.preempt_hold_until > now && c->vrrp.cfg.preempt) {
        json_object_set_new(
            o, "preempt_held_s",
            json_integer((json_int_t)((c->vrrp.preempt_hold_until - now) / 1000000)));
    }
    json_object_set_new(o, "waiting_for_sync", json_boolean(c->sync_wait_until > now));
    json_object_set_new(o, "advert_interval_ms", json_integer(c->cfg.advert_interval_ms));
    json_object_set_new(
        o, "master_down_interval_ms",
        ms_json(vrrp_master_down_us(c->vrrp.cfg.priority, c->vrrp.master_adver_us)));
    json_object_set_new(o, "switchover_hold_s", json_integer(c->cfg.switchover_hold_s));
    json_object_set_new(o, "address", json_string(ip4_str(c->primary, b)));
    addrs = json_array();
    for (size_t i = 0; i < c->vrrp.cfg.n_addrs; i++) {
        json_array_append_new(addrs, json_string(ip4_str(c->vrrp.cfg.addrs[i], b)));
    }
    json_object_set_new(o, "virtual_addresses", addrs);
    if (c->vrrp.state == VRRP_MASTER) {
        json_object_set_new(o, "master_for_s",
                            json_integer((json_int_t)((now - c->master_since_us) / 1000000)));
    }
    json_object_set_new(o, "peer", peer_json(c, now));

    if (c->last.happened) {
        json_t *f = json_object();

        json_object_set_new(f, "time", wall_json(&c->last.wall));
        json_object_set_new(
            f, "change",
            json_sprintf("%s -> %s", vrrp_state_name(c->last.from), vrrp_state_name(c->last.to)));
        json_object_set_new(f, "reason", json_string(vrrp_reason_name(c->last.reason)));
        json_object_set_new(f, "peer",
                            c->last.peer ? json_string(ip4_str(c->last.peer, b)) : json_null());
        json_object_set_new(f, "detect_ms", ms_json(c->last.detect_us));
        json_object_set_new(f, "switch_ms", json_real((double)c->last.switch_us / 1000.0));
        json_object_set_new(f, "total_ms",
                            json_real((double)(c->last.detect_us + c->last.switch_us) / 1000.0));
        json_object_set_new(o, "last_failover", f);
    } else {
        json_object_set_new(o, "last_failover", json_string("none since the start"));
    }

    cnt = json_object();
    json_object_set_new(cnt, "adverts_sent", json_integer((json_int_t)c->sent));
    json_object_set_new(cnt, "priority0_sent", json_integer((json_int_t)c->sent_priority0));
    json_object_set_new(cnt, "send_failed", json_integer((json_int_t)c->send_failed));
    json_object_set_new(cnt, "adverts_received", json_integer((json_int_t)c->vrrp.stats.received));
    json_object_set_new(cnt, "priority0_received",
                        json_integer((json_int_t)c->vrrp.stats.received_priority0));
    json_object_set_new(cnt, "interval_mismatch",
                        json_integer((json_int_t)c->vrrp.stats.interval_mismatch));
    json_object_set_new(cnt, "addresses_mismatch",
                        json_integer((json_int_t)c->vrrp.stats.addresses_mismatch));
    json_object_set_new(cnt, "to_master", json_integer((json_int_t)c->vrrp.stats.to_master));
    json_object_set_new(cnt, "to_backup", json_integer((json_int_t)c->vrrp.stats.to_backup));
    json_object_set_new(cnt, "failovers", json_integer((json_int_t)c->failovers));
    json_object_set_new(cnt, "garps_sent", json_integer((json_int_t)c->garps_sent));
    json_object_set_new(cnt, "garp_failed", json_integer((json_int_t)c->garp_failed));
    json_object_set_new(cnt, "lower_master_heard",
                        json_integer((json_int_t)c->vrrp.stats.lower_master));
    json_object_set_new(cnt, "reannounced", json_integer((json_int_t)c->reannounced));
    json_object_set_new(o, "counters", cnt);

    drops = json_object();
    for (unsigned i = 0; i < VRRP_DROP_N; i++) {
        json_object_set_new(drops, vrrp_drop_name(i),
                            json_integer((json_int_t)c->vrrp.stats.drops[i]));
    }
    for (unsigned i = 0; i < FRAME_DROP_N; i++) {
        json_object_set_new(drops, frame_drop_names[i],
                            json_integer((json_int_t)c->frame_drops[i]));
    }
    json_object_set_new(o, "drops", drops);
    json_object_set_new(o, "sync",
                        c->sync_show ? c->sync_show(c->sync_aux) : json_string("not configured"));
    return o;
}

/* ---- Commands ---- */

static int
show_cluster(json_t *args, json_t **result, char *err, void *aux)
{
    (void)args;
    (void)err;
    *result = cluster_show(aux);
    return 0;
}

static int
do_switchover(json_t *args, json_t **result, char *err, void *aux)
{
    struct cluster *c = aux;
    char b[HNVGW_IP_STRLEN];
    int ret;

    (void)args;
    ret = cluster_switchover(c, err);
    if (ret) {
        return ret;
    }
    *result = json_sprintf(
        "switched over: this node is passive; the peer%s%s takes over within its Skew_Time (less "
        "than %u ms)%s",
        c->vrrp.peer.seen ? " " : "", c->vrrp.peer.seen ? ip4_str(c->vrrp.peer.addr, b) : "",
        c->cfg.advert_interval_ms,
        c->vrrp.cfg.preempt && c->cfg.switchover_hold_s
            ? "; this node does not preempt it before switchover_hold has passed"
            : "");
    return 0;
}

void
cluster_register_commands(struct cluster *c, struct ctl_server *ctl)
{
    ctl_server_register(ctl, "show cluster",
                        "the pair: role, VRRP state, the peer, the last failover, counters, sync",
                        show_cluster, c);
    ctl_server_register(ctl, "cluster switchover",
                        "on the active node: hand the active role to the peer (priority 0)",
                        do_switchover, c);
}
