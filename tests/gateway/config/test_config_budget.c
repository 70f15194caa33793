/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the start-up budget (gateway/config/budget.c): DPDK ports, packet buffers and
 * hugepage memory, and the line each refusal names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "gateway/config/budget.h"
#include "tests/gateway/config/config_fixture.h"

#define GIB (1024ull * 1024 * 1024)

/* A machine with 3 GiB of hugepages, all free. */
static const struct budget_host host_3g = {.hugepages_total = 3 * GIB, .hugepages_free = 3 * GIB};

/* A generated config and the lines of its tenants' routing sections. */
struct gen {
    char *text;        /* Owned: the file. */
    size_t cap;        /* Bytes allocated for text. */
    int *routing_line; /* Owned: line of the routing section of routed tenant i (0-based). */
    int eal_line;      /* Line of eal_args. */
};

/* Frees what gen_config() made. */
static void
gen_free(struct gen *g)
{
    free(g->text);
    free(g->routing_line);
}

/* Appends to g->text, counting lines. */
static void
gen_add(struct gen *g, size_t *len, int *line, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof buf);
    if (*len + (size_t)n + 1 > g->cap) {
        g->cap = (*len + (size_t)n + 1) * 2;
        g->text = realloc(g->text, g->cap);
        assert_non_null(g->text);
    }
    memcpy(g->text + *len, buf, (size_t)n + 1);
    *len += (size_t)n;
    for (int i = 0; i < n; i++) {
        *line += buf[i] == '\n';
    }
}

/* A gateway with a provider and an external tap, 'n_routed' tenants with a routing section,
 * 'node_extra' keys in the node section and 'eal' as its eal_args. */
static void
gen_config(struct gen *g, unsigned n_routed, const char *node_extra, const char *eal)
{
    size_t len = 0;
    int line = 1;

    memset(g, 0, sizeof *g);
    g->routing_line = calloc(n_routed + 1, sizeof *g->routing_line);
    assert_non_null(g->routing_line);
    gen_add(g, &len, &line, "node {\n  name = \"gw1\"\n  roles = {\"gateway\"}\n");
    gen_add(g, &len, &line, "  provider_addresses = {\"10.0.0.1\"}\n%s", node_extra);
    g->eal_line = line;
    gen_add(g, &len, &line, "  eal_args = {%s}\n}\n", eal);
    gen_add(g, &len, &line, "%s", PORT_PA PORT_EXT);
    for (unsigned i = 0; i < n_routed; i++) {
        unsigned hi = (i + 1) >> 8, lo = (i + 1) & 0xff;

        gen_add(g, &len, &line, "tenant \"t%u\" {\n  id = %u\n", i + 1, i + 1);
        gen_add(g, &len, &line,
                "  subnet \"s\" {\n    vsid = %u\n    prefix = \"10.%u.%u.0/24\"\n"
                "    gateway_ip = \"10.%u.%u.1\"\n    gateway_mac = \"02:00:00:%02x:%02x:01\"\n"
                "  }\n",
                5001 + i, hi, lo, hi, lo, hi, lo);
        g->routing_line[i] = line;
        gen_add(g, &len, &line,
                "  routing {\n    asn = 65001\n    router_id = \"10.%u.%u.1\"\n  }\n}\n", hi, lo);
    }
}

/* Loads g's config (it must be valid) and runs the budget on 'host'. */
static int
run_budget(const struct gen *g, const struct budget_host *host, struct config_budget *b, char *err,
           char *path)
{
    struct hnvgw_config *cfg = NULL;
    int ret = load_text(g->text, &cfg, err, path);

    if (ret) {
        print_error("unexpected error: %s\n", err);
    }
    assert_int_equal(ret, 0);
    err[0] = '\0';
    ret = config_budget(cfg, host, b, err);
    config_destroy(cfg);
    return ret;
}

/* Asserts that 'err' begins with "path:line: ". */
static void
assert_where(const char *err, const char *path, int line)
{
    char want[128];

    snprintf(want, sizeof want, "%s:%d: ", path, line);
    if (strncmp(err, want, strlen(want)) != 0) {
        print_error("wanted '%s...', got '%s'\n", want, err);
        fail();
    }
}

