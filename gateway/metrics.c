/* SPDX-License-Identifier: Apache-2.0 */
/* Prometheus metrics of hnvgwd (see metrics.h): the text format, what each family reads, the
 * BGP state from vtysh children, and libmicrohttpd on the daemon's event loop. */
#include "gateway/metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <rte_ethdev.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "routing/compartment.h"
#include "routing/rib.h"

#define METRICS_STR_(x) #x
#define METRICS_STR(x)  METRICS_STR_(x)

#ifndef HNVGW_VERSION
#define HNVGW_VERSION "unknown"
#endif

extern char **environ;

/* ---- The text format ---- */

void
metrics_text_init(struct metrics_text *t, FILE *f)
{
    t->f = f;
    t->family[0] = '\0';
}

/* Writes 's' with backslash and newline escaped, and double quotes too when 'quote'. */
static void
put_escaped(FILE *f, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\') {
            fputs("\\\\", f);
        } else if (*s == '\n') {
            fputs("\\n", f);
        } else if (*s == '"' && quote) {
            fputs("\\\"", f);
        } else {
            fputc(*s, f);
        }
    }
}

void
metrics_family(struct metrics_text *t, const char *name, enum metrics_type type, const char *help)
{
    char n[sizeof t->family];
    size_t i;

    for (i = 0; name[i] && i < sizeof n - 1; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                  (i > 0 && c >= '0' && c <= '9');
        n[i] = ok ? c : '_';
    }
    n[i] = '\0';
    if (!strcmp(n, t->family)) {
        return;
    }
    memcpy(t->family, n, sizeof n);
    fprintf(t->f, "# HELP %s ", n);
    put_escaped(t->f, help, false);
    fprintf(t->f, "\n# TYPE %s %s\n", n, type == METRICS_COUNTER ? "counter" : "gauge");
}

/* Writes the sample's name and labels (pairs up to a NULL name) up to the value. */
static void
put_labels(struct metrics_text *t, va_list ap)
{
    const char *k;
    bool first = true;

    fputs(t->family, t->f);
    while ((k = va_arg(ap, const char *)) != NULL) {
        const char *v = va_arg(ap, const char *);
        fprintf(t->f, "%s%s=\"", first ? "{" : ",", k);
        put_escaped(t->f, v ? v : "", true);
        fputc('"', t->f);
        first = false;
    }
    fputs(first ? " " : "} ", t->f);
}

void
metrics_sample(struct metrics_text *t, uint64_t value, ...)
{
    va_list ap;

    va_start(ap, value);
    put_labels(t, ap);
    va_end(ap);
    fprintf(t->f, "%" PRIu64 "\n", value);
}

void
metrics_sample_f(struct metrics_text *t, double value, ...)
{
    va_list ap;

    va_start(ap, value);
    put_labels(t, ap);
    va_end(ap);
    if (isnan(value)) {
        fputs("NaN\n", t->f);
    } else if (isinf(value)) {
        fputs(value > 0 ? "+Inf\n" : "-Inf\n", t->f);
    } else {
        fprintf(t->f, "%.17g\n", value);
    }
}

/* ---- BGP state, from bgpd through vtysh children ---- */

/* What the server holds of one tenant's bgpd. */
struct metrics_bgp {
    const struct tenant_routing_tenant *rt; /* The tenant, its FRR and VRF (in gw->routing). */
    struct metrics_server *srv;             /* Back to the server, for the callbacks. */
    struct metrics_bgp_peer *peers;         /* Owned: the neighbors last read. */
    size_t n_peers;                         /* Entries. */
    bool answered;                          /* The last ask got a summary. */
    uint64_t done_ms;              /* When the last ask ended (hnvgw_now_ms()), 0: never. */
    bool queued;                   /* To be asked in the current round, not started yet. */
    int fd;                        /* Read end of vtysh's stdout while reading, else -1. */
    sd_event_source *io;           /* I/O source of 'fd' (owned), or NULL. */
    struct compartment_watch exit; /* Reaps the vtysh child (src NULL when none). */
    char *buf;                     /* Owned: vtysh's output so far. */
    size_t len, cap;               /* Bytes in buf, and its size. */
};

/* One connection to the listener. */
struct metrics_conn {
    struct MHD_Connection *conn; /* libmicrohttpd's. */
    bool waited;                 /* It was suspended for a BGP round: answer now. */
    struct metrics_conn *next;   /* The next connection suspended for the round. */
};

struct metrics_server {
    struct gw_state *gw;           /* What the metrics read (borrowed). */
    struct MHD_Daemon *mhd;        /* The HTTP server. */
    sd_event *event;               /* The loop (a reference). */
    sd_event_source *io;           /* I/O source of libmicrohttpd's epoll descriptor. */
    sd_event_source *timer;        /* One-shot: libmicrohttpd's next timeout. */
    sd_event_source *bgp_deadline; /* One-shot: the end of the waiting for the bgpds. */
    uint16_t port;                 /* The TCP port bound. */
    struct metrics_bgp *bgp;       /* Owned: one per routed tenant (gw->routing.tenants). */
    size_t n_bgp;                  /* Entries. */
    struct metrics_conn *waiters;  /* Connections suspended for the BGP round. */
    bool kick;                     /* Connections were resumed: run libmicrohttpd at once. */
    uint64_t scrapes;              /* Expositions served. */
    uint64_t bgp_asks, bgp_fails;  /* vtysh children started, and those that failed. */
};

/* Copies the string member 'key' of 'o' into 'out' (of 'size'), "" when absent. */
static void
json_str(json_t *o, const char *key, char *out, size_t size)
{
    json_t *v = json_object_get(o, key);
    snprintf(out, size, "%s", json_is_string(v) ? json_string_value(v) : "");
}

