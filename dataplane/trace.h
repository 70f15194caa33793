/* SPDX-License-Identifier: Apache-2.0 */
/* Packet trace, after VPP's: the next N packets received are marked, and every stage they pass
 * through appends a small record to its worker's trace buffer. Each stage file owns a formatter
 * for its records, so "hnvgwctl show trace" reads like the pipeline itself.
 *
 * Marking uses an mbuf dynamic flag (ol_flags is cleared for every received packet, so unmarked
 * packets cost one test) and a dynamic field for the packet's trace number. Marked packets take
 * the per-packet stages, never the burst path. */
#ifndef HNVGW_TRACE_H
#define HNVGW_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>

#define DP_TRACE_RECS 1024 /* Records kept per worker; later ones are not recorded. */

/* Stages that record, with their formatters (in the stage's own file). */
#define DP_TRACE_STAGES(X)                                                                         \
    X(provider, dp_trace_fmt_provider)                                                             \
    X(decap, dp_trace_fmt_decap)                                                                   \
    X(tenant, dp_trace_fmt_tenant)                                                                 \
    X(route, dp_trace_fmt_route)                                                                   \
    X(encap, dp_trace_fmt_encap)                                                                   \
    X(vm, dp_trace_fmt_vm)                                                                         \
    X(external, dp_trace_fmt_external)                                                             \
    X(nat, dp_trace_fmt_nat)                                                                       \
    X(esp, dp_trace_fmt_esp)                                                                       \
    X(exception, dp_trace_fmt_exception)                                                           \
    X(ha, dp_trace_fmt_ha)                                                                         \
    X(tx, dp_trace_fmt_tx)                                                                         \
    X(drop, dp_trace_fmt_drop)

#define DP_TRACE_ENUM(stage, fmt) DP_TRACE_##stage,
enum dp_trace_stage { DP_TRACE_STAGES(DP_TRACE_ENUM) DP_TRACE_N_STAGES };
#undef DP_TRACE_ENUM

/* One record: which packet, which stage, and up to three stage-defined values. */
struct dp_trace_rec {
    uint32_t pkt;  /* Trace number of the packet (per worker, from 1). */
    uint8_t stage; /* enum dp_trace_stage. */
    uint8_t what;  /* Stage-defined event. */
    uint16_t port; /* DPDK port involved. */
    uint32_t a;    /* Stage-defined values (addresses in network order). */
    uint32_t b;
    uint32_t c;
};

/* A worker's records. Only the worker writes; n is published with release order. */
struct dp_trace_buf {
    uint32_t n;                             /* Records written. */
    uint32_t next_pkt;                      /* Last trace number handed out. */
    struct dp_trace_rec rec[DP_TRACE_RECS]; /* The records. */
};

/* Formats one record into 'buf'. */
typedef void dp_trace_fmt_fn(const struct dp_trace_rec *r, char *buf, size_t len);
#define DP_TRACE_DECL(stage, fmt) dp_trace_fmt_fn fmt;
DP_TRACE_STAGES(DP_TRACE_DECL)
#undef DP_TRACE_DECL

extern uint64_t dp_trace_flag; /* ol_flags bit of marked packets (0 until registered). */
extern int dp_trace_field;     /* Offset of the uint32 trace number in the mbuf. */

/* Registers the dynamic flag and field; once per process, after rte_eal_init(). */
int dp_trace_init(void);

static inline bool
dp_traced(const struct rte_mbuf *m)
{
    return (m->ol_flags & dp_trace_flag) != 0;
}

/* Appends a record for marked packet m (call only when dp_traced(m)). */
static inline void
dp_trace_add(struct dp_trace_buf *t, const struct rte_mbuf *m, enum dp_trace_stage stage,
             uint8_t what, uint32_t a, uint32_t b, uint32_t c)
{
    uint32_t n = t->n;

    if (n < DP_TRACE_RECS) {
        t->rec[n] = (struct dp_trace_rec){
            .pkt = *RTE_MBUF_DYNFIELD(m, dp_trace_field, const uint32_t *),
            .stage = (uint8_t)stage,
            .what = what,
            .port = m->port,
            .a = a,
            .b = b,
            .c = c,
        };
        __atomic_store_n(&t->n, n + 1, __ATOMIC_RELEASE);
    }
}

/* Formats record r with its stage's formatter. */
void dp_trace_format(const struct dp_trace_rec *r, char *buf, size_t len);

#endif
