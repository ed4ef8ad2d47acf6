# Builds the pathway binary and runs it on a slim Debian with curl for the healthcheck.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p pathway-server

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/target/release/pathway /usr/local/bin/pathway
USER 10001
EXPOSE 8080
ENTRYPOINT ["pathway"]
CMD ["serve"]