/* A small gateway fits, and the figures are those of its ports: its routed tenants share one
 * exception port. */
static void
test_fits(void **state)
{
    struct config_budget b;
    char err[CONFIG_ERR_MAX], path[64];
    struct gen g;

    (void)state;
    gen_config(&g, 5, "", "\"--in-memory\", \"--no-pci\"");
    assert_int_equal(run_budget(&g, &host_3g, &b, err, path), 0);
    assert_string_equal(err, "");
    assert_int_equal(b.routed_tenants, 5);
    assert_int_equal(b.ports.needed, 3);
    assert_int_equal(b.ports.available, 32);
    assert_non_null(strstr(b.ports.detail, "2 configured, 1 shared by 5 routed tenants"));
    /* One worker: one rx queue of DP_RX_DESC on each of the 3 taps; net_tap holds no tx mbufs. */
    assert_int_equal(b.mbufs.available, 8192 + 8 * (DP_RX_DESC + DP_TX_DESC));
    assert_true(b.mbufs.needed >= 3 * DP_RX_DESC && b.mbufs.needed < b.mbufs.available);
    assert_true(b.memory.needed > 64ull << 20 && b.memory.needed < b.memory.available);
    assert_int_equal(b.memory.available, 3 * GIB);
    gen_free(&g);
}

/* Ports and packet buffers do not grow with routed tenants: 200 take what 1 takes. A shared port
 * carries DP_COMPARTMENT_TAGS compartments: one more tenant takes a second port. */
static void
test_routed_tenants_share_ports(void **state)
{
    struct config_budget one, many;
    char err[CONFIG_ERR_MAX], path[64];
    struct gen g;

    (void)state;
    gen_config(&g, 1, "", "\"--in-memory\", \"--no-pci\"");
    assert_int_equal(run_budget(&g, &host_3g, &one, err, path), 0);
    gen_free(&g);
    gen_config(&g, 200, "", "\"--in-memory\", \"--no-pci\"");
    assert_int_equal(run_budget(&g, &host_3g, &many, err, path), 0);
    gen_free(&g);
    assert_int_equal(many.routed_tenants, 200);
    assert_int_equal(many.ports.needed, one.ports.needed);
    assert_int_equal(many.mbufs.needed, one.mbufs.needed);
    assert_int_equal(many.mbufs.available, one.mbufs.available);

    gen_config(&g, DP_COMPARTMENT_TAGS, "", "\"--in-memory\", \"--no-pci\"");
    assert_int_equal(run_budget(&g, &host_3g, &many, err, path), 0);
    assert_int_equal(many.ports.needed, 3);
    gen_free(&g);
    gen_config(&g, DP_COMPARTMENT_TAGS + 1, "", "\"--in-memory\", \"--no-pci\"");
    assert_int_equal(run_budget(&g, &host_3g, &many, err, path), 0);
    assert_int_equal(many.ports.needed, 4);
    assert_non_null(strstr(many.ports.detail, "2 shared by 4095 routed tenants"));
    gen_free(&g);
}

/* Beyond the compartments the data plane reaches, the first routed tenant too many is named. */
static void
test_too_many_routed_tenants(void **state)
{
    struct config_budget b;
    char err[CONFIG_ERR_MAX], path[64];
    struct gen g;

    (void)state;
    gen_config(&g, BUDGET_ROUTED_MAX + 1, "", "\"--in-memory\", \"--no-pci\"");
    assert_int_equal(run_budget(&g, &host_3g, &b, err, path), ENOSPC);
    assert_where(err, path, g.routing_line[BUDGET_ROUTED_MAX]);
    assert_non_null(strstr(err, "more than 8191 tenants with routing"));
    gen_free(&g);
}

