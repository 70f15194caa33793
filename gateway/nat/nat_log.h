/* SPDX-License-Identifier: Apache-2.0 */
/* The NAT44 mapping log as hnvgwd writes it: one line per dp_nat_log record.
 *
 * Lines have exactly these forms (time in UTC, ISO 8601 with milliseconds):
 *   nat mapping add tenant=NAME(ID) proto=tcp inside=IP:PORT public=IP:PORT time=...Z
 *   nat mapping del tenant=NAME(ID) proto=tcp inside=IP:PORT public=IP:PORT time=...Z
 *   nat block alloc tenant=NAME(ID) public=IP:FIRST-LAST time=...Z
 *   nat block free tenant=NAME(ID) public=IP:FIRST-LAST time=...Z
 * so that an abuse report naming a public address, port and time finds the inside address. */
#ifndef HNVGW_NATLOG_H
#define HNVGW_NATLOG_H

#include <stddef.h>
#include <stdint.h>

#include "dataplane/nat.h"

/* Room for any line natlog_format() writes, including the NUL. */
#define NATLOG_LINE_MAX 192

/* Returns "tcp", "udp" or "icmp" for those IP protocol numbers, else NULL. */
const char *natlog_proto_name(uint8_t proto);

/* Writes the log line of 'rec' into 'buf' (of 'len' bytes, always NUL-terminated when 'len' > 0,
 * truncated if too short) and returns the length of the whole line, as snprintf() does.
 * 'tenant_name' is the tenant's configured name; NULL prints "?". A protocol other than TCP, UDP
 * and ICMP prints as its number; an unknown event prints as "nat event N tenant=... time=...". */
size_t natlog_format(const struct dp_nat_log *rec, const char *tenant_name, char *buf, size_t len);

/* Writes 'unix_ns' as "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC, milliseconds truncated) into 'buf'. */
#define NATLOG_TIME_STRLEN 32
const char *natlog_format_time(uint64_t unix_ns, char buf[NATLOG_TIME_STRLEN]);

#endif
