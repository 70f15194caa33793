/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the configuration module: the node's cluster section (one node of a pair), and
 * which of its changes a reload takes. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "gateway/policy.h"
#include "tests/gateway/config/config_fixture.h"

/* A node of a pair: the provider port's own address 10.0.0.11, the virtual PA 10.0.0.1. The
 * cluster section opens at line 5, its first key is on line 6. */
#define NODE_PAIR(cluster)                                                                         \
    "node {\n"                                                                                     \
    "  name = \"gw-a\"\n"                                                                          \
    "  roles = {\"gateway\"}\n"                                                                    \
    "  provider_addresses = {\"10.0.0.1\"}\n" cluster "}\n"
#define PORT_PA_OWN                                                                                \
    "port \"pa0\" {\n"                                                                             \
    "  kind = \"provider\"\n"                                                                      \
    "  devargs = \"net_tap0,iface=hnvpa0\"\n"                                                      \
    "  mac = \"02:00:0a:00:00:0b\"\n"                                                              \
    "  address = \"10.0.0.11/24\"\n"                                                               \
    "}\n"
#define CLUSTER(keys) "  cluster {\n" keys "  }\n"
#define CL_VRID       "    vrid = 51\n"
#define CL_PEER       "    peer = \"10.20.0.12\"\n"
#define CL_SYNC       "    sync_address = \"10.20.0.11\"\n"
#define CL_SECRET     "    secret = \"0123456789abcdef\"\n"
#define CL_MIN        CL_VRID CL_PEER CL_SYNC CL_SECRET
/* A valid pair node with the cluster keys 'keys'. */
#define PAIR(keys) NODE_PAIR(CLUSTER(keys)) PORT_PA_OWN PORT_EXT TENANT_A

/* ---- Invalid configurations: one case per rule ---- */

