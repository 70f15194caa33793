/* SPDX-License-Identifier: Apache-2.0 */
/* VICI client: see vici.h. The requests follow strongSwan's VICI protocol (its plugin README and
 * swanctl.conf(5)); the library calls are declared in libvici_decl.h.
 *
 * Threads: every function of vici.h but the event callback runs on the caller's (control) thread.
 * The event callback (on_event) runs on a libstrongswan pool thread; it reads only the registry of
 * loaded connections, under 'lock', and writes to the event pipe. list-sas and list-conns stream
 * their answers as events on the request connection: those callbacks also run on a pool thread,
 * collect into a list under 'lock', and the caller's function runs after vici_submit() returns. */
#include "vpn/vici.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "vpn/libvici_decl.h"

#define S(x)       ((char *)(x)) /* libvici takes 'char *' for strings it only reads. */
#define PEM_MAX    (256 * 1024)  /* Largest certificate or key file read. */
#define PATH_DEPTH 6             /* Deepest section nesting parsed. */
#define VALUE_MAX  512           /* Longest value kept. */

/* A connection this client loaded. */
struct conn_ref {
    char name[VICI_NAME_LEN];  /* "<tenant>-<tunnel>". */
    char tenant[VPN_NAME_MAX]; /* Its tenant. */
    char tunnel[VPN_NAME_MAX]; /* Its tunnel. */
    uint32_t reqid, if_id;     /* As configured. */
    bool loaded;     /* Loaded now. Entries stay after an unload, so that late events (the SAs
                      * going down) still name the tunnel. */
    bool has_shared; /* A PSK with id 'name' was loaded. */
    char keyid[96];  /* Private key id from load-key, or "". */
};

struct vici_client {
    char uri[256];                /* Where charon listens. */
    vici_conn_t *conn;            /* Requests: the control thread only. */
    vici_conn_t *events;          /* Events, or NULL before vici_client_watch(). */
    unsigned watched;             /* enum vici_event_kind bits registered. */
    int ev_rd, ev_wr;             /* Event pipe; -1 before watch. */
    atomic_uint_fast64_t dropped; /* Events lost to a full pipe. */
    pthread_mutex_t lock;         /* Guards 'refs' and the list collection below. */
    struct conn_ref *refs;        /* Loaded connections. */
    size_t n_refs, cap_refs;      /* Entries used and allocated. */
    void *collect;                /* During list-sas/list-conns: where events go. */
    int collect_err;              /* An allocation failure while collecting. */
    bool defer_start;             /* Connections load with start_action none: the caller
                                   * initiates them (a node of a pair, when active). */
};

/* An event is written to the pipe in one write(), which is atomic up to PIPE_BUF bytes. */
_Static_assert(sizeof(struct vici_event) <= 4096, "struct vici_event must fit PIPE_BUF");

/* libvici's init and deinit are process-wide. */
static pthread_mutex_t lib_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned lib_users;

static int __attribute__((format(printf, 3, 4))) fail(char *err, int ret, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, VICI_ERR_MAX, fmt, ap);
    va_end(ap);
    return ret;
}

/* ---- Parsing messages ---- */

/* Where a walker is in a message. */
struct walk {
    char path[PATH_DEPTH][VICI_NAME_LEN]; /* Open section names, outermost first. */
    int depth;                            /* Open sections (may exceed PATH_DEPTH). */
    char list[64];                        /* Name of the open list, or "". */
};

/* Called for each key/value (list == false) or list item (list == true, 'key' the list). */
typedef void walk_fn(void *ctx, const struct walk *w, const char *key, const char *value,
                     bool list);

/* Walks 'res', calling 'fn' with values as NUL-terminated strings (cut at VALUE_MAX - 1). Returns
 * 0 or EBADMSG. */
static int
walk_message(vici_res_t *res, walk_fn *fn, void *ctx)
{
    struct walk w;

    memset(&w, 0, sizeof w);
    for (;;) {
        vici_parse_t t = vici_parse(res);
        char value[VALUE_MAX];
        const char *name;
        void *v;
        int len = 0;

        switch (t) {
        case VICI_PARSE_BEGIN_SECTION:
            name = vici_parse_name(res);
            if (w.depth < PATH_DEPTH) {
                snprintf(w.path[w.depth], VICI_NAME_LEN, "%s", name ? name : "");
            }
            w.depth++;
            break;
        case VICI_PARSE_END_SECTION:
            w.depth -= w.depth > 0;
            break;
        case VICI_PARSE_BEGIN_LIST:
            name = vici_parse_name(res);
            snprintf(w.list, sizeof w.list, "%s", name ? name : "");
            break;
        case VICI_PARSE_END_LIST:
            w.list[0] = '\0';
            break;
        case VICI_PARSE_KEY_VALUE:
        case VICI_PARSE_LIST_ITEM:
            name = t == VICI_PARSE_KEY_VALUE ? vici_parse_name(res) : w.list;
            v = vici_parse_value(res, &len);
            if (len < 0) {
                len = 0;
            }
            if (len >= VALUE_MAX) {
                len = VALUE_MAX - 1;
            }
            if (v && len) {
                memcpy(value, v, (size_t)len);
            }
            value[len] = '\0';
            if (w.depth <= PATH_DEPTH) {
                fn(ctx, &w, name ? name : "", value, t == VICI_PARSE_LIST_ITEM);
            }
            break;
        case VICI_PARSE_END:
            return 0;
        case VICI_PARSE_ERROR:
        default:
            return EBADMSG;
        }
    }
}

static uint64_t
to_u64(const char *s)
{
    return strtoull(s, NULL, 10);
}

static uint32_t
hex_u32(const char *s)
{
    return (uint32_t)strtoul(s, NULL, 16);
}

/* Copies 'value' into a char array field. */
#define SET(field, value) snprintf((field), sizeof(field), "%s", (value))

