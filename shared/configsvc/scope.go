package configsvc

import (
	"fmt"
	"slices"
	"strings"

	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// MaxExcludedAccounts is the most accounts an organization rule or
// conformance pack excludes ("OrganizationConfigRule", AWS Config API
// Reference: ExcludedAccounts, at most 1000 items; the same limit is
// applied to packs).
const MaxExcludedAccounts = 1000

// withExcluded returns cfg with the accounts the scope excludes (the
// org-targets step's, passed in the item) added to every organization
// rule's and conformance pack's ExcludedAccounts: Config then neither
// deploys them to those accounts nor evaluates there. cfg's own lists are
// not changed (the handler's settings serve every invocation). More than
// MaxExcludedAccounts for one rule or pack is a TerminalError before any
// change: Config would refuse the call.
func withExcluded(cfg settings.Config, excluded []string) (settings.Config, error) {
	if len(excluded) == 0 {
		return cfg, nil
	}
	merge := func(field string, own []string) ([]string, error) {
		out := sortedSet(append(slices.Clone(own), excluded...))
		if len(out) > MaxExcludedAccounts {
			return nil, &workflow.TerminalError{Op: "exclude the scope's accounts from " + field, Err: fmt.Errorf(
				"%d accounts to exclude (%d by scope), and AWS Config takes at most %d: exclude fewer accounts, or move them to an OU the baseline does not reach",
				len(out), len(excluded), MaxExcludedAccounts)}
		}
		return out, nil
	}
	c := cfg
	c.Services.Config.Rules = slices.Clone(cfg.Services.Config.Rules)
	for i := range c.Services.Config.Rules {
		r := &c.Services.Config.Rules[i]
		var err error
		if r.ExcludedAccounts, err = merge("organization rule "+r.Name, r.ExcludedAccounts); err != nil {
			return cfg, err
		}
	}
	c.Services.Config.ConformancePacks = slices.Clone(cfg.Services.Config.ConformancePacks)
	for i := range c.Services.Config.ConformancePacks {
		p := &c.Services.Config.ConformancePacks[i]
		var err error
		if p.ExcludedAccounts, err = merge("conformance pack "+p.Name, p.ExcludedAccounts); err != nil {
			return cfg, err
		}
	}
	return c, nil
}

// diffShown is the most account IDs a reason names of each side of a
// difference of excluded accounts.
const diffShown = 5

// excludedDiff says how a rule's or pack's excluded accounts (got) differ
// from the wanted ones: the accounts to add and to remove, a few by ID,
// the rest counted, so that the reason stays short at any size.
func excludedDiff(got, want []string) string {
	have, wanted := map[string]bool{}, map[string]bool{}
	for _, a := range got {
		have[a] = true
	}
	for _, a := range want {
		wanted[a] = true
	}
	var add, remove []string
	for _, a := range sortedSet(want) {
		if !have[a] {
			add = append(add, a)
		}
	}
	for _, a := range sortedSet(got) {
		if !wanted[a] {
			remove = append(remove, a)
		}
	}
	var parts []string
	if len(add) > 0 {
		parts = append(parts, "to add "+shortList(add))
	}
	if len(remove) > 0 {
		parts = append(parts, "to remove "+shortList(remove))
	}
	return fmt.Sprintf("excluded accounts (%d, want %d): %s", len(sortedSet(got)), len(sortedSet(want)), strings.Join(parts, ", "))
}

func shortList(ids []string) string {
	if len(ids) <= diffShown {
		return strings.Join(ids, ",")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:diffShown], ","), len(ids)-diffShown)
}
