/* SPDX-License-Identifier: Apache-2.0 */
/* Data-plane lifecycle (EAL, pools, tables, ports, workers) and the table-update API of dp.h. */
#include "dp_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <poll.h>
#include <time.h>

#include <sys/eventfd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_hash_crc.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

static void
set_err(char *err, const char *fmt, ...)
{
    va_list ap;

    if (!err) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(err, DP_ERR_MAX, fmt, ap);
    va_end(ap);
}

/* Creates the shared FIB: one rte_fib6 TRIE keyed by (tenant << 32 | IPv4) in its first 48 bits,
 * so that 4,096 routing domains cost memory in proportion to their routes rather than a 64 MiB
 * DIR24_8 table each. */
static struct rte_fib6 *
fib_create(uint32_t max_routes, unsigned generation)
{
    char name[32];
    struct rte_fib6_conf conf = {
        .type = RTE_FIB6_TRIE,
        .default_nh = 0,
        /* The RIB under the FIB also spends nodes on branch points: up to 2n - 1 for n routes. */
        .max_routes = (int)(2 * max_routes + 1024),
        /* The TRIE reserves ceil((depth - 24) / 8) tbl8 groups per route up front: 3 for a
         * (tenant, /32) key of 48 bits. Size for the worst case so that max_routes holds. */
        .trie = {.nh_sz = RTE_FIB6_TRIE_4B, .num_tbl8 = 3 * max_routes + 1024},
    };
    snprintf(name, sizeof name, "hnvgw_fib%u", generation);
    return rte_fib6_create(name, SOCKET_ID_ANY, &conf);
}

