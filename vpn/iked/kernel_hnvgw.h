/* SPDX-License-Identifier: Apache-2.0 */
/* hnvgw-iked's kernel_ipsec_t: SAs and policies charon negotiates go to hnvgwd's data plane over
 * the kipsec socket (vpn/kipsec_msg.h) instead of the Linux kernel, which here has no XFRM ESP.
 *
 * The backend promises:
 * - Every SA keeps its connection's if_id and reqid: hnvgwd derives the tenant from them.
 * - Lifetimes are enforced here, since no kernel does: soft and hard expiry by time (scheduler
 *   jobs) and by volume (hnvgwd's counters, polled), raised through charon->kernel->expire(), so
 *   charon rekeys make-before-break and deletes on the hard limit.
 * - Only what the data plane implements is accepted (tunnel mode; AES-GCM-16 128/256; AES-CBC
 *   128/256 with HMAC-SHA-256-128); anything else fails the CHILD_SA with a log line. */
#ifndef HNVGW_KERNEL_HNVGW_H
#define HNVGW_KERNEL_HNVGW_H

#include <kernel/kernel_ipsec.h>

/* Sets the socket the backend uses; call before charon->initialize(). */
void kernel_hnvgw_set_socket(const char *path);

/* The constructor charon's plugin loader calls (PLUGIN_CALLBACK(kernel_ipsec_register, ...)). */
kernel_ipsec_t *kernel_hnvgw_create(void);

#endif
