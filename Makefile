SHELL := /bin/bash
JOBS ?= $(shell nproc)

COMPOSE_FILE ?= docker-compose-dev.yaml
COMPOSE := docker compose -f $(COMPOSE_FILE)
# One agency file per client service in the compose file.
COMPOSE_AGENCIES = $(shell grep -c '^  client[0-9]*:$$' $(COMPOSE_FILE))

.PHONY: setup setup-native setup-docker build check test format memcheck fuzz tidy bench profile run data clean \
	docker-image docker-compose-up docker-compose-down docker-compose-logs exercise-branches

# Installs every dependency from Debian's packages, Compose v2 included.
setup:
	bash scripts/install-deps.sh
# What the native tests and tools need; what the Docker targets need (the docker command
# itself is only checked, in one line).
setup-native:
	bash scripts/install-deps.sh build data host
setup-docker:
	bash scripts/install-deps.sh docker

# Compiles natively into bin/server and bin/client, first installing what compiling needs.
# scripts/install-programs.sh renames each program over the old one: one started from bin/
# goes on running its own file.
build:
	bash scripts/install-deps.sh build
	cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DTP0_BUILD_TESTS=OFF
	cmake --build build/release -j$(JOBS) --target server client
	bash scripts/install-programs.sh build/release

# The inner loop, in under three minutes: the unit and integration tests built as for
# `make test`, without the labels `docker`, `tools` and `slow` (the tests of tens of seconds
# each: the kill runs, the thousand agencies, the captures, the floods), then shellcheck over every script (scripts/shellcheck.sh) and the
# layout of every C++ file (scripts/format.sh --check).
check: setup-native
	cmake -S . -B build/test -DCMAKE_BUILD_TYPE=Debug -DTP0_SANITIZE=ON -DTP0_WARNINGS_AS_ERRORS=ON
	cmake --build build/test -j$(JOBS)
	ctest --test-dir build/test --output-on-failure -j$(JOBS) -LE 'docker|tools|slow'
	bash scripts/shellcheck.sh
	bash scripts/format.sh --check

# Lays out every C++ file with clang-format and .clang-format, in place.
format: setup-native
	bash scripts/format.sh

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
memcheck: setup-native
	bash scripts/memcheck.sh
fuzz: setup-native
	bash scripts/run-fuzzers.sh $(FUZZ_SECONDS)
tidy: setup-native
	bash scripts/run-clang-tidy.sh

# The benchmark, natively on loopback (no Docker): prints the table and writes
# docs/benchmark.txt and docs/benchmark.png. BENCH_FLAGS=--quick for a short try.
bench: setup-native
	bash scripts/bench.sh $(BENCH_FLAGS)

# Where the CPU goes in the benchmark's rounds (perf): writes docs/profile.txt.
profile: setup-native
	bash scripts/profile.sh

# Makes sure .data/ holds agency files 1 to AGENCIES (default 5), keeping those already
# there; missing ones come from .data/dataset.zip when it is there, else are generated.
AGENCIES ?= 5
data:
	bash scripts/install-deps.sh data
	bash scripts/prepare-data.sh $(AGENCIES)

# Builds server:latest and client:latest (and, once, the base images they start from).
docker-image: setup-docker
	bash docker/build-images.sh

# The data target, run for it, fills one agency file per client service.
docker-compose-up: AGENCIES = $(COMPOSE_AGENCIES)
docker-compose-up: docker-image data
	$(COMPOSE) up -d

# -v: the anonymous volume of the server's round goes with its container; no later `up`
# would use it (each starts a new round on a new volume, docs/docker.md).
docker-compose-down: setup-docker
	$(COMPOSE) stop -t 1
	$(COMPOSE) down -v

docker-compose-logs: setup-docker
	$(COMPOSE) logs -f

# Creates or refreshes the local branches ej1 ... ej8 from main, one commit each.
exercise-branches:
	bash docker/exercise-branches.sh

# Builds, and runs the server and one client per agency file on 127.0.0.1: no Docker.
run: build data
	bash scripts/run-local.sh

clean:
	rm -rf build bin
