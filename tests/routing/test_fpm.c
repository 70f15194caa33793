/* SPDX-License-Identifier: Apache-2.0 */
/* FPM decoder tests: frames built with libmnl the way zebra's dplane_fpm_nl writes them, fed whole,
 * byte by byte and in odd pieces, and malformed in every field the decoder reads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdlib.h>
#include <string.h>

#include "routing/fpm.h"

/* A frame under construction: the FPM header, then netlink messages. */
struct frame {
    uint8_t buf[8192]; /* The bytes. */
    size_t len;        /* Used. */
};

/* What the decoder delivered, frame by frame. */
struct seen {
    unsigned frames;          /* Callbacks. */
    unsigned ops;             /* Operations in all of them. */
    struct fpm_route last[8]; /* The operations of the last frame. */
    size_t n_last;            /* How many. */
};

static struct fpm_decoder dec;
static struct seen seen;

static int
setup(void **state)
{
    (void)state;
    fpm_decoder_init(&dec);
    memset(&seen, 0, sizeof seen);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    fpm_decoder_destroy(&dec);
    return 0;
}

static void
on_frame(const struct fpm_route *ops, size_t n, void *aux)
{
    struct seen *s = aux;
    s->frames++;
    s->ops += (unsigned)n;
    s->n_last = n < 8 ? n : 8;
    memcpy(s->last, ops, s->n_last * sizeof *ops);
}

static void
frame_begin(struct frame *f)
{
    f->len = FPM_HEADER_LEN;
}

/* Fills in the FPM header once the messages are in. */
static void
frame_end(struct frame *f)
{
    f->buf[0] = 1;
    f->buf[1] = 1;
    f->buf[2] = (uint8_t)(f->len >> 8);
    f->buf[3] = (uint8_t)f->len;
}

/* Appends an rtnetlink route message; returns it for more attributes. */
static struct nlmsghdr *
route(struct frame *f, uint16_t type, int af, const char *dst, uint8_t plen, uint8_t rtype)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(f->buf + f->len);
    struct rtmsg *rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
    uint8_t addr[16];

    nlh->nlmsg_type = type;
    rtm->rtm_family = (uint8_t)af;
    rtm->rtm_dst_len = plen;
    rtm->rtm_table = RT_TABLE_MAIN;
    rtm->rtm_protocol = 186; /* RTPROT_BGP */
    rtm->rtm_type = rtype;
    if (dst) {
        assert_int_equal(inet_pton(af, dst, addr), 1);
        mnl_attr_put(nlh, RTA_DST, af == AF_INET ? 4 : 16, addr);
    }
    mnl_attr_put_u32(nlh, RTA_PRIORITY, 20);
    return nlh;
}

static void
put_gateway(struct nlmsghdr *nlh, int af, const char *gw)
{
    uint8_t addr[16];
    assert_int_equal(inet_pton(af, gw, addr), 1);
    mnl_attr_put(nlh, RTA_GATEWAY, af == AF_INET ? 4 : 16, addr);
}

/* Closes message 'nlh' into frame 'f'. */
static void
done(struct frame *f, struct nlmsghdr *nlh)
{
    f->len += nlh->nlmsg_len;
}

static uint32_t
ip4(const char *s)
{
    uint32_t a;
    assert_int_equal(inet_pton(AF_INET, s, &a), 1);
    return a;
}

static int
feed(const struct frame *f)
{
    return fpm_decoder_feed(&dec, f->buf, f->len, on_frame, &seen);
}

/* ---- Tests ---- */

