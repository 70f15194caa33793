/* SPDX-License-Identifier: Apache-2.0 */
/* Packet trace: marking and the dispatch to each stage's formatter. See trace.h. */
#include "trace.h"

#include <errno.h>
#include <stdio.h>

#include <rte_errno.h>

uint64_t dp_trace_flag;
int dp_trace_field = -1;

int
dp_trace_init(void)
{
    static const struct rte_mbuf_dynfield field = {
        .name = "hnvgw_trace_pkt",
        .size = sizeof(uint32_t),
        .align = __alignof__(uint32_t),
    };
    static const struct rte_mbuf_dynflag flag = {.name = "hnvgw_trace"};
    int bit;

    dp_trace_field = rte_mbuf_dynfield_register(&field);
    bit = rte_mbuf_dynflag_register(&flag);
    if (dp_trace_field < 0 || bit < 0) {
        return rte_errno ? rte_errno : ENOSPC;
    }
    dp_trace_flag = 1ull << bit;
    return 0;
}

static dp_trace_fmt_fn *const formatters[DP_TRACE_N_STAGES] = {
#define DP_TRACE_FMT(stage, fmt) fmt,
    DP_TRACE_STAGES(DP_TRACE_FMT)
#undef DP_TRACE_FMT
};

void
dp_trace_format(const struct dp_trace_rec *r, char *buf, size_t len)
{
    if (r->stage < DP_TRACE_N_STAGES) {
        formatters[r->stage](r, buf, len);
    } else {
        snprintf(buf, len, "unknown stage %u", r->stage);
    }
}
