# syntax=docker/dockerfile:1
# Build stage: Swift 6.3 (the version the project builds and is tested with) + the headers of
# liboath (TOTP), libsecp256k1 and Botan 2 (wallet signatures, Keccak-256, RIPEMD-160).
FROM swift:6.3-noble AS build
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends liboath-dev libsecp256k1-dev libbotan-2-dev pkg-config \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product signaldesk --static-swift-stdlib \
 && mkdir /staging \
 && cp "$(swift build -c release --show-bin-path)/signaldesk" /staging/ \
 && cp -R "$(swift build -c release --show-bin-path)/SignalDesk_SignalDeskServer.resources" /staging/

# Run stage: only the binary, its resources and the shared libraries it links.
FROM ubuntu:noble
RUN apt-get update -qq \
 && apt-get install -y -qq --no-install-recommends liboath0t64 libsecp256k1-1 libbotan-2-19 ca-certificates tzdata libcurl4 libxml2 \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --create-home --home-dir /app --shell /usr/sbin/nologin signaldesk
WORKDIR /app
COPY --from=build --chown=signaldesk:signaldesk /staging /app
USER signaldesk:signaldesk
ENV LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=3s --retries=3 CMD ["/bin/sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /healthz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q '200' <&3"]
ENTRYPOINT ["./signaldesk"]
CMD ["serve", "--env", "production", "--hostname", "0.0.0.0", "--port", "8080"]
