//go:build tools

// Package tools pins kwok, the testbed's simulated nodes and kubelet API, so `go mod tidy` keeps its
// dependencies in this wrapper module.
package tools

import (
	_ "sigs.k8s.io/kwok/cmd/kwok"
)
