#!/usr/bin/env python3
"""scripts/config_man.py DATE < docs/config.md > man/gatewayd.ini.5

gatewayd.ini(5) is docs/config.md in man(7) form, so the keys have one
description: the Markdown, which check_config_keys holds to the key table.
`make man` regenerates the page and fails when the checked-in one differs.

Handles what docs/config.md uses: headings (## .SH, ### .SS), paragraphs,
"- " lists (continued by indented lines), fenced code, tables (one .TP per
row), `code`, **bold**, *emphasis* and [text](link).
"""
import re
import sys


def inline(text):
    """Markdown inline markup to man(7) font escapes; roff specials escaped."""
    text = text.replace("\\", "\\e")
    text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)
    parts = re.split(r"(`[^`]*`)", text)
    out = []
    for p in parts:
        if p.startswith("`") and p.endswith("`") and len(p) >= 2:
            out.append("\\fB" + p[1:-1].replace("-", "\\-") + "\\fR")
        else:
            p = re.sub(r"\*\*([^*]+)\*\*", r"\\fB\1\\fR", p)
            p = re.sub(r"(?<![\w*])\*([^*\s][^*]*)\*(?!\w)", r"\\fI\1\\fR", p)
            out.append(p)
    return "".join(out)


def line_safe(text):
    """A text line roff would take as a request (starting . or ') is guarded."""
    return "\\&" + text if text[:1] in (".", "'") else text


def convert(lines, date):
    out = ['.TH GATEWAYD.INI 5 "%s" gatewayd "File Formats"' % date,
           ".SH NAME",
           "gatewayd.ini \\- gatewayd's configuration file",
           ".SH DESCRIPTION"]
    i, para = 0, []

    def paragraph():
        """.PP, unless a heading just started one."""
        if not out[-1].startswith((".SH", ".SS")):
            out.append(".PP")

    def flush():
        if para:
            paragraph()
            out.extend(line_safe(inline(p)) for p in para)
            para.clear()

    while i < len(lines):
        raw = lines[i].rstrip("\n")
        i += 1
        if raw.startswith("# "):
            continue
        if raw.startswith("```"):
            flush()
            paragraph()
            out += [".RS 4", ".nf"]
            while i < len(lines) and not lines[i].startswith("```"):
                out.append(line_safe(lines[i].rstrip("\n").replace("\\", "\\e")))
                i += 1
            i += 1
            out += [".fi", ".RE"]
        elif raw.startswith("## "):
            flush()
            out.append(".SH " + inline(raw[3:]).upper())
        elif raw.startswith("### "):
            flush()
            out.append(".SS " + inline(raw[4:]))
        elif raw.startswith("|"):
            flush()
            cells = [c.strip() for c in raw.strip("|").split("|")]
            if all(re.fullmatch(r":?-+:?", c) for c in cells):
                continue
            out += [".TP", line_safe(inline(cells[0])), line_safe(inline("; ".join(cells[1:])))]
        elif re.match(r"\s*- ", raw):
            flush()
            item = [raw.split("- ", 1)[1]]
            while i < len(lines) and lines[i].startswith("  ") and lines[i].strip() and \
                    not re.match(r"\s*- ", lines[i]):
                item.append(lines[i].strip())
                i += 1
            out += [".IP \\(bu 2"] + [line_safe(inline(t)) for t in item]
        elif not raw.strip():
            flush()
        else:
            para.append(raw.strip())
    flush()
    out += [".SH SEE ALSO", "gatewayd(8), gatewayctl(1)"]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(convert(sys.stdin.readlines(), sys.argv[1]))
