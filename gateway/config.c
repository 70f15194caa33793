/* Configuration: the libconfuse schema, conversion into struct hnvgw_config and every validation
 * rule. See config.h for the contract and conf/README.md for the reference.
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
 * config_check_lookup() and config_check_route() run the per-entry checks of step 3 against a
 * loaded config, plus a linear duplicate search.
 *
 * Not thread-safe: libconfuse's scanner is global, and so is the loader its callbacks report to. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <confuse.h>

#define PORTS_MAX         32    /* DP_MAX_PORTS: ports one node may use. */
#define TENANT_ID_MAX     65535 /* Routing domain ids 1..65535 (DP_MAX_TENANTS - 1). */
#define WORKERS_MAX       16    /* DP_MAX_WORKERS. */
#define SECTION_DEPTH     4     /* Deepest nesting: root > tenant > nat > static_mapping. */
#define NAT_INSIDE_MAX    64    /* DP_NAT_INSIDE_MAX: inside prefixes of one tenant's NAT. */
#define NAT_IPS_MAX       256   /* DP_NAT_IPS_MAX: distinct NAT public addresses on one node. */
#define DEFAULT_NODE_NAME "hnvgw"
#define DEFAULT_SOCKET    "/run/hnvgw/hnvgwd.sock"

/* Every section carries this hidden key. Its default value is parsed when libconfuse creates the
 * section, at its opening brace, which is how the opening line is learned (section_opened()). */
#define LINE_KEY   "__line__"
#define LINE_MAGIC "__hnvgw_section_line__"

static int section_opened(cfg_t *sec, cfg_opt_t *opt, const char *value, void *result);

#define LINE_OPT CFG_PTR_CB(LINE_KEY, LINE_MAGIC, CFGF_NONE, section_opened, NULL)

/* ---- Schema ----
 *
 * Lists have no libconfuse defaults on purpose: a default list is parsed by libconfuse's scanner
 * in the middle of the file, which would run the line-recording callbacks with the file's line
 * numbers. eal_args gets its default in load_node() instead. */

static cfg_opt_t node_opts[] = {
    LINE_OPT,
    CFG_STR("name", DEFAULT_NODE_NAME, CFGF_NONE),
    CFG_STR_LIST("roles", NULL, CFGF_NONE),
    CFG_STR_LIST("eal_args", NULL, CFGF_NONE),
    CFG_INT("workers", 1, CFGF_NONE),
    CFG_STR("control_socket", DEFAULT_SOCKET, CFGF_NONE),
    CFG_STR_LIST("provider_addresses", NULL, CFGF_NONE),
    CFG_INT("arp_timeout", 300, CFGF_NONE),
    CFG_INT("icmp_rate", 100, CFGF_NONE),
    CFG_INT("max_lookup_records", 65536, CFGF_NONE),
    CFG_INT("max_routes", 65536, CFGF_NONE),
    CFG_INT("max_subnets", 8192, CFGF_NONE),
    CFG_INT("mbufs", 0, CFGF_NONE),
    CFG_INT("max_nat_sessions", 262144, CFGF_NONE),
    CFG_INT("nat_port_block", 64, CFGF_NONE),
    CFG_END(),
};

static cfg_opt_t port_opts[] = {
    LINE_OPT,
    CFG_STR("kind", NULL, CFGF_NODEFAULT),
    CFG_STR("devargs", NULL, CFGF_NODEFAULT),
    CFG_STR("mac", NULL, CFGF_NODEFAULT),
    CFG_STR("address", NULL, CFGF_NODEFAULT),
    CFG_INT("vlan", 0, CFGF_NONE),
    CFG_INT("mtu", 1500, CFGF_NONE),
    CFG_STR("gateway", NULL, CFGF_NODEFAULT),
    CFG_INT("vsid", 0, CFGF_NODEFAULT),
    CFG_STR("ca", NULL, CFGF_NODEFAULT),
    CFG_STR_LIST("static_neighbors", NULL, CFGF_NONE),
    CFG_END(),
};

static cfg_opt_t subnet_opts[] = {
    LINE_OPT,
    CFG_INT("vsid", 0, CFGF_NODEFAULT),
    CFG_STR("prefix", NULL, CFGF_NODEFAULT),
    CFG_STR("gateway_ip", NULL, CFGF_NODEFAULT),
    CFG_STR("gateway_mac", NULL, CFGF_NODEFAULT),
    CFG_END(),
};

static cfg_opt_t ext_route_opts[] = {
    LINE_OPT,
    CFG_STR("prefix", NULL, CFGF_NODEFAULT),
    CFG_STR("next_hop", NULL, CFGF_NODEFAULT),
    CFG_INT("metric", 0, CFGF_NONE),
    CFG_END(),
};

static cfg_opt_t nat_static_opts[] = {
    LINE_OPT,
    CFG_STR("protocol", NULL, CFGF_NODEFAULT),
    CFG_STR("public", NULL, CFGF_NODEFAULT),
    CFG_STR("inside", NULL, CFGF_NODEFAULT),
    CFG_END(),
};

static cfg_opt_t nat_opts[] = {
    LINE_OPT,
    CFG_STR_LIST("public_addresses", NULL, CFGF_NONE),
    CFG_STR("ports", "1024-65535", CFGF_NONE),
    CFG_STR_LIST("inside_prefixes", NULL, CFGF_NONE),
    CFG_STR_LIST("destinations", NULL, CFGF_NONE),
    CFG_STR("next_hop", NULL, CFGF_NODEFAULT),
    CFG_STR("filtering", "address-dependent", CFGF_NONE),
    CFG_INT("max_sessions", 65536, CFGF_NONE),
    CFG_INT("max_ports", 16384, CFGF_NONE),
    CFG_INT("tcp_established_timeout", 7440, CFGF_NONE),
    CFG_INT("tcp_transitory_timeout", 240, CFGF_NONE),
    CFG_INT("udp_timeout", 300, CFGF_NONE),
    CFG_INT("icmp_timeout", 60, CFGF_NONE),
    CFG_STR("log", "mappings", CFGF_NONE),
    CFG_SEC("static_mapping", nat_static_opts, CFGF_MULTI),
    CFG_END(),
};

static cfg_opt_t bgp_neighbor_opts[] = {
    LINE_OPT,
    CFG_INT("remote_as", 0, CFGF_NODEFAULT),
    CFG_STR("password", "", CFGF_NONE),
    CFG_INT("keepalive", 60, CFGF_NONE),
    CFG_INT("hold", 180, CFGF_NONE),
    CFG_BOOL("ebgp_multihop", cfg_false, CFGF_NONE),
    CFG_END(),
};

