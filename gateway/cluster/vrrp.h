/* SPDX-License-Identifier: Apache-2.0 */
/* VRRPv3 (RFC 5798) for IPv4: the election of a pair's active node, as a pure state machine.
 *
 * The module promises:
 * - No clock, no socket, no event loop: the caller passes the monotonic time (microseconds) into
 *   every call and gets back what to do (struct vrrp_event): send an advert, become master or
 *   backup, and when to call vrrp_timer() next (vrrp_deadline()). So a unit test drives it
 *   through any sequence of adverts and timeouts, to the microsecond.
 * - The machine of RFC 5798 6.4: Initialize, Backup, Master, with
 *   Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time and
 *   Skew_Time = ((256 - Priority) * Master_Adver_Interval) / 256 (6.1; computed in microseconds,
 *   not truncated to centiseconds). A backup learns Master_Adver_Interval from the master's
 *   adverts. With preempt off a backup never takes over from a live master; with it on, a backup
 *   of higher priority ignores a lower master's adverts and so takes over when its
 *   Master_Down_Timer runs out. A master that hears a higher priority, or the same priority from
 *   a higher primary address, steps down. Priority 0 (a master leaving) makes the backup take
 *   over after Skew_Time.
 * - Two masters (a split brain healing): the lower one steps down at the first advert it hears
 *   from the higher. Two additions to RFC 5798 6.4.3, both keepalived's: the higher answers
 *   each advert of the lower at once (where the RFC discards it), so that the overlap ends
 *   within a round trip of the first advert either sends after the heal, not up to an advert
 *   interval later; and the lower, stepping down, sends one last advert of its own priority
 *   (keepalived's higher_prio_send_advert), so that the higher learns of it even when its own
 *   advert crossed first. Hearing a lower master, the higher asks the caller to announce its
 *   addresses again (vrrp_event.announce): hosts may have followed the other meanwhile.
 * - The packet (RFC 5798 5.1, 5.2) built and parsed whole from the IPv4 header on, with the
 *   checksum over the IPv4 pseudo-header (5.2.8) as keepalived computes it. Every packet that is
 *   not accepted is counted under one reason (VRRP_DROP_LIST); adverts accepted despite another
 *   advert interval or other addresses than ours (7.1) are counted too, and reported once per
 *   change so that the caller logs them without flooding.
 * - Priority 255 (the address owner) is never ours: both nodes of a pair start as Backup.
 *
 * Times are monotonic microseconds, never 0. Addresses are IPv4 in network byte order. Not
 * thread-safe: one caller (the control thread). */
#ifndef HNVGW_VRRP_H
#define HNVGW_VRRP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VRRP_PROTO        112         /* IPv4 protocol number of VRRP. */
#define VRRP_GROUP        0xe0000012u /* 224.0.0.18, host order. */
#define VRRP_TTL          255         /* Adverts never cross a router (5.1.1.3). */
#define VRRP_TOS          0xc0        /* DSCP CS6 (network control), as keepalived sends. */
#define VRRP_ADDRS_MAX    16          /* Virtual addresses in one advert (CONFIG_PAS_MAX). */
#define VRRP_HDR_LEN      8           /* Fixed part of a VRRP packet. */
#define VRRP_PKT_MAX      (20 + VRRP_HDR_LEN + 4 * VRRP_ADDRS_MAX) /* IPv4 + VRRP, built. */
#define VRRP_INTERVAL_MAX 4095       /* Max Adver Int is 12 bits of centiseconds. */
#define VRRP_NO_DEADLINE  UINT64_MAX /* vrrp_deadline() with no timer running. */
/* A master that hears a lower master announces its addresses again (vrrp_event.announce) at
 * most this often, in microseconds. */
#define VRRP_REANNOUNCE_US 1000000

