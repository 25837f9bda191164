// Package referencekey keeps the key of the hashes that unique references
// leave after retention in a Secret beside rpa-server, not in the database:
// a database dump alone must not let anyone try every CPR number against
// the hashes. The first server to start makes the key; every replica, and
// every later start, reads the same one.
package referencekey

import (
	"context"
	"crypto/rand"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rpa-operator/rpa-operator/internal/workqueue/store"
)

// DataKey is the Secret's key holding the reference key.
const DataKey = "key"

// keyBytes is the length of a key made here.
const keyBytes = 32

// Ensure returns the key in Secret namespace/name, creating the Secret with
// a random key when there is none. Replicas starting at once agree: the
// one whose create loses reads the winner's.
func Ensure(ctx context.Context, c client.Client, namespace, name string) ([]byte, error) {
	key, err := read(ctx, c, namespace, name)
	if !apierrors.IsNotFound(err) {
		return key, err
	}
	fresh := make([]byte, keyBytes)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("make a reference key: %w", err)
	}
	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: map[string]string{
			"app.kubernetes.io/name": "rpa-server", "app.kubernetes.io/part-of": "rpa-operator",
		}},
		Type:      corev1.SecretTypeOpaque,
		Immutable: ptr.To(true),
		Data:      map[string][]byte{DataKey: fresh},
	}
	switch err := c.Create(ctx, secret); {
	case err == nil:
		return fresh, nil
	case apierrors.IsAlreadyExists(err):
		return read(ctx, c, namespace, name)
	default:
		return nil, fmt.Errorf("create secret %s/%s for the reference key: %w", namespace, name, err)
	}
}

func read(ctx context.Context, c client.Client, namespace, name string) ([]byte, error) {
	secret := &corev1.Secret{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, secret); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, err
		}
		return nil, fmt.Errorf("read secret %s/%s holding the reference key: %w", namespace, name, err)
	}
	key := secret.Data[DataKey]
	if len(key) < store.MinReferenceKeyBytes {
		return nil, fmt.Errorf("secret %s/%s key %q has %d bytes, at least %d are needed: "+
			"restore the key it had (the hashes of unique references depend on it), or, for a new installation, delete the Secret and rpa-server makes one",
			namespace, name, DataKey, len(key), store.MinReferenceKeyBytes)
	}
	return key, nil
}
