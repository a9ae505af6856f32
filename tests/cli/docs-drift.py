#!/usr/bin/env python3
"""docs-drift: the man pages against the code (tests/cli/docs.sh runs it).

  options BIN MAN1   each command's options three ways: its getopt table
                     (hook/cmd/cmd_NAME.c), its `help NAME` text and its .SS
                     section of scs-image-hook(1) must name the same options.
                     The page may name more only where a comment line
                     `.\\" drift-pending: CMD --opt...` says they are coming.
  keys MAN5          every key a loader accepts (the tables handed to yc_keys
                     in hook/**/*.c) is a bold term of scs-image-hook.yaml(5);
                     the config's top-level keys in the page are ones the
                     loader accepts, or `.\\" drift-pending: KEY`.

Prints one line per finding and exits 1 when there is any. To extend: a new
command is found by its cmd_*.c file, a new key table by its yc_keys call;
a table this script cannot read is itself a finding, never skipped.
"""
import glob
import os
import re
import subprocess
import sys

HOOK = os.environ.get("HOOK_DIR") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "hook")
findings = []


def hook_files(pattern):
    """Files under hook/ (every layer's folder) whose name matches pattern.
    Finding none is a broken extraction, never a pass."""
    out = sorted(glob.glob(os.path.join(HOOK, "**", pattern), recursive=True))
    if not out:
        find("no hook/**/%s found under %s" % (pattern, HOOK))
    return out


def find(msg):
    findings.append(msg)
    print("drift: " + msg)


def strings(text):
    return re.findall(r'"((?:[^"\\]|\\.)*)"', text)


# ---- roff ---------------------------------------------------------------------------------------

def roff_args(rest):
    """A macro line's arguments, as troff splits them (double quotes group)."""
    args, cur, quoted, i = [], "", False, 0
    while i < len(rest):
        c = rest[i]
        if c == '"':
            if quoted and rest[i + 1:i + 2] == '"':
                cur += '"'
                i += 1
            else:
                quoted = not quoted
        elif c in " \t" and not quoted:
            if cur:
                args.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    if cur:
        args.append(cur)
    return args


def plain(s):
    s = re.sub(r"\\f[BIRP]", "", s)
    return s.replace("\\-", "-").replace("\\(em", "-").replace("\\&", "")


def bold_parts(line):
    """The bold text of one roff line (macros .B .BR .RB .BI .IB, \\fB...)."""
    out = []
    m = re.match(r"\.(B|BR|RB|BI|IB)(?:\s+(.*))?$", line)
    if m:
        args = roff_args(m.group(2) or "")
        first_bold = m.group(1) in ("B", "BR", "BI")
        for i, a in enumerate(args):
            if m.group(1) == "B" or (i % 2 == 0) == first_bold:
                out.append(plain(a))
    out += [plain(x) for x in re.findall(r"\\fB(.*?)\\f[RIP]", line)]
    return out


def pending(page, cmd=None):
    """Names a `.\\" drift-pending:` comment allows before the code has them."""
    out = set()
    for m in re.finditer(r'^\.\\" drift-pending: (.*)$', page, re.M):
        words = m.group(1).split()
        if cmd is None:
            out.update(words)
        elif words and words[0] == cmd:
            out.update(words[1:])
    return out


# ---- options ------------------------------------------------------------------------------------

def source_options(path):
    src = open(path).read()
    longs = set("--" + n for n in re.findall(r'\{\s*"([a-z][a-z0-9-]*)"\s*,\s*(?:no|required|optional)_argument', src))
    shorts = set()
    for spec in re.findall(r'getopt_long\([^,]+,[^,]+,\s*"([^"]*)"', src):
        shorts.update("-" + c for c in spec if c.isalnum())
    if not longs and "getopt" in src:
        find("%s: getopt is used but no option table was found" % path)
    return longs, shorts