/* The integer member 'key' of 'o', or -1. */
static int64_t
json_int(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

int
metrics_bgp_parse(const char *json, size_t len, struct metrics_bgp_peer **peers, size_t *n)
{
    json_t *root = json_loadb(json, len, 0, NULL), *af, *pv;
    const char *af_name, *name;
    struct metrics_bgp_peer *out = NULL;
    size_t cnt = 0, cap = 0;

    *peers = NULL;
    *n = 0;
    if (!json_is_object(root)) {
        json_decref(root);
        return EINVAL;
    }
    json_object_foreach(root, af_name, af)
    {
        json_t *list = json_object_get(af, "peers");

        if (!json_is_object(af) || !json_is_object(list)) {
            continue; /* Not an address family (bgpd adds a few scalars). */
        }
        json_object_foreach(list, name, pv)
        {
            struct metrics_bgp_peer *p;

            if (!json_is_object(pv)) {
                continue;
            }
            if (cnt == cap) {
                size_t ncap = cap ? cap * 2 : 8;
                struct metrics_bgp_peer *grown = realloc(out, ncap * sizeof *grown);
                if (!grown) {
                    free(out);
                    json_decref(root);
                    return ENOMEM;
                }
                out = grown;
                cap = ncap;
            }
            p = &out[cnt++];
            memset(p, 0, sizeof *p);
            snprintf(p->family, sizeof p->family, "%s", af_name);
            snprintf(p->neighbor, sizeof p->neighbor, "%s", name);
            json_str(pv, "state", p->state, sizeof p->state);
            p->remote_as = json_int(pv, "remoteAs");
            p->pfx_rcd = json_int(pv, "pfxRcd");
            p->pfx_snt = json_int(pv, "pfxSnt");
            p->uptime_ms = json_int(pv, "peerUptimeMsec");
        }
    }
    json_decref(root);
    *peers = out;
    *n = cnt;
    return 0;
}

/* Resumes every connection waiting for the BGP round. libmicrohttpd, polled from outside, does
 * not wake its epoll descriptor for that (its inter-thread channel is not in it): the timer runs
 * it at once. */
static void
resume_waiters(struct metrics_server *srv)
{
    if (srv->waiters && srv->timer) {
        srv->kick = true;
        sd_event_source_set_time_relative(srv->timer, 0);
        sd_event_source_set_enabled(srv->timer, SD_EVENT_ONESHOT);
    }
    while (srv->waiters) {
        struct metrics_conn *mc = srv->waiters;

        srv->waiters = mc->next;
        mc->next = NULL;
        MHD_resume_connection(mc->conn);
    }
    if (srv->bgp_deadline) {
        sd_event_source_set_enabled(srv->bgp_deadline, SD_EVENT_OFF);
    }
}

/* True while a round has children to read or to start. */
static bool
bgp_round_busy(const struct metrics_server *srv)
{
    for (size_t i = 0; i < srv->n_bgp; i++) {
        if (srv->bgp[i].queued || srv->bgp[i].fd >= 0) {
            return true;
        }
    }
    return false;
}

/* Stops reading 'b': closes its pipe and frees the output. */
static void
bgp_close(struct metrics_bgp *b)
{
    b->io = sd_event_source_disable_unref(b->io);
    if (b->fd >= 0) {
        close(b->fd);
        b->fd = -1;
    }
    free(b->buf);
    b->buf = NULL;
    b->len = b->cap = 0;
}

static void bgp_pump(struct metrics_server *srv);

/* Ends the ask of 'b': takes its output when 'why' is NULL, else (the reason it failed) keeps the
 * neighbors it knew with their state unknown, logging the first failure (ever, or after an
 * answer: a bgpd that stays down is not logged at every scrape). Then starts the next queued ask,
 * or ends the round. */
static void
bgp_finish(struct metrics_bgp *b, const char *why)
{
    struct metrics_server *srv = b->srv;
    struct metrics_bgp_peer *peers = NULL;
    size_t n = 0;

    if (!why && metrics_bgp_parse(b->buf ? b->buf : "", b->len, &peers, &n)) {
        why = "vtysh printed no summary";
    }
    if (!why) {
        free(b->peers);
        b->peers = peers;
        b->n_peers = n;
    } else {
        if (b->answered || !b->done_ms) {
            log_warn("metrics: no BGP state from the bgpd of tenant %s: %s", b->rt->name, why);
        }
        for (size_t i = 0; i < b->n_peers; i++) {
            snprintf(b->peers[i].state, sizeof b->peers[i].state, "Unknown");
            b->peers[i].pfx_rcd = b->peers[i].pfx_snt = b->peers[i].uptime_ms = -1;
        }
        srv->bgp_fails++;
    }
    b->answered = !why;
    b->done_ms = hnvgw_now_ms();
    bgp_close(b);
    bgp_pump(srv);
}

/* vtysh's stdout: reads what is there; its end is the end of the ask. */
static int
on_bgp_output(sd_event_source *src, int fd, uint32_t revents, void *aux)
{
    struct metrics_bgp *b = aux;

    (void)src;
    (void)revents;
    for (;;) {
        ssize_t got;

        if (b->cap - b->len < 4096) {
            size_t ncap = b->cap ? b->cap * 2 : 16384;
            char *grown = ncap <= METRICS_BGP_OUTPUT_MAX ? realloc(b->buf, ncap) : NULL;
            if (!grown) {
                kill(b->exit.pid, SIGKILL);
                bgp_finish(b, "its summary is too large");
                return 0;
            }
            b->buf = grown;
            b->cap = ncap;
        }
        got = read(fd, b->buf + b->len, b->cap - b->len);
        if (got > 0) {
            b->len += (size_t)got;
        } else if (got == 0) {
            bgp_finish(b, NULL);
            return 0;
        } else if (errno == EAGAIN) {
            return 0;
        } else if (errno != EINTR) {
            bgp_finish(b, strerror(errno));
            return 0;
        }
    }
}

/* The vtysh child was reaped. */
static void
on_bgp_exit(pid_t pid, int status, void *aux)
{
    (void)pid;
    (void)status;
    (void)aux;
}

/* Starts vtysh for 'b' with its stdout on a pipe the loop reads. Returns 0 or an errno. */
static int
bgp_spawn(struct metrics_bgp *b)
{
    char cmd[64];
    char *const argv[] = {"vtysh", "--vty_socket", (char *)b->rt->fi->dir, "-d", "bgpd", "-c", cmd,
                          NULL};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, dfl;
    int fds[2], ret;
    pid_t pid;

    /* In the shared FRR, the tenant's VRF. */
    snprintf(cmd, sizeof cmd, "show bgp%s%s summary json", b->rt->vrf[0] ? " vrf " : "",
             b->rt->vrf);
    if (pipe2(fds, O_CLOEXEC) < 0) {
        return errno;
    }
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGPIPE);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    posix_spawnattr_init(&attr);
    /* The daemon blocks the signals its loop reads and ignores SIGPIPE: vtysh gets neither. */
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &dfl);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    ret = posix_spawnp(&pid, "vtysh", &fa, &attr, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(fds[1]);
    if (ret) {
        close(fds[0]);
        return ret;
    }
    b->fd = fds[0];
    if (fcntl(b->fd, F_SETFL, O_NONBLOCK) < 0 ||
        sd_event_add_io(b->srv->event, &b->io, b->fd, EPOLLIN, on_bgp_output, b) < 0 ||
        (ret = compartment_watch(&b->exit, b->srv->event, pid, on_bgp_exit, b)) != 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        bgp_close(b);
        return ret ? ret : EIO;
    }
    return 0;
}

