/* SPDX-License-Identifier: Apache-2.0 */
/* The VPN commands of the control socket: "show vpn", "show vpn sas", "vpn initiate" and
 * "vpn terminate". Tunnel state comes from the IKE daemon's events, counters from the data
 * plane's SAs: no command waits on charon.
 *
 * The module promises handlers in the control socket's shape (JSON arguments in, a JSON result
 * or an error message out) that know only the VPN service they are given as 'aux': the daemon
 * registers them on its control socket, and nothing here knows that socket. */
#ifndef HNVGW_VPN_CLI_H
#define HNVGW_VPN_CLI_H

#include <stddef.h>

#include <jansson.h>

#include "vpn/vpn_service.h"

#define VPN_CLI_ERR_MAX 512 /* Size of the 'err' buffer a handler writes (the socket's own). */

/* A command's handler: 'args' are the command's key=value arguments; on success it returns 0
 * and a new reference in '*result'; on failure a positive errno with a message in 'err'. 'aux'
 * is the struct vpn_service. */
typedef int vpn_cli_fn(json_t *args, json_t **result, char *err, void *aux);

/* One command. */
struct vpn_cli_command {
    const char *name; /* What the operator types, e.g. "show vpn". */
    const char *help; /* One line of help with its arguments. */
    vpn_cli_fn *fn;   /* Its handler. */
};

extern const struct vpn_cli_command vpn_cli_commands[]; /* Every VPN command. */
extern const size_t vpn_cli_n_commands;                 /* Entries in vpn_cli_commands. */

#endif
