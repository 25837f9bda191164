package jobs

import (
	"errors"
	"testing"

	"k8s.io/utils/ptr"

	rpav1alpha1 "github.com/rpa-operator/rpa-operator/api/v1alpha1"
)

func TestResolveArguments(t *testing.T) {
	params := []rpav1alpha1.Parameter{
		{Name: "movedInSince", Default: ptr.To("")},
		{Name: "dryRun", Default: ptr.To("false")},
		{Name: "municipality", Required: true},
		{Name: "note"},
	}
	tests := []struct {
		name        string
		args        map[string]string
		want        map[string]string
		wantErr     string
		wantUnknown []string
		wantMissing []string
	}{
		{
			name: "defaults fill what is not given",
			args: map[string]string{"municipality": "Roskilde"},
			want: map[string]string{"movedInSince": "", "dryRun": "false", "municipality": "Roskilde"},
		},
		{
			name: "given values win over defaults, empty string included",
			args: map[string]string{"municipality": "Roskilde", "dryRun": "", "note": "go-live batch of 10"},
			want: map[string]string{"movedInSince": "", "dryRun": "", "municipality": "Roskilde", "note": "go-live batch of 10"},
		},
		{
			name:        "missing required argument",
			args:        map[string]string{"dryRun": "true"},
			wantErr:     "missing required argument(s) municipality",
			wantMissing: []string{"municipality"},
		},
		{
			name:        "unknown arguments named, with what is allowed",
			args:        map[string]string{"municipality": "Aalborg", "dryrun": "true", "batch": "40"},
			wantErr:     "unknown argument(s) batch, dryrun (the robot's parameters: movedInSince, dryRun, municipality, note)",
			wantUnknown: []string{"batch", "dryrun"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolveArguments(params, tt.args)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if len(got) != len(tt.want) {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
				for k, v := range tt.want {
					if got[k] != v {
						t.Errorf("argument %s = %q, want %q", k, got[k], v)
					}
				}
				return
			}
			var invalid *InvalidArgumentsError
			if !errors.As(err, &invalid) {
				t.Fatalf("err = %v, want *InvalidArgumentsError", err)
			}
			if err.Error() != tt.wantErr {
				t.Errorf("message = %q, want %q", err.Error(), tt.wantErr)
			}
			if len(invalid.Unknown) != len(tt.wantUnknown) || len(invalid.Missing) != len(tt.wantMissing) {
				t.Errorf("unknown %v missing %v, want %v and %v", invalid.Unknown, invalid.Missing, tt.wantUnknown, tt.wantMissing)
			}
		})
	}
}

func TestResolveArgumentsForRobotWithoutParameters(t *testing.T) {
	_, err := ResolveArguments(nil, map[string]string{"x": "1"})
	if err == nil || err.Error() != "unknown argument(s) x (the robot's parameters: none)" {
		t.Errorf("err = %v", err)
	}
	got, err := ResolveArguments(nil, nil)
	if err != nil || len(got) != 0 {
		t.Errorf("got %v, %v; want no arguments and no error", got, err)
	}
}

func TestEnvNames(t *testing.T) {
	tests := []struct{ got, want string }{
		{ArgumentEnvName("movedInSince"), "RPA_ARG_MOVEDINSINCE"},
		{ArgumentEnvName("dry_run"), "RPA_ARG_DRY_RUN"},
		{CredentialEnvPrefix("esdh"), "RPA_CREDENTIAL_ESDH_"},
		{CredentialEnvPrefix("digital-post"), "RPA_CREDENTIAL_DIGITAL_POST_"},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}
