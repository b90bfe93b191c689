package cli

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// fakeApp writes a CDK app that takes a moment and writes a manifest.
func fakeApp(t *testing.T) string {
	t.Helper()
	app := filepath.Join(t.TempDir(), "cdkapp")
	script := "#!/bin/sh\nsleep 0.3\nmkdir -p \"$CDK_OUTDIR\" && echo '{}' > \"$CDK_OUTDIR/manifest.json\"\n"
	if err := os.WriteFile(app, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return app
}

// Two runs at the same time, of two configurations, each keep their
// assembly: neither removes the other's; an assembly unused for longer than
// staleAfter is removed.
func TestConcurrentRunsKeepTheirAssemblies(t *testing.T) {
	root, app := t.TempDir(), fakeApp(t)
	cfgPath := filepath.Join(root, "c.yaml")
	os.WriteFile(cfgPath, []byte("x"), 0o644)
	stale := filepath.Join(root, "build", "local", "assemblies", "old")
	os.MkdirAll(stale, 0o755)
	old := time.Now().Add(-2 * staleAfter)
	os.Chtimes(stale, old, old)

	var wg sync.WaitGroup
	dirs := make([]string, 2)
	errs := make([]error, 2)
	for i, role := range []string{"RoleA", "RoleB"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dirs[i], _, errs[i] = cachedAssembly(context.Background(), root, app, cfgPath, settings.Config{ExecutionRoleName: role})
		}()
	}
	wg.Wait()
	for i := range dirs {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if _, err := os.Stat(filepath.Join(dirs[i], "manifest.json")); err != nil {
			t.Errorf("run %d's assembly is gone: %v", i, err)
		}
	}
	if dirs[0] == dirs[1] {
		t.Errorf("two configurations share %s", dirs[0])
	}
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("the stale assembly is kept: %v", err)
	}
}

// Each run's step logs are in a folder of its own.
func TestRunDirsAreTheRunsOwn(t *testing.T) {
	root := t.TempDir()
	a, err := runDir(root)
	if err != nil {
		t.Fatal(err)
	}
	b, err := runDir(root)
	if err != nil {
		t.Fatal(err)
	}
	if a == b || !strings.HasPrefix(a, filepath.Join(root, "build", "local", "runs")) {
		t.Errorf("run folders %s and %s", a, b)
	}
	if _, err := os.Stat(a); err != nil {
		t.Errorf("the first run's folder is gone: %v", err)
	}
}
