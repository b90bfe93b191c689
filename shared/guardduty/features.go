package guardduty

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// Runtime monitoring's additional configurations, enabled with it.
var runtimeMonitoringAgents = []string{
	string(gdtypes.FeatureAdditionalConfigurationEksAddonManagement),
	string(gdtypes.FeatureAdditionalConfigurationEcsFargateAgentManagement),
	string(gdtypes.FeatureAdditionalConfigurationEc2AgentManagement),
}

// feature is one protection plan as the configuration wants it.
type feature struct {
	name string
	on   bool
	// agents are additional configurations, wanted on with the feature.
	agents []string
}

// wantedFeatures returns the protection plans of the configuration, in a
// fixed order, each on or off.
func wantedFeatures(f settings.GuardDutyFeatures) []feature {
	fs := []feature{
		{name: string(gdtypes.DetectorFeatureS3DataEvents), on: f.S3DataEvents == nil || *f.S3DataEvents},
		{name: string(gdtypes.DetectorFeatureEksAuditLogs), on: f.EKSAuditLogs},
		{name: string(gdtypes.DetectorFeatureEbsMalwareProtection), on: f.EBSMalwareProtection},
		{name: string(gdtypes.DetectorFeatureRdsLoginEvents), on: f.RDSLoginEvents},
		{name: string(gdtypes.DetectorFeatureLambdaNetworkLogs), on: f.LambdaNetworkLogs},
		{name: string(gdtypes.DetectorFeatureRuntimeMonitoring), on: f.RuntimeMonitoring},
	}
	if f.RuntimeMonitoring {
		fs[len(fs)-1].agents = slices.Clone(runtimeMonitoringAgents)
	}
	return fs
}

// without returns fs without the features and agents named in drop.
func without(fs []feature, drop map[string]bool) []feature {
	var out []feature
	for _, f := range fs {
		if drop[f.name] {
			continue
		}
		g := feature{name: f.name, on: f.on}
		for _, a := range f.agents {
			if !drop[a] {
				g.agents = append(g.agents, a)
			}
		}
		out = append(out, g)
	}
	return out
}

// present holds the features and additional configurations ("FEATURE/AGENT")
// that a read of one resource listed: GetDetector for the detector,
// DescribeOrganizationConfiguration for the organization configuration,
// GetMemberDetectors for the members' detectors.
type present map[string]bool

// add notes the features of states.
func (p present) add(states map[string]featureState) {
	for name, st := range states {
		p[name] = true
		for a := range st.agents {
			p[name+"/"+a] = true
		}
	}
}

// sendable returns the features of fs a call sends: those the
// configuration enables, and the disabled ones already present on what the
// call changes, to be switched off. A disabled feature that is not present
// is off already and is not sent: a region that does not know it would
// refuse the whole call.
func sendable(fs []feature, p present) []feature {
	var out []feature
	for _, f := range fs {
		if f.on || p[f.name] {
			out = append(out, f)
		}
	}
	return out
}

// unlisted returns the enabled features and additional configurations of
// fs that are not present in p ("FEATURE/AGENT" for an agent), and the
// names to leave out for them (without's drop).
func unlisted(fs []feature, p present) (shown []string, drop map[string]bool) {
	drop = map[string]bool{}
	for _, f := range fs {
		if !f.on {
			continue
		}
		if !p[f.name] {
			shown, drop[f.name] = append(shown, f.name), true
			continue
		}
		for _, a := range f.agents {
			if !p[f.name+"/"+a] {
				shown, drop[a] = append(shown, f.name+"/"+a), true
			}
		}
	}
	return shown, drop
}

// refused handles a call that GuardDuty refused (BadRequestException)
// while it carried enabled features or additional configurations of *fs
// that the read of what it changes did not list (p). Those are what the
// region does not offer there: they are the only thing the call named that
// the read did not show. The refusal does not say which of them (GuardDuty
// documents no error code for it, and its message is reported, not
// parsed), so all of them are left out of *fs and reported in a skipped
// outcome, and refused reports true, so the call is made again without
// them. It reports false, leaving err to the caller, for any other error,
// or when every enabled item was listed. Each true drops at least one
// name, so a caller that calls again on true ends.
func (r *orgRun) refused(op string, err error, fs *[]feature, p present) bool {
	var br *gdtypes.BadRequestException
	if !errors.As(err, &br) {
		return false
	}
	shown, drop := unlisted(*fs, p)
	if len(shown) == 0 {
		return false
	}
	*fs = without(*fs, drop)
	r.add(workflow.StatusSkipped, fmt.Sprintf("%s: not offered in %s: not listed, and GuardDuty refused %s with it (%s); left out",
		strings.Join(shown, ", "), r.region, op, br.ErrorMessage()))
	r.log.Warn("features not offered in the region", "call", op, "left out", shown, "message", br.ErrorMessage())
	return true
}

// featureState is a protection plan as a detector has it.
type featureState struct {
	status gdtypes.FeatureStatus
	// agents are the statuses of its additional configurations, by name.
	agents map[string]gdtypes.FeatureStatus
}

// featureDiff lists how the features of a detector differ from fs. A
// feature or additional configuration it does not list counts as disabled;
// features that fs does not name are not compared.
func featureDiff(current map[string]featureState, fs []feature) []string {
	var diff []string
	for _, f := range fs {
		cur, want := current[f.name], status(f.on)
		if have := orDisabled(cur.status); have != want {
			diff = append(diff, fmt.Sprintf("%s %s, want %s", f.name, have, want))
		}
		if !f.on {
			continue
		}
		for _, a := range f.agents {
			if have := orDisabled(cur.agents[a]); have != gdtypes.FeatureStatusEnabled {
				diff = append(diff, fmt.Sprintf("%s/%s %s, want ENABLED", f.name, a, have))
			}
		}
	}
	return diff
}

func status(on bool) gdtypes.FeatureStatus {
	if on {
		return gdtypes.FeatureStatusEnabled
	}
	return gdtypes.FeatureStatusDisabled
}

func orDisabled(s gdtypes.FeatureStatus) gdtypes.FeatureStatus {
	if s == "" {
		return gdtypes.FeatureStatusDisabled
	}
	return s
}

func describeFeatures(fs []feature) string {
	var on []string
	for _, f := range fs {
		if f.on {
			on = append(on, f.name)
		}
	}
	if len(on) == 0 {
		return "no protection plans"
	}
	return strings.Join(on, ", ")
}