/* Starts queued asks while fewer than METRICS_BGP_PARALLEL are read; resumes the waiting scrapes
 * once none is left. */
static void
bgp_pump(struct metrics_server *srv)
{
    unsigned reading = 0;

    for (size_t i = 0; i < srv->n_bgp; i++) {
        reading += srv->bgp[i].fd >= 0;
    }
    for (size_t i = 0; i < srv->n_bgp && reading < METRICS_BGP_PARALLEL; i++) {
        struct metrics_bgp *b = &srv->bgp[i];
        int ret;

        if (!b->queued) {
            continue;
        }
        b->queued = false;
        srv->bgp_asks++;
        ret = bgp_spawn(b);
        if (ret) {
            char why[96];

            snprintf(why, sizeof why, "cannot run vtysh: %s", strerror(ret));
            bgp_finish(b, why); /* Pumps again itself. */
            return;
        }
        reading++;
    }
    if (!bgp_round_busy(srv)) {
        resume_waiters(srv);
    }
}

/* Starts a round for every bgpd whose state is older than METRICS_BGP_FRESH_MS and that is not
 * being asked already. Returns true while the round runs (the scrape should wait). */
static bool
bgp_round_start(struct metrics_server *srv)
{
    uint64_t now = hnvgw_now_ms();

    for (size_t i = 0; i < srv->n_bgp; i++) {
        struct metrics_bgp *b = &srv->bgp[i];

        if (!b->queued && b->fd < 0 && !b->exit.src &&
            (!b->done_ms || now - b->done_ms >= METRICS_BGP_FRESH_MS)) {
            b->queued = true;
        }
    }
    bgp_pump(srv);
    return bgp_round_busy(srv);
}

/* The scrapes waited long enough: the asks still running fail, those not started are dropped. */
static int
on_bgp_deadline(sd_event_source *src, uint64_t usec, void *aux)
{
    struct metrics_server *srv = aux;

    (void)src;
    (void)usec;
    for (size_t i = 0; i < srv->n_bgp; i++) {
        srv->bgp[i].queued = false;
    }
    for (size_t i = 0; i < srv->n_bgp; i++) {
        struct metrics_bgp *b = &srv->bgp[i];
        if (b->fd >= 0) {
            kill(b->exit.pid, SIGKILL); /* The watch reaps it. */
            bgp_finish(b, "no answer within " METRICS_STR(METRICS_BGP_WAIT_MS) " ms");
        }
    }
    resume_waiters(srv);
    return 0;
}

/* ---- The families ---- */

/* Process, build and table sizes ("show status"). */
static void
render_status(struct metrics_text *t, const struct metrics_server *srv, const struct gw_state *gw)
{
    const struct hnvgw_config *cfg = gw->cfg;
    const char *roles = (cfg->roles & CONFIG_ROLE_GATEWAY) && (cfg->roles & CONFIG_ROLE_HOST)
                            ? "gateway,host"
                        : cfg->roles & CONFIG_ROLE_GATEWAY ? "gateway"
                                                           : "host";
    uint64_t subnets = 0;

    metrics_family(t, "hnvgw_build_info", METRICS_GAUGE, "The build of hnvgwd: its version.");
    metrics_sample(t, 1, "version", HNVGW_VERSION, NULL);
    metrics_family(t, "hnvgw_node_info", METRICS_GAUGE, "This node: its name and roles.");
    metrics_sample(t, 1, "node", cfg->node_name, "roles", roles, NULL);
    metrics_family(t, "hnvgw_start_time_seconds", METRICS_GAUGE,
                   "When hnvgwd started, in seconds since the epoch.");
    metrics_sample(t, (uint64_t)gw->started, NULL);
    metrics_family(t, "hnvgw_uptime_seconds", METRICS_GAUGE, "Seconds since hnvgwd started.");
    metrics_sample(t, (uint64_t)(time(NULL) - gw->started), NULL);
    metrics_family(t, "hnvgw_config_reloads_total", METRICS_COUNTER,
                   "Successful reloads of the configuration file.");
    metrics_sample(t, gw->reloads, NULL);
    metrics_family(t, "hnvgw_workers", METRICS_GAUGE, "Forwarding worker lcores.");
    metrics_sample(t, dp_worker_count(gw->dp), NULL);
    metrics_family(t, "hnvgw_tenants", METRICS_GAUGE, "Tenants (routing domains) configured.");
    metrics_sample(t, cfg->n_tenants, NULL);
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        subnets += cfg->tenants[i].n_subnets;
    }
    metrics_family(t, "hnvgw_table_entries", METRICS_GAUGE,
                   "Entries in a data-plane table: lookup records, route prefixes, subnets.");
    metrics_sample(t, dp_lookup_count(gw->dp), "table", "lookup_records", NULL);
    metrics_sample(t, gw->rib ? rib_count(gw->rib) : 0, "table", "routes", NULL);
    metrics_sample(t, subnets, "table", "subnets", NULL);
    metrics_family(t, "hnvgw_table_capacity", METRICS_GAUGE,
                   "Capacity of a data-plane table (node max_lookup_records, max_routes, "
                   "max_subnets).");
    metrics_sample(t, cfg->max_lookups, "table", "lookup_records", NULL);
    metrics_sample(t, cfg->max_routes, "table", "routes", NULL);
    metrics_sample(t, cfg->max_subnets, "table", "subnets", NULL);
    metrics_family(t, "hnvgw_dpdk_heap_used_bytes", METRICS_GAUGE,
                   "DPDK heap in use: tables and packet buffers.");
    metrics_sample(t, dp_heap_used(), NULL);
    if (srv) {
        metrics_family(t, "hnvgw_metrics_scrapes_total", METRICS_COUNTER,
                       "Expositions this listener served, this one included.");
        metrics_sample(t, srv->scrapes + 1, NULL);
    }
}

