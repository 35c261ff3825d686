// Copyright 2026 the pylogging/socket-handler authors. MIT license.
/**
 * The web viewer's page files (`web/page/`), read with `fetch` beside this
 * module (a `file:` URL from a checkout, `https:` from JSR) once each and
 * kept in memory.
 *
 * @module
 */

/** One page file. */
export interface Asset {
  /** The file's bytes. */
  body: Uint8Array;
  /** Its `Content-Type`, with the charset. */
  type: string;
}

/** The served paths: request path → file name and content type. */
export const ASSETS: Readonly<Record<string, [string, string]>> = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/app.js": ["app.js", "text/javascript; charset=utf-8"],
  "/app.css": ["app.css", "text/css; charset=utf-8"],
};

/** The page files of one viewer, each fetched on first use. */
export class AssetCache {
  #cache = new Map<string, Promise<Asset>>();

  /**
   * The asset served at `path`.
   *
   * @param path A request path.
   * @returns The asset, or `undefined` when `path` serves none.
   * @throws {Error} If the file cannot be read (not cached: tried again
   * on the next request).
   */
  get(path: string): Promise<Asset> | undefined {
    if (!Object.hasOwn(ASSETS, path)) return undefined;
    let asset = this.#cache.get(path);
    if (asset === undefined) {
      const [file, type] = ASSETS[path]!;
      asset = load(file, type);
      this.#cache.set(path, asset);
      asset.catch(() => this.#cache.delete(path));
    }
    return asset;
  }
}

async function load(file: string, type: string): Promise<Asset> {
  const url = new URL(`./page/${file}`, import.meta.url);
  const res = await fetch(url);
  if (!res.ok) {
    await res.body?.cancel();
    throw new Error(`Cannot read the viewer's ${file}: HTTP ${res.status}`);
  }
  return { body: new Uint8Array(await res.arrayBuffer()), type };
}
