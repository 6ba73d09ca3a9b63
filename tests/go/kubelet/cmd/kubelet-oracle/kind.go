package main

import (
	"encoding/json"
	"fmt"

	"k8s.io/kubernetes/pkg/credentialprovider"
	kindconfig "sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/yaml"
)

// kubeletConfigPath is where a node's kubelet reads docker credentials (its --root-dir's config.json).
const kubeletConfigPath = "/var/lib/kubelet/config.json"

type kindRun struct {
	Config string   `json:"config"` // a kind Cluster config, YAML
	Images []string `json:"images"`
}

type kindNode struct {
	Role   string        `json:"role"`
	Images []imageAnswer `json:"images"`
}

type kindAnswer struct {
	Invalid []string   `json:"invalid"`
	Nodes   []kindNode `json:"nodes"`
}

// runKind reads a kind cluster config strictly into kind's v1alpha4 types and, for each node, builds the
// kubelet's node keyring from the file mounted at the kubelet's config.json, read as the kubelet reads it.
func runKind(input []byte) (any, error) {
	var run kindRun
	if err := json.Unmarshal(input, &run); err != nil {
		return nil, err
	}
	answer := kindAnswer{Invalid: []string{}, Nodes: []kindNode{}}
	var cluster kindconfig.Cluster
	if err := yaml.UnmarshalStrict([]byte(run.Config), &cluster); err != nil {
		answer.Invalid = append(answer.Invalid, err.Error())
		return answer, nil
	}
	if cluster.Kind != "Cluster" || cluster.APIVersion != "kind.x-k8s.io/v1alpha4" {
		answer.Invalid = append(answer.Invalid, fmt.Sprintf("kind %q apiVersion %q", cluster.Kind, cluster.APIVersion))
	}
	for _, node := range cluster.Nodes {
		keyring := &credentialprovider.BasicDockerKeyring{}
		for _, m := range node.ExtraMounts {
			if m.ContainerPath != kubeletConfigPath {
				continue
			}
			cfg, err := credentialprovider.ReadSpecificDockerConfigJSONFile(m.HostPath)
			if err != nil {
				answer.Invalid = append(answer.Invalid, err.Error())
				continue
			}
			keyring.Add(nil, cfg)
		}
		out := kindNode{Role: string(node.Role), Images: []imageAnswer{}}
		for _, image := range run.Images {
			out.Images = append(out.Images, lookup(keyring, image))
		}
		answer.Nodes = append(answer.Nodes, out)
	}
	return answer, nil
}
