/* SPDX-License-Identifier: Apache-2.0 */
/* The node's site-to-site VPN service (see vpn.h). */
#include "vpn/vpn_service.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "vpn/ike_ha.h"
#include "vpn/vici.h"
#include "routing/compartment.h"
#include "lib/clock.h"
#include "lib/event_timer.h"

#ifndef HNVGW_LIBEXECDIR
#define HNVGW_LIBEXECDIR "/usr/libexec/hnvgw" /* Where the package puts hnvgw-iked. */
#endif

#define VPN_BACKOFF_MIN_MS    1000
#define VPN_BACKOFF_MAX_MS    30000
#define VPN_VICI_RETRY_MS     200         /* Until the daemon's VICI socket answers. */
#define VPN_KEEPUP_MS         5000        /* How often down tunnels that initiate are checked. */
#define VPN_RETRY_MAX_MS      60000       /* The longest wait between two initiations. */
#define VPN_TIMER_ACCURACY_US (10 * 1000) /* How late a timer may fire (default: 250 ms). */
#define VPN_KIPSEC_SOCKET     VPN_STATE_DIR "/kipsec.sock"
#define VPN_VICI_SOCKET       VPN_STATE_DIR "/charon.vici"

/* Sets '*src' to call 'cb' (with 'vs') once in 'ms', creating the timer on first use. A timer
 * that cannot be created is logged: what it would have done does not happen. */
static void
timer_in(struct vpn_service *vs, sd_event_source **src, unsigned ms, sd_event_time_handler_t cb,
         const char *what)
{
    int ret = event_timer_in(vs->event, src, (uint64_t)ms * 1000, VPN_TIMER_ACCURACY_US, cb, vs);

    if (ret < 0) {
        log_err("vpn: cannot schedule %s: %s", what, strerror(-ret));
    }
}

/* Turns timer 'src' off (NULL is fine). */
static void
timer_cancel(sd_event_source *src)
{
    if (src) {
        sd_event_source_set_enabled(src, SD_EVENT_OFF);
    }
}

/* True when some of the 'n' tenants has a vpn section. */
static bool
has_vpn(const struct vpn_tenant *tenants, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (tenants[i].vpn) {
            return true;
        }
    }
    return false;
}

/* The MACs of the IKE compartment's exception port: the data plane's side and the kernel's. */
static void
exception_mac(bool peer, uint8_t mac[6])
{
    const uint8_t m[6] = {0x02, 0x00, 0xee, peer, 0x00, 0x00};
    memcpy(mac, m, 6);
}

int
vpn_add_ports(struct dp *dp, const struct vpn_tenant *tenants, size_t n_tenants, char *err)
{
    struct dp_port_conf pc;
    uint16_t id;

    if (!has_vpn(tenants, n_tenants)) {
        return 0;
    }
    memset(&pc, 0, sizeof pc);
    pc.kind = DP_PORT_EXCEPTION;
    snprintf(pc.name, sizeof pc.name, "exc-ike");
    snprintf(pc.devargs, sizeof pc.devargs, "net_tap_x0,iface=" VPN_IFNAME);
    exception_mac(false, pc.mac);
    exception_mac(true, pc.peer_mac);
    pc.tenant = 0;
    pc.mtu = 1500;
    return dp_port_add(dp, &pc, &id, err);
}

int
vpn_dp_setup(struct dp *dp, const struct vpn_tenant *tenants, size_t n_tenants, char *err)
{
    for (size_t i = 0; i < n_tenants; i++) {
        const struct vpn_tenant *t = &tenants[i];
        int ret;

        if (!t->vpn) {
            continue;
        }
        ret = dp_esp_local_add(dp, t->vpn->local_address.v4);
        if (ret) {
            snprintf(err, DP_ERR_MAX, "tenant %s: vpn local_address: %s", t->name, strerror(ret));
            return ret;
        }
    }
    return 0;
}