/* Why a received packet was not taken: X(name, help). */
#define VRRP_DROP_LIST(X)                                                                          \
    X(ip_header, "not a whole unfragmented IPv4 packet with a valid header")                       \
    X(not_vrrp, "IPv4 protocol is not 112")                                                        \
    X(ttl, "IPv4 TTL is not 255: sent from off the link")                                          \
    X(version, "VRRP version is not 3")                                                            \
    X(type, "VRRP type is not ADVERTISEMENT")                                                      \
    X(length, "length does not match the address count, or no address")                            \
    X(checksum, "bad VRRP checksum")                                                               \
    X(interval, "advert interval of 0")                                                            \
    X(vrid, "another virtual router's advert (ignored, not an error)")                             \
    X(own_address, "our own primary address as the source: an address conflict")

enum vrrp_drop {
#define VRRP_DROP_ENUM(name, help) VRRP_DROP_##name,
    VRRP_DROP_LIST(VRRP_DROP_ENUM)
#undef VRRP_DROP_ENUM
        VRRP_DROP_N
};

enum vrrp_state {
    VRRP_INITIALIZE, /* Not started, or stopped. */
    VRRP_BACKUP,     /* Listening for the master; owns nothing. */
    VRRP_MASTER,     /* Sending adverts; owns the virtual addresses. */
};

/* Why the state changed. */
enum vrrp_reason {
    VRRP_REASON_NONE,
    VRRP_REASON_STARTUP,     /* Initialize -> Backup (vrrp_start()). */
    VRRP_REASON_NO_MASTER,   /* Backup -> Master: no master heard (since the start or a switchover).
                              */
    VRRP_REASON_MASTER_DOWN, /* Backup -> Master: the master fell silent. */
    VRRP_REASON_PRIORITY0,   /* Backup -> Master: the master left (an advert of priority 0). */
    VRRP_REASON_PREEMPT,     /* Backup -> Master: this node took over from a lower master. */
    VRRP_REASON_PREEMPTED,   /* Master -> Backup: an advert of higher priority. */
    VRRP_REASON_TIEBREAK,    /* Master -> Backup: same priority from a higher primary address. */
    VRRP_REASON_SWITCHOVER,  /* Master -> Backup: handed over (vrrp_switchover()). */
    VRRP_REASON_SHUTDOWN,    /* -> Initialize: stopping (vrrp_shutdown()). */
};

/* Things worth a log line, reported once until they change (see the top of this file). */
enum vrrp_note {
    VRRP_NOTE_INTERVAL = 1 << 0,  /* The master's advert interval is not ours (accepted). */
    VRRP_NOTE_ADDRESSES = 1 << 1, /* The master's addresses are not ours (accepted). */
    VRRP_NOTE_CONFLICT = 1 << 2,  /* An advert came from our own primary address. */
};

/* What the configuration sets. */
struct vrrp_config {
    uint8_t vrid;                   /* Virtual router id, 1..255. */
    uint8_t priority;               /* 1..254. */
    bool preempt;                   /* Take over from a live master of lower priority. */
    uint16_t advert_cs;             /* Advertisement_Interval, centiseconds, 1..4095. */
    uint32_t primary;               /* Our source address (network order). */
    uint32_t addrs[VRRP_ADDRS_MAX]; /* The virtual addresses (network order). */
    size_t n_addrs;                 /* Number of addrs, 1..VRRP_ADDRS_MAX. */
};

/* An advert as parsed. */
struct vrrp_advert {
    uint32_t src;                   /* IPv4 source: the sender's primary address. */
    uint32_t dst;                   /* IPv4 destination (224.0.0.18 for multicast). */
    uint8_t ttl;                    /* IPv4 TTL. */
    uint8_t version;                /* VRRP version. */
    uint8_t type;                   /* VRRP type. */
    uint8_t vrid;                   /* Virtual router id. */
    uint8_t priority;               /* Sender's priority, 0 when it leaves. */
    uint8_t count;                  /* Count IPvX Addr. */
    uint16_t interval_cs;           /* Max Adver Int, centiseconds. */
    uint16_t checksum;              /* As received. */
    uint32_t addrs[VRRP_ADDRS_MAX]; /* The first VRRP_ADDRS_MAX addresses (network order). */
};

