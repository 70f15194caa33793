/* SPDX-License-Identifier: Apache-2.0 */
/* The IKE side of a pair (vpn/ike_ha.h): the relay between the local IKE daemon's ha plugin and
 * the peer, and the commands to the plugin's FIFO. The "compartment" is the test's own network
 * namespace (/proc/self/ns/net); the daemon is a socket bound where the plugin would be, and the
 * FIFO a temporary one read by the test. Entering a namespace needs root, as hnvgwd does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vpn/ike_ha.h"

#define OWN_NETNS "/proc/self/ns/net"

/* What the peer side saw. */
struct peer_seen {
    int forwarded; /* Messages forwarded. */
    char last[64]; /* The last one (NUL-terminated). */
    int ready;     /* Ready calls. */
    int refuse;    /* Non-zero: the forward callback refuses with this errno. */
};

static int
forward(void *aux, const void *msg, size_t len)
{
    struct peer_seen *p = aux;

    if (p->refuse) {
        return p->refuse;
    }
    p->forwarded++;
    memset(p->last, 0, sizeof p->last);
    memcpy(p->last, msg, len < sizeof p->last - 1 ? len : sizeof p->last - 1);
    return 0;
}

static void
ready(void *aux)
{
    ((struct peer_seen *)aux)->ready++;
}

/* A UDP socket bound to ADDR:PORT. */
static int
bound_socket(const char *addr, uint16_t port)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(port)};
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);

    assert_true(fd >= 0);
    inet_pton(AF_INET, addr, &sin.sin_addr);
    assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
    return fd;
}

/* Sends 'len' bytes of 'msg' from 'fd' to the relay. */
static void
send_to_relay(int fd, const void *msg, size_t len)
{
    struct sockaddr_in relay = {.sin_family = AF_INET, .sin_port = htons(IKE_HA_PORT)};

    inet_pton(AF_INET, IKE_HA_RELAY_ADDR, &relay.sin_addr);
    assert_int_equal(sendto(fd, msg, len, 0, (struct sockaddr *)&relay, sizeof relay),
                     (ssize_t)len);
}

/* Runs 'event' until '*counter' reaches 'want'; the turns are many, never a time. */
static void
run_until(sd_event *event, const int *counter, int want)
{
    for (unsigned i = 0; i < 100000 && *counter < want; i++) {
        assert_true(sd_event_run(event, 1000) >= 0);
    }
    assert_int_equal(*counter, want);
}

/* The daemon's messages reach the forward callback; others' are dropped and counted; the peer's
 * reach the daemon; what is too big is refused both ways. */
static void
test_relay(void **state)
{
    struct peer_seen seen = {0};
    struct ike_ha *h = NULL;
    sd_event *event = NULL;
    char err[256], buf[IKE_HA_MSG_MAX + 8];
    int daemon_fd, stranger_fd;

    (void)state;
    assert_int_equal(sd_event_new(&event), 0);
    assert_int_equal(ike_ha_create(OWN_NETNS, event, &h, err), 0);
    ike_ha_set_peer(h, forward, ready, &seen);
    daemon_fd = bound_socket(IKE_HA_DAEMON_ADDR, IKE_HA_PORT);
    stranger_fd = bound_socket(IKE_HA_DAEMON_ADDR, 0);

    send_to_relay(stranger_fd, "forged", 6);
    send_to_relay(daemon_fd, "ike-add", 7);
    run_until(event, &seen.forwarded, 1);
    assert_string_equal(seen.last, "ike-add");
    assert_int_equal(ike_ha_counter(h, IKE_HA_wrong_source), 1);
    assert_int_equal(ike_ha_counter(h, IKE_HA_from_daemon), 1);

    /* Too big: counted, not forwarded. A refused one is counted too. */
    memset(buf, 'x', sizeof buf);
    send_to_relay(daemon_fd, buf, IKE_HA_MSG_MAX + 1);
    send_to_relay(daemon_fd, "second", 6);
    run_until(event, &seen.forwarded, 2);
    assert_string_equal(seen.last, "second");
    assert_int_equal(ike_ha_counter(h, IKE_HA_too_big), 1);
    seen.refuse = ENOTCONN;
    send_to_relay(daemon_fd, "lost", 4);
    for (unsigned i = 0; i < 100000 && ike_ha_counter(h, IKE_HA_from_daemon) < 4; i++) {
        assert_true(sd_event_run(event, 1000) >= 0);
    }
    assert_int_equal(ike_ha_counter(h, IKE_HA_to_peer_refused), 2);
    assert_int_equal(seen.forwarded, 2);

    /* The peer's message reaches the daemon's socket, from the relay's address. */
    assert_int_equal(ike_ha_deliver(h, "child-add", 9), 0);
    {
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = -1;

        for (unsigned i = 0; i < 100000 && n < 0; i++) {
            n = recvfrom(daemon_fd, buf, sizeof buf, 0, (struct sockaddr *)&from, &fl);
        }
        assert_int_equal(n, 9);
        assert_memory_equal(buf, "child-add", 9);
        assert_int_equal(ntohs(from.sin_port), IKE_HA_PORT);
    }
    assert_int_equal(ike_ha_deliver(h, buf, IKE_HA_MSG_MAX + 1), EMSGSIZE);

    close(daemon_fd);
    close(stranger_fd);
    ike_ha_destroy(h);
    ike_ha_destroy(NULL);
    sd_event_unref(event);
}