/* Writes the IKE daemon's strongswan.conf. */
static int
write_strongswan_conf(bool paired, char *err)
{
    FILE *f = fopen(VPN_STATE_DIR "/strongswan.conf", "w");

    if (!f) {
        snprintf(err, 256, "%s/strongswan.conf: %s", VPN_STATE_DIR, strerror(errno));
        return errno;
    }
    /* Routes and virtual IPs are the data plane's business, not the compartment kernel's. */
    fprintf(f, "charon {\n"
               "  install_routes = no\n"
               "  install_virtual_ip = no\n"
               "  retransmit_tries = 3\n"
               "  plugins {\n"
               "    vici { socket = unix://" VPN_VICI_SOCKET " }\n");
    if (paired) {
        ike_ha_write_conf(f);
    }
    fprintf(f, "  }\n"
               "  filelog {\n"
               "    stderr { path = /dev/stderr\n"
               "      default = 0\n"
               "      ike = 1\n"
               "      cfg = 1\n"
               "      knl = 1\n"
               "      ike_name = yes\n"
               "      flush_line = yes }\n"
               "  }\n"
               "}\n");
    if (fclose(f)) {
        snprintf(err, 256, "%s/strongswan.conf: %s", VPN_STATE_DIR, strerror(errno));
        return EIO;
    }
    return 0;
}

/* The IKE daemon binary: next to our own (build/ in the tree, /usr/sbin when installed). */
static void
find_iked(char *buf, size_t len)
{
    char self[240];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    char *slash;

    /* A build tree runs its own (build/hnvgw-iked beside build/hnvgwd); the package puts it in
     * HNVGW_LIBEXECDIR, off PATH. */
    if (n > 0) {
        self[n] = '\0';
        slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            snprintf(buf, len, "%s/hnvgw-iked", self);
            if (access(buf, X_OK) == 0) {
                return;
            }
        }
    }
    snprintf(buf, len, "%s", HNVGW_LIBEXECDIR "/hnvgw-iked");
}

/* Hands the kipsec server the (if_id, reqid) pairs the configuration declares. */
static int
set_tunnels(struct vpn_service *vs)
{
    struct kipsec_tunnel *tun;
    size_t n = 0, max = 0;
    int ret;

    for (size_t i = 0; i < vs->n_tenants; i++) {
        max += vs->tenants[i].vpn ? vs->tenants[i].vpn->n_tunnels : 0;
    }
    tun = calloc(max ? max : 1, sizeof *tun);
    if (!tun) {
        return ENOMEM;
    }
    for (size_t i = 0; i < vs->n_tenants; i++) {
        const struct vpn_tenant *t = &vs->tenants[i];
        for (size_t j = 0; t->vpn && j < t->vpn->n_tunnels; j++) {
            tun[n].if_id = t->vpn->tunnels[j].if_id;
            tun[n].reqid = t->vpn->tunnels[j].reqid;
            tun[n++].tenant = (uint16_t)t->id;
        }
    }
    ret = kipsec_server_set_tunnels(vs->kipsec, tun, n);
    free(tun);
    return ret;
}

/* (Re)builds the tunnel state table of vs->tenants, keeping the state of tunnels that remain. */
static int
tunnels_build(struct vpn_service *vs)
{
    size_t n = 0, k = 0;
    struct vpn_tunnel_state *t;

    for (size_t i = 0; i < vs->n_tenants; i++) {
        n += vs->tenants[i].vpn ? vs->tenants[i].vpn->n_tunnels : 0;
    }
    t = calloc(n ? n : 1, sizeof *t);
    if (!t) {
        return ENOMEM;
    }
    for (size_t i = 0; i < vs->n_tenants; i++) {
        const struct vpn_tenant *tn = &vs->tenants[i];
        for (size_t j = 0; tn->vpn && j < tn->vpn->n_tunnels; j++, k++) {
            struct vpn_tunnel_state *old = vpn_find_tunnel(vs, tn->name, tn->vpn->tunnels[j].name);
            if (old) {
                t[k] = *old;
            } else {
                snprintf(t[k].ike_state, sizeof t[k].ike_state, "DOWN");
                snprintf(t[k].child_state, sizeof t[k].child_state, "DOWN");
            }
            t[k].tenant = tn;
            t[k].conf = &tn->vpn->tunnels[j];
        }
    }
    free(vs->tunnels);
    vs->tunnels = t;
    vs->n_tunnels = n;
    return 0;
}

