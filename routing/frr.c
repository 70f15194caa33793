/* SPDX-License-Identifier: Apache-2.0 */
/* A tenant's FRR instance (see frr.h). */
#include "routing/frr.h"

#include <ctype.h>
#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "routing/compartment.h"

#define FRR_BACKOFF_MIN_MS 1000
#define FRR_BACKOFF_MAX_MS 30000
#define FRR_TIMER_ACCURACY_US                                                                      \
    (10 * 1000) /* How late a restart may come (sd-event's default: 250 ms). */

void
frr_init(struct frr_instance *fi, const struct routing_tenant *t, const char *netns)
{
    static const char *const names[FRR_N_DAEMONS] = {"zebra", "staticd", "bgpd"};

    memset(fi, 0, sizeof *fi);
    fi->tenant = (uint16_t)t->id;
    snprintf(fi->tenant_name, sizeof fi->tenant_name, "%s", t->name);
    snprintf(fi->netns, sizeof fi->netns, "%s", netns);
    snprintf(fi->dir, sizeof fi->dir, FRR_STATE_ROOT "/%s", t->name);
    for (unsigned i = 0; i < FRR_N_DAEMONS; i++) {
        fi->daemons[i].name = names[i];
        fi->daemons[i].fi = fi;
        fi->daemons[i].backoff_ms = FRR_BACKOFF_MIN_MS;
    }
    /* Each daemon is a process with its own copy of FRR's CLI graph, YANG schema and event
     * loops: one that has nothing to do still costs megabytes per tenant. */
    fi->daemons[1].off = !frr_needs_staticd(t->routing);
    fi->fpm_port = t->routing ? t->routing->fpm_port : 0;
    fi->fd_limit = FRR_FD_LIMIT;
    snprintf(fi->vtysh, sizeof fi->vtysh, "%s", FRR_VTYSH);
    fi->clear.retry_ms = FRR_CLEAR_RETRY_MS;
    fi->clear.timeout_ms = FRR_CLEAR_TIMEOUT_MS;
    fi->clear.max_tries = FRR_CLEAR_TRIES;
    fi->stop_grace_ms = FRR_STOP_GRACE_MS;
}

int
frr_init_shared(struct frr_instance *fi, const struct routing_tenant *t, size_t n,
                const char *netns, uint16_t fpm_port)
{
    struct routing_tenant none = {.name = "shared"};
    bool staticd = false;

    frr_init(fi, &none, netns);
    snprintf(fi->dir, sizeof fi->dir, FRR_SHARED_DIR);
    fi->shared = true;
    fi->fpm_port = fpm_port;
    fi->vrf_ids = calloc(n ? n : 1, sizeof *fi->vrf_ids);
    if (!fi->vrf_ids) {
        return ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        fi->vrf_ids[i] = t[i].id;
        staticd |= frr_needs_staticd(t[i].routing);
        fi->fd_limit +=
            FRR_FDS_PER_VRF +
            FRR_FDS_PER_NEIGHBOR * (unsigned)(t[i].routing ? t[i].routing->n_neighbors : 0);
    }
    fi->n_vrfs = n;
    fi->daemons[1].off = !staticd;
    return 0;
}

uint32_t
frr_vrf_table(uint32_t id)
{
    return FRR_VRF_TABLE_BASE + id;
}

void
frr_vrf_name(uint32_t id, char *name)
{
    snprintf(name, FRR_VRF_NAME_MAX, "vrf%u", (unsigned)(id & 0xffff));
}

/* Whether 'line' (up to its newline) starts, after blanks, with the words 'a' then 'b'. */
static bool
starts_with_words(const char *line, const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);

    while (*line == ' ' || *line == '\t') {
        line++;
    }
    if (strncmp(line, a, na) || (line[na] != ' ' && line[na] != '\t')) {
        return false;
    }
    line += na;
    while (*line == ' ' || *line == '\t') {
        line++;
    }
    return !strncmp(line, b, nb) && (line[nb] == '\0' || isspace((unsigned char)line[nb]));
}