/* Fills the child field 'key' of 'c'. */
static void
child_field(struct vici_child_info *c, const char *key, const char *value, bool list)
{
    if (list) {
        if (!strcmp(key, "local-ts") && c->n_local_ts < VICI_LIST_TS_MAX) {
            SET(c->local_ts[c->n_local_ts++], value);
        } else if (!strcmp(key, "remote-ts") && c->n_remote_ts < VICI_LIST_TS_MAX) {
            SET(c->remote_ts[c->n_remote_ts++], value);
        }
    } else if (!strcmp(key, "name")) {
        SET(c->name, value);
    } else if (!strcmp(key, "uniqueid")) {
        c->uniqueid = (unsigned)to_u64(value);
    } else if (!strcmp(key, "state")) {
        SET(c->state, value);
    } else if (!strcmp(key, "reqid")) {
        c->reqid = (uint32_t)to_u64(value);
    } else if (!strcmp(key, "spi-in")) {
        c->spi_in = hex_u32(value);
    } else if (!strcmp(key, "spi-out")) {
        c->spi_out = hex_u32(value);
    } else if (!strcmp(key, "if-id-in")) {
        c->if_id_in = hex_u32(value);
    } else if (!strcmp(key, "if-id-out")) {
        c->if_id_out = hex_u32(value);
    } else if (!strcmp(key, "encap")) {
        c->encap = !strcmp(value, "yes");
    } else if (!strcmp(key, "encr-alg")) {
        SET(c->encr_alg, value);
    } else if (!strcmp(key, "encr-keysize")) {
        c->encr_keysize = (unsigned)to_u64(value);
    } else if (!strcmp(key, "integ-alg")) {
        SET(c->integ_alg, value);
    } else if (!strcmp(key, "dh-group")) {
        SET(c->dh_group, value);
    } else if (!strcmp(key, "bytes-in")) {
        c->bytes_in = to_u64(value);
    } else if (!strcmp(key, "packets-in")) {
        c->packets_in = to_u64(value);
    } else if (!strcmp(key, "bytes-out")) {
        c->bytes_out = to_u64(value);
    } else if (!strcmp(key, "packets-out")) {
        c->packets_out = to_u64(value);
    } else if (!strcmp(key, "rekey-time")) {
        c->rekey_time = to_u64(value);
    } else if (!strcmp(key, "life-time")) {
        c->life_time = to_u64(value);
    } else if (!strcmp(key, "install-time")) {
        c->install_time = to_u64(value);
    }
}

/* Fills the IKE_SA field 'key' of 's'. */
static void
ike_field(struct vici_ike_info *s, const char *key, const char *value)
{
    if (!strcmp(key, "uniqueid")) {
        s->uniqueid = (unsigned)to_u64(value);
    } else if (!strcmp(key, "state")) {
        SET(s->state, value);
    } else if (!strcmp(key, "local-host")) {
        SET(s->local_host, value);
    } else if (!strcmp(key, "local-port")) {
        s->local_port = (unsigned)to_u64(value);
    } else if (!strcmp(key, "remote-host")) {
        SET(s->remote_host, value);
    } else if (!strcmp(key, "remote-port")) {
        s->remote_port = (unsigned)to_u64(value);
    } else if (!strcmp(key, "local-id")) {
        SET(s->local_id, value);
    } else if (!strcmp(key, "remote-id")) {
        SET(s->remote_id, value);
    } else if (!strcmp(key, "initiator")) {
        s->initiator = !strcmp(value, "yes");
    } else if (!strcmp(key, "if-id-in")) {
        s->if_id_in = hex_u32(value);
    } else if (!strcmp(key, "if-id-out")) {
        s->if_id_out = hex_u32(value);
    } else if (!strcmp(key, "encr-alg")) {
        SET(s->encr_alg, value);
    } else if (!strcmp(key, "encr-keysize")) {
        s->encr_keysize = (unsigned)to_u64(value);
    } else if (!strcmp(key, "prf-alg")) {
        SET(s->prf_alg, value);
    } else if (!strcmp(key, "dh-group")) {
        SET(s->dh_group, value);
    } else if (!strcmp(key, "established")) {
        s->established = to_u64(value);
    } else if (!strcmp(key, "rekey-time")) {
        s->rekey_time = to_u64(value);
    }
}

/* An IKE_SA being parsed from a list-sa or *-updown / *-rekey event. 'child_sub' selects the
 * "new" (or "old") subsection of child-rekey's CHILD_SA sections, "" for none; 'ike_sub' likewise
 * for ike-rekey. */
struct sa_parse {
    struct vici_ike_info *sa;      /* Being filled. */
    const char *ike_sub;           /* ike-rekey: "new"; else NULL. */
    const char *child_sub;         /* child-rekey: "new"; else NULL. */
    char cur_child[VICI_NAME_LEN]; /* Section name of the CHILD_SA being filled. */
    bool up;                       /* The "up" key (updown events). */
    bool oom;                      /* A CHILD_SA could not be stored. */
};

/* Returns the CHILD_SA of 'p' for section 'name', adding it when new; NULL without memory. */
static struct vici_child_info *
sa_child(struct sa_parse *p, const char *name)
{
    struct vici_ike_info *s = p->sa;
    struct vici_child_info *grown;

    if (s->n_children && !strcmp(p->cur_child, name)) {
        return &s->children[s->n_children - 1];
    }
    grown = realloc(s->children, (s->n_children + 1) * sizeof *grown);
    if (!grown) {
        p->oom = true;
        return NULL;
    }
    s->children = grown;
    memset(&grown[s->n_children], 0, sizeof *grown);
    SET(p->cur_child, name);
    return &grown[s->n_children++];
}

static void
sa_walk(void *ctx, const struct walk *w, const char *key, const char *value, bool list)
{
    struct sa_parse *p = ctx;
    int base = p->ike_sub ? 2 : 1; /* Depth of the IKE_SA's own keys. */

    if (w->depth == 0) {
        if (!strcmp(key, "up")) {
            p->up = !strcmp(value, "yes");
        }
        return;
    }
    SET(p->sa->name, w->path[0]);
    if (p->ike_sub && (w->depth < 2 || strcmp(w->path[1], p->ike_sub))) {
        return;
    }
    if (w->depth == base && !list) {
        ike_field(p->sa, key, value);
    } else if (w->depth >= base + 2 && !strcmp(w->path[base], "child-sas")) {
        struct vici_child_info *c;

        if (p->child_sub && (w->depth != base + 3 || strcmp(w->path[base + 2], p->child_sub))) {
            return;
        }
        if (!p->child_sub && w->depth != base + 2) {
            return;
        }
        c = sa_child(p, w->path[base + 1]);
        if (c) {
            child_field(c, key, value, list);
        }
    }
}

