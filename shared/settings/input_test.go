package settings

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// A device or a FIFO is refused before it is opened: /dev/zero would be
// read without end, and opening a FIFO blocks until someone writes to it.
func TestLoadFileReadsRegularFilesOnly(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "config.yaml")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/dev/zero", fifo, t.TempDir()} {
		if _, err := LoadFile(path); err == nil || !strings.Contains(err.Error(), "is not a regular file") {
			t.Errorf("%s: %v", path, err)
		}
	}
}

// A reader larger than any configuration is cut off, not read to its end.
func TestLoadBoundsTheRead(t *testing.T) {
	big := strings.NewReader(valid + "# " + strings.Repeat("x", MaxFileBytes) + "\n")
	_, err := Load("big.yaml", big)
	if err == nil || !strings.Contains(err.Error(), "is over 1024 KiB") {
		t.Errorf("oversized: %v", err)
	}
	if big.Len() == 0 {
		t.Error("the whole reader was read")
	}
}

// A second YAML document is not silently ignored.
func TestLoadRefusesASecondDocument(t *testing.T) {
	_, err := Load("two.yaml", strings.NewReader(valid+"---\nhomeRegion: us-east-1\n"))
	if err == nil || !strings.Contains(err.Error(), "more than one YAML document") {
		t.Errorf("two documents: %v", err)
	}
	if _, err := Load("one.yaml", strings.NewReader("---\n"+valid+"...\n")); err != nil {
		t.Errorf("one document with markers: %v", err)
	}
}

// Errors speak the configuration's terms, not Go's, and a huge value is
// not echoed whole (the file is refused above MaxFileBytes, a value
// below it is cut in the error).
func TestLoadErrorsSpeakTheConfigurationsTerms(t *testing.T) {
	_, err := Load("kinds.yaml", strings.NewReader(strings.Replace(valid, `management: "111111111111"`, `management: [a, b]`, 1)+"accounts2: 1\n"))
	if err == nil {
		t.Fatal("accepted")
	}
	msg := err.Error()
	if strings.Contains(msg, "settings.") || strings.Contains(msg, "!!seq") || !strings.Contains(msg, "found a list where a string belongs") {
		t.Errorf("error names Go types: %s", msg)
	}
	long := strings.Replace(valid, "homeRegion: eu-west-1", "homeRegion: "+strings.Repeat("z", 600<<10), 1)
	_, err = Load("long.yaml", strings.NewReader(long))
	if err == nil || len(err.Error()) > 2000 || !strings.Contains(err.Error(), "more bytes)") {
		t.Errorf("a 600 KB value: %d bytes of error", len(err.Error()))
	}
}

// .nan and infinities are numbers to YAML, and NaN passes a range check:
// both are refused.
func TestSeverityThresholdNaNIsRefused(t *testing.T) {
	for _, v := range []string{".nan", ".inf", "-.inf"} {
		_, err := Load("nan.yaml", strings.NewReader(valid+"findings: {severityThreshold: "+v+"}\n"))
		if err == nil || !strings.Contains(err.Error(), "severityThreshold") {
			t.Errorf("severityThreshold %s: %v", v, err)
		}
	}
}

func TestToleratedFailurePercent(t *testing.T) {
	c, err := Load("d.yaml", strings.NewReader(valid))
	if err != nil || c.Tolerated() != DefaultToleratedFailurePercent {
		t.Fatalf("default: %v %v", c.ToleratedFailurePercent, err)
	}
	for _, v := range []string{"-1", "101"} {
		if _, err := Load("t.yaml", strings.NewReader(valid+"toleratedFailurePercent: "+v+"\n")); err == nil || !strings.Contains(err.Error(), "toleratedFailurePercent "+v+" is out of range") {
			t.Errorf("%s: %v", v, err)
		}
	}
	if c, err := Load("z.yaml", strings.NewReader(valid+"toleratedFailurePercent: 0\n")); err != nil || c.Tolerated() != 0 {
		t.Errorf("0: %v %v", c.ToleratedFailurePercent, err)
	}
}

func TestLogIntegrity(t *testing.T) {
	c, err := Load("d.yaml", strings.NewReader(valid))
	if err != nil || c.LogIntegrity.ObjectLock != ObjectLockGovernance {
		t.Fatalf("default: %+v %v", c.LogIntegrity, err)
	}
	if got := c.LogAdmins(); len(got) != 1 || got[0] != "arn:aws:iam::333333333333:role/cdk-*-cfn-exec-role-333333333333-*" {
		t.Errorf("log admins: %v", got)
	}
	c, err = Load("b.yaml", strings.NewReader(valid+"logIntegrity: {objectLock: compliance, breakGlassRole: LogBreakGlass}\n"))
	if err != nil || c.LogAdmins()[1] != "arn:aws:iam::333333333333:role/LogBreakGlass" {
		t.Errorf("break-glass by name: %v %v", c.LogAdmins(), err)
	}
	for extra, want := range map[string]string{
		"logIntegrity: {objectLock: worm}\n":                                     `logIntegrity.objectLock "worm"`,
		"logIntegrity: {breakGlassRole: \"arn:aws:iam::999999999999:role/X\"}\n": "a role ARN of the log-archive account 333333333333",
	} {
		if _, err := Load("x.yaml", strings.NewReader(valid+extra)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v", extra, err)
		}
	}
}
