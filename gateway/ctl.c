/* SPDX-License-Identifier: Apache-2.0 */
/* The control socket server and client. See ctl.h for the wire protocol.
 *
 * The server is single-threaded and never blocks: the listener and every client are non-blocking
 * I/O sources of the control thread's sd-event loop, and each client has a timer source for its
 * timeout. A client's I/O source waits for EPOLLOUT while it has output to send, else for EPOLLIN.
 * Each connection has a bounded input buffer
 * (one request line may be at most CTL_MAX_REQUEST bytes, newline included) and an unbounded output
 * buffer that is flushed as the peer reads, so that a large result (say a million lookup records)
 * never stalls the control thread. While a connection has unsent output, no more of its input is
 * read or answered: a client that pipelines requests without reading its replies only holds its
 * own buffers. A connection that makes no progress for too long is closed. */
#include "gateway/ctl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include "lib/log.h"
#include "lib/clock.h"

/* Connections served at once; more are refused with an error reply. */
#define CTL_MAX_CLIENTS 64
/* Bytes of one request line, newline included. */
#define CTL_MAX_REQUEST (64 * 1024)
/* First size of a connection's input buffer; it doubles up to CTL_MAX_REQUEST. */
#define CTL_IN_MIN 4096
/* A connection with nothing to send and no complete request is closed after this long idle. */
#define CTL_IDLE_TIMEOUT_MS 60000
/* A connection whose peer does not read its reply for this long is closed. */
#define CTL_SEND_TIMEOUT_MS 10000
/* An output buffer larger than this is freed once flushed rather than kept for the next reply. */
#define CTL_OUT_KEEP (64 * 1024)
/* Connections accepted per wake-up of the listener, so that a flood cannot starve the others. */
#define CTL_ACCEPT_BURST 16
/* A listener out of descriptors rests this long before it accepts again. */
#define CTL_ACCEPT_RETRY_MS 100
/* How late a timeout may fire, so that the loop can batch wake-ups. */
#define CTL_TIMER_ACCURACY_US (100 * 1000)
/* The client gives up when the server sends nothing for this long. */
#define CTL_CLIENT_TIMEOUT_S 60
/* The largest reply the client accepts. */
#define CTL_CLIENT_MAX_REPLY ((size_t)1 << 30)

/* One registered command. */
struct ctl_command {
    const char *cmd;    /* Command words joined by single spaces (borrowed from the caller). */
    const char *help;   /* One line of help (borrowed from the caller). */
    ctl_handler_fn *fn; /* The handler. */
    void *aux;          /* Passed to 'fn' as is. */
};

/* One client connection. */
struct ctl_conn {
    struct ctl_server *srv; /* Its server. */
    int fd;                 /* Non-blocking connected socket. */
    sd_event_source *io;    /* I/O source of 'fd' (owned). */
    sd_event_source *timer; /* Fires at the connection's deadline (owned). */
    char *in;               /* Received bytes not yet answered (owned). */
    size_t in_len;          /* Bytes used in 'in'. */
    size_t in_cap;          /* Bytes allocated for 'in', at most CTL_MAX_REQUEST. */
    char *out;              /* Reply bytes to send (owned). */
    size_t out_len;         /* Bytes used in 'out'. */
    size_t out_ofs;         /* Bytes of 'out' already sent. */
    size_t out_cap;         /* Bytes allocated for 'out'. */
    bool eof;               /* The peer will send nothing more. */
    bool closing;    /* Close once 'out' is flushed (after a protocol error or the last request). */
    int64_t last_ms; /* Monotonic time of the last progress (bytes in or out, a new request). */
};

