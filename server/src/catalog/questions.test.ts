import { describe, expect, test } from "bun:test";
import { parseQuestions, questionDefaults, validateAnswers } from "./questions.ts";

const raw = [
  {
    variable: "NAME",
    label: "Name",
    type: "string",
    required: true,
    min_length: 2,
    max_length: 8,
    valid_chars: "a-z0-9-",
  },
  { variable: "PORT", type: "int", default: 80, min: 1, max: 65535 },
  { variable: "RATIO", type: "float", default: "0.5", min: 0, max: 1 },
  { variable: "DEBUG", type: "boolean", default: false },
  { variable: "MODE", type: "enum", options: ["single", "cluster"], default: "single" },
  { variable: "PASS", type: "password", required: "true", invalid_chars: "'\"" },
  { variable: "CONF", type: "multiline" },
  { variable: "DB", type: "service" },
  { variable: "CERT", type: "certificate" },
  { variable: "START", type: "date" },
  { variable: "NOTE" },
];
const ctx = { serviceNames: ["db/mysql", "web"], certificateNames: ["wildcard"] };

describe("parseQuestions", () => {
  test("reads every type, YAML scalars as strings, and type string by default", () => {
    const { questions, errors } = parseQuestions(raw);
    expect(errors).toEqual([]);
    expect(questions.map((q) => q.type as string)).toEqual([
      ...raw.slice(0, 10).map((q) => String(q.type)),
      "string",
    ]);
    expect(questions[1]).toMatchObject({ default: "80", min: 1, max: 65535, required: false });
    expect(questions[3]!.default).toBe("false");
    expect(questions[5]!.required).toBe(true);
  });

  test("a bad question is named and the rest still parse", () => {
    const { questions, errors } = parseQuestions([
      { variable: "A", type: "colour" },
      { variable: "B", type: "enum" },
      { type: "string" },
      "FOO",
      { variable: "C", valid_chars: "a]|.*[" },
      { variable: "C2", invalid_chars: "z-a" },
      { variable: "D", min_length: -1 },
      { variable: "E" },
      { variable: "E" },
    ]);
    expect(questions.map((q) => q.variable)).toEqual(["E"]);
    expect(errors).toEqual([
      "questions[0] (A).type: must be one of string, int, boolean, enum, password, multiline, service, certificate, date, float",
      "questions[1] (B).options: an enum question needs options",
      expect.stringMatching(/^questions\[2\]\.variable: /),
      expect.stringMatching(/^questions\[3\]: /),
      "questions[4] (C).valid_chars: must be the inside of a regular-expression character class, like a-z0-9_",
      "questions[5] (C2).invalid_chars: must be the inside of a regular-expression character class, like a-z0-9_",
      expect.stringMatching(/^questions\[6\] \(D\)\.min_length: /),
      "questions[8] (E): variable asked twice",
    ]);
  });

  test("no questions, and questions that are not a list", () => {
    expect(parseQuestions(undefined)).toEqual({ questions: [], errors: [] });
    expect(parseQuestions({ a: 1 }).errors).toEqual(["questions: must be a list"]);
  });
});

describe("validateAnswers", () => {
  const { questions } = parseQuestions(raw);
  const good = { NAME: "shop-1", PASS: "pw", DB: "db/mysql", CERT: "wildcard", START: "2017-06-30" };

  test("defaults fill unanswered questions and values become strings", () => {
    const r = validateAnswers(questions, { ...good, PORT: 8080, DEBUG: true, EXTRA: 3 }, ctx);
    expect(r.errors).toEqual([]);
    expect(r.values).toEqual({
      ...good,
      PORT: "8080",
      RATIO: "0.5",
      DEBUG: "true",
      MODE: "single",
      EXTRA: "3",
    });
  });

  const bad: [Record<string, unknown>, string, string][] = [
    [{ NAME: undefined }, "NAME", "Name (NAME) is required"],
    [{ NAME: "" }, "NAME", "Name (NAME) is required"],
    [{ PASS: null }, "PASS", "PASS is required"],
    [{ NAME: "x" }, "NAME", "Name (NAME) must be at least 2 characters long (is 1)"],
    [{ NAME: "abcdefghij" }, "NAME", "Name (NAME) must be at most 8 characters long (is 10)"],
    [{ NAME: "Shop_A" }, "NAME", 'Name (NAME) may only contain the characters a-z0-9-; found "S" "_" "A"'],
    [{ PASS: "it's" }, "PASS", 'PASS must not contain "\'"'],
    [{ PORT: "80a" }, "PORT", 'PORT must be a whole number, got "80a"'],
    [{ PORT: 1.5 }, "PORT", 'PORT must be a whole number, got "1.5"'],
    [{ PORT: 0 }, "PORT", "PORT must be at least 1, got 0"],
    [{ PORT: "70000" }, "PORT", "PORT must be at most 65535, got 70000"],
    [{ RATIO: "abc" }, "RATIO", 'RATIO must be a number, got "abc"'],
    [{ RATIO: 1.5 }, "RATIO", "RATIO must be at most 1, got 1.5"],
    [{ DEBUG: "yes" }, "DEBUG", 'DEBUG must be true or false, got "yes"'],
    [{ MODE: "multi" }, "MODE", 'MODE must be one of single, cluster; got "multi"'],
    [{ DB: "other" }, "DB", 'DB names no service of this environment: "other"'],
    [{ CERT: "nope" }, "CERT", 'CERT names no certificate of this environment: "nope"'],
    [{ START: "2017-02-30" }, "START", expect.stringContaining("must be a date") as unknown as string],
    [{ START: "yesterday" }, "START", expect.stringContaining("must be a date") as unknown as string],
    [{ CONF: { a: 1 } }, "CONF", "must be a string, a number or a boolean, not an object"],
    [{ OTHER: [1] }, "OTHER", "must be a string, a number or a boolean, not a list"],
  ];
  for (const [answers, variable, message] of bad)
    test(`${JSON.stringify(answers)} -> ${variable}`, () => {
      const r = validateAnswers(questions, { ...good, ...answers }, ctx);
      expect(r.errors).toEqual([{ variable, message }]);
      expect(r.values[variable]).toBeUndefined();
    });

  test("dates: ISO dates and RFC 3339 date-times", () => {
    for (const START of ["2017-06-30", "2017-06-30T12:00:00Z", "2017-06-30T12:00:00.5+02:00", "2016-02-29"])
      expect(validateAnswers(questions, { ...good, START }, ctx).errors).toEqual([]);
    for (const START of ["2017-6-30", "2017-06-30T25:00:00Z", "2017-13-01", "2017-02-29"])
      expect(validateAnswers(questions, { ...good, START }, ctx).errors).toHaveLength(1);
  });

  test("booleans are accepted in any case and given to templates lower-case", () => {
    expect(validateAnswers(questions, { ...good, DEBUG: "True" }, ctx).values.DEBUG).toBe("true");
  });

  test("every failing question is reported at once", () => {
    const r = validateAnswers(questions, { PORT: "x", MODE: "y" }, ctx);
    expect(r.errors.map((e) => e.variable)).toEqual(["NAME", "PORT", "MODE", "PASS"]);
  });
});

describe("questionDefaults", () => {
  test("any entry with a variable and a default counts", () => {
    expect(
      questionDefaults([...raw, { variable: "X", type: "weird", default: 1.5 }, "junk", { default: 1 }]),
    ).toEqual({
      PORT: "80",
      RATIO: "0.5",
      DEBUG: "false",
      MODE: "single",
      X: "1.5",
    });
    expect(questionDefaults(null)).toEqual({});
  });
});
