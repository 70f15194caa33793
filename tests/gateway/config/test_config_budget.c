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
    char *text;           /* Owned: the file. */
    int routing_line[64]; /* Line of routing section of routed tenant i (0-based). */
    int eal_line;         /* Line of eal_args. */
};

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
    g->text = realloc(g->text, *len + (size_t)n + 1);
    assert_non_null(g->text);
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
    gen_add(g, &len, &line, "node {\n  name = \"gw1\"\n  roles = {\"gateway\"}\n");
    gen_add(g, &len, &line, "  provider_addresses = {\"10.0.0.1\"}\n%s", node_extra);
    g->eal_line = line;
    gen_add(g, &len, &line, "  eal_args = {%s}\n}\n", eal);
    gen_add(g, &len, &line, "%s", PORT_PA PORT_EXT);
    for (unsigned i = 0; i < n_routed; i++) {
        gen_add(g, &len, &line, "tenant \"t%u\" {\n  id = %u\n", i + 1, i + 1);
        gen_add(g, &len, &line,
                "  subnet \"s\" {\n    vsid = %u\n    prefix = \"10.%u.1.0/24\"\n"
                "    gateway_ip = \"10.%u.1.1\"\n    gateway_mac = \"02:00:00:00:%02x:01\"\n  }\n",
                5001 + i, i + 1, i + 1, i + 1);
        g->routing_line[i] = line;
        gen_add(g, &len, &line,
                "  routing {\n    asn = 65001\n    router_id = \"10.%u.1.1\"\n  }\n}\n", i + 1);
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

/* A small gateway fits, and the figures are those of its ports. */
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
    assert_int_equal(b.ports.needed, 7);
    assert_int_equal(b.ports.available, 32);
    /* One worker: one rx queue of DP_RX_DESC on each of the 7 taps; net_tap holds no tx mbufs. */
    assert_int_equal(b.mbufs.available, 8192 + 8 * (DP_RX_DESC + DP_TX_DESC));
    assert_true(b.mbufs.needed >= 7 * DP_RX_DESC && b.mbufs.needed < b.mbufs.available);
    assert_true(b.memory.needed > 64ull << 20 && b.memory.needed < b.memory.available);
    assert_int_equal(b.memory.available, 3 * GIB);
    free(g.text);
}

/* 31 routed tenants and 2 ports make 33 DPDK ports: the 31st tenant's routing section is named.
 * With 30 the 32 ports fit. */
static void
test_too_many_ports(void **state)
{
    struct config_budget b;
    char err[CONFIG_ERR_MAX], path[64];
    struct gen g;

    (void)state;
    gen_config(&g, 31, "  mbufs = 131072\n", "\"--in-memory\", \"--no-pci\"");
    assert_int_equal(run_budget(&g, &host_3g, &b, err, path), ENOSPC);
    assert_where(err, path, g.routing_line[30]);
    assert_non_null(strstr(err, "tenant \"t31\" routing (its exception port) would be DPDK port "
                                "33, but DPDK has at most 32"));
    assert_int_equal(b.ports.needed, 33);
    free(g.text);

    gen_config(&g, 30, "  mbufs = 131072\n", "\"--in-memory\", \"--no-pci\"");
    assert_int_equal(run_budget(&g, &host_3g, &b, err, path), 0);
    assert_int_equal(b.ports.needed, 32);
    free(g.text);
}

/* With the automatic pool (24,576 mbufs for one worker), the rx rings of 22 taps and what runs
 * the packet path no longer fit: the 20th routed tenant's port is named. node.mbufs raises it. */
static void
test_too_many_mbufs(void **state)
{
    struct config_budget b;
    char err[CONFIG_ERR_MAX], path[64];
    struct gen g;

    (void)state;
    gen_config(&g, 25, "", "\"--in-memory\", \"--no-pci\"");
    assert_int_equal(run_budget(&g, &host_3g, &b, err, path), ENOSPC);
    assert_where(err, path, g.routing_line[19]);
    assert_non_null(strstr(err, "tenant \"t20\" routing (its exception port): the packet buffers "
                                "run out"));
    assert_non_null(strstr(err, "raise node.mbufs"));
    assert_true(b.mbufs.needed > b.mbufs.available);
    free(g.text);

    /* One fewer fits. */
    gen_config(&g, 19, "", "\"--in-memory\", \"--no-pci\"");
    assert_int_equal(run_budget(&g, &host_3g, &b, err, path), 0);
    free(g.text);

    gen_config(&g, 25, "  mbufs = 40000\n", "\"--in-memory\", \"--no-pci\"");
    assert_int_equal(run_budget(&g, &host_3g, &b, err, path), 0);
    assert_int_equal(b.mbufs.available, 40000);
    free(g.text);
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
    free(g.text);

    gen_config(&g, 0, "", "\"--in-memory\", \"-m\", \"2048\"");
    assert_int_equal(run_budget(&g, &host_3g, &b, err, path), 0);
    assert_int_equal(b.memory.available, 2 * GIB);
    assert_int_equal(run_budget(&g, &small, &b, err, path), ENOSPC);
    assert_int_equal(b.memory.available, 256ull << 20);
    free(g.text);

    gen_config(&g, 0, "", "\"--in-memory\", \"--socket-mem=300,300\"");
    assert_int_equal(run_budget(&g, &host_3g, &b, err, path), ENOSPC);
    assert_int_equal(b.memory.available, 600ull << 20);
    free(g.text);

    gen_config(&g, 0, "", "\"--no-huge\", \"--no-pci\"");
    assert_int_equal(run_budget(&g, &host_3g, &b, err, path), ENOSPC);
    assert_int_equal(b.memory.available, 64ull << 20);
    assert_where(err, path, g.eal_line);
    free(g.text);
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
        cmocka_unit_test(test_fits),           cmocka_unit_test(test_too_many_ports),
        cmocka_unit_test(test_too_many_mbufs), cmocka_unit_test(test_memory),
        cmocka_unit_test(test_host_read),
    };

    return cmocka_run_group_tests_name("config_budget", tests, NULL, NULL);
}
