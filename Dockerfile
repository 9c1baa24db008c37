# pdx as an Airbyte source: linux/amd64 and linux/arm64.
#
# GoReleaser builds this image (dockers_v2 in .goreleaser.yaml) from the
# binaries it has already built: its build context holds one static binary per
# platform at <os>/<arch>/pdx, and buildx picks the one for TARGETPLATFORM.
# Nothing is compiled here. To build it by hand, see docs/install.md.
#
# Why alpine and not scratch or distroless-static: the Airbyte platform ignores
# ENTRYPOINT and runs `sh -c 'eval "$AIRBYTE_ENTRYPOINT check --config ..."'`,
# so the image needs a POSIX sh; alpine's base image also carries the CA bundle
# that pdx's HTTPS calls to Pipedrive need (busybox images have none). The
# binary is static (CGO_ENABLED=0), so the libc does not matter.
FROM alpine:3.22

ARG TARGETPLATFORM
ARG VERSION=dev

LABEL io.airbyte.name="ghcr.io/pdxhq/pdx" \
      io.airbyte.version="${VERSION}" \
      org.opencontainers.image.title="pdx" \
      org.opencontainers.image.description="Pipedrive CRM source for Airbyte, and the pdx CLI" \
      org.opencontainers.image.source="https://github.com/pdxhq/pdx" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.version="${VERSION}"

COPY ${TARGETPLATFORM}/pdx /usr/local/bin/pdx

# The platform runs "$AIRBYTE_ENTRYPOINT <command> <args>", so it must equal
# ENTRYPOINT below joined by spaces. HOME points at the one writable place
# besides /tmp, so nothing pdx or a library writes lands elsewhere.
ENV AIRBYTE_ENTRYPOINT="/usr/local/bin/pdx" \
    HOME=/airbyte

# Unprivileged, numeric so no passwd entry is needed. WORKDIR comes after USER
# on purpose: BuildKit (which buildx and GoReleaser use) creates a missing
# WORKDIR owned by the current user, so /airbyte is uid 1000's without a RUN
# step (a RUN would need CPU emulation to build the other architecture). The
# rest of the filesystem stays root's: uid 1000 can write only /airbyte and
# /tmp. The platform mounts /config or /source and sets the working dir itself.
USER 1000:1000
WORKDIR /airbyte

ENTRYPOINT ["/usr/local/bin/pdx"]
