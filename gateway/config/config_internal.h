/* SPDX-License-Identifier: Apache-2.0 */
/* The configuration loader's insides, shared by the files of gateway/config/ and by nothing else.
 * See gateway/config.h for the contract and conf/README.md for the reference.
 *
 * config_load() works in three steps:
 * 1. The file is read into memory and its comments are blanked out, newlines kept. libconfuse 3.3
 *    counts two or three lines for every comment line, which would put every later message on the
 *    wrong line.
 * 2. libconfuse parses the text. Callbacks record the line of every key (and of every element of
 *    a list) and the line where each section opens: libconfuse itself only keeps, for a section,
 *    the line where it ended. Its own messages (syntax errors, unknown keys) are rewritten into
 *    the "file:line: field: problem" form.
 * 3. The tree is converted section by section, each value checked as it is converted. Rules that
 *    span entries (duplicates, overlaps) run once the entries exist, sorting where tables can be
 *    large: the bulk files may hold millions of lookup records and customer routes.
 *
 * One file per section, each owning its libconfuse schema (the cfg_opt_t arrays), its loader and
 * its rules, and freeing what it allocated:
 *   node.c     node { }                            config.c  the root schema, load, destroy,
 *   cluster.c  node { cluster { } }
 *   port.c     port "NAME" { }                               finds, reading the file
 *   tenant.c   tenant { subnet, external_route }   loader.c  key lines, messages, libconfuse
 *   nat.c      tenant { nat { static_mapping } }             callbacks
 *   routing.c  tenant { routing { neighbor } }     value.c   value parsers and key readers
 *   vpn.c      tenant { vpn { tunnel } }
 *   bulk.c     lookup_record, customer_route and their bulk files; the run-time checks
 * Adding a key to a section touches that section's schema and loader only.
 *
 * Not thread-safe: libconfuse's scanner is global, and so is the loader its callbacks report to. */
#ifndef HNVGW_CONFIG_INTERNAL_H
#define HNVGW_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <confuse.h>

#include "gateway/config.h"

#define CONFIG_TENANT_ID_MAX 65535 /* Routing domain ids 1..65535 (DP_MAX_TENANTS - 1). */
#define CONFIG_SECTION_DEPTH 4     /* Deepest nesting: root > tenant > nat > static_mapping. */

/* Every section carries this hidden key. Its default value is parsed when libconfuse creates the
 * section, at its opening brace, which is how the opening line is learned
 * (config_section_opened()). */
#define CONFIG_LINE_KEY   "__line__"
#define CONFIG_LINE_MAGIC "__hnvgw_section_line__"

/* The first option of every section's schema. */
#define CONFIG_LINE_OPT                                                                            \
    CFG_PTR_CB(CONFIG_LINE_KEY, CONFIG_LINE_MAGIC, CFGF_NONE, config_section_opened, NULL)

/* ---- Schemas, one per section file ----
 *
 * Lists have no libconfuse defaults on purpose: a default list is parsed by libconfuse's scanner
 * in the middle of the file, which would run the line-recording callbacks with the file's line
 * numbers. eal_args gets its default in config_load_node() instead. */
extern cfg_opt_t config_node_opts[];    /* node.c */
extern cfg_opt_t config_cluster_opts[]; /* cluster.c, inside node */
extern cfg_opt_t config_port_opts[];    /* port.c */
extern cfg_opt_t config_tenant_opts[];  /* tenant.c */
extern cfg_opt_t config_nat_opts[];     /* nat.c, inside tenant */
extern cfg_opt_t config_routing_opts[]; /* routing.c, inside tenant */
extern cfg_opt_t config_vpn_opts[];     /* vpn.c, inside tenant */
extern cfg_opt_t config_lookup_opts[];  /* bulk.c */
extern cfg_opt_t config_route_opts[];   /* bulk.c */

/* ---- The loader: state of one config_load() ---- */

