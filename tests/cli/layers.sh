#!/usr/bin/env bash
# The layer check against trees that break it: scripts/layers and the
# Makefile pass the real tree and fail, naming what is wrong, on a copy
# with an upward call, an upward include, I/O in the core, a cycle, a
# source outside the layer folders, an empty layer, two sources of one
# basename, and a source that was not built. A check that finds nothing
# must fail, not pass.
SUITE=cli-layers
. "$(dirname "$0")/../lib.sh"
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
BUILD_DIR=$(dirname "$BIN")
LAYERS=$(make -s --no-print-directory print-LAYERS)

# A copy of what the check reads: the script, the sources, the objects.
tree() {
	rm -rf "$TMP/t" && mkdir -p "$TMP/t/scripts"
	cp scripts/layers "$TMP/t/scripts/"
	cp -r hook "$TMP/t/hook"
	cp -r "$BUILD_DIR" "$TMP/t/build"
	cp Makefile "$TMP/t/" && mkdir -p "$TMP/t/tests/fuzz" && cp tests/fuzz/fuzz.mk "$TMP/t/tests/fuzz/"
}
# obj LAYER NAME CODE: a source and its object in the copy.
obj() {
	printf '%s\n' "$3" >"$TMP/t/hook/$1/$2.c"
	cc -c -o "$TMP/t/build/$1/$2.o" "$TMP/t/hook/$1/$2.c"
}
layers() { run "$1" env BUILD="$TMP/t/build" LAYERS="$LAYERS" "$TMP/t/scripts/layers"; }
verdict() {     # verdict NAME STATUS TEXT: the check exits STATUS and says TEXT
	if layers "$2" && has "$3"; then pass "$1"; else fail "$1" "${LAST_ERR:-not said: $3}: $(tail -3 "$TMP/out")"; fi
}

tree
verdict "the real tree passes" 0 ", 0 problems"
check "it counts every source of every layer" \
	grep -qE "^layers: $(find hook -name '*.c' | wc -l) objects \\(core [0-9]+, io [0-9]+, cmd [0-9]+\\)" "$TMP/out"

tree; obj core zz_up 'void metrics_render(void); void zz_up(void) { metrics_render(); }'
verdict "an upward call (core uses io) is found" 1 "core/zz_up uses io/metrics, a higher layer: metrics_render"
tree; obj io zz_cmd 'int cmd_check(int, char **); int zz_cmd(void) { return cmd_check(0, 0); }'
verdict "an upward call (io uses cmd) is found" 1 "io/zz_cmd uses cmd/cmd_check, a higher layer"

tree; printf '#include "io/proxy.h"\n' >>"$TMP/t/hook/core/buf.h"
verdict "an upward include is found" 1 "hook/core/buf.h (core) includes io/proxy.h (io, higher)"

tree; obj core zz_io '#include <stdio.h>
int zz_io(void) { return fopen("/etc/passwd", "r") != 0; }'
verdict "I/O in the core is found" 1 "core object zz_io does I/O: fopen"

tree; obj core zz_a 'void zz_b(void); void zz_a(void) { zz_b(); }'; obj core zz_b 'void zz_a(void); void zz_b(void) { zz_a(); }'
verdict "a cycle is found" 1 "cycle: zz_a zz_b"

tree; printf 'int stray;\n' >"$TMP/t/hook/stray.c"
verdict "a source outside the layer folders is found" 1 "hook/stray.c is in no layer's folder"
tree; mkdir -p "$TMP/t/hook/extra" && printf 'int x;\n' >"$TMP/t/hook/extra/x.c"
verdict "a source in an unknown folder is found" 1 "hook/extra/x.c is in no layer's folder"
tree; rm "$TMP/t/hook/cmd/"*.c
verdict "an empty layer fails" 1 "hook/cmd/ has no sources"
tree; cp "$TMP/t/hook/core/buf.c" "$TMP/t/hook/io/buf.c"
verdict "two sources of one basename are found" 1 "two sources are named buf.c"
tree; printf 'int zz_new;\n' >"$TMP/t/hook/core/zz_new.c"
verdict "a source that was not built is found" 1 "build/core/zz_new.o is not built"
tree; rm -rf "$TMP/t/hook"/*
verdict "an empty hook/ fails" 1 "hook/core/ has no sources"

# The Makefile finds sources by the same folders and refuses the same trees.
tree; printf 'int stray;\n' >"$TMP/t/hook/stray.c"
expect "make refuses a source outside the layer folders" 2 env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u BUILD make -s --no-print-directory -C "$TMP/t" print-OBJ
check "make names it" has "hook/ has sources outside the layer folders" "$TMP/err"
tree; cp "$TMP/t/hook/core/buf.c" "$TMP/t/hook/io/buf.c"
expect "make refuses two sources of one basename" 2 env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u BUILD make -s --no-print-directory -C "$TMP/t" print-OBJ
check "make names it" has "two sources under hook/ share a basename" "$TMP/err"
tree; rm "$TMP/t/hook/io/"*.c
expect "make refuses an empty layer" 2 env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u BUILD make -s --no-print-directory -C "$TMP/t" print-OBJ
check "make names it" has "hook/io/ has no sources" "$TMP/err"
tree
expect "make lists every source as an object in its layer's folder" 0 env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS -u BUILD make -s --no-print-directory -C "$TMP/t" print-OBJ
check "make: as many objects as sources" test "$(wc -w <"$TMP/out")" -eq "$(find "$ROOT/hook" -name '*.c' | wc -l)"
check "make: objects sit in their layer's folder" grep -q 'build/core/policy.o.*build/io/proxy.o.*build/cmd/main.o' "$TMP/out"

finish
