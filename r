{
  "apiVersion": "mesh/v1",
  "kind": "AnalysisReport",
  "version": 1,
  "findings": [
    {
      "code": "IST0101",
      "level": "Error",
      "origin": "VirtualService shop/web",
      "message": "Referenced gateway not found: \"public-gw\"",
      "analyzer": "virtualservice.GatewayAnalyzer",
      "documentationUrl": "https://github.com/mesh-cli/mesh/blob/main/docs/codes/ist0101.md",
      "kind": "VirtualService",
      "namespace": "shop",
      "name": "web",
      "file": "test/fixtures/ci/repo/k8s/shop.yaml",
      "line": 41,
      "column": 7,
      "path": "spec.gateways[0]"
    },
    {
      "code": "IST0132",
      "level": "Warning",
      "origin": "VirtualService shop/web",
      "message": "one or more host [shop.example.com] defined in VirtualService shop/web not found in Gateway shop/public-gw.",
      "analyzer": "virtualservice.GatewayAnalyzer",
      "documentationUrl": "https://github.com/mesh-cli/mesh/blob/main/docs/codes/ist0132.md",
      "kind": "VirtualService",
      "namespace": "shop",
      "name": "web",
      "file": "test/fixtures/ci/repo/k8s/shop.yaml",
      "line": 41,
      "column": 7,
      "path": "spec.gateways[0]"
    }
  ],
  "problems": [
    {
      "severity": "note",
      "file": "test/fixtures/ci/repo/config/settings.yaml",
      "docIndex": 0,
      "line": 1,
      "message": "skipped a document that is not a Kubernetes object (no apiVersion or kind)"
    }
  ],
  "skippedAnalyzers": [
    {
      "analyzer": "injection.Analyzer",
      "reason": "no Namespace in the inputs"
    },
    {
      "analyzer": "injection.ImageAnalyzer",
      "reason": "no Namespace, Pod, ConfigMap in the inputs"
    },
    {
      "analyzer": "mesh.DestinationRuleTlsConflictAnalyzer",
      "reason": "no PeerAuthentication in the inputs"
    },
    {
      "analyzer": "virtualservice.DestinationRuleAnalyzer",
      "reason": "no DestinationRule in the inputs"
    }
  ],
  "summary": {
    "errors": 1,
    "warnings": 1,
    "info": 0,
    "total": 2,
    "files": 3,
    "resources": 5,
    "parseErrors": 0,
    "suppressed": 0,
    "hiddenByNamespace": 0,
    "inBaseline": 0,
    "analyzers": 55,
    "skippedAnalyzers": 4,
    "exitCode": 79
  }
}
