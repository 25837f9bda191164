package integration

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func objectKey(obj client.Object) client.ObjectKey { return client.ObjectKeyFromObject(obj) }

func envVar(name, value string) corev1.EnvVar { return corev1.EnvVar{Name: name, Value: value} }

func client2key(namespace, name string) client.ObjectKey {
	return client.ObjectKey{Namespace: namespace, Name: name}
}

// client2propagation deletes in the background, as kubectl does.
func client2propagation() client.DeleteOption {
	return client.PropagationPolicy(metav1.DeletePropagationBackground)
}
