// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Test helper: a strict reader of RFC 6587 octet-counted frames and of
 * RFC 5424 messages, written from the RFCs' ABNF (not from the
 * formatter), so that a test can tell whether bytes are valid syslog and
 * read their fields back.
 *
 * - {@linkcode splitFrames}: `MSG-LEN SP SYSLOG-MSG`, MSG-LEN without a
 *   leading zero; the rest of the bytes (an incomplete frame) returned
 *   apart.
 * - {@linkcode parseSyslog}: HEADER SP STRUCTURED-DATA [SP MSG]: PRI
 *   0–191, VERSION 1, TIMESTAMP as in section 6.2.3 (or `-`), HOSTNAME
 *   1–255, APP-NAME 1–48, PROCID 1–128, MSGID 1–32 characters of
 *   PRINTUSASCII (or `-`), SD-ELEMENTs whose SD-ID and PARAM-NAMEs are
 *   1–32 characters of PRINTUSASCII without `=`, SP, `]`, `"`, and whose
 *   PARAM-VALUEs are valid UTF-8 in which `"`, `\` and `]` appear only
 *   escaped (and a backslash only escapes one of them). Throws on the
 *   first deviation.
 *
 * @module
 */

/** One parsed RFC 5424 message. */
export interface Syslog {
  pri: number;
  version: number;
  timestamp: string;
  hostname: string;
  appName: string;
  procId: string;
  msgId: string;
  /** The SD-ELEMENTs: SD-ID and the (unescaped) params, in order. */
  sd: { id: string; params: [string, string][] }[];
  /** The MSG bytes decoded as UTF-8 (undefined when absent). */
  msg: string | undefined;
  /** The MSG bytes. */
  msgBytes: Uint8Array | undefined;
}

const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Splits bytes into RFC 6587 octet-counted frames.
 *
 * @param bytes What was received.
 * @returns The messages' bytes and the bytes of an incomplete last frame.
 * @throws {Error} If the bytes are not such frames.
 */
export function splitFrames(
  bytes: Uint8Array,
): { frames: Uint8Array[]; rest: Uint8Array } {
  const frames: Uint8Array[] = [];
  let i = 0;
  while (i < bytes.length) {
    let j = i;
    while (j < bytes.length && bytes[j]! >= 0x30 && bytes[j]! <= 0x39) j++;
    if (j === bytes.length) break; // length still arriving
    if (j === i || bytes[i] === 0x30 || bytes[j] !== 0x20) {
      throw new Error(`Not an octet-counted frame at byte ${i}`);
    }
    const len = Number(new TextDecoder().decode(bytes.subarray(i, j)));
    if (j + 1 + len > bytes.length) break;
    frames.push(bytes.subarray(j + 1, j + 1 + len));
    i = j + 1 + len;
  }
  return { frames, rest: bytes.subarray(i) };
}

const TIMESTAMP =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d{1,6})?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

function isPrintUsAscii(b: number): boolean {
  return b >= 33 && b <= 126;
}

function isSdNameByte(b: number): boolean {
  return isPrintUsAscii(b) && b !== 0x3d && b !== 0x5d && b !== 0x22;
}

/**
 * Parses one RFC 5424 message strictly.
 *
 * @param bytes The message (a frame's content).
 * @returns Its fields.
 * @throws {Error} At the first deviation from the ABNF.
 */
export function parseSyslog(bytes: Uint8Array): Syslog {
  let i = 0;
  const fail = (what: string): never => {
    throw new Error(
      `Invalid RFC 5424 message at byte ${i} (${what}): ${
        new TextDecoder().decode(bytes.subarray(0, Math.min(bytes.length, 200)))
      }`,
    );
  };
  const expect = (b: number, what: string) => {
    if (bytes[i] !== b) fail(what);
    i++;
  };
  const token = (max: number, what: string, ok = isPrintUsAscii): string => {
    const start = i;
    while (i < bytes.length && ok(bytes[i]!)) i++;
    if (i === start || i - start > max) fail(what);
    return String.fromCharCode(...bytes.subarray(start, i));
  };
  expect(0x3c, "PRI <");
  const priText = token(3, "PRIVAL", (b) => b >= 0x30 && b <= 0x39);
  const pri = Number(priText);
  if (pri > 191 || (priText.length > 1 && priText[0] === "0")) fail("PRIVAL");
  expect(0x3e, "PRI >");
  const versionText = token(3, "VERSION", (b) => b >= 0x30 && b <= 0x39);
  if (versionText !== "1") fail("VERSION");
  expect(0x20, "SP");
  const timestamp = token(64, "TIMESTAMP");
  if (timestamp !== "-" && !TIMESTAMP.test(timestamp)) fail("TIMESTAMP");
  expect(0x20, "SP");
  const hostname = token(255, "HOSTNAME");
  expect(0x20, "SP");
  const appName = token(48, "APP-NAME");
  expect(0x20, "SP");
  const procId = token(128, "PROCID");
  expect(0x20, "SP");
  const msgId = token(32, "MSGID");
  expect(0x20, "SP");
  const sd: Syslog["sd"] = [];
  if (bytes[i] === 0x2d) {
    i++;
  } else {
    if (bytes[i] !== 0x5b) fail("STRUCTURED-DATA");
    while (bytes[i] === 0x5b) {
      i++;
      const id = token(32, "SD-ID", isSdNameByte);
      const params: [string, string][] = [];
      while (bytes[i] === 0x20) {
        i++;
        const name = token(32, "PARAM-NAME", isSdNameByte);
        expect(0x3d, "=");
        expect(0x22, "opening quote");
        const value: number[] = [];
        for (;;) {
          if (i >= bytes.length) fail("unterminated PARAM-VALUE");
          const b = bytes[i]!;
          if (b === 0x22) break;
          if (b === 0x5d) fail("unescaped ] in PARAM-VALUE");
          if (b === 0x5c) {
            const next = bytes[i + 1];
            if (next !== 0x22 && next !== 0x5c && next !== 0x5d) {
              fail("backslash escaping nothing in PARAM-VALUE");
            }
            value.push(next!);
            i += 2;
            continue;
          }
          value.push(b);
          i++;
        }
        i++; // the closing quote
        let text: string;
        try {
          text = decoder.decode(new Uint8Array(value));
        } catch {
          return fail("PARAM-VALUE is not UTF-8");
        }
        params.push([name, text]);
      }
      expect(0x5d, "]");
      sd.push({ id, params });
    }
  }
  let msgBytes: Uint8Array | undefined;
  if (i < bytes.length) {
    expect(0x20, "SP before MSG");
    msgBytes = bytes.subarray(i);
    if (msgBytes[0] === 0xef && msgBytes[1] === 0xbb && msgBytes[2] === 0xbf) {
      fail("a BOM");
    }
  }
  return {
    pri,
    version: 1,
    timestamp,
    hostname,
    appName,
    procId,
    msgId,
    sd,
    msg: msgBytes === undefined ? undefined : decoder.decode(msgBytes),
    msgBytes,
  };
}
