/* SPDX-License-Identifier: Apache-2.0 */
/* FPM listeners per tenant compartment (see fpm_server.h).
 *
 * Each listener is an I/O source of the loop, and so is its connection while there is one; the
 * settle and hold times are two timers per listener. A timer due earlier than its condition (new
 * frames arrived since it was set) sets itself again, so reads never touch the timers. */
#include "routing/fpm_server.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>

#include "lib/clock.h"

#define FPM_READ_CHUNK 65536
/* Chunks read per wake-up: a zebra replaying a full table does not hold the loop for long. */
#define FPM_READS_PER_EVENT 16
/* How late the settle and hold timers may fire, so that the loop can batch wake-ups. */
#define FPM_TIMER_ACCURACY_US (10 * 1000)

/* One tenant's listener and its connection. */
struct listener {
    struct fpm_server *srv;        /* Its server. */
    struct fpm_listener_info info; /* Counters and identity. */
    int lfd;                       /* Listening socket. */
    int cfd;                       /* Connection, or -1. */
    sd_event_source *listen_src;   /* I/O source of 'lfd' (owned). */
    sd_event_source *conn_src;     /* I/O source of 'cfd' (owned), NULL without a connection. */
    sd_event_source *settle;       /* Timer of a replay's sweep (owned; off when not due). */
    sd_event_source *hold;         /* Timer of a vanished zebra's sweep (owned; likewise). */
    struct fpm_decoder dec;        /* Decoder of the connection's stream. */
    uint32_t gen;                  /* Generation the current replay renews (one tenant). */
    struct fpm_table_map *map;     /* Owned, sorted by table: a shared listener's tenants; NULL
                                    * for a listener of one tenant. */
    uint32_t *gens;                /* Owned: the generation each map entry's replay renews. */
    size_t n_map;                  /* Entries of map and gens. */
    bool sweep_pending;            /* A replay's sweep is due once the stream settles. */
    uint64_t last_frame_ms;        /* When the last bytes arrived. */
    uint64_t lost_ms;              /* When the connection went away, 0 if not lost. */
};

struct fpm_server {
    struct learned *learned;      /* Where routes go. */
    unsigned settle_ms;           /* Quiet time before a replay's sweep. */
    unsigned hold_ms;             /* How long a vanished zebra's routes are kept. */
    sd_event *event;              /* The loop serving it (a reference). */
    fpm_server_notify_fn *notify; /* Called after each event served, or NULL. */
    void *notify_aux;             /* For 'notify'. */
    struct listener **listeners;  /* Owned array of owned listeners (sources point at them). */
    size_t n;                     /* Entries. */
    uint8_t buf[FPM_READ_CHUNK];  /* Read buffer. */
};

struct fpm_server *
fpm_server_create(struct learned *learned, unsigned settle_ms, unsigned hold_ms, sd_event *event,
                  fpm_server_notify_fn *notify, void *aux)
{
    struct fpm_server *s = calloc(1, sizeof *s);

    if (s) {
        s->learned = learned;
        s->settle_ms = settle_ms;
        s->hold_ms = hold_ms;
        s->event = sd_event_ref(event);
        s->notify = notify;
        s->notify_aux = aux;
    }
    return s;
}

/* Tells the owner that counters may have moved. */
static void
notify(const struct fpm_server *s)
{
    if (s->notify) {
        s->notify(s->notify_aux);
    }
}

/* Sets timer 'src' to fire once at monotonic 'when_ms'. */
static void
arm(sd_event_source *src, uint64_t when_ms)
{
    sd_event_source_set_time(src, when_ms * 1000);
    sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
}

static struct listener *listener_new(struct fpm_server *s, uint16_t tenant, int lfd, uint16_t port);
static void listener_destroy(struct listener *ls);

/* Orders table map entries by table. */
static int
map_cmp(const void *a_, const void *b_)
{
    const struct fpm_table_map *a = a_, *b = b_;
    return a->table < b->table ? -1 : a->table > b->table;
}

uint16_t
fpm_table_tenant(const struct fpm_table_map *sorted, size_t n, uint32_t table)
{
    struct fpm_table_map key = {.table = table};
    const struct fpm_table_map *hit =
        table && n ? bsearch(&key, sorted, n, sizeof *sorted, map_cmp) : NULL;

    return hit ? hit->tenant : 0;
}

/* Opens the listening socket in the current namespace. */
static int
open_listener(uint16_t port, uint16_t *bound)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    socklen_t len = sizeof sa;
    int one = 1, fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd < 0) {
        return -errno;
    }
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 4) < 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
        int e = errno;
        close(fd);
        return -e;
    }
    *bound = ntohs(sa.sin_port);
    return fd;
}

