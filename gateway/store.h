/* SPDX-License-Identifier: Apache-2.0 */
/* The policy store: every lookup record, virtual subnet and customer route the node runs, whatever
 * fed it (the config file, the CLI, later a controller or CA learning), kept indexed and applied
 * to the data plane change by change.
 *
 * The module promises:
 * - A change costs time in proportion to what it touches, never to the size of the tables:
 *   lookup records sit in an rte_hash by (VSID, CA); routes go to the RIB (routing/rib.h); a
 *   VSID's broadcast replication list is kept by reference counts per provider address.
 * - store_lookup_set() on an existing (VSID, CA) is a move: one data-plane update, never a
 *   remove and then an add, so no packet meets a missing record.
 * - Each record knows its origin. store_apply_config() makes the file the truth for what the
 *   file and the CLI own: it installs the difference and removes what the file no longer has,
 *   but keeps what an owning source (controller, learning) put there.
 * - store_apply_config() and every batch between store_begin() and store_commit() or
 *   store_rollback() are all or nothing: a failure puts back every record, subnet and route.
 * Control thread only. */
#ifndef HNVGW_STORE_H
#define HNVGW_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dataplane/dp.h"
#include "gateway/config.h"
#include "routing/rib.h"

/* Who put a record there. */
enum store_origin {
    STORE_ORIGIN_FILE,       /* The config file (and its bulk files). */
    STORE_ORIGIN_PORT,       /* A local VM port's own binding (from the file's port section). */
    STORE_ORIGIN_CLI,        /* hnvgwctl: kept until the next reload, which trusts the file. */
    STORE_ORIGIN_CONTROLLER, /* A policy controller: owns its records across reloads. */
    STORE_ORIGIN_LEARNING,   /* CA learning: owns its records across reloads. */
};

struct store;

/* Creates an empty store that programs 'dp' and feeds 'rib' (both borrowed). NULL on failure. */
struct store *store_create(struct dp *dp, struct rib *rib, uint32_t max_lookups);

/* Frees it (the data plane keeps its tables). Accepts NULL. */
void store_destroy(struct store *st);

/* Makes 'cfg' (borrowed: it must stay until the next call or store_destroy()) the node's policy:
 * its subnets, lookup records, VM ports and every route it implies, replacing what the previous
 * file and the CLI had put there. All or nothing: returns 0, or a positive errno with a message
 * in 'err' (DP_ERR_MAX bytes) and everything as it was. The very first call keeps no undo
 * record (there is nothing to go back to): after its failure, destroy the store. */
int store_apply_config(struct store *st, const struct hnvgw_config *cfg, char *err);

/* Adds a lookup record, or moves an existing one to a new PA/MAC (one update). The record is
 * checked as the config file's are. Returns 0, or EINVAL/ENOSPC with a message in 'err'. */
int store_lookup_set(struct store *st, const struct config_lookup *rec, enum store_origin origin,
                     char *err);

/* Removes the record of (vsid, ca). Returns 0 or ENOENT. */
int store_lookup_del(struct store *st, uint32_t vsid, uint32_t ca);

/* Copies the record of (vsid, ca) into '*out' with its origin; false when there is none. */
bool store_lookup_get(const struct store *st, uint32_t vsid, uint32_t ca, struct config_lookup *out,
                      enum store_origin *origin);

/* Adds a customer route (checked as the file's are). Returns 0, EEXIST, EINVAL or ENOSPC with a
 * message in 'err'. */
int store_route_add(struct store *st, const struct config_route *rt, char *err);

/* Removes the customer routes of (tenant, prefix/plen), only those via 'next_hop' when it is
 * not NULL. Returns how many. */
size_t store_route_del(struct store *st, uint32_t tenant, const struct hnvgw_prefix *prefix,
                       const struct hnvgw_ip *next_hop);

/* A batch of changes, all or nothing (not nested; store_apply_config() makes its own). */
void store_begin(struct store *st);
void store_commit(struct store *st);
void store_rollback(struct store *st);

/* Lookup records held. */
uint32_t store_lookup_count(const struct store *st);

/* The RIB id of a customer route: its next hop, so that a tenant may route one prefix through
 * several next hops. */
uint32_t store_route_id(const struct config_route *rt);

const char *store_origin_name(enum store_origin origin);

#endif
