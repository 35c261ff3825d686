// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Test helper: generates TLS material with Debian's `openssl` into a
 * temporary directory (EC P-256 keys, so it takes well under a second).
 *
 * - `ca` signs `server` (SAN `IP:127.0.0.1`, `IP:::1`, `DNS:localhost`),
 *   `client` (CN `log-client`), `otherHost` (SAN `DNS:other.example` only)
 *   and `expired` (valid from 2001-01-01 to 2001-01-02, same SANs as
 *   `server`);
 * - `wrongCa` is an unrelated CA that signs `wrongClient`.
 *
 * ```ts ignore
 * const certs = await makeCerts();
 * try { ... certs.server.cert ... } finally { await certs.cleanup(); }
 * ```
 *
 * @module
 */

/** A PEM certificate, its PEM key and their file paths. */
export interface CertFiles {
  /** PEM certificate. */
  cert: string;
  /** PEM private key (PKCS#8). */
  key: string;
  /** Path of the certificate file. */
  certPath: string;
  /** Path of the key file. */
  keyPath: string;
}

/** Everything {@linkcode makeCerts} generates. */
export interface TestCerts {
  /** The directory holding the files. */
  dir: string;
  /** The trusted CA. */
  ca: CertFiles;
  /** An unrelated CA. */
  wrongCa: CertFiles;
  /** Server certificate for 127.0.0.1, ::1 and localhost, signed by `ca`. */
  server: CertFiles;
  /** Server certificate for other.example only, signed by `ca`. */
  otherHost: CertFiles;
  /** Server certificate expired in 2001, signed by `ca`. */
  expired: CertFiles;
  /** Client certificate signed by `ca`. */
  client: CertFiles;
  /** Client certificate signed by `wrongCa`. */
  wrongClient: CertFiles;
  /** Removes the directory. */
  cleanup(): Promise<void>;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  const out = await new Deno.Command("openssl", {
    args,
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(
      `openssl ${args.join(" ")} failed: ${
        new TextDecoder().decode(out.stderr)
      }`,
    );
  }
}

/**
 * Whether `openssl` can be started.
 *
 * @returns True when `openssl version` succeeds.
 */
export function opensslAvailable(): boolean {
  try {
    return new Deno.Command("openssl", {
      args: ["version"],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

async function newKey(dir: string, name: string): Promise<void> {
  await openssl([
    "genpkey",
    "-algorithm",
    "EC",
    "-pkeyopt",
    "ec_paramgen_curve:P-256",
    "-out",
    `${name}.key`,
  ], dir);
}

async function newCa(dir: string, name: string, cn: string): Promise<void> {
  await newKey(dir, name);
  await openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    `${name}.key`,
    "-subj",
    `/CN=${cn}`,
    "-days",
    "2",
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-out",
    `${name}.pem`,
  ], dir);
}

async function signed(
  dir: string,
  name: string,
  ca: string,
  cn: string,
  ext: string,
  validity: { days: number } | { start: string; end: string },
): Promise<void> {
  await newKey(dir, name);
  await openssl([
    "req",
    "-new",
    "-key",
    `${name}.key`,
    "-subj",
    `/CN=${cn}`,
    "-out",
    `${name}.csr`,
  ], dir);
  await Deno.writeTextFile(`${dir}/${name}.ext`, ext);
  if ("days" in validity) {
    await openssl([
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${ca}.pem`,
      "-CAkey",
      `${ca}.key`,
      "-set_serial",
      String(Math.floor(Math.random() * 2 ** 31)),
      "-days",
      String(validity.days),
      "-extfile",
      `${name}.ext`,
      "-out",
      `${name}.pem`,
    ], dir);
    return;
  }
  // `openssl x509` cannot back-date: use a throw-away `openssl ca` setup.
  const db = `${dir}/${name}.db`;
  await Deno.mkdir(db);
  await Deno.writeTextFile(`${db}/index.txt`, "");
  await Deno.writeTextFile(`${db}/serial`, "1000\n");
  await Deno.writeTextFile(
    `${db}/ca.cnf`,
    [
      "[ca]",
      "default_ca = d",
      "[d]",
      `dir = ${db}`,
      "database = $dir/index.txt",
      "serial = $dir/serial",
      "new_certs_dir = $dir",
      "default_md = sha256",
      "policy = p",
      "unique_subject = no",
      "copy_extensions = none",
      "[p]",
      "commonName = supplied",
      "",
    ].join("\n"),
  );
  await openssl([
    "ca",
    "-batch",
    "-notext",
    "-config",
    `${db}/ca.cnf`,
    "-cert",
    `${ca}.pem`,
    "-keyfile",
    `${ca}.key`,
    "-startdate",
    validity.start,
    "-enddate",
    validity.end,
    "-extfile",
    `${name}.ext`,
    "-in",
    `${name}.csr`,
    "-out",
    `${name}.pem`,
  ], dir);
}

async function files(dir: string, name: string): Promise<CertFiles> {
  const certPath = `${dir}/${name}.pem`;
  const keyPath = `${dir}/${name}.key`;
  return {
    cert: await Deno.readTextFile(certPath),
    key: await Deno.readTextFile(keyPath),
    certPath,
    keyPath,
  };
}

const SERVER_EXT = [
  "basicConstraints=CA:FALSE",
  "keyUsage=digitalSignature",
  "extendedKeyUsage=serverAuth",
  "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost",
  "",
].join("\n");

/**
 * Generates the test CAs and certificates into a new temporary directory.
 *
 * @returns The PEM texts and paths, and a cleanup function.
 */
export async function makeCerts(): Promise<TestCerts> {
  const dir = await Deno.makeTempDir({ prefix: "pylogging_tls_" });
  try {
    await Promise.all([
      newCa(dir, "ca", "pylogging test CA"),
      newCa(dir, "wrong_ca", "pylogging wrong CA"),
    ]);
    await Promise.all([
      signed(dir, "server", "ca", "localhost", SERVER_EXT, { days: 2 }),
      signed(
        dir,
        "other_host",
        "ca",
        "other.example",
        SERVER_EXT.replace(
          "IP:127.0.0.1,IP:::1,DNS:localhost",
          "DNS:other.example",
        ),
        { days: 2 },
      ),
      signed(dir, "expired", "ca", "localhost", SERVER_EXT, {
        start: "20010101000000Z",
        end: "20010102000000Z",
      }),
      signed(
        dir,
        "client",
        "ca",
        "log-client",
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n",
        { days: 2 },
      ),
      signed(
        dir,
        "wrong_client",
        "wrong_ca",
        "log-client",
        "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=clientAuth\n",
        { days: 2 },
      ),
    ]);
    return {
      dir,
      ca: await files(dir, "ca"),
      wrongCa: await files(dir, "wrong_ca"),
      server: await files(dir, "server"),
      otherHost: await files(dir, "other_host"),
      expired: await files(dir, "expired"),
      client: await files(dir, "client"),
      wrongClient: await files(dir, "wrong_client"),
      cleanup: () => Deno.remove(dir, { recursive: true }),
    };
  } catch (e) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw e;
  }
}