/* ---- Requests ---- */

/* Submits 'req' (consumed), expects "success = yes" and stores the response in '*resp' if not
 * NULL (free it), else frees it. 'what' names the request in messages. */
static int
submit(struct vici_client *vc, vici_req_t *req, const char *what, vici_res_t **resp, char *err)
{
    vici_res_t *res = vici_submit(req, vc->conn);
    const char *ok, *msg;

    if (resp) {
        *resp = NULL;
    }
    if (!res) {
        int e = errno ? errno : EIO;
        return fail(err, e, "vici %s: %s", what, strerror(e));
    }
    ok = vici_find_str(res, S(""), S("success"));
    if (strcmp(ok, "yes")) {
        msg = vici_find_str(res, S("no reason given"), S("errmsg"));
        fail(err, EINVAL, "vici %s: %s", what, msg);
        vici_free_res(res);
        return EINVAL;
    }
    if (resp) {
        *resp = res;
    } else {
        vici_free_res(res);
    }
    return 0;
}

/* Reads PEM file 'path' into a new buffer '*data' of '*len' bytes. */
static int
read_pem(const char *path, char **data, int *len, char *err)
{
    FILE *fp = fopen(path, "r");
    char *buf;
    size_t n;

    if (!fp) {
        return fail(err, errno, "cannot read %s: %s", path, strerror(errno));
    }
    buf = malloc(PEM_MAX);
    if (!buf) {
        fclose(fp);
        return fail(err, ENOMEM, "out of memory");
    }
    n = fread(buf, 1, PEM_MAX, fp);
    if (ferror(fp) || n == 0 || n == PEM_MAX) {
        int e = ferror(fp) ? EIO : EINVAL;
        fclose(fp);
        free(buf);
        return fail(err, e, "cannot read %s: %s", path,
                    e == EIO ? strerror(e) : "empty or larger than 256 KiB");
    }
    fclose(fp);
    *data = buf;
    *len = (int)n;
    return 0;
}

/* Adds a list 'name' of one item read from PEM file 'path'. */
static int
add_pem_list(vici_req_t *req, const char *name, const char *path, char *err)
{
    char *data;
    int len, ret = read_pem(path, &data, &len, err);

    if (ret) {
        return ret;
    }
    vici_begin_list(req, S(name));
    vici_add_list_item(req, data, len);
    vici_end_list(req);
    free(data);
    return 0;
}

static void
conn_name(char *out, const char *tenant, const char *tunnel)
{
    snprintf(out, VICI_NAME_LEN, "%s-%s", tenant, tunnel);
}

/* Returns the registry entry of connection 'name', or NULL. Needs 'lock'. */
static struct conn_ref *
find_ref(struct vici_client *vc, const char *name)
{
    for (size_t i = 0; i < vc->n_refs; i++) {
        if (!strcmp(vc->refs[i].name, name)) {
            return &vc->refs[i];
        }
    }
    return NULL;
}

/* Returns the registry entry of connection 'name', adding it if new; NULL without memory. */
static struct conn_ref *
add_ref(struct vici_client *vc, const char *name)
{
    struct conn_ref *r;

    pthread_mutex_lock(&vc->lock);
    r = find_ref(vc, name);
    if (!r && vc->n_refs == vc->cap_refs) {
        size_t cap = vc->cap_refs ? vc->cap_refs * 2 : 16;
        struct conn_ref *grown = realloc(vc->refs, cap * sizeof *grown);
        if (grown) {
            vc->refs = grown;
            vc->cap_refs = cap;
        }
    }
    if (!r && vc->n_refs < vc->cap_refs) {
        r = &vc->refs[vc->n_refs++];
        memset(r, 0, sizeof *r);
        SET(r->name, name);
    }
    pthread_mutex_unlock(&vc->lock);
    return r;
}

/* Loads the PSK of tunnel 'tun' under id 'name'. */
static int
load_shared(struct vici_client *vc, const char *name, const struct config_vpn_tunnel *tun,
            char *err)
{
    vici_req_t *req = vici_begin(S("load-shared"));

    vici_add_key_valuef(req, S("id"), S("%s"), name);
    vici_add_key_valuef(req, S("type"), S("IKE"));
    vici_add_key_value(req, S("data"), S(tun->psk), (int)strlen(tun->psk));
    vici_begin_list(req, S("owners"));
    vici_add_list_itemf(req, S("%s"), tun->local_id);
    vici_add_list_itemf(req, S("%s"), tun->remote_id);
    vici_end_list(req);
    return submit(vc, req, "load-shared", NULL, err);
}

/* Loads the private key of tunnel 'tun'; stores its key id in 'keyid' (96 bytes). */
static int
load_key(struct vici_client *vc, const struct config_vpn_tunnel *tun, char *keyid, char *err)
{
    vici_req_t *req;
    vici_res_t *res;
    char *data;
    int len, ret = read_pem(tun->private_key, &data, &len, err);

    if (ret) {
        return ret;
    }
    req = vici_begin(S("load-key"));
    vici_add_key_valuef(req, S("type"), S("any"));
    vici_add_key_value(req, S("data"), data, len);
    memset(data, 0, (size_t)len);
    free(data);
    ret = submit(vc, req, "load-key", &res, err);
    if (ret) {
        return ret;
    }
    snprintf(keyid, 96, "%s", vici_find_str(res, S(""), S("id")));
    vici_free_res(res);
    return 0;
}

/* Adds one auth round ("local" or "remote") of tunnel 'tun'. */
static int
add_auth(vici_req_t *req, const char *side, const struct config_vpn_tunnel *tun, char *err)
{
    bool local = !strcmp(side, "local");
    int ret = 0;

    vici_begin_section(req, S(side));
    vici_add_key_valuef(req, S("auth"), S("%s"), vpn_auth_name(tun->auth));
    vici_add_key_valuef(req, S("id"), S("%s"), local ? tun->local_id : tun->remote_id);
    if (tun->auth == CONFIG_VPN_AUTH_PUBKEY) {
        ret = local ? add_pem_list(req, "certs", tun->certificate, err)
                    : add_pem_list(req, "cacerts", tun->ca_certificate, err);
    }
    vici_end_section(req);
    return ret;
}

