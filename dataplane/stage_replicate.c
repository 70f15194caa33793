/* SPDX-License-Identifier: Apache-2.0 */
/* Broadcast and multicast within a VSID: unicast replication to every remote PA hosting the VSID
 * and a copy to each other local VM port in it. This is what makes DHCP, DAD and NUD work inside a
 * virtual network without flooding the PA network. */
#include "dp_internal.h"

void
dp_replicate(struct dp_worker *w, struct rte_mbuf *m, const struct dp_subnet *sn, int from_port,
             bool to_remote)
{
    struct dp *dp = w->dp;
    uint64_t ports = sn->local_ports;

    while (ports) {
        unsigned p = __builtin_ctzll(ports);
        struct rte_mbuf *c;

        ports &= ports - 1;
        if ((int)p == from_port) {
            continue;
        }
        c = rte_pktmbuf_copy(m, dp->pool, 0, UINT32_MAX);
        if (!c) {
            w->stats.drop[DP_replicate_alloc_failed]++;
            continue;
        }
        dp_count(w, DP_replicate_copies);
        dp_vm_output(w, c, (uint16_t)p);
    }
    for (unsigned i = 0; to_remote && i < sn->n_flood; i++) {
        struct rte_mbuf *c = rte_pktmbuf_copy(m, dp->pool, 0, UINT32_MAX);
        if (!c) {
            w->stats.drop[DP_replicate_alloc_failed]++;
            continue;
        }
        dp_count(w, DP_replicate_copies);
        dp_encap_output(w, c, sn->vsid, sn->flood_pa[i]);
    }
    rte_pktmbuf_free(m);
}
