// Package v1alpha1 is the queue.rpa.dev/v1alpha1 API that rpa-server
// serves through the Kubernetes aggregation layer: the work items of
// every WorkQueue, kept in PostgreSQL (docs/work-queues.md). It is not a
// CRD: nothing of it is stored in etcd.
//
// +k8s:openapi-gen=true
// +k8s:openapi-model-package=dev.rpa.queue.v1alpha1
// +kubebuilder:object:generate=true
// +kubebuilder:skip
// +groupName=queue.rpa.dev
package v1alpha1
