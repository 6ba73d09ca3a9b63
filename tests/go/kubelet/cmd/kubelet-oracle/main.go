// Command kubelet-oracle answers, with the kubelet's own code, which credentials the kubelet would use to
// pull an image. The tests compare its answers with regauth's; it prints data and judges nothing itself.
//
//	kubelet-oracle keyring < cases.json   pull secrets x images through the kubelet's keyring
//	kubelet-oracle plugin  < run.json     images through the kubelet's credential provider plugin manager
//	kubelet-oracle secret  < run.json     a Secret manifest through the API server's validation, then
//	                                      images through the kubelet's keyring built from it
//	kubelet-oracle kind    < run.json     a kind cluster config, then images through each node's
//	                                      kubelet keyring from the config.json mounted into it
//
// Both read one JSON document on standard input and print one JSON document on standard output.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
)

func main() {
	if len(os.Args) != 2 {
		fail(fmt.Errorf("usage: kubelet-oracle keyring|plugin|secret|kind < input.json"))
	}
	input, err := io.ReadAll(io.LimitReader(os.Stdin, 64<<20))
	if err != nil {
		fail(err)
	}
	var out any
	switch os.Args[1] {
	case "keyring":
		out, err = runKeyring(input)
	case "plugin":
		out, err = runPlugin(input)
	case "secret":
		out, err = runSecret(input)
	case "kind":
		out, err = runKind(input)
	default:
		err = fmt.Errorf("unknown mode %q", os.Args[1])
	}
	if err != nil {
		fail(err)
	}
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(out); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "kubelet-oracle:", err)
	os.Exit(2)
}
