/* SPDX-License-Identifier: Apache-2.0 */
/* Configuration: config_load() and config_destroy(), the root of the schema, reading the file, and
 * the find helpers of config.h. The sections are the other files of this folder; see
 * config_internal.h for how they fit together. */
#include "gateway/config/config_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The sections' own schemas are their files'. "node" is CFGF_MULTI so that a missing or repeated
 * node section can be told apart. bulk.c reads the two file keys. */
static cfg_opt_t root_opts[] = {
    CFG_SEC("node", config_node_opts, CFGF_MULTI),
    CFG_SEC("port", config_port_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
    CFG_SEC("tenant", config_tenant_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
    CFG_SEC("lookup_record", config_lookup_opts, CFGF_MULTI),
    CFG_SEC("customer_route", config_route_opts, CFGF_MULTI),
    CFG_STR("lookup_records_file", NULL, CFGF_NODEFAULT),
    CFG_STR("customer_routes_file", NULL, CFGF_NODEFAULT),
    CFG_END(),
};

/* ---- Finds ---- */

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
config_tenant_name(const struct hnvgw_config *cfg, uint32_t id)
{
    const struct config_tenant *t = config_find_tenant(cfg, id);
    return id == 0 ? "(external)" : t ? t->name : "?";
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

/* Checks that 'text' (of 'len' bytes) is text whose strings, comments and braces are closed, and
 * blanks its comments. On error reports against 'w' (the whole file). */
static int
check_text(char *text, size_t len, struct where *w)
{
    const char *nul = memchr(text, '\0', len);
    int open_line;

    if (nul) {
        for (const char *p = text; p < nul; p++) {
            w->line += *p == '\n';
        }
        w->line++;
        return config_report(w, EINVAL, "file", 0, "contains a NUL byte: not a text file");
    }
    if (!blank_comments(text, &w->line, &open_line)) {
        if (open_line > 0) {
            return config_report(w, EINVAL, NULL, 0,
                                 "premature end of file: the '{' at line %d is not closed",
                                 open_line);
        }
        if (open_line < 0) {
            return config_report(w, EINVAL, NULL, 0, "unterminated string");
        }
        return config_report(w, EINVAL, NULL, 0, "unterminated /* comment");
    }
    return 0;
}

/* ---- Loading ---- */

/* Converts and validates the parsed tree, in dependency order. */
static int
convert(struct loader *ld)
{
    int ret;

    if ((ret = config_check_repeated_keys(ld)) != 0 || (ret = config_load_node(ld)) != 0 ||
        (ret = config_load_tenants(ld)) != 0 || (ret = config_index_vsids(ld)) != 0 ||
        (ret = config_index_tenants(ld)) != 0 || (ret = config_check_forward_overlaps(ld)) != 0 ||
        (ret = config_load_ports(ld)) != 0 || (ret = config_check_pas(ld)) != 0 ||
        (ret = config_load_cluster(ld)) != 0 || (ret = config_load_ext_routes(ld)) != 0 ||
        (ret = config_load_nats(ld)) != 0 || (ret = config_check_nat_shared(ld)) != 0 ||
        (ret = config_load_vpns(ld)) != 0 || (ret = config_load_routings(ld)) != 0 ||
        (ret = config_load_lookups(ld)) != 0 || (ret = config_load_routes(ld)) != 0) {
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
        config_port_clear(&cfg->ports[i]);
    }
    for (size_t i = 0; cfg->tenants && i < cfg->n_tenants; i++) {
        config_tenant_clear(&cfg->tenants[i]);
    }
    free(cfg->ports);
    free(cfg->tenants);
    free(cfg->lookups);
    free(cfg->routes);
    explicit_bzero(cfg->cluster.secret, sizeof cfg->cluster.secret);
    free(cfg);
}

int
config_load(const char *path, struct hnvgw_config **out, char *err)
{
    struct loader *ld = calloc(1, sizeof *ld);
    char *text = NULL;
    size_t len = 0;
    struct where w;
    int ret;

    *out = NULL;
    err[0] = '\0';
    if (!ld) {
        snprintf(err, CONFIG_ERR_MAX, "%s:0: file: out of memory", path);
        return ENOMEM;
    }
    ld->path = path;
    ld->err = err;
    config_where_line(&w, ld, path, 0, "");
    if (strlen(path) >= sizeof ld->cfg->path) {
        ret = config_report(&w, ENAMETOOLONG, "file", 0, "path longer than %zu characters",
                            sizeof ld->cfg->path - 1);
        goto out;
    }
    ret = read_text(path, &text, &len);
    if (ret) {
        config_report(&w, ret, "file", 0, "cannot read: %s", strerror(ret));
        goto out;
    }
    if ((ret = check_text(text, len, &w)) != 0) {
        goto out;
    }
    ld->cfg = calloc(1, sizeof *ld->cfg);
    ld->root = cfg_init(root_opts, CFGF_NONE);
    if (!ld->cfg || !ld->root) {
        ret = config_report(&w, ENOMEM, "file", 0, "out of memory");
        goto out;
    }
    snprintf(ld->cfg->path, sizeof ld->cfg->path, "%s", path);
    if ((ret = config_parse(ld, text, &w)) == 0) {
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
