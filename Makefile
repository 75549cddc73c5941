# Vigil's entry points. `make run` and `make test` work on a fresh machine:
# the scripts start (and if need be install) Postgres and the other services.

GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
FUZZTIME ?= 30s

.PHONY: run test build fuzz stop fmt swagger bench

run: ## start local services, migrate, serve on :3000
	scripts/run.sh

test: ## the whole suite, with -race, against real services
	scripts/test.sh

build: ## bin/vigil
	$(GO) build -ldflags "-X main.version=$(VERSION)" -o bin/vigil ./cmd/vigil

bench: ## short `vigil bench` runs of every scenario; rewrites docs/benchmarks.md's generated section
	scripts/bench.sh

fuzz: ## run each fuzz target for FUZZTIME
	scripts/fuzz.sh $(FUZZTIME)

stop: ## stop the throwaway services `make run` or `make test` started under .data/
	scripts/stop.sh

swagger: ## regenerate swagger/ (Swagger 2.0 and OpenAPI 3) from the route annotations
	$(GO) tool swag init --quiet --dir api,cmd/vigil --generalInfo openapi.go \
		--output swagger --outputTypes go,json --parseDependency --parseDepth 1 \
		--overridesFile swagger/overrides
	$(GO) run ./swagger/convert swagger/swagger.json swagger/openapi.json

fmt:
	gofmt -w $$(git ls-files '*.go')