/* Adds a list of prefixes. */
static void
add_prefixes(vici_req_t *req, const char *name, const struct hnvgw_prefix *p, size_t n)
{
    char b[HNVGW_PFX_STRLEN];

    vici_begin_list(req, S(name));
    for (size_t i = 0; i < n; i++) {
        vici_add_list_itemf(req, S("%s"), hnvgw_prefix_format(&p[i], b));
    }
    vici_end_list(req);
}

/* Loads the connection of tunnel 'tun' of a tenant with tunnel address 'local'. */
static int
load_conn(struct vici_client *vc, const char *name, const struct config_vpn *vpn,
          const struct config_vpn_tunnel *tun, char *err)
{
    bool initiate = tun->start_action == CONFIG_VPN_START_INITIATE;
    bool start_now = initiate && !vc->defer_start;
    vici_req_t *req = vici_begin(S("load-conn"));
    char b[HNVGW_IP_STRLEN];
    int ret;

    vici_begin_section(req, S(name));
    vici_add_key_valuef(req, S("version"), S("2"));
    vici_begin_list(req, S("local_addrs"));
    vici_add_list_itemf(req, S("%s"), hnvgw_ip_format(&vpn->local_address, b));
    vici_end_list(req);
    vici_begin_list(req, S("remote_addrs"));
    vici_add_list_itemf(req, S("%s"),
                        tun->remote_any ? "%any" : hnvgw_ip_format(&tun->remote_address, b));
    vici_end_list(req);
    vici_begin_list(req, S("proposals"));
    for (size_t i = 0; i < tun->n_ike_proposals; i++) {
        vici_add_list_itemf(req, S("%s"), tun->ike_proposals[i]);
    }
    vici_end_list(req);
    vici_add_key_valuef(req, S("rekey_time"), S("%us"), tun->ike_lifetime);
    vici_add_key_valuef(req, S("dpd_delay"), S("%us"), tun->dpd_delay);
    /* An initiator keeps trying; 0 is "forever". */
    vici_add_key_valuef(req, S("keyingtries"), S("%u"), initiate ? 0u : 1u);
    vici_add_key_valuef(req, S("if_id_in"), S("%u"), tun->if_id);
    vici_add_key_valuef(req, S("if_id_out"), S("%u"), tun->if_id);
    if ((ret = add_auth(req, "local", tun, err)) != 0 ||
        (ret = add_auth(req, "remote", tun, err)) != 0) {
        vici_free_req(req);
        return ret;
    }
    vici_begin_section(req, S("children"));
    vici_begin_section(req, S(name));
    add_prefixes(req, "local_ts", tun->local_ts, tun->n_local_ts);
    add_prefixes(req, "remote_ts", tun->remote_ts, tun->n_remote_ts);
    vici_begin_list(req, S("esp_proposals"));
    for (size_t i = 0; i < tun->n_esp_proposals; i++) {
        vici_add_list_itemf(req, S("%s"), tun->esp_proposals[i]);
    }
    vici_end_list(req);
    vici_add_key_valuef(req, S("rekey_time"), S("%us"), tun->child_lifetime);
    if (tun->child_life_bytes) {
        vici_add_key_valuef(req, S("rekey_bytes"), S("%" PRIu64), tun->child_life_bytes);
    }
    vici_add_key_valuef(req, S("mode"), S("tunnel"));
    vici_add_key_valuef(req, S("start_action"), S("%s"), start_now ? "start" : "none");
    vici_add_key_valuef(req, S("dpd_action"), S("%s"), initiate ? "restart" : "clear");
    vici_add_key_valuef(req, S("close_action"), S("%s"), initiate ? "restart" : "none");
    vici_add_key_valuef(req, S("reqid"), S("%u"), tun->reqid);
    vici_add_key_valuef(req, S("if_id_in"), S("%u"), tun->if_id);
    vici_add_key_valuef(req, S("if_id_out"), S("%u"), tun->if_id);
    vici_end_section(req);
    vici_end_section(req);
    vici_end_section(req);
    return submit(vc, req, "load-conn", NULL, err);
}

void
vici_client_defer_start(struct vici_client *vc, bool defer)
{
    vc->defer_start = defer;
}

int
vici_client_load_tenant(struct vici_client *vc, const struct vpn_tenant *t, char *err)
{
    if (!t->vpn) {
        return fail(err, EINVAL, "tenant \"%s\" has no vpn section", t->name);
    }
    for (size_t i = 0; i < t->vpn->n_tunnels; i++) {
        const struct config_vpn_tunnel *tun = &t->vpn->tunnels[i];
        char name[VICI_NAME_LEN], keyid[96] = "", sub[VICI_ERR_MAX];
        struct conn_ref *r;
        int ret;

        conn_name(name, t->name, tun->name);
        r = add_ref(vc, name);
        if (!r) {
            return fail(err, ENOMEM, "out of memory");
        }
        pthread_mutex_lock(&vc->lock);
        SET(r->tenant, t->name);
        SET(r->tunnel, tun->name);
        r->reqid = tun->reqid;
        r->if_id = tun->if_id;
        r->loaded = true;
        pthread_mutex_unlock(&vc->lock);
        if (tun->auth == CONFIG_VPN_AUTH_PSK) {
            ret = load_shared(vc, name, tun, sub);
            r->has_shared = r->has_shared || !ret;
        } else {
            ret = load_key(vc, tun, keyid, sub);
            if (!ret) {
                SET(r->keyid, keyid);
            }
        }
        if (!ret) {
            ret = load_conn(vc, name, t->vpn, tun, sub);
        }
        if (ret) {
            return fail(err, ret, "tenant \"%s\" tunnel \"%s\": %s", t->name, tun->name, sub);
        }
    }
    return 0;
}

/* Sends a request with one key 'key' = 'value' that answers success/errmsg. */
static int
simple_request(struct vici_client *vc, const char *cmd, const char *key, const char *value,
               char *err)
{
    vici_req_t *req = vici_begin(S(cmd));

    vici_add_key_valuef(req, S(key), S("%s"), value);
    return submit(vc, req, cmd, NULL, err);
}

