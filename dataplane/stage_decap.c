/* NVGRE decapsulation with the validation of RFC 7637 and [MS-NVGREE]: the GRE word must be exactly
 * 0x2000 (key present, no checksum or sequence, version 0), the protocol 0x6558, the VSID in range
 * and configured, and the inner frame an untagged Ethernet frame. */
#include "dp_internal.h"

#include <rte_gre.h>
#include <stdio.h>

void
dp_decap_input(struct dp_worker *w, struct rte_mbuf *m, uint32_t outer_src, uint32_t outer_dst)
{
    const uint8_t *gre;
    uint32_t key, vsid;
    const struct dp_subnet *sn;
    const struct rte_ether_hdr *inner;

    (void)outer_dst;
    if (rte_pktmbuf_data_len(m) < 8) {
        dp_drop(w, m, DP_provider_runt);
        return;
    }
    gre = rte_pktmbuf_mtod(m, const uint8_t *);
    if (((gre[0] << 8) | gre[1]) != DP_GRE_FLAGS_KEY) {
        dp_drop(w, m, DP_decap_bad_gre_flags);
        return;
    }
    if (((gre[2] << 8) | gre[3]) != DP_ETHER_TYPE_TEB) {
        dp_drop(w, m, DP_decap_bad_gre_proto);
        return;
    }
    key = ((uint32_t)gre[4] << 24) | ((uint32_t)gre[5] << 16) | ((uint32_t)gre[6] << 8) | gre[7];
    vsid = key >> 8;
    if (vsid < 4096 || vsid > 16777214) {
        dp_drop(w, m, DP_decap_vsid_out_of_range);
        return;
    }
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