struct vpn_tunnel_state *
vpn_find_tunnel(struct vpn_service *vs, const char *tenant, const char *name)
{
    for (size_t i = 0; i < vs->n_tunnels; i++) {
        if (!strcmp(vs->tunnels[i].tenant->name, tenant) &&
            !strcmp(vs->tunnels[i].conf->name, name)) {
            return &vs->tunnels[i];
        }
    }
    return NULL;
}

int
vpn_initiate(struct vpn_service *vs, struct vpn_tunnel_state *t, char *err)
{
    t->held_down = false;
    if (!vs->vici) {
        snprintf(err, 256, "the IKE daemon is not running");
        return ENOTCONN;
    }
    return vici_client_initiate(vs->vici, t->tenant->name, t->conf->name, -1, err);
}

int
vpn_terminate(struct vpn_service *vs, struct vpn_tunnel_state *t, char *err)
{
    t->held_down = true;
    if (!vs->vici) {
        snprintf(err, 256, "the IKE daemon is not running");
        return ENOTCONN;
    }
    return vici_client_terminate(vs->vici, t->tenant->name, t->conf->name, -1, err);
}

/* Follows one event in the tunnel state table. */
static void
tunnel_event(struct vpn_service *vs, const struct vici_event *ev)
{
    struct vpn_tunnel_state *t = vpn_find_tunnel(vs, ev->tenant, ev->tunnel);
    time_t now = time(NULL);

    if (!t) {
        return;
    }
    switch (ev->kind) {
    case VICI_EV_IKE_UPDOWN:
        snprintf(t->ike_state, sizeof t->ike_state, "%s", ev->up ? ev->state : "DOWN");
        if (ev->up) {
            t->ike_since = now;
            t->ike_ups++;
        } else {
            snprintf(t->child_state, sizeof t->child_state, "DOWN");
            t->spi_in = t->spi_out = 0;
        }
        break;
    case VICI_EV_CHILD_UPDOWN:
        snprintf(t->child_state, sizeof t->child_state, "%s", ev->up ? ev->state : "DOWN");
        if (ev->up) {
            t->spi_in = ev->spi_in;
            t->spi_out = ev->spi_out;
            t->child_since = now;
            t->retry_ms = 0;
            t->next_try_ms = 0;
        } else if (ev->spi_in == t->spi_in) {
            t->spi_in = t->spi_out = 0;
        }
        break;
    case VICI_EV_CHILD_REKEY:
        t->child_rekeys++;
        t->spi_in = ev->spi_in;
        t->spi_out = ev->spi_out;
        t->child_since = now;
        snprintf(t->child_state, sizeof t->child_state, "INSTALLED");
        break;
    case VICI_EV_IKE_REKEY:
        t->ike_rekeys++;
        t->ike_since = now;
        break;
    default:
        break;
    }
}

/* Replaces vs->tenants with a copy of the 'n' 'tenants'. Returns 0 or ENOMEM (nothing changed). */
static int
set_tenants(struct vpn_service *vs, const struct vpn_tenant *tenants, size_t n)
{
    struct vpn_tenant *copy = calloc(n ? n : 1, sizeof *copy);

    if (!copy) {
        return ENOMEM;
    }
    if (n) {
        memcpy(copy, tenants, n * sizeof *copy);
    }
    free(vs->tenants);
    vs->tenants = copy;
    vs->n_tenants = n;
    return 0;
}

static void start_daemon(struct vpn_service *vs);

/* kipsec_server_set_sa_hook() callback. The passive node of a pair hears of its tunnels from the
 * SAs its peer syncs (its IKE daemon raises no events for them): that is what keeps the node from
 * initiating them again when it takes over. */
