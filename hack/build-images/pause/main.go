// Command pause is the pod sandbox ("pause") container of the local
// cluster: it holds a pod's namespaces and does nothing until it is told to
// stop. containerd cannot pull registry.k8s.io/pause here, so
// hack/build-images builds this under that name.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	<-stop
}