static cfg_opt_t routing_opts[] = {
    LINE_OPT,
    CFG_INT("asn", 0, CFGF_NODEFAULT),
    CFG_STR("router_id", NULL, CFGF_NODEFAULT),
    CFG_STR_LIST("networks", NULL, CFGF_NONE),
    CFG_STR("extra_config", NULL, CFGF_NODEFAULT),
    CFG_INT("fpm_port", 2620, CFGF_NONE),
    CFG_SEC("neighbor", bgp_neighbor_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
    CFG_END(),
};

static cfg_opt_t vpn_tunnel_opts[] = {
    LINE_OPT,
    CFG_STR("remote_address", NULL, CFGF_NODEFAULT),
    CFG_STR("local_id", NULL, CFGF_NODEFAULT),
    CFG_STR("remote_id", NULL, CFGF_NODEFAULT),
    CFG_STR("auth", "psk", CFGF_NONE),
    CFG_STR("psk", NULL, CFGF_NODEFAULT),
    CFG_STR("certificate", NULL, CFGF_NODEFAULT),
    CFG_STR("private_key", NULL, CFGF_NODEFAULT),
    CFG_STR("ca_certificate", NULL, CFGF_NODEFAULT),
    CFG_STR_LIST("ike_proposals", NULL, CFGF_NONE),
    CFG_STR_LIST("esp_proposals", NULL, CFGF_NONE),
    CFG_INT("ike_lifetime", 14400, CFGF_NONE),
    CFG_INT("child_lifetime", 3600, CFGF_NONE),
    CFG_INT("child_life_bytes", 0, CFGF_NONE),
    CFG_INT("dpd_delay", 30, CFGF_NONE),
    CFG_STR("start_action", "initiate", CFGF_NONE),
    CFG_STR("mode", "policy", CFGF_NONE),
    CFG_STR_LIST("local_ts", NULL, CFGF_NONE),
    CFG_STR_LIST("remote_ts", NULL, CFGF_NONE),
    CFG_STR_LIST("routes", NULL, CFGF_NONE),
    CFG_END(),
};

static cfg_opt_t vpn_opts[] = {
    LINE_OPT,
    CFG_STR("local_address", NULL, CFGF_NODEFAULT),
    CFG_SEC("tunnel", vpn_tunnel_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
    CFG_END(),
};

/* "nat", "routing" and "vpn" are CFGF_MULTI so that a repeated section is refused rather than
 * merged. */
static cfg_opt_t tenant_opts[] = {
    LINE_OPT,
    CFG_INT("id", 0, CFGF_NODEFAULT),
    CFG_SEC("subnet", subnet_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
    CFG_STR_LIST("forward_prefixes", NULL, CFGF_NONE),
    CFG_SEC("external_route", ext_route_opts, CFGF_MULTI),
    CFG_SEC("nat", nat_opts, CFGF_MULTI),
    CFG_SEC("routing", routing_opts, CFGF_MULTI),
    CFG_SEC("vpn", vpn_opts, CFGF_MULTI),
    CFG_END(),
};

static cfg_opt_t lookup_opts[] = {
    LINE_OPT,
    CFG_STR("ca", NULL, CFGF_NODEFAULT),
    CFG_INT("vsid", 0, CFGF_NODEFAULT),
    CFG_STR("pa", NULL, CFGF_NODEFAULT),
    CFG_STR("mac", NULL, CFGF_NODEFAULT),
    CFG_STR("rule", "encap", CFGF_NONE),
    CFG_STR("type", "static", CFGF_NONE),
    CFG_END(),
};

static cfg_opt_t route_opts[] = {
    LINE_OPT,
    CFG_STR("tenant", NULL, CFGF_NODEFAULT),
    CFG_INT("vsid", 0, CFGF_NODEFAULT),
    CFG_STR("prefix", NULL, CFGF_NODEFAULT),
    CFG_STR("next_hop", NULL, CFGF_NODEFAULT),
    CFG_INT("metric", 0, CFGF_NONE),
    CFG_END(),
};

/* "node" is CFGF_MULTI so that a missing or repeated node section can be told apart. */
static cfg_opt_t root_opts[] = {
    CFG_SEC("node", node_opts, CFGF_MULTI),
    CFG_SEC("port", port_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
    CFG_SEC("tenant", tenant_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
    CFG_SEC("lookup_record", lookup_opts, CFGF_MULTI),
    CFG_SEC("customer_route", route_opts, CFGF_MULTI),
    CFG_STR("lookup_records_file", NULL, CFGF_NODEFAULT),
    CFG_STR("customer_routes_file", NULL, CFGF_NODEFAULT),
    CFG_END(),
};

/* Spellings of the enums in the file (and in messages). */
static const char *const rule_keys[] = {"encap", "nat"};
static const char *const type_keys[] = {"static", "dynamic", "l2only", "gatewaywildcard"};
static const char *const kind_keys[] = {"provider", "external", "vm"};
static const char *const filtering_keys[] = {"address-dependent", "endpoint-independent"};
static const char *const nat_log_keys[] = {"mappings", "blocks", "none"};
static const char *const protocol_keys[] = {"tcp", "udp"};
static const char *const vpn_auth_keys[] = {"psk", "pubkey"};
static const char *const vpn_start_keys[] = {"initiate", "respond"};
static const char *const vpn_mode_keys[] = {"policy", "route"};

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
    cfg_t *open[SECTION_DEPTH];         /* Sections being parsed, outermost first. */
    int depth;                          /* Number of open sections (may exceed SECTION_DEPTH). */
    struct key_line *keys;              /* Owned: lines of every key read, sorted after parsing. */
    size_t n_keys, cap_keys;            /* Entries used and allocated. */
    cfg_t *root;                        /* The parsed tree. */
    struct hnvgw_config *cfg;           /* The config being built. */
    struct vsid_ref *vsids;             /* Owned: every subnet, sorted by VSID. */
    size_t n_vsids;                     /* Entries in 'vsids'. */
    const struct config_tenant **names; /* Owned: every tenant, sorted by name. */
    size_t n_names;                     /* Entries in 'names'. */
    const struct config_tenant *by_id[TENANT_ID_MAX + 1]; /* Tenant of each routing domain id. */
    size_t cap_lookups, cap_routes;     /* Allocated entries of cfg->lookups and cfg->routes. */
    const struct config_port *provider; /* The provider port, if any. */
    const struct config_port *external; /* The external port, if any. */
};

/* The loader the libconfuse callbacks report to, set only while cfg_parse_buf() runs. */
static struct loader *cur_loader;

/* Where an entry being checked came from, and where its messages go. */
struct where {
    char *err;               /* Message buffer, CONFIG_ERR_MAX bytes. */
    const struct loader *ld; /* For per-key lines; NULL when 'sec' is NULL. */
    const char *file;        /* File, or NULL at run time: messages are then "field: problem". */
    cfg_t *sec;              /* Section holding the entry's keys, or NULL to use 'line'. */
    int line;                /* Line of the entry. */
    char ctx[144];           /* What the entry is, e.g. tenant "a" subnet "b"; may be empty. */
};

/* Returns the option 'name' of section 'sec', or NULL. Unlike cfg_getopt(), never reports. */
static cfg_opt_t *
find_opt(cfg_t *sec, const char *name)
{
    for (cfg_opt_t *o = sec->opts; o && o->name; o++) {
        if (!strcmp(o->name, name)) {
            return o;
        }
    }
    return NULL;
}

/* Returns the line where section 'sec' opened (its title line). */
static int
section_line(cfg_t *sec)
{
    cfg_opt_t *opt = sec ? find_opt(sec, LINE_KEY) : NULL;

    return opt && opt->nvalues ? (int)(intptr_t)cfg_opt_getnptr(opt, 0) : 0;
}

static int
key_line_cmp(const void *a_, const void *b_)
{
    const struct key_line *a = a_, *b = b_;

    if (a->opt != b->opt) {
        return a->opt < b->opt ? -1 : 1;
    }
    if (a->idx != b->idx) {
        return a->idx < b->idx ? -1 : 1;
    }
    return (a->line > b->line) - (a->line < b->line);
}

/* Returns the line of element 'idx' of key 'name' in 'sec', or 0 if it was not in the file.
 * Needs the loader's keys sorted. */
static int
key_line(const struct loader *ld, cfg_t *sec, const char *name, unsigned idx)
{
    cfg_opt_t *opt = find_opt(sec, name);
    size_t lo = 0, hi = ld ? ld->n_keys : 0;
    uintptr_t key = (uintptr_t)opt;

    if (!opt) {
        return 0;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct key_line *k = &ld->keys[mid];
        if (k->opt < key || (k->opt == key && k->idx < idx)) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo < ld->n_keys && ld->keys[lo].opt == key && ld->keys[lo].idx == idx) {
        return ld->keys[lo].line;
    }
    /* An element that left no line (e.g. from '+='): fall back to the key's first line. */
    return idx ? key_line(ld, sec, name, 0) : 0;
}

/* Writes "name" or name "title" of section 'sec' (nothing for the root) into 'buf'. */
static void
section_desc(cfg_t *sec, char *buf, size_t size)
{
    if (!sec || !strcmp(cfg_name(sec), "root")) {
        buf[0] = '\0';
    } else if (cfg_title(sec)) {
        snprintf(buf, size, "%s \"%s\"", cfg_name(sec), cfg_title(sec));
    } else {
        snprintf(buf, size, "%s", cfg_name(sec));
    }
}

/* Writes the context of a key of 'sec' inside 'parent' inside 'grand' (any may be NULL) into
 * 'buf', e.g. tenant "a" nat static_mapping. */
static void
context_of(cfg_t *grand, cfg_t *parent, cfg_t *sec, char *buf, size_t size)
{
    cfg_t *chain[] = {grand, parent, sec};
    size_t len = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < sizeof chain / sizeof chain[0] && len < size; i++) {
        char d[64];

        section_desc(chain[i], d, sizeof d);
        if (d[0]) {
            snprintf(buf + len, size - len, "%s%s", len ? " " : "", d);
            len += strlen(buf + len);
        }
    }
}

/* Records the message for 'field' (element 'idx' of a list; NULL for the entry as a whole) of
 * the entry at 'w', "file:line: context field: problem", and returns 'ret' (an errno). */
static int __attribute__((format(printf, 5, 6)))
report(const struct where *w, int ret, const char *field, unsigned idx, const char *fmt, ...)
{
    char label[208];
    va_list ap;
    int n = 0;

    snprintf(label, sizeof label, "%s%s%s", w->ctx, w->ctx[0] && field ? " " : "",
             field ? field : "");
    if (w->file) {
        int line = w->sec && field ? key_line(w->ld, w->sec, field, idx) : 0;
        n = snprintf(w->err, CONFIG_ERR_MAX, "%s:%d: %s: ", w->file, line > 0 ? line : w->line,
                     label[0] ? label : "syntax");
    } else if (label[0]) {
        n = snprintf(w->err, CONFIG_ERR_MAX, "%s: ", label);
    }
    n = n < 0 ? 0 : n >= CONFIG_ERR_MAX ? CONFIG_ERR_MAX - 1 : n;
    va_start(ap, fmt);
    vsnprintf(w->err + n, CONFIG_ERR_MAX - n, fmt, ap);
    va_end(ap);
    return ret;
}

/* Points 'w' at section 'sec' of the file being loaded; the context is printf-formatted. */
static void __attribute__((format(printf, 4, 5)))
where_sec(struct where *w, const struct loader *ld, cfg_t *sec, const char *fmt, ...)
{
    va_list ap;

    memset(w, 0, sizeof *w);
    w->err = ld->err;
    w->ld = ld;
    w->file = ld->path;
    w->sec = sec;
    w->line = section_line(sec);
    va_start(ap, fmt);
    vsnprintf(w->ctx, sizeof w->ctx, fmt, ap);
    va_end(ap);
}

/* Points 'w' at line 'line' of 'file' (a bulk file, or the whole config when 'line' is 0). */
static void
where_line(struct where *w, const struct loader *ld, const char *file, int line, const char *ctx)
{
    memset(w, 0, sizeof *w);
    w->err = ld->err;
    w->file = file;
    w->line = line;
    snprintf(w->ctx, sizeof w->ctx, "%s", ctx);
}

/* Points 'w' at a run-time check: messages are just "field: problem". */
static void
where_runtime(struct where *w, char *err)
{
    memset(w, 0, sizeof *w);
    w->err = err;
}

/* ---- libconfuse callbacks ---- */

/* Parse callback of the hidden LINE_KEY: runs when a section is created at its opening brace,
 * stores that line as the key's value and pushes the section on the loader's stack. A value
 * written in the file is refused as an unknown key. */
static int
section_opened(cfg_t *sec, cfg_opt_t *opt, const char *value, void *result)
{
    struct loader *ld = cur_loader;

    if (!value || strcmp(value, LINE_MAGIC) ||
        (ld && ld->depth > 0 && ld->depth <= SECTION_DEPTH && ld->open[ld->depth - 1] == sec)) {
        cfg_error(sec, "no such option '%s'", opt->name);
        return -1;
    }
    *(void **)result = (void *)(intptr_t)sec->line;
    if (ld) {
        if (ld->depth < SECTION_DEPTH) {
            ld->open[ld->depth] = sec;
        }
        ld->depth++;
    }
    return 0;
}

/* Validation callback of every key and section: records the line of a value, or pops a section
 * that just closed. */
static int
key_read(cfg_t *sec, cfg_opt_t *opt)
{
    struct loader *ld = cur_loader;
    struct key_line *k;

    if (!ld) {
        return 0;
    }
    if (opt->type == CFGT_SEC) {
        ld->depth -= ld->depth > 0;
        return 0;
    }
    if (ld->n_keys == ld->cap_keys) {
        size_t cap = ld->cap_keys ? ld->cap_keys * 2 : 256;
        struct key_line *grown = realloc(ld->keys, cap * sizeof *grown);
        if (!grown) {
            ld->oom = true;
            return -1;
        }
        ld->keys = grown;
        ld->cap_keys = cap;
    }
    k = &ld->keys[ld->n_keys++];
    k->opt = (uintptr_t)opt;
    k->idx = opt->nvalues ? opt->nvalues - 1 : 0;
    k->line = sec->line;
    k->sec = sec;
    k->parent = ld->depth >= 2 && ld->depth <= SECTION_DEPTH ? ld->open[ld->depth - 2] : NULL;
    k->grand = ld->depth >= 3 && ld->depth <= SECTION_DEPTH ? ld->open[ld->depth - 3] : NULL;
    return 0;
}

/* Installs key_read() on every option of 'opts' and of its sections, except LINE_KEY. */
static void
install_callbacks(cfg_opt_t *opts)
{
    for (cfg_opt_t *o = opts; o && o->name; o++) {
        if (strcmp(o->name, LINE_KEY)) {
            o->validcb = key_read;
        }
        if (o->type == CFGT_SEC) {
            install_callbacks(o->subopts);
        }
    }
}

/* Reports a "found duplicate title" from libconfuse: names the kind of section and where the
 * first one is. 'parent' is the section that holds both. */
static void
report_duplicate_title(struct where *w, cfg_t *parent, const char *title)
{
    for (cfg_opt_t *o = parent->opts; o && o->name; o++) {
        if (o->type != CFGT_SEC || !(o->flags & CFGF_TITLE)) {
            continue;
        }
        for (unsigned i = 0; i < o->nvalues; i++) {
            cfg_t *s = o->values[i]->section;
            if (s && s->title && !strcmp(s->title, title)) {
                char field[160];
                snprintf(field, sizeof field, "%s \"%s\"", o->name, title);
                report(w, EINVAL, field, 0, "name already used by the %s at line %d", o->name,
                       section_line(s));
                return;
            }
        }
    }
    report(w, EINVAL, NULL, 0, "\"%s\" is defined twice", title);
}

/* libconfuse's error function: rewrites its messages into ours, with the current section as
 * context and the scanner's line. Only the first message is kept. */
static void
confuse_error(cfg_t *sec, const char *fmt, va_list ap)
{
    struct loader *ld = cur_loader;
    char msg[256], name[128];
    struct where w;
    cfg_t *top, *parent, *grand;

    if (!ld || ld->failed) {
        return;
    }
    vsnprintf(msg, sizeof msg, fmt, ap);
    top = ld->depth > 0 && ld->depth <= SECTION_DEPTH ? ld->open[ld->depth - 1] : NULL;
    parent = ld->depth > 1 && ld->depth <= SECTION_DEPTH ? ld->open[ld->depth - 2] : NULL;
    grand = ld->depth > 2 && ld->depth <= SECTION_DEPTH ? ld->open[ld->depth - 3] : NULL;
    where_line(&w, ld, ld->path, sec ? sec->line : 0, "");
    if (sec && sec == top) {
        context_of(grand, parent, top, w.ctx, sizeof w.ctx);
    }
    if (sscanf(msg, "no such option '%127[^']'", name) == 1) {
        report(&w, EINVAL, name, 0, "unknown %s", w.ctx[0] ? "key" : "key or section");
    } else if (sscanf(msg, "invalid integer value for option '%127[^']'", name) == 1) {
        report(&w, EINVAL, name, 0, "not an integer");
    } else if (sscanf(msg, "integer value for option '%127[^']' is out of range", name) == 1) {
        report(&w, EINVAL, name, 0, "integer out of range");
    } else if (sscanf(msg, "missing equal sign after option '%127[^']'", name) == 1) {
        report(&w, EINVAL, name, 0, "expected '=' after the key");
    } else if (sscanf(msg, "attempt to append to non-list option '%127[^']'", name) == 1) {
        report(&w, EINVAL, name, 0, "not a list: use '=', not '+='");
    } else if (sscanf(msg, "found duplicate title '%127[^']'", name) == 1 && sec) {
        report_duplicate_title(&w, sec, name);
    } else {
        report(&w, EINVAL, NULL, 0, "%s", msg);
    }
    ld->failed = true;
}

/* ---- Reading the file ---- */

/* Reads all of 'path' into a new NUL-terminated buffer '*text' of '*len' bytes. Returns 0 or an
 * errno. */
static int
read_text(const char *path, char **text, size_t *len)
{
    FILE *fp = fopen(path, "r");
    size_t cap = 4096, n = 0;
    char *buf;

    if (!fp) {
        return errno;
    }
    buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, fp);
        n += got;
        if (n < cap) {
            break;
        }
        char *grown = realloc(buf, cap * 2 + 1);
        if (!grown) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = grown;
        cap *= 2;
    }
    if (!buf || ferror(fp)) {
        int e = buf ? EIO : ENOMEM;
        free(buf);
        fclose(fp);
        return e;
    }
    fclose(fp);
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

/* True for characters that libconfuse's scanner accepts inside an unquoted string. */
static bool
unquoted_char(char c)
{
    return c && !strchr(" #\"'\t\n\r={}()+,*", c);
}

/* Overwrites every comment of 'text' ("#...", "//...", block comments) with spaces, keeping
 * newlines, following the token rules of libconfuse's scanner. Also checks that every '{' is
 * closed: libconfuse takes the end of the file as the end of any open section, which would let a
 * truncated file load. On error returns false with the line in '*line' and, in '*open_line', the
 * line of the unclosed '{', 0 for an unterminated comment or -1 for an unterminated string. */
static bool
blank_comments(char *text, int *line, int *open_line)
{
    bool in_word = false; /* Inside an unquoted string, where "//" is not a comment. */
    int depth = 0, first_open = 0;

    *line = 1;
    *open_line = 0;
    for (char *p = text; *p;) {
        if (*p == '"' || *p == '\'') {
            char quote = *p++;
            int start = *line;
            while (*p && *p != quote) {
                if (*p == '\\' && p[1]) {
                    *line += p[1] == '\n';
                    p++;
                }
                *line += *p == '\n';
                p++;
            }
            if (!*p) {
                *line = start;
                *open_line = -1;
                return false;
            }
            p++;
            in_word = false;
        } else if (*p == '#' || (!in_word && p[0] == '/' && p[1] == '/')) {
            while (*p && *p != '\n') {
                *p++ = ' ';
            }
            in_word = false;
        } else if (!in_word && p[0] == '/' && p[1] == '*') {
            char *end = strstr(p + 2, "*/");
            if (!end) {
                return false;
            }
            for (end += 2; p < end; p++) {
                if (*p == '\n') {
                    ++*line;
                } else {
                    *p = ' ';
                }
            }
            in_word = false;
        } else {
            if (*p == '{' && depth++ == 0) {
                first_open = *line;
            } else if (*p == '}' && depth > 0) {
                depth--;
            }
            *line += *p == '\n';
            in_word = unquoted_char(*p);
            p++;
        }
    }
    if (depth > 0) {
        *open_line = first_open; /* The outermost '{' left open. */
        return false;
    }
    return true;
}

/* ---- Value helpers, shared by sections, bulk files and run-time checks ---- */

/* Network-order mask of a prefix length 0..32. */
static uint32_t
mask4(unsigned plen)
{
    return plen ? htonl(~0u << (32 - plen)) : 0;
}

/* True when 'ip' is the network or broadcast address of 'p' (only for /30 and shorter). */
static bool
is_net_or_bcast(const struct hnvgw_prefix *p, const struct hnvgw_ip *ip)
{
    uint32_t host = ip->v4 & ~mask4(p->plen);

    return p->plen <= 30 && (host == 0 || host == ~mask4(p->plen));
}

/* True when 'ip' is an IPv4 unicast address: not 0/8, loopback, multicast or reserved. */
static bool
is_unicast4(const struct hnvgw_ip *ip)
{
    uint32_t a = ntohl(ip->v4) >> 24;

    return ip->family == HNVGW_AF_INET && a != 0 && a != 127 && a < 224;
}

static bool
is_unicast_mac(const struct hnvgw_mac *m)
{
    return !hnvgw_mac_is_zero(m) && !(m->b[0] & 1);
}

/* Checks that 'ip' is set and IPv4. */
static int
need_ip4(const struct where *w, const char *field, unsigned idx, const struct hnvgw_ip *ip)
{
    char b[HNVGW_IP_STRLEN];

    if (ip->family == HNVGW_AF_INET6) {
        return report(w, EINVAL, field, idx, "IPv6 is not supported yet (%s)",
                      hnvgw_ip_format(ip, b));
    }
    if (ip->family != HNVGW_AF_INET) {
        return report(w, EINVAL, field, idx, "is required");
    }
    return 0;
}

/* Parses 's' as an IPv4 address into '*ip'. */
static int
parse_ip4(const struct where *w, const char *field, unsigned idx, const char *s,
          struct hnvgw_ip *ip)
{
    if (!hnvgw_ip_parse(s, ip)) {
        return report(w, EINVAL, field, idx, "'%s' is not an IPv4 address", s);
    }
    return need_ip4(w, field, idx, ip);
}

/* Parses 's' as an IPv4 prefix into '*p' (padding zeroed, so configs compare as bytes). With
 * 'canonical', host bits must be zero. */
static int
parse_prefix4(const struct where *w, const char *field, unsigned idx, const char *s, bool canonical,
              struct hnvgw_prefix *p)
{
    struct hnvgw_prefix tmp;
    char b[HNVGW_PFX_STRLEN];

    if (!hnvgw_prefix_parse(s, &tmp)) {
        return report(w, EINVAL, field, idx, "'%s' is not a prefix (ADDRESS/LENGTH)", s);
    }
    if (tmp.addr.family != HNVGW_AF_INET) {
        return report(w, EINVAL, field, idx, "IPv6 is not supported yet (%s)", s);
    }
    memset(p, 0, sizeof *p);
    p->addr = tmp.addr;
    p->plen = tmp.plen;
    if (canonical && !hnvgw_prefix_is_canonical(p)) {
        struct hnvgw_prefix fixed = *p;
        fixed.addr.v4 &= mask4(p->plen);
        return report(w, EINVAL, field, idx, "'%s' has host bits set (did you mean %s?)", s,
                      hnvgw_prefix_format(&fixed, b));
    }
    return 0;
}

/* Checks that 'm' is a unicast MAC address. */
static int
check_mac(const struct where *w, const char *field, unsigned idx, const struct hnvgw_mac *m)
{
    char b[HNVGW_MAC_STRLEN];

    if (hnvgw_mac_is_zero(m)) {
        return report(w, EINVAL, field, idx, "the all-zero MAC is not allowed");
    }
    if (!is_unicast_mac(m)) {
        return report(w, EINVAL, field, idx, "%s is a multicast or broadcast MAC",
                      hnvgw_mac_format(m, b));
    }
    return 0;
}

/* Parses 's' as a unicast MAC address into '*m'. */
static int
parse_mac(const struct where *w, const char *field, unsigned idx, const char *s,
          struct hnvgw_mac *m)
{
    if (!hnvgw_mac_parse(s, m)) {
        return report(w, EINVAL, field, idx, "'%s' is not a MAC address (aa:bb:cc:dd:ee:ff)", s);
    }
    return check_mac(w, field, idx, m);
}

/* Looks 's', element 'idx' of 'field', up (case-insensitively) in 'names' of 'n' entries;
 * stores the index in '*out'. */
static int
parse_enum(const struct where *w, const char *field, unsigned idx, const char *s,
           const char *const *names, size_t n, unsigned *out)
{
    char list[128] = "";

    for (size_t i = 0; i < n; i++) {
        if (!strcasecmp(s, names[i])) {
            *out = (unsigned)i;
            return 0;
        }
    }
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(list);
        snprintf(list + len, sizeof list - len, "%s%s", i ? (i + 1 == n ? " or " : ", ") : "",
                 names[i]);
    }
    return report(w, EINVAL, field, idx, "'%s' is not %s", s, list);
}

/* Parses a decimal number 0..UINT32_MAX (bulk files). */
static int
parse_u32(const struct where *w, const char *field, const char *s, uint32_t *out)
{
    char *end;
    unsigned long long v;

    errno = 0;
    v = strtoull(s, &end, 10);
    if (!isdigit((unsigned char)s[0]) || *end || errno || v > UINT32_MAX) {
        return report(w, EINVAL, field, 0, "'%s' is not a number 0..%u", s, UINT32_MAX);
    }
    *out = (uint32_t)v;
    return 0;
}

/* True for a valid port, tenant or subnet name: 1..31 of letters, digits and "-_.:". */
static bool
name_ok(const char *s)
{
    size_t n = strlen(s);

    if (n == 0 || n >= CONFIG_NAME_MAX) {
        return false;
    }
    for (; *s; s++) {
        if (!isalnum((unsigned char)*s) && !strchr("-_.:", *s)) {
            return false;
        }
    }
    return true;
}

/* Checks the title of section 'sec' as a name. */
static int
check_name(const struct where *w, cfg_t *sec)
{
    if (!name_ok(cfg_title(sec))) {
        return report(w, EINVAL, NULL, 0,
                      "a name is 1..%d letters, digits, '-', '_', '.' or ':' characters",
                      CONFIG_NAME_MAX - 1);
    }
    return 0;
}

/* Section key readers. Each reports against 'w' (whose 'sec' is the section). */

/* Stores string key 'key' in '*out', NULL when absent; absent and 'required' is an error. */
static int
get_str(const struct where *w, const char *key, bool required, const char **out)
{
    *out = cfg_size(w->sec, key) ? cfg_getstr(w->sec, key) : NULL;
    if (!*out && required) {
        return report(w, EINVAL, key, 0, "is required");
    }
    return 0;
}

/* Stores integer key 'key', which must be present and within lo..hi, in '*out'. */
static int
get_int(const struct where *w, const char *key, long lo, long hi, long *out)
{
    long v = 0;

    if (!cfg_size(w->sec, key)) {
        return report(w, EINVAL, key, 0, "is required");
    }
    v = cfg_getint(w->sec, key);
    if (v < lo || v > hi) {
        return report(w, EINVAL, key, 0, "%ld is out of range %ld..%ld", v, lo, hi);
    }
    *out = v;
    return 0;
}

/* Like get_int() for a uint32_t key. */
static int
get_u32(const struct where *w, const char *key, long lo, long hi, uint32_t *out)
{
    long v = 0;
    int ret = get_int(w, key, lo, hi, &v);

    *out = (uint32_t)v;
    return ret;
}

/* Refuses key 'key' when present: it does not apply to this kind of entry. */
static int
forbid(const struct where *w, const char *key, const char *why)
{
    if (cfg_size(w->sec, key)) {
        return report(w, EINVAL, key, 0, "not allowed %s", why);
    }
    return 0;
}

/* ---- Lookups ---- */

const struct config_tenant *
config_find_vsid(const struct hnvgw_config *cfg, uint32_t vsid, const struct config_subnet **subnet)
{
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        for (size_t j = 0; j < cfg->tenants[i].n_subnets; j++) {
            if (cfg->tenants[i].subnets[j].vsid == vsid) {
                if (subnet) {
                    *subnet = &cfg->tenants[i].subnets[j];
                }
                return &cfg->tenants[i];
            }
        }
    }
    return NULL;
}

const struct config_tenant *
config_find_tenant(const struct hnvgw_config *cfg, uint32_t id)
{
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        if (cfg->tenants[i].id == id) {
            return &cfg->tenants[i];
        }
    }
    return NULL;
}

const char *
config_rule_name(enum config_lookup_rule rule)
{
    return rule == CONFIG_RULE_NAT ? "NAT" : rule == CONFIG_RULE_ENCAP ? "Encap" : "?";
}

const char *
config_type_name(enum config_lookup_type type)
{
    static const char *const names[] = {"Static", "Dynamic", "L2Only", "GatewayWildcard"};
    return (unsigned)type < 4 ? names[type] : "?";
}

const char *
config_port_kind_name(enum config_port_kind kind)
{
    return (unsigned)kind < 3 ? kind_keys[kind] : "?";
}

const char *
config_vpn_auth_name(enum config_vpn_auth auth)
{
    return (unsigned)auth < 2 ? vpn_auth_keys[auth] : "?";
}

const char *
config_vpn_start_name(enum config_vpn_start start)
{
    return (unsigned)start < 2 ? vpn_start_keys[start] : "?";
}

const char *
config_vpn_mode_name(enum config_vpn_mode mode)
{
    return (unsigned)mode < 2 ? vpn_mode_keys[mode] : "?";
}

const struct config_vpn_tunnel *
config_find_vpn_tunnel(const struct hnvgw_config *cfg, uint32_t reqid,
                       const struct config_tenant **tenant)
{
    const struct config_tenant *t = config_find_tenant(cfg, reqid / 16);

    for (size_t i = 0; t && t->vpn && i < t->vpn->n_tunnels; i++) {
        if (t->vpn->tunnels[i].reqid == reqid) {
            if (tenant) {
                *tenant = t;
            }
            return &t->vpn->tunnels[i];
        }
    }
    return NULL;
}

bool
config_is_my_pa(const struct hnvgw_config *cfg, const struct hnvgw_ip *ip)
{
    for (size_t i = 0; i < cfg->n_pas; i++) {
        if (hnvgw_ip_equal(&cfg->pas[i], ip)) {
            return true;
        }
    }
    return false;
}

/* ---- Per-entry checks, shared by config_load() and the run-time checks ---- */

/* What the per-entry checks look things up in. */
struct checker {
    const struct hnvgw_config *cfg; /* The (possibly partly built) config. */
    const struct vsid_ref *vsids;   /* Sorted VSID index, or NULL to search linearly. */
    size_t n_vsids;                 /* Entries in 'vsids'. */
};