static void
test_new_route_with_gateway(void **state)
{
    struct frame f;
    struct nlmsghdr *nlh;

    (void)state;
    frame_begin(&f);
    nlh = route(&f, RTM_NEWROUTE, AF_INET, "192.168.10.0", 24, RTN_UNICAST);
    put_gateway(nlh, AF_INET, "10.99.0.2");
    mnl_attr_put_u32(nlh, RTA_OIF, 7);
    done(&f, nlh);
    frame_end(&f);
    assert_int_equal(feed(&f), 0);
    assert_int_equal(seen.frames, 1);
    assert_int_equal(seen.n_last, 1);
    const struct fpm_route *r = &seen.last[0];
    assert_true(r->add);
    assert_int_equal(r->kind, FPM_ROUTE_UNICAST);
    assert_int_equal(r->prefix.addr.family, HNVGW_AF_INET);
    assert_int_equal(r->prefix.addr.v4, ip4("192.168.10.0"));
    assert_int_equal(r->prefix.plen, 24);
    assert_int_equal(r->protocol, 186);
    assert_int_equal(r->metric, 20);
    assert_int_equal(r->n_nexthops, 1);
    assert_int_equal(r->nh[0].gateway.v4, ip4("10.99.0.2"));
    assert_int_equal(r->nh[0].ifindex, 7);
    assert_int_equal(dec.stats.routes_added, 1);
}

/* An update is DEL + NEW in one frame: one callback with both, in order. */
static void
test_update_is_one_frame(void **state)
{
    struct frame f;
    struct nlmsghdr *nlh;

    (void)state;
    frame_begin(&f);
    nlh = route(&f, RTM_DELROUTE, AF_INET, "192.168.10.0", 24, RTN_UNICAST);
    done(&f, nlh);
    nlh = route(&f, RTM_NEWROUTE, AF_INET, "192.168.10.0", 24, RTN_UNICAST);
    put_gateway(nlh, AF_INET, "10.99.0.3");
    done(&f, nlh);
    frame_end(&f);
    assert_int_equal(feed(&f), 0);
    assert_int_equal(seen.frames, 1);
    assert_int_equal(seen.n_last, 2);
    assert_false(seen.last[0].add);
    assert_true(seen.last[1].add);
    assert_int_equal(seen.last[1].nh[0].gateway.v4, ip4("10.99.0.3"));
}

/* ECMP: RTA_MULTIPATH with weights, and an IPv6 route with a multipath of two. */
static void
test_multipath(void **state)
{
    struct frame f;
    struct nlmsghdr *nlh;
    struct nlattr *mp;
    const char *gws[] = {"10.99.0.2", "10.99.0.3", "10.99.0.4"};

    (void)state;
    frame_begin(&f);
    nlh = route(&f, RTM_NEWROUTE, AF_INET, "0.0.0.0", 0, RTN_UNICAST);
    mp = mnl_attr_nest_start(nlh, RTA_MULTIPATH);
    for (unsigned i = 0; i < 3; i++) {
        struct rtnexthop *rtnh = mnl_nlmsg_get_payload_tail(nlh);
        size_t off = nlh->nlmsg_len;
        nlh->nlmsg_len += RTNH_ALIGN(sizeof *rtnh);
        memset(rtnh, 0, sizeof *rtnh);
        rtnh->rtnh_ifindex = (int)(5 + i);
        rtnh->rtnh_hops = (uint8_t)i;
        put_gateway(nlh, AF_INET, gws[i]);
        rtnh->rtnh_len = (uint16_t)(nlh->nlmsg_len - off);
    }
    mnl_attr_nest_end(nlh, mp);
    done(&f, nlh);
    frame_end(&f);
    assert_int_equal(feed(&f), 0);
    const struct fpm_route *r = &seen.last[0];
    assert_int_equal(r->prefix.plen, 0);
    assert_int_equal(r->n_nexthops, 3);
    for (unsigned i = 0; i < 3; i++) {
        assert_int_equal(r->nh[i].gateway.v4, ip4(gws[i]));
        assert_int_equal(r->nh[i].ifindex, 5 + i);
        assert_int_equal(r->nh[i].weight, i + 1);
    }
}

