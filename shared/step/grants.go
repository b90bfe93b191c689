package step

import (
	"fmt"
	"slices"
	"strings"

	"github.com/orgbaseline/orgbaseline/shared/policydoc"
	"github.com/orgbaseline/orgbaseline/shared/settings"
)

// Grant is one statement of a step's permissions: Actions on Resources,
// under Condition.
type Grant struct {
	Sid     string
	Actions []string
	// Resources are the ARNs the actions are allowed on; none means "*",
	// which only an action without a resource type may have (Why).
	Resources []string
	Condition map[string]map[string]any
	// Why says why the grant has a wildcard: on "*", that the Service
	// Authorization Reference gives the actions no resource type; in an
	// ARN, what the wildcard stands for (a name or ID made at run time).
	// It is the reason of the template's lint suppressions; a grant with a
	// wildcard and without it is refused (GrantProblems).
	Why string
	// Dependent says the service checks or does these actions for the
	// step's call, which names none of them (the Service Authorization
	// Reference's dependent actions, or the service's guide): e.g.
	// iam:PassRole for a role a Put call names, or what CloudTrail does in
	// IAM and Organizations for CreateTrail. The others are the SDK calls
	// the step makes.
	Dependent bool
}

// Grants are what a step may do under a configuration: in the management
// account with its own role (Lambda), and through the execution role in the
// security account, the log-archive account and any account it reaches
// (Members, which the security and log-archive accounts are too). What a
// step may do through the execution role is its session policy
// (SessionPolicy): the role itself is an administrator of its account.
type Grants struct {
	Lambda                        []Grant
	Security, LogArchive, Members []Grant
}

// GrantsFunc gives a step's grants under a configuration.
type GrantsFunc func(settings.Config) Grants

// WithGrants returns s with its grants.
func (s Step) WithGrants(g GrantsFunc) Step {
	s.grants = g
	return s
}

// Grants returns the step's grants under c, and false when the step was
// given none.
func (s Step) Grants(c settings.Config) (Grants, bool) {
	if s.grants == nil {
		return Grants{}, false
	}
	return s.grants(c), true
}

// Actions returns the actions of gs, in order, each once.
func Actions(gs []Grant) []string {
	var out []string
	for _, g := range gs {
		for _, a := range g.Actions {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// Wildcard reports whether g is on "*" or on an ARN with a wildcard.
func (g Grant) Wildcard() bool {
	return len(g.Resources) == 0 || slices.ContainsFunc(g.Resources, func(r string) bool { return strings.Contains(r, "*") })
}

// Statement returns g as a policy statement.
func (g Grant) Statement() policydoc.Statement {
	st := policydoc.Statement{Sid: g.Sid, Effect: "Allow", Action: oneOrList(g.Actions), Resource: "*"}
	if len(g.Resources) > 0 {
		st.Resource = oneOrList(g.Resources)
	}
	if len(g.Condition) > 0 {
		st.Condition = g.Condition
	}
	return st
}

func oneOrList(v []string) any {
	if len(v) == 1 {
		return v[0]
	}
	return v
}

// In returns the grants of the session in account: Members, and for the
// security and the log-archive accounts their own grants too.
func (g Grants) In(c settings.Config, account string) []Grant {
	out := slices.Clone(g.Members)
	if account == c.Accounts.Security {
		out = append(out, g.Security...)
	}
	if account == c.Accounts.LogArchive {
		out = append(out, g.LogArchive...)
	}
	return out
}

// MaxSessionPolicyBytes is the longest session policy AssumeRole takes
// ("AssumeRole", AWS Security Token Service API Reference: the plaintext of
// the inline session policy can't exceed 2,048 characters).
const MaxSessionPolicyBytes = 2048

// SessionPolicy returns the session policy of the step's session in
// account: its grants there, without Sids (they cost characters and name
// nothing a session needs). A session with no grant gets a policy that
// allows nothing, never an unscoped session.
func (g Grants) SessionPolicy(c settings.Config, account string) string {
	var sts []policydoc.Statement
	for _, gr := range g.In(c, account) {
		st := gr.Statement()
		st.Sid = ""
		sts = append(sts, st)
	}
	if len(sts) == 0 {
		sts = []policydoc.Statement{{Effect: "Deny", Action: "*", Resource: "*"}}
	}
	return policydoc.New(sts...).JSON()
}

// GrantProblems lists what is wrong with g under c: a grant with no
// action, no Sid in the Lambda's policy, or on "*" without the reason;
// a Sid used twice; a session policy over MaxSessionPolicyBytes.
func GrantProblems(g Grants, c settings.Config) []string {
	var p []string
	seen := map[string]bool{}
	check := func(where string, gs []Grant, sids bool) {
		for i, gr := range gs {
			name := fmt.Sprintf("%s grant %d (%s)", where, i, gr.Sid)
			switch {
			case len(gr.Actions) == 0:
				p = append(p, name+": no action")
			case gr.Wildcard() && strings.TrimSpace(gr.Why) == "":
				p = append(p, name+": a wildcard resource without the reason (Why)")
			case sids && gr.Sid == "":
				p = append(p, name+": no Sid")
			case sids && seen[gr.Sid]:
				p = append(p, name+": Sid used twice")
			}
			seen[gr.Sid] = true
		}
	}
	check("Lambda", g.Lambda, true)
	check("Security", g.Security, false)
	check("LogArchive", g.LogArchive, false)
	check("Members", g.Members, false)
	for _, account := range []string{c.Accounts.Security, c.Accounts.LogArchive, "000000000000"} {
		if n := len(g.SessionPolicy(c, account)); n > MaxSessionPolicyBytes {
			p = append(p, fmt.Sprintf("the session policy in %s is %d characters, over %d", account, n, MaxSessionPolicyBytes))
		}
	}
	return p
}
