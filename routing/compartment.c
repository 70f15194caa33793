/* SPDX-License-Identifier: Apache-2.0 */
/* Tenant compartments (see compartment.h). */
#include "routing/compartment.h"

/* <net/if.h> before the kernel headers, whose copy of the IFF_ flags then steps aside. */
#include <net/if.h>

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/veth.h>
#include <linux/rtnetlink.h>
#include <net/route.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/epoll.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Brings the loopback of the current namespace up: zebra talks FPM to 127.0.0.1. */
static int
loopback_up(void)
{
    struct ifreq ifr;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), ret = 0;

    if (fd < 0) {
        return errno;
    }
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
        ret = errno;
    } else if (!(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) {
            ret = errno;
        }
    }
    close(fd);
    return ret;
}

/* True when 'path' is a network namespace (a bind mount of an nsfs inode). */
static bool
is_netns(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    bool ok = fd >= 0 && setns(fd, CLONE_NEWNET) == 0;

    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

/* Runs in a forked child: makes 'path' a new network namespace (or enters the one it is), then
 * brings its loopback up. The exit status is 0 or an errno. */
static int
child_create(const char *path)
{
    int fd;

    if (is_netns(path)) {
        return loopback_up(); /* Adopted: is_netns() entered it. */
    }
    fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0444);
    if (fd < 0) {
        return errno;
    }
    close(fd);
    if (unshare(CLONE_NEWNET) < 0 || mount("/proc/self/ns/net", path, "none", MS_BIND, NULL) < 0) {
        return errno;
    }
    return loopback_up();
}

int
compartment_create(const char *name, char *path, char *err)
{
    pid_t pid;
    int status, ret;

    if (!*name || strchr(name, '/') ||
        snprintf(path, COMPARTMENT_PATH_MAX, COMPARTMENT_DIR "/%s", name) >= COMPARTMENT_PATH_MAX) {
        snprintf(err, 256, "compartment name '%s' is not usable", name);
        return EINVAL;
    }
    if (mkdir(COMPARTMENT_DIR, 0755) < 0 && errno != EEXIST) {
        ret = errno;
        snprintf(err, 256, "cannot create %s: %s", COMPARTMENT_DIR, strerror(ret));
        return ret;
    }
    pid = fork();
    if (pid < 0) {
        ret = errno;
        snprintf(err, 256, "cannot fork: %s", strerror(ret));
        return ret;
    }
    if (pid == 0) {
        _exit(child_create(path));
    }
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
        ret = WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status) : ECHILD;
        snprintf(err, 256, "cannot create network namespace %s: %s", path, strerror(ret));
        return ret;
    }
    return 0;
}

int
compartment_destroy(const char *name)
{
    char path[COMPARTMENT_PATH_MAX];

    snprintf(path, sizeof path, COMPARTMENT_DIR "/%s", name);
    if (umount2(path, MNT_DETACH) < 0 && errno != EINVAL && errno != ENOENT) {
        return errno;
    }
    return unlink(path) < 0 && errno != ENOENT ? errno : 0;
}

/* Sends the rtnetlink request 'nlh' (in 'buf', MNL_SOCKET_BUFFER_SIZE bytes, which the answer
 * reuses) and waits for its acknowledgement, over libmnl. Returns 0 or a positive errno. */
static int
link_request(char *buf, struct nlmsghdr *nlh)
{
    struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
    unsigned seq = (unsigned)time(NULL), portid;
    int ret = 0;

    if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
        ret = errno;
        goto out;
    }
    portid = mnl_socket_get_portid(nl);
    nlh->nlmsg_seq = seq;
    if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
        ret = errno;
        goto out;
    }
    ssize_t n = mnl_socket_recvfrom(nl, buf, MNL_SOCKET_BUFFER_SIZE);
    if (n < 0 || mnl_cb_run(buf, (size_t)n, seq, portid, NULL, NULL) < 0) {
        ret = errno ? errno : EPROTO;
    }
out:
    if (nl) {
        mnl_socket_close(nl);
    }
    return ret;
}

/* Moves link 'ifindex' into the namespace open at 'nsfd'. */
static int
move_link(unsigned ifindex, int nsfd)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    struct ifinfomsg *ifm;

    nlh->nlmsg_type = RTM_NEWLINK;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
    ifm = mnl_nlmsg_put_extra_header(nlh, sizeof *ifm);
    ifm->ifi_family = AF_UNSPEC;
    ifm->ifi_index = (int)ifindex;
    mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)nsfd);
    return link_request(buf, nlh);
}