/* Returns the tenant of 'vsid' and its subnet in '*subnet', or NULL. */
static const struct config_tenant *
checker_vsid(const struct checker *ck, uint32_t vsid, const struct config_subnet **subnet)
{
    size_t lo = 0, hi = ck->n_vsids;

    if (!ck->vsids) {
        return config_find_vsid(ck->cfg, vsid, subnet);
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (ck->vsids[mid].vsid < vsid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    if (lo == ck->n_vsids || ck->vsids[lo].vsid != vsid) {
        return NULL;
    }
    *subnet = &ck->cfg->tenants[ck->vsids[lo].tenant].subnets[ck->vsids[lo].subnet];
    return &ck->cfg->tenants[ck->vsids[lo].tenant];
}

/* Checks 'vsid' is in range and carried by a subnet; stores it in '*t' and '*sn'. */
static int
check_vsid(const struct checker *ck, const struct where *w, uint32_t vsid,
           const struct config_tenant **t, const struct config_subnet **sn)
{
    if (vsid < CONFIG_VSID_MIN || vsid > CONFIG_VSID_MAX) {
        return report(w, EINVAL, "vsid", 0, "%u is out of range %u..%u", vsid, CONFIG_VSID_MIN,
                      CONFIG_VSID_MAX);
    }
    *t = checker_vsid(ck, vsid, sn);
    if (!*t) {
        return report(w, EINVAL, "vsid", 0, "%u is not the VSID of any tenant's subnet", vsid);
    }
    return 0;
}

/* Checks that 'ca' can be a VM's address in subnet 'sn'. */
static int
check_ca(const struct where *w, const char *field, const struct config_subnet *sn,
         const struct hnvgw_ip *ca)
{
    char b[HNVGW_IP_STRLEN], p[HNVGW_PFX_STRLEN];

    if (!hnvgw_prefix_contains(&sn->prefix, ca)) {
        return report(w, EINVAL, field, 0, "%s is outside subnet \"%s\" (%s) of vsid %u",
                      hnvgw_ip_format(ca, b), sn->name, hnvgw_prefix_format(&sn->prefix, p),
                      sn->vsid);
    }
    if (hnvgw_ip_equal(ca, &sn->gateway_ip)) {
        return report(w, EINVAL, field, 0, "%s is the gateway address of subnet \"%s\"",
                      hnvgw_ip_format(ca, b), sn->name);
    }
    if (is_net_or_bcast(&sn->prefix, ca)) {
        return report(w, EINVAL, field, 0,
                      "%s is the network or broadcast address of subnet \"%s\"",
                      hnvgw_ip_format(ca, b), sn->name);
    }
    return 0;
}

static bool
is_wildcard_type(enum config_lookup_type type)
{
    return type == CONFIG_TYPE_L2ONLY || type == CONFIG_TYPE_GATEWAY_WILDCARD;
}

/* Checks one lookup record on its own and against the ports of ck->cfg: VSID known, CA inside
 * its subnet (or 0.0.0.0 for the wildcard types), PA and MAC sane, and no clash with a local VM
 * port. Returns 0, EINVAL, or EEXIST for a clash. */
static int
check_lookup_entry(const struct checker *ck, const struct config_lookup *rec, const struct where *w)
{
    const struct hnvgw_config *cfg = ck->cfg;
    const struct config_tenant *t;
    const struct config_subnet *sn;
    char b[HNVGW_IP_STRLEN], c[HNVGW_IP_STRLEN], m[HNVGW_MAC_STRLEN];
    bool wild = is_wildcard_type(rec->type);
    int ret;

    if ((unsigned)rec->rule > CONFIG_RULE_NAT) {
        return report(w, EINVAL, "rule", 0, "unknown rule %d", (int)rec->rule);
    }
    if ((unsigned)rec->type > CONFIG_TYPE_GATEWAY_WILDCARD) {
        return report(w, EINVAL, "type", 0, "unknown type %d", (int)rec->type);
    }
    ret = check_vsid(ck, w, rec->vsid, &t, &sn);
    if (ret) {
        return ret;
    }
    if (rec->ca.family == HNVGW_AF_INET6 || (!wild && rec->ca.family != HNVGW_AF_INET)) {
        return need_ip4(w, "ca", 0, &rec->ca);
    }
    if (wild && !hnvgw_ip_is_zero(&rec->ca)) {
        return report(w, EINVAL, "ca", 0, "must be 0.0.0.0 for a %s record, not %s",
                      type_keys[rec->type], hnvgw_ip_format(&rec->ca, b));
    }
    if (!wild && hnvgw_ip_is_zero(&rec->ca)) {
        return report(w, EINVAL, "ca", 0,
                      "0.0.0.0 is only valid for l2only and gatewaywildcard records");
    }
    if (!wild && (ret = check_ca(w, "ca", sn, &rec->ca)) != 0) {
        return ret;
    }
    if ((ret = need_ip4(w, "pa", 0, &rec->pa)) != 0) {
        return ret;
    }
    if (!is_unicast4(&rec->pa)) {
        return report(w, EINVAL, "pa", 0, "%s is not a unicast address",
                      hnvgw_ip_format(&rec->pa, b));
    }
    if ((ret = check_mac(w, "mac", 0, &rec->mac)) != 0) {
        return ret;
    }
    for (size_t i = 0; !wild && i < cfg->n_ports; i++) {
        const struct config_port *p = &cfg->ports[i];

        if (p->kind != CONFIG_PORT_VM || p->vsid != rec->vsid ||
            !hnvgw_ip_equal(&p->ca, &rec->ca)) {
            continue;
        }
        if (!config_is_my_pa(cfg, &rec->pa)) {
            return report(w, EEXIST, "pa", 0,
                          "%s is not a provider address of this node, but vm port \"%s\" holds "
                          "vsid %u ca %s here",
                          hnvgw_ip_format(&rec->pa, b), p->name, rec->vsid,
                          hnvgw_ip_format(&rec->ca, c));
        }
        if (memcmp(&p->mac, &rec->mac, sizeof p->mac)) {
            return report(w, EEXIST, "mac", 0, "differs from the MAC %s of vm port \"%s\"",
                          hnvgw_mac_format(&p->mac, m), p->name);
        }
    }
    return 0;
}

/* Checks one customer route on its own: tenant known, VSID one of its subnets, prefix canonical,
 * next hop inside the VSID's subnet unless on-link. */
static int
check_route_entry(const struct checker *ck, const struct config_route *rt, const struct where *w)
{
    const struct config_tenant *t = config_find_tenant(ck->cfg, rt->tenant_id), *owner;
    const struct config_subnet *sn;
    char b[HNVGW_IP_STRLEN], p[HNVGW_PFX_STRLEN];
    int ret;

    if (!t) {
        return report(w, EINVAL, "tenant", 0, "id %u is not a configured tenant", rt->tenant_id);
    }
    if ((ret = check_vsid(ck, w, rt->vsid, &owner, &sn)) != 0) {
        return ret;
    }
    if (owner != t) {
        return report(w, EINVAL, "vsid", 0, "%u belongs to tenant \"%s\", not \"%s\"", rt->vsid,
                      owner->name, t->name);
    }
    if ((ret = need_ip4(w, "prefix", 0, &rt->prefix.addr)) != 0) {
        return ret;
    }
    if (rt->prefix.plen > 32 || !hnvgw_prefix_is_canonical(&rt->prefix)) {
        return report(w, EINVAL, "prefix", 0, "%s is not a canonical prefix (host bits zero)",
                      hnvgw_prefix_format(&rt->prefix, p));
    }
    if (rt->next_hop.family == HNVGW_AF_INET6 || (!rt->on_link && !rt->next_hop.family)) {
        return need_ip4(w, "next_hop", 0, &rt->next_hop);
    }
    if (rt->on_link && rt->next_hop.family && !hnvgw_ip_is_zero(&rt->next_hop)) {
        return report(w, EINVAL, "next_hop", 0, "must be 0.0.0.0 for an on-link route");
    }
    if (!rt->on_link && !hnvgw_ip_is_zero(&rt->next_hop) &&
        !hnvgw_prefix_contains(&sn->prefix, &rt->next_hop)) {
        return report(w, EINVAL, "next_hop", 0, "%s is outside subnet \"%s\" (%s) of vsid %u",
                      hnvgw_ip_format(&rt->next_hop, b), sn->name,
                      hnvgw_prefix_format(&sn->prefix, p), rt->vsid);
    }
    return 0;
}

/* Duplicate keys of lookup records: class 0 is (vsid, ca), 1 the one gatewaywildcard of a VSID,
 * 2 is (vsid, mac) for l2only. */
static unsigned
lookup_class(const struct config_lookup *l)
{
    return l->type == CONFIG_TYPE_GATEWAY_WILDCARD ? 1 : l->type == CONFIG_TYPE_L2ONLY ? 2 : 0;
}

static uint64_t
lookup_key(const struct config_lookup *l)
{
    uint64_t k = 0;

    switch (lookup_class(l)) {
    case 0:
        k = ntohl(l->ca.v4);
        break;
    case 2:
        for (int i = 0; i < 6; i++) {
            k = k << 8 | l->mac.b[i];
        }
        break;
    default:
        break;
    }
    return k;
}

static bool
lookup_same_key(const struct config_lookup *a, const struct config_lookup *b)
{
    return a->vsid == b->vsid && lookup_class(a) == lookup_class(b) &&
           lookup_key(a) == lookup_key(b);
}

/* Reports record 'later' as a duplicate of 'first', found at 'at' ("line N" or "FILE:N"). */
static int
report_lookup_dup(const struct where *w, int ret, const struct config_lookup *later, const char *at)
{
    char b[HNVGW_IP_STRLEN], m[HNVGW_MAC_STRLEN];

    switch (lookup_class(later)) {
    case 1:
        return report(w, ret, "type", 0, "vsid %u already has a gatewaywildcard record%s",
                      later->vsid, at);
    case 2:
        return report(w, ret, "mac", 0, "vsid %u already has an l2only record for %s%s",
                      later->vsid, hnvgw_mac_format(&later->mac, m), at);
    default:
        return report(w, ret, "ca", 0, "vsid %u already has a lookup record for %s%s", later->vsid,
                      hnvgw_ip_format(&later->ca, b), at);
    }
}

static bool
route_same_key(const struct config_route *a, const struct config_route *b)
{
    return a->tenant_id == b->tenant_id && a->prefix.plen == b->prefix.plen &&
           a->prefix.addr.v4 == b->prefix.addr.v4 && a->next_hop.v4 == b->next_hop.v4;
}

int
config_check_lookup(const struct hnvgw_config *cfg, const struct config_lookup *rec, char *err)
{
    struct checker ck = {.cfg = cfg};
    struct where w;
    int ret;

    where_runtime(&w, err);
    ret = check_lookup_entry(&ck, rec, &w);
    if (ret) {
        return ret;
    }
    for (size_t i = 0; i < cfg->n_lookups; i++) {
        if (lookup_same_key(&cfg->lookups[i], rec)) {
            return report_lookup_dup(&w, EEXIST, rec, "");
        }
    }
    return 0;
}

int
config_check_route(const struct hnvgw_config *cfg, const struct config_route *rt, char *err)
{
    struct checker ck = {.cfg = cfg};
    char b[HNVGW_IP_STRLEN], p[HNVGW_PFX_STRLEN];
    struct where w;
    int ret;

    where_runtime(&w, err);
    ret = check_route_entry(&ck, rt, &w);
    if (ret) {
        return ret;
    }
    for (size_t i = 0; i < cfg->n_routes; i++) {
        if (route_same_key(&cfg->routes[i], rt)) {
            return report(&w, EEXIST, "prefix", 0, "tenant \"%s\" already has a route to %s via %s",
                          config_find_tenant(cfg, rt->tenant_id)->name,
                          hnvgw_prefix_format(&rt->prefix, p), hnvgw_ip_format(&rt->next_hop, b));
        }
    }
    return 0;
}

/* ---- Sections ---- */

/* The node section. Provider addresses are checked against the provider port later. */
static int
load_node(struct loader *ld)
{
    static const char *const default_eal[] = {"--in-memory", "--no-pci"};
    static const char *const role_keys[] = {"gateway", "host"};
    struct hnvgw_config *cfg = ld->cfg;
    unsigned n = cfg_size(ld->root, "node");
    cfg_t *sec = n ? cfg_getnsec(ld->root, "node", 0) : NULL;
    const char *s;
    cfg_opt_t *eal;
    struct where w;
    long v = 0;
    int ret;

    if (n == 0) {
        where_line(&w, ld, ld->path, 0, "");
        return report(&w, EINVAL, "node", 0, "section is required (it sets the node's roles)");
    }
    if (n > 1) {
        where_sec(&w, ld, cfg_getnsec(ld->root, "node", 1), "node");
        return report(&w, EINVAL, NULL, 0, "defined twice (first at line %d)", section_line(sec));
    }
    where_sec(&w, ld, sec, "node");

    s = cfg_getstr(sec, "name");
    if (!name_ok(s)) {
        return report(&w, EINVAL, "name", 0,
                      "'%s' is not 1..%d letters, digits, '-', '_', '.' or ':' characters", s,
                      CONFIG_NAME_MAX - 1);
    }
    snprintf(cfg->node_name, sizeof cfg->node_name, "%s", s);

    if (cfg_size(sec, "roles") == 0) {
        return report(&w, EINVAL, "roles", 0, "is required: gateway and/or host");
    }
    for (unsigned i = 0; i < cfg_size(sec, "roles"); i++) {
        unsigned r = 0;
        if ((ret = parse_enum(&w, "roles", i, cfg_getnstr(sec, "roles", i), role_keys, 2, &r))) {
            return ret;
        }
        cfg->roles |= r == 0 ? CONFIG_ROLE_GATEWAY : CONFIG_ROLE_HOST;
    }

    eal = find_opt(sec, "eal_args");
    if (eal && (eal->flags & CFGF_MODIFIED)) {
        n = cfg_size(sec, "eal_args");
        if (n > CONFIG_EAL_ARGS_MAX) {
            return report(&w, EINVAL, "eal_args", CONFIG_EAL_ARGS_MAX, "more than %d arguments",
                          CONFIG_EAL_ARGS_MAX);
        }
        for (unsigned i = 0; i < n; i++) {
            cfg->eal_args[i] = strdup(cfg_getnstr(sec, "eal_args", i));
            if (!cfg->eal_args[i]) {
                return report(&w, ENOMEM, "eal_args", i, "out of memory");
            }
            cfg->n_eal_args++;
        }
    } else {
        for (size_t i = 0; i < 2; i++) {
            cfg->eal_args[i] = strdup(default_eal[i]);
            if (!cfg->eal_args[i]) {
                return report(&w, ENOMEM, "eal_args", 0, "out of memory");
            }
            cfg->n_eal_args++;
        }
    }

    if ((ret = get_int(&w, "workers", 1, WORKERS_MAX, &v)) != 0) {
        return ret;
    }
    cfg->workers = (unsigned)v;
    if ((ret = get_int(&w, "arp_timeout", 10, 86400, &v)) != 0) {
        return ret;
    }
    cfg->arp_timeout_s = (unsigned)v;
    if ((ret = get_int(&w, "icmp_rate", 1, 100000, &v)) != 0) {
        return ret;
    }
    cfg->icmp_rate_per_s = (unsigned)v;
    if ((ret = get_u32(&w, "max_lookup_records", 64, 64L << 20, &cfg->max_lookups)) != 0 ||
        (ret = get_u32(&w, "max_routes", 64, 16L << 20, &cfg->max_routes)) != 0 ||
        (ret = get_u32(&w, "max_subnets", 64, 1L << 20, &cfg->max_subnets)) != 0 ||
        (ret = get_u32(&w, "mbufs", 0, 16L << 20, &cfg->mbufs)) != 0) {
        return ret;
    }
    if (cfg->mbufs && cfg->mbufs < 1024) {
        return report(&w, EINVAL, "mbufs", 0, "%u is neither 0 (automatic) nor 1024..%ld",
                      cfg->mbufs, 16L << 20);
    }
    if ((ret = get_u32(&w, "max_nat_sessions", 1024, 64L << 20, &cfg->max_nat_sessions)) != 0 ||
        (ret = get_u32(&w, "nat_port_block", 8, 4096, &cfg->nat_port_block)) != 0) {
        return ret;
    }
    if (cfg->nat_port_block & (cfg->nat_port_block - 1)) {
        return report(&w, EINVAL, "nat_port_block", 0, "%u is not a power of two (8..4096)",
                      cfg->nat_port_block);
    }

    s = cfg_getstr(sec, "control_socket");
    if (!s[0] || strlen(s) >= sizeof cfg->control_socket) {
        return report(&w, EINVAL, "control_socket", 0, "must be a path of 1..%zu characters",
                      sizeof cfg->control_socket - 1);
    }
    snprintf(cfg->control_socket, sizeof cfg->control_socket, "%s", s);

    n = cfg_size(sec, "provider_addresses");
    if (n > CONFIG_PAS_MAX) {
        return report(&w, EINVAL, "provider_addresses", CONFIG_PAS_MAX, "more than %d addresses",
                      CONFIG_PAS_MAX);
    }
    for (unsigned i = 0; i < n; i++) {
        struct hnvgw_ip *pa = &cfg->pas[i];
        s = cfg_getnstr(sec, "provider_addresses", i);
        if ((ret = parse_ip4(&w, "provider_addresses", i, s, pa)) != 0) {
            return ret;
        }
        if (!is_unicast4(pa)) {
            return report(&w, EINVAL, "provider_addresses", i, "%s is not a unicast address", s);
        }
        for (size_t k = 0; k < i; k++) {
            if (hnvgw_ip_equal(&cfg->pas[k], pa)) {
                return report(&w, EINVAL, "provider_addresses", i, "%s is listed twice", s);
            }
        }
        cfg->n_pas++;
    }
    return 0;
}

/* The subnets of tenant 't' (section 'sec'). */
static int
load_subnets(struct loader *ld, cfg_t *sec, struct config_tenant *t)
{
    unsigned n = cfg_size(sec, "subnet");
    char b[HNVGW_PFX_STRLEN], p[HNVGW_PFX_STRLEN];
    struct where w;

    if (n == 0) {
        where_sec(&w, ld, sec, "tenant \"%s\"", t->name);
        return report(&w, EINVAL, "subnet", 0, "a tenant needs at least one subnet");
    }
    t->subnets = calloc(n, sizeof *t->subnets);
    if (!t->subnets) {
        where_sec(&w, ld, sec, "tenant \"%s\"", t->name);
        return report(&w, ENOMEM, NULL, 0, "out of memory");
    }
    for (unsigned i = 0; i < n; i++) {
        cfg_t *ss = cfg_getnsec(sec, "subnet", i);
        struct config_subnet *sn = &t->subnets[i];
        const char *s;
        long v = 0;
        int ret;

        where_sec(&w, ld, ss, "tenant \"%s\" subnet \"%s\"", t->name, cfg_title(ss));
        t->n_subnets++;
        sn->line = w.line;
        if ((ret = check_name(&w, ss)) != 0) {
            return ret;
        }
        snprintf(sn->name, sizeof sn->name, "%s", cfg_title(ss));
        if ((ret = get_int(&w, "vsid", CONFIG_VSID_MIN, CONFIG_VSID_MAX, &v)) != 0) {
            return ret;
        }
        sn->vsid = (uint32_t)v;
        if ((ret = get_str(&w, "prefix", true, &s)) != 0 ||
            (ret = parse_prefix4(&w, "prefix", 0, s, true, &sn->prefix)) != 0) {
            return ret;
        }
        if (sn->prefix.plen > 30) {
            return report(&w, EINVAL, "prefix", 0,
                          "/%u leaves no room for a gateway and VMs (at most /30)",
                          sn->prefix.plen);
        }
        if ((ret = get_str(&w, "gateway_ip", true, &s)) != 0 ||
            (ret = parse_ip4(&w, "gateway_ip", 0, s, &sn->gateway_ip)) != 0) {
            return ret;
        }
        if (!hnvgw_prefix_contains(&sn->prefix, &sn->gateway_ip) ||
            is_net_or_bcast(&sn->prefix, &sn->gateway_ip)) {
            return report(&w, EINVAL, "gateway_ip", 0, "%s is not a host address of %s", s,
                          hnvgw_prefix_format(&sn->prefix, p));
        }
        if ((ret = get_str(&w, "gateway_mac", true, &s)) != 0 ||
            (ret = parse_mac(&w, "gateway_mac", 0, s, &sn->gateway_mac)) != 0) {
            return ret;
        }
        for (unsigned k = 0; k < i; k++) {
            if (hnvgw_prefix_overlaps(&t->subnets[k].prefix, &sn->prefix)) {
                return report(&w, EINVAL, "prefix", 0,
                              "%s overlaps subnet \"%s\" (%s) of the same tenant, line %d",
                              hnvgw_prefix_format(&sn->prefix, p), t->subnets[k].name,
                              hnvgw_prefix_format(&t->subnets[k].prefix, b), t->subnets[k].line);
            }
        }
    }
    return 0;
}

/* Every tenant with its subnets and forward prefixes (external routes come after the ports). */
static int
load_tenants(struct loader *ld)
{
    struct hnvgw_config *cfg = ld->cfg;
    unsigned n = cfg_size(ld->root, "tenant");
    char b[HNVGW_PFX_STRLEN];
    struct where w;

    cfg->tenants = calloc(n ? n : 1, sizeof *cfg->tenants);
    if (!cfg->tenants) {
        where_line(&w, ld, ld->path, 0, "tenant");
        return report(&w, ENOMEM, NULL, 0, "out of memory");
    }
    for (unsigned i = 0; i < n; i++) {
        cfg_t *sec = cfg_getnsec(ld->root, "tenant", i);
        struct config_tenant *t = &cfg->tenants[i];
        unsigned nf = cfg_size(sec, "forward_prefixes");
        long id = 0;
        int ret;

        where_sec(&w, ld, sec, "tenant \"%s\"", cfg_title(sec));
        cfg->n_tenants++;
        t->line = w.line;
        if ((ret = check_name(&w, sec)) != 0) {
            return ret;
        }
        snprintf(t->name, sizeof t->name, "%s", cfg_title(sec));
        if ((ret = get_int(&w, "id", 1, TENANT_ID_MAX, &id)) != 0) {
            return ret;
        }
        if (ld->by_id[id]) {
            const struct config_tenant *o = ld->by_id[id];
            return report(&w, EINVAL, "id", 0, "%ld is already the id of tenant \"%s\", line %d",
                          id, o->name, o->line);
        }
        ld->by_id[id] = t;
        t->id = (uint32_t)id;
        if ((ret = load_subnets(ld, sec, t)) != 0) {
            return ret;
        }
        t->forward_prefixes = calloc(nf ? nf : 1, sizeof *t->forward_prefixes);
        if (!t->forward_prefixes) {
            return report(&w, ENOMEM, NULL, 0, "out of memory");
        }
        for (unsigned k = 0; k < nf; k++) {
            struct hnvgw_prefix *fp = &t->forward_prefixes[k];
            const char *s = cfg_getnstr(sec, "forward_prefixes", k);
            if ((ret = parse_prefix4(&w, "forward_prefixes", k, s, true, fp)) != 0) {
                return ret;
            }
            for (unsigned j = 0; j < k; j++) {
                if (!memcmp(&t->forward_prefixes[j], fp, sizeof *fp)) {
                    return report(&w, EINVAL, "forward_prefixes", k, "%s is listed twice",
                                  hnvgw_prefix_format(fp, b));
                }
            }
            t->n_forward_prefixes++;
        }
    }
    return 0;
}

static int
vsid_ref_cmp(const void *a_, const void *b_)
{
    const struct vsid_ref *a = a_, *b = b_;

    if (a->vsid != b->vsid) {
        return a->vsid < b->vsid ? -1 : 1;
    }
    if (a->tenant != b->tenant) {
        return a->tenant < b->tenant ? -1 : 1;
    }
    return (a->subnet > b->subnet) - (a->subnet < b->subnet);
}

/* Builds the VSID index and refuses a VSID used by two subnets (of any tenants). */
static int
index_vsids(struct loader *ld)
{
    const struct hnvgw_config *cfg = ld->cfg;
    size_t n = 0;
    struct where w;

    for (size_t i = 0; i < cfg->n_tenants; i++) {
        n += cfg->tenants[i].n_subnets;
    }
    ld->vsids = calloc(n ? n : 1, sizeof *ld->vsids);
    if (!ld->vsids) {
        where_line(&w, ld, ld->path, 0, "tenant");
        return report(&w, ENOMEM, NULL, 0, "out of memory");
    }
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        for (size_t j = 0; j < cfg->tenants[i].n_subnets; j++) {
            ld->vsids[ld->n_vsids++] = (struct vsid_ref){.vsid = cfg->tenants[i].subnets[j].vsid,
                                                         .tenant = (uint32_t)i,
                                                         .subnet = (uint32_t)j};
        }
    }
    qsort(ld->vsids, n, sizeof *ld->vsids, vsid_ref_cmp);
    for (size_t i = 1; i < n; i++) {
        const struct vsid_ref *a = &ld->vsids[i - 1], *b = &ld->vsids[i];
        if (a->vsid == b->vsid) {
            const struct config_tenant *ta = &cfg->tenants[a->tenant];
            const struct config_tenant *tb = &cfg->tenants[b->tenant];
            cfg_t *tsec = cfg_getnsec(ld->root, "tenant", b->tenant);
            cfg_t *ssec = cfg_getnsec(tsec, "subnet", b->subnet);
            where_sec(&w, ld, ssec, "tenant \"%s\" subnet \"%s\"", tb->name,
                      tb->subnets[b->subnet].name);
            return report(&w, EINVAL, "vsid", 0,
                          "%u is already used by tenant \"%s\" subnet \"%s\", line %d "
                          "(VSIDs are unique across all tenants)",
                          b->vsid, ta->name, ta->subnets[a->subnet].name,
                          ta->subnets[a->subnet].line);
        }
    }
    if (n > cfg->max_subnets) {
        cfg_t *node = cfg_getnsec(ld->root, "node", 0);
        where_sec(&w, ld, node, "node");
        return report(&w, EINVAL, "max_subnets", 0, "%zu subnets do not fit in %u", n,
                      cfg->max_subnets);
    }
    return 0;
}

/* Refuses forward prefixes of two tenants that overlap: the external port could not tell which
 * tenant a packet is for. */
static int
check_forward_overlaps(struct loader *ld)
{
    const struct hnvgw_config *cfg = ld->cfg;
    char a[HNVGW_PFX_STRLEN], b[HNVGW_PFX_STRLEN];
    struct where w;

    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const struct config_tenant *t = &cfg->tenants[i];
        for (size_t j = 0; j < t->n_forward_prefixes; j++) {
            for (size_t k = 0; k < i; k++) {
                const struct config_tenant *o = &cfg->tenants[k];
                for (size_t m = 0; m < o->n_forward_prefixes; m++) {
                    if (!hnvgw_prefix_overlaps(&t->forward_prefixes[j], &o->forward_prefixes[m])) {
                        continue;
                    }
                    where_sec(&w, ld, cfg_getnsec(ld->root, "tenant", (unsigned)i), "tenant \"%s\"",
                              t->name);
                    return report(&w, EINVAL, "forward_prefixes", (unsigned)j,
                                  "%s overlaps %s of tenant \"%s\", line %d",
                                  hnvgw_prefix_format(&t->forward_prefixes[j], a),
                                  hnvgw_prefix_format(&o->forward_prefixes[m], b), o->name,
                                  o->line);
                }
            }
        }
    }
    return 0;
}

