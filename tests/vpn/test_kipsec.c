/* SPDX-License-Identifier: Apache-2.0 */
/* kipsec server tests: the IKE daemon's requests, good and bad, against a data plane with real
 * ESP tables. The tenant of an SA comes from its if_id and reqid, never from addresses; a
 * malformed or foreign request changes nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "dataplane/dp_internal.h"
#include "vpn/kipsec_server.h"
#include "tests/lib/dp_fixture.h"

static struct dp *dp;
static sd_event *event;
static struct kipsec_server *srv;
static char sock_path[108];
static int fd = -1;
static uint32_t seq;

/* contoso (1) has tunnel reqid 17, fabrikam (2) tunnel reqid 33; if_id = tenant id. */
static const struct kipsec_tunnel TUNNELS[] = {{1, 17, 1}, {2, 33, 2}};

static int
setup(void **state)
{
    char err[DP_ERR_MAX];

    (void)state;
    dp = test_dp_start((struct dp_params){.max_lookups = 64,
                                          .max_subnets = 16,
                                          .max_routes = 64,
                                          .max_neighbors = 16,
                                          .n_mbufs = 1024,
                                          .icmp_rate = 10,
                                          .max_esp_sas = 16});
    snprintf(sock_path, sizeof sock_path, "/tmp/hnvgw-kipsec-test-%d.sock", (int)getpid());
    assert_int_equal(sd_event_new(&event), 0);
    assert_int_equal(kipsec_server_open(sock_path, dp, event, &srv, err), 0);
    assert_int_equal(kipsec_server_set_tunnels(srv, TUNNELS, 2), 0);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    if (fd >= 0) {
        close(fd);
    }
    kipsec_server_destroy(srv);
    sd_event_unref(event);
    dp_destroy(dp);
    return 0;
}

/* A new connection of the "daemon". */
static void
daemon_connect(void)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};

    if (fd >= 0) {
        close(fd);
    }
    fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
    assert_true(fd >= 0);
    strcpy(sun.sun_path, sock_path);
    assert_int_equal(connect(fd, (struct sockaddr *)&sun, sizeof sun), 0);
}

/* Runs the loop until nothing is left to dispatch at once: the server has accepted and answered
 * whatever was sent. */
static void
run_ready(void)
{
    int ret;

    while ((ret = sd_event_run(event, 0)) > 0) {
        continue;
    }
    assert_int_equal(ret, 0);
}

/* Sends 'len' bytes of '*req' and returns the server's answer. */
static struct kipsec_reply
ask_raw(const struct kipsec_request *req, size_t len)
{
    struct kipsec_reply rep;

    assert_int_equal(send(fd, req, len, 0), (ssize_t)len);
    run_ready();
    assert_int_equal(recv(fd, &rep, sizeof rep, MSG_DONTWAIT), (ssize_t)sizeof rep);
    return rep;
}

static struct kipsec_reply
ask(struct kipsec_request *req)
{
    req->version = KIPSEC_VERSION;
    req->seq = ++seq;
    struct kipsec_reply rep = ask_raw(req, sizeof *req);
    assert_int_equal(rep.seq, seq);
    return rep;
}

static int
hello(void)
{
    struct kipsec_request req = {.op = KIPSEC_HELLO};
    return ask(&req).err;
}

static uint32_t
get_spi(void)
{
    struct kipsec_request req = {.op = KIPSEC_GET_SPI};
    struct kipsec_reply rep = ask(&req);

    assert_int_equal(rep.err, 0);
    assert_true(rep.spi >= 0x100);
    return rep.spi;
}

static int
add_sa(uint32_t spi, bool inbound, uint32_t if_id, uint32_t reqid)
{
    struct kipsec_request req = {.op = KIPSEC_ADD_SA};

    req.sa.if_id = if_id;
    req.sa.sa.spi = spi;
    req.sa.sa.inbound = inbound;
    req.sa.sa.reqid = reqid;
    req.sa.sa.cipher = DP_ESP_AES_GCM_16;
    req.sa.sa.key_len = 20;
    req.sa.sa.replay_window = 64;
    inet_pton(AF_INET, "198.18.0.100", &req.sa.sa.local);
    inet_pton(AF_INET, "198.18.2.2", &req.sa.sa.remote);
    return ask(&req).err;
}

static int
sa_op(uint16_t op, uint32_t spi, uint32_t if_id)
{
    struct kipsec_request req = {.op = op};

    req.id.spi = spi;
    req.id.if_id = if_id;
    return ask(&req).err;
}

/* The tenant of installed SA 'spi', 0 if none. */
static bool
tenant_cb(const struct dp_esp_sa *sa, const struct dp_esp_sa_stats *st, void *aux)
{
    uint32_t *want = aux;
    (void)st;
    if (sa->spi == want[0]) {
        want[1] = sa->tenant;
        return false;
    }
    return true;
}

