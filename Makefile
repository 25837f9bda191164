# rpa-operator Makefile. `make help` lists the targets.

# Image of the manager, for deploy and docker-build.
IMG ?= rpa-operator:dev
# Tool for docker-build/docker-push; any Docker CLI-compatible tool works.
CONTAINER_TOOL ?= docker

# Tools are installed here at pinned versions, never taken from PATH, so every
# machine generates the same code and manifests.
LOCALBIN ?= $(shell pwd)/bin
CONTROLLER_GEN ?= $(LOCALBIN)/controller-gen
KUSTOMIZE ?= $(LOCALBIN)/kustomize
GOLANGCI_LINT ?= $(LOCALBIN)/golangci-lint
OPENAPI_GEN ?= $(LOCALBIN)/openapi-gen
KUBECTL ?= kubectl

CONTROLLER_TOOLS_VERSION ?= v0.23.0
KUSTOMIZE_VERSION ?= v5.8.1
GOLANGCI_LINT_VERSION ?= v2.15.0
# The kube-openapi version k8s.io/apiserver (go.mod) requires.
OPENAPI_GEN_VERSION ?= v0.0.0-20260721132016-d427ff9ee9ad

# Go test flags; e.g. make test GOTESTFLAGS='-run TestRobot -v'.
GOTESTFLAGS ?=

SHELL = /usr/bin/env bash -o pipefail
.SHELLFLAGS = -ec

.PHONY: all
all: build

##@ General

.PHONY: help
help: ## Display this help.
	@awk 'BEGIN {FS = ":.*##"; printf "\nUsage:\n  make \033[36m<target>\033[0m\n"} /^[a-zA-Z_0-9-]+:.*?##/ { printf "  \033[36m%-18s\033[0m %s\n", $$1, $$2 } /^##@/ { printf "\n\033[1m%s\033[0m\n", substr($$0, 5) } ' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: controller-gen ## Generate CRDs and RBAC under config/ from the API types and kubebuilder markers.
	$(CONTROLLER_GEN) crd paths="./api/..." output:crd:artifacts:config=config/crd/bases
	$(CONTROLLER_GEN) rbac:roleName=manager-role paths="./controllers/..." output:rbac:artifacts:config=config/rbac
	$(CONTROLLER_GEN) rbac:roleName=server-role paths="./internal/server/..." output:rbac:artifacts:config=config/server/rbac

.PHONY: generate
generate: controller-gen openapi-gen ## Generate DeepCopy methods for the API types and rpa-server's OpenAPI definitions.
	$(CONTROLLER_GEN) object:headerFile="hack/boilerplate.go.txt" paths="./..."
	$(OPENAPI_GEN) --output-dir api/queue/openapi --output-pkg github.com/rpa-operator/rpa-operator/api/queue/openapi \
	  --output-file zz_generated.openapi.go --output-model-name-file zz_generated.model_name.go \
	  --go-header-file hack/boilerplate.go.txt --report-filename /dev/null \
	  --readonly-pkg k8s.io/apimachinery/pkg/apis/meta/v1 --readonly-pkg k8s.io/apimachinery/pkg/runtime \
	  --readonly-pkg k8s.io/apimachinery/pkg/version \
	  k8s.io/apimachinery/pkg/apis/meta/v1 k8s.io/apimachinery/pkg/runtime k8s.io/apimachinery/pkg/version \
	  github.com/rpa-operator/rpa-operator/api/queue/v1alpha1

.PHONY: fmt
fmt: ## Run gofmt -w on the module's Go files.
	gofmt -s -w $$(git ls-files --cached --others --exclude-standard '*.go')

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

.PHONY: lint
lint: golangci-lint ## Run golangci-lint (configuration in .golangci.yml).
	$(GOLANGCI_LINT) run ./...

.PHONY: lint-fix
lint-fix: golangci-lint ## Run golangci-lint and apply its fixes.
	$(GOLANGCI_LINT) run --fix ./...

