/* SPDX-License-Identifier: Apache-2.0 */
/* A tenant's FRR instance: it runs staticd only for a tenant with static routes, every daemon with
 * FRR_FD_LIMIT descriptors; the bgpd config generated for it does graceful restart with forwarding
 * state preserved, for every tenant; and frr_bgp_clear() resets the sessions through a vtysh it
 * spawns and the loop reaps (never at once, never blocking), retried while it fails, coalesced
 * while it runs, and stopped by frr_stop(); frr_stop() kills a daemon that ignores SIGTERM once
 * its grace has passed. vtysh is a stand-in shell script that records its arguments; the
 * "compartment" is the test's own network namespace (/proc/self/ns/net), so nothing is created;
 * entering it needs root, as hnvgwd does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "routing/frr.h"

#define OWN_NETNS "/proc/self/ns/net"

/* ---- The generated configs ---- */

/* A tenant with two neighbors, or none. */
struct tenant_fixture {
    struct config_bgp_neighbor nbr[2]; /* Its neighbors. */
    struct config_routing routing;     /* Its routing section. */
    struct hnvgw_prefix subnets[2];    /* Its subnets. */
    struct routing_tenant t;           /* What frr.c is given. */
    struct frr_instance fi;            /* Its instance (initialised only). */
};

static void
tenant_fixture_init(struct tenant_fixture *tf, size_t n_neighbors, const char *extra)
{
    memset(tf, 0, sizeof *tf);
    assert_true(hnvgw_ip_parse("10.99.0.2", &tf->nbr[0].address));
    tf->nbr[0].remote_as = 65002;
    tf->nbr[0].keepalive = 3;
    tf->nbr[0].hold = 9;
    tf->nbr[0].ebgp_multihop = true;
    assert_true(hnvgw_ip_parse("fd00::2", &tf->nbr[1].address));
    tf->nbr[1].remote_as = 65003;
    tf->nbr[1].keepalive = 60;
    tf->nbr[1].hold = 180;
    tf->routing.asn = 65001;
    assert_true(hnvgw_ip_parse("10.1.1.1", &tf->routing.router_id));
    tf->routing.neighbors = tf->nbr;
    tf->routing.n_neighbors = n_neighbors;
    tf->routing.extra_config = (char *)extra;
    tf->routing.fpm_port = 2620;
    assert_true(hnvgw_prefix_parse("10.1.1.0/24", &tf->subnets[0]));
    assert_true(hnvgw_prefix_parse("10.1.2.0/24", &tf->subnets[1]));
    tf->t.name = "contoso";
    tf->t.id = 1;
    tf->t.routing = &tf->routing;
    tf->t.subnets = tf->subnets;
    tf->t.n_subnets = 2;
    frr_init(&tf->fi, &tf->t, OWN_NETNS);
}

/* Daemon 'd''s config of 'tf', as a string the caller frees. */
static char *
config_of(const struct tenant_fixture *tf, unsigned d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    frr_format_config(&tf->fi, &tf->t, d, f);
    assert_int_equal(fclose(f), 0);
    assert_non_null(buf);
    return buf;
}

/* The offset of the line 'line' (without its newline) in 'text'; fails when it is not there
 * exactly once. */
static size_t
line_at(const char *text, const char *line)
{
    size_t n = strlen(line);
    const char *hit = NULL;

    for (const char *p = text; *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);

        if (len == n && !strncmp(p, line, n)) {
            if (hit) {
                fail_msg("line \"%s\" twice in:\n%s", line, text);
            }
            hit = p;
        }
        p += len + (end != NULL);
    }
    if (!hit) {
        fail_msg("no line \"%s\" in:\n%s", line, text);
    }
    return (size_t)(hit - text);
}

/* The graceful restart lines, in the router bgp block, before the first neighbor. */
static void
assert_graceful_restart(const char *conf, bool with_neighbors)
{
    char restart[64], stalepath[64];
    size_t router = line_at(conf, "router bgp 65001"), end = line_at(conf, "exit");
    const char *lines[] = {" bgp graceful-restart", " bgp graceful-restart preserve-fw-state",
                           restart, stalepath};

    snprintf(restart, sizeof restart, " bgp graceful-restart restart-time %u",
             FRR_GR_RESTART_TIME_S);
    snprintf(stalepath, sizeof stalepath, " bgp graceful-restart stalepath-time %u",
             FRR_GR_STALEPATH_TIME_S);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        size_t at = line_at(conf, lines[i]);

        assert_true(at > router && at < end);
        if (with_neighbors) {
            assert_true(at < line_at(conf, " neighbor 10.99.0.2 remote-as 65002"));
        }
    }
}