static void
on_sa(void *vs_, uint32_t reqid, uint32_t spi, bool inbound, bool added)
{
    struct vpn_service *vs = vs_;

    if (vs->active) {
        return; /* The daemon's events tell. */
    }
    for (size_t i = 0; i < vs->n_tunnels; i++) {
        struct vpn_tunnel_state *t = &vs->tunnels[i];

        if (t->conf->reqid != reqid) {
            continue;
        }
        if (added) {
            snprintf(t->ike_state, sizeof t->ike_state, "PASSIVE");
            snprintf(t->child_state, sizeof t->child_state, "INSTALLED");
            *(inbound ? &t->spi_in : &t->spi_out) = spi;
            t->child_since = time(NULL);
        } else if (spi == (inbound ? t->spi_in : t->spi_out)) {
            t->spi_in = t->spi_out = 0;
            snprintf(t->child_state, sizeof t->child_state, "DOWN");
        }
        return;
    }
}

int
vpn_start(struct vpn_service *vs, struct dp *dp, const struct vpn_tenant *tenants, size_t n_tenants,
          bool paired, sd_event *event, char *err)
{
    struct hnvgw_prefix addrs[64];
    size_t n_addrs = 0;
    uint8_t mac[6];
    int ret;

    memset(vs, 0, sizeof *vs);
    vs->dp = dp;
    if (!has_vpn(tenants, n_tenants)) {
        return 0;
    }
    if (set_tenants(vs, tenants, n_tenants)) {
        snprintf(err, 256, "vpn: out of memory");
        return ENOMEM;
    }
    vs->enabled = true;
    vs->paired = paired;
    vs->active = !paired; /* A node of a pair waits for the election. */
    vs->backoff_ms = VPN_BACKOFF_MIN_MS;
    find_iked(vs->iked, sizeof vs->iked);
    if ((mkdir("/run/hnvgw", 0755) && errno != EEXIST) ||
        (mkdir(VPN_STATE_DIR, 0700) && errno != EEXIST)) {
        snprintf(err, 256, "%s: %s", VPN_STATE_DIR, strerror(errno));
        return errno;
    }
    ret = write_strongswan_conf(paired, err);
    if (!ret) {
        ret = kipsec_server_open(VPN_KIPSEC_SOCKET, dp, event, &vs->kipsec, err);
    }
    if (!ret) {
        ret = set_tunnels(vs);
    }
    if (!ret) {
        ret = tunnels_build(vs);
    }
    if (!ret) {
        ret = compartment_create(VPN_COMPARTMENT, vs->netns, err);
    }
    if (!ret) {
        /* The kernel side carries every tenant's tunnel address: charon binds IKE to them. */
        for (size_t i = 0; i < vs->n_tenants && n_addrs < 64; i++) {
            if (vs->tenants[i].vpn) {
                addrs[n_addrs].addr = vs->tenants[i].vpn->local_address;
                addrs[n_addrs++].plen = 32;
            }
        }
        exception_mac(true, mac);
        ret = compartment_adopt_link(vs->netns, VPN_IFNAME, mac, addrs, n_addrs, err);
        if (!ret && paired) {
            ret = ike_ha_create(vs->netns, event, &vs->ha, err);
        }
        if (ret) {
            compartment_destroy(VPN_COMPARTMENT);
        }
    }
    if (ret) {
        kipsec_server_destroy(vs->kipsec);
        free(vs->tunnels);
        free(vs->tenants);
        memset(vs, 0, sizeof *vs);
        return ret;
    }
    vs->event = sd_event_ref(event);
    kipsec_server_set_sa_hook(vs->kipsec, on_sa, vs);
    log_info("vpn: IKE compartment %s, daemon %s, SAs through %s", vs->netns, vs->iked,
             VPN_KIPSEC_SOCKET);
    start_daemon(vs);
    return 0;
}

static void daemon_exited(pid_t pid, int status, void *vs_);

/* Timer: the IKE daemon's back-off has passed. */
static int
on_restart(sd_event_source *src, uint64_t usec, void *vs_)
{
    (void)src;
    (void)usec;
    start_daemon(vs_);
    return 0;
}

