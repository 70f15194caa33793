/* SPDX-License-Identifier: Apache-2.0 */
/* hnvgwd's end of the IKE daemon's kernel_ipsec_t (see kipsec_server.h). */
#include "vpn/kipsec_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dataplane/esp.h"
#include "lib/log.h"

#define KIPSEC_SPIS_MAX           (2 * DP_ESP_SA_MAX) /* Allocated, not yet installed SPIs. */
#define KIPSEC_REQUESTS_PER_EVENT 64 /* Answered per wake-up; the source fires again. */

struct kipsec_server {
    struct dp *dp;               /* Where SAs go. */
    int listen_fd;               /* The socket, non-blocking. */
    int conn_fd;                 /* The daemon's connection, -1 if none. */
    sd_event *event;             /* The loop serving it (a reference), NULL until open. */
    sd_event_source *listen_src; /* I/O source of listen_fd (owned). */
    sd_event_source *conn_src;   /* I/O source of conn_fd (owned), NULL without a daemon. */
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* Socket path, unlinked at the end. */
    struct kipsec_tunnel *tunnels;    /* Owned: the accepted (if_id, reqid) pairs. */
    size_t n_tunnels;                 /* Entries in tunnels. */
    uint32_t *pending;                /* Owned: SPIs allocated and not yet installed. */
    size_t n_pending;                 /* Entries in pending. */
    struct kipsec_policy *policies;   /* Owned: the policies the daemon declared. */
    size_t n_policies;                /* Entries in policies. */
    struct kipsec_server_stats stats; /* Counters. */
    kipsec_sa_hook *sa_hook;          /* Told of SAs the daemon adds and deletes, or NULL. */
    void *sa_hook_aux;                /* For sa_hook. */
};

static int on_listen(sd_event_source *src, int fd, uint32_t revents, void *srv_);

int
kipsec_server_open(const char *path, struct dp *dp, sd_event *event, struct kipsec_server **out,
                   char *err)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    struct kipsec_server *srv;
    int ret;

    *out = NULL;
    if (strlen(path) >= sizeof sun.sun_path) {
        snprintf(err, 256, "kipsec socket path too long: %s", path);
        return ENAMETOOLONG;
    }
    srv = calloc(1, sizeof *srv);
    if (srv) {
        srv->listen_fd = -1;
        srv->conn_fd = -1;
        srv->pending = calloc(KIPSEC_SPIS_MAX, sizeof *srv->pending);
        srv->policies = calloc(KIPSEC_POLICIES_MAX, sizeof *srv->policies);
    }
    if (!srv || !srv->pending || !srv->policies) {
        snprintf(err, 256, "out of memory for the kipsec server");
        kipsec_server_destroy(srv);
        return ENOMEM;
    }
    srv->dp = dp;
    snprintf(srv->path, sizeof srv->path, "%s", path);
    strcpy(sun.sun_path, path);
    srv->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    unlink(path);
    if (srv->listen_fd < 0 || bind(srv->listen_fd, (struct sockaddr *)&sun, sizeof sun) < 0 ||
        chmod(path, 0600) < 0 || listen(srv->listen_fd, 4) < 0) {
        int e = errno;
        snprintf(err, 256, "kipsec socket %s: %s", path, strerror(e));
        srv->path[0] = '\0';
        kipsec_server_destroy(srv);
        return e;
    }
    srv->event = sd_event_ref(event);
    ret = sd_event_add_io(event, &srv->listen_src, srv->listen_fd, EPOLLIN, on_listen, srv);
    if (ret < 0) {
        snprintf(err, 256, "kipsec socket %s: %s", path, strerror(-ret));
        kipsec_server_destroy(srv);
        return -ret;
    }
    *out = srv;
    return 0;
}

int
kipsec_server_set_tunnels(struct kipsec_server *srv, const struct kipsec_tunnel *tunnels, size_t n)
{
    struct kipsec_tunnel *copy = calloc(n ? n : 1, sizeof *copy);

    if (!copy) {
        return ENOMEM;
    }
    memcpy(copy, tunnels, n * sizeof *copy);
    free(srv->tunnels);
    srv->tunnels = copy;
    srv->n_tunnels = n;
    return 0;
}

/* The tunnel of (if_id, reqid), or NULL when the configuration declares no such pair. */
static const struct kipsec_tunnel *
tunnel_find(const struct kipsec_server *srv, uint32_t if_id, uint32_t reqid)
{
    for (size_t i = 0; i < srv->n_tunnels; i++) {
        if (srv->tunnels[i].if_id == if_id && srv->tunnels[i].reqid == reqid) {
            return &srv->tunnels[i];
        }
    }
    return NULL;
}

