// Command infra is the CDK app of orgbaseline: it reads the configuration
// file and synthesizes the stacks of the management, log-archive and
// security accounts in the home region, and the forwarding stacks of the
// management and security accounts in the other regions, checked by the
// cdk-nag AwsSolutions rules.
//
// Environment:
//
//	ORGBASELINE_CONFIG      the configuration file (else the CDK context
//	                        value "config", else orgbaseline.yaml)
//	ORGBASELINE_LAMBDA_DIR  the built Lambdas, <dir>/<name>/bootstrap
//	                        (default build/lambda)
package main

import (
	"fmt"
	"os"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
	"github.com/cdklabs/cdk-nag-go/cdknag/v2"

	"github.com/orgbaseline/orgbaseline/infra/stacks"
	"github.com/orgbaseline/orgbaseline/shared/settings"
	"github.com/orgbaseline/orgbaseline/shared/workflow"
)

const (
	envConfig        = "ORGBASELINE_CONFIG"
	envLambdaDir     = "ORGBASELINE_LAMBDA_DIR"
	contextConfig    = "config"
	defaultConfig    = "orgbaseline.yaml"
	defaultLambdaDir = "build/lambda"
)

func main() {
	app := awscdk.NewApp(nil)

	cfg, err := settings.LoadFile(configPath(app))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		jsii.Close()
		os.Exit(1)
	}
	lambdaDir := os.Getenv(envLambdaDir)
	if lambdaDir == "" {
		lambdaDir = defaultLambdaDir
	}

	awscdk.Aspects_Of(app).Add(cdknag.NewAwsSolutionsChecks(&cdknag.NagPackProps{Verbose: jsii.Bool(true)}), nil)

	props := func(account string) *stacks.StackProps {
		return &stacks.StackProps{
			StackProps: awscdk.StackProps{Env: &awscdk.Environment{
				Account: jsii.String(account),
				Region:  jsii.String(cfg.HomeRegion),
			}},
			Config:    cfg,
			LambdaDir: lambdaDir,
		}
	}
	stacks.NewManagementStack(app, workflow.ManagementStackName, props(cfg.Accounts.Management))
	stacks.NewLogArchiveStack(app, workflow.LogArchiveStackName, props(cfg.Accounts.LogArchive))
	stacks.NewSecurityStack(app, workflow.SecurityStackName, props(cfg.Accounts.Security))
	// The management and security accounts' stacks in the other regions,
	// which forward the events arriving there to the home region.
	stacks.NewForwardStacks(app, cfg)

	app.Synth(nil)
	jsii.Close()
}

// configPath returns the configuration file named by the environment, else
// by the CDK context, else the default.
func configPath(app awscdk.App) string {
	if p := os.Getenv(envConfig); p != "" {
		return p
	}
	if p, ok := app.Node().TryGetContext(jsii.String(contextConfig)).(string); ok && p != "" {
		return p
	}
	return defaultConfig
}