/* The keys of a provider or external port: its address, gateway and static neighbors. */
static int
load_port_l3(struct loader *ld, const struct where *w, struct config_port *p)
{
    char b[HNVGW_IP_STRLEN], pb[HNVGW_PFX_STRLEN];
    unsigned n;
    const char *s;
    int ret;

    (void)ld;
    if ((ret = forbid(w, "vsid", "on a provider or external port")) != 0 ||
        (ret = forbid(w, "ca", "on a provider or external port")) != 0 ||
        (ret = get_str(w, "address", true, &s)) != 0 ||
        (ret = parse_prefix4(w, "address", 0, s, false, &p->address)) != 0) {
        return ret;
    }
    if (p->address.plen == 0 || !is_unicast4(&p->address.addr) ||
        is_net_or_bcast(&p->address, &p->address.addr)) {
        return report(w, EINVAL, "address", 0,
                      "'%s' is not a host address with its prefix length, e.g. 10.0.0.1/24", s);
    }
    p->has_address = true;
    if ((ret = get_str(w, "gateway", false, &s)) != 0) {
        return ret;
    }
    if (s) {
        if ((ret = parse_ip4(w, "gateway", 0, s, &p->gateway)) != 0) {
            return ret;
        }
        if (!hnvgw_prefix_contains(&p->address, &p->gateway) ||
            hnvgw_ip_equal(&p->gateway, &p->address.addr) ||
            is_net_or_bcast(&p->address, &p->gateway)) {
            return report(w, EINVAL, "gateway", 0, "%s is not another host of %s", s,
                          hnvgw_prefix_format(&p->address, pb));
        }
        p->has_gateway = true;
    }
    n = cfg_size(w->sec, "static_neighbors");
    p->static_neighbors = calloc(n ? n : 1, sizeof *p->static_neighbors);
    if (!p->static_neighbors) {
        return report(w, ENOMEM, NULL, 0, "out of memory");
    }
    for (unsigned i = 0; i < n; i++) {
        struct config_neighbor *nb = &p->static_neighbors[i];
        char ip[64];
        const char *eq;

        s = cfg_getnstr(w->sec, "static_neighbors", i);
        eq = strchr(s, '=');
        if (!eq || (size_t)(eq - s) >= sizeof ip) {
            return report(w, EINVAL, "static_neighbors", i, "'%s' is not IP=MAC", s);
        }
        memcpy(ip, s, eq - s);
        ip[eq - s] = '\0';
        if ((ret = parse_ip4(w, "static_neighbors", i, ip, &nb->ip)) != 0 ||
            (ret = parse_mac(w, "static_neighbors", i, eq + 1, &nb->mac)) != 0) {
            return ret;
        }
        if (!hnvgw_prefix_contains(&p->address, &nb->ip) ||
            hnvgw_ip_equal(&nb->ip, &p->address.addr)) {
            return report(w, EINVAL, "static_neighbors", i, "%s is not another host of %s", ip,
                          hnvgw_prefix_format(&p->address, pb));
        }
        for (unsigned k = 0; k < i; k++) {
            if (hnvgw_ip_equal(&p->static_neighbors[k].ip, &nb->ip)) {
                return report(w, EINVAL, "static_neighbors", i, "%s is listed twice",
                              hnvgw_ip_format(&nb->ip, b));
            }
        }
        p->n_static_neighbors++;
    }
    return 0;
}

/* The keys of a vm port: the VM's VSID and CA. */
static int
load_port_vm(struct loader *ld, const struct checker *ck, const struct where *w,
             struct config_port *p)
{
    const struct config_tenant *t;
    const struct config_subnet *sn;
    const char *s;
    long v = 0;
    int ret;

    if (!(ld->cfg->roles & CONFIG_ROLE_HOST)) {
        return report(w, EINVAL, "kind", 0, "vm ports need \"host\" in node roles");
    }
    if ((ret = forbid(w, "address", "on a vm port (the VM's address is 'ca')")) != 0 ||
        (ret = forbid(w, "gateway", "on a vm port")) != 0 ||
        (ret = forbid(w, "static_neighbors", "on a vm port")) != 0 ||
        (ret = get_int(w, "vsid", CONFIG_VSID_MIN, CONFIG_VSID_MAX, &v)) != 0) {
        return ret;
    }
    p->vsid = (uint32_t)v;
    if ((ret = check_vsid(ck, w, p->vsid, &t, &sn)) != 0 ||
        (ret = get_str(w, "ca", true, &s)) != 0 || (ret = parse_ip4(w, "ca", 0, s, &p->ca)) != 0 ||
        (ret = check_ca(w, "ca", sn, &p->ca)) != 0) {
        return ret;
    }
    return 0;
}

/* Every port. Needs the node (roles) and the VSID index. */
static int
load_ports(struct loader *ld)
{
    struct hnvgw_config *cfg = ld->cfg;
    struct checker ck = {.cfg = cfg, .vsids = ld->vsids, .n_vsids = ld->n_vsids};
    unsigned n = cfg_size(ld->root, "port");
    struct where w;

    if (n == 0) {
        where_line(&w, ld, ld->path, 0, "");
        return report(&w, EINVAL, "port", 0, "at least one port is required");
    }
    if (n > PORTS_MAX) {
        cfg_t *sec = cfg_getnsec(ld->root, "port", PORTS_MAX);
        where_sec(&w, ld, sec, "port \"%s\"", cfg_title(sec));
        return report(&w, EINVAL, NULL, 0, "more than %d ports", PORTS_MAX);
    }
    cfg->ports = calloc(n, sizeof *cfg->ports);
    if (!cfg->ports) {
        where_line(&w, ld, ld->path, 0, "port");
        return report(&w, ENOMEM, NULL, 0, "out of memory");
    }
    for (unsigned i = 0; i < n; i++) {
        cfg_t *sec = cfg_getnsec(ld->root, "port", i);
        struct config_port *p = &cfg->ports[i];
        const char *s;
        unsigned kind = 0;
        long v = 0;
        int ret;

        where_sec(&w, ld, sec, "port \"%s\"", cfg_title(sec));
        cfg->n_ports++;
        p->line = w.line;
        if ((ret = check_name(&w, sec)) != 0) {
            return ret;
        }
        snprintf(p->name, sizeof p->name, "%s", cfg_title(sec));
        if ((ret = get_str(&w, "kind", true, &s)) != 0 ||
            (ret = parse_enum(&w, "kind", 0, s, kind_keys, 3, &kind)) != 0) {
            return ret;
        }
        p->kind = (enum config_port_kind)kind;
        if ((ret = get_str(&w, "devargs", true, &s)) != 0) {
            return ret;
        }
        if (!s[0] || strlen(s) >= sizeof p->devargs) {
            return report(&w, EINVAL, "devargs", 0, "must be 1..%zu characters",
                          sizeof p->devargs - 1);
        }
        snprintf(p->devargs, sizeof p->devargs, "%s", s);
        for (unsigned k = 0; k < i; k++) {
            const struct config_port *o = &cfg->ports[k];
            if (!strcmp(o->devargs, p->devargs)) {
                return report(&w, EINVAL, "devargs", 0, "already used by port \"%s\", line %d",
                              o->name, o->line);
            }
            if (p->kind != CONFIG_PORT_VM && o->kind == p->kind) {
                return report(&w, EINVAL, "kind", 0,
                              "only one %s port is allowed; port \"%s\" (line %d) is one",
                              kind_keys[kind], o->name, o->line);
            }
        }
        if ((ret = get_str(&w, "mac", true, &s)) != 0 ||
            (ret = parse_mac(&w, "mac", 0, s, &p->mac)) != 0 ||
            (ret = get_int(&w, "vlan", 0, 4094, &v)) != 0) {
            return ret;
        }
        p->vlan = (uint16_t)v;
        if ((ret = get_int(&w, "mtu", 576, 9000, &v)) != 0) {
            return ret;
        }
        p->mtu = (uint16_t)v;
        ret = p->kind == CONFIG_PORT_VM ? load_port_vm(ld, &ck, &w, p) : load_port_l3(ld, &w, p);
        if (ret) {
            return ret;
        }
        if (p->kind == CONFIG_PORT_PROVIDER) {
            ld->provider = p;
        } else if (p->kind == CONFIG_PORT_EXTERNAL) {
            ld->external = p;
        }
        for (unsigned k = 0; p->kind == CONFIG_PORT_VM && k < i; k++) {
            const struct config_port *o = &cfg->ports[k];
            if (o->kind == CONFIG_PORT_VM && o->vsid == p->vsid && hnvgw_ip_equal(&o->ca, &p->ca)) {
                char b[HNVGW_IP_STRLEN];
                return report(&w, EINVAL, "ca", 0, "vsid %u ca %s is already port \"%s\", line %d",
                              p->vsid, hnvgw_ip_format(&p->ca, b), o->name, o->line);
            }
        }
    }
    return 0;
}

/* Provider addresses against the provider port. */
static int
check_pas(struct loader *ld)
{
    const struct hnvgw_config *cfg = ld->cfg;
    char b[HNVGW_IP_STRLEN], p[HNVGW_PFX_STRLEN];
    struct where w;

    where_sec(&w, ld, cfg_getnsec(ld->root, "node", 0), "node");
    if (ld->provider && cfg->n_pas == 0) {
        return report(&w, EINVAL, "provider_addresses", 0,
                      "is required: port \"%s\" is a provider port", ld->provider->name);
    }
    if (!ld->provider && cfg->n_pas) {
        return report(&w, EINVAL, "provider_addresses", 0, "set, but there is no provider port");
    }
    for (size_t i = 0; i < cfg->n_pas; i++) {
        if (!hnvgw_prefix_contains(&ld->provider->address, &cfg->pas[i])) {
            return report(&w, EINVAL, "provider_addresses", (unsigned)i,
                          "%s is not inside %s of provider port \"%s\"",
                          hnvgw_ip_format(&cfg->pas[i], b),
                          hnvgw_prefix_format(&ld->provider->address, p), ld->provider->name);
        }
    }
    return 0;
}

/* External routes and forward prefixes of every tenant. Needs the ports. */
static int
load_ext_routes(struct loader *ld)
{
    const struct config_port *ext = ld->external;
    char b[HNVGW_IP_STRLEN], p[HNVGW_PFX_STRLEN];
    struct where w;

    for (size_t i = 0; i < ld->cfg->n_tenants; i++) {
        struct config_tenant *t = &ld->cfg->tenants[i];
        cfg_t *sec = cfg_getnsec(ld->root, "tenant", (unsigned)i);
        unsigned n = cfg_size(sec, "external_route");

        if (t->n_forward_prefixes && !ext) {
            where_sec(&w, ld, sec, "tenant \"%s\"", t->name);
            return report(&w, EINVAL, "forward_prefixes", 0,
                          "there is no external port to forward from");
        }
        t->ext_routes = calloc(n ? n : 1, sizeof *t->ext_routes);
        if (!t->ext_routes) {
            where_sec(&w, ld, sec, "tenant \"%s\"", t->name);
            return report(&w, ENOMEM, NULL, 0, "out of memory");
        }
        for (unsigned k = 0; k < n; k++) {
            cfg_t *rs = cfg_getnsec(sec, "external_route", k);
            struct config_external_route *r = &t->ext_routes[k];
            const char *s;
            int ret;

            where_sec(&w, ld, rs, "tenant \"%s\" external_route", t->name);
            t->n_ext_routes++;
            r->line = w.line;
            if (!ext) {
                return report(&w, EINVAL, NULL, 0, "there is no external port");
            }
            if ((ret = get_str(&w, "prefix", true, &s)) != 0 ||
                (ret = parse_prefix4(&w, "prefix", 0, s, true, &r->prefix)) != 0 ||
                (ret = get_str(&w, "next_hop", true, &s)) != 0 ||
                (ret = parse_ip4(&w, "next_hop", 0, s, &r->next_hop)) != 0 ||
                (ret = get_u32(&w, "metric", 0, UINT32_MAX, &r->metric)) != 0) {
                return ret;
            }
            r->on_link = hnvgw_ip_is_zero(&r->next_hop);
            if (!r->on_link && (!hnvgw_prefix_contains(&ext->address, &r->next_hop) ||
                                hnvgw_ip_equal(&r->next_hop, &ext->address.addr))) {
                return report(&w, EINVAL, "next_hop", 0,
                              "%s is not another host of %s of external port \"%s\" "
                              "(0.0.0.0 means on-link)",
                              s, hnvgw_prefix_format(&ext->address, p), ext->name);
            }
            for (unsigned j = 0; j < k; j++) {
                const struct config_external_route *o = &t->ext_routes[j];
                if (!memcmp(&o->prefix, &r->prefix, sizeof r->prefix) &&
                    hnvgw_ip_equal(&o->next_hop, &r->next_hop)) {
                    return report(&w, EINVAL, "prefix", 0,
                                  "route to %s via %s is already at line %d",
                                  hnvgw_prefix_format(&r->prefix, p),
                                  hnvgw_ip_format(&r->next_hop, b), o->line);
                }
            }
        }
    }
    return 0;
}

