# libsymphony - build, test, install.
#
#   make            library (static + shared) and the symphony CLI; installs
#                   nothing (it names what is missing)
#   make deps       install missing dependencies (apt-get, as root)
#   make check      make deps, then every test, plain and under sanitizers
#                   and valgrind
#   make demo       make deps, then run the example workflow
#   make bench      benchmarks (figures beside their baselines)
#   make install    PREFIX, DESTDIR, LIBDIR, INCLUDEDIR, PKGCONFIGDIR honoured

VERSION      := 0.1.0
SOMAJOR      := 0
CC           ?= cc
BUILD        ?= build
CFLAGS       ?= -O2 -g
SANFLAGS     ?=
PREFIX       ?= /usr/local
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
BINDIR       ?= $(PREFIX)/bin
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

# build/deps.mk holds the flags pkg-config gives for libyaml and Check;
# make restarts after making it, so the flags below are real. A plain build
# only checks that what it needs is there; the goals that set a machine up
# (SETUP_GOALS) first install what is missing (tools/install-deps.sh).
DEPS_MK      := build/deps.mk
DEPS_DONE    := build/deps-installed
SETUP_GOALS  := deps check check-unit check-python check-clang check-asan check-tsan \
                check-valgrind demo bench bench-load bench-dataflow bench-engine fuzz
ifneq ($(filter $(SETUP_GOALS),$(MAKECMDGOALS)),)
$(DEPS_MK): $(DEPS_DONE)
endif
-include $(DEPS_MK)

WARN     := -Wall -Wextra -Wpedantic -Werror
BASE     := -std=c11 $(WARN) -D_POSIX_C_SOURCE=200809L -Iinclude $(YAML_CFLAGS) -pthread
LIBFLAGS := $(BASE) -DSYM_BUILDING_LIBRARY -fPIC -fvisibility=hidden $(SANFLAGS) $(CFLAGS)
APPFLAGS := $(BASE) $(SANFLAGS) $(CFLAGS)
LDLIBS   := $(YAML_LIBS) -pthread -lm

