package sdk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const password = "hunter2-Æ"

func TestSecretNeverPrintsItsValue(t *testing.T) {
	s := NewSecret(password)
	type login struct {
		User     string
		password Secret
	}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("login", "password", s, "account", Account{Username: "robot", Password: s})
	jsonData, _ := json.Marshal(Account{Username: "robot", Password: s})
	outputs := map[string]string{
		"%v":               fmt.Sprintf("%v", s),
		"%s":               fmt.Sprintf("%s", s),
		"%q":               fmt.Sprintf("%q", s),
		"%x":               fmt.Sprintf("%x", s),
		"%#v":              fmt.Sprintf("%#v", s),
		"%+v of a struct":  fmt.Sprintf("%+v", login{User: "robot", password: s}),
		"%#v of a struct":  fmt.Sprintf("%#v", login{User: "robot", password: s}),
		"%+v of a pointer": fmt.Sprintf("%+v", &Account{Username: "robot", Password: s}),
		"slog":             logged.String(),
		"json":             string(jsonData),
		"error":            fmt.Errorf("login with %v failed", s).Error(),
	}
	for how, out := range outputs {
		if strings.Contains(out, password) || strings.Contains(out, fmt.Sprintf("%x", password)) {
			t.Errorf("%s printed the secret: %s", how, out)
		}
	}
	if s.Reveal() != password {
		t.Errorf("Reveal() = %q, want the value", s.Reveal())
	}
}

// credentialsDir lays out credentials as the kubelet mounts a Secret:
// files behind ..data links.
func credentialsDir(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for path, content := range files {
		full := filepath.Join(dir, path)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestCredentialsReadKeysByName(t *testing.T) {
	dir := credentialsDir(t, map[string]string{
		"esdh/..2025_07_01/username": "robot-aalborg\n",
		"esdh/username":              "robot-aalborg\n",
		"esdh/password":              password + "\r\n",
		"esdh/..data/password":       "not a key",
	})
	creds := Credentials{Dir: dir, env: map[string]string{"RPA_CREDENTIAL_DIGITAL_POST_token": "from-env"}}

	account, err := creds.Account("esdh")
	if err != nil || account.Username != "robot-aalborg" || account.Password.Reveal() != password {
		t.Errorf("Account = %q/%q, %v; want robot-aalborg and the password without its newline", account.Username, account.Password.Reveal(), err)
	}
	keys, err := creds.Keys("esdh")
	if err != nil || strings.Join(keys, ",") != "password,username" {
		t.Errorf("Keys = %v, %v; want password,username without the ..data entries", keys, err)
	}
	token, err := creds.Secret("digital-post", "token")
	if err != nil || token.Reveal() != "from-env" {
		t.Errorf("Secret from RPA_CREDENTIAL_DIGITAL_POST_token = %q, %v", token.Reveal(), err)
	}
	if names := creds.Names(); strings.Join(names, ",") != "esdh" {
		t.Errorf("Names = %v, want [esdh]", names)
	}
}

func TestMissingCredentialsSayWhatToFix(t *testing.T) {
	dir := credentialsDir(t, map[string]string{"esdh/username": "robot"})
	creds := Credentials{Dir: dir}
	tests := []struct {
		name     string
		get      func() error
		wantText string
	}{
		{"credential not mounted", func() error { _, err := creds.Secret("digital-post", "token"); return err }, "credential digital-post is not mounted at " + filepath.Join(dir, "digital-post") + ": list it in the Robot's spec.credentials"},
		{"key not in the Secret", func() error { _, err := creds.Account("esdh"); return err }, "credential esdh has no key password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.get()
			var credErr *CredentialError
			if !errors.As(err, &credErr) || !errors.Is(err, ErrMissing) {
				t.Fatalf("err = %v, want a *CredentialError wrapping ErrMissing", err)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("err = %q, want it to contain %q", err, tt.wantText)
			}
		})
	}
	if _, err := creds.Keys("digital-post"); err == nil || !strings.Contains(err.Error(), "not mounted") {
		t.Errorf("Keys of a missing credential: err = %v", err)
	}
}
