/* SPDX-License-Identifier: Apache-2.0 */
/* The IKE daemon's end of the kipsec socket (see kipsec_client.h). */
#include "vpn/iked/kipsec_client.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

struct kipsec_client {
    char path[108];        /* hnvgwd's socket. */
    int fd;                /* The connection, -1 when broken. */
    uint32_t seq;          /* Last sequence number used. */
    pthread_mutex_t mutex; /* One request at a time. */
};

/* One request and its answer on the open connection. */
static int
exchange(struct kipsec_client *c, struct kipsec_request *req, struct kipsec_reply *rep)
{
    ssize_t n;

    req->version = KIPSEC_VERSION;
    req->seq = ++c->seq;
    if (send(c->fd, req, sizeof *req, MSG_NOSIGNAL) != (ssize_t)sizeof *req) {
        return errno ? errno : EIO;
    }
    do {
        n = recv(c->fd, rep, sizeof *rep, 0);
    } while (n < 0 && errno == EINTR);
    if (n != (ssize_t)sizeof *rep || rep->seq != req->seq || rep->version != KIPSEC_VERSION) {
        return n < 0 ? errno : EPROTO;
    }
    return 0;
}

/* (Re)connects and says HELLO. */
static int
connect_hello(struct kipsec_client *c)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    struct kipsec_request req;
    struct kipsec_reply rep;
    struct timeval tv = {.tv_sec = 10};

    if (c->fd >= 0) {
        close(c->fd);
    }
    c->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        return errno;
    }
    /* hnvgwd answers from its main loop within milliseconds; never hang charon's threads. */
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    snprintf(sun.sun_path, sizeof sun.sun_path, "%s", c->path);
    if (connect(c->fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
        int e = errno;
        close(c->fd);
        c->fd = -1;
        return e;
    }
    memset(&req, 0, sizeof req);
    req.op = KIPSEC_HELLO;
    if (exchange(c, &req, &rep) || rep.err) {
        close(c->fd);
        c->fd = -1;
        return EPROTO;
    }
    return 0;
}

struct kipsec_client *
kipsec_client_open(const char *path, unsigned wait_s)
{
    struct kipsec_client *c = calloc(1, sizeof *c);
    int ret = 0;

    if (!c) {
        return NULL;
    }
    c->fd = -1;
    snprintf(c->path, sizeof c->path, "%s", path);
    pthread_mutex_init(&c->mutex, NULL);
    for (unsigned i = 0; i <= wait_s * 10; i++) {
        ret = connect_hello(c);
        if (!ret) {
            return c;
        }
        struct timespec ts = {.tv_nsec = 100000000};
        nanosleep(&ts, NULL);
    }
    kipsec_client_close(c);
    errno = ret;
    return NULL;
}

int
kipsec_client_call(struct kipsec_client *c, struct kipsec_request *req, struct kipsec_reply *rep)
{
    int ret;

    pthread_mutex_lock(&c->mutex);
    ret = c->fd >= 0 ? exchange(c, req, rep) : ENOTCONN;
    if (ret && ret != EPROTO) {
        /* hnvgwd restarted: a new connection (its HELLO forgets the old SAs), then once more. */
        ret = connect_hello(c);
        if (!ret) {
            ret = exchange(c, req, rep);
        }
    }
    pthread_mutex_unlock(&c->mutex);
    return ret;
}

void
kipsec_client_close(struct kipsec_client *c)
{
    if (!c) {
        return;
    }
    if (c->fd >= 0) {
        close(c->fd);
    }
    pthread_mutex_destroy(&c->mutex);
    free(c);
}
