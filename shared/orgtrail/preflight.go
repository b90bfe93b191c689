package orgtrail

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudtrail"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// Bounds of the preflight check of member accounts: how many accounts are
// read at once, at most, and how long one account may take.
const (
	PreflightConcurrency = 5
	PreflightMaxAccounts = 1000
	PreflightTimeout     = 30 * time.Second
)

// preflight returns the warnings the step gives in plan and apply: member
// accounts that have trails of their own, which the organization trail
// records again (and CloudTrail charges again); that the management
// account's activity lands in the log-archive bucket; and who can copy the
// trail into CloudTrail Lake. A member account that cannot be read is a
// warning, never a failure.
func preflight(ctx context.Context, d Deps, cfg settings.Config, log *slog.Logger) []string {
	var warnings []string
	accounts, err := activeAccounts(ctx, d.Orgs)
	if err != nil {
		warnings = append(warnings, fmt.Sprintf("could not list the organization's accounts to look for trails of their own: %v", err))
	} else {
		var others []string
		for _, id := range accounts {
			if id != cfg.Accounts.Management {
				others = append(others, id)
			}
		}
		if len(others) > PreflightMaxAccounts {
			warnings = append(warnings, fmt.Sprintf("only the first %d of %d member accounts were checked for trails of their own", PreflightMaxAccounts, len(others)))
			others = others[:PreflightMaxAccounts]
		}
		found := make([]string, len(others))
		sem := make(chan struct{}, PreflightConcurrency)
		var wg sync.WaitGroup
		for i, id := range others {
			wg.Go(func() {
				sem <- struct{}{}
				defer func() { <-sem }()
				found[i] = memberTrails(ctx, d, cfg, id)
			})
		}
		wg.Wait()
		for _, w := range found {
			if w != "" {
				log.WarnContext(ctx, "preflight", "warning", w)
				warnings = append(warnings, w)
			}
		}
	}
	warnings = append(warnings,
		fmt.Sprintf("the management account's own activity (%s) is recorded by the organization trail and delivered to the log-archive bucket %s in account %s, readable by whoever can read that bucket", cfg.Accounts.Management, BucketName(cfg), cfg.Accounts.LogArchive),
		lakeWarning,
	)
	return warnings
}

// activeAccounts lists the organization's ACTIVE accounts; suspended
// accounts and accounts pending closure cannot be read.
func activeAccounts(ctx context.Context, api organizations.ListAccountsAPIClient) ([]string, error) {
	var ids []string
	pages := organizations.NewListAccountsPaginator(api, &organizations.ListAccountsInput{})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range page.Accounts {
			state := a.State
			if state == "" {
				state = orgtypes.AccountState(a.Status)
			}
			if state == orgtypes.AccountStateActive {
				ids = append(ids, aws.ToString(a.Id))
			}
		}
	}
	return ids, nil
}

// memberTrails returns a warning naming account's own trails in the home
// region, or one saying it could not be read, or "".
func memberTrails(ctx context.Context, d Deps, cfg settings.Config, account string) string {
	ctx, cancel := context.WithTimeout(ctx, PreflightTimeout)
	defer cancel()
	out, err := d.MemberTrails(account).DescribeTrails(ctx, &cloudtrail.DescribeTrailsInput{IncludeShadowTrails: aws.Bool(false)})
	if err != nil {
		return fmt.Sprintf("account %s: could not check for trails of its own in %s: %v", account, cfg.HomeRegion, err)
	}
	orgTrail := TrailARN(cfg)
	var names []string
	for _, t := range out.TrailList {
		arn := aws.ToString(t.TrailARN)
		if arn == orgTrail || (arn != "" && !strings.Contains(arn, ":"+account+":trail/")) {
			continue
		}
		names = append(names, aws.ToString(t.Name))
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf("account %s has trail(s) of its own in %s: %s; the organization trail records its events as well, so they are recorded and charged twice", account, cfg.HomeRegion, strings.Join(names, ", "))
}