/* Every data-plane counter and drop reason, per worker and for the control thread. */
static void
render_dataplane(struct metrics_text *t, const struct gw_state *gw)
{
    unsigned nw = dp_worker_count(gw->dp);
    struct dp_stats *st = calloc(nw + 1, sizeof *st);
    char(*names)[12] = calloc(nw + 1, sizeof *names);

    if (!st || !names) {
        free(st);
        free(names);
        fputs("# out of memory for the data-plane counters\n", t->f);
        return;
    }
    for (unsigned w = 0; w < nw; w++) {
        dp_stats_worker(gw->dp, w, &st[w]);
        snprintf(names[w], sizeof names[w], "%u", w);
    }
    dp_stats_control(gw->dp, &st[nw]);
    snprintf(names[nw], sizeof names[nw], "control");
    for (unsigned c = 0; c < DP_N_COUNTERS; c++) {
        char name[96];

        snprintf(name, sizeof name, "hnvgw_%s_total", dp_counter_names[c]);
        metrics_family(t, name, METRICS_COUNTER, dp_counter_help[c]);
        for (unsigned w = 0; w <= nw; w++) {
            metrics_sample(t, st[w].counter[c], "worker", names[w], NULL);
        }
    }
    metrics_family(t, "hnvgw_drops_total", METRICS_COUNTER,
                   "Packets dropped, by stage and reason (the reasons of hnvgwctl show stats "
                   "all=yes, stage.reason).");
    for (unsigned d = 0; d < DP_N_DROPS; d++) {
        char stage[32];
        const char *dot = strchr(dp_drop_names[d], '.');
        size_t n = dot ? (size_t)(dot - dp_drop_names[d]) : 0;

        snprintf(stage, sizeof stage, "%.*s", (int)n, dp_drop_names[d]);
        for (unsigned w = 0; w <= nw; w++) {
            metrics_sample(t, st[w].drop[d], "stage", stage, "reason", dot ? dot + 1 : "", "worker",
                           names[w], NULL);
        }
    }
    free(st);
    free(names);
}

static const char *
port_kind(enum dp_port_kind k)
{
    return k == DP_PORT_PROVIDER   ? "provider"
           : k == DP_PORT_EXTERNAL ? "external"
           : k == DP_PORT_VM       ? "vm"
                                   : "exception";
}

/* The ports: link and DPDK's counters. */
static void
render_ports(struct metrics_text *t, const struct gw_state *gw)
{
    static const struct {
        const char *name; /* Family. */
        size_t off;       /* Member of struct rte_eth_stats. */
        const char *help; /* HELP. */
    } fams[] = {
        {"hnvgw_port_rx_packets_total", offsetof(struct rte_eth_stats, ipackets),
         "Packets the port received."},
        {"hnvgw_port_tx_packets_total", offsetof(struct rte_eth_stats, opackets),
         "Packets the port sent."},
        {"hnvgw_port_rx_bytes_total", offsetof(struct rte_eth_stats, ibytes),
         "Bytes the port received."},
        {"hnvgw_port_tx_bytes_total", offsetof(struct rte_eth_stats, obytes),
         "Bytes the port sent."},
        {"hnvgw_port_rx_errors_total", offsetof(struct rte_eth_stats, ierrors),
         "Erroneous packets the port received."},
        {"hnvgw_port_tx_errors_total", offsetof(struct rte_eth_stats, oerrors),
         "Packets the port failed to send."},
        {"hnvgw_port_rx_missed_total", offsetof(struct rte_eth_stats, imissed),
         "Packets the port dropped for want of room in its receive queues."},
        {"hnvgw_port_rx_nombuf_total", offsetof(struct rte_eth_stats, rx_nombuf),
         "Receive failures for want of a packet buffer."},
    };
    unsigned n = dp_port_count(gw->dp);
    const struct dp_port_conf *pc[DP_MAX_PORTS];
    struct rte_eth_stats st[DP_MAX_PORTS];
    bool up[DP_MAX_PORTS];

    n = n < DP_MAX_PORTS ? n : DP_MAX_PORTS;
    for (unsigned i = 0; i < n; i++) {
        struct rte_eth_link link;
        uint16_t id;

        pc[i] = dp_port_conf(gw->dp, i, &id);
        memset(&st[i], 0, sizeof st[i]);
        memset(&link, 0, sizeof link);
        rte_eth_stats_get(id, &st[i]);
        rte_eth_link_get_nowait(id, &link);
        up[i] = link.link_status;
    }
    metrics_family(t, "hnvgw_port_link_up", METRICS_GAUGE,
                   "1 when the port's link is up (a net_tap moved to another namespace reads 0).");
    for (unsigned i = 0; i < n; i++) {
        metrics_sample(t, up[i], "port", pc[i]->name, "kind", port_kind(pc[i]->kind), NULL);
    }
    for (size_t f = 0; f < sizeof fams / sizeof fams[0]; f++) {
        metrics_family(t, fams[f].name, METRICS_COUNTER, fams[f].help);
        for (unsigned i = 0; i < n; i++) {
            uint64_t v;
            memcpy(&v, (const char *)&st[i] + fams[f].off, sizeof v);
            metrics_sample(t, v, "port", pc[i]->name, "kind", port_kind(pc[i]->kind), NULL);
        }
    }
}

/* The tenants' compartments: what the data plane punted to each and took from each. */
static void
render_compartments(struct metrics_text *t, const struct gw_state *gw)
{
    const struct hnvgw_config *cfg = gw->cfg;

    for (int f = 0; f < 2; f++) {
        bool first = true;

        for (size_t i = 0; i <= cfg->n_tenants; i++) {
            uint16_t domain = i < cfg->n_tenants ? (uint16_t)cfg->tenants[i].id : 0;
            struct dp_compartment_stats st;

            if (dp_compartment_stats(gw->dp, domain, &st) != 0) {
                continue;
            }
            if (first) {
                metrics_family(
                    t, f ? "hnvgw_compartment_injected_total" : "hnvgw_compartment_punted_total",
                    METRICS_COUNTER,
                    f ? "Frames the tenant's compartment sent the data plane."
                      : "Packets for the gateway's own addresses the data plane sent "
                        "the tenant's compartment (BGP, ICMP; IKE for the IKE "
                        "daemon's, tenant \"\").");
                first = false;
            }
            metrics_sample(t, f ? st.injected : st.punted, "tenant",
                           i < cfg->n_tenants ? cfg->tenants[i].name : "", NULL);
        }
    }
}

