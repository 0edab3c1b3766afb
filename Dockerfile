# syntax=docker/dockerfile:1
#
# One image for every compute target: on Lambda the Web Adapter extension in
# /opt/extensions turns invocations into HTTP requests to the server; on
# ECS/Fargate (or docker run) nothing starts the extension, so the server
# simply listens on $PORT.

# The build runs on the builder's own platform and cross-compiles, so an arm64
# image builds quickly on an x86_64 machine (no emulation).
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
# Module downloads get their own layer so code edits do not refetch them.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w" -o /out/shop ./cmd/shop \
 && mkdir -p /out/data

# distroless/static has CA certificates and tzdata but no shell: the binary is
# static, and the data directory is created in the build stage because the
# runtime image has no mkdir.
FROM gcr.io/distroless/static-debian12:nonroot
# Pinned: the adapter's environment variables and pass-through behaviour are
# part of the contract with the server (AWS_LWA_PASS_THROUGH_PATH=/events).
COPY --from=public.ecr.aws/awsguru/aws-lambda-adapter:0.9.1 /lambda-adapter /opt/extensions/lambda-adapter
COPY --from=build /out/shop /shop
# nonroot is uid/gid 65532 in distroless; embedded mode writes its bbolt files here.
COPY --from=build --chown=65532:65532 /out/data /data
ENV PORT=8080 \
    SHOP_DATA_DIR=/data \
    AWS_LWA_READINESS_CHECK_PATH=/readyz \
    AWS_LWA_PASS_THROUGH_PATH=/events
EXPOSE 8080
USER nonroot:nonroot
ENTRYPOINT ["/shop"]