/* Starts an RTM_NEWLINK request on 'ifindex' (0: a new link) in 'buf' with 'flags' beyond
 * NLM_F_REQUEST | NLM_F_ACK. */
static struct nlmsghdr *
link_msg(char *buf, unsigned ifindex, uint16_t flags)
{
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    struct ifinfomsg *ifm;

    nlh->nlmsg_type = RTM_NEWLINK;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
    ifm = mnl_nlmsg_put_extra_header(nlh, sizeof *ifm);
    ifm->ifi_family = AF_UNSPEC;
    ifm->ifi_index = (int)ifindex;
    return nlh;
}

/* Deletes link 'name' of the daemon's namespace; one that is not there is no error. */
static int
delete_link(const char *name)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    unsigned ifindex = if_nametoindex(name);
    struct nlmsghdr *nlh;

    if (!ifindex) {
        return 0;
    }
    nlh = link_msg(buf, ifindex, 0);
    nlh->nlmsg_type = RTM_DELLINK;
    return link_request(buf, nlh);
}

/* Sets link 'ifindex' up, under 'master' (a bridge) unless it is 0, with MAC 'mac' unless it is
 * NULL. */
static int
link_up(unsigned ifindex, unsigned master, const uint8_t *mac)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = link_msg(buf, ifindex, 0);
    struct ifinfomsg *ifm = mnl_nlmsg_get_payload(nlh);

    ifm->ifi_flags = IFF_UP;
    ifm->ifi_change = IFF_UP;
    if (master) {
        mnl_attr_put_u32(nlh, IFLA_MASTER, master);
    }
    if (mac) {
        mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
    }
    return link_request(buf, nlh);
}

/* Keeps IPv6 off interface 'name': the hub's own neighbor discovery would only be dropped by the
 * data plane. Best effort (a kernel without IPv6 has nothing to turn off). */
static void
ipv6_off(const char *name)
{
    char path[128];
    FILE *f;

    snprintf(path, sizeof path, "/proc/sys/net/ipv6/conf/%s/disable_ipv6", name);
    f = fopen(path, "w");
    if (f) {
        fputs("1\n", f);
        fclose(f);
    }
}

int
compartment_hub_create(const char *bridge, const char *port, const uint8_t port_mac[6], char *err)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh;
    struct nlattr *info;
    unsigned br, tap = if_nametoindex(port);
    int ret;

    if (!tap) {
        ret = errno;
        snprintf(err, 256, "cannot find %s: %s", port, strerror(ret));
        return ret;
    }
    /* A bridge left by an earlier daemon has its ports: start again. */
    ret = delete_link(bridge);
    if (!ret) {
        nlh = link_msg(buf, 0, NLM_F_CREATE | NLM_F_EXCL);
        mnl_attr_put_strz(nlh, IFLA_IFNAME, bridge);
        info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
        mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "bridge");
        mnl_attr_nest_end(nlh, info);
        ret = link_request(buf, nlh);
    }
    br = ret ? 0 : if_nametoindex(bridge);
    if (!ret && !br) {
        ret = ENODEV;
    }
    if (!ret) {
        ipv6_off(bridge);
        ipv6_off(port);
        ret = link_up(br, 0, NULL);
    }
    if (!ret) {
        /* The TAP's kernel side had the data plane's MAC, which would make it the bridge's own
         * address: frames for the data plane would end in the bridge instead of crossing it. */
        ret = link_up(tap, br, port_mac);
    }
    if (ret) {
        snprintf(err, 256, "cannot make bridge %s with %s: %s", bridge, port, strerror(ret));
    }
    return ret;
}

int
compartment_hub_destroy(const char *bridge)
{
    return delete_link(bridge);
}

/* Makes bridge port 'ifindex' one compartment's: isolated from the other compartments, taking
 * frames only from the MAC of its static FDB entry (locked, no learning), and sent nothing
 * flooded. */