int
vici_client_unload_tenant(struct vici_client *vc, const struct vpn_tenant *t, char *err)
{
    int first = 0;

    for (size_t i = 0; t->vpn && i < t->vpn->n_tunnels; i++) {
        const struct config_vpn_tunnel *tun = &t->vpn->tunnels[i];
        char name[VICI_NAME_LEN], sub[VICI_ERR_MAX], keyid[96] = "";
        bool shared = false, key_in_use = false;
        struct conn_ref *r;
        vici_req_t *req;
        int ret;

        conn_name(name, t->name, tun->name);
        /* The connection first, so that a peer restarting the tunnel finds none; then its SAs,
         * without waiting for the peer's answer. */
        ret = simple_request(vc, "unload-conn", "name", name, sub);
        if (ret && !strstr(sub, "not found") && !first) {
            first = fail(err, ret, "tenant \"%s\" tunnel \"%s\": %s", t->name, tun->name, sub);
        }
        req = vici_begin(S("terminate"));
        vici_add_key_valuef(req, S("ike"), S("%s"), name);
        vici_add_key_valuef(req, S("force"), S("yes"));
        vici_add_key_valuef(req, S("timeout"), S("-1"));
        submit(vc, req, "terminate", NULL, sub);

        pthread_mutex_lock(&vc->lock);
        r = find_ref(vc, name);
        if (r) {
            shared = r->has_shared;
            SET(keyid, r->keyid);
            r->loaded = r->has_shared = false;
            r->keyid[0] = '\0';
        }
        for (size_t k = 0; keyid[0] && k < vc->n_refs; k++) {
            key_in_use |= vc->refs[k].loaded && !strcmp(vc->refs[k].keyid, keyid);
        }
        pthread_mutex_unlock(&vc->lock);
        if (shared || (!r && tun->auth == CONFIG_VPN_AUTH_PSK)) {
            ret = simple_request(vc, "unload-shared", "id", name, sub);
            if (ret && shared && !first) {
                first = fail(err, ret, "tenant \"%s\" tunnel \"%s\": %s", t->name, tun->name, sub);
            }
        }
        if (keyid[0] && !key_in_use) {
            ret = simple_request(vc, "unload-key", "id", keyid, sub);
            if (ret && !first) {
                first = fail(err, ret, "tenant \"%s\" tunnel \"%s\": %s", t->name, tun->name, sub);
            }
        }
    }
    return first;
}

/* initiate or terminate of one tunnel. */
static int
control(struct vici_client *vc, const char *cmd, const char *tenant, const char *tunnel,
        int timeout_ms, char *err)
{
    char name[VICI_NAME_LEN];
    vici_req_t *req;
    int ret;

    conn_name(name, tenant, tunnel);
    req = vici_begin(S(cmd));
    if (!strcmp(cmd, "initiate")) {
        vici_add_key_valuef(req, S("child"), S("%s"), name);
    }
    vici_add_key_valuef(req, S("ike"), S("%s"), name);
    vici_add_key_valuef(req, S("timeout"), S("%d"), timeout_ms);
    ret = submit(vc, req, cmd, NULL, err);
    if (ret && strstr(err, "no matching")) {
        ret = ENOENT;
    }
    return ret;
}

int
vici_client_initiate(struct vici_client *vc, const char *tenant, const char *tunnel, int timeout_ms,
                     char *err)
{
    return control(vc, "initiate", tenant, tunnel, timeout_ms, err);
}

int
vici_client_terminate(struct vici_client *vc, const char *tenant, const char *tunnel,
                      int timeout_ms, char *err)
{
    return control(vc, "terminate", tenant, tunnel, timeout_ms, err);
}

/* ---- Listing ---- */

/* What list-sas collects. */
struct sa_list {
    struct vici_ike_info *sas; /* Collected IKE_SAs. */
    size_t n;                  /* Entries. */
};

static void
free_ike(struct vici_ike_info *s)
{
    free(s->children);
}

/* Fills tenant and tunnel of 's' from the registry. Needs 'lock'. */
static void
name_ike(struct vici_client *vc, struct vici_ike_info *s)
{
    const struct conn_ref *r = find_ref(vc, s->name);

    if (r) {
        SET(s->tenant, r->tenant);
        SET(s->tunnel, r->tunnel);
    }
}

/* The list-sa event callback (libvici pool thread). */
static void
on_list_sa(void *user, char *name, vici_res_t *msg)
{
    struct vici_client *vc = user;
    struct vici_ike_info sa;
    struct sa_parse p = {.sa = &sa};

    (void)name;
    memset(&sa, 0, sizeof sa);
    if (walk_message(msg, sa_walk, &p) || p.oom) {
        pthread_mutex_lock(&vc->lock);
        vc->collect_err = p.oom ? ENOMEM : EBADMSG;
        pthread_mutex_unlock(&vc->lock);
        free_ike(&sa);
        return;
    }
    pthread_mutex_lock(&vc->lock);
    struct sa_list *l = vc->collect;
    struct vici_ike_info *grown = l ? realloc(l->sas, (l->n + 1) * sizeof *grown) : NULL;
    if (grown) {
        name_ike(vc, &sa);
        l->sas = grown;
        l->sas[l->n++] = sa;
    } else {
        vc->collect_err = l ? ENOMEM : vc->collect_err;
        free_ike(&sa);
    }
    pthread_mutex_unlock(&vc->lock);
}

/* Streams command 'cmd' (filter 'ike' if not NULL) while 'event' is registered to 'cb'
 * collecting into 'collect'. */
static int
stream(struct vici_client *vc, const char *cmd, const char *event, vici_event_cb_t cb,
       const char *ike, void *collect, char *err)
{
    vici_req_t *req;
    vici_res_t *res;
    int ret;

    pthread_mutex_lock(&vc->lock);
    vc->collect = collect;
    vc->collect_err = 0;
    pthread_mutex_unlock(&vc->lock);
    if (vici_register(vc->conn, S(event), cb, vc)) {
        ret = errno ? errno : EIO;
        fail(err, ret, "vici register %s: %s", event, strerror(ret));
    } else {
        req = vici_begin(S(cmd));
        if (ike) {
            vici_add_key_valuef(req, S("ike"), S("%s"), ike);
        }
        res = vici_submit(req, vc->conn);
        ret = res ? 0 : errno ? errno : EIO;
        if (res) {
            vici_free_res(res);
        } else {
            fail(err, ret, "vici %s: %s", cmd, strerror(ret));
        }
        vici_register(vc->conn, S(event), NULL, NULL);
    }
    pthread_mutex_lock(&vc->lock);
    vc->collect = NULL;
    if (!ret && vc->collect_err) {
        ret = fail(err, vc->collect_err, "vici %s: %s", cmd, strerror(vc->collect_err));
    }
    pthread_mutex_unlock(&vc->lock);
    return ret;
}

