/* The control socket: see ctl.h for the protocol. A small poll(2) server on the control thread;
 * every client has a bounded input buffer and an output buffer flushed as the socket allows. */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define CTL_MAX_CLIENTS 64
#define CTL_MAX_REQUEST (64 * 1024)
#define CTL_MAX_COMMANDS 64

/* A registered command. */
struct ctl_command {
    const char *cmd;   /* Its words, e.g. "show ports". */
    const char *help;  /* One line of help. */
    ctl_handler_fn *fn; /* Handler. */
    void *aux;         /* Handler argument. */
};

/* A connected client. */
struct ctl_client {
    int fd;          /* Socket, -1 when the slot is free. */
    char *in;        /* Bytes received and not yet handled. */
    size_t in_len;   /* Bytes in 'in'. */
    char *out;       /* Reply bytes not yet sent. */
    size_t out_len;  /* Bytes in 'out'. */
    size_t out_off;  /* Bytes of 'out' already sent. */
    bool closing;    /* Close once 'out' is flushed. */
};

struct ctl_server {
    int fd;                                      /* Listening socket. */
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* Its path, removed on destroy. */
    struct ctl_command cmds[CTL_MAX_COMMANDS];   /* Registered commands. */
    size_t n_cmds;                               /* Entries in cmds. */
    struct ctl_client clients[CTL_MAX_CLIENTS];  /* Connections. */
};

static int
make_dirs(const char *path)
{
    char buf[256];
    char *slash;

    snprintf(buf, sizeof buf, "%s", path);
    slash = strrchr(buf, '/');
    if (!slash || slash == buf) {
        return 0;
    }
    *slash = '\0';
    for (char *p = buf + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(buf, 0700);
            *p = '/';
        }
    }
    if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
        return errno;
    }
    return 0;
}

int
ctl_server_open(const char *path, struct ctl_server **out)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct ctl_server *srv;
    mode_t old;
    int ret;

    *out = NULL;
    if (strlen(path) >= sizeof sa.sun_path) {
        return ENAMETOOLONG;
    }
    ret = make_dirs(path);
    if (ret) {
        return ret;
    }
    srv = calloc(1, sizeof *srv);
    if (!srv) {
        return ENOMEM;
    }
    for (size_t i = 0; i < CTL_MAX_CLIENTS; i++) {
        srv->clients[i].fd = -1;
    }
    snprintf(srv->path, sizeof srv->path, "%s", path);
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    srv->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (srv->fd < 0) {
        ret = errno;
        free(srv);
        return ret;
    }
    unlink(path);
    old = umask(0177); /* The socket is created 0600: only root talks to the gateway. */
    ret = bind(srv->fd, (struct sockaddr *)&sa, sizeof sa) == 0 ? 0 : errno;
    umask(old);
    if (!ret && listen(srv->fd, 16) != 0) {
        ret = errno;
    }
    if (ret) {
        close(srv->fd);
        free(srv);
        return ret;
    }
    *out = srv;
    return 0;
}

void
ctl_server_register(struct ctl_server *srv, const char *cmd, const char *help, ctl_handler_fn *fn,
                    void *aux)
{
    for (size_t i = 0; i < srv->n_cmds; i++) {
        if (!strcmp(srv->cmds[i].cmd, cmd)) {
            srv->cmds[i] = (struct ctl_command){cmd, help, fn, aux};
            return;
        }
    }
    if (srv->n_cmds < CTL_MAX_COMMANDS) {
        srv->cmds[srv->n_cmds++] = (struct ctl_command){cmd, help, fn, aux};
    }
}

int
ctl_server_fd(const struct ctl_server *srv)
{
    return srv->fd;
}