/* The server. */
struct ctl_server {
    int fd;                                  /* Listening socket, non-blocking. */
    sd_event *event;                         /* The loop it is served from (a reference). */
    sd_event_source *listen_src;             /* I/O source of 'fd' (owned). */
    sd_event_source *retry_src;              /* Re-enables 'listen_src' after a pause, or NULL. */
    char *path;                              /* Socket file path (owned). */
    dev_t dev;                               /* Device of the socket file we bound. */
    ino_t ino;                               /* Inode of the socket file we bound. */
    struct ctl_conn *conns[CTL_MAX_CLIENTS]; /* Open connections (owned), 'n_conns' of them. */
    size_t n_conns;                          /* Entries used in 'conns'. */
    struct ctl_command *cmds;                /* Commands sorted by name (owned array). */
    size_t n_cmds;                           /* Entries used in 'cmds'. */
    size_t cmds_cap;                         /* Entries allocated for 'cmds'. */
};

/* Fills '*sun' for 'path'. Returns 0, or ENAMETOOLONG/EINVAL when 'path' cannot be a socket path.
 */
static int
fill_sockaddr(const char *path, struct sockaddr_un *sun)
{
    if (!path || !*path) {
        return EINVAL;
    }
    memset(sun, 0, sizeof *sun);
    sun->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof sun->sun_path) {
        return ENAMETOOLONG;
    }
    strcpy(sun->sun_path, path);
    return 0;
}

/* ---- Server: set up and tear down. ---- */

/* Creates every missing directory above the file 'path', each with mode 0700. Existing directories
 * are left as they are. Returns 0 or a positive errno. */
static int
make_parent_dirs(const char *path)
{
    char *copy = strdup(path);
    char *slash;
    int ret = 0;

    if (!copy) {
        return ENOMEM;
    }
    slash = strrchr(copy, '/');
    if (!slash || slash == copy) {
        free(copy); /* Relative file in the current directory, or a file in '/'. */
        return 0;
    }
    *slash = '\0';
    for (char *p = copy + 1;; p++) {
        bool last = *p == '\0';
        struct stat st;

        if (*p != '/' && !last) {
            continue;
        }
        *p = '\0';
        if (mkdir(copy, 0700) == 0) {
            /* mkdir() applied the umask; the mode is 0700 whatever the umask was. */
            if (chmod(copy, 0700) < 0) {
                ret = errno;
                break;
            }
        } else if (errno != EEXIST) {
            ret = errno;
            break;
        } else if (stat(copy, &st) < 0) {
            ret = errno;
            break;
        } else if (!S_ISDIR(st.st_mode)) {
            ret = ENOTDIR;
            break;
        }
        if (last) {
            break;
        }
        *p = '/';
    }
    free(copy);
    return ret;
}

/* Removes a stale socket file at 'path', that is one nobody listens on. Returns 0 when 'path' is
 * now free, EADDRINUSE when a server answers there, EEXIST when 'path' is not a socket, or another
 * positive errno. */
static int
remove_stale_socket(const char *path, const struct sockaddr_un *sun)
{
    struct stat st;
    int fd, ret;

    if (lstat(path, &st) < 0) {
        return errno == ENOENT ? 0 : errno;
    }
    if (!S_ISSOCK(st.st_mode)) {
        return EEXIST;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return errno;
    }
    ret = connect(fd, (const struct sockaddr *)sun, sizeof *sun) == 0 ? EADDRINUSE : 0;
    close(fd);
    if (ret) {
        return ret;
    }
    if (unlink(path) < 0 && errno != ENOENT) {
        return errno;
    }
    return 0;
}

/* The built-in "help" command: an array of {"command", "help"} for every command, sorted by name.
 */
static int
help_handler(json_t *args, json_t **result, char *err, void *aux)
{
    const struct ctl_server *srv = aux;
    json_t *arr = json_array();

    (void)args;
    if (!arr) {
        snprintf(err, CTL_ERR_MAX, "out of memory");
        return ENOMEM;
    }
    for (size_t i = 0; i < srv->n_cmds; i++) {
        json_t *o = json_pack("{s:s, s:s}", "command", srv->cmds[i].cmd, "help",
                              srv->cmds[i].help ? srv->cmds[i].help : "");
        if (!o || json_array_append_new(arr, o) < 0) {
            json_decref(arr);
            snprintf(err, CTL_ERR_MAX, "out of memory");
            return ENOMEM;
        }
    }
    *result = arr;
    return 0;
}

static int on_listen(sd_event_source *src, int fd, uint32_t revents, void *srv_);

