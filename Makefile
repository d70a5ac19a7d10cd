# tasks-api build. `make run` and `make test` install missing Debian packages first
# (scripts/install-deps.sh), so a fresh machine needs nothing else.

CC      ?= cc
NODE_TEST_DEPS := node_modules/.tapi-test-deps
NODE_RUN_DEPS  := node_modules/.tapi-run-deps
BUILD   := build
PKGS    := libmicrohttpd libcjson sqlite3 libcrypto libcurl cjose jansson libutf8proc
WARN    := -std=c17 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wformat=2
DEFS    := -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
CFLAGS  ?= -O2 -g
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null)
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

CORE_SRC   := $(wildcard src/core/*.c)
STORE_SRC  := $(wildcard src/store/*.c src/store/dynamodb/*.c)
ROUTER_SRC := $(wildcard src/router/*.c)
SERVER_SRC := $(wildcard src/server/*.c)
LAMBDA_SRC := $(wildcard src/lambda/*.c)
LIB_SRC    := $(CORE_SRC) $(STORE_SRC) $(ROUTER_SRC) $(filter-out src/server/main.c,$(SERVER_SRC)) \
              $(filter-out src/lambda/main.c,$(LAMBDA_SRC))
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
DDB_SRC    := $(wildcard tests/dynamodb/test_*.c)

# $(call objs,<dir>,<sources>)
objs = $(patsubst %.c,$(1)/obj/%.o,$(2))

LIB_OBJ      := $(call objs,$(BUILD),$(LIB_SRC))
LIB_OBJ_ASAN := $(call objs,$(BUILD)/asan,$(LIB_SRC))
UNIT_BIN      := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
UNIT_BIN_ASAN := $(patsubst tests/unit/%.c,$(BUILD)/asan/tests/%,$(UNIT_SRC))
DDB_BIN       := $(patsubst tests/dynamodb/%.c,$(BUILD)/tests/%,$(DDB_SRC))
DDB_BIN_ASAN  := $(patsubst tests/dynamodb/%.c,$(BUILD)/asan/tests/%,$(DDB_SRC))

.SECONDARY:

# The Lambda package: bootstrap linked statically (glibc 2.36 here, 2.34 on AL2023) against
# Debian's static OpenSSL, c-ares, zlib and SQLite plus a minimal libcurl and cJSON built
# from Debian's source packages (scripts/build-static-deps.sh). It leaves out the SQLite
# store (Lambda has no durable disk): 1 MB less.
# ARCH names the Lambda architecture the package is for (x86_64 or arm64): x86_64 gives
# build/lambda.zip, arm64 build/lambda-arm64.zip. On an x86_64 machine arm64 is
# cross-compiled with Debian's aarch64-linux-gnu-gcc against Debian's arm64 libraries,
# unpacked into build/static-arm64/sysroot (scripts/build-static-deps.sh); on an arm64
# machine x86_64 is built by scripts/package-in-container.sh.
HOST_ARCH     := $(subst aarch64,arm64,$(shell uname -m))
ARCH          ?= $(HOST_ARCH)
ifeq ($(ARCH),x86_64)
LAMBDA_ZIP    := $(BUILD)/lambda.zip
else ifeq ($(ARCH),arm64)
LAMBDA_ZIP    := $(BUILD)/lambda-arm64.zip
else
$(error ARCH must be x86_64 or arm64 (got '$(ARCH)'))
endif
ifeq ($(ARCH),$(HOST_ARCH))
STATIC_DIR    := $(BUILD)/static
STATIC_CC     := $(CC)
STATIC_STRIP  := strip
STATIC_SYS    :=
else
STATIC_DIR    := $(BUILD)/static-arm64
STATIC_CC     := aarch64-linux-gnu-gcc
STATIC_STRIP  := aarch64-linux-gnu-strip
STATIC_SYS    := -I$(STATIC_DIR)/sysroot/usr/include -I$(STATIC_DIR)/sysroot/usr/include/aarch64-linux-gnu \
                 -L$(STATIC_DIR)/sysroot/usr/lib/aarch64-linux-gnu
endif
STATIC_PREFIX := $(STATIC_DIR)/prefix
STATIC_LIBS   := $(STATIC_PREFIX)/lib/libcurl.a $(STATIC_PREFIX)/lib/libcjson.a
BOOTSTRAP_SRC := $(CORE_SRC) $(filter-out src/store/sqlite.c,$(STORE_SRC)) $(ROUTER_SRC) $(LAMBDA_SRC)
STATIC_OBJ    := $(patsubst %.c,$(STATIC_DIR)/obj/%.o,$(BOOTSTRAP_SRC))

# libFuzzer targets (clang), built with ASan + UBSan.
FUZZ_CC       := clang
FUZZ_FLAGS    := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_LIB_SRC  := $(CORE_SRC) $(STORE_SRC) $(ROUTER_SRC) $(filter-out src/lambda/main.c,$(LAMBDA_SRC))
FUZZ_LIB_OBJ  := $(patsubst %.c,$(BUILD)/fuzz/obj/%.o,$(FUZZ_LIB_SRC))
FUZZ_BIN      := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_SECONDS  ?= 60

.PHONY: all run test clean deps deps-test package package-test package-test-arm64 package-clean-root publish promote rollback \
        deploy destroy workflows-check \
        bench fuzz fuzz-quick \
        hardening soak tsan unit unit-asan contract contract-asan valgrind \
        contract-valgrind contract-dynamodb contract-dynamodb-asan dynamodb-faults \
        contract-lambda contract-lambda-asan lambda-runtime terraform-check openapi-lint contract-prism docs-browser docs-check module-docs \
        chaos chaos-quick

all: $(BUILD)/tasks-api $(BUILD)/bootstrap

deps:
	@scripts/install-deps.sh run

deps-test:
	@scripts/install-deps.sh test

# Serve the API locally on http://127.0.0.1:8080 with ./tasks.db, or with
# STORE=dynamodb on dynalite (table created first); interactive documentation at /docs.
STORE ?= sqlite
run: deps
	@$(MAKE) --no-print-directory all
	@if [ ! -f $(NODE_TEST_DEPS) ]; then $(MAKE) --no-print-directory $(NODE_RUN_DEPS); fi
	@$(MAKE) --no-print-directory docs
ifeq ($(STORE),dynamodb)
	@scripts/install-deps.sh dynamodb
	TASKS_DOCS_DIR=$(BUILD)/docs scripts/run-dynamodb.sh $(BUILD)/tasks-api
else
	$(BUILD)/tasks-api serve --docs $(BUILD)/docs
endif

# The documentation site (build/docs): our page and script, the contract, and Swagger UI
# from the pinned npm package (its bundle, style, licence and notice), served offline.
DOCS_FILES := $(BUILD)/docs/index.html $(BUILD)/docs/init.js $(BUILD)/docs/openapi.yaml \
              $(BUILD)/docs/swagger-ui-bundle.js $(BUILD)/docs/swagger-ui.css \
              $(BUILD)/docs/favicon-32x32.png $(BUILD)/docs/LICENSE $(BUILD)/docs/NOTICE
.PHONY: docs
docs: $(DOCS_FILES)

$(BUILD)/docs/%: docs/site/%
	@mkdir -p $(dir $@)
	@cp $< $@

$(BUILD)/docs/openapi.yaml: docs/openapi.yaml
	@mkdir -p $(dir $@)
	@cp $< $@

$(BUILD)/docs/swagger-ui-bundle.js $(BUILD)/docs/swagger-ui.css $(BUILD)/docs/favicon-32x32.png \
$(BUILD)/docs/LICENSE $(BUILD)/docs/NOTICE: package-lock.json
	@if [ ! -d node_modules/swagger-ui-dist ]; then $(MAKE) --no-print-directory $(NODE_RUN_DEPS); fi
	@mkdir -p $(dir $@)
	@cp node_modules/swagger-ui-dist/$(notdir $@) $@

# Everything: unit + contract suites on the normal and the ASan+UBSan build, and both
# again under valgrind; on x86_64 also the cross-built arm64 package under qemu.
PACKAGE_TEST_OTHER := $(if $(filter x86_64,$(HOST_ARCH)),package-test-arm64)
test: deps-test $(NODE_TEST_DEPS)
	@$(MAKE) --no-print-directory unit unit-asan contract contract-asan \
	    contract-dynamodb contract-dynamodb-asan dynamodb-faults chaos-quick \
	    contract-lambda contract-lambda-asan lambda-runtime package-test $(PACKAGE_TEST_OTHER) \
	    terraform-check workflows-check openapi-lint contract-prism docs-browser docs-check fuzz-quick tsan hardening \
	    valgrind contract-valgrind
	@echo "make test: all suites passed"

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(WARN) $(DEFS) $(CFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/asan/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC asan $<"
	@$(CC) $(WARN) $(DEFS) -O1 -g $(SAN) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/tasks-api: $(LIB_OBJ) $(call objs,$(BUILD),src/server/main.c)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $^ $(PKG_LIBS) -lpthread -o $@

$(BUILD)/bootstrap: $(LIB_OBJ) $(call objs,$(BUILD),src/lambda/main.c)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $^ $(PKG_LIBS) -lpthread -o $@

$(BUILD)/asan/bootstrap: $(LIB_OBJ_ASAN) $(call objs,$(BUILD)/asan,src/lambda/main.c)
	@echo "  LD asan $@"
	@$(CC) $(SAN) $^ $(PKG_LIBS) -lpthread -o $@

$(BUILD)/asan/tasks-api: $(LIB_OBJ_ASAN) $(call objs,$(BUILD)/asan,src/server/main.c)
	@echo "  LD asan $@"
	@$(CC) $(SAN) $^ $(PKG_LIBS) -lpthread -o $@

$(BUILD)/tests/test_dynamodb_%: $(BUILD)/obj/tests/dynamodb/test_dynamodb_%.o $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $^ $(PKG_LIBS) -lcmocka -lpthread -o $@

$(BUILD)/asan/tests/test_dynamodb_%: $(BUILD)/asan/obj/tests/dynamodb/test_dynamodb_%.o $(LIB_OBJ_ASAN)
	@mkdir -p $(dir $@)
	@echo "  LD asan $@"
	@$(CC) $(SAN) $^ $(PKG_LIBS) -lcmocka -lpthread -o $@

$(BUILD)/tests/%: $(BUILD)/obj/tests/unit/%.o $(LIB_OBJ)
	@mkdir -p $(dir $@)
	@echo "  LD      $@"
	@$(CC) $(CFLAGS) $^ $(PKG_LIBS) -lcmocka -lpthread -o $@

$(BUILD)/asan/tests/%: $(BUILD)/asan/obj/tests/unit/%.o $(LIB_OBJ_ASAN)
	@mkdir -p $(dir $@)
	@echo "  LD asan $@"
	@$(CC) $(SAN) $^ $(PKG_LIBS) -lcmocka -lpthread -o $@

unit: $(UNIT_BIN) $(DDB_BIN) $(BUILD)/tasks-api $(NODE_TEST_DEPS)
	@tests/run_unit.sh $(UNIT_BIN)
	@tests/dynamodb/run.sh $(DDB_BIN)
	@TASKS_API_BIN=$(BUILD)/tasks-api node --test --test-reporter=dot tests/cli/cli.test.mjs
	@echo "cli: help, mistakes and --version passed"

unit-asan: $(UNIT_BIN_ASAN) $(DDB_BIN_ASAN) $(NODE_TEST_DEPS)
	@tests/run_unit.sh $(UNIT_BIN_ASAN)
	@tests/dynamodb/run.sh $(DDB_BIN_ASAN)

valgrind: $(UNIT_BIN) $(DDB_BIN) $(NODE_TEST_DEPS)
	@VALGRIND=1 tests/run_unit.sh $(UNIT_BIN)
	@VALGRIND=1 tests/dynamodb/run.sh $(DDB_BIN)

# Each contract run twice: authentication off (every task the shared owner's) and on
# (AUTH=1: bearer tokens, two users, every refused-token case).
contract: $(BUILD)/tasks-api
	@tests/contract/run.sh $(BUILD)/tasks-api
	@AUTH=1 tests/contract/run.sh $(BUILD)/tasks-api

contract-asan: $(BUILD)/asan/tasks-api
	@tests/contract/run.sh $(BUILD)/asan/tasks-api
	@AUTH=1 tests/contract/run.sh $(BUILD)/asan/tasks-api

contract-dynamodb: $(BUILD)/tasks-api $(NODE_TEST_DEPS)
	@STORE=dynamodb tests/contract/run.sh $(BUILD)/tasks-api
	@AUTH=1 STORE=dynamodb tests/contract/run.sh $(BUILD)/tasks-api

contract-dynamodb-asan: $(BUILD)/asan/tasks-api $(NODE_TEST_DEPS)
	@STORE=dynamodb tests/contract/run.sh $(BUILD)/asan/tasks-api
	@AUTH=1 STORE=dynamodb tests/contract/run.sh $(BUILD)/asan/tasks-api

# npm packages exactly as pinned in package-lock.json: all of them for the tests; only
# dynalite (the one runtime dependency) for `make run STORE=dynamodb`. Each has its own
# stamp, so a run-only install never passes for the tests' full one.
$(NODE_TEST_DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

$(NODE_RUN_DEPS): package.json package-lock.json
	npm ci --omit=dev --no-audit --no-fund --ignore-scripts
	@touch $@

# Fault injection between the DynamoDB store and dynalite; the endpoint-host check (in an
# empty network namespace) and the shard count kept with the table; TLS, certificate
# failures and proxies; and an independent check of the SigV4 signatures (botocore).
DDB_NODE_TESTS := tests/dynamodb/faults.test.mjs tests/dynamodb/endpoint.test.mjs tests/dynamodb/tls_proxy.test.mjs
dynamodb-faults: $(BUILD)/tasks-api $(BUILD)/asan/tasks-api $(NODE_TEST_DEPS)
	@TASKS_API_BIN=$(BUILD)/tasks-api node --test --test-reporter=dot $(DDB_NODE_TESTS)
	@TASKS_API_BIN=$(BUILD)/asan/tasks-api node --test --test-reporter=dot $(DDB_NODE_TESTS)
	@echo "dynamodb faults, endpoint checks, TLS and proxies: passed (normal and ASan builds)"
	@/usr/bin/python3 tests/dynamodb/check_sigv4.py $(BUILD)/tasks-api

# The randomized fault test (tests/chaos): concurrent clients through each door while a
# seeded fault proxy loses, fails, throttles and slows DynamoDB requests; a history
# checker proves exactly-once and linearizable answers. make test: about 25 s per door;
# make chaos: ten minutes of fresh seeds (CHAOS_SEED=N replays one).
chaos-quick: $(BUILD)/tasks-api $(LAMBDA_ZIP) $(NODE_TEST_DEPS)
	@node --test --test-reporter=dot tests/chaos/checker.test.mjs
	@tests/chaos/run.sh $(BUILD)/tasks-api $(LAMBDA_ZIP) 25

chaos: deps-test $(BUILD)/tasks-api $(LAMBDA_ZIP) $(NODE_TEST_DEPS)
	@tests/chaos/run.sh $(BUILD)/tasks-api $(LAMBDA_ZIP) 60 600

# The contract suite through the Lambda door, on both stores: events as API Gateway sends
# them on its execute-api host (stage in requestContext.path) and behind a custom domain
# with a base path (in event.path too).
contract-lambda: $(BUILD)/bootstrap $(BUILD)/tasks-api $(NODE_TEST_DEPS)
	@TRANSPORT=lambda tests/contract/run.sh $(BUILD)/bootstrap
	@CONTRACT_APIGW_SHAPE=custom-domain TRANSPORT=lambda STORE=dynamodb TASKS_API_BIN=$(BUILD)/tasks-api tests/contract/run.sh $(BUILD)/bootstrap
	@AUTH=1 TRANSPORT=lambda tests/contract/run.sh $(BUILD)/bootstrap
	@AUTH=1 CONTRACT_APIGW_SHAPE=custom-domain TRANSPORT=lambda STORE=dynamodb TASKS_API_BIN=$(BUILD)/tasks-api tests/contract/run.sh $(BUILD)/bootstrap

contract-lambda-asan: $(BUILD)/asan/bootstrap $(BUILD)/tasks-api $(NODE_TEST_DEPS)
	@TRANSPORT=lambda tests/contract/run.sh $(BUILD)/asan/bootstrap
	@CONTRACT_APIGW_SHAPE=custom-domain TRANSPORT=lambda STORE=dynamodb TASKS_API_BIN=$(BUILD)/tasks-api tests/contract/run.sh $(BUILD)/asan/bootstrap
	@AUTH=1 CONTRACT_APIGW_SHAPE=custom-domain TRANSPORT=lambda STORE=dynamodb TASKS_API_BIN=$(BUILD)/tasks-api tests/contract/run.sh $(BUILD)/asan/bootstrap

# The Lambda door's own edge cases (events, Runtime API faults and framing, init errors,
# logging), and resident memory flat over 22,000 invocations with a new trace id each.
lambda-runtime: $(BUILD)/bootstrap $(BUILD)/asan/bootstrap $(BUILD)/tasks-api $(NODE_TEST_DEPS)
	@LAMBDA_BOOTSTRAP=$(BUILD)/bootstrap TASKS_API_BIN=$(BUILD)/tasks-api node --test --test-reporter=dot tests/lambda/runtime.test.mjs tests/lambda/observability.test.mjs tests/lambda/runtime_client.test.mjs
	@LAMBDA_BOOTSTRAP=$(BUILD)/asan/bootstrap TASKS_API_BIN=$(BUILD)/tasks-api node --test --test-reporter=dot tests/lambda/runtime.test.mjs tests/lambda/observability.test.mjs tests/lambda/runtime_client.test.mjs
	@echo "lambda runtime: passed (normal and ASan builds)"
	@node tests/lambda/memory_slope.mjs $(BUILD)/bootstrap

# Terraform: fmt + validate when a terraform binary exists; always the offline checks
# (schema, wiring, policy, each shown to bite) and least privilege proven against moto;
# then every root applied for real against moto's server (tests/terraform/executed.py:
# init, validate, plan, apply, a no-change plan, a read-back, destroy), skipped with the
# reason where terraform, the provider mirror or moto is missing.
terraform-check: $(BUILD)/tasks-api $(BUILD)/bootstrap $(LAMBDA_ZIP) $(NODE_TEST_DEPS)
	@tests/terraform/terraform_cli.sh
	@node tests/terraform/validate.mjs .
	@node --test --test-reporter=dot tests/terraform/validate.test.mjs
	@if command -v python3 >/dev/null 2>&1; then \
	    python3 tests/terraform/moto_least_privilege.py $(BUILD)/tasks-api $(BUILD)/bootstrap && \
	    python3 tests/terraform/executed.py $(LAMBDA_ZIP); \
	else echo "moto tests: SKIPPED, no python3 on PATH"; fi

# The GitHub workflows users get: valid by GitHub's schema (action-validator, pinned in
# package-lock.json) and doing what the deploy docs promise (tests/ci/workflows.test.mjs).
workflows-check: $(NODE_TEST_DEPS)
	@node --test --test-reporter=dot tests/ci/workflows.test.mjs
	@echo "workflows: .github/workflows valid and as documented"

# The API description passes redocly's recommended rules (0 errors, 0 warnings); offline.
# The contract suite through Stoplight Prism (a validating proxy reading docs/openapi.yaml):
# no response of the server may be at odds with the contract.
contract-prism: $(BUILD)/tasks-api $(NODE_TEST_DEPS)
	@PRISM=1 tests/contract/run.sh $(BUILD)/tasks-api
	@AUTH=1 PRISM=1 tests/contract/run.sh $(BUILD)/tasks-api

# The docs cannot rot: the module READMEs' tables match their variables and outputs, every
# relative link resolves, and the README's and docs' shell examples run against a real
# server with the statuses they promise.
docs-check: $(BUILD)/tasks-api $(NODE_TEST_DEPS)
	@node scripts/module-docs.mjs --check
	@TASKS_API_BIN=$(BUILD)/tasks-api node --test --test-reporter=dot tests/docs/links.test.mjs tests/docs/examples.test.mjs tests/docs/agreement.test.mjs
	@echo "docs-check: tables current, links resolve, examples answer as they say"

# Rewrites the Inputs/Outputs tables of modules/*/README.md from the Terraform.
module-docs: $(NODE_TEST_DEPS)
	@node scripts/module-docs.mjs

# The documentation page in headless Chromium (Debian's), driven by playwright-core.
docs-browser: $(BUILD)/tasks-api docs $(NODE_TEST_DEPS)
	@TASKS_API_BIN=$(BUILD)/tasks-api TASKS_DOCS_DIR=$(BUILD)/docs node --test --test-reporter=dot tests/docs/docs_page.test.mjs
	@echo "docs-browser: the page loads offline, shows the five operations and creates a task"

openapi-lint: $(NODE_TEST_DEPS)
	@out=$$(REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true node_modules/.bin/redocly lint \
	    --config docs/redocly.yaml --max-problems 50 docs/openapi.yaml 2>&1); rc=$$?; \
	    printf '%s\n' "$$out" | grep -v '[╔║╚]'; exit $$rc

contract-valgrind: $(BUILD)/tasks-api
	@VALGRIND=1 tests/contract/run.sh $(BUILD)/tasks-api
	@AUTH=1 VALGRIND=1 tests/contract/run.sh $(BUILD)/tasks-api

$(STATIC_LIBS):
	@scripts/install-deps.sh package-$(ARCH)
	@scripts/build-static-deps.sh $(BUILD) $(ARCH)

# Runs on every build (order-only: forces nothing): the script returns at once when its
# outputs are complete, and otherwise adds what a newer checkout needs (a library added
# to the arm64 sysroot) to a tree built before.
.PHONY: static-deps-check
static-deps-check: $(STATIC_LIBS)
	@scripts/build-static-deps.sh $(BUILD) $(ARCH)

$(STATIC_DIR)/obj/%.o: %.c $(STATIC_LIBS) | static-deps-check
	@mkdir -p $(dir $@)
	@echo "  CC stat $< ($(ARCH))"
	@$(STATIC_CC) $(WARN) $(DEFS) -O2 -ffunction-sections -fdata-sections -DTAPI_WITH_SQLITE=0 \
	    -I$(STATIC_PREFIX)/include $(STATIC_SYS) -MMD -MP -c $< -o $@

$(STATIC_DIR)/bootstrap: $(STATIC_OBJ) $(STATIC_LIBS)
	@echo "  LD stat $@ ($(ARCH))"
	@$(STATIC_CC) -static -Wl,--gc-sections -o $@ $(STATIC_OBJ) $(STATIC_LIBS) $(STATIC_SYS) \
	    -lutf8proc -lcares -lssl -lcrypto -lz -lpthread -ldl -lm 2>$(STATIC_DIR)/link-warnings.log
	@$(STATIC_STRIP) $@

# A reproducible zip (scripts/make-zip.sh): fixed timestamp, one file, no extra attributes,
# and never a bootstrap for another machine than ARCH (scripts/check-elf-arch.sh).
ifneq ($(ARCH)-$(HOST_ARCH),x86_64-arm64)
$(LAMBDA_ZIP): $(STATIC_DIR)/bootstrap
	@scripts/check-elf-arch.sh $< $(ARCH)
	@scripts/make-zip.sh $< $@
	@echo "$(notdir $@): $$(stat -c %s $@) bytes (bootstrap $$(stat -c %s $<) bytes unpacked, $(ARCH)), sha256 $$(sha256sum $@ | cut -c1-16)"
else
$(LAMBDA_ZIP):
	@echo "package: ARCH=$(ARCH) on a $(HOST_ARCH) machine: build it with scripts/package-in-container.sh $(ARCH)"
	@exit 1
endif

package: $(LAMBDA_ZIP)

# Releases (scripts/release.sh): publish builds and uploads one content-addressed artifact
# and records it in ENV's release.auto.tfvars.json; deploy, promote, rollback and destroy
# never build. make publish ENV=dev [ARCH=arm64]; make deploy ENV=dev TF_ARGS='...';
# make promote FROM=dev TO=prod; make rollback ENV=prod [ARTIFACT=<sha256> | VERSION=<n>];
# ENV=account deploys the account root.
ENV ?= dev
# ARCH given to make (command line or environment) picks the zip and the architecture.
DEPLOY_ARCH = $(if $(filter-out file default undefined,$(origin ARCH)),$(ARCH))
publish:
	@ARCH='$(DEPLOY_ARCH)' scripts/release.sh publish $(ENV)

deploy:
	@scripts/release.sh deploy $(ENV) $(TF_ARGS)

promote:
	@test -n "$(FROM)" -a -n "$(TO)" || { echo "usage: make promote FROM=dev TO=prod"; exit 2; }
	@scripts/release.sh promote $(FROM) $(TO)

rollback:
	@ARCH='$(DEPLOY_ARCH)' ARTIFACT='$(ARTIFACT)' VERSION='$(VERSION)' scripts/release.sh rollback $(ENV) $(TF_ARGS)

destroy:
	@scripts/release.sh destroy $(ENV) $(TF_ARGS)

# The package recipe proven from nothing: a fresh Debian 12 root (debootstrap, from the
# system's Debian mirror) runs scripts/package-recipe.sh, as the container recipe does.
# Minutes, so not part of `make test`.
package-clean-root:
	@scripts/install-deps.sh clean-root
	@scripts/package-clean-root.sh

# Self-containment: the package runs in an empty chroot (busybox as /bin/sh only) and
# passes the whole contract suite through the Runtime API on the DynamoDB store.
package-test: $(LAMBDA_ZIP) $(BUILD)/tasks-api $(NODE_TEST_DEPS)
	@tests/lambda/chroot_test.sh $(LAMBDA_ZIP) $(BUILD)/tasks-api
	@LAMBDA_ZIP=$(LAMBDA_ZIP) node --test --test-reporter=dot tests/deploy/*.test.mjs
	@echo "package recipes: the ELF check, the container script and the deploy wrapper passed"

# The arm64 package, cross-compiled on an x86_64 machine, passes the same self-containment
# checks and contract suite, its bootstrap run by qemu-user-static inside the chroot.
package-test-arm64: $(BUILD)/tasks-api $(NODE_TEST_DEPS)
	@$(MAKE) --no-print-directory package ARCH=arm64
	@tests/lambda/chroot_test.sh $(BUILD)/lambda-arm64.zip $(BUILD)/tasks-api

# Benchmarks (not part of `make test`): results in bench/results/; BENCH_QUICK=1 is short.
# The Node.js + AWS SDK v3 peer's packages, pinned in its own lockfile.
BENCH_NODE_PEER := bench/node-peer/node_modules/.tapi-bench-deps
$(BENCH_NODE_PEER): bench/node-peer/package.json bench/node-peer/package-lock.json
	cd bench/node-peer && npm ci --no-audit --no-fund --ignore-scripts
	@touch $@

# The floor of the Lambda benchmark (bench/floor.c): plain sockets, the same exchanges.
$(BUILD)/floor: bench/floor.c
	@mkdir -p $(dir $@)
	@$(CC) $(WARN) -O2 -o $@ $<

bench: deps-test $(BUILD)/tasks-api $(LAMBDA_ZIP) $(BUILD)/floor $(NODE_TEST_DEPS) $(BENCH_NODE_PEER)
	@scripts/install-deps.sh bench
	@bench/run.sh

$(BUILD)/fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC fuzz $<"
	@$(FUZZ_CC) $(WARN) $(DEFS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -MMD -MP -c $< -o $@

# the DynamoDB response target includes dynamodb.c itself to reach its static parsers
$(BUILD)/fuzz/fuzz_dynamodb_response: $(BUILD)/fuzz/obj/tests/fuzz/fuzz_dynamodb_response.o \
        $(filter-out %/dynamodb.o,$(FUZZ_LIB_OBJ))
	@echo "  LD fuzz $@"
	@$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ $(PKG_LIBS) -lpthread -o $@

$(BUILD)/fuzz/fuzz_%: $(BUILD)/fuzz/obj/tests/fuzz/fuzz_%.o $(FUZZ_LIB_OBJ)
	@echo "  LD fuzz $@"
	@$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ $(PKG_LIBS) -lpthread -o $@

# `make fuzz`: each target FUZZ_SECONDS (default 60); `make test` runs fuzz-quick.
fuzz: $(FUZZ_BIN)
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

fuzz-quick: $(FUZZ_BIN)
	@tests/fuzz/run.sh 5 $(FUZZ_BIN)

# ThreadSanitizer over both stores' conformance suites (concurrent writers, parallel
# shard queries).
TSAN_FLAGS := -g -O1 -fsanitize=thread
$(BUILD)/tsan/test_%: tests/*/test_%.c $(CORE_SRC) $(STORE_SRC)
	@mkdir -p $(dir $@)
	@echo "  CC tsan $@"
	@$(CC) $(WARN) $(DEFS) $(TSAN_FLAGS) $(PKG_CFLAGS) $(filter %/test_$*.c,$^) $(CORE_SRC) $(STORE_SRC) \
	    $(PKG_LIBS) -lcmocka -lpthread -o $@

tsan: $(BUILD)/tsan/test_sqlite_store $(BUILD)/tsan/test_dynamodb_store $(NODE_TEST_DEPS)
	@TSAN_OPTIONS=halt_on_error=1 tests/run_unit.sh $(BUILD)/tsan/test_sqlite_store
	@TSAN_OPTIONS=halt_on_error=1 tests/dynamodb/run.sh $(BUILD)/tsan/test_dynamodb_store

# Hardening: kill -9 under write load, hostile clients, a 60 s soak, valgrind over 10,000
# bootstrap invocations and thousands of server requests. `make soak` is the 10-minute soak.
hardening: $(BUILD)/tasks-api $(BUILD)/bootstrap $(NODE_TEST_DEPS)
	@TASKS_API_BIN=$(BUILD)/tasks-api node --test --test-reporter=dot tests/hardening/crash_safety.test.mjs tests/hardening/hostile.test.mjs
	@echo "hardening: crash safety and hostile clients passed"
	@SOAK_SECONDS=60 node tests/hardening/soak.mjs $(BUILD)/tasks-api
	@node tests/hardening/valgrind.mjs $(BUILD)/bootstrap $(BUILD)/tasks-api

soak: $(BUILD)/tasks-api
	@scripts/install-deps.sh test
	@SOAK_SECONDS=600 node tests/hardening/soak.mjs $(BUILD)/tasks-api

clean:
	rm -rf $(BUILD)

-include $(shell find $(BUILD)/obj $(BUILD)/asan/obj $(STATIC_DIR)/obj $(BUILD)/fuzz/obj -name '*.d' 2>/dev/null)
