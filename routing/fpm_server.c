/* FPM listeners per tenant compartment (see fpm_server.h). */
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
#include <sys/socket.h>

#define FPM_READ_CHUNK 65536

/* One tenant's listener and its connection. */
struct listener {
    struct fpm_listener_info info; /* Counters and identity. */
    int lfd;                       /* Listening socket. */
    int cfd;                       /* Connection, or -1. */
    struct fpm_decoder dec;        /* Decoder of the connection's stream. */
    uint32_t gen;                  /* Generation the current replay renews. */
    bool sweep_pending;            /* A replay's sweep is due once the stream settles. */
    uint64_t last_frame_ms;        /* When the last bytes arrived. */
    uint64_t lost_ms;              /* When the connection went away, 0 if not lost. */
};

struct fpm_server {
    struct learned *learned;     /* Where routes go. */
    unsigned settle_ms;          /* Quiet time before a replay's sweep. */
    unsigned hold_ms;            /* How long a vanished zebra's routes are kept. */
    struct listener *listeners;  /* Owned array. */
    size_t n;                    /* Entries. */
    uint8_t buf[FPM_READ_CHUNK]; /* Read buffer. */
};

static uint64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct fpm_server *
fpm_server_create(struct learned *learned, unsigned settle_ms, unsigned hold_ms)
{
    struct fpm_server *s = calloc(1, sizeof *s);

    if (s) {
        s->learned = learned;
        s->settle_ms = settle_ms;
        s->hold_ms = hold_ms;
    }
    return s;
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

int
fpm_server_listen(struct fpm_server *s, uint16_t tenant, const char *netns_path, uint16_t port,
                  uint16_t *bound, char *err)
{
    struct listener *ls, *grown;
    int self = -1, target = -1, fd;
    uint16_t got = 0;

    if (netns_path) {
        self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        target = open(netns_path, O_RDONLY | O_CLOEXEC);
        if (self < 0 || target < 0 || setns(target, CLONE_NEWNET) < 0) {
            int e = errno;
            snprintf(err, 256, "cannot enter network namespace %s: %s", netns_path, strerror(e));
            if (self >= 0) {
                close(self);
            }
            if (target >= 0) {
                close(target);
            }
            return e;
        }
    }
    fd = open_listener(port, &got);
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
        snprintf(err, 256, "cannot listen on 127.0.0.1:%u for tenant %u: %s", port, tenant,
                 strerror(-fd));
        return -fd;
    }
    grown = realloc(s->listeners, (s->n + 1) * sizeof *grown);
    if (!grown) {
        close(fd);
        snprintf(err, 256, "out of memory");
        return ENOMEM;
    }
    s->listeners = grown;
    ls = &s->listeners[s->n++];
    memset(ls, 0, sizeof *ls);
    ls->info.tenant = tenant;
    ls->info.port = got;
    ls->lfd = fd;
    ls->cfd = -1;
    fpm_decoder_init(&ls->dec);
    if (bound) {
        *bound = got;
    }
    return 0;
}

static void
on_frame(const struct fpm_route *ops, size_t n, void *aux)
{
    struct fpm_server *s = ((void **)aux)[0];
    struct listener *ls = ((void **)aux)[1];

    learned_apply(s->learned, ls->info.tenant, ops, n);
}

/* Ends the connection of 'ls'; 'bad' when the stream could not be trusted. */
static void
drop_connection(struct listener *ls, bool bad)
{
    close(ls->cfd);
    ls->cfd = -1;
    ls->info.connected = false;
    ls->info.closed_bad += bad;
    ls->lost_ms = now_ms();
}

static void
sweep(struct fpm_server *s, struct listener *ls, uint32_t gen)
{
    ls->info.sweeps++;
    ls->info.swept += learned_sweep(s->learned, ls->info.tenant, gen);
}

static void
serve(struct fpm_server *s, struct listener *ls)
{
    int fd = accept4(ls->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    void *aux[2] = {s, ls};

    if (fd >= 0) {
        if (ls->cfd >= 0) {
            drop_connection(ls, false); /* zebra restarted: the new connection wins. */
        }
        ls->cfd = fd;
        ls->info.connected = true;
        ls->info.connects++;
        fpm_decoder_init(&ls->dec);
        ls->gen = learned_replay_begin(s->learned, ls->info.tenant);
        ls->sweep_pending = true;
        ls->last_frame_ms = now_ms();
        ls->lost_ms = 0;
    }
    while (ls->cfd >= 0) {
        ssize_t n = read(ls->cfd, s->buf, sizeof s->buf);

        if (n > 0) {
            uint64_t frames = ls->dec.stats.frames, refused = ls->dec.stats.frames_refused;
            int ret = fpm_decoder_feed(&ls->dec, s->buf, (size_t)n, on_frame, aux);

            ls->info.frames_total += ls->dec.stats.frames - frames;
            ls->info.refused_total += ls->dec.stats.frames_refused - refused;
            ls->last_frame_ms = now_ms();
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
}

void
fpm_server_poll(struct fpm_server *s)
{
    uint64_t now = now_ms();

    for (size_t i = 0; i < s->n; i++) {
        struct listener *ls = &s->listeners[i];

        serve(s, ls);
        if (ls->sweep_pending && ls->cfd >= 0 && now - ls->last_frame_ms >= s->settle_ms) {
            ls->sweep_pending = false;
            sweep(s, ls, ls->gen);
        }
        if (ls->cfd < 0 && ls->lost_ms && now - ls->lost_ms >= s->hold_ms) {
            ls->lost_ms = 0;
            ls->sweep_pending = false;
            sweep(s, ls, learned_replay_begin(s->learned, ls->info.tenant));
        }
    }
}

size_t
fpm_server_listeners(const struct fpm_server *s, struct fpm_listener_info *out, size_t max)
{
    for (size_t i = 0; i < s->n && i < max; i++) {
        out[i] = s->listeners[i].info;
    }
    return s->n;
}

void
fpm_server_destroy(struct fpm_server *s)
{
    if (!s) {
        return;
    }
    for (size_t i = 0; i < s->n; i++) {
        if (s->listeners[i].cfd >= 0) {
            close(s->listeners[i].cfd);
        }
        close(s->listeners[i].lfd);
        fpm_decoder_destroy(&s->listeners[i].dec);
    }
    free(s->listeners);
    free(s);
}