bool
frr_needs_staticd(const struct config_routing *r)
{
    /* staticd holds FRR's static routes and nothing else hnvgwd uses; a route added later
     * through vtysh needs it running, hence the documented rule: at least one in extra_config. */
    for (const char *l = r && r->extra_config ? r->extra_config : ""; *l;) {
        const char *nl = strchr(l, '\n');

        if (starts_with_words(l, "ip", "route") || starts_with_words(l, "ipv6", "route")) {
            return true;
        }
        if (!nl) {
            break;
        }
        l = nl + 1;
    }
    return false;
}

/* Opens DIR/NAME for writing; NULL with 'err' filled on failure. */
static FILE *
open_conf(const struct frr_instance *fi, const char *name, char *err)
{
    char path[256];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", fi->dir, name);
    f = fopen(path, "w");
    if (!f) {
        snprintf(err, 256, "cannot write %.180s: %s", path, strerror(errno));
    }
    return f;
}

static const char *
prefix_str(const struct hnvgw_prefix *p, char buf[HNVGW_PFX_STRLEN])
{
    return hnvgw_prefix_format(p, buf);
}

/* The `router bgp` block of 't', in VRF 'vrf' unless it is NULL. */
static void
write_bgp(FILE *f, const struct routing_tenant *t, const char *vrf)
{
    const struct config_routing *r = t->routing;
    char a[HNVGW_IP_STRLEN], p[HNVGW_PFX_STRLEN];

    fprintf(f, "router bgp %u%s%s\n", r->asn, vrf ? " vrf " : "", vrf ? vrf : "");
    fprintf(f, " bgp router-id %s\n", hnvgw_ip_format(&r->router_id, a));
    /* The tenant's subnets live in the data plane, not in the compartment's kernel. */
    fprintf(f, " no bgp network import-check\n");
    fprintf(f, " no bgp ebgp-requires-policy\n");
    /* Before the neighbors, which then start out in restart mode. preserve-fw-state sets the F
     * bit: without it a peer flushes our stale routes the moment the new session opens
     * (RFC 4724 4.2), before our updates arrive. */
    fprintf(f, " bgp graceful-restart\n");
    fprintf(f, " bgp graceful-restart preserve-fw-state\n");
    fprintf(f, " bgp graceful-restart restart-time %u\n", FRR_GR_RESTART_TIME_S);
    fprintf(f, " bgp graceful-restart stalepath-time %u\n", FRR_GR_STALEPATH_TIME_S);
    for (size_t i = 0; i < r->n_neighbors; i++) {
        const struct config_bgp_neighbor *n = &r->neighbors[i];
        hnvgw_ip_format(&n->address, a);
        fprintf(f, " neighbor %s remote-as %u\n", a, n->remote_as);
        if (n->password[0]) {
            fprintf(f, " neighbor %s password %s\n", a, n->password);
        }
        fprintf(f, " neighbor %s timers %u %u\n", a, n->keepalive, n->hold);
        fprintf(f, " neighbor %s timers connect %u\n", a, FRR_CONNECT_RETRY_S);
        if (n->ebgp_multihop) {
            fprintf(f, " neighbor %s ebgp-multihop\n", a);
        }
    }
    for (int family = HNVGW_AF_INET; family <= HNVGW_AF_INET6; family += 2) {
        fprintf(f, " address-family %s unicast\n", family == HNVGW_AF_INET ? "ipv4" : "ipv6");
        for (size_t i = 0; family == HNVGW_AF_INET && i < t->n_subnets; i++) {
            fprintf(f, "  network %s\n", prefix_str(&t->subnets[i], p));
        }
        for (size_t i = 0; i < r->n_networks; i++) {
            if (r->networks[i].addr.family == family) {
                fprintf(f, "  network %s\n", prefix_str(&r->networks[i], p));
            }
        }
        for (size_t i = 0; family == HNVGW_AF_INET6 && i < r->n_neighbors; i++) {
            if (r->neighbors[i].address.family == HNVGW_AF_INET6) {
                fprintf(f, "  neighbor %s activate\n",
                        hnvgw_ip_format(&r->neighbors[i].address, a));
            }
        }
        fprintf(f, " exit-address-family\n");
    }
    fprintf(f, "exit\n");
}