/* Timer: tries the daemon's VICI socket (and loads the tunnels once it answers). */
static int on_vici_retry(sd_event_source *src, uint64_t usec, void *vs_);

/* Starts the IKE daemon in the compartment and watches it; a failed start is tried again after
 * the back-off. */
static void
start_daemon(struct vpn_service *vs)
{
    char *argv[] = {vs->iked,
                    "--socket",
                    VPN_KIPSEC_SOCKET,
                    "--conf",
                    VPN_STATE_DIR "/strongswan.conf",
                    vs->paired ? "--ha" : NULL,
                    NULL};
    int ret;

    vs->pid = compartment_spawn(vs->netns, argv);
    if (vs->pid < 0) {
        log_err("vpn: cannot start %s: %s", vs->iked, strerror(errno));
        vs->pid = 0;
        timer_in(vs, &vs->restart, vs->backoff_ms, on_restart, "the IKE daemon's start");
        return;
    }
    vs->loaded = false;
    ret = compartment_watch(&vs->exit, vs->event, vs->pid, daemon_exited, vs);
    if (ret) {
        log_err("vpn: IKE daemon (pid %d) runs unsupervised: pidfd: %s", (int)vs->pid,
                strerror(ret));
    }
    timer_in(vs, &vs->vici_retry, VPN_VICI_RETRY_MS, on_vici_retry, "the VICI connection");
    log_info("vpn: IKE daemon started (pid %d)", (int)vs->pid);
}

static void log_events(struct vpn_service *vs);

/* I/O source of the VICI event pipe. */
static int
on_vici_events(sd_event_source *src, int fd, uint32_t revents, void *vs_)
{
    (void)src;
    (void)fd;
    (void)revents;
    log_events(vs_);
    return 0;
}

/* Timer: a tunnel that initiates is kept up. charon gives up on a first contact that fails (a
 * peer that answers NO_PROPOSAL_CHOSEN because its config is not loaded yet, or that does not
 * answer at all) and its dpd/close actions only cover tunnels that were once up; so a tunnel
 * whose CHILD_SA is down is initiated again, with a back-off from 5 s to 60 s, unless the
 * operator took it down. Initiating a tunnel charon is still negotiating is harmless: it reuses
 * the IKE_SA under way. */
static int
on_keepup(sd_event_source *src, uint64_t usec, void *vs_)
{
    struct vpn_service *vs = vs_;
    uint64_t now = hnvgw_now_ms();

    (void)src;
    (void)usec;
    for (size_t i = 0; vs->vici && vs->loaded && vs->active && i < vs->n_tunnels; i++) {
        struct vpn_tunnel_state *t = &vs->tunnels[i];
        char err[256];

        if (t->conf->start_action != CONFIG_VPN_START_INITIATE || t->held_down ||
            strcmp(t->child_state, "DOWN") || now < t->next_try_ms) {
            continue;
        }
        if (t->next_try_ms) { /* Not the first check since it went down: it failed. */
            t->retries++;
            log_info("vpn: tenant %s tunnel %s is still down; initiating it again", t->tenant->name,
                     t->conf->name);
            if (vici_client_initiate(vs->vici, t->tenant->name, t->conf->name, -1, err)) {
                log_warn("vpn: tenant %s tunnel %s: %s", t->tenant->name, t->conf->name, err);
            }
        }
        t->retry_ms = t->retry_ms ? t->retry_ms * 2 : VPN_KEEPUP_MS;
        t->retry_ms = t->retry_ms > VPN_RETRY_MAX_MS ? VPN_RETRY_MAX_MS : t->retry_ms;
        t->next_try_ms = now + t->retry_ms;
    }
    timer_in(vs, &vs->keepup, VPN_KEEPUP_MS, on_keepup, "the tunnels' keep-up check");
    return 0;
}

/* A node of a pair loads its tunnels without starting them: when it is (or becomes) active, this
 * initiates every tunnel that initiates and has no SAs (synced from the peer or its own). */
