#!/bin/sh
# Installs the dependencies a fresh Debian machine lacks: to build, libyaml,
# uthash, pkg-config, make and gcc; for `make check` and `make demo` also Check,
# valgrind, graphviz (dot), clang, python3 with python3-yaml and
# python3-jsonschema (the schema check). Uses apt-get when run as root;
# otherwise names the packages to install and fails.
#
#   install-deps.sh           install what is missing (make deps, check, demo)
#   install-deps.sh --check   only check what a plain build needs, install
#                             nothing (make, make install)
set -u
missing=""
need() { # need PACKAGE TEST-COMMAND...
    pkg=$1; shift
    "$@" >/dev/null 2>&1 || missing="$missing $pkg"
}
need pkg-config command -v pkg-config
need libyaml-dev test -f /usr/include/yaml.h
need uthash-dev test -f /usr/include/uthash.h
need make command -v make
need gcc command -v gcc
if [ "${1:-}" = --check ]; then
    [ -z "$missing" ] && exit 0
    echo "install-deps: missing packages to build libsymphony:$missing" >&2
    echo "install-deps: 'make deps' installs them (as root), or: apt-get install$missing" >&2
    exit 1
fi
need check test -f /usr/include/check.h
need valgrind command -v valgrind
need graphviz command -v dot
need python3 command -v python3
need python3-yaml python3 -c 'import yaml'
need python3-jsonschema python3 -c 'import jsonschema'
need clang command -v clang
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "install-deps: installing$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing && exit 0
    echo "install-deps: apt-get failed for:$missing" >&2
    exit 1
fi
echo "install-deps: missing packages:$missing" >&2
echo "install-deps: run as root: apt-get install$missing" >&2
exit 1
