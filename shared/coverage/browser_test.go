//go:build browser

// The coverage page in headless Chromium (Debian's chromium package, which
// `make test` installs): the filters kept in the address hide what they
// should, and the heat map renders in colour. Run with -tags browser;
// CHROMIUM names the browser (default /usr/bin/chromium).
package coverage

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func chromium(t *testing.T, args ...string) []byte {
	t.Helper()
	bin := os.Getenv("CHROMIUM")
	if bin == "" {
		bin = "/usr/bin/chromium"
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("no browser at %s (make test installs Debian's chromium; CHROMIUM names another): %v", bin, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	// The flags keep Chromium off the network and quiet on a closed
	// machine; a new profile each run.
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--virtual-time-budget=3000"}
	cmd := exec.CommandContext(ctx, bin, append(base, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", args, err, stderr.String())
	}
	return stdout.Bytes()
}

func writePage(t *testing.T) string {
	t.Helper()
	m := Build(samplePlan(), sampleAccounts, []string{"config", "guardduty"}, []string{"us-east-1", "eu-west-1"})
	var buf bytes.Buffer
	if err := m.WriteHTML(&buf, time.Now()); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "coverage.html")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

var cellTag = regexp.MustCompile(`<td class="c ([a-z]+)( hidden)?" data-service="([a-z]+)" data-region="([a-z0-9-]+)"`)
var rowTag = regexp.MustCompile(`<tr data-ou="([^"]+)"( class="hidden")?>`)

func TestPageFiltersFromTheAddress(t *testing.T) {
	path := writePage(t)
	dom := string(chromium(t, "--dump-dom", "file://"+path+"#service=config&region=eu-west-1&ou=Root/Workloads"))
	if !strings.Contains(dom, `data-ready="true"`) {
		t.Fatalf("the page's script did not run:\n%s", dom)
	}
	shown := 0
	for _, m := range cellTag.FindAllStringSubmatch(dom, -1) {
		hidden := m[2] != ""
		want := m[3] == "config" && m[4] == "eu-west-1"
		if hidden == want {
			t.Errorf("cell %s %s: hidden %v", m[3], m[4], hidden)
		}
		if !hidden {
			shown++
		}
	}
	if shown != 4 {
		t.Errorf("%d cells shown, want the 4 accounts' config cell in eu-west-1", shown)
	}
	rows := rowTag.FindAllStringSubmatch(dom, -1)
	if len(rows) != 4 {
		t.Fatalf("%d rows in the DOM", len(rows))
	}
	for _, m := range rows {
		hidden := m[2] != ""
		if want := strings.HasPrefix(m[1], "Root/Workloads/"); hidden == want {
			t.Errorf("row of OU %s: hidden %v", m[1], hidden)
		}
	}
	problems := string(chromium(t, "--dump-dom", "file://"+path+"#state=error"))
	for _, m := range rowTag.FindAllStringSubmatch(problems, -1) {
		// Only the prod account has an error cell.
		if hidden := m[2] != ""; hidden == (m[1] == "Root/Workloads/Prod") {
			t.Errorf("state=error: row of OU %s hidden %v", m[1], hidden)
		}
	}
}

func TestPageRendersTheHeatMap(t *testing.T) {
	path := writePage(t)
	shot := filepath.Join(t.TempDir(), "coverage.png")
	chromium(t, "--screenshot="+shot, "--window-size=1000,700", "file://"+path)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// The cells' colours (coverage.html.tmpl): on, off, error.
	want := map[[3]uint32]string{{0x2e, 0x7d, 0x32}: "on", {0xc6, 0x28, 0x28}: "off", {0x6a, 0x1b, 0x9a}: "error"}
	seen := map[string]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if name, ok := want[[3]uint32{r >> 8, g >> 8, bl >> 8}]; ok {
				seen[name]++
			}
		}
	}
	for _, name := range want {
		if seen[name] < 50 {
			t.Errorf("the screenshot shows %d pixels of the %s colour", seen[name], name)
		}
	}
}
