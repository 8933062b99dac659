# agentstorm's container image: Debian bookworm, the agentstorm Debian package (CPack) and only
# the runtime libraries it declares, run as a non-root user.
#
#   docker build -t agentstorm .                 (or: podman build -t agentstorm .)
#   docker run --rm agentstorm run smoke
#   docker run --rm -p 4317:4317 -p 4318:4318 -p 16686:16686 agentstorm \
#     sink --grpc 0.0.0.0:4317 --http 0.0.0.0:4318 --query 0.0.0.0:16686
#
# `agentstorm sink` listens on 4317 (OTLP/gRPC), 4318 (OTLP/HTTP) and 16686 (query API: Jaeger
# API v3, /metrics, /healthz); it binds 127.0.0.1 unless told otherwise, so give 0.0.0.0 inside a
# container. The bundled scenarios are at /usr/share/agentstorm (found by the binary itself).

# The base of both stages. tests/e2e/image.sh passes one made here with debootstrap.
ARG BASE=debian:bookworm

# The package, built from these sources. A build context named `build` holding
# out/agentstorm_*.deb replaces this stage (`--build-context build=DIR`, BuildKit and podman
# alike): tests/e2e/image.sh gives the package it made with cpack, not compiling everything again.
FROM ${BASE} AS build
WORKDIR /src
COPY . .
RUN ci/setup --build \
 && rm -rf build \
 && AGENTSTORM_BUILD_TARGET=agentstorm ci/build \
 && cd build && cpack -G DEB -B /out && rm -rf /out/_CPack_Packages

FROM ${BASE}
COPY --from=build /out/ /tmp/agentstorm/
# apt resolves the package's declared runtime dependencies (dpkg-shlibdeps), nothing else.
RUN apt-get update \
 && apt-get install -y --no-install-recommends /tmp/agentstorm/agentstorm_*.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/agentstorm \
 && useradd --system --uid 10001 --user-group --create-home --home-dir /home/agentstorm agentstorm
USER agentstorm
WORKDIR /home/agentstorm
EXPOSE 4317 4318 16686
ENTRYPOINT ["agentstorm"]
CMD ["--help"]
