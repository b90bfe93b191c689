// Package steps maps each step of workflow.Steps to the builder of its
// handler. The CLI's local Lambda runtime uses it to run a step by name with
// the same wiring as functions/<step>/main.go.
package registry

import (
	"fmt"

	"github.com/orgbaseline/orgbaseline/shared/configsvc"
	"github.com/orgbaseline/orgbaseline/shared/guardduty"
	"github.com/orgbaseline/orgbaseline/shared/lambdamain"
	"github.com/orgbaseline/orgbaseline/shared/org/prereq"
	"github.com/orgbaseline/orgbaseline/shared/org/targets"
	"github.com/orgbaseline/orgbaseline/shared/orgtrail"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

var builders = map[string]lambdamain.Builder{
	workflow.StepOrgPrerequisites.Name: prereq.Build,
	workflow.StepOrgTrail.Name:         orgtrail.Build,
	workflow.StepOrgTargets.Name:       targets.Build,
	workflow.StepGuardDutyAdmin.Name:   guardduty.BuildAdmin,
	workflow.StepGuardDutyOrg.Name:     guardduty.BuildOrg,
	workflow.StepConfigAggregator.Name: configsvc.BuildAggregator,
	workflow.StepConfigRecorders.Name:  configsvc.Build,
	workflow.StepConfigRules.Name:      configsvc.BuildRules,
}

// Lookup returns the spec and builder of the step called name.
func Lookup(name string) (workflow.StepSpec, lambdamain.Builder, error) {
	for _, s := range workflow.Steps {
		if s.Name == name {
			if b, ok := builders[name]; ok {
				return s, b, nil
			}
		}
	}
	return workflow.StepSpec{}, nil, fmt.Errorf("unknown step %q", name)
}
