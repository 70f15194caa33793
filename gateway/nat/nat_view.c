/* SPDX-License-Identifier: Apache-2.0 */
/* Tables of the NAT commands for hnvgwctl (see natview.h). */
#include "gateway/nat/nat_view.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The string member 'key' of 'o', or "-" when it is missing or not a string. */
static const char *
str(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : "-";
}

/* A new JSON string "A/B" of the integer members 'a' and 'b' of 'o' ("-" for a missing one). */
static json_t *
ratio(const json_t *o, const char *a, const char *b)
{
    const json_t *va = json_object_get(o, a), *vb = json_object_get(o, b);
    char sa[24] = "-", sb[24] = "-";

    if (json_is_integer(va)) {
        snprintf(sa, sizeof sa, "%lld", (long long)json_integer_value(va));
    }
    if (json_is_integer(vb)) {
        snprintf(sb, sizeof sb, "%lld", (long long)json_integer_value(vb));
    }
    return json_sprintf("%s/%s", sa, sb);
}

/* A new copy of the integer member 'key' of 'o', or the string "-". */
static json_t *
num(const json_t *o, const char *key)
{
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? json_integer(json_integer_value(v)) : json_string("-");
}

/* The elements of the string array member 'key' of 'o' joined by ", " (new string). */
static json_t *
joined(const json_t *o, const char *key)
{
    const json_t *arr = json_object_get(o, key), *e;
    char *out = NULL;
    size_t len = 0, i;
    FILE *f = open_memstream(&out, &len);
    json_t *s;

    if (!f) {
        return NULL;
    }
    json_array_foreach(arr, i, e)
    {
        fprintf(f, "%s%s", i ? ", " : "", json_is_string(e) ? json_string_value(e) : "?");
    }
    if (fclose(f) != 0) {
        free(out);
        return NULL;
    }
    s = json_string(*out ? out : "-");
    free(out);
    return s;
}

/* A new string "tcp EST/TRANS udp U icmp I" of the "timeouts" member of 'o' (seconds). */
static json_t *
timeouts(const json_t *o)
{
    const json_t *t = json_object_get(o, "timeouts");
    static const char *const keys[] = {"tcp_established", "tcp_transitory", "udp", "icmp"};
    char v[4][24];

    for (size_t i = 0; i < 4; i++) {
        const json_t *x = json_object_get(t, keys[i]);
        if (json_is_integer(x)) {
            snprintf(v[i], sizeof v[i], "%lld", (long long)json_integer_value(x));
        } else {
            snprintf(v[i], sizeof v[i], "-");
        }
    }
    return json_sprintf("tcp %s/%s udp %s icmp %s", v[0], v[1], v[2], v[3]);
}

/* A new table with the given column names and no rows. */
static json_t *
new_table(const char *const *cols, size_t n)
{
    json_t *c = json_array();

    for (size_t i = 0; c && i < n; i++) {
        json_array_append_new(c, json_string(cols[i]));
    }
    return json_pack("{s:o, s:[]}", "columns", c, "rows");
}

/* Builds the rows of 'table' from the array of objects 'arr' with 'row' (which returns a new row or
 * NULL). Returns false, with 'table' freed, when 'arr' has the wrong shape or memory runs out. */
static bool
fill(json_t *table, const json_t *arr, json_t *(*row)(const json_t *))
{
    json_t *rows = json_object_get(table, "rows");
    const json_t *e;
    size_t i;

    if (!rows || !json_is_array(arr)) {
        json_decref(table);
        return false;
    }
    json_array_foreach(arr, i, e)
    {
        json_t *r = json_is_object(e) ? row(e) : NULL;
        if (!r || json_array_append_new(rows, r) < 0) {
            json_decref(table);
            return false;
        }
    }
    return true;
}

/* Stores in '*table' a new table of columns 'cols' (of 'n') with one row per element of 'arr',
 * made by 'row'. Returns false, leaving '*table' alone, when 'arr' has the wrong shape or memory
 * runs out. */