void
frr_format_config(const struct frr_instance *fi, const struct routing_tenant *t, unsigned d,
                  FILE *f)
{
    const struct config_routing *r = t->routing;

    if (!r || d >= FRR_N_DAEMONS) {
        return;
    }
    fprintf(f, "! Generated by hnvgwd for tenant %s (%u); edits are overwritten.\n", t->name,
            t->id);
    fprintf(f, "hostname %s-%s\nlog file %s/%s.log informational\n", t->name, fi->daemons[d].name,
            fi->dir, fi->daemons[d].name);
    if (d == 0) {
        fprintf(f, "fpm address 127.0.0.1 port %u\nno fpm use-next-hop-groups\n", r->fpm_port);
        /* Every destination of the compartment is behind its exception port's default route,
         * next hops included. */
        fprintf(f, "ip nht resolve-via-default\n");
    }
    if (d == 2) {
        write_bgp(f, t, NULL);
    }
    if (d > 0 && r->extra_config) {
        /* The operator's route-maps, prefix-lists and static routes, as written. */
        fprintf(f, "%s\n", r->extra_config);
    }
}

/* Writes 'line' (up to its newline, or its end) and a newline to 'f', indented by 'indent'. */
static void
put_line(FILE *f, const char *indent, const char *line)
{
    const char *nl = strchr(line, '\n');
    int len = nl ? (int)(nl - line) : (int)strlen(line);

    while (len && (*line == ' ' || *line == '\t')) {
        line++;
        len--;
    }
    fprintf(f, "%s%.*s\n", indent, len, line);
}

/* Whether 'line' is `router bgp ASN` with nothing after the ASN (no `vrf`, no `view`). */
static bool
is_default_router_bgp(const char *line)
{
    const char *p;

    if (!starts_with_words(line, "router", "bgp")) {
        return false;
    }
    p = strstr(line, "bgp") + 3;
    p += strspn(p, " \t");
    p += strspn(p, "0123456789.");
    p += strspn(p, " \t");
    return *p == '\0' || *p == '\n' || *p == '\r';
}

/* Tenant 't''s extra_config for the shared bgpd: as written, but each `router bgp ASN` that names
 * no VRF is moved into 'vrf' (in a tenant's own instance, it is the tenant's). */
static void
write_extra_in_vrf(FILE *f, const char *extra, const char *vrf)
{
    for (const char *l = extra; *l;) {
        const char *nl = strchr(l, '\n');
        int len = nl ? (int)(nl - l) : (int)strlen(l);

        if (is_default_router_bgp(l)) {
            while (len && (l[len - 1] == ' ' || l[len - 1] == '\t' || l[len - 1] == '\r')) {
                len--;
            }
            fprintf(f, "%.*s vrf %s\n", len, l, vrf);
        } else {
            fprintf(f, "%.*s\n", len, l);
        }
        if (!nl) {
            break;
        }
        l = nl + 1;
    }
}

