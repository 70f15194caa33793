/* SPDX-License-Identifier: Apache-2.0 */
/* NVGRE decapsulation with the validation of RFC 7637 and [MS-NVGREE]: the GRE header as
 * dp_nvgre_check() defines it (the one check the burst path shares), then the VSID configured here
 * and the inner frame an untagged Ethernet frame. */
#include "dp_internal.h"

#include <stdio.h>

void
dp_decap_input(struct dp_worker *w, struct rte_mbuf *m, uint32_t outer_src, uint32_t outer_dst)
{
    uint32_t key, vsid;
    enum dp_drop why;
    const struct dp_subnet *sn;
    const struct rte_ether_hdr *inner;

    (void)outer_dst;
    if (!dp_nvgre_check(rte_pktmbuf_mtod(m, const uint8_t *), rte_pktmbuf_data_len(m), &key,
                        &why)) {
        dp_drop(w, m, why);
        return;
    }
    vsid = key >> 8;
    sn = dp_subnet_find(w->dp, vsid);
    if (!sn) {
        dp_drop(w, m, DP_decap_unknown_vsid);
        return;
    }
    rte_pktmbuf_adj(m, 8);
    if (rte_pktmbuf_data_len(m) < sizeof *inner) {
        dp_drop(w, m, DP_decap_inner_runt);
        return;
    }
    inner = rte_pktmbuf_mtod(m, const struct rte_ether_hdr *);
    if (inner->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN) ||
        inner->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_QINQ)) {
        dp_drop(w, m, DP_decap_inner_vlan);
        return;
    }
    dp_count(w, DP_decap_nvgre);
    DP_TRACE(w, m, decap, 0, vsid, key & 0xff, sn->tenant);
    dp_tenant_input(w, m, sn, outer_src);
}

void
dp_trace_fmt_decap(const struct dp_trace_rec *r, char *buf, size_t len)
{
    snprintf(buf, len, "decap: NVGRE VSID %u FlowID %u -> routing domain %u", r->a, r->b, r->c);
}
