package orgtrail

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// DesiredEventSelectors returns the trail's advanced event selectors under
// cfg: management events always, S3 object and Lambda invoke data events
// when switched on.
func DesiredEventSelectors(cfg settings.Config) []cttypes.AdvancedEventSelector {
	field := func(f string, v ...string) cttypes.AdvancedFieldSelector {
		return cttypes.AdvancedFieldSelector{Field: aws.String(f), Equals: v}
	}
	out := []cttypes.AdvancedEventSelector{{
		Name: aws.String("Management events"), FieldSelectors: []cttypes.AdvancedFieldSelector{field("eventCategory", "Management")},
	}}
	de := cfg.Services.CloudTrail.DataEvents
	if de.S3 {
		out = append(out, cttypes.AdvancedEventSelector{
			Name:           aws.String("S3 object data events"),
			FieldSelectors: []cttypes.AdvancedFieldSelector{field("eventCategory", "Data"), field("resources.type", "AWS::S3::Object")},
		})
	}
	if de.Lambda {
		out = append(out, cttypes.AdvancedEventSelector{
			Name:           aws.String("Lambda data events"),
			FieldSelectors: []cttypes.AdvancedFieldSelector{field("eventCategory", "Data"), field("resources.type", "AWS::Lambda::Function")},
		})
	}
	return out
}

// sameSelectors compares two sets of advanced event selectors by what they
// select: names and the order of selectors, fields and values do not matter.
func sameSelectors(a, b []cttypes.AdvancedEventSelector) bool {
	return slices.Equal(selectorKeys(a), selectorKeys(b))
}

// selectorKeys describes each selector by its fields and values, sorted,
// so that two sets of selectors compare as strings.
func selectorKeys(sels []cttypes.AdvancedEventSelector) []string {
	keys := make([]string, 0, len(sels))
	for _, s := range sels {
		fields := make([]string, 0, len(s.FieldSelectors))
		for _, f := range s.FieldSelectors {
			parts := []string{aws.ToString(f.Field)}
			for _, op := range []struct {
				name string
				vals []string
			}{{"=", f.Equals}, {"!=", f.NotEquals}, {"^", f.StartsWith}, {"!^", f.NotStartsWith}, {"$", f.EndsWith}, {"!$", f.NotEndsWith}} {
				if len(op.vals) > 0 {
					v := slices.Sorted(slices.Values(op.vals))
					parts = append(parts, op.name+strings.Join(v, "|"))
				}
			}
			fields = append(fields, strings.Join(parts, " "))
		}
		slices.Sort(fields)
		keys = append(keys, strings.Join(fields, "; "))
	}
	slices.Sort(keys)
	return keys
}

// insightTypes returns the trail's Insights types, sorted.
// InsightNotEnabledException means none.
func insightTypes(ctx context.Context, api InsightSelectorsAPI, name string) ([]string, error) {
	out, err := api.GetInsightSelectors(ctx, &cloudtrail.GetInsightSelectorsInput{TrailName: aws.String(name)})
	var ne *cttypes.InsightNotEnabledException
	if errors.As(err, &ne) {
		return nil, nil
	}
	if err != nil {
		return nil, awsclient.Classify("read the Insights selectors of "+name, err)
	}
	var types []string
	for _, s := range out.InsightSelectors {
		if !slices.Contains(types, string(s.InsightType)) {
			types = append(types, string(s.InsightType))
		}
	}
	slices.Sort(types)
	return types, nil
}

// desiredInsightTypes returns the Insights types the trail should have,
// sorted: both types with insights on, none otherwise.
func desiredInsightTypes(cfg settings.Config) []string {
	if !cfg.Services.CloudTrail.Insights {
		return nil
	}
	return []string{string(cttypes.InsightTypeApiCallRateInsight), string(cttypes.InsightTypeApiErrorRateInsight)}
}

// desiredInsightSelectors returns the Insights selectors of
// desiredInsightTypes; an empty list, not nil, turns Insights off.
func desiredInsightSelectors(cfg settings.Config) []cttypes.InsightSelector {
	out := []cttypes.InsightSelector{}
	for _, t := range desiredInsightTypes(cfg) {
		out = append(out, cttypes.InsightSelector{InsightType: cttypes.InsightType(t)})
	}
	return out
}

// eventSelectorsDiffer reads the trail's event selectors and reports
// whether the advanced event selectors are to be put: the trail has basic
// selectors, or advanced ones that select otherwise.
func eventSelectorsDiffer(ctx context.Context, api EventSelectorsAPI, cfg settings.Config) (bool, error) {
	sel, err := api.GetEventSelectors(ctx, &cloudtrail.GetEventSelectorsInput{TrailName: aws.String(trailID(cfg))})
	if err != nil {
		return false, awsclient.Classify("read the event selectors of "+cfg.Services.CloudTrail.TrailName, err)
	}
	return len(sel.EventSelectors) > 0 || !sameSelectors(sel.AdvancedEventSelectors, DesiredEventSelectors(cfg)), nil
}

// putEventSelectors puts the trail's advanced event selectors.
func putEventSelectors(ctx context.Context, api EventSelectorsAPI, cfg settings.Config) error {
	_, err := api.PutEventSelectors(ctx, &cloudtrail.PutEventSelectorsInput{TrailName: aws.String(trailID(cfg)), AdvancedEventSelectors: DesiredEventSelectors(cfg)})
	if err != nil {
		return awsclient.Classify("put the event selectors of "+cfg.Services.CloudTrail.TrailName, err)
	}
	return nil
}

// insightsDiffer reads the trail's Insights types and reports whether they
// differ from the configuration's.
func insightsDiffer(ctx context.Context, api InsightSelectorsAPI, cfg settings.Config) (bool, error) {
	ins, err := insightTypes(ctx, api, trailID(cfg))
	if err != nil {
		return false, err
	}
	return !slices.Equal(ins, desiredInsightTypes(cfg)), nil
}

// putInsightSelectors puts the trail's Insights selectors.
func putInsightSelectors(ctx context.Context, api InsightSelectorsAPI, cfg settings.Config) error {
	_, err := api.PutInsightSelectors(ctx, &cloudtrail.PutInsightSelectorsInput{TrailName: aws.String(trailID(cfg)), InsightSelectors: desiredInsightSelectors(cfg)})
	if err != nil {
		return awsclient.Classify("put the Insights selectors of "+cfg.Services.CloudTrail.TrailName, err)
	}
	return nil
}
