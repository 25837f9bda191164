package sdk

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// DefaultCredentialsDir is where the operator mounts one directory per
// credential, one file per key of its Secret.
const DefaultCredentialsDir = "/var/run/rpa/credentials"

// CredentialEnvPrefix starts the environment variables of a credential
// with env: true: RPA_CREDENTIAL_<NAME>_<key>.
const CredentialEnvPrefix = "RPA_CREDENTIAL_"

// Credentials reads the run's credentials by name and key. Values come back
// as Secret, which never prints its content.
type Credentials struct {
	// Dir holds one directory per credential (RPA_CREDENTIALS_DIR).
	Dir string
	// env holds the RPA_CREDENTIAL_* variables, read when a file is missing.
	env map[string]string
}

// Names returns the credentials mounted under Dir, sorted.
func (c Credentials) Names() []string {
	entries, err := os.ReadDir(c.Dir)
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			names = append(names, e.Name())
		}
	}
	return names
}

// Keys returns the key names of a credential, sorted. Kubernetes keeps a
// mounted Secret's files behind "..data" links; those are not keys.
func (c Credentials) Keys(credential string) ([]string, error) {
	dir := filepath.Join(c.Dir, credential)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, &CredentialError{Credential: credential, Path: dir, Err: missingOr(err)}
	}
	var keys []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), "..") {
			keys = append(keys, e.Name())
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// Secret returns one key of a credential: the file
// <Dir>/<credential>/<key>, or else the variable
// RPA_CREDENTIAL_<CREDENTIAL>_<key> when the Robot sets env: true. One
// trailing newline is dropped, since Secrets made from files with an editor
// or "echo" usually end in one.
func (c Credentials) Secret(credential, key string) (Secret, error) {
	path := filepath.Join(c.Dir, credential, key)
	data, err := os.ReadFile(path)
	if err == nil {
		return NewSecret(trimNewline(string(data))), nil
	}
	if v, ok := c.env[credentialEnvName(credential, key)]; ok && errors.Is(err, fs.ErrNotExist) {
		return NewSecret(v), nil
	}
	if dir := filepath.Join(c.Dir, credential); errors.Is(err, fs.ErrNotExist) && !isDir(dir) {
		return Secret{}, &CredentialError{Credential: credential, Path: dir, Err: ErrMissing}
	}
	return Secret{}, &CredentialError{Credential: credential, Key: key, Path: path, Err: missingOr(err)}
}

func isDir(path string) bool {
	info, err := os.Stat(path)
	return err == nil && info.IsDir()
}

// Account is a login: a robot works as an ordinary employee with its own
// user, so that what it did can be found afterwards.
type Account struct {
	// Username is not secret: logs and the target system's audit trail show
	// it.
	Username string
	// Password is.
	Password Secret
}

// Account reads the keys "username" and "password" of a credential.
func (c Credentials) Account(credential string) (Account, error) {
	user, err := c.Secret(credential, "username")
	if err != nil {
		return Account{}, err
	}
	password, err := c.Secret(credential, "password")
	if err != nil {
		return Account{}, err
	}
	return Account{Username: user.Reveal(), Password: password}, nil
}

// credentialEnvName is the variable the operator sets for a key of a
// credential with env: true.
func credentialEnvName(credential, key string) string {
	return CredentialEnvPrefix + strings.ToUpper(strings.ReplaceAll(credential, "-", "_")) + "_" + key
}

func trimNewline(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return strings.TrimSuffix(s, "\r")
}

// missingOr turns "does not exist" into ErrMissing and keeps other errors
// (permissions) as they are.
func missingOr(err error) error {
	if errors.Is(err, fs.ErrNotExist) {
		return ErrMissing
	}
	return err
}

// CredentialError is a credential or key the robot needs but cannot read. A
// robot that returns it from its work exits with ExitUsage.
type CredentialError struct {
	// Credential is the name of the Robot's credential entry.
	Credential string
	// Key is the Secret's key; empty when the whole credential is missing.
	Key string
	// Path is the file or directory that was read.
	Path string
	// Err is ErrMissing or why the file could not be read.
	Err error
}

func (e *CredentialError) Error() string {
	switch {
	case !errors.Is(e.Err, ErrMissing):
		return fmt.Sprintf("read credential %s: %v", e.Credential, e.Err)
	case e.Key == "":
		return fmt.Sprintf("credential %s is not mounted at %s: list it in the Robot's spec.credentials", e.Credential, e.Path)
	default:
		return fmt.Sprintf("credential %s has no key %s (%s): add the key to the credential's Secret", e.Credential, e.Key, e.Path)
	}
}

func (e *CredentialError) Unwrap() error { return e.Err }

// redacted is how a Secret prints.
const redacted = "[redacted]"

// Secret is a credential value. It prints as "[redacted]" whichever way it
// is printed (fmt verbs, slog, JSON, even as a field of a struct printed
// with %+v), so that it cannot reach a log by accident; Reveal returns the
// value for the one place that needs it.
type Secret struct {
	// reveal hides the value behind a function: fmt prints unexported
	// struct fields without calling their methods, and a function prints as
	// an address.
	reveal func() string
}

// NewSecret wraps a value.
func NewSecret(value string) Secret { return Secret{reveal: func() string { return value }} }

// Reveal returns the value. Pass it straight to the system that needs it.
func (s Secret) Reveal() string {
	if s.reveal == nil {
		return ""
	}
	return s.reveal()
}

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s.Reveal() == "" }

func (s Secret) String() string { return redacted }

// GoString keeps the value out of %#v formatting too.
func (s Secret) GoString() string { return redacted }

// Format prints "[redacted]" for every verb.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = f.Write([]byte(redacted)) }

// LogValue keeps the value out of slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON keeps the value out of JSON.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + redacted + `"`), nil }