/* What the caller must do after a call. */
struct vrrp_event {
    bool send;               /* Send an advert now, with advert_priority. */
    uint8_t advert_priority; /* The priority to advertise (0 when leaving). */
    bool changed;            /* The state changed, to 'state', for 'reason'. */
    enum vrrp_state state;   /* The state after the call. */
    enum vrrp_reason reason; /* Why it changed (VRRP_REASON_NONE when it did not). */
    bool announce;           /* In Master, a lower master was heard: both claimed the addresses
                              * (a split brain healing), so hosts may have followed the other:
                              * announce them again (gratuitous ARP). At most once per
                              * VRRP_REANNOUNCE_US, counting from becoming master. */
    uint64_t cause_us;       /* When the cause began: the last advert of the master that fell
                              * silent or was preempted, the priority-0 advert, or now. */
    unsigned notes;          /* enum vrrp_note bits, each reported once until it changes. */
};

/* Counters of what was received and decided (the caller counts what it sends). */
struct vrrp_stats {
    uint64_t received;           /* Adverts of our VRID accepted (any state). */
    uint64_t received_priority0; /* ... of which priority 0. */
    uint64_t drops[VRRP_DROP_N]; /* Packets not taken, by reason. */
    uint64_t interval_mismatch;  /* Accepted adverts with another interval than ours. */
    uint64_t addresses_mismatch; /* Accepted adverts with other addresses than ours. */
    uint64_t to_master;          /* Transitions to Master. */
    uint64_t to_backup;          /* Transitions to Backup (from Master or Initialize). */
    uint64_t lower_master;       /* Adverts of a lower master heard in Master (answered). */
};

/* What this node last heard from the other router of its VRID. */
struct vrrp_peer {
    bool seen;            /* An advert was accepted at least once. */
    uint32_t addr;        /* Its primary address (network order). */
    uint8_t priority;     /* Priority of its last advert. */
    uint16_t interval_cs; /* Interval of its last advert. */
    uint64_t last_us;     /* When its last advert was accepted. */
};

/* One virtual router. Embed it; every field is the module's (read them through the functions,
 * or directly for the counters and the peer). */
struct vrrp {
    struct vrrp_config cfg;      /* As configured (priority and preempt change live). */
    enum vrrp_state state;       /* Current state. */
    uint32_t master_adver_us;    /* Master_Adver_Interval: learned in Backup. */
    uint64_t deadline_us;        /* Adver_Timer (Master) or Master_Down_Timer (Backup). */
    uint64_t preempt_hold_until; /* No preemption before this time (after a switchover). */
    uint64_t priority0_us;       /* When a priority-0 advert set the Master_Down_Timer to
                                  * Skew_Time, 0 otherwise. */
    uint64_t lower_first_us;     /* First and last lower-priority adverts discarded to */
    uint64_t lower_last_us;      /* preempt since the last accepted one, or 0. */
    uint64_t master_us;          /* Last advert accepted from a live master, or 0 (never). */
    uint64_t start_us;           /* When vrrp_start() ran. */
    uint64_t announce_us;        /* When this node last became master or was told to announce
                                  * again (vrrp_event.announce). */
    uint16_t ip_id;              /* IPv4 identification of the next advert. */
    unsigned noted;              /* enum vrrp_note bits already reported. */
    struct vrrp_peer peer;       /* The other router, as last heard. */
    struct vrrp_stats stats;     /* Counters. */
};

/* Sets 'v' up in Initialize with 'cfg' (copied; it may be v->cfg, to start afresh). */
void vrrp_init(struct vrrp *v, const struct vrrp_config *cfg);

/* Initialize -> Backup at 'now' (RFC 5798 6.4.1: never straight to Master, as the priority is
 * not 255). */
void vrrp_start(struct vrrp *v, uint64_t now, struct vrrp_event *ev);