/* NAT44: each tenant's usage against its quotas, and each public address's port blocks. */
static void
render_nat(struct metrics_text *t, const struct gw_state *gw)
{
    size_t n = dp_nat_tenants(gw->dp, NULL, 0), np = dp_nat_pools(gw->dp, NULL, 0);
    uint16_t *ids = calloc(n ? n : 1, sizeof *ids);
    struct dp_nat_usage *u = calloc(n ? n : 1, sizeof *u);
    struct dp_nat_pool_info *pools = calloc(np ? np : 1, sizeof *pools);
    static const struct {
        const char *name; /* Family. */
        size_t off;       /* uint32_t member of struct dp_nat_usage. */
        const char *help; /* HELP. */
    } fams[] = {
        {"hnvgw_nat_sessions", offsetof(struct dp_nat_usage, sessions),
         "NAT sessions of the tenant."},
        {"hnvgw_nat_sessions_max", offsetof(struct dp_nat_usage, max_sessions),
         "The tenant's NAT session quota (nat max_sessions)."},
        {"hnvgw_nat_ports", offsetof(struct dp_nat_usage, ports),
         "Public ports (mappings) the tenant uses."},
        {"hnvgw_nat_ports_max", offsetof(struct dp_nat_usage, max_ports),
         "The tenant's public port quota (nat max_ports)."},
        {"hnvgw_nat_port_blocks", offsetof(struct dp_nat_usage, blocks),
         "Port blocks the tenant holds."},
        {"hnvgw_nat_port_blocks_max", offsetof(struct dp_nat_usage, blocks_total),
         "Port blocks the tenant's addresses and port range allow."},
    };

    if (!ids || !u || !pools) {
        fputs("# out of memory for the NAT usage\n", t->f);
        goto out;
    }
    if (n) {
        dp_nat_tenants(gw->dp, ids, n);
        for (size_t i = 0; i < n; i++) {
            dp_nat_usage(gw->dp, ids[i], &u[i]);
        }
        metrics_family(t, "hnvgw_nat_session_capacity", METRICS_GAUGE,
                       "NAT sessions the node holds at most (node max_nat_sessions).");
        metrics_sample(t, gw->cfg->max_nat_sessions, NULL);
    }
    for (size_t f = 0; n && f < sizeof fams / sizeof fams[0]; f++) {
        metrics_family(t, fams[f].name, METRICS_GAUGE, fams[f].help);
        for (size_t i = 0; i < n; i++) {
            uint32_t v;
            memcpy(&v, (const char *)&u[i] + fams[f].off, sizeof v);
            metrics_sample(t, v, "tenant", config_tenant_name(gw->cfg, ids[i]), NULL);
        }
    }
    np = dp_nat_pools(gw->dp, pools, np);
    for (int used = 1; np && used >= 0; used--) {
        metrics_family(t,
                       used ? "hnvgw_nat_address_port_blocks" : "hnvgw_nat_address_port_blocks_max",
                       METRICS_GAUGE,
                       used ? "Port blocks in use on a public address."
                            : "Port blocks of a public address's port range.");
        for (size_t i = 0; i < np; i++) {
            char a[HNVGW_IP_STRLEN];
            metrics_sample(t, used ? pools[i].blocks_used : pools[i].blocks_total, "tenant",
                           config_tenant_name(gw->cfg, pools[i].tenant), "address",
                           hnvgw_ip4_format(pools[i].ip, a), NULL);
        }
    }
out:
    free(ids);
    free(u);
    free(pools);
}

/* The data plane's counters of each tunnel's current SAs. */
struct tunnel_sa_stats {
    const struct vpn_service *vs;    /* The tunnels. */
    struct dp_esp_sa_stats (*io)[2]; /* Per tunnel: inbound, outbound. */
};

static bool
tunnel_sa_row(const struct dp_esp_sa *sa, const struct dp_esp_sa_stats *st, void *aux)
{
    struct tunnel_sa_stats *ts = aux;

    for (size_t i = 0; i < ts->vs->n_tunnels; i++) {
        const struct vpn_tunnel_state *tn = &ts->vs->tunnels[i];
        if (sa->spi && sa->spi == (sa->inbound ? tn->spi_in : tn->spi_out)) {
            ts->io[i][sa->inbound ? 0 : 1] = *st;
            break;
        }
    }
    return true;
}