/* ---- NAT44 ---- */

/* Parses 's', "A-B" with 1 <= A <= B <= 65535, into '*lo' and '*hi'. */
static int
parse_port_range(const struct where *w, const char *field, const char *s, uint16_t *lo,
                 uint16_t *hi)
{
    unsigned long a = 0, b = 0;
    char *end = NULL;

    if (isdigit((unsigned char)s[0])) {
        a = strtoul(s, &end, 10);
        if (*end == '-' && isdigit((unsigned char)end[1])) {
            b = strtoul(end + 1, &end, 10);
        } else {
            end = NULL;
        }
    }
    if (!end || *end || a < 1 || a > b || b > 65535) {
        return report(w, EINVAL, field, 0, "'%s' is not a port range A-B with 1 <= A <= B <= 65535",
                      s);
    }
    *lo = (uint16_t)a;
    *hi = (uint16_t)b;
    return 0;
}

/* Parses 's', "ADDRESS:PORT" with an IPv4 address and a port 1..65535, into '*ip' and '*port'. */
static int
parse_ip4_port(const struct where *w, const char *field, const char *s, struct hnvgw_ip *ip,
               uint16_t *port)
{
    const char *colon = strrchr(s, ':');
    unsigned long v = 0;
    char addr[64], *end = NULL;

    if (!colon || colon == s || (size_t)(colon - s) >= sizeof addr ||
        !isdigit((unsigned char)colon[1])) {
        return report(w, EINVAL, field, 0, "'%s' is not ADDRESS:PORT, e.g. 198.18.0.10:8080", s);
    }
    memcpy(addr, s, colon - s);
    addr[colon - s] = '\0';
    v = strtoul(colon + 1, &end, 10);
    if (*end) {
        return report(w, EINVAL, field, 0, "'%s' is not ADDRESS:PORT, e.g. 198.18.0.10:8080", s);
    }
    if (v < 1 || v > 65535) {
        return report(w, EINVAL, field, 0, "port '%s' of '%s' is out of range 1..65535", colon + 1,
                      s);
    }
    *port = (uint16_t)v;
    return parse_ip4(w, field, 0, addr, ip);
}

/* True when list key 'key' of 'sec' is written in the file, even as an empty list. */
static bool
list_given(cfg_t *sec, const char *key)
{
    cfg_opt_t *opt = find_opt(sec, key);

    return opt && (opt->flags & CFGF_MODIFIED);
}

/* Reads list key 'key' of 'w->sec', 1..'max' canonical IPv4 prefixes each listed once, into a new
 * array '*out' of '*n' (both zeroed first; the caller owns the array even on error). */
static int
get_prefix_list(const struct where *w, const char *key, size_t max, struct hnvgw_prefix **out,
                size_t *n)
{
    unsigned cnt = cfg_size(w->sec, key);
    char b[HNVGW_PFX_STRLEN];
    int ret;

    *out = NULL;
    *n = 0;
    if (cnt == 0) {
        return report(w, EINVAL, key, 0, "must list at least one prefix");
    }
    if (cnt > max) {
        return report(w, EINVAL, key, (unsigned)max, "more than %zu prefixes", max);
    }
    *out = calloc(cnt, sizeof **out);
    if (!*out) {
        return report(w, ENOMEM, key, 0, "out of memory");
    }
    for (unsigned i = 0; i < cnt; i++) {
        struct hnvgw_prefix *p = &(*out)[i];

        if ((ret = parse_prefix4(w, key, i, cfg_getnstr(w->sec, key, i), true, p)) != 0) {
            return ret;
        }
        for (unsigned k = 0; k < i; k++) {
            if (!memcmp(&(*out)[k], p, sizeof *p)) {
                return report(w, EINVAL, key, i, "%s is listed twice", hnvgw_prefix_format(p, b));
            }
        }
        ++*n;
    }
    return 0;
}

/* True when 'ip' is one of the public addresses of 'nat'. */
static bool
nat_has_public(const struct config_nat *nat, const struct hnvgw_ip *ip)
{
    for (size_t i = 0; i < nat->n_public_ips; i++) {
        if (hnvgw_ip_equal(&nat->public_ips[i], ip)) {
            return true;
        }
    }
    return false;
}

/* True when 'ip' lies inside one of the inside prefixes of 'nat'. */
static bool
nat_is_inside(const struct config_nat *nat, const struct hnvgw_ip *ip)
{
    for (size_t i = 0; i < nat->n_inside_prefixes; i++) {
        if (hnvgw_prefix_contains(&nat->inside_prefixes[i], ip)) {
            return true;
        }
    }
    return false;
}

static const char *
nat_protocol_name(uint8_t protocol)
{
    return protocol_keys[protocol == IPPROTO_UDP];
}

/* Checks public address 'ip', element 'idx' of public_addresses: unicast, not an address of this
 * node's ports or provider addresses, and outside every tenant's forward prefixes. */
static int
check_public_ip(const struct loader *ld, const struct where *w, unsigned idx,
                const struct hnvgw_ip *ip)
{
    const struct hnvgw_config *cfg = ld->cfg;
    char b[HNVGW_IP_STRLEN], p[HNVGW_PFX_STRLEN];

    hnvgw_ip_format(ip, b);
    if (!is_unicast4(ip)) {
        return report(w, EINVAL, "public_addresses", idx, "%s is not a unicast address", b);
    }
    for (size_t i = 0; i < cfg->n_ports; i++) {
        const struct config_port *port = &cfg->ports[i];
        if (port->has_address && hnvgw_ip_equal(&port->address.addr, ip)) {
            return report(w, EINVAL, "public_addresses", idx, "%s is the address of port \"%s\"", b,
                          port->name);
        }
    }
    if (config_is_my_pa(cfg, ip)) {
        return report(w, EINVAL, "public_addresses", idx, "%s is a provider address of this node",
                      b);
    }
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const struct config_tenant *o = &cfg->tenants[i];
        for (size_t k = 0; k < o->n_forward_prefixes; k++) {
            if (hnvgw_prefix_contains(&o->forward_prefixes[k], ip)) {
                return report(w, EINVAL, "public_addresses", idx,
                              "%s is inside forward prefix %s of tenant \"%s\", line %d", b,
                              hnvgw_prefix_format(&o->forward_prefixes[k], p), o->name, o->line);
            }
        }
    }
    return 0;
}

/* The keys of nat section 'w->sec' of tenant 't' that are single values. Needs the external
 * port and the node. */
static int
load_nat_keys(struct loader *ld, const struct where *w, const struct config_tenant *t,
              struct config_nat *nat)
{
    const struct config_port *ext = ld->external;
    uint32_t block = ld->cfg->nat_port_block;
    char b[HNVGW_IP_STRLEN], p[HNVGW_PFX_STRLEN];
    unsigned filtering = 0, log = 0, n;
    const char *s;
    int ret;

    n = cfg_size(w->sec, "public_addresses");
    if (n == 0) {
        return report(w, EINVAL, "public_addresses", 0, "is required: 1..%d IPv4 addresses",
                      CONFIG_NAT_PUBLIC_MAX);
    }
    if (n > CONFIG_NAT_PUBLIC_MAX) {
        return report(w, EINVAL, "public_addresses", CONFIG_NAT_PUBLIC_MAX,
                      "more than %d addresses", CONFIG_NAT_PUBLIC_MAX);
    }
    for (unsigned i = 0; i < n; i++) {
        struct hnvgw_ip *ip = &nat->public_ips[i];

        if ((ret = parse_ip4(w, "public_addresses", i, cfg_getnstr(w->sec, "public_addresses", i),
                             ip)) != 0 ||
            (ret = check_public_ip(ld, w, i, ip)) != 0) {
            return ret;
        }
        if (nat_has_public(nat, ip)) {
            return report(w, EINVAL, "public_addresses", i, "%s is listed twice",
                          hnvgw_ip_format(ip, b));
        }
        nat->n_public_ips++;
    }

    if ((ret = get_str(w, "ports", true, &s)) != 0 ||
        (ret = parse_port_range(w, "ports", s, &nat->port_min, &nat->port_max)) != 0) {
        return ret;
    }
    if (nat->port_min % block || (nat->port_max + 1u) % block) {
        uint32_t lo = (nat->port_min + block - 1) / block * block;
        uint32_t hi = (nat->port_max + 1u) / block * block;
        char hint[48] = "";

        if (lo < hi) {
            snprintf(hint, sizeof hint, ", e.g. %u-%u", lo, hi - 1);
        }
        return report(w, EINVAL, "ports", 0,
                      "'%s' must start and end on a port-block boundary (nat_port_block = %u%s)", s,
                      block, hint);
    }

    if (list_given(w->sec, "inside_prefixes")) {
        ret = get_prefix_list(w, "inside_prefixes", NAT_INSIDE_MAX, &nat->inside_prefixes,
                              &nat->n_inside_prefixes);
        if (ret) {
            return ret;
        }
    } else {
        /* The tenant's subnets: they never overlap, so there are no duplicates. */
        if (t->n_subnets > NAT_INSIDE_MAX) {
            return report(w, EINVAL, "inside_prefixes", 0,
                          "the default, the tenant's %zu subnet prefixes, is more than %d: list "
                          "the inside prefixes",
                          t->n_subnets, NAT_INSIDE_MAX);
        }
        nat->inside_prefixes = calloc(t->n_subnets, sizeof *nat->inside_prefixes);
        if (!nat->inside_prefixes) {
            return report(w, ENOMEM, NULL, 0, "out of memory");
        }
        for (size_t i = 0; i < t->n_subnets; i++) {
            nat->inside_prefixes[nat->n_inside_prefixes++] = t->subnets[i].prefix;
        }
    }

    if (list_given(w->sec, "destinations")) {
        ret =
            get_prefix_list(w, "destinations", SIZE_MAX, &nat->destinations, &nat->n_destinations);
        if (ret) {
            return ret;
        }
    } else {
        nat->destinations = calloc(1, sizeof *nat->destinations);
        if (!nat->destinations) {
            return report(w, ENOMEM, NULL, 0, "out of memory");
        }
        nat->destinations[0].addr = hnvgw_ip4(0);
        nat->n_destinations = 1;
    }

    if ((ret = get_str(w, "next_hop", false, &s)) != 0) {
        return ret;
    }
    if (s) {
        if ((ret = parse_ip4(w, "next_hop", 0, s, &nat->next_hop)) != 0) {
            return ret;
        }
        if (!hnvgw_prefix_contains(&ext->address, &nat->next_hop) ||
            hnvgw_ip_equal(&nat->next_hop, &ext->address.addr) ||
            is_net_or_bcast(&ext->address, &nat->next_hop)) {
            return report(w, EINVAL, "next_hop", 0,
                          "%s is not another host of %s of external port \"%s\"", s,
                          hnvgw_prefix_format(&ext->address, p), ext->name);
        }
        nat->has_next_hop = true;
    }

    if ((ret = parse_enum(w, "filtering", 0, cfg_getstr(w->sec, "filtering"), filtering_keys, 2,
                          &filtering)) != 0 ||
        (ret = parse_enum(w, "log", 0, cfg_getstr(w->sec, "log"), nat_log_keys, 3, &log)) != 0) {
        return ret;
    }
    nat->filtering = (enum config_nat_filtering)filtering;
    nat->log = (enum config_nat_log)log;
    if ((ret = get_u32(w, "max_sessions", 1, 16L << 20, &nat->max_sessions)) != 0 ||
        (ret = get_u32(w, "max_ports", 1, 16L << 20, &nat->max_ports)) != 0 ||
        (ret = get_u32(w, "tcp_established_timeout", 1, 604800, &nat->tcp_established_timeout)) !=
            0 ||
        (ret = get_u32(w, "tcp_transitory_timeout", 1, 86400, &nat->tcp_transitory_timeout)) != 0 ||
        (ret = get_u32(w, "udp_timeout", 1, 86400, &nat->udp_timeout)) != 0 ||
        (ret = get_u32(w, "icmp_timeout", 1, 86400, &nat->icmp_timeout)) != 0) {
        return ret;
    }
    return 0;
}

/* The static_mapping sections of nat section 'sec' of tenant 't', each checked against the
 * tenant's own NAT settings and its earlier mappings. */
static int
load_nat_statics(struct loader *ld, cfg_t *sec, const struct config_tenant *t,
                 struct config_nat *nat)
{
    unsigned n = cfg_size(sec, "static_mapping");
    char b[HNVGW_IP_STRLEN];
    struct where w;

    nat->statics = calloc(n ? n : 1, sizeof *nat->statics);
    if (!nat->statics) {
        where_sec(&w, ld, sec, "tenant \"%s\" nat", t->name);
        return report(&w, ENOMEM, NULL, 0, "out of memory");
    }
    for (unsigned j = 0; j < n; j++) {
        cfg_t *ss = cfg_getnsec(sec, "static_mapping", j);
        struct config_nat_static *st = &nat->statics[j];
        unsigned proto = 0;
        const char *s;
        int ret;

        where_sec(&w, ld, ss, "tenant \"%s\" nat static_mapping", t->name);
        nat->n_statics++;
        st->line = w.line;
        if ((ret = get_str(&w, "protocol", true, &s)) != 0 ||
            (ret = parse_enum(&w, "protocol", 0, s, protocol_keys, 2, &proto)) != 0) {
            return ret;
        }
        st->protocol = proto ? IPPROTO_UDP : IPPROTO_TCP;
        if ((ret = get_str(&w, "public", true, &s)) != 0 ||
            (ret = parse_ip4_port(&w, "public", s, &st->public_ip, &st->public_port)) != 0) {
            return ret;
        }
        if (!nat_has_public(nat, &st->public_ip)) {
            return report(&w, EINVAL, "public", 0, "%s is not one of the tenant's public_addresses",
                          hnvgw_ip_format(&st->public_ip, b));
        }
        if ((ret = get_str(&w, "inside", true, &s)) != 0 ||
            (ret = parse_ip4_port(&w, "inside", s, &st->inside_ip, &st->inside_port)) != 0) {
            return ret;
        }
        if (!nat_is_inside(nat, &st->inside_ip)) {
            return report(&w, EINVAL, "inside", 0, "%s is not inside the tenant's inside_prefixes",
                          hnvgw_ip_format(&st->inside_ip, b));
        }
        for (unsigned k = 0; k < j; k++) {
            const struct config_nat_static *o = &nat->statics[k];
            if (o->protocol == st->protocol && o->inside_port == st->inside_port &&
                hnvgw_ip_equal(&o->inside_ip, &st->inside_ip)) {
                return report(&w, EINVAL, "inside", 0,
                              "%s %s:%u already has the static_mapping at line %d",
                              nat_protocol_name(st->protocol), hnvgw_ip_format(&st->inside_ip, b),
                              st->inside_port, o->line);
            }
        }
    }
    return 0;
}

/* Finds the single 'name' section of tenant 'i' (nat, routing): '*sec' is NULL when there is
 * none, else 'w' is set to it. A second one is an error. */
static int
tenant_section(struct loader *ld, size_t i, const char *name, cfg_t **sec, struct where *w)
{
    const struct config_tenant *t = &ld->cfg->tenants[i];
    cfg_t *tsec = cfg_getnsec(ld->root, "tenant", (unsigned)i);
    unsigned n = cfg_size(tsec, name);

    *sec = n ? cfg_getnsec(tsec, name, 0) : NULL;
    if (n > 1) {
        where_sec(w, ld, cfg_getnsec(tsec, name, 1), "tenant \"%s\" %s", t->name, name);
        return report(w, EINVAL, NULL, 0, "defined twice (first at line %d)", section_line(*sec));
    }
    if (*sec) {
        where_sec(w, ld, *sec, "tenant \"%s\" %s", t->name, name);
    }
    return 0;
}

/* The nat section of every tenant that has one: its keys and static mappings, checked on their
 * own. Rules between tenants are check_nat_shared()'s. Needs the ports and the node. */
static int
load_nats(struct loader *ld)
{
    struct hnvgw_config *cfg = ld->cfg;
    struct where w;

    for (size_t i = 0; i < cfg->n_tenants; i++) {
        struct config_tenant *t = &cfg->tenants[i];
        cfg_t *sec;
        int ret = tenant_section(ld, i, "nat", &sec, &w);

        if (ret) {
            return ret;
        }
        if (!sec) {
            continue;
        }
        t->nat = calloc(1, sizeof *t->nat);
        if (!t->nat) {
            return report(&w, ENOMEM, NULL, 0, "out of memory");
        }
        t->nat->line = w.line;
        if (!(cfg->roles & CONFIG_ROLE_GATEWAY)) {
            return report(&w, EINVAL, NULL, 0, "NAT needs \"gateway\" in node roles");
        }
        if (!ld->external) {
            return report(&w, EINVAL, NULL, 0, "NAT needs an external port");
        }
        if ((ret = load_nat_keys(ld, &w, t, t->nat)) != 0 ||
            (ret = load_nat_statics(ld, sec, t, t->nat)) != 0) {
            return ret;
        }
    }
    return 0;
}

/* Rules between the NAT sections of different tenants: a public address shared only with
 * disjoint port ranges, static ports outside other tenants' ranges, one static mapping per
 * (protocol, public address, public port), and at most NAT_IPS_MAX public addresses in all.
 * Quadratic in the NAT tenants and in the static mappings, which are sections of the main file;
 * each is reported at the later of the two entries. */
