package apiserver

import (
	"context"

	"k8s.io/apiserver/pkg/authorization/authorizer"

	queuev1alpha1 "github.com/rpa-operator/rpa-operator/api/queue/v1alpha1"
)

// itemActions are the subresources of one work item whose authorization
// does not depend on which item: the roles grant them per namespace, and
// the storage checks that only the holding pod reports an item.
var itemActions = map[string]bool{"done": true, "businessexception": true, "systemexception": true, "retry": true, "handle": true}

// withoutItemNames asks the delegated authorizer about an item action
// without the item's id. Every id is new, so the SubjectAccessReview cache
// would never answer one, and k8s.io/apiserver sends at most 200 reviews a
// second: with the name left out, one cached answer per caller covers all
// its items (docs/benchmarks.md). A grant limited by resourceNames to
// certain items then no longer matches: such grants are not supported.
type withoutItemNames struct {
	authorizer.Authorizer
}

func (a withoutItemNames) Authorize(ctx context.Context, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	return a.Authorizer.Authorize(ctx, unnamed(attrs))
}

func (a withoutItemNames) ConditionsAwareAuthorize(ctx context.Context, attrs authorizer.Attributes) authorizer.ConditionsAwareDecision {
	return a.Authorizer.ConditionsAwareAuthorize(ctx, unnamed(attrs))
}

// unnamed is attrs without the name, for an item action.
func unnamed(attrs authorizer.Attributes) authorizer.Attributes {
	if !attrs.IsResourceRequest() || attrs.GetAPIGroup() != queuev1alpha1.GroupName || attrs.GetResource() != "workitems" ||
		!itemActions[attrs.GetSubresource()] {
		return attrs
	}
	return nameless{attrs}
}

type nameless struct{ authorizer.Attributes }

func (nameless) GetName() string { return "" }
