// Package apipages lists a resource of rpa-server's aggregated APIs page
// by page (limit and continue), for the kubectl plugin and the console.
package apipages

import (
	"context"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
)

// PageSize is how many items one request asks for.
const PageSize = "500"

// All lists the resource in the namespace with the field selector, at
// most limit items (0: all); itemsOf returns a page's items and its
// continue token.
func All[T any, L runtime.Object](ctx context.Context, api rest.Interface, namespace, resource, selector string, limit int,
	newList func() L, itemsOf func(L) ([]T, string)) ([]T, error) {
	var out []T
	next := ""
	for {
		page := newList()
		req := api.Get().Namespace(namespace).Resource(resource).Param("fieldSelector", selector).Param("limit", PageSize)
		if next != "" {
			req = req.Param("continue", next)
		}
		if err := req.Do(ctx).Into(page); err != nil {
			return nil, err
		}
		var items []T
		items, next = itemsOf(page)
		out = append(out, items...)
		if limit > 0 && len(out) >= limit {
			return out[:limit], nil
		}
		if next == "" {
			return out, nil
		}
	}
}
