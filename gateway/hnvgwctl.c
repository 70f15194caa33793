/* hnvgwctl: the command-line client of hnvgwd's control socket. Words form the command, key=value
 * pairs its arguments; replies print as tables for people or as JSON with --json. */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/ctl.h"

#define DEFAULT_SOCKET "/run/hnvgw/hnvgwd.sock"

static void
usage(FILE *f)
{
    fprintf(f,
            "usage: hnvgwctl [-s SOCKET] [--json] COMMAND... [key=value...]\n"
            "  -s, --socket PATH  control socket (default $HNVGW_CTL_SOCKET or %s)\n"
            "      --json         print the reply as JSON\n"
            "examples:\n"
            "  hnvgwctl show status | ports | stats [all=yes] | tenants | neighbors\n"
            "  hnvgwctl show lookup [vsid=5001] [ca=10.1.1.10] [limit=N]\n"
            "  hnvgwctl show routes [tenant=contoso]\n"
            "  hnvgwctl add lookup vsid=5001 ca=10.1.1.20 pa=10.0.0.3 mac=02:00:00:00:10:20 "
            "[rule=encap|nat] [type=static|dynamic|l2only|gatewaywildcard]\n"
            "  hnvgwctl remove lookup vsid=5001 ca=10.1.1.20\n"
            "  hnvgwctl add route tenant=contoso vsid=5001 prefix=172.16.0.0/16 "
            "next_hop=10.1.1.10 [metric=10]\n"
            "  hnvgwctl remove route tenant=contoso prefix=172.16.0.0/16 [next_hop=10.1.1.10]\n"
            "  hnvgwctl reload\n"
            "  hnvgwctl help\n",
            DEFAULT_SOCKET);
}

/* Formats a scalar JSON value; nested values print as compact JSON. Caller frees. */
static char *
cell(json_t *v)
{
    char *s = NULL;

    if (json_is_string(v)) {
        s = strdup(json_string_value(v));
    } else if (json_is_integer(v)) {
        if (asprintf(&s, "%lld", (long long)json_integer_value(v)) < 0) {
            s = NULL;
        }
    } else if (json_is_real(v)) {
        if (asprintf(&s, "%g", json_real_value(v)) < 0) {
            s = NULL;
        }
    } else if (json_is_null(v) || !v) {
        s = strdup("-");
    } else if (json_is_boolean(v)) {
        s = strdup(json_is_true(v) ? "yes" : "no");
    } else {
        s = json_dumps(v, JSON_COMPACT);
    }
    return s ? s : strdup("?");
}

static bool
is_table(json_t *v)
{
    return json_is_array(v) && json_array_size(v) > 0 && json_is_object(json_array_get(v, 0));
}

/* Prints an array of objects as an aligned table whose columns are the first row's keys. */
static void
print_table(json_t *rows, int indent)
{
    json_t *first = json_array_get(rows, 0), *v;
    size_t ncol = json_object_size(first), nrow = json_array_size(rows), i, k;
    const char **keys = calloc(ncol, sizeof *keys);
    size_t *width = calloc(ncol, sizeof *width);
    const char *key;

    if (!keys || !width) {
        free(keys);
        free(width);
        return;
    }
    k = 0;
    json_object_foreach(first, key, v)
    {
        keys[k] = key;
        width[k] = strlen(key);
        k++;
    }
    for (i = 0; i < nrow; i++) {
        for (k = 0; k < ncol; k++) {
            char *s = cell(json_object_get(json_array_get(rows, i), keys[k]));
            if (strlen(s) > width[k]) {
                width[k] = strlen(s);
            }
            free(s);
        }
    }
    printf("%*s", indent, "");
    for (k = 0; k < ncol; k++) {
        printf("%-*s%s", (int)width[k], keys[k], k + 1 < ncol ? "  " : "\n");
    }
    for (i = 0; i < nrow; i++) {
        printf("%*s", indent, "");
        for (k = 0; k < ncol; k++) {
            char *s = cell(json_object_get(json_array_get(rows, i), keys[k]));
            printf("%-*s%s", (int)width[k], s, k + 1 < ncol ? "  " : "\n");
            free(s);
        }
    }
    free(keys);
    free(width);
}

static void
print_value(json_t *v, int indent)
{
    const char *key;
    json_t *val;

    if (is_table(v)) {
        print_table(v, indent);
    } else if (json_is_object(v)) {
        json_object_foreach(v, key, val)
        {
            if (is_table(val) || json_is_object(val)) {
                printf("%*s%s:\n", indent, "", key);
                print_value(val, indent + 2);
            } else if (json_is_array(val) && json_array_size(val) == 0) {
                printf("%*s%s: (none)\n", indent, "", key);
            } else {
                char *s = cell(val);
                printf("%*s%s: %s\n", indent, "", key, s);
                free(s);
            }
        }
    } else if (json_is_array(v) && json_array_size(v) == 0) {
        printf("%*s(none)\n", indent, "");
    } else if (!json_is_null(v)) {
        char *s = cell(v);
        printf("%*s%s\n", indent, "", s);
        free(s);
    }
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
    char cmd[256] = "";
    json_t *args = json_object(), *reply = NULL;
    int c, ret;

    if (!path) {
        path = DEFAULT_SOCKET;
    }
    while ((c = getopt_long(argc, argv, "+s:jh", opts, NULL)) != -1) {
        switch (c) {
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
            usage(stderr);
            return 2;
        }
    }
    for (int i = optind; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq) {
            *eq = '\0';
            json_object_set_new(args, argv[i], json_string(eq + 1));
        } else if (!strcmp(argv[i], "--json")) {
            as_json = true;
        } else {
            if (strlen(cmd) + strlen(argv[i]) + 2 > sizeof cmd) {
                fprintf(stderr, "hnvgwctl: command too long\n");
                return 2;
            }
            if (cmd[0]) {
                strcat(cmd, " ");
            }
            strcat(cmd, argv[i]);
        }
    }
    if (!cmd[0]) {
        usage(stderr);
        return 2;
    }
    ret = ctl_client_call(path, cmd, args, &reply);
    json_decref(args);
    if (ret) {
        fprintf(stderr, "hnvgwctl: cannot reach hnvgwd at %s: %s\n", path, strerror(ret));
        return 2;
    }
    if (!json_is_true(json_object_get(reply, "ok"))) {
        json_t *e = json_object_get(reply, "error");
        if (as_json) {
            json_dumpf(reply, stdout, JSON_INDENT(2));
            putchar('\n');
        }
        fprintf(stderr, "hnvgwctl: %s\n", json_is_string(e) ? json_string_value(e) : "error");
        json_decref(reply);
        return 1;
    }
    if (as_json) {
        json_dumpf(json_object_get(reply, "result"), stdout, JSON_INDENT(2) | JSON_ENCODE_ANY);
        putchar('\n');
    } else {
        print_value(json_object_get(reply, "result"), 0);
    }
    json_decref(reply);
    return 0;
}