static const struct bad_case bad_cases[] = {
    {"vrid_missing", NODE_PAIR("  cluster { #<<\n" CL_PEER CL_SYNC CL_SECRET "  }\n") PORT_PA_OWN,
     "node cluster vrid: is required", -1},
    {"vrid_zero", PAIR("    vrid = 0 #<<\n" CL_PEER CL_SYNC CL_SECRET),
     "node cluster vrid: 0 is out of range 1..255", -1},
    {"vrid_256", PAIR("    vrid = 256 #<<\n" CL_PEER CL_SYNC CL_SECRET),
     "node cluster vrid: 256 is out of range 1..255", -1},
    {"vrid_text", PAIR("    vrid = one #<<\n" CL_PEER CL_SYNC CL_SECRET),
     "node cluster vrid: not an integer", -1},
    {"priority_zero", PAIR(CL_MIN "    priority = 0 #<<\n"),
     "node cluster priority: 0 is out of range 1..254", -1},
    /* 255 is the address owner's (RFC 5798): not for a pair. */
    {"priority_owner", PAIR(CL_MIN "    priority = 255 #<<\n"),
     "node cluster priority: 255 is out of range 1..254", -1},
    {"preempt_bad", PAIR(CL_MIN "    preempt = maybe #<<\n"),
     "node cluster preempt: not true or false", -1},
    {"advert_too_short", PAIR(CL_MIN "    advert_interval_ms = 5 #<<\n"),
     "node cluster advert_interval_ms: 5 is out of range 10..1000", -1},
    {"advert_too_long", PAIR(CL_MIN "    advert_interval_ms = 1010 #<<\n"),
     "node cluster advert_interval_ms: 1010 is out of range 10..1000", -1},
    {"advert_not_centiseconds", PAIR(CL_MIN "    advert_interval_ms = 105 #<<\n"),
     "node cluster advert_interval_ms: 105 is not a multiple of 10 (VRRPv3 counts centiseconds)",
     -1},
    {"switchover_hold_range", PAIR(CL_MIN "    switchover_hold = 86401 #<<\n"),
     "node cluster switchover_hold: 86401 is out of range 0..86400", -1},
    {"peer_missing", NODE_PAIR("  cluster { #<<\n" CL_VRID CL_SYNC CL_SECRET "  }\n") PORT_PA_OWN,
     "node cluster peer: is required", -1},
    {"peer_bad", PAIR(CL_VRID "    peer = \"10.20.0.300\" #<<\n" CL_SYNC CL_SECRET),
     "node cluster peer: '10.20.0.300' is not an IPv4 address", -1},
    {"peer_multicast", PAIR(CL_VRID "    peer = \"224.0.0.18\" #<<\n" CL_SYNC CL_SECRET),
     "node cluster peer: 224.0.0.18 is not a unicast address", -1},
    {"peer_is_self", PAIR(CL_VRID "    peer = \"10.20.0.11\" #<<\n" CL_SYNC CL_SECRET),
     "node cluster peer: 10.20.0.11 is this node's own sync_address", -1},
    {"peer_is_pa", PAIR(CL_VRID "    peer = \"10.0.0.1\" #<<\n" CL_SYNC CL_SECRET),
     "node cluster peer: 10.0.0.1 is a provider address: the sync channel needs a kernel "
     "interface",
     -1},
    {"sync_missing", NODE_PAIR("  cluster { #<<\n" CL_VRID CL_PEER CL_SECRET "  }\n") PORT_PA_OWN,
     "node cluster sync_address: is required", -1},
    {"sync_ipv6", PAIR(CL_VRID CL_PEER "    sync_address = \"fd00::11\" #<<\n" CL_SECRET),
     "node cluster sync_address: IPv6 is not supported yet", -1},
    {"sync_on_provider_port",
     PAIR(CL_VRID CL_PEER "    sync_address = \"10.0.0.11\" #<<\n" CL_SECRET),
     "node cluster sync_address: 10.0.0.11 is the address of port \"pa0\": the sync channel "
     "needs a kernel interface",
     -1},
    {"sync_on_external_port",
     PAIR(CL_VRID CL_PEER "    sync_address = \"10.99.0.1\" #<<\n" CL_SECRET),
     "node cluster sync_address: 10.99.0.1 is the address of port \"ext0\"", -1},
    {"sync_port_zero", PAIR(CL_MIN "    sync_port = 0 #<<\n"),
     "node cluster sync_port: 0 is out of range 1..65535", -1},
    {"sync_port_big", PAIR(CL_MIN "    sync_port = 65536 #<<\n"),
     "node cluster sync_port: 65536 is out of range 1..65535", -1},
    {"secret_missing", NODE_PAIR("  cluster { #<<\n" CL_VRID CL_PEER CL_SYNC "  }\n") PORT_PA_OWN,
     "node cluster secret: is required (or secret_file)", -1},
    {"secret_short", PAIR(CL_VRID CL_PEER CL_SYNC "    secret = \"0123456789abcde\" #<<\n"),
     "node cluster secret: 15 characters, not 16..256", -1},
    {"secret_long",
     PAIR(CL_VRID CL_PEER CL_SYNC
          "    secret = "
          "\"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
          "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
          "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
          "0123456789abcdef0\" #<<\n"),
     "node cluster secret: 257 characters, not 16..256", -1},
    {"secret_and_file", PAIR(CL_MIN "    secret_file = \"/etc/hnvgw/cluster.key\" #<<\n"),
     "node cluster secret_file: set together with secret: use one", -1},
    {"secret_file_missing",
     PAIR(CL_VRID CL_PEER CL_SYNC "    secret_file = \"/nonexistent/cluster.key\" #<<\n"),
     "node cluster secret_file: cannot read /nonexistent/cluster.key: No such file", -1},
    {"secret_file_empty_path", PAIR(CL_VRID CL_PEER CL_SYNC "    secret_file = \"\" #<<\n"),
     "node cluster secret_file: '' is not a path", -1},
    {"cluster_twice", NODE_PAIR(CLUSTER(CL_MIN) "  cluster { #<<\n" CL_MIN "  }\n") PORT_PA_OWN,
     "node cluster: defined twice (first at line 5)", -1},
    {"cluster_unknown_key", PAIR(CL_MIN "    vmac = true #<<\n"), "node cluster vmac: unknown key",
     -1},
    {"cluster_without_provider",
     "node {\n  roles = {\"gateway\"}\n  cluster { #<<\n" CL_MIN "  }\n}\n" PORT_EXT,
     "node cluster: needs a provider port: the pair elects its active node there", -1},
};

/* The standalone layout (the provider port's own address is the PA) with a cluster section. */
static void
test_port_address_is_pa(void **state)
{
    (void)state;
    expect_bad("node {\n"
               "  roles = {\"gateway\"}\n"
               "  provider_addresses = {\"10.0.0.1\"}\n"
               "  cluster { #<<\n" CL_MIN "  }\n"
               "}\n" PORT_PA,
               -1,
               "node cluster: the address 10.0.0.1 of provider port \"pa0\" is one of "
               "provider_addresses: in a pair the port's address is the node's own");
}