void
frr_format_config_shared(const struct frr_instance *fi, const struct routing_tenant *t, size_t n,
                         unsigned d, FILE *f)
{
    char vrf[FRR_VRF_NAME_MAX];

    if (d >= FRR_N_DAEMONS) {
        return;
    }
    fprintf(f, "! Generated by hnvgwd for %zu tenant(s), a VRF each; edits are overwritten.\n", n);
    fprintf(f, "hostname shared-%s\nlog file %s/%s.log informational\n", fi->daemons[d].name,
            fi->dir, fi->daemons[d].name);
    if (d == 0) {
        fprintf(f, "fpm address 127.0.0.1 port %u\nno fpm use-next-hop-groups\n", fi->fpm_port);
    }
    for (size_t i = 0; i < n; i++) {
        const struct config_routing *r = t[i].routing;

        if (!r) {
            continue;
        }
        frr_vrf_name(t[i].id, vrf);
        if (d == 0) {
            /* Every destination of a VRF is behind its exception port's default route. */
            fprintf(f, "vrf %s\n ip nht resolve-via-default\nexit-vrf\n", vrf);
        } else if (d == 1 && frr_needs_staticd(r)) {
            /* The tenant's static routes, in its VRF; the rest of extra_config is bgpd's. */
            fprintf(f, "! tenant %s (%u)\nvrf %s\n", t[i].name, t[i].id, vrf);
            for (const char *l = r->extra_config; *l;) {
                const char *nl = strchr(l, '\n');

                if (starts_with_words(l, "ip", "route") || starts_with_words(l, "ipv6", "route")) {
                    put_line(f, " ", l);
                }
                if (!nl) {
                    break;
                }
                l = nl + 1;
            }
            fprintf(f, "exit-vrf\n");
        } else if (d == 2) {
            fprintf(f, "! tenant %s (%u)\n", t[i].name, t[i].id);
            write_bgp(f, &t[i], vrf);
            if (r->extra_config) {
                write_extra_in_vrf(f, r->extra_config, vrf);
            }
        }
    }
}

/* Lets group 'gid' (FRR's) through directory 'dir' when others may not: under systemd,
 * RuntimeDirectoryMode=0750 makes /run/hnvgw root's only, and FRR's daemons, which make their pid
 * files once they are user frr, could not reach their state directories in it. The group gets
 * through and may list it; the control socket in it stays 0600. */
static int
let_frr_through(const char *dir, gid_t gid, char *err)
{
    struct stat st;

    if (stat(dir, &st) < 0) {
        snprintf(err, 256, "cannot stat %s: %s", dir, strerror(errno));
        return errno;
    }
    if ((st.st_mode & S_IXOTH) || (st.st_gid == gid && (st.st_mode & S_IXGRP))) {
        return 0;
    }
    if (chown(dir, (uid_t)-1, gid) < 0 ||
        chmod(dir, (st.st_mode & 07777) | S_IRGRP | S_IXGRP) < 0) {
        snprintf(err, 256, "cannot let user frr through %s: %s", dir, strerror(errno));
        return errno;
    }
    return 0;
}