/* node.mbufs below what the ports' rings hold: the port that tips it over is named. */
static void
test_too_many_mbufs(void **state)
{
    struct config_budget b;
    char err[CONFIG_ERR_MAX], path[64];
    struct gen g;

    (void)state;
    /* The provider's and the external port's rx rings and what runs the packet path fit in
     * 4500; the shared exception port's ring does not. */
    gen_config(&g, 3, "  mbufs = 4500\n", "\"--in-memory\", \"--no-pci\"");
    assert_int_equal(run_budget(&g, &host_3g, &b, err, path), ENOSPC);
    assert_where(err, path, g.routing_line[0]);
    assert_non_null(strstr(err, "tenant \"t1\" routing (a shared exception port, 4094 "
                                "compartments): the packet buffers run out"));
    assert_non_null(strstr(err, "raise node.mbufs"));
    assert_true(b.mbufs.needed > b.mbufs.available);
    gen_free(&g);

    /* The automatic pool fits them. */
    gen_config(&g, 3, "", "\"--in-memory\", \"--no-pci\"");
    assert_int_equal(run_budget(&g, &host_3g, &b, err, path), 0);
    gen_free(&g);
}

/* Memory: the machine's hugepages without -m, -m itself (never more than the machine has), and
 * --no-huge's 64 MiB; a refusal names eal_args. */
static void
test_memory(void **state)
{
    const struct budget_host small = {.hugepages_total = 256ull << 20, .hugepages_free = 0};
    struct config_budget b;
    char err[CONFIG_ERR_MAX], path[64];
    struct gen g;

    (void)state;
    gen_config(&g, 0, "", "\"--in-memory\", \"--no-pci\"");
    assert_int_equal(run_budget(&g, &small, &b, err, path), ENOSPC);
    assert_where(err, path, g.eal_line);
    assert_non_null(strstr(err, "MiB of hugepage memory"));
    assert_int_equal(b.memory.available, 256ull << 20);
    gen_free(&g);

    gen_config(&g, 0, "", "\"--in-memory\", \"-m\", \"2048\"");
    assert_int_equal(run_budget(&g, &host_3g, &b, err, path), 0);
    assert_int_equal(b.memory.available, 2 * GIB);
    assert_int_equal(run_budget(&g, &small, &b, err, path), ENOSPC);
    assert_int_equal(b.memory.available, 256ull << 20);
    gen_free(&g);

    gen_config(&g, 0, "", "\"--in-memory\", \"--socket-mem=300,300\"");
    assert_int_equal(run_budget(&g, &host_3g, &b, err, path), ENOSPC);
    assert_int_equal(b.memory.available, 600ull << 20);
    gen_free(&g);

    gen_config(&g, 0, "", "\"--no-huge\", \"--no-pci\"");
    assert_int_equal(run_budget(&g, &host_3g, &b, err, path), ENOSPC);
    assert_int_equal(b.memory.available, 64ull << 20);
    assert_where(err, path, g.eal_line);
    gen_free(&g);
}

/* The machine's hugepages are summed over page sizes from sysfs. */
static void
test_host_read(void **state)
{
    char dir[] = "/tmp/hnvgw_huge_XXXXXX", path[256];
    struct budget_host h;
    FILE *f;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/hugepages-2048kB", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/hugepages-2048kB/nr_hugepages", dir);
    assert_non_null(f = fopen(path, "w"));
    fputs("1536\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/hugepages-2048kB/free_hugepages", dir);
    assert_non_null(f = fopen(path, "w"));
    fputs("508\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/hugepages-1048576kB", dir);
    assert_int_equal(mkdir(path, 0700), 0);
    snprintf(path, sizeof path, "%s/hugepages-1048576kB/nr_hugepages", dir);
    assert_non_null(f = fopen(path, "w"));
    fputs("2\n", f);
    fclose(f);

    assert_int_equal(budget_host_read(dir, &h), 0);
    assert_int_equal(h.hugepages_total, 1536ull * 2 * 1024 * 1024 + 2 * GIB);
    assert_int_equal(h.hugepages_free, 508ull * 2 * 1024 * 1024);
    assert_int_equal(budget_host_read("/nonexistent-hnvgw", &h), ENOENT);
    assert_int_equal(h.hugepages_total, 0);

    snprintf(path, sizeof path, "rm -r %s", dir);
    assert_int_equal(system(path), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fits),
        cmocka_unit_test(test_routed_tenants_share_ports),
        cmocka_unit_test(test_too_many_routed_tenants),
        cmocka_unit_test(test_too_many_mbufs),
        cmocka_unit_test(test_memory),
        cmocka_unit_test(test_host_read),
    };

    return cmocka_run_group_tests_name("config_budget", tests, NULL, NULL);
}
