/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers and building blocks shared by the unit tests of the configuration module
 * (gateway/config/), one test file per section of the file.
 *
 * Every invalid-config case is a whole file written from a string literal. The line the error must
 * name is marked in the literal with a "#<<" comment (comments must not shift line numbers), or
 * given explicitly for errors about the file as a whole (line 0). Include after cmocka.h. */
#ifndef HNVGW_TESTS_CONFIG_FIXTURE_H
#define HNVGW_TESTS_CONFIG_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gateway/config.h"

/* ---- Building blocks of test configs ---- */

#define NODE_GW                                                                                    \
    "node {\n"                                                                                     \
    "  name = \"gw1\"\n"                                                                           \
    "  roles = {\"gateway\"}\n"                                                                    \
    "  provider_addresses = {\"10.0.0.1\"}\n"                                                      \
    "}\n"
#define NODE_HOST                                                                                  \
    "node {\n"                                                                                     \
    "  name = \"host1\"\n"                                                                         \
    "  roles = {\"host\"}\n"                                                                       \
    "  provider_addresses = {\"10.0.0.2\"}\n"                                                      \
    "}\n"
#define PORT_PA                                                                                    \
    "port \"pa0\" {\n"                                                                             \
    "  kind = \"provider\"\n"                                                                      \
    "  devargs = \"net_tap0,iface=hnvpa0\"\n"                                                      \
    "  mac = \"02:00:0a:00:00:01\"\n"                                                              \
    "  address = \"10.0.0.1/24\"\n"                                                                \
    "}\n"
#define PORT_PA_HOST                                                                               \
    "port \"pa0\" {\n"                                                                             \
    "  kind = \"provider\"\n"                                                                      \
    "  devargs = \"net_tap0,iface=hpa0\"\n"                                                        \
    "  mac = \"02:00:0a:00:00:02\"\n"                                                              \
    "  address = \"10.0.0.2/24\"\n"                                                                \
    "}\n"
#define PORT_EXT                                                                                   \
    "port \"ext0\" {\n"                                                                            \
    "  kind = \"external\"\n"                                                                      \
    "  devargs = \"net_tap1,iface=hnvext0\"\n"                                                     \
    "  mac = \"02:00:0a:63:00:01\"\n"                                                              \
    "  address = \"10.99.0.1/24\"\n"                                                               \
    "}\n"
#define SUBNET_WEB                                                                                 \
    "  subnet \"web\" {\n"                                                                         \
    "    vsid = 5001\n"                                                                            \
    "    prefix = \"10.1.1.0/24\"\n"                                                               \
    "    gateway_ip = \"10.1.1.1\"\n"                                                              \
    "    gateway_mac = \"02:00:00:00:01:01\"\n"                                                    \
    "  }\n"
#define SUBNET_DB                                                                                  \
    "  subnet \"db\" {\n"                                                                          \
    "    vsid = 5002\n"                                                                            \
    "    prefix = \"10.1.2.0/24\"\n"                                                               \
    "    gateway_ip = \"10.1.2.1\"\n"                                                              \
    "    gateway_mac = \"02:00:00:00:02:01\"\n"                                                    \
    "  }\n"
#define TENANT_A "tenant \"contoso\" {\n  id = 1\n" SUBNET_WEB SUBNET_DB "}\n"
#define TENANT_B                                                                                   \
    "tenant \"fabrikam\" {\n"                                                                      \
    "  id = 2\n"                                                                                   \
    "  subnet \"web\" {\n"                                                                         \
    "    vsid = 6001\n"                                                                            \
    "    prefix = \"10.1.1.0/24\"\n"                                                               \
    "    gateway_ip = \"10.1.1.1\"\n"                                                              \
    "    gateway_mac = \"02:00:00:00:03:01\"\n"                                                    \
    "  }\n"                                                                                        \
    "}\n"
