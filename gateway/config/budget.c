/* SPDX-License-Identifier: Apache-2.0 */
/* config_budget(): see budget.h.
 *
 * The ports are counted in the order the daemon adds them (main() in gateway/hnvgwd.c): the
 * configured ports (policy_add_ports()), one shared exception port per DP_COMPARTMENT_TAGS
 * tenants with a routing section (tenant_routing_add_ports()), and one for the VPN service when a
 * tenant has a vpn section (vpn_add_ports()). The port that tips a resource over is the one
 * whose line is reported. */
#include "gateway/config/budget.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_config.h>

#include "dataplane/dp.h"
#include "gateway/policy.h"

#define MIB (1024.0 * 1024.0)

/* One DPDK port the daemon will add. */
struct budget_port {
    int line;        /* Line of what asks for it: the port, the routing or the vpn section. */
    char what[96];   /* What it is, for messages. */
    bool tx_holding; /* Its driver keeps sent mbufs in the tx ring (not net_tap). */
};

/* Reads one unsigned number from 'dir'/'name'; 0 when it cannot. */
static uint64_t
read_u64(const char *dir, const char *sub, const char *name)
{
    char path[512];
    unsigned long long v = 0;
    FILE *f;

    snprintf(path, sizeof path, "%s/%s/%s", dir, sub, name);
    f = fopen(path, "r");
    if (!f) {
        return 0;
    }
    if (fscanf(f, "%llu", &v) != 1) {
        v = 0;
    }
    fclose(f);
    return v;
}

int
budget_host_read(const char *sysfs_dir, struct budget_host *host)
{
    DIR *d = opendir(sysfs_dir);
    struct dirent *e;

    memset(host, 0, sizeof *host);
    if (!d) {
        return errno;
    }
    while ((e = readdir(d)) != NULL) {
        unsigned long kb;

        if (sscanf(e->d_name, "hugepages-%lukB", &kb) != 1) {
            continue;
        }
        host->hugepages_total += read_u64(sysfs_dir, e->d_name, "nr_hugepages") * kb * 1024;
        host->hugepages_free += read_u64(sysfs_dir, e->d_name, "free_hugepages") * kb * 1024;
    }
    closedir(d);
    return 0;
}

/* Lists the ports of 'cfg' in the daemon's order into 'ports' (room for n_ports + n_tenants + 1).
 * Returns how many. */
static size_t
list_ports(const struct hnvgw_config *cfg, struct budget_port *ports)
{
    size_t n = 0;
    const struct config_tenant *vpn = NULL;

    for (size_t i = 0; i < cfg->n_ports; i++) {
        const struct config_port *p = &cfg->ports[i];

        ports[n].line = p->line;
        snprintf(ports[n].what, sizeof ports[n].what, "port \"%s\"", p->name);
        ports[n].tx_holding = strncmp(p->devargs, "net_tap", 7) != 0;
        n++;
    }
    for (size_t i = 0, routed = 0; i < cfg->n_tenants; i++) {
        const struct config_tenant *t = &cfg->tenants[i];

        if (t->routing && routed++ % DP_COMPARTMENT_TAGS == 0) {
            ports[n].line = t->routing->line;
            snprintf(ports[n].what, sizeof ports[n].what,
                     "tenant \"%s\" routing (a shared exception port, %u compartments)", t->name,
                     DP_COMPARTMENT_TAGS);
            ports[n].tx_holding = false; /* net_tap. */
            n++;
        }
        if (t->vpn && !vpn) {
            vpn = t;
        }
    }
    if (vpn) {
        ports[n].line = vpn->vpn->line;
        snprintf(ports[n].what, sizeof ports[n].what,
                 "tenant \"%s\" vpn (the IKE daemon's exception port)", vpn->name);
        ports[n].tx_holding = false;
        n++;
    }
    return n;
}

/* Parses a size in MiB ("512") or a --socket-mem list ("512,512": the sum). */
static uint64_t
parse_mib(const char *s)
{
    uint64_t sum = 0;

    while (*s) {
        char *end;
        unsigned long long v = strtoull(s, &end, 10);

        if (end == s) {
            break;
        }
        sum += v;
        s = *end == ',' ? end + 1 : end;
    }
    return sum;
}

/* What the EAL will get from 'cfg's EAL arguments on 'host', in bytes, with where it comes from
 * in 'src'. */
