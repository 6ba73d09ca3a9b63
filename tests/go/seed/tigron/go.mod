// A stand-in for nerdctl's test-only tigron module, which the Go module proxy does not serve (nerdctl's
// go.mod points it at a directory inside nerdctl's repository). cmd/nerdctl links one type of it through
// pkg/testutil, test code the nerdctl binary never runs; this module declares just that type.
module github.com/containerd/nerdctl/mod/tigron

go 1.26
