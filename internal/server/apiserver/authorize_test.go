package apiserver

import (
	"testing"

	"k8s.io/apiserver/pkg/authorization/authorizer"
)

func TestItemActionsAreAuthorizedWithoutTheItemsName(t *testing.T) {
	request := func(group, resource, subresource, name string) authorizer.AttributesRecord {
		return authorizer.AttributesRecord{Verb: "create", Namespace: "aalborg-hr", APIGroup: group, Resource: resource,
			Subresource: subresource, Name: name, ResourceRequest: true}
	}
	for _, tt := range []struct {
		name  string
		attrs authorizer.AttributesRecord
		want  string
	}{
		{"a robot reports an item done", request("queue.rpa.dev", "workitems", "done", "4711"), ""},
		{"a business exception", request("queue.rpa.dev", "workitems", "businessexception", "4711"), ""},
		{"a system exception", request("queue.rpa.dev", "workitems", "systemexception", "4711"), ""},
		{"a person retries", request("queue.rpa.dev", "workitems", "retry", "4711"), ""},
		{"a person handles", request("queue.rpa.dev", "workitems", "handle", "4711"), ""},
		{"getting an item keeps its name", request("queue.rpa.dev", "workitems", "", "4711"), "4711"},
		{"taking names the queue, and keeps it", request("queue.rpa.dev", "queues", "take", "certificates"), "certificates"},
		{"another group's done is not ours", request("example.com", "workitems", "done", "4711"), "4711"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := unnamed(tt.attrs)
			if got.GetName() != tt.want {
				t.Errorf("name %q, want %q", got.GetName(), tt.want)
			}
			if got.GetVerb() != "create" || got.GetSubresource() != tt.attrs.Subresource || got.GetNamespace() != "aalborg-hr" {
				t.Errorf("the rest of the request changed: %+v", got)
			}
		})
	}
}
