/* SPDX-License-Identifier: Apache-2.0 */
/* A tenant's FRR instance: zebra (with dplane_fpm_nl), bgpd and, when the tenant has static
 * routes, staticd, run inside the tenant's compartment from a config generated out of the
 * tenant's `routing` section, and supervised. Or, where the kernel has VRF devices, one shared
 * instance for every routed tenant (frr_init_shared()): one VRF per tenant ("vrf<ID>", table
 * frr_vrf_table(ID)), a `router bgp ASN vrf vrf<ID>` per tenant, and zebra's FPM carrying every
 * VRF's routes over one connection.
 *
 * The module promises:
 * - An instance runs only the daemons its section needs: staticd only when extra_config holds a
 *   static route (frr_needs_staticd()); every daemon with a file descriptor limit of
 *   FRR_FD_LIMIT, whatever hnvgwd's own (FRR sizes per-descriptor tables by it, per thread).
 * - frr_write_config() writes zebra.conf, bgpd.conf and, when it runs, staticd.conf for the
 *   tenant into its state directory (owned by user frr): ASN, router-id, neighbors with password
 *   and timers, the
 *   tenant's subnets plus its configured networks, FPM toward 127.0.0.1:fpm_port without
 *   next-hop groups, and the operator's extra_config verbatim (after the generated lines: it may
 *   override them). bgpd does graceful restart (RFC 4724) with every neighbor and says its
 *   forwarding state is preserved: the data plane, not bgpd, forwards, and in a pair the new
 *   active's data plane carries the same tenant prefixes, so a peer keeps our routes through a
 *   bgpd restart or a failover and does not flush them when the new session opens.
 * - frr_start() starts the daemons and supervises them from the daemon's event loop: a daemon's
 *   exit is seen on its pidfd, and it is restarted with back-off (1 s doubling to 30 s) by a
 *   timer; every start, exit and restart is logged. frr_stop() stops them by pid.
 * - The vty sockets are in the state directory: `vtysh --vty_socket DIR` reaches them.
 * - frr_bgp_clear() resets every BGP session at once (`clear bgp *` through vtysh), from a child
 *   the loop reaps, retried while bgpd does not answer; it never blocks the loop, and logs what it
 *   did.
 * Control thread only. */
#ifndef HNVGW_FRR_H
#define HNVGW_FRR_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "routing/compartment.h"
#include "routing/routing_config.h"

#define FRR_STATE_ROOT "/run/hnvgw/frr"
/* The shared instance's state dir: beside the tenants' (FRR_STATE_ROOT/NAME), so that no tenant
 * name can be it. */
#define FRR_SHARED_DIR "/run/hnvgw/frr-shared"
/* A tenant's VRF table in the shared instance is its id plus this: above the tables the kernel
 * reserves (0, 253-255) and every small one an operator may use by hand, below 2^32 for every
 * tenant id (1..65535); zebra names it in RTA_TABLE. */
#define FRR_VRF_TABLE_BASE 0x10000u
#define FRR_VRF_NAME_MAX   16 /* A VRF is a link: IFNAMSIZ, its NUL included. */
#define FRR_BIN_DIR        "/usr/lib/frr"
#define FRR_N_DAEMONS      3 /* zebra, staticd, bgpd. */
#define FRR_VTYSH          "/usr/bin/vtysh"

/* Each daemon's --limit-fds. FRR allocates, per event loop (zebra runs several), tables indexed by
 * descriptor and sized by this limit, or by RLIMIT_NOFILE without it: hnvgwd's (65536 under its
 * systemd unit) would cost megabytes per daemon. An instance uses a few dozen (its neighbors, at
 * most CONFIG_BGP_NEIGHBORS_MAX, zebra's clients, netlink, vty, logs); the margin is for
 * neighbors extra_config adds. A daemon that reaches it aborts and is restarted like any exit. */
#define FRR_FD_LIMIT 1024
/* The shared instance adds, per tenant, its VRF's listening sockets and two per neighbor (a
 * session and a connection being tried): 1,000 tenants of one neighbor each need thousands. */
#define FRR_FDS_PER_VRF      4
#define FRR_FDS_PER_NEIGHBOR 2

/* The longest command line of a daemon (frr_daemon_argv()), its NULL included. */
#define FRR_ARGV_MAX 20

/* Graceful restart (RFC 4724). The restart time is how long a peer keeps our routes while no
 * session is up: it must cover a takeover (about 1-2 s to a new session) and a supervised bgpd
 * restart (back-off up to 30 s), and matches how long the data plane keeps a vanished zebra's
 * routes (TENANT_ROUTING_HOLD_MS); a whole pair that is gone blackholes the peer's traffic no
 * longer than that. The stale-path time bounds how long bgpd keeps a restarting peer's routes once
 * it is back but has not sent its End-of-RIB. */