static int
lock_port(unsigned ifindex, const uint8_t mac[6])
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = link_msg(buf, ifindex, 0);
    struct nlattr *info, *data;
    struct ndmsg *ndm;
    int ret;

    info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_SLAVE_KIND, "bridge");
    data = mnl_attr_nest_start(nlh, IFLA_INFO_SLAVE_DATA);
    mnl_attr_put_u8(nlh, IFLA_BRPORT_LEARNING, 0);
    mnl_attr_put_u8(nlh, IFLA_BRPORT_UNICAST_FLOOD, 0);
    mnl_attr_put_u8(nlh, IFLA_BRPORT_MCAST_FLOOD, 0);
    mnl_attr_put_u8(nlh, IFLA_BRPORT_BCAST_FLOOD, 0);
    mnl_attr_put_u8(nlh, IFLA_BRPORT_ISOLATED, 1);
    mnl_attr_put_u8(nlh, IFLA_BRPORT_LOCKED, 1);
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, info);
    ret = link_request(buf, nlh);
    if (ret) {
        return ret;
    }
    /* The MAC the port takes frames from, and sends the data plane's frames for. */
    nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = RTM_NEWNEIGH;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
    ndm = mnl_nlmsg_put_extra_header(nlh, sizeof *ndm);
    ndm->ndm_family = AF_BRIDGE;
    ndm->ndm_ifindex = (int)ifindex;
    ndm->ndm_state = NUD_NOARP;
    ndm->ndm_flags = NTF_MASTER;
    mnl_attr_put(nlh, NDA_LLADDR, 6, mac);
    return link_request(buf, nlh);
}

/* Creates the veth pair 'hub_ifname' (on bridge 'br' of the daemon's namespace) and 'ifname'
 * (with 'mac', straight in the namespace open at 'nsfd'). */
static int
create_veth(unsigned br, const char *hub_ifname, const char *ifname, const uint8_t mac[6], int nsfd)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = link_msg(buf, 0, NLM_F_CREATE | NLM_F_EXCL);
    struct nlattr *info, *data, *peer;
    struct ifinfomsg *pim;

    mnl_attr_put_strz(nlh, IFLA_IFNAME, hub_ifname);
    mnl_attr_put_u32(nlh, IFLA_MASTER, br);
    info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
    data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
    peer = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
    pim = mnl_nlmsg_put_extra_header(nlh, sizeof *pim);
    memset(pim, 0, sizeof *pim);
    pim->ifi_family = AF_UNSPEC;
    mnl_attr_put_strz(nlh, IFLA_IFNAME, ifname);
    mnl_attr_put(nlh, IFLA_ADDRESS, 6, mac);
    mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, (uint32_t)nsfd);
    mnl_attr_nest_end(nlh, peer);
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, info);
    return link_request(buf, nlh);
}

/* Sets IPv4 address 'a' (with its prefix length) on interface 'name'. */
static int
set_addr(int fd, const char *name, const struct hnvgw_prefix *a)
{
    struct ifreq ifr;
    struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    sin->sin_family = AF_INET;
    sin->sin_addr.s_addr = a->addr.v4;
    if (ioctl(fd, SIOCSIFADDR, &ifr) < 0) {
        return errno;
    }
    sin->sin_addr.s_addr = a->plen ? htonl(~0u << (32 - a->plen)) : 0;
    return ioctl(fd, SIOCSIFNETMASK, &ifr) < 0 ? errno : 0;
}

/* Where a compartment's interface goes: its VRF, or none (the namespace's main table). */
struct vrf_place {
    const char *name; /* The VRF device, NULL for none. */
    uint32_t table;   /* Its kernel table. */
};

/* Makes VRF device 'v' in the current namespace (replacing one of that name), up. */
static int
make_vrf(const struct vrf_place *v)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh;
    struct nlattr *info, *data;
    unsigned ifindex;
    int ret = delete_link(v->name);

    if (ret) {
        return ret;
    }
    nlh = link_msg(buf, 0, NLM_F_CREATE | NLM_F_EXCL);
    mnl_attr_put_strz(nlh, IFLA_IFNAME, v->name);
    info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
    mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vrf");
    data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
    mnl_attr_put_u32(nlh, IFLA_VRF_TABLE, v->table);
    mnl_attr_nest_end(nlh, data);
    mnl_attr_nest_end(nlh, info);
    ret = link_request(buf, nlh);
    ifindex = ret ? 0 : if_nametoindex(v->name);
    if (!ret && !ifindex) {
        ret = ENODEV;
    }
    return ret ? ret : link_up(ifindex, 0, NULL);
}

/* Adds the default route through link 'ifindex' to table 'table' of the current namespace (the
 * ioctl of the main table's cannot name a table). */
