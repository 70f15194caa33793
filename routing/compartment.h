/* SPDX-License-Identifier: Apache-2.0 */
/* Tenant compartments: a named network namespace per tenant (the WS2012 R2 "routing
 * compartment"), where the tenant's FRR runs and its FPM listener waits.
 *
 * The module promises: compartment_create() leaves /run/netns/NAME as a network namespace with
 * its loopback up, the same one `ip netns` shows and `ip netns exec` enters; an existing one (from
 * a daemon that died) is adopted. compartment_destroy() removes it. Both run from the control
 * thread and fork a short-lived child for the namespace work, so the daemon's own namespace never
 * changes. compartment_watch() tells the daemon's event loop when a spawned helper exits. */
#ifndef HNVGW_COMPARTMENT_H
#define HNVGW_COMPARTMENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <systemd/sd-event.h>

#include "dataplane/addr.h"

#define COMPARTMENT_DIR      "/run/netns"
#define COMPARTMENT_PATH_MAX 128

/* Creates or adopts compartment 'name' and writes its path into 'path' (COMPARTMENT_PATH_MAX).
 * Returns 0 or a positive errno with a message in 'err' (256 bytes). */
int compartment_create(const char *name, char *path, char *err);

/* Removes compartment 'name' (processes still inside keep it alive until they exit). Returns 0
 * or a positive errno. */
int compartment_destroy(const char *name);

/* Moves interface 'ifname' of the daemon's namespace into the compartment at 'netns_path' and
 * sets it up there: MAC 'mac', the IPv4 addresses 'addrs' (the first primary, the others as
 * aliases), up, and a default route through it (every destination is the data plane's). Returns
 * 0 or a positive errno with a message in 'err' (256 bytes). */
int compartment_adopt_link(const char *netns_path, const char *ifname, const uint8_t mac[6],
                           const struct hnvgw_prefix *addrs, size_t n_addrs, char *err);

/* The hub of a shared exception port: makes bridge 'bridge' in the daemon's namespace
 * (replacing one an earlier daemon left) with interface 'port' (the port's TAP, given MAC
 * 'port_mac', which must not be the data plane's) on it, both up, without IPv6. Returns 0 or a
 * positive errno with a message in 'err' (256 bytes). */
int compartment_hub_create(const char *bridge, const char *port, const uint8_t port_mac[6],
                           char *err);

/* Deletes bridge 'bridge' (one that is not there is no error). Returns 0 or a positive errno. */
int compartment_hub_destroy(const char *bridge);

/* Connects the compartment at 'netns_path' to hub 'bridge' through a veth pair: 'hub_ifname' on
 * the bridge, isolated from the other compartments' ports and locked to 'mac' (it takes frames
 * from that MAC only and is sent only frames for it), and 'ifname' with 'mac' in the compartment,
 * set up as compartment_adopt_link() does. A pair an earlier daemon left under 'hub_ifname' is
 * replaced. Returns 0 or a positive errno with a message in 'err' (256 bytes). */
int compartment_add_veth(const char *netns_path, const char *bridge, const char *hub_ifname,
                         const char *ifname, const uint8_t mac[6], const struct hnvgw_prefix *addrs,
                         size_t n_addrs, char *err);

/* compartment_add_veth(), with 'ifname' in VRF 'vrf' of the compartment (a VRF device made there
 * with kernel table 'table', replacing one of that name) before it gets its addresses, and its
 * default route in that table. 'vrf' NULL: compartment_add_veth(). */
int compartment_add_veth_vrf(const char *netns_path, const char *bridge, const char *hub_ifname,
                             const char *ifname, const uint8_t mac[6],
                             const struct hnvgw_prefix *addrs, size_t n_addrs, const char *vrf,
                             uint32_t table, char *err);

/* Whether this kernel makes VRF devices: makes one in a namespace of a forked child's own, which
 * goes with it. Returns 0, or a positive errno with a message in 'err' (256 bytes). */
int compartment_vrf_probe(char *err);

/* Makes a socket of 'type' (SOCK_DGRAM, ...; close-on-exec and non-blocking) in the namespace at
 * 'netns_path', bound to 'addr' there: a forked child enters the namespace, makes and binds it
 * and hands it back over a socketpair, so the daemon's own namespace never changes. The socket
 * keeps talking in that namespace. Returns 0 and the socket in '*fd' (owned by the caller), or a
 * positive errno with a message in 'err' (256 bytes). */
int compartment_socket(const char *netns_path, int type, const struct sockaddr *addr,
                       socklen_t addrlen, int *fd, char *err);

/* Records the CPUs the calling thread may run on as those of the helpers compartment_spawn()
 * starts. Call it before DPDK pins the thread to its main lcore's CPU: a helper would otherwise
 * inherit that pinning, and every tenant's FRR would share that one CPU with the control thread.
 * Without the call (or if it fails), helpers inherit the affinity of the thread that spawns them.
 */
void compartment_save_cpus(void);

/* Forks a child that enters the namespace at 'netns_path' and execs 'argv' (argv[0] a full
 * path); the child gets SIGTERM when the calling process dies (unless it changes its user or
 * group, as FRR's daemons do), starts with no signal blocked (the daemon blocks the ones its
 * event loop reads), runs on the CPUs compartment_save_cpus() recorded, and inherits no file
 * descriptor but 0, 1 and 2. Returns the child's pid, or -1 with errno set. */
pid_t compartment_spawn(const char *netns_path, char *const argv[]);

/* Called once a watched child has exited and been reaped, with its wait status. */
typedef void compartment_exit_fn(pid_t pid, int status, void *aux);

/* A watch on one child process: its pidfd as an I/O source of an sd-event loop. The caller owns
 * the storage, which must stay put while watching. */
struct compartment_watch {
    pid_t pid;               /* The child watched. */
    sd_event_source *src;    /* I/O source of its pidfd (owned, owns the fd); NULL: no watch. */
    compartment_exit_fn *fn; /* Called when it exited. */
    void *aux;               /* For 'fn'. */
};

/* Watches child 'pid' from 'event': when it exits, reaps it, ends the watch, then calls 'fn'
 * (which may start a new watch on 'w'). No SIGCHLD is involved: pidfd_open(2). Returns 0 or a
 * positive errno (nothing watched). */
int compartment_watch(struct compartment_watch *w, sd_event *event, pid_t pid,
                      compartment_exit_fn *fn, void *aux);

/* Ends the watch (the child is neither signalled nor reaped). Accepts a zeroed or ended watch. */
void compartment_unwatch(struct compartment_watch *w);

#endif