int
vici_client_list_sas(struct vici_client *vc, const char *ike,
                     void (*fn)(const struct vici_ike_info *sa, void *aux), void *aux, char *err)
{
    struct sa_list l = {NULL, 0};
    int ret = stream(vc, "list-sas", "list-sa", on_list_sa, ike, &l, err);

    for (size_t i = 0; i < l.n; i++) {
        if (!ret) {
            fn(&l.sas[i], aux);
        }
        free_ike(&l.sas[i]);
    }
    free(l.sas);
    return ret;
}

/* A connection being parsed from a list-conn event. */
struct conn_parse {
    struct vici_conn_info *c;      /* Being filled. */
    char cur_child[VICI_NAME_LEN]; /* Section name of the child being filled. */
    bool oom;                      /* A child could not be stored. */
};

static void
conn_walk(void *ctx, const struct walk *w, const char *key, const char *value, bool list)
{
    struct conn_parse *p = ctx;
    struct vici_conn_info *c = p->c;

    if (w->depth == 0) {
        return;
    }
    SET(c->name, w->path[0]);
    if (w->depth == 1) {
        if (list && !strcmp(key, "local_addrs") && !c->local_addr[0]) {
            SET(c->local_addr, value);
        } else if (list && !strcmp(key, "remote_addrs") && !c->remote_addr[0]) {
            SET(c->remote_addr, value);
        } else if (!strcmp(key, "version")) {
            SET(c->version, value);
        } else if (!strcmp(key, "rekey_time")) {
            c->rekey_time = to_u64(value);
        } else if (!strcmp(key, "dpd_delay")) {
            c->dpd_delay = to_u64(value);
        }
    } else if (w->depth == 2 && !strncmp(w->path[1], "local", 5)) {
        if (!strcmp(key, "class")) {
            SET(c->local_auth, value);
        } else if (!strcmp(key, "id")) {
            SET(c->local_id, value);
        } else if (list && !strcmp(key, "certs")) {
            c->n_local_certs++;
        }
    } else if (w->depth == 2 && !strncmp(w->path[1], "remote", 6)) {
        if (!strcmp(key, "class")) {
            SET(c->remote_auth, value);
        } else if (!strcmp(key, "id")) {
            SET(c->remote_id, value);
        } else if (list && !strcmp(key, "cacerts")) {
            c->n_remote_cacerts++;
        }
    } else if (w->depth == 3 && !strcmp(w->path[1], "children")) {
        struct vici_child_conf *ch;

        if (!c->n_children || strcmp(p->cur_child, w->path[2])) {
            struct vici_child_conf *grown =
                realloc(c->children, (c->n_children + 1) * sizeof *grown);
            if (!grown) {
                p->oom = true;
                return;
            }
            c->children = grown;
            memset(&grown[c->n_children], 0, sizeof *grown);
            SET(grown[c->n_children].name, w->path[2]);
            SET(p->cur_child, w->path[2]);
            c->n_children++;
        }
        ch = &c->children[c->n_children - 1];
        if (list && !strcmp(key, "local-ts") && ch->n_local_ts < VICI_LIST_TS_MAX) {
            SET(ch->local_ts[ch->n_local_ts++], value);
        } else if (list && !strcmp(key, "remote-ts") && ch->n_remote_ts < VICI_LIST_TS_MAX) {
            SET(ch->remote_ts[ch->n_remote_ts++], value);
        } else if (!strcmp(key, "mode")) {
            SET(ch->mode, value);
        } else if (!strcmp(key, "rekey_time")) {
            ch->rekey_time = to_u64(value);
        } else if (!strcmp(key, "rekey_bytes")) {
            ch->rekey_bytes = to_u64(value);
        } else if (!strcmp(key, "dpd_action")) {
            SET(ch->dpd_action, value);
        } else if (!strcmp(key, "close_action")) {
            SET(ch->close_action, value);
        }
    }
}

/* What list-conns collects. */
struct conn_list {
    struct vici_conn_info *conns; /* Collected connections. */
    size_t n;                     /* Entries. */
};

/* The list-conn event callback (libvici pool thread). */
static void
on_list_conn(void *user, char *name, vici_res_t *msg)
{
    struct vici_client *vc = user;
    struct vici_conn_info c;
    struct conn_parse p = {.c = &c};

    (void)name;
    memset(&c, 0, sizeof c);
    if (walk_message(msg, conn_walk, &p) || p.oom) {
        pthread_mutex_lock(&vc->lock);
        vc->collect_err = p.oom ? ENOMEM : EBADMSG;
        pthread_mutex_unlock(&vc->lock);
        free(c.children);
        return;
    }
    pthread_mutex_lock(&vc->lock);
    struct conn_list *l = vc->collect;
    struct vici_conn_info *grown = l ? realloc(l->conns, (l->n + 1) * sizeof *grown) : NULL;
    if (grown) {
        l->conns = grown;
        l->conns[l->n++] = c;
    } else {
        vc->collect_err = l ? ENOMEM : vc->collect_err;
        free(c.children);
    }
    pthread_mutex_unlock(&vc->lock);
}

int
vici_client_list_conns(struct vici_client *vc, const char *ike,
                       void (*fn)(const struct vici_conn_info *c, void *aux), void *aux, char *err)
{
    struct conn_list l = {NULL, 0};
    int ret = stream(vc, "list-conns", "list-conn", on_list_conn, ike, &l, err);

    for (size_t i = 0; i < l.n; i++) {
        if (!ret) {
            fn(&l.conns[i], aux);
        }
        free(l.conns[i].children);
    }
    free(l.conns);
    return ret;
}

/* ---- Events ---- */

