/* SPDX-License-Identifier: Apache-2.0 */
/* Control socket unit tests: a server in this process on a socket under a fresh temporary
 * directory, served by an sd-event loop on its own thread (as hnvgwd's control thread serves it),
 * and clients that are either ctl_client_call() or raw sockets writing bytes that no well-behaved
 * client would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "gateway/ctl.h"

/* One test's server and its polling thread. */
struct fixture {
    char dir[64];           /* Temporary directory (mkdtemp). */
    char sub[96];           /* 'dir'/run, created by ctl_server_open(). */
    char path[128];         /* 'sub'/ctl.sock. */
    sd_event *event;        /* The loop that serves 'srv'. */
    struct ctl_server *srv; /* The server under test. */
    pthread_t thread;       /* Runs 'event' while 'running'. */
    bool running;           /* 'thread' has been started and not joined. */
    atomic_bool stop;       /* Tells 'thread' to return. */
    atomic_int poll_error;  /* First error of sd_event_run(), as a positive errno. */
    atomic_int echo_calls;  /* Calls of the "echo" handler. */
};

/* "echo": returns {"args": <a copy of the arguments>}. */
static int
echo_handler(json_t *args, json_t **result, char *err, void *aux)
{
    struct fixture *f = aux;

    (void)err;
    atomic_fetch_add(&f->echo_calls, 1);
    *result = json_pack("{s:O}", "args", args);
    return 0;
}

/* "echo2": the replacement of "echo" in test_register_replaces. */
static int
echo2_handler(json_t *args, json_t **result, char *err, void *aux)
{
    (void)args;
    (void)err;
    (void)aux;
    *result = json_string("second");
    return 0;
}

/* "fail": fails with a message, and leaves a result behind that the server must free. */
static int
fail_handler(json_t *args, json_t **result, char *err, void *aux)
{
    (void)args;
    (void)aux;
    *result = json_string("ignored");
    snprintf(err, CTL_ERR_MAX, "bad thing happened");
    return EINVAL;
}

/* "fail silent": fails without a message. */
static int
fail_silent_handler(json_t *args, json_t **result, char *err, void *aux)
{
    (void)args;
    (void)result;
    (void)err;
    (void)aux;
    return EIO;
}

/* "nothing": succeeds with no result (json null). */
static int
nothing_handler(json_t *args, json_t **result, char *err, void *aux)
{
    (void)args;
    (void)result;
    (void)err;
    (void)aux;
    return 0;
}

/* "big n=N": an array of N records like those of "show lookup". */
static int
big_handler(json_t *args, json_t **result, char *err, void *aux)
{
    const char *n_str = json_string_value(json_object_get(args, "n"));
    long n = n_str ? strtol(n_str, NULL, 10) : 0;
    json_t *arr = json_array();

    (void)err;
    (void)aux;
    for (long i = 0; i < n; i++) {
        json_array_append_new(arr,
                              json_pack("{s:I, s:s, s:s, s:s}", "vsid", (json_int_t)i, "ca",
                                        "10.1.2.3", "pa", "10.0.0.2", "mac", "02:00:00:00:20:10"));
    }
    *result = arr;
    return 0;
}

/* The server thread: runs the loop, looking at 'stop' at least every 5 ms. */
static void *
server_main(void *f_)
{
    struct fixture *f = f_;

    while (!atomic_load(&f->stop)) {
        int ret = sd_event_run(f->event, 5000);
        if (ret < 0 && !atomic_load(&f->poll_error)) {
            atomic_store(&f->poll_error, -ret);
        }
    }
    return NULL;
}

static void
start_server_thread(struct fixture *f)
{
    atomic_store(&f->stop, false);
    assert_int_equal(pthread_create(&f->thread, NULL, server_main, f), 0);
    f->running = true;
}

static void
stop_server_thread(struct fixture *f)
{
    if (f->running) {
        atomic_store(&f->stop, true);
        assert_int_equal(pthread_join(f->thread, NULL), 0);
        f->running = false;
    }
}