/* Where one value was read: a key of a section (or one element of a list key). */
struct key_line {
    uintptr_t opt; /* The section's cfg_opt_t of the key (unique per section and key). */
    unsigned idx;  /* Element of a list; 0 for a scalar. */
    int line;      /* Line of the value. */
    cfg_t *sec;    /* The section, for messages. */
    cfg_t *parent; /* Its enclosing section, or NULL at top level. */
    cfg_t *grand;  /* The section enclosing 'parent', or NULL. */
};

/* One virtual subnet in the VSID index. */
struct vsid_ref {
    uint32_t vsid;   /* Key. */
    uint32_t tenant; /* Index into cfg->tenants. */
    uint32_t subnet; /* Index into that tenant's subnets. */
};

struct loader {
    const char *path;                   /* The configuration file. */
    char *err;                          /* Caller's buffer, CONFIG_ERR_MAX bytes. */
    bool failed;                        /* A message is in 'err'; later ones are dropped. */
    bool oom;                           /* A parse callback ran out of memory. */
    cfg_t *open[CONFIG_SECTION_DEPTH];  /* Sections being parsed, outermost first. */
    int depth;                          /* Number of open sections (may exceed the array). */
    struct key_line *keys;              /* Owned: lines of every key read, sorted after parsing. */
    size_t n_keys, cap_keys;            /* Entries used and allocated. */
    cfg_t *root;                        /* The parsed tree. */
    struct hnvgw_config *cfg;           /* The config being built. */
    struct vsid_ref *vsids;             /* Owned: every subnet, sorted by VSID. */
    size_t n_vsids;                     /* Entries in 'vsids'. */
    const struct config_tenant **names; /* Owned: every tenant, sorted by name. */
    size_t n_names;                     /* Entries in 'names'. */
    const struct config_tenant *by_id[CONFIG_TENANT_ID_MAX + 1]; /* Tenant of each domain id. */
    size_t cap_lookups, cap_routes;     /* Allocated entries of cfg->lookups and cfg->routes. */
    const struct config_port *provider; /* The provider port, if any. */
    const struct config_port *external; /* The external port, if any. */
};

/* Where an entry being checked came from, and where its messages go. */
struct where {
    char *err;               /* Message buffer, CONFIG_ERR_MAX bytes. */
    const struct loader *ld; /* For per-key lines; NULL when 'sec' is NULL. */
    const char *file;        /* File, or NULL at run time: messages are then "field: problem". */
    cfg_t *sec;              /* Section holding the entry's keys, or NULL to use 'line'. */
    int line;                /* Line of the entry. */
    char ctx[144];           /* What the entry is, e.g. tenant "a" subnet "b"; may be empty. */
};

/* What the per-entry checks look things up in. */
struct checker {
    const struct hnvgw_config *cfg; /* The (possibly partly built) config. */
    const struct vsid_ref *vsids;   /* Sorted VSID index, or NULL to search linearly. */
    size_t n_vsids;                 /* Entries in 'vsids'. */
};

/* ---- loader.c: key lines, messages and libconfuse's callbacks ---- */

/* Parse callback of the hidden CONFIG_LINE_KEY (see CONFIG_LINE_OPT). */
int config_section_opened(cfg_t *sec, cfg_opt_t *opt, const char *value, void *result);

/* Parses 'text' into ld->root, recording key lines and rewriting libconfuse's messages, then
 * sorts the key lines. Returns 0, or EINVAL/ENOMEM with the message in ld->err ('w' is the
 * whole file, for messages without a better place). */
int config_parse(struct loader *ld, char *text, struct where *w);

/* Refuses a scalar key given twice in one section (libconfuse would keep the last silently). */
int config_check_repeated_keys(struct loader *ld);

/* Returns the option 'name' of section 'sec', or NULL. Unlike cfg_getopt(), never reports. */
cfg_opt_t *config_find_opt(cfg_t *sec, const char *name);

/* Returns the line where section 'sec' opened (its title line). */
int config_section_line(cfg_t *sec);

