/* hnvgwd: the HNV gateway daemon. Reads one config file, brings up the DPDK data plane, installs
 * the HNV policy, and serves the control socket until told to stop. SIGHUP (or "hnvgwctl reload")
 * re-reads the file and applies only the difference; a file with an error changes nothing. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>
#include <systemd/sd-event.h>

#include "dataplane/dp.h"
#include "gateway/config.h"
#include "gateway/ctl.h"
#include "gateway/handlers.h"
#include "lib/log.h"
#include "gateway/nat/nat_log.h"
#include "gateway/policy.h"
#include "gateway/store.h"
#include "routing/rib.h"
#include "vpn/vpn_service.h"
#include "vpn/vpn_cli.h"

static volatile sig_atomic_t stop_requested;
static volatile sig_atomic_t reload_requested;

static void
on_signal(int sig)
{
    if (sig == SIGHUP) {
        reload_requested = 1;
    } else {
        stop_requested = 1;
    }
}

static void
usage(void)
{
    printf("usage: hnvgwd [-c FILE] [--check-config]\n"
           "  -c, --config FILE   configuration file (default %s)\n"
           "      --check-config  validate the file and exit (0 when valid)\n"
           "  -h, --help          this text\n",
           CONFIG_DEFAULT_PATH);
}

/* dp_nat_log_drain() callback: writes one mapping-log record as an info line, naming the tenant
 * as the running configuration ('aux', the struct gw_state) does. */
static void
nat_log_record(const struct dp_nat_log *rec, void *aux)
{
    const struct gw_state *gw = aux;
    const struct config_tenant *t = config_find_tenant(gw->cfg, rec->tenant);
    char line[NATLOG_LINE_MAX];

    natlog_format(rec, t ? t->name : NULL, line, sizeof line);
    log_info("%s", line);
}

/* Logs every mapping-log record queued since the last call, and how many were lost. */
static void
nat_log_drain(struct gw_state *gw)
{
    uint64_t lost = dp_nat_log_drain(gw->dp, nat_log_record, gw);

    if (lost) {
        log_warn("nat log: %llu records lost (log ring full)", (unsigned long long)lost);
    }
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
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *path = CONFIG_DEFAULT_PATH;
    bool check_only = false;
    char err[CONFIG_ERR_MAX], dperr[DP_ERR_MAX], lcores[48];
    char *eargv[CONFIG_EAL_ARGS_MAX + 4];
    struct hnvgw_config *cfg = NULL;
    struct dp_params params;
    struct gw_state gw;
    struct dp *dp = NULL;
    struct vpn_tenant *vpn_tenants = NULL;
    struct rib *rib = NULL;
    struct store *store = NULL;
    sd_event *event = NULL;
    int c, ret;

    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            path = optarg;
            break;
        case 'C':
            check_only = true;
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
    if (check_only) {
        printf("%s: configuration is valid (%zu ports, %zu tenants, %zu lookup records, %zu "
               "customer routes)\n",
               path, cfg->n_ports, cfg->n_tenants, cfg->n_lookups, cfg->n_routes);
        config_destroy(cfg);
        return 0;
    }

    vpn_tenants = gw_vpn_tenants(cfg);
    if (!vpn_tenants) {
        log_err("out of memory");
        config_destroy(cfg);
        return 1;
    }
    policy_dp_params(cfg, &params);
    int eargc = eal_argv(cfg, eargv, lcores, sizeof lcores);
    ret = dp_create(eargc, eargv, &params, &dp, dperr);
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
    ret = -sd_event_new(&event);
    if (ret == 0) {
        ret = ctl_server_open(cfg->control_socket, event, &gw.ctl);
    }
    if (ret) {
        log_err("cannot open control socket %s: %s", cfg->control_socket, strerror(ret));
        dp_destroy(dp);
        config_destroy(cfg);
        free(vpn_tenants);
        return 1;
    }
    handlers_register(&gw);
    for (size_t i = 0; i < vpn_cli_n_commands; i++) {
        ctl_server_register(gw.ctl, vpn_cli_commands[i].name, vpn_cli_commands[i].help,
                            vpn_cli_commands[i].fn, &gw.vpn);
    }
    ret = tenant_routing_start(&gw.routing, rib, cfg, event, err);
    if (ret == 0) {
        ret = vpn_start(&gw.vpn, dp, vpn_tenants, cfg->n_tenants, event, err);
        if (ret) {
            tenant_routing_stop(&gw.routing);
        }
    }
    free(vpn_tenants);
    if (ret) {
        log_err("%s", err);
        ctl_server_destroy(gw.ctl);
        dp_destroy(dp);
        config_destroy(gw.cfg);
        return 1;
    }

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    log_info("node %s up: %zu ports, %zu tenants, %zu lookup records, %u worker(s); control %s",
             cfg->node_name, cfg->n_ports, cfg->n_tenants, cfg->n_lookups, cfg->workers,
             cfg->control_socket);
    sd_notify(0, "READY=1\nSTATUS=forwarding");

    uint64_t watchdog_usec = 0;
    bool watchdog = sd_watchdog_enabled(0, &watchdog_usec) > 0;
    time_t last_ping = 0;

    while (!stop_requested) {
        sd_event_run(event, 2000);
        dp_control_poll(dp);
        nat_log_drain(&gw);
        if (reload_requested) {
            reload_requested = 0;
            gw_reload(&gw, err);
        }
        if (watchdog && time(NULL) != last_ping) {
            last_ping = time(NULL);
            sd_notify(0, "WATCHDOG=1");
        }
    }
    log_info("stopping");
    nat_log_drain(&gw); /* The last records before the workers stop. */
    sd_notify(0, "STOPPING=1");
    vpn_stop(&gw.vpn);
    tenant_routing_stop(&gw.routing);
    ctl_server_destroy(gw.ctl);
    sd_event_unref(event);
    store_destroy(store);
    rib_destroy(rib);
    dp_destroy(dp);
    config_destroy(gw.cfg);
    return 0;
}