/* Writes the configs of the daemons 'fi' runs, for its tenant 't' or, shared, its 'n' tenants. */
static int
write_configs(struct frr_instance *fi, const struct routing_tenant *t, size_t n, char *err)
{
    struct passwd *pw = getpwnam("frr");
    int ret;
    const char *files[FRR_N_DAEMONS] = {"zebra.conf", "staticd.conf", "bgpd.conf"};

    if ((mkdir("/run/hnvgw", 0755) < 0 && errno != EEXIST) ||
        (mkdir(FRR_STATE_ROOT, 0755) < 0 && errno != EEXIST) ||
        (mkdir(fi->dir, 0750) < 0 && errno != EEXIST)) {
        snprintf(err, 256, "cannot create %s: %s", fi->dir, strerror(errno));
        return errno;
    }
    /* FRR drops privileges to user frr: its state directory must be its own. */
    if (!pw || chown(fi->dir, pw->pw_uid, pw->pw_gid) < 0) {
        snprintf(err, 256, "cannot give %s to user frr (is FRR installed?)", fi->dir);
        return pw ? errno : ENOENT;
    }
    ret = let_frr_through("/run/hnvgw", pw->pw_gid, err);
    if (ret) {
        return ret;
    }
    for (unsigned i = 0; i < FRR_N_DAEMONS; i++) {
        FILE *f;

        if (fi->daemons[i].off) {
            /* Left by an earlier config or daemon (FRR leaves its pid file and vty socket
             * behind), they would say the daemon runs. */
            static const char *const left[] = {"conf", "pid", "vty"};

            for (unsigned k = 0; k < sizeof left / sizeof left[0]; k++) {
                char path[256];

                snprintf(path, sizeof path, "%s/%s.%s", fi->dir, fi->daemons[i].name, left[k]);
                if (unlink(path) < 0 && errno != ENOENT) {
                    snprintf(err, 256, "cannot remove %.200s: %s", path, strerror(errno));
                    return errno;
                }
            }
            continue;
        }
        f = open_conf(fi, files[i], err);
        if (!f) {
            return EIO;
        }
        if (fi->shared) {
            frr_format_config_shared(fi, t, n, i, f);
        } else {
            frr_format_config(fi, t, i, f);
        }
        if (fclose(f) != 0) {
            snprintf(err, 256, "cannot write the FRR config of %s", fi->tenant_name);
            return EIO;
        }
        char path[256];
        snprintf(path, sizeof path, "%s/%s", fi->dir, files[i]);
        if (chown(path, pw->pw_uid, pw->pw_gid) < 0) {
            snprintf(err, 256, "cannot give %.200s to user frr", path);
            return errno;
        }
    }
    return 0;
}

int
frr_write_config(struct frr_instance *fi, const struct routing_tenant *t, char *err)
{
    if (!t->routing) {
        snprintf(err, 256, "tenant %s has no routing section", t->name);
        return EINVAL;
    }
    return write_configs(fi, t, 1, err);
}

int
frr_write_config_shared(struct frr_instance *fi, const struct routing_tenant *t, size_t n,
                        char *err)
{
    return write_configs(fi, t, n, err);
}

static void start(struct frr_daemon *d);

/* Timer source of a daemon's restart. */
static int
on_restart(sd_event_source *src, uint64_t usec, void *d_)
{
    struct frr_daemon *d = d_;

    (void)usec;
    d->restart = sd_event_source_disable_unref(src);
    start(d);
    return 0;
}

/* Starts 'd' again once its back-off has passed, and doubles the back-off. */
static void
schedule_restart(struct frr_daemon *d)
{
    char msg[256];
    int ret = sd_event_add_time_relative(d->fi->event, &d->restart, CLOCK_MONOTONIC,
                                         (uint64_t)d->backoff_ms * 1000, FRR_TIMER_ACCURACY_US,
                                         on_restart, d);

    if (ret < 0) {
        snprintf(msg, sizeof msg, "frr %s: %s will not be restarted: %s", d->fi->tenant_name,
                 d->name, strerror(-ret));
        d->fi->log(msg);
    }
    d->backoff_ms = d->backoff_ms * 2 > FRR_BACKOFF_MAX_MS ? FRR_BACKOFF_MAX_MS : d->backoff_ms * 2;
}

/* compartment_watch() callback: a daemon exited. */
static void
daemon_exited(pid_t pid, int status, void *d_)
{
    struct frr_daemon *d = d_;
    char msg[256];

    snprintf(msg, sizeof msg, "frr %s: %s (pid %d) %s %d; restart in %u ms", d->fi->tenant_name,
             d->name, (int)pid, WIFSIGNALED(status) ? "killed by signal" : "exited with",
             WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), d->backoff_ms);
    d->fi->log(msg);
    d->pid = 0;
    d->restarts++;
    schedule_restart(d);
}

