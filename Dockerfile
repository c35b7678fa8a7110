# The tickerlake image: one binary, every role (`tickerlake <role>`).
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
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w" -o /out/tickerlake ./cmd/tickerlake

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /var/lib/tickerlake tickerlake \
    && mkdir -p /var/lib/tickerlake && chown tickerlake /var/lib/tickerlake
COPY --from=build /out/tickerlake /usr/local/bin/tickerlake
USER tickerlake
WORKDIR /var/lib/tickerlake
EXPOSE 8006
ENTRYPOINT ["tickerlake"]
CMD ["up", "--http-addr", ":8006", "--broker-addr", "0.0.0.0:9092"]
