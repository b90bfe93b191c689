package baseline

import (
	"fmt"
	"github.com/orgbaseline/orgbaseline/shared/configsvc"
	"os"
	"path/filepath"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// BundleSuffix names the folder, beside a step's build folder, that holds
// the step's bootstrap and the files it reads at run time.
const BundleSuffix = ".bundle"

// StepCodeDir returns the folder that becomes step's Lambda package. It is
// the step's build folder (<lambdaDir>/<step>), except for the config-rules
// step when conformance packs have a templateFile: their templates must
// travel with the code (a template body is up to 51,200 bytes, and a
// Lambda's environment holds 4 KB), so StepCodeDir makes
// <lambdaDir>/<step>.bundle with the bootstrap and each template at
// settings.PackTemplateFile(pack), where the step reads it
// ($LAMBDA_TASK_ROOT/packs/<pack>.yaml).
func StepCodeDir(lambdaDir string, step workflow.StepSpec, c settings.Config) (string, error) {
	dir := filepath.Join(lambdaDir, step.Name)
	if step.Name != configsvc.RulesSpec.Name || !c.Enabled(settings.ServiceConfig) {
		return dir, nil
	}
	var files []settings.ConformancePack
	for _, p := range c.Services.Config.ConformancePacks {
		if p.TemplateFile != "" {
			files = append(files, p)
		}
	}
	if len(files) == 0 {
		return dir, nil
	}
	bundle := dir + BundleSuffix
	if err := os.RemoveAll(bundle); err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Join(bundle, filepath.Dir(settings.PackTemplateFile("x"))), 0o755); err != nil {
		return "", err
	}
	copyFile := func(src, dst string, mode os.FileMode) error {
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		return os.WriteFile(dst, b, mode)
	}
	if err := copyFile(filepath.Join(dir, BootstrapFile), filepath.Join(bundle, BootstrapFile), 0o755); err != nil {
		return "", fmt.Errorf("bundle step %s: %w", step.Name, err)
	}
	for _, p := range files {
		if err := copyFile(p.TemplateFile, filepath.Join(bundle, settings.PackTemplateFile(p.Name)), 0o644); err != nil {
			return "", fmt.Errorf("bundle the template of conformance pack %s: %w", p.Name, err)
		}
	}
	return bundle, nil
}