/* The tenant of if_id: that of any of its tunnels, 0 for none. */
static uint16_t
tenant_of(const struct kipsec_server *srv, uint32_t if_id)
{
    for (size_t i = 0; i < srv->n_tunnels; i++) {
        if (srv->tunnels[i].if_id == if_id) {
            return srv->tunnels[i].tenant;
        }
    }
    return 0;
}

/* dp_esp_sa_iterate() callback of sa_get(). */
struct sa_get_aux {
    uint32_t spi;          /* Wanted. */
    struct dp_esp_sa *out; /* Filled when found. */
    bool found;            /* Set when found. */
};

static bool
sa_get_cb(const struct dp_esp_sa *sa, const struct dp_esp_sa_stats *st, void *aux_)
{
    struct sa_get_aux *aux = aux_;

    (void)st;
    if (sa->spi != aux->spi) {
        return true;
    }
    *aux->out = *sa;
    aux->found = true;
    return false;
}

/* Copies the installed SA 'spi' (keys zeroed) into '*out'; false if there is none. */
static bool
sa_get(struct kipsec_server *srv, uint32_t spi, struct dp_esp_sa *out)
{
    struct sa_get_aux aux = {.spi = spi, .out = out};

    dp_esp_sa_iterate(srv->dp, sa_get_cb, &aux);
    return aux.found;
}

/* Index of 'spi' among the pending allocations, or -1. */
static ssize_t
pending_find(const struct kipsec_server *srv, uint32_t spi)
{
    for (size_t i = 0; i < srv->n_pending; i++) {
        if (srv->pending[i] == spi) {
            return (ssize_t)i;
        }
    }
    return -1;
}

static void
pending_remove(struct kipsec_server *srv, size_t idx)
{
    srv->pending[idx] = srv->pending[--srv->n_pending];
}

/* dp_esp_sa_iterate() callback of kipsec_server_flush(): collects SPIs. */
struct spi_list {
    uint32_t *spis; /* Collected. */
    size_t n;       /* Entries. */
    size_t max;     /* Capacity. */
};

static bool
collect_cb(const struct dp_esp_sa *sa, const struct dp_esp_sa_stats *st, void *aux)
{
    struct spi_list *l = aux;

    (void)st;
    if (l->n < l->max) {
        l->spis[l->n++] = sa->spi;
    }
    return true;
}

void
kipsec_server_flush(struct kipsec_server *srv)
{
    struct spi_list l = {.max = DP_ESP_SA_MAX};

    l.spis = calloc(l.max, sizeof *l.spis);
    if (l.spis) {
        dp_esp_sa_iterate(srv->dp, collect_cb, &l);
        for (size_t i = 0; i < l.n; i++) {
            if (!dp_esp_sa_del(srv->dp, l.spis[i])) {
                srv->stats.sas_deleted++;
            }
        }
        free(l.spis);
    }
    for (size_t i = 0; i < srv->n_pending; i++) {
        dp_esp_spi_release(srv->dp, srv->pending[i]);
    }
    srv->n_pending = 0;
    srv->n_policies = 0;
}

static const char *
cipher_name(const struct dp_esp_sa *sa)
{
    if (sa->cipher == DP_ESP_AES_GCM_16) {
        return sa->key_len == 36 ? "aes256gcm16" : "aes128gcm16";
    }
    return sa->key_len == 32 ? "aes256-sha256" : "aes128-sha256";
}

static int
handle_add_sa(struct kipsec_server *srv, const struct kipsec_add_sa *req)
{
    const struct kipsec_tunnel *t = tunnel_find(srv, req->if_id, req->sa.reqid);
    struct dp_esp_sa sa = req->sa;
    char local[INET_ADDRSTRLEN], remote[INET_ADDRSTRLEN];
    ssize_t p;
    int ret;

    if (!t) {
        log_warn("vpn: SA spi 0x%08x refused: if_id %u reqid %u is no configured tunnel", sa.spi,
                 req->if_id, sa.reqid);
        return EPERM;
    }
    sa.tenant = t->tenant;
    ret = dp_esp_sa_add(srv->dp, &sa);
    inet_ntop(AF_INET, &sa.local, local, sizeof local);
    inet_ntop(AF_INET, &sa.remote, remote, sizeof remote);
    if (ret) {
        log_warn("vpn: SA %s spi 0x%08x of tenant %u reqid %u not installed: %s",
                 sa.inbound ? "in" : "out", sa.spi, sa.tenant, sa.reqid, strerror(ret));
        return ret;
    }
    p = pending_find(srv, sa.spi);
    if (p >= 0) {
        pending_remove(srv, (size_t)p);
    }
    srv->stats.sas_added++;
    if (srv->sa_hook) {
        srv->sa_hook(srv->sa_hook_aux, sa.reqid, sa.spi, sa.inbound, true);
    }
    log_info("vpn: SA %s spi 0x%08x tenant %u reqid %u %s -> %s %s%s", sa.inbound ? "in" : "out",
             sa.spi, sa.tenant, sa.reqid, sa.inbound ? remote : local, sa.inbound ? local : remote,
             cipher_name(&sa), sa.encap_local_port ? " udp-encap" : "");
    return 0;
}

