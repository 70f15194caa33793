/* SPDX-License-Identifier: Apache-2.0 */
/* A configuration from text, for the unit tests that need a valid one (the config tests, which
 * also test the failures, have their own in tests/gateway/config/config_fixture.h). Include
 * after cmocka.h. */
#ifndef HNVGW_TESTS_LIB_CONFIG_TEXT_H
#define HNVGW_TESTS_LIB_CONFIG_TEXT_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "gateway/config.h"

/* Writes 'text' to a temporary file and loads it; fails the test, with the loader's message,
 * when it is not a valid configuration. The caller config_destroy()s the result. */
static inline struct hnvgw_config *
test_config_load(const char *text)
{
    char path[] = "/tmp/hnvgw-test-conf-XXXXXX", err[CONFIG_ERR_MAX];
    struct hnvgw_config *c = NULL;
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    int ret;

    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    ret = config_load(path, &c, err);
    unlink(path);
    if (ret) {
        fail_msg("%s", err);
    }
    return c;
}

#endif
