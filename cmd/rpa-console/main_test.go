package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestRefusesWhatItCannotServe: each wrong setting stops the console
// before it serves, saying what to fix.
func TestRefusesWhatItCannotServe(t *testing.T) {
	short := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(short, []byte("too short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(key, []byte(strings.Repeat("k", 32)), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	oidcArgs := func(extra ...string) []string {
		return append([]string{"--sign-in=oidc", "--namespaces=hr", "--oidc-issuer-url=https://login.example", "--oidc-client-id=rpa-console",
			"--oidc-client-secret-file=" + secret, "--oidc-redirect-url=https://rpa.example/sign-in/oidc/callback"}, extra...)
	}
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--sign-in=oidc", "--namespaces=hr"}, "--oidc-issuer-url: name the OpenID provider's issuer"},
		{append(oidcArgs("--oidc-client-secret-file="+filepath.Join(t.TempDir(), "missing")), "--session-key-file="+key), "--oidc-client-secret-file: open"},
		{append(oidcArgs("--oidc-client-secret-file="+empty), "--session-key-file="+key), "the file is empty"},
		{append(oidcArgs("--oidc-ca-file="+filepath.Join(t.TempDir(), "missing")), "--session-key-file="+key), "--oidc-ca-file: open"},
		{append(oidcArgs("--oidc-ca-file="+empty), "--session-key-file="+key), "no PEM certificate in it"},
		{[]string{}, "--namespaces"},
		{[]string{"--namespaces=hr", "--time-zone=Mars/Olympus"}, "--time-zone"},
		{[]string{"--namespaces=hr", "--session-key-file=" + filepath.Join(t.TempDir(), "missing")}, "read the session key"},
		{[]string{"--namespaces=hr", "--session-key-file=" + short}, "fewer than the 32 needed"},
	} {
		cfg := parseFlags(pflag.NewFlagSet("rpa-console", pflag.ContinueOnError), tt.args)
		if err := run(cfg); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want an error saying %q", tt.args, err, tt.want)
		}
	}
}

// TestSignInFlagsRefuseEveryWrongCombination: --sign-in and the OpenID
// flags are checked together, before anything is read or fetched, and
// each mistake is named.
func TestSignInFlagsRefuseEveryWrongCombination(t *testing.T) {
	valid := oidcFlags{
		issuerURL: "https://login.microsoftonline.com/tenant/v2.0", clientID: "rpa-console", clientSecretFile: "/etc/rpa-console/oidc/secret",
		redirectURL: "https://rpa.herning.dk/sign-in/oidc/callback", scopes: []string{"openid", "profile", "email", "offline_access"},
	}
	with := func(change func(*oidcFlags)) oidcFlags {
		o := valid
		change(&o)
		return o
	}
	for _, tt := range []struct {
		name    string
		signIn  string
		oidc    oidcFlags
		want    signInMethods
		wantErr string
	}{
		{name: "token alone", signIn: "token", want: signInMethods{token: true}},
		{name: "oidc alone", signIn: "oidc", oidc: valid, want: signInMethods{oidc: true}},
		{name: "both", signIn: "oidc,token", oidc: valid, want: signInMethods{token: true, oidc: true}},
		{name: "both, the other order", signIn: "token,oidc", oidc: valid, want: signInMethods{token: true, oidc: true}},
		{name: "unknown method", signIn: "password", wantErr: `--sign-in "password": want oidc, token or oidc,token`},
		{name: "empty", signIn: "", wantErr: `want oidc, token or oidc,token`},
		{name: "named twice", signIn: "token,token", wantErr: "token is named twice"},
		{name: "oidc flags without oidc", signIn: "token", oidc: valid, wantErr: `--oidc-* flags are set but --sign-in "token" does not include oidc`},
		{name: "no issuer", signIn: "oidc", oidc: with(func(o *oidcFlags) { o.issuerURL = "" }), wantErr: "--oidc-issuer-url: name"},
		{name: "issuer over http", signIn: "oidc", oidc: with(func(o *oidcFlags) { o.issuerURL = "http://login.example" }), wantErr: "want an https:// URL"},
		{name: "issuer with a query", signIn: "oidc", oidc: with(func(o *oidcFlags) { o.issuerURL = "https://login.example/?tenant=a" }), wantErr: "without query"},
		{name: "no client ID", signIn: "oidc", oidc: with(func(o *oidcFlags) { o.clientID = "" }), wantErr: "--oidc-client-id"},
		{name: "no client secret file", signIn: "oidc,token", oidc: with(func(o *oidcFlags) { o.clientSecretFile = "" }), wantErr: "--oidc-client-secret-file"},
		{name: "no redirect URL", signIn: "oidc", oidc: with(func(o *oidcFlags) { o.redirectURL = "" }), wantErr: "--oidc-redirect-url: give"},
		{name: "redirect over http", signIn: "oidc", oidc: with(func(o *oidcFlags) { o.redirectURL = "http://rpa.herning.dk/sign-in/oidc/callback" }),
			wantErr: "want https://HOST/sign-in/oidc/callback"},
		{name: "redirect to another path", signIn: "oidc", oidc: with(func(o *oidcFlags) { o.redirectURL = "https://rpa.herning.dk/callback" }),
			wantErr: "want https://HOST/sign-in/oidc/callback"},
		{name: "scopes without openid", signIn: "oidc", oidc: with(func(o *oidcFlags) { o.scopes = []string{"profile", "email"} }),
			wantErr: `--oidc-scopes "profile,email": openid is needed`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := checkSignIn(tt.signIn, tt.oidc)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want one saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// TestTheSecretIsNeverAFlagValue: the client secret is read from its
// file, and no flag takes the secret itself.
func TestTheSecretIsNeverAFlagValue(t *testing.T) {
	fs := pflag.NewFlagSet("rpa-console", pflag.ContinueOnError)
	parseFlags(fs, nil)
	fs.VisitAll(func(f *pflag.Flag) {
		if strings.Contains(f.Name, "secret") && !strings.HasSuffix(f.Name, "-file") {
			t.Errorf("--%s takes a secret on the command line", f.Name)
		}
	})
}
