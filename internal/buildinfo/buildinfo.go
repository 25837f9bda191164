// Package buildinfo says which build of rpa-operator a process is, so that
// a platform team can tell from a pod's log which build it runs (after an
// upgrade, say).
package buildinfo

import "runtime/debug"

// Version is the build's version, set at link time by hack/build-images
// (-ldflags -X) to the image tag; empty in a plain go build.
var Version string

// String is Version, or else the commit the binary was built from (with
// "-dirty" for uncommitted changes), or "unknown".
func String() string {
	if Version != "" {
		return Version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	return fromSettings(info.Settings)
}

// fromSettings names a build by its VCS revision.
func fromSettings(settings []debug.BuildSetting) string {
	var revision, modified string
	for _, s := range settings {
		switch s.Key {
		case "vcs.revision":
			revision = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if revision == "" {
		return "unknown"
	}
	if len(revision) > 12 {
		revision = revision[:12]
	}
	if modified == "true" {
		revision += "-dirty"
	}
	return revision
}
