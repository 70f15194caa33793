/* SPDX-License-Identifier: Apache-2.0 */
/* Logging to stderr with sd-daemon priority prefixes, so that journald keeps the levels and a
 * terminal still reads well. */
#ifndef HNVGW_LOG_H
#define HNVGW_LOG_H

#include <stdio.h>
#include <systemd/sd-daemon.h>

#define LOG_ERR_(fmt, ...)  fprintf(stderr, SD_ERR "hnvgwd: " fmt "\n", ##__VA_ARGS__)
#define LOG_WARN_(fmt, ...) fprintf(stderr, SD_WARNING "hnvgwd: " fmt "\n", ##__VA_ARGS__)
#define LOG_INFO_(fmt, ...) fprintf(stderr, SD_INFO "hnvgwd: " fmt "\n", ##__VA_ARGS__)

#define log_err(...)  LOG_ERR_(__VA_ARGS__)
#define log_warn(...) LOG_WARN_(__VA_ARGS__)
#define log_info(...) LOG_INFO_(__VA_ARGS__)

#endif