/* Every neighbor does graceful restart and says its forwarding state is kept: the global lines
 * come before the neighbors, inside the router bgp block. */
static void
test_bgpd_graceful_restart(void **state)
{
    struct tenant_fixture tf;
    char *conf;

    (void)state;
    tenant_fixture_init(&tf, 2, NULL);
    conf = config_of(&tf, 2);
    assert_graceful_restart(conf, true);
    /* The rest of the block is still there. */
    assert_true(line_at(conf, " neighbor 10.99.0.2 timers 3 9") > 0);
    assert_true(line_at(conf, " neighbor 10.99.0.2 timers connect 1") > 0);
    assert_true(line_at(conf, " neighbor 10.99.0.2 ebgp-multihop") > 0);
    assert_true(line_at(conf, "  neighbor fd00::2 activate") > 0);
    assert_true(line_at(conf, "  network 10.1.2.0/24") > 0);
    free(conf);
}

/* A tenant without neighbors gets it too: its neighbors may come from extra_config. */
static void
test_bgpd_graceful_restart_without_neighbors(void **state)
{
    struct tenant_fixture tf;
    char *conf;

    (void)state;
    tenant_fixture_init(&tf, 0, NULL);
    conf = config_of(&tf, 2);
    assert_graceful_restart(conf, false);
    assert_null(strstr(conf, "neighbor"));
    free(conf);
}

/* The operator's extra_config follows the generated block, so it can change the timers; zebra
 * and staticd get no bgpd lines. */
static void
test_extra_config_overrides(void **state)
{
    const char *extra = "router bgp 65001\n bgp graceful-restart restart-time 300";
    struct tenant_fixture tf;
    char *conf, *zebra, *staticd;

    (void)state;
    tenant_fixture_init(&tf, 1, extra);
    conf = config_of(&tf, 2);
    assert_true(line_at(conf, " bgp graceful-restart restart-time 300") > line_at(conf, "exit"));
    zebra = config_of(&tf, 0);
    staticd = config_of(&tf, 1);
    assert_null(strstr(zebra, "graceful-restart"));
    assert_true(line_at(zebra, "fpm address 127.0.0.1 port 2620") > 0);
    /* staticd gets the extra config (its static routes) but no generated bgpd block. */
    assert_null(strstr(staticd, "preserve-fw-state"));
    assert_true(line_at(staticd, " bgp graceful-restart restart-time 300") > 0);
    free(conf);
    free(zebra);
    free(staticd);
}

/* ---- The shared instance: one zebra and one bgpd, a VRF per tenant ---- */

/* How many lines of 'text' are 'line' exactly. */
static unsigned
lines_of(const char *text, const char *line)
{
    size_t n = strlen(line);
    unsigned hits = 0;

    for (const char *p = text; *p;) {
        const char *end = strchr(p, '\n');
        size_t len = end ? (size_t)(end - p) : strlen(p);

        hits += len == n && !strncmp(p, line, n);
        p += len + (end != NULL);
    }
    return hits;
}

/* contoso (1, a static route and a bgpd line of its own in extra_config) and fabrikam (7, AS
 * 65009, none), as the shared instance sees them. */
struct shared_fixture {
    struct tenant_fixture a, b; /* The two tenants. */
    struct routing_tenant t[2]; /* What frr.c is given. */
    struct frr_instance fi;     /* The shared instance (initialised only). */
};

static void
shared_fixture_init(struct shared_fixture *sf, const char *extra_a)
{
    tenant_fixture_init(&sf->a, 1, extra_a);
    tenant_fixture_init(&sf->b, 1, NULL);
    sf->b.routing.asn = 65009;
    sf->b.t.name = "fabrikam";
    sf->b.t.id = 7;
    sf->t[0] = sf->a.t;
    sf->t[0].routing = &sf->a.routing;
    sf->t[1] = sf->b.t;
    sf->t[1].routing = &sf->b.routing;
    assert_int_equal(frr_init_shared(&sf->fi, sf->t, 2, OWN_NETNS, 2620), 0);
}

/* Daemon 'd''s config of the shared instance, as a string the caller frees. */
static char *
shared_config_of(const struct shared_fixture *sf, unsigned d)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);

    assert_non_null(f);
    frr_format_config_shared(&sf->fi, sf->t, 2, d, f);
    assert_int_equal(fclose(f), 0);
    assert_non_null(buf);
    return buf;
}

/* A VRF per tenant, named and numbered by its id: tables clear of the kernel's reserved ones
 * (0, 253-255) and of the small ones, distinct per tenant. */
