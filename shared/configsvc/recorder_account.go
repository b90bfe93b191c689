package configsvc

import (
	"context"
	"log/slog"
	"sync"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// account is one invocation of the config-recorders step: an account and
// its regions.
type account struct {
	d       Deps
	cfg     settings.Config
	id      string
	plan    bool
	log     *slog.Logger
	regions []*run
}

func (a *account) newRegion(region string) *run {
	return &run{
		d: a.d, cfg: a.cfg, account: a.id, region: region, plan: a.plan,
		config: a.d.Config(region),
		res:    &workflow.StepResult{Step: RecordersSpec.Name},
		out:    workflow.Outcome{Account: a.id, Region: region, Service: settings.ServiceConfig},
		log:    a.log.With("region", region),
	}
}

// converge reads every region, does the account-wide work once, and then
// acts in every region: first, alone, the region that creates the
// service-linked role, then the others.
func (a *account) converge(ctx context.Context) error {
	if err := a.each(ctx, a.regions, func(ctx context.Context, r *run) error { return r.read(ctx) }); err != nil {
		return err
	}
	creator, err := a.prepare(ctx)
	if err != nil {
		return err
	}
	roleCreated := false
	rest := a.regions
	if creator != nil {
		if err := creator.act(ctx, false); err != nil {
			return err
		}
		roleCreated = !creator.plan && creator.out.Status != workflow.StatusFailed
		rest = without(a.regions, creator)
	}
	return a.each(ctx, rest, func(ctx context.Context, r *run) error { return r.act(ctx, roleCreated) })
}

// prepare does the account-wide reads once: the service-linked role, when
// a region records with it (any recorder that is not Control Tower's), and
// the delivery key, when a region's channel is not Control Tower's. It
// returns the region that is to create the role, nil when none is: the
// first, in the item's order, that needs it.
func (a *account) prepare(ctx context.Context) (creator *run, err error) {
	var needRole []*run
	needKey := false
	for _, r := range a.regions {
		if r.done {
			continue
		}
		if r.st.recorder == nil || !controlTower(r.st.recorder.Name) {
			needRole = append(needRole, r)
		}
		if a.cfg.Services.Config.Encrypted() && (r.st.channel == nil || !controlTower(r.st.channel.Name)) {
			needKey = true
		}
	}
	if len(needRole) > 0 {
		missing, skip, err := needRole[0].roleMissing(ctx, a.d.IAM)
		if skip != "" || err != nil {
			// The role's trouble is every region's that needs it.
			for _, r := range needRole {
				if err := r.settle(skip, err); err != nil {
					return nil, err
				}
			}
		} else if missing {
			creator = needRole[0]
			creator.st.roleMissing = true
		}
	}
	if needKey {
		key, err := a.d.KeyARN(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range a.regions {
			r.st.keyARN = key
		}
	}
	return creator, nil
}

// each runs fn for the regions that are not done, RecordersSpec's
// RegionConcurrency at a time, and returns the first error (fn settles
// every other kind of trouble in the region's row).
func (a *account) each(ctx context.Context, regions []*run, fn func(context.Context, *run) error) error {
	sem := make(chan struct{}, max(RecordersSpec.RegionConcurrency, 1))
	errs := make([]error, len(regions))
	var wg sync.WaitGroup
	for i, r := range regions {
		if r.done {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			errs[i] = fn(ctx, r)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func without(regions []*run, drop *run) []*run {
	out := make([]*run, 0, len(regions))
	for _, r := range regions {
		if r != drop {
			out = append(out, r)
		}
	}
	return out
}
