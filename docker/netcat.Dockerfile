# A container with netcat, for validar-echo-server.sh to talk to the server from inside the
# compose network. Built by docker/build-images.sh. It runs as an unprivileged user, with no
# home and no name: netcat needs neither.
ARG DEBIAN_IMAGE=debian:bookworm-20250520-slim
FROM ${DEBIAN_IMAGE}
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends netcat-openbsd \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin
USER 10001:10001
