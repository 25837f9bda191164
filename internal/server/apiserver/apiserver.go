// Package apiserver builds rpa-server's queue.rpa.dev and records.rpa.dev API server on
// k8s.io/apiserver: served behind kube-apiserver's aggregation layer, with
// authentication and authorization delegated to kube-apiserver
// (TokenReview, SubjectAccessReview) and no etcd of its own: the items are
// in PostgreSQL (docs/design/work-item-api.md).
package apiserver

import (
	"fmt"
	"net"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	openapinamer "k8s.io/apiserver/pkg/endpoints/openapi"
	"k8s.io/apiserver/pkg/registry/rest"
	genericapiserver "k8s.io/apiserver/pkg/server"
	genericoptions "k8s.io/apiserver/pkg/server/options"
	utilcompatibility "k8s.io/apiserver/pkg/util/compatibility"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/rpa-operator/rpa-operator/api/openapi"
	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
	recordsv1alpha1 "github.com/rpa-operator/rpa-operator/api/records/v1alpha1"
	"github.com/rpa-operator/rpa-operator/internal/server/itemsapi"
	"github.com/rpa-operator/rpa-operator/internal/server/recordsapi"
	"github.com/rpa-operator/rpa-operator/internal/workqueue"
)

// NewOptions are the server's options: secure serving, delegated
// authentication and authorization, and audit; no etcd, no admission (the
// storage checks every request itself), and no API Priority and Fairness
// of its own (kube-apiserver applies it before proxying).
func NewOptions() *genericoptions.RecommendedOptions {
	o := genericoptions.NewRecommendedOptions("", itemsapi.Codecs.LegacyCodec(queuev1alpha1.SchemeGroupVersion))
	o.Etcd = nil
	o.Admission = nil
	o.CoreAPI = nil
	o.Features.EnablePriorityAndFairness = false
	return o
}

// New builds the server from completed options over the stores and the
// cluster reader (WorkQueues and robot pods): queue.rpa.dev over the work
// items, records.rpa.dev over the run records.
func New(o *genericoptions.RecommendedOptions, items ItemStore, records RecordStore, cluster client.Reader) (*genericapiserver.GenericAPIServer, error) {
	if err := o.SecureServing.MaybeDefaultWithSelfSignedCerts("localhost", nil, []net.IP{net.ParseIP("127.0.0.1")}); err != nil {
		return nil, fmt.Errorf("serving certificate: %w", err)
	}
	cfg := genericapiserver.NewRecommendedConfig(itemsapi.Codecs)
	cfg.EffectiveVersion = utilcompatibility.DefaultBuildEffectiveVersion()
	namer := openapinamer.NewDefinitionNamer(externalScheme())
	cfg.OpenAPIConfig = genericapiserver.DefaultOpenAPIConfig(openapi.GetOpenAPIDefinitions, namer)
	cfg.OpenAPIConfig.Info.Title, cfg.OpenAPIConfig.Info.Version = "rpa-server", "v1alpha1"
	cfg.OpenAPIV3Config = genericapiserver.DefaultOpenAPIV3Config(openapi.GetOpenAPIDefinitions, namer)
	cfg.OpenAPIV3Config.Info.Title, cfg.OpenAPIV3Config.Info.Version = "rpa-server", "v1alpha1"
	if err := o.ApplyTo(cfg); err != nil {
		return nil, fmt.Errorf("apply server options: %w", err)
	}
	if cfg.Authorization.Authorizer != nil {
		cfg.Authorization.Authorizer = withoutItemNames{cfg.Authorization.Authorizer}
	}
	server, err := cfg.Complete().New("rpa-server", genericapiserver.NewEmptyDelegate())
	if err != nil {
		return nil, fmt.Errorf("build the API server: %w", err)
	}
	group := genericapiserver.NewDefaultAPIGroupInfo(queuev1alpha1.GroupName, itemsapi.Scheme, itemsapi.ParameterCodec, itemsapi.Codecs)
	group.NegotiatedSerializer = withoutProtobuf{itemsapi.Codecs}
	group.VersionedResourcesStorageMap[queuev1alpha1.SchemeGroupVersion.Version] = storages(items, cluster)
	if err := server.InstallAPIGroup(&group); err != nil {
		return nil, fmt.Errorf("install %s: %w", queuev1alpha1.GroupName, err)
	}
	recordsGroup := genericapiserver.NewDefaultAPIGroupInfo(recordsv1alpha1.GroupName, recordsapi.Scheme, recordsapi.ParameterCodec, recordsapi.Codecs)
	recordsGroup.NegotiatedSerializer = withoutProtobuf{recordsapi.Codecs}
	recordsGroup.VersionedResourcesStorageMap[recordsv1alpha1.SchemeGroupVersion.Version] = map[string]rest.Storage{
		"runrecords":     &recordsapi.RecordStorage{Records: records},
		"runrecords/log": &recordsapi.LogStorage{Records: records},
		"robotchanges":   &recordsapi.ChangeStorage{Changes: records},
	}
	if err := server.InstallAPIGroup(&recordsGroup); err != nil {
		return nil, fmt.Errorf("install %s: %w", recordsv1alpha1.GroupName, err)
	}
	return server, nil
}

