/* SPDX-License-Identifier: Apache-2.0 */
/* How hnvgwctl shows the results of the NAT commands: one table row per tenant, pool address or
 * session, with short cells ("12/65536", "10.1.1.10:43210") in place of the nested arrays and
 * objects of the raw result (which --json prints as it is). Depends on jansson only. */
#ifndef HNVGW_NATVIEW_H
#define HNVGW_NATVIEW_H

#include <stdbool.h>

#include <jansson.h>

/* If 'cmd' is "show nat", "show nat pools", "show nat sessions" or "clear nat sessions" and
 * 'result' has that command's shape (see natcli.h), returns true, stores in '*table' a new table
 * {"columns": [names], "rows": [[cells]]} (NULL when there is none to print) and in '*footer' a
 * new line without newline (free() it; NULL when there is none) to print after the table.
 * Otherwise, or when out of memory, returns false with both NULL: the caller prints 'result' as
 * it prints any other. */
bool natview_render(const char *cmd, const json_t *result, json_t **table, char **footer);

#endif