/* Opens a listening socket on 127.0.0.1:'port' inside the namespace at 'netns_path' (NULL: the
 * current one); 'who' names its tenants in messages. Returns the socket, or -1 with a message in
 * 'err' and the errno in '*e'. */
static int
listen_in(const char *netns_path, uint16_t port, const char *who, uint16_t *bound, int *e,
          char *err)
{
    int self = -1, target = -1, fd;

    if (netns_path) {
        self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        target = open(netns_path, O_RDONLY | O_CLOEXEC);
        if (self < 0 || target < 0 || setns(target, CLONE_NEWNET) < 0) {
            *e = errno;
            snprintf(err, 256, "cannot enter network namespace %s: %s", netns_path, strerror(*e));
            if (self >= 0) {
                close(self);
            }
            if (target >= 0) {
                close(target);
            }
            return -1;
        }
    }
    fd = open_listener(port, bound);
    if (netns_path) {
        /* Back home whatever happened: the rest of the daemon lives in its own namespace. */
        if (setns(self, CLONE_NEWNET) < 0) {
            snprintf(err, 256, "cannot return from network namespace %s", netns_path);
            abort();
        }
        close(self);
        close(target);
    }
    if (fd < 0) {
        *e = -fd;
        snprintf(err, 256, "cannot listen on 127.0.0.1:%u for %s: %s", port, who, strerror(-fd));
        return -1;
    }
    return fd;
}

/* Adds listener 'ls' to 's' (freed on failure). */
static int
add_listener(struct fpm_server *s, struct listener *ls, char *err)
{
    struct listener **grown = realloc(s->listeners, (s->n + 1) * sizeof *grown);

    if (!grown) {
        listener_destroy(ls);
        snprintf(err, 256, "out of memory");
        return ENOMEM;
    }
    s->listeners = grown;
    s->listeners[s->n++] = ls;
    return 0;
}

int
fpm_server_listen(struct fpm_server *s, uint16_t tenant, const char *netns_path, uint16_t port,
                  uint16_t *bound, char *err)
{
    struct listener *ls;
    char who[32];
    uint16_t got = 0;
    int fd, e = 0, ret;

    snprintf(who, sizeof who, "tenant %u", tenant);
    fd = listen_in(netns_path, port, who, &got, &e, err);
    if (fd < 0) {
        return e;
    }
    ls = listener_new(s, tenant, fd, got);
    if (!ls) {
        close(fd);
        snprintf(err, 256, "out of memory for the listener of tenant %u", tenant);
        return ENOMEM;
    }
    ret = add_listener(s, ls, err);
    if (!ret && bound) {
        *bound = got;
    }
    return ret;
}

int
fpm_server_listen_shared(struct fpm_server *s, const char *netns_path, uint16_t port,
                         const struct fpm_table_map *map, size_t n, uint16_t *bound, char *err)
{
    struct fpm_table_map *sorted = n ? malloc(n * sizeof *sorted) : NULL;
    uint32_t *gens = calloc(n ? n : 1, sizeof *gens);
    struct listener *ls;
    uint16_t got = 0;
    int fd, e = 0, ret;

    if ((n && !sorted) || !gens) {
        free(sorted);
        free(gens);
        snprintf(err, 256, "out of memory for the shared FPM listener");
        return ENOMEM;
    }
    if (n) {
        memcpy(sorted, map, n * sizeof *sorted);
        qsort(sorted, n, sizeof *sorted, map_cmp);
    }
    for (size_t i = 0; i < n; i++) {
        bool dup = i && sorted[i - 1].table == sorted[i].table;

        for (size_t k = 0; k < i && !dup; k++) {
            dup = sorted[k].tenant == sorted[i].tenant;
        }
        if (!sorted[i].table || !sorted[i].tenant || dup) {
            snprintf(err, 256, "FPM table map: table %u of tenant %u is 0, or listed twice",
                     sorted[i].table, sorted[i].tenant);
            free(sorted);
            free(gens);
            return EINVAL;
        }
    }
    fd = listen_in(netns_path, port, "the shared zebra", &got, &e, err);
    if (fd < 0) {
        free(sorted);
        free(gens);
        return e;
    }
    ls = listener_new(s, 0, fd, got);
    if (!ls) {
        close(fd);
        free(sorted);
        free(gens);
        snprintf(err, 256, "out of memory for the shared FPM listener");
        return ENOMEM;
    }
    ls->map = sorted;
    ls->gens = gens;
    ls->n_map = n;
    ls->info.shared = true;
    ls->info.n_tenants = n;
    ret = add_listener(s, ls, err);
    if (!ret && bound) {
        *bound = got;
    }
    return ret;
}