void
frr_daemon_argv(const struct frr_instance *fi, unsigned d, struct frr_argv *a)
{
    const char *name = fi->daemons[d].name;
    int n = 0;

    snprintf(a->bin, sizeof a->bin, FRR_BIN_DIR "/%s", name);
    snprintf(a->conf, sizeof a->conf, "%s/%s.conf", fi->dir, name);
    snprintf(a->pid, sizeof a->pid, "%s/%s.pid", fi->dir, name);
    snprintf(a->zserv, sizeof a->zserv, "%s/zserv.api", fi->dir);
    snprintf(a->fds, sizeof a->fds, "%u", fi->fd_limit);
    a->argv[n++] = a->bin;
    a->argv[n++] = "-f";
    a->argv[n++] = a->conf;
    a->argv[n++] = "-i";
    a->argv[n++] = a->pid;
    a->argv[n++] = "-z";
    a->argv[n++] = a->zserv;
    a->argv[n++] = "--vty_socket";
    a->argv[n++] = (char *)fi->dir;
    a->argv[n++] = "-P";
    a->argv[n++] = "0";
    a->argv[n++] = "--limit-fds";
    a->argv[n++] = a->fds;
    if (!strcmp(name, "zebra")) {
        a->argv[n++] = "-M";
        a->argv[n++] = "dplane_fpm_nl";
    }
    a->argv[n] = NULL;
}

/* Starts daemon 'd' in its compartment and watches it. */
static void
start(struct frr_daemon *d)
{
    struct frr_instance *fi = d->fi;
    struct frr_argv a;
    char msg[256];
    int ret;

    frr_daemon_argv(fi, (unsigned)(d - fi->daemons), &a);
    d->pid = compartment_spawn(fi->netns, a.argv);
    if (d->pid < 0) {
        d->pid = 0;
        snprintf(msg, sizeof msg, "frr %s: cannot start %s: %s; again in %u ms", fi->tenant_name,
                 d->name, strerror(errno), d->backoff_ms);
        fi->log(msg);
        schedule_restart(d);
        return;
    }
    snprintf(msg, sizeof msg, "frr %s: %s started, pid %d", fi->tenant_name, d->name, (int)d->pid);
    fi->log(msg);
    ret = compartment_watch(&d->exit, fi->event, d->pid, daemon_exited, d);
    if (ret) {
        snprintf(msg, sizeof msg, "frr %s: %s (pid %d) runs unsupervised: pidfd: %s",
                 fi->tenant_name, d->name, (int)d->pid, strerror(ret));
        fi->log(msg);
    }
}

/* ---- Resetting the BGP sessions ---- */

static int on_clear_timer(sd_event_source *src, uint64_t usec, void *fi_);

/* (Re)arms the clear's one timer to fire in 'ms'. Returns false (logged) when it cannot. */
static bool
clear_arm(struct frr_instance *fi, unsigned ms)
{
    struct frr_clear *c = &fi->clear;
    char msg[256];
    int ret;

    c->timer = sd_event_source_disable_unref(c->timer);
    ret = sd_event_add_time_relative(fi->event, &c->timer, CLOCK_MONOTONIC, (uint64_t)ms * 1000,
                                     FRR_TIMER_ACCURACY_US, on_clear_timer, fi);
    if (ret < 0) {
        snprintf(msg, sizeof msg, "frr %s: clear bgp * (%s): no timer: %s", fi->tenant_name, c->why,
                 strerror(-ret));
        fi->log(msg);
        return false;
    }
    return true;
}

/* Starts the current ask over: its first try on the loop's next turn. */
static void
clear_begin(struct frr_instance *fi)
{
    struct frr_clear *c = &fi->clear;

    c->again = false;
    c->tries = 0;
    c->asked_ms = hnvgw_now_ms();
    if (!clear_arm(fi, 0)) {
        c->n_failed++;
    }
}

