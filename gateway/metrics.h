/* SPDX-License-Identifier: Apache-2.0 */
/* Prometheus metrics of hnvgwd: an HTTP listener (libmicrohttpd) that serves the daemon's counters
 * and states in the Prometheus text exposition format 0.0.4, on the address the config names
 * (node metrics_listen; off without it).
 *
 * The module promises:
 * - metrics_server_open() binds exactly the configured address and port, and from then on runs
 *   from the daemon's sd-event loop: libmicrohttpd runs without a thread of its own
 * (MHD_USE_EPOLL), its epoll descriptor is an I/O source of the loop and its next timeout a
 * one-shot timer. No thread, nothing on a tick.
 * - Only GET (and HEAD) of /metrics answers 200; any other path is 404, any other method on
 *   /metrics 405. At most METRICS_MAX_CONNECTIONS connections at once, each closed after
 *   METRICS_CONNECTION_TIMEOUT_S idle seconds.
 * - A scrape never blocks the loop. The BGP neighbor states come from each tenant's bgpd through
 *   a vtysh child per tenant (at most METRICS_BGP_PARALLEL at once), whose output is read by the
 *   loop; the scrape waits for them (its connection suspended) at most METRICS_BGP_WAIT_MS, and a
 *   state younger than METRICS_BGP_FRESH_MS is served as it is.
 * - Every family has its HELP and TYPE once, its samples together; names are hnvgw_*, label
 *   values escaped as the format says. Counters are monotonic for the life of the process (a
 *   VPN tunnel's and an FPM connection's counters restart with a new SA or connection, which
 *   Prometheus' rate() reads as a reset).
 * Control thread only. */
#ifndef HNVGW_METRICS_H
#define HNVGW_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <systemd/sd-event.h>

#include "gateway/handlers.h"

#define METRICS_CONTENT_TYPE         "text/plain; version=0.0.4; charset=utf-8"
#define METRICS_MAX_CONNECTIONS      16   /* Connections at once (scrapers are few). */
#define METRICS_CONNECTION_TIMEOUT_S 10   /* An idle connection is closed after this. */
#define METRICS_BGP_FRESH_MS         1000 /* A BGP state this young is not asked for again. */
#define METRICS_BGP_WAIT_MS          2000 /* A scrape waits this long at most for the bgpds. */
#define METRICS_BGP_PARALLEL         4    /* vtysh children at once. */
#define METRICS_BGP_OUTPUT_MAX       (4u << 20) /* Bytes of one bgpd summary read at most. */

struct metrics_server;

/* Opens the listener 'cfg' names (cfg->metrics must be set) for the daemon state 'gw', served
 * from 'event' (which, like 'gw', must outlive the server). Returns 0 and a new server in '*out',
 * or a positive errno with a message in 'err' (256 bytes). */
int metrics_server_open(const struct hnvgw_config *cfg, struct gw_state *gw, sd_event *event,
                        struct metrics_server **out, char *err);

/* The TCP port the server listens on (the configured one). */
uint16_t metrics_server_port(const struct metrics_server *srv);

/* Closes every connection and the listener, stops the vtysh children and removes the event
 * sources. Accepts NULL. */
void metrics_server_destroy(struct metrics_server *srv);

/* Writes the whole exposition of 'gw' into 'f'. 'srv' (may be NULL: no BGP families) gives the
 * BGP state it holds. Returns 0, or EIO when 'f' failed. */
int metrics_render(const struct metrics_server *srv, const struct gw_state *gw, FILE *f);

/* ---- The text format, for metrics_render() and the tests ---- */

enum metrics_type {
    METRICS_COUNTER, /* Only goes up (names end in _total). */
    METRICS_GAUGE,   /* A level. */
};

/* Writes one exposition: families, each with its samples. */
struct metrics_text {
    FILE *f;          /* Where the text goes (borrowed). */
    char family[128]; /* The family being written, "" before the first. */
};

/* Starts writing into 'f'. */
void metrics_text_init(struct metrics_text *t, FILE *f);

/* Starts family 'name' of 'type': its HELP ('help', escaped) and TYPE lines, unless it is the
 * family being written already. Characters a metric name may not hold become '_'. */
void metrics_family(struct metrics_text *t, const char *name, enum metrics_type type,
                    const char *help);

/* One sample of the current family: its labels are the NULL-terminated pairs of name and value
 * that follow 'value' (values escaped: backslash, double quote, newline). */
void metrics_sample(struct metrics_text *t, uint64_t value, ...) __attribute__((sentinel));

/* Like metrics_sample() for a value that is not a whole number (or may be negative). */
void metrics_sample_f(struct metrics_text *t, double value, ...) __attribute__((sentinel));

/* Writes the pair's families (hnvgw_cluster_*: the role, the election, the last failover, the
 * sync channel and the state on it) of 'gw' as "show cluster" gives them (metrics_cluster.c).
 * A standalone node has its role only. */
void metrics_render_cluster(struct metrics_text *t, const struct gw_state *gw);

/* ---- BGP neighbors, as read from bgpd ---- */

/* One neighbor in one address family, from "show bgp summary json". */
struct metrics_bgp_peer {
    char family[32];   /* Address family as bgpd names it, e.g. "ipv4Unicast". */
    char neighbor[64]; /* The neighbor (address or interface). */
    char state[32];    /* Its FSM state, e.g. "Established", "Active". */
    int64_t remote_as; /* Its AS number, -1 if bgpd did not say. */
    int64_t pfx_rcd;   /* Prefixes received and accepted, -1 if not said. */
    int64_t pfx_snt;   /* Prefixes sent, -1 if not said. */
    int64_t uptime_ms; /* Time in its state, -1 if not said. */
};

/* Parses the 'len' bytes of 'json' (bgpd's "show bgp summary json") into a new array '*peers'
 * of '*n' (free() it; NULL when there are none). Returns 0, EINVAL for text that is not such a
 * summary, or ENOMEM. */
int metrics_bgp_parse(const char *json, size_t len, struct metrics_bgp_peer **peers, size_t *n);

#endif
