/* SPDX-License-Identifier: Apache-2.0 */
/* Names and help texts of the counters, generated from the X-macro lists. */
#include "counters.h"
#include "dp.h" /* Constants quoted in help texts. */

#define DP_NAME(stage, name, help) #stage "." #name,
#define DP_HELP(stage, name, help) help,
const char *const dp_counter_names[DP_N_COUNTERS] = {DP_COUNTER_LIST(DP_NAME)};
const char *const dp_counter_help[DP_N_COUNTERS] = {DP_COUNTER_LIST(DP_HELP)};
const char *const dp_drop_names[DP_N_DROPS] = {DP_DROP_LIST(DP_NAME)};
const char *const dp_drop_help[DP_N_DROPS] = {DP_DROP_LIST(DP_HELP)};