static int
check_nat_shared(struct loader *ld)
{
    const struct hnvgw_config *cfg = ld->cfg;
    struct hnvgw_ip seen[NAT_IPS_MAX];
    char b[HNVGW_IP_STRLEN];
    size_t n_seen = 0;
    struct where w;

    for (size_t i = 0; i < cfg->n_tenants; i++) {
        const struct config_tenant *t = &cfg->tenants[i];
        const struct config_nat *nat = t->nat;
        cfg_t *tsec = cfg_getnsec(ld->root, "tenant", (unsigned)i), *sec;

        if (!nat) {
            continue;
        }
        sec = cfg_getnsec(tsec, "nat", 0);
        where_sec(&w, ld, sec, "tenant \"%s\" nat", t->name);
        for (size_t a = 0; a < nat->n_public_ips; a++) {
            const struct hnvgw_ip *ip = &nat->public_ips[a];
            size_t s = 0;

            while (s < n_seen && !hnvgw_ip_equal(&seen[s], ip)) {
                s++;
            }
            if (s == n_seen && n_seen == NAT_IPS_MAX) {
                return report(&w, EINVAL, "public_addresses", (unsigned)a,
                              "%s is more than the %d distinct public addresses a node supports",
                              hnvgw_ip_format(ip, b), NAT_IPS_MAX);
            }
            if (s == n_seen) {
                seen[n_seen++] = *ip;
            }
            for (size_t k = 0; k < i; k++) {
                const struct config_tenant *o = &cfg->tenants[k];
                if (o->nat && nat_has_public(o->nat, ip) && nat->port_min <= o->nat->port_max &&
                    o->nat->port_min <= nat->port_max) {
                    return report(&w, EINVAL, "public_addresses", (unsigned)a,
                                  "%s is also a public address of tenant \"%s\" (nat at line %d), "
                                  "and ports %u-%u overlap its ports %u-%u",
                                  hnvgw_ip_format(ip, b), o->name, o->nat->line, nat->port_min,
                                  nat->port_max, o->nat->port_min, o->nat->port_max);
                }
            }
        }
        for (size_t j = 0; j < nat->n_statics; j++) {
            const struct config_nat_static *st = &nat->statics[j];
            struct where ws;

            where_sec(&ws, ld, cfg_getnsec(sec, "static_mapping", (unsigned)j),
                      "tenant \"%s\" nat static_mapping", t->name);
            for (size_t k = 0; k < cfg->n_tenants; k++) {
                const struct config_tenant *o = &cfg->tenants[k];
                if (k == i || !o->nat || !nat_has_public(o->nat, &st->public_ip) ||
                    st->public_port < o->nat->port_min || st->public_port > o->nat->port_max) {
                    continue;
                }
                return report(&ws, EINVAL, "public", 0,
                              "port %u of %s is in the ports %u-%u of tenant \"%s\" (nat at line "
                              "%d) on that address",
                              st->public_port, hnvgw_ip_format(&st->public_ip, b), o->nat->port_min,
                              o->nat->port_max, o->name, o->nat->line);
            }
            for (size_t k = 0; k <= i; k++) {
                const struct config_tenant *o = &cfg->tenants[k];
                for (size_t m = 0; o->nat && m < (k == i ? j : o->nat->n_statics); m++) {
                    const struct config_nat_static *os = &o->nat->statics[m];
                    if (os->protocol != st->protocol || os->public_port != st->public_port ||
                        !hnvgw_ip_equal(&os->public_ip, &st->public_ip)) {
                        continue;
                    }
                    return report(&ws, EINVAL, "public", 0,
                                  "%s %s:%u is already mapped by tenant \"%s\" static_mapping at "
                                  "line %d",
                                  nat_protocol_name(st->protocol),
                                  hnvgw_ip_format(&st->public_ip, b), st->public_port, o->name,
                                  os->line);
                }
            }
        }
    }
    return 0;
}

/* Grows '*arr' (of '*cap' elements of 'size' bytes) to hold 'need' elements. */
static bool
grow(void **arr, size_t *cap, size_t need, size_t size)
{
    size_t cap2 = *cap ? *cap : 1024;
    void *p;

    if (need <= *cap) {
        return true;
    }
    while (cap2 < need) {
        cap2 *= 2;
    }
    p = realloc(*arr, cap2 * size);
    if (!p) {
        return false;
    }
    *arr = p;
    *cap = cap2;
    return true;
}

/* Resolves bulk file key 'key' (relative to the config's directory) into 'out'. Returns 0 with
 * out[0] == '\0' when the key is absent. */
static int
bulk_path(struct loader *ld, const char *key, char out[256])
{
    const char *s = cfg_size(ld->root, key) ? cfg_getstr(ld->root, key) : NULL;
    const char *slash = strrchr(ld->path, '/');
    struct where w;
    int n;

    out[0] = '\0';
    if (!s) {
        return 0;
    }
    where_sec(&w, ld, ld->root, "%s", "");
    w.line = key_line(ld, ld->root, key, 0);
    if (s[0] == '/' || !slash) {
        n = snprintf(out, 256, "%s", s);
    } else {
        n = snprintf(out, 256, "%.*s/%s", (int)(slash - ld->path), ld->path, s);
    }
    if (!s[0] || n >= 256) {
        return report(&w, EINVAL, key, 0, "'%s' is not a path of at most 255 characters", s);
    }
    return 0;
}

/* Calls 'fn' on every non-empty, non-comment line of bulk file 'file' (named by root key 'key')
 * with its fields split at white space. */
static int
read_bulk(struct loader *ld, const char *key, const char *file,
          int (*fn)(struct loader *, const struct where *, char **, int))
{
    FILE *fp = fopen(file, "r");
    char *buf = NULL;
    size_t cap = 0;
    int lineno = 0, ret = 0;
    struct where w;

    if (!fp) {
        int e = errno;
        where_sec(&w, ld, ld->root, "%s", "");
        return report(&w, e, key, 0, "cannot open %s: %s", file, strerror(e));
    }
    while (!ret && getline(&buf, &cap, fp) != -1) {
        char *f[8], *save = NULL, *hash = strchr(buf, '#');
        int n = 0;

        lineno++;
        if (hash) {
            *hash = '\0';
        }
        for (char *t = strtok_r(buf, " \t\r\n", &save); t; t = strtok_r(NULL, " \t\r\n", &save)) {
            if (n < 8) {
                f[n] = t;
            }
            n++;
        }
        if (n) {
            where_line(&w, ld, file, lineno, key[0] == 'l' ? "lookup_record" : "customer_route");
            ret = fn(ld, &w, f, n);
        }
    }
    free(buf);
    fclose(fp);
    return ret;
}

/* One line of lookup_records_file: "vsid ca pa mac [rule [type]]". */
static int
bulk_lookup(struct loader *ld, const struct where *w, char **f, int n)
{
    struct hnvgw_config *cfg = ld->cfg;
    struct config_lookup *l;
    unsigned rule = 0, type = 0;
    int ret;

    if (n < 4 || n > 6) {
        return report(w, EINVAL, NULL, 0,
                      "expected 'vsid ca pa mac [rule [type]]', found %d fields", n);
    }
    if (!grow((void **)&cfg->lookups, &ld->cap_lookups, cfg->n_lookups + 1, sizeof *l)) {
        return report(w, ENOMEM, NULL, 0, "out of memory");
    }
    l = memset(&cfg->lookups[cfg->n_lookups], 0, sizeof *l);
    l->line = w->line;
    l->bulk = true;
    if ((ret = parse_u32(w, "vsid", f[0], &l->vsid)) != 0 ||
        (ret = parse_ip4(w, "ca", 0, f[1], &l->ca)) != 0 ||
        (ret = parse_ip4(w, "pa", 0, f[2], &l->pa)) != 0 ||
        (ret = parse_mac(w, "mac", 0, f[3], &l->mac)) != 0 ||
        (n > 4 && (ret = parse_enum(w, "rule", 0, f[4], rule_keys, 2, &rule)) != 0) ||
        (n > 5 && (ret = parse_enum(w, "type", 0, f[5], type_keys, 4, &type)) != 0)) {
        return ret;
    }
    l->rule = (enum config_lookup_rule)rule;
    l->type = (enum config_lookup_type)type;
    cfg->n_lookups++;
    return 0;
}

/* Returns the tenant named 'name', or NULL (binary search in the loader's name index). */
static const struct config_tenant *
tenant_by_name(const struct loader *ld, const char *name)
{
    size_t lo = 0, hi = ld->n_names;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ld->names[mid]->name, name);
        if (c == 0) {
            return ld->names[mid];
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

/* Fills the tenant part of route 'r' from tenant name 's'. */
static int
route_tenant(const struct loader *ld, const struct where *w, const char *s, struct config_route *r)
{
    const struct config_tenant *t = tenant_by_name(ld, s);

    if (!t) {
        return report(w, EINVAL, "tenant", 0, "'%s' is not a configured tenant", s);
    }
    r->tenant_id = t->id;
    return 0;
}

/* One line of customer_routes_file: "tenant vsid prefix next_hop [metric]". */
static int
bulk_route(struct loader *ld, const struct where *w, char **f, int n)
{
    struct hnvgw_config *cfg = ld->cfg;
    struct checker ck = {.cfg = cfg, .vsids = ld->vsids, .n_vsids = ld->n_vsids};
    struct config_route *r;
    int ret;

    if (n < 4 || n > 5) {
        return report(w, EINVAL, NULL, 0,
                      "expected 'tenant vsid prefix next_hop [metric]', found %d fields", n);
    }
    if (!grow((void **)&cfg->routes, &ld->cap_routes, cfg->n_routes + 1, sizeof *r)) {
        return report(w, ENOMEM, NULL, 0, "out of memory");
    }
    r = memset(&cfg->routes[cfg->n_routes], 0, sizeof *r);
    r->line = w->line;
    r->bulk = true;
    if ((ret = route_tenant(ld, w, f[0], r)) != 0 ||
        (ret = parse_u32(w, "vsid", f[1], &r->vsid)) != 0 ||
        (ret = parse_prefix4(w, "prefix", 0, f[2], true, &r->prefix)) != 0 ||
        (ret = parse_ip4(w, "next_hop", 0, f[3], &r->next_hop)) != 0 ||
        (n > 4 && (ret = parse_u32(w, "metric", f[4], &r->metric)) != 0)) {
        return ret;
    }
    r->on_link = hnvgw_ip_is_zero(&r->next_hop);
    cfg->n_routes++;
    return check_route_entry(&ck, r, w);
}

/* Checks bulk lookup record 'n_lookups - 1' once bulk_lookup() parsed it. */
static int
bulk_lookup_checked(struct loader *ld, const struct where *w, char **f, int n)
{
    struct checker ck = {.cfg = ld->cfg, .vsids = ld->vsids, .n_vsids = ld->n_vsids};
    int ret = bulk_lookup(ld, w, f, n);

    return ret ? ret : check_lookup_entry(&ck, &ld->cfg->lookups[ld->cfg->n_lookups - 1], w);
}

/* Reads the "vsid" key of a lookup record or customer route section (checked later). */
static int
get_vsid_raw(const struct where *w, uint32_t *vsid)
{
    long v = 0;
    int ret = get_int(w, "vsid", 0, UINT32_MAX, &v);

    if (ret && cfg_size(w->sec, "vsid")) {
        return report(w, EINVAL, "vsid", 0, "%ld is out of range %u..%u",
                      cfg_getint(w->sec, "vsid"), CONFIG_VSID_MIN, CONFIG_VSID_MAX);
    }
    *vsid = (uint32_t)v;
    return ret;
}

/* One lookup_record section. */
static int
load_lookup_section(struct loader *ld, const struct where *w, struct config_lookup *l)
{
    struct checker ck = {.cfg = ld->cfg, .vsids = ld->vsids, .n_vsids = ld->n_vsids};
    unsigned rule = 0, type = 0;
    const char *s;
    int ret;

    l->line = w->line;
    if ((ret = parse_enum(w, "rule", 0, cfg_getstr(w->sec, "rule"), rule_keys, 2, &rule)) != 0 ||
        (ret = parse_enum(w, "type", 0, cfg_getstr(w->sec, "type"), type_keys, 4, &type)) != 0 ||
        (ret = get_vsid_raw(w, &l->vsid)) != 0) {
        return ret;
    }
    l->rule = (enum config_lookup_rule)rule;
    l->type = (enum config_lookup_type)type;
    if ((ret = get_str(w, "ca", !is_wildcard_type(l->type), &s)) != 0 ||
        (ret = s ? parse_ip4(w, "ca", 0, s, &l->ca) : 0) != 0) {
        return ret;
    }
    if (!s) {
        l->ca = hnvgw_ip4(0);
    }
    if ((ret = get_str(w, "pa", true, &s)) != 0 || (ret = parse_ip4(w, "pa", 0, s, &l->pa)) != 0 ||
        (ret = get_str(w, "mac", true, &s)) != 0 ||
        (ret = parse_mac(w, "mac", 0, s, &l->mac)) != 0) {
        return ret;
    }
    return check_lookup_entry(&ck, l, w);
}

/* One customer_route section. */
static int
load_route_section(struct loader *ld, const struct where *w, struct config_route *r)
{
    struct checker ck = {.cfg = ld->cfg, .vsids = ld->vsids, .n_vsids = ld->n_vsids};
    const char *s;
    int ret;

    r->line = w->line;
    if ((ret = get_str(w, "tenant", true, &s)) != 0 || (ret = route_tenant(ld, w, s, r)) != 0 ||
        (ret = get_vsid_raw(w, &r->vsid)) != 0 || (ret = get_str(w, "prefix", true, &s)) != 0 ||
        (ret = parse_prefix4(w, "prefix", 0, s, true, &r->prefix)) != 0 ||
        (ret = get_str(w, "next_hop", true, &s)) != 0 ||
        (ret = parse_ip4(w, "next_hop", 0, s, &r->next_hop)) != 0 ||
        (ret = get_u32(w, "metric", 0, UINT32_MAX, &r->metric)) != 0) {
        return ret;
    }
    r->on_link = hnvgw_ip_is_zero(&r->next_hop);
    return check_route_entry(&ck, r, w);
}

/* Points 'w' at lookup record 'i' (or customer route, with 'routes') of the loaded config. */
static void
where_entry(struct where *w, const struct loader *ld, bool routes, size_t i)
{
    const struct hnvgw_config *cfg = ld->cfg;
    const char *key = routes ? "customer_route" : "lookup_record";
    bool bulk = routes ? cfg->routes[i].bulk : cfg->lookups[i].bulk;
    int line = routes ? cfg->routes[i].line : cfg->lookups[i].line;

    if (bulk) {
        where_line(w, ld, routes ? cfg->route_file : cfg->lookup_file, line, key);
    } else {
        where_sec(w, ld, cfg_getnsec(ld->root, key, (unsigned)i), "%s", key);
    }
}

/* Writes where entry 'i' is, as seen from entry 'from': ", first at line N" or ", first at
 * FILE:N" when they are in different files. */
static void
first_at(const struct loader *ld, bool routes, size_t i, size_t from, char *buf, size_t size)
{
    const struct hnvgw_config *cfg = ld->cfg;
    bool bulk = routes ? cfg->routes[i].bulk : cfg->lookups[i].bulk;
    bool from_bulk = routes ? cfg->routes[from].bulk : cfg->lookups[from].bulk;
    int line = routes ? cfg->routes[i].line : cfg->lookups[i].line;
    const char *file = !bulk ? cfg->path : routes ? cfg->route_file : cfg->lookup_file;

    if (bulk == from_bulk) {
        snprintf(buf, size, ", first at line %d", line);
    } else {
        snprintf(buf, size, ", first at %s:%d", file, line);
    }
}

/* Sort key of a lookup record or customer route, for finding duplicates. */
struct dup_key {
    uint64_t a, b; /* The entry's key. */
    size_t idx;    /* Its index: the first of equal keys is the one defined first. */
};

static int
dup_key_cmp(const void *x_, const void *y_)
{
    const struct dup_key *x = x_, *y = y_;

    if (x->a != y->a) {
        return x->a < y->a ? -1 : 1;
    }
    if (x->b != y->b) {
        return x->b < y->b ? -1 : 1;
    }
    return (x->idx > y->idx) - (x->idx < y->idx);
}

/* Sorts 'keys' and returns the index into 'keys' of the first entry whose key equals that of
 * its predecessor, or 0 when all keys differ. */
static size_t
find_dup(struct dup_key *keys, size_t n)
{
    qsort(keys, n, sizeof *keys, dup_key_cmp);
    for (size_t i = 1; i < n; i++) {
        if (keys[i].a == keys[i - 1].a && keys[i].b == keys[i - 1].b) {
            return i;
        }
    }
    return 0;
}

/* Lookup records from the file and from lookup_records_file, each checked, then duplicates. */
static int
load_lookups(struct loader *ld)
{
    struct hnvgw_config *cfg = ld->cfg;
    unsigned n = cfg_size(ld->root, "lookup_record");
    size_t vm_ports = 0, d;
    struct dup_key *keys;
    char at[300];
    struct where w;
    int ret;

    ld->cap_lookups = n ? n : 1;
    cfg->lookups = calloc(ld->cap_lookups, sizeof *cfg->lookups);
    if (!cfg->lookups) {
        where_line(&w, ld, ld->path, 0, "lookup_record");
        return report(&w, ENOMEM, NULL, 0, "out of memory");
    }
    for (unsigned i = 0; i < n; i++) {
        where_sec(&w, ld, cfg_getnsec(ld->root, "lookup_record", i), "lookup_record");
        cfg->n_lookups++;
        if ((ret = load_lookup_section(ld, &w, &cfg->lookups[i])) != 0) {
            return ret;
        }
    }
    if ((ret = bulk_path(ld, "lookup_records_file", cfg->lookup_file)) != 0 ||
        (cfg->lookup_file[0] && (ret = read_bulk(ld, "lookup_records_file", cfg->lookup_file,
                                                 bulk_lookup_checked)) != 0)) {
        return ret;
    }
    for (size_t i = 0; i < cfg->n_ports; i++) {
        vm_ports += cfg->ports[i].kind == CONFIG_PORT_VM;
    }
    if (cfg->n_lookups + vm_ports > cfg->max_lookups) {
        where_sec(&w, ld, cfg_getnsec(ld->root, "node", 0), "node");
        return report(&w, EINVAL, "max_lookup_records", 0,
                      "%zu lookup records (with %zu vm ports) do not fit in %u",
                      cfg->n_lookups + vm_ports, vm_ports, cfg->max_lookups);
    }
    if (cfg->n_lookups < 2) {
        return 0;
    }
    keys = malloc(cfg->n_lookups * sizeof *keys);
    if (!keys) {
        where_line(&w, ld, ld->path, 0, "lookup_record");
        return report(&w, ENOMEM, NULL, 0, "out of memory");
    }
    for (size_t i = 0; i < cfg->n_lookups; i++) {
        const struct config_lookup *l = &cfg->lookups[i];
        keys[i] = (struct dup_key){(uint64_t)l->vsid << 2 | lookup_class(l), lookup_key(l), i};
    }
    d = find_dup(keys, cfg->n_lookups);
    if (d) {
        size_t later = keys[d].idx, first = keys[d - 1].idx;
        first_at(ld, false, first, later, at, sizeof at);
        where_entry(&w, ld, false, later);
        ret = report_lookup_dup(&w, EINVAL, &cfg->lookups[later], at);
    }
    free(keys);
    return ret;
}

/* Customer routes from the file and from customer_routes_file, each checked, then duplicates. */
static int
load_routes(struct loader *ld)
{
    struct hnvgw_config *cfg = ld->cfg;
    unsigned n = cfg_size(ld->root, "customer_route");
    size_t fib = 0, d;
    struct dup_key *keys;
    char at[300], b[HNVGW_IP_STRLEN], p[HNVGW_PFX_STRLEN];
    struct where w;
    int ret;

    ld->cap_routes = n ? n : 1;
    cfg->routes = calloc(ld->cap_routes, sizeof *cfg->routes);
    if (!cfg->routes) {
        where_line(&w, ld, ld->path, 0, "customer_route");
        return report(&w, ENOMEM, NULL, 0, "out of memory");
    }
    for (unsigned i = 0; i < n; i++) {
        where_sec(&w, ld, cfg_getnsec(ld->root, "customer_route", i), "customer_route");
        cfg->n_routes++;
        if ((ret = load_route_section(ld, &w, &cfg->routes[i])) != 0) {
            return ret;
        }
    }
    if ((ret = bulk_path(ld, "customer_routes_file", cfg->route_file)) != 0 ||
        (cfg->route_file[0] &&
         (ret = read_bulk(ld, "customer_routes_file", cfg->route_file, bulk_route)) != 0)) {
        return ret;
    }
    /* The FIB also holds each subnet and its gateway address, external routes and forward
     * prefixes; this bound is what policy_routes() can ask for. */
    fib = cfg->n_routes;
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        fib += 2 * cfg->tenants[i].n_subnets + cfg->tenants[i].n_ext_routes +
               cfg->tenants[i].n_forward_prefixes;
    }
    if (fib > cfg->max_routes) {
        where_sec(&w, ld, cfg_getnsec(ld->root, "node", 0), "node");
        return report(&w, EINVAL, "max_routes", 0,
                      "up to %zu routes (%zu customer routes plus subnets, external routes and "
                      "forward prefixes) do not fit in %u",
                      fib, cfg->n_routes, cfg->max_routes);
    }
    if (cfg->n_routes < 2) {
        return 0;
    }
    keys = malloc(cfg->n_routes * sizeof *keys);
    if (!keys) {
        where_line(&w, ld, ld->path, 0, "customer_route");
        return report(&w, ENOMEM, NULL, 0, "out of memory");
    }
    for (size_t i = 0; i < cfg->n_routes; i++) {
        const struct config_route *r = &cfg->routes[i];
        keys[i] = (struct dup_key){(uint64_t)r->tenant_id << 40 |
                                       (uint64_t)ntohl(r->prefix.addr.v4) << 8 | r->prefix.plen,
                                   ntohl(r->next_hop.v4), i};
    }
    d = find_dup(keys, cfg->n_routes);
    if (d) {
        size_t later = keys[d].idx, first = keys[d - 1].idx;
        const struct config_route *r = &cfg->routes[later];
        first_at(ld, true, first, later, at, sizeof at);
        where_entry(&w, ld, true, later);
        ret = report(&w, EINVAL, "prefix", 0, "tenant \"%s\" already has a route to %s via %s%s",
                     ld->by_id[r->tenant_id]->name, hnvgw_prefix_format(&r->prefix, p),
                     hnvgw_ip_format(&r->next_hop, b), at);
    }
    free(keys);
    return ret;
}

