/* SPDX-License-Identifier: Apache-2.0 */
/* One-shot timers of the daemon's sd-event loop, created on first use and re-armed after. */
#ifndef HNVGW_LIB_EVENT_TIMER_H
#define HNVGW_LIB_EVENT_TIMER_H

#include <stdint.h>
#include <systemd/sd-event.h>
#include <time.h>

/* Makes '*src' call 'cb' (with 'aux') once, 'usec' from now on CLOCK_MONOTONIC, with
 * 'accuracy_us' of slack: creates the source on 'event' when '*src' is NULL (the caller owns it
 * then), else moves and re-enables it. Returns 0 or a negative errno, as sd-event does. */
static inline int
event_timer_in(sd_event *event, sd_event_source **src, uint64_t usec, uint64_t accuracy_us,
               sd_event_time_handler_t cb, void *aux)
{
    int ret;

    if (!*src) {
        return sd_event_add_time_relative(event, src, CLOCK_MONOTONIC, usec, accuracy_us, cb, aux);
    }
    ret = sd_event_source_set_time_relative(*src, usec);
    return ret < 0 ? ret : sd_event_source_set_enabled(*src, SD_EVENT_ONESHOT);
}

#endif
