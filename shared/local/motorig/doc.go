// Package motorig runs a moto server as a local AWS endpoint holding an
// emulated AWS Organization, for orgbaseline's integration tests and for
// `make demo`.
//
// Start launches scripts/motoserver.py (moto in server mode on 127.0.0.1,
// with the delegated-administrator correction described in that script) and
// waits until it answers. Seed creates the organization as the management
// account, with the accounts security, log-archive and workload-a..c, and
// WriteConfig writes an orgbaseline configuration for it, based on
// orgbaseline.example.yaml. SeedAccounts makes an organization of any size,
// AddAccount adds an account to it later, and SeedRandom makes the
// emulator's IDs repeat from one seeding to the next.
//
// Test packages start one server for all their tests from TestMain, with
// package mototest (which alone links the testing package):
//
//	var srv *mototest.Server
//
//	func TestMain(m *testing.M) { mototest.Main(m, func(s *mototest.Server) { srv = s }) }
//
//	func TestSomething(t *testing.T) {
//		cfg, org := srv.SeedT(t) // fresh state, seeded organization
//		...
//	}
//
// All tests of a package share the server's state, so tests that reset it
// (ResetT, SeedT) must not run in parallel with each other.
//
// Python is found through ORGBASELINE_PYTHON (exported by the Makefile),
// else <repo root>/.venv/bin/python; both are made by `make deps`. The repo
// root is ORGBASELINE_ROOT, else the directory holding go.mod above the
// working directory. Tests fail, and do not skip, when Python or moto is
// missing.
//
// moto keeps the state of each account apart and picks the account of a
// request from its credentials: unknown access keys (such as the "testing"
// key used here) are the management account 123456789012, and keys returned
// by sts:AssumeRole belong to the role's account. Policies of any kind are
// stored but not enforced. Reset forgets the keys that AssumeRole handed
// out, so credentials taken before a reset act as the management account
// after it: take new ones (AccountConfig) after every SeedT.
//
// moto has neither AWS Health, IAM Access Analyzer nor Amazon Detective, and
// only part of AWS Security Hub (no organization administrator accounts,
// finding aggregators, configuration policies or standards); the baseline
// sets up their organizational view, analyzers, behavior graphs and central
// configuration. Start therefore also starts a fake of the operations the
// baseline and its disable call (package fakeaws: Health's
// DescribeHealthServiceStatusForOrganization,
// EnableHealthServiceAccessForOrganization and
// DisableHealthServiceAccessForOrganization, Access Analyzer's
// ListAnalyzers, CreateAnalyzer, GetAnalyzer, UpdateAnalyzer and
// DeleteAnalyzer, Detective's EnableOrganizationAdminAccount,
// ListOrganizationAdminAccounts, DisableOrganizationAdminAccount,
// CreateGraph, ListGraphs, Describe- and UpdateOrganizationConfiguration,
// CreateMembers, ListMembers, GetMembers, ListInvitations and
// AcceptInvitation, Security Hub's EnableSecurityHub, DescribeHub,
// GetEnabledStandards, BatchEnableStandards, BatchDisableStandards,
// EnableOrganizationAdminAccount, ListOrganizationAdminAccounts, Describe-
// and UpdateOrganizationConfiguration, Create-, List-, Get- and
// UpdateFindingAggregator, Create-, Get-, List- and
// UpdateConfigurationPolicy, StartConfigurationPolicyAssociation,
// GetConfigurationPolicyAssociation, ListConfigurationPolicyAssociations,
// CreateMembers, ListMembers and GetMembers), so that the baseline's own SDK
// clients run unchanged in local runs and the demo. Env sends the four
// services there (AWS_ENDPOINT_URL_HEALTH, AWS_ENDPOINT_URL_ACCESSANALYZER,
// AWS_ENDPOINT_URL_DETECTIVE, AWS_ENDPOINT_URL_SECURITYHUB), and so do
// AWSConfig and AccountConfig: all of Security Hub goes to the fake, none to
// moto's. GuardDuty goes through the fake to moto unchanged, except for
// the detectors' creation dates when the fake is told to age them
// (fakeaws.AgeDetectors). Every other service stays on moto. The clients of AWSConfig and
// AccountConfig send their request bodies to the fake from a copy: without
// it, the SDK sends a few in a thousand requests of some kilobytes twice to
// a server this fast (see copyBody), which a child process using Env may
// still see.
//
// The fake keeps its state in memory, takes the caller's account from moto
// (by the request's access key) and the organization's management account,
// accounts, structure (roots, organizational units), trusted access and
// delegated administrators from moto's Organizations; designating
// Detective's or Security Hub's administrator enables trusted access for
// detective.amazonaws.com or securityhub.amazonaws.com and registers the
// delegated administrator there, as those services do. Reset clears it with
// moto, Close stops it. Other operations of the four services are answered
// with an UnknownOperationException, as AWS answers an operation an
// endpoint does not offer. Tests reach the fake through FakeAWS, e.g. to
// make Health answer SubscriptionRequiredException (RequireSubscription),
// Detective refuse to be enabled, as for an account whose GuardDuty is not
// 48 hours old (RefuseDetective), Security Hub's asynchronous changes stay
// PENDING for more reads (SetSecurityHubPendingReads), or its switch to
// central configuration fail (FailCentralConfiguration).
package motorig