static void
test_ipv6_blackhole_unreachable(void **state)
{
    struct frame f;
    struct nlmsghdr *nlh;

    (void)state;
    frame_begin(&f);
    nlh = route(&f, RTM_NEWROUTE, AF_INET6, "2001:db8:1::", 48, RTN_UNICAST);
    put_gateway(nlh, AF_INET6, "fe80::1");
    mnl_attr_put_u32(nlh, RTA_OIF, 3);
    done(&f, nlh);
    done(&f, route(&f, RTM_NEWROUTE, AF_INET, "10.50.0.0", 16, RTN_BLACKHOLE));
    done(&f, route(&f, RTM_NEWROUTE, AF_INET, "10.60.0.0", 16, RTN_UNREACHABLE));
    frame_end(&f);
    assert_int_equal(feed(&f), 0);
    assert_int_equal(seen.n_last, 3);
    assert_int_equal(seen.last[0].prefix.addr.family, HNVGW_AF_INET6);
    assert_int_equal(seen.last[0].prefix.plen, 48);
    assert_int_equal(seen.last[0].nh[0].gateway.family, HNVGW_AF_INET6);
    assert_int_equal(seen.last[1].kind, FPM_ROUTE_BLACKHOLE);
    assert_int_equal(seen.last[1].n_nexthops, 0);
    assert_int_equal(seen.last[2].kind, FPM_ROUTE_UNREACHABLE);
}

/* Host bits are cleared; local routes, other tables and non-route messages are skipped. */
static void
test_normalised_and_ignored(void **state)
{
    struct frame f;
    struct nlmsghdr *nlh;

    (void)state;
    frame_begin(&f);
    nlh = route(&f, RTM_NEWROUTE, AF_INET, "192.168.10.77", 24, RTN_UNICAST);
    mnl_attr_put_u32(nlh, RTA_OIF, 2);
    done(&f, nlh);
    done(&f, route(&f, RTM_NEWROUTE, AF_INET, "10.1.1.1", 32, RTN_LOCAL));
    nlh = route(&f, RTM_NEWROUTE, AF_INET, "10.2.0.0", 16, RTN_UNICAST);
    mnl_attr_put_u32(nlh, RTA_TABLE, 100);
    mnl_attr_put_u32(nlh, RTA_OIF, 2);
    done(&f, nlh);
    nlh = mnl_nlmsg_put_header(f.buf + f.len);
    nlh->nlmsg_type = RTM_NEWNEIGH;
    mnl_nlmsg_put_extra_header(nlh, sizeof(struct ndmsg));
    done(&f, nlh);
    frame_end(&f);
    assert_int_equal(feed(&f), 0);
    assert_int_equal(seen.n_last, 1);
    assert_int_equal(seen.last[0].prefix.addr.v4, ip4("192.168.10.0"));
    assert_int_equal(dec.stats.ignored, 3);
}

/* zebra's deletes leave rtm_table and rtm_type unset (FRR 8.4): still deletes of the prefix. */
static void
test_delete_without_table_or_type(void **state)
{
    struct frame f;
    struct nlmsghdr *nlh;
    struct rtmsg *rtm;

    (void)state;
    frame_begin(&f);
    nlh = route(&f, RTM_DELROUTE, AF_INET, "192.168.90.0", 24, RTN_UNSPEC);
    rtm = mnl_nlmsg_get_payload(nlh);
    rtm->rtm_table = RT_TABLE_UNSPEC;
    done(&f, nlh);
    frame_end(&f);
    assert_int_equal(feed(&f), 0);
    assert_int_equal(seen.n_last, 1);
    assert_false(seen.last[0].add);
    assert_int_equal(seen.last[0].prefix.addr.v4, ip4("192.168.90.0"));
    /* An add with no table is not the main table's. */
    frame_begin(&f);
    nlh = route(&f, RTM_NEWROUTE, AF_INET, "192.168.91.0", 24, RTN_UNICAST);
    ((struct rtmsg *)mnl_nlmsg_get_payload(nlh))->rtm_table = RT_TABLE_UNSPEC;
    mnl_attr_put_u32(nlh, RTA_OIF, 2);
    done(&f, nlh);
    frame_end(&f);
    assert_int_equal(feed(&f), 0);
    assert_int_equal(seen.n_last, 0);
}

