/* SPDX-License-Identifier: Apache-2.0 */
/* Unit tests of the VRRPv3 module (gateway/cluster/vrrp.h): the packet against keepalived's own,
 * each validation rule, and the state machine's timings (takeover, preemption on and off,
 * tie-break, priority 0, switchover), to the microsecond, with the clock in the test's hands. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "gateway/cluster/vrrp.h"

/* Adverts sent by keepalived 2.2.7 (Debian 12), captured with tcpdump on a veth in a network
 * namespace: "vrrp_instance { interface eth0; virtual_router_id 51; priority 150;
 * advert_int 0.1; version 3; virtual_ipaddress { ... } }" on an interface of address
 * 10.0.0.20/24 and MAC 02:00:0a:00:00:14. Whole frames, from the Ethernet header. */

/* virtual_ipaddress { 10.0.0.1/24 }: its first advert (IPv4 id 1). */
static const uint8_t ka_one[] = {
    0x01, 0x00, 0x5e, 0x00, 0x00, 0x12, 0x02, 0x00, 0x0a, 0x00, 0x00, 0x14, 0x08, 0x00, 0x45, 0xc0,
    0x00, 0x20, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0xd0, 0x86, 0x0a, 0x00, 0x00, 0x14, 0xe0, 0x00,
    0x00, 0x12, 0x31, 0x33, 0x96, 0x01, 0x00, 0x0a, 0x44, 0x1d, 0x0a, 0x00, 0x00, 0x01,
};
/* virtual_ipaddress { 10.0.0.1/24 10.0.0.5/24 }: its first advert (IPv4 id 1). */
static const uint8_t ka_two[] = {
    0x01, 0x00, 0x5e, 0x00, 0x00, 0x12, 0x02, 0x00, 0x0a, 0x00, 0x00, 0x14, 0x08,
    0x00, 0x45, 0xc0, 0x00, 0x24, 0x00, 0x01, 0x00, 0x00, 0xff, 0x70, 0xd0, 0x82,
    0x0a, 0x00, 0x00, 0x14, 0xe0, 0x00, 0x00, 0x12, 0x31, 0x33, 0x96, 0x02, 0x00,
    0x0a, 0x3a, 0x13, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x05,
};
/* The same keepalived stopped with SIGTERM: its priority-0 advert (IPv4 id 12). */
static const uint8_t ka_prio0[] = {
    0x01, 0x00, 0x5e, 0x00, 0x00, 0x12, 0x02, 0x00, 0x0a, 0x00, 0x00, 0x14, 0x08,
    0x00, 0x45, 0xc0, 0x00, 0x24, 0x00, 0x0c, 0x00, 0x00, 0xff, 0x70, 0xd0, 0x77,
    0x0a, 0x00, 0x00, 0x14, 0xe0, 0x00, 0x00, 0x12, 0x31, 0x33, 0x00, 0x02, 0x00,
    0x0a, 0xd0, 0x13, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x05,
};
#define ETH 14 /* The IPv4 packet starts after the Ethernet header. */

#define MS 1000ull      /* Microseconds. */
#define T0 (10000 * MS) /* Ten seconds: a test may go back a few. */

static uint32_t
ip4(const char *s)
{
    struct in_addr a;

    assert_int_equal(inet_pton(AF_INET, s, &a), 1);
    return a.s_addr;
}

/* A node of VRID 51 with the virtual address 10.0.0.1 at 100 ms. */
static void
node_init(struct vrrp *v, const char *primary, uint8_t priority, bool preempt)
{
    struct vrrp_config c = {
        .vrid = 51,
        .priority = priority,
        .preempt = preempt,
        .advert_cs = 10,
        .primary = ip4(primary),
        .addrs = {ip4("10.0.0.1")},
        .n_addrs = 1,
    };

    vrrp_init(v, &c);
}

/* An advert of 'src' with 'priority', as keepalived's but for those (and 'interval_cs'). */
static size_t
advert(const char *src, uint8_t priority, uint16_t interval_cs, uint8_t *buf)
{
    struct vrrp_advert a = {
        .src = ip4(src),
        .dst = ip4("224.0.0.18"),
        .ttl = 255,
        .version = 3,
        .type = 1,
        .vrid = 51,
        .priority = priority,
        .count = 1,
        .interval_cs = interval_cs,
        .addrs = {ip4("10.0.0.1")},
    };

    return vrrp_encode(&a, 7, buf, VRRP_PKT_MAX);
}

/* Delivers an advert of 'src' with 'priority' at 'now'; it must be accepted. */
static void
hear(struct vrrp *v, const char *src, uint8_t priority, uint64_t now, struct vrrp_event *ev)
{
    uint8_t buf[VRRP_PKT_MAX];
    size_t len = advert(src, priority, 10, buf);

    assert_int_equal(vrrp_receive(v, buf, len, now, ev), 0);
}

/* Runs the timer at 'now'. */
static void
tick(struct vrrp *v, uint64_t now, struct vrrp_event *ev)
{
    vrrp_timer(v, now, ev);
}

/* ---- The packet ---- */

/* keepalived's adverts parse to what keepalived was told, and ours are byte for byte keepalived's
 * for the same router (checksums included). */