static void
test_vrf_names_and_tables(void **state)
{
    char name[FRR_VRF_NAME_MAX];

    (void)state;
    frr_vrf_name(1, name);
    assert_string_equal(name, "vrf1");
    frr_vrf_name(65535, name);
    assert_string_equal(name, "vrf65535");
    assert_int_equal(frr_vrf_table(1), 65537);
    assert_int_equal(frr_vrf_table(65535), 131071);
    for (uint32_t id = 1; id <= 65535; id++) {
        uint32_t t = frr_vrf_table(id);
        assert_true(t > 255 && t != frr_vrf_table(id - 1));
    }
}

/* The shared zebra: one FPM, a VRF block per tenant with next hops resolving through its default
 * route. staticd only when a tenant has a static route, with that tenant's routes in its VRF and
 * nothing else of its extra_config. */
static void
test_shared_zebra_staticd(void **state)
{
    struct shared_fixture sf;
    char *zebra, *staticd;

    (void)state;
    shared_fixture_init(&sf, "route-map IN permit 10\nip route 192.168.77.0/24 10.99.0.2");
    assert_true(sf.fi.shared);
    assert_string_equal(sf.fi.dir, FRR_SHARED_DIR);
    /* Descriptors for each VRF and each neighbor beyond an instance's own (one neighbor each). */
    assert_int_equal(sf.fi.fd_limit, FRR_FD_LIMIT + 2 * (FRR_FDS_PER_VRF + FRR_FDS_PER_NEIGHBOR));
    assert_int_equal(sf.a.fi.fd_limit, FRR_FD_LIMIT);
    assert_false(sf.fi.daemons[1].off);
    zebra = shared_config_of(&sf, 0);
    assert_int_equal(lines_of(zebra, "fpm address 127.0.0.1 port 2620"), 1);
    assert_true(line_at(zebra, "vrf vrf1") < line_at(zebra, "vrf vrf7"));
    assert_int_equal(lines_of(zebra, " ip nht resolve-via-default"), 2);
    assert_int_equal(lines_of(zebra, "exit-vrf"), 2);
    assert_null(strstr(zebra, "router bgp"));
    staticd = shared_config_of(&sf, 1);
    assert_true(line_at(staticd, "vrf vrf1") <
                line_at(staticd, " ip route 192.168.77.0/24 10.99.0.2"));
    assert_true(line_at(staticd, " ip route 192.168.77.0/24 10.99.0.2") <
                line_at(staticd, "exit-vrf"));
    assert_null(strstr(staticd, "vrf7"));
    assert_null(strstr(staticd, "route-map"));
    free(zebra);
    free(staticd);
    frr_stop(&sf.fi);

    /* No tenant with a static route: no staticd. */
    shared_fixture_init(&sf, "route-map IN permit 10");
    assert_true(sf.fi.daemons[1].off);
    assert_false(sf.fi.daemons[0].off || sf.fi.daemons[2].off);
    frr_stop(&sf.fi);
}

/* The shared bgpd: each tenant's block as its own instance has it, in its VRF, graceful restart
 * included, and its extra_config after it with a `router bgp ASN` of its own moved into its VRF
 * (one that names a VRF already is left alone). */
static void
test_shared_bgpd(void **state)
{
    struct shared_fixture sf;
    char *conf;

    (void)state;
    shared_fixture_init(&sf, "router bgp 65001  \n bgp graceful-restart restart-time 300\nexit\n"
                             "router bgp 65001 vrf other\nexit");
    conf = shared_config_of(&sf, 2);
    assert_int_equal(lines_of(conf, "router bgp 65001 vrf vrf1"), 2);
    assert_int_equal(lines_of(conf, "router bgp 65009 vrf vrf7"), 1);
    assert_int_equal(lines_of(conf, "router bgp 65001 vrf other"), 1);
    assert_int_equal(lines_of(conf, "router bgp 65001"), 0);
    assert_int_equal(lines_of(conf, " bgp graceful-restart preserve-fw-state"), 2);
    assert_int_equal(lines_of(conf, " neighbor 10.99.0.2 remote-as 65002"), 2);
    assert_int_equal(lines_of(conf, "  network 10.1.1.0/24"), 2);
    assert_int_equal(lines_of(conf, " bgp router-id 10.1.1.1"), 2);
    /* contoso's override follows contoso's block, and fabrikam's block follows both. */
    assert_true(line_at(conf, " bgp graceful-restart restart-time 300") >
                (size_t)(strstr(conf, "router bgp 65001 vrf vrf1") - conf));
    assert_true(line_at(conf, "router bgp 65009 vrf vrf7") >
                line_at(conf, " bgp graceful-restart restart-time 300"));
    free(conf);
    frr_stop(&sf.fi);
}

