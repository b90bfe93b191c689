package guardduty

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	gdtypes "github.com/aws/aws-sdk-go-v2/service/guardduty/types"

	"github.com/orgbaseline/orgbaseline/shared/settings"
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

// knownNames are the feature and additional-configuration names the step
// sends.
var knownNames = func() map[string]bool {
	m := map[string]bool{}
	for _, f := range wantedFeatures(settings.GuardDutyFeatures{RuntimeMonitoring: true}) {
		m[f.name] = true
		for _, a := range f.agents {
			m[a] = true
		}
	}
	return m
}()

// names lists the features and their agents ("FEATURE/AGENT").
func names(fs []feature) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.name)
		for _, a := range f.agents {
			out = append(out, f.name+"/"+a)
		}
	}
	return out
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

// onlyS3 keeps S3 data events alone: what every GuardDuty region offers.
func onlyS3(fs []feature) []feature {
	var out []feature
	for _, f := range fs {
		if f.name == string(gdtypes.DetectorFeatureS3DataEvents) {
			out = append(out, f)
		}
	}
	return out
}

// unavailableFeatures reports whether err is GuardDuty refusing features
// that the region does not offer, and the known names its message gives.
func unavailableFeatures(err error) (named map[string]bool, message string, ok bool) {
	var br *gdtypes.BadRequestException
	if !errors.As(err, &br) {
		return nil, "", false
	}
	message = br.ErrorMessage()
	low := strings.ToLower(message)
	said := false
	for _, s := range []string{"not available", "unavailable", "not supported", "unsupported", "not offered"} {
		said = said || strings.Contains(low, s)
	}
	if !said {
		return nil, "", false
	}
	named = map[string]bool{}
	for _, tok := range strings.FieldsFunc(message, func(r rune) bool {
		return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_')
	}) {
		if knownNames[tok] {
			named[tok] = true
		}
	}
	if len(named) == 0 && !strings.Contains(low, "region") && !strings.Contains(low, "feature") {
		return nil, "", false
	}
	return named, message, true
}

// fallback handles a call that GuardDuty refused for features the region
// does not offer: it returns the features to send again (those the message
// names left out; with none named, S3 data events alone) and warns. ok is
// false when err is something else or leaving out changes nothing.
func (r *orgRun) fallback(op string, fs []feature, err error) (kept []feature, ok bool) {
	named, msg, ok := unavailableFeatures(err)
	if !ok {
		return nil, false
	}
	before := names(fs)
	kept = without(fs, named)
	if len(named) == 0 || len(names(kept)) == len(before) {
		kept = onlyS3(fs)
	}
	after := names(kept)
	var dropped []string
	for _, n := range before {
		if !slices.Contains(after, n) {
			dropped = append(dropped, n)
		}
	}
	if len(dropped) == 0 {
		return nil, false
	}
	r.res.Warnings = append(r.res.Warnings, fmt.Sprintf("guardduty in %s: left out %s, which the region does not offer (%s: %s)",
		r.region, strings.Join(dropped, ", "), op, msg))
	r.log.Warn("features not offered in the region", "call", op, "dropped", dropped, "message", msg)
	return kept, true
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