// ItemStore is what the queue API uses: the work items and the decisions
// kept of them.
type ItemStore interface {
	itemsapi.Items
	itemsapi.Decisions
}

// RecordStore is what the records API reads: run records and robot changes.
type RecordStore interface {
	recordsapi.Records
	recordsapi.Changes
}

// storages maps each resource and subresource to its REST storage.
func storages(items ItemStore, cluster client.Reader) map[string]rest.Storage {
	outcome := func(a workqueue.Action) rest.Storage {
		return &itemsapi.OutcomeStorage{Items: items, Cluster: cluster, Action: a}
	}
	decision := func(a workqueue.Action) rest.Storage {
		return &itemsapi.DecisionStorage{Items: items, Cluster: cluster, Action: a}
	}
	return map[string]rest.Storage{
		"workitems":                   &itemsapi.ItemStorage{Items: items, Cluster: cluster},
		"workitems/done":              outcome(workqueue.ActionDone),
		"workitems/businessexception": outcome(workqueue.ActionBusinessException),
		"workitems/systemexception":   outcome(workqueue.ActionSystemException),
		"workitems/retry":             decision(workqueue.ActionRetry),
		"workitems/handle":            decision(workqueue.ActionHandle),
		"queues":                      itemsapi.QueueStorage{},
		"queues/take":                 &itemsapi.TakeStorage{Items: items, Cluster: cluster},
		"itemdecisions":               &itemsapi.KeptDecisionStorage{Decisions: items},
	}
}

// externalScheme has only the v1alpha1 types, so the OpenAPI names carry
// no internal version.
func externalScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	s.AddKnownTypes(queuev1alpha1.SchemeGroupVersion, queuev1alpha1.Types()...)
	s.AddKnownTypes(recordsv1alpha1.SchemeGroupVersion, recordsv1alpha1.Types()...)
	s.AddKnownTypes(schema.GroupVersion{Version: "v1"})
	return s
}

// withoutProtobuf offers the groups' types as JSON and YAML only: they
// have no protobuf encoding, and a client that asks for protobuf first
// (kube-controller-manager's namespace controller and garbage collector
// do) got an encoding error instead of its JSON fallback, so deleting a
// namespace that holds work items never finished.
type withoutProtobuf struct{ runtime.NegotiatedSerializer }

func (s withoutProtobuf) SupportedMediaTypes() []runtime.SerializerInfo {
	var out []runtime.SerializerInfo
	for _, info := range s.NegotiatedSerializer.SupportedMediaTypes() {
		if info.MediaType != runtime.ContentTypeProtobuf {
			out = append(out, info)
		}
	}
	return out
}