/* Makes the directory and paths of 'f' without opening a server. */
static struct fixture *
fixture_paths(void)
{
    struct fixture *f = calloc(1, sizeof *f);

    assert_non_null(f);
    strcpy(f->dir, "/tmp/test_ctl.XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->sub, sizeof f->sub, "%s/run", f->dir);
    snprintf(f->path, sizeof f->path, "%s/ctl.sock", f->sub);
    return f;
}

static int
setup(void **state)
{
    struct fixture *f = fixture_paths();

    assert_int_equal(sd_event_new(&f->event), 0);
    assert_int_equal(ctl_server_open(f->path, f->event, &f->srv), 0);
    ctl_server_register(f->srv, "echo", "echo the arguments", echo_handler, f);
    ctl_server_register(f->srv, "fail", "always fails", fail_handler, f);
    ctl_server_register(f->srv, "fail silent", "fails without a message", fail_silent_handler, f);
    ctl_server_register(f->srv, "nothing", "returns null", nothing_handler, f);
    ctl_server_register(f->srv, "big", "n=N records", big_handler, f);
    start_server_thread(f);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;
    struct stat st;

    stop_server_thread(f);
    assert_int_equal(atomic_load(&f->poll_error), 0);
    ctl_server_destroy(f->srv);
    assert_int_equal(lstat(f->path, &st), -1); /* destroy() removed the socket file. */
    f->event = sd_event_unref(f->event);
    unlink(f->path);
    rmdir(f->sub);
    assert_int_equal(rmdir(f->dir), 0);
    free(f);
    return 0;
}

/* ---- Helpers. ---- */

/* Calls 'cmd' with 'args' (borrowed, may be NULL) and returns the reply, asserting transport
 * success. */
static json_t *
call(struct fixture *f, const char *cmd, json_t *args)
{
    json_t *reply = NULL;

    assert_int_equal(ctl_client_call(f->path, cmd, args, &reply), 0);
    assert_non_null(reply);
    return reply;
}

/* Asserts that 'reply' (consumed) is an error whose message is 'msg'. */
static void
assert_error(json_t *reply, const char *msg)
{
    assert_true(json_is_false(json_object_get(reply, "ok")));
    assert_string_equal(json_string_value(json_object_get(reply, "error")), msg);
    assert_null(json_object_get(reply, "result"));
    json_decref(reply);
}

/* Asserts that 'reply' (consumed) is an error whose message starts with 'prefix'. */
static void
assert_error_prefix(json_t *reply, const char *prefix)
{
    const char *e = json_string_value(json_object_get(reply, "error"));

    assert_true(json_is_false(json_object_get(reply, "ok")));
    assert_non_null(e);
    if (strncmp(e, prefix, strlen(prefix))) {
        fail_msg("error '%s' does not start with '%s'", e, prefix);
    }
    json_decref(reply);
}

/* Connects a raw client socket to 'f' with a 10 s receive timeout. */
static int
raw_connect(struct fixture *f)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    struct timeval tv = {.tv_sec = 10};
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    strcpy(sun.sun_path, f->path);
    assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof sun), 0);
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    return fd;
}

/* Sends all of 'len' bytes of 'data' on 'fd'. */
static void
raw_send(int fd, const char *data, size_t len)
{
    while (len) {
        ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
        assert_true(n > 0);
        data += n;
        len -= (size_t)n;
    }
}

/* Reads one reply line from 'fd' (peeking, so that what follows stays queued) and returns it
 * parsed. */
static json_t *
raw_reply(int fd)
{
    size_t cap = 64 * 1024, len = 0;
    char *buf = malloc(cap);
    json_error_t jerr;
    json_t *reply;

    assert_non_null(buf);
    for (;;) {
        char chunk[64 * 1024];
        ssize_t n = recv(fd, chunk, sizeof chunk, MSG_PEEK);
        char *nl;
        size_t take;

        assert_true(n > 0);
        nl = memchr(chunk, '\n', (size_t)n);
        take = nl ? (size_t)(nl - chunk) + 1 : (size_t)n;
        if (len + take > cap) {
            cap = 2 * (len + take);
            buf = realloc(buf, cap);
            assert_non_null(buf);
        }
        assert_int_equal(recv(fd, buf + len, take, 0), (ssize_t)take);
        len += take;
        if (nl) {
            break;
        }
    }
    reply = json_loadb(buf, len - 1, 0, &jerr);
    if (!reply) {
        fail_msg("reply is not JSON: %s", jerr.text);
    }
    free(buf);
    return reply;
}

/* Asserts that the server closes 'fd' (after any reply already read) and closes it. A server that
 * closes with our bytes unread makes Linux report ECONNRESET after the queued reply: also a close.
 */
