/* SPDX-License-Identifier: Apache-2.0 */
/* hnvgwctl: the command-line client of hnvgwd's control socket. Leading words form the command,
 * key=value pairs its arguments (see ctl.h for the protocol). The reply prints for people, as
 * tables and "key: value" lines, or as JSON with --json.
 *
 * Exit status: 0 on success, 1 when hnvgwd answers with an error, 2 on a usage error or when
 * hnvgwd cannot be reached or does not answer properly. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/ctl.h"
#include "gateway/nat/nat_view.h"

#define DEFAULT_SOCKET "/run/hnvgw/hnvgwd.sock"

/* Prints the usage text to 'f'. */
static void
usage(FILE *f)
{
    fprintf(f,
            "usage: hnvgwctl [-s SOCKET] [--json] WORD... [key=value...]\n"
            "Sends the command WORD... with its key=value arguments to hnvgwd and prints the "
            "reply.\n"
            "  -s, --socket PATH  control socket (default: $HNVGW_CTL_SOCKET, else %s)\n"
            "  -j, --json         print the result as JSON (on error, the whole reply; exit 1)\n"
            "  -h, --help         this text\n"
            "examples:\n"
            "  hnvgwctl help                     list the daemon's commands\n"
            "  hnvgwctl show status\n"
            "  hnvgwctl show ports\n"
            "  hnvgwctl show stats [all=yes]\n"
            "  hnvgwctl show tenants\n"
            "  hnvgwctl show lookup [vsid=5001] [ca=10.1.1.10] [limit=N]\n"
            "  hnvgwctl show routes [tenant=contoso]   configured and FRR-learned routes\n"
            "  hnvgwctl show bgp tenant=contoso      BGP neighbors, read from the tenant's bgpd\n"
            "  hnvgwctl show fpm                     FPM connections of the tenants' zebras\n"
            "  hnvgwctl show nat                 NAT tenants, usage against quotas, timeouts\n"
            "  hnvgwctl show nat pools           NAT public addresses and port blocks\n"
            "  hnvgwctl show nat sessions [tenant=contoso|1] [address=IP] [limit=N]\n"
            "  hnvgwctl clear nat sessions [tenant=contoso|1] [address=IP]\n"
            "  hnvgwctl show cluster             the pair: role, peer, last failover, counters\n"
            "  hnvgwctl cluster switchover       on the active node: hand over to the peer\n"
            "  hnvgwctl add lookup ca=10.1.1.20 vsid=5001 pa=10.0.0.3 mac=02:00:00:00:10:20 \\\n"
            "           [rule=encap|nat] [type=static|dynamic|gatewaywildcard]\n"
            "  hnvgwctl remove lookup vsid=5001 ca=10.1.1.20\n"
            "  hnvgwctl move lookup vsid=5001 ca=10.1.1.20 pa=10.0.0.4 mac=02:00:00:00:10:20\n"
            "  hnvgwctl add route tenant=contoso vsid=5001 prefix=172.16.0.0/16 "
            "next_hop=10.1.1.10 [metric=10]\n"
            "  hnvgwctl remove route tenant=contoso prefix=172.16.0.0/16 [next_hop=10.1.1.10]\n"
            "  hnvgwctl reload                   re-read the config file and apply the "
            "difference\n"
            "  hnvgwctl --json show stats        machine-readable output\n"
            "exit status: 0 ok, 1 the daemon refused the command, 2 usage error or daemon "
            "unreachable\n",
            DEFAULT_SOCKET);
}

/* Prints "hnvgwctl: out of memory" and exits 2. */
static void
out_of_memory(void)
{
    fprintf(stderr, "hnvgwctl: out of memory\n");
    exit(2);
}

/* ---- Rendering. ---- */

/* Returns a new string (caller frees) rendering 'v' in one line: strings as they are with control
 * characters made spaces, numbers formatted, booleans yes/no, null or a missing value "-", arrays
 * and objects as compact JSON. */
static char *
cell(const json_t *v)
{
    char *s = NULL;

    if (!v || json_is_null(v)) {
        s = strdup("-");
    } else if (json_is_string(v)) {
        s = strdup(json_string_value(v));
        for (char *p = s; p && *p; p++) {
            if ((unsigned char)*p < 0x20 || *p == 0x7f) {
                *p = ' ';
            }
        }
    } else if (json_is_integer(v)) {
        if (asprintf(&s, "%lld", (long long)json_integer_value(v)) < 0) {
            s = NULL;
        }
    } else if (json_is_real(v)) {
        if (asprintf(&s, "%.15g", json_real_value(v)) < 0) {
            s = NULL;
        }
    } else if (json_is_boolean(v)) {
        s = strdup(json_is_true(v) ? "yes" : "no");
    } else {
        s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    }
    if (!s) {
        out_of_memory();
    }
    return s;
}