static int
default_route_in(unsigned ifindex, uint32_t table)
{
    char buf[MNL_SOCKET_BUFFER_SIZE];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    struct rtmsg *rtm;

    nlh->nlmsg_type = RTM_NEWROUTE;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
    rtm = mnl_nlmsg_put_extra_header(nlh, sizeof *rtm);
    rtm->rtm_family = AF_INET;
    rtm->rtm_table = RT_TABLE_UNSPEC;
    rtm->rtm_protocol = RTPROT_BOOT;
    rtm->rtm_scope = RT_SCOPE_LINK;
    rtm->rtm_type = RTN_UNICAST;
    mnl_attr_put_u32(nlh, RTA_TABLE, table);
    mnl_attr_put_u32(nlh, RTA_OIF, ifindex);
    return link_request(buf, nlh);
}

/* In the compartment (a forked child): MAC, its VRF ('v->name' NULL: none), addresses, up,
 * default route (in the VRF's table). */
static int
child_configure(const char *ifname, const uint8_t mac[6], const struct hnvgw_prefix *addrs,
                size_t n, const struct vrf_place *v)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct ifreq ifr;
    struct rtentry rt;
    int ret = 0;

    if (fd < 0) {
        return errno;
    }
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
    memcpy(ifr.ifr_hwaddr.sa_data, mac, 6);
    if (ioctl(fd, SIOCSIFHWADDR, &ifr) < 0) {
        ret = errno;
    }
    /* Into its VRF before it has addresses and routes: enslaving takes a link down and up,
     * which would drop a route made before. */
    if (!ret && v->name) {
        unsigned vrf = 0, link = if_nametoindex(ifname);

        ret = link ? make_vrf(v) : errno;
        vrf = ret ? 0 : if_nametoindex(v->name);
        if (!ret) {
            ret = vrf ? link_up(link, vrf, NULL) : ENODEV;
        }
    }
    for (size_t i = 0; !ret && i < n; i++) {
        char alias[IFNAMSIZ];
        snprintf(alias, sizeof alias, i ? "%.10s:%zu" : "%s", ifname, i);
        ret = set_addr(fd, alias, &addrs[i]);
    }
    if (!ret) {
        memset(&ifr, 0, sizeof ifr);
        snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
        if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
            ret = errno;
        } else {
            ifr.ifr_flags |= IFF_UP;
            ret = ioctl(fd, SIOCSIFFLAGS, &ifr) < 0 ? errno : 0;
        }
    }
    if (!ret && v->name) {
        ret = default_route_in(if_nametoindex(ifname), v->table);
    } else if (!ret) {
        memset(&rt, 0, sizeof rt);
        rt.rt_dst.sa_family = AF_INET;
        rt.rt_genmask.sa_family = AF_INET;
        rt.rt_flags = RTF_UP;
        rt.rt_dev = (char *)ifname;
        if (ioctl(fd, SIOCADDRT, &rt) < 0 && errno != EEXIST) {
            ret = errno;
        }
    }
    close(fd);
    return ret;
}

/* Runs in a forked child: enters 'netns_path', makes the socket and sends it over 'chan'. The
 * exit status is 0 or an errno. */
static int
child_socket(const char *netns_path, int type, const struct sockaddr *addr, socklen_t addrlen,
             int chan)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    char byte = 0;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    struct cmsghdr *cm;
    int fd;

    if (!is_netns(netns_path)) {
        return ENOENT;
    }
    fd = socket(addr->sa_family, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        return errno;
    }
    if (bind(fd, addr, addrlen) < 0) {
        return errno;
    }
    memset(ctl.buf, 0, sizeof ctl.buf);
    cm = CMSG_FIRSTHDR(&msg);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &fd, sizeof fd);
    return sendmsg(chan, &msg, 0) == 1 ? 0 : errno;
}

