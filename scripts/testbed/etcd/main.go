// Command etcd runs the real etcd server built from its Go module; this wrapper only hands the
// command line to the server's own entry point so the testbed can build it from the module proxy.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