/* A try of the current ask failed ('what' says how): again after retry_ms, or given up. */
static void
clear_failed(struct frr_instance *fi, const char *what)
{
    struct frr_clear *c = &fi->clear;
    char msg[320];

    if (c->tries < c->max_tries) {
        snprintf(msg, sizeof msg, "frr %s: clear bgp * (%s): %s; again in %u ms (try %u of %u)",
                 fi->tenant_name, c->why, what, c->retry_ms, c->tries + 1, c->max_tries);
        fi->log(msg);
        if (!clear_arm(fi, c->retry_ms)) {
            c->n_failed++;
        }
        return;
    }
    snprintf(msg, sizeof msg,
             "frr %s: clear bgp * (%s): %s; given up after %u tries: the sessions come up on "
             "bgpd's own timers",
             fi->tenant_name, c->why, what, c->tries);
    fi->log(msg);
    c->n_failed++;
}

/* compartment_watch() callback: the vtysh of a try exited. */
static void
clear_exited(pid_t pid, int status, void *fi_)
{
    struct frr_instance *fi = fi_;
    struct frr_clear *c = &fi->clear;
    char msg[256], what[96];

    (void)pid;
    c->pid = 0;
    c->timer = sd_event_source_disable_unref(c->timer);
    if (c->again) {
        /* Asked again meanwhile (a role changed back and forth): that ask, from its start. */
        clear_begin(fi);
        return;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        snprintf(msg, sizeof msg, "frr %s: bgpd reset its BGP sessions (%s) %llu ms after the ask",
                 fi->tenant_name, c->why, (unsigned long long)(hnvgw_now_ms() - c->asked_ms));
        fi->log(msg);
        c->n_done++;
        return;
    }
    snprintf(what, sizeof what, "vtysh %s %d (is bgpd up?)",
             WIFSIGNALED(status) ? "killed by signal" : "exited with",
             WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    clear_failed(fi, what);
}

/* Starts a try: vtysh in the compartment, watched, with its deadline. */
static void
clear_spawn(struct frr_instance *fi)
{
    struct frr_clear *c = &fi->clear;
    char *one[] = {fi->vtysh, "--vty_socket", fi->dir, "-d", "bgpd", "-c", "clear bgp *", NULL};
    char **argv = one, *cmds = NULL;
    char msg[256], what[96];
    pid_t pid;
    int ret;

    c->tries++;
    if (fi->shared) {
        /* One -c per VRF: the child has its copy of them, freed here once it is forked. */
        argv = calloc(5 + 2 * fi->n_vrfs + 1, sizeof *argv);
        cmds = calloc(fi->n_vrfs ? fi->n_vrfs : 1, 32);
        if (!argv || !cmds) {
            free(argv);
            free(cmds);
            clear_failed(fi, "out of memory");
            return;
        }
        memcpy(argv, one, 5 * sizeof *argv);
        for (size_t i = 0; i < fi->n_vrfs; i++) {
            char vrf[FRR_VRF_NAME_MAX];

            frr_vrf_name(fi->vrf_ids[i], vrf);
            snprintf(cmds + 32 * i, 32, "clear bgp vrf %s *", vrf);
            argv[5 + 2 * i] = "-c";
            argv[6 + 2 * i] = cmds + 32 * i;
        }
    }
    pid = compartment_spawn(fi->netns, argv);
    if (argv != one) {
        free(argv);
        free(cmds);
    }
    if (pid < 0) {
        snprintf(what, sizeof what, "cannot start vtysh: %s", strerror(errno));
        clear_failed(fi, what);
        return;
    }
    ret = compartment_watch(&c->exit, fi->event, pid, clear_exited, fi);
    if (ret) {
        /* Unwatched, it could not be reaped by the loop: end it here (it has just started). */
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        snprintf(what, sizeof what, "cannot watch vtysh: %s", strerror(ret));
        clear_failed(fi, what);
        return;
    }
    c->pid = pid;
    snprintf(msg, sizeof msg, "frr %s: clear bgp * (%s): vtysh pid %d", fi->tenant_name, c->why,
             (int)pid);
    fi->log(msg);
    clear_arm(fi, c->timeout_ms); /* Without a deadline, it still ends when vtysh does. */
}

/* The clear's timer: the next try is due, or the running one's deadline has passed. */
static int
on_clear_timer(sd_event_source *src, uint64_t usec, void *fi_)
{
    struct frr_instance *fi = fi_;
    struct frr_clear *c = &fi->clear;
    char msg[256];

    (void)usec;
    c->timer = sd_event_source_disable_unref(src);
    if (c->pid) {
        /* Its exit, seen by the watch, counts it as a failed try. */
        snprintf(msg, sizeof msg, "frr %s: clear bgp * (%s): no answer in %u ms, vtysh killed",
                 fi->tenant_name, c->why, c->timeout_ms);
        fi->log(msg);
        kill(c->pid, SIGKILL);
        return 0;
    }
    clear_spawn(fi);
    return 0;
}

bool
frr_bgp_clear(struct frr_instance *fi, const char *why)
{
    struct frr_clear *c = &fi->clear;
    int state = fi->event ? sd_event_get_state(fi->event) : SD_EVENT_FINISHED;

    /* A loop that is ending runs no more timers: frr_stop() comes next. */
    if (state == SD_EVENT_EXITING || state == SD_EVENT_FINISHED || state < 0) {
        return false;
    }
    c->why = why;
    if (c->pid) {
        c->again = true;
        return true;
    }
    clear_begin(fi);
    return true;
}

/* Ends frr_bgp_clear()'s work: its timer, and its vtysh (killed and reaped). */
static void
clear_stop(struct frr_instance *fi)
{
    struct frr_clear *c = &fi->clear;

    c->timer = sd_event_source_disable_unref(c->timer);
    compartment_unwatch(&c->exit);
    if (c->pid) {
        kill(c->pid, SIGKILL);
        waitpid(c->pid, NULL, 0);
        c->pid = 0;
    }
    c->again = false;
}

void
frr_start(struct frr_instance *fi, sd_event *event, frr_log_fn *log)
{
    fi->event = sd_event_ref(event);
    fi->log = log;
    for (unsigned i = 0; i < FRR_N_DAEMONS; i++) {
        if (!fi->daemons[i].off) {
            start(&fi->daemons[i]);
        }
    }
}

void
frr_stop_begin(struct frr_instance *fi)
{
    clear_stop(fi);
    for (unsigned i = FRR_N_DAEMONS; i-- > 0;) {
        struct frr_daemon *d = &fi->daemons[i];

        d->restart = sd_event_source_disable_unref(d->restart);
        compartment_unwatch(&d->exit);
        if (d->pid) {
            kill(d->pid, SIGTERM);
        }
    }
}

void
frr_stop_wait(struct frr_instance *fi, uint64_t deadline_ms)
{
    for (unsigned i = FRR_N_DAEMONS; i-- > 0;) {
        struct frr_daemon *d = &fi->daemons[i];
        const struct timespec tick = {.tv_nsec = 10 * 1000 * 1000};

        if (!d->pid) {
            continue;
        }
        /* Polled: the loop no longer watches it, and a blocking wait would hang on a daemon
         * that never exits. -1 (ECHILD) means it was reaped already. */
        while (waitpid(d->pid, NULL, WNOHANG) == 0) {
            if (hnvgw_now_ms() >= deadline_ms) {
                char msg[256];

                snprintf(msg, sizeof msg, "frr %s: %s (pid %d) did not stop on SIGTERM: killed",
                         fi->tenant_name, d->name, (int)d->pid);
                if (fi->log) {
                    fi->log(msg);
                }
                kill(d->pid, SIGKILL);
                waitpid(d->pid, NULL, 0);
                break;
            }
            nanosleep(&tick, NULL);
        }
        d->pid = 0;
    }
    fi->event = sd_event_unref(fi->event);
    free(fi->vrf_ids);
    fi->vrf_ids = NULL;
    fi->n_vrfs = 0;
}

void
frr_stop(struct frr_instance *fi)
{
    frr_stop_begin(fi);
    frr_stop_wait(fi, hnvgw_now_ms() + fi->stop_grace_ms);
}