/* A valid gateway config to append cases to. */
#define BASE NODE_GW PORT_PA PORT_EXT TENANT_A
/* A valid host config (vm ports allowed). */
#define BASE_HOST NODE_HOST PORT_PA_HOST TENANT_A
#define Q(s)      "\"" s "\""
/* A lookup record from the four values as written (quoted where needed; may end in "#<<"). */
#define LREC(ca, vsid, pa, mac)                                                                    \
    "lookup_record {\n  ca = " ca "\n  vsid = " vsid "\n  pa = " pa "\n  mac = " mac "\n}\n"
#define LOOKUP(ca, vsid, pa, mac) LREC(Q(ca), vsid, Q(pa), Q(mac))

/* NAT: node, provider and external port (lines 1..17), then tenants with a nat section. Tenant
 * "contoso" opens at line 18 and its 'nat' text starts at line 32. */
#define NAT_BASE          NODE_GW PORT_PA PORT_EXT
#define TENANT_A_NAT(nat) "tenant \"contoso\" {\n  id = 1\n" SUBNET_WEB SUBNET_DB nat "}\n"
/* Tenant "fabrikam" (subnet 10.1.1.0/24, vsid 6001) with 'nat' starting 8 lines after it. */
#define TENANT_B_NAT(nat)                                                                          \
    "tenant \"fabrikam\" {\n"                                                                      \
    "  id = 2\n"                                                                                   \
    "  subnet \"web\" {\n"                                                                         \
    "    vsid = 6001\n"                                                                            \
    "    prefix = \"10.1.1.0/24\"\n"                                                               \
    "    gateway_ip = \"10.1.1.1\"\n"                                                              \
    "    gateway_mac = \"02:00:00:00:03:01\"\n"                                                    \
    "  }\n" nat "}\n"
#define NAT(keys) "  nat {\n" keys "  }\n"
#define NAT_PUB   "    public_addresses = {\"198.18.0.10\"}\n"
/* A static_mapping from the three values as written (quoted where needed; may end in "#<<"). */
#define NAT_STATIC(proto, pub, in)                                                                 \
    "    static_mapping {\n      protocol = " proto "\n      public = " pub "\n      inside = " in \
    "\n    }\n"
/* A config whose tenant "contoso" has a nat section with 'keys'. */
#define NAT_CFG(keys) NAT_BASE TENANT_A_NAT(NAT(keys))
/* A config whose tenant "contoso" has a routing section with 'keys' (from line 32). */
#define ROUTING_CFG(keys) NAT_BASE TENANT_A_NAT("  routing {\n" keys "  }\n")
#define ROUTING_MIN       "    asn = 65001\n    router_id = \"10.1.1.1\"\n"
/* VPN: tenant "contoso" gets a vpn section from line 32: local_address on 33, the first tunnel
 * opens at line 34 and its keys start at line 35. */
#define VPN(tunnels)     "  vpn {\n    local_address = \"198.18.0.20\"\n" tunnels "  }\n"
#define TUN(title, keys) "    tunnel " title " {\n" keys "    }\n"
#define TUN_PSK          "      psk = \"Zx8-kQ2!mP5#tR7w\"\n"
#define TUN_REMOTE       "      remote_address = \"198.18.1.1\"\n"
#define TUN_RTS          "      remote_ts = {\"172.16.1.0/24\"}\n"
#define TUN_MIN          TUN_REMOTE TUN_PSK TUN_RTS
/* A config whose tenant "contoso" has a vpn section with one tunnel "site1" of 'keys'. */
#define VPN_CFG(keys) NAT_BASE TENANT_A_NAT(VPN(TUN("\"site1\"", keys)))
/* Same, with the tunnel's keys after the minimal ones. */
#define VPN_CFG_MIN(keys) VPN_CFG(TUN_MIN keys)
#define TUN_M(title)      TUN(title, TUN_MIN)
#define TUN_R(title)      TUN(title, TUN_REMOTE TUN_PSK "      mode = route\n")
/* Fifteen tunnels t1..t15 made by T(title). */
/* clang-format off */
#define TUN15(T) T("t1") T("t2") T("t3") T("t4") T("t5") T("t6") T("t7") T("t8") T("t9") \
    T("t10") T("t11") T("t12") T("t13") T("t14") T("t15")
