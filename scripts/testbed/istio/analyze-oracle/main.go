// Command analyze-oracle runs Istio's own analyzers over files the way Istio's analyzer unit tests do,
// which istioctl cannot: `istioctl analyze --use-kube=false` drops the Pods, Services, Namespaces, Nodes
// and Secrets of its files and so skips every analyzer that reads them. Here they are kept
// (AddTestReaderKubeSource), the default ingress gateway is added as istioctl adds it offline
// (AddDefaultResources), every analyzer istioctl registers runs (analyzers.AllCombined), all namespaces
// are analyzed (istioctl -A) and istio-system is the control plane's namespace.
//
//	analyze-oracle [-meshConfigFile F] [-meshNetworksFile F] FILE...   one analysis: a JSON array of findings
//	analyze-oracle -batch < RUNS.json                                  several: RUNS is [{"files": [...],
//	    "meshConfigFile": "...", "meshNetworksFile": "..."}, ...]; prints [{"findings": [...], "error": "..."}, ...]
//
// A finding is printed as `istioctl analyze -o json` prints it: code, level, origin (`Kind ns/name`),
// reference (file:line), message, documentationUrl. mesh's e2e suite (test/e2e/analyze-oracle-workloads.test.ts)
// compares it with `mesh analyze`.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"istio.io/istio/pkg/config/analysis/analyzers"
	"istio.io/istio/pkg/config/analysis/diag"
	"istio.io/istio/pkg/config/analysis/local"
	"istio.io/istio/pkg/log"
)

type run struct {
	Files            []string `json:"files"`
	MeshConfigFile   string   `json:"meshConfigFile,omitempty"`
	MeshNetworksFile string   `json:"meshNetworksFile,omitempty"`
}

type outcome struct {
	Findings diag.Messages `json:"findings"`
	Error    string        `json:"error,omitempty"`
}

// analyze sets the analyzer up in the order of upstream's setupAnalyzerForCase: mesh config and mesh
// networks first (the default resources depend on the mesh config), then the files, then the defaults.
func analyze(r run) (diag.Messages, error) {
	sa := local.NewSourceAnalyzer(analyzers.AllCombined(), "", "istio-system", nil)
	if r.MeshConfigFile != "" {
		if err := sa.AddFileKubeMeshConfig(r.MeshConfigFile); err != nil {
			return nil, fmt.Errorf("mesh config %s: %w", r.MeshConfigFile, err)
		}
	}
	if r.MeshNetworksFile != "" {
		if err := sa.AddFileKubeMeshNetworks(r.MeshNetworksFile); err != nil {
			return nil, fmt.Errorf("mesh networks %s: %w", r.MeshNetworksFile, err)
		}
	}
	var readers []local.ReaderSource
	for _, name := range r.Files {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		readers = append(readers, local.ReaderSource{Name: name, Reader: f})
	}
	// Parse errors of single documents are not fatal (istioctl goes on too); they are returned with the findings.
	readErr := sa.AddTestReaderKubeSource(readers)
	if err := sa.AddDefaultResources(); err != nil {
		return nil, err
	}
	res, err := sa.Analyze(make(chan struct{}))
	if err != nil {
		return nil, err
	}
	if res.Messages == nil {
		res.Messages = diag.Messages{}
	}
	return *res.Messages.SetDocRef("istioctl-analyze"), readErr
}

func main() {
	batch := flag.Bool("batch", false, "read a JSON array of runs from stdin")
	meshConfig := flag.String("meshConfigFile", "", "mesh config file")
	meshNetworks := flag.String("meshNetworksFile", "", "mesh networks file")
	flag.Parse()
	// istioctl's log levels (warnings; errors only for its noisy scopes), on stderr: stdout is the JSON.
	opts := log.DefaultOptions()
	opts.OutputPaths = []string{"stderr"}
	opts.SetDefaultOutputLevel("all", log.WarnLevel)
	for _, scope := range []string{"validation", "processing", "kube"} {
		opts.SetDefaultOutputLevel(scope, log.ErrorLevel)
	}
	if err := log.Configure(opts); err != nil {
		fmt.Fprintln(os.Stderr, "analyze-oracle: configuring logs:", err)
	}
	out := json.NewEncoder(os.Stdout)
	out.SetIndent("", "  ")
	if !*batch {
		msgs, err := analyze(run{Files: flag.Args(), MeshConfigFile: *meshConfig, MeshNetworksFile: *meshNetworks})
		if msgs != nil {
			_ = out.Encode(msgs)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "analyze-oracle:", err)
			os.Exit(1)
		}
		return
	}
	var runs []run
	if err := json.NewDecoder(os.Stdin).Decode(&runs); err != nil {
		fmt.Fprintln(os.Stderr, "analyze-oracle: reading runs from stdin:", err)
		os.Exit(2)
	}
	results := make([]outcome, 0, len(runs))
	for _, r := range runs {
		msgs, err := analyze(r)
		o := outcome{Findings: msgs}
		if o.Findings == nil {
			o.Findings = diag.Messages{}
		}
		if err != nil {
			o.Error = err.Error()
		}
		results = append(results, o)
	}
	if err := out.Encode(results); err != nil {
		fmt.Fprintln(os.Stderr, "analyze-oracle:", err)
		os.Exit(1)
	}
}