static void
initiate_down(struct vpn_service *vs)
{
    for (size_t i = 0; vs->vici && vs->loaded && i < vs->n_tunnels; i++) {
        struct vpn_tunnel_state *t = &vs->tunnels[i];
        char err[256];

        if (t->conf->start_action != CONFIG_VPN_START_INITIATE || t->held_down ||
            strcmp(t->child_state, "DOWN")) {
            continue;
        }
        log_info("vpn: tenant %s tunnel %s has no SAs on this node; initiating it", t->tenant->name,
                 t->conf->name);
        if (vici_client_initiate(vs->vici, t->tenant->name, t->conf->name, -1, err)) {
            log_warn("vpn: tenant %s tunnel %s: %s", t->tenant->name, t->conf->name, err);
        }
    }
}

/* Connects to the daemon's VICI socket and loads every tenant's tunnels into it. */
static void
load_tunnels(struct vpn_service *vs)
{
    char err[256];
    size_t loaded = 0;

    if (!vs->vici) {
        int ret;

        if (vici_client_open("unix://" VPN_VICI_SOCKET, &vs->vici, err)) {
            /* Not up yet. */
            timer_in(vs, &vs->vici_retry, VPN_VICI_RETRY_MS, on_vici_retry, "the VICI connection");
            return;
        }
        if (vici_client_watch(vs->vici, VICI_EV_ALL, err)) {
            log_warn("vpn: no IKE events: %s", err);
        } else if ((ret =
                        sd_event_add_io(vs->event, &vs->vici_events, vici_client_event_fd(vs->vici),
                                        EPOLLIN, on_vici_events, vs)) < 0) {
            log_warn("vpn: no IKE events: %s", strerror(-ret));
        }
    }
    for (size_t i = 0; i < vs->n_tenants; i++) {
        const struct vpn_tenant *t = &vs->tenants[i];

        if (!t->vpn) {
            continue;
        }
        vici_client_defer_start(vs->vici, vs->paired);
        if (vici_client_load_tenant(vs->vici, t, err)) {
            log_err("vpn: tenant %s: %s", t->name, err);
            continue;
        }
        loaded++;
    }
    vs->loaded = true;
    log_info("vpn: tunnels of %zu tenant(s) loaded into the IKE daemon", loaded);
    for (size_t i = 0; i < vs->n_tunnels; i++) {
        vs->tunnels[i].next_try_ms = 0; /* A new daemon: its own first try comes first. */
        vs->tunnels[i].retry_ms = 0;
    }
    timer_in(vs, &vs->keepup, VPN_KEEPUP_MS, on_keepup, "the tunnels' keep-up check");
    if (vs->ha) {
        /* Tells the new daemon its role, and the pair that its peer may now send it the SAs. */
        ike_ha_daemon_up(vs->ha, true);
        if (vs->active) {
            initiate_down(vs);
        }
    }
}

/* Logs the IKE daemon's events (tunnels up and down, rekeys, authentication failures). */
static void
log_events(struct vpn_service *vs)
{
    struct vici_event ev;

    while (vs->vici && vici_client_read_event(vs->vici, &ev) == 1) {
        bool down = (ev.kind == VICI_EV_IKE_UPDOWN || ev.kind == VICI_EV_CHILD_UPDOWN) && !ev.up;

        tunnel_event(vs, &ev);
        if (ev.kind == VICI_EV_LOG || down) {
            log_warn("%s", ev.line);
        } else {
            log_info("%s", ev.line);
        }
    }
}

static int
on_vici_retry(sd_event_source *src, uint64_t usec, void *vs_)
{
    struct vpn_service *vs = vs_;

    (void)src;
    (void)usec;
    if (vs->pid && !vs->loaded) {
        load_tunnels(vs);
    }
    return 0;
}

/* Forgets the daemon's VICI connections (it died, or the service stops). */
static void
drop_vici(struct vpn_service *vs)
{
    vs->vici_events = sd_event_source_disable_unref(vs->vici_events);
    timer_cancel(vs->vici_retry);
    vici_client_close(vs->vici);
    vs->vici = NULL;
    vs->loaded = false;
}