static int
tenant_name_cmp(const void *a_, const void *b_)
{
    const struct config_tenant *const *a = a_, *const *b = b_;

    return strcmp((*a)->name, (*b)->name);
}

/* Indexes tenants by id and by name, for customer routes. */
static int
index_tenants(struct loader *ld)
{
    const struct hnvgw_config *cfg = ld->cfg;
    struct where w;

    ld->names = calloc(cfg->n_tenants ? cfg->n_tenants : 1, sizeof *ld->names);
    if (!ld->names) {
        where_line(&w, ld, ld->path, 0, "tenant");
        return report(&w, ENOMEM, NULL, 0, "out of memory");
    }
    for (size_t i = 0; i < cfg->n_tenants; i++) {
        ld->names[ld->n_names++] = &cfg->tenants[i];
    }
    qsort(ld->names, ld->n_names, sizeof *ld->names, tenant_name_cmp);
    return 0;
}

/* Refuses a scalar key given twice in one section (libconfuse would keep the last silently). */
static int
check_repeated_keys(struct loader *ld)
{
    for (size_t i = 1; i < ld->n_keys; i++) {
        const struct key_line *a = &ld->keys[i - 1], *b = &ld->keys[i];
        const cfg_opt_t *opt = (const cfg_opt_t *)b->opt;
        struct where w;

        if (a->opt == b->opt && a->idx == b->idx && !(opt->flags & CFGF_LIST)) {
            where_line(&w, ld, ld->path, b->line, "");
            context_of(b->grand, b->parent, b->sec, w.ctx, sizeof w.ctx);
            return report(&w, EINVAL, opt->name, 0, "set twice (first at line %d)", a->line);
        }
    }
    return 0;
}

#define ROUTING_EXTRA_MAX 16384 /* Bytes of a routing section's extra_config. */

/* The BGP neighbors of a routing section. */
static int
load_neighbors(struct loader *ld, cfg_t *sec, const struct config_tenant *t,
               struct config_routing *r)
{
    unsigned n = cfg_size(sec, "neighbor");
    struct where w;
    long v;
    int ret;

    if (n > CONFIG_BGP_NEIGHBORS_MAX) {
        where_sec(&w, ld, cfg_getnsec(sec, "neighbor", CONFIG_BGP_NEIGHBORS_MAX),
                  "tenant \"%s\" routing neighbor", t->name);
        return report(&w, EINVAL, NULL, 0, "more than %d neighbors", CONFIG_BGP_NEIGHBORS_MAX);
    }
    r->neighbors = calloc(n ? n : 1, sizeof *r->neighbors);
    if (!r->neighbors) {
        return ENOMEM;
    }
    for (unsigned i = 0; i < n; i++) {
        cfg_t *ns = cfg_getnsec(sec, "neighbor", i);
        struct config_bgp_neighbor *nb = &r->neighbors[i];
        const char *pw;

        where_sec(&w, ld, ns, "tenant \"%s\" routing neighbor \"%s\"", t->name, cfg_title(ns));
        nb->line = w.line;
        if ((ret = parse_ip4(&w, "neighbor", 0, cfg_title(ns), &nb->address)) != 0 ||
            (ret = get_u32(&w, "remote_as", 1, 4294967295L, &nb->remote_as)) != 0 ||
            (ret = get_int(&w, "keepalive", 1, 65535, &v)) != 0) {
            return ret;
        }
        nb->keepalive = (unsigned)v;
        if ((ret = get_int(&w, "hold", 0, 65535, &v)) != 0) {
            return ret;
        }
        nb->hold = (unsigned)v;
        if (nb->hold && (nb->hold < 3 || nb->hold < nb->keepalive)) {
            return report(&w, EINVAL, "hold", 0, "%u must be 0, or 3 or more and >= keepalive %u",
                          nb->hold, nb->keepalive);
        }
        nb->ebgp_multihop = cfg_getbool(ns, "ebgp_multihop");
        pw = cfg_getstr(ns, "password");
        if (strlen(pw) >= sizeof nb->password) {
            return report(&w, EINVAL, "password", 0, "longer than %zu characters",
                          sizeof nb->password - 1);
        }
        for (const char *c = pw; *c; c++) {
            if (*c <= ' ' || *c > '~' || *c == '"' || *c == '\'') {
                return report(&w, EINVAL, "password", 0,
                              "only printable characters without spaces or quotes");
            }
        }
        snprintf(nb->password, sizeof nb->password, "%s", pw);
        r->n_neighbors++;
    }
    return 0;
}

/* The "routing" sections: a tenant's FRR instance. */
static int
load_routings(struct loader *ld)
{
    struct hnvgw_config *cfg = ld->cfg;
    struct where w;

    for (size_t i = 0; i < cfg->n_tenants; i++) {
        struct config_tenant *t = &cfg->tenants[i];
        struct config_routing *r;
        const char *s;
        cfg_t *sec;
        long v;
        int ret = tenant_section(ld, i, "routing", &sec, &w);

        if (ret) {
            return ret;
        }
        if (!sec) {
            continue;
        }
        r = t->routing = calloc(1, sizeof *r);
        if (!r) {
            return report(&w, ENOMEM, NULL, 0, "out of memory");
        }
        r->line = w.line;
        if (!(cfg->roles & CONFIG_ROLE_GATEWAY)) {
            return report(&w, EINVAL, NULL, 0, "routing needs \"gateway\" in node roles");
        }
        if ((ret = get_u32(&w, "asn", 1, 4294967295L, &r->asn)) != 0 ||
            (ret = get_str(&w, "router_id", true, &s)) != 0 ||
            (ret = parse_ip4(&w, "router_id", 0, s, &r->router_id)) != 0) {
            return ret;
        }
        if (!r->router_id.v4) {
            return report(&w, EINVAL, "router_id", 0, "0.0.0.0 is not a router id");
        }
        if ((ret = get_int(&w, "fpm_port", 1, 65535, &v)) != 0) {
            return ret;
        }
        r->fpm_port = (uint16_t)v;
        unsigned n = cfg_size(sec, "networks");
        r->networks = calloc(n ? n : 1, sizeof *r->networks);
        if (!r->networks) {
            return report(&w, ENOMEM, NULL, 0, "out of memory");
        }
        for (unsigned k = 0; k < n; k++) {
            struct hnvgw_prefix *p = &r->networks[k];
            if ((ret = parse_prefix4(&w, "networks", k, cfg_getnstr(sec, "networks", k), true,
                                     p)) != 0) {
                return ret;
            }
            for (unsigned j = 0; j < k; j++) {
                if (!memcmp(&r->networks[j], p, sizeof *p)) {
                    return report(&w, EINVAL, "networks", k, "%s is listed twice",
                                  cfg_getnstr(sec, "networks", k));
                }
            }
            r->n_networks++;
        }
        if ((ret = get_str(&w, "extra_config", false, &s)) != 0) {
            return ret;
        }
        if (s && strlen(s) > ROUTING_EXTRA_MAX) {
            return report(&w, EINVAL, "extra_config", 0, "longer than %d bytes", ROUTING_EXTRA_MAX);
        }
        if (s && !(r->extra_config = strdup(s))) {
            return report(&w, ENOMEM, NULL, 0, "out of memory");
        }
        if ((ret = load_neighbors(ld, sec, t, r)) != 0) {
            return ret;
        }
    }
    return 0;
}

/* ---- vpn: site-to-site IPsec of a tenant ---- */

/* The algorithms a proposal may name. ESP's are what the data plane implements (dataplane/esp.h):
 * AES-GCM-16 with 128 or 256-bit keys, and AES-CBC-128/256 with HMAC-SHA-256-128. IKE is charon's
 * own business, but weak choices (DES, 3DES, MD5, SHA-1, MODP groups under 2048 bits) are refused
 * there too. */
static const char *const vpn_dh_keys[] = {
    "modp2048", "modp3072",   "modp4096", "modp6144", "modp8192", "ecp256", "ecp384",
    "ecp521",   "curve25519", "x25519",   "curve448", "x448",     NULL};
static const char *const ike_encr_keys[] = {"aes128", "aes192", "aes256", NULL};
static const char *const ike_aead_keys[] = {"aes128gcm16", "aes192gcm16", "aes256gcm16",
                                            "chacha20poly1305", NULL};
static const char *const ike_integ_keys[] = {"sha256", "sha384", "sha512", NULL};
static const char *const ike_prf_keys[] = {"prfsha256", "prfsha384", "prfsha512", NULL};
static const char *const esp_encr_keys[] = {"aes128", "aes256", NULL};
static const char *const esp_aead_keys[] = {"aes128gcm16", "aes256gcm16", NULL};
static const char *const esp_integ_keys[] = {"sha256", NULL};
static const char *const esp_esn_keys[] = {"esn", "noesn", NULL};

static const char *const ike_default_proposals[] = {
    "aes256gcm16-prfsha384-ecp384", "aes128gcm16-prfsha256-ecp256", "aes256-sha256-modp2048"};
static const char *const esp_default_proposals[] = {"aes256gcm16-ecp384", "aes128gcm16-ecp256",
                                                    "aes256-sha256-modp2048"};

#define VPN_PSK_MIN      16 /* Characters of a pre-shared key. */
#define VPN_PSK_DISTINCT 8  /* Different characters in a pre-shared key. */

/* True when the 'len' bytes at 'tok' are one of the NULL-terminated 'list'. */
static bool
token_in(const char *tok, size_t len, const char *const *list)
{
    for (; *list; list++) {
        if (strlen(*list) == len && !strncmp(*list, tok, len)) {
            return true;
        }
    }
    return false;
}

/* Checks proposal 's', element 'idx' of list key 'field': an ESP proposal ('esp') or an IKE one,
 * in strongSwan's "alg-alg-..." syntax. */
static int
check_proposal(const struct where *w, const char *field, unsigned idx, const char *s, bool esp)
{
    unsigned n_encr = 0, n_aead = 0, n_integ = 0, n_prf = 0, n_dh = 0;
    size_t len = strlen(s);

    if (len == 0 || len >= CONFIG_VPN_PROPOSAL_LEN) {
        return report(w, EINVAL, field, idx, "'%s' is not a proposal of 1..%d characters", s,
                      CONFIG_VPN_PROPOSAL_LEN - 1);
    }
    for (const char *tok = s;;) {
        size_t n = strcspn(tok, "-");

        if (esp ? token_in(tok, n, esp_encr_keys) : token_in(tok, n, ike_encr_keys)) {
            n_encr++;
        } else if (esp ? token_in(tok, n, esp_aead_keys) : token_in(tok, n, ike_aead_keys)) {
            n_aead++;
        } else if (esp ? token_in(tok, n, esp_integ_keys) : token_in(tok, n, ike_integ_keys)) {
            n_integ++;
        } else if (!esp && token_in(tok, n, ike_prf_keys)) {
            n_prf++;
        } else if (token_in(tok, n, vpn_dh_keys)) {
            n_dh++;
        } else if (!(esp && token_in(tok, n, esp_esn_keys))) {
            if (esp) {
                return report(w, EINVAL, field, idx,
                              "'%.*s' in '%s' is not allowed: the data plane has aes128gcm16, "
                              "aes256gcm16, and aes128 or aes256 with sha256; then optional DH "
                              "groups (modp2048 and up, ecp256/384/521, curve25519) and esn/noesn",
                              (int)n, tok, s);
            }
            return report(w, EINVAL, field, idx,
                          "'%.*s' in '%s' is not allowed: use aes128/192/256 or their gcm16 forms, "
                          "chacha20poly1305, sha256/384/512, prfsha256/384/512, and modp2048 and "
                          "up, ecp256/384/521, curve25519 or curve448",
                          (int)n, tok, s);
        }
        if (!tok[n]) {
            break;
        }
        tok += n + 1;
    }
    if (n_encr + n_aead == 0) {
        return report(w, EINVAL, field, idx, "'%s' has no encryption algorithm", s);
    }
    if (n_encr && n_aead) {
        return report(w, EINVAL, field, idx, "'%s' mixes AEAD (GCM) and CBC ciphers", s);
    }
    if (n_encr && !n_integ) {
        return report(w, EINVAL, field, idx, "'%s': a CBC cipher needs an integrity algorithm%s", s,
                      esp ? " (sha256)" : "");
    }
    if (n_aead && n_integ) {
        return report(w, EINVAL, field, idx, "'%s': an AEAD cipher takes no integrity algorithm",
                      s);
    }
    if (!esp && n_aead && !n_prf) {
        return report(w, EINVAL, field, idx, "'%s': an AEAD IKE proposal needs a PRF (prfsha256..)",
                      s);
    }
    if (!esp && !n_dh) {
        return report(w, EINVAL, field, idx, "'%s' has no DH group", s);
    }
    return 0;
}

/* Reads proposal list 'key' of the tunnel at 'w' into 'out' and '*n', or the 'n_def' defaults. */
static int
get_proposals(const struct where *w, const char *key, bool esp, const char *const *defaults,
              size_t n_def, char out[][CONFIG_VPN_PROPOSAL_LEN], size_t *n)
{
    unsigned cnt = cfg_size(w->sec, key);
    int ret;

    *n = 0;
    if (!list_given(w->sec, key)) {
        for (size_t i = 0; i < n_def; i++) {
            snprintf(out[(*n)++], CONFIG_VPN_PROPOSAL_LEN, "%s", defaults[i]);
        }
        return 0;
    }
    if (cnt == 0) {
        return report(w, EINVAL, key, 0, "must list at least one proposal");
    }
    if (cnt > CONFIG_VPN_PROPOSALS_MAX) {
        return report(w, EINVAL, key, CONFIG_VPN_PROPOSALS_MAX, "more than %d proposals",
                      CONFIG_VPN_PROPOSALS_MAX);
    }
    for (unsigned i = 0; i < cnt; i++) {
        const char *s = cfg_getnstr(w->sec, key, i);

        if ((ret = check_proposal(w, key, i, s, esp)) != 0) {
            return ret;
        }
        for (size_t k = 0; k < *n; k++) {
            if (!strcmp(out[k], s)) {
                return report(w, EINVAL, key, i, "'%s' is listed twice", s);
            }
        }
        snprintf(out[(*n)++], CONFIG_VPN_PROPOSAL_LEN, "%s", s);
    }
    return 0;
}

/* Reads traffic-selector list 'key' (1..CONFIG_VPN_TS_MAX canonical prefixes) into 'out'. */
static int
get_ts(const struct where *w, const char *key, struct hnvgw_prefix *out, size_t *n)
{
    struct hnvgw_prefix *list = NULL;
    size_t cnt = 0;
    int ret = get_prefix_list(w, key, CONFIG_VPN_TS_MAX, &list, &cnt);

    if (!ret) {
        memcpy(out, list, cnt * sizeof *list);
        *n = cnt;
    }
    free(list);
    return ret;
}

/* Reads IKE identity 'key' into 'out' (CONFIG_VPN_ID_LEN bytes), or 'def' when absent. */
static int
get_ike_id(const struct where *w, const char *key, const char *def, char *out)
{
    const char *s;
    int ret = get_str(w, key, false, &s);

    if (ret) {
        return ret;
    }
    if (!s) {
        snprintf(out, CONFIG_VPN_ID_LEN, "%s", def);
        return 0;
    }
    if (!s[0] || strlen(s) >= CONFIG_VPN_ID_LEN) {
        return report(w, EINVAL, key, 0, "an identity is 1..%d characters", CONFIG_VPN_ID_LEN - 1);
    }
    for (const char *c = s; *c; c++) {
        if (*c < ' ' || *c > '~' || *c == '"') {
            return report(w, EINVAL, key, 0, "only printable characters without '\"'");
        }
    }
    snprintf(out, CONFIG_VPN_ID_LEN, "%s", s);
    return 0;
}

/* Reads the pre-shared key of the tunnel at 'w' into 'out'. Never echoes the secret. */
static int
get_psk(const struct where *w, char *out)
{
    bool seen[256] = {false};
    unsigned distinct = 0;
    const char *s;
    size_t len;
    int ret = get_str(w, "psk", true, &s);

    if (ret) {
        return ret;
    }
    len = strlen(s);
    if (len < VPN_PSK_MIN) {
        return report(w, EINVAL, "psk", 0, "%zu characters is too weak: at least %d", len,
                      VPN_PSK_MIN);
    }
    if (len >= CONFIG_VPN_PSK_LEN) {
        return report(w, EINVAL, "psk", 0, "longer than %d characters", CONFIG_VPN_PSK_LEN - 1);
    }
    for (const char *c = s; *c; c++) {
        if (*c < ' ' || *c > '~') {
            return report(w, EINVAL, "psk", 0, "only printable characters");
        }
        distinct += !seen[(unsigned char)*c];
        seen[(unsigned char)*c] = true;
    }
    if (distinct < VPN_PSK_DISTINCT) {
        return report(w, EINVAL, "psk", 0,
                      "too weak: only %u different characters, at least %d are needed", distinct,
                      VPN_PSK_DISTINCT);
    }
    snprintf(out, CONFIG_VPN_PSK_LEN, "%s", s);
    return 0;
}

/* Reads file key 'key' of the tunnel at 'w' (relative to the config's directory) into 'out'
 * (CONFIG_VPN_PATH_LEN bytes) and checks that the file can be read now. */
