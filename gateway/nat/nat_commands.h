/* SPDX-License-Identifier: Apache-2.0 */
/* NAT44 as the operator runs it: the control-socket commands ("show nat", "show nat pools",
 * "show nat sessions", "clear nat sessions") and the mapping-log drain, on top of the data
 * plane's NAT API, the arguments and rows of nat_cli.h and the lines of nat_log.h. All NAT
 * control sits in gateway/nat/. Control thread only. */
#ifndef HNVGW_NAT_COMMANDS_H
#define HNVGW_NAT_COMMANDS_H

#include "gateway/handlers.h"

/* Registers the NAT commands on gw->ctl. */
void nat_commands_register(struct gw_state *gw);

/* Logs every mapping-log record the workers queued since the last call (naming tenants as the
 * running config does), and how many were lost when the ring was full. */
void nat_log_drain(struct gw_state *gw);

#endif
