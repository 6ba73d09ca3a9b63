// Command docker-credential-pass is upstream's pass helper, pinned by this module's go.mod (upstream's
// own main package is named cmd, which would collide with secretservice's on install).
package main

import (
	"github.com/docker/docker-credential-helpers/credentials"
	"github.com/docker/docker-credential-helpers/pass"
)

func main() {
	credentials.Serve(pass.Pass{})
}
