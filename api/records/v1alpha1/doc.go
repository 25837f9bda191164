// Package v1alpha1 is the records.rpa.dev/v1alpha1 API that rpa-server
// serves through the Kubernetes aggregation layer: the run records, what
// every finished RobotRun was, kept in PostgreSQL after the run is pruned
// (docs/audit.md). It is not a CRD: nothing of it is stored in etcd, and
// it is read-only.
//
// +k8s:openapi-gen=true
// +k8s:openapi-model-package=dev.rpa.records.v1alpha1
// +kubebuilder:object:generate=true
// +kubebuilder:skip
// +groupName=records.rpa.dev
package v1alpha1
