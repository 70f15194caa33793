# SPDX-License-Identifier: Apache-2.0
# hnvgw: build, test, demo and bench. Every target that runs something sets the machine up itself.
# Targets: deps, all (default), check, demo, bench, format, install, deb, clean.

BUILD   ?= build
CC      ?= gcc
# Where `make install` puts things (the .deb uses PREFIX=/usr; DESTDIR stages them).
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec/hnvgw
MANDIR     ?= $(PREFIX)/share/man
DOCDIR     ?= $(PREFIX)/share/doc/hnvgw
COMPLETIONDIR ?= $(PREFIX)/share/bash-completion/completions
SYSCONFDIR ?= /etc
UNITDIR    ?= /lib/systemd/system
DPDK_CFLAGS := $(shell pkg-config --cflags libdpdk 2>/dev/null)
DPDK_LIBS   := $(shell pkg-config --libs libdpdk 2>/dev/null)
# pkg-config adds -march=corei7; ours comes after it and wins. The baseline is DPDK's own
# (SSE4.2): the binary runs on any x86-64 server and under valgrind (no AVX-512).
MARCH   ?= -march=x86-64-v2 -mtune=generic
CFLAGS  ?= -O2 -g
CFLAGS_ENV := $(CFLAGS)
CFLAGS  += -std=c11 -D_GNU_SOURCE -DALLOW_EXPERIMENTAL_API -Wall -Wextra -Werror -I. $(DPDK_CFLAGS) $(MARCH) \
           -Wno-address-of-packed-member -DHNVGW_LIBEXECDIR=\"$(LIBEXECDIR)\"
# strongSwan's libvici (gateway/vici.c): Debian ships it in /usr/lib/ipsec, without a header or
# an unversioned link.
VICI_LIBS := -L/usr/lib/ipsec -Wl,-rpath,/usr/lib/ipsec -l:libvici.so.0
LDLIBS  += $(DPDK_LIBS) -lrte_bus_vdev -lconfuse -ljansson -lmnl -lsystemd -lmicrohttpd -lcrypto -lpthread -lm $(VICI_LIBS)
# The version hnvgwd reports (hnvgw_build_info): the Debian changelog's upstream version.
HNVGW_VERSION := $(shell head -1 packaging/debian/changelog 2>/dev/null | cut -d' ' -f2 | tr -d '()' | cut -d- -f1)
CFLAGS  += -DHNVGW_VERSION=\"$(or $(HNVGW_VERSION),unknown)\"

DP_SRCS   := $(wildcard dataplane/*.c)
GW_SRCS   := $(filter-out gateway/hnvgwd.c,$(wildcard gateway/*.c gateway/*/*.c)) \
             $(wildcard routing/*.c vpn/*.c)
DP_OBJS   := $(DP_SRCS:%.c=$(BUILD)/%.o)
GW_OBJS   := $(GW_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(wildcard tests/*/test_*.c tests/*/*/test_*.c)
UNIT_BINS := $(UNIT_SRCS:%.c=$(BUILD)/%)

# Sanitizer build of the unit tests: same sources, separate object tree.
SAN_BUILD := $(BUILD)/san
SAN_FLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_DP_OBJS := $(DP_SRCS:%.c=$(SAN_BUILD)/%.o)
SAN_GW_OBJS := $(GW_SRCS:%.c=$(SAN_BUILD)/%.o)
SAN_UNIT_BINS := $(UNIT_SRCS:%.c=$(SAN_BUILD)/%)

.PHONY: all deps hugepages check unit unit-san lab demo bench format format-check layering clean \
        binaries install install-files deb config-examples image image-check

all: $(BUILD)/hnvgwd $(BUILD)/hnvgwctl $(BUILD)/hnvgw-iked $(UNIT_BINS) $(BUILD)/bench_pipeline \
     $(BUILD)/bench_nat $(BUILD)/bench_fpm $(BUILD)/bench_esp $(BUILD)/bench_policy

# The daemon, the CLI and the IKE daemon: what `make install` and the .deb ship.
binaries: $(BUILD)/hnvgwd $(BUILD)/hnvgwctl $(BUILD)/hnvgw-iked

deps:
	@bash scripts/deps.sh

hugepages:
	@bash scripts/hugepages.sh

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c $< -o $@