static void
test_keepalived_adverts(void **state)
{
    struct vrrp_advert a;
    struct vrrp v;
    struct vrrp_config c = {.vrid = 51,
                            .priority = 150,
                            .advert_cs = 10,
                            .primary = ip4("10.0.0.20"),
                            .addrs = {ip4("10.0.0.1"), ip4("10.0.0.5")},
                            .n_addrs = 1};
    uint8_t buf[VRRP_PKT_MAX];

    (void)state;
    assert_int_equal(vrrp_parse(ka_one + ETH, sizeof ka_one - ETH, &a), 0);
    assert_int_equal(a.src, ip4("10.0.0.20"));
    assert_int_equal(a.dst, ip4("224.0.0.18"));
    assert_int_equal(a.ttl, 255);
    assert_int_equal(a.version, 3);
    assert_int_equal(a.type, 1);
    assert_int_equal(a.vrid, 51);
    assert_int_equal(a.priority, 150);
    assert_int_equal(a.count, 1);
    assert_int_equal(a.interval_cs, 10);
    assert_int_equal(a.checksum, 0x441d);
    assert_int_equal(a.addrs[0], ip4("10.0.0.1"));

    vrrp_init(&v, &c);
    assert_int_equal(vrrp_build(&v, 150, buf), sizeof ka_one - ETH);
    assert_memory_equal(buf, ka_one + ETH, sizeof ka_one - ETH);

    c.n_addrs = 2;
    vrrp_init(&v, &c);
    assert_int_equal(vrrp_build(&v, 150, buf), sizeof ka_two - ETH);
    assert_memory_equal(buf, ka_two + ETH, sizeof ka_two - ETH);

    /* Priority 0, IPv4 id 12: the eleventh advert after the first. */
    for (int i = 0; i < 10; i++) {
        vrrp_build(&v, 150, buf);
    }
    assert_int_equal(vrrp_build(&v, 0, buf), sizeof ka_prio0 - ETH);
    assert_memory_equal(buf, ka_prio0 + ETH, sizeof ka_prio0 - ETH);
    assert_int_equal(vrrp_parse(ka_prio0 + ETH, sizeof ka_prio0 - ETH, &a), 0);
    assert_int_equal(a.priority, 0);
    assert_int_equal(a.count, 2);
    assert_int_equal(a.addrs[1], ip4("10.0.0.5"));
}

/* The checksum is the Internet checksum of the IPv4 pseudo-header and the message: 0 over a valid
 * message, and the value in the field when computed over it zeroed (RFC 5798 5.2.8). */
static void
test_checksum(void **state)
{
    uint8_t msg[12];
    const uint8_t *vr = ka_one + ETH + 20;

    (void)state;
    assert_int_equal(vrrp_checksum(ip4("10.0.0.20"), ip4("224.0.0.18"), vr, 12), 0);
    memcpy(msg, vr, sizeof msg);
    msg[6] = msg[7] = 0;
    assert_int_equal(vrrp_checksum(ip4("10.0.0.20"), ip4("224.0.0.18"), msg, 12), 0x441d);
    /* The pseudo-header counts: another source or destination gives another checksum. */
    assert_int_not_equal(vrrp_checksum(ip4("10.0.0.21"), ip4("224.0.0.18"), vr, 12), 0);
    assert_int_not_equal(vrrp_checksum(ip4("10.0.0.20"), ip4("10.0.0.11"), vr, 12), 0);
}

/* Ethernet padding after the packet is no part of it. */
static void
test_padding(void **state)
{
    uint8_t frame[64] = {0};
    struct vrrp_advert a;

    (void)state;
    memcpy(frame, ka_one, sizeof ka_one);
    assert_int_equal(vrrp_parse(frame + ETH, sizeof frame - ETH, &a), 0);
    assert_int_equal(a.count, 1);
}

/* Copies keepalived's one-address advert into 'p' and returns its length. */
static size_t
ka_copy(uint8_t *p)
{
    memcpy(p, ka_one + ETH, sizeof ka_one - ETH);
    return sizeof ka_one - ETH;
}

