/* SPDX-License-Identifier: Apache-2.0 */
/* The IKE side of a pair (ike_ha.h). */
#include "vpn/ike_ha.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/event_timer.h"
#include "lib/log.h"
#include "routing/compartment.h"

/* What the daemon should be told of its role. */
enum ike_ha_role {
    IKE_HA_ROLE_UNKNOWN, /* Nothing said yet: the plugin starts with no segment active. */
    IKE_HA_ROLE_PASSIVE, /* "-1": hand segment 1 over. */
    IKE_HA_ROLE_ACTIVE,  /* "+1": take it. */
};

struct ike_ha {
    int fd;                              /* The relay socket, in the compartment. */
    sd_event *event;                     /* The loop (a reference). */
    sd_event_source *io;                 /* I/O source of 'fd' (owned). */
    sd_event_source *retry;              /* Timer: the next try of a pending command, or NULL. */
    ike_ha_forward_fn *forward;          /* Where the daemon's messages go, or NULL. */
    ike_ha_ready_fn *ready;              /* Told when a daemon is ready, or NULL. */
    void *peer_aux;                      /* For 'forward' and 'ready'. */
    struct sockaddr_in daemon;           /* The plugin's address, the only accepted source. */
    enum ike_ha_role role;               /* What the daemon should be. */
    bool role_written;                   /* The daemon read it (this run of the daemon). */
    bool resync_pending;                 /* A resync waits to be written. */
    bool daemon_up;                      /* The daemon runs: commands can be written. */
    uint64_t counter[IKE_HA_N_COUNTERS]; /* Indexed by enum ike_ha_counter. */
};

static const char *fifo_path = IKE_HA_FIFO; /* Tests may point it elsewhere. */

void
ike_ha_write_conf(FILE *f)
{
    /* monitor = no: the plugin's heartbeat would elect on its own and could disagree with the
     * cluster's VRRP; the FIFO carries the election's outcome instead. No secret: the plugin's
     * own protection needs kernel IPsec between the nodes; the sync channel seals its messages. */
    fprintf(f, "    ha {\n"
               "      local = " IKE_HA_DAEMON_ADDR "\n"
               "      remote = " IKE_HA_RELAY_ADDR "\n"
               "      segment_count = 1\n"
               "      monitor = no\n"
               "      resync = yes\n"
               "      fifo_interface = yes\n"
               "    }\n");
}

/* Writes 'cmd' to the plugin's FIFO, one command per open (the plugin reads once per open).
 * Returns 0, or EAGAIN when no one reads it now. */
static int
write_command(struct ike_ha *h, const char *cmd)
{
    struct stat st;
    ssize_t n;
    int fd = open(fifo_path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0) {
        return errno == ENXIO || errno == ENOENT ? EAGAIN : errno;
    }
    if (fstat(fd, &st) || !S_ISFIFO(st.st_mode)) {
        close(fd);
        return EAGAIN; /* The plugin replaces what is not a FIFO. */
    }
    n = write(fd, cmd, strlen(cmd));
    close(fd);
    if (n != (ssize_t)strlen(cmd)) {
        return EAGAIN;
    }
    h->counter[IKE_HA_commands]++;
    log_info("vpn: IKE HA: told the IKE daemon \"%s\"", cmd);
    return 0;
}

static int on_retry(sd_event_source *src, uint64_t usec, void *h_);

/* Arms the retry timer. */
static void
retry_later(struct ike_ha *h)
{
    int ret = event_timer_in(h->event, &h->retry, IKE_HA_RETRY_MS * 1000, 1000, on_retry, h);

    if (ret < 0) {
        log_err("vpn: IKE HA: cannot schedule a command: %s", strerror(-ret));
    }
}

/* Writes what is pending: the role first, then a resync, each in its own open (a second write
 * on the same open would be read as one command). */
static void
run_commands(struct ike_ha *h)
{
    int ret;

    if (!h->daemon_up) {
        return;
    }
    if (h->role != IKE_HA_ROLE_UNKNOWN && !h->role_written) {
        ret = write_command(h, h->role == IKE_HA_ROLE_ACTIVE ? "+1" : "-1");
        if (ret) {
            h->counter[IKE_HA_command_retries]++;
            retry_later(h);
            return;
        }
        h->role_written = true;
        if (h->resync_pending) {
            retry_later(h); /* The plugin reopens its FIFO between two commands. */
        }
        return;
    }
    if (h->resync_pending) {
        ret = write_command(h, "*1");
        if (ret) {
            h->counter[IKE_HA_command_retries]++;
            retry_later(h);
            return;
        }
        h->resync_pending = false;
    }
}

/* Timer: a pending command is tried again. */
static int
on_retry(sd_event_source *src, uint64_t usec, void *h_)
{
    (void)src;
    (void)usec;
    run_commands(h_);
    return 0;
}

