# SPDX-License-Identifier: Apache-2.0
# An on-premises site for the IPsec labs: a router namespace running the *stock* strongSwan charon
# with kernel-libipsec (userspace ESP over a TUN; it forces UDP encapsulation), and a host behind
# it. Requires lib.sh.
#
#   [host NAME 172.16.x.10] -- lan -- [site NAME: charon, WAN address] -- wan -- (router namespace)
#
# Each charon gets its own strongswan.conf, swanctl dir, VICI socket under $LAB_DIR/site-NAME, and
# a private /run (`unshare -m`: its pidfile path is fixed).

# The plugins the stock peer needs: IKEv2 with PSK and X.509, ESP in userspace, VICI.
SITE_PLUGINS="random nonce aes sha1 sha2 hmac gcm pem pkcs1 pkcs8 x509 revocation constraints pubkey openssl kdf curve25519 kernel-libipsec kernel-netlink socket-default vici updown"

# lab_site_up NAME ROUTER_NS WAN_CIDR WAN_GW LAN_CIDR HOST_CIDR: builds site NAME. The site
# router's WAN side (WAN_CIDR, e.g. 198.18.2.2/24, default route via WAN_GW) hangs off ROUTER_NS
# through a veth "s-NAME" there (the caller gives that end its address); its LAN side (LAN_CIDR,
# e.g. 172.16.1.1/24) reaches host NAME (HOST_CIDR, default route via the LAN address). Starts
# the site's charon. Sets SITE_NS[NAME], SITE_HOST_NS[NAME], SITE_DIR[NAME].
lab_site_up() {
  local name=$1 router=$2 wan=$3 wan_gw=$4 lan=$5 host=$6
  local ns hns dir
  declare -gA SITE_NS SITE_HOST_NS SITE_DIR
  ns=$(lab_netns "site$name") || return 1
  hns=$(lab_netns "shost$name") || return 1
  dir="$LAB_DIR/site-$name"
  mkdir -p "$dir/swanctl/conf.d" "$dir/swanctl/x509" "$dir/swanctl/x509ca" "$dir/swanctl/private"
  lab_veth "$router" "s-$name" "$ns" wan || return 1
  ip -n "$ns" addr add "$wan" dev wan || return 1
  ip -n "$ns" route add default via "$wan_gw" || return 1
  lab_veth "$ns" lan "$hns" eth0 || return 1
  ip -n "$ns" addr add "$lan" dev lan || return 1
  ip -n "$hns" addr add "$host" dev eth0 || return 1
  ip -n "$hns" route add default via "${lan%/*}" || return 1
  ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 || return 1
  cat >"$dir/strongswan.conf" <<EOT
charon {
  load = $SITE_PLUGINS
  filelog {
    log {
      path = $dir/charon.log
      time_format = %H:%M:%S
      default = 1
      ike = 2
      cfg = 2
    }
  }
  plugins {
    vici { socket = unix://$dir/charon.vici }
  }
  install_routes = yes
}
EOT
  # A private /run: charon's pidfile path is fixed. ESP goes through the TUN kernel-libipsec makes.
  ip netns exec "$ns" env STRONGSWAN_CONF="$dir/strongswan.conf" unshare -m sh -c \
    'mount -t tmpfs tmpfs /run && exec /usr/lib/ipsec/charon' >"$dir/charon.out" 2>&1 &
  lab_track_pid $!
  SITE_NS[$name]=$ns
  SITE_HOST_NS[$name]=$hns
  SITE_DIR[$name]=$dir
  lab_wait_for test -S "$dir/charon.vici" || { echo "# site $name: charon did not start"; tail -5 "$dir/charon.out"; return 1; }
}

# lab_site_swanctl NAME ARGS...: swanctl against site NAME's charon.
lab_site_swanctl() {
  local name=$1; shift
  swanctl "$@" --uri "unix://${SITE_DIR[$name]}/charon.vici"
}

# lab_site_load NAME: loads ${SITE_DIR[NAME]}/swanctl/swanctl.conf (written by the caller) into the
# site's charon.
lab_site_load() {
  local dir=${SITE_DIR[$1]}
  swanctl --load-all --noprompt --file "$dir/swanctl/swanctl.conf" --uri "unix://$dir/charon.vici"
}
