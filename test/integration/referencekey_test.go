package integration

import (
	"context"
	"sync"
	"testing"

	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rpa-operator/rpa-operator/internal/server/referencekey"
)

// TestReplicasStartingAtOnceAgreeOnOneReferenceKey: rpa-server replicas
// that find no key Secret make one between them, and every later start
// reads the same key; a key too short to protect the hashes is refused
// with what to do.
func TestReplicasStartingAtOnceAgreeOnOneReferenceKey(t *testing.T) {
	g := NewWithT(t)
	ctx := context.Background()
	ns := newNamespace(t)
	const replicas = 4
	keys := make([][]byte, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range replicas {
		wg.Go(func() { keys[i], errs[i] = referencekey.Ensure(ctx, k8sClient, ns, "rpa-server-reference-key") })
	}
	wg.Wait()
	for i := range replicas {
		g.Expect(errs[i]).NotTo(HaveOccurred())
		g.Expect(keys[i]).To(HaveLen(32))
		g.Expect(keys[i]).To(Equal(keys[0]), "replica %d", i)
	}
	again, err := referencekey.Ensure(ctx, k8sClient, ns, "rpa-server-reference-key")
	g.Expect(err).NotTo(HaveOccurred())
	g.Expect(again).To(Equal(keys[0]), "a restart reads the same key")
	secret := &corev1.Secret{}
	g.Expect(k8sClient.Get(ctx, client.ObjectKey{Namespace: ns, Name: "rpa-server-reference-key"}, secret)).To(Succeed())
	g.Expect(*secret.Immutable).To(BeTrue())

	short := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "short"}, Data: map[string][]byte{referencekey.DataKey: []byte("too short")}}
	g.Expect(k8sClient.Create(ctx, short)).To(Succeed())
	_, err = referencekey.Ensure(ctx, k8sClient, ns, "short")
	g.Expect(err).To(MatchError(ContainSubstring("has 9 bytes, at least 32 are needed")))
}
