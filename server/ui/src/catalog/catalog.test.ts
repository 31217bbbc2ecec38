import { describe, expect, test } from "bun:test";
import type { VNode } from "preact";
import { ApiError } from "../api/client.ts";
import { answersToSend, initialAnswers } from "./answers.ts";
import { answerErrors, catalogFieldErrors, type Question } from "./api.ts";
import { renderMarkdown, safeHref } from "./markdown.tsx";

/** A rendered tree as compact text: `<tag>children</tag>`, attributes where they matter. */
function show(node: unknown): string {
  if (node === null || node === undefined || node === false) return "";
  if (typeof node === "string" || typeof node === "number") return String(node);
  if (Array.isArray(node)) return node.map(show).join("");
  const v = node as VNode<{ children?: unknown; href?: string }>;
  const href = v.props.href !== undefined ? ` href=${v.props.href}` : "";
  return `<${String(v.type)}${href}>${show(v.props.children)}</${String(v.type)}>`;
}

describe("the README renderer", () => {
  test("headings, paragraphs, lists, quotes, code, rules and inline marks", () => {
    const md =
      "# Title\n\nSome **bold** and *em* and `x < y`.\nSame paragraph.\n\n1. one\n2. two\n\n> quoted\n\n---\n\n    indented code\n\n```\nfenced\n```";
    expect(show(renderMarkdown(md))).toBe(
      "<h3>Title</h3><p>Some <strong>bold</strong> and <em>em</em> and <code>x < y</code>. Same paragraph.</p>" +
        "<ol><li>one</li><li>two</li></ol><blockquote><p>quoted</p></blockquote><hr></hr>" +
        "<pre><code>indented code</code></pre><pre><code>fenced</code></pre>",
    );
  });

  test("raw HTML stays text; only safe link targets become links; images become their alt text", () => {
    const out = show(
      renderMarkdown(
        '<b onclick="x()">hi</b>\n\n[a](javascript:alert(1)) [b](https://ok.invalid) [c](docs/x.md) ![pic](https://x.invalid/p.png)',
      ),
    );
    expect(out).toBe(
      '<p><b onclick="x()">hi</b></p><p>a <a href=https://ok.invalid>b</a> <a href=docs/x.md>c</a> pic</p>',
    );
    // The string above is the text of a <p>: Preact escapes it when it renders.
    const [para] = renderMarkdown("<script>alert(1)</script>");
    expect((para!.props as { children: unknown[] }).children).toEqual(["<script>alert(1)</script>"]);
  });

  test("link targets: http(s), mailto and relative only", () => {
    expect(safeHref("https://a.invalid")).toBe("https://a.invalid");
    expect(safeHref("mailto:x@a.invalid")).toBe("mailto:x@a.invalid");
    expect(safeHref("./README.md")).toBe("./README.md");
    for (const bad of [
      "javascript:alert(1)",
      " JavaScript:x",
      "data:text/html,x",
      "vbscript:x",
      "//evil.invalid",
    ])
      expect(safeHref(bad)).toBeNull();
  });

  test("odd input never loops or throws", () => {
    for (const md of ["", "\n\n", "#", "#######x", "```", "> ", "- ", "***", "[", "](", "`", "**"])
      expect(() => renderMarkdown(md)).not.toThrow();
  });
});

describe("the question form's answers", () => {
  const qs: Question[] = [
    { variable: "name", type: "string", required: true },
    { variable: "port", type: "int", required: false, default: "80" },
    { variable: "on", type: "boolean", required: false },
    { variable: "secret", type: "password", required: true, default: "ignored" },
  ];

  test("defaults first, kept answers over them on an upgrade, passwords never prefilled", () => {
    expect(initialAnswers(qs)).toEqual({ name: "", port: "80", on: "false", secret: "" });
    expect(initialAnswers(qs, { name: "kept", port: "81", secret: "no" })).toEqual({
      name: "kept",
      port: "81",
      on: "false",
      secret: "",
    });
  });

  test("an empty password is left out on an upgrade (the kept one stays), sent on a launch", () => {
    const a = { name: "x", port: "80", on: "true", secret: "" };
    expect(answersToSend(qs, a, true)).toEqual({ name: "x", port: "80", on: "true" });
    expect(answersToSend(qs, a, false)).toEqual({ ...a });
  });

  test("the server's per-question errors by variable; anything else ignored", () => {
    expect(
      answerErrors({ field: "answers", errors: [{ variable: "port", message: "too big" }, { bad: 1 }] }),
    ).toEqual({
      port: "too big",
    });
    expect(answerErrors(undefined)).toEqual({});
    expect(answerErrors({ errors: "no" })).toEqual({});
  });
});

describe("a refused catalog's field errors", () => {
  test("the input checker's issues and a named field; others are not the form's", () => {
    const issues = [
      { field: "url", message: "use a file:// URL" },
      { field: "url", message: "second" },
      { field: "kind", message: "not in the form" },
      { field: "branch", message: "not a branch name" },
      { field: "sshKey", message: "not an OpenSSH or PEM private key" },
    ];
    expect(catalogFieldErrors(new ApiError(422, "InvalidFormat", "url: ...", issues))).toEqual({
      url: "use a file:// URL",
      branch: "not a branch name",
      sshKey: "not an OpenSSH or PEM private key",
    });
    expect(
      catalogFieldErrors(new ApiError(409, "NotUnique", "a catalog named x exists", { field: "name" })),
    ).toEqual({ name: "a catalog named x exists" });
    expect(catalogFieldErrors(new ApiError(403, "PermissionDenied", "this needs an admin account"))).toEqual(
      {},
    );
    expect(catalogFieldErrors(new Error("offline"))).toEqual({});
  });
});