/* I/O source of the relay socket: the daemon's messages go to the peer. */
static int
on_relay(sd_event_source *src, int fd, uint32_t revents, void *h_)
{
    struct ike_ha *h = h_;
    uint8_t buf[IKE_HA_MSG_MAX + 1];

    (void)src;
    (void)revents;
    for (;;) {
        struct sockaddr_in from;
        socklen_t fromlen = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_TRUNC, (struct sockaddr *)&from, &fromlen);

        if (n < 0) {
            break;
        }
        if (fromlen != sizeof from || from.sin_family != AF_INET ||
            from.sin_addr.s_addr != h->daemon.sin_addr.s_addr ||
            from.sin_port != h->daemon.sin_port) {
            h->counter[IKE_HA_wrong_source]++;
            continue;
        }
        h->counter[IKE_HA_from_daemon]++;
        if ((size_t)n > IKE_HA_MSG_MAX) {
            h->counter[IKE_HA_too_big]++;
            h->counter[IKE_HA_to_peer_refused]++;
            continue;
        }
        if (!h->forward || h->forward(h->peer_aux, buf, (size_t)n)) {
            h->counter[IKE_HA_to_peer_refused]++;
        }
    }
    return 0;
}

int
ike_ha_create(const char *netns_path, sd_event *event, struct ike_ha **out, char *err)
{
    struct ike_ha *h = calloc(1, sizeof *h);
    struct sockaddr_in relay = {.sin_family = AF_INET, .sin_port = htons(IKE_HA_PORT)};
    int ret;

    *out = NULL;
    if (!h) {
        snprintf(err, 256, "IKE HA: out of memory");
        return ENOMEM;
    }
    h->fd = -1;
    h->daemon.sin_family = AF_INET;
    h->daemon.sin_port = htons(IKE_HA_PORT);
    inet_pton(AF_INET, IKE_HA_DAEMON_ADDR, &h->daemon.sin_addr);
    inet_pton(AF_INET, IKE_HA_RELAY_ADDR, &relay.sin_addr);
    ret = compartment_socket(netns_path, SOCK_DGRAM, (const struct sockaddr *)&relay, sizeof relay,
                             &h->fd, err);
    if (ret) {
        free(h);
        return ret;
    }
    h->event = sd_event_ref(event);
    ret = sd_event_add_io(event, &h->io, h->fd, EPOLLIN, on_relay, h);
    if (ret < 0) {
        snprintf(err, 256, "IKE HA: relay socket: %s", strerror(-ret));
        ike_ha_destroy(h);
        return -ret;
    }
    *out = h;
    return 0;
}

void
ike_ha_destroy(struct ike_ha *h)
{
    if (!h) {
        return;
    }
    sd_event_source_disable_unref(h->io);
    sd_event_source_disable_unref(h->retry);
    if (h->fd >= 0) {
        close(h->fd);
    }
    sd_event_unref(h->event);
    free(h);
}

void
ike_ha_set_peer(struct ike_ha *h, ike_ha_forward_fn *forward, ike_ha_ready_fn *ready, void *aux)
{
    h->forward = forward;
    h->ready = ready;
    h->peer_aux = aux;
}

int
ike_ha_deliver(struct ike_ha *h, const void *msg, size_t len)
{
    h->counter[IKE_HA_from_peer]++;
    if (len > IKE_HA_MSG_MAX) {
        h->counter[IKE_HA_too_big]++;
        return EMSGSIZE;
    }
    if (sendto(h->fd, msg, len, 0, (const struct sockaddr *)&h->daemon, sizeof h->daemon) < 0) {
        h->counter[IKE_HA_to_daemon_errors]++;
        return errno;
    }
    return 0;
}

void
ike_ha_set_active(struct ike_ha *h, bool active)
{
    enum ike_ha_role role = active ? IKE_HA_ROLE_ACTIVE : IKE_HA_ROLE_PASSIVE;

    if (h->role != role) {
        h->role = role;
        h->role_written = false;
    }
    run_commands(h);
}

void
ike_ha_resync(struct ike_ha *h)
{
    h->resync_pending = true;
    run_commands(h);
}

void
ike_ha_daemon_up(struct ike_ha *h, bool up)
{
    h->daemon_up = up;
    h->role_written = false; /* A new daemon starts with no segment: tell it again. */
    if (!up) {
        h->resync_pending = false;
        if (h->retry) {
            sd_event_source_set_enabled(h->retry, SD_EVENT_OFF);
        }
    }
    run_commands(h);
    if (up && h->ready) {
        h->ready(h->peer_aux);
    }
}

uint64_t
ike_ha_counter(const struct ike_ha *h, enum ike_ha_counter c)
{
    return h->counter[c];
}

void
ike_ha_counters(const struct ike_ha *h, void (*fn)(void *aux, const char *name, uint64_t v),
                void *aux)
{
#define IKE_HA_CALL_(name, help) fn(aux, #name, h->counter[IKE_HA_##name]);
    IKE_HA_COUNTER_LIST(IKE_HA_CALL_)
#undef IKE_HA_CALL_
}

void
ike_ha_test_set_fifo(const char *path)
{
    fifo_path = path;
}