/* Returns the number of terminal columns 's' takes, counting one per UTF-8 character. */
static size_t
text_width(const char *s)
{
    size_t w = 0;

    for (; *s; s++) {
        w += ((unsigned char)*s & 0xc0) != 0x80;
    }
    return w;
}

/* Prints 's' padded with spaces to 'width' columns, on the left when 'right' (numbers) else on the
 * right. */
static void
print_padded(const char *s, size_t width, bool right)
{
    size_t w = text_width(s);
    int pad = w < width ? (int)(width - w) : 0;

    if (right) {
        printf("%*s%s", pad, "", s);
    } else {
        printf("%s%*s", s, pad, "");
    }
}

/* True when 'v' is a {"columns": [strings], "rows": [...]} wrapper. */
static bool
is_wrapper(const json_t *v)
{
    const json_t *cols = json_object_get(v, "columns");
    const json_t *col;
    size_t i;

    if (!json_is_array(cols) || !json_is_array(json_object_get(v, "rows"))) {
        return false;
    }
    json_array_foreach(cols, i, col)
    {
        if (!json_is_string(col)) {
            return false;
        }
    }
    return true;
}

/* True when 'v' is a non-empty array whose elements are all objects. */
static bool
is_object_array(const json_t *v)
{
    const json_t *e;
    size_t i;

    if (!json_is_array(v) || !json_array_size(v)) {
        return false;
    }
    json_array_foreach(v, i, e)
    {
        if (!json_is_object(e)) {
            return false;
        }
    }
    return true;
}

/* True when 'v' prints as a table. */
static bool
is_table(const json_t *v)
{
    return is_object_array(v) || (json_is_object(v) && is_wrapper(v));
}

/* Returns the cell of 'row' for column 'k' named 'name' (borrowed; NULL when missing). A row is an
 * object (by name) or, in a wrapper, an array (by position). */
static const json_t *
row_value(const json_t *row, size_t k, const char *name)
{
    return json_is_array(row) ? json_array_get(row, k) : json_object_get(row, name);
}

/* Prints the table 'v' (see is_table()) with each line indented by 'indent' spaces. The columns are
 * the wrapper's "columns", or else every key of the rows in the order first seen. Numeric columns
 * are right-aligned. Prints "(none)" for a table without rows. */
static void
print_table(const json_t *v, int indent)
{
    const json_t *rows = json_is_array(v) ? v : json_object_get(v, "rows");
    json_t *cols = json_array();
    size_t n_rows = json_array_size(rows), n_cols, i, k;
    size_t *width;
    bool *numeric, *non_number;
    const json_t *row;

    if (!cols) {
        out_of_memory();
    }
    if (json_is_object(v)) {
        json_array_extend(cols, json_object_get(v, "columns"));
    } else {
        json_t *seen = json_object();
        const char *key;
        json_t *val;

        if (!seen) {
            out_of_memory();
        }
        json_array_foreach(rows, i, row)
        {
            json_object_foreach((json_t *)row, key, val)
            {
                if (!json_object_get(seen, key)) {
                    json_object_set_new(seen, key, json_true());
                    json_array_append_new(cols, json_string(key));
                }
            }
        }
        json_decref(seen);
    }
    n_cols = json_array_size(cols);
    if (!n_rows || !n_cols) {
        printf("%*s(none)\n", indent, "");
        json_decref(cols);
        return;
    }

    width = calloc(n_cols, sizeof *width);
    numeric = calloc(n_cols, sizeof *numeric);
    non_number = calloc(n_cols, sizeof *non_number);
    if (!width || !numeric || !non_number) {
        out_of_memory();
    }
    for (k = 0; k < n_cols; k++) {
        width[k] = text_width(json_string_value(json_array_get(cols, k)));
    }
    json_array_foreach(rows, i, row)
    {
        for (k = 0; k < n_cols; k++) {
            const json_t *cv = row_value(row, k, json_string_value(json_array_get(cols, k)));
            char *s = cell(cv);
            size_t w = text_width(s);

            width[k] = w > width[k] ? w : width[k];
            if (json_is_number(cv)) {
                numeric[k] = true;
            } else if (cv && !json_is_null(cv)) {
                non_number[k] = true;
            }
            free(s);
        }
    }
    for (k = 0; k < n_cols; k++) {
        numeric[k] = numeric[k] && !non_number[k];
    }

    printf("%*s", indent, "");
    for (k = 0; k < n_cols; k++) {
        const char *name = json_string_value(json_array_get(cols, k));
        if (k + 1 < n_cols) {
            print_padded(name, width[k], numeric[k]);
            fputs("  ", stdout);
        } else {
            print_padded(name, numeric[k] ? width[k] : 0, numeric[k]);
        }
    }
    putchar('\n');
    json_array_foreach(rows, i, row)
    {
        printf("%*s", indent, "");
        for (k = 0; k < n_cols; k++) {
            char *s = cell(row_value(row, k, json_string_value(json_array_get(cols, k))));
            if (k + 1 < n_cols) {
                print_padded(s, width[k], numeric[k]);
                fputs("  ", stdout);
            } else {
                /* The last column is not padded, so that lines carry no trailing blanks. */
                print_padded(s, numeric[k] ? width[k] : 0, numeric[k]);
            }
            free(s);
        }
        putchar('\n');
    }
    free(width);
    free(numeric);
    free(non_number);
    json_decref(cols);
}