#define FRR_GR_RESTART_TIME_S 120
/* BGP's connect-retry: how soon a session that is down is tried again, and so how soon the node
 * that takes over in a pair brings its sessions up (FRR's own default is 120 s). */
#define FRR_CONNECT_RETRY_S     1
#define FRR_GR_STALEPATH_TIME_S 120

/* frr_bgp_clear(): a vtysh that has not exited by then is killed (a failed try); a failed try is
 * made again after a pause, a few times: bgpd may still be starting (a node that takes over
 * right after its own start). */
#define FRR_CLEAR_TIMEOUT_MS 5000
#define FRR_CLEAR_RETRY_MS   500
#define FRR_CLEAR_TRIES      20

/* frr_stop(): how long a daemon has to exit on SIGTERM before it gets SIGKILL. FRR 8.4's zebra,
 * sent SIGTERM while it starts, can hang for good (its threads deadlocked on a futex). */
#define FRR_STOP_GRACE_MS 5000

struct frr_instance;

/* One supervised daemon. */
struct frr_daemon {
    const char *name;              /* "zebra", "staticd" or "bgpd". */
    struct frr_instance *fi;       /* Its instance. */
    bool off;                      /* Not run: the tenant's section does not need it. */
    pid_t pid;                     /* Running pid, 0 when not running. */
    unsigned restarts;             /* Restarts after an exit. */
    unsigned backoff_ms;           /* Wait before the next restart. */
    struct compartment_watch exit; /* Tells the loop when it exits. */
    sd_event_source *restart;      /* Timer of the next start after an exit (owned), or NULL. */
};

/* Logs one supervision event (the daemon's own log line function). */
typedef void frr_log_fn(const char *msg);

/* A reset of every BGP session of an instance (frr_bgp_clear()), while it goes. */
struct frr_clear {
    pid_t pid;                     /* The vtysh running `clear bgp *`, 0 when none. */
    struct compartment_watch exit; /* Tells the loop when it exits. */
    sd_event_source *timer;      /* Owned, or NULL: the next try, or the running one's deadline. */
    unsigned tries;              /* Tries made for the current ask. */
    bool again;                  /* Asked again while vtysh ran: once more when it ends. */
    const char *why;             /* The ask's reason, for the log (a static string). */
    uint64_t asked_ms;           /* When it was asked (hnvgw_now_ms()), for the log. */
    unsigned retry_ms;           /* Pause after a failed try (FRR_CLEAR_RETRY_MS). */
    unsigned timeout_ms;         /* A try's deadline (FRR_CLEAR_TIMEOUT_MS). */
    unsigned max_tries;          /* Tries before giving up (FRR_CLEAR_TRIES). */
    unsigned long long n_done;   /* Asks carried out. */
    unsigned long long n_failed; /* Asks given up. */
};

/* One tenant's instance, or the shared one. */
struct frr_instance {
    uint16_t tenant;                          /* Routing domain; 0 for the shared instance. */
    char tenant_name[32];                     /* For logs ("shared" for the shared instance). */
    bool shared;                              /* Every routed tenant's, a VRF each. */
    uint16_t fpm_port;                        /* Where zebra connects in the compartment. */
    unsigned fd_limit;                        /* Each daemon's --limit-fds. */
    uint32_t *vrf_ids;                        /* Owned (shared only): the tenants' ids, whose
                                               * VRFs frr_bgp_clear() resets. */
    size_t n_vrfs;                            /* Entries of vrf_ids. */
    char netns[128];                          /* Compartment path. */
    char dir[160];                            /* State dir: configs, pids, sockets. */
    struct frr_daemon daemons[FRR_N_DAEMONS]; /* zebra first: the others need its socket. */
    sd_event *event;                          /* The supervising loop (a reference), or NULL. */
    frr_log_fn *log;                          /* Where supervision events go. */
    char vtysh[128];                          /* vtysh's path (FRR_VTYSH; tests use a stand-in). */
    struct frr_clear clear;                   /* frr_bgp_clear()'s state. */
    unsigned stop_grace_ms;                   /* SIGTERM to SIGKILL (FRR_STOP_GRACE_MS). */
};

/* Prepares 'fi' for tenant 't' in compartment 'netns' (no process started), with the daemons
 * 't' does not need marked off. 'fi' must then stay put: its daemons point back at it. */
void frr_init(struct frr_instance *fi, const struct routing_tenant *t, const char *netns);

/* Prepares 'fi' as the shared instance of the 'n' tenants 't' (each with a routing section) in
 * compartment 'netns', zebra connecting to 127.0.0.1:'fpm_port' there; staticd is off unless a
 * tenant needs it; the descriptor limit grows with the tenants and their neighbors. Returns 0, or
 * ENOMEM ('fi' is then as frr_stop() leaves it). 'fi' must then stay put. */
