// Package mototest runs a test package against one moto server (Main) and
// gives tests helpers that fail the test instead of returning an error. It
// is the only part of the emulator rig that links the testing package, so
// cmd/demo, which uses motorig, does not.
package mototest

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/orgbaseline/orgbaseline/shared/local/motorig"
)

// Server is a moto server (motorig.Server) with helpers for tests.
type Server struct{ *motorig.Server }

// testCallTimeout bounds each helper call made for a test.
const testCallTimeout = 60 * time.Second

// Main runs a test package against one moto server: it starts the server,
// passes it to setup (which typically stores it in a package variable),
// runs the tests, stops the server and exits. Call it from TestMain.
//
// If the server cannot start (no Python, no moto, ...), Main reports why
// and exits with status 1, so the package fails; it does not skip. When a
// test fails, the server log is kept and its path printed.
func Main(m *testing.M, setup func(*Server), opts ...motorig.Option) {
	os.Exit(runMain(m, setup, opts))
}

func runMain(m *testing.M, setup func(*Server), opts []motorig.Option) int {
	ms, err := motorig.Start(context.Background(), opts...)
	if err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		return 1
	}
	s := &Server{ms}
	if setup != nil {
		setup(s)
	}
	code := m.Run()
	if code != 0 {
		s.KeepLog()
		fmt.Fprintf(os.Stderr, "motorig: moto server log: %s\n", s.LogPath())
	}
	if err := s.Close(); err != nil {
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		if code == 0 {
			code = 1
		}
	}
	return code
}

// ResetT clears the server's state and fails t if it cannot.
func (s *Server) ResetT(t testing.TB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testCallTimeout)
	defer cancel()
	if err := s.Reset(ctx); err != nil {
		t.Fatal(err)
	}
}

// SeedT clears the server's state, seeds the organization (Seed) and
// returns the management account's aws.Config and the organization. It
// fails t on any error.
func (s *Server) SeedT(t testing.TB) (aws.Config, motorig.Org) {
	t.Helper()
	s.ResetT(t)
	ctx, cancel := context.WithTimeout(context.Background(), testCallTimeout)
	defer cancel()
	cfg, err := s.AWSConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	org, err := motorig.Seed(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, org
}

// AccountConfigT is AccountConfig that fails t on error.
func (s *Server) AccountConfigT(t testing.TB, accountID string) aws.Config {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), testCallTimeout)
	defer cancel()
	cfg, err := s.AccountConfig(ctx, accountID)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}