static void
on_frame(const struct fpm_route *ops, size_t n, void *aux)
{
    struct fpm_server *s = ((void **)aux)[0];
    struct listener *ls = ((void **)aux)[1];

    if (!ls->map) {
        learned_apply(s->learned, ls->info.tenant, ops, n);
        return;
    }
    /* A shared zebra's frame holds one route (a delete and an add of it, for an update), so one
     * table: each run of operations of one table is applied at once all the same. */
    for (size_t i = 0; i < n;) {
        uint16_t tenant = fpm_table_tenant(ls->map, ls->n_map, ops[i].table);
        size_t k = i + 1;

        while (k < n && ops[k].table == ops[i].table) {
            k++;
        }
        if (tenant) {
            learned_apply(s->learned, tenant, &ops[i], k - i);
        } else {
            ls->info.unknown_table += k - i;
        }
        i = k;
    }
}

/* Ends the connection of 'ls'; 'bad' when the stream could not be trusted. Its routes are kept
 * for the hold time. */
static void
drop_connection(struct listener *ls, bool bad)
{
    ls->conn_src = sd_event_source_disable_unref(ls->conn_src);
    close(ls->cfd);
    ls->cfd = -1;
    ls->info.connected = false;
    ls->info.closed_bad += bad;
    ls->lost_ms = hnvgw_now_ms();
    sd_event_source_set_enabled(ls->settle, SD_EVENT_OFF);
    arm(ls->hold, ls->lost_ms + ls->srv->hold_ms);
}

/* Starts a replay of the listener's tenants (zebra connected). */
static void
replay_begin(struct fpm_server *s, struct listener *ls)
{
    if (!ls->map) {
        ls->gen = learned_replay_begin(s->learned, ls->info.tenant);
    }
    for (size_t i = 0; i < ls->n_map; i++) {
        ls->gens[i] = learned_replay_begin(s->learned, ls->map[i].tenant);
    }
}

/* Removes the listener's routes the replay did not renew; all of them with 'all' (its zebra
 * vanished). */
static void
sweep(struct fpm_server *s, struct listener *ls, bool all)
{
    ls->info.sweeps++;
    if (all) {
        replay_begin(s, ls);
    }
    if (!ls->map) {
        ls->info.swept += learned_sweep(s->learned, ls->info.tenant, ls->gen);
    }
    for (size_t i = 0; i < ls->n_map; i++) {
        ls->info.swept += learned_sweep(s->learned, ls->map[i].tenant, ls->gens[i]);
    }
}

/* I/O source of a connection: feeds what zebra sent to the decoder, a bounded amount at a time
 * (the source fires again while more waits). */
static int
on_conn(sd_event_source *src, int fd, uint32_t revents, void *ls_)
{
    struct listener *ls = ls_;
    struct fpm_server *s = ls->srv;
    void *aux[2] = {s, ls};

    (void)src;
    (void)revents;
    for (unsigned i = 0; i < FPM_READS_PER_EVENT && ls->cfd >= 0; i++) {
        ssize_t n = read(fd, s->buf, sizeof s->buf);

        if (n > 0) {
            uint64_t frames = ls->dec.stats.frames, refused = ls->dec.stats.frames_refused;
            int ret = fpm_decoder_feed(&ls->dec, s->buf, (size_t)n, on_frame, aux);

            ls->info.frames_total += ls->dec.stats.frames - frames;
            ls->info.refused_total += ls->dec.stats.frames_refused - refused;
            ls->last_frame_ms = hnvgw_now_ms();
            if (ret) {
                drop_connection(ls, true);
            }
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            drop_connection(ls, false);
        }
        break;
    }
    ls->info.stats = ls->dec.stats;
    notify(s);
    return 0;
}

/* I/O source of a listener: zebra (re)connects, and a new replay of its routes begins. */
static int
on_accept(sd_event_source *src, int lfd, uint32_t revents, void *ls_)
{
    struct listener *ls = ls_;
    struct fpm_server *s = ls->srv;
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    (void)src;
    (void)revents;
    if (fd < 0) {
        return 0; /* Gone already, or out of descriptors: the listener tells again. */
    }
    if (ls->cfd >= 0) {
        drop_connection(ls, false); /* zebra restarted: the new connection wins. */
    }
    if (sd_event_add_io(s->event, &ls->conn_src, fd, EPOLLIN, on_conn, ls) < 0) {
        close(fd);
        return 0;
    }
    ls->cfd = fd;
    ls->info.connected = true;
    ls->info.connects++;
    fpm_decoder_init(&ls->dec);
    ls->dec.all_tables = ls->map != NULL;
    ls->info.stats = ls->dec.stats;
    replay_begin(s, ls);
    ls->sweep_pending = true;
    ls->last_frame_ms = hnvgw_now_ms();
    ls->lost_ms = 0;
    sd_event_source_set_enabled(ls->hold, SD_EVENT_OFF);
    arm(ls->settle, ls->last_frame_ms + s->settle_ms);
    notify(s);
    return 0;
}

