/* SPDX-License-Identifier: Apache-2.0 */
/* The control commands of hnvgwd (show, add, remove, reload) over the control socket. */
#ifndef HNVGW_HANDLERS_H
#define HNVGW_HANDLERS_H

#include <time.h>

#include "dataplane/dp.h"
#include "gateway/config.h"
#include "gateway/ctl.h"
#include "gateway/store.h"
#include "gateway/tenant_routing.h"
#include "vpn/vpn_service.h"

struct cluster;

/* The daemon's state as the handlers see it. */
struct gw_state {
    struct dp *dp;                 /* The data plane. */
    struct hnvgw_config *cfg;      /* The file's configuration (run-time adds are in the store);
                                    * owned. */
    const char *path;              /* Config file, for reload. */
    struct ctl_server *ctl;        /* Control socket. */
    struct rib *rib;               /* Every route, from every source; programs the FIB. */
    struct store *store;           /* Lookup records, subnets and customer routes. */
    time_t started;                /* Start time, for "show status". */
    unsigned reloads;              /* Successful reloads. */
    struct tenant_routing routing; /* Compartments, FPM and FRR of the tenants. */
    struct vpn_service vpn;        /* The IKE daemon and its SAs. */
    struct cluster *cluster;       /* The pair's election (gateway/cluster/cluster.h); NULL
                                    * until started. */
};

/* The tenants of 'cfg' as the VPN service takes them: a malloc'd array of cfg->n_tenants (free
 * it), borrowing their vpn sections from 'cfg'. NULL on allocation failure. */
struct vpn_tenant *gw_vpn_tenants(const struct hnvgw_config *cfg);

/* Registers every command on gw->ctl. */
void handlers_register(struct gw_state *gw);

/* Re-reads gw->path and applies the difference. Returns 0, or a positive errno with the reason in
 * 'err' (CONFIG_ERR_MAX bytes) and the running state untouched. */
int gw_reload(struct gw_state *gw, char *err);

#endif
