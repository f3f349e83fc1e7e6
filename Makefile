SHELL := /bin/bash
JOBS ?= $(shell nproc)

.PHONY: setup build test run data clean

# Installs every dependency from Debian's packages.
setup:
	bash scripts/install-deps.sh

# Compiles natively into bin/server and bin/client.
build:
	cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release -DTP0_BUILD_TESTS=OFF
	cmake --build build/release -j$(JOBS) --target server client
	mkdir -p bin
	cp build/release/server/server build/release/client/client bin/

# Unit and integration tests, built with warnings as errors under AddressSanitizer and
# UndefinedBehaviorSanitizer, run by ctest.
test: setup
	cmake -S . -B build/test -DCMAKE_BUILD_TYPE=Debug -DTP0_SANITIZE=ON -DTP0_WARNINGS_AS_ERRORS=ON
	cmake --build build/test -j$(JOBS)
	ctest --test-dir build/test --output-on-failure -j$(JOBS)

# Fills .data/ with agency files (the course's when .data/dataset.zip is there).
data:
	bash scripts/prepare-data.sh

# Sets up, builds, and runs the server and one client per agency file on 127.0.0.1.
run: setup build data
	bash scripts/run-local.sh

clean:
	rm -rf build bin
