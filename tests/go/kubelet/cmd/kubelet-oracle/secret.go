package main

import (
	"encoding/json"
	"fmt"

	v1 "k8s.io/api/core/v1"
	kjson "k8s.io/apimachinery/pkg/runtime/serializer/json"
	"k8s.io/kubernetes/pkg/api/legacyscheme"
	"k8s.io/kubernetes/pkg/apis/core"
	_ "k8s.io/kubernetes/pkg/apis/core/install"
	"k8s.io/kubernetes/pkg/apis/core/validation"
	"k8s.io/kubernetes/pkg/credentialprovider"
	"k8s.io/kubernetes/pkg/credentialprovider/secrets"
)

// secretRun is a Secret manifest as a user would apply it, and the images of a pod that names it.
type secretRun struct {
	Manifest json.RawMessage `json:"manifest"`
	// Namespace is the one kubectl would apply a manifest without one to.
	Namespace string   `json:"namespace"`
	Images    []string `json:"images"`
}

type secretAnswer struct {
	// Invalid holds what the API server's decoder (strict: unknown fields refused) and validation refuse.
	Invalid []string      `json:"invalid"`
	Images  []imageAnswer `json:"images"`
}

// runSecret decodes and validates the manifest as the API server would on create, then looks the images
// up through the kubelet's keyring built from that secret alone.
func runSecret(input []byte) (any, error) {
	var run secretRun
	if err := json.Unmarshal(input, &run); err != nil {
		return nil, err
	}
	answer := secretAnswer{Invalid: []string{}, Images: []imageAnswer{}}
	decoder := kjson.NewSerializerWithOptions(kjson.DefaultMetaFactory, legacyscheme.Scheme, legacyscheme.Scheme,
		kjson.SerializerOptions{Strict: true})
	obj, _, err := decoder.Decode(run.Manifest, nil, &v1.Secret{})
	if err != nil {
		answer.Invalid = append(answer.Invalid, err.Error())
		return answer, nil
	}
	secret, ok := obj.(*v1.Secret)
	if !ok {
		answer.Invalid = append(answer.Invalid, fmt.Sprintf("not a Secret: %T", obj))
		return answer, nil
	}
	if secret.Namespace == "" {
		secret.Namespace = run.Namespace
	}
	var internal core.Secret
	if err := legacyscheme.Scheme.Convert(secret, &internal, nil); err != nil {
		return nil, err
	}
	for _, e := range validation.ValidateSecret(&internal) {
		answer.Invalid = append(answer.Invalid, e.Error())
	}
	keyring, err := secrets.MakeDockerKeyring([]v1.Secret{*secret}, &credentialprovider.BasicDockerKeyring{})
	if err != nil {
		answer.Invalid = append(answer.Invalid, "kubelet keyring: "+err.Error())
		return answer, nil
	}
	for _, image := range run.Images {
		answer.Images = append(answer.Images, lookup(keyring, image))
	}
	return answer, nil
}
