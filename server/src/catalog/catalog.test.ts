import { describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { parseCatalogUrlSetting } from "./catalog-url.ts";
import { isAllowedBranch, isAllowedGitUrl, scrub } from "./fetch.ts";
import { indexCatalog } from "./index-catalog.ts";
import { parseExternalId } from "./stack-upgrades.ts";
import { compareVersions, satisfies } from "./versions.ts";

describe("catalog.url setting", () => {
  test("both of Rancher's shapes", () => {
    expect(
      parseCatalogUrlSetting(
        '{"catalogs":{"library":{"url":"https://a/b.git","branch":"v1"},"x":{"url":"file:///c"}}}',
      ),
    ).toEqual([
      { name: "library", url: "https://a/b.git", branch: "v1" },
      { name: "x", url: "file:///c", branch: "master" },
    ]);
    expect(parseCatalogUrlSetting("library=https://a/b.git,community=https://c/d.git")).toEqual([
      { name: "library", url: "https://a/b.git", branch: "master" },
      { name: "community", url: "https://c/d.git", branch: "master" },
    ]);
    expect(parseCatalogUrlSetting("")).toEqual([]);
  });
  test("garbage is refused whole", () => {
    for (const bad of ["{nope", '{"catalogs":[]}', '{"catalogs":{"a":{}}}', "justaurl"])
      expect(() => parseCatalogUrlSetting(bad)).toThrow(/catalog.url/);
  });
});

describe("versions", () => {
  test("order and ranges", () => {
    expect(compareVersions("1.10.0", "1.9.2")).toBeGreaterThan(0);
    expect(compareVersions("v1.6.30", "v1.6.9")).toBeGreaterThan(0);
    expect(compareVersions("2.0", "2.0.0")).toBe(0);
    expect(compareVersions("1.0.0-rancher1", "1.0.0")).toBeGreaterThan(0);
    expect(satisfies("1.5.0", ">=1.0.0 <2.0.0")).toBe(true);
    expect(satisfies("2.0.0", ">=1.0.0 <2.0.0")).toBe(false);
    expect(satisfies("0.9", "<1 || >=3")).toBe(true);
    expect(satisfies("1.2.3", "1.2.3")).toBe(true);
  });
  test("externalIds", () => {
    expect(parseExternalId("catalog://library:wordpress:3")).toEqual({
      catalog: "library",
      folder: "wordpress",
      revision: 3,
    });
    expect(parseExternalId("catalog://library:infra*ipsec:12")?.folder).toBe("infra*ipsec");
    for (const bad of ["catalog://library:wordpress", "catalog://a:b:c", "other://a:b:1", ""])
      expect(parseExternalId(bad)).toBeNull();
  });
});

describe("git URLs and messages", () => {
  test("only URL forms git should reach", () => {
    for (const ok of ["file:///x", "https://h/x.git", "ssh://git@h/x", "git://h/x", "git@github.com:o/r.git"])
      expect(isAllowedGitUrl(ok)).toBe(true);
    for (const bad of ["ext::sh -c id", "/etc", "-uhttps://x", "fd::3", "https://h/x y"])
      expect(isAllowedGitUrl(bad)).toBe(false);
    expect(isAllowedBranch("release/1.2")).toBe(true);
    for (const bad of ["--orphan", "a..b", "", "-x"]) expect(isAllowedBranch(bad)).toBe(false);
  });
  test("credentials are removed from messages", () => {
    expect(scrub("fatal: https://bob:pw123@h/x.git failed", { password: "pw123" })).toBe(
      "fatal: https://***@h/x.git failed",
    );
    expect(scrub("token hunter2 refused", { password: "hunter2" })).toBe("token *** refused");
    // An ssh login name stays (it is no secret); a password in an ssh URL does not; token-only
    // userinfo of http(s) is a secret.
    expect(scrub("ssh://git@h:22/x.git")).toBe("ssh://git@h:22/x.git");
    expect(scrub("ssh://git:pw@h/x.git")).toBe("ssh://***@h/x.git");
    expect(scrub("https://ghp_token123@h/x.git")).toBe("https://***@h/x.git");
    const key =
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAE\n-----END OPENSSH PRIVATE KEY-----\n";
    expect(scrub("key b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAE leaked", { sshKey: key })).toBe("key *** leaked");
  });
});

describe("index", () => {
  test("a broken template never hides the others", () => {
    const dir = mkdtempSync(join(tmpdir(), "catalog-index-"));
    const put = (path: string, text: string) => {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), text);
    };
    put("templates/good/config.yml", "name: Good\nversion: 2\ncategories: [A, B]\n");
    put("templates/good/0/docker-compose.yml", "version: '2'\nservices: {}\n");
    put("templates/good/1/docker-compose.yml.tpl", "version: '2'\n");
    put("templates/good/1/rancher-compose.yml", ".catalog:\n  version: 2\n  questions: []\n");
    put("templates/badyaml/config.yml", "a: [\n");
    put("templates/badrc/config.yml", "name: x\n");
    put("templates/badrc/0/docker-compose.yml", "version: '2'\n");
    put("templates/badrc/0/rancher-compose.yml", "catalog: {questions: 3}\n");
    put("infra-templates/net/config.yml", "name: net\n");
    put("infra-templates/net/5/docker-compose.yml", "version: '2'\n");
    const idx = indexCatalog(dir, "abc");
    const by = Object.fromEntries(idx.templates.map((t) => [`${t.base}/${t.folder}`, t]));
    expect(by["templates/good"]!.versions.map((v) => [v.revision, v.version])).toEqual([
      [0, "0"],
      [1, "2"],
    ]);
    expect(by["templates/good"]!.categories).toEqual(["A", "B"]);
    expect(by["templates/badyaml"]!.broken).toContain("config.yml");
    expect(by["templates/badrc"]!.broken).toContain("questions is not a list");
    expect(by["infra-templates/net"]!.versions[0]!.revision).toBe(5);
    rmSync(dir, { recursive: true, force: true });
  });
});