/* True for a charon log line worth the journal: authentication and negotiation failures. */
static bool
log_worth_it(const char *group, int level, const char *msg)
{
    static const char *const needles[] = {
        "fail",           /* "... failed", AUTHENTICATION_FAILED, "constraint check failed". */
        "MAC mismatched", /* Wrong PSK. */
        "no shared key",  /* No PSK for the identities. */
        "no trusted",     /* Certificate does not chain to the CA. */
        "no private key", /* Our key is missing. */
        "no matching peer config",
        "NO_PROPOSAL_CHOSEN",
        "no acceptable",
        "TS_UNACCEPTABLE",
        "giving up",       /* Retransmissions exhausted. */
        "not responding"}; /* DPD. */

    if (level > 1 || (strcmp(group, "IKE") && strcmp(group, "CFG"))) {
        return false;
    }
    for (size_t i = 0; i < sizeof needles / sizeof needles[0]; i++) {
        if (strcasestr(msg, needles[i])) {
            return true;
        }
    }
    return false;
}

/* A log event's fields. */
struct log_parse {
    char group[8];           /* Debug group, e.g. IKE. */
    int level;               /* 0..4. */
    char ike[VICI_NAME_LEN]; /* ikesa-name, or "". */
    char msg[VALUE_MAX];     /* The line. */
};

static void
log_walk(void *ctx, const struct walk *w, const char *key, const char *value, bool list)
{
    struct log_parse *p = ctx;

    if (w->depth || list) {
        return;
    }
    if (!strcmp(key, "group")) {
        SET(p->group, value);
    } else if (!strcmp(key, "level")) {
        p->level = atoi(value);
    } else if (!strcmp(key, "ikesa-name")) {
        SET(p->ike, value);
    } else if (!strcmp(key, "msg")) {
        SET(p->msg, value);
    }
}

/* Writes "vpn: tenant T tunnel U" (or "vpn: ike NAME", or "vpn: charon") into 'buf'. */
static int
event_who(const struct vici_event *ev, char *buf, size_t size)
{
    if (ev->tenant[0]) {
        return snprintf(buf, size, "vpn: tenant %s tunnel %s", ev->tenant, ev->tunnel);
    }
    if (ev->ike[0]) {
        return snprintf(buf, size, "vpn: ike %s", ev->ike);
    }
    return snprintf(buf, size, "vpn: charon");
}

/* Appends printf-formatted text to 'ev->line'. */
static void __attribute__((format(printf, 2, 3)))
line_add(struct vici_event *ev, const char *fmt, ...)
{
    size_t len = strlen(ev->line);
    va_list ap;

    if (len + 1 >= sizeof ev->line) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(ev->line + len, sizeof ev->line - len, fmt, ap);
    va_end(ap);
}

/* Formats the event of an IKE_SA parsed into 'sa'. */
static void
format_sa_event(struct vici_event *ev, const struct vici_ike_info *sa, const char *what)
{
    const struct vici_child_info *c = sa->n_children ? &sa->children[0] : NULL;

    SET(ev->ike, sa->name);
    SET(ev->state,
        c && (ev->kind & (VICI_EV_CHILD_UPDOWN | VICI_EV_CHILD_REKEY)) ? c->state : sa->state);
    event_who(ev, ev->line, sizeof ev->line);
    line_add(ev, " %s", what);
    if (ev->kind & (VICI_EV_IKE_UPDOWN | VICI_EV_IKE_REKEY)) {
        line_add(ev, " state=%s local=%s[%s] remote=%s[%s]", sa->state, sa->local_host,
                 sa->local_id, sa->remote_host, sa->remote_id);
        if (sa->encr_alg[0]) {
            line_add(ev, " ike=%s-%u/%s/%s", sa->encr_alg, sa->encr_keysize, sa->prf_alg,
                     sa->dh_group);
        }
        return;
    }
    if (!c) {
        return;
    }
    ev->reqid = c->reqid;
    ev->spi_in = c->spi_in;
    ev->spi_out = c->spi_out;
    line_add(ev, " state=%s reqid=%" PRIu32 " spi_in=%08" PRIx32 " spi_out=%08" PRIx32, c->state,
             c->reqid, c->spi_in, c->spi_out);
    if (c->encr_alg[0]) {
        line_add(ev, " esp=%s-%u%s%s", c->encr_alg, c->encr_keysize, c->integ_alg[0] ? "/" : "",
                 c->integ_alg);
    }
    if (c->n_local_ts && c->n_remote_ts) {
        line_add(ev, " ts=%s%s===%s%s", c->local_ts[0], c->n_local_ts > 1 ? ",..." : "",
                 c->remote_ts[0], c->n_remote_ts > 1 ? ",..." : "");
    }
}

/* Formats log event 'msg' into 'ev'; false when it is not worth the journal. */
static bool
format_log_event(struct vici_client *vc, vici_res_t *msg, struct vici_event *ev)
{
    struct log_parse lp;
    const struct conn_ref *r;

    memset(&lp, 0, sizeof lp);
    if (walk_message(msg, log_walk, &lp) || !log_worth_it(lp.group, lp.level, lp.msg)) {
        return false;
    }
    ev->kind = VICI_EV_LOG;
    SET(ev->ike, lp.ike);
    pthread_mutex_lock(&vc->lock);
    r = ev->ike[0] ? find_ref(vc, ev->ike) : NULL;
    if (r) {
        SET(ev->tenant, r->tenant);
        SET(ev->tunnel, r->tunnel);
    }
    pthread_mutex_unlock(&vc->lock);
    event_who(ev, ev->line, sizeof ev->line);
    line_add(ev, ": %s", lp.msg);
    return true;
}

/* Formats SA event 'name' into 'ev'; false for an unknown or malformed one. */
static bool
format_updown_event(struct vici_client *vc, const char *name, vici_res_t *msg,
                    struct vici_event *ev)
{
    struct vici_ike_info sa;
    struct sa_parse p;
    const char *what;