/* Site-to-site VPN: the IKE daemon and each tunnel. */
static void
render_vpn(struct metrics_text *t, const struct gw_state *gw)
{
    const struct vpn_service *vs = &gw->vpn;
    struct tunnel_sa_stats ts = {.vs = vs};
    static const char *const dirs[2] = {"in", "out"};

    if (!vs->enabled) {
        return;
    }
    metrics_family(t, "hnvgw_vpn_ike_daemon_up", METRICS_GAUGE,
                   "1 while the IKE daemon (hnvgw-iked) runs.");
    metrics_sample(t, vs->pid != 0, NULL);
    metrics_family(t, "hnvgw_vpn_ike_daemon_restarts_total", METRICS_COUNTER,
                   "Restarts of the IKE daemon after it exited.");
    metrics_sample(t, vs->restarts, NULL);
    ts.io = calloc(vs->n_tunnels ? vs->n_tunnels : 1, sizeof *ts.io);
    if (!ts.io) {
        fputs("# out of memory for the tunnels\n", t->f);
        return;
    }
    if (vs->n_tunnels) {
        dp_esp_sa_iterate(gw->dp, tunnel_sa_row, &ts);
    }
#define EACH_TUNNEL(i, tn)                                                                         \
    for (size_t i = 0; i < vs->n_tunnels; i++)                                                     \
        for (const struct vpn_tunnel_state *tn = &vs->tunnels[i]; tn; tn = NULL)
    metrics_family(t, "hnvgw_vpn_tunnel_up", METRICS_GAUGE,
                   "1 when the tunnel has a CHILD_SA installed (traffic flows).");
    EACH_TUNNEL(i, tn)
    {
        metrics_sample(t, !strcmp(tn->child_state, "INSTALLED") && tn->spi_out, "tenant",
                       tn->tenant->name, "tunnel", tn->conf->name, NULL);
    }
    metrics_family(t, "hnvgw_vpn_tunnel_info", METRICS_GAUGE,
                   "The tunnel's IKE_SA and CHILD_SA states as charon reports them.");
    EACH_TUNNEL(i, tn)
    {
        metrics_sample(t, 1, "tenant", tn->tenant->name, "tunnel", tn->conf->name, "ike_state",
                       tn->ike_state, "child_state", tn->child_state, "mode",
                       vpn_mode_name(tn->conf->mode), NULL);
    }
    metrics_family(t, "hnvgw_vpn_tunnel_held_down", METRICS_GAUGE,
                   "1 when the operator terminated the tunnel (vpn terminate).");
    EACH_TUNNEL(i, tn)
    {
        metrics_sample(t, tn->held_down, "tenant", tn->tenant->name, "tunnel", tn->conf->name,
                       NULL);
    }
    metrics_family(t, "hnvgw_vpn_tunnel_child_rekeys_total", METRICS_COUNTER,
                   "CHILD_SA rekeys of the tunnel.");
    EACH_TUNNEL(i, tn)
    {
        metrics_sample(t, tn->child_rekeys, "tenant", tn->tenant->name, "tunnel", tn->conf->name,
                       NULL);
    }
    metrics_family(t, "hnvgw_vpn_tunnel_ike_rekeys_total", METRICS_COUNTER,
                   "IKE_SA rekeys of the tunnel.");
    EACH_TUNNEL(i, tn)
    {
        metrics_sample(t, tn->ike_rekeys, "tenant", tn->tenant->name, "tunnel", tn->conf->name,
                       NULL);
    }
    metrics_family(t, "hnvgw_vpn_tunnel_packets_total", METRICS_COUNTER,
                   "Packets of the tunnel's current SA in each direction (restarts at a rekey).");
    EACH_TUNNEL(i, tn)
    {
        for (int d = 0; d < 2; d++) {
            metrics_sample(t, ts.io[i][d].packets, "tenant", tn->tenant->name, "tunnel",
                           tn->conf->name, "direction", dirs[d], NULL);
        }
    }
    metrics_family(t, "hnvgw_vpn_tunnel_bytes_total", METRICS_COUNTER,
                   "Inner bytes of the tunnel's current SA in each direction (restarts at a "
                   "rekey).");
    EACH_TUNNEL(i, tn)
    {
        for (int d = 0; d < 2; d++) {
            metrics_sample(t, ts.io[i][d].bytes, "tenant", tn->tenant->name, "tunnel",
                           tn->conf->name, "direction", dirs[d], NULL);
        }
    }
    metrics_family(t, "hnvgw_vpn_tunnel_sa_drops_total", METRICS_COUNTER,
                   "Packets the tunnel's current inbound SA dropped: authentication, replay, "
                   "selectors (restarts at a rekey).");
    EACH_TUNNEL(i, tn)
    {
        metrics_sample(t, ts.io[i][0].drops, "tenant", tn->tenant->name, "tunnel", tn->conf->name,
                       NULL);
    }
#undef EACH_TUNNEL
    free(ts.io);
}

/* Dynamic routing: each tenant's FRR daemons and FPM connection. */
static void
render_routing(struct metrics_text *t, const struct gw_state *gw)
{
    const struct tenant_routing *tr = &gw->routing;
    size_t n = tr->fpm ? fpm_server_listeners(tr->fpm, NULL, 0) : 0;
    struct fpm_listener_info *info = calloc(n ? n : 1, sizeof *info);

    if (tr->n_frr) {
        metrics_family(t, "hnvgw_frr_daemon_up", METRICS_GAUGE,
                       "1 while the FRR daemon of the tenant runs.");
        for (size_t i = 0; i < tr->n_frr; i++) {
            for (int d = 0; d < FRR_N_DAEMONS; d++) {
                if (tr->frr[i].daemons[d].off) {
                    continue; /* Not run by design: not a daemon that is down. */
                }
                metrics_sample(t, tr->frr[i].daemons[d].pid != 0, "tenant", tr->frr[i].tenant_name,
                               "daemon", tr->frr[i].daemons[d].name, NULL);
            }
        }
        metrics_family(t, "hnvgw_frr_daemon_restarts_total", METRICS_COUNTER,
                       "Restarts of the FRR daemon of the tenant after it exited.");
        for (size_t i = 0; i < tr->n_frr; i++) {
            for (int d = 0; d < FRR_N_DAEMONS; d++) {
                if (tr->frr[i].daemons[d].off) {
                    continue;
                }
                metrics_sample(t, tr->frr[i].daemons[d].restarts, "tenant", tr->frr[i].tenant_name,
                               "daemon", tr->frr[i].daemons[d].name, NULL);
            }
        }
    }
    if (!info) {
        fputs("# out of memory for the FPM listeners\n", t->f);
        return;
    }
    n = n ? fpm_server_listeners(tr->fpm, info, n) : 0;
    for (int f = 0; n && f < 6; f++) {
        static const char *const names[] = {
            "hnvgw_fpm_connected",          "hnvgw_fpm_connects_total",
            "hnvgw_fpm_frames_total",       "hnvgw_fpm_frames_refused_total",
            "hnvgw_fpm_routes_swept_total", "hnvgw_fpm_routes_unknown_table_total"};
        static const char *const helps[] = {
            "1 while the tenant's zebra is connected to its FPM listener.",
            "FPM connections accepted from the tenant's zebra.",
            "FPM frames received from the tenant's zebra.",
            "FPM frames refused as malformed.",
            "Learned routes removed by sweeps after a zebra restart or a lost connection.",
            "Route operations of the shared zebra refused: their table is no tenant's VRF."};
        metrics_family(t, names[f], f ? METRICS_COUNTER : METRICS_GAUGE, helps[f]);
        for (size_t i = 0; i < n; i++) {
            uint64_t v[] = {info[i].connected,     info[i].connects, info[i].frames_total,
                            info[i].refused_total, info[i].swept,    info[i].unknown_table};
            /* The shared listener is every routed tenant's: tenant="shared". */
            metrics_sample(t, v[f], "tenant",
                           info[i].shared ? "shared" : config_tenant_name(gw->cfg, info[i].tenant),
                           NULL);
        }
    }
    free(info);
}