static void
client_close(struct ctl_client *c)
{
    if (c->fd >= 0) {
        close(c->fd);
    }
    free(c->in);
    free(c->out);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

/* Appends a reply object as one line to the client's output, then frees it. */
static void
client_reply(struct ctl_client *c, json_t *reply)
{
    char *s = json_dumps(reply, JSON_COMPACT);
    size_t n = s ? strlen(s) : 0;
    char *grown;

    json_decref(reply);
    if (!s) {
        c->closing = true;
        return;
    }
    grown = realloc(c->out, c->out_len + n + 1);
    if (!grown) {
        free(s);
        c->closing = true;
        return;
    }
    c->out = grown;
    memcpy(c->out + c->out_len, s, n);
    c->out[c->out_len + n] = '\n';
    c->out_len += n + 1;
    free(s);
}

static json_t *
error_reply(const char *msg)
{
    return json_pack("{s:b, s:s}", "ok", 0, "error", msg);
}

static int
help_handler(struct ctl_server *srv, json_t **result)
{
    json_t *arr = json_array();

    json_array_append_new(arr, json_pack("{s:s, s:s}", "command", "help", "help",
                                         "the commands this daemon understands"));
    for (size_t i = 0; i < srv->n_cmds; i++) {
        json_array_append_new(arr, json_pack("{s:s, s:s}", "command", srv->cmds[i].cmd, "help",
                                             srv->cmds[i].help));
    }
    *result = arr;
    return 0;
}

/* Handles one request line (NUL-terminated) and queues its reply. */
static void
handle_line(struct ctl_server *srv, struct ctl_client *c, const char *line)
{
    json_error_t jerr;
    json_t *req = json_loads(line, 0, &jerr), *args, *cmd, *result = NULL;
    const char *key;
    json_t *val;
    char err[CTL_ERR_MAX], msg[CTL_ERR_MAX + 64];
    int ret;

    if (!req || !json_is_object(req)) {
        snprintf(msg, sizeof msg, "malformed request: %s", req ? "not an object" : jerr.text);
        json_decref(req);
        client_reply(c, error_reply(msg));
        return;
    }
    cmd = json_object_get(req, "cmd");
    args = json_object_get(req, "args");
    if (!json_is_string(cmd)) {
        client_reply(c, error_reply("malformed request: \"cmd\" must be a string"));
        json_decref(req);
        return;
    }
    if (args && !json_is_object(args)) {
        client_reply(c, error_reply("malformed request: \"args\" must be an object"));
        json_decref(req);
        return;
    }
    json_object_foreach(args, key, val)
    {
        if (!json_is_string(val)) {
            snprintf(msg, sizeof msg, "malformed request: argument '%s' must be a string", key);
            client_reply(c, error_reply(msg));
            json_decref(req);
            return;
        }
    }
    if (!args) {
        args = json_object();
        json_object_set_new(req, "args", args);
    }
    err[0] = '\0';
    if (!strcmp(json_string_value(cmd), "help")) {
        ret = help_handler(srv, &result);
    } else {
        size_t i;
        for (i = 0; i < srv->n_cmds && strcmp(srv->cmds[i].cmd, json_string_value(cmd)); i++) {
        }
        if (i == srv->n_cmds) {
            snprintf(msg, sizeof msg, "unknown command '%.200s'; try 'help'", json_string_value(cmd));
            client_reply(c, error_reply(msg));
            json_decref(req);
            return;
        }
        ret = srv->cmds[i].fn(args, &result, err, srv->cmds[i].aux);
    }
    if (ret) {
        json_decref(result);
        client_reply(c, error_reply(err[0] ? err : strerror(ret)));
    } else {
        client_reply(c, json_pack("{s:b, s:o}", "ok", 1, "result", result ? result : json_null()));
    }
    json_decref(req);
}

/* Reads what the client sent and answers every complete line. */
static void
client_read(struct ctl_server *srv, struct ctl_client *c)
{
    char buf[4096];
    ssize_t n = recv(c->fd, buf, sizeof buf, 0);
    char *nl;

    if (n <= 0) {
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
            c->closing = true;
            c->in_len = 0;
        }
        return;
    }
    if (c->in_len + (size_t)n > CTL_MAX_REQUEST) {
        client_reply(c, error_reply("request too large"));
        c->closing = true;
        return;
    }
    char *grown = realloc(c->in, c->in_len + (size_t)n + 1);
    if (!grown) {
        c->closing = true;
        return;
    }
    c->in = grown;
    memcpy(c->in + c->in_len, buf, (size_t)n);
    c->in_len += (size_t)n;
    c->in[c->in_len] = '\0';
    while ((nl = memchr(c->in, '\n', c->in_len)) != NULL) {
        size_t used = (size_t)(nl - c->in) + 1;
        *nl = '\0';
        if (nl > c->in) {
            handle_line(srv, c, c->in);
        }
        memmove(c->in, c->in + used, c->in_len - used);
        c->in_len -= used;
        c->in[c->in_len] = '\0';
    }
}

