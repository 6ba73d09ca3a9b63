# Build and install regauth: the command, the docker-credential-regauth-* helpers, the man pages, the
# shell completions and the kubelet example config.
#
#   make                                  build (release)
#   sudo make install                     install under /usr/local
#   make install PREFIX=/usr DESTDIR=pkg  stage into pkg/usr (for packagers)
#   make deb                              a Debian package in target/debian/ (needs cargo-deb)
#
# `install` builds nothing: run `make` first (as yourself), then `sudo make install`. BINARIES names the
# directory holding the built programs (default target/release).

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

PROGRAMS = regauth docker-credential-regauth-keyutils docker-credential-regauth-secretservice \
	docker-credential-regauth-env docker-credential-regauth-cache docker-credential-regauth-kubelet
LIBEXEC_PROGRAMS = regauth-cli

.PHONY: all build install uninstall deb

all: build

build:
	$(CARGO) build --locked --release --workspace --bins

install:
	@for p in $(PROGRAMS) $(LIBEXEC_PROGRAMS); do \
	  [ -x "$(BINARIES)/$$p" ] || { echo "make install: $(BINARIES)/$$p is missing: run make first" >&2; exit 1; }; \
	done
	$(INSTALL) -d -m 0755 $(bindir) $(libexecdir) $(mandir) $(bashdir) $(zshdir) $(fishdir) $(exampledir)
	$(INSTALL) -m 0755 $(addprefix $(BINARIES)/,$(PROGRAMS)) $(bindir)/
	$(INSTALL) -m 0755 $(addprefix $(BINARIES)/,$(LIBEXEC_PROGRAMS)) $(libexecdir)/
	$(INSTALL) -m 0644 man/*.1 $(mandir)/
	$(INSTALL) -m 0644 completions/regauth.bash $(bashdir)/regauth
	$(INSTALL) -m 0644 completions/_regauth $(zshdir)/_regauth
	$(INSTALL) -m 0644 completions/regauth.fish $(fishdir)/regauth.fish
	$(INSTALL) -m 0644 docs/kubelet-credential-provider.yaml $(exampledir)/

uninstall:
	rm -f $(addprefix $(bindir)/,$(PROGRAMS)) $(addprefix $(libexecdir)/,$(LIBEXEC_PROGRAMS))
	-rmdir $(libexecdir) 2>/dev/null
	cd man && for page in *.1; do rm -f "$(mandir)/$$page"; done
	rm -f $(bashdir)/regauth $(zshdir)/_regauth $(fishdir)/regauth.fish
	rm -f $(exampledir)/kubelet-credential-provider.yaml

deb: build
	$(CARGO) deb --no-build -p regauth