/* The defaults of every optional key, and a node without the section. */
static void
test_defaults(void **state)
{
    struct hnvgw_config *cfg = load_ok(PAIR(CL_MIN));
    const struct config_cluster *c = &cfg->cluster;
    char b[HNVGW_IP_STRLEN];

    (void)state;
    assert_true(c->enabled);
    assert_int_equal(c->vrid, 51);
    assert_int_equal(c->priority, 100);
    assert_true(c->preempt);
    assert_int_equal(c->advert_interval_ms, 100);
    assert_int_equal(c->switchover_hold_s, 60);
    assert_int_equal(c->sync_port, 4797);
    assert_string_equal(hnvgw_ip_format(&c->peer, b), "10.20.0.12");
    assert_string_equal(hnvgw_ip_format(&c->sync_address, b), "10.20.0.11");
    assert_int_equal(c->secret_len, 16);
    assert_memory_equal(c->secret, "0123456789abcdef", 16);
    assert_string_equal(c->secret_file, "");
    assert_int_equal(c->line, 5);
    config_destroy(cfg);

    cfg = load_ok(BASE);
    assert_false(cfg->cluster.enabled);
    assert_int_equal(cfg->cluster.vrid, 0);
    config_destroy(cfg);
}

/* Every key set. */
static void
test_all_keys(void **state)
{
    struct hnvgw_config *cfg =
        load_ok(PAIR(CL_MIN "    priority = 254\n    preempt = false\n"
                            "    advert_interval_ms = 1000\n    switchover_hold = 0\n"
                            "    sync_port = 5000\n"));
    const struct config_cluster *c = &cfg->cluster;

    (void)state;
    assert_int_equal(c->priority, 254);
    assert_false(c->preempt);
    assert_int_equal(c->advert_interval_ms, 1000);
    assert_int_equal(c->switchover_hold_s, 0);
    assert_int_equal(c->sync_port, 5000);
    config_destroy(cfg);

    cfg = load_ok(PAIR(CL_MIN "    priority = 1\n    advert_interval_ms = 10\n"));
    assert_int_equal(cfg->cluster.priority, 1);
    assert_int_equal(cfg->cluster.advert_interval_ms, 10);
    config_destroy(cfg);
}

/* Writes 'len' bytes of 'data' to a new file of mode 'mode' in /tmp, returns its path (free). */
static char *
secret_tmp(const void *data, size_t len, mode_t mode)
{
    char *path = strdup("/tmp/hnvgw_secret_XXXXXX");
    int fd;

    assert_non_null(path);
    fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, len), (ssize_t)len);
    assert_int_equal(fchmod(fd, mode), 0);
    close(fd);
    return path;
}

/* secret_file: the bytes as they are (binary included), less one final newline; a file others
 * may read, or of the wrong size, is refused. */
static void
test_secret_file(void **state)
{
    static const uint8_t binary[20] = {0,    1,    2,    0xff, 0x0a, 5,    6, 7, 8, 9,
                                       0x80, 0x7f, 0x00, 0x0d, 0x0a, 0x41, 1, 2, 3, 0x0a};
    char text[1024], needle[256];
    struct hnvgw_config *cfg;
    char *path;

    (void)state;
    /* A text file from echo: its newline is not part of the secret. */
    path = secret_tmp("correct horse battery staple\n", 29, 0600);
    snprintf(text, sizeof text, PAIR(CL_VRID CL_PEER CL_SYNC "    secret_file = \"%s\"\n"), path);
    cfg = load_ok(text);
    assert_int_equal(cfg->cluster.secret_len, 28);
    assert_memory_equal(cfg->cluster.secret, "correct horse battery staple", 28);
    assert_string_equal(cfg->cluster.secret_file, path);
    config_destroy(cfg);
    unlink(path);
    free(path);

    /* Binary: every byte kept but the final newline. */
    path = secret_tmp(binary, sizeof binary, 0640);
    snprintf(text, sizeof text, PAIR(CL_VRID CL_PEER CL_SYNC "    secret_file = \"%s\"\n"), path);
    cfg = load_ok(text);
    assert_int_equal(cfg->cluster.secret_len, 19);
    assert_memory_equal(cfg->cluster.secret, binary, 19);
    config_destroy(cfg);

    /* Readable by others. */
    assert_int_equal(chmod(path, 0644), 0);
    snprintf(text, sizeof text, PAIR(CL_VRID CL_PEER CL_SYNC "    secret_file = \"%s\" #<<\n"),
             path);
    snprintf(needle, sizeof needle, "node cluster secret_file: %s is readable by every user", path);
    expect_bad(text, -1, needle);
    unlink(path);
    free(path);

    /* Too short once the newline is gone; too long. */
    path = secret_tmp("0123456789abcde\n", 16, 0600);
    snprintf(text, sizeof text, PAIR(CL_VRID CL_PEER CL_SYNC "    secret_file = \"%s\" #<<\n"),
             path);
    snprintf(needle, sizeof needle, "node cluster secret_file: %s holds 15 bytes, not 16..256",
             path);
    expect_bad(text, -1, needle);
    unlink(path);
    free(path);
    {
        char big[300];

        memset(big, 'k', sizeof big);
        path = secret_tmp(big, sizeof big, 0600);
    }
    snprintf(text, sizeof text, PAIR(CL_VRID CL_PEER CL_SYNC "    secret_file = \"%s\" #<<\n"),
             path);
    snprintf(needle, sizeof needle,
             "node cluster secret_file: %s holds more than 256 bytes, not 16..256", path);
    expect_bad(text, -1, needle);
    unlink(path);
    free(path);
}