/* Checks that SA 'id->spi' exists and belongs to the tenant of 'id->if_id'. */
static int
check_owner(struct kipsec_server *srv, const struct kipsec_sa_id *id, struct dp_esp_sa *sa)
{
    if (!sa_get(srv, id->spi, sa)) {
        return ENOENT;
    }
    if (sa->tenant != tenant_of(srv, id->if_id)) {
        log_warn("vpn: request on spi 0x%08x refused: if_id %u is not its tenant's", id->spi,
                 id->if_id);
        return EPERM;
    }
    return 0;
}

static int
handle_del_sa(struct kipsec_server *srv, const struct kipsec_sa_id *id)
{
    struct dp_esp_sa sa;
    ssize_t p = pending_find(srv, id->spi);
    int ret;

    if (p >= 0) {
        /* An SPI charon allocated and never used (a failed negotiation). */
        dp_esp_spi_release(srv->dp, id->spi);
        pending_remove(srv, (size_t)p);
        return 0;
    }
    ret = check_owner(srv, id, &sa);
    if (!ret) {
        ret = dp_esp_sa_del(srv->dp, id->spi);
    }
    if (!ret) {
        srv->stats.sas_deleted++;
        log_info("vpn: SA %s spi 0x%08x tenant %u reqid %u deleted", sa.inbound ? "in" : "out",
                 sa.spi, sa.tenant, sa.reqid);
        if (srv->sa_hook) {
            srv->sa_hook(srv->sa_hook_aux, sa.reqid, sa.spi, sa.inbound, false);
        }
    }
    return ret;
}

static int
handle_update_sa(struct kipsec_server *srv, const struct kipsec_update_sa *u)
{
    struct dp_esp_sa sa;
    int ret = check_owner(srv, &u->id, &sa);

    if (!ret) {
        ret = dp_esp_sa_update(srv->dp, u->id.spi, u->local, u->remote, u->encap_local_port,
                               u->encap_remote_port);
    }
    return ret;
}

static int
handle_policy(struct kipsec_server *srv, uint16_t op, const struct kipsec_policy *pol)
{
    if (!tunnel_find(srv, pol->if_id, pol->reqid) || pol->dir > KIPSEC_DIR_FWD ||
        pol->src_plen > 32 || pol->dst_plen > 32) {
        return EPERM;
    }
    for (size_t i = 0; i < srv->n_policies; i++) {
        struct kipsec_policy *p = &srv->policies[i];
        if (p->dir == pol->dir && p->if_id == pol->if_id && p->src == pol->src &&
            p->dst == pol->dst && p->src_plen == pol->src_plen && p->dst_plen == pol->dst_plen) {
            if (op == KIPSEC_DEL_POLICY) {
                *p = srv->policies[--srv->n_policies];
            } else {
                *p = *pol;
            }
            return 0;
        }
    }
    if (op == KIPSEC_DEL_POLICY) {
        return ENOENT;
    }
    if (srv->n_policies == KIPSEC_POLICIES_MAX) {
        return ENOSPC;
    }
    srv->policies[srv->n_policies++] = *pol;
    return 0;
}

/* The payload size each op needs after the header. */
static size_t
payload_size(uint16_t op)
{
    switch (op) {
    case KIPSEC_HELLO:
    case KIPSEC_GET_SPI:
        return 0;
    case KIPSEC_ADD_SA:
        return sizeof(struct kipsec_add_sa);
    case KIPSEC_UPDATE_SA:
        return sizeof(struct kipsec_update_sa);
    case KIPSEC_QUERY_SA:
    case KIPSEC_DEL_SA:
        return sizeof(struct kipsec_sa_id);
    case KIPSEC_ADD_POLICY:
    case KIPSEC_DEL_POLICY:
        return sizeof(struct kipsec_policy);
    default:
        return SIZE_MAX;
    }
}

/* Answers one request of 'len' bytes into 'rep'. */
static void
handle(struct kipsec_server *srv, const struct kipsec_request *req, size_t len,
       struct kipsec_reply *rep)
{
    const size_t hdr = offsetof(struct kipsec_request, id);
    struct dp_esp_sa sa;
    int ret;