/* Recomputes the IPv4 header checksum of 'p' after an edit. */
static void
fix_ip_sum(uint8_t *p)
{
    uint32_t sum = 0;

    p[10] = p[11] = 0;
    for (int i = 0; i < 20; i += 2) {
        sum += (uint32_t)(p[i] << 8 | p[i + 1]);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    p[10] = (uint8_t)(~sum >> 8);
    p[11] = (uint8_t)~sum;
}

/* Recomputes the VRRP checksum of 'p' (a 12-byte message after a 20-byte header). */
static void
fix_vrrp_sum(uint8_t *p, size_t vlen)
{
    uint16_t s;
    uint32_t src, dst;

    memcpy(&src, p + 12, 4);
    memcpy(&dst, p + 16, 4);
    p[26] = p[27] = 0;
    s = vrrp_checksum(src, dst, p + 20, vlen);
    p[26] = (uint8_t)(s >> 8);
    p[27] = (uint8_t)s;
}

/* Each validation rule drops the packet under its own reason, counted, and changes nothing. */
static void
test_drops(void **state)
{
    struct vrrp v;
    struct vrrp_event ev;
    uint8_t p[VRRP_PKT_MAX + 8];
    size_t len;
    struct vrrp_advert a;

    (void)state;
    node_init(&v, "10.0.0.11", 100, true);
    vrrp_start(&v, T0, &ev);

    /* The unchanged packet is taken: the edits below are what is refused. */
    len = ka_copy(p);
    assert_int_equal(vrrp_receive(&v, p, len, T0, &ev), 0);
    assert_int_equal(v.stats.received, 1);

    len = ka_copy(p);
    p[8] = 254; /* TTL: forwarded by a router. */
    fix_ip_sum(p);
    assert_int_equal(vrrp_receive(&v, p, len, T0, &ev), VRRP_DROP_ttl + 1);

    len = ka_copy(p);
    p[20] = 0x21; /* VRRPv2. */
    fix_vrrp_sum(p, 12);
    assert_int_equal(vrrp_receive(&v, p, len, T0, &ev), VRRP_DROP_version + 1);

    len = ka_copy(p);
    p[20] = 0x32; /* Type 2. */
    fix_vrrp_sum(p, 12);
    assert_int_equal(vrrp_receive(&v, p, len, T0, &ev), VRRP_DROP_type + 1);

    len = ka_copy(p);
    p[23] = 2; /* Two addresses counted, one sent. */
    fix_vrrp_sum(p, 12);
    assert_int_equal(vrrp_receive(&v, p, len, T0, &ev), VRRP_DROP_length + 1);

    len = ka_copy(p);
    p[23] = 0; /* No address at all. */
    p[3] = 28; /* Total length without it. */
    fix_ip_sum(p);
    fix_vrrp_sum(p, 8);
    assert_int_equal(vrrp_receive(&v, p, 28, T0, &ev), VRRP_DROP_length + 1);

    len = ka_copy(p);
    p[3] = 24; /* Shorter than the fixed part. */
    fix_ip_sum(p);
    assert_int_equal(vrrp_receive(&v, p, len, T0, &ev), VRRP_DROP_length + 1);

    len = ka_copy(p);
    p[31] ^= 0x01; /* Address 10.0.0.0: the checksum no longer matches. */
    assert_int_equal(vrrp_receive(&v, p, len, T0, &ev), VRRP_DROP_checksum + 1);

    len = ka_copy(p);
    p[24] = 0; /* Interval 0. */
    p[25] = 0;
    fix_vrrp_sum(p, 12);
    assert_int_equal(vrrp_receive(&v, p, len, T0, &ev), VRRP_DROP_interval + 1);

    len = ka_copy(p);
    p[9] = 111; /* Not VRRP. */
    fix_ip_sum(p);
    assert_int_equal(vrrp_receive(&v, p, len, T0, &ev), VRRP_DROP_not_vrrp + 1);

    len = ka_copy(p);
    p[10] ^= 0xff; /* IPv4 header checksum. */
    assert_int_equal(vrrp_receive(&v, p, len, T0, &ev), VRRP_DROP_ip_header + 1);
    len = ka_copy(p);
    p[6] = 0x20; /* More fragments. */
    fix_ip_sum(p);
    assert_int_equal(vrrp_receive(&v, p, len, T0, &ev), VRRP_DROP_ip_header + 1);
    len = ka_copy(p);
    assert_int_equal(vrrp_receive(&v, p, len - 1, T0, &ev), VRRP_DROP_ip_header + 1);
    assert_int_equal(vrrp_receive(&v, p, 19, T0, &ev), VRRP_DROP_ip_header + 1);

    len = ka_copy(p);
    p[21] = 52; /* Another virtual router's: ignored. */
    fix_vrrp_sum(p, 12);
    assert_int_equal(vrrp_parse(p, len, &a), 0);
    assert_int_equal(vrrp_receive(&v, p, len, T0, &ev), VRRP_DROP_vrid + 1);

    /* Our own address as the source: an address conflict, noted once. */
    len = advert("10.0.0.11", 150, 10, p);
    assert_int_equal(vrrp_receive(&v, p, len, T0, &ev), VRRP_DROP_own_address + 1);
    assert_int_equal(ev.notes, VRRP_NOTE_CONFLICT);
    assert_int_equal(vrrp_receive(&v, p, len, T0, &ev), VRRP_DROP_own_address + 1);
    assert_int_equal(ev.notes, 0);

    assert_int_equal(v.stats.drops[VRRP_DROP_ttl], 1);
    assert_int_equal(v.stats.drops[VRRP_DROP_version], 1);
    assert_int_equal(v.stats.drops[VRRP_DROP_type], 1);
    assert_int_equal(v.stats.drops[VRRP_DROP_length], 3);
    assert_int_equal(v.stats.drops[VRRP_DROP_checksum], 1);
    assert_int_equal(v.stats.drops[VRRP_DROP_interval], 1);
    assert_int_equal(v.stats.drops[VRRP_DROP_not_vrrp], 1);
    assert_int_equal(v.stats.drops[VRRP_DROP_ip_header], 4);
    assert_int_equal(v.stats.drops[VRRP_DROP_vrid], 1);
    assert_int_equal(v.stats.drops[VRRP_DROP_own_address], 2);
    assert_int_equal(v.stats.received, 1);
    /* None of them counted as the master's: the timer still runs from the one advert taken. */
    assert_int_equal(vrrp_deadline(&v), T0 + vrrp_master_down_us(100, 100 * MS));
    assert_string_equal(vrrp_drop_name(VRRP_DROP_checksum), "checksum");
}

/* Another interval is learned and noted once; other addresses are accepted and noted once. */
static void
test_mismatches(void **state)
{
    struct vrrp v;
    struct vrrp_event ev;
    uint8_t p[VRRP_PKT_MAX];
    struct vrrp_advert a = {.src = ip4("10.0.0.20"),
                            .dst = ip4("224.0.0.18"),
                            .ttl = 255,
                            .version = 3,
                            .type = 1,
                            .vrid = 51,
                            .priority = 150,
                            .count = 1,
                            .interval_cs = 20,
                            .addrs = {ip4("10.0.0.1")}};
    size_t len;

    (void)state;
    node_init(&v, "10.0.0.11", 100, true);
    vrrp_start(&v, T0, &ev);
    len = vrrp_encode(&a, 1, p, sizeof p);
    assert_int_equal(vrrp_receive(&v, p, len, T0, &ev), 0);
    assert_int_equal(ev.notes, VRRP_NOTE_INTERVAL);
    /* Master_Adver_Interval is the master's 200 ms: 3 * 200 + 156 * 200 / 256 ms. */
    assert_int_equal(vrrp_deadline(&v), T0 + 600 * MS + 121875);
    assert_int_equal(vrrp_receive(&v, p, len, T0 + 200 * MS, &ev), 0);
    assert_int_equal(ev.notes, 0);
    assert_int_equal(v.stats.interval_mismatch, 2);

    a.interval_cs = 10;
    a.addrs[0] = ip4("10.0.0.2");
    len = vrrp_encode(&a, 2, p, sizeof p);
    assert_int_equal(vrrp_receive(&v, p, len, T0 + 300 * MS, &ev), 0);
    assert_int_equal(ev.notes, VRRP_NOTE_ADDRESSES);
    assert_int_equal(v.state, VRRP_BACKUP); /* Accepted: still the master's backup. */
    assert_int_equal(vrrp_deadline(&v), T0 + 300 * MS + vrrp_master_down_us(100, 100 * MS));
    a.count = 2;
    a.addrs[0] = ip4("10.0.0.5");
    a.addrs[1] = ip4("10.0.0.1");
    len = vrrp_encode(&a, 3, p, sizeof p);
    assert_int_equal(vrrp_receive(&v, p, len, T0 + 400 * MS, &ev), 0);
    assert_int_equal(ev.notes, 0); /* Still other addresses: said once. */
    assert_int_equal(v.stats.addresses_mismatch, 2);

    /* Back to ours (in another order, the same set): the next difference is noted again. */
    struct vrrp_config c = v.cfg;
    c.addrs[1] = ip4("10.0.0.5");
    c.n_addrs = 2;
    v.cfg = c;
    a.addrs[0] = ip4("10.0.0.1");
    a.addrs[1] = ip4("10.0.0.5");
    len = vrrp_encode(&a, 4, p, sizeof p);
    assert_int_equal(vrrp_receive(&v, p, len, T0 + 500 * MS, &ev), 0);
    assert_int_equal(v.stats.addresses_mismatch, 2);
    a.count = 1;
    len = vrrp_encode(&a, 5, p, sizeof p);
    assert_int_equal(vrrp_receive(&v, p, len, T0 + 600 * MS, &ev), 0);
    assert_int_equal(ev.notes, VRRP_NOTE_ADDRESSES);
}

/* ---- The machine ---- */

/* RFC 5798 6.1 for 100 ms: Skew_Time and Master_Down_Interval by priority. */
static void
test_intervals(void **state)
{
    (void)state;
    assert_int_equal(vrrp_skew_us(100, 100 * MS), 60937); /* 156/256 of 100 ms. */
    assert_int_equal(vrrp_master_down_us(100, 100 * MS), 360937);
    assert_int_equal(vrrp_skew_us(150, 100 * MS), 41406); /* keepalived's priority 150. */
    assert_int_equal(vrrp_master_down_us(150, 100 * MS), 341406);
    assert_int_equal(vrrp_skew_us(254, 100 * MS), 781);
    assert_int_equal(vrrp_master_down_us(1, 1000 * MS), 3996093);
}

/* Startup: Backup, and Master after Master_Down_Interval if no master speaks; not a microsecond
 * before. Then an advert every interval. */
static void
test_startup_takeover(void **state)
{
    struct vrrp v;
    struct vrrp_event ev;
    uint64_t mdi = vrrp_master_down_us(100, 100 * MS);

    (void)state;
    node_init(&v, "10.0.0.11", 100, true);
    assert_int_equal(vrrp_deadline(&v), VRRP_NO_DEADLINE);
    tick(&v, T0, &ev);
    assert_false(ev.changed || ev.send);

    vrrp_start(&v, T0, &ev);
    assert_true(ev.changed);
    assert_int_equal(ev.state, VRRP_BACKUP);
    assert_int_equal(ev.reason, VRRP_REASON_STARTUP);
    assert_false(ev.send);
    assert_int_equal(vrrp_deadline(&v), T0 + mdi);

    tick(&v, T0 + mdi - 1, &ev);
    assert_false(ev.changed || ev.send);
    assert_int_equal(v.state, VRRP_BACKUP);

    tick(&v, T0 + mdi, &ev);
    assert_true(ev.changed);
    assert_int_equal(ev.state, VRRP_MASTER);
    assert_int_equal(ev.reason, VRRP_REASON_NO_MASTER);
    assert_int_equal(ev.cause_us, T0);
    assert_true(ev.send);
    assert_int_equal(ev.advert_priority, 100);
    assert_int_equal(vrrp_deadline(&v), T0 + mdi + 100 * MS);

    for (int i = 1; i <= 5; i++) {
        tick(&v, T0 + mdi + (uint64_t)i * 100 * MS, &ev);
        assert_true(ev.send);
        assert_false(ev.changed);
        assert_int_equal(ev.advert_priority, 100);
    }
    assert_int_equal(v.stats.to_master, 1);
    assert_int_equal(v.stats.to_backup, 1);
}

/* A live master holds the backup; when it falls silent the backup takes over exactly
 * Master_Down_Interval after its last advert, naming it the cause. */
static void
test_master_down(void **state)
{
    struct vrrp v;
    struct vrrp_event ev;
    uint64_t mdi = vrrp_master_down_us(100, 100 * MS), t = T0, last = 0;

    (void)state;
    node_init(&v, "10.0.0.11", 100, true);
    vrrp_start(&v, t, &ev);
    /* Ten seconds of adverts from a master of priority 150, each 100 ms: never a takeover. */
    for (int i = 0; i < 100; i++) {
        t += 100 * MS;
        tick(&v, t, &ev);
        assert_false(ev.changed);
        hear(&v, "10.0.0.20", 150, t, &ev);
        assert_false(ev.changed || ev.send);
        last = t;
    }
    assert_int_equal(v.peer.addr, ip4("10.0.0.20"));
    assert_int_equal(v.peer.priority, 150);
    assert_int_equal(v.peer.last_us, last);
    tick(&v, last + mdi - 1, &ev);
    assert_false(ev.changed);
    tick(&v, last + mdi, &ev);
    assert_true(ev.changed);
    assert_int_equal(ev.state, VRRP_MASTER);
    assert_int_equal(ev.reason, VRRP_REASON_MASTER_DOWN);
    assert_int_equal(ev.cause_us, last);
    assert_true(ev.send);
}

/* Preempt on: a backup of higher priority ignores a lower master and takes over when its timer
 * runs out; the lower master then steps down when it hears it. */
static void
test_preempt_on(void **state)
{
    struct vrrp hi, lo;
    struct vrrp_event ev;
    uint64_t mdi = vrrp_master_down_us(200, 100 * MS), t = T0;
    uint8_t p[VRRP_PKT_MAX];
    size_t len;

    (void)state;
    node_init(&hi, "10.0.0.11", 200, true);
    node_init(&lo, "10.0.0.12", 100, true);
    vrrp_start(&hi, t, &ev);
    vrrp_start(&lo, t - 2 * MS * 1000, &ev);
    tick(&lo, t, &ev); /* lo has been master for a while. */
    assert_int_equal(lo.state, VRRP_MASTER);

    /* lo's adverts every 100 ms: discarded by hi, which takes over at its Master_Down_Interval
     * since the start (no advert was accepted). */
    for (uint64_t at = t; at < t + mdi; at += 100 * MS) {
        hear(&hi, "10.0.0.12", 100, at, &ev);
        assert_false(ev.changed);
    }
    tick(&hi, t + mdi - 1, &ev);
    assert_false(ev.changed);
    tick(&hi, t + mdi, &ev);
    assert_true(ev.changed);
    assert_int_equal(ev.state, VRRP_MASTER);
    assert_int_equal(ev.reason, VRRP_REASON_PREEMPT);
    assert_int_equal(ev.cause_us, t); /* The first lower advert it ignored. */
    assert_true(ev.send);

    /* hi's advert makes lo a backup at once; lo says so with one last advert of its own. */
    len = vrrp_build(&hi, ev.advert_priority, p);
    assert_int_equal(vrrp_receive(&lo, p, len, t + mdi, &ev), 0);
    assert_true(ev.changed);
    assert_int_equal(ev.state, VRRP_BACKUP);
    assert_int_equal(ev.reason, VRRP_REASON_PREEMPTED);
    assert_true(ev.send);
    assert_int_equal(ev.advert_priority, 100);
    /* That advert (or one lo sent before it heard hi's) does not move hi: hi answers it at
     * once, and announces nothing more, having announced its addresses on taking over. */
    hear(&hi, "10.0.0.12", 100, t + mdi + 1, &ev);
    assert_false(ev.changed || ev.announce);
    assert_true(ev.send);
    assert_int_equal(ev.advert_priority, 200);
    assert_int_equal(vrrp_deadline(&hi), t + mdi + 1 + 100 * MS);
    assert_int_equal(hi.state, VRRP_MASTER);
    assert_int_equal(hi.stats.lower_master, 1);
}

/* Preempt off: a backup of higher priority never takes over from a live master, but does when
 * it dies. */
static void
test_preempt_off(void **state)
{
    struct vrrp v;
    struct vrrp_event ev;
    uint64_t t = T0;

    (void)state;
    node_init(&v, "10.0.0.11", 200, false);
    vrrp_start(&v, t, &ev);
    for (int i = 0; i < 600; i++) { /* A minute. */
        hear(&v, "10.0.0.12", 100, t, &ev);
        assert_false(ev.changed);
        t += 100 * MS;
        tick(&v, t, &ev);
        assert_false(ev.changed);
    }
    assert_int_equal(v.state, VRRP_BACKUP);
    tick(&v, t - 100 * MS + vrrp_master_down_us(200, 100 * MS), &ev);
    assert_true(ev.changed);
    assert_int_equal(ev.reason, VRRP_REASON_MASTER_DOWN);
}

/* Equal priorities: the higher primary address wins, compared as numbers (10.0.0.2 > 9.0.0.3,
 * though not as little-endian words). */
static void
test_tiebreak(void **state)
{
    struct vrrp v;
    struct vrrp_event ev;
    uint64_t t = T0;

    (void)state;
    node_init(&v, "10.0.0.2", 100, true);
    vrrp_start(&v, t, &ev);
    t += vrrp_master_down_us(100, 100 * MS);
    tick(&v, t, &ev);
    assert_int_equal(v.state, VRRP_MASTER);

    hear(&v, "9.0.0.3", 100, t, &ev); /* Lower address: stays master, and answers. */
    assert_false(ev.changed);
    assert_true(ev.send);
    hear(&v, "10.0.0.1", 100, t, &ev);
    assert_false(ev.changed);
    hear(&v, "10.0.0.250", 99, t, &ev); /* Lower priority is no contest either. */
    assert_int_equal(v.state, VRRP_MASTER);
    assert_int_equal(v.stats.lower_master, 3);

    hear(&v, "10.0.0.3", 100, t, &ev);
    assert_true(ev.changed);
    assert_int_equal(ev.state, VRRP_BACKUP);
    assert_int_equal(ev.reason, VRRP_REASON_TIEBREAK);
    assert_true(ev.send); /* Its last advert, for the winner (vrrp.h). */
    assert_int_equal(ev.advert_priority, 100);
    assert_int_equal(vrrp_deadline(&v), t + vrrp_master_down_us(100, 100 * MS));

    /* A backup does not preempt an equal master, whatever the addresses. */
    node_init(&v, "10.0.0.9", 100, true);
    vrrp_start(&v, t, &ev);
    for (int i = 0; i < 50; i++) {
        t += 100 * MS;
        hear(&v, "10.0.0.1", 100, t, &ev);
        tick(&v, t, &ev);
        assert_int_equal(v.state, VRRP_BACKUP);
    }
}

/* Priority 0: the backup takes over after Skew_Time, the higher priority sooner; a master that
 * hears it answers with an advert at once. */
static void
test_priority0(void **state)
{
    struct vrrp v;
    struct vrrp_event ev;
    uint64_t t = T0 + 100 * MS;

    (void)state;
    node_init(&v, "10.0.0.11", 100, true);
    vrrp_start(&v, T0, &ev);
    hear(&v, "10.0.0.20", 150, t, &ev);
    t += 50 * MS;
    hear(&v, "10.0.0.20", 0, t, &ev);
    assert_false(ev.changed);
    assert_int_equal(vrrp_deadline(&v), t + 60937);
    tick(&v, t + 60936, &ev);
    assert_false(ev.changed);
    tick(&v, t + 60937, &ev);
    assert_true(ev.changed);
    assert_int_equal(ev.reason, VRRP_REASON_PRIORITY0);
    assert_int_equal(ev.cause_us, t);
    assert_int_equal(v.stats.received_priority0, 1);

    /* Priority 254: after 0.78 ms. */
    node_init(&v, "10.0.0.11", 254, true);
    vrrp_start(&v, T0, &ev);
    hear(&v, "10.0.0.20", 150, T0 + 100 * MS, &ev);
    hear(&v, "10.0.0.20", 0, T0 + 150 * MS, &ev);
    assert_int_equal(vrrp_deadline(&v), T0 + 150 * MS + 781);

    /* In Master: an advert goes out at once, and the timer restarts from it. */
    t = vrrp_deadline(&v);
    tick(&v, t, &ev);
    assert_int_equal(v.state, VRRP_MASTER);
    hear(&v, "10.0.0.20", 0, t + 30 * MS, &ev);
    assert_true(ev.send);
    assert_false(ev.changed);
    assert_int_equal(vrrp_deadline(&v), t + 130 * MS);
}

/* Shutdown: a master says priority 0 and stops; a backup just stops. */
static void
test_shutdown(void **state)
{
    struct vrrp v;
    struct vrrp_event ev;
    uint64_t t;
    uint8_t p[VRRP_PKT_MAX];
    struct vrrp_advert a;

    (void)state;
    node_init(&v, "10.0.0.11", 100, true);
    vrrp_start(&v, T0, &ev);
    t = vrrp_deadline(&v);
    tick(&v, t, &ev);
    assert_int_equal(v.state, VRRP_MASTER);
    vrrp_shutdown(&v, t + 1, &ev);
    assert_true(ev.send);
    assert_int_equal(ev.advert_priority, 0);
    assert_true(ev.changed);
    assert_int_equal(ev.state, VRRP_INITIALIZE);
    assert_int_equal(ev.reason, VRRP_REASON_SHUTDOWN);
    assert_int_equal(vrrp_deadline(&v), VRRP_NO_DEADLINE);
    assert_int_equal(vrrp_parse(p, vrrp_build(&v, ev.advert_priority, p), &a), 0);
    assert_int_equal(a.priority, 0);
    tick(&v, t + 10 * 1000 * MS, &ev);
    assert_false(ev.send || ev.changed);

    node_init(&v, "10.0.0.11", 100, true);
    vrrp_start(&v, T0, &ev);
    vrrp_shutdown(&v, T0 + 1, &ev);
    assert_false(ev.send);
    assert_int_equal(ev.state, VRRP_INITIALIZE);
}

/* Switchover: refused on a backup; on a master, priority 0 and Backup at once, no preemption
 * until the hold ends (then the usual preemption), and a takeover anyway if no master shows. */
static void
test_switchover(void **state)
{
    struct vrrp v;
    struct vrrp_event ev;
    uint64_t t, hold, mdi = vrrp_master_down_us(200, 100 * MS);

    (void)state;
    node_init(&v, "10.0.0.11", 200, true);
    vrrp_start(&v, T0, &ev);
    assert_int_equal(vrrp_switchover(&v, T0, T0, &ev), EINVAL);
    assert_false(ev.send || ev.changed);
    t = vrrp_deadline(&v);
    tick(&v, t, &ev);
    assert_int_equal(v.state, VRRP_MASTER);

    hold = t + 60 * 1000 * MS;
    assert_int_equal(vrrp_switchover(&v, t, hold, &ev), 0);
    assert_true(ev.send);
    assert_int_equal(ev.advert_priority, 0);
    assert_true(ev.changed);
    assert_int_equal(ev.state, VRRP_BACKUP);
    assert_int_equal(ev.reason, VRRP_REASON_SWITCHOVER);

    /* The peer (priority 100) takes over and advertises: followed for the whole hold. */
    for (t += 50 * MS; t < hold; t += 100 * MS) {
        hear(&v, "10.0.0.12", 100, t, &ev);
        tick(&v, t, &ev);
        assert_false(ev.changed);
    }
    /* Past the hold, its adverts are ignored again: preemption after Master_Down_Interval. */
    uint64_t last_followed = t - 100 * MS;
    hear(&v, "10.0.0.12", 100, t, &ev);
    tick(&v, last_followed + mdi - 1, &ev);
    assert_false(ev.changed);
    tick(&v, last_followed + mdi, &ev);
    assert_true(ev.changed);
    assert_int_equal(ev.reason, VRRP_REASON_PREEMPT);

    /* A hold cut short (a reload): the next lower advert after its end is ignored. */
    assert_int_equal(vrrp_switchover(&v, t, t + 60 * 1000 * MS, &ev), 0);
    hear(&v, "10.0.0.12", 100, t + 50 * MS, &ev);
    vrrp_hold_preemption(&v, t + 100 * MS);
    hear(&v, "10.0.0.12", 100, t + 150 * MS, &ev);
    assert_int_equal(vrrp_deadline(&v), t + 50 * MS + mdi);
    tick(&v, t + 50 * MS + mdi, &ev);
    assert_int_equal(ev.reason, VRRP_REASON_PREEMPT);
    t += 50 * MS + mdi;

    /* No peer at all: back to Master after Master_Down_Interval. */
    assert_int_equal(vrrp_switchover(&v, t, t + 60 * 1000 * MS, &ev), 0);
    tick(&v, t + mdi, &ev);
    assert_true(ev.changed);
    assert_int_equal(ev.state, VRRP_MASTER);
    assert_int_equal(ev.reason, VRRP_REASON_NO_MASTER);
}

/* Priority and preemption change live: a master advertises the new priority at once; a
 * backup's new priority counts from the next advert. */
static void
test_reconfigure(void **state)
{
    struct vrrp v;
    struct vrrp_event ev;
    uint64_t t;

    (void)state;
    node_init(&v, "10.0.0.11", 100, true);
    vrrp_start(&v, T0, &ev);
    assert_int_equal(vrrp_reconfigure(&v, 0, true, T0, &ev), EINVAL);
    assert_int_equal(vrrp_reconfigure(&v, 255, true, T0, &ev), EINVAL);
    assert_int_equal(v.cfg.priority, 100);

    /* Backup following a master of 150: raised to 200 with preempt, it stops following. */
    hear(&v, "10.0.0.20", 150, T0 + 10 * MS, &ev);
    assert_int_equal(vrrp_reconfigure(&v, 200, true, T0 + 20 * MS, &ev), 0);
    assert_false(ev.send || ev.changed);
    hear(&v, "10.0.0.20", 150, T0 + 110 * MS, &ev);
    t = T0 + 10 * MS + vrrp_master_down_us(100, 100 * MS);
    assert_int_equal(vrrp_deadline(&v), t); /* Not pushed back by the ignored advert. */
    tick(&v, t, &ev);
    assert_int_equal(ev.reason, VRRP_REASON_PREEMPT);

    /* Master lowered to 50: the next advert says so, now. */
    assert_int_equal(vrrp_reconfigure(&v, 50, false, t + 30 * MS, &ev), 0);
    assert_true(ev.send);
    assert_int_equal(ev.advert_priority, 50);
    assert_int_equal(vrrp_deadline(&v), t + 130 * MS);
    assert_false(v.cfg.preempt);
}

/* ---- Two nodes on one wire ---- */

/* Two routers exchanging adverts with no delay; a node that is down neither sends nor hears. */
struct wire {
    struct vrrp n[2];        /* The nodes. */
    bool up[2];              /* Running. */
    bool cut;                /* The link is down: nothing is delivered (a split). */
    uint64_t now;            /* The clock. */
    uint64_t master_at[2];   /* When each last became master. */
    uint64_t backup_at[2];   /* When each last went from master to backup. */
    unsigned announce[2];    /* Re-announcements each was asked for. */
    uint64_t announce_at[2]; /* When the last was asked for. */
};

static void wire_event(struct wire *w, int i, const struct vrrp_event *ev);

/* Delivers node i's advert of 'priority' to the other node if up. */
static void
wire_send(struct wire *w, int i, uint8_t priority)
{
    uint8_t p[VRRP_PKT_MAX];
    size_t len = vrrp_build(&w->n[i], priority, p);
    struct vrrp_event ev;

    if (w->up[!i] && !w->cut) {
        assert_int_equal(vrrp_receive(&w->n[!i], p, len, w->now, &ev), 0);
        wire_event(w, !i, &ev);
    }
}

static void
wire_event(struct wire *w, int i, const struct vrrp_event *ev)
{
    if (ev->changed && ev->state == VRRP_MASTER) {
        w->master_at[i] = w->now;
    }
    if (ev->changed && ev->state == VRRP_BACKUP && ev->reason != VRRP_REASON_STARTUP) {
        w->backup_at[i] = w->now;
    }
    if (ev->announce) {
        w->announce[i]++;
        w->announce_at[i] = w->now;
    }
    if (ev->send) {
        wire_send(w, i, ev->advert_priority);
    }
}

/* Runs both nodes' timers up to 'until'. */
static void
wire_run(struct wire *w, uint64_t until)
{
    for (;;) {
        uint64_t d0 = w->up[0] ? vrrp_deadline(&w->n[0]) : VRRP_NO_DEADLINE;
        uint64_t d1 = w->up[1] ? vrrp_deadline(&w->n[1]) : VRRP_NO_DEADLINE;
        int i = d1 < d0;
        uint64_t d = i ? d1 : d0;
        struct vrrp_event ev;

        if (d > until) {
            w->now = until;
            return;
        }
        w->now = d;
        vrrp_timer(&w->n[i], d, &ev);
        wire_event(w, i, &ev);
    }
}

static void
wire_start(struct wire *w, int i)
{
    struct vrrp_event ev;

    w->up[i] = true;
    vrrp_start(&w->n[i], w->now, &ev);
}

/* A (150) and B (100), both preempting: A wins; killed, B takes over its own
 * Master_Down_Interval (360.9 ms) after A's last advert; A back, it preempts; A leaving
 * gracefully hands over after B's Skew_Time; started together with equal priorities, exactly
 * one master remains. */
static void
test_two_nodes(void **state)
{
    struct wire w;
    uint64_t last;

    (void)state;
    memset(&w, 0, sizeof w);
    w.now = T0;
    node_init(&w.n[0], "10.0.0.11", 150, true);
    node_init(&w.n[1], "10.0.0.12", 100, true);
    wire_start(&w, 0);
    wire_start(&w, 1);
    wire_run(&w, T0 + 5000 * MS);
    assert_int_equal(w.n[0].state, VRRP_MASTER);
    assert_int_equal(w.n[1].state, VRRP_BACKUP);
    assert_int_equal(w.master_at[0], T0 + vrrp_master_down_us(150, 100 * MS));
    assert_int_equal(w.n[1].stats.to_master, 0);

    /* A dies (SIGKILL: no priority 0). */
    last = w.n[1].peer.last_us;
    w.up[0] = false;
    wire_run(&w, w.now + 2000 * MS);
    assert_int_equal(w.n[1].state, VRRP_MASTER);
    assert_int_equal(w.master_at[1] - last, vrrp_master_down_us(100, 100 * MS));

    /* A restarts and preempts: after its own Master_Down_Interval. */
    uint64_t back = w.now;
    vrrp_init(&w.n[0], &w.n[0].cfg);
    wire_start(&w, 0);
    wire_run(&w, w.now + 2000 * MS);
    assert_int_equal(w.n[0].state, VRRP_MASTER);
    assert_int_equal(w.n[1].state, VRRP_BACKUP);
    assert_int_equal(w.master_at[0] - back, vrrp_master_down_us(150, 100 * MS));

    /* A stops gracefully: B is master after its Skew_Time, not its Master_Down_Interval. */
    struct vrrp_event ev;
    uint64_t stop = w.now;
    vrrp_shutdown(&w.n[0], w.now, &ev);
    wire_event(&w, 0, &ev);
    w.up[0] = false;
    wire_run(&w, w.now + 1000 * MS);
    assert_int_equal(w.n[1].state, VRRP_MASTER);
    assert_int_equal(w.master_at[1] - stop, vrrp_skew_us(100, 100 * MS));

    /* Equal priorities started together: whoever claims first keeps it (a backup does not
     * preempt an equal master)... */
    memset(&w, 0, sizeof w);
    w.now = T0;
    node_init(&w.n[0], "10.0.0.11", 100, true);
    node_init(&w.n[1], "10.0.0.12", 100, true);
    wire_start(&w, 0);
    wire_start(&w, 1);
    wire_run(&w, T0 + 3000 * MS);
    assert_int_equal(w.n[0].state, VRRP_MASTER);
    assert_int_equal(w.n[1].state, VRRP_BACKUP);

    /* ...and when both claim before either hears the other (split brain healing), the higher
     * address keeps it and the other steps down at the first advert it hears. */
    struct vrrp_event e0, e1;
    uint8_t p0[VRRP_PKT_MAX], p1[VRRP_PKT_MAX];
    size_t l0, l1;

    memset(&w, 0, sizeof w);
    w.now = T0;
    node_init(&w.n[0], "10.0.0.11", 100, true);
    node_init(&w.n[1], "10.0.0.12", 100, true);
    vrrp_start(&w.n[0], T0, &e0);
    vrrp_start(&w.n[1], T0, &e1);
    w.now = vrrp_deadline(&w.n[0]);
    vrrp_timer(&w.n[0], w.now, &e0);
    vrrp_timer(&w.n[1], w.now, &e1);
    assert_int_equal(w.n[0].state, VRRP_MASTER);
    assert_int_equal(w.n[1].state, VRRP_MASTER);
    l0 = vrrp_build(&w.n[0], e0.advert_priority, p0);
    l1 = vrrp_build(&w.n[1], e1.advert_priority, p1);
    assert_int_equal(vrrp_receive(&w.n[1], p0, l0, w.now + 1, &e1), 0);
    assert_false(e1.changed); /* 10.0.0.12 hears 10.0.0.11: keeps it. */
    assert_int_equal(vrrp_receive(&w.n[0], p1, l1, w.now + 1, &e0), 0);
    assert_true(e0.changed);
    assert_int_equal(e0.state, VRRP_BACKUP);
    assert_int_equal(e0.reason, VRRP_REASON_TIEBREAK);
}

/* Runs a split of 'w' (node 0 master, node 1 backup) from now to 'heal_after' later, with node
 * 'first' (0 or 1) due to advertise first after the heal, 'lead' before the other. Returns the
 * time of the heal. */
static uint64_t
wire_split(struct wire *w, uint64_t heal_after, int first, uint64_t lead)
{
    uint64_t heal;

    w->cut = true;
    wire_run(w, w->now + heal_after);
    assert_int_equal(w->n[0].state, VRRP_MASTER);
    assert_int_equal(w->n[1].state, VRRP_MASTER); /* Both: each on its side. */
    assert_int_equal(w->n[1].stats.to_master, 1);
    /* Heal 1 us before 'first' advertises, at least 'lead' ahead of the other: the adverts
     * alternate, so within two of them. */
    for (int i = 0;; i++) {
        uint64_t df = vrrp_deadline(&w->n[first]), dn = vrrp_deadline(&w->n[!first]);

        assert_true(i < 3);
        if (df < dn) {
            assert_true(dn - df >= lead);
            heal = df - 1;
            break;
        }
        wire_run(w, dn);
    }
    wire_run(w, heal);
    w->cut = false;
    return heal;
}

/* A split brain: with the link cut, both nodes become master. When it heals, the lower (or, on
 * a tie, the lower address) steps down at the first advert either of them sends, never later:
 * its own advert is answered at once. Whichever advert came first, the winner hears of the
 * loser (its advert, or the last one it sends as it steps down) and is asked, once, to announce
 * its addresses again: hosts may have followed the loser during the split. */
static void
test_split_heal(void **state)
{
    static const struct {
        uint8_t prio[2]; /* Node 0 (10.0.0.11), node 1 (10.0.0.12). */
        int winner;      /* Who keeps the role after the heal. */
        int first;       /* Who advertises first after the heal. */
    } cases[] = {
        {{200, 100}, 0, 1}, /* The loser's advert first: answered at once. */
        {{200, 100}, 0, 0}, /* The winner's first. */
        {{100, 100}, 1, 0}, /* A tie: 10.0.0.12 wins; the loser's advert first. */
        {{100, 100}, 1, 1},
    };

    (void)state;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        struct wire w;
        uint64_t heal;
        int win = cases[k].winner, lose = !win;

        memset(&w, 0, sizeof w);
        w.now = T0;
        node_init(&w.n[0], "10.0.0.11", cases[k].prio[0], true);
        node_init(&w.n[1], "10.0.0.12", cases[k].prio[1], true);
        wire_start(&w, 0);
        w.now += 50 * MS; /* Node 1 starts later: node 0 is master (also on a tie). */
        wire_start(&w, 1);
        wire_run(&w, T0 + 3000 * MS);
        assert_int_equal(w.n[0].state, VRRP_MASTER);
        assert_int_equal(w.n[1].state, VRRP_BACKUP);

        heal = wire_split(&w, 2000 * MS, cases[k].first, 30 * MS);
        wire_run(&w, heal + 500 * MS);
        assert_int_equal(w.n[win].state, VRRP_MASTER);
        assert_int_equal(w.n[lose].state, VRRP_BACKUP);
        assert_int_equal(w.backup_at[lose], heal + 1); /* The first advert after the heal. */
        assert_int_equal(w.n[win].stats.to_backup, 1); /* Only at its start. */
        assert_int_equal(w.announce[win], 1);
        assert_int_equal(w.announce_at[win], heal + 1);
        assert_int_equal(w.announce[lose], 0);
        /* The loser's advert that came first (if it did), then its last one. */
        assert_int_equal(w.n[win].stats.lower_master, cases[k].first == lose ? 2 : 1);
    }
}