/* clang-format on */

/* ---- Helpers ---- */

/* Writes 'text' to a new temporary file; returns its path (free it) or NULL. */
static inline char *
write_tmp(const char *text)
{
    char *path = strdup("/tmp/hnvgw_test_XXXXXX");
    int fd;
    size_t len = strlen(text);

    assert_non_null(path);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
    return path;
}

/* Loads 'text' as a config file; returns config_load()'s result. 'path_out', if not NULL,
 * receives the file's name (the file is removed either way). */
static inline int
load_text(const char *text, struct hnvgw_config **cfg, char *err, char *path_out)
{
    char *path = write_tmp(text);
    int ret = config_load(path, cfg, err);

    if (path_out) {
        snprintf(path_out, 64, "%s", path);
    }
    unlink(path);
    free(path);
    return ret;
}

/* Loads 'text', which must be valid, and returns the config. */
static inline struct hnvgw_config *
load_ok(const char *text)
{
    char err[CONFIG_ERR_MAX];
    struct hnvgw_config *cfg = NULL;
    int ret = load_text(text, &cfg, err, NULL);

    if (ret) {
        print_error("unexpected error: %s\n", err);
    }
    assert_int_equal(ret, 0);
    assert_non_null(cfg);
    return cfg;
}

/* Line of the "#<<" marker in 'text', or -1. */
static inline int
marker_line(const char *text)
{
    const char *m = strstr(text, "#<<");
    int line = 1;

    if (!m) {
        return -1;
    }
    for (const char *p = text; p < m; p++) {
        line += *p == '\n';
    }
    return line;
}

/* One invalid configuration. */
struct bad_case {
    const char *name;   /* Test name. */
    const char *text;   /* The file. */
    const char *needle; /* Must appear in the message after "file:line: ", e.g. the field. */
    int line;           /* Expected line when the text has no "#<<" marker. */
};

/* Asserts that 'text' fails to load with "FILE:LINE: " then 'needle' in the message. */
static inline void
expect_bad(const char *text, int line, const char *needle)
{
    char err[CONFIG_ERR_MAX], path[64], prefix[96];
    struct hnvgw_config *cfg = (struct hnvgw_config *)&cfg; /* Must be reset to NULL. */
    int ret = load_text(text, &cfg, err, path);
    int mark = marker_line(text);

    if (mark >= 0) {
        line = mark;
    }
    snprintf(prefix, sizeof prefix, "%s:%d: ", path, line);
    if (ret == 0 || strncmp(err, prefix, strlen(prefix)) || !strstr(err, needle) ||
        strchr(err, '\n')) {
        print_error("expected \"%s...%s\"\n     got \"%s\" (ret %d)\n", prefix, needle,
                    ret ? err : "success", ret);
        if (ret == 0) {
            config_destroy(cfg);
        }
        fail();
    }
    assert_null(cfg);
}

static inline void
run_bad_case(void **state)
{
    const struct bad_case *c = *state;

    expect_bad(c->text, c->line, c->needle);
}

/* Runs the group 'name': the 'n_fixed' tests of 'fixed', then one test per invalid-config case of
 * 'bad' (of 'n_bad'), named after it. Returns the number of failed tests, for main(). */
static inline int
config_fixture_run(const char *name, const struct CMUnitTest *fixed, size_t n_fixed,
                   const struct bad_case *bad, size_t n_bad)
{
    struct CMUnitTest *tests = calloc(n_fixed + n_bad, sizeof *tests);
    int failed;

    if (!tests) {
        return 1;
    }
    memcpy(tests, fixed, n_fixed * sizeof *fixed);
    for (size_t i = 0; i < n_bad; i++) {
        tests[n_fixed + i] = (struct CMUnitTest){
            .name = bad[i].name, .test_func = run_bad_case, .initial_state = (void *)&bad[i]};
    }
    failed = _cmocka_run_group_tests(name, tests, n_fixed + n_bad, NULL, NULL);
    free(tests);
    return failed;
}

#endif
