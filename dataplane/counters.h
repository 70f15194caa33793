/* SPDX-License-Identifier: Apache-2.0 */
/* Per-stage counters and named drop reasons, as X-macro lists (the VPP error.def idea): one line
 * adds a counter, its CLI name and its help text everywhere at once.
 *
 * Every worker owns a struct dp_stats and is the only writer of it; the control thread sums them
 * when asked. A drop is always counted under exactly one reason. */
#ifndef HNVGW_COUNTERS_H
#define HNVGW_COUNTERS_H

#include <stdint.h>

/* Forwarding events, per stage: X(stage, name, help). */
#define DP_COUNTER_LIST(X)                                                                         \
    X(provider, rx, "frames received on the provider port")                                        \
    X(provider, arp_replied, "ARP requests for our PAs answered")                                  \
    X(provider, arp_learned, "ARP packets punted for neighbor learning")                           \
    X(provider, ping_replied, "ICMP echo requests to our PAs answered (ping -p)")                  \
    X(provider, vrrp_punted, "VRRP adverts (IPv4 protocol 112) handed to the control thread")      \
    X(decap, nvgre, "NVGRE frames decapsulated")                                                   \
    X(tenant, arp_replied, "inner ARP requests answered from policy")                              \
    X(tenant, switched_local, "frames delivered to a local VM port within the VSID")               \
    X(tenant, to_wildcard, "frames sent to the VSID's gateway-wildcard PA")                        \
    X(route, routed, "IPv4 packets routed in a routing domain")                                    \
    X(route, to_external, "packets routed out of the external port")                               \
    X(route, icmp_sent, "ICMP errors generated")                                                   \
    X(route, fragmented, "packets fragmented to fit the path MTU (no DF)")                         \
    X(route, fib_rebuilds, "FIBs rebuilt to recover reservations DPDK's TRIE leaks on delete")     \
    X(encap, nvgre, "frames encapsulated into NVGRE")                                              \
    X(vm, rx, "frames received from local VM ports")                                               \
    X(vm, arp_replied, "VM ARP requests answered from policy")                                     \
    X(vm, delivered, "frames delivered to local VM ports")                                         \
    X(replicate, copies, "broadcast copies sent (unicast replication and local ports)")            \
    X(external, rx, "frames received on the external port")                                        \
    X(external, arp_replied, "ARP requests for external addresses answered")                       \
    X(external, ping_replied, "ICMP echo requests to external addresses answered")                 \
    X(tx, sent, "frames handed to a port for transmission")                                        \
    X(tx, neigh_punted, "packets held while their next hop is resolved by ARP")                    \
    X(nat, in2out, "packets translated inside to outside")                                         \
    X(esp, rx, "packets to a local tunnel address (ESP, IKE, ping)")                               \
    X(esp, udp_decapsulated, "ESP packets that came in UDP 4500 (NAT-T)")                          \
    X(esp, decrypted, "ESP packets authenticated, decrypted and routed in their tenant")           \
    X(esp, encrypted, "tenant packets encrypted into a tunnel")                                    \
    X(esp, ike_punted, "IKE and ICMP for tunnel addresses handed to the IKE compartment")          \
    X(esp, ike_sent, "IKE packets from the IKE compartment sent out of the external port")         \
    X(nat, out2in, "packets translated outside to inside")                                         \
    X(nat, hairpinned, "packets from a tenant to a NAT public address, turned around inside")      \
    X(nat, sessions_created, "NAT sessions created")                                               \
    X(nat, sessions_expired, "NAT sessions removed by their idle timeout")                         \
    X(nat, sessions_cleared, "NAT sessions removed by the operator")                               \
    X(nat, mappings_created, "NAT mappings (inside endpoint -> public endpoint) created")          \
    X(nat, port_preserved, "new mappings that kept the inside port")                               \
    X(nat, blocks_allocated, "NAT port blocks taken by a tenant")                                  \
    X(nat, blocks_released, "NAT port blocks given back")                                          \
    X(nat, static_hits, "sessions opened through a static inbound mapping")                        \
    X(nat, icmp_errors_translated, "ICMP errors whose quoted packet was translated (RFC 5508)")    \
    X(nat, handoffs, "packets handed to the worker that owns their session")                       \
    X(nat, fragments, "IPv4 fragments received for NAT")                                           \
    X(nat, reassembled, "datagrams reassembled from fragments for NAT")                            \
    X(nat, sync_exported, "NAT session changes queued for the pair's peer")                        \
    X(nat, sync_imported, "NAT sessions created or updated as the pair's peer sent them")          \
    X(nat, sync_deleted, "NAT sessions removed as the pair's peer said")                           \
    X(nat, sync_replaced, "NAT sessions removed for a conflicting one the pair's peer sent")       \
    X(exception, rx, "frames from tenant compartments")                                            \
    X(exception, arp_replied, "compartment ARP requests answered (the data plane is every hop)")   \
    X(exception, routed, "compartment packets routed in their tenant")                             \
    X(exception, punted, "control packets for the gateway's addresses sent to the compartment")    \
    X(worker, idle_sleeps, "times an idle worker slept")                                           \
    X(ha, vrrp_received, "VRRP adverts handed to the pair's election (dp_ha_set_vrrp_handler)")    \
    X(ha, garp_sent, "gratuitous ARPs queued for the virtual addresses (dp_ha_announce)")          \
    X(ha, frames_sent, "frames the pair's election queued for sending (dp_ha_send)")