    memset(rep, 0, sizeof *rep);
    rep->version = KIPSEC_VERSION;
    if (len < hdr) {
        rep->err = EPROTO;
        srv->stats.malformed++;
        return;
    }
    rep->op = req->op;
    rep->seq = req->seq;
    if (req->version != KIPSEC_VERSION || payload_size(req->op) == SIZE_MAX ||
        len < hdr + payload_size(req->op)) {
        rep->err = EPROTO;
        srv->stats.malformed++;
        return;
    }
    switch (req->op) {
    case KIPSEC_HELLO:
        kipsec_server_flush(srv);
        log_info("vpn: IKE daemon connected; earlier SAs flushed");
        ret = 0;
        break;
    case KIPSEC_GET_SPI:
        ret = srv->n_pending == KIPSEC_SPIS_MAX ? ENOSPC : dp_esp_spi_alloc(srv->dp, &rep->spi);
        if (!ret) {
            srv->pending[srv->n_pending++] = rep->spi;
        }
        break;
    case KIPSEC_ADD_SA:
        ret = handle_add_sa(srv, &req->sa);
        break;
    case KIPSEC_UPDATE_SA:
        ret = handle_update_sa(srv, &req->update);
        break;
    case KIPSEC_QUERY_SA:
        ret = check_owner(srv, &req->id, &sa);
        if (!ret) {
            ret = dp_esp_sa_query(srv->dp, req->id.spi, &rep->stats);
        }
        break;
    case KIPSEC_DEL_SA:
        ret = handle_del_sa(srv, &req->id);
        break;
    default: /* KIPSEC_ADD_POLICY, KIPSEC_DEL_POLICY. */
        ret = handle_policy(srv, req->op, &req->policy);
        break;
    }
    rep->err = ret;
}

/* Forgets the daemon's connection (its SAs stay until the next HELLO: charon may come back). */
static void
disconnect(struct kipsec_server *srv)
{
    srv->conn_src = sd_event_source_disable_unref(srv->conn_src);
    close(srv->conn_fd);
    srv->conn_fd = -1;
    srv->stats.connected = 0;
    log_warn("vpn: IKE daemon disconnected");
}

/* I/O source of the daemon's connection: answers the requests waiting, a bounded number at a
 * time. */
static int
on_conn(sd_event_source *src, int fd, uint32_t revents, void *srv_)
{
    struct kipsec_server *srv = srv_;
    struct kipsec_request req;
    struct kipsec_reply rep;

    (void)src;
    (void)revents;
    for (unsigned i = 0; i < KIPSEC_REQUESTS_PER_EVENT; i++) {
        ssize_t n = recv(fd, &req, sizeof req, MSG_DONTWAIT);

        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            return 0;
        }
        if (n <= 0) {
            disconnect(srv);
            return 0;
        }
        handle(srv, &req, (size_t)n, &rep);
        srv->stats.requests++;
        srv->stats.refused += rep.err != 0;
        if (send(fd, &rep, sizeof rep, MSG_NOSIGNAL) != (ssize_t)sizeof rep) {
            disconnect(srv);
            return 0;
        }
    }
    return 0;
}

/* I/O source of the socket: a daemon connects (the newest one is the one that lives). */
static int
on_listen(sd_event_source *src, int lfd, uint32_t revents, void *srv_)
{
    struct kipsec_server *srv = srv_;
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    (void)src;
    (void)revents;
    if (fd < 0) {
        return 0; /* Gone already, or out of descriptors: the socket tells again. */
    }
    if (srv->conn_fd >= 0) {
        disconnect(srv);
    }
    if (sd_event_add_io(srv->event, &srv->conn_src, fd, EPOLLIN, on_conn, srv) < 0) {
        log_err("vpn: cannot serve the IKE daemon's connection: out of memory");
        close(fd);
        return 0;
    }
    srv->conn_fd = fd;
    srv->stats.connects++;
    srv->stats.connected = 1;
    return 0;
}

size_t
kipsec_server_policies(const struct kipsec_server *srv, struct kipsec_policy *out, size_t max)
{
    for (size_t i = 0; i < srv->n_policies && i < max; i++) {
        out[i] = srv->policies[i];
    }
    return srv->n_policies;
}

void
kipsec_server_set_sa_hook(struct kipsec_server *srv, kipsec_sa_hook *fn, void *aux)
{
    srv->sa_hook = fn;
    srv->sa_hook_aux = aux;
}

void
kipsec_server_stats(const struct kipsec_server *srv, struct kipsec_server_stats *out)
{
    *out = srv->stats;
}

void
kipsec_server_destroy(struct kipsec_server *srv)
{
    if (!srv) {
        return;
    }
    if (srv->dp && srv->pending) {
        kipsec_server_flush(srv);
    }
    sd_event_source_disable_unref(srv->conn_src);
    sd_event_source_disable_unref(srv->listen_src);
    sd_event_unref(srv->event);
    if (srv->conn_fd >= 0) {
        close(srv->conn_fd);
    }
    if (srv->listen_fd >= 0) {
        close(srv->listen_fd);
    }
    if (srv->path[0]) {
        unlink(srv->path);
    }
    free(srv->tunnels);
    free(srv->pending);
    free(srv->policies);
    free(srv);
}
