// Command coredns is CoreDNS with only the plugins the local cluster needs.
//
// The local cluster (hack/local-cluster.sh) runs it on the node so that pods
// reach Services by name, as they would in any cluster. The upstream build
// links every plugin (cloud DNS providers, etcd, ...), which triples the
// build time; CoreDNS supports choosing plugins at compile time by setting
// the directive list and importing the plugins, which is what this does.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	// The plugins named in directives, registered by their init functions.
	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"
)

// directives is the subset of CoreDNS's plugin.cfg, in its order: the order
// in which a query passes through the plugins.
var directives = []string{
	"reload",
	"bind",
	"ready",
	"health",
	"errors",
	"log",
	"cache",
	"kubernetes",
	"forward",
}

func init() {
	dnsserver.Directives = directives
}

func main() {
	coremain.Run()
}
