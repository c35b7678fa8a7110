# The tickerlake image: one binary, every role (`tickerlake <role>`), with the
# web app embedded. It runs as user 65532 and writes only to its data dir, so
# Kubernetes can keep the root filesystem read-only (k8s/ mounts /tmp).
FROM node:20-bookworm AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json* web/.npmrc* ./
RUN if [ -f package.json ]; then npm ci; fi
COPY web/ ./
RUN if [ -f package.json ]; then npm run build; fi

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
COPY --from=web /src/web/dist ./web/dist
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w" -o /out/tickerlake ./cmd/tickerlake \
    && mkdir -p /out/data

FROM debian:bookworm-slim
# libstdc++ for DuckDB; tzdata for the New York market calendar.
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata libstdc++6 \
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/tickerlake /usr/local/bin/tickerlake
COPY --from=build --chown=65532:65532 /out/data /var/lib/tickerlake
USER 65532:65532
WORKDIR /var/lib/tickerlake
ENV TICKERLAKE_DATA_DIR=/var/lib/tickerlake HOME=/var/lib/tickerlake
EXPOSE 8006 9100
ENTRYPOINT ["tickerlake"]
CMD ["up", "--http-addr", ":8006", "--broker-addr", "0.0.0.0:9092"]
