/* SPDX-License-Identifier: Apache-2.0 */
/* The IKE side of a pair: strongSwan's own `ha` plugin in the IKE daemon of each node syncs the
 * IKE_SAs and CHILD_SAs (keys, SPIs, message IDs), and hnvgwd carries its messages on the pair's
 * encrypted sync channel instead of a clear UDP path of their own.
 *
 * The module promises:
 * - ike_ha_write_conf() writes the plugin's section of strongswan.conf: the plugin talks UDP
 *   from IKE_HA_DAEMON_ADDR to IKE_HA_RELAY_ADDR (port IKE_HA_PORT) on the IKE compartment's
 *   loopback; no heartbeat of its own (the pair's election decides who is active); one segment;
 *   a resync asked of the peer when the daemon starts; and its control FIFO.
 * - ike_ha_create() binds the relay socket inside the compartment. Each datagram the daemon sends
 *   there goes to the forward callback (ike_ha_set_forward()); ike_ha_deliver() hands the peer's
 *   to the daemon. Datagrams from anywhere else are counted and dropped.
 * - ike_ha_set_active() makes the daemon own the SAs (its passive IKE_SAs become established, it
 *   answers, rekeys and runs DPD) or hand them over, through the plugin's FIFO;
 *   ike_ha_resync() makes it push its whole state to the peer again. A command that cannot be
 *   written yet (the daemon is starting, or between two reads of its FIFO) is kept and tried
 *   again from a timer while the daemon is up; for the role, the latest wins, and it is written
 *   again each time the daemon (re)starts.
 * - Everything runs from the daemon's sd-event loop and never blocks it. Control thread only. */
#ifndef HNVGW_VPN_IKE_HA_H
#define HNVGW_VPN_IKE_HA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <systemd/sd-event.h>

#define IKE_HA_DAEMON_ADDR "127.0.0.1" /* The plugin's end, on the compartment's loopback. */
#define IKE_HA_RELAY_ADDR  "127.0.0.2" /* hnvgwd's end. */
#define IKE_HA_PORT        4510        /* The plugin's fixed port. */
/* The plugin's control FIFO: IPSEC_PIDDIR of Debian's strongSwan build, fixed at compile time. */
#define IKE_HA_FIFO     "/var/run/charon.ha"
#define IKE_HA_MSG_MAX  2048 /* Largest plugin message relayed. */
#define IKE_HA_RETRY_MS 20   /* Wait before writing a command again. */

/* Counters: X(name, help). */
#define IKE_HA_COUNTER_LIST(X)                                                                     \
    X(from_daemon, "plugin messages from the local IKE daemon")                                    \
    X(to_peer_refused, "of those, refused by the sync channel (no peer, queue full, too big)")     \
    X(from_peer, "plugin messages of the peer's IKE daemon")                                       \
    X(to_daemon_errors, "messages the local IKE daemon's socket refused")                          \
    X(wrong_source, "datagrams on the relay socket not from the local IKE daemon")                 \
    X(too_big, "messages over IKE_HA_MSG_MAX, dropped")                                            \
    X(commands, "commands written to the plugin's FIFO")                                           \
    X(command_retries, "writes of a command tried again (the daemon was not reading yet)")

#define IKE_HA_ENUM_(name, help) IKE_HA_##name,
enum ike_ha_counter { IKE_HA_COUNTER_LIST(IKE_HA_ENUM_) IKE_HA_N_COUNTERS };
#undef IKE_HA_ENUM_

struct ike_ha;

/* Where the local daemon's messages go: 'len' bytes at 'msg' (valid during the call). Returns 0
 * or a positive errno when they could not be sent (counted as to_peer_refused). */
typedef int ike_ha_forward_fn(void *aux, const void *msg, size_t len);

/* The daemon (re)started with its tunnels loaded: it can take the peer's SAs now. */
typedef void ike_ha_ready_fn(void *aux);

/* Writes the plugin's strongswan.conf section (inside "charon { plugins { ... } }") to 'f'. */
void ike_ha_write_conf(FILE *f);

/* Binds the relay socket in the compartment at 'netns_path' and serves it from 'event' (which must
 * outlive it). Returns 0 and '*out', or a positive errno with a message in 'err' (256 bytes). */
int ike_ha_create(const char *netns_path, sd_event *event, struct ike_ha **out, char *err);

/* Removes the sources and closes the socket. Accepts NULL. */
void ike_ha_destroy(struct ike_ha *h);

/* Sets (or with NULLs clears) where the local daemon's messages go, and who hears that a daemon
 * is ready (ike_ha_daemon_up()). */
void ike_ha_set_peer(struct ike_ha *h, ike_ha_forward_fn *forward, ike_ha_ready_fn *ready,
                     void *aux);

/* Hands a message of the peer's daemon ('len' bytes) to the local one. Returns 0 or a positive
 * errno (EMSGSIZE, or the socket's). */
int ike_ha_deliver(struct ike_ha *h, const void *msg, size_t len);

/* The node becomes active (the daemon takes the SAs) or passive (it hands them over). */
void ike_ha_set_active(struct ike_ha *h, bool active);

/* Makes the local daemon push every SA it has to the peer again (a joining peer wants them). */
void ike_ha_resync(struct ike_ha *h);

/* The daemon (re)started, reads its FIFO and has its tunnels loaded (true), or it is gone
 * (false): the role is written again on start, and the ready hook is told; nothing is retried
 * while it is gone. */
void ike_ha_daemon_up(struct ike_ha *h, bool up);

/* Counter 'c'. */
uint64_t ike_ha_counter(const struct ike_ha *h, enum ike_ha_counter c);

/* Calls 'fn' with each counter's name and value (for JSON and metrics). */
void ike_ha_counters(const struct ike_ha *h, void (*fn)(void *aux, const char *name, uint64_t v),
                     void *aux);

/* Tests only: write commands to the FIFO at 'path' instead of IKE_HA_FIFO. */
void ike_ha_test_set_fifo(const char *path);

#endif