static bool
tabulate(const json_t *arr, const char *const *cols, size_t n, json_t *(*row)(const json_t *),
         json_t **table)
{
    json_t *t = new_table(cols, n);

    if (!fill(t, arr, row)) {
        return false;
    }
    *table = t;
    return true;
}

/* "show nat": one tenant. */
static json_t *
tenant_row(const json_t *o)
{
    return json_pack("[s, o, o, o, o, o, s, o]", str(o, "tenant"), num(o, "id"),
                     joined(o, "public_addresses"), ratio(o, "sessions", "max_sessions"),
                     ratio(o, "ports", "max_ports"), ratio(o, "blocks", "blocks_total"),
                     str(o, "filtering"), timeouts(o));
}

/* "show nat pools": one public address. */
static json_t *
pool_row(const json_t *o)
{
    const json_t *lo = json_object_get(o, "port_min"), *hi = json_object_get(o, "port_max");
    const json_t *id = json_object_get(o, "tenant_id");
    json_t *tenant = json_is_integer(id) ? json_sprintf("%s(%lld)", str(o, "tenant"),
                                                        (long long)json_integer_value(id))
                                         : json_string(str(o, "tenant"));
    json_t *ports = json_is_integer(lo) && json_is_integer(hi)
                        ? json_sprintf("%lld-%lld", (long long)json_integer_value(lo),
                                       (long long)json_integer_value(hi))
                        : json_string("-");

    return json_pack("[s, o, o, o, o]", str(o, "public_address"), tenant, ports,
                     ratio(o, "blocks_used", "blocks_total"), num(o, "statics"));
}

/* "show nat sessions": one session. */
static json_t *
session_row(const json_t *o)
{
    return json_pack("[s, s, s, s, s, s, o, o, o, o, o]", str(o, "tenant"), str(o, "proto"),
                     str(o, "inside"), str(o, "public"), str(o, "remote"), str(o, "state"),
                     num(o, "idle_s"), num(o, "expires_s"), num(o, "pkts_out"), num(o, "pkts_in"),
                     num(o, "worker"));
}

bool
natview_render(const char *cmd, const json_t *result, json_t **table, char **footer)
{
    static const char *const nat_cols[] = {
        "tenant", "id",     "public addresses", "sessions",
        "ports",  "blocks", "filtering",        "timeouts (s)",
    };
    static const char *const pool_cols[] = {"public address", "tenant", "ports", "blocks",
                                            "statics"};
    static const char *const session_cols[] = {
        "tenant", "proto",     "inside",   "public",  "remote", "state",
        "idle s", "expires s", "pkts out", "pkts in", "worker",
    };

    *table = NULL;
    *footer = NULL;
    if (!strcmp(cmd, "show nat")) {
        return tabulate(result, nat_cols, sizeof nat_cols / sizeof nat_cols[0], tenant_row, table);
    } else if (!strcmp(cmd, "show nat pools")) {
        return tabulate(result, pool_cols, sizeof pool_cols / sizeof pool_cols[0], pool_row, table);
    } else if (!strcmp(cmd, "show nat sessions")) {
        const json_t *total = json_object_get(result, "total");
        const json_t *sessions = json_object_get(result, "sessions");

        if (!json_is_integer(total) || !json_is_array(sessions)) {
            return false;
        }
        if (json_array_size(sessions) &&
            !tabulate(sessions, session_cols, sizeof session_cols / sizeof session_cols[0],
                      session_row, table)) {
            return false;
        }
        if (asprintf(footer, "%zu of %lld sessions shown", json_array_size(sessions),
                     (long long)json_integer_value(total)) < 0) {
            *footer = NULL;
            json_decref(*table);
            *table = NULL;
            return false;
        }
        return true;
    } else if (!strcmp(cmd, "clear nat sessions")) {
        const json_t *n = json_object_get(result, "cleared");

        if (!json_is_integer(n) ||
            asprintf(footer, "%lld sessions cleared", (long long)json_integer_value(n)) < 0) {
            *footer = NULL;
            return false;
        }
        return true;
    }
    return false;
}