/* The stream in pieces of every size gives the same frames as whole. */
static void
test_stream_in_pieces(void **state)
{
    struct frame f;
    uint8_t stream[3 * sizeof f.buf];
    size_t total = 0;

    (void)state;
    for (unsigned i = 0; i < 3; i++) {
        struct nlmsghdr *nlh;
        char dst[32];
        frame_begin(&f);
        snprintf(dst, sizeof dst, "172.16.%u.0", i);
        nlh = route(&f, RTM_NEWROUTE, AF_INET, dst, 24, RTN_UNICAST);
        put_gateway(nlh, AF_INET, "10.99.0.2");
        done(&f, nlh);
        frame_end(&f);
        memcpy(stream + total, f.buf, f.len);
        total += f.len;
    }
    /* Whole, but from an odd address (what a read after a partial frame gives): the decoder
     * must not read netlink headers unaligned (the sanitizer build checks). */
    static uint8_t odd[sizeof stream + 1];
    memcpy(odd + 1, stream, total);
    assert_int_equal(fpm_decoder_feed(&dec, odd + 1, total, on_frame, &seen), 0);
    assert_int_equal(seen.frames, 3);
    for (size_t piece = 1; piece <= total; piece++) {
        fpm_decoder_init(&dec);
        memset(&seen, 0, sizeof seen);
        for (size_t off = 0; off < total; off += piece) {
            size_t n = total - off < piece ? total - off : piece;
            assert_int_equal(fpm_decoder_feed(&dec, stream + off, n, on_frame, &seen), 0);
        }
        assert_int_equal(seen.frames, 3);
        assert_int_equal(seen.last[0].prefix.addr.v4, ip4("172.16.2.0"));
        assert_int_equal(dec.len, 0);
    }
}

/* A frame with one bad message gives nothing at all; the next good frame is decoded. */
static void
test_bad_message_refuses_frame(void **state)
{
    static const struct {
        const char *what;
        enum fpm_error why;
    } cases[] = {
        {"gateway of 3 bytes", FPM_ERR_bad_nexthop},
        {"prefix length 33", FPM_ERR_bad_prefix},
        {"no destination for a /24", FPM_ERR_bad_prefix},
        {"truncated rtmsg", FPM_ERR_bad_route},
        {"RTA_OIF of 2 bytes", FPM_ERR_bad_route},
        {"unicast to nowhere", FPM_ERR_bad_nexthop},
        {"netlink length past the frame", FPM_ERR_bad_netlink},
        {"multipath entry longer than its list", FPM_ERR_bad_nexthop},
    };

    (void)state;
    for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        struct frame f;
        struct nlmsghdr *good, *bad;
        uint64_t before = dec.stats.error[cases[c].why];

        memset(&seen, 0, sizeof seen);
        frame_begin(&f);
        good = route(&f, RTM_DELROUTE, AF_INET, "172.16.0.0", 24, RTN_UNICAST);
        done(&f, good);
        bad = route(&f, RTM_NEWROUTE, AF_INET, c == 2 ? NULL : "172.16.0.0", 24, RTN_UNICAST);
        switch (c) {
        case 0:
            mnl_attr_put(bad, RTA_GATEWAY, 3, "abc");
            break;
        case 1:
            ((struct rtmsg *)mnl_nlmsg_get_payload(bad))->rtm_dst_len = 33;
            mnl_attr_put_u32(bad, RTA_OIF, 2);
            break;
        case 2:
            mnl_attr_put_u32(bad, RTA_OIF, 2);
            break;
        case 3:
            bad->nlmsg_len = MNL_NLMSG_HDRLEN + 4;
            break;
        case 4:
            mnl_attr_put_u16(bad, RTA_OIF, 2);
            break;
        case 5:
            break;
        case 6:
            mnl_attr_put_u32(bad, RTA_OIF, 2);
            bad->nlmsg_len += 64;
            f.len -= 64; /* done() below adds the claimed length; the frame stays shorter. */
            break;
        case 7: {
            struct nlattr *mp = mnl_attr_nest_start(bad, RTA_MULTIPATH);
            struct rtnexthop *rtnh = mnl_nlmsg_get_payload_tail(bad);
            bad->nlmsg_len += RTNH_ALIGN(sizeof *rtnh);
            memset(rtnh, 0, sizeof *rtnh);
            rtnh->rtnh_len = 200;
            rtnh->rtnh_ifindex = 2;
            mnl_attr_nest_end(bad, mp);
            break;
        }
        }
        done(&f, bad);
        frame_end(&f);
        assert_int_equal(feed(&f), 0);
        assert_int_equal(seen.frames, 0);
        assert_int_equal(dec.stats.error[cases[c].why], before + 1);

        frame_begin(&f);
        good = route(&f, RTM_NEWROUTE, AF_INET, "172.16.9.0", 24, RTN_UNICAST);
        mnl_attr_put_u32(good, RTA_OIF, 2);
        done(&f, good);
        frame_end(&f);
        assert_int_equal(feed(&f), 0);
        assert_int_equal(seen.frames, 1);
    }
    assert_int_equal(dec.stats.frames_refused, sizeof cases / sizeof cases[0]);
}

