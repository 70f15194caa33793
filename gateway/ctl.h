/* SPDX-License-Identifier: Apache-2.0 */
/* The control socket: a unix stream socket (mode 0600) on which hnvgwctl and scripts send commands.
 *
 * Wire protocol, one request per connection or several in a row:
 *   request:  one JSON object on one line: {"cmd": "show ports", "args": {"vsid": "5001", ...}}\n
 *   reply:    one JSON object on one line: {"ok": true, "result": <any>}\n
 *             or {"ok": false, "error": "what went wrong"}\n
 * "cmd" is the command's words joined by single spaces; "args" holds string values only.
 *
 * The server runs on the control thread's event loop (sd-event) and never blocks on a slow client:
 * each connection gets a bounded read buffer and is closed on malformed input with an error
 * reply. */
#ifndef HNVGW_CTL_H
#define HNVGW_CTL_H

#include <jansson.h>
#include <systemd/sd-event.h>

struct ctl_server;

/* A command handler. 'args' is the request's "args" object (never NULL, may be empty) and is
 * borrowed. On success the handler returns 0 and stores a new reference in '*result' (any JSON
 * value; NULL means json null). On failure it returns a positive errno and writes a one-line
 * message into 'err' (of CTL_ERR_MAX bytes). */
#define CTL_ERR_MAX 512
typedef int ctl_handler_fn(json_t *args, json_t **result, char *err, void *aux);

/* Opens the listening socket at 'path' (removing a stale socket file first, creating the parent
 * directory if needed) with mode 0600, served from 'event': the listener and every connection are
 * I/O sources of it, with a timer per connection (the server keeps a reference to 'event' until
 * destroyed). Returns 0 and a new server in '*out', or a positive errno. */
int ctl_server_open(const char *path, sd_event *event, struct ctl_server **out);

/* Registers 'fn' for command 'cmd' (e.g. "show ports"). 'help' is one line shown by "help".
 * 'cmd' and 'help' must outlive the server. Registering the same command twice replaces it. */
void ctl_server_register(struct ctl_server *srv, const char *cmd, const char *help,
                         ctl_handler_fn *fn, void *aux);

/* Closes every connection and the listener, removes their event sources and the socket file.
 * Accepts NULL. */
void ctl_server_destroy(struct ctl_server *srv);

/* Client side, used by hnvgwctl and tests: sends one request and waits for its reply. On success
 * returns 0 and a new reference to the whole reply object in '*reply'. Returns a positive errno
 * when the socket cannot be reached or the reply is not JSON. */
int ctl_client_call(const char *path, const char *cmd, json_t *args, json_t **reply);

#endif