int
ctl_server_open(const char *path, sd_event *event, struct ctl_server **out)
{
    struct ctl_server *srv = NULL;
    struct sockaddr_un sun;
    struct stat st;
    mode_t old_umask;
    int fd = -1, ret;
    bool bound = false;

    *out = NULL;
    ret = fill_sockaddr(path, &sun);
    if (!ret) {
        ret = make_parent_dirs(path);
    }
    if (!ret) {
        ret = remove_stale_socket(path, &sun);
    }
    if (ret) {
        return ret;
    }

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return errno;
    }
    /* The socket file is created by bind(): with umask 0177 it is born 0600, never wider. */
    old_umask = umask(0177);
    if (bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
        ret = errno;
    }
    umask(old_umask);
    if (ret) {
        goto fail;
    }
    bound = true;
    if (chmod(path, 0600) < 0 || lstat(path, &st) < 0 || listen(fd, CTL_MAX_CLIENTS) < 0) {
        ret = errno;
        goto fail;
    }

    srv = calloc(1, sizeof *srv);
    if (!srv || !(srv->path = strdup(path))) {
        ret = ENOMEM;
        goto fail;
    }
    srv->fd = fd;
    srv->dev = st.st_dev;
    srv->ino = st.st_ino;
    ret = sd_event_add_io(event, &srv->listen_src, fd, EPOLLIN, on_listen, srv);
    if (ret < 0) {
        ret = -ret;
        goto fail;
    }
    ret = 0;
    srv->event = sd_event_ref(event);
    ctl_server_register(srv, "help", "list the commands", help_handler, srv);
    *out = srv;
    return 0;

fail:
    if (srv) {
        free(srv->path);
        free(srv);
    }
    if (bound) {
        unlink(path);
    }
    close(fd);
    return ret;
}

/* Aborts: a registration that cannot be stored is a programming or resource error at start-up. */
static void
out_of_memory(void)
{
    fprintf(stderr, "hnvgw: ctl: out of memory\n");
    abort();
}

void
ctl_server_register(struct ctl_server *srv, const char *cmd, const char *help, ctl_handler_fn *fn,
                    void *aux)
{
    size_t i;

    for (i = 0; i < srv->n_cmds; i++) {
        int cmp = strcmp(srv->cmds[i].cmd, cmd);
        if (cmp == 0) {
            srv->cmds[i] = (struct ctl_command){cmd, help, fn, aux};
            return;
        }
        if (cmp > 0) {
            break;
        }
    }
    if (srv->n_cmds == srv->cmds_cap) {
        size_t cap = srv->cmds_cap ? srv->cmds_cap * 2 : 16;
        struct ctl_command *c = realloc(srv->cmds, cap * sizeof *c);
        if (!c) {
            out_of_memory();
        }
        srv->cmds = c;
        srv->cmds_cap = cap;
    }
    memmove(&srv->cmds[i + 1], &srv->cmds[i], (srv->n_cmds - i) * sizeof *srv->cmds);
    srv->cmds[i] = (struct ctl_command){cmd, help, fn, aux};
    srv->n_cmds++;
}

/* Removes the event sources of 'c', closes it and frees it. Accepts NULL. */
static void
conn_destroy(struct ctl_conn *c)
{
    if (c) {
        sd_event_source_disable_unref(c->io);
        sd_event_source_disable_unref(c->timer);
        if (c->fd >= 0) {
            close(c->fd);
        }
        free(c->in);
        free(c->out);
        free(c);
    }
}

/* Removes 'c' from the connections of its server, keeping their order, and destroys it. */
static void
conn_close(struct ctl_conn *c)
{
    struct ctl_server *srv = c->srv;

    for (size_t i = 0; i < srv->n_conns; i++) {
        if (srv->conns[i] == c) {
            memmove(&srv->conns[i], &srv->conns[i + 1],
                    (srv->n_conns - i - 1) * sizeof *srv->conns);
            srv->n_conns--;
            break;
        }
    }
    conn_destroy(c);
}

