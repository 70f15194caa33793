/* SPDX-License-Identifier: Apache-2.0 */
/* The start-up budget of a loaded config: the DPDK ports, packet buffers and hugepage memory the
 * daemon will ask for, against what DPDK and the machine give.
 *
 * The module promises: config_budget() works everything out without the EAL, from the data
 * plane's own sizing rules (dp_size_compute(), the same ones dp_create() follows), so that
 * `hnvgwd --check-config` and the daemon's start refuse a config that cannot start with the same
 * "file:line: what" message, naming the line of the thing that tips it over, before DPDK fails
 * somewhere deep inside. */
#ifndef HNVGW_CONFIG_BUDGET_H
#define HNVGW_CONFIG_BUDGET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dataplane/dp.h"

#include "gateway/config.h"

/* Memory the EAL and the drivers take beside the data plane's own tables and pools (memzones of
 * the ports, their queues, the EAL's own structures): measured, see README ("How many tenants
 * fit"). */
#define BUDGET_EAL_MARGIN_MIB 128

/* Tenants with routing one node carries: the data plane's compartments but the IKE daemon's. */
#define BUDGET_ROUTED_MAX (DP_COMPARTMENTS_MAX - 1)

/* The EAL's default memory with --no-huge and no -m (MEMSIZE_IF_NO_HUGE_PAGE). */
#define BUDGET_NO_HUGE_DEFAULT_MIB 64

/* The machine's hugepages, all page sizes together. */
struct budget_host {
    uint64_t hugepages_total; /* Bytes reserved (nr_hugepages times the page size). */
    uint64_t hugepages_free;  /* Bytes not in use by any process now. */
};

/* One resource: what the config needs and what it gets. */
struct budget_line {
    uint64_t needed;    /* Ports, mbufs or bytes. */
    uint64_t available; /* Ditto. */
    char detail[192];   /* How 'needed' adds up, and where 'available' comes from. */
};

/* The whole budget. */
struct config_budget {
    struct budget_line ports;  /* DPDK ethdev ports vs min(RTE_MAX_ETHPORTS, DP_MAX_PORTS). */
    struct budget_line mbufs;  /* Packet buffers vs the pool dp_create() makes. */
    struct budget_line memory; /* Hugepage memory (bytes) vs what the EAL will get. */
    unsigned routed_tenants;   /* Tenants with a routing section (a compartment each). */
};

/* Reads the machine's hugepages from 'sysfs_dir' (normally "/sys/kernel/mm/hugepages", one
 * "hugepages-<size>kB" directory per page size). Returns 0, or an errno when the directory cannot
 * be read (then '*host' is zeroed). */
int budget_host_read(const char *sysfs_dir, struct budget_host *host);

/* Works out the budget of 'cfg' on a machine with 'host' into '*b'. Returns 0 when everything
 * fits; otherwise ENOSPC, with "file:line: what does not fit, and what to do" in 'err'
 * (CONFIG_ERR_MAX bytes) for the first resource that does not (ports, then mbufs, then memory).
 * '*b' is filled either way. */
int config_budget(const struct hnvgw_config *cfg, const struct budget_host *host,
                  struct config_budget *b, char *err);

/* Prints '*b' to 'f', one line per resource: "budget: ports 24 / 32 (...)". */
void config_budget_print(const struct config_budget *b, FILE *f);

#endif
