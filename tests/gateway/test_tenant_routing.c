/* SPDX-License-Identifier: Apache-2.0 */
/* tenant_routing_set_active(): the role the daemon passes in from the cluster's hook decides
 * when every tenant's BGP sessions are reset. The first call (at start) only records the role;
 * a change of role resets the sessions of every tenant with routing, once; the same role again
 * does nothing. Two FRR instances, not started: their vtysh is a stand-in script that records
 * which instance it was run for (the vty directory it was given), run in the test's own network
 * namespace (needs root, as hnvgwd does). Likewise the shared FRR of both tenants, a VRF each. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gateway/tenant_routing.h"

#define OWN_NETNS "/proc/self/ns/net"

static char dir[64];             /* Temporary: the stand-in vtysh, its record, the vty dirs. */
static char logged[8192];        /* Every FRR line logged. */
static struct tenant_routing tr; /* Two instances, contoso and fabrikam. */
static sd_event *event;

static void
log_line(const char *msg)
{
    size_t len = strlen(logged);

    snprintf(logged + len, sizeof logged - len, "%s\n", msg);
}

static unsigned
logged_count(const char *what)
{
    unsigned n = 0;

    for (const char *p = strstr(logged, what); p; p = strstr(p + 1, what)) {
        n++;
    }
    return n;
}

/* The stand-in's runs for the vty directory of 'tenant' so far. */
static unsigned
runs_for(const char *tenant)
{
    char path[128], line[256], want[192];
    unsigned n = 0;
    FILE *f;

    snprintf(path, sizeof path, "%s/calls", dir);
    snprintf(want, sizeof want, "--vty_socket %s/%s -d bgpd -c clear bgp *\n", dir, tenant);
    f = fopen(path, "r");
    if (!f) {
        return 0;
    }
    while (fgets(line, sizeof line, f)) {
        n += !strcmp(line, want);
    }
    fclose(f);
    return n;
}

/* Runs the loop until 'what' has been logged 'n' times; the turns are many, never a time. */
static void
run_until_logged(const char *what, unsigned n)
{
    for (unsigned i = 0; i < 100000 && logged_count(what) < n; i++) {
        assert_true(sd_event_run(event, 1000) >= 0);
    }
    if (logged_count(what) != n) {
        fail_msg("want %u \"%s\", logged:\n%s", n, what, logged);
    }
}

static int
setup(void **state)
{
    static const char *const names[2] = {"contoso", "fabrikam"};
    char path[128];
    FILE *f;

    (void)state;
    snprintf(dir, sizeof dir, "/tmp/hnvgw-test-tr.XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/vtysh", dir);
    f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "#!/bin/sh\necho \"$*\" >>\"$(dirname \"$0\")/calls\"\n");
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(path, 0755), 0);
    assert_int_equal(sd_event_new(&event), 0);
    memset(&tr, 0, sizeof tr);
    tr.frr = calloc(2, sizeof *tr.frr);
    assert_non_null(tr.frr);
    tr.n_frr = 2;
    for (unsigned i = 0; i < 2; i++) {
        struct routing_tenant t = {.name = names[i], .id = i + 1};
        struct frr_instance *fi = &tr.frr[i];

        frr_init(fi, &t, OWN_NETNS);
        snprintf(fi->dir, sizeof fi->dir, "%s/%s", dir, names[i]);
        snprintf(fi->vtysh, sizeof fi->vtysh, "%s", path);
        /* What frr_start() sets, without starting the daemons. */
        fi->event = sd_event_ref(event);
        fi->log = log_line;
    }
    logged[0] = '\0';
    return 0;
}

