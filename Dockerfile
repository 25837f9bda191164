# The manager's and rpa-server's (with rpa-console) images: static binaries on distroless,
# running as non-root. `docker build .` builds the manager's,
# `docker build --target rpa-server .` rpa-server's. On machines without a
# Docker engine, hack/build-images builds the same images with
# go-containerregistry (see the local-cluster docs).
FROM golang:1.26.8-bookworm AS builder
ARG TARGETOS
ARG TARGETARCH
# VERSION is linked into the binaries, which log it when they start.
ARG VERSION=dev
WORKDIR /workspace
# Modules first, so that a source change does not re-download them.
COPY go.mod go.sum ./
RUN go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY controllers/ controllers/
COPY internal/ internal/
# One build writes the three binaries into the working directory.
RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w -X github.com/rpa-operator/rpa-operator/internal/buildinfo.Version=${VERSION}" \
    -o ./ ./cmd/manager ./cmd/rpa-server ./cmd/rpa-console

FROM gcr.io/distroless/static-debian12:nonroot AS rpa-server
WORKDIR /
COPY --from=builder /workspace/rpa-server /rpa-server
# The console runs from the same image (config/console: command /rpa-console).
COPY --from=builder /workspace/rpa-console /rpa-console
USER 65532:65532
ENTRYPOINT ["/rpa-server"]

FROM gcr.io/distroless/static-debian12:nonroot AS manager
WORKDIR /
COPY --from=builder /workspace/manager /manager
USER 65532:65532
ENTRYPOINT ["/manager"]