/* ---- Which daemons, with which command lines ---- */

/* staticd is needed for a static route in extra_config, and only for one. */
static void
test_needs_staticd(void **state)
{
    static const struct {
        const char *extra; /* The tenant's extra_config, NULL for none. */
        bool needs;        /* Whether it needs staticd. */
    } cases[] = {
        {NULL, false},
        {"", false},
        {"ip route 192.168.77.0/24 10.99.0.2", true},
        {"ipv6 route fd00:77::/64 fd00::2", true},
        {"route-map IN permit 10\n match ip address prefix-list P\nexit\n"
         "ip route 192.168.77.0/24 10.99.0.2\n",
         true},
        {"vrf red\n ip route 10.0.0.0/8 blackhole\nexit-vrf", true},
        {"\tip\troute 10.0.0.0/8 Null0", true},
        {"! ip route 192.168.77.0/24 10.99.0.2", false},
        {"ip prefix-list P seq 5 permit 10.0.0.0/8", false},
        {"ip routes 10.0.0.0/8", false},
        {"ipv6 router-id 10.1.1.1\nroute-map ip route", false},
        {"router bgp 65001\n neighbor 10.99.0.3 remote-as 65003", false},
    };

    (void)state;
    assert_false(frr_needs_staticd(NULL));
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct config_routing r = {.extra_config = (char *)cases[i].extra};

        if (frr_needs_staticd(&r) != cases[i].needs) {
            fail_msg("extra_config \"%s\": want needs_staticd %d",
                     cases[i].extra ? cases[i].extra : "(none)", cases[i].needs);
        }
    }
}

/* frr_init() marks staticd off for a tenant without static routes; zebra and bgpd always run. */
static void
test_init_daemons(void **state)
{
    struct tenant_fixture tf;

    (void)state;
    tenant_fixture_init(&tf, 1, NULL);
    assert_string_equal(tf.fi.daemons[1].name, "staticd");
    assert_false(tf.fi.daemons[0].off);
    assert_true(tf.fi.daemons[1].off);
    assert_false(tf.fi.daemons[2].off);
    tenant_fixture_init(&tf, 1, "ip route 192.168.77.0/24 10.99.0.2");
    assert_false(tf.fi.daemons[0].off);
    assert_false(tf.fi.daemons[1].off);
    assert_false(tf.fi.daemons[2].off);
}

/* The command line of daemon 'd' of 'tf', its words joined by spaces. */
static void
argv_of(const struct tenant_fixture *tf, unsigned d, char *buf, size_t len)
{
    struct frr_argv a;
    size_t n = 0;

    frr_daemon_argv(&tf->fi, d, &a);
    buf[0] = '\0';
    for (unsigned i = 0; a.argv[i]; i++) {
        assert_true(i < FRR_ARGV_MAX - 1);
        n += (size_t)snprintf(buf + n, len - n, "%s%s", i ? " " : "", a.argv[i]);
        assert_true(n < len);
    }
}

/* Every daemon gets its files in the state directory and the descriptor limit; zebra alone loads
 * the FPM module. */
static void
test_daemon_argv(void **state)
{
    struct tenant_fixture tf;
    char got[1024], want[1024];
    const char *dir = "/run/hnvgw/frr/contoso";

    (void)state;
    tenant_fixture_init(&tf, 1, NULL);
    assert_string_equal(tf.fi.dir, dir);
    argv_of(&tf, 0, got, sizeof got);
    snprintf(want, sizeof want,
             "/usr/lib/frr/zebra -f %s/zebra.conf -i %s/zebra.pid -z %s/zserv.api --vty_socket %s "
             "-P 0 --limit-fds %u -M dplane_fpm_nl",
             dir, dir, dir, dir, FRR_FD_LIMIT);
    assert_string_equal(got, want);
    argv_of(&tf, 2, got, sizeof got);
    snprintf(want, sizeof want,
             "/usr/lib/frr/bgpd -f %s/bgpd.conf -i %s/bgpd.pid -z %s/zserv.api --vty_socket %s "
             "-P 0 --limit-fds %u",
             dir, dir, dir, dir, FRR_FD_LIMIT);
    assert_string_equal(got, want);
    argv_of(&tf, 1, got, sizeof got);
    snprintf(want, sizeof want,
             "/usr/lib/frr/staticd -f %s/staticd.conf -i %s/staticd.pid -z %s/zserv.api "
             "--vty_socket %s -P 0 --limit-fds %u",
             dir, dir, dir, dir, FRR_FD_LIMIT);
    assert_string_equal(got, want);
}