int frr_init_shared(struct frr_instance *fi, const struct routing_tenant *t, size_t n,
                    const char *netns, uint16_t fpm_port);

/* The kernel table of tenant 'id''s VRF in the shared instance. */
uint32_t frr_vrf_table(uint32_t id);

/* The name of tenant 'id''s VRF (its device, FRR's `vrf NAME`) into 'name'
 * (FRR_VRF_NAME_MAX). */
void frr_vrf_name(uint32_t id, char *name);

/* Whether routing section 'r' (NULL: none) needs staticd: its extra_config has a static route, a
 * line (in a vrf block or not) that starts with "ip route" or "ipv6 route". hnvgwd itself makes
 * no static route. */
bool frr_needs_staticd(const struct config_routing *r);

/* The command line of a daemon: argv and the strings it points into. */
struct frr_argv {
    char bin[64];             /* The daemon's binary. */
    char conf[256];           /* Its config file. */
    char pid[256];            /* Its pid file. */
    char zserv[256];          /* zebra's socket. */
    char fds[16];             /* The --limit-fds value. */
    char *argv[FRR_ARGV_MAX]; /* NULL-terminated; points into the above and static strings. */
};

/* Fills 'a' with the command line of daemon 'd' (an index of fi->daemons) of 'fi'. */
void frr_daemon_argv(const struct frr_instance *fi, unsigned d, struct frr_argv *a);

/* Writes the configs of the daemons 'fi' runs into fi->dir, and removes the config, pid file and
 * vty socket of one it does not run (left by an earlier config). Returns 0 or a positive errno with
 * a message in 'err' (256 bytes). */
int frr_write_config(struct frr_instance *fi, const struct routing_tenant *t, char *err);

/* Writes to 'f' the config of daemon 'd' (an index of fi->daemons: 0 zebra, 1 staticd, 2 bgpd) of
 * tenant 't', as frr_write_config() puts it into its file. Touches no file system. */
void frr_format_config(const struct frr_instance *fi, const struct routing_tenant *t, unsigned d,
                       FILE *f);

/* The shared instance's frr_write_config(), of the 'n' tenants 't' it was made for. */
int frr_write_config_shared(struct frr_instance *fi, const struct routing_tenant *t, size_t n,
                            char *err);

/* The shared instance's frr_format_config(): zebra's FPM and a `vrf` block per tenant (next hops
 * resolve through its default route); staticd's static routes of each tenant's extra_config
 * inside its `vrf` block; bgpd's `router bgp ASN vrf NAME` per tenant, as a tenant's own instance
 * has it, followed by its extra_config with each `router bgp ASN` that names no VRF moved into
 * the tenant's. Touches no file system. */
void frr_format_config_shared(const struct frr_instance *fi, const struct routing_tenant *t,
                              size_t n, unsigned d, FILE *f);

/* Starts the daemons that are not off and supervises them from 'event', logging through 'log'. A
 * daemon that cannot be started is logged and tried again after its back-off. */
void frr_start(struct frr_instance *fi, sd_event *event, frr_log_fn *log);

/* Resets every BGP session of 'fi' now: `clear bgp *` (`clear bgp vrf NAME *` for each VRF of the
 * shared instance: FRR 8.4 has no `vrf all` there) through vtysh on its vty socket, so that
 * sessions waiting on bgpd's timers or on TCP's SYN back-off start over at once. Returns at
 * once: vtysh is spawned on the loop's next turn (what the caller is doing, e.g. a takeover, comes
 * first) and reaped by the loop; a try that fails (bgpd not up yet, no answer within
 * timeout_ms) is made again after retry_ms, up to max_tries. Asked while vtysh runs, it runs once
 * more afterwards. 'why' (a static string) goes into the log lines: one when vtysh starts, one
 * when bgpd did it or the ask is given up. Returns false, having done nothing, before
 * frr_start(), after frr_stop(), or once the loop is exiting (the daemon is stopping). */
bool frr_bgp_clear(struct frr_instance *fi, const char *why);

/* Ends the supervision and sends SIGTERM to every daemon, without waiting; a running
 * frr_bgp_clear() is ended (SIGKILL, reaped). frr_stop_wait() then reaps the daemons. A caller
 * with many instances begins them all first, so that they stop together rather than one after
 * the other. Accepts an instance that was only initialised, or zeroed. */
void frr_stop_begin(struct frr_instance *fi);

/* Reaps the daemons of 'fi' after frr_stop_begin(): one still running at 'deadline_ms'
 * (hnvgw_now_ms()) gets SIGKILL, and is logged. Never blocks on a daemon that ignores SIGTERM.
 * Then frees what the instance owns. */
void frr_stop_wait(struct frr_instance *fi, uint64_t deadline_ms);

/* frr_stop_begin(), then frr_stop_wait() with fi->stop_grace_ms from now. */
void frr_stop(struct frr_instance *fi);

#endif
