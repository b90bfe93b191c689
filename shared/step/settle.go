package step

import (
	"errors"
	"net"

	"github.com/orgbaseline/orgbaseline/shared/awsclient"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

// SettleRegion ends one account x region's row out with err, for a step
// that works through several regions in one invocation, so that one
// region's trouble is that region's row and not the run's:
//
//   - a region without the service's endpoint (a name that does not
//     resolve), or an endpoint without the operation
//     (awsclient.UnavailableOperation), is skipped, "<service> is not
//     offered in <region>";
//   - credentials refused in an opt-in region: the account has not enabled
//     the region, skipped;
//   - an error the state machine retries (throttling and the like,
//     RetryableError, NotReadyError) or
//     one that ends the run on purpose (ConflictError) is returned, for the
//     state machine to call again or stop;
//   - anything else (access denied, bad input) is the row's failure.
//
// The actions already in out are kept. It returns nil once out is settled.
func SettleRegion(out *workflow.Outcome, service string, err error) error {
	var (
		dnsErr   *net.DNSError
		again    *workflow.RetryableError
		notReady *workflow.NotReadyError
		conflict *workflow.ConflictError
	)
	switch {
	case err == nil:
		return nil
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		out.Status, out.Reason = workflow.StatusSkipped, service+" is not offered in "+out.Region
	case awsclient.CredentialsRejected(err) && settings.OptInRegion(out.Region):
		out.Status = workflow.StatusSkipped
		out.Reason = "opt-in region " + out.Region + " is not enabled in account " + out.Account + " (its credentials are refused there)"
	case errors.As(err, &again), errors.As(err, &notReady), errors.As(err, &conflict):
		return err
	case awsclient.Transient(err):
		return awsclient.Classify(service+" in "+out.Account+"/"+out.Region, err)
	default:
		if op, ok := awsclient.UnavailableOperation(err); ok {
			out.Status, out.Reason = workflow.StatusSkipped, awsclient.UnavailableReason(op)
			return nil
		}
		out.Status, out.Reason = workflow.StatusFailed, err.Error()
	}
	return nil
}

// SkippedItem returns why a region's item of service has nothing to do,
// "" when it has: no region (noRegion), the service switched off in c, or
// left out by the run's services filter.
func SkippedItem(c settings.Config, in workflow.Input, service string, noRegion bool) string {
	switch {
	case noRegion:
		return "the item names no region"
	case !c.Enabled(service):
		return service + " is disabled in the configuration"
	case !in.WantsService(service):
		return service + " is not in the services filter"
	}
	return ""
}