/* A header that cannot be trusted ends the stream. */
static void
test_bad_header_ends_stream(void **state)
{
    const uint8_t version2[] = {2, 1, 0, 4};
    const uint8_t type9[] = {1, 9, 0, 4};
    const uint8_t short_len[] = {1, 1, 0, 3};

    (void)state;
    assert_int_equal(fpm_decoder_feed(&dec, version2, 4, on_frame, &seen), EPROTO);
    fpm_decoder_init(&dec);
    assert_int_equal(fpm_decoder_feed(&dec, type9, 2, on_frame, &seen), 0);
    assert_int_equal(fpm_decoder_feed(&dec, type9 + 2, 2, on_frame, &seen), EPROTO);
    fpm_decoder_init(&dec);
    assert_int_equal(fpm_decoder_feed(&dec, short_len, 4, on_frame, &seen), EPROTO);
    assert_int_equal(dec.stats.error[FPM_ERR_bad_header], 1);
    assert_int_equal(seen.frames, 0);
}

/* Random bytes never crash the decoder (the sanitizer build runs this too). */
static void
test_garbage(void **state)
{
    uint64_t x = 0x2545f4914f6cdd1dull;

    (void)state;
    for (unsigned round = 0; round < 2000; round++) {
        struct frame f;
        struct nlmsghdr *nlh;

        frame_begin(&f);
        nlh = route(&f, RTM_NEWROUTE, AF_INET, "172.16.0.0", 24, RTN_UNICAST);
        put_gateway(nlh, AF_INET, "10.99.0.2");
        done(&f, nlh);
        frame_end(&f);
        for (unsigned k = 0; k < 1 + round % 6; k++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            f.buf[FPM_HEADER_LEN + x % (f.len - FPM_HEADER_LEN)] = (uint8_t)(x >> 32);
        }
        fpm_decoder_init(&dec);
        assert_int_equal(feed(&f), 0);
        assert_int_equal(dec.stats.frames, 1);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_new_route_with_gateway, setup),
        cmocka_unit_test_setup(test_update_is_one_frame, setup),
        cmocka_unit_test_setup(test_multipath, setup),
        cmocka_unit_test_setup(test_ipv6_blackhole_unreachable, setup),
        cmocka_unit_test_setup(test_normalised_and_ignored, setup),
        cmocka_unit_test_setup(test_delete_without_table_or_type, setup),
        cmocka_unit_test_setup(test_stream_in_pieces, setup),
        cmocka_unit_test_setup(test_bad_message_refuses_frame, setup),
        cmocka_unit_test_setup(test_bad_header_ends_stream, setup),
        cmocka_unit_test_setup(test_garbage, setup),
    };
    return cmocka_run_group_tests(tests, NULL, teardown);
}