/* Returns the line of element 'idx' of key 'name' in 'sec', or 0 if it was not in the file. */
int config_key_line(const struct loader *ld, cfg_t *sec, const char *name, unsigned idx);

/* Records the message for 'field' (element 'idx' of a list; NULL for the entry as a whole) of
 * the entry at 'w', "file:line: context field: problem", and returns 'ret' (an errno). */
int config_report(const struct where *w, int ret, const char *field, unsigned idx, const char *fmt,
                  ...) __attribute__((format(printf, 5, 6)));

/* Points 'w' at section 'sec' of the file being loaded; the context is printf-formatted. */
void config_where_sec(struct where *w, const struct loader *ld, cfg_t *sec, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Points 'w' at line 'line' of 'file' (a bulk file, or the whole config when 'line' is 0). */
void config_where_line(struct where *w, const struct loader *ld, const char *file, int line,
                       const char *ctx);

/* Points 'w' at a run-time check: messages are just "field: problem". */
void config_where_runtime(struct where *w, char *err);

/* ---- value.c: values, shared by sections, bulk files and run-time checks ---- */

/* True when 'ip' is the network or broadcast address of 'p' (only for /30 and shorter). */
bool config_is_net_or_bcast(const struct hnvgw_prefix *p, const struct hnvgw_ip *ip);

/* True when 'ip' is an IPv4 unicast address: not 0/8, loopback, multicast or reserved. */
bool config_is_unicast4(const struct hnvgw_ip *ip);

/* Checks that 'ip' is set and IPv4. */
int config_need_ip4(const struct where *w, const char *field, unsigned idx,
                    const struct hnvgw_ip *ip);

/* Parses 's' as an IPv4 address into '*ip'. */
int config_parse_ip4(const struct where *w, const char *field, unsigned idx, const char *s,
                     struct hnvgw_ip *ip);

/* Parses 's' as an IPv4 prefix into '*p' (padding zeroed, so configs compare as bytes). With
 * 'canonical', host bits must be zero. */
int config_parse_prefix4(const struct where *w, const char *field, unsigned idx, const char *s,
                         bool canonical, struct hnvgw_prefix *p);

/* Checks that 'm' is a unicast MAC address. */
int config_check_mac(const struct where *w, const char *field, unsigned idx,
                     const struct hnvgw_mac *m);

/* Parses 's' as a unicast MAC address into '*m'. */
int config_parse_mac(const struct where *w, const char *field, unsigned idx, const char *s,
                     struct hnvgw_mac *m);

/* Looks 's', element 'idx' of 'field', up (case-insensitively) in 'names' of 'n' entries;
 * stores the index in '*out'. */
int config_parse_enum(const struct where *w, const char *field, unsigned idx, const char *s,
                      const char *const *names, size_t n, unsigned *out);

/* True for a valid port, tenant or subnet name: 1..31 of letters, digits and "-_.:". */
bool config_name_ok(const char *s);

/* Checks the title of section 'sec' as a name. */
int config_check_name(const struct where *w, cfg_t *sec);

/* Section key readers. Each reports against 'w' (whose 'sec' is the section). */

/* Stores string key 'key' in '*out', NULL when absent; absent and 'required' is an error. */
int config_get_str(const struct where *w, const char *key, bool required, const char **out);

/* Stores integer key 'key', which must be present and within lo..hi, in '*out'. */
int config_get_int(const struct where *w, const char *key, long lo, long hi, long *out);

/* Like config_get_int() for a uint32_t key. */
int config_get_u32(const struct where *w, const char *key, long lo, long hi, uint32_t *out);

/* Refuses key 'key' when present: it does not apply to this kind of entry. */
int config_forbid(const struct where *w, const char *key, const char *why);

/* True when list key 'key' of 'sec' is written in the file, even as an empty list. */
bool config_list_given(cfg_t *sec, const char *key);

/* Reads list key 'key' of 'w->sec', 1..'max' canonical IPv4 prefixes each listed once, into a new
 * array '*out' of '*n' (both zeroed first; the caller owns the array even on error). */
int config_get_prefix_list(const struct where *w, const char *key, size_t max,
                           struct hnvgw_prefix **out, size_t *n);

/* ---- node.c ---- */

/* The node section. Provider addresses are checked against the provider port later. */
int config_load_node(struct loader *ld);

/* Provider addresses against the provider port. Needs the ports. */
int config_check_pas(struct loader *ld);

/* ---- cluster.c ---- */

/* The node's cluster section, if any, into cfg->cluster (zeroed without one). Needs the ports and
 * the provider addresses. */
int config_load_cluster(struct loader *ld);

/* ---- port.c ---- */

/* Every port. Needs the node (roles) and the VSID index. */
int config_load_ports(struct loader *ld);

/* Frees what port 'p' owns (not 'p'). */
void config_port_clear(struct config_port *p);

/* ---- tenant.c: tenants, subnets, forward prefixes, external routes ---- */

/* Every tenant with its subnets and forward prefixes (external routes come after the ports). */
int config_load_tenants(struct loader *ld);

/* Builds the VSID index and refuses a VSID used by two subnets (of any tenants). */
int config_index_vsids(struct loader *ld);

/* Indexes tenants by name, for customer routes. */
int config_index_tenants(struct loader *ld);

/* Refuses forward prefixes of two tenants that overlap. */
int config_check_forward_overlaps(struct loader *ld);

/* External routes of every tenant, and its forward prefixes against the external port. Needs the
 * ports. */
int config_load_ext_routes(struct loader *ld);

/* Finds the single 'name' section of tenant 'i' (nat, routing, vpn): '*sec' is NULL when there
 * is none, else 'w' is set to it. A second one is an error. */
int config_tenant_section(struct loader *ld, size_t i, const char *name, cfg_t **sec,
                          struct where *w);

/* Returns the tenant named 'name', or NULL. Needs config_index_tenants(). */
const struct config_tenant *config_tenant_by_name(const struct loader *ld, const char *name);

/* Checks 'vsid' is in range and carried by a subnet; stores it in '*t' and '*sn'. */
int config_check_vsid(const struct checker *ck, const struct where *w, uint32_t vsid,
                      const struct config_tenant **t, const struct config_subnet **sn);

/* Checks that 'ca' can be a VM's address in subnet 'sn'. */
int config_check_ca(const struct where *w, const char *field, const struct config_subnet *sn,
                    const struct hnvgw_ip *ca);

/* Frees what tenant 't' owns, its nat, routing and vpn included (not 't'). */
void config_tenant_clear(struct config_tenant *t);

/* ---- nat.c ---- */

/* The nat section of every tenant that has one, checked on its own. Needs the ports and the
 * node. */
int config_load_nats(struct loader *ld);

/* Rules between the NAT sections of different tenants. */
int config_check_nat_shared(struct loader *ld);

/* True when 'ip' is one of the public addresses of 'nat'. */
bool config_nat_has_public(const struct config_nat *nat, const struct hnvgw_ip *ip);

/* Frees 'nat' and what it owns. Accepts NULL. */
void config_nat_free(struct config_nat *nat);

/* ---- routing.c ---- */

/* The "routing" sections: a tenant's FRR instance. */
int config_load_routings(struct loader *ld);

/* Frees 'r' and what it owns. Accepts NULL. */
void config_routing_free(struct config_routing *r);

/* ---- vpn.c ---- */

/* The "vpn" sections: a tenant's tunnel address and its tunnels. Needs the ports, the node and
 * the NAT sections. */
int config_load_vpns(struct loader *ld);

/* Frees 'vpn' and what it owns. Accepts NULL. */
void config_vpn_free(struct config_vpn *vpn);

/* ---- bulk.c: lookup records and customer routes, in the file and in bulk files ---- */

/* Lookup records from the file and from lookup_records_file, each checked, then duplicates. */
int config_load_lookups(struct loader *ld);

/* Customer routes from the file and from customer_routes_file, each checked, then duplicates. */
int config_load_routes(struct loader *ld);

#endif