# lib/ is cut into folders whose calls run one way: common <- expr <- load
# <- engine. Each folder is compiled seeing its own headers and those of
# the folders below it, no others, so a call the wrong way does not build.
# Tests, benchmarks and fuzz targets see them all (INTERNAL); tools/ and
# examples/ see only include/symphony.h.
LIB_DIRS   := common expr load engine
INC_common := -Ilib/common
INC_expr   := $(INC_common) -Ilib/expr
INC_load   := $(INC_expr) -Ilib/load
INC_engine := $(INC_load) -Ilib/engine
INTERNAL   := $(INC_engine)
LIB_SRC  := $(sort $(wildcard $(LIB_DIRS:%=lib/%/*.c)))
LIB_HDR  := $(wildcard lib/*/*.h)
LIB_OBJ  := $(LIB_SRC:%.c=$(BUILD)/obj/%.o)
TOOL_SRC := $(sort $(wildcard tools/*.c))
TOOL_OBJ := $(TOOL_SRC:%.c=$(BUILD)/obj/%.o)
TEST_SRC := $(sort $(wildcard tests/test_*.c))
TEST_BIN := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_SUPPORT := $(filter-out tests/test_%.c,$(wildcard tests/*.c))
EXAMPLE_SRC  := $(sort $(wildcard examples/*.c))
EXAMPLE_BIN  := $(EXAMPLE_SRC:examples/%.c=$(BUILD)/examples/%)
PYTHON       ?= python3

STATIC   := $(BUILD)/libsymphony.a
SHARED   := $(BUILD)/libsymphony.so.$(VERSION)
CLI      := $(BUILD)/symphony
DEPS_OK  := $(DEPS_MK)

.PHONY: all deps check check-unit check-asan check-tsan check-valgrind check-clang clean \
        install uninstall demo bench bench-load bench-dataflow fuzz examples check-python

all: $(DEPS_OK) $(STATIC) $(SHARED) $(CLI)

$(DEPS_DONE): tools/install-deps.sh
	@sh tools/install-deps.sh
	@mkdir -p $(dir $@) && touch $@

$(DEPS_MK): tools/install-deps.sh
	@sh tools/install-deps.sh --check
	@mkdir -p $(dir $@)
	@{ echo "YAML_CFLAGS := $$(pkg-config --cflags yaml-0.1)"; \
	   echo "YAML_LIBS := $$(pkg-config --libs yaml-0.1)"; \
	   echo "CHECK_CFLAGS := $$(pkg-config --cflags check 2>/dev/null)"; \
	   echo "CHECK_LIBS := $$(pkg-config --libs check 2>/dev/null)"; } > $@

# Installs what a fresh Debian machine lacks (apt-get as root, otherwise a
# message naming the packages).
deps: $(DEPS_DONE)

$(BUILD)/obj/lib/%.o: lib/%.c $(LIB_HDR) include/symphony.h | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(LIBFLAGS) $(INC_$(firstword $(subst /, ,$*))) -c $< -o $@

$(BUILD)/obj/tools/%.o: tools/%.c $(wildcard tools/*.h) include/symphony.h | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(APPFLAGS) -c $< -o $@

$(STATIC): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(SHARED): $(LIB_OBJ)
	$(CC) -shared -Wl,-soname,libsymphony.so.$(SOMAJOR) $(SANFLAGS) -o $@ $^ $(LDLIBS)
	ln -sf libsymphony.so.$(VERSION) $(BUILD)/libsymphony.so.$(SOMAJOR)
	ln -sf libsymphony.so.$(SOMAJOR) $(BUILD)/libsymphony.so

# The tool is a user of the library like any other: the public header and
# the shared library, found next to it in the build and in ../lib once
# installed.
$(CLI): $(TOOL_OBJ) $(SHARED)
	$(CC) $(APPFLAGS) -o $@ $(TOOL_OBJ) -L$(BUILD) -lsymphony \
	    -Wl,-rpath,'$$ORIGIN' -Wl,-rpath,'$$ORIGIN/../lib' $(LDLIBS)

# Unit and end-to-end tests: one Check program per tests/test_*.c, linked
# statically so they can reach internal functions too.
$(BUILD)/tests/%: tests/%.c $(TEST_SUPPORT) $(wildcard tests/*.h) $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(APPFLAGS) $(INTERNAL) $(CHECK_CFLAGS) -DSYM_BUILD_DIR='"$(BUILD)"' -o $@ $< $(TEST_SUPPORT) \
	    $(STATIC) $(CHECK_LIBS) $(LDLIBS)

check-unit: all $(TEST_BIN)
	@set -e; for t in $(TEST_BIN); do \
	    echo "== $$t"; CK_DEFAULT_TIMEOUT=120 $(TEST_ENV) $$t; done

check-asan:
	$(MAKE) BUILD=build/asan CFLAGS="-O1 -g -DSYM_ASSERTS" \
	    SANFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	    TEST_ENV="CK_FORK=no" check-unit

check-tsan:
	$(MAKE) BUILD=build/tsan CFLAGS="-O1 -g -DSYM_ASSERTS" SANFLAGS="-fsanitize=thread" \
	    TEST_ENV="CK_FORK=no TSAN_OPTIONS=halt_on_error=1" check-unit

check-valgrind: all $(TEST_BIN)
	@set -e; for t in $(TEST_BIN); do \
	    echo "== valgrind $$t"; CK_FORK=no CK_DEFAULT_TIMEOUT=600 SYM_UNDER_VALGRIND=1 \
	    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
	        $$t; done

# The example hosts (examples/*.c), built as a user would: symphony.h and
# the library only.
examples: all $(EXAMPLE_BIN)

$(BUILD)/examples/%: examples/%.c include/symphony.h $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) -std=c11 $(WARN) -D_POSIX_C_SOURCE=200809L -Iinclude $(SANFLAGS) $(CFLAGS) -pthread \
	    -o $@ $< $(STATIC) $(LDLIBS)

# The Python binding's tests (against this build's shared library), every
# example run as a smoke test, and the JSON Schema against the corpus. Once,
# in the plain build: ctypes loads a plain libsymphony.so.
check-python: all examples
	cd bindings/python && SYMPHONY_LIBRARY=$(abspath $(BUILD))/libsymphony.so \
	    $(PYTHON) -m unittest discover -s tests -t tests
	PYTHON=$(PYTHON) sh tests/run_examples.sh $(BUILD)
	$(PYTHON) tests/schema/check_schema.py

# The same sources must build warning-free (-Werror) with clang too.
check-clang:
	$(MAKE) CC=clang BUILD=build/clang CFLAGS="-O2 -g -DSYM_ASSERTS" examples check-unit

check: check-unit check-python check-clang check-asan check-tsan check-valgrind
	@echo "make check: all suites passed"

# The demo: validate the example workflows and draw each one's task graph
# into $(BUILD)/demo/ (DOT, and SVG where Graphviz's `dot` is installed),
# then run examples/demo.yaml with the tool's built-in workers (exec tasks
# in parallel, a retry, a trigger: all_done step), writing its report and
# its trace into $(BUILD)/demo/ too.
demo: all
	$(CLI) validate -v examples/*.yaml
	@mkdir -p $(BUILD)/demo
	@set -e; for f in examples/*.yaml; do n=$$(basename $$f .yaml); \
	    $(CLI) graph $$f > $(BUILD)/demo/$$n.dot; \
	    if command -v dot >/dev/null 2>&1; then \
	        dot -Tsvg $(BUILD)/demo/$$n.dot -o $(BUILD)/demo/$$n.svg; \
	        echo "demo: $(BUILD)/demo/$$n.svg"; \
	    else echo "demo: $(BUILD)/demo/$$n.dot (install graphviz to draw it)"; fi; done
	$(CLI) run examples/demo.yaml --threads 4 \
	    --report $(BUILD)/demo/report.json --trace $(BUILD)/demo/trace.json
	@echo "demo: the run's report is $(BUILD)/demo/report.json; open $(BUILD)/demo/trace.json"
	@echo "      in https://ui.perfetto.dev or chrome://tracing to see its timeline"

# Benchmarks: not tests; each prints its figures beside its baseline.
# Further benchmarks add themselves as prerequisites of `bench`.
bench: bench-load
bench-load: all $(BUILD)/bench/bench_load
	$(BUILD)/bench/bench_load $(BENCH_ARGS)

$(BUILD)/bench/bench_load: tests/bench/bench_load.c tests/proc_status.h $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(APPFLAGS) $(INTERNAL) -o $@ $< $(STATIC) $(LDLIBS)

# Data flow: ns per `if` and templated input, and a templated 100,000-task
# workflow against the same without templates (BENCH_DATAFLOW_ARGS: TASKS
# REPETITIONS THREADS).
bench: bench-dataflow
bench-dataflow: all $(BUILD)/bench/bench_dataflow
	$(BUILD)/bench/bench_dataflow $(BENCH_DATAFLOW_ARGS)

$(BUILD)/bench/bench_dataflow: tests/bench/bench_dataflow.c $(STATIC)
	@mkdir -p $(dir $@)
	$(CC) $(APPFLAGS) $(INTERNAL) -o $@ $< $(STATIC) $(LDLIBS)

# The engine benchmark: ns per task on four graph shapes, libsymphony beside
# oneTBB's flow graph and OpenMP tasks (tests/bench/bench-deps.sh installs
# g++, libtbb-dev and libgomp when missing). BENCH_ENGINE_ARGS: see the
# options in tests/bench/bench_engine.c (e.g. --threads 1,2,16).
OMPCC        ?= gcc
BENCH_ENGINE := $(BUILD)/bench/bench_engine
BENCH_OBJ    := $(BUILD)/bench/obj/bench_engine.o $(BUILD)/bench/obj/baseline_tbb.o \
                $(BUILD)/bench/obj/baseline_omp.o
.PHONY: bench-engine
bench: bench-engine
bench-engine: all $(BENCH_ENGINE)
	$(BENCH_ENGINE) $(BENCH_ENGINE_ARGS)

$(BUILD)/bench/deps-ok: tests/bench/bench-deps.sh
	@CXX="$(CXX)" OMPCC="$(OMPCC)" sh tests/bench/bench-deps.sh
	@mkdir -p $(dir $@) && touch $@

$(BUILD)/bench/obj/%.o: tests/bench/%.c tests/bench/bench_graph.h include/symphony.h \
                        $(LIB_HDR) | $(BUILD)/bench/deps-ok $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(CC) $(APPFLAGS) $(INTERNAL) -c $< -o $@

$(BUILD)/bench/obj/baseline_omp.o: tests/bench/baseline_omp.c tests/bench/bench_graph.h \
                                   | $(BUILD)/bench/deps-ok
	@mkdir -p $(dir $@)
	$(OMPCC) $(APPFLAGS) -fopenmp -c $< -o $@

$(BUILD)/bench/obj/baseline_tbb.o: tests/bench/baseline_tbb.cpp tests/bench/bench_graph.h \
                                   | $(BUILD)/bench/deps-ok
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 $(WARN) $(SANFLAGS) $(CFLAGS) -pthread -c $< -o $@

$(BENCH_ENGINE): $(BENCH_OBJ) $(STATIC)
	$(CXX) $(SANFLAGS) -o $@ $(BENCH_OBJ) $(STATIC) -ltbb -fopenmp $(LDLIBS)

# The loader's fuzz target (clang's libFuzzer with ASan+UBSan), run for
# FUZZ_SECONDS from the seeds and the corpora; new inputs go to
# build/fuzz/corpus, crashes to build/fuzz/crash-*. FUZZ_FLAGS adds compile flags
# (-DFUZZ_IGNORE_CONTRACT: report only memory errors and hangs).
FUZZ_SECONDS ?= 60
FUZZ_CC      ?= clang
FUZZ_MAX_LEN ?= 16384
FUZZ_BIN     := build/fuzz/fuzz_load
$(FUZZ_BIN): tests/fuzz/fuzz_load.c $(LIB_SRC) $(LIB_HDR) include/symphony.h | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(BASE) $(INTERNAL) -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_load.c $(LIB_SRC) $(LDLIBS)

# The expression language's fuzz target (tests/fuzz/fuzz_expr.c); its seeds
# are replayed by tests/test_expr.c in every `make check` build. (Defined
# before the fuzz rule: prerequisites are expanded where the rule stands.)
FUZZ_EXPR_BIN := build/fuzz/fuzz_expr
$(FUZZ_EXPR_BIN): tests/fuzz/fuzz_expr.c $(LIB_SRC) $(LIB_HDR) include/symphony.h | $(DEPS_OK)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(BASE) $(INTERNAL) -O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_expr.c $(LIB_SRC) $(LDLIBS)

fuzz: $(FUZZ_BIN) $(FUZZ_EXPR_BIN)
	@mkdir -p build/fuzz/corpus build/fuzz/expr-corpus
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=$(FUZZ_MAX_LEN) -timeout=10 \
	    -rss_limit_mb=2048 -dict=tests/fuzz/workflow.dict -artifact_prefix=build/fuzz/ \
	    build/fuzz/corpus tests/fuzz/seeds tests/data/valid tests/data/invalid
	$(FUZZ_EXPR_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -timeout=10 \
	    -rss_limit_mb=2048 -artifact_prefix=build/fuzz/expr- \
	    build/fuzz/expr-corpus tests/fuzz/expr_seeds


clean:
	rm -rf build

install: all
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 644 include/symphony.h $(DESTDIR)$(INCLUDEDIR)/symphony.h
	install -m 644 $(STATIC) $(DESTDIR)$(LIBDIR)/libsymphony.a
	install -m 755 $(SHARED) $(DESTDIR)$(LIBDIR)/libsymphony.so.$(VERSION)
	ln -sf libsymphony.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libsymphony.so.$(SOMAJOR)
	ln -sf libsymphony.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/libsymphony.so
	install -m 755 $(CLI) $(DESTDIR)$(BINDIR)/symphony
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    pkgconfig/symphony.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/symphony.pc

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/symphony.h $(DESTDIR)$(LIBDIR)/libsymphony.a \
	    $(DESTDIR)$(LIBDIR)/libsymphony.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libsymphony.so.$(SOMAJOR) \
	    $(DESTDIR)$(LIBDIR)/libsymphony.so $(DESTDIR)$(BINDIR)/symphony \
	    $(DESTDIR)$(PKGCONFIGDIR)/symphony.pc