    memset(&sa, 0, sizeof sa);
    memset(&p, 0, sizeof p);
    p.sa = &sa;
    if (!strcmp(name, "ike-updown")) {
        ev->kind = VICI_EV_IKE_UPDOWN;
    } else if (!strcmp(name, "child-updown")) {
        ev->kind = VICI_EV_CHILD_UPDOWN;
    } else if (!strcmp(name, "ike-rekey")) {
        ev->kind = VICI_EV_IKE_REKEY;
        p.ike_sub = "new";
    } else if (!strcmp(name, "child-rekey")) {
        ev->kind = VICI_EV_CHILD_REKEY;
        p.child_sub = "new";
    } else {
        return false;
    }
    if (walk_message(msg, sa_walk, &p)) {
        free_ike(&sa);
        return false;
    }
    ev->up = p.up;
    pthread_mutex_lock(&vc->lock);
    name_ike(vc, &sa);
    pthread_mutex_unlock(&vc->lock);
    SET(ev->tenant, sa.tenant);
    SET(ev->tunnel, sa.tunnel);
    switch (ev->kind) {
    case VICI_EV_IKE_UPDOWN:
        what = ev->up ? "ike up" : "ike down";
        break;
    case VICI_EV_CHILD_UPDOWN:
        what = ev->up ? "child up" : "child down";
        break;
    case VICI_EV_IKE_REKEY:
        what = "ike rekeyed";
        break;
    default:
        what = "child rekeyed";
        break;
    }
    format_sa_event(ev, &sa, what);
    free_ike(&sa);
    return true;
}

/* The event callback (libvici pool thread): formats the event and writes it, whole, to the pipe.
 * The pipe is non-blocking: a full one drops the event rather than stall charon's events. */
static void
on_event(void *user, char *name, vici_res_t *msg)
{
    struct vici_client *vc = user;
    struct vici_event ev;
    bool ok;

    memset(&ev, 0, sizeof ev);
    ok = !strcmp(name, "log") ? format_log_event(vc, msg, &ev)
                              : format_updown_event(vc, name, msg, &ev);
    if (ok && write(vc->ev_wr, &ev, sizeof ev) != (ssize_t)sizeof ev) {
        atomic_fetch_add(&vc->dropped, 1);
    }
}

/* Undoes vici_client_watch(): the event connection first (it waits for a running callback), then
 * the pipe. */
static void
unwatch(struct vici_client *vc)
{
    if (vc->events) {
        vici_disconnect(vc->events);
        vc->events = NULL;
    }
    if (vc->ev_rd >= 0) {
        close(vc->ev_rd);
        close(vc->ev_wr);
        vc->ev_rd = vc->ev_wr = -1;
    }
    vc->watched = 0;
}

int
vici_client_watch(struct vici_client *vc, unsigned events, char *err)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{VICI_EV_IKE_UPDOWN, "ike-updown"},
                 {VICI_EV_CHILD_UPDOWN, "child-updown"},
                 {VICI_EV_IKE_REKEY, "ike-rekey"},
                 {VICI_EV_CHILD_REKEY, "child-rekey"},
                 {VICI_EV_LOG, "log"}};
    int fds[2];

    if (vc->ev_rd >= 0) {
        return fail(err, EALREADY, "already watching");
    }
    if (pipe2(fds, O_CLOEXEC | O_NONBLOCK)) {
        return fail(err, errno, "pipe: %s", strerror(errno));
    }
    vc->ev_rd = fds[0];
    vc->ev_wr = fds[1];
    /* The URI was checked by vici_client_open(). */
    errno = 0;
    vc->events = vici_connect(S(vc->uri));
    if (!vc->events) {
        int e = errno ? errno : EIO;
        fail(err, e, "vici connect %s: %s", vc->uri, strerror(e));
        unwatch(vc);
        return e;
    }
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(events & names[i].bit)) {
            continue;
        }
        errno = 0;
        if (vici_register(vc->events, S(names[i].name), on_event, vc)) {
            int e = errno ? errno : EIO;
            fail(err, e, "vici register %s: %s", names[i].name, strerror(e));
            unwatch(vc);
            return e;
        }
        vc->watched |= names[i].bit;
    }
    return 0;
}

int
vici_client_event_fd(const struct vici_client *vc)
{
    return vc->ev_rd;
}

int
vici_client_read_event(struct vici_client *vc, struct vici_event *ev)
{
    ssize_t n;

    if (vc->ev_rd < 0) {
        return -EBADF;
    }
    n = read(vc->ev_rd, ev, sizeof *ev);
    if (n == (ssize_t)sizeof *ev) {
        return 1;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        return 0;
    }
    return n < 0 ? -errno : -EIO; /* Records are written whole: a short read cannot happen. */
}

uint64_t
vici_client_events_dropped(const struct vici_client *vc)
{
    return atomic_load(&((struct vici_client *)vc)->dropped);
}

/* ---- Life cycle ---- */

int
vici_client_open(const char *uri, struct vici_client **out, char *err)
{
    struct vici_client *vc = calloc(1, sizeof *vc);

    *out = NULL;
    if (!vc) {
        return fail(err, ENOMEM, "out of memory");
    }
    if (snprintf(vc->uri, sizeof vc->uri, "%s", uri ? uri : VICI_DEFAULT_URI) >=
        (int)sizeof vc->uri) {
        free(vc);
        return fail(err, ENAMETOOLONG, "vici URI longer than %zu characters", sizeof vc->uri - 1);
    }
    vc->ev_rd = vc->ev_wr = -1;
    pthread_mutex_init(&vc->lock, NULL);
    pthread_mutex_lock(&lib_lock);
    if (lib_users++ == 0) {
        vici_init();
    }
    pthread_mutex_unlock(&lib_lock);
    errno = 0;
    vc->conn = vici_connect(S(vc->uri));
    if (!vc->conn) {
        int e = errno ? errno : ECONNREFUSED;
        fail(err, e, "vici connect %s: %s", vc->uri, strerror(e));
        vici_client_close(vc);
        return e;
    }
    *out = vc;
    return 0;
}

void
vici_client_close(struct vici_client *vc)
{
    if (!vc) {
        return;
    }
    unwatch(vc);
    if (vc->conn) {
        vici_disconnect(vc->conn);
    }
    pthread_mutex_destroy(&vc->lock);
    free(vc->refs);
    free(vc);
    pthread_mutex_lock(&lib_lock);
    if (--lib_users == 0) {
        vici_deinit();
    }
    pthread_mutex_unlock(&lib_lock);
}