int
dp_create(int eal_argc, char **eal_argv, const struct dp_params *params, struct dp **out, char *err)
{
    struct dp *dp;
    size_t qsbr_size;
    int ret;

    *out = NULL;
    if (params->n_workers < 1 || params->n_workers > DP_MAX_WORKERS) {
        set_err(err, "workers must be 1..%d", DP_MAX_WORKERS);
        return EINVAL;
    }
    ret = rte_eal_init(eal_argc, eal_argv);
    if (ret < 0) {
        set_err(err, "DPDK EAL initialisation failed: %s", rte_strerror(rte_errno));
        return rte_errno ? rte_errno : EINVAL;
    }
    if (rte_lcore_count() < params->n_workers + 1) {
        set_err(err, "%u worker(s) need %u lcores, EAL has %u (give -l or --lcores)",
                params->n_workers, params->n_workers + 1, rte_lcore_count());
        return EINVAL;
    }
    dp = rte_zmalloc("dp", sizeof *dp, 64);
    if (!dp) {
        set_err(err, "out of memory for the data plane");
        return ENOMEM;
    }
    dp->params = *params;
    dp->provider_port = dp->external_port = -1;
    /* Armed from the start: the first punt wakes a control thread that has not polled yet. */
    dp->control_armed = 1;
    dp->control_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    dp->ctl_tx_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (dp->control_fd < 0 || dp->ctl_tx_fd < 0) {
        ret = errno;
        set_err(err, "cannot create the control eventfds: %s", strerror(ret));
        if (dp->control_fd >= 0) {
            close(dp->control_fd);
        }
        rte_free(dp);
        return ret;
    }

    qsbr_size = rte_rcu_qsbr_get_memsize(params->n_workers);
    dp->qsbr = rte_zmalloc("qsbr", qsbr_size, RTE_CACHE_LINE_SIZE);
    dp->workers = rte_zmalloc("workers", sizeof *dp->workers * params->n_workers, 64);
    dp->nh = rte_zmalloc("nh", sizeof *dp->nh * DP_NH_MAX, 64);
    dp->nh_refcnt = rte_zmalloc("nh_refcnt", sizeof *dp->nh_refcnt * DP_NH_MAX, 64);
    dp->compartments = rte_zmalloc("compartments", sizeof *dp->compartments * DP_MAX_TENANTS, 64);
    if (!dp->qsbr || !dp->workers || !dp->nh || !dp->nh_refcnt || !dp->compartments) {
        set_err(err, "out of memory for the data plane");
        goto fail;
    }
    rte_rcu_qsbr_init(dp->qsbr, params->n_workers);
    if (dp_trace_init() != 0) {
        set_err(err, "cannot register the packet-trace mbuf fields");
        goto fail;
    }
    for (unsigned i = 0; i < params->n_workers; i++) {
        dp->workers[i].nc_gen = UINT32_MAX; /* The neighbor cache starts empty. */
        dp->workers[i].trace = rte_zmalloc("trace", sizeof(struct dp_trace_buf), 64);
        dp->workers[i].compartment_stats =
            rte_zmalloc("compartment_stats",
                        sizeof *dp->workers[i].compartment_stats * DP_COMPARTMENTS_MAX, 64);
        if (!dp->workers[i].trace || !dp->workers[i].compartment_stats) {
            set_err(err, "out of memory for trace buffers and compartment counters");
            goto fail;
        }
    }

    dp->lookups = rcu_table_create("lookups", sizeof(struct dp_lookup_key),
                                   sizeof(struct dp_lookup), params->max_lookups, dp->qsbr);
    dp->subnets = rcu_table_create("subnets", sizeof(struct dp_vsid_key), sizeof(struct dp_subnet),
                                   params->max_subnets, dp->qsbr);
    dp->neighbors = rcu_table_create("neighbors", sizeof(struct dp_neigh_key),
                                     sizeof(struct dp_neigh), params->max_neighbors, dp->qsbr);
    if (!dp->lookups || !dp->subnets || !dp->neighbors) {
        set_err(err, "cannot create tables: %s (are there enough hugepages?)",
                rte_strerror(rte_errno));
        goto fail;
    }
    struct rte_hash_parameters hp = {
        .name = "nh_index",
        .entries = DP_NH_MAX,
        .key_len = sizeof(struct dp_nexthop),
        .hash_func = rte_hash_crc,
        .socket_id = SOCKET_ID_ANY,
    };
    dp->nh_index = rte_hash_create(&hp);
    dp->fib_max_routes = params->max_routes;
    dp->fib = fib_create(params->max_routes, dp->fib_generation++);
    if (!dp->nh_index || !dp->fib) {
        set_err(err, "cannot create the FIB: %s (are there enough hugepages?)",
                rte_strerror(rte_errno));
        goto fail;
    }
    uint32_t n_mbufs = dp_pool_mbufs(params);
    dp->pool = rte_pktmbuf_pool_create("mbufs", n_mbufs, DP_MBUF_CACHE, sizeof(struct dp_mbuf_priv),
                                       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    if (!dp->pool) {
        set_err(err, "cannot create %u packet buffers: %s", n_mbufs, rte_strerror(rte_errno));
        goto fail;
    }
    dp->indirect_pool =
        rte_pktmbuf_pool_create("indirect", DP_INDIRECT_MBUFS, DP_MBUF_CACHE, 0, 0, SOCKET_ID_ANY);
    if (!dp->indirect_pool) {
        set_err(err, "cannot create the fragment buffers: %s", rte_strerror(rte_errno));
        goto fail;
    }
    dp->punt = rte_ring_create("punt", DP_PUNT_RING, SOCKET_ID_ANY, RING_F_SC_DEQ);
    dp->ctl_tx =
        rte_ring_create("ctl_tx", DP_CTL_TX_RING, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
    if (!dp->punt || !dp->ctl_tx) {
        set_err(err, "cannot create the punt ring: %s", rte_strerror(rte_errno));
        goto fail;
    }
    ret = nat_create(dp);
    if (ret) {
        set_err(err, "cannot create the NAT tables: %s", strerror(ret));
        goto fail;
    }
    if (esp_create(dp, err)) {
        goto fail;
    }
    *out = dp;
    return 0;

fail:
    dp_destroy(dp);
    return ENOMEM;
}

int
dp_port_add(struct dp *dp, const struct dp_port_conf *conf, uint16_t *port_id, char *err)
{
    struct dp_port *p;
    uint16_t id;
    char name[64];
    int ret;

    if (dp->started) {
        set_err(err, "ports can only be added before start");
        return EBUSY;
    }
    if (rte_eth_dev_get_port_by_name(conf->devargs, &id) != 0) {
        /* A vdev string such as "net_tap0,iface=x": probe it, then find it by its name part. */
        const char *comma = strchr(conf->devargs, ',');
        size_t n = comma ? (size_t)(comma - conf->devargs) : strlen(conf->devargs);
        if (n >= sizeof name) {
            set_err(err, "port %s: devargs too long", conf->name);
            return EINVAL;
        }
        memcpy(name, conf->devargs, n);
        name[n] = '\0';
        if (rte_dev_probe(conf->devargs) != 0 || rte_eth_dev_get_port_by_name(name, &id) != 0) {
            set_err(err, "port %s: cannot probe '%s'", conf->name, conf->devargs);
            return ENODEV;
        }
    }
    if (id >= DP_MAX_PORTS || dp->ports[id].used) {
        set_err(err, "port %s: DPDK port %u unusable or already used", conf->name, id);
        return EEXIST;
    }
    if (conf->kind == DP_PORT_VM && id >= 64) {
        set_err(err, "port %s: VM ports must have DPDK port ids below 64", conf->name);
        return EINVAL;
    }
    p = &dp->ports[id];
    memset(p, 0, sizeof *p);
    p->conf = *conf;
    if (!p->conf.mtu) {
        p->conf.mtu = 1500;
    }
    p->port_id = id;
    memcpy(p->mac.addr_bytes, conf->mac, 6);
    p->mask = conf->plen ? rte_cpu_to_be_32(~0u << (32 - conf->plen)) : 0;
    p->used = true;
    dp->port_order[dp->n_ports++] = id;
    if (conf->kind == DP_PORT_PROVIDER) {
        dp->provider_port = id;
    } else if (conf->kind == DP_PORT_EXTERNAL) {
        dp->external_port = id;
    } else if (conf->kind == DP_PORT_EXCEPTION) {
        ret = dp_compartment_attach(dp, id, conf->tagged ? DP_MAX_TENANTS : conf->tenant, 0,
                                    conf->peer_mac);
        if (ret) {
            set_err(err, "port %s: %s", conf->name,
                    ret == EEXIST ? "its routing domain already has a compartment"
                                  : "out of memory or compartments");
            p->used = false;
            dp->n_ports--;
            return ret;
        }
    }
    *port_id = id;
    return 0;
}

/* A compartment MAC as a hash key. */
struct compartment_mac_key {
    uint8_t mac[6]; /* The MAC. */
    uint16_t zero;  /* 0: keys are whole words. */
};

/* Readies shared port 'p' (DPDK id 'port_id'): its tag table and its MAC hash. */
static int
shared_port_tables(struct dp_port *p, uint16_t port_id)
{
    char name[RTE_HASH_NAMESIZE];
    struct rte_hash_parameters hp = {
        .name = name,
        .entries = DP_COMPARTMENT_TAGS + 2, /* The hash wants room beyond what it holds. */
        .key_len = sizeof(struct compartment_mac_key),
        .hash_func = rte_hash_crc,
        .socket_id = SOCKET_ID_ANY,
        /* Before dp_start() only, but the workers read it: lock-free readers either way. */
        .extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
    };

    snprintf(name, sizeof name, "cmpt_mac%u", port_id);
    p->tag_tenant = rte_zmalloc("tag_tenant", sizeof *p->tag_tenant * 4096, 64);
    p->mac_tenant = p->tag_tenant ? rte_hash_create(&hp) : NULL;
    if (!p->mac_tenant) {
        rte_free(p->tag_tenant);
        p->tag_tenant = NULL;
        return ENOMEM;
    }
    return 0;
}

int
dp_compartment_attach(struct dp *dp, uint16_t port_id, uint32_t tenant, uint16_t tag,
                      const uint8_t peer_mac[6])
{
    struct dp_port *p = &dp->ports[port_id];
    struct compartment_mac_key key = {.zero = 0};
    struct dp_compartment *c;

    if (tenant == DP_MAX_TENANTS) { /* A shared port: its tables, no compartment of its own. */
        return shared_port_tables(p, port_id);
    }
    c = &dp->compartments[tenant];
    memcpy(key.mac, peer_mac, 6);
    if (c->port || (tag && p->tag_tenant[tag]) ||
        (p->mac_tenant && rte_hash_lookup(p->mac_tenant, &key) >= 0)) {
        return EEXIST;
    }
    if (dp->n_compartments >= DP_COMPARTMENTS_MAX) {
        return ENOSPC;
    }
    if (p->mac_tenant &&
        rte_hash_add_key_data(p->mac_tenant, &key, (void *)(uintptr_t)tenant) != 0) {
        return ENOSPC;
    }
    c->tag = tag;
    c->index = (uint16_t)dp->n_compartments++;
    memcpy(c->peer_mac.addr_bytes, peer_mac, 6);
    if (tag) {
        p->tag_tenant[tag] = (uint16_t)tenant;
    }
    /* Last: a worker that sees the port sees the rest. */
    __atomic_store_n(&c->port, (uint16_t)(port_id + 1), __ATOMIC_RELEASE);
    return 0;
}

uint16_t
dp_compartment_by_mac(const struct dp_port *p, const struct rte_ether_addr *mac)
{
    struct compartment_mac_key key = {.zero = 0};
    void *data;

    memcpy(key.mac, mac->addr_bytes, 6);
    return rte_hash_lookup_data(p->mac_tenant, &key, &data) >= 0 ? (uint16_t)(uintptr_t)data : 0;
}

int
dp_compartment_bind(struct dp *dp, uint16_t port_id, uint16_t tenant, uint16_t tag,
                    const uint8_t peer_mac[6], char *err)
{
    const struct dp_port *p = port_id < DP_MAX_PORTS ? &dp->ports[port_id] : NULL;
    int ret;

    if (!p || !p->used || p->conf.kind != DP_PORT_EXCEPTION || !p->conf.tagged) {
        set_err(err, "compartment of domain %u: port %u is not a tagged exception port", tenant,
                port_id);
        return EINVAL;
    }
    if (tag > DP_COMPARTMENT_TAGS || tenant == 0) {
        set_err(err, "compartment of domain %u: tag %u is not 0..%u (or domain 0)", tenant, tag,
                DP_COMPARTMENT_TAGS);
        return EINVAL;
    }
    ret = dp_compartment_attach(dp, port_id, tenant, tag, peer_mac);
    if (ret == EEXIST) {
        set_err(err, "compartment of domain %u: it, its MAC or tag %u of port %s is already bound",
                tenant, tag, p->conf.name);
    } else if (ret == ENOSPC) {
        set_err(err, "compartment of domain %u: more than %u compartments", tenant,
                DP_COMPARTMENTS_MAX);
    } else if (ret) {
        set_err(err, "compartment of domain %u: out of memory", tenant);
    }
    return ret;
}

int
dp_compartment_stats(const struct dp *dp, uint16_t tenant, struct dp_compartment_stats *out)
{
    const struct dp_compartment *c = &dp->compartments[tenant];

    memset(out, 0, sizeof *out);
    if (!c->port) {
        return ENOENT;
    }
    out->port = (uint16_t)(c->port - 1);
    out->tag = c->tag;
    for (unsigned i = 0; i < dp->params.n_workers; i++) {
        const struct dp_compartment_count *n = &dp->workers[i].compartment_stats[c->index];
        out->punted += __atomic_load_n(&n->punted, __ATOMIC_RELAXED);
        out->injected += __atomic_load_n(&n->injected, __ATOMIC_RELAXED);
    }
    return 0;
}

/* Configures one port with one rx and one tx queue per worker. The control thread transmits
 * through worker 0 (dp->ctl_tx), so that devices needing equal rx and tx queue counts (net_tap)
 * and devices with few queues work alike. */
static int
port_setup(struct dp *dp, struct dp_port *p, char *err)
{
    struct rte_eth_dev_info info;
    struct rte_eth_conf conf;
    uint16_t nrx = dp->params.n_workers, ntx = dp->params.n_workers;
    int ret;

    memset(&conf, 0, sizeof conf);
    ret = rte_eth_dev_info_get(p->port_id, &info);
    if (ret != 0) {
        set_err(err, "port %s: no device info", p->conf.name);
        return -ret;
    }
    if (info.max_rx_queues < nrx || info.max_tx_queues < ntx) {
        set_err(err, "port %s: needs %u queues, device has %u rx / %u tx", p->conf.name, nrx,
                info.max_rx_queues, info.max_tx_queues);
        return EINVAL;
    }
    /* The provider stages verify every outer IPv4 checksum: let the NIC do it where it can (its
     * verdict comes in the mbuf's flags; dp_ipv4_rx_cksum_ok() sums the header without one). */
    if (p->conf.kind == DP_PORT_PROVIDER &&
        (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_IPV4_CKSUM)) {
        conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_IPV4_CKSUM;
    }
    ret = rte_eth_dev_configure(p->port_id, nrx, ntx, &conf);
    if (ret != 0) {
        set_err(err, "port %s: configure failed: %s", p->conf.name, rte_strerror(-ret));
        return -ret;
    }
    for (uint16_t q = 0; q < nrx; q++) {
        ret = rte_eth_rx_queue_setup(p->port_id, q, DP_RX_DESC, SOCKET_ID_ANY, NULL, dp->pool);
        if (ret != 0) {
            set_err(err, "port %s: rx queue %u: %s", p->conf.name, q, rte_strerror(-ret));
            return -ret;
        }
    }
    for (uint16_t q = 0; q < ntx; q++) {
        ret = rte_eth_tx_queue_setup(p->port_id, q, DP_TX_DESC, SOCKET_ID_ANY, NULL);
        if (ret != 0) {
            set_err(err, "port %s: tx queue %u: %s", p->conf.name, q, rte_strerror(-ret));
            return -ret;
        }
    }
    /* The MAC is ours to choose on virtual devices; a NIC that refuses keeps its own. */
    rte_eth_dev_default_mac_addr_set(p->port_id, &p->mac);
    if (p->conf.kind == DP_PORT_VM) {
        rte_eth_promiscuous_enable(p->port_id);
    }
    ret = rte_eth_dev_start(p->port_id);
    if (ret != 0) {
        set_err(err, "port %s: start failed: %s", p->conf.name, rte_strerror(-ret));
        return -ret;
    }
    if (p->conf.kind != DP_PORT_VM) {
        rte_eth_promiscuous_enable(p->port_id);
    }
    /* VRRP adverts go to 224.0.0.18 (MAC 01:00:5e:00:00:12), in every role (ha.h): promiscuous
     * mode takes them on most devices, all-multicast on those that filter multicast apart. A
     * device without either (ENOTSUP) delivers multicast anyway or never could. */
    if (p->conf.kind == DP_PORT_PROVIDER) {
        rte_eth_allmulticast_enable(p->port_id);
    }
    return 0;
}

/* Hands one received frame to the stage that owns its port kind. */
static inline void
dispatch(struct dp_worker *w, struct rte_mbuf *m, const struct dp_port *p)
{
    if (unlikely(m->nb_segs > 1) && rte_pktmbuf_linearize(m) != 0) {
        dp_drop(w, m, DP_provider_runt);
        return;
    }
    switch (p->conf.kind) {
    case DP_PORT_PROVIDER:
        dp_provider_input(w, m);
        break;
    case DP_PORT_EXTERNAL:
        dp_external_input(w, m);
        break;
    case DP_PORT_VM:
        dp_vm_input(w, m, p);
        break;
    case DP_PORT_EXCEPTION:
        dp_exception_input(w, m, p);
        break;
    }
}

/* Clears the worker's trace records when a new trace has started. */
static void
trace_sync(struct dp_worker *w)
{
    uint32_t epoch = __atomic_load_n(&w->dp->trace_epoch, __ATOMIC_ACQUIRE);

    if (unlikely(w->trace_epoch != epoch)) {
        w->trace_epoch = epoch;
        w->trace->next_pkt = 0;
        __atomic_store_n(&w->trace->n, 0, __ATOMIC_RELEASE);
    }
}

/* Marks received packets for tracing while the trace budget lasts. */
static void
trace_mark(struct dp_worker *w, struct rte_mbuf **pkts, uint16_t n)
{
    trace_sync(w); /* A new trace clears the old records first. */
    for (uint16_t i = 0; i < n; i++) {
        uint32_t left = __atomic_load_n(&w->dp->trace_budget, __ATOMIC_RELAXED);

        while (left && !__atomic_compare_exchange_n(&w->dp->trace_budget, &left, left - 1, false,
                                                    __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
        }
        if (!left) {
            return;
        }
        pkts[i]->ol_flags |= dp_trace_flag;
        *RTE_MBUF_DYNFIELD(pkts[i], dp_trace_field, uint32_t *) = ++w->trace->next_pkt;
    }
}

/* Worker 0's idle sleep: like the others', but the control thread cuts it short when it queues a
 * frame on dp->ctl_tx (a VRRP advert must not wait out a millisecond of sleep plus the scheduler's
 * slack, measured at up to 2.4 ms). The same protocol as the control thread's own wake-up
 * (control.c): worker 0 raises ctl_tx_asleep, then (full fence) looks at the ring; the control
 * thread enqueues, then (full fence) looks at the flag and writes ctl_tx_fd if it was raised. */
static void
worker0_sleep(struct dp *dp, unsigned sleep_us)
{
    struct pollfd pfd = {.fd = dp->ctl_tx_fd, .events = POLLIN};
    struct timespec ts = {.tv_sec = 0, .tv_nsec = (long)sleep_us * 1000};
    uint64_t count;

    __atomic_store_n(&dp->ctl_tx_asleep, 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* The flag before the look at the ring. */
    if (rte_ring_empty(dp->ctl_tx) && ppoll(&pfd, 1, &ts, NULL) > 0 &&
        read(dp->ctl_tx_fd, &count, sizeof count) < 0) {
        count = 0; /* EAGAIN: another read took it. */
    }
    __atomic_store_n(&dp->ctl_tx_asleep, 0, __ATOMIC_RELAXED);
}

/* A worker: polls its rx queue on every port, runs each packet to completion, flushes its tx
 * buffers and reports quiescence. After a run of empty polls it goes RCU-offline and sleeps, with a
 * back-off up to 1 ms, so that an idle gateway costs well under 5 % of a CPU. */
static int
worker_main(void *arg)
{
    struct dp_worker *w = arg;
    struct dp *dp = w->dp;
    struct rte_mbuf *pkts[DP_BURST];
    unsigned empty = 0, sleep_us = 0;

    rte_rcu_qsbr_thread_register(dp->qsbr, w->id);
    rte_rcu_qsbr_thread_online(dp->qsbr, w->id);
    while (!dp->stop) {
        unsigned total = 0;

        trace_sync(w);
        dp_ha_worker_sync(w);
        if (w->nat) {
            total += nat_worker_poll(w);
        }

        for (unsigned i = 0; i < dp->n_ports; i++) {
            const struct dp_port *p = &dp->ports[dp->port_order[i]];
            uint16_t n = rte_eth_rx_burst(p->port_id, w->id, pkts, DP_BURST);

            if (unlikely(__atomic_load_n(&dp->trace_budget, __ATOMIC_RELAXED)) && n) {
                trace_mark(w, pkts, n);
            }
            if (p->conf.kind == DP_PORT_PROVIDER) {
                dp_provider_burst(w, pkts, n);
            } else if (p->conf.kind == DP_PORT_EXTERNAL) {
                dp_external_burst(w, pkts, n);
            } else {
                for (uint16_t j = 0; j < n; j++) {
                    if (j + 1 < n) {
                        rte_prefetch0(rte_pktmbuf_mtod(pkts[j + 1], void *));
                    }
                    dispatch(w, pkts[j], p);
                }
            }
            total += n;
        }
        if (w->id == 0 && !rte_ring_empty(dp->ctl_tx)) {
            /* Frames the control thread built (ARP, held packets, VRRP) leave through worker 0. */
            total += dp_tx_control(w);
        }
        dp_tx_flush(w);
        rte_rcu_qsbr_quiescent(dp->qsbr, w->id);
        if (total) {
            empty = 0;
            sleep_us = 0;
            continue;
        }
        if (++empty < 256) {
            continue;
        }
        sleep_us = sleep_us ? RTE_MIN(sleep_us * 2, 1000u) : 16;
        dp_count(w, DP_worker_idle_sleeps);
        rte_rcu_qsbr_thread_offline(dp->qsbr, w->id);
        if (w->id == 0) {
            worker0_sleep(dp, sleep_us);
        } else {
            usleep(sleep_us);
        }
        rte_rcu_qsbr_thread_online(dp->qsbr, w->id);
    }
    if (w->id == 0) {
        /* What the control thread queued before asking us to stop still leaves: above all a
         * leaving master's priority-0 advert, sent just before dp_destroy(). The acquire pairs
         * with dp_destroy()'s release, so that every frame enqueued before it is seen here. */
        (void)__atomic_load_n(&dp->stop, __ATOMIC_ACQUIRE);
        while (!rte_ring_empty(dp->ctl_tx)) {
            dp_tx_control(w);
        }
        dp_tx_flush(w);
    }
    rte_rcu_qsbr_thread_offline(dp->qsbr, w->id);
    rte_rcu_qsbr_thread_unregister(dp->qsbr, w->id);
    return 0;
}

int
dp_start(struct dp *dp, char *err)
{
    unsigned lcore, i = 0;
    int ret;

    ret = nat_start(dp);
    if (ret) {
        set_err(err,
                "cannot create the NAT session tables: %s (raise hugepages or lower "
                "max_nat_sessions)",
                strerror(ret));
        return ret;
    }
    for (unsigned k = 0; k < dp->n_ports; k++) {
        ret = port_setup(dp, &dp->ports[dp->port_order[k]], err);
        if (ret) {
            return ret;
        }
    }
    RTE_LCORE_FOREACH_WORKER(lcore)
    {
        struct dp_worker *w;

        if (i == dp->params.n_workers) {
            break;
        }
        w = &dp->workers[i];
        w->dp = dp;
        w->id = i;
        w->lcore = lcore;
        w->icmp_tokens = dp->params.icmp_rate;
        ret = rte_eal_remote_launch(worker_main, w, lcore);
        if (ret != 0) {
            set_err(err, "cannot launch worker %u on lcore %u", i, lcore);
            dp->stop = true;
            rte_eal_mp_wait_lcore();
            return EBUSY;
        }
        i++;
    }
    dp->started = true;
    return 0;
}

void
dp_destroy(struct dp *dp)
{
    uint16_t id;

    if (!dp) {
        return;
    }
    if (dp->started) {
        __atomic_store_n(&dp->stop, true, __ATOMIC_RELEASE);
        rte_eal_mp_wait_lcore();
        for (unsigned k = 0; k < dp->n_ports; k++) {
            rte_eth_dev_stop(dp->port_order[k]);
        }
    }
    RTE_ETH_FOREACH_DEV(id)
    {
        rte_eth_dev_close(id);
    }
    if (dp->punt) {
        struct rte_mbuf *m;
        while (rte_ring_dequeue(dp->punt, (void **)&m) == 0) {
            rte_pktmbuf_free(m);
        }
        rte_ring_free(dp->punt);
    }
    if (dp->ctl_tx) {
        struct rte_mbuf *m;
        while (rte_ring_dequeue(dp->ctl_tx, (void **)&m) == 0) {
            rte_pktmbuf_free(m);
        }
        rte_ring_free(dp->ctl_tx);
    }
    for (unsigned k = 0; k < DP_PENDING_MAX; k++) {
        for (unsigned j = 0; j < dp->pending[k].n; j++) {
            rte_pktmbuf_free(dp->pending[k].held[j]);
        }
    }
    nat_destroy(dp->nat);
    esp_destroy(dp);
    rte_fib6_free(dp->fib);
    rte_hash_free(dp->nh_index);
    rcu_table_destroy(dp->lookups);
    rcu_table_destroy(dp->subnets);
    rcu_table_destroy(dp->neighbors);
    rte_free(dp->nh);
    rte_free(dp->nh_refcnt);
    rte_free(dp->compartments);
    for (unsigned i = 0; dp->workers && i < dp->params.n_workers; i++) {
        rte_free(dp->workers[i].trace);
        rte_free(dp->workers[i].compartment_stats);
    }
    for (unsigned i = 0; i < DP_MAX_PORTS; i++) {
        rte_free(dp->ports[i].tag_tenant);
        rte_hash_free(dp->ports[i].mac_tenant);
    }
    rte_free(dp->workers);
    rte_free(dp->qsbr);
    rte_mempool_free(dp->pool);
    rte_mempool_free(dp->indirect_pool);
    close(dp->control_fd);
    close(dp->ctl_tx_fd);
    rte_free(dp);
    rte_eal_cleanup();
}

/* ---- Tables ---- */

int
dp_subnet_set(struct dp *dp, const struct dp_subnet *subnet)
{
    struct dp_vsid_key k = {.vsid = subnet->vsid};
    int ret = rcu_table_set(dp->subnets, &k, subnet);
    __atomic_fetch_add(&dp->subnet_gen, 1, __ATOMIC_RELEASE);
    return ret;
}

int
dp_subnet_del(struct dp *dp, uint32_t vsid)
{
    struct dp_vsid_key k = {.vsid = vsid};
    int ret = rcu_table_del(dp->subnets, &k);
    __atomic_fetch_add(&dp->subnet_gen, 1, __ATOMIC_RELEASE);
    return ret;
}

int
dp_subnet_get(struct dp *dp, uint32_t vsid, struct dp_subnet *out)
{
    const struct dp_subnet *sn = dp_subnet_find(dp, vsid);

    if (!sn) {
        return ENOENT;
    }
    *out = *sn;
    return 0;
}

static struct dp_lookup_key
lookup_key(uint32_t vsid, uint32_t ca)
{
    struct dp_lookup_key k = {.vsid = vsid, .family = 4};
    memcpy(k.addr, &ca, 4);
    return k;
}

int
dp_lookup_set(struct dp *dp, uint32_t vsid, uint32_t ca, const struct dp_lookup *rec)
{
    struct dp_lookup_key k = lookup_key(vsid, ca);
    return rcu_table_set(dp->lookups, &k, rec);
}

int
dp_lookup_del(struct dp *dp, uint32_t vsid, uint32_t ca)
{
    struct dp_lookup_key k = lookup_key(vsid, ca);
    return rcu_table_del(dp->lookups, &k);
}

/* Adapter from rcu_table_iterate() to the caller's lookup-record callback. */
struct lookup_iter {
    bool (*fn)(uint32_t, uint32_t, const struct dp_lookup *, void *); /* Caller's callback. */
    void *aux;                                                        /* Its argument. */
};

static bool
lookup_iter_cb(const void *key, const void *val, void *aux)
{
    const struct dp_lookup_key *k = key;
    struct lookup_iter *it = aux;
    uint32_t ca;

    memcpy(&ca, k->addr, 4);
    return it->fn(k->vsid, ca, val, it->aux);
}

void
dp_lookup_iterate(struct dp *dp, bool (*fn)(uint32_t, uint32_t, const struct dp_lookup *, void *),
                  void *aux)
{
    struct lookup_iter it = {fn, aux};
    rcu_table_iterate(dp->lookups, lookup_iter_cb, &it);
}

uint32_t
dp_lookup_count(const struct dp *dp)
{
    return dp->lookups->count;
}

/* Returns the index of a next hop equal to 'nh', creating it if needed, with one more reference.
 * Returns 0 when the next-hop table is full. */
static uint32_t
nh_ref(struct dp *dp, const struct dp_nexthop *nh)
{
    void *data;
    uint32_t idx;

    if (rte_hash_lookup_data(dp->nh_index, nh, &data) >= 0) {
        idx = (uint32_t)(uintptr_t)data;
        dp->nh_refcnt[idx]++;
        return idx;
    }
    for (idx = 1; idx < DP_NH_MAX; idx++) {
        if (!dp->nh_refcnt[idx]) {
            break;
        }
    }
    if (idx == DP_NH_MAX) {
        return 0;
    }
    dp->nh[idx] = *nh;
    rte_atomic_thread_fence(__ATOMIC_RELEASE);
    if (rte_hash_add_key_data(dp->nh_index, nh, (void *)(uintptr_t)idx) != 0) {
        return 0;
    }
    dp->nh_refcnt[idx] = 1;
    return idx;
}

/* Drops a reference; the last one frees the slot once no worker can still be reading it. */
static void
nh_unref(struct dp *dp, uint32_t idx)
{
    if (!idx || !dp->nh_refcnt[idx] || --dp->nh_refcnt[idx]) {
        return;
    }
    struct dp_nexthop key = dp->nh[idx];
    rte_hash_del_key(dp->nh_index, &key);
    /* A group holds a reference on each of its members. */
    for (unsigned i = 0; key.type == DP_NH_ECMP && i < key.n_members; i++) {
        nh_unref(dp, key.members[i]);
    }
    /* The slot is reusable only when refcnt is 0 and a grace period has passed: hold a
     * reference across the wait so that nh_ref() cannot hand it out early. */
    dp->nh_refcnt[idx] = 1;
    rte_rcu_qsbr_synchronize(dp->qsbr, RTE_QSBR_THRID_INVALID);
    dp->nh_refcnt[idx] = 0;
}

/* Returns the next-hop index currently installed for exactly this prefix, or 0. */
static uint32_t
fib_exact(struct dp *dp, const uint8_t key[16], uint8_t depth)
{
    struct rte_rib6_node *node = rte_rib6_lookup_exact(rte_fib6_get_rib(dp->fib), key, depth);
    uint64_t nh = 0;

    if (node) {
        rte_rib6_get_nh(node, &nh);
    }
    return (uint32_t)nh;
}

/* Copies every route into a fresh FIB and swaps it in. Returns 0, or ENOSPC when the routes
 * do not fit a fresh FIB either (the old one stays).
 *
 * Why: DPDK 22.11's TRIE reserves tbl8 groups when a route longer than 24 bits is added, but
 * computes what to give back on delete against its RIB with the route still in it, so a delete
 * returns nothing. A FIB that churns (BGP) then refuses routes though it holds few. A rebuilt
 * TRIE's reservations are exact again. Next-hop indexes do not change, so no reference moves. */
static int
fib_rebuild(struct dp *dp)
{
    struct rte_fib6 *old = dp->fib, *neu = fib_create(dp->fib_max_routes, dp->fib_generation++);
    struct rte_rib6 *rib = rte_fib6_get_rib(old);
    struct rte_rib6_node *node = NULL;
    uint8_t zero[RTE_FIB6_IPV6_ADDR_SIZE] = {0};

    if (!neu) {
        return ENOSPC;
    }
    while ((node = rte_rib6_get_nxt(rib, zero, 0, node, RTE_RIB6_GET_NXT_ALL)) != NULL) {
        uint8_t ip[RTE_FIB6_IPV6_ADDR_SIZE], depth;
        uint64_t nh;

        rte_rib6_get_ip(node, ip);
        rte_rib6_get_depth(node, &depth);
        rte_rib6_get_nh(node, &nh);
        if (rte_fib6_add(neu, ip, depth, nh) != 0) {
            rte_fib6_free(neu);
            return ENOSPC;
        }
    }
    __atomic_store_n(&dp->fib, neu, __ATOMIC_RELEASE);
    rte_rcu_qsbr_synchronize(dp->qsbr, RTE_QSBR_THRID_INVALID);
    rte_fib6_free(old);
    dp->control_stats.counter[DP_route_fib_rebuilds]++;
    return 0;
}

/* Points (tenant, prefix/plen) at next hop 'idx', whose reference the caller took and this
 * consumes (released on failure). */
static int
route_install(struct dp *dp, uint16_t tenant, uint32_t prefix, uint8_t plen, uint32_t idx)
{
    uint8_t key[16];
    uint32_t old;

    dp_fib_key(key, tenant, prefix & (plen ? rte_cpu_to_be_32(~0u << (32 - plen)) : 0));
    old = fib_exact(dp, key, 16 + plen);
    if (rte_fib6_add(dp->fib, key, 16 + plen, idx) != 0 &&
        (fib_rebuild(dp) != 0 || rte_fib6_add(dp->fib, key, 16 + plen, idx) != 0)) {
        nh_unref(dp, idx);
        return ENOSPC;
    }
    nh_unref(dp, old);
    return 0;
}

int
dp_route_set(struct dp *dp, uint16_t tenant, uint32_t prefix, uint8_t plen,
             const struct dp_nexthop *nh)
{
    uint32_t idx;
    struct dp_nexthop n = *nh;

    if (plen > 32) {
        return EINVAL;
    }
    if (n.type == DP_NH_ECMP) {
        return EINVAL; /* dp_route_set_multi() builds groups. */
    }
    n.n_members = 0;
    memset(n.reserved, 0, sizeof n.reserved);
    if (n.type == DP_NH_CONNECTED || n.type == DP_NH_CA) {
        /* The subnet table is the authority on gateway MACs (the caller installs subnets first;
         * a subnet whose MAC changes comes with its routes reinstalled by the policy diff). */
        const struct dp_subnet *sn = dp_subnet_find(dp, n.vsid);
        if (sn) {
            memcpy(n.mac, sn->gw_mac, 6);
        }
    }
    if (n.type == DP_NH_NAT_PUBLIC) {
        /* The workers take the address's NAT index from here rather than search for it. */
        int ip_idx = dp->nat && plen == 32 ? nat_ip_index(dp->nat, prefix) : -1;
        if (ip_idx < 0) {
            return ENOENT;
        }
        n.tenant = (uint16_t)ip_idx;
    }
    idx = nh_ref(dp, &n);
    return idx ? route_install(dp, tenant, prefix, plen, idx) : ENOSPC;
}

int
dp_route_set_multi(struct dp *dp, uint16_t tenant, uint32_t prefix, uint8_t plen,
                   const struct dp_nexthop *nhs, unsigned n)
{
    struct dp_nexthop group;
    uint32_t existing, idx;
    void *data;

    if (n == 1) {
        return dp_route_set(dp, tenant, prefix, plen, &nhs[0]);
    }
    if (n < 1 || n > DP_ECMP_MAX) {
        return EINVAL;
    }
    memset(&group, 0, sizeof group);
    group.type = DP_NH_ECMP;
    group.n_members = (uint8_t)n;
    for (unsigned i = 0; i < n; i++) {
        struct dp_nexthop m = nhs[i];
        uint32_t idx;

        if (m.type == DP_NH_ECMP) {
            return EINVAL;
        }
        m.n_members = 0;
        if (m.type == DP_NH_CONNECTED || m.type == DP_NH_CA) {
            const struct dp_subnet *sn = dp_subnet_find(dp, m.vsid);
            if (sn) {
                memcpy(m.mac, sn->gw_mac, 6);
            }
        }
        idx = nh_ref(dp, &m);
        if (!idx) {
            for (unsigned j = 0; j < i; j++) {
                nh_unref(dp, group.members[j]);
            }
            return ENOSPC;
        }
        group.members[i] = (uint16_t)idx;
    }
    /* A new group keeps the member references taken above; an existing one has its own. */
    existing = rte_hash_lookup_data(dp->nh_index, &group, &data) >= 0;
    idx = nh_ref(dp, &group);
    if (!idx || existing) {
        for (unsigned i = 0; i < n; i++) {
            nh_unref(dp, group.members[i]);
        }
    }
    return idx ? route_install(dp, tenant, prefix, plen, idx) : ENOSPC;
}

struct dp_nexthop
dp_route_lookup_flow(struct dp *dp, uint16_t tenant, uint32_t src, uint32_t dst, uint8_t proto,
                     uint16_t sport, uint16_t dport)
{
    const struct dp_nexthop *nh = dp_fib_lookup(dp, tenant, dst);
    struct dp_nexthop none = {.type = DP_NH_NONE};

    if (nh && nh->type == DP_NH_ECMP) {
        nh = dp_ecmp_pick(dp, nh, dp_flow_hash(src, dst, proto, sport, dport));
    }
    return nh ? *nh : none;
}

int
dp_route_del(struct dp *dp, uint16_t tenant, uint32_t prefix, uint8_t plen)
{
    uint8_t key[16];
    uint32_t old;

    if (plen > 32) {
        return EINVAL;
    }
    dp_fib_key(key, tenant, prefix & (plen ? rte_cpu_to_be_32(~0u << (32 - plen)) : 0));
    old = fib_exact(dp, key, 16 + plen);
    if (!old) {
        return ENOENT;
    }
    rte_fib6_delete(dp->fib, key, 16 + plen);
    nh_unref(dp, old);
    return 0;
}

struct dp_nexthop
dp_route_lookup(struct dp *dp, uint16_t tenant, uint32_t addr)
{
    const struct dp_nexthop *nh = dp_fib_lookup(dp, tenant, addr);
    struct dp_nexthop none = {.type = DP_NH_NONE};

    return nh ? *nh : none;
}

void
dp_stats_sum(const struct dp *dp, struct dp_stats *out)
{
    *out = dp->control_stats;
    for (unsigned i = 0; i < dp->params.n_workers; i++) {
        const struct dp_stats *s = &dp->workers[i].stats;
        for (unsigned c = 0; c < DP_N_COUNTERS; c++) {
            out->counter[c] += s->counter[c];
        }
        for (unsigned d = 0; d < DP_N_DROPS; d++) {
            out->drop[d] += s->drop[d];
        }
    }
}

int
dp_stats_worker(const struct dp *dp, unsigned worker, struct dp_stats *out)
{
    if (worker >= dp->params.n_workers) {
        return ENOENT;
    }
    *out = dp->workers[worker].stats;
    return 0;
}

void
dp_stats_control(const struct dp *dp, struct dp_stats *out)
{
    *out = dp->control_stats;
}

unsigned
dp_worker_count(const struct dp *dp)
{
    return dp->params.n_workers;
}

unsigned
dp_port_count(const struct dp *dp)
{
    return dp->n_ports;
}

const struct dp_port_conf *
dp_port_conf(const struct dp *dp, unsigned idx, uint16_t *port_id)
{
    if (idx >= dp->n_ports) {
        return NULL;
    }
    *port_id = dp->port_order[idx];
    return &dp->ports[*port_id].conf;
}

void
dp_trace_start(struct dp *dp, uint32_t count)
{
    __atomic_fetch_add(&dp->trace_epoch, 1, __ATOMIC_RELEASE);
    __atomic_store_n(&dp->trace_budget, count, __ATOMIC_RELEASE);
}

void
dp_trace_lines(struct dp *dp, void (*fn)(unsigned, uint32_t, const char *, void *), void *aux)
{
    for (unsigned i = 0; i < dp->params.n_workers; i++) {
        const struct dp_trace_buf *t = dp->workers[i].trace;
        uint32_t n = __atomic_load_n(&t->n, __ATOMIC_ACQUIRE);
        char line[160];

        for (uint32_t k = 0; k < n && k < DP_TRACE_RECS; k++) {
            dp_trace_format(&t->rec[k], line, sizeof line);
            fn(i, t->rec[k].pkt, line, aux);
        }
    }
}

size_t
dp_heap_used(void)
{
    struct rte_malloc_socket_stats st;
    size_t total = 0;

    for (unsigned s = 0; s < rte_socket_count(); s++) {
        if (rte_malloc_get_socket_stats(rte_socket_id_by_idx(s), &st) == 0) {
            total += st.heap_allocsz_bytes;
        }
    }
    return total;
}
