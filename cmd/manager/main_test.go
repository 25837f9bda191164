package main

import (
	"crypto/tls"
	"flag"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"
)

func TestDefaultsAreSafeForProduction(t *testing.T) {
	cfg := parseFlags(flag.NewFlagSet("manager", flag.ContinueOnError), nil)
	opts := managerOptions(cfg, runtime.NewScheme())

	if !opts.LeaderElection || opts.LeaderElectionID != leaderElectionID {
		t.Errorf("leader election = %v (id %q), want on with id %q", opts.LeaderElection, opts.LeaderElectionID, leaderElectionID)
	}
	if !opts.Metrics.SecureServing || opts.Metrics.FilterProvider == nil {
		t.Errorf("metrics must be served over HTTPS behind authentication and authorization by default")
	}
	if opts.Metrics.BindAddress != ":8443" || opts.HealthProbeBindAddress != ":8081" {
		t.Errorf("addresses = metrics %q, probes %q; want :8443 and :8081", opts.Metrics.BindAddress, opts.HealthProbeBindAddress)
	}
	if opts.Cache.DefaultTransform == nil {
		t.Errorf("the cache must strip managed fields and secret annotations")
	}
	tlsCfg := &tls.Config{}
	for _, o := range opts.Metrics.TLSOpts {
		o(tlsCfg)
	}
	if len(tlsCfg.NextProtos) != 1 || tlsCfg.NextProtos[0] != "http/1.1" {
		t.Errorf("HTTP/2 must be off by default, NextProtos = %v", tlsCfg.NextProtos)
	}
}

func TestInsecureMetricsHaveNoAuthFilter(t *testing.T) {
	cfg := parseFlags(flag.NewFlagSet("manager", flag.ContinueOnError),
		[]string{"--metrics-secure=false", "--leader-elect=false", "--enable-http2"})
	opts := managerOptions(cfg, runtime.NewScheme())
	if opts.Metrics.SecureServing || opts.Metrics.FilterProvider != nil {
		t.Errorf("--metrics-secure=false must serve plain HTTP without the auth filter")
	}
	if opts.LeaderElection {
		t.Errorf("--leader-elect=false must disable leader election")
	}
	if len(opts.Metrics.TLSOpts) != 0 {
		t.Errorf("--enable-http2 must not restrict NextProtos")
	}
}
