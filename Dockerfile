# syntax=docker/dockerfile:1
#
# housecall: one static binary, one image. The same image runs every role;
# the command picks it (see docker-compose.yml):
#   housecall migrate | housecall worker | housecall api
#
# Build:  docker build -t housecall:local .

# ---- build stage -----------------------------------------------------------
FROM golang:1.26 AS build

WORKDIR /src

# Dependencies first, so source edits do not invalidate the module layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download

COPY . .

# Static, reproducible binary: no cgo, no local paths baked in.
ENV CGO_ENABLED=0
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w" -o /out/housecall ./cmd/housecall

# ---- runtime stage ---------------------------------------------------------
# debian-slim rather than distroless so that the compose healthcheck can use
# curl against /healthz; nothing else is added.
FROM debian:trixie-slim

RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl tzdata \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 housecall \
 && useradd --system --uid 10001 --gid housecall --home-dir /nonexistent \
        --no-create-home --shell /usr/sbin/nologin housecall

COPY --from=build /out/housecall /usr/local/bin/housecall

# Numeric uid:gid so runtimes that check "runAsNonRoot" can verify it.
USER 10001:10001
WORKDIR /tmp

EXPOSE 8080
ENTRYPOINT ["housecall"]
CMD ["api"]