/* Returns a new string (caller frees) with the elements of the array 'v' as cells joined by ", ".
 */
static char *
join_cells(const json_t *v)
{
    char *out = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&out, &len);
    const json_t *e;
    size_t i;

    if (!f) {
        out_of_memory();
    }
    json_array_foreach(v, i, e)
    {
        char *s = cell(e);
        fprintf(f, "%s%s", i ? ", " : "", s);
        free(s);
    }
    if (fclose(f) != 0) {
        out_of_memory();
    }
    return out;
}

/* True when 'v' is an array with no object or array in it. */
static bool
is_scalar_array(const json_t *v)
{
    const json_t *e;
    size_t i;

    if (!json_is_array(v)) {
        return false;
    }
    json_array_foreach(v, i, e)
    {
        if (json_is_object(e) || json_is_array(e)) {
            return false;
        }
    }
    return true;
}

static void print_object(const json_t *obj, int indent);

/* Prints the members of the wrapper object 'obj' other than "columns" and "rows" and then its
 * table. */
static void
print_wrapper(const json_t *obj, int indent)
{
    json_t *rest = json_copy((json_t *)obj);

    if (!rest) {
        out_of_memory();
    }
    json_object_del(rest, "columns");
    json_object_del(rest, "rows");
    print_object(rest, indent);
    json_decref(rest);
    print_table(obj, indent);
}

/* Prints the object 'obj' as "key: value" lines indented by 'indent' spaces, values aligned. A
 * nested object is printed below its key, indented; so is a table (an array of objects). */
static void
print_object(const json_t *obj, int indent)
{
    size_t key_width = 0;
    const char *key;
    json_t *val;

    json_object_foreach((json_t *)obj, key, val)
    {
        size_t w = text_width(key) + 1;
        if (!json_is_object(val) && !is_table(val) && w > key_width) {
            key_width = w;
        }
    }
    json_object_foreach((json_t *)obj, key, val)
    {
        printf("%*s", indent, "");
        if (is_table(val)) {
            printf("%s:\n", key);
            if (json_is_object(val)) {
                print_wrapper(val, indent + 2);
            } else {
                print_table(val, indent + 2);
            }
        } else if (json_is_object(val)) {
            if (json_object_size(val)) {
                printf("%s:\n", key);
                print_object(val, indent + 2);
            } else {
                printf("%s: (none)\n", key);
            }
        } else {
            char *s;

            if (json_is_array(val) && !json_array_size(val)) {
                s = strdup("(none)");
            } else if (is_scalar_array(val)) {
                s = join_cells(val);
            } else if (json_is_string(val)) {
                s = strdup(json_string_value(val)); /* As is: multi-line text stays readable. */
            } else {
                s = cell(val);
            }
            if (!s) {
                out_of_memory();
            }
            printf("%s:", key);
            print_padded("", key_width - (text_width(key) + 1), false);
            printf(" %s\n", s);
            free(s);
        }
    }
}

/* Prints a command's result 'v' for people: see usage() and the file comment. */
static void
print_result(const json_t *v)
{
    if (!v || json_is_null(v)) {
        return;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        size_t n = strlen(s);
        if (n) {
            fputs(s, stdout);
            if (s[n - 1] != '\n') {
                putchar('\n');
            }
        }
    } else if (json_is_object(v)) {
        if (is_wrapper(v)) {
            print_wrapper(v, 0);
        } else {
            print_object(v, 0);
        }
    } else if (is_object_array(v)) {
        print_table(v, 0);
    } else if (json_is_array(v)) {
        const json_t *e;
        size_t i;

        if (!json_array_size(v)) {
            printf("(none)\n");
        }
        json_array_foreach(v, i, e)
        {
            char *s = cell(e);
            printf("%s\n", s);
            free(s);
        }
    } else {
        char *s = cell(v);
        printf("%s\n", s);
        free(s);
    }
}

/* Prints the result 'v' of command 'cmd': as its own table when it has one (natview.h), else as
 * print_result() does. */
