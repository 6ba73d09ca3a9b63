package main

import (
	"encoding/json"
	"fmt"
	"time"

	"k8s.io/component-base/metrics/legacyregistry"
	"k8s.io/kubernetes/pkg/credentialprovider/plugin"
)

// pluginRun is a kubelet's credential provider setup and the pulls it serves, in order.
type pluginRun struct {
	Config string       `json:"config"` // a CredentialProviderConfig file
	BinDir string       `json:"binDir"` // --image-credential-provider-bin-dir
	Steps  []pluginStep `json:"steps"`
}

type pluginStep struct {
	Image string `json:"image"`
	// SleepMs waits before the lookup, to let a cached answer expire.
	SleepMs int `json:"sleepMs,omitempty"`
}

type pluginAnswer struct {
	imageAnswer
	// Execs and Errors are the kubelet's own counts (its metrics) of plugin runs and failed runs so far: a
	// lookup served from the kubelet's cache adds no run.
	Execs  uint64 `json:"execs"`
	Errors uint64 `json:"errors"`
}

// runPlugin registers the providers the kubelet would from the config file and looks each image up through
// the keyring the kubelet builds for a pod that has no pull secrets and no service account.
func runPlugin(input []byte) (any, error) {
	var run pluginRun
	if err := json.Unmarshal(input, &run); err != nil {
		return nil, err
	}
	if err := plugin.RegisterCredentialProviderPlugins(run.Config, run.BinDir, nil, nil); err != nil {
		return nil, err
	}
	answers := []pluginAnswer{}
	for _, step := range run.Steps {
		time.Sleep(time.Duration(step.SleepMs) * time.Millisecond)
		keyring := plugin.NewExternalCredentialProviderDockerKeyring("", "", "", "")
		answer := pluginAnswer{imageAnswer: lookup(keyring, step.Image)}
		execs, errs, err := pluginCounts()
		if err != nil {
			return nil, err
		}
		answer.Execs, answer.Errors = execs, errs
		answers = append(answers, answer)
	}
	return answers, nil
}

// pluginCounts sums the kubelet's plugin metrics over every provider.
func pluginCounts() (execs, errs uint64, err error) {
	families, err := legacyregistry.DefaultGatherer.Gather()
	if err != nil {
		return 0, 0, fmt.Errorf("reading the kubelet's metrics: %w", err)
	}
	for _, family := range families {
		for _, m := range family.GetMetric() {
			switch family.GetName() {
			case "kubelet_credential_provider_plugin_duration":
				execs += m.GetHistogram().GetSampleCount()
			case "kubelet_credential_provider_plugin_errors_total":
				errs += uint64(m.GetCounter().GetValue())
			}
		}
	}
	return execs, errs, nil
}
