// Package fieldselect reads the field selectors of rpa-server's lists:
// exact matches only (the store answers them in SQL), and periods given
// as times or dates.
package fieldselect

import (
	"fmt"
	"strconv"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metainternalversion "k8s.io/apimachinery/pkg/apis/meta/internalversion"
	"k8s.io/apimachinery/pkg/fields"
)

// Namespace is the field every list accepts: the request's namespace.
const Namespace = "metadata.namespace"

// IDPage reads the paging of a list continued after an id: the limit,
// at most maxLimit (0: none given), and the id the previous page ended at.
func IDPage(options *metainternalversion.ListOptions, maxLimit int) (limit int, afterID int64, err error) {
	if options == nil {
		return 0, 0, nil
	}
	if options.Limit > 0 {
		limit = int(min(options.Limit, int64(maxLimit)))
	}
	if options.Continue != "" {
		afterID, err = strconv.ParseInt(options.Continue, 10, 64)
		if err != nil || afterID <= 0 {
			return 0, 0, apierrors.NewBadRequest("continue token is not one this server gave")
		}
	}
	return limit, afterID, nil
}

// Exact returns the list's field selector requirements, refusing any but
// = and ==.
func Exact(options *metainternalversion.ListOptions) ([]fields.Requirement, error) {
	if options == nil || options.FieldSelector == nil {
		return nil, nil
	}
	reqs := options.FieldSelector.Requirements()
	for _, req := range reqs {
		if req.Operator != "=" && req.Operator != "==" {
			return nil, apierrors.NewBadRequest(fmt.Sprintf("field selector %s: only = is supported", req.Field))
		}
	}
	return reqs, nil
}

// Time reads an RFC 3339 time or a date (midnight UTC).
func Time(field, value string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, value); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, value); err == nil {
		return t, nil
	}
	return time.Time{}, apierrors.NewBadRequest(fmt.Sprintf(
		"field selector %s=%q: give an RFC 3339 time (2026-11-01T00:00:00+01:00) or a date (2026-11-01)", field, value))
}

// Unsupported is the answer to a field the list does not select by.
func Unsupported(field string, supported ...string) error {
	return apierrors.NewBadRequest(fmt.Sprintf("field selector %s is not supported: use %v", field, supported))
}
