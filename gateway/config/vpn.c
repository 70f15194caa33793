/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration, a tenant's "vpn" section: site-to-site IPsec, its tunnel address and its tunnels
 * with their authentication, proposals and selectors. */
#include "gateway/config/config_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static cfg_opt_t vpn_tunnel_opts[] = {
    CONFIG_LINE_OPT,
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

cfg_opt_t config_vpn_opts[] = {
    CONFIG_LINE_OPT,
    CFG_STR("local_address", NULL, CFGF_NODEFAULT),
    CFG_SEC("tunnel", vpn_tunnel_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
    CFG_END(),
};

/* Spellings of the enums in the file (and in messages). */
static const char *const vpn_auth_keys[] = {"psk", "pubkey"};
static const char *const vpn_start_keys[] = {"initiate", "respond"};
static const char *const vpn_mode_keys[] = {"policy", "route"};

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
        return config_report(w, EINVAL, field, idx, "'%s' is not a proposal of 1..%d characters", s,
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
                return config_report(
                    w, EINVAL, field, idx,
                    "'%.*s' in '%s' is not allowed: the data plane has aes128gcm16, "
                    "aes256gcm16, and aes128 or aes256 with sha256; then optional DH "
                    "groups (modp2048 and up, ecp256/384/521, curve25519) and esn/noesn",
                    (int)n, tok, s);
            }
            return config_report(
                w, EINVAL, field, idx,
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
        return config_report(w, EINVAL, field, idx, "'%s' has no encryption algorithm", s);
    }
    if (n_encr && n_aead) {
        return config_report(w, EINVAL, field, idx, "'%s' mixes AEAD (GCM) and CBC ciphers", s);
    }
    if (n_encr && !n_integ) {
        return config_report(w, EINVAL, field, idx,
                             "'%s': a CBC cipher needs an integrity algorithm%s", s,
                             esp ? " (sha256)" : "");
    }
    if (n_aead && n_integ) {
        return config_report(w, EINVAL, field, idx,
                             "'%s': an AEAD cipher takes no integrity algorithm", s);
    }
    if (!esp && n_aead && !n_prf) {
        return config_report(w, EINVAL, field, idx,
                             "'%s': an AEAD IKE proposal needs a PRF (prfsha256..)", s);
    }
    if (!esp && !n_dh) {
        return config_report(w, EINVAL, field, idx, "'%s' has no DH group", s);
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
    if (!config_list_given(w->sec, key)) {
        for (size_t i = 0; i < n_def; i++) {
            snprintf(out[(*n)++], CONFIG_VPN_PROPOSAL_LEN, "%s", defaults[i]);
        }
        return 0;
    }
    if (cnt == 0) {
        return config_report(w, EINVAL, key, 0, "must list at least one proposal");
    }
    if (cnt > CONFIG_VPN_PROPOSALS_MAX) {
        return config_report(w, EINVAL, key, CONFIG_VPN_PROPOSALS_MAX, "more than %d proposals",
                             CONFIG_VPN_PROPOSALS_MAX);
    }
    for (unsigned i = 0; i < cnt; i++) {
        const char *s = cfg_getnstr(w->sec, key, i);

        if ((ret = check_proposal(w, key, i, s, esp)) != 0) {
            return ret;
        }
        for (size_t k = 0; k < *n; k++) {
            if (!strcmp(out[k], s)) {
                return config_report(w, EINVAL, key, i, "'%s' is listed twice", s);
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
    int ret = config_get_prefix_list(w, key, CONFIG_VPN_TS_MAX, &list, &cnt);

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
    int ret = config_get_str(w, key, false, &s);

    if (ret) {
        return ret;
    }
    if (!s) {
        snprintf(out, CONFIG_VPN_ID_LEN, "%s", def);
        return 0;
    }
    if (!s[0] || strlen(s) >= CONFIG_VPN_ID_LEN) {
        return config_report(w, EINVAL, key, 0, "an identity is 1..%d characters",
                             CONFIG_VPN_ID_LEN - 1);
    }
    for (const char *c = s; *c; c++) {
        if (*c < ' ' || *c > '~' || *c == '"') {
            return config_report(w, EINVAL, key, 0, "only printable characters without '\"'");
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
    int ret = config_get_str(w, "psk", true, &s);

    if (ret) {
        return ret;
    }
    len = strlen(s);
    if (len < VPN_PSK_MIN) {
        return config_report(w, EINVAL, "psk", 0, "%zu characters is too weak: at least %d", len,
                             VPN_PSK_MIN);
    }
    if (len >= CONFIG_VPN_PSK_LEN) {
        return config_report(w, EINVAL, "psk", 0, "longer than %d characters",
                             CONFIG_VPN_PSK_LEN - 1);
    }
    for (const char *c = s; *c; c++) {
        if (*c < ' ' || *c > '~') {
            return config_report(w, EINVAL, "psk", 0, "only printable characters");
        }
        distinct += !seen[(unsigned char)*c];
        seen[(unsigned char)*c] = true;
    }
    if (distinct < VPN_PSK_DISTINCT) {
        return config_report(w, EINVAL, "psk", 0,
                             "too weak: only %u different characters, at least %d are needed",
                             distinct, VPN_PSK_DISTINCT);
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
    int n, ret = config_get_str(w, key, true, &s);

    if (ret) {
        return ret;
    }
    if (s[0] == '/' || !slash) {
        n = snprintf(out, CONFIG_VPN_PATH_LEN, "%s", s);
    } else {
        n = snprintf(out, CONFIG_VPN_PATH_LEN, "%.*s/%s", (int)(slash - ld->path), ld->path, s);
    }
    if (!s[0] || n >= CONFIG_VPN_PATH_LEN) {
        return config_report(w, EINVAL, key, 0, "'%s' is not a path of at most %d characters", s,
                             CONFIG_VPN_PATH_LEN - 1);
    }
    fp = fopen(out, "r");
    if (!fp) {
        return config_report(w, errno == ENOENT ? ENOENT : EACCES, key, 0, "cannot read %s: %s",
                             out, strerror(errno));
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
    if (!config_is_unicast4(ip)) {
        return config_report(w, EINVAL, "local_address", 0, "%s is not a unicast address", b);
    }
    for (size_t k = 0; k < cfg->n_ports; k++) {
        const struct config_port *port = &cfg->ports[k];
        if (port->has_address && hnvgw_ip_equal(&port->address.addr, ip)) {
            return config_report(w, EINVAL, "local_address", 0, "%s is the address of port \"%s\"",
                                 b, port->name);
        }
    }
    if (config_is_my_pa(cfg, ip)) {
        return config_report(w, EINVAL, "local_address", 0, "%s is a provider address of this node",
                             b);
    }
    for (size_t k = 0; k < cfg->n_tenants; k++) {
        const struct config_tenant *o = &cfg->tenants[k];
        for (size_t m = 0; m < o->n_forward_prefixes; m++) {
            if (hnvgw_prefix_contains(&o->forward_prefixes[m], ip)) {
                return config_report(w, EINVAL, "local_address", 0,
                                     "%s is inside forward prefix %s of tenant \"%s\", line %d", b,
                                     hnvgw_prefix_format(&o->forward_prefixes[m], p), o->name,
                                     o->line);
            }
        }
        if (o->nat && config_nat_has_public(o->nat, ip)) {
            return config_report(w, EINVAL, "local_address", 0,
                                 "%s is a NAT public address of tenant \"%s\" (nat at line %d)", b,
                                 o->name, o->nat->line);
        }
        if (k < i && o->vpn && hnvgw_ip_equal(&o->vpn->local_address, ip)) {
            return config_report(w, EINVAL, "local_address", 0,
                                 "%s is already the local_address of tenant \"%s\" (vpn at line "
                                 "%d): IKE could not tell the tenants apart",
                                 b, o->name, o->vpn->line);
        }
    }
    return 0;
}

/* The peer of tunnel 'tun' at 'w': its address (or %any), and both IKE identities. */
static int
load_tunnel_peer(const struct where *w, const struct config_vpn *vpn, struct config_vpn_tunnel *tun)
{
    char b[HNVGW_IP_STRLEN];
    const char *s;
    int ret;

    if ((ret = config_get_str(w, "remote_address", true, &s)) != 0) {
        return ret;
    }
    if (!strcmp(s, "%any")) {
        if (tun->start_action != CONFIG_VPN_START_RESPOND) {
            return config_report(
                w, EINVAL, "remote_address", 0,
                "%%any needs start_action = respond: there is no peer to initiate to");
        }
        tun->remote_any = true;
    } else {
        if ((ret = config_parse_ip4(w, "remote_address", 0, s, &tun->remote_address)) != 0) {
            return ret;
        }
        if (!config_is_unicast4(&tun->remote_address)) {
            return config_report(w, EINVAL, "remote_address", 0, "%s is not a unicast address", s);
        }
        if (hnvgw_ip_equal(&tun->remote_address, &vpn->local_address)) {
            return config_report(w, EINVAL, "remote_address", 0,
                                 "%s is the tenant's own local_address", s);
        }
    }
    if ((ret = get_ike_id(w, "local_id", hnvgw_ip_format(&vpn->local_address, b), tun->local_id)) !=
            0 ||
        (ret = get_ike_id(w, "remote_id",
                          tun->remote_any ? "%any" : hnvgw_ip_format(&tun->remote_address, b),
                          tun->remote_id)) != 0) {
        return ret;
    }
    return 0;
}

/* How tunnel 'tun' at 'w' authenticates: a pre-shared key, or certificate files. */
static int
load_tunnel_auth(const struct loader *ld, const struct where *w, struct config_vpn_tunnel *tun)
{
    int ret;

    if (tun->remote_any && tun->auth == CONFIG_VPN_AUTH_PSK && !cfg_size(w->sec, "remote_id")) {
        return config_report(w, EINVAL, "remote_id", 0,
                             "is required with remote_address = \"%%any\" and auth = psk: else "
                             "any peer that knows the key gets the tunnel");
    }
    if (tun->auth == CONFIG_VPN_AUTH_PSK) {
        if ((ret = config_forbid(w, "certificate", "with auth = psk")) != 0 ||
            (ret = config_forbid(w, "private_key", "with auth = psk")) != 0 ||
            (ret = config_forbid(w, "ca_certificate", "with auth = psk")) != 0 ||
            (ret = get_psk(w, tun->psk)) != 0) {
            return ret;
        }
    } else if ((ret = config_forbid(w, "psk", "with auth = pubkey")) != 0 ||
               (ret = get_vpn_file(ld, w, "certificate", tun->certificate)) != 0 ||
               (ret = get_vpn_file(ld, w, "private_key", tun->private_key)) != 0 ||
               (ret = get_vpn_file(ld, w, "ca_certificate", tun->ca_certificate)) != 0) {
        return ret;
    }
    return 0;
}

/* The proposals and lifetimes of tunnel 'tun' at 'w'. */
static int
load_tunnel_sa(const struct where *w, struct config_vpn_tunnel *tun)
{
    long v;
    int ret;

    if ((ret = get_proposals(w, "ike_proposals", false, ike_default_proposals, 3,
                             tun->ike_proposals, &tun->n_ike_proposals)) != 0 ||
        (ret = get_proposals(w, "esp_proposals", true, esp_default_proposals, 3, tun->esp_proposals,
                             &tun->n_esp_proposals)) != 0 ||
        (ret = config_get_u32(w, "ike_lifetime", 300, 86400, &tun->ike_lifetime)) != 0 ||
        (ret = config_get_u32(w, "child_lifetime", 60, 86400, &tun->child_lifetime)) != 0 ||
        (ret = config_get_int(w, "child_life_bytes", 0, 1L << 50, &v)) != 0) {
        return ret;
    }
    if (v && v < (1L << 20)) {
        return config_report(w, EINVAL, "child_life_bytes", 0,
                             "%ld must be 0 (none) or at least %ld", v, 1L << 20);
    }
    tun->child_life_bytes = (uint64_t)v;
    return config_get_u32(w, "dpd_delay", 0, 3600, &tun->dpd_delay);
}

/* The selectors of tunnel 'tun', the 'idx'-th of tenant 't', at 'w': 0.0.0.0/0 and routes in
 * route mode; in policy mode its own, with remote sides disjoint from the earlier policy
 * tunnels'. */
static int
load_tunnel_ts(const struct where *w, const struct config_tenant *t, const struct config_vpn *vpn,
               unsigned idx, struct config_vpn_tunnel *tun)
{
    char p[HNVGW_PFX_STRLEN];
    int ret;

    if (tun->mode == CONFIG_VPN_MODE_ROUTE) {
        if ((ret = config_forbid(w, "local_ts", "with mode = route (selectors are 0.0.0.0/0)")) !=
                0 ||
            (ret = config_forbid(w, "remote_ts", "with mode = route (selectors are 0.0.0.0/0)")) !=
                0) {
            return ret;
        }
        tun->local_ts[0].addr = hnvgw_ip4(0);
        tun->remote_ts[0].addr = hnvgw_ip4(0);
        tun->n_local_ts = tun->n_remote_ts = 1;
        if (config_list_given(w->sec, "routes") &&
            (ret = config_get_prefix_list(w, "routes", CONFIG_VPN_ROUTES_MAX, &tun->routes,
                                          &tun->n_routes)) != 0) {
            return ret;
        }
        return 0;
    }
    if ((ret = config_forbid(w, "routes", "with mode = policy (use remote_ts)")) != 0) {
        return ret;
    }
    if (config_list_given(w->sec, "local_ts")) {
        if ((ret = get_ts(w, "local_ts", tun->local_ts, &tun->n_local_ts)) != 0) {
            return ret;
        }
    } else {
        if (t->n_subnets > CONFIG_VPN_TS_MAX) {
            return config_report(w, EINVAL, "local_ts", 0,
                                 "the default, the tenant's %zu subnet prefixes, is more than %d: "
                                 "list the local selectors",
                                 t->n_subnets, CONFIG_VPN_TS_MAX);
        }
        for (size_t k = 0; k < t->n_subnets; k++) {
            tun->local_ts[tun->n_local_ts++] = t->subnets[k].prefix;
        }
    }
    if (!cfg_size(w->sec, "remote_ts") && !config_list_given(w->sec, "remote_ts")) {
        return config_report(w, EINVAL, "remote_ts", 0, "is required with mode = policy");
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
                    return config_report(w, EINVAL, "remote_ts", (unsigned)a,
                                         "%s overlaps %s of tunnel \"%s\" (line %d)",
                                         hnvgw_prefix_format(&tun->remote_ts[a], p),
                                         hnvgw_prefix_format(&o->remote_ts[c], q), o->name,
                                         o->line);
                }
            }
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
    int ret;

    snprintf(tun->name, sizeof tun->name, "%s", cfg_title(w->sec));
    tun->line = w->line;
    tun->reqid = t->id * 16 + idx + 1;
    tun->if_id = t->id;
    if ((ret = config_check_name(w, w->sec)) != 0 ||
        (ret = config_parse_enum(w, "auth", 0, cfg_getstr(w->sec, "auth"), vpn_auth_keys, 2,
                                 &auth)) != 0 ||
        (ret = config_parse_enum(w, "start_action", 0, cfg_getstr(w->sec, "start_action"),
                                 vpn_start_keys, 2, &start)) != 0 ||
        (ret = config_parse_enum(w, "mode", 0, cfg_getstr(w->sec, "mode"), vpn_mode_keys, 2,
                                 &mode)) != 0) {
        return ret;
    }
    tun->auth = (enum config_vpn_auth)auth;
    tun->start_action = (enum config_vpn_start)start;
    tun->mode = (enum config_vpn_mode)mode;
    if ((ret = load_tunnel_peer(w, vpn, tun)) != 0 || (ret = load_tunnel_auth(ld, w, tun)) != 0 ||
        (ret = load_tunnel_sa(w, tun)) != 0) {
        return ret;
    }
    return load_tunnel_ts(w, t, vpn, idx, tun);
}

/* The vpn section 'sec' of tenant 'i' at 'w', once vpn->line is set: its address and tunnels. */
static int
load_vpn(struct loader *ld, const struct where *w, cfg_t *sec, size_t i, struct config_vpn *vpn)
{
    const struct config_tenant *t = &ld->cfg->tenants[i];
    const char *s;
    unsigned n;
    int ret;

    if ((ret = config_get_str(w, "local_address", true, &s)) != 0 ||
        (ret = config_parse_ip4(w, "local_address", 0, s, &vpn->local_address)) != 0 ||
        (ret = check_vpn_address(ld, w, i, &vpn->local_address)) != 0) {
        return ret;
    }
    n = cfg_size(sec, "tunnel");
    if (n == 0) {
        return config_report(w, EINVAL, NULL, 0, "a vpn section needs at least one tunnel");
    }
    if (n > CONFIG_VPN_TUNNELS_MAX) {
        struct where wt;
        config_where_sec(&wt, ld, cfg_getnsec(sec, "tunnel", CONFIG_VPN_TUNNELS_MAX),
                         "tenant \"%s\" vpn tunnel \"%s\"", t->name,
                         cfg_title(cfg_getnsec(sec, "tunnel", CONFIG_VPN_TUNNELS_MAX)));
        return config_report(&wt, EINVAL, NULL, 0,
                             "more than %d tunnels in a tenant (reqid = tenant id * 16 + 1..%d)",
                             CONFIG_VPN_TUNNELS_MAX, CONFIG_VPN_TUNNELS_MAX);
    }
    vpn->tunnels = calloc(n, sizeof *vpn->tunnels);
    if (!vpn->tunnels) {
        return config_report(w, ENOMEM, NULL, 0, "out of memory");
    }
    for (unsigned j = 0; j < n; j++) {
        cfg_t *ts = cfg_getnsec(sec, "tunnel", j);
        struct where wt;

        config_where_sec(&wt, ld, ts, "tenant \"%s\" vpn tunnel \"%s\"", t->name, cfg_title(ts));
        vpn->n_tunnels++;
        if ((ret = load_vpn_tunnel(ld, &wt, t, vpn, j, &vpn->tunnels[j])) != 0) {
            return ret;
        }
    }
    return 0;
}

int
config_load_vpns(struct loader *ld)
{
    struct hnvgw_config *cfg = ld->cfg;
    struct where w;

    for (size_t i = 0; i < cfg->n_tenants; i++) {
        struct config_tenant *t = &cfg->tenants[i];
        cfg_t *sec;
        int ret = config_tenant_section(ld, i, "vpn", &sec, &w);

        if (ret) {
            return ret;
        }
        if (!sec) {
            continue;
        }
        t->vpn = calloc(1, sizeof *t->vpn);
        if (!t->vpn) {
            return config_report(&w, ENOMEM, NULL, 0, "out of memory");
        }
        t->vpn->line = w.line;
        if (!(cfg->roles & CONFIG_ROLE_GATEWAY)) {
            return config_report(&w, EINVAL, NULL, 0, "VPN needs \"gateway\" in node roles");
        }
        if (!ld->external) {
            return config_report(&w, EINVAL, NULL, 0, "VPN needs an external port");
        }
        if ((ret = load_vpn(ld, &w, sec, i, t->vpn)) != 0) {
            return ret;
        }
    }
    return 0;
}

void
config_vpn_free(struct config_vpn *vpn)
{
    if (!vpn) {
        return;
    }
    for (size_t k = 0; vpn->tunnels && k < vpn->n_tunnels; k++) {
        free(vpn->tunnels[k].routes);
    }
    free(vpn->tunnels);
    free(vpn);
}
