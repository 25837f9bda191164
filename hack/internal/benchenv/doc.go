// Package benchenv is what the benchmarks under hack/ that run against
// envtest share (hack/bench-queue, hack/bench-console): etcd and
// kube-apiserver with the operator's CRDs, the CPU time each part of a
// measurement used, and figures written as docs/benchmarks.md writes them.
package benchenv