/* Reads one command from the FIFO's read end 'rd' into 'out' (empty when none). */
static void
read_command(int rd, char *out, size_t size)
{
    ssize_t n = read(rd, out, size - 1);

    out[n > 0 ? n : 0] = '\0';
}

/* The role goes to the FIFO only while the daemon is up and reads; a command that finds no reader
 * is retried from the timer; a resync follows in its own write; a restarted daemon is told its
 * role again; the ready hook hears of each start. */
static void
test_fifo_commands(void **state)
{
    struct peer_seen seen = {0};
    char dir[] = "/tmp/ike_ha_test.XXXXXX", path[64], cmd[16];
    struct ike_ha *h = NULL;
    sd_event *event = NULL;
    char err[256];
    int rd, turns;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/charon.ha", dir);
    assert_int_equal(mkfifo(path, 0600), 0);
    ike_ha_test_set_fifo(path);
    assert_int_equal(sd_event_new(&event), 0);
    assert_int_equal(ike_ha_create(OWN_NETNS, event, &h, err), 0);
    ike_ha_set_peer(h, forward, ready, &seen);

    /* Daemon down: nothing is tried. */
    ike_ha_set_active(h, true);
    assert_int_equal(ike_ha_counter(h, IKE_HA_commands), 0);
    assert_int_equal(ike_ha_counter(h, IKE_HA_command_retries), 0);

    /* Up, but no reader yet: retried. */
    ike_ha_daemon_up(h, true);
    assert_int_equal(seen.ready, 1);
    assert_int_equal(ike_ha_counter(h, IKE_HA_commands), 0);
    for (turns = 0; turns < 100000 && ike_ha_counter(h, IKE_HA_command_retries) < 3; turns++) {
        assert_true(sd_event_run(event, 1000) >= 0);
    }
    assert_true(ike_ha_counter(h, IKE_HA_command_retries) >= 3);

    /* A reader: the role is written. */
    rd = open(path, O_RDONLY | O_NONBLOCK);
    assert_true(rd >= 0);
    for (turns = 0; turns < 100000 && ike_ha_counter(h, IKE_HA_commands) < 1; turns++) {
        assert_true(sd_event_run(event, 1000) >= 0);
    }
    read_command(rd, cmd, sizeof cmd);
    assert_string_equal(cmd, "+1");

    /* A resync: its own write. */
    ike_ha_resync(h);
    read_command(rd, cmd, sizeof cmd);
    assert_string_equal(cmd, "*1");

    /* Passive: "-1"; the same role again writes nothing. */
    ike_ha_set_active(h, false);
    read_command(rd, cmd, sizeof cmd);
    assert_string_equal(cmd, "-1");
    ike_ha_set_active(h, false);
    read_command(rd, cmd, sizeof cmd);
    assert_string_equal(cmd, "");

    /* The daemon restarts: told its role again. */
    ike_ha_daemon_up(h, false);
    ike_ha_daemon_up(h, true);
    assert_int_equal(seen.ready, 2);
    read_command(rd, cmd, sizeof cmd);
    assert_string_equal(cmd, "-1");

    close(rd);
    ike_ha_destroy(h);
    sd_event_unref(event);
    unlink(path);
    rmdir(dir);
    ike_ha_test_set_fifo(IKE_HA_FIFO);
}

/* The plugin's section: its addresses, no heartbeat of its own, the FIFO on. */
static void
test_conf(void **state)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);

    (void)state;
    assert_non_null(f);
    ike_ha_write_conf(f);
    fclose(f);
    assert_non_null(strstr(text, "local = " IKE_HA_DAEMON_ADDR));
    assert_non_null(strstr(text, "remote = " IKE_HA_RELAY_ADDR));
    assert_non_null(strstr(text, "monitor = no"));
    assert_non_null(strstr(text, "fifo_interface = yes"));
    assert_non_null(strstr(text, "segment_count = 1"));
    free(text);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relay),
        cmocka_unit_test(test_fifo_commands),
        cmocka_unit_test(test_conf),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