def help_options(text):
    """Options a help text defines: its usage lines and its option lines."""
    longs, shorts = set(), set()
    text = re.sub(r"`[^`]*`", "", text)     # `proxy --check` names another command's option
    usage = True
    for line in text.splitlines():
        if not line.strip():
            usage = False
            continue
        if usage and (line.startswith("usage:") or line.startswith(" ")):
            longs.update(re.findall(r"--[a-z][a-z0-9-]*", line))
            continue
        m = re.match(r"\s+(?:(-[a-zA-Z]),\s+)?(--[a-z][a-z0-9-]*)", line)
        if m:
            longs.add(m.group(2))
            if m.group(1):
                shorts.add(m.group(1))
    return longs, shorts


def man_sections(page):
    sections, name = {}, None
    for line in page.splitlines():
        if line.startswith(".SH"):
            name = None
        elif line.startswith(".SS"):
            name = plain(" ".join(roff_args(line[3:]))).split()[0]
            sections[name] = []
        elif name:
            sections[name].append(line)
    return sections


def man_options(lines):
    """Options an .SS section defines: the tag line after each .TP."""
    longs, shorts = set(), set()
    for prev, line in zip(lines, lines[1:]):
        if prev.strip() != ".TP":
            continue
        tag = plain(" ".join(roff_args(re.sub(r"^\.\w+\s*", "", line))))
        longs.update(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", tag))
        shorts.update(re.findall(r"(?<![\w-])-[a-zA-Z](?![\w-])", tag))
    return longs, shorts


def check_options(binary, man1):
    page = open(man1).read()
    sections = man_sections(page)
    paths = {os.path.basename(p)[4:-2]: p for p in hook_files("cmd_*.c")}
    cmds = sorted(paths)
    main_help = subprocess.run([binary, "--help"], capture_output=True, text=True).stdout
    listed = re.findall(r"^  ([a-z]+) ", main_help.split("commands:", 1)[-1], re.M)
    for c in sorted(set(cmds) | set(listed)):
        if c not in sections:
            find("scs-image-hook(1) has no .SS section for the command '%s'" % c)
    for c in cmds:
        src_l, src_s = source_options(paths[c])
        h = subprocess.run([binary, "help", c], capture_output=True, text=True)
        if h.returncode != 0:
            find("`help %s` exits %d" % (c, h.returncode))
        help_l, help_s = help_options(h.stdout)
        man_l, man_s = man_options(sections.get(c, []))
        soon = pending(page, c)
        for o in sorted(src_l - help_l):
            find("%s %s: in the getopt table, not in `help %s`" % (c, o, c))
        for o in sorted(help_l - src_l):
            find("%s %s: in `help %s`, not in the getopt table" % (c, o, c))
        for o in sorted(src_s - help_s):
            find("%s %s: a short option not shown in `help %s`" % (c, o, c))
        for o in sorted((src_l | src_s) - (man_l | man_s)):
            find("%s %s: accepted, not in the man page's section '%s'" % (c, o, c))
        for o in sorted((man_l | man_s) - (src_l | src_s) - soon):
            find("%s %s: in the man page, not accepted by the command "
                 "(add `.\\\" drift-pending: %s %s` if it is coming)" % (c, o, c, o))
        for o in sorted(soon & (src_l | src_s)):
            print("note: %s %s is in the code now: drop it from drift-pending" % (c, o))
        print("%s: %d options agree (source, help, man)" % (c, len(src_l | src_s)))


# ---- config keys --------------------------------------------------------------------------------

def macros():
    """#define NAME "a", "b", ... of the headers: key lists such as POLICY_SERVICE_KEYS."""
    out = {}
    for h in hook_files("*.h"):
        text = open(h).read().replace("\\\n", " ")
        for name, body in re.findall(r"^#define\s+([A-Z_]+)\s+(\".*)$", text, re.M):
            if re.fullmatch(r'\s*"[^"]*"(\s*,\s*"[^"]*")*\s*', body):
                out[name] = strings(body)
    return out


def call_args(text, start):
    """The top-level arguments of the call whose '(' is at start."""
    depth, args, cur, i = 0, [], "", start
    while i < len(text):
        c = text[i]
        if c in "([{":
            depth += 1
            if depth > 1:
                cur += c
        elif c in ")]}":
            depth -= 1
            if depth == 0:
                args.append(cur.strip())
                return args
            cur += c
        elif c == "," and depth == 1:
            args.append(cur.strip())
            cur = ""
        elif c == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            cur += text[i:j + 1]
            i = j
        else:
            cur += c
        i += 1
    return args


def expand(body, defs):
    keys = []
    for tok in re.findall(r'"(?:[^"\\]|\\.)*"|[A-Z_]{4,}', body):
        if tok.startswith('"'):
            keys.append(tok[1:-1])
        elif tok in defs:
            keys.extend(defs[tok])
    return keys


def key_tables():
    """(file, line, what, keys) for every yc_keys call in hook/**/*.c."""
    defs, tables = macros(), []
    for path in hook_files("*.c"):
        text = open(path).read()
        for m in re.finditer(r"\byc_keys\s*\(", text):
            if re.match(r"int\s", text[max(0, m.start() - 4):m.start()]):
                continue                # the definition in yconf.c
            line = text.count("\n", 0, m.start()) + 1
            args = call_args(text, m.end() - 1)
            where = "%s:%d" % (os.path.relpath(path), line)
            if len(args) != 4:
                find("%s: yc_keys call not understood" % where)
                continue
            table, what = args[2], strings(args[3])
            if table.startswith("("):   # a compound literal (const char *const[]){ ... }
                body = table[table.index("{"):]
            elif re.fullmatch(r"[A-Za-z_]\w*", table):
                # the last definition of that array before the call
                defs_before = list(re.finditer(r"\b%s\s*\[\]\s*=\s*\{(.*?)\};" % table, text[:m.start()], re.S))
                if not defs_before:
                    find("%s: the key table '%s' was not found" % (where, table))
                    continue
                body = defs_before[-1].group(1)
            else:
                find("%s: key table '%s' not understood" % (where, table))
                continue
            keys = [k for k in expand(body, defs) if k]
            if not keys:
                find("%s: an empty key table" % where)
            tables.append((where, what[0] if what else "?", keys))
    return tables


def bold_terms(page):
    terms = set()
    for line in page.splitlines():
        for part in bold_parts(line):
            terms.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", part))
    return terms


def config_top_keys(page):
    """The keys of the OPERATOR CONFIG section outside .RS blocks."""
    keys, inside, depth, lines = set(), False, 0, page.splitlines()
    for prev, line in zip(lines, lines[1:]):
        if line.startswith(".SH"):
            inside = "OPERATOR CONFIG" in line
        if not inside:
            continue
        depth += line.startswith(".RS") - line.startswith(".RE")
        if prev.strip() == ".TP" and depth == 0:
            for part in bold_parts(line):
                keys.update(re.findall(r"[a-z_]+", part))
    return keys


def check_keys(man5):
    page = open(man5).read()
    terms = bold_terms(page)
    tables = key_tables()
    if len(tables) < 20:
        find("only %d key tables found in hook/**/*.c: the extraction is broken" % len(tables))
    n = 0
    for where, what, keys in tables:
        for k in keys:
            n += 1
            if k not in terms:
                find("%s: key '%s' of %s is not a bold term of scs-image-hook.yaml(5)" % (where, k, what))
    config = set()
    for where, what, keys in tables:
        if what == "the config":
            config.update(keys)
    if not config:
        find("the config's key table (yc_keys ... \"the config\") was not found")
    for k in sorted(config_top_keys(page) - config - pending(page)):
        find("scs-image-hook.yaml(5) documents the config key '%s', which the loader refuses" % k)
    for k in sorted(pending(page) & config):
        print("note: config key %s is in the code now: drop it from drift-pending" % k)
    print("keys: %d keys of %d tables are in the page" % (n, len(tables)))


if __name__ == "__main__":
    if sys.argv[1:2] == ["options"] and len(sys.argv) == 4:
        check_options(sys.argv[2], sys.argv[3])
    elif sys.argv[1:2] == ["keys"] and len(sys.argv) == 3:
        check_keys(sys.argv[2])
    else:
        sys.exit(__doc__)
    sys.exit(1 if findings else 0)
