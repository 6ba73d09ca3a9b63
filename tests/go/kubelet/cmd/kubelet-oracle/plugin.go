package main

import (
	"encoding/json"
	"fmt"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/component-base/metrics/legacyregistry"
	"k8s.io/kubernetes/pkg/credentialprovider/plugin"
)

// pluginRun is a kubelet's credential provider setup and the pulls it serves, in order.
type pluginRun struct {
	Config string       `json:"config"` // a CredentialProviderConfig file
	BinDir string       `json:"binDir"` // --image-credential-provider-bin-dir
	Steps  []pluginStep `json:"steps"`
	// Pod and ServiceAccount, when set, are what the kubelet knows of the pod being pulled for; a provider
	// with tokenAttributes then gets Token as the service account token (KEP-4412).
	Pod            *podRef         `json:"pod,omitempty"`
	ServiceAccount *serviceAccount `json:"serviceAccount,omitempty"`
}

type podRef struct {
	Namespace      string `json:"namespace"`
	Name           string `json:"name"`
	UID            string `json:"uid"`
	ServiceAccount string `json:"serviceAccount"`
}

type serviceAccount struct {
	UID         string            `json:"uid"`
	Annotations map[string]string `json:"annotations"`
	Token       string            `json:"token"`
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
	if err := plugin.RegisterCredentialProviderPlugins(run.Config, run.BinDir, run.tokenFunc, run.serviceAccountFunc); err != nil {
		return nil, err
	}
	pod := podRef{}
	if run.Pod != nil {
		pod = *run.Pod
	}
	answers := []pluginAnswer{}
	for _, step := range run.Steps {
		time.Sleep(time.Duration(step.SleepMs) * time.Millisecond)
		keyring := plugin.NewExternalCredentialProviderDockerKeyring(pod.Namespace, pod.Name, pod.UID, pod.ServiceAccount)
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

// serviceAccountFunc stands for the kubelet's informer: the one service account of the run.
func (run *pluginRun) serviceAccountFunc(namespace, name string) (*v1.ServiceAccount, error) {
	if run.ServiceAccount == nil || run.Pod == nil || namespace != run.Pod.Namespace || name != run.Pod.ServiceAccount {
		return nil, fmt.Errorf("service account %s/%s not found", namespace, name)
	}
	return &v1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{
		Namespace: namespace, Name: name, UID: types.UID(run.ServiceAccount.UID),
		Annotations: run.ServiceAccount.Annotations,
	}}, nil
}

// tokenFunc stands for the TokenRequest API: it answers the run's token for the run's service account.
func (run *pluginRun) tokenFunc(namespace, name string, tr *authenticationv1.TokenRequest) (*authenticationv1.TokenRequest, error) {
	if _, err := run.serviceAccountFunc(namespace, name); err != nil {
		return nil, err
	}
	out := tr.DeepCopy()
	out.Status.Token = run.ServiceAccount.Token
	out.Status.ExpirationTimestamp = metav1.NewTime(time.Now().Add(time.Hour))
	return out, nil
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
