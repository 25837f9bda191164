package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestFromSettings(t *testing.T) {
	const commit = "b1a7497c0ffee1234567890abcdef1234567890a"
	tests := []struct {
		name     string
		settings []debug.BuildSetting
		want     string
	}{
		{"a clean checkout names its commit", []debug.BuildSetting{{Key: "vcs.revision", Value: commit}, {Key: "vcs.modified", Value: "false"}}, "b1a7497c0ffe"},
		{"uncommitted changes are marked", []debug.BuildSetting{{Key: "vcs.revision", Value: commit}, {Key: "vcs.modified", Value: "true"}}, "b1a7497c0ffe-dirty"},
		{"a short revision is kept whole", []debug.BuildSetting{{Key: "vcs.revision", Value: "abc"}}, "abc"},
		{"no VCS information", []debug.BuildSetting{{Key: "GOOS", Value: "linux"}}, "unknown"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fromSettings(tt.settings); got != tt.want {
				t.Errorf("fromSettings = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestStringPrefersTheLinkedVersion(t *testing.T) {
	defer func(v string) { Version = v }(Version)
	Version = "v0.4.0"
	if got := String(); got != "v0.4.0" {
		t.Errorf("String = %q, want the version set at link time", got)
	}
}
