SHELL := /bin/bash
JOBS ?= $(shell nproc)

COMPOSE_FILE ?= docker-compose-dev.yaml
COMPOSE := bash docker/compose.sh -f $(COMPOSE_FILE)
# One agency file per client service in the compose file.
COMPOSE_AGENCIES = $(shell grep -c '^  client[0-9]*:$$' $(COMPOSE_FILE))

.PHONY: setup build check test memcheck fuzz tidy bench profile run data clean docker-image docker-compose-up \
	docker-compose-down docker-compose-logs exercise-branches

# Installs every dependency from Debian's packages.
setup:
	bash scripts/install-deps.sh

# Compiles natively into bin/server and bin/client, first installing what compiling needs.
build:
	bash scripts/install-deps.sh build
	cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DTP0_BUILD_TESTS=OFF
	cmake --build build/release -j$(JOBS) --target server client
	mkdir -p bin
	cp build/release/server/server build/release/client/client bin/

# The inner loop, in about two minutes: the unit and integration tests built as for
# `make test`, without the labels `docker`, `tools` and `slow` (the full kill runs, whose
# short runs stay in), then shellcheck over the scripts when scripts/shellcheck.sh is there.
check: setup
	cmake -S . -B build/test -DCMAKE_BUILD_TYPE=Debug -DTP0_SANITIZE=ON -DTP0_WARNINGS_AS_ERRORS=ON
	cmake --build build/test -j$(JOBS)
	ctest --test-dir build/test --output-on-failure -j$(JOBS) -LE 'docker|tools|slow'
	if [ -f scripts/shellcheck.sh ]; then bash scripts/shellcheck.sh; fi

# Everything CI runs, in one ctest run: unit, integration and Docker tests built with
# warnings as errors under AddressSanitizer and UndefinedBehaviorSanitizer, then the
# tools (a lottery round under valgrind, each fuzzer for FUZZ_SECONDS, clang-tidy).
FUZZ_SECONDS ?= 30
test: setup
	cmake -S . -B build/test -DCMAKE_BUILD_TYPE=Debug -DTP0_SANITIZE=ON -DTP0_WARNINGS_AS_ERRORS=ON \
	  -DTP0_FUZZ_SECONDS=$(FUZZ_SECONDS)
	cmake --build build/test -j$(JOBS)
	ctest --test-dir build/test --output-on-failure -j$(JOBS)

# The tools on their own (each is also a ctest test, label `tools`).
memcheck: setup
	bash scripts/memcheck.sh
fuzz: setup
	bash scripts/run-fuzzers.sh $(FUZZ_SECONDS)
tidy: setup
	bash scripts/run-clang-tidy.sh

# The benchmark, natively on loopback (no Docker): prints the table and writes
# docs/benchmark.txt and docs/benchmark.png. BENCH_FLAGS=--quick for a short try.
bench: setup
	bash scripts/bench.sh $(BENCH_FLAGS)

# Where the CPU goes in the benchmark's rounds (perf): writes docs/profile.txt.
profile: setup
	bash scripts/profile.sh

# Makes sure .data/ holds agency files 1 to AGENCIES (default 5), keeping those already
# there; missing ones come from .data/dataset.zip when it is there, else are generated.
AGENCIES ?= 5
data:
	bash scripts/prepare-data.sh $(AGENCIES)

# Builds server:latest and client:latest (and, once, the base images they start from).
docker-image:
	bash docker/build-images.sh

docker-compose-up: docker-image
	bash scripts/prepare-data.sh $(COMPOSE_AGENCIES)
	$(COMPOSE) up -d

docker-compose-down:
	$(COMPOSE) stop -t 1
	$(COMPOSE) down

docker-compose-logs:
	$(COMPOSE) logs -f

# Creates or refreshes the local branches ej1 ... ej8 from main, one commit each.
exercise-branches:
	bash docker/exercise-branches.sh

# Sets up, builds, and runs the server and one client per agency file on 127.0.0.1.
run: setup build data
	bash scripts/run-local.sh

clean:
	rm -rf build bin
