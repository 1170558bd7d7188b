//go:build tools

// Package tools pins the Kubernetes commands the testbed builds so `go mod tidy` keeps their
// dependencies in this wrapper module.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
)
