//go:build linux && cgo

// Command docker-credential-secretservice is upstream's Secret Service helper, pinned by this module's
// go.mod (upstream's own main package is named cmd, which would collide with pass's on install).
package main

import (
	"github.com/docker/docker-credential-helpers/credentials"
	"github.com/docker/docker-credential-helpers/secretservice"
)

func main() {
	credentials.Serve(secretservice.Secretservice{})
}
