#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Reserves 2 MiB hugepages for the DPDK processes (no hugetlbfs mount is needed with --in-memory).
# Usage: hugepages.sh [PAGES], default 1536 (3 GiB). Never lowers an existing reservation.
set -euo pipefail
want=${1:-1536}
have=$(cat /proc/sys/vm/nr_hugepages)
if [ "$have" -lt "$want" ]; then
  echo "$want" > /proc/sys/vm/nr_hugepages
  echo "hugepages: $(cat /proc/sys/vm/nr_hugepages) x 2 MiB reserved"
fi
