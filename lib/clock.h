/* SPDX-License-Identifier: Apache-2.0 */
/* The control plane's one clock: monotonic milliseconds, for timeouts and back-offs (the data
 * plane counts TSC cycles instead). */
#ifndef HNVGW_LIB_CLOCK_H
#define HNVGW_LIB_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Milliseconds of CLOCK_MONOTONIC: never jumps with the wall clock. */
static inline uint64_t
hnvgw_now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

#endif
