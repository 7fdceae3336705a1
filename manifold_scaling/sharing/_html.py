"""The HTML renderer: a self-contained ``report.html`` (CSS inline, figures as PNG data
URIs)."""

from __future__ import annotations

import base64
import html

from ._model import _Section, _Table

_CSS = """
body{font-family:-apple-system,"Segoe UI",Helvetica,Arial,sans-serif;color:#1b1f24;
 background:#fff;margin:0;padding:24px 32px;line-height:1.45;font-size:15px}
main{max-width:1140px;margin:0 auto}
h1{font-size:26px;border-bottom:2px solid #d0d7de;padding-bottom:6px}
h2{font-size:20px;margin-top:30px;border-bottom:1px solid #d0d7de;padding-bottom:4px}
table{border-collapse:collapse;margin:10px 0 16px;font-size:13px}
th,td{border:1px solid #d0d7de;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f3f6}
td.n{white-space:nowrap}
tr:nth-child(even) td{background:#f8fafc}
pre{background:#f6f8fa;border:1px solid #d0d7de;padding:8px;overflow-x:auto;font-size:12px}
details{margin:6px 0 12px}
summary{cursor:pointer;color:#0b5cad}
.figures{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start}
figure{margin:8px 0 14px;flex:1 1 460px;max-width:560px}
figure img{width:100%;height:auto;border:1px solid #d0d7de}
figcaption{font-size:13px;color:#57606a}
.missing{color:#9a3412}
"""


def _inline(text: str) -> str:
    """Escaped text, with the markdown this module writes (**bold**, `code`) as HTML."""
    out = html.escape(text)
    parts = out.split("**")
    out = "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(parts))
    parts = out.split("`")
    if len(parts) % 2:  # balanced backticks only
        out = "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))
    return out


def _td(text: str) -> str:
    cls = ' class="n"' if len(text) <= 24 else ""  # short cells do not wrap
    return f"<td{cls}>{html.escape(text)}</td>"


def _html_table(t: _Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in t.header)
    body = "".join("<tr>" + "".join(_td(c) for c in row) + "</tr>" for row in t.rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _render_html(title: str, sections: list[_Section]) -> str:
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{_CSS}</style></head><body><main>",
        f"<h1>{html.escape(title)}</h1>",
    ]
    for s in sections:
        out.append(f"<section><h{s.level}>{html.escape(s.title)}</h{s.level}>")
        in_figures = False
        for b in s.blocks:
            if (b.kind == "figure" and b.path is not None) != in_figures:
                in_figures = not in_figures
                out.append('<div class="figures">' if in_figures else "</div>")
            if b.kind == "p":
                out.append(f"<p>{_inline(b.text)}</p>")
            elif b.kind == "table":
                out.append(_html_table(b.table))
            elif b.kind == "pre":
                out.append(f"<pre>{html.escape(b.text)}</pre>")
            elif b.kind == "list":
                out.append("<ul>" + "".join(f"<li>{_inline(i)}</li>" for i in b.items) + "</ul>")
            elif b.kind == "details":
                inner = (
                    "<ul>" + "".join(f"<li>{html.escape(i)}</li>" for i in b.items) + "</ul>"
                    if b.items
                    else f"<pre>{html.escape(b.text)}</pre>"
                )
                out.append(f"<details><summary>{html.escape(b.title)}</summary>{inner}</details>")
            elif b.kind == "figure":
                if b.path is None:
                    out.append(
                        f'<p class="missing">{html.escape(b.title)}: {html.escape(b.text)} is '
                        "listed in summary.json but missing from the run folder.</p>"
                    )
                    continue
                data = base64.b64encode(b.path.read_bytes()).decode("ascii")
                out.append(
                    f'<figure><img alt="{html.escape(b.title)}" '
                    f'src="data:image/png;base64,{data}"><figcaption>{html.escape(b.title)} '
                    f"({html.escape(b.text)})</figcaption></figure>"
                )
        out.append("</div></section>" if in_figures else "</section>")
    out.append("</main></body></html>")
    return "\n".join(out) + "\n"
