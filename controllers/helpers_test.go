package controllers

import (
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func objectKey(obj client.Object) client.ObjectKey { return client.ObjectKeyFromObject(obj) }

func envVar(name, value string) corev1.EnvVar { return corev1.EnvVar{Name: name, Value: value} }