static void
raw_expect_eof(int fd)
{
    char ch;
    ssize_t n = recv(fd, &ch, 1, 0);

    if (n != 0 && !(n < 0 && errno == ECONNRESET)) {
        fail_msg("expected the server to close, got %zd (%s)", n, strerror(errno));
    }
    close(fd);
}

/* Sends 'line' raw on a new connection and returns the reply; asserts the server then hangs up. */
static json_t *
raw_once_then_closed_n(struct fixture *f, const char *line, size_t len)
{
    int fd = raw_connect(f);
    json_t *reply;

    raw_send(fd, line, len);
    reply = raw_reply(fd);
    raw_expect_eof(fd);
    return reply;
}

/* raw_once_then_closed_n() for a NUL-terminated 'line'. */
static json_t *
raw_once_then_closed(struct fixture *f, const char *line)
{
    return raw_once_then_closed_n(f, line, strlen(line));
}

/* ---- Tests. ---- */

static void
test_round_trip(void **state)
{
    struct fixture *f = *state;
    json_t *args = json_pack("{s:s, s:s}", "vsid", "5001", "ca", "10.1.1.1");
    json_t *reply = call(f, "echo", args);
    json_t *expect = json_pack("{s:O}", "args", args);

    assert_true(json_is_true(json_object_get(reply, "ok")));
    assert_true(json_equal(json_object_get(reply, "result"), expect));
    assert_int_equal(atomic_load(&f->echo_calls), 1);
    json_decref(reply);

    /* No args at all: the handler sees an empty object. Blanks in the command are normalized. */
    reply = call(f, "  echo\t ", NULL);
    assert_true(json_is_true(json_object_get(reply, "ok")));
    assert_int_equal(json_object_size(json_object_get(json_object_get(reply, "result"), "args")),
                     0);
    json_decref(reply);
    json_decref(expect);
    json_decref(args);
}

static void
test_null_result(void **state)
{
    json_t *reply = call(*state, "nothing", NULL);

    assert_true(json_is_true(json_object_get(reply, "ok")));
    assert_true(json_is_null(json_object_get(reply, "result")));
    json_decref(reply);
}

static void
test_handler_error(void **state)
{
    struct fixture *f = *state;
    char expect[128];

    assert_error(call(f, "fail", NULL), "bad thing happened");
    snprintf(expect, sizeof expect, "fail silent failed: %s", strerror(EIO));
    assert_error(call(f, "fail silent", NULL), expect);
    /* The connection and server survive a failing handler. */
    json_decref(call(f, "echo", NULL));
}

static void
test_unknown_command(void **state)
{
    assert_error(call(*state, "show nothing", NULL), "unknown command 'show nothing'; try 'help'");
}

static void
test_malformed_json(void **state)
{
    struct fixture *f = *state;

    assert_error_prefix(raw_once_then_closed(f, "{this is not json\n"), "malformed request: ");
    assert_error_prefix(raw_once_then_closed(f, "{\"cmd\":\"echo\"} trailing\n"),
                        "malformed request: ");
    assert_error(raw_once_then_closed(f, "[\"echo\"]\n"), "malformed request: not a JSON object");
    assert_error(raw_once_then_closed(f, "\"echo\"\n"), "malformed request: not a JSON object");
    assert_error(raw_once_then_closed(f, "{\"args\":{}}\n"),
                 "malformed request: \"cmd\" is missing or not a string");
    assert_error(raw_once_then_closed(f, "{\"cmd\":42}\n"),
                 "malformed request: \"cmd\" is missing or not a string");
    assert_error(raw_once_then_closed(f, "{\"cmd\":\"echo\",\"args\":[1]}\n"),
                 "malformed request: \"args\" is not an object");
    assert_error_prefix(raw_once_then_closed(f, "{\"cmd\":\"echo\",\"cmd\":\"help\"}\n"),
                        "malformed request: ");
    assert_error_prefix(raw_once_then_closed(f, "{\"cmd\":\"\xff\xfe\"}\n"), "malformed request: ");
    /* A NUL byte in the line. */
    assert_error_prefix(raw_once_then_closed_n(f, "{\"cmd\":\"echo\"}\0\n", 16),
                        "malformed request: ");
    assert_int_equal(atomic_load(&f->echo_calls), 0);
    /* The server is still fine. */
    json_decref(call(f, "echo", NULL));
}

