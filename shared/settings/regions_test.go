package settings

import "testing"

func TestRegionListsAreKnownRegions(t *testing.T) {
	for _, list := range [][]string{defaultRegions, noGlobalIAMRecording} {
		for _, r := range list {
			if !KnownRegion(r) {
				t.Errorf("%s is in a region list but not a known region", r)
			}
		}
	}
	if len(defaultRegions) != 17 {
		t.Errorf("%d default regions, want the 17 launched before March 20, 2019", len(defaultRegions))
	}
	for r, optIn := range map[string]bool{"eu-west-1": false, "us-east-1": false, "af-south-1": true, "il-central-1": true} {
		if OptInRegion(r) != optIn {
			t.Errorf("OptInRegion(%s) = %v", r, !optIn)
		}
	}
	for r, records := range map[string]bool{"eu-west-1": true, "ap-southeast-3": true, "eu-central-2": false, "il-central-1": false} {
		if RecordsGlobalIAM(r) != records {
			t.Errorf("RecordsGlobalIAM(%s) = %v", r, !records)
		}
	}
}