void
ctl_server_destroy(struct ctl_server *srv)
{
    struct stat st;

    if (!srv) {
        return;
    }
    for (size_t i = 0; i < srv->n_conns; i++) {
        conn_destroy(srv->conns[i]);
    }
    sd_event_source_disable_unref(srv->listen_src);
    sd_event_source_disable_unref(srv->retry_src);
    sd_event_unref(srv->event);
    close(srv->fd);
    /* Remove the file only if it is still ours: a newer server may have replaced it. */
    if (lstat(srv->path, &st) == 0 && st.st_dev == srv->dev && st.st_ino == srv->ino) {
        unlink(srv->path);
    }
    free(srv->path);
    free(srv->cmds);
    free(srv);
}

/* ---- Server: replies. ---- */

/* Appends 'n' bytes at 'data' to the output of 'c'. Returns 0, or -1 when out of memory. Has the
 * signature of a json_dump_callback_t. */
static int
conn_append(const char *data, size_t n, void *c_)
{
    struct ctl_conn *c = c_;

    if (c->out_cap - c->out_len < n) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        char *p;

        while (cap - c->out_len < n) {
            if (cap > SIZE_MAX / 2) {
                return -1;
            }
            cap *= 2;
        }
        p = realloc(c->out, cap);
        if (!p) {
            return -1;
        }
        c->out = p;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, data, n);
    c->out_len += n;
    return 0;
}

/* Returns a new JSON string holding 'msg'. Bytes that would make it invalid UTF-8 (for instance a
 * multi-byte character cut by truncation) become '?'. Returns NULL only when out of memory. */
static json_t *
message_string(const char *msg)
{
    json_t *s = json_string(msg);
    char *copy;

    if (s || !(copy = strdup(msg))) {
        return s;
    }
    for (char *p = copy; *p; p++) {
        if ((unsigned char)*p >= 0x80) {
            *p = '?';
        }
    }
    s = json_string(copy);
    free(copy);
    return s;
}

/* Appends the encoding of 'reply' and a newline to the output of 'c'. Returns 0, or -1 (with the
 * output as it was) when 'reply' is NULL or cannot be encoded. */
static int
conn_append_json(struct ctl_conn *c, const json_t *reply)
{
    size_t mark = c->out_len;

    if (reply && json_dump_callback(reply, conn_append, c, JSON_COMPACT) == 0 &&
        conn_append("\n", 1, c) == 0) {
        return 0;
    }
    c->out_len = mark;
    return -1;
}

/* Appends 'reply' (reference stolen) and a newline to the output of 'c'. When 'reply' cannot be
 * encoded, appends an error reply instead; when even that fails, marks 'c' for closing. */
static void
conn_reply(struct ctl_conn *c, json_t *reply)
{
    if (conn_append_json(c, reply) < 0) {
        json_t *fallback = json_pack("{s:b, s:s}", "ok", 0, "error", "cannot encode the reply");

        if (conn_append_json(c, fallback) < 0) {
            c->closing = true;
        }
        json_decref(fallback);
    }
    json_decref(reply);
}

/* Appends the error reply {"ok": false, "error": 'msg'} to the output of 'c'. */
static void
conn_reply_error(struct ctl_conn *c, const char *msg)
{
    json_t *s = message_string(msg);

    conn_reply(c, s ? json_pack("{s:b, s:o}", "ok", 0, "error", s) : NULL);
}

/* Appends the error reply for a protocol violation and marks 'c' for closing once it is sent. */
static void
conn_reject(struct ctl_conn *c, const char *msg)
{
    conn_reply_error(c, msg);
    c->closing = true;
}

/* Copies 'cmd' with leading and trailing blanks removed and inner runs of blanks made one space.
 * Returns a new string, or NULL when out of memory. */
static char *
normalize_cmd(const char *cmd)
{
    char *norm = malloc(strlen(cmd) + 1);
    char *q = norm;

    if (!norm) {
        return NULL;
    }
    for (const char *p = cmd; *p; p++) {
        if (*p == ' ' || *p == '\t') {
            if (q != norm && q[-1] != ' ') {
                *q++ = ' ';
            }
        } else {
            *q++ = *p;
        }
    }
    if (q != norm && q[-1] == ' ') {
        q--;
    }
    *q = '\0';
    return norm;
}

