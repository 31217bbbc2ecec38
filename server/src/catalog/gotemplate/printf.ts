import { formatFloat, formatValue, goQuote, isMap, sortedKeys, typeName } from "./values.ts";

/** Go's fmt.Sprintf for the verbs templates use: %v %s %d %q %t %f %e %g %x %X %c %%, flags and width. */
export function sprintf(format: string, args: unknown[]): string {
  let out = "";
  let argi = 0;
  const re = /%([-+# 0]*)(\*|\d+)?(?:\.(\*|\d*))?(.)?/gy;
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf("%", i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    re.lastIndex = pct;
    const m = re.exec(format)!;
    i = re.lastIndex;
    const [, flags = "", w, p, verb] = m;
    if (verb === undefined) {
      out += "%!(NOVERB)";
      break;
    }
    if (verb === "%") {
      out += "%";
      continue;
    }
    const star = (s: string | undefined) => (s === "*" ? Number(args[argi++]) : s ? Number(s) : undefined);
    const width = star(w);
    const prec = p === undefined ? undefined : (star(p) ?? 0);
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const body = formatOne(verb, args[argi++], flags, prec);
    out += pad(body, width, flags, verb);
  }
  if (argi < args.length)
    out += `%!(EXTRA ${args
      .slice(argi)
      .map((a) => `${typeName(a)}=${formatValue(a)}`)
      .join(", ")})`;
  return out;
}

function pad(s: string, width: number | undefined, flags: string, verb: string): string {
  if (width === undefined || s.length >= width) return s;
  if (flags.includes("-")) return s.padEnd(width);
  if (flags.includes("0") && "dfegxX".includes(verb)) {
    const sign = /^[+-]/.test(s) ? s[0]! : "";
    return sign + s.slice(sign.length).padStart(width - sign.length, "0");
  }
  return s.padStart(width);
}

const bad = (verb: string, v: unknown) => `%!${verb}(${typeName(v)}=${formatValue(v)})`;

function formatOne(verb: string, v: unknown, flags: string, prec: number | undefined): string {
  const isInt = typeof v === "number" && Number.isInteger(v);
  const sign = (n: number, s: string) => (flags.includes("+") && n >= 0 ? `+${s}` : s);
  switch (verb) {
    case "v":
      if (typeof v === "number" && prec !== undefined) return sign(v, v.toFixed(prec));
      return typeof v === "number" ? sign(v, formatValue(v)) : formatValue(v);
    case "s":
      if (typeof v === "string") return prec === undefined ? v : [...v].slice(0, prec).join("");
      if (Array.isArray(v)) return `[${v.map((x) => formatOne("s", x, flags, prec)).join(" ")}]`;
      if (isMap(v))
        return `map[${sortedKeys(v)
          .map((k) => `${k}:${formatOne("s", v[k], flags, prec)}`)
          .join(" ")}]`;
      return v === null || v === undefined ? "%!s(<nil>)" : bad("s", v);
    case "q":
      if (typeof v === "string") return goQuote(v);
      if (isInt) return `'${String.fromCodePoint(v as number)}'`;
      return bad("q", v);
    case "d":
      return isInt ? sign(v as number, String(v)) : bad("d", v);
    case "t":
      return typeof v === "boolean" ? String(v) : bad("t", v);
    case "c":
      return isInt ? String.fromCodePoint(v as number) : bad("c", v);
    case "x":
    case "X": {
      let s: string;
      if (isInt) s = (v as number).toString(16);
      else if (typeof v === "string") s = Buffer.from(v).toString("hex");
      else return bad(verb, v);
      if (flags.includes("#")) s = `0x${s}`;
      return verb === "X" ? s.toUpperCase() : s;
    }
    case "f":
    case "F":
    case "e":
    case "g":
      if (typeof v !== "number" || isInt) return bad(verb, v);
      if (verb === "e") return sign(v, v.toExponential(prec ?? 6).replace(/e([+-])(\d)$/, "e$10$2"));
      if (verb === "g")
        return sign(v, prec === undefined ? formatFloat(v) : String(Number(v.toPrecision(prec))));
      return sign(v, v.toFixed(prec ?? 6));
  }
  return bad(verb, v);
}