/* Whether DIR/NAME exists. */
static bool
file_in(const char *dir, const char *name)
{
    char path[256];

    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

/* frr_write_config() writes a file for each daemon that runs, and removes the staticd.conf, pid
 * file and vty socket an earlier config (with static routes) left. Needs user frr, as hnvgwd
 * does. */
static void
test_write_config_files(void **state)
{
    struct tenant_fixture tf;
    char dir[64] = "/tmp/hnvgw-test-frr-conf.XXXXXX", err[256] = "", cmd[128];

    (void)state;
    assert_non_null(mkdtemp(dir));
    tenant_fixture_init(&tf, 1, "ip route 192.168.77.0/24 10.99.0.2");
    snprintf(tf.fi.dir, sizeof tf.fi.dir, "%s", dir);
    if (frr_write_config(&tf.fi, &tf.t, err)) {
        fail_msg("%s", err);
    }
    assert_true(file_in(dir, "zebra.conf"));
    assert_true(file_in(dir, "staticd.conf"));
    assert_true(file_in(dir, "bgpd.conf"));
    /* What a staticd that ran leaves behind. */
    for (unsigned i = 0; i < 2; i++) {
        char path[128];
        FILE *f;

        snprintf(path, sizeof path, "%s/staticd.%s", dir, i ? "pid" : "vty");
        f = fopen(path, "w");
        assert_non_null(f);
        assert_int_equal(fclose(f), 0);
    }
    tenant_fixture_init(&tf, 1, NULL);
    snprintf(tf.fi.dir, sizeof tf.fi.dir, "%s", dir);
    if (frr_write_config(&tf.fi, &tf.t, err)) {
        fail_msg("%s", err);
    }
    assert_true(file_in(dir, "zebra.conf"));
    assert_false(file_in(dir, "staticd.conf"));
    assert_false(file_in(dir, "staticd.pid"));
    assert_false(file_in(dir, "staticd.vty"));
    assert_true(file_in(dir, "bgpd.conf"));
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

/* ---- frr_bgp_clear() ---- */

/* The stand-in vtysh's directory, and what the instance logged. */
struct clear_fixture {
    char dir[64];             /* Temporary directory: the script, its records, the vty "sockets". */
    struct tenant_fixture tf; /* The instance. */
    sd_event *event;          /* Its loop. */
};

static char logged[8192]; /* Every line logged, one a line. */

static void
log_line(const char *msg)
{
    size_t len = strlen(logged);

    snprintf(logged + len, sizeof logged - len, "%s\n", msg);
}

/* How many logged lines contain 'what'. */
static unsigned
logged_count(const char *what)
{
    unsigned n = 0;

    for (const char *p = strstr(logged, what); p; p = strstr(p + 1, what)) {
        n++;
    }
    return n;
}

/* The stand-in vtysh: appends its arguments to DIR/calls; fails as many times as DIR/fail says;
 * with DIR/hold present, waits until it is removed. */
static const char *const SCRIPT = "#!/bin/sh\n"
                                  "d=$(dirname \"$0\")\n"
                                  "echo \"$*\" >>\"$d/calls\"\n"
                                  "while [ -e \"$d/hold\" ]; do sleep 0.01; done\n"
                                  "n=$(cat \"$d/fail\" 2>/dev/null || echo 0)\n"
                                  "if [ \"$n\" -gt 0 ]; then\n"
                                  "  echo $((n - 1)) >\"$d/fail\"\n"
                                  "  exit 1\n"
                                  "fi\n"
                                  "exit 0\n";

static void
write_file(const struct clear_fixture *cf, const char *name, const char *text)
{
    char path[128];
    FILE *f;

    snprintf(path, sizeof path, "%s/%s", cf->dir, name);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void
remove_file(const struct clear_fixture *cf, const char *name)
{
    char path[128];

    snprintf(path, sizeof path, "%s/%s", cf->dir, name);
    unlink(path);
}

/* The stand-in's calls so far. */
static unsigned
calls(const struct clear_fixture *cf)
{
    char path[128], line[256];
    unsigned n = 0;
    FILE *f;

    snprintf(path, sizeof path, "%s/calls", cf->dir);
    f = fopen(path, "r");
    if (!f) {
        return 0;
    }
    while (fgets(line, sizeof line, f)) {
        char want[160];

        snprintf(want, sizeof want, "--vty_socket %s -d bgpd -c clear bgp *\n", cf->dir);
        assert_string_equal(line, want);
        n++;
    }
    fclose(f);
    return n;
}

static int
clear_setup(void **state)
{
    struct clear_fixture *cf = calloc(1, sizeof *cf);
    char path[128];

    assert_non_null(cf);
    snprintf(cf->dir, sizeof cf->dir, "/tmp/hnvgw-test-frr.XXXXXX");
    assert_non_null(mkdtemp(cf->dir));
    write_file(cf, "vtysh", SCRIPT);
    snprintf(path, sizeof path, "%s/vtysh", cf->dir);
    assert_int_equal(chmod(path, 0755), 0);
    tenant_fixture_init(&cf->tf, 1, NULL);
    snprintf(cf->tf.fi.dir, sizeof cf->tf.fi.dir, "%s", cf->dir);
    snprintf(cf->tf.fi.vtysh, sizeof cf->tf.fi.vtysh, "%s", path);
    cf->tf.fi.clear.retry_ms = 10;
    assert_int_equal(sd_event_new(&cf->event), 0);
    /* What frr_start() sets, without starting the daemons. */
    cf->tf.fi.event = sd_event_ref(cf->event);
    cf->tf.fi.log = log_line;
    logged[0] = '\0';
    *state = cf;
    return 0;
}

static int
clear_teardown(void **state)
{
    struct clear_fixture *cf = *state;
    char cmd[128];

    frr_stop(&cf->tf.fi);
    sd_event_unref(cf->event);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", cf->dir);
    assert_int_equal(system(cmd), 0);
    free(cf);
    return 0;
}

/* Runs the loop until 'what' has been logged 'n' times; the turns are many, never a time. */
static void
run_until_logged(struct clear_fixture *cf, const char *what, unsigned n)
{
    for (unsigned i = 0; i < 100000 && logged_count(what) < n; i++) {
        assert_true(sd_event_run(cf->event, 1000) >= 0);
    }
    if (logged_count(what) != n) {
        fail_msg("want %u \"%s\", logged:\n%s", n, what, logged);
    }
}

/* One ask: nothing runs before the loop turns; then one vtysh with the command, reaped, and
 * both log lines. */
static void
test_clear_once(void **state)
{
    struct clear_fixture *cf = *state;

    assert_true(frr_bgp_clear(&cf->tf.fi, "node active"));
    assert_int_equal(cf->tf.fi.clear.pid, 0);
    assert_int_equal(calls(cf), 0);
    run_until_logged(cf, "bgpd reset its BGP sessions (node active)", 1);
    assert_int_equal(calls(cf), 1);
    assert_int_equal(logged_count("frr contoso: clear bgp * (node active): vtysh pid"), 1);
    assert_int_equal(cf->tf.fi.clear.pid, 0);
    assert_int_equal(cf->tf.fi.clear.n_done, 1);
    assert_int_equal(cf->tf.fi.clear.n_failed, 0);
    assert_int_equal(waitpid(-1, NULL, WNOHANG), -1); /* Reaped: no child left. */
    assert_int_equal(errno, ECHILD);
}

/* bgpd not answering yet: the failed tries are made again until one works. */
static void
test_clear_retried(void **state)
{
    struct clear_fixture *cf = *state;

    write_file(cf, "fail", "2\n");
    frr_bgp_clear(&cf->tf.fi, "node active");
    run_until_logged(cf, "bgpd reset its BGP sessions", 1);
    assert_int_equal(calls(cf), 3);
    assert_int_equal(logged_count("vtysh exited with 1 (is bgpd up?); again in 10 ms"), 2);
    assert_int_equal(logged_count("(try 2 of 20)"), 1);
    assert_int_equal(logged_count("(try 3 of 20)"), 1);
    assert_int_equal(cf->tf.fi.clear.n_done, 1);
}

/* A bgpd that never answers: max_tries tries, then the ask is given up, and said so. */
static void
test_clear_given_up(void **state)
{
    struct clear_fixture *cf = *state;

    cf->tf.fi.clear.max_tries = 3;
    write_file(cf, "fail", "1000\n");
    frr_bgp_clear(&cf->tf.fi, "node active");
    run_until_logged(cf, "given up after 3 tries", 1);
    assert_int_equal(calls(cf), 3);
    assert_int_equal(cf->tf.fi.clear.n_done, 0);
    assert_int_equal(cf->tf.fi.clear.n_failed, 1);
    /* Nothing more comes. */
    for (unsigned i = 0; i < 20; i++) {
        assert_true(sd_event_run(cf->event, 20 * 1000) >= 0);
    }
    assert_int_equal(calls(cf), 3);
}

/* Asks before the loop turns are one; an ask while vtysh runs brings one more run after it. */
static void
test_clear_coalesced(void **state)
{
    struct clear_fixture *cf = *state;

    frr_bgp_clear(&cf->tf.fi, "node active");
    frr_bgp_clear(&cf->tf.fi, "node active");
    write_file(cf, "hold", "");
    run_until_logged(cf, "vtysh pid", 1);
    for (unsigned i = 0; i < 100000 && calls(cf) < 1; i++) {
        usleep(100);
    }
    assert_int_equal(calls(cf), 1);
    assert_true(cf->tf.fi.clear.pid > 0);
    frr_bgp_clear(&cf->tf.fi, "node passive");
    frr_bgp_clear(&cf->tf.fi, "node active");
    remove_file(cf, "hold");
    run_until_logged(cf, "bgpd reset its BGP sessions", 1);
    assert_int_equal(calls(cf), 2);
    /* The first run's success is not reported: the later ask's is, with its reason. */
    assert_int_equal(logged_count("bgpd reset its BGP sessions (node active)"), 1);
    assert_int_equal(logged_count("vtysh pid"), 2);
    assert_int_equal(cf->tf.fi.clear.n_done, 1);
}

/* A vtysh that does not answer in time is killed; that try failed, the next one works. */
static void
test_clear_deadline(void **state)
{
    struct clear_fixture *cf = *state;

    cf->tf.fi.clear.timeout_ms = 50;
    write_file(cf, "hold", "");
    frr_bgp_clear(&cf->tf.fi, "node active");
    run_until_logged(cf, "no answer in 50 ms, vtysh killed", 1);
    run_until_logged(cf, "vtysh killed by signal 9", 1);
    cf->tf.fi.clear.timeout_ms = FRR_CLEAR_TIMEOUT_MS; /* The next try may take its time. */
    remove_file(cf, "hold");
    run_until_logged(cf, "bgpd reset its BGP sessions", 1);
    assert_int_equal(calls(cf), 2);
}

/* frr_stop() while vtysh runs: it is killed and reaped, and nothing is logged after. */
static void
test_clear_stopped(void **state)
{
    struct clear_fixture *cf = *state;
    pid_t pid;

    write_file(cf, "hold", "");
    frr_bgp_clear(&cf->tf.fi, "node passive");
    run_until_logged(cf, "vtysh pid", 1);
    pid = cf->tf.fi.clear.pid;
    assert_true(pid > 0);
    frr_stop(&cf->tf.fi);
    assert_int_equal(cf->tf.fi.clear.pid, 0);
    assert_null(cf->tf.fi.clear.timer);
    assert_int_equal(kill(pid, 0), -1); /* Gone, and reaped. */
    assert_int_equal(errno, ESRCH);
    assert_int_equal(sd_event_run(cf->event, 0), 0);
    assert_int_equal(logged_count("bgpd reset"), 0);
    assert_int_equal(logged_count("again in"), 0);
    /* Once stopped, an ask does nothing. */
    assert_false(frr_bgp_clear(&cf->tf.fi, "node active"));
    assert_null(cf->tf.fi.clear.timer);
}

/* The daemon is stopping (its loop has exited): an ask does nothing, as frr_stop() comes next. */
static void
test_clear_loop_exited(void **state)
{
    struct clear_fixture *cf = *state;

    assert_int_equal(sd_event_exit(cf->event, 0), 0);
    assert_true(sd_event_run(cf->event, 0) >= 0);
    assert_int_equal(sd_event_get_state(cf->event), SD_EVENT_FINISHED);
    assert_false(frr_bgp_clear(&cf->tf.fi, "node passive"));
    assert_null(cf->tf.fi.clear.timer);
    assert_int_equal(logged[0], '\0');
}

/* The shared instance resets the sessions of every tenant's VRF, in one vtysh. */
static void
test_clear_shared(void **state)
{
    struct clear_fixture *cf = *state;
    char path[128], line[256], want[256];
    FILE *f;

    cf->tf.fi.shared = true;
    cf->tf.fi.vrf_ids = calloc(2, sizeof *cf->tf.fi.vrf_ids);
    assert_non_null(cf->tf.fi.vrf_ids);
    cf->tf.fi.vrf_ids[0] = 1;
    cf->tf.fi.vrf_ids[1] = 7;
    cf->tf.fi.n_vrfs = 2;
    assert_true(frr_bgp_clear(&cf->tf.fi, "node passive"));
    run_until_logged(cf, "bgpd reset its BGP sessions (node passive)", 1);
    snprintf(path, sizeof path, "%s/calls", cf->dir);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_null(fgets(path, sizeof path, f));
    fclose(f);
    snprintf(want, sizeof want,
             "--vty_socket %s -d bgpd -c clear bgp vrf vrf1 * -c clear bgp vrf vrf7 *\n", cf->dir);
    assert_string_equal(line, want);
}

/* A stand-in daemon: a child of the test that ignores SIGTERM when 'stubborn' (and says so over
 * a pipe before it is used), or exits on it. */
static pid_t
stand_in_daemon(bool stubborn)
{
    int p[2];
    char c;
    pid_t pid;

    assert_int_equal(pipe(p), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (stubborn) {
            signal(SIGTERM, SIG_IGN);
        }
        if (write(p[1], "x", 1) != 1) {
            _exit(1);
        }
        for (;;) {
            pause();
        }
    }
    close(p[1]);
    assert_int_equal(read(p[0], &c, 1), 1);
    close(p[0]);
    return pid;
}

/* Whether 'pid', a child of the test, has exited (not reaped: WNOWAIT). */
static bool
exited(pid_t pid)
{
    siginfo_t info = {0};

    assert_int_equal(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT), 0);
    return info.si_pid == pid;
}

/* frr_stop_begin() sends SIGTERM to every daemon and returns without waiting; frr_stop_wait()
 * reaps the one that obeys and kills the one that ignores SIGTERM once the deadline has passed,
 * and logs it. Neither is left behind, and a wait on an instance already stopped does nothing. */
static void
test_stop_stubborn_daemon(void **state)
{
    struct clear_fixture *cf = *state;
    struct frr_instance *fi = &cf->tf.fi;
    pid_t stubborn = stand_in_daemon(true), obeying = stand_in_daemon(false);

    fi->daemons[0].pid = stubborn; /* zebra */
    fi->daemons[2].pid = obeying;  /* bgpd */
    frr_stop_begin(fi);
    /* SIGTERM was sent: the obeying one exits without anyone waiting for it. */
    while (!exited(obeying)) {
        const struct timespec tick = {.tv_nsec = 1000 * 1000};
        nanosleep(&tick, NULL);
    }
    assert_false(exited(stubborn));
    assert_int_equal(fi->daemons[0].pid, stubborn); /* Not reaped yet. */
    frr_stop_wait(fi, 0);                           /* The deadline has passed. */
    assert_int_equal(fi->daemons[0].pid, 0);
    assert_int_equal(fi->daemons[2].pid, 0);
    assert_int_equal(kill(stubborn, 0), -1); /* Gone, and reaped. */
    assert_int_equal(errno, ESRCH);
    assert_int_equal(kill(obeying, 0), -1);
    assert_int_equal(errno, ESRCH);
    assert_int_equal(logged_count("did not stop on SIGTERM: killed"), 1);
    assert_int_equal(logged_count("zebra (pid"), 1);
    assert_null(fi->event);
    frr_stop(fi);
    assert_int_equal(logged_count("did not stop"), 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vrf_names_and_tables),
        cmocka_unit_test(test_shared_zebra_staticd),
        cmocka_unit_test(test_shared_bgpd),
        cmocka_unit_test_setup_teardown(test_clear_shared, clear_setup, clear_teardown),
        cmocka_unit_test(test_bgpd_graceful_restart),
        cmocka_unit_test(test_bgpd_graceful_restart_without_neighbors),
        cmocka_unit_test(test_extra_config_overrides),
        cmocka_unit_test(test_needs_staticd),
        cmocka_unit_test(test_init_daemons),
        cmocka_unit_test(test_daemon_argv),
        cmocka_unit_test(test_write_config_files),
        cmocka_unit_test_setup_teardown(test_clear_once, clear_setup, clear_teardown),
        cmocka_unit_test_setup_teardown(test_clear_retried, clear_setup, clear_teardown),
        cmocka_unit_test_setup_teardown(test_clear_given_up, clear_setup, clear_teardown),
        cmocka_unit_test_setup_teardown(test_clear_coalesced, clear_setup, clear_teardown),
        cmocka_unit_test_setup_teardown(test_clear_deadline, clear_setup, clear_teardown),
        cmocka_unit_test_setup_teardown(test_clear_stopped, clear_setup, clear_teardown),
        cmocka_unit_test_setup_teardown(test_clear_loop_exited, clear_setup, clear_teardown),
        cmocka_unit_test_setup_teardown(test_stop_stubborn_daemon, clear_setup, clear_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