$(SAN_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC-SAN  $<"
	@$(CC) $(filter-out -O2,$(CFLAGS)) $(SAN_FLAGS) -MMD -MP -c $< -o $@

$(BUILD)/hnvgwd: $(BUILD)/gateway/hnvgwd.o $(GW_OBJS) $(DP_OBJS)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# hnvgw-iked: compiled against the headers of exactly the installed strongSwan (fetched and
# configured by scripts/strongswan-src.sh, which refuses another version), linked with Debian's
# libcharon and libstrongswan. Not DPDK's flags: only vpn/iked/, vpn/kipsec_msg.h and the ESP API
# header.
SWAN      := $(BUILD)/strongswan
SWAN_STAMP := $(SWAN)/.stamp
IKED_SRCS := $(wildcard vpn/iked/*.c)
IKED_CFLAGS := -O2 -g $(filter -f% -D%,$(CPPFLAGS) $(CFLAGS_ENV)) -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter -I. \
               -include $(SWAN)/config.h -isystem $(SWAN)/src/libstrongswan \
               -isystem $(SWAN)/src/libcharon
IKED_LIBS := -L/usr/lib/ipsec -Wl,-rpath,/usr/lib/ipsec -l:libcharon.so.0 -l:libstrongswan.so.0 \
             -lpthread

$(SWAN_STAMP): scripts/strongswan-src.sh
	@echo "  SWAN    strongSwan headers"
	@bash scripts/strongswan-src.sh $(BUILD)

$(BUILD)/vpn/iked/%.o: vpn/iked/%.c $(SWAN_STAMP)
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(IKED_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/hnvgw-iked: $(IKED_SRCS:%.c=$(BUILD)/%.o)
	@echo "  LD      $@"
	@$(CC) $(LDFLAGS) -o $@ $^ $(IKED_LIBS)

$(BUILD)/hnvgwctl: $(BUILD)/cli/hnvgwctl.o $(BUILD)/gateway/ctl.o $(BUILD)/gateway/nat/nat_view.o
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ -ljansson -lsystemd

$(BUILD)/bench_pipeline: $(BUILD)/tests/bench/bench_pipeline.o $(DP_OBJS)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench_nat: $(BUILD)/tests/bench/bench_nat.o $(DP_OBJS)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench_esp: $(BUILD)/tests/bench/bench_esp.o $(DP_OBJS)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench_fpm: $(BUILD)/tests/bench/bench_fpm.o $(GW_OBJS) $(DP_OBJS)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/bench_policy: $(BUILD)/tests/bench/bench_policy.o $(GW_OBJS) $(DP_OBJS)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(GW_OBJS) $(DP_OBJS)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) -lcmocka

$(SAN_BUILD)/tests/%: $(SAN_BUILD)/tests/%.o $(SAN_GW_OBJS) $(SAN_DP_OBJS)
	@echo "  LD      $@"
	@$(CC) $(filter-out -O2,$(CFLAGS)) $(SAN_FLAGS) -o $@ $^ $(LDLIBS) -lcmocka

unit: $(UNIT_BINS)
	@bash tests/run-unit.sh $(UNIT_BINS)

# DPDK's own allocations are not leaks we can act on; ASan still catches every overflow and UB.
unit-san: $(SAN_UNIT_BINS)
	@ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  bash tests/run-unit.sh $(SAN_UNIT_BINS)

lab: all hugepages
	@bash tests/lab/run-all.sh

check: deps
	@$(MAKE) --no-print-directory format-check
	@$(MAKE) --no-print-directory layering
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory config-examples
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory unit-san
	@$(MAKE) --no-print-directory lab

demo: deps
	@$(MAKE) --no-print-directory all hugepages
	@bash tests/lab/demo.sh

bench: deps
	@$(MAKE) --no-print-directory all hugepages
	@bash tests/bench/run.sh

C_FILES := $(shell find dataplane gateway routing vpn lib cli tests -name '*.[ch]' 2>/dev/null)

format:
	clang-format -i $(C_FILES)

format-check:
	@clang-format --dry-run --Werror $(C_FILES)

# The layering of the folders (README, "Architecture"), read from the includes, and every
# source file's licence line.
layering:
	@bash scripts/check-layering.sh
	@bash scripts/check-spdx.sh

# Installs the binaries, config, units, manual pages and completion under $(DESTDIR)$(PREFIX) (and
# $(DESTDIR)$(SYSCONFDIR), $(DESTDIR)$(UNITDIR)). install-files installs what is built already.
install: binaries
	@$(MAKE) --no-print-directory install-files

install-files:
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(LIBEXECDIR) $(DESTDIR)$(SYSCONFDIR)/hnvgw \
	  $(DESTDIR)$(SYSCONFDIR)/default $(DESTDIR)$(UNITDIR) $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(COMPLETIONDIR) $(DESTDIR)$(DOCDIR)
	install -m 0755 $(BUILD)/hnvgwd $(BUILD)/hnvgwctl $(DESTDIR)$(SBINDIR)/
	install -m 0755 $(BUILD)/hnvgw-iked $(DESTDIR)$(LIBEXECDIR)/
	install -m 0755 scripts/hugepages.sh $(DESTDIR)$(LIBEXECDIR)/hugepages
	install -m 0755 scripts/bind-nics.sh $(DESTDIR)$(LIBEXECDIR)/bind-nics
	install -m 0640 conf/hnvgw.conf $(DESTDIR)$(SYSCONFDIR)/hnvgw/hnvgw.conf
	install -m 0644 packaging/default.hnvgw $(DESTDIR)$(SYSCONFDIR)/default/hnvgw
	sed 's|/usr/sbin/|$(SBINDIR)/|g; s|/usr/libexec/hnvgw/|$(LIBEXECDIR)/|g' \
	  packaging/systemd/hnvgwd.service > $(DESTDIR)$(UNITDIR)/hnvgwd.service
	sed 's|/usr/libexec/hnvgw/|$(LIBEXECDIR)/|g' packaging/systemd/hnvgw-hugepages.service \
	  > $(DESTDIR)$(UNITDIR)/hnvgw-hugepages.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/hnvgwd.service $(DESTDIR)$(UNITDIR)/hnvgw-hugepages.service
	install -m 0644 packaging/man/hnvgwd.8 packaging/man/hnvgwctl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 packaging/man/hnvgw.conf.5 $(DESTDIR)$(MANDIR)/man5/
	install -m 0644 packaging/bash-completion/hnvgwctl $(DESTDIR)$(COMPLETIONDIR)/hnvgwctl
	install -m 0644 conf/README.md $(DESTDIR)$(DOCDIR)/configuration.md

# Every shipped config is valid: the default and the examples.
config-examples: $(BUILD)/hnvgwd
	@for f in conf/hnvgw.conf $$(find conf/examples -name '*.conf' | sort); do \
	  $(BUILD)/hnvgwd -c $$f --check-config || exit 1; done

# The Debian package, unsigned, from the tracked files with packaging/debian as debian/:
# $(BUILD)/deb/hnvgw_<version>_amd64.deb.
deb: deps
	@bash scripts/make-deb.sh $(BUILD)/deb

# The gateway VM image (README, "Gateway VM"): Debian 12 with the .deb, as a qcow2 disk. The apt
# download cache stays in $(BUILD)/image/apt-cache for the next build.
IMAGE := $(BUILD)/image/hnvgw-gateway.qcow2
image: deb
	@bash packaging/image/build-image.sh $$(ls $(BUILD)/deb/hnvgw_*_amd64.deb | head -1) $(BUILD)/image

# Boots the image under qemu (TCG) in a lab and proves it forwards (tests/image/). It builds the
# image first; IMAGE_REUSE=1 boots the one already built.
image-check: deps hugepages $(BUILD)/hnvgwd $(BUILD)/hnvgwctl
	@if [ "$(IMAGE_REUSE)" != 1 ] || [ ! -f $(IMAGE) ]; then $(MAKE) --no-print-directory image; fi
	@LAB_TESTS="../image/test_gateway_vm.sh" LAB_SCRIPT_TIMEOUT=$${LAB_SCRIPT_TIMEOUT:-1800} \
	  HNVGW_IMAGE=$(abspath $(IMAGE)) bash tests/lab/run-all.sh

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD) \( -path $(BUILD)/strongswan -o -path $(BUILD)/image -o -path $(BUILD)/deb \) -prune -o -name '*.d' -type f -print 2>/dev/null)