/* Returns the command named 'cmd' in 'srv', or NULL. */
static const struct ctl_command *
find_command(const struct ctl_server *srv, const char *cmd)
{
    size_t lo = 0, hi = srv->n_cmds;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int cmp = strcmp(srv->cmds[mid].cmd, cmd);
        if (cmp == 0) {
            return &srv->cmds[mid];
        }
        if (cmp < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

/* Runs the command named 'cmd' with 'args' (borrowed) and appends its reply to 'c'. */
static void
run_command(struct ctl_server *srv, struct ctl_conn *c, const char *cmd, json_t *args)
{
    const struct ctl_command *command = find_command(srv, cmd);
    char err[CTL_ERR_MAX];
    json_t *result = NULL;
    int ret;

    if (!command) {
        snprintf(err, sizeof err, "unknown command '%s'; try 'help'", cmd);
        conn_reply_error(c, err);
        return;
    }
    err[0] = '\0';
    ret = command->fn(args, &result, err, command->aux);
    if (ret) {
        json_decref(result);
        err[CTL_ERR_MAX - 1] = '\0';
        if (!err[0]) {
            snprintf(err, sizeof err, "%s failed: %s", command->cmd,
                     strerror(ret < 0 ? -ret : ret));
        }
        conn_reply_error(c, err);
        return;
    }
    conn_reply(c, json_pack("{s:b, s:o}", "ok", 1, "result", result ? result : json_null()));
}

/* Answers the request 'line' of 'len' bytes (its newline removed). Blank lines are ignored. */
static void
handle_request(struct ctl_server *srv, struct ctl_conn *c, const char *line, size_t len)
{
    json_error_t jerr;
    json_t *req, *cmd, *args;
    const char *key;
    json_t *value;
    char *norm;
    size_t i;

    for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'); i++) {
        continue;
    }
    if (i == len) {
        return;
    }
    c->last_ms = (int64_t)hnvgw_now_ms();

    req = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!req) {
        char msg[CTL_ERR_MAX];
        snprintf(msg, sizeof msg, "malformed request: %s", jerr.text);
        conn_reject(c, msg);
        return;
    }
    if (!json_is_object(req)) {
        conn_reject(c, "malformed request: not a JSON object");
        goto out;
    }
    cmd = json_object_get(req, "cmd");
    if (!json_is_string(cmd)) {
        conn_reject(c, "malformed request: \"cmd\" is missing or not a string");
        goto out;
    }
    args = json_object_get(req, "args");
    if (!args || json_is_null(args)) {
        args = json_object();
        if (!args || json_object_set_new(req, "args", args) < 0) {
            conn_reject(c, "out of memory");
            goto out;
        }
    } else if (!json_is_object(args)) {
        conn_reject(c, "malformed request: \"args\" is not an object");
        goto out;
    }
    json_object_foreach(args, key, value)
    {
        if (!json_is_string(value)) {
            char msg[CTL_ERR_MAX];
            snprintf(msg, sizeof msg, "malformed request: argument '%s' is not a string", key);
            conn_reject(c, msg);
            goto out;
        }
    }
    norm = normalize_cmd(json_string_value(cmd));
    if (!norm) {
        conn_reject(c, "out of memory");
        goto out;
    }
    run_command(srv, c, norm, args);
    free(norm);
out:
    json_decref(req);
}

/* ---- Server: connections. ---- */

/* Sends as much pending output of 'c' as the socket takes. Returns 0 (some output may remain) or a
 * positive errno when the connection is dead. */
static int
conn_flush(struct ctl_conn *c)
{
    while (c->out_ofs < c->out_len) {
        ssize_t n =
            send(c->fd, c->out + c->out_ofs, c->out_len - c->out_ofs, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : errno;
        }
        c->out_ofs += (size_t)n;
        c->last_ms = (int64_t)hnvgw_now_ms();
    }
    c->out_ofs = c->out_len = 0;
    if (c->out_cap > CTL_OUT_KEEP) {
        free(c->out);
        c->out = NULL;
        c->out_cap = 0;
    }
    return 0;
}