/* Timer of a replay's sweep: once the stream has been quiet for the settle time, the routes the
 * replay did not renew go. */
static int
on_settle(sd_event_source *src, uint64_t usec, void *ls_)
{
    struct listener *ls = ls_;
    struct fpm_server *s = ls->srv;

    (void)usec;
    if (!ls->sweep_pending || ls->cfd < 0) {
        return 0;
    }
    if (hnvgw_now_ms() - ls->last_frame_ms < s->settle_ms) {
        arm(src, ls->last_frame_ms + s->settle_ms); /* Frames came since: wait for quiet. */
        return 0;
    }
    ls->sweep_pending = false;
    sweep(s, ls, false);
    notify(s);
    return 0;
}

/* Timer of a vanished zebra: after the hold time without a connection, all its routes go. */
static int
on_hold(sd_event_source *src, uint64_t usec, void *ls_)
{
    struct listener *ls = ls_;
    struct fpm_server *s = ls->srv;

    (void)usec;
    if (ls->cfd >= 0 || !ls->lost_ms) {
        return 0;
    }
    if (hnvgw_now_ms() - ls->lost_ms < s->hold_ms) {
        arm(src, ls->lost_ms + s->hold_ms);
        return 0;
    }
    ls->lost_ms = 0;
    ls->sweep_pending = false;
    sweep(s, ls, true);
    notify(s);
    return 0;
}

size_t
fpm_server_listeners(const struct fpm_server *s, struct fpm_listener_info *out, size_t max)
{
    for (size_t i = 0; i < s->n && i < max; i++) {
        out[i] = s->listeners[i]->info;
    }
    return s->n;
}

/* Removes the sources of 'ls', closes its sockets and frees it. */
static void
listener_destroy(struct listener *ls)
{
    sd_event_source_disable_unref(ls->listen_src);
    sd_event_source_disable_unref(ls->conn_src);
    sd_event_source_disable_unref(ls->settle);
    sd_event_source_disable_unref(ls->hold);
    if (ls->cfd >= 0) {
        close(ls->cfd);
    }
    if (ls->lfd >= 0) {
        close(ls->lfd);
    }
    fpm_decoder_destroy(&ls->dec);
    free(ls->map);
    free(ls->gens);
    free(ls);
}

/* A listener of 'tenant' on the listening socket 'lfd' (bound to 'port'), with its sources, or
 * NULL when out of memory ('lfd' is then still the caller's). */
static struct listener *
listener_new(struct fpm_server *s, uint16_t tenant, int lfd, uint16_t port)
{
    struct listener *ls = calloc(1, sizeof *ls);

    if (!ls) {
        return NULL;
    }
    ls->srv = s;
    ls->info.tenant = tenant;
    ls->info.port = port;
    ls->info.n_tenants = 1;
    ls->lfd = lfd;
    ls->cfd = -1;
    fpm_decoder_init(&ls->dec);
    if (sd_event_add_io(s->event, &ls->listen_src, lfd, EPOLLIN, on_accept, ls) < 0 ||
        sd_event_add_time(s->event, &ls->settle, CLOCK_MONOTONIC, 0, FPM_TIMER_ACCURACY_US,
                          on_settle, ls) < 0 ||
        sd_event_add_time(s->event, &ls->hold, CLOCK_MONOTONIC, 0, FPM_TIMER_ACCURACY_US, on_hold,
                          ls) < 0) {
        ls->lfd = -1;
        listener_destroy(ls);
        return NULL;
    }
    sd_event_source_set_enabled(ls->settle, SD_EVENT_OFF);
    sd_event_source_set_enabled(ls->hold, SD_EVENT_OFF);
    return ls;
}

void
fpm_server_destroy(struct fpm_server *s)
{
    if (!s) {
        return;
    }
    for (size_t i = 0; i < s->n; i++) {
        listener_destroy(s->listeners[i]);
    }
    free(s->listeners);
    sd_event_unref(s->event);
    free(s);
}
