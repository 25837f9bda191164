package sdk

import (
	"errors"
	"fmt"
	"testing"
)

func TestExitCode(t *testing.T) {
	tests := []struct {
		name   string
		result Result
		err    error
		want   int
	}{
		{"all items done", Result{ItemsProcessed: 3, ItemsSucceeded: 3}, nil, 0},
		{"business exceptions among the items are normal", Result{ItemsProcessed: 3, ItemsSucceeded: 2, BusinessExceptions: 1}, nil, 0},
		{"a failed item asks for a retry", Result{ItemsProcessed: 3, ItemsSucceeded: 2, ItemsFailed: 1}, nil, 1},
		{"a business exception for the run", Result{BusinessExceptions: 1}, BusinessExceptionf("2 certificates for HR"), 7},
		{"a wrapped business exception", Result{}, fmt.Errorf("run: %w", BusinessExceptionf("x")), 7},
		{"a failed item outweighs a business exception", Result{ItemsFailed: 1}, nil, 1},
		{"stopped by SIGTERM", Result{ItemsFailed: 1}, fmt.Errorf("%w after 2 items", SIGTERM), 143},
		{"stopped by SIGINT", Result{}, SIGINT, 130},
		{"argument not set", Result{}, &ArgumentError{Name: "batch", Err: ErrMissing}, 64},
		{"credential missing", Result{}, fmt.Errorf("log in: %w", &CredentialError{Credential: "esdh", Err: ErrMissing}), 64},
		{"any other error", Result{}, errors.New("ESDH unreachable"), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ExitCode(7, tt.result, tt.err); got != tt.want {
				t.Errorf("ExitCode = %d, want %d", got, tt.want)
			}
		})
	}
}
