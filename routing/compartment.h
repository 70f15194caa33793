/* Tenant compartments: a named network namespace per tenant (the WS2012 R2 "routing
 * compartment"), where the tenant's FRR runs and its FPM listener waits.
 *
 * The module promises: compartment_create() leaves /run/netns/NAME as a network namespace with
 * its loopback up, the same one `ip netns` shows and `ip netns exec` enters; an existing one (from
 * a daemon that died) is adopted. compartment_destroy() removes it. Both run from the control
 * thread and fork a short-lived child for the namespace work, so the daemon's own namespace never
 * changes. */
#ifndef HNVGW_COMPARTMENT_H
#define HNVGW_COMPARTMENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

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

/* Forks a child that enters the namespace at 'netns_path' and execs 'argv' (argv[0] a full
 * path); the child gets SIGTERM when the calling process dies. Returns the child's pid, or -1
 * with errno set. */
pid_t compartment_spawn(const char *netns_path, char *const argv[]);

#endif
