# syntax=docker/dockerfile:1
#
# Container images of the Jumpgate agent (a Jumpoint node or Jump Client run
# by the Kubernetes operator) and of the operator itself:
#
#   docker build --target agent    --build-arg VERSION=1.2.3 -t jumpgate-agent:1.2.3 .
#   docker build --target operator --build-arg VERSION=1.2.3 -t jumpgate-operator:1.2.3 .
#
# Both are static Go builds (CGO_ENABLED=0) with api.Version set to VERSION,
# on distroless/static, run as its nonroot user (65532). Multi-platform
# builds (docker buildx build --platform linux/amd64,linux/arm64) cross-compile
# on the build host. See docs/agent.md › Containers / Kubernetes.

ARG GO_VERSION=1.26

FROM --platform=$BUILDPLATFORM golang:${GO_VERSION} AS build
WORKDIR /src
ENV CGO_ENABLED=0
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .

FROM build AS build-agent
ARG VERSION=0.0.0-dev
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath \
      -ldflags "-s -w -X github.com/jumpgate/jumpgate/api.Version=${VERSION}" \
      -o /out/jumpgate-agent ./agent \
 && mkdir -p /out/state

FROM build AS build-operator
ARG VERSION=0.0.0-dev
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath \
      -ldflags "-s -w -X github.com/jumpgate/jumpgate/api.Version=${VERSION}" \
      -o /out/jumpgate-operator ./operator

# The agent: `run --dir DIR --key-info-file FILE` enrolls on first start from
# the key info in FILE (a mounted Secret) and runs in the foreground, logging
# to stderr; SIGTERM stops it.
FROM gcr.io/distroless/static-debian12:nonroot AS agent
COPY --from=build-agent /out/jumpgate-agent /jumpgate-agent
# The default --dir, owned by the agent's user; mount a volume here to keep
# the agent's identity across container restarts.
COPY --from=build-agent --chown=65532:65532 --chmod=0700 /out/state /var/lib/jumpgate-agent
USER 65532:65532
ENTRYPOINT ["/jumpgate-agent"]
CMD ["run", "--dir", "/var/lib/jumpgate-agent", "--key-info-file", "/etc/jumpgate-agent/key-info"]

FROM gcr.io/distroless/static-debian12:nonroot AS operator
COPY --from=build-operator /out/jumpgate-operator /jumpgate-operator
USER 65532:65532
ENTRYPOINT ["/jumpgate-operator"]