/* Makes progress on 'c': sends pending output and, once it is all sent, answers the next buffered
 * request, and so on. Returns false when 'c' is to be closed. */
static bool
conn_run(struct ctl_server *srv, struct ctl_conn *c)
{
    for (;;) {
        char *nl;

        if (conn_flush(c)) {
            return false;
        }
        if (c->out_len) {
            return true; /* Wait for EPOLLOUT. */
        }
        if (c->closing) {
            return false;
        }
        nl = c->in_len ? memchr(c->in, '\n', c->in_len) : NULL;
        if (nl) {
            size_t len = (size_t)(nl - c->in);
            handle_request(srv, c, c->in, len);
            c->in_len -= len + 1;
            memmove(c->in, nl + 1, c->in_len);
        } else if (c->in_len >= CTL_MAX_REQUEST) {
            conn_reject(c, "request too large");
        } else if (c->eof) {
            if (!c->in_len) {
                return false;
            }
            /* A last request without its newline: answer it, then close. */
            handle_request(srv, c, c->in, c->in_len);
            c->in_len = 0;
            c->closing = true;
        } else {
            return true; /* Wait for EPOLLIN. */
        }
    }
}

/* Reads what 'c' has sent into its input buffer. Returns false when 'c' is to be closed. */
static bool
conn_read(struct ctl_conn *c)
{
    ssize_t n;

    if (c->in_len == c->in_cap) {
        size_t cap = c->in_cap ? c->in_cap * 2 : CTL_IN_MIN;
        char *p;

        if (cap > CTL_MAX_REQUEST) {
            cap = CTL_MAX_REQUEST;
        }
        if (cap == c->in_cap || !(p = realloc(c->in, cap))) {
            return false;
        }
        c->in = p;
        c->in_cap = cap;
    }
    n = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len, MSG_DONTWAIT);
    if (n > 0) {
        c->in_len += (size_t)n;
        c->last_ms = (int64_t)hnvgw_now_ms();
    } else if (n == 0) {
        c->eof = true;
    } else if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
        return false;
    }
    return true;
}

/* The epoll events 'c' waits for: EPOLLOUT while it has output, else EPOLLIN while the peer may
 * still send. */
static uint32_t
conn_events(const struct ctl_conn *c)
{
    return c->out_len ? EPOLLOUT : c->eof || c->closing ? 0 : EPOLLIN;
}

/* The monotonic time at which 'c' times out. */
static int64_t
conn_deadline(const struct ctl_conn *c)
{
    return c->last_ms + (c->out_len ? CTL_SEND_TIMEOUT_MS : CTL_IDLE_TIMEOUT_MS);
}

/* Points the sources of 'c' at what it waits for now and when it times out. Returns 0 or a
 * negative errno (then 'c' is to be closed). */
static int
conn_rearm(struct ctl_conn *c)
{
    uint32_t events = conn_events(c);
    int ret = sd_event_source_set_io_events(c->io, events);

    if (ret >= 0) {
        ret = sd_event_source_set_enabled(c->io, events ? SD_EVENT_ON : SD_EVENT_OFF);
    }
    if (ret >= 0) {
        ret = sd_event_source_set_time(c->timer, (uint64_t)conn_deadline(c) * 1000);
    }
    if (ret >= 0) {
        ret = sd_event_source_set_enabled(c->timer, SD_EVENT_ONESHOT);
    }
    return ret < 0 ? ret : 0;
}

/* I/O source of a connection: reads what it sent, answers, sends, and waits for what comes next. */
static int
on_conn_io(sd_event_source *src, int fd, uint32_t revents, void *c_)
{
    struct ctl_conn *c = c_;
    uint32_t events = conn_events(c);

    (void)src;
    (void)fd;
    (void)revents;
    /* On EPOLLHUP or EPOLLERR the read or the send fails and closes the connection. */
    if (((events & EPOLLIN) && !conn_read(c)) || !conn_run(c->srv, c) || conn_rearm(c)) {
        conn_close(c);
    }
    return 0;
}