static void
client_flush(struct ctl_client *c)
{
    while (c->out_off < c->out_len) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno != EAGAIN && errno != EINTR) {
                c->closing = true;
                c->out_off = c->out_len;
            }
            return;
        }
        c->out_off += (size_t)n;
    }
    free(c->out);
    c->out = NULL;
    c->out_len = c->out_off = 0;
}

int
ctl_server_poll(struct ctl_server *srv, int timeout_ms)
{
    struct pollfd pfd[CTL_MAX_CLIENTS + 1];
    int idx[CTL_MAX_CLIENTS + 1];
    nfds_t n = 0;

    pfd[n] = (struct pollfd){.fd = srv->fd, .events = POLLIN};
    idx[n++] = -1;
    for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
        struct ctl_client *c = &srv->clients[i];
        if (c->fd >= 0) {
            pfd[n] = (struct pollfd){.fd = c->fd, .events = POLLIN | (c->out_len ? POLLOUT : 0)};
            idx[n++] = i;
        }
    }
    if (poll(pfd, n, timeout_ms) < 0) {
        return errno == EINTR ? 0 : errno;
    }
    for (nfds_t k = 1; k < n; k++) {
        struct ctl_client *c = &srv->clients[idx[k]];
        if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) {
            client_read(srv, c);
        }
        client_flush(c);
        if (c->closing && !c->out_len) {
            client_close(c);
        }
    }
    if (pfd[0].revents & POLLIN) {
        int fd;
        while ((fd = accept4(srv->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
            int i;
            for (i = 0; i < CTL_MAX_CLIENTS && srv->clients[i].fd >= 0; i++) {
            }
            if (i == CTL_MAX_CLIENTS) {
                close(fd); /* Too many clients: the newest waits for a free slot. */
                break;
            }
            srv->clients[i].fd = fd;
        }
    }
    return 0;
}

void
ctl_server_destroy(struct ctl_server *srv)
{
    if (!srv) {
        return;
    }
    for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
        if (srv->clients[i].fd >= 0) {
            client_close(&srv->clients[i]);
        }
    }
    close(srv->fd);
    unlink(srv->path);
    free(srv);
}

int
ctl_client_call(const char *path, const char *cmd, json_t *args, json_t **reply)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    json_t *req = json_pack("{s:s, s:O}", "cmd", cmd, "args", args ? args : json_object());
    char *line = req ? json_dumps(req, JSON_COMPACT) : NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    int fd, ret = 0;

    json_decref(req);
    *reply = NULL;
    if (!line) {
        return ENOMEM;
    }
    if (strlen(path) >= sizeof sa.sun_path) {
        free(line);
        return ENAMETOOLONG;
    }
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        ret = errno;
        goto out;
    }
    size_t n = strlen(line);
    line[n] = '\n';
    for (size_t off = 0; off <= n;) {
        ssize_t w = send(fd, line + off, n + 1 - off, MSG_NOSIGNAL);
        if (w < 0) {
            ret = errno;
            goto out;
        }
        off += (size_t)w;
    }
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 65536;
            char *grown = realloc(buf, cap);
            if (!grown) {
                ret = ENOMEM;
                goto out;
            }
            buf = grown;
        }
        ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
        if (r <= 0) {
            ret = r == 0 ? EPROTO : errno;
            goto out;
        }
        len += (size_t)r;
        if (memchr(buf + len - r, '\n', (size_t)r)) {
            break;
        }
    }
    buf[len] = '\0';
    *reply = json_loads(buf, JSON_DISABLE_EOF_CHECK, NULL);
    if (!*reply) {
        ret = EPROTO;
    }
out:
    if (fd >= 0) {
        close(fd);
    }
    free(line);
    free(buf);
    return ret;
}