/* compartment_watch() callback: the IKE daemon exited. */
static void
daemon_exited(pid_t pid, int status, void *vs_)
{
    struct vpn_service *vs = vs_;

    log_err("vpn: IKE daemon (pid %d) %s %d; restart in %u ms", (int)pid,
            WIFSIGNALED(status) ? "killed by signal" : "exited with",
            WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), vs->backoff_ms);
    vs->pid = 0;
    vs->restarts++;
    timer_in(vs, &vs->restart, vs->backoff_ms, on_restart, "the IKE daemon's restart");
    vs->backoff_ms =
        vs->backoff_ms * 2 > VPN_BACKOFF_MAX_MS ? VPN_BACKOFF_MAX_MS : vs->backoff_ms * 2;
    drop_vici(vs);
    if (vs->ha) {
        ike_ha_daemon_up(vs->ha, false);
    }
    for (size_t i = 0; i < vs->n_tunnels; i++) {
        snprintf(vs->tunnels[i].ike_state, sizeof vs->tunnels[i].ike_state, "DOWN");
        snprintf(vs->tunnels[i].child_state, sizeof vs->tunnels[i].child_state, "DOWN");
        vs->tunnels[i].spi_in = vs->tunnels[i].spi_out = 0;
    }
    /* Its SAs died with it: the next one's HELLO would flush them, but not a second later. */
    kipsec_server_flush(vs->kipsec);
}

void
vpn_reconfigure(struct vpn_service *vs, const struct vpn_tenant *tenants, size_t n_tenants)
{
    if (!vs->enabled) {
        return;
    }
    if (set_tenants(vs, tenants, n_tenants) || tunnels_build(vs)) {
        log_err("vpn: out of memory for the tunnel table");
    }
}

void
vpn_set_active(struct vpn_service *vs, bool active)
{
    bool was = vs->active;

    vs->active = active;
    if (!vs->enabled || !vs->paired) {
        return;
    }
    ike_ha_set_active(vs->ha, active);
    /* The daemon's IKE_SAs change state with its segment, and it raises no event for that. */
    for (size_t i = 0; i < vs->n_tunnels; i++) {
        struct vpn_tunnel_state *t = &vs->tunnels[i];

        if (active && !strcmp(t->ike_state, "PASSIVE")) {
            snprintf(t->ike_state, sizeof t->ike_state, "ESTABLISHED");
        } else if (!active && strcmp(t->ike_state, "DOWN")) {
            snprintf(t->ike_state, sizeof t->ike_state, "PASSIVE");
        }
    }
    if (active && !was) {
        initiate_down(vs);
    }
}

void
vpn_stop(struct vpn_service *vs)
{
    if (!vs->enabled) {
        return;
    }
    drop_vici(vs);
    vs->vici_retry = sd_event_source_disable_unref(vs->vici_retry);
    vs->restart = sd_event_source_disable_unref(vs->restart);
    vs->keepup = sd_event_source_disable_unref(vs->keepup);
    compartment_unwatch(&vs->exit);
    /* The SAs go first, and with them the socket: a charon that deletes its CHILD_SAs on the way
     * out then meets a closed door at once instead of waiting for answers no one gives. */
    kipsec_server_destroy(vs->kipsec);
    ike_ha_destroy(vs->ha);
    if (vs->pid) {
        kill(vs->pid, SIGTERM);
        for (unsigned i = 0; i < 50 && waitpid(vs->pid, NULL, WNOHANG) == 0; i++) {
            struct timespec ts = {.tv_nsec = 20000000};
            nanosleep(&ts, NULL);
        }
        if (waitpid(vs->pid, NULL, WNOHANG) == 0) {
            kill(vs->pid, SIGKILL);
            waitpid(vs->pid, NULL, 0);
        }
    }
    compartment_destroy(VPN_COMPARTMENT);
    free(vs->tunnels);
    free(vs->tenants);
    sd_event_unref(vs->event);
    memset(vs, 0, sizeof *vs);
}