/* A macro's value as a string literal. */
#define DP_STR(x)  #x
#define DP_XSTR(x) DP_STR(x)

/* Drop reasons: X(stage, name, help). Help texts may quote dp.h's constants: the list is expanded
 * into strings only in counters.c, which includes dp.h. */
#define DP_DROP_LIST(X)                                                                            \
    X(provider, runt, "frame shorter than its headers")                                            \
    X(provider, bad_vlan, "VLAN tag absent, unexpected or wrong")                                  \
    X(provider, bad_ipv4, "malformed outer IPv4 header")                                           \
    X(provider, bad_ip_checksum, "outer IPv4 header checksum wrong (by the NIC or in software)")   \
    X(provider, not_my_pa, "outer destination is not one of this node's PAs")                      \
    X(provider, outer_fragment, "outer IPv4 fragment (NVGRE is not reassembled)")                  \
    X(provider, not_gre, "IPv4 to a PA that is neither GRE nor ICMP echo")                         \
    X(provider, unsupported_ethertype, "ethertype not handled on the provider port")               \
    X(provider, bad_arp, "malformed or foreign ARP")                                               \
    X(provider, ha_passive, "IPv4 to a PA on a passive node (the pair's active node answers)")     \
    X(provider, vrrp_punt_full, "VRRP advert lost: the punt ring to the control thread was full")  \
    X(decap, bad_gre_flags, "GRE word is not 0x2000 (only K set, version 0)")                      \
    X(decap, bad_gre_proto, "GRE protocol is not 0x6558 (transparent Ethernet)")                   \
    X(decap, vsid_out_of_range, "VSID outside " DP_XSTR(DP_VSID_MIN) ".." DP_XSTR(DP_VSID_MAX))    \
    X(decap, unknown_vsid, "VSID not configured on this node")                                     \
    X(decap, inner_runt, "inner frame shorter than an Ethernet header")                            \
    X(decap, inner_vlan, "inner frame carries an 802.1Q tag")                                      \
    X(tenant, arp_no_policy, "inner ARP for a CA that policy does not know")                       \
    X(tenant, bad_arp, "malformed inner ARP")                                                      \
    X(tenant, arp_ignored, "inner ARP that is not a request (CA learning is not enabled)")         \
    X(tenant, unknown_dst_mac, "inner unicast to a MAC that is neither gateway nor local")         \
    X(tenant, broadcast, "inner broadcast or multicast not needed here")                           \
    X(tenant, not_ipv4, "inner frame to the gateway MAC is not IPv4")                              \
    X(route, bad_ipv4, "malformed inner IPv4 header")                                              \
    X(route, ttl_expired, "TTL reached zero (time-exceeded sent)")                                 \
    X(route, no_route, "no route in the routing domain (unreachable sent)")                        \
    X(route, no_lookup_record, "no lookup record for the destination CA (unreachable sent)")       \
    X(route, blackhole, "route is a blackhole")                                                    \
    X(route, too_big, "DF packet exceeds the path MTU (fragmentation-needed sent)")                \
    X(route, fragment_failed, "packet exceeds the path MTU and could not be fragmented")           \
    X(route, for_us, "addressed to a gateway address that only answers ping and ARP")              \
    X(route, no_external_port, "route points to the external port but there is none")              \
    X(encap, no_headroom, "no room to prepend the outer headers")                                  \
    X(vm, spoofed_mac, "VM frame with a source MAC other than its bound MAC")                      \
    X(vm, spoofed_ip, "VM packet with a source IP other than its bound CA")                        \
    X(vm, vlan_tagged, "VM frame carries an 802.1Q tag")                                           \
    X(vm, runt, "VM frame shorter than its headers")                                               \
    X(vm, no_destination, "VM frame with no lookup record and no gateway wildcard")                \
    X(external, runt, "frame shorter than its headers")                                            \
    X(external, bad_vlan, "VLAN tag absent, unexpected or wrong")                                  \
    X(external, bad_ipv4, "malformed IPv4 header")                                                 \
    X(external, no_tenant, "destination in no tenant's forwarded prefixes")                        \
    X(external, unsupported_ethertype, "ethertype not handled on the external port")               \
    X(external, bad_arp, "malformed or foreign ARP")                                               \
    X(external, ha_passive, "frame other than ARP on a passive node (the active node answers)")    \
    X(replicate, alloc_failed, "no mbuf for a broadcast copy")                                     \
    X(nat, not_inside, "source is not in the tenant's NAT inside prefixes")                        \
    X(nat, session_quota, "tenant at its NAT session quota (ICMP prohibited sent)")                \
    X(nat, port_quota, "tenant at its NAT port quota (ICMP prohibited sent)")                      \
    X(nat, out_of_ports, "no free public port for the tenant (ICMP prohibited sent)")              \
    X(nat, table_full, "the worker's NAT session table is full (ICMP prohibited sent)")            \
    X(nat, no_mapping, "inbound packet to a public port with no mapping")                          \
    X(nat, filtered, "inbound packet refused by address-dependent filtering")                      \
    X(nat, tcp_no_syn, "TCP without SYN would open a new inbound session")                         \
    X(nat, icmp_unknown_session, "ICMP error quoting a packet of no known session")                \
    X(nat, icmp_unsupported, "ICMP type that NAT does not translate")                              \
    X(nat, unsupported_proto, "protocol other than TCP, UDP and ICMP")                             \
    X(nat, bad_l4, "transport header truncated or malformed")                                      \
    X(nat, handoff_full, "the owning worker's hand-off ring was full")                             \
    X(nat, reassembly_failed, "fragment not reassembled (table full, timeout or bad fragment)")    \
    X(nat, log_lost, "mapping-log records lost: the log ring was full")                            \
    X(nat, sync_export_lost, "NAT session changes lost: the sync export ring was full")            \
    X(nat, sync_bad_tenant, "synced NAT session refused: its tenant has no NAT")                   \
    X(nat, sync_bad_record, "synced NAT session refused: bad protocol, state, address or port")    \
    X(nat, sync_import_full, "synced NAT session refused: import ring or session table full")      \
    X(nat, sync_conflict, "synced NAT session refused: its port block is another worker's")        \
    X(esp, unknown_spi, "ESP with an SPI of no inbound SA for that tunnel address")                \
    X(esp, auth_failed, "ESP that failed authentication (ICV) or decryption")                      \
    X(esp, replay, "ESP replayed, or older than the anti-replay window")                           \
    X(esp, selector_mismatch, "decrypted packet outside the SA's traffic selectors")               \
    X(esp, no_sa, "tenant packet for a tunnel with no SA (tunnel down): never sent in clear")      \
    X(esp, crypto_error, "encryption failed (no room for ESP headers or trailer)")                 \
    X(esp, bad_packet, "ESP or UDP 4500 packet truncated or fragmented")                           \
    X(esp, bad_inner, "decrypted payload is not IPv4")                                             \
    X(esp, not_esp, "packet to a tunnel address that is neither ESP, IKE nor ICMP")                \
    X(esp, no_ike_compartment, "IKE for a tunnel address with no IKE compartment")                 \
    X(esp, ike_bad_source, "IKE compartment packet from an address that is no tunnel address")     \
    X(exception, runt, "compartment frame shorter than its headers")                               \
    X(exception, unsupported, "compartment frame that is neither ARP nor IPv4")                    \
    X(exception, unknown_source, "untagged frame from no compartment's MAC on a shared port")      \
    X(exception, unknown_tag, "frame whose 802.1Q tag is no compartment's on that port")           \
    X(exception, ha_passive, "compartment frame other than ARP on a passive node (sends nothing)") \
    X(icmp, rate_limited, "ICMP error suppressed by the rate limit")                               \
    X(tx, neigh_queue_full, "packet dropped while waiting for ARP resolution")                     \
    X(tx, port_full, "the port's transmit queue was full")                                         \
    X(tx, no_port, "no port for the chosen output")                                                \
    X(ha, vrrp_no_handler, "VRRP advert received while no election is listening (no pair)")        \
    X(ha, vrrp_bad, "VRRP advert in segments that could not be joined for the election")

#define DP_ENUM(stage, name, help) DP_##stage##_##name,
enum dp_counter { DP_COUNTER_LIST(DP_ENUM) DP_N_COUNTERS };
enum dp_drop { DP_DROP_LIST(DP_ENUM) DP_N_DROPS };
#undef DP_ENUM

/* One worker's counters. Cache-line aligned so that workers never share a line. */
struct dp_stats {
    uint64_t counter[DP_N_COUNTERS]; /* Indexed by enum dp_counter. */
    uint64_t drop[DP_N_DROPS];       /* Indexed by enum dp_drop. */
} __attribute__((aligned(64)));

/* Names: "stage.name", and one-line help texts, indexed like the enums. */
extern const char *const dp_counter_names[DP_N_COUNTERS];
extern const char *const dp_counter_help[DP_N_COUNTERS];
extern const char *const dp_drop_names[DP_N_DROPS];
extern const char *const dp_drop_help[DP_N_DROPS];

#endif
