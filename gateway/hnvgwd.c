/* SPDX-License-Identifier: Apache-2.0 */
/* hnvgwd: the HNV gateway daemon. Reads one config file, brings up the DPDK data plane, installs
 * the HNV policy, and serves the control socket until told to stop. SIGHUP (or "hnvgwctl reload")
 * re-reads the file and applies only the difference; a file with an error changes nothing.
 *
 * The control thread (this one; the workers are DPDK lcores) runs ONE event loop, an sd-event
 * created in main(). Nothing polls on a tick: the thread sleeps in epoll until a source fires.
 * The sources, and who owns them:
 * - the control socket: its listener and each connection, with their timeouts (gateway/ctl.c,
 *   ctl_server_open());
 * - dynamic routing: the FPM listeners and connections, the settle and hold timers, each FRR
 *   daemon's pidfd and restart timer (tenant_routing_start(): routing/fpm_server.c, routing/frr.c);
 * - the VPN: the kipsec socket and connection, the VICI event pipe, the IKE daemon's pidfd, its
 *   restart and VICI retry timers (vpn_start(): vpn/);
 * - the data plane (here, as dataplane/ knows nothing of sd-event): dp_control_fd(), which a worker
 *   writes when it punts into a drained ring, and a DP_CONTROL_PERIOD_MS timer for ARP retries,
 *   neighbor aging and RCU reclamation;
 * - the NAT mapping log (here): a NAT_LOG_PERIOD_MS timer drains the workers' log ring;
 * - the metrics listener, when configured: libmicrohttpd's epoll descriptor and its timeout, and
 *   the vtysh children that read the bgpds for a scrape (metrics_server_open(): gateway/metrics.c);
 * - signals (here): SIGHUP reloads, SIGTERM and SIGINT stop; they are blocked from before
 *   dp_create() on, so that every thread inherits the mask and only the loop's signalfd sees them;
 * - the pair's election, with a cluster section: a VRRP timer re-armed from the machine's next
 *   deadline and a gratuitous-ARP timer (cluster_start(): gateway/cluster/cluster.c); the adverts
 *   themselves come through dp_control_fd();
 * - the systemd watchdog: sd_event_set_watchdog() pings from the loop itself.
 *
 * Adding a source (an OVSDB client, HA sync): give the module's start function the
 * sd_event; let it add its descriptors with sd_event_add_io() and its timers with
 * sd_event_add_time_relative(), keep the sd_event_source pointers, and release them with
 * sd_event_source_disable_unref() in its stop function (modules below gateway/ may use sd-event
 * directly; dataplane/ exposes a descriptor instead). Then call its start in main() after
 * vpn_start() and its stop before vpn_stop(). A handler must never block: it does a bounded piece
 * of work, and a level-triggered source fires again while more waits. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/epoll.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include <rte_pci.h>

#include "dataplane/dp.h"
#include "gateway/cluster/cluster.h"
#include "gateway/cluster/pair_sync.h"
#include "gateway/config.h"
#include "gateway/config/budget.h"
#include "gateway/ctl.h"
#include "gateway/handlers.h"
#include "gateway/metrics.h"
#include "lib/log.h"
#include "gateway/nat/nat_commands.h"
#include "gateway/policy.h"
#include "gateway/store.h"
#include "routing/compartment.h"
#include "routing/rib.h"
#include "vpn/vpn_service.h"
#include "vpn/vpn_cli.h"

/* How often the NAT mapping log is drained: its ring (16,384 records) then holds 800,000 records a
 * second, more than the journal takes. */
#define NAT_LOG_PERIOD_MS 20

/* The event sources main() owns (the modules own theirs). */
struct loop_sources {
    sd_event_source *dp_fd;     /* I/O: dp_control_fd(), punted packets. */
    sd_event_source *dp_timer;  /* Timer: the data plane's periodic housekeeping. */
    sd_event_source *nat_timer; /* Timer: the NAT mapping-log drain, NULL without NAT. */
};

