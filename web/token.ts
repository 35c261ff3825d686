// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The web viewer's access token: a random 128-bit value in base64url,
 * compared in constant time, and which bind addresses need one.
 *
 * @module
 */

/**
 * A new random token: 16 bytes from the system's CSPRNG, base64url
 * without padding (22 characters).
 *
 * @returns The token.
 */
export function newToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

const encoder = new TextEncoder();

/**
 * Whether `given` equals `expected`, in time that depends only on the
 * length of `expected` (not on where they differ, nor on `given`'s length
 * beyond a bound).
 *
 * @param given The token of a request, if any.
 * @param expected The viewer's token.
 * @returns True when they are equal.
 */
export function sameToken(given: string | null, expected: string): boolean {
  const a = encoder.encode(expected);
  const b = encoder.encode((given ?? "").slice(0, a.length + 1));
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ (b[i] ?? 0);
  return diff === 0;
}

/**
 * Whether a bind address only accepts connections from this host
 * (`127.0.0.0/8`, `::1`, `localhost`), so that the viewer needs no token.
 *
 * @param hostname The address the viewer binds.
 * @returns True for a loopback address.
 */
export function isLoopback(hostname: string): boolean {
  const h = hostname.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return h === "localhost" || h === "::1" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) ||
    /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}
