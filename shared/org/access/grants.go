package access

import (
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/step"
)

// Grants: none beyond sts:AssumeRole on the execution roles, which the
// spec's reach (workflow.ReachOrganization) gives; assuming the role is the
// whole check.
func Grants(settings.Config) step.Grants { return step.Grants{} }