/* The timer: call it at or after vrrp_deadline(). A master sends its advert; a backup whose
 * Master_Down_Timer ran out becomes master. Early calls do nothing. */
void vrrp_timer(struct vrrp *v, uint64_t now, struct vrrp_event *ev);

/* Takes a received packet, 'len' bytes from its IPv4 header, at 'now'. Returns 0 when the advert
 * was accepted (which may change the state, see 'ev'), else the enum vrrp_drop + 1 it was
 * counted under. */
int vrrp_receive(struct vrrp *v, const uint8_t *ip, size_t len, uint64_t now,
                 struct vrrp_event *ev);

/* Stops: a master sends priority 0 so that the backup takes over after Skew_Time, not after
 * Master_Down_Interval (RFC 5798 6.4.3). Then Initialize. */
void vrrp_shutdown(struct vrrp *v, uint64_t now, struct vrrp_event *ev);

/* A graceful handover: a master sends priority 0 and becomes backup at once, and does not preempt
 * before 'hold_until' (it still takes over if no master shows up). Returns EINVAL, doing
 * nothing, when not master. */
int vrrp_switchover(struct vrrp *v, uint64_t now, uint64_t hold_until, struct vrrp_event *ev);

/* Changes priority (1..254) and preemption on the fly. A master advertises the new priority at
 * once, so that a backup of higher priority that preempts takes over without waiting; a backup
 * uses them from its next advert on. Returns EINVAL for a priority out of range. */
int vrrp_reconfigure(struct vrrp *v, uint8_t priority, bool preempt, uint64_t now,
                     struct vrrp_event *ev);

/* Moves the end of a switchover's hold on preemption to 'until' (a reload that changes it);
 * preemption resumes with the next advert heard after it. */
void vrrp_hold_preemption(struct vrrp *v, uint64_t until);

/* When vrrp_timer() is due, or VRRP_NO_DEADLINE in Initialize. */
uint64_t vrrp_deadline(const struct vrrp *v);

/* Master_Down_Interval and Skew_Time, in microseconds, for 'priority' and a master advert
 * interval of 'master_adver_us' (RFC 5798 6.1). */
uint64_t vrrp_skew_us(uint8_t priority, uint64_t master_adver_us);
uint64_t vrrp_master_down_us(uint8_t priority, uint64_t master_adver_us);

/* Builds this router's advert with 'priority' into 'buf' (VRRP_PKT_MAX bytes at least), from
 * the IPv4 header on: source the primary address, destination 224.0.0.18, TTL 255, DSCP CS6,
 * the next IPv4 identification. Returns its length. */
size_t vrrp_build(struct vrrp *v, uint8_t priority, uint8_t *buf);

/* Builds an advert from its fields (any values: tests make bad ones with it) with IPv4
 * identification 'ip_id', checksums computed. Returns its length, or 0 when 'size' is short. */
size_t vrrp_encode(const struct vrrp_advert *a, uint16_t ip_id, uint8_t *buf, size_t size);

/* Parses and checks 'len' bytes from an IPv4 header: every check that needs no state (IPv4
 * header, protocol, TTL, version, type, length, checksum, interval). Returns 0 with '*a' filled,
 * or the enum vrrp_drop + 1. */
int vrrp_parse(const uint8_t *ip, size_t len, struct vrrp_advert *a);

/* The checksum of a VRRP message of 'len' bytes (its own checksum field included as it is) with
 * the IPv4 pseudo-header of 'src' and 'dst': 0 for a valid one when the field is filled. */
uint16_t vrrp_checksum(uint32_t src, uint32_t dst, const uint8_t *vrrp, size_t len);

/* Printable names: "initialize", "backup", "master"; "master down", ...; a drop reason's name
 * and help. */
const char *vrrp_state_name(enum vrrp_state s);
const char *vrrp_reason_name(enum vrrp_reason r);
const char *vrrp_drop_name(enum vrrp_drop d);
const char *vrrp_drop_help(enum vrrp_drop d);

#endif