static uint64_t
eal_memory(const struct hnvgw_config *cfg, const struct budget_host *host, char *src, size_t len)
{
    bool no_huge = false;
    uint64_t asked = 0;
    const char *how = NULL;

    for (size_t i = 0; i < cfg->n_eal_args; i++) {
        const char *a = cfg->eal_args[i],
                   *next = i + 1 < cfg->n_eal_args ? cfg->eal_args[i + 1] : "";

        if (!strcmp(a, "--no-huge")) {
            no_huge = true;
        } else if (!strcmp(a, "-m") || !strcmp(a, "--socket-mem")) {
            asked = parse_mib(next) * 1024 * 1024;
            how = a;
            i++;
        } else if (!strncmp(a, "-m", 2)) {
            asked = parse_mib(a + 2) * 1024 * 1024;
            how = "-m";
        } else if (!strncmp(a, "--socket-mem=", 13)) {
            asked = parse_mib(a + 13) * 1024 * 1024;
            how = "--socket-mem";
        }
    }
    if (no_huge) {
        if (!how) {
            snprintf(src, len, "--no-huge: the EAL's default of %d MiB of ordinary memory",
                     BUDGET_NO_HUGE_DEFAULT_MIB);
            return (uint64_t)BUDGET_NO_HUGE_DEFAULT_MIB * 1024 * 1024;
        }
        snprintf(src, len, "--no-huge with %s: ordinary memory", how);
        return asked;
    }
    if (how) {
        /* The EAL reserves that much at start, from the machine's hugepages. */
        snprintf(src, len, "%s %.0f MiB, of %.0f MiB of hugepages on this machine", how,
                 asked / MIB, host->hugepages_total / MIB);
        return asked < host->hugepages_total ? asked : host->hugepages_total;
    }
    /* Without -m (with or without --in-memory) the EAL takes hugepages as it needs them, up to
     * all the machine reserves; what other processes hold now is theirs until they stop. */
    snprintf(src, len, "hugepages reserved on this machine, %.0f MiB free now",
             host->hugepages_free / MIB);
    return host->hugepages_total;
}

/* Writes "file:line: " for 'line' into 'err' and returns how much it wrote. */
static int
where(const struct hnvgw_config *cfg, int line, char *err)
{
    return snprintf(err, CONFIG_ERR_MAX, "%s:%d: ", cfg->path, line);
}

int
config_budget(const struct hnvgw_config *cfg, const struct budget_host *host,
              struct config_budget *b, char *err)
{
    const unsigned max_ports = RTE_MAX_ETHPORTS < DP_MAX_PORTS ? RTE_MAX_ETHPORTS : DP_MAX_PORTS;
    struct budget_port *ports = calloc(cfg->n_ports + cfg->n_tenants + 1, sizeof *ports);
    struct dp_params params;
    struct dp_size sz;
    size_t n, n_tx = 0, exception_ports;
    char src[128];
    int ret = 0, o;

    memset(b, 0, sizeof *b);
    if (!ports) {
        snprintf(err, CONFIG_ERR_MAX, "%s: out of memory for the budget", cfg->path);
        return ENOMEM;
    }
    n = list_ports(cfg, ports);
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const struct config_tenant *t = &cfg->tenants[i];