static void
print_command_result(const char *cmd, const json_t *v)
{
    json_t *table;
    char *footer;

    if (!natview_render(cmd, v, &table, &footer)) {
        print_result(v);
        return;
    }
    if (table) {
        print_wrapper(table, 0);
        json_decref(table);
    }
    if (footer) {
        printf("%s\n", footer);
        free(footer);
    }
}

/* Prints 'v' as JSON indented by 2, followed by a newline. */
static void
print_json(const json_t *v)
{
    if (json_dumpf(v ? v : json_null(), stdout, JSON_INDENT(2) | JSON_ENCODE_ANY) == 0) {
        putchar('\n');
    }
}

/* ---- Main. ---- */

/* Appends 'word' to the command being built in '*cmd' (malloc'd, may be NULL), separated by a
 * space. */
static void
append_word(char **cmd, const char *word)
{
    size_t old = *cmd ? strlen(*cmd) : 0;
    char *p = realloc(*cmd, old + strlen(word) + 2);

    if (!p) {
        out_of_memory();
    }
    if (old) {
        p[old++] = ' ';
    }
    strcpy(p + old, word);
    *cmd = p;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {{"socket", required_argument, NULL, 's'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *path = getenv("HNVGW_CTL_SOCKET");
    bool as_json = false;
    char *cmd = NULL;
    json_t *args, *reply = NULL, *error;
    int opt, ret, status;

    if (!path || !*path) {
        path = DEFAULT_SOCKET;
    }
    /* GNU getopt permutes: options may also follow the command words. */
    while ((opt = getopt_long(argc, argv, "s:jh", opts, NULL)) != -1) {
        switch (opt) {
        case 's':
            path = optarg;
            break;
        case 'j':
            as_json = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            fprintf(stderr, "try 'hnvgwctl -h' for usage\n");
            return 2;
        }
    }

    args = json_object();
    if (!args) {
        out_of_memory();
    }
    for (int i = optind; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        json_t *value;
        char *key;

        if (!eq) {
            if (json_object_size(args)) {
                fprintf(stderr, "hnvgwctl: '%s': command words go before key=value arguments\n",
                        argv[i]);
                json_decref(args);
                free(cmd);
                return 2;
            }
            append_word(&cmd, argv[i]);
            continue;
        }
        if (eq == argv[i]) {
            fprintf(stderr, "hnvgwctl: '%s': argument without a key\n", argv[i]);
            json_decref(args);
            free(cmd);
            return 2;
        }
        key = strndup(argv[i], (size_t)(eq - argv[i]));
        value = json_string(eq + 1);
        if (!key) {
            out_of_memory();
        }
        if (!value) {
            fprintf(stderr, "hnvgwctl: '%s': not valid UTF-8\n", argv[i]);
            status = 2;
        } else if (json_object_get(args, key)) {
            fprintf(stderr, "hnvgwctl: '%s' given twice\n", key);
            json_decref(value);
            status = 2;
        } else if (json_object_set_new(args, key, value) < 0) {
            fprintf(stderr, "hnvgwctl: '%s': bad argument name\n", argv[i]);
            status = 2;
        } else {
            status = 0;
        }
        free(key);
        if (status) {
            json_decref(args);
            free(cmd);
            return status;
        }
    }
    if (!cmd) {
        fprintf(stderr, "hnvgwctl: no command given (try 'hnvgwctl help' or 'hnvgwctl -h')\n");
        json_decref(args);
        return 2;
    }

    ret = ctl_client_call(path, cmd, args, &reply);
    json_decref(args);
    if (ret) {
        switch (ret) {
        case EPROTO:
        case EMSGSIZE:
        case ETIMEDOUT:
        case ECONNRESET:
        case EPIPE:
            fprintf(stderr, "hnvgwctl: no valid reply from hnvgwd at %s: %s\n", path,
                    strerror(ret));
            break;
        case EINVAL:
            fprintf(stderr, "hnvgwctl: '%s': invalid command\n", cmd);
            break;
        default:
            fprintf(stderr, "hnvgwctl: cannot reach hnvgwd at %s: %s\n", path, strerror(ret));
            break;
        }
        free(cmd);
        return 2;
    }

    if (json_is_true(json_object_get(reply, "ok"))) {
        if (as_json) {
            print_json(json_object_get(reply, "result"));
        } else {
            print_command_result(cmd, json_object_get(reply, "result"));
        }
        status = 0;
    } else {
        if (as_json) {
            print_json(reply);
        } else {
            error = json_object_get(reply, "error");
            fprintf(stderr, "hnvgwctl: %s\n",
                    json_is_string(error) ? json_string_value(error) : "command failed");
        }
        status = 1;
    }
    json_decref(reply);
    free(cmd);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "hnvgwctl: write error: %s\n", strerror(errno));
        return 2;
    }
    return status;
}
