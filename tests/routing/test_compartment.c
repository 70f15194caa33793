/* SPDX-License-Identifier: Apache-2.0 */
/* Supervision of compartment helpers: compartment_spawn() starts a child with no signal blocked
 * (the daemon blocks the ones its loop reads), and compartment_watch() reports its exit from an
 * sd-event loop through a pidfd, with its wait status. The "compartment" is the test's own network
 * namespace (/proc/self/ns/net), so nothing is created; entering it needs root, as hnvgwd does. */
#include <net/if.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "routing/compartment.h"

#define OWN_NETNS "/proc/self/ns/net"

/* What the exit callback saw. */
struct exit_seen {
    int calls;  /* Calls so far. */
    pid_t pid;  /* The pid it was given. */
    int status; /* The wait status it was given. */
};

static void
on_exit_seen(pid_t pid, int status, void *aux)
{
    struct exit_seen *seen = aux;

    seen->calls++;
    seen->pid = pid;
    seen->status = status;
}

/* Runs 'event' until the callback has been called; the turns are many, never a time. */
static void
run_until_exit(sd_event *event, const struct exit_seen *seen)
{
    for (unsigned i = 0; i < 100000 && !seen->calls; i++) {
        assert_true(sd_event_run(event, 1000) >= 0);
    }
    assert_int_equal(seen->calls, 1);
}

/* A child that exits on its own: its status arrives, it is reaped, and the watch is over. */
static void
test_exit_status(void **state)
{
    char *argv[] = {"/bin/sh", "-c", "exit 3", NULL};
    struct compartment_watch w;
    struct exit_seen seen = {0};
    sd_event *event = NULL;
    pid_t pid;

    (void)state;
    assert_int_equal(sd_event_new(&event), 0);
    pid = compartment_spawn(OWN_NETNS, argv);
    assert_true(pid > 0);
    assert_int_equal(compartment_watch(&w, event, pid, on_exit_seen, &seen), 0);
    run_until_exit(event, &seen);
    assert_int_equal(seen.pid, pid);
    assert_true(WIFEXITED(seen.status));
    assert_int_equal(WEXITSTATUS(seen.status), 3);
    assert_null(w.src);
    assert_int_equal(waitpid(pid, NULL, WNOHANG), -1); /* Reaped already. */
    compartment_unwatch(&w);                           /* An ended watch is fine. */
    sd_event_unref(event);
}

/* The parent blocks SIGTERM, as hnvgwd does for its loop; the child does not inherit that, so
 * SIGTERM ends it, and the loop says so. */
static void
test_child_gets_sigterm(void **state)
{
    char *argv[] = {"/bin/sleep", "1000", NULL};
    struct compartment_watch w;
    struct exit_seen seen = {0};
    sd_event *event = NULL;
    sigset_t term, old;
    pid_t pid;

    (void)state;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    assert_int_equal(sigprocmask(SIG_BLOCK, &term, &old), 0);
    assert_int_equal(sd_event_new(&event), 0);
    pid = compartment_spawn(OWN_NETNS, argv);
    assert_true(pid > 0);
    assert_int_equal(compartment_watch(&w, event, pid, on_exit_seen, &seen), 0);
    assert_int_equal(sd_event_run(event, 0), 0); /* Running: nothing to report. */
    assert_int_equal(seen.calls, 0);
    assert_int_equal(kill(pid, SIGTERM), 0);
    run_until_exit(event, &seen);
    assert_true(WIFSIGNALED(seen.status));
    assert_int_equal(WTERMSIG(seen.status), SIGTERM);
    sd_event_unref(event);
    assert_int_equal(sigprocmask(SIG_SETMASK, &old, NULL), 0);
}

/* A descriptor the parent opened without O_CLOEXEC (as DPDK opens its TAP queues) does not
 * cross into the child, which could otherwise keep it open after the parent's death. */
static void
test_no_fd_inherited(void **state)
{
    char script[96];
    char *argv[] = {"/bin/sh", "-c", script, NULL};
    struct compartment_watch w;
    struct exit_seen seen = {0};
    sd_event *event = NULL;
    int fd = open("/dev/null", O_RDONLY);
    pid_t pid;

    (void)state;
    assert_true(fd > 2);
    /* Exits 0 only when the child has no such descriptor; 1 when it has. */
    snprintf(script, sizeof script, "test ! -e /proc/self/fd/%d", fd);
    assert_int_equal(sd_event_new(&event), 0);
    pid = compartment_spawn(OWN_NETNS, argv);
    assert_true(pid > 0);
    assert_int_equal(compartment_watch(&w, event, pid, on_exit_seen, &seen), 0);
    run_until_exit(event, &seen);
    assert_true(WIFEXITED(seen.status));
    assert_int_equal(WEXITSTATUS(seen.status), 0);
    assert_int_equal(fcntl(fd, F_GETFD), 0); /* The parent's own is untouched. */
    close(fd);
    sd_event_unref(event);
}

/* An unwatched child is left alone: no callback, not reaped. */
static void
test_unwatch(void **state)
{
    char *argv[] = {"/bin/sh", "-c", "exit 0", NULL};
    struct compartment_watch w;
    struct exit_seen seen = {0};
    sd_event *event = NULL;
    int status;
    pid_t pid;

    (void)state;
    assert_int_equal(sd_event_new(&event), 0);
    pid = compartment_spawn(OWN_NETNS, argv);
    assert_true(pid > 0);
    assert_int_equal(compartment_watch(&w, event, pid, on_exit_seen, &seen), 0);
    compartment_unwatch(&w);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(sd_event_run(event, 0), 0);
    assert_int_equal(seen.calls, 0);
    sd_event_unref(event);
}

/* The VRF probe says what iproute2 finds in a namespace of its own (this machine's kernel may or
 * may not make VRF devices; the appliance's does), leaves no device in the test's namespace, and
 * explains a refusal. */
static void
test_vrf_probe(void **state)
{
    char err[256] = "";
    int ip = system("unshare -n ip link add hnvgwtest type vrf table 4242 2>/dev/null");
    int ret = compartment_vrf_probe(err);

    (void)state;
    assert_true(WIFEXITED(ip));
    if (WEXITSTATUS(ip) == 0) {
        assert_int_equal(ret, 0);
    } else {
        assert_int_not_equal(ret, 0);
        assert_non_null(strstr(err, "no VRF device"));
    }
    assert_int_equal(if_nametoindex("hnvgwprobe"), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exit_status),     cmocka_unit_test(test_child_gets_sigterm),
        cmocka_unit_test(test_no_fd_inherited), cmocka_unit_test(test_unwatch),
        cmocka_unit_test(test_vrf_probe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