/* BGP neighbors, as the server last read them. */
static void
render_bgp(struct metrics_text *t, const struct metrics_server *srv)
{
    uint64_t now = hnvgw_now_ms();
    char as[24];

    if (!srv->n_bgp) {
        return;
    }
    metrics_family(t, "hnvgw_bgp_summary_ok", METRICS_GAUGE,
                   "1 when the tenant's bgpd answered the last ask for its summary.");
    for (size_t i = 0; i < srv->n_bgp; i++) {
        metrics_sample(t, srv->bgp[i].answered, "tenant", srv->bgp[i].rt->name, NULL);
    }
    metrics_family(t, "hnvgw_bgp_summary_age_seconds", METRICS_GAUGE,
                   "Age of the BGP state served for the tenant (NaN before the first ask ended).");
    for (size_t i = 0; i < srv->n_bgp; i++) {
        const struct metrics_bgp *b = &srv->bgp[i];
        metrics_sample_f(t, b->done_ms ? (double)(now - b->done_ms) / 1000.0 : NAN, "tenant",
                         b->rt->name, NULL);
    }
    metrics_family(t, "hnvgw_bgp_asks_total", METRICS_COUNTER,
                   "vtysh children started to read the bgpds' summaries.");
    metrics_sample(t, srv->bgp_asks, NULL);
    metrics_family(t, "hnvgw_bgp_ask_failures_total", METRICS_COUNTER,
                   "Asks that got no summary (no answer in time, bgpd down, vtysh failed).");
    metrics_sample(t, srv->bgp_fails, NULL);
#define EACH_PEER(b, p)                                                                            \
    for (size_t i_ = 0; i_ < srv->n_bgp; i_++)                                                     \
        for (const struct metrics_bgp *b = &srv->bgp[i_]; b; b = NULL)                             \
            for (const struct metrics_bgp_peer *p = b->peers; p < b->peers + b->n_peers; p++)
#define PEER_LABELS(b, p) "tenant", (b)->rt->name, "neighbor", (p)->neighbor, "family", (p)->family
    metrics_family(t, "hnvgw_bgp_neighbor_up", METRICS_GAUGE,
                   "1 when the BGP session with the neighbor is Established.");
    EACH_PEER(b, p)
    {
        metrics_sample(t, !strcmp(p->state, "Established"), PEER_LABELS(b, p), NULL);
    }
    metrics_family(t, "hnvgw_bgp_neighbor_info", METRICS_GAUGE,
                   "The neighbor's session state as bgpd names it, and its AS.");
    EACH_PEER(b, p)
    {
        snprintf(as, sizeof as, "%" PRId64, p->remote_as);
        metrics_sample(t, 1, PEER_LABELS(b, p), "state", p->state, "remote_as", as, NULL);
    }
    metrics_family(t, "hnvgw_bgp_neighbor_state_seconds", METRICS_GAUGE,
                   "Seconds the session has been Established (bgpd's peer uptime).");
    EACH_PEER(b, p)
    {
        if (p->uptime_ms >= 0) {
            metrics_sample_f(t, (double)p->uptime_ms / 1000.0, PEER_LABELS(b, p), NULL);
        }
    }
    metrics_family(t, "hnvgw_bgp_neighbor_prefixes_received", METRICS_GAUGE,
                   "Prefixes received from the neighbor and accepted.");
    EACH_PEER(b, p)
    {
        if (p->pfx_rcd >= 0) {
            metrics_sample(t, (uint64_t)p->pfx_rcd, PEER_LABELS(b, p), NULL);
        }
    }
    metrics_family(t, "hnvgw_bgp_neighbor_prefixes_sent", METRICS_GAUGE,
                   "Prefixes sent to the neighbor.");
    EACH_PEER(b, p)
    {
        if (p->pfx_snt >= 0) {
            metrics_sample(t, (uint64_t)p->pfx_snt, PEER_LABELS(b, p), NULL);
        }
    }
#undef PEER_LABELS
#undef EACH_PEER
}

int
metrics_render(const struct metrics_server *srv, const struct gw_state *gw, FILE *f)
{
    struct metrics_text t;

    metrics_text_init(&t, f);
    render_status(&t, srv, gw);
    render_dataplane(&t, gw);
    render_ports(&t, gw);
    render_compartments(&t, gw);
    render_nat(&t, gw);
    render_vpn(&t, gw);
    render_routing(&t, gw);
    metrics_render_cluster(&t, gw);
    if (srv) {
        render_bgp(&t, srv);
    }
    return fflush(f) || ferror(f) ? EIO : 0;
}

/* ---- HTTP, on the event loop ---- */

/* Queues a short text reply 'body' with 'status' on 'conn'. */
static enum MHD_Result
reply_text(struct MHD_Connection *conn, unsigned status, const char *body, const char *allow)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret;

    if (!r) {
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
    if (allow) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    }
    ret = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Renders the exposition and queues it on 'conn'. */
static enum MHD_Result
reply_metrics(struct metrics_server *srv, struct MHD_Connection *conn)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    struct MHD_Response *r;
    enum MHD_Result ret;
    int err = f ? metrics_render(srv, srv->gw, f) : ENOMEM;

    if (f && fclose(f)) {
        err = err ? err : EIO;
    }
    if (err) {
        free(buf);
        log_warn("metrics: cannot render the exposition: %s", strerror(err));
        return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot render the metrics\n",
                          NULL);
    }
    r = MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(buf);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, METRICS_CONTENT_TYPE);
    ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    srv->scrapes++;
    return ret;
}

/* libmicrohttpd's request handler: called when the headers are in, and again after a resume. */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
           const char *version, const char *upload_data, size_t *upload_size, void **con_cls)
{
    struct metrics_server *srv = cls;
    struct metrics_conn *mc = *con_cls;

    (void)version;
    (void)upload_data;
    (void)upload_size;
    if (strcmp(url, "/metrics")) {
        return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n",
                          NULL);
    }
    if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD)) {
        return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed: use GET\n",
                          "GET, HEAD");
    }
    if (!mc) {
        mc = calloc(1, sizeof *mc);
        if (!mc) {
            return MHD_NO;
        }
        mc->conn = conn;
        *con_cls = mc;
    }
    if (!mc->waited && bgp_round_start(srv)) {
        mc->waited = true;
        mc->next = srv->waiters;
        srv->waiters = mc;
        if (!sd_event_source_get_enabled(srv->bgp_deadline, NULL)) {
            sd_event_source_set_time_relative(srv->bgp_deadline, METRICS_BGP_WAIT_MS * 1000ull);
            sd_event_source_set_enabled(srv->bgp_deadline, SD_EVENT_ONESHOT);
        }
        MHD_suspend_connection(conn);
        return MHD_YES;
    }
    return reply_metrics(srv, conn);
}