static void
test_args_non_string(void **state)
{
    struct fixture *f = *state;
    json_t *args = json_pack("{s:s, s:i}", "vsid", "5001", "limit", 10);

    assert_error(call(f, "echo", args), "malformed request: argument 'limit' is not a string");
    json_decref(args);
    assert_error(raw_once_then_closed(f, "{\"cmd\":\"echo\",\"args\":{\"a\":null}}\n"),
                 "malformed request: argument 'a' is not a string");
    assert_error(raw_once_then_closed(f, "{\"cmd\":\"echo\",\"args\":{\"a\":{\"b\":\"c\"}}}\n"),
                 "malformed request: argument 'a' is not a string");
    assert_int_equal(atomic_load(&f->echo_calls), 0);
    /* "args": null means no arguments. */
    int fd = raw_connect(f);
    raw_send(fd, "{\"cmd\":\"echo\",\"args\":null}\n", 27);
    json_t *reply = raw_reply(fd);
    assert_true(json_is_true(json_object_get(reply, "ok")));
    json_decref(reply);
    close(fd);
}

/* Returns args {"a": "xxx..."} such that the request line for "echo" is 'line_len' bytes long,
 * its newline included. */
static json_t *
args_for_line_len(size_t line_len)
{
    json_t *req = json_pack("{s:s, s:{s:s}}", "cmd", "echo", "args", "a", "");
    char *text = json_dumps(req, JSON_COMPACT);
    size_t base = strlen(text) + 1;
    char *value;
    json_t *args;

    assert_true(line_len > base);
    value = malloc(line_len - base + 1);
    assert_non_null(value);
    memset(value, 'x', line_len - base);
    value[line_len - base] = '\0';
    args = json_pack("{s:s}", "a", value);
    free(value);
    free(text);
    json_decref(req);
    return args;
}

static void
test_oversized_request(void **state)
{
    struct fixture *f = *state;
    size_t big = 70 * 1024;
    char *junk = malloc(big);
    json_t *args, *reply;
    int fd;

    /* Raw bytes with no newline in the first 64 KiB. */
    assert_non_null(junk);
    memset(junk, 'x', big);
    fd = raw_connect(f);
    raw_send(fd, junk, big);
    assert_error(raw_reply(fd), "request too large");
    raw_expect_eof(fd);
    free(junk);

    /* The limit is 64 KiB for the line, its newline included. */
    args = args_for_line_len(64 * 1024);
    reply = call(f, "echo", args);
    assert_true(json_is_true(json_object_get(reply, "ok")));
    json_decref(reply);
    json_decref(args);

    args = args_for_line_len(64 * 1024 + 1);
    assert_error(call(f, "echo", args), "request too large");
    json_decref(args);

    /* Far larger than the socket buffers: the server hangs up while the client is still sending,
     * and the client still reads the reply. */
    args = args_for_line_len(8 * 1024 * 1024);
    assert_error(call(f, "echo", args), "request too large");
    json_decref(args);
    assert_int_equal(atomic_load(&f->echo_calls), 1);
}

