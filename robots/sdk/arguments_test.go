package sdk

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestArgumentsConvertTheirValues(t *testing.T) {
	args := NewArguments(map[string]string{
		"batch": "2025-Q3", "limit": "40", "dryRun": "true", "timeout": "90s",
		"sandboxURL": "http://sandbox:8080", "systems": " sbsys, ,acadre ",
	})
	tests := []struct {
		name string
		get  func() (any, error)
		want any
	}{
		{"string", func() (any, error) { return args.String("batch") }, "2025-Q3"},
		{"int", func() (any, error) { return args.Int("limit") }, 40},
		{"bool", func() (any, error) { return args.Bool("dryRun") }, true},
		{"duration", func() (any, error) { return args.Duration("timeout") }, 90 * time.Second},
		{"url", func() (any, error) {
			u, err := args.URL("sandboxURL")
			if err != nil {
				return nil, err
			}
			return u.String(), nil
		}, "http://sandbox:8080"},
		{"list trimmed, empty entries dropped", func() (any, error) {
			l, err := args.List("systems")
			return strings.Join(l, "|"), err
		}, "sbsys|acadre"},
		{"name matched ignoring case", func() (any, error) { return args.String("SANDBOXurl") }, "http://sandbox:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.get()
			if err != nil || got != tt.want {
				t.Errorf("got %v, %v; want %v", got, err, tt.want)
			}
		})
	}
}

func TestArgumentErrorsNameTheArgumentAndItsVariable(t *testing.T) {
	args := NewArguments(map[string]string{"limit": "many", "empty": "", "sandboxURL": "sandbox:8080", "timeout": "soon",
		"zoneURL": "http://[fe80::1%25\x8b]:8080"})
	tests := []struct {
		name        string
		get         func() error
		wantMissing bool
		wantText    string
	}{
		{"absent", func() error { _, err := args.String("batch"); return err }, true, "argument batch (RPA_ARG_BATCH) is not set"},
		{"empty counts as not set", func() error { _, err := args.Int("empty"); return err }, true, "RPA_ARG_EMPTY) is not set"},
		{"not a number", func() error { _, err := args.Int("limit"); return err }, false, `argument limit (RPA_ARG_LIMIT) "many": not a whole number`},
		{"not a duration", func() error { _, err := args.Duration("timeout"); return err }, false, "not a duration"},
		{"url without scheme", func() error { _, err := args.URL("sandboxURL"); return err }, false, "not an http:// or https:// URL"},
		{"url whose zone net/url cannot read back", func() error { _, err := args.URL("zoneURL"); return err }, false, "not an http:// or https:// URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.get()
			var argErr *ArgumentError
			if !errors.As(err, &argErr) {
				t.Fatalf("err = %v, want an *ArgumentError", err)
			}
			if errors.Is(err, ErrMissing) != tt.wantMissing {
				t.Errorf("errors.Is(err, ErrMissing) = %v, want %v", !tt.wantMissing, tt.wantMissing)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantText)
			}
		})
	}
}

func TestWithDefaultsFillsOnlyWhatIsNotSet(t *testing.T) {
	args := NewArguments(map[string]string{"MUNICIPALITY": "Lejre", "BATCH": ""}).
		WithDefaults(map[string]string{"municipality": "Roskilde", "batch": "2025-Q1", "limit": "0"})
	for name, want := range map[string]string{"municipality": "Lejre", "batch": "2025-Q1", "limit": "0"} {
		if got, _ := args.String(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}