int
compartment_socket(const char *netns_path, int type, const struct sockaddr *addr, socklen_t addrlen,
                   int *fd, char *err)
{
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } ctl;
    char byte;
    struct iovec iov = {.iov_base = &byte, .iov_len = 1};
    struct msghdr msg = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    struct cmsghdr *cm;
    int chan[2], status = 0, ret;
    pid_t pid;

    *fd = -1;
    if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, chan) < 0) {
        ret = errno;
        snprintf(err, 256, "socketpair: %s", strerror(ret));
        return ret;
    }
    pid = fork();
    if (pid < 0) {
        ret = errno;
        close(chan[0]);
        close(chan[1]);
        snprintf(err, 256, "cannot fork: %s", strerror(ret));
        return ret;
    }
    if (pid == 0) {
        close(chan[0]);
        _exit(child_socket(netns_path, type, addr, addrlen, chan[1]));
    }
    close(chan[1]);
    if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
        ret = WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status) : ECHILD;
        close(chan[0]);
        snprintf(err, 256, "cannot make a socket in %s: %s", netns_path, strerror(ret));
        return ret;
    }
    /* The child sent before it exited: the datagram waits in the socketpair. */
    if (recvmsg(chan[0], &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC) != 1 ||
        !(cm = CMSG_FIRSTHDR(&msg)) || cm->cmsg_type != SCM_RIGHTS ||
        cm->cmsg_len != CMSG_LEN(sizeof(int))) {
        close(chan[0]);
        snprintf(err, 256, "cannot make a socket in %s: nothing handed back", netns_path);
        return EPROTO;
    }
    memcpy(fd, CMSG_DATA(cm), sizeof *fd);
    close(chan[0]);
    return 0;
}

/* Configures 'ifname' inside the namespace open at 'nsfd' (child_configure(), in a child that
 * enters it). Returns 0 or a positive errno. */
static int
configure_in(int nsfd, const char *ifname, const uint8_t mac[6], const struct hnvgw_prefix *addrs,
             size_t n_addrs, const struct vrf_place *v)
{
    int status = 0;
    pid_t pid = fork();

    if (pid == 0) {
        _exit(setns(nsfd, CLONE_NEWNET) < 0 ? errno
                                            : child_configure(ifname, mac, addrs, n_addrs, v));
    }
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
        return pid > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : ECHILD;
    }
    return 0;
}

/* Opens the namespace at 'netns_path' and finds link 'ifname' of the daemon's namespace. Returns
 * 0, or a positive errno with a message in 'err' (nothing left open). */
static int
open_both(const char *netns_path, const char *ifname, unsigned *ifindex, int *nsfd, char *err)
{
    int ret;

    *ifindex = if_nametoindex(ifname);
    *nsfd = *ifindex ? open(netns_path, O_RDONLY | O_CLOEXEC) : -1;
    if (*nsfd >= 0) {
        return 0;
    }
    ret = errno;
    snprintf(err, 256, "cannot find %s or %s: %s", ifname, netns_path, strerror(ret));
    return ret;
}

int
compartment_adopt_link(const char *netns_path, const char *ifname, const uint8_t mac[6],
                       const struct hnvgw_prefix *addrs, size_t n_addrs, char *err)
{
    unsigned ifindex;
    int nsfd, ret;

    ret = open_both(netns_path, ifname, &ifindex, &nsfd, err);
    if (ret) {
        return ret;
    }
    ret = move_link(ifindex, nsfd);
    if (ret) {
        snprintf(err, 256, "cannot move %s into %s: %s", ifname, netns_path, strerror(ret));
    } else if ((ret = configure_in(nsfd, ifname, mac, addrs, n_addrs, &(struct vrf_place){0})) !=
               0) {
        snprintf(err, 256, "cannot set %s up in %s: %s", ifname, netns_path, strerror(ret));
    }
    close(nsfd);
    return ret;
}

int
compartment_add_veth(const char *netns_path, const char *bridge, const char *hub_ifname,
                     const char *ifname, const uint8_t mac[6], const struct hnvgw_prefix *addrs,
                     size_t n_addrs, char *err)
{
    return compartment_add_veth_vrf(netns_path, bridge, hub_ifname, ifname, mac, addrs, n_addrs,
                                    NULL, 0, err);
}

int
compartment_add_veth_vrf(const char *netns_path, const char *bridge, const char *hub_ifname,
                         const char *ifname, const uint8_t mac[6], const struct hnvgw_prefix *addrs,
                         size_t n_addrs, const char *vrf, uint32_t table, char *err)
{
    struct vrf_place v = {.name = vrf, .table = table};
    unsigned br, hub;
    int nsfd, ret;

    ret = open_both(netns_path, bridge, &br, &nsfd, err);
    if (ret) {
        return ret;
    }
    /* An earlier daemon's pair goes with either end. */
    ret = delete_link(hub_ifname);
    if (!ret) {
        ret = create_veth(br, hub_ifname, ifname, mac, nsfd);
    }
    hub = ret ? 0 : if_nametoindex(hub_ifname);
    if (!ret && !hub) {
        ret = ENODEV;
    }
    if (!ret) {
        ret = lock_port(hub, mac);
    }
    if (!ret) {
        ipv6_off(hub_ifname);
        ret = link_up(hub, 0, NULL);
    }
    if (ret) {
        snprintf(err, 256, "cannot connect %s (%s on bridge %s) to %s: %s", ifname, hub_ifname,
                 bridge, netns_path, strerror(ret));
    } else if ((ret = configure_in(nsfd, ifname, mac, addrs, n_addrs, &v)) != 0) {
        snprintf(err, 256, "cannot set %s up%s%s in %s: %s", ifname, vrf ? " in VRF " : "",
                 vrf ? vrf : "", netns_path, strerror(ret));
    }
    close(nsfd);
    return ret;
}