static void
usage(void)
{
    printf("usage: hnvgwd [-c FILE] [--check-config | --pci-devices]\n"
           "  -c, --config FILE   configuration file (default %s)\n"
           "      --check-config  validate the file and exit (0 when valid)\n"
           "      --pci-devices   validate the file, print the PCI addresses its ports name\n"
           "                      (one a line, for binding them to a DPDK driver) and exit\n"
           "  -h, --help          this text\n",
           CONFIG_DEFAULT_PATH);
}

/* Prints, one a line, the PCI address of every port of 'cfg' whose devargs names a PCI device
 * ("0000:00:04.0" or "00:04.0", options after a comma), in the full form sysfs and
 * dpdk-devbind.py use. Ports on vdevs are skipped. */
static void
print_pci_devices(const struct hnvgw_config *cfg)
{
    for (size_t i = 0; i < cfg->n_ports; i++) {
        char addr[sizeof cfg->ports[i].devargs];
        struct rte_pci_addr pci;
        char name[PCI_PRI_STR_SIZE];

        snprintf(addr, sizeof addr, "%s", cfg->ports[i].devargs);
        addr[strcspn(addr, ",")] = '\0';
        if (rte_pci_addr_parse(addr, &pci) == 0) {
            rte_pci_device_name(&pci, name, sizeof name);
            printf("%s\n", name);
        }
    }
}

/* cluster_set_role_hook() callback: the services that own state of their own (BGP sessions, IKE
 * SAs) follow the data plane's role. */
static void
on_role_change(enum dp_ha_role role, const char *why, void *gw_)
{
    struct gw_state *gw = gw_;
    bool active = role != DP_HA_PASSIVE;

    (void)why;
    tenant_routing_set_active(&gw->routing, active);
    vpn_set_active(&gw->vpn, active);
}

/* Sets the periodic timer 'src' (a one-shot source) to fire again in 'ms'. */
static void
timer_again(sd_event_source *src, unsigned ms)
{
    sd_event_source_set_time_relative(src, (uint64_t)ms * 1000);
    sd_event_source_set_enabled(src, SD_EVENT_ONESHOT);
}

/* I/O source of dp_control_fd(): workers punted packets. */
static int
on_dp_punt(sd_event_source *src, int fd, uint32_t revents, void *dp)
{
    (void)src;
    (void)fd;
    (void)revents;
    dp_control_poll(dp);
    return 0;
}

/* Timer: the data plane's ARP retries, neighbor aging and RCU reclamation. */
static int
on_dp_timer(sd_event_source *src, uint64_t usec, void *dp)
{
    (void)usec;
    dp_control_poll(dp);
    timer_again(src, DP_CONTROL_PERIOD_MS);
    return 0;
}

/* Timer: the NAT mapping log. */
static int
on_nat_timer(sd_event_source *src, uint64_t usec, void *gw)
{
    (void)usec;
    nat_log_drain(gw);
    timer_again(src, NAT_LOG_PERIOD_MS);
    return 0;
}

/* SIGHUP: re-reads the config file (gw_reload() logs the outcome). */
static int
on_sighup(sd_event_source *src, const struct signalfd_siginfo *si, void *gw)
{
    char err[CONFIG_ERR_MAX];

    (void)src;
    (void)si;
    gw_reload(gw, err);
    return 0;
}

