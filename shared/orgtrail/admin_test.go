package orgtrail

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	cttypes "github.com/aws/aws-sdk-go-v2/service/cloudtrail/types"

	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

func TestFakeDelegatedAdmin(t *testing.T) {
	tests := []struct {
		name      string
		admins    []string
		race      bool // another run registers the security account between read and call
		wantCalls []string
		conflict  bool
	}{
		{"none registered", nil, false, []string{"RegisterOrganizationDelegatedAdmin"}, false},
		{"security account registered", []string{fSecurity}, false, nil, false},
		{"already registered by a concurrent run", nil, true, []string{"RegisterOrganizationDelegatedAdmin"}, false},
		{"another account registered", []string{fOther}, false, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake()
			f.admins = tt.admins
			f.sse, f.sseKey = sseKMS, fKeyARN
			cfg := config(t, "services: {cloudtrail: {delegatedAdmin: true}}")
			if tt.race {
				f.errs["RegisterOrganizationDelegatedAdmin"] = &cttypes.AccountRegisteredException{Message: aws.String("registered")}
				f.onErr["RegisterOrganizationDelegatedAdmin"] = func() { f.admins = []string{fSecurity} }
			}
			res, err := fakeRun(t, f, cfg, workflow.ModeApply)
			var ce *workflow.ConflictError
			if tt.conflict {
				if !errors.As(err, &ce) || !strings.Contains(err.Error(), fOther) || !strings.Contains(err.Error(), fSecurity) {
					t.Fatalf("expect a conflict naming %s and %s, got %v", fOther, fSecurity, err)
				}
				if len(f.calls) != 0 {
					t.Errorf("a conflict made calls: %v", f.calls)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var reg []string
			for _, c := range f.calls {
				if c == "RegisterOrganizationDelegatedAdmin" {
					reg = append(reg, c)
				}
			}
			if e, a := tt.wantCalls, reg; !reflect.DeepEqual(e, a) {
				t.Errorf("register calls: expect %v, got %v", e, a)
			}
			if e, a := []string{fSecurity}, f.admins; !reflect.DeepEqual(e, a) {
				t.Errorf("admins: expect %v, got %v", e, a)
			}
			found := false
			for _, o := range res.Outcomes {
				if o.Region == workflow.RegionGlobal {
					found = true
					if e, a := len(tt.wantCalls) > 0, len(o.Actions) > 0; e != a {
						t.Errorf("admin outcome actions: %v", o.Actions)
					}
				}
			}
			if !found {
				t.Error("no outcome for the delegated administrator")
			}
		})
	}
}

func TestFakeAlreadyRegisteredWithAnotherAccountIsConflict(t *testing.T) {
	f := newFake()
	f.errs["RegisterOrganizationDelegatedAdmin"] = &cttypes.AccountRegisteredException{Message: aws.String("registered")}
	f.onErr["RegisterOrganizationDelegatedAdmin"] = func() { f.admins = []string{fOther} }
	_, err := fakeRun(t, f, config(t, "services: {cloudtrail: {delegatedAdmin: true}}"), workflow.ModeApply)
	var ce *workflow.ConflictError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), fOther) {
		t.Errorf("expect a conflict naming %s, got %v", fOther, err)
	}
}
