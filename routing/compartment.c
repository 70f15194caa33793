/* Tenant compartments (see compartment.h). */
#include "routing/compartment.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
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

pid_t
compartment_spawn(const char *netns_path, char *const argv[])
{
    pid_t pid = fork();

    if (pid == 0) {
        int fd = open(netns_path, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
            _exit(127);
        }
        execv(argv[0], argv);
        _exit(127);
    }
    return pid;
}