/* A relative secret_file is read beside the config file. */
static void
test_secret_file_relative(void **state)
{
    char *key = secret_tmp("0123456789abcdefXYZ", 19, 0600);
    char text[1024];
    struct hnvgw_config *cfg;

    (void)state;
    /* The config is written in /tmp too: "hnvgw_secret_XXXXXX" relative to it is the key. */
    snprintf(text, sizeof text, PAIR(CL_VRID CL_PEER CL_SYNC "    secret_file = \"%s\"\n"),
             key + strlen("/tmp/"));
    cfg = load_ok(text);
    assert_string_equal(cfg->cluster.secret_file, key);
    assert_int_equal(cfg->cluster.secret_len, 19);
    config_destroy(cfg);
    unlink(key);
    free(key);
}

/* A reload takes priority, preempt and switchover_hold, and refuses every other change (and
 * adding or removing the section). */
static void
test_restart_needed(void **state)
{
    static const char *const live[] = {
        PAIR(CL_MIN "    priority = 200\n"),
        PAIR(CL_MIN "    preempt = false\n"),
        PAIR(CL_MIN "    switchover_hold = 5\n"),
        PAIR(CL_MIN "    priority = 1\n    preempt = false\n    switchover_hold = 0\n"),
    };
    static const char *const restart[] = {
        PAIR("    vrid = 52\n" CL_PEER CL_SYNC CL_SECRET),
        PAIR(CL_MIN "    advert_interval_ms = 200\n"),
        PAIR(CL_VRID "    peer = \"10.20.0.13\"\n" CL_SYNC CL_SECRET),
        PAIR(CL_VRID CL_PEER "    sync_address = \"10.20.0.10\"\n" CL_SECRET),
        PAIR(CL_MIN "    sync_port = 4798\n"),
        PAIR(CL_VRID CL_PEER CL_SYNC "    secret = \"0123456789abcdeF\"\n"),
        PAIR(CL_VRID CL_PEER CL_SYNC "    secret = \"0123456789abcdef0\"\n"),
        /* Without the section: the pair's layout, standalone. */
        NODE_PAIR("") PORT_PA_OWN PORT_EXT TENANT_A,
    };
    struct hnvgw_config *base = load_ok(PAIR(CL_MIN)), *other;

    (void)state;
    other = load_ok(PAIR(CL_MIN));
    assert_null(policy_restart_needed(base, other));
    config_destroy(other);
    for (size_t i = 0; i < sizeof live / sizeof live[0]; i++) {
        other = load_ok(live[i]);
        assert_null(policy_restart_needed(base, other));
        config_destroy(other);
    }
    for (size_t i = 0; i < sizeof restart / sizeof restart[0]; i++) {
        const char *why;

        other = load_ok(restart[i]);
        why = policy_restart_needed(base, other);
        if (!why || strcmp(why, "node cluster (but priority, preempt and switchover_hold)")) {
            print_error("case %zu: %s\n", i, why ? why : "(reload allowed)");
            fail();
        }
        assert_non_null(policy_restart_needed(other, base));
        config_destroy(other);
    }
    config_destroy(base);
}

int
main(void)
{
    /* clang-format off */
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_all_keys),
        cmocka_unit_test(test_port_address_is_pa),
        cmocka_unit_test(test_secret_file),
        cmocka_unit_test(test_secret_file_relative),
        cmocka_unit_test(test_restart_needed),
    };
    /* clang-format on */

    return config_fixture_run("config_cluster", fixed, sizeof fixed / sizeof fixed[0], bad_cases,
                              sizeof bad_cases / sizeof bad_cases[0]);
}
