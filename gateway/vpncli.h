/* The VPN commands of the control socket: "show vpn", "show vpn sas", "vpn initiate" and
 * "vpn terminate". Tunnel state comes from the IKE daemon's events, counters from the data
 * plane's SAs: no command waits on charon. */
#ifndef HNVGW_VPNCLI_H
#define HNVGW_VPNCLI_H

#include "gateway/handlers.h"

/* Registers the commands on gw->ctl. */
void vpncli_register(struct gw_state *gw);

#endif