/* A connection's request ended: frees what on_request() kept for it. */
static void
on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    struct metrics_server *srv = cls;
    struct metrics_conn *mc = *con_cls;

    (void)conn;
    (void)toe;
    if (!mc) {
        return;
    }
    for (struct metrics_conn **p = &srv->waiters; *p; p = &(*p)->next) {
        if (*p == mc) {
            *p = mc->next;
            break;
        }
    }
    free(mc);
    *con_cls = NULL;
}

/* libmicrohttpd's own messages, into the daemon's log. */
static void
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[256];
    size_t n;

    (void)cls;
    vsnprintf(msg, sizeof msg, fmt, ap);
    n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) {
        msg[--n] = '\0';
    }
    log_warn("metrics: %s", msg);
}

/* Runs libmicrohttpd, then sets the timer to its next timeout (none: off). */
static void
mhd_run(struct metrics_server *srv)
{
    MHD_UNSIGNED_LONG_LONG ms = 0;

    srv->kick = false;
    MHD_run(srv->mhd);
    /* A connection resumed from inside a request handler needs another run at once. */
    if (!srv->kick && MHD_get_timeout(srv->mhd, &ms) != MHD_YES) {
        sd_event_source_set_enabled(srv->timer, SD_EVENT_OFF);
        return;
    }
    sd_event_source_set_time_relative(srv->timer, srv->kick ? 0 : (uint64_t)ms * 1000);
    sd_event_source_set_enabled(srv->timer, SD_EVENT_ONESHOT);
}

static int
on_mhd_io(sd_event_source *src, int fd, uint32_t revents, void *aux)
{
    (void)src;
    (void)fd;
    (void)revents;
    mhd_run(aux);
    return 0;
}

static int
on_mhd_timer(sd_event_source *src, uint64_t usec, void *aux)
{
    (void)src;
    (void)usec;
    mhd_run(aux);
    return 0;
}

int
metrics_server_open(const struct hnvgw_config *cfg, struct gw_state *gw, sd_event *event,
                    struct metrics_server **out, char *err)
{
    struct metrics_server *srv = calloc(1, sizeof *srv);
    struct sockaddr_storage ss;
    const union MHD_DaemonInfo *info;
    char b[HNVGW_IP_STRLEN];
    unsigned flags = MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
    int ret;

    *out = NULL;
    if (!srv) {
        snprintf(err, 256, "metrics: out of memory");
        return ENOMEM;
    }
    srv->gw = gw;
    srv->event = sd_event_ref(event);
    srv->n_bgp = gw->routing.n_tenants;
    srv->bgp = calloc(srv->n_bgp ? srv->n_bgp : 1, sizeof *srv->bgp);
    if (!srv->bgp) {
        metrics_server_destroy(srv);
        snprintf(err, 256, "metrics: out of memory");
        return ENOMEM;
    }
    for (size_t i = 0; i < srv->n_bgp; i++) {
        srv->bgp[i].rt = &gw->routing.tenants[i];
        srv->bgp[i].srv = srv;
        srv->bgp[i].fd = -1;
    }
    hnvgw_ip_sockaddr(&cfg->metrics_ip, cfg->metrics_port, &ss);
    if (cfg->metrics_ip.family == HNVGW_AF_INET6) {
        flags |= MHD_USE_IPv6;
    }
    /* The logger first: libmicrohttpd reports on the options after it. */
    srv->mhd = MHD_start_daemon(flags, cfg->metrics_port, NULL, NULL, on_request, srv,
                                MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, srv, MHD_OPTION_SOCK_ADDR,
                                (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT,
                                (unsigned)METRICS_MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT,
                                (unsigned)METRICS_CONNECTION_TIMEOUT_S, MHD_OPTION_NOTIFY_COMPLETED,
                                on_completed, srv, MHD_OPTION_END);
    if (!srv->mhd) {
        ret = errno ? errno : EADDRNOTAVAIL;
        snprintf(err, 256, "metrics: cannot listen on %s%s%s:%u: %s",
                 cfg->metrics_ip.family == HNVGW_AF_INET6 ? "[" : "",
                 hnvgw_ip_format(&cfg->metrics_ip, b),
                 cfg->metrics_ip.family == HNVGW_AF_INET6 ? "]" : "", cfg->metrics_port,
                 strerror(ret));
        metrics_server_destroy(srv);
        return ret;
    }
    info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_EPOLL_FD);
    ret = info ? sd_event_add_io(event, &srv->io, info->epoll_fd, EPOLLIN, on_mhd_io, srv) : -EIO;
    if (ret >= 0) {
        ret = sd_event_add_time_relative(event, &srv->timer, CLOCK_MONOTONIC, 0, 1000, on_mhd_timer,
                                         srv);
    }
    if (ret >= 0) {
        ret = sd_event_source_set_enabled(srv->timer, SD_EVENT_OFF);
    }
    if (ret >= 0) {
        ret = sd_event_add_time_relative(event, &srv->bgp_deadline, CLOCK_MONOTONIC,
                                         METRICS_BGP_WAIT_MS * 1000ull, 10 * 1000, on_bgp_deadline,
                                         srv);
    }
    if (ret >= 0) {
        ret = sd_event_source_set_enabled(srv->bgp_deadline, SD_EVENT_OFF);
    }
    if (ret < 0) {
        snprintf(err, 256, "metrics: cannot add the listener to the event loop: %s",
                 strerror(-ret));
        metrics_server_destroy(srv);
        return -ret;
    }
    info = MHD_get_daemon_info(srv->mhd, MHD_DAEMON_INFO_BIND_PORT);
    srv->port = info && info->port ? info->port : cfg->metrics_port;
    *out = srv;
    return 0;
}

uint16_t
metrics_server_port(const struct metrics_server *srv)
{
    return srv->port;
}

void
metrics_server_destroy(struct metrics_server *srv)
{
    if (!srv) {
        return;
    }
    for (size_t i = 0; srv->bgp && i < srv->n_bgp; i++) {
        struct metrics_bgp *b = &srv->bgp[i];
        pid_t pid = b->exit.pid;

        bgp_close(b);
        if (b->exit.src) {
            compartment_unwatch(&b->exit);
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
        }
        free(b->peers);
    }
    /* libmicrohttpd closes only connections that are not suspended. */
    resume_waiters(srv);
    if (srv->mhd) {
        MHD_stop_daemon(srv->mhd);
    }
    sd_event_source_disable_unref(srv->io);
    sd_event_source_disable_unref(srv->timer);
    sd_event_source_disable_unref(srv->bgp_deadline);
    sd_event_unref(srv->event);
    free(srv->bgp);
    free(srv);
}