static uint32_t
tenant_of(uint32_t spi)
{
    uint32_t q[2] = {spi, 0};
    dp_esp_sa_iterate(dp, tenant_cb, q);
    return q[1];
}

static void
test_sas_by_tunnel(void **state)
{
    struct kipsec_server_stats st;
    uint32_t in, out;

    (void)state;
    daemon_connect();
    assert_int_equal(hello(), 0);
    in = get_spi();
    out = 0x4242;
    assert_int_equal(add_sa(in, true, 1, 17), 0);
    assert_int_equal(add_sa(out, false, 1, 17), 0);
    /* The tenant is the tunnel's, whatever the daemon put in the SA. */
    assert_int_equal(tenant_of(in), 1);
    assert_int_equal(tenant_of(out), 1);
    /* fabrikam's if_id with contoso's reqid, an unknown if_id: refused, nothing installed. */
    assert_int_equal(add_sa(0x5151, false, 2, 17), EPERM);
    assert_int_equal(add_sa(0x5152, false, 9, 17), EPERM);
    assert_int_equal(tenant_of(0x5151), 0);
    assert_int_equal(tenant_of(0x5152), 0);
    /* Another tenant may neither read, move nor delete contoso's SA. */
    assert_int_equal(sa_op(KIPSEC_QUERY_SA, in, 2), EPERM);
    assert_int_equal(sa_op(KIPSEC_DEL_SA, in, 2), EPERM);
    assert_int_equal(tenant_of(in), 1);
    assert_int_equal(sa_op(KIPSEC_QUERY_SA, in, 1), 0);
    assert_int_equal(add_sa(in, true, 1, 17), EEXIST);
    assert_int_equal(sa_op(KIPSEC_DEL_SA, out, 1), 0);
    assert_int_equal(sa_op(KIPSEC_DEL_SA, out, 1), ENOENT);
    kipsec_server_stats(srv, &st);
    assert_int_equal(st.sas_added, 2);
    assert_int_equal(st.connected, 1);
}

/* Malformed messages are refused and counted; the connection keeps working. */
static void
test_malformed(void **state)
{
    struct kipsec_request req;
    struct kipsec_server_stats before, after;

    (void)state;
    daemon_connect();
    assert_int_equal(hello(), 0);
    kipsec_server_stats(srv, &before);
    memset(&req, 0, sizeof req);
    req.version = KIPSEC_VERSION;
    req.op = KIPSEC_ADD_SA;
    assert_int_equal(ask_raw(&req, offsetof(struct kipsec_request, sa) + 10).err, EPROTO);
    req.version = KIPSEC_VERSION + 1;
    req.op = KIPSEC_GET_SPI;
    assert_int_equal(ask_raw(&req, sizeof req).err, EPROTO);
    req.version = KIPSEC_VERSION;
    req.op = 999;
    assert_int_equal(ask_raw(&req, sizeof req).err, EPROTO);
    assert_int_equal(ask_raw(&req, 3).err, EPROTO);
    req.op = KIPSEC_ADD_POLICY;
    req.policy.if_id = 1;
    req.policy.reqid = 17;
    req.policy.src_plen = 33;
    assert_int_equal(ask_raw(&req, sizeof req).err, EPERM);
    kipsec_server_stats(srv, &after);
    assert_int_equal(after.malformed - before.malformed, 4);
    assert_int_equal(after.refused - before.refused, 5);
    /* Still answering. */
    get_spi();
}

/* A policy of a declared tunnel is recorded; a restarted daemon's HELLO forgets every SA and
 * policy of the one before. */
static void
test_hello_flushes(void **state)
{
    struct kipsec_request req = {.op = KIPSEC_ADD_POLICY};
    struct kipsec_policy pols[4];
    uint32_t spi;

    (void)state;
    daemon_connect();
    assert_int_equal(hello(), 0);
    spi = get_spi();
    assert_int_equal(add_sa(spi, true, 2, 33), 0);
    req.policy.dir = KIPSEC_DIR_OUT;
    req.policy.if_id = 2;
    req.policy.reqid = 33;
    req.policy.dst_plen = 24;
    assert_int_equal(ask(&req).err, 0);
    assert_int_equal(kipsec_server_policies(srv, pols, 4), 1);
    assert_int_equal(tenant_of(spi), 2);
    daemon_connect();
    assert_int_equal(hello(), 0);
    assert_int_equal(tenant_of(spi), 0);
    assert_int_equal(kipsec_server_policies(srv, pols, 4), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sas_by_tunnel),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_hello_flushes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
