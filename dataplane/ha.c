/* SPDX-License-Identifier: Apache-2.0 */
/* High availability in the data plane (ha.h). PLACEHOLDER: the API compiles and links so that
 * the control plane can be written against it; the workers do not honour the role yet. */
#include <errno.h>

#include "dp_internal.h"
#include "ha.h"

static enum dp_ha_role placeholder_role = DP_HA_STANDALONE;

int
dp_ha_set_role(struct dp *dp, enum dp_ha_role role)
{
    (void)dp;
    if (role != DP_HA_STANDALONE && role != DP_HA_ACTIVE && role != DP_HA_PASSIVE) {
        return EINVAL;
    }
    placeholder_role = role;
    return 0;
}

enum dp_ha_role
dp_ha_role(const struct dp *dp)
{
    (void)dp;
    return placeholder_role;
}

const char *
dp_ha_role_name(enum dp_ha_role role)
{
    switch (role) {
    case DP_HA_STANDALONE:
        return "standalone";
    case DP_HA_ACTIVE:
        return "active";
    case DP_HA_PASSIVE:
        return "passive";
    }
    return "unknown";
}

int
dp_ha_announce(struct dp *dp, unsigned *sent)
{
    (void)dp;
    if (sent) {
        *sent = 0;
    }
    return ENOTSUP;
}

void
dp_ha_set_vrrp_handler(struct dp *dp, dp_ha_vrrp_fn *fn, void *aux)
{
    (void)dp;
    (void)fn;
    (void)aux;
}

int
dp_ha_send(struct dp *dp, uint16_t port, const uint8_t *frame, size_t len)
{
    (void)dp;
    (void)port;
    (void)frame;
    (void)len;
    return ENOTSUP;
}
