/* SPDX-License-Identifier: Apache-2.0 */
/* The IKE daemon's end of the kipsec socket (vpn/kipsec_msg.h): one request at a time, whatever
 * thread of charon's asks.
 *
 * The module promises: kipsec_client_call() sends one request and returns hnvgwd's answer; a
 * broken connection is re-established (with HELLO, which makes hnvgwd forget the SAs of the old
 * one) before the request is retried once. Thread-safe. */
#ifndef HNVGW_KIPSEC_CLIENT_H
#define HNVGW_KIPSEC_CLIENT_H

#include "vpn/kipsec_msg.h"

struct kipsec_client;

/* Connects to hnvgwd's socket at 'path' and says HELLO, retrying for up to 'wait_s' seconds.
 * Returns NULL (errno set) when hnvgwd cannot be reached. */
struct kipsec_client *kipsec_client_open(const char *path, unsigned wait_s);

/* Sends '*req' (version and seq are filled here) and stores hnvgwd's answer in '*rep'. Returns 0
 * when an answer came (its own error in rep->err), or a positive errno when none could. */
int kipsec_client_call(struct kipsec_client *c, struct kipsec_request *req,
                       struct kipsec_reply *rep);

/* Closes and frees 'c'. Accepts NULL. */
void kipsec_client_close(struct kipsec_client *c);

#endif