/* Timer source of a connection: closes it once it made no progress for too long. */
static int
on_conn_timer(sd_event_source *src, uint64_t usec, void *c_)
{
    struct ctl_conn *c = c_;

    (void)src;
    (void)usec;
    if ((int64_t)hnvgw_now_ms() >= conn_deadline(c) || conn_rearm(c)) {
        conn_close(c);
    }
    return 0;
}

/* Sends "too many connections" on the new connection 'fd' if the socket takes it at once, and
 * closes 'fd'. */
static void
refuse_conn(int fd)
{
    json_t *reply = json_pack("{s:b, s:s}", "ok", 0, "error", "too many connections");
    char *text = reply ? json_dumps(reply, JSON_COMPACT) : NULL;
    char *line = NULL;

    if (text && asprintf(&line, "%s\n", text) > 0) {
        ssize_t n = send(fd, line, strlen(line), MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)n;
    }
    free(line);
    free(text);
    json_decref(reply);
    close(fd);
}

/* Makes a connection of the accepted socket 'fd', with its sources. Returns it, or NULL (with
 * 'fd' still open) when out of memory. */
static struct ctl_conn *
conn_new(struct ctl_server *srv, int fd)
{
    struct ctl_conn *c = calloc(1, sizeof *c);

    if (!c) {
        return NULL;
    }
    c->srv = srv;
    c->fd = fd;
    c->last_ms = (int64_t)hnvgw_now_ms();
    if (sd_event_add_io(srv->event, &c->io, fd, EPOLLIN, on_conn_io, c) < 0 ||
        sd_event_add_time(srv->event, &c->timer, CLOCK_MONOTONIC, (uint64_t)conn_deadline(c) * 1000,
                          CTL_TIMER_ACCURACY_US, on_conn_timer, c) < 0) {
        c->fd = -1;
        conn_destroy(c);
        return NULL;
    }
    return c;
}

/* Timer source of a listener paused for want of descriptors: listens again. */
static int
on_listen_retry(sd_event_source *src, uint64_t usec, void *srv_)
{
    struct ctl_server *srv = srv_;

    (void)usec;
    sd_event_source_set_enabled(srv->listen_src, SD_EVENT_ON);
    srv->retry_src = sd_event_source_disable_unref(src);
    return 0;
}

/* Pauses the listener for CTL_ACCEPT_RETRY_MS: it stays readable while the process is out of
 * descriptors, and a level-triggered loop would spin on it. */
static void
listen_pause(struct ctl_server *srv)
{
    if (srv->retry_src) {
        return;
    }
    if (sd_event_add_time_relative(srv->event, &srv->retry_src, CLOCK_MONOTONIC,
                                   CTL_ACCEPT_RETRY_MS * 1000, CTL_TIMER_ACCURACY_US,
                                   on_listen_retry, srv) >= 0) {
        sd_event_source_set_enabled(srv->listen_src, SD_EVENT_OFF);
    }
}

/* I/O source of the listener: accepts pending connections. Beyond CTL_MAX_CLIENTS a connection
 * gets an error reply and is closed. A listener error that is not about this one connection or a
 * passing shortage is fatal: the source is then disabled (and the error logged). */
static int
on_listen(sd_event_source *src, int lfd, uint32_t revents, void *srv_)
{
    struct ctl_server *srv = srv_;

    (void)src;
    (void)revents;
    for (int i = 0; i < CTL_ACCEPT_BURST; i++) {
        struct ctl_conn *c;
        int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

        if (fd < 0) {
            switch (errno) {
            case EINTR:
            case ECONNABORTED:
            case EPROTO:
                continue;
            case EAGAIN:
#if EAGAIN != EWOULDBLOCK
            case EWOULDBLOCK:
#endif
                return 0;
            case EMFILE:
            case ENFILE:
            case ENOBUFS:
            case ENOMEM:
                listen_pause(srv);
                return 0;
            default:
                log_err("control socket %s: accept: %s; no more connections", srv->path,
                        strerror(errno));
                return -errno;
            }
        }
        if (srv->n_conns >= CTL_MAX_CLIENTS) {
            refuse_conn(fd);
            continue;
        }
        c = conn_new(srv, fd);
        if (!c) {
            refuse_conn(fd);
            continue;
        }
        srv->conns[srv->n_conns++] = c;
    }
    return 0;
}

