/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers the device-less benches share: ports filled in as dp_port_add() and dp_start() would
 * leave them, backed by net_null devices whose tx burst frees what the pipeline sends. Include
 * after dataplane/dp_internal.h and <rte_ethdev.h>. */
#ifndef HNVGW_TESTS_BENCH_UTIL_H
#define HNVGW_TESTS_BENCH_UTIL_H

#include <stdbool.h>
#include <string.h>

/* Starts net_null port 'port' with one rx and one tx queue on dp's mbuf pool; false if it cannot
 * be started. */
static inline bool
bench_start_null_port(struct dp *dp, uint16_t port)
{
    struct rte_eth_conf conf;

    memset(&conf, 0, sizeof conf);
    return !rte_eth_dev_configure(port, 1, 1, &conf) &&
           !rte_eth_rx_queue_setup(port, 0, 512, SOCKET_ID_ANY, NULL, dp->pool) &&
           !rte_eth_tx_queue_setup(port, 0, 512, SOCKET_ID_ANY, NULL) && !rte_eth_dev_start(port);
}

/* Makes DPDK port 'id' of 'dp' a port of 'kind' with 'mac', address 'ip'/24 and 'mtu'. */
static inline void
bench_add_port(struct dp *dp, uint16_t id, enum dp_port_kind kind, const uint8_t *mac, uint32_t ip,
               uint16_t mtu)
{
    dp->ports[id] = (struct dp_port){.conf = {.kind = kind, .mtu = mtu, .ip = ip, .plen = 24},
                                     .port_id = id,
                                     .mask = htonl(0xffffff00),
                                     .used = true};
    memcpy(dp->ports[id].conf.mac, mac, 6);
    memcpy(dp->ports[id].mac.addr_bytes, mac, 6);
    dp->port_order[dp->n_ports++] = id;
}

#endif
