// Package tig declares the one type nerdctl's pkg/testutil needs to compile: the subset of testing.TB it
// calls. Our own declaration, not nerdctl's code; nothing in the nerdctl binary calls it.
package tig

// T is what pkg/testutil.NewComposeDir logs to and fails.
type T interface {
	Log(args ...any)
	FailNow()
}
