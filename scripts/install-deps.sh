#!/usr/bin/env bash
# Installs what nas-sync needs to build and test, from Debian 12 packages.
set -euo pipefail
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  build-essential cmake ninja-build pkg-config sqlite3 \
  libsqlite3-dev libsqlitecpp-dev libboost1.74-dev libboost-filesystem1.74-dev \
  libfmt-dev libyaml-cpp-dev libcli11-dev nlohmann-json3-dev libssl-dev libxxhash-dev doctest-dev \
  nats-server libnats-dev \
  libsmbclient-dev samba smbclient libcpp-httplib-dev libsystemd-dev \
  clang libclang-rt-14-dev >/dev/null
