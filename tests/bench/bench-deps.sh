#!/bin/sh
# Installs what the engine benchmark's baselines need when a Debian machine
# lacks it: g++ (oneTBB is C++), libtbb-dev (oneTBB's flow graph) and
# libgomp (OpenMP tasks, with gcc -fopenmp). Uses apt-get when run as root;
# otherwise names the packages to install and fails.
set -u
CXX=${CXX:-g++}
OMPCC=${OMPCC:-gcc}
missing=""
need() { # need PACKAGE TEST-COMMAND...
    pkg=$1; shift
    "$@" >/dev/null 2>&1 || missing="$missing $pkg"
}
has_header() { # has_header COMPILER LANGUAGE HEADER [FLAGS...]
    cc=$1; lang=$2; header=$3; shift 3
    printf '#include <%s>\n' "$header" | "$cc" "$@" -x "$lang" -fsyntax-only -
}
has_lib() { # has_lib COMPILER FLAGS...: links an empty program with FLAGS
    cc=$1; shift
    tmp=$(mktemp) || return 1
    printf 'int main(void) { return 0; }\n' | "$cc" -x c - -o "$tmp" "$@"
    rc=$?
    rm -f "$tmp"
    return $rc
}
need g++ command -v "$CXX"
need gcc command -v "$OMPCC"
need libtbb-dev has_header "$CXX" c++ tbb/flow_graph.h
need libtbb-dev has_lib "$OMPCC" -ltbb
need libgomp1 has_header "$OMPCC" c omp.h -fopenmp
need libgomp1 has_lib "$OMPCC" -fopenmp
[ -z "$missing" ] && exit 0
# One name once, whichever checks failed.
missing=$(printf '%s\n' $missing | sort -u | tr '\n' ' ')
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bench-deps: installing $missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq --no-install-recommends $missing && exit 0
    echo "bench-deps: apt-get failed for: $missing" >&2
    exit 1
fi
echo "bench-deps: missing packages: $missing" >&2
echo "bench-deps: run as root: apt-get install $missing" >&2
exit 1