/* SIGTERM, SIGINT: leaves the loop. */
static int
on_stop_signal(sd_event_source *src, const struct signalfd_siginfo *si, void *aux)
{
    (void)aux;
    log_info("stopping on %s", si->ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
    return sd_event_exit(sd_event_source_get_event(src), 0);
}

/* Adds main()'s own sources to 'event': the signals, the data plane's descriptor and timer, the
 * NAT log timer when 'nat', and the watchdog. Returns 0 or a negative errno. */
static int
loop_add_sources(sd_event *event, struct gw_state *gw, bool nat, struct loop_sources *ls)
{
    int ret;

    memset(ls, 0, sizeof *ls);
    /* Floating signal sources: they live as long as the loop. */
    if ((ret = sd_event_add_signal(event, NULL, SIGHUP, on_sighup, gw)) < 0 ||
        (ret = sd_event_add_signal(event, NULL, SIGTERM, on_stop_signal, NULL)) < 0 ||
        (ret = sd_event_add_signal(event, NULL, SIGINT, on_stop_signal, NULL)) < 0) {
        return ret;
    }
    ret = sd_event_add_io(event, &ls->dp_fd, dp_control_fd(gw->dp), EPOLLIN, on_dp_punt, gw->dp);
    if (ret < 0) {
        return ret;
    }
    /* Packets wait for their next hop in a punt: they go before the other sources. */
    sd_event_source_set_priority(ls->dp_fd, SD_EVENT_PRIORITY_IMPORTANT);
    ret = sd_event_add_time_relative(event, &ls->dp_timer, CLOCK_MONOTONIC,
                                     DP_CONTROL_PERIOD_MS * 1000, 10 * 1000, on_dp_timer, gw->dp);
    if (ret < 0) {
        return ret;
    }
    if (nat) {
        ret = sd_event_add_time_relative(event, &ls->nat_timer, CLOCK_MONOTONIC,
                                         NAT_LOG_PERIOD_MS * 1000, 5 * 1000, on_nat_timer, gw);
        if (ret < 0) {
            return ret;
        }
    }
    ret = sd_event_set_watchdog(event, true);
    return ret < 0 ? ret : 0;
}

/* Removes the sources loop_add_sources() added but the signals (they go with the loop). */
static void
loop_remove_sources(struct loop_sources *ls)
{
    sd_event_source_disable_unref(ls->dp_fd);
    sd_event_source_disable_unref(ls->dp_timer);
    sd_event_source_disable_unref(ls->nat_timer);
    memset(ls, 0, sizeof *ls);
}

/* Builds the EAL argument vector: argv[0], the configured arguments, and the lcores when the file
 * does not choose them itself: the main lcore plus one per worker, each pinned to its own CPU
 * when there are enough, else all floating over the CPUs there are (a small VM still runs). */
static int
eal_argv(const struct hnvgw_config *cfg, char **argv, char *lcores, size_t lcores_len)
{
    int n = 0;
    bool has_lcores = false;
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

    argv[n++] = "hnvgwd";
    for (size_t i = 0; i < cfg->n_eal_args; i++) {
        const char *a = cfg->eal_args[i];
        has_lcores |= !strcmp(a, "-l") || !strncmp(a, "--lcores", 8) || !strcmp(a, "-c");
        argv[n++] = cfg->eal_args[i];
    }
    if (!has_lcores) {
        if (ncpu >= (long)cfg->workers + 1) {
            snprintf(lcores, lcores_len, "--lcores=0-%u", cfg->workers);
        } else {
            snprintf(lcores, lcores_len, "--lcores=(0-%u)@(0-%ld)", cfg->workers,
                     ncpu > 0 ? ncpu - 1 : 0);
        }
        argv[n++] = lcores;
    }
    argv[n] = NULL;
    return n;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {{"config", required_argument, NULL, 'c'},
                                         {"check-config", no_argument, NULL, 'C'},
                                         {"pci-devices", no_argument, NULL, 'P'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *path = CONFIG_DEFAULT_PATH;
    bool check_only = false;
    bool list_pci = false;
    char err[CONFIG_ERR_MAX], dperr[DP_ERR_MAX], lcores[48];
    char *eargv[CONFIG_EAL_ARGS_MAX + 4];
    struct hnvgw_config *cfg = NULL;
    struct dp_params params;
    struct gw_state gw;
    struct dp *dp = NULL;
    struct vpn_tenant *vpn_tenants = NULL;
    struct rib *rib = NULL;
    struct store *store = NULL;
    struct metrics_server *metrics = NULL;
    struct pair_sync *pair_sync = NULL;
    sd_event *event = NULL;
    struct loop_sources sources;
    struct budget_host host;
    struct config_budget budget;
    int c, ret;

    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            path = optarg;
            break;
        case 'C':
            check_only = true;
            break;
        case 'P':
            list_pci = true;
            break;
        case 'h':
            usage();
            return 0;
        default:
            usage();
            return 2;
        }
    }
    ret = config_load(path, &cfg, err);
    if (ret) {
        fprintf(stderr, "hnvgwd: %s\n", err);
        return 1;
    }
    if (list_pci) {
        print_pci_devices(cfg);
        config_destroy(cfg);
        return 0;
    }
    /* The same budget refuses the config here and at start, before the EAL: a config that
     * --check-config passes must start. */
    budget_host_read("/sys/kernel/mm/hugepages", &host);
    ret = config_budget(cfg, &host, &budget, err);
    if (check_only) {
        config_budget_print(&budget, stdout);
        if (ret) {
            fprintf(stderr, "hnvgwd: %s\n", err);
            config_destroy(cfg);
            return 1;
        }
        printf("%s: configuration is valid (%zu ports, %zu tenants, %zu lookup records, %zu "
               "customer routes)\n",
               path, cfg->n_ports, cfg->n_tenants, cfg->n_lookups, cfg->n_routes);
        config_destroy(cfg);
        return 0;
    }
    if (ret) {
        log_err("%s", err);
        config_destroy(cfg);
        return 1;
    }

    /* Blocked in every thread, the EAL's included (they inherit the mask from here): only the
     * loop's signalfd receives them. */
    sigset_t loop_signals;
    sigemptyset(&loop_signals);
    sigaddset(&loop_signals, SIGHUP);
    sigaddset(&loop_signals, SIGTERM);
    sigaddset(&loop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &loop_signals, NULL);
    signal(SIGPIPE, SIG_IGN);

    vpn_tenants = gw_vpn_tenants(cfg);
    if (!vpn_tenants) {
        log_err("out of memory");
        config_destroy(cfg);
        return 1;
    }
    policy_dp_params(cfg, &params);
    compartment_save_cpus(); /* Before the EAL pins this thread: FRR and charon use them all. */
    int eargc = eal_argv(cfg, eargv, lcores, sizeof lcores);
    ret = dp_create(eargc, eargv, &params, &dp, dperr);
    /* A node of a pair is passive before its workers run: it must not answer for the pair's
     * virtual addresses before it has won the election. */
    if (ret == 0 && (ret = cluster_early_role(dp, cfg)) != 0) {
        snprintf(dperr, sizeof dperr, "cannot make the data plane passive: %s", strerror(ret));
    }
    if (ret == 0) {
        ret = policy_add_ports(dp, cfg, dperr);
    }
    if (ret == 0) {
        ret = tenant_routing_add_ports(dp, cfg, dperr);
    }
    if (ret == 0) {
        ret = vpn_add_ports(dp, vpn_tenants, cfg->n_tenants, dperr);
    }
    if (ret == 0) {
        ret = policy_nat_setup(dp, cfg, dperr);
    }
    if (ret == 0) {
        ret = vpn_dp_setup(dp, vpn_tenants, cfg->n_tenants, dperr);
    }
    /* The policy goes in before the workers start, so that the first packets find it. */
    if (ret == 0) {
        rib = rib_create(dp, cfg->max_routes * 2);
        store = rib ? store_create(dp, rib, cfg->max_lookups) : NULL;
        ret = store ? 0 : ENOMEM;
        snprintf(dperr, sizeof dperr, "out of memory for the policy store");
    }
    if (ret == 0) {
        policy_external_networks(cfg, rib);
        ret = store_apply_config(store, cfg, dperr);
    }
    if (ret == 0) {
        ret = dp_start(dp, dperr);
    }
    if (ret) {
        log_err("%s", dperr);
        store_destroy(store);
        rib_destroy(rib);
        dp_destroy(dp);
        config_destroy(cfg);
        free(vpn_tenants);
        return 1;
    }

    memset(&gw, 0, sizeof gw);
    gw.dp = dp;
    gw.cfg = cfg;
    gw.rib = rib;
    gw.store = store;
    gw.path = path;
    gw.started = time(NULL);
    ret = sd_event_new(&event);
    if (ret < 0) {
        log_err("cannot create the event loop: %s", strerror(-ret));
        goto fail_event;
    }
    ret = ctl_server_open(cfg->control_socket, event, &gw.ctl);
    if (ret) {
        log_err("cannot open control socket %s: %s", cfg->control_socket, strerror(ret));
        goto fail_ctl;
    }
    handlers_register(&gw);
    for (size_t i = 0; i < vpn_cli_n_commands; i++) {
        ctl_server_register(gw.ctl, vpn_cli_commands[i].name, vpn_cli_commands[i].help,
                            vpn_cli_commands[i].fn, &gw.vpn);
    }
    ret = tenant_routing_start(&gw.routing, rib, cfg, event, err);
    if (ret) {
        log_err("%s", err);
        goto fail_routing;
    }
    ret = vpn_start(&gw.vpn, dp, vpn_tenants, cfg->n_tenants, cfg->cluster.enabled, event, err);
    if (ret) {
        log_err("%s", err);
        goto fail_vpn;
    }
    ret = cluster_start(cfg, dp, event, &gw.cluster, err);
    if (ret) {
        log_err("%s", err);
        goto fail_cluster;
    }
    cluster_register_commands(gw.cluster, gw.ctl);
    ret = pair_sync_start(cfg, dp, event, gw.cluster, gw.vpn.ha, &pair_sync, err);
    if (ret) {
        log_err("%s", err);
        goto fail_pair_sync;
    }
    cluster_set_role_hook(gw.cluster, on_role_change, &gw);
    on_role_change(cluster_role(gw.cluster), "start", &gw);
    if (cfg->metrics) {
        char ip[HNVGW_IP_STRLEN];
        bool v6 = cfg->metrics_ip.family == HNVGW_AF_INET6;

        ret = metrics_server_open(cfg, &gw, event, &metrics, err);
        if (ret) {
            log_err("%s", err);
            goto fail_metrics;
        }
        log_info("metrics on http://%s%s%s:%u/metrics%s", v6 ? "[" : "",
                 hnvgw_ip_format(&cfg->metrics_ip, ip), v6 ? "]" : "", metrics_server_port(metrics),
                 hnvgw_ip_is_zero(&cfg->metrics_ip) ? " (every address of the node: not only the "
                                                      "management network)"
                                                    : "");
    }
    ret = loop_add_sources(event, &gw, params.max_nat_sessions != 0, &sources);
    if (ret < 0) {
        log_err("cannot set the event loop up: %s", strerror(-ret));
        goto fail_sources;
    }
    free(vpn_tenants);

    log_info("node %s up: %zu ports, %zu tenants, %zu lookup records, %u worker(s); control %s",
             cfg->node_name, cfg->n_ports, cfg->n_tenants, cfg->n_lookups, cfg->workers,
             cfg->control_socket);
    sd_notify(0, "READY=1\nSTATUS=forwarding");
    ret = sd_event_loop(event);
    if (ret < 0) {
        log_err("event loop: %s", strerror(-ret));
    }
    /* First: a master's priority 0 lets the peer take over after its Skew_Time. */
    pair_sync_stop(pair_sync);
    cluster_stop(gw.cluster);
    gw.cluster = NULL;

    nat_log_drain(&gw); /* The last records before the workers stop. */
    sd_notify(0, "STOPPING=1");
    loop_remove_sources(&sources);
    metrics_server_destroy(metrics);
    vpn_stop(&gw.vpn);
    tenant_routing_stop(&gw.routing);
    ctl_server_destroy(gw.ctl);
    sd_event_unref(event);
    store_destroy(store);
    rib_destroy(rib);
    dp_destroy(dp);
    config_destroy(gw.cfg);
    return ret < 0 ? 1 : 0;

fail_sources:
    loop_remove_sources(&sources);
    metrics_server_destroy(metrics);
fail_metrics:
    pair_sync_stop(pair_sync);
fail_pair_sync:
    cluster_stop(gw.cluster);
fail_cluster:
    vpn_stop(&gw.vpn);
fail_vpn:
    tenant_routing_stop(&gw.routing);
fail_routing:
    ctl_server_destroy(gw.ctl);
fail_ctl:
    sd_event_unref(event);
fail_event:
    store_destroy(store);
    rib_destroy(rib);
    dp_destroy(dp);
    config_destroy(gw.cfg);
    free(vpn_tenants);
    return 1;
}