static int
teardown(void **state)
{
    char cmd[128];

    (void)state;
    for (size_t i = 0; i < tr.n_frr; i++) {
        frr_stop(&tr.frr[i]);
    }
    free(tr.frr);
    sd_event_unref(event);
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

/* A pair node: starts passive (recorded only), takes over (nothing: bgpd's connect retry brings
 * the sessions up, a reset could end the peer's graceful restart), stays active (nothing), turns
 * passive (every tenant's sessions reset). */
static void
test_pair_node(void **state)
{
    (void)state;
    tenant_routing_set_active(&tr, false);
    assert_true(tr.role_known);
    assert_false(tr.active);
    assert_null(tr.frr[0].clear.timer);
    assert_null(tr.frr[1].clear.timer);

    tenant_routing_set_active(&tr, true);
    assert_true(tr.active);
    assert_null(tr.frr[0].clear.timer);
    assert_null(tr.frr[1].clear.timer);

    tenant_routing_set_active(&tr, true);
    assert_null(tr.frr[0].clear.timer);
    assert_null(tr.frr[1].clear.timer);

    tenant_routing_set_active(&tr, false);
    run_until_logged("bgpd reset its BGP sessions (node passive)", 2);
    assert_int_equal(logged_count("frr contoso: bgpd reset its BGP sessions (node passive)"), 1);
    assert_int_equal(logged_count("frr fabrikam: bgpd reset its BGP sessions (node passive)"), 1);
    assert_int_equal(runs_for("contoso"), 1);
    assert_int_equal(runs_for("fabrikam"), 1);
    assert_int_equal(logged_count("bgpd reset its BGP sessions"), 2);
}

/* A node alone: active from the start, and nothing is reset: FRR was just started for it. */
static void
test_single_node(void **state)
{
    (void)state;
    tenant_routing_set_active(&tr, true);
    assert_true(tr.active);
    for (unsigned i = 0; i < 20; i++) {
        assert_true(sd_event_run(event, 10 * 1000) >= 0);
    }
    assert_int_equal(runs_for("contoso") + runs_for("fabrikam"), 0);
    assert_int_equal(logged[0], '\0');
}

/* The shared FRR of both tenants (their VRFs vrf1 and vrf2), in place of their own. */
static int
setup_shared(void **state)
{
    const struct routing_tenant t[2] = {{.name = "contoso", .id = 1},
                                        {.name = "fabrikam", .id = 2}};
    struct frr_instance *fi;

    setup(state);
    for (size_t i = 0; i < tr.n_frr; i++) {
        frr_stop(&tr.frr[i]);
    }
    tr.n_frr = 1;
    tr.shared = true;
    fi = &tr.frr[0];
    assert_int_equal(frr_init_shared(fi, t, 2, OWN_NETNS, 2620), 0);
    snprintf(fi->dir, sizeof fi->dir, "%s/shared", dir);
    snprintf(fi->vtysh, sizeof fi->vtysh, "%s/vtysh", dir);
    fi->event = sd_event_ref(event);
    fi->log = log_line;
    return 0;
}

/* The shared FRR as a pair node: turning passive resets the sessions of every tenant's VRF, in
 * one vtysh run; taking over resets nothing. */
static void
test_pair_node_shared(void **state)
{
    char path[128], line[256], want[256];
    FILE *f;

    (void)state;
    tenant_routing_set_active(&tr, false);
    tenant_routing_set_active(&tr, true);
    assert_null(tr.frr[0].clear.timer);
    tenant_routing_set_active(&tr, false);
    run_until_logged("frr shared: bgpd reset its BGP sessions (node passive)", 1);
    snprintf(path, sizeof path, "%s/calls", dir);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_null(fgets(path, sizeof path, f));
    fclose(f);
    snprintf(want, sizeof want,
             "--vty_socket %s/shared -d bgpd -c clear bgp vrf vrf1 * -c clear bgp vrf vrf2 *\n",
             dir);
    assert_string_equal(line, want);
}

/* The choice of FRR: per tenant without routed tenants or when asked; else the shared one where the
 * kernel makes VRF devices (as iproute2 finds in a namespace of its own), and "shared" where it
 * does not is refused with the key's file and line. */
static void
test_choose(void **state)
{
    struct hnvgw_config cfg = {.path = "/etc/hnvgw/hnvgw.conf", .routing_daemons_line = 12};
    int vrf = system("unshare -n ip link add hnvgwtest type vrf table 4242 2>/dev/null");
    bool has_vrf = WIFEXITED(vrf) && WEXITSTATUS(vrf) == 0, shared = true;
    char err[256] = "";

    (void)state;
    cfg.routing_daemons = CONFIG_ROUTING_SHARED;
    assert_int_equal(tenant_routing_choose(&cfg, 0, &shared, err), 0);
    assert_false(shared);
    cfg.routing_daemons = CONFIG_ROUTING_PER_TENANT;
    assert_int_equal(tenant_routing_choose(&cfg, 3, &shared, err), 0);
    assert_false(shared);
    cfg.routing_daemons = CONFIG_ROUTING_AUTO;
    assert_int_equal(tenant_routing_choose(&cfg, 3, &shared, err), 0);
    assert_int_equal(shared, has_vrf);
    cfg.routing_daemons = CONFIG_ROUTING_SHARED;
    if (has_vrf) {
        assert_int_equal(tenant_routing_choose(&cfg, 3, &shared, err), 0);
        assert_true(shared);
    } else {
        assert_int_not_equal(tenant_routing_choose(&cfg, 3, &shared, err), 0);
        assert_false(shared);
        assert_non_null(strstr(err, "/etc/hnvgw/hnvgw.conf:12: node routing_daemons: \"shared\", "
                                    "but this kernel makes no VRF device"));
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_choose),
        cmocka_unit_test_setup_teardown(test_pair_node_shared, setup_shared, teardown),
        cmocka_unit_test_setup_teardown(test_pair_node, setup, teardown),
        cmocka_unit_test_setup_teardown(test_single_node, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