static int
get_vpn_file(const struct loader *ld, const struct where *w, const char *key, char *out)
{
    const char *slash = strrchr(ld->path, '/');
    const char *s;
    FILE *fp;
    int n, ret = get_str(w, key, true, &s);

    if (ret) {
        return ret;
    }
    if (s[0] == '/' || !slash) {
        n = snprintf(out, CONFIG_VPN_PATH_LEN, "%s", s);
    } else {
        n = snprintf(out, CONFIG_VPN_PATH_LEN, "%.*s/%s", (int)(slash - ld->path), ld->path, s);
    }
    if (!s[0] || n >= CONFIG_VPN_PATH_LEN) {
        return report(w, EINVAL, key, 0, "'%s' is not a path of at most %d characters", s,
                      CONFIG_VPN_PATH_LEN - 1);
    }
    fp = fopen(out, "r");
    if (!fp) {
        return report(w, errno == ENOENT ? ENOENT : EACCES, key, 0, "cannot read %s: %s", out,
                      strerror(errno));
    }
    fclose(fp);
    return 0;
}

/* Checks local_address 'ip' of tenant 'i': unicast, not an address of the node's ports or PAs,
 * outside every forward prefix, not a NAT public address, and no earlier tenant's. */
static int
check_vpn_address(const struct loader *ld, const struct where *w, size_t i,
                  const struct hnvgw_ip *ip)
{
    const struct hnvgw_config *cfg = ld->cfg;
    char b[HNVGW_IP_STRLEN], p[HNVGW_PFX_STRLEN];

    hnvgw_ip_format(ip, b);
    if (!is_unicast4(ip)) {
        return report(w, EINVAL, "local_address", 0, "%s is not a unicast address", b);
    }
    for (size_t k = 0; k < cfg->n_ports; k++) {
        const struct config_port *port = &cfg->ports[k];
        if (port->has_address && hnvgw_ip_equal(&port->address.addr, ip)) {
            return report(w, EINVAL, "local_address", 0, "%s is the address of port \"%s\"", b,
                          port->name);
        }
    }
    if (config_is_my_pa(cfg, ip)) {
        return report(w, EINVAL, "local_address", 0, "%s is a provider address of this node", b);
    }
    for (size_t k = 0; k < cfg->n_tenants; k++) {
        const struct config_tenant *o = &cfg->tenants[k];
        for (size_t m = 0; m < o->n_forward_prefixes; m++) {
            if (hnvgw_prefix_contains(&o->forward_prefixes[m], ip)) {
                return report(w, EINVAL, "local_address", 0,
                              "%s is inside forward prefix %s of tenant \"%s\", line %d", b,
                              hnvgw_prefix_format(&o->forward_prefixes[m], p), o->name, o->line);
            }
        }
        if (o->nat && nat_has_public(o->nat, ip)) {
            return report(w, EINVAL, "local_address", 0,
                          "%s is a NAT public address of tenant \"%s\" (nat at line %d)", b,
                          o->name, o->nat->line);
        }
        if (k < i && o->vpn && hnvgw_ip_equal(&o->vpn->local_address, ip)) {
            return report(w, EINVAL, "local_address", 0,
                          "%s is already the local_address of tenant \"%s\" (vpn at line %d): IKE "
                          "could not tell the tenants apart",
                          b, o->name, o->vpn->line);
        }
    }
    return 0;
}

/* The keys of tunnel section 'w->sec', the 'idx'-th (0-based) of tenant 't'. */
static int
load_vpn_tunnel(const struct loader *ld, const struct where *w, const struct config_tenant *t,
                const struct config_vpn *vpn, unsigned idx, struct config_vpn_tunnel *tun)
{
    unsigned auth = 0, start = 0, mode = 0;
    char b[HNVGW_IP_STRLEN], p[HNVGW_PFX_STRLEN];
    const char *s;
    long v;
    int ret;

    snprintf(tun->name, sizeof tun->name, "%s", cfg_title(w->sec));
    tun->line = w->line;
    tun->reqid = t->id * 16 + idx + 1;
    tun->if_id = t->id;
    if ((ret = check_name(w, w->sec)) != 0 ||
        (ret = parse_enum(w, "auth", 0, cfg_getstr(w->sec, "auth"), vpn_auth_keys, 2, &auth)) !=
            0 ||
        (ret = parse_enum(w, "start_action", 0, cfg_getstr(w->sec, "start_action"), vpn_start_keys,
                          2, &start)) != 0 ||
        (ret = parse_enum(w, "mode", 0, cfg_getstr(w->sec, "mode"), vpn_mode_keys, 2, &mode)) !=
            0) {
        return ret;
    }
    tun->auth = (enum config_vpn_auth)auth;
    tun->start_action = (enum config_vpn_start)start;
    tun->mode = (enum config_vpn_mode)mode;

    if ((ret = get_str(w, "remote_address", true, &s)) != 0) {
        return ret;
    }
    if (!strcmp(s, "%any")) {
        if (tun->start_action != CONFIG_VPN_START_RESPOND) {
            return report(w, EINVAL, "remote_address", 0,
                          "%%any needs start_action = respond: there is no peer to initiate to");
        }
        tun->remote_any = true;
    } else {
        if ((ret = parse_ip4(w, "remote_address", 0, s, &tun->remote_address)) != 0) {
            return ret;
        }
        if (!is_unicast4(&tun->remote_address)) {
            return report(w, EINVAL, "remote_address", 0, "%s is not a unicast address", s);
        }
        if (hnvgw_ip_equal(&tun->remote_address, &vpn->local_address)) {
            return report(w, EINVAL, "remote_address", 0, "%s is the tenant's own local_address",
                          s);
        }
    }
    if ((ret = get_ike_id(w, "local_id", hnvgw_ip_format(&vpn->local_address, b), tun->local_id)) !=
            0 ||
        (ret = get_ike_id(w, "remote_id",
                          tun->remote_any ? "%any" : hnvgw_ip_format(&tun->remote_address, b),
                          tun->remote_id)) != 0) {
        return ret;
    }

    if (tun->remote_any && tun->auth == CONFIG_VPN_AUTH_PSK && !cfg_size(w->sec, "remote_id")) {
        return report(w, EINVAL, "remote_id", 0,
                      "is required with remote_address = \"%%any\" and auth = psk: else any peer "
                      "that knows the key gets the tunnel");
    }
    if (tun->auth == CONFIG_VPN_AUTH_PSK) {
        if ((ret = forbid(w, "certificate", "with auth = psk")) != 0 ||
            (ret = forbid(w, "private_key", "with auth = psk")) != 0 ||
            (ret = forbid(w, "ca_certificate", "with auth = psk")) != 0 ||
            (ret = get_psk(w, tun->psk)) != 0) {
            return ret;
        }
    } else if ((ret = forbid(w, "psk", "with auth = pubkey")) != 0 ||
               (ret = get_vpn_file(ld, w, "certificate", tun->certificate)) != 0 ||
               (ret = get_vpn_file(ld, w, "private_key", tun->private_key)) != 0 ||
               (ret = get_vpn_file(ld, w, "ca_certificate", tun->ca_certificate)) != 0) {
        return ret;
    }

    if ((ret = get_proposals(w, "ike_proposals", false, ike_default_proposals, 3,
                             tun->ike_proposals, &tun->n_ike_proposals)) != 0 ||
        (ret = get_proposals(w, "esp_proposals", true, esp_default_proposals, 3, tun->esp_proposals,
                             &tun->n_esp_proposals)) != 0 ||
        (ret = get_u32(w, "ike_lifetime", 300, 86400, &tun->ike_lifetime)) != 0 ||
        (ret = get_u32(w, "child_lifetime", 60, 86400, &tun->child_lifetime)) != 0 ||
        (ret = get_int(w, "child_life_bytes", 0, 1L << 50, &v)) != 0) {
        return ret;
    }
    if (v && v < (1L << 20)) {
        return report(w, EINVAL, "child_life_bytes", 0, "%ld must be 0 (none) or at least %ld", v,
                      1L << 20);
    }
    tun->child_life_bytes = (uint64_t)v;
    if ((ret = get_u32(w, "dpd_delay", 0, 3600, &tun->dpd_delay)) != 0) {
        return ret;
    }

    if (tun->mode == CONFIG_VPN_MODE_ROUTE) {
        if ((ret = forbid(w, "local_ts", "with mode = route (selectors are 0.0.0.0/0)")) != 0 ||
            (ret = forbid(w, "remote_ts", "with mode = route (selectors are 0.0.0.0/0)")) != 0) {
            return ret;
        }
        tun->local_ts[0].addr = hnvgw_ip4(0);
        tun->remote_ts[0].addr = hnvgw_ip4(0);
        tun->n_local_ts = tun->n_remote_ts = 1;
        if (list_given(w->sec, "routes") &&
            (ret = get_prefix_list(w, "routes", CONFIG_VPN_ROUTES_MAX, &tun->routes,
                                   &tun->n_routes)) != 0) {
            return ret;
        }
        return 0;
    }
    if ((ret = forbid(w, "routes", "with mode = policy (use remote_ts)")) != 0) {
        return ret;
    }
    if (list_given(w->sec, "local_ts")) {
        if ((ret = get_ts(w, "local_ts", tun->local_ts, &tun->n_local_ts)) != 0) {
            return ret;
        }
    } else {
        if (t->n_subnets > CONFIG_VPN_TS_MAX) {
            return report(w, EINVAL, "local_ts", 0,
                          "the default, the tenant's %zu subnet prefixes, is more than %d: list "
                          "the local selectors",
                          t->n_subnets, CONFIG_VPN_TS_MAX);
        }
        for (size_t k = 0; k < t->n_subnets; k++) {
            tun->local_ts[tun->n_local_ts++] = t->subnets[k].prefix;
        }
    }
    if (!cfg_size(w->sec, "remote_ts") && !list_given(w->sec, "remote_ts")) {
        return report(w, EINVAL, "remote_ts", 0, "is required with mode = policy");
    }
    if ((ret = get_ts(w, "remote_ts", tun->remote_ts, &tun->n_remote_ts)) != 0) {
        return ret;
    }
    /* A packet of the tenant must select one tunnel: policy tunnels' remote sides are disjoint. */
    for (unsigned k = 0; k < idx; k++) {
        const struct config_vpn_tunnel *o = &vpn->tunnels[k];
        for (size_t a = 0; o->mode == CONFIG_VPN_MODE_POLICY && a < tun->n_remote_ts; a++) {
            for (size_t c = 0; c < o->n_remote_ts; c++) {
                if (hnvgw_prefix_overlaps(&tun->remote_ts[a], &o->remote_ts[c])) {
                    char q[HNVGW_PFX_STRLEN];
                    return report(w, EINVAL, "remote_ts", (unsigned)a,
                                  "%s overlaps %s of tunnel \"%s\" (line %d)",
                                  hnvgw_prefix_format(&tun->remote_ts[a], p),
                                  hnvgw_prefix_format(&o->remote_ts[c], q), o->name, o->line);
                }
            }
        }
    }
    return 0;
}

/* The "vpn" sections: a tenant's tunnel address and its tunnels. Needs the ports, the node and the
 * NAT sections. */
static int
load_vpns(struct loader *ld)
{
    struct hnvgw_config *cfg = ld->cfg;
    struct where w;

    for (size_t i = 0; i < cfg->n_tenants; i++) {
        struct config_tenant *t = &cfg->tenants[i];
        struct config_vpn *vpn;
        const char *s;
        cfg_t *sec;
        unsigned n;
        int ret = tenant_section(ld, i, "vpn", &sec, &w);

        if (ret) {
            return ret;
        }
        if (!sec) {
            continue;
        }
        vpn = t->vpn = calloc(1, sizeof *vpn);
        if (!vpn) {
            return report(&w, ENOMEM, NULL, 0, "out of memory");
        }
        vpn->line = w.line;
        if (!(cfg->roles & CONFIG_ROLE_GATEWAY)) {
            return report(&w, EINVAL, NULL, 0, "VPN needs \"gateway\" in node roles");
        }
        if (!ld->external) {
            return report(&w, EINVAL, NULL, 0, "VPN needs an external port");
        }
        if ((ret = get_str(&w, "local_address", true, &s)) != 0 ||
            (ret = parse_ip4(&w, "local_address", 0, s, &vpn->local_address)) != 0 ||
            (ret = check_vpn_address(ld, &w, i, &vpn->local_address)) != 0) {
            return ret;
        }
        n = cfg_size(sec, "tunnel");
        if (n == 0) {
            return report(&w, EINVAL, NULL, 0, "a vpn section needs at least one tunnel");
        }
        if (n > CONFIG_VPN_TUNNELS_MAX) {
            struct where wt;
            where_sec(&wt, ld, cfg_getnsec(sec, "tunnel", CONFIG_VPN_TUNNELS_MAX),
                      "tenant \"%s\" vpn tunnel \"%s\"", t->name,
                      cfg_title(cfg_getnsec(sec, "tunnel", CONFIG_VPN_TUNNELS_MAX)));
            return report(&wt, EINVAL, NULL, 0,
                          "more than %d tunnels in a tenant (reqid = tenant id * 16 + 1..%d)",
                          CONFIG_VPN_TUNNELS_MAX, CONFIG_VPN_TUNNELS_MAX);
        }
        vpn->tunnels = calloc(n, sizeof *vpn->tunnels);
        if (!vpn->tunnels) {
            return report(&w, ENOMEM, NULL, 0, "out of memory");
        }
        for (unsigned j = 0; j < n; j++) {
            cfg_t *ts = cfg_getnsec(sec, "tunnel", j);
            struct where wt;

            where_sec(&wt, ld, ts, "tenant \"%s\" vpn tunnel \"%s\"", t->name, cfg_title(ts));
            vpn->n_tunnels++;
            if ((ret = load_vpn_tunnel(ld, &wt, t, vpn, j, &vpn->tunnels[j])) != 0) {
                return ret;
            }
        }
    }
    return 0;
}

/* Converts and validates the parsed tree, in dependency order. */
static int
convert(struct loader *ld)
{
    int ret;

    if ((ret = check_repeated_keys(ld)) != 0 || (ret = load_node(ld)) != 0 ||
        (ret = load_tenants(ld)) != 0 || (ret = index_vsids(ld)) != 0 ||
        (ret = index_tenants(ld)) != 0 || (ret = check_forward_overlaps(ld)) != 0 ||
        (ret = load_ports(ld)) != 0 || (ret = check_pas(ld)) != 0 ||
        (ret = load_ext_routes(ld)) != 0 || (ret = load_nats(ld)) != 0 ||
        (ret = check_nat_shared(ld)) != 0 || (ret = load_vpns(ld)) != 0 ||
        (ret = load_routings(ld)) != 0 || (ret = load_lookups(ld)) != 0 ||
        (ret = load_routes(ld)) != 0) {
        return ret == EEXIST ? EINVAL : ret;
    }
    return 0;
}

void
config_destroy(struct hnvgw_config *cfg)
{
    if (!cfg) {
        return;
    }
    for (size_t i = 0; i < cfg->n_eal_args; i++) {
        free(cfg->eal_args[i]);
    }
    for (size_t i = 0; cfg->ports && i < cfg->n_ports; i++) {
        free(cfg->ports[i].static_neighbors);
    }
    for (size_t i = 0; cfg->tenants && i < cfg->n_tenants; i++) {
        free(cfg->tenants[i].subnets);
        free(cfg->tenants[i].forward_prefixes);
        free(cfg->tenants[i].ext_routes);
        if (cfg->tenants[i].nat) {
            free(cfg->tenants[i].nat->inside_prefixes);
            free(cfg->tenants[i].nat->destinations);
            free(cfg->tenants[i].nat->statics);
            free(cfg->tenants[i].nat);
        }
        if (cfg->tenants[i].routing) {
            free(cfg->tenants[i].routing->neighbors);
            free(cfg->tenants[i].routing->networks);
            free(cfg->tenants[i].routing->extra_config);
            free(cfg->tenants[i].routing);
        }
        if (cfg->tenants[i].vpn) {
            for (size_t k = 0; cfg->tenants[i].vpn->tunnels && k < cfg->tenants[i].vpn->n_tunnels;
                 k++) {
                free(cfg->tenants[i].vpn->tunnels[k].routes);
            }
            free(cfg->tenants[i].vpn->tunnels);
            free(cfg->tenants[i].vpn);
        }
    }
    free(cfg->ports);
    free(cfg->tenants);
    free(cfg->lookups);
    free(cfg->routes);
    free(cfg);
}

int
config_load(const char *path, struct hnvgw_config **out, char *err)
{
    struct loader *ld = calloc(1, sizeof *ld);
    char *text = NULL;
    size_t len = 0;
    int ret, open_line;
    struct where w;

    *out = NULL;
    err[0] = '\0';
    if (!ld) {
        snprintf(err, CONFIG_ERR_MAX, "%s:0: file: out of memory", path);
        return ENOMEM;
    }
    ld->path = path;
    ld->err = err;
    where_line(&w, ld, path, 0, "");
    if (strlen(path) >= sizeof ld->cfg->path) {
        ret = report(&w, ENAMETOOLONG, "file", 0, "path longer than %zu characters",
                     sizeof ld->cfg->path - 1);
        goto out;
    }
    ret = read_text(path, &text, &len);
    if (ret) {
        report(&w, ret, "file", 0, "cannot read: %s", strerror(ret));
        goto out;
    }
    if (memchr(text, '\0', len)) {
        const char *nul = memchr(text, '\0', len);
        for (const char *p = text; p < nul; p++) {
            w.line += *p == '\n';
        }
        w.line++;
        ret = report(&w, EINVAL, "file", 0, "contains a NUL byte: not a text file");
        goto out;
    }
    if (!blank_comments(text, &w.line, &open_line)) {
        if (open_line > 0) {
            ret = report(&w, EINVAL, NULL, 0,
                         "premature end of file: the '{' at line %d is not closed", open_line);
        } else if (open_line < 0) {
            ret = report(&w, EINVAL, NULL, 0, "unterminated string");
        } else {
            ret = report(&w, EINVAL, NULL, 0, "unterminated /* comment");
        }
        goto out;
    }
    ld->cfg = calloc(1, sizeof *ld->cfg);
    ld->root = cfg_init(root_opts, CFGF_NONE);
    if (!ld->cfg || !ld->root) {
        ret = report(&w, ENOMEM, "file", 0, "out of memory");
        goto out;
    }
    snprintf(ld->cfg->path, sizeof ld->cfg->path, "%s", path);
    install_callbacks(ld->root->opts);
    cfg_set_error_function(ld->root, confuse_error);

    cur_loader = ld;
    errno = 0; /* libconfuse tests errno after strtol() without clearing it. */
    ret = cfg_parse_buf(ld->root, text);
    cur_loader = NULL;
    if (ld->oom) {
        ret = report(&w, ENOMEM, "file", 0, "out of memory");
    } else if (ret != CFG_SUCCESS) {
        if (!ld->failed) {
            w.line = ld->root->line;
            report(&w, EINVAL, NULL, 0, "syntax error");
        }
        ret = EINVAL;
    } else {
        qsort(ld->keys, ld->n_keys, sizeof *ld->keys, key_line_cmp);
        ret = convert(ld);
    }

out:
    if (ld->root) {
        cfg_free(ld->root);
    }
    if (ret) {
        config_destroy(ld->cfg);
    } else {
        *out = ld->cfg;
    }
    free(text);
    free(ld->keys);
    free(ld->vsids);
    free(ld->names);
    free(ld);
    return ret;
}
