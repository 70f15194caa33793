/* SPDX-License-Identifier: Apache-2.0 */
/* The NAT44 commands and the mapping-log drain (see nat_commands.h). */
#include "gateway/nat/nat_commands.h"

#include <errno.h>
#include <stdio.h>

#include <jansson.h>

#include "gateway/nat/nat_cli.h"
#include "gateway/nat/nat_log.h"
#include "lib/log.h"

/* Appends 'row' (a new reference, NULL when out of memory) to 'arr'; returns false on failure. */
static bool
append_row(json_t *arr, json_t *row)
{
    return row && json_array_append_new(arr, row) == 0;
}

/* Ends a table command: its rows 'arr' become the result, or, when a row could not be made
 * ('!ok'), they are dropped with an out-of-memory error. */
static int
rows_result(json_t *arr, bool ok, json_t **result, char *err)
{
    if (!ok) {
        json_decref(arr);
        snprintf(err, CTL_ERR_MAX, "out of memory");
        return ENOMEM;
    }
    *result = arr;
    return 0;
}

static int
show_nat(json_t *args, json_t **result, char *err, void *aux)
{
    struct gw_state *gw = aux;
    uint16_t none;
    size_t n = dp_nat_tenants(gw->dp, &none, 0); /* How many; fixed once the data plane runs. */
    uint16_t *ids = malloc((n ? n : 1) * sizeof *ids);
    json_t *arr = json_array();
    bool ok = ids && arr;

    (void)args;
    if (ok) {
        size_t got = dp_nat_tenants(gw->dp, ids, n);
        n = got < n ? got : n;
    }
    for (size_t i = 0; ok && i < n; i++) {
        const struct dp_nat_conf *conf = dp_nat_conf_get(gw->dp, ids[i]);
        struct dp_nat_usage usage;

        if (conf && !dp_nat_usage(gw->dp, ids[i], &usage)) {
            ok = append_row(arr,
                            natcli_tenant_json(config_tenant_name(gw->cfg, ids[i]), conf, &usage));
        }
    }
    free(ids);
    return rows_result(arr, ok, result, err);
}

static int
show_nat_pools(json_t *args, json_t **result, char *err, void *aux)
{
    struct gw_state *gw = aux;
    struct dp_nat_pool_info none;
    size_t n = dp_nat_pools(gw->dp, &none, 0); /* How many; fixed once the data plane runs. */
    struct dp_nat_pool_info *pools = malloc((n ? n : 1) * sizeof *pools);
    json_t *arr = json_array();
    bool ok = pools && arr;

    (void)args;
    if (ok) {
        size_t got = dp_nat_pools(gw->dp, pools, n);
        n = got < n ? got : n;
    }
    for (size_t i = 0; ok && i < n; i++) {
        ok = append_row(arr,
                        natcli_pool_json(config_tenant_name(gw->cfg, pools[i].tenant), &pools[i]));
    }
    free(pools);
    return rows_result(arr, ok, result, err);
}

static int
show_nat_sessions(json_t *args, json_t **result, char *err, void *aux)
{
    struct gw_state *gw = aux;
    struct dp_nat_session_info *buf;
    struct dp_nat_filter f;
    size_t total, shown;
    json_t *arr, *o;
    uint32_t limit;
    bool ok;
    int ret;

    ret = natcli_parse_query(gw->cfg, args, true, &f, &limit, err);
    if (ret) {
        return ret;
    }
    buf = malloc((limit ? limit : 1) * sizeof *buf);
    arr = json_array();
    ok = buf && arr;
    total = ok ? dp_nat_sessions(gw->dp, &f, buf, limit) : 0;
    shown = total < limit ? total : limit;
    for (size_t i = 0; ok && i < shown; i++) {
        ok = append_row(arr,
                        natcli_session_json(config_tenant_name(gw->cfg, buf[i].tenant), &buf[i]));
    }
    free(buf);
    o = ok ? json_pack("{s:I, s:o}", "total", (json_int_t)total, "sessions", arr) : NULL;
    if (!o) {
        if (!ok) {
            json_decref(arr);
        }
        snprintf(err, CTL_ERR_MAX, "out of memory");
        return ENOMEM;
    }
    *result = o;
    return 0;
}

static int
clear_nat_sessions(json_t *args, json_t **result, char *err, void *aux)
{
    struct gw_state *gw = aux;
    struct dp_nat_filter f;
    char b[HNVGW_IP_STRLEN];
    size_t n;
    int ret;

    ret = natcli_parse_query(gw->cfg, args, false, &f, NULL, err);
    if (ret) {
        return ret;
    }
    n = dp_nat_clear(gw->dp, &f);
    log_info("nat: %zu sessions cleared (tenant=%s address=%s)", n,
             f.tenant ? config_tenant_name(gw->cfg, f.tenant) : "any",
             f.addr ? hnvgw_ip4_format(f.addr, b) : "any");
    *result = json_pack("{s:I}", "cleared", (json_int_t)n);
    return 0;
}

void
nat_commands_register(struct gw_state *gw)
{
    ctl_server_register(gw->ctl, "show nat",
                        "NAT tenants: public addresses, usage against quotas, timeouts", show_nat,
                        gw);
    ctl_server_register(gw->ctl, "show nat pools",
                        "NAT public addresses: tenant, port range, blocks used, statics",
                        show_nat_pools, gw);
    ctl_server_register(gw->ctl, "show nat sessions",
                        "NAT sessions [tenant=NAME|ID] [address=IP] [limit=N, default 1000]",
                        show_nat_sessions, gw);
    ctl_server_register(gw->ctl, "clear nat sessions",
                        "remove NAT sessions [tenant=NAME|ID] [address=IP] (all when no filter)",
                        clear_nat_sessions, gw);
}

/* dp_nat_log_drain() callback: writes one mapping-log record as an info line, naming the tenant
 * as the running configuration ('aux', the struct gw_state) does. */
static void
nat_log_record(const struct dp_nat_log *rec, void *aux)
{
    const struct gw_state *gw = aux;
    const struct config_tenant *t = config_find_tenant(gw->cfg, rec->tenant);
    char line[NATLOG_LINE_MAX];

    natlog_format(rec, t ? t->name : NULL, line, sizeof line);
    log_info("%s", line);
}

void
nat_log_drain(struct gw_state *gw)
{
    uint64_t lost = dp_nat_log_drain(gw->dp, nat_log_record, gw);

    if (lost) {
        log_warn("nat log: %llu records lost (log ring full)", (unsigned long long)lost);
    }
}
