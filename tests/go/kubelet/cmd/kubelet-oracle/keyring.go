package main

import (
	"encoding/json"

	v1 "k8s.io/api/core/v1"
	"k8s.io/kubernetes/pkg/credentialprovider"
	"k8s.io/kubernetes/pkg/credentialprovider/secrets"
	"k8s.io/kubernetes/pkg/util/parsers"
)

// keyringCase is one pod's pull secrets (as the API server returns them) and the images to look up.
type keyringCase struct {
	ID      string      `json:"id"`
	Secrets []v1.Secret `json:"secrets"`
	Images  []string    `json:"images"`
}

type credential struct {
	Username string `json:"username"`
	Password string `json:"password"`
	// Secret names the pull secret the credential came from ("" when the kubelet does not say).
	Secret string `json:"secret,omitempty"`
}

type imageAnswer struct {
	Image string `json:"image"`
	// Repo is what the kubelet looks up: the image without tag or digest, Docker Hub spelled out.
	Repo        string       `json:"repo,omitempty"`
	Credentials []credential `json:"credentials"`
	Error       string       `json:"error,omitempty"`
}

type caseAnswer struct {
	ID string `json:"id"`
	// Error is set when the kubelet cannot build the keyring (every pull of the pod then fails).
	Error  string        `json:"error,omitempty"`
	Images []imageAnswer `json:"images"`
}

// runKeyring does what the kubelet's image manager does for each image of a pod: parse the image name,
// build the keyring from the pod's pull secrets (no node credentials, no plugins) and look the repository up.
func runKeyring(input []byte) (any, error) {
	var cases []keyringCase
	if err := json.Unmarshal(input, &cases); err != nil {
		return nil, err
	}
	answers := make([]caseAnswer, 0, len(cases))
	for _, c := range cases {
		answer := caseAnswer{ID: c.ID, Images: []imageAnswer{}}
		keyring, err := secrets.MakeDockerKeyring(c.Secrets, &credentialprovider.BasicDockerKeyring{})
		if err != nil {
			answer.Error = err.Error()
			answers = append(answers, answer)
			continue
		}
		for _, image := range c.Images {
			answer.Images = append(answer.Images, lookup(keyring, image))
		}
		answers = append(answers, answer)
	}
	return answers, nil
}

func lookup(keyring credentialprovider.DockerKeyring, image string) imageAnswer {
	answer := imageAnswer{Image: image, Credentials: []credential{}}
	repo, _, _, err := parsers.ParseImageName(image)
	if err != nil {
		answer.Error = err.Error()
		return answer
	}
	answer.Repo = repo
	found, _ := keyring.Lookup(repo)
	for _, f := range found {
		cred := credential{Username: f.Username, Password: f.Password}
		if f.Source != nil && f.Source.Secret != nil {
			cred.Secret = f.Source.Secret.Name
		}
		answer.Credentials = append(answer.Credentials, cred)
	}
	return answer
}
