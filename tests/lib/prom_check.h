/* SPDX-License-Identifier: Apache-2.0 */
/* Checks of a Prometheus text exposition (gateway/metrics.c) shared by the metrics unit tests.
 * Include after cmocka.h. */
#ifndef HNVGW_TESTS_LIB_PROM_CHECK_H
#define HNVGW_TESTS_LIB_PROM_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROM_CHECK_FAMILIES 1024 /* Families one exposition may have, for the check. */

/* Checks 'text' line by line as a Prometheus parser would: each family opens with its HELP then
 * its TYPE, once in the whole text; each sample belongs to the family opened last, its labels
 * well quoted and escaped, its value a number. Returns the number of families. */
static inline size_t
check_exposition(const char *text, size_t *n_samples)
{
    static char seen[PROM_CHECK_FAMILIES][128];
    size_t n_seen = 0, samples = 0;
    char family[128] = "";
    const char *line = text;

    while (*line) {
        const char *end = strchr(line, '\n');
        char name[128], help_name[128], type[16];
        size_t len, i;

        assert_non_null(end); /* Every line ends with a newline. */
        len = (size_t)(end - line);
        if (!strncmp(line, "# HELP ", 7)) {
            assert_int_equal(sscanf(line, "# HELP %127s", help_name), 1);
            assert_int_equal(sscanf(end + 1, "# TYPE %127s %15s", name, type), 2);
            assert_string_equal(name, help_name);
            assert_true(!strcmp(type, "counter") || !strcmp(type, "gauge"));
            for (i = 0; i < n_seen; i++) {
                if (!strcmp(seen[i], name)) {
                    fail_msg("family %s opened twice", name);
                }
            }
            assert_true(n_seen < PROM_CHECK_FAMILIES);
            snprintf(seen[n_seen++], sizeof seen[0], "%s", name);
            snprintf(family, sizeof family, "%s", name);
            line = strchr(end + 1, '\n') + 1;
            continue;
        }
        assert_true(line[0] != '#'); /* No other comment. */
        for (i = 0; i < len && line[i] != '{' && line[i] != ' '; i++) {
        }
        assert_true(i == strlen(family) && !strncmp(line, family, i));
        if (line[i] == '{') {
            /* name="value" pairs: a value ends at a quote that no backslash escapes. */
            i++;
            while (line[i] != '}') {
                while (line[i] != '=') {
                    assert_true(line[i] == '_' || (line[i] >= 'a' && line[i] <= 'z'));
                    i++;
                }
                assert_true(line[i + 1] == '"');
                for (i += 2; line[i] != '"'; i++) {
                    assert_true(line[i] != '\n');
                    if (line[i] == '\\') {
                        i++;
                        assert_true(line[i] == '\\' || line[i] == '"' || line[i] == 'n');
                    }
                }
                i++;
                assert_true(line[i] == ',' || line[i] == '}');
                i += line[i] == ',';
            }
            i++;
        }
        assert_true(line[i] == ' ');
        {
            char *num_end;
            const char *num = line + i + 1;
            if (strncmp(num, "NaN\n", 4)) {
                strtod(num, &num_end);
                assert_true(num_end == end && num_end != num);
            }
        }
        samples++;
        line = end + 1;
    }
    *n_samples = samples;
    return n_seen;
}

/* Counts the lines of 'text' that start with 'prefix'. */
static inline size_t
lines_with(const char *text, const char *prefix)
{
    size_t n = 0, len = strlen(prefix);

    for (const char *l = text; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
        n += !strncmp(l, prefix, len);
    }
    return n;
}

#endif