static void
test_socket_mode(void **state)
{
    struct fixture *f = *state;
    struct stat st;

    assert_int_equal(lstat(f->path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(stat(f->sub, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0700);
}

static void
test_help(void **state)
{
    json_t *reply = call(*state, "help", NULL);
    json_t *result = json_object_get(reply, "result"), *e;
    const char *prev = "";
    bool saw_echo = false, saw_help = false;
    size_t i;

    assert_true(json_is_true(json_object_get(reply, "ok")));
    assert_true(json_is_array(result));
    assert_int_equal(json_array_size(result), 6);
    json_array_foreach(result, i, e)
    {
        const char *cmd = json_string_value(json_object_get(e, "command"));
        const char *help = json_string_value(json_object_get(e, "help"));

        assert_non_null(cmd);
        assert_non_null(help);
        assert_true(strcmp(prev, cmd) < 0); /* Sorted. */
        prev = cmd;
        if (!strcmp(cmd, "echo")) {
            assert_string_equal(help, "echo the arguments");
            saw_echo = true;
        }
        saw_help |= !strcmp(cmd, "help");
    }
    assert_true(saw_echo);
    assert_true(saw_help);
    json_decref(reply);
}

static void
test_many_sequential(void **state)
{
    struct fixture *f = *state;

    for (int i = 0; i < 2000; i++) {
        char v[16];
        json_t *args, *reply;

        snprintf(v, sizeof v, "%d", i);
        args = json_pack("{s:s}", "i", v);
        reply = call(f, "echo", args);
        assert_string_equal(json_string_value(json_object_get(
                                json_object_get(json_object_get(reply, "result"), "args"), "i")),
                            v);
        json_decref(reply);
        json_decref(args);
    }
    assert_int_equal(atomic_load(&f->echo_calls), 2000);
}

static void
test_pipelined(void **state)
{
    struct fixture *f = *state;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    int fd;

    /* 200 requests (and blank lines, which are ignored) in one write, then 200 replies in order. */
    assert_non_null(m);
    for (int i = 0; i < 200; i++) {
        fprintf(m, "{\"cmd\":\"echo\",\"args\":{\"i\":\"%d\"}}\n%s", i, i % 50 ? "" : "\r\n \n");
    }
    fclose(m);
    fd = raw_connect(f);
    raw_send(fd, buf, len);
    free(buf);
    for (int i = 0; i < 200; i++) {
        json_t *reply = raw_reply(fd);
        json_t *got =
            json_object_get(json_object_get(json_object_get(reply, "result"), "args"), "i");
        char v[16];

        snprintf(v, sizeof v, "%d", i);
        assert_string_equal(json_string_value(got), v);
        json_decref(reply);
    }
    close(fd);
}

static void
test_last_request_without_newline(void **state)
{
    struct fixture *f = *state;
    int fd = raw_connect(f);
    json_t *reply;

    raw_send(fd, "{\"cmd\":\"echo\"}", 14);
    assert_int_equal(shutdown(fd, SHUT_WR), 0);
    reply = raw_reply(fd);
    assert_true(json_is_true(json_object_get(reply, "ok")));
    json_decref(reply);
    raw_expect_eof(fd);
}

static void
test_large_result(void **state)
{
    json_t *args = json_pack("{s:s}", "n", "200000");
    json_t *reply = call(*state, "big", args);
    json_t *result = json_object_get(reply, "result");

    assert_true(json_is_true(json_object_get(reply, "ok")));
    assert_int_equal(json_array_size(result), 200000);
    assert_int_equal(json_integer_value(json_object_get(json_array_get(result, 199999), "vsid")),
                     199999);
    json_decref(reply);
    json_decref(args);
}

static void
test_slow_reader_does_not_block(void **state)
{
    struct fixture *f = *state;
    const char req[] = "{\"cmd\":\"big\",\"args\":{\"n\":\"300000\"}}\n";
    int fd = raw_connect(f);
    json_t *reply;

    /* A reply of some 20 MB that nobody reads yet... */
    raw_send(fd, req, sizeof req - 1);
    usleep(200 * 1000);
    /* ...does not keep the server from answering someone else. */
    reply = call(f, "echo", NULL);
    assert_true(json_is_true(json_object_get(reply, "ok")));
    json_decref(reply);
    /* And it arrives whole once read. */
    reply = raw_reply(fd);
    assert_int_equal(json_array_size(json_object_get(reply, "result")), 300000);
    json_decref(reply);
    close(fd);
}

static void
test_too_many_clients(void **state)
{
    struct fixture *f = *state;
    int fds[64];
    json_t *reply;
    bool ok = false;

    for (int i = 0; i < 64; i++) {
        fds[i] = raw_connect(f);
    }
    /* Accepted in order, so the 64 are in before this one. */
    assert_error(call(f, "echo", NULL), "too many connections");
    for (int i = 0; i < 64; i++) {
        close(fds[i]);
    }
    /* Once the server has seen them go, there is room again. */
    for (int i = 0; i < 200 && !ok; i++) {
        reply = call(f, "echo", NULL);
        ok = json_is_true(json_object_get(reply, "ok"));
        json_decref(reply);
        if (!ok) {
            usleep(10 * 1000);
        }
    }
    assert_true(ok);
}

static void
test_register_replaces(void **state)
{
    struct fixture *f = *state;
    json_t *reply;

    stop_server_thread(f);
    ctl_server_register(f->srv, "echo", "replaced", echo2_handler, f);
    start_server_thread(f);
    reply = call(f, "echo", NULL);
    assert_string_equal(json_string_value(json_object_get(reply, "result")), "second");
    json_decref(reply);
    reply = call(f, "help", NULL);
    assert_int_equal(json_array_size(json_object_get(reply, "result")), 6);
    json_decref(reply);
}

static void
test_client_errors(void **state)
{
    struct fixture *f = *state;
    char path[200], longpath[200];
    json_t *reply = (json_t *)1;

    snprintf(path, sizeof path, "%s/nope.sock", f->dir);
    assert_int_equal(ctl_client_call(path, "help", NULL, &reply), ENOENT);
    assert_null(reply);
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[0] = '/';
    longpath[sizeof longpath - 1] = '\0';
    assert_int_equal(ctl_client_call(longpath, "help", NULL, &reply), ENAMETOOLONG);
    reply = json_array();
    json_t *none = NULL;
    assert_int_equal(ctl_client_call(f->path, "echo", reply, &none), EINVAL); /* Args not object. */
    json_decref(reply);
}

/* A server that answers garbage: the client reports EPROTO. Driven by hand, no server thread. */
static void
test_client_bad_reply(void **state)
{
    struct fixture *f = *state;
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    char path[200];
    int lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    pid_t pid;
    json_t *reply = NULL;

    snprintf(path, sizeof path, "%s/fake.sock", f->dir);
    strcpy(sun.sun_path, path);
    assert_int_equal(bind(lfd, (struct sockaddr *)&sun, sizeof sun), 0);
    assert_int_equal(listen(lfd, 1), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int cfd = accept(lfd, NULL, NULL);
        char buf[256];
        ssize_t n = recv(cfd, buf, sizeof buf, 0);
        (void)n;
        n = send(cfd, "not json\n", 9, MSG_NOSIGNAL);
        _exit(0);
    }
    assert_int_equal(ctl_client_call(path, "help", NULL, &reply), EPROTO);
    assert_null(reply);
    assert_int_equal(waitpid(pid, NULL, 0), pid);
    close(lfd);
    unlink(path);
}

/* Opening over a stale socket file works; over a live server or a regular file it does not. */
static void
test_open_stale_and_live(void **state)
{
    struct fixture *f = fixture_paths();
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    struct ctl_server *srv = NULL, *srv2 = (struct ctl_server *)1;
    sd_event *event = NULL;
    char file[200];
    int fd;

    (void)state;
    ctl_server_destroy(NULL);
    assert_int_equal(sd_event_new(&event), 0);

    /* A socket file left behind by a dead process. */
    assert_int_equal(mkdir(f->sub, 0755), 0);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    strcpy(sun.sun_path, f->path);
    assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof sun), 0);
    close(fd);
    assert_int_equal(ctl_server_open(f->path, event, &srv), 0);
    assert_non_null(srv);

    /* An existing parent directory keeps its mode. */
    struct stat st;
    assert_int_equal(stat(f->sub, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0755);

    /* A second server on the same path is refused and leaves the first one's file alone. */
    assert_int_equal(ctl_server_open(f->path, event, &srv2), EADDRINUSE);
    assert_null(srv2);
    assert_int_equal(lstat(f->path, &st), 0);
    ctl_server_destroy(srv);
    assert_int_equal(lstat(f->path, &st), -1);

    /* A regular file is not removed. */
    snprintf(file, sizeof file, "%s/file", f->sub);
    fd = open(file, O_CREAT | O_WRONLY, 0644);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(ctl_server_open(file, event, &srv2), EEXIST);
    assert_int_equal(unlink(file), 0);

    /* The parent is a file. */
    snprintf(file, sizeof file, "%s/file/ctl.sock", f->sub);
    fd = open(f->path, O_CREAT | O_WRONLY, 0644); /* Reuse path as a plain file named ctl.sock. */
    close(fd);
    snprintf(file, sizeof file, "%s/ctl.sock/x.sock", f->sub);
    assert_int_equal(ctl_server_open(file, event, &srv2), ENOTDIR);
    unlink(f->path);

    assert_int_equal(rmdir(f->sub), 0);
    assert_int_equal(rmdir(f->dir), 0);
    free(f);
    sd_event_unref(event);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_null_result, setup, teardown),
        cmocka_unit_test_setup_teardown(test_handler_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_command, setup, teardown),
        cmocka_unit_test_setup_teardown(test_malformed_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_args_non_string, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversized_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_help, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_sequential, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pipelined, setup, teardown),
        cmocka_unit_test_setup_teardown(test_last_request_without_newline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_result, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_reader_does_not_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_clients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_register_replaces, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_bad_reply, setup, teardown),
        cmocka_unit_test(test_open_stale_and_live),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