/* A lower master that cannot hear us (a one-way link): each of its adverts is answered, but the
 * addresses are announced again once a second at most. */
static void
test_lower_master_rate(void **state)
{
    struct vrrp v;
    struct vrrp_event ev;
    uint64_t t = T0, became;
    unsigned announced = 0;

    (void)state;
    node_init(&v, "10.0.0.11", 200, true);
    vrrp_start(&v, t, &ev);
    became = t + vrrp_master_down_us(200, 100 * MS);
    tick(&v, became, &ev);
    assert_int_equal(v.state, VRRP_MASTER);
    /* Within a second of becoming master: it announced on taking over. */
    hear(&v, "10.0.0.12", 100, became + 500 * MS, &ev);
    assert_true(ev.send);
    assert_false(ev.announce);
    for (t = became + 1000 * MS; t < became + 4000 * MS; t += 100 * MS) {
        hear(&v, "10.0.0.12", 100, t, &ev);
        assert_true(ev.send);
        announced += ev.announce;
        if (ev.announce) {
            assert_int_equal((t - became) % (1000 * MS), 0);
        }
    }
    assert_int_equal(announced, 3); /* At +1 s, +2 s, +3 s. */
    assert_int_equal(v.stats.lower_master, 31);
    assert_int_equal(v.state, VRRP_MASTER);
}

int
main(void)
{
    /* clang-format off */
    static const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keepalived_adverts),
        cmocka_unit_test(test_checksum),
        cmocka_unit_test(test_padding),
        cmocka_unit_test(test_drops),
        cmocka_unit_test(test_mismatches),
        cmocka_unit_test(test_intervals),
        cmocka_unit_test(test_startup_takeover),
        cmocka_unit_test(test_master_down),
        cmocka_unit_test(test_preempt_on),
        cmocka_unit_test(test_preempt_off),
        cmocka_unit_test(test_tiebreak),
        cmocka_unit_test(test_priority0),
        cmocka_unit_test(test_shutdown),
        cmocka_unit_test(test_switchover),
        cmocka_unit_test(test_reconfigure),
        cmocka_unit_test(test_two_nodes),
        cmocka_unit_test(test_split_heal),
        cmocka_unit_test(test_lower_master_rate),
    };
    /* clang-format on */

    return cmocka_run_group_tests_name("vrrp", tests, NULL, NULL);
}