int
compartment_vrf_probe(char *err)
{
    int status = 0;
    pid_t pid = fork();

    if (pid == 0) {
        /* A namespace of its own, gone with the child: the probe leaves nothing behind. */
        struct vrf_place v = {.name = "hnvgwprobe", .table = 0x7fff0000};
        _exit(unshare(CLONE_NEWNET) < 0 ? errno : make_vrf(&v));
    }
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
        int ret =
            pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status) : ECHILD;

        snprintf(err, 256, "this kernel makes no VRF device (%s): it lacks CONFIG_NET_VRF",
                 strerror(ret));
        return ret;
    }
    return 0;
}

/* The CPUs of the helpers (compartment_save_cpus()), and whether they were recorded. */
static cpu_set_t helper_cpus;
static bool helper_cpus_saved;

void
compartment_save_cpus(void)
{
    helper_cpus_saved = sched_getaffinity(0, sizeof helper_cpus, &helper_cpus) == 0;
}

pid_t
compartment_spawn(const char *netns_path, char *const argv[])
{
    pid_t parent = getpid(), pid = fork();

    if (pid == 0) {
        sigset_t none;
        int fd;

        /* A helper daemon dies with hnvgwd: a successor would otherwise meet an orphan holding
         * its sockets (FRR's FPM connection, charon's IKE ports) in the compartment. */
        if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 || getppid() != parent) {
            _exit(127);
        }
        /* The mask survives exec: a daemon that inherited hnvgwd's blocked SIGTERM would never
         * stop. */
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        /* Not pinned to the main lcore's CPU: a failure leaves it there, slower but working. */
        if (helper_cpus_saved) {
            sched_setaffinity(0, sizeof helper_cpus, &helper_cpus);
        }
        /* Nothing of hnvgwd's beyond stdio crosses the exec: DPDK opens its TAP queues and
         * memory without O_CLOEXEC, and a daemon that outlives hnvgwd (FRR drops privileges,
         * which clears the parent-death signal) would keep the ports of a killed hnvgwd alive,
         * so that its successor could not have them. */
        if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
            struct rlimit rl;

            if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
                _exit(127);
            }
            for (rlim_t i = 3; i < rl.rlim_cur; i++) {
                fcntl((int)i, F_SETFD, FD_CLOEXEC);
            }
        }
        fd = open(netns_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
            _exit(127);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}

/* I/O source of a watched child's pidfd: readable once the child has exited. */
static int
on_pidfd(sd_event_source *src, int fd, uint32_t revents, void *w_)
{
    struct compartment_watch *w = w_;
    compartment_exit_fn *fn = w->fn;
    void *aux = w->aux;
    pid_t pid = w->pid, got;
    int status = 0;

    (void)src;
    (void)fd;
    (void)revents;
    got = waitpid(pid, &status, WNOHANG);
    if (got == 0) {
        return 0; /* Not a zombie yet. */
    }
    if (got < 0) {
        status = 0; /* Reaped by someone else (ECHILD): its status is lost. */
    }
    compartment_unwatch(w);
    fn(pid, status, aux);
    return 0;
}

int
compartment_watch(struct compartment_watch *w, sd_event *event, pid_t pid, compartment_exit_fn *fn,
                  void *aux)
{
    int fd = pidfd_open(pid, 0), ret;

    memset(w, 0, sizeof *w);
    if (fd < 0) {
        return errno;
    }
    ret = sd_event_add_io(event, &w->src, fd, EPOLLIN, on_pidfd, w);
    if (ret < 0) {
        close(fd);
        return -ret;
    }
    sd_event_source_set_io_fd_own(w->src, 1);
    w->pid = pid;
    w->fn = fn;
    w->aux = aux;
    return 0;
}

void
compartment_unwatch(struct compartment_watch *w)
{
    sd_event_source_disable_unref(w->src);
    memset(w, 0, sizeof *w);
}
