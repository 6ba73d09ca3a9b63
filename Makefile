# Build and install regauth: the command, the docker-credential-regauth-* helpers, the man pages, the
# shell completions and the kubelet example config.
#
#   make                                  build (release): `make dynamic` and `make static`
#   sudo make install                     install under /usr/local
#   make install PREFIX=/usr DESTDIR=pkg  stage into pkg/usr (for packagers)
#   make deb                              a Debian package in target/debian/ (needs cargo-deb)
#
# `install` builds nothing: run `make` first (as yourself), then `sudo make install`. BINARIES names the
# directory holding the dynamic programs (default target/release), STATIC_BINARIES the static ones
# (default target/release-static).
#
# STATIC_PROGRAMS are linked static-pie (glibc's static libraries, from libc6-dev): a helper's `get` runs on
# every pull, and a static start skips the loader's symbol binding and shared libraries, the bulk of its
# cost (bench/README.md). crt-static is a target feature, so they get a cargo invocation of their own, with an
# explicit --target (the host's, from `rustc -vV`: build scripts and proc-macros then stay dynamic) and a
# target dir of their own (target/static, copied to STATIC_BINARIES and stripped there: cargo-deb strips
# only what it finds under target/release), which leaves the dynamic build in target/release alone. One
# cargo invocation per package, so that the helpers get only their own features.
#
# `regauth` on PATH is a small front (src/cli/front.rs) that answers a token-cache hit and execs
# regauth-cli, the whole command, for everything else; it resolves no host names, so it is static too.
# DYNAMIC_PROGRAMS (regauth-cli) stay dynamic, in libexec/regauth/: they resolve host names through
# glibc's NSS, which a static glibc can only load from the exact glibc version it was linked with.

PREFIX ?= /usr/local
DESTDIR ?=
BINARIES ?= target/release
CARGO ?= cargo
INSTALL ?= install

bindir = $(DESTDIR)$(PREFIX)/bin
# regauth-cli, the whole command, which the small front program `regauth` execs (src/cli/front.rs); the
# front finds it at ../libexec/regauth/ from its own directory.
libexecdir = $(DESTDIR)$(PREFIX)/libexec/regauth
mandir = $(DESTDIR)$(PREFIX)/share/man/man1
bashdir = $(DESTDIR)$(PREFIX)/share/bash-completion/completions
zshdir = $(DESTDIR)$(PREFIX)/share/zsh/site-functions
fishdir = $(DESTDIR)$(PREFIX)/share/fish/vendor_completions.d
exampledir = $(DESTDIR)$(PREFIX)/share/doc/regauth/examples

RUSTC ?= rustc
STATIC_BINARIES ?= target/release-static
STATIC_TARGET_DIR ?= target/static

DYNAMIC_PROGRAMS = regauth-cli
STATIC_PROGRAMS = regauth docker-credential-regauth-keyutils docker-credential-regauth-secretservice \
	docker-credential-regauth-env docker-credential-regauth-cache docker-credential-regauth-kubelet
PROGRAMS = $(DYNAMIC_PROGRAMS) $(STATIC_PROGRAMS)
static_helpers = $(filter docker-credential-regauth-%,$(STATIC_PROGRAMS))
static_commands = $(filter-out docker-credential-regauth-%,$(STATIC_PROGRAMS))

.PHONY: all build dynamic static static-programs install uninstall deb

all: build

build: dynamic static

dynamic:
	$(CARGO) build --locked --release -p regauth $(addprefix --bin ,$(DYNAMIC_PROGRAMS))

static:
	host=$$($(RUSTC) -vV | sed -n 's/^host: //p') && \
	{ [ -n "$$host" ] || { echo "make static: no host triple in \`$(RUSTC) -vV\`" >&2; exit 1; }; } && \
	export RUSTFLAGS="$${RUSTFLAGS:+$$RUSTFLAGS }-C target-feature=+crt-static" && \
	static_build() { $(CARGO) build --locked --release --target "$$host" --target-dir $(STATIC_TARGET_DIR) "$$@"; } && \
	$(if $(static_helpers),static_build -p regauth-helpers $(addprefix --bin ,$(static_helpers)) &&) \
	$(if $(static_commands),static_build -p regauth $(addprefix --bin ,$(static_commands)) &&) \
	$(INSTALL) -d -m 0755 $(STATIC_BINARIES) && \
	cd $(STATIC_TARGET_DIR)/"$$host"/release && $(INSTALL) -s -m 0755 $(STATIC_PROGRAMS) $(abspath $(STATIC_BINARIES))/

# For tests/support/static_build.rs, which checks what this list names.
static-programs:
	@echo $(STATIC_PROGRAMS)

install:
	@for p in $(addprefix $(BINARIES)/,$(DYNAMIC_PROGRAMS)) $(addprefix $(STATIC_BINARIES)/,$(STATIC_PROGRAMS)); do \
	  [ -x "$$p" ] || { echo "make install: $$p is missing: run make first" >&2; exit 1; }; \
	done
	$(INSTALL) -d -m 0755 $(bindir) $(libexecdir) $(mandir) $(bashdir) $(zshdir) $(fishdir) $(exampledir)
	$(INSTALL) -m 0755 $(addprefix $(STATIC_BINARIES)/,$(STATIC_PROGRAMS)) $(bindir)/
	$(INSTALL) -m 0755 $(addprefix $(BINARIES)/,$(DYNAMIC_PROGRAMS)) $(libexecdir)/
	$(INSTALL) -m 0644 man/*.1 $(mandir)/
	$(INSTALL) -m 0644 completions/regauth.bash $(bashdir)/regauth
	$(INSTALL) -m 0644 completions/_regauth $(zshdir)/_regauth
	$(INSTALL) -m 0644 completions/regauth.fish $(fishdir)/regauth.fish
	$(INSTALL) -m 0644 docs/kubelet-credential-provider.yaml $(exampledir)/

uninstall:
	rm -f $(addprefix $(bindir)/,$(STATIC_PROGRAMS)) $(addprefix $(libexecdir)/,$(DYNAMIC_PROGRAMS))
	-rmdir $(libexecdir) 2>/dev/null
	cd man && for page in *.1; do rm -f "$(mandir)/$$page"; done
	rm -f $(bashdir)/regauth $(zshdir)/_regauth $(fishdir)/regauth.fish
	rm -f $(exampledir)/kubelet-credential-provider.yaml

deb: build
	$(CARGO) deb --no-build -p regauth
