// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * Synchronous file helpers of the disk spool: write all bytes, read bytes
 * at an offset, remove a file that may be gone, sync a directory. Private
 * to the package.
 *
 * @module
 */

/**
 * Writes every byte of `bytes` at the file's position, across partial
 * writes.
 *
 * @param file The file.
 * @param bytes The bytes.
 */
export function writeAllSync(file: Deno.FsFile, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    done += file.writeSync(bytes.subarray(done));
  }
}

/**
 * Reads up to `length` bytes at `offset` (fewer only at the end of the file).
 *
 * @param file The file.
 * @param offset Where to read.
 * @param length How many bytes.
 * @returns The bytes read.
 */
export function readAtSync(
  file: Deno.FsFile,
  offset: number,
  length: number,
): Uint8Array {
  const out = new Uint8Array(length);
  file.seekSync(offset, Deno.SeekMode.Start);
  let done = 0;
  while (done < length) {
    const n = file.readSync(out.subarray(done));
    if (n === null || n === 0) break;
    done += n;
  }
  return done === length ? out : out.subarray(0, done);
}

/**
 * Removes a file; one that is already gone is not an error.
 *
 * @param path The file's path.
 */
export function removeFileSync(path: string): void {
  try {
    Deno.removeSync(path);
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
}

/**
 * Flushes a directory's entries to the disk (so that a file created or
 * renamed in it survives a power loss).
 *
 * @param dir The directory.
 */
export function syncDirSync(dir: string): void {
  const file = Deno.openSync(dir, { read: true });
  try {
    file.syncSync();
  } finally {
    file.close();
  }
}

/**
 * Opens a file, or returns undefined if it does not exist.
 *
 * @param path The file's path.
 * @param options How to open it.
 * @returns The file, or undefined.
 */
export function openIfExistsSync(
  path: string,
  options: Deno.OpenOptions,
): Deno.FsFile | undefined {
  try {
    return Deno.openSync(path, options);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
}
