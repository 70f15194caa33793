/* The control commands of hnvgwd (show, add, remove, reload) over the control socket. */
#ifndef HNVGW_HANDLERS_H
#define HNVGW_HANDLERS_H

#include <time.h>

#include "dataplane/dp.h"
#include "gateway/config.h"
#include "gateway/ctl.h"
#include "gateway/tenant_routing.h"
#include "gateway/vpn.h"

/* The daemon's state as the handlers see it. */
struct gw_state {
    struct dp *dp;                 /* The data plane. */
    struct hnvgw_config *cfg;      /* Running configuration, including run-time adds; owned. */
    const char *path;              /* Config file, for reload. */
    struct ctl_server *ctl;        /* Control socket. */
    time_t started;                /* Start time, for "show status". */
    unsigned reloads;              /* Successful reloads. */
    struct tenant_routing routing; /* Compartments, FPM and FRR of the tenants. */
    struct vpn_service vpn;        /* The IKE daemon and its SAs. */
};

/* Registers every command on gw->ctl. */
void handlers_register(struct gw_state *gw);

/* Re-reads gw->path and applies the difference. Returns 0, or a positive errno with the reason in
 * 'err' (CONFIG_ERR_MAX bytes) and the running state untouched. */
int gw_reload(struct gw_state *gw, char *err);

#endif