.PHONY: verify
verify: generate manifests ## Fail if generated files or go.mod are stale, a file is not gofmt-clean, or vet/lint complain.
	@if [ -n "$$(git status --porcelain -- api config)" ]; then git status --short -- api config >&2; git diff -- api config >&2; \
	  echo "generated files are stale: run 'make generate manifests' and commit the result" >&2; exit 1; fi
	@for mod in . hack/tools/kubernetes hack/tools/etcd hack/tools/coredns; do (cd $$mod && go mod tidy -diff) || { echo "$$mod: go.mod/go.sum not tidy: run 'go mod tidy' there" >&2; exit 1; }; done
	@unformatted=$$(gofmt -s -l $$(git ls-files --cached --others --exclude-standard '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "not gofmt -s clean (run 'make fmt'):" >&2; echo "$$unformatted" >&2; exit 1; fi
	$(MAKE) vet lint

.PHONY: test
test: manifests generate envtest ## Run unit tests and the envtest suite against a real kube-apiserver and etcd.
	KUBEBUILDER_ASSETS="$$(hack/k8s-binaries.sh etcd kube-apiserver)" \
	  go test $(GOTESTFLAGS) ./... -coverprofile cover.out

##@ Build

.PHONY: build
build: generate ## Build the manager binary into bin/manager.
	CGO_ENABLED=0 go build -trimpath -o $(LOCALBIN)/manager ./cmd/manager

.PHONY: build-plugin
build-plugin: ## Build the kubectl plugin into bin/kubectl-robot (put bin/ on PATH to use `kubectl robot`).
	CGO_ENABLED=0 go build -trimpath -o $(LOCALBIN)/kubectl-robot ./cmd/kubectl-robot

.PHONY: plugin-archives
plugin-archives: ## Release archives for krew (bin/dist/kubectl-robot_<os>_<arch>.tar.gz) and the krew manifest with their sha256 (bin/dist/robot.yaml).
	@mkdir -p $(LOCALBIN)/dist
	@for p in linux/amd64 linux/arm64 darwin/amd64 darwin/arm64; do \
	  os=$${p%/*}; arch=$${p#*/}; dir=$$(mktemp -d); \
	  CGO_ENABLED=0 GOOS=$$os GOARCH=$$arch go build -trimpath -o $$dir/kubectl-robot ./cmd/kubectl-robot && \
	  cp LICENSE $$dir/ && tar -C $$dir -czf $(LOCALBIN)/dist/kubectl-robot_$${os}_$${arch}.tar.gz kubectl-robot LICENSE && rm -rf $$dir; \
	done
	cd $(LOCALBIN)/dist && sha256sum kubectl-robot_*.tar.gz
	go run ./hack/krew-manifest --manifest plugins/krew/robot.yaml --archives $(LOCALBIN)/dist > $(LOCALBIN)/dist/robot.yaml
	@echo "krew manifest: $(LOCALBIN)/dist/robot.yaml"

.PHONY: run
run: manifests generate ## Run the manager on this machine against the cluster in KUBECONFIG.
	go run ./cmd/manager --leader-elect=false --health-probe-bind-address=:8081 --metrics-bind-address=0

.PHONY: docker-build
docker-build: ## Build the manager image with a Docker engine ($(CONTAINER_TOOL)).
	$(CONTAINER_TOOL) build -t $(IMG) .

.PHONY: docker-push
docker-push: ## Push the manager image.
	$(CONTAINER_TOOL) push $(IMG)

##@ Deployment

ifndef ignore-not-found
  ignore-not-found = false
endif

# CRDs embed pod-level core types and are too large for client-side apply's
# last-applied annotation, so everything is applied server-side.
.PHONY: install
install: manifests kustomize ## Install the CRDs into the cluster in KUBECONFIG.
	$(KUSTOMIZE) build config/crd | $(KUBECTL) apply --server-side --force-conflicts -f -

.PHONY: uninstall
uninstall: manifests kustomize ## Remove the CRDs (and with them every Robot and RobotRun). ignore-not-found=true to ignore missing ones.
	$(KUSTOMIZE) build config/crd | $(KUBECTL) delete --ignore-not-found=$(ignore-not-found) -f -

.PHONY: deploy
deploy: manifests kustomize ## Deploy the operator (config/default) with image IMG.
	cd config/manager && $(KUSTOMIZE) edit set image controller=$(IMG)
	$(KUSTOMIZE) build config/default | $(KUBECTL) apply --server-side --force-conflicts -f -
	cd config/manager && $(KUSTOMIZE) edit set image controller=rpa-operator:dev

.PHONY: undeploy
undeploy: kustomize ## Remove the operator. ignore-not-found=true to ignore missing objects.
	$(KUSTOMIZE) build config/default | $(KUBECTL) delete --ignore-not-found=$(ignore-not-found) -f -

##@ Local cluster, demo and end-to-end tests

# The local cluster (hack/local-cluster.sh) and its images.
LOCAL_KUBECONFIG ?= $(LOCALBIN)/local-cluster/kubeconfig
CONTAINERD_SOCKET ?= $(LOCALBIN)/local-cluster/containerd/containerd.sock
LOCAL_IMG ?= rpa-operator:dev
E2E_TIMEOUT ?= 40m

.PHONY: demo
demo: manifests kustomize ## Start a local cluster, deploy the operator and sample robots, run one robot for real.
	hack/demo.sh

.PHONY: demo-down
demo-down: ## Stop the local cluster and remove its state.
	hack/local-cluster.sh down

.PHONY: cluster-up
cluster-up: ## Start the local cluster (etcd, apiserver, controller-manager, scheduler, containerd, kubelet, kube-proxy).
	hack/local-cluster.sh up

.PHONY: cluster-down
cluster-down: ## Stop the local cluster and remove its state.
	hack/local-cluster.sh down

.PHONY: images
images: ## Build the manager, pause and robot images as tarballs in bin/images (no Docker needed).
	go run ./hack/build-images --out $(LOCALBIN)/images all

.PHONY: images-import
images-import: ## Build the images and import them into the local cluster's containerd.
	go run ./hack/build-images --out $(LOCALBIN)/images --import --containerd-address $(CONTAINERD_SOCKET) all

.PHONY: print-img
print-img:
	@echo $(LOCAL_IMG)

.PHONY: e2e
e2e: manifests kustomize ## Run the end-to-end tests against the local cluster with real containers (starts it if needed).
	hack/e2e.sh

##@ Benchmarks

BENCH_SIZES ?= 100,1000,5000
BENCH_QPS ?= default,1000
BENCH_MINUTES ?= 3

.PHONY: bench
bench: ## Benchmarks, printed as tables: schedule computation (go test -bench), then schedule lag, footprint and requests per run vs the CronJob controller (hack/bench; results in docs/benchmarks.md).
	go test ./controllers/schedule ./controllers/slots -run '^$$' -bench . -benchmem
	go run ./hack/bench -n $(BENCH_SIZES) -qps $(BENCH_QPS) -minutes $(BENCH_MINUTES) -out docs/benchmarks.md

##@ Tools

.PHONY: envtest
envtest: ## Build (once) and cache etcd and kube-apiserver under bin/k8s/<version>/; prints the directory.
	@hack/k8s-binaries.sh etcd kube-apiserver

.PHONY: controller-gen
controller-gen: $(LOCALBIN) ## Install controller-gen into bin/.
	$(call go-install-tool,$(CONTROLLER_GEN),sigs.k8s.io/controller-tools/cmd/controller-gen,$(CONTROLLER_TOOLS_VERSION))

.PHONY: openapi-gen
openapi-gen: $(LOCALBIN) ## Install openapi-gen into bin/.
	$(call go-install-tool,$(OPENAPI_GEN),k8s.io/kube-openapi/cmd/openapi-gen,$(OPENAPI_GEN_VERSION))

.PHONY: kustomize
kustomize: $(LOCALBIN) ## Install kustomize into bin/.
	$(call go-install-tool,$(KUSTOMIZE),sigs.k8s.io/kustomize/kustomize/v5,$(KUSTOMIZE_VERSION))

.PHONY: golangci-lint
golangci-lint: $(LOCALBIN) ## Install golangci-lint into bin/.
	$(call go-install-tool,$(GOLANGCI_LINT),github.com/golangci/golangci-lint/v2/cmd/golangci-lint,$(GOLANGCI_LINT_VERSION))

$(LOCALBIN):
	mkdir -p $(LOCALBIN)

# go-install-tool installs package $(2) at version $(3) as $(1)-$(3) and links
# $(1) to it, so that changing a pinned version reinstalls the tool.
define go-install-tool
@[ -f "$(1)-$(3)" ] && [ "$$(readlink -- "$(1)" 2>/dev/null)" = "$(notdir $(1))-$(3)" ] || { \
set -e; \
package=$(2)@$(3) ;\
echo "Installing $${package}" ;\
rm -f "$(1)" ;\
GOBIN="$(LOCALBIN)" go install $${package} ;\
mv "$(LOCALBIN)/$$(basename "$(1)")" "$(1)-$(3)" ;\
ln -sf "$(notdir $(1))-$(3)" "$(1)" ;\
}
endef