/* ---- Client. ---- */

/* Sends all 'n' bytes at 'data' on the blocking socket 'fd'. Returns 0 or a positive errno. */
static int
send_all(int fd, const char *data, size_t n)
{
    while (n) {
        ssize_t k = send(fd, data, n, MSG_NOSIGNAL);
        if (k < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno == EAGAIN || errno == EWOULDBLOCK ? ETIMEDOUT : errno;
        }
        data += k;
        n -= (size_t)k;
    }
    return 0;
}

/* Reads from the blocking socket 'fd' until a newline or the end of the stream. Returns 0 and the
 * bytes before the newline in '*buf' (malloc'd, caller frees) and '*len', or a positive errno. */
static int
recv_line(int fd, char **buf, size_t *len)
{
    size_t cap = 0, used = 0;
    char *p = NULL;

    for (;;) {
        char *nl;
        ssize_t k;

        if (used == cap) {
            size_t ncap = cap ? cap * 2 : 4096;
            char *np;

            if (ncap > CTL_CLIENT_MAX_REPLY || !(np = realloc(p, ncap))) {
                free(p);
                return ncap > CTL_CLIENT_MAX_REPLY ? EMSGSIZE : ENOMEM;
            }
            p = np;
            cap = ncap;
        }
        k = recv(fd, p + used, cap - used, 0);
        if (k < 0) {
            int err = errno;
            if (err == EINTR) {
                continue;
            }
            free(p);
            return err == EAGAIN || err == EWOULDBLOCK ? ETIMEDOUT : err;
        }
        if (k == 0) {
            break;
        }
        nl = memchr(p + used, '\n', (size_t)k);
        used += (size_t)k;
        if (nl) {
            used = (size_t)(nl - p);
            break;
        }
    }
    *buf = p;
    *len = used;
    return 0;
}

int
ctl_client_call(const char *path, const char *cmd, json_t *args, json_t **reply)
{
    struct timeval tv = {.tv_sec = CTL_CLIENT_TIMEOUT_S};
    struct sockaddr_un sun;
    json_t *req, *ok;
    json_error_t jerr;
    char *text = NULL, *line = NULL;
    size_t line_len = 0;
    int fd, ret, send_ret;

    *reply = NULL;
    if (!cmd || (args && !json_is_object(args))) {
        return EINVAL;
    }
    ret = fill_sockaddr(path, &sun);
    if (ret) {
        return ret;
    }
    req = json_object();
    if (!req || json_object_set_new(req, "cmd", json_string(cmd)) < 0 ||
        json_object_set_new(req, "args", args ? json_incref(args) : json_object()) < 0) {
        json_decref(req);
        return EINVAL; /* 'cmd' is not UTF-8, or out of memory. */
    }
    text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    if (!text) {
        return EINVAL;
    }

    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        ret = errno;
        free(text);
        return ret;
    }
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    if (connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
        ret = errno;
        close(fd);
        free(text);
        return ret;
    }

    /* If the server hangs up mid-request (say, "request too large"), its reply is still readable.
     */
    send_ret = send_all(fd, text, strlen(text));
    if (!send_ret) {
        send_ret = send_all(fd, "\n", 1);
    }
    free(text);
    ret = recv_line(fd, &line, &line_len);
    close(fd);
    if (ret) {
        return send_ret ? send_ret : ret;
    }
    if (!line_len) {
        free(line);
        return send_ret ? send_ret : ECONNRESET;
    }
    *reply = json_loadb(line, line_len, 0, &jerr);
    free(line);
    ok = json_object_get(*reply, "ok");
    if (!json_is_object(*reply) || !json_is_boolean(ok)) {
        json_decref(*reply);
        *reply = NULL;
        return EPROTO;
    }
    return 0;
}
