//go:build tools

// Package tools pins the Istio commands the testbed builds (istiod's pilot-discovery and istioctl)
// so `go mod tidy` keeps their dependencies in this wrapper module.
package tools

import (
	_ "istio.io/istio/istioctl/cmd/istioctl"
	_ "istio.io/istio/pilot/cmd/pilot-discovery"
)