        b->routed_tenants += t->routing != NULL;
        if (t->routing && b->routed_tenants == BUDGET_ROUTED_MAX + 1) {
            o = where(cfg, t->routing->line, err);
            snprintf(err + o, CONFIG_ERR_MAX - (size_t)o,
                     "tenant \"%s\": more than %u tenants with routing (compartments the data "
                     "plane reaches)",
                     t->name, BUDGET_ROUTED_MAX);
            ret = ENOSPC;
        }
    }
    exception_ports = (b->routed_tenants + DP_COMPARTMENT_TAGS - 1) / DP_COMPARTMENT_TAGS;
    for (size_t i = 0; i < n; i++) {
        n_tx += ports[i].tx_holding;
    }
    policy_dp_params(cfg, &params);
    dp_size_compute(&params, (unsigned)n, (unsigned)n_tx, &sz);

    b->ports.needed = n;
    b->ports.available = max_ports;
    snprintf(b->ports.detail, sizeof b->ports.detail,
             "%zu configured, %zu shared by %u routed tenants, %zu for the VPN; RTE_MAX_ETHPORTS "
             "%d",
             cfg->n_ports, exception_ports, b->routed_tenants, n - cfg->n_ports - exception_ports,
             RTE_MAX_ETHPORTS);

    b->mbufs.needed = sz.mbufs_needed;
    b->mbufs.available = sz.pool_mbufs;
    snprintf(b->mbufs.detail, sizeof b->mbufs.detail,
             "rx rings %u, tx rings %u, lcore caches %u, in flight %u; pool %s", sz.mbufs_rx,
             sz.mbufs_tx, sz.mbufs_cache, sz.mbufs_inflight,
             cfg->mbufs ? "from node.mbufs" : "automatic (node.mbufs = 0)");

    b->memory.needed = sz.mem_needed + (uint64_t)BUDGET_EAL_MARGIN_MIB * 1024 * 1024;
    b->memory.available = eal_memory(cfg, host, src, sizeof src);
    snprintf(b->memory.detail, sizeof b->memory.detail,
             "pools %.0f, tables %.0f, NAT %.0f, ESP %.0f, EAL and drivers %d MiB; %s",
             sz.mem_pools / MIB, sz.mem_tables / MIB, sz.mem_nat / MIB, sz.mem_esp / MIB,
             BUDGET_EAL_MARGIN_MIB, src);

    if (ret) {
        /* Too many routed tenants: said above. */
    } else if (n > max_ports) {
        const struct budget_port *p = &ports[max_ports];

        o = where(cfg, p->line, err);
        snprintf(err + o, CONFIG_ERR_MAX - (size_t)o,
                 "%s would be DPDK port %u, but DPDK has at most %u (RTE_MAX_ETHPORTS %d): the "
                 "config needs %zu ports (%zu configured, %zu shared by %u routed tenants, %zu "
                 "for the VPN)",
                 p->what, max_ports + 1, max_ports, RTE_MAX_ETHPORTS, n, cfg->n_ports,
                 exception_ports, b->routed_tenants, n - cfg->n_ports - exception_ports);
        ret = ENOSPC;
    } else if (sz.mbufs_needed > sz.pool_mbufs) {
        /* The first port whose rings no longer fit, or the pool's own line. */
        size_t k, tx = 0;
        struct dp_size part;
        int line = cfg->mbufs_line ? cfg->mbufs_line : cfg->node_line;
        const char *what = "node";

        for (k = 0; k < n; k++) {
            tx += ports[k].tx_holding;
            dp_size_compute(&params, (unsigned)(k + 1), (unsigned)tx, &part);
            if (part.mbufs_needed > part.pool_mbufs) {
                line = ports[k].line;
                what = ports[k].what;
                break;
            }
        }
        o = where(cfg, line, err);
        snprintf(err + o, CONFIG_ERR_MAX - (size_t)o,
                 "%s: the packet buffers run out: %u needed (%u per rx queue and %u per tx queue "
                 "of %zu ports times %u worker(s), caches and packets in flight), the pool has %u: "
                 "raise node.mbufs to at least %u",
                 what, sz.mbufs_needed, DP_RX_DESC, DP_TX_DESC, n, params.n_workers, sz.pool_mbufs,
                 sz.mbufs_needed);
        ret = ENOSPC;
    } else if (b->memory.needed > b->memory.available) {
        o = where(cfg, cfg->eal_args_line ? cfg->eal_args_line : cfg->node_line, err);
        snprintf(err + o, CONFIG_ERR_MAX - (size_t)o,
                 "node: the data plane needs about %.0f MiB of hugepage memory (%.0f for packet "
                 "pools, %.0f for tables, %.0f for NAT, %.0f for ESP, %d for the EAL and drivers), "
                 "the EAL gets %.0f MiB (%s): reserve more hugepages, or lower max_routes, "
                 "max_lookups, mbufs or max_nat_sessions",
                 b->memory.needed / MIB, sz.mem_pools / MIB, sz.mem_tables / MIB, sz.mem_nat / MIB,
                 sz.mem_esp / MIB, BUDGET_EAL_MARGIN_MIB, b->memory.available / MIB, src);
        ret = ENOSPC;
    }
    free(ports);
    return ret;
}

void
config_budget_print(const struct config_budget *b, FILE *f)
{
    fprintf(f, "budget: ports  %llu / %llu (%s)\n", (unsigned long long)b->ports.needed,
            (unsigned long long)b->ports.available, b->ports.detail);
    fprintf(f, "budget: mbufs  %llu / %llu (%s)\n", (unsigned long long)b->mbufs.needed,
            (unsigned long long)b->mbufs.available, b->mbufs.detail);
    fprintf(f, "budget: memory %.0f MiB / %.0f MiB (%s)\n", b->memory.needed / MIB,
            b->memory.available / MIB, b->memory.detail);
}
