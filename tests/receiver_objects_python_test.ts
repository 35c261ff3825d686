// Copyright 2026 the pylogging/socket-handler authors. MIT license.
// Interop: CPython's logging.handlers.SocketHandler sends records carrying
// pickled objects (datetime, Decimal, UUID, paths, enum members,
// collections, exceptions, dataclasses, loggers…) as extras and `%`
// arguments; every record arrives at LogReceiver, in order, none refused,
// and each value prints as the sending Python printed it (python3 always;
// 2.7 and 3.13 when installed).
import { deepEqual, equal, match, ok } from "node:assert/strict";
import { LogReceiver, PyObject, type ReceiverError } from "../receiver.ts";
import { formatJson, formatPython, Pretty } from "../receiver/format.ts";
import { pyRepr, pyStr } from "../text/python_text.ts";
import { type Python, pythons } from "./_py_receiver.ts";
import { runScript } from "./_python.ts";

const SENDER = new URL("./py/sender_objects.py", import.meta.url).pathname;
const { available } = pythons();
const chosen = available.filter((p) =>
  p.cmd === "python3" || p.label === "2.7" || p.label === "3.13"
);

/**
 * What the pickle cannot tell, and so prints differently (documented in
 * text/py_object_text.ts): the expected text for those kinds.
 */
function expected(kind: string, text: string, label: string): string {
  if (label === "2.7") text = text.replaceAll("<type '", "<class '");
  switch (kind) {
    case "enum":
      return "Color(1)";
    case "namedtuple":
      return "P(1, 2)";
    case "plain":
      return "Plain(a=1, b='x')";
    case "logger":
      return "<Logger app.db (level not sent)>";
    case "root_logger":
      return "<RootLogger root (level not sent)>";
    case "ordereddict": // Python < 3.12 lists the items
      return "OrderedDict({'a': 1, 'b': 2})";
    case "exception":
    case "exception1":
      // Python 2 writes a trailing comma for one argument; str is the same.
      return label === "2.7" ? text.replace(/,\)$/, ")") : text;
    case "range":
      return text.replace(/^xrange/, "range"); // Python 2 keeps its stop
    case "timedelta": // Python 2's repr has no keywords
      return label === "2.7" && text.startsWith("datetime.")
        ? "datetime.timedelta(days=1, seconds=2, microseconds=3)"
        : text;
    case "timedelta_neg":
      return label === "2.7" && text.startsWith("datetime.")
        ? "datetime.timedelta(days=-1, seconds=5)"
        : text;
  }
  return text;
}

async function send(py: Python, port: number): Promise<string[]> {
  const lines = await runScript(py, SENDER, ["127.0.0.1", `${port}`]);
  return lines.map((l) => JSON.parse(l).kind);
}

for (const py of chosen) {
  Deno.test(`LogReceiver receives CPython ${py.label} records carrying objects`, async () => {
    const errors: ReceiverError[] = [];
    await using receiver = new LogReceiver({
      port: 0,
      onError: (e) => errors.push(e),
    });
    const kinds = await send(py, receiver.port);
    ok(kinds.length >= 20, `${kinds.length} records`);
    const records = await receiver.next(kinds.length, { timeout: 10_000 });
    deepEqual(records.map((r) => r.extra.kind), kinds);
    deepEqual(errors, []);
    const stats = receiver.stats();
    equal(stats.framesRefused, 0);
    equal(stats.invalidRecords, 0);
    equal(stats.connectionsTotal, 1);
    const pretty = new Pretty(false);
    for (const r of records) {
      deepEqual(r.problems, [], `${r.extra.kind}`);
      const kind = r.extra.kind as string;
      const value = r.extra.value;
      if (value === undefined) continue;
      ok(value instanceof PyObject, kind);
      const wantRepr = expected(kind, r.extra.expect_repr as string, py.label);
      const wantStr = expected(kind, r.extra.expect_str as string, py.label);
      const isText = wantStr === r.extra.expect_str;
      equal(pyRepr(value), wantRepr, `repr of ${kind}`);
      equal(pyStr(value), wantStr, `str of ${kind}`);
      // The message was rendered by Python itself.
      equal(r.getMessage(), `value ${r.extra.expect_str}`);
      // %(value)s, pretty and JSON show the same text.
      equal(formatPython("%(value)s", r), wantStr);
      ok(pretty.format(r).includes(`value=${wantRepr}`), kind);
      const json = JSON.parse(formatJson(r));
      deepEqual(json.value, {
        $object: value.qualname,
        repr: wantRepr,
        str: wantStr,
      });
      if (isText && kind !== "plain") ok(value.kind !== "global", kind);
    }
    const byKind = new Map(records.map((r) => [r.extra.kind, r]));
    const dt = byKind.get("datetime")!.extra.value as PyObject;
    equal(dt.kind, "datetime");
    deepEqual(dt.value, {
      year: 2024,
      month: 1,
      day: 2,
      hour: 3,
      minute: 4,
      second: 5,
      microsecond: 0,
      fold: 0,
      tzinfo: null,
    });
    equal((byKind.get("decimal")!.extra.value as PyObject).value, "1.10");
    const exc = byKind.get("exc_info")!;
    equal(exc.getMessage(), "failed 2");
    match(exc.exc_text ?? "", /ZeroDivisionError/);
    equal(pyRepr(exc.extra.when), "datetime.date(2024, 1, 2)");
    const adapter = byKind.get("adapter")!;
    equal(adapter.getMessage(), "adapted");
    equal(pyStr(adapter.extra.when), "2024-01-03");
    if (py.label !== "2.7") {
      match(byKind.get("stack_info")!.stack_info ?? "", /^Stack \(most/);
      const withLogger = byKind.get("logger_extra")!;
      const logger = withLogger.extra.logger as PyObject;
      equal(logger.kind, "logger");
      equal(logger.value, "app");
      equal(withLogger.getMessage(), "with logger");
    }
  });
}
